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

const F_ISN_KNOWN = 1;
const F_SEEN = 2;
const F_SENT_SYN = 4;
const F_SENT_SYNACK = 8;
const F_HAS_FIN = 16;
const F_ACKED = 32;

/**
 * What every sender (one direction of one connection) showed on the wire, as columns indexed by
 * `2 * connection + direction` (0 client, 1 server): no object per connection on the hot path.
 */
export class SenderColumns {
  readonly bits: Uint8Array;
  readonly isn: Uint32Array;
  readonly sndNxt: Uint32Array;
  readonly synEnd: Uint32Array;
  readonly finSeq: Uint32Array;
  readonly highestAck: Uint32Array;
  readonly wscale: Int8Array;
  readonly lastWin: Float64Array;
  readonly dataBytes: Float64Array;
  readonly counts: Uint32Array; // [fin, rst, keepalive, zwp] per sender
  readonly rows: Int32Array; // [lastSynTx, firstFin, lastFinTx, firstRst, firstData, lastData, unseenAck, unackedHead, unackedTail, pendSyn, pendFin, pendSynNC, pendFinNC] per sender
  static readonly ROWS = 13;
  constructor(senders: number) {
    this.bits = new Uint8Array(senders);
    this.isn = new Uint32Array(senders);
    this.sndNxt = new Uint32Array(senders);
    this.synEnd = new Uint32Array(senders);
    this.finSeq = new Uint32Array(senders);
    this.highestAck = new Uint32Array(senders);
    this.wscale = new Int8Array(senders).fill(-1);
    this.lastWin = new Float64Array(senders).fill(-1);
    this.dataBytes = new Float64Array(senders);
    this.counts = new Uint32Array(senders * 4);
    this.rows = new Int32Array(senders * SenderColumns.ROWS).fill(-1);
  }
}

const R_LAST_SYN = 0;
const R_FIRST_FIN = 1;
const R_LAST_FIN = 2;
const R_FIRST_RST = 3;
const R_FIRST_DATA = 4;
const R_LAST_DATA = 5;
const R_UNSEEN_ACK = 6;
const R_UNACKED_HEAD = 7;
const R_UNACKED_TAIL = 8;
const R_PEND_SYN = 9;
const R_PEND_SYN_NC = 11;
const C_FIN = 0;
const C_RST = 1;
const C_KEEPALIVE = 2;
const C_ZWP = 3;

/** A view of one sender's columns (what one direction of a connection showed on the wire). */
export class SenderWire {
  private readonly r: number;
  constructor(
    private readonly c: SenderColumns,
    private readonly k: number,
    private readonly nextFin: Int32Array,
  ) {
    this.r = k * SenderColumns.ROWS;
  }
  private bit(b: number): boolean {
    return (this.c.bits[this.k] & b) !== 0;
  }
  private set(b: number, on: boolean): void {
    if (on) this.c.bits[this.k] |= b;
    else this.c.bits[this.k] &= ~b;
  }
  get isnKnown(): boolean { return this.bit(F_ISN_KNOWN); }
  set isnKnown(v: boolean) { this.set(F_ISN_KNOWN, v); }
  /** Some segment of this sender was seen (sndNxt is valid). */
  get seen(): boolean { return this.bit(F_SEEN); }
  set seen(v: boolean) { this.set(F_SEEN, v); }
  get sentSyn(): boolean { return this.bit(F_SENT_SYN); }
  set sentSyn(v: boolean) { this.set(F_SENT_SYN, v); }
  /** This side answered with a SYN-ACK at some point (it had a listener / was in SYN-RECEIVED). */
  get sentSynAck(): boolean { return this.bit(F_SENT_SYNACK); }
  set sentSynAck(v: boolean) { this.set(F_SENT_SYNACK, v); }
  get hasFin(): boolean { return this.bit(F_HAS_FIN); }
  set hasFin(v: boolean) { this.set(F_HAS_FIN, v); }
  /** This side sent an ACK (highestAck is valid). */
  get acked(): boolean { return this.bit(F_ACKED); }
  set acked(v: boolean) { this.set(F_ACKED, v); }
  get isn(): number { return this.c.isn[this.k]; }
  set isn(v: number) { this.c.isn[this.k] = v; }
  /** Highest sequence number sent plus its space (SND.NXT as seen). */
  get sndNxt(): number { return this.c.sndNxt[this.k]; }
  set sndNxt(v: number) { this.c.sndNxt[this.k] = v; }
  /** End of the SYN (ISN + 1). */
  get synEnd(): number { return this.c.synEnd[this.k]; }
  set synEnd(v: number) { this.c.synEnd[this.k] = v; }
  /** Sequence number occupied by this side's FIN. */
  get finSeq(): number { return this.c.finSeq[this.k]; }
  set finSeq(v: number) { this.c.finSeq[this.k] = v; }
  /** Highest ACK this side sent (what it had proven to have received). */
  get highestAck(): number { return this.c.highestAck[this.k]; }
  set highestAck(v: number) { this.c.highestAck[this.k] = v; }
  /** Window scale shift announced in this side's SYN (-1 when none). */
  get wscale(): number { return this.c.wscale[this.k]; }
  set wscale(v: number) { this.c.wscale[this.k] = v; }
  /** Last advertised window, scaled (bytes); -1 before any. */
  get lastWin(): number { return this.c.lastWin[this.k]; }
  set lastWin(v: number) { this.c.lastWin[this.k] = v; }
  get dataBytes(): number { return this.c.dataBytes[this.k]; }
  set dataBytes(v: number) { this.c.dataBytes[this.k] = v; }
  get keepalives(): number { return this.c.counts[this.k * 4 + C_KEEPALIVE]; }
  set keepalives(v: number) { this.c.counts[this.k * 4 + C_KEEPALIVE] = v; }
  get zeroWindowProbes(): number { return this.c.counts[this.k * 4 + C_ZWP]; }
  set zeroWindowProbes(v: number) { this.c.counts[this.k * 4 + C_ZWP] = v; }
  get rstCount(): number { return this.c.counts[this.k * 4 + C_RST]; }
  get finCount(): number { return this.c.counts[this.k * 4 + C_FIN]; }
  /** Last row transmitting this side's SYN, and its FIN (retransmissions included); -1 if none. */
  get lastSynTx(): number { return this.c.rows[this.r + R_LAST_SYN]; }
  set lastSynTx(v: number) { this.c.rows[this.r + R_LAST_SYN] = v; }
  get lastFinTx(): number { return this.c.rows[this.r + R_LAST_FIN]; }
  get firstFinRow(): number { return this.c.rows[this.r + R_FIRST_FIN]; }
  get firstRstRow(): number { return this.c.rows[this.r + R_FIRST_RST]; }
  get firstDataRow(): number { return this.c.rows[this.r + R_FIRST_DATA]; }
  set firstDataRow(v: number) { this.c.rows[this.r + R_FIRST_DATA] = v; }
  get lastDataRow(): number { return this.c.rows[this.r + R_LAST_DATA]; }
  set lastDataRow(v: number) { this.c.rows[this.r + R_LAST_DATA] = v; }
  /** The first ACK (on the PEER's rows) acknowledging sequence numbers this side never sent. */
  get unseenAckRow(): number { return this.c.rows[this.r + R_UNSEEN_ACK]; }
  set unseenAckRow(v: number) { this.c.rows[this.r + R_UNSEEN_ACK] = v; }

  /** Every row carrying this side's FIN, first transmission first. */
  get finRows(): number[] {
    const out: number[] = [];
    for (let r = this.firstFinRow; r >= 0; r = this.nextFin[r]) out.push(r);
    return out;
  }
  addFin(r: number): void {
    const tail = this.c.rows[this.r + R_LAST_FIN];
    if (tail < 0) this.c.rows[this.r + R_FIRST_FIN] = r;
    else this.nextFin[tail] = r;
    this.c.rows[this.r + R_LAST_FIN] = r;
    this.c.counts[this.k * 4 + C_FIN]++;
  }
  addRst(r: number): void {
    if (this.c.rows[this.r + R_FIRST_RST] < 0) this.c.rows[this.r + R_FIRST_RST] = r;
    this.c.counts[this.k * 4 + C_RST]++;
  }
  /** The unacknowledged-rows queue, linked through the rows. */
  get unackedHead(): number { return this.c.rows[this.r + R_UNACKED_HEAD]; }
  set unackedHead(v: number) { this.c.rows[this.r + R_UNACKED_HEAD] = v; if (v < 0) this.c.rows[this.r + R_UNACKED_TAIL] = -1; }
  pushUnacked(r: number, next: Int32Array): void {
    const tail = this.c.rows[this.r + R_UNACKED_TAIL];
    next[r] = -1;
    if (tail < 0) this.c.rows[this.r + R_UNACKED_HEAD] = r;
    else next[tail] = r;
    this.c.rows[this.r + R_UNACKED_TAIL] = r;
  }
  /** Pending SYN (slot 0) and FIN (slot 1) rows awaiting delivery evidence, with the last non-covering peer row. */
  pendRow(slot: 0 | 1): number { return this.c.rows[this.r + R_PEND_SYN + slot]; }
  setPend(slot: 0 | 1, row: number, nonCover: number): void {
    this.c.rows[this.r + R_PEND_SYN + slot] = row;
    this.c.rows[this.r + R_PEND_SYN_NC + slot] = nonCover;
  }
  pendNonCover(slot: 0 | 1): number { return this.c.rows[this.r + R_PEND_SYN_NC + slot]; }
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

export function wirePass(table: SegmentTable, connections: TrackedConnection[], rowConn: Int32Array): WirePass {
  const n = table.length;
  const rowDir = new Uint8Array(n);
  const rowKind = new Uint8Array(n);
  const ackedBy = new Int32Array(n).fill(-1);
  const acks = new Int32Array(n).fill(-1);
  const deliverAt = new Int32Array(n).fill(NEVER);
  const deliverInferred = new Uint8Array(n);
  const rstCheck = new Map<number, RstCheck>();
  const columns = new SenderColumns(connections.length * 2);
  const nextFin = new Int32Array(n).fill(-1);
  const nextUnacked = new Int32Array(n).fill(-1);
  const sides: [SenderWire, SenderWire][] = new Array(connections.length);
  for (let i = 0; i < connections.length; i++) {
    sides[i] = [new SenderWire(columns, 2 * i, nextFin), new SenderWire(columns, 2 * i + 1, nextFin)];
  }

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
      me.addRst(r);
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
      me.addFin(r);
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
      let u = peer.unackedHead;
      while (u >= 0) {
        const uend = seqAdd(seq[u], len[u] + (flags[u] & SYN ? 1 : 0) + (flags[u] & FIN ? 1 : 0));
        if (!seqGe(a, uend)) break;
        ackedBy[u] = r;
        acks[r] = u;
        u = nextUnacked[u];
      }
      peer.unackedHead = u;
      // Evidence for the delivery of the peer's SYN/FIN rows.
      if (!rst) {
        for (let slot: 0 | 1 = 0; slot < 2; slot = (slot + 1) as 0 | 1) {
          const p = peer.pendRow(slot);
          if (p < 0) continue;
          const pend = seqAdd(seq[p], len[p] + (flags[p] & SYN ? 1 : 0) + (flags[p] & FIN ? 1 : 0));
          if (seqGe(a, pend)) {
            const nc = peer.pendNonCover(slot);
            deliverAt[p] = nc >= 0 ? nc : p;
            peer.setPend(slot, -1, -1);
          } else peer.setPend(slot, p, r);
        }
      }
    }

    if (syn && !hasAck) {
      // A SYN sent again without an ACK: its sender has not received the peer's SYN-ACK (still SYN-SENT).
      for (let slot: 0 | 1 = 0; slot < 2; slot = (slot + 1) as 0 | 1) {
        const p = peer.pendRow(slot);
        if (p >= 0) peer.setPend(slot, p, r);
      }
    }
    if (space > 0 && !rst) {
      me.pushUnacked(r, nextUnacked);
      const firstTx = !(kind & KIND_RETRANSMISSION);
      if ((syn || fin) && firstTx) {
        const slot = syn ? 0 : 1;
        // A second first-transmission (a FIN whose sequence number moved) keeps the earlier evidence.
        if (me.pendRow(slot) < 0 && deliverAt[r] === NEVER) me.setPend(slot, r, -1);
      }
    }
    rowKind[r] = kind;
  }

  // SYN/FIN rows never acknowledged: received on arrival if the peer said nothing afterwards
  // (an assumption, marked inferred), never received if the peer went on without acknowledging them.
  for (const pair of sides) {
    for (const w of pair) {
      for (let slot: 0 | 1 = 0; slot < 2; slot = (slot + 1) as 0 | 1) {
        const p = w.pendRow(slot);
        if (p < 0) continue;
        if (w.pendNonCover(slot) >= 0) deliverAt[p] = NEVER;
        else {
          deliverAt[p] = p;
          deliverInferred[p] = 1;
        }
        w.setPend(slot, -1, -1);
      }
    }
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

