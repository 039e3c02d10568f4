/**
 * Wire pass: what the capture itself shows, before any state is inferred. For every row: its
 * direction, its kind (retransmission, keepalive, zero-window probe...), which later segment
 * acknowledges it, and, for SYNs and FINs, the point at which the receiver evidently processed it.
 *
 * The delivery rule is the engine's central idea (DESIGN.md): a segment's ACK number proves what its
 * sender had received when it sent it. A SYN or FIN from X is taken as received by Y just after the
 * last segment Y sent WITHOUT acknowledging it, before Y's first segment that acknowledges it; if Y
 * sent nothing in between, on arrival.
 */

import { ACK, FIN, RST, SYN, OPT_WSCALE, type SegmentTable } from '../model/segment';
import { seqAdd, seqGe, seqGt, seqInWindow, seqLe } from '../seq';
import {
  KIND_DATA,
  KIND_DUP_ACK,
  KIND_KEEPALIVE,
  KIND_RETRANSMISSION,
  KIND_ZERO_WINDOW,
  KIND_ZERO_WINDOW_PROBE,
} from './types';
import type { TrackedConnection } from './tracker';

/** Delivery point meaning "never received, as far as the capture shows". */
export const NEVER = -1;
/** deliverAt marker for a retransmitted SYN/FIN: its first transmission carries the delivery. */
export const RETRANSMITTED_CONTROL = -2;

/** How a RST relates to its receiver's window (RFC 9293 3.10.7.4, RFC 5961 3). */
export type RstCheck = 'exact' | 'in-window' | 'out-of-window' | 'unknown' | 'syn-ack-ok' | 'syn-ack-bad';

/** What one direction (one sender) of a connection showed on the wire. */
export class SenderWire {
  isn = 0;
  isnKnown = false;
  /** Highest sequence number sent plus its space (SND.NXT as seen), valid when `seen`. */
  sndNxt = 0;
  seen = false;
  /** End of the SYN (ISN + 1), when a SYN was sent. */
  synEnd = 0;
  sentSyn = false;
  /** This side answered with a SYN-ACK at some point (it had a listener / was in SYN-RECEIVED). */
  sentSynAck = false;
  /** Sequence number occupied by this side's FIN, when one was sent. */
  finSeq = 0;
  hasFin = false;
  finRows: number[] = [];
  /** Last row transmitting this side's SYN, and its FIN (retransmissions included). */
  lastSynTx = -1;
  lastFinTx = -1;
  /** Highest ACK this side sent (what it had proven to have received). */
  highestAck = 0;
  acked = false;
  /** Window scale shift this side announced in its SYN (-1 when none). */
  wscale = -1;
  /** Last advertised window, scaled (bytes). */
  lastWin = -1;
  rstRows: number[] = [];
  /** First row with new data, last row with new data. */
  firstDataRow = -1;
  lastDataRow = -1;
  dataBytes = 0;
  keepalives = 0;
  zeroWindowProbes = 0;
  /** The first ACK acknowledging sequence numbers this side never sent (seen on the PEER's rows). */
  unseenAckRow = -1;
  /** Rows of this side still waiting for an ACK, from `unackedHead` on. */
  unacked: number[] = [];
  unackedHead = 0;
  /** This side's SYN/FIN rows waiting for the evidence that places their delivery. */
  pending: Pending[] | null = null;
}

export interface WirePass {
  rowDir: Uint8Array;
  rowKind: Uint8Array;
  ackedBy: Int32Array;
  acks: Int32Array;
  /** Where a row's SYN/FIN was received by its peer (row index), NEVER, or the row itself. */
  deliverAt: Int32Array;
  /** True when the delivery point is assumed (no evidence either way). */
  deliverInferred: Uint8Array;
  /** For RST rows: how the RST fits its receiver's window. */
  rstCheck: Map<number, RstCheck>;
  /** Per connection: [client wire, server wire]. */
  sides: [SenderWire, SenderWire][];
}

interface Pending {
  row: number;
  end: number;
  lastNonCover: number;
}

export function wirePass(table: SegmentTable, connections: TrackedConnection[], rowConn: Int32Array): WirePass {
  const n = table.length;
  const rowDir = new Uint8Array(n);
  const rowKind = new Uint8Array(n);
  const ackedBy = new Int32Array(n).fill(-1);
  const acks = new Int32Array(n).fill(-1);
  const deliverAt = new Int32Array(n).fill(NEVER);
  const deliverInferred = new Uint8Array(n);
  const rstCheck = new Map<number, RstCheck>();
  const sides: [SenderWire, SenderWire][] = connections.map(() => [new SenderWire(), new SenderWire()]);

  const { src, flags, seq, ack, len, win, opts, wscale } = table;

  for (let r = 0; r < n; r++) {
    const ci = rowConn[r];
    if (ci < 0) continue;
    const conn = connections[ci];
    const dir = src[r] === conn.clientEp ? 0 : 1;
    rowDir[r] = dir;
    const me = sides[ci][dir];
    const peer = sides[ci][1 - dir];
    const f = flags[r];
    const s = seq[r];
    const l = len[r];
    const syn = (f & SYN) !== 0;
    const fin = (f & FIN) !== 0;
    const rst = (f & RST) !== 0;
    const hasAck = (f & ACK) !== 0;
    const space = l + (syn ? 1 : 0) + (fin ? 1 : 0);
    const end = seqAdd(s, space);
    let kind = 0;

    if (rst) {
      rstCheck.set(r, checkRst(me, peer, s, ack[r], hasAck));
      me.rstRows.push(r);
    } else {
      // Keepalive (as Wireshark defines it): 0 or 1 byte at SND.NXT - 1, no SYN/FIN/RST.
      if (me.seen && !syn && !fin && l <= 1 && s === seqAdd(me.sndNxt, -1)) {
        kind |= KIND_KEEPALIVE;
        me.keepalives++;
      } else if (me.seen && !syn && !fin && l === 1 && s === me.sndNxt && peer.lastWin === 0) {
        kind |= KIND_ZERO_WINDOW_PROBE;
        me.zeroWindowProbes++;
      } else if (space > 0 && me.seen && seqLe(end, me.sndNxt)) {
        kind |= KIND_RETRANSMISSION;
      } else if (l > 0) {
        kind |= KIND_DATA;
        if (me.firstDataRow < 0) me.firstDataRow = r;
        me.lastDataRow = r;
        me.dataBytes += l;
      }
      if (!syn && win[r] === 0) kind |= KIND_ZERO_WINDOW;
    }

    if (syn) {
      if (!me.sentSyn) {
        me.isn = s;
        me.isnKnown = true;
        me.synEnd = seqAdd(s, 1);
        me.sentSyn = true;
      }
      if (hasAck) me.sentSynAck = true;
      me.lastSynTx = r;
      if (opts[r] & OPT_WSCALE) me.wscale = wscale[r];
    }
    if (fin && !rst) {
      const fs = seqAdd(s, l);
      if (!me.hasFin) {
        me.hasFin = true;
        me.finSeq = fs;
      }
      me.finRows.push(r);
      me.lastFinTx = r;
    }
    if (!rst) {
      if (!me.seen) {
        me.seen = true;
        me.sndNxt = end;
        if (!me.isnKnown && !syn) me.isn = seqAdd(s, -1);
      } else if (seqGt(end, me.sndNxt)) {
        me.sndNxt = end;
      }
      // Scaled window (RFC 7323 2.3): never scaled in a SYN; scaled only when both sides offered it.
      const shift = !syn && me.wscale >= 0 && peer.wscale >= 0 ? me.wscale : 0;
      me.lastWin = shift === 0 ? win[r] : win[r] * (1 << Math.min(shift, 14));
    }

    if (hasAck) {
      const a = ack[r];
      if (peer.seen && seqGt(a, peer.sndNxt) && peer.unseenAckRow < 0 && !rst) peer.unseenAckRow = r;
      if (me.acked && a === me.highestAck && space === 0 && !rst && !(kind & (KIND_KEEPALIVE | KIND_ZERO_WINDOW_PROBE)))
        kind |= KIND_DUP_ACK;
      if (!me.acked || seqGt(a, me.highestAck)) {
        me.highestAck = a;
        me.acked = true;
      }
      // What this ACK newly covers in the other direction (rows are mostly acknowledged in order).
      const q = peer.unacked;
      let k = peer.unackedHead;
      while (k < q.length) {
        const ur = q[k];
        const uend = seqAdd(seq[ur], len[ur] + (flags[ur] & SYN ? 1 : 0) + (flags[ur] & FIN ? 1 : 0));
        if (!seqGe(a, uend)) break;
        ackedBy[ur] = r;
        acks[r] = ur;
        k++;
      }
      peer.unackedHead = k;
      if (k > 64 && k * 2 > q.length) {
        q.splice(0, k);
        peer.unackedHead = 0;
      }
      // Evidence for the delivery of the peer's SYN/FIN rows.
      const pend = peer.pending;
      if (!rst && pend !== null) {
        for (let i = 0; i < pend.length; ) {
          const p = pend[i];
          if (seqGe(a, p.end)) {
            deliverAt[p.row] = p.lastNonCover >= 0 ? p.lastNonCover : p.row;
            pend.splice(i, 1);
          } else {
            p.lastNonCover = r;
            i++;
          }
        }
      }
    }

    if (space > 0 && !rst) {
      me.unacked.push(r);
      const firstTx = !(kind & KIND_RETRANSMISSION);
      if ((syn || fin) && firstTx) (me.pending ??= []).push({ row: r, end, lastNonCover: -1 });
    }
    rowKind[r] = kind;
  }

  // SYN/FIN rows never acknowledged: received on arrival if the peer said nothing afterwards
  // (an assumption, marked inferred), never received if the peer went on without acknowledging them.
  for (const pair of sides) {
    for (const w of pair) {
      if (w.pending === null) continue;
      for (const p of w.pending) {
        if (p.lastNonCover >= 0) deliverAt[p.row] = NEVER;
        else {
          deliverAt[p.row] = p.row;
          deliverInferred[p.row] = 1;
        }
      }
      w.pending = null;
    }
    pair[0].unacked = [];
    pair[1].unacked = [];
  }
  for (let r = 0; r < n; r++) {
    if (rowConn[r] < 0) continue;
    const f = flags[r];
    // Rows that carry no SYN/FIN (and RSTs) are processed by the receiver on arrival;
    // for a retransmitted SYN/FIN the first transmission carries the delivery.
    if (!(f & (SYN | FIN)) || f & RST) deliverAt[r] = r;
    else if (rowKind[r] & KIND_RETRANSMISSION) deliverAt[r] = RETRANSMITTED_CONTROL;
  }
  return { rowDir, rowKind, ackedBy, acks, deliverAt, deliverInferred, rstCheck, sides };
}

/**
 * RFC 9293 3.10.7 / RFC 5961 3.2, as Linux applies them: in SYN-SENT a RST is acceptable only if it
 * acknowledges the SYN; otherwise it resets only when its sequence number is exactly RCV.NXT, an
 * in-window one earns a challenge ACK, and one outside the window is dropped.
 */
function checkRst(me: SenderWire, peer: SenderWire, s: number, a: number, hasAck: boolean): RstCheck {
  if (peer.sentSyn && !me.sentSyn && !peer.acked) {
    return hasAck && a === peer.synEnd ? 'syn-ack-ok' : 'syn-ack-bad';
  }
  if (me.seen && s === me.sndNxt) return 'exact';
  if (peer.acked && s === peer.highestAck) return 'exact';
  if (!peer.acked) return 'unknown';
  const wnd = peer.lastWin > 0 ? peer.lastWin : 1;
  if (seqInWindow(s, peer.highestAck, wnd)) return 'in-window';
  return 'out-of-window';
}

