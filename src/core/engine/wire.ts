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

import * as segment from '../model/segment';
import type { SegmentTable } from '../model/segment';
import * as seq from '../seq';
import * as types from './types';
import type { RstCheck } from './types';
import type { Tracks } from './tracker';

// The constants and helpers the passes over rows use, as this module's own bindings: TypeScript's
// CommonJS output reads an imported name as a property of its module's exports object at every
// use (and an exported `const` as one of this module's), which V8 does not fold into a constant.
// The same holds for this module's exported constants, hence `export { ... }` below.
const { ACK, FIN, RST, SYN, OPT_NO_WINDOW, OPT_WSCALE } = segment;
const { seqAdd, seqGe, seqGt, seqInWindow, seqLe } = seq;
const { KIND_DATA, KIND_DUP_ACK, KIND_KEEPALIVE, KIND_RETRANSMISSION, KIND_ZERO_WINDOW, KIND_ZERO_WINDOW_PROBE } = types;

/** Delivery point meaning "never received, as far as the capture shows". */
const NEVER = -1;
/** deliverAt marker for a retransmitted SYN/FIN: its first transmission carries the delivery. */
const RETRANSMITTED_CONTROL = -2;

export type { RstCheck };

/** Bits of {@link SenderColumns.bits}. */
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
  readonly counts: Uint32Array; // [fin, rst, keepalive, zwp] per sender
  readonly rows: Int32Array; // [lastSynTx, firstFin, lastFinTx, unseenAck, pendSyn, pendFin, pendSynNC, pendFinNC] per sender
  static readonly ROWS = 8;
  constructor(senders: number) {
    this.bits = new Uint8Array(senders);
    this.isn = new Uint32Array(senders);
    this.sndNxt = new Uint32Array(senders);
    this.synEnd = new Uint32Array(senders);
    this.finSeq = new Uint32Array(senders);
    this.highestAck = new Uint32Array(senders);
    this.wscale = new Int8Array(senders).fill(-1);
    this.lastWin = new Float64Array(senders).fill(-1);
    this.counts = new Uint32Array(senders * 4);
    this.rows = new Int32Array(senders * SenderColumns.ROWS).fill(-1);
  }
}

/** Slots of {@link SenderColumns.rows} (per sender k: rows[k * ROWS + slot]). */
const R_LAST_SYN = 0;
const R_FIRST_FIN = 1;
const R_LAST_FIN = 2;
const R_UNSEEN_ACK = 3;
const R_PEND_SYN = 4; // and 5 for the FIN
const R_PEND_SYN_NC = 6; // and 7 for the FIN
/** Slots of {@link SenderColumns.counts} (per sender k: counts[k * 4 + slot]). */
const C_FIN = 0;
const C_RST = 1;
const C_KEEPALIVE = 2;
const C_ZWP = 3;
export {
  NEVER, RETRANSMITTED_CONTROL, F_ISN_KNOWN, F_SEEN, F_SENT_SYN, F_SENT_SYNACK, F_HAS_FIN, F_ACKED, R_LAST_SYN, R_FIRST_FIN, R_LAST_FIN, R_UNSEEN_ACK, C_FIN,
  C_RST, C_KEEPALIVE,
};

/** A read-only view of one sender's columns (what one direction of a connection showed on the wire). */
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
  get isnKnown(): boolean { return this.bit(F_ISN_KNOWN); }
  /** Some segment of this sender was seen (sndNxt is valid). */
  get seen(): boolean { return this.bit(F_SEEN); }
  get sentSyn(): boolean { return this.bit(F_SENT_SYN); }
  /** This side answered with a SYN-ACK at some point (it had a listener / was in SYN-RECEIVED). */
  get sentSynAck(): boolean { return this.bit(F_SENT_SYNACK); }
  get hasFin(): boolean { return this.bit(F_HAS_FIN); }
  /** This side sent an ACK (highestAck is valid). */
  get acked(): boolean { return this.bit(F_ACKED); }
  get isn(): number { return this.c.isn[this.k]; }
  /** Highest sequence number sent plus its space (SND.NXT as seen). */
  get sndNxt(): number { return this.c.sndNxt[this.k]; }
  /** End of the SYN (ISN + 1). */
  get synEnd(): number { return this.c.synEnd[this.k]; }
  /** Sequence number occupied by this side's FIN. */
  get finSeq(): number { return this.c.finSeq[this.k]; }
  /** Highest ACK this side sent (what it had proven to have received). */
  get highestAck(): number { return this.c.highestAck[this.k]; }
  /** Last advertised window, scaled (bytes); -1 before any (or when the trace gives none). */
  get lastWin(): number { return this.c.lastWin[this.k]; }
  get finCount(): number { return this.c.counts[this.k * 4 + C_FIN]; }
  get firstFinRow(): number { return this.c.rows[this.r + R_FIRST_FIN]; }
  /** The first ACK (on the PEER's rows) acknowledging sequence numbers this side never sent. */
  get unseenAckRow(): number { return this.c.rows[this.r + R_UNSEEN_ACK]; }
  /** Every row carrying this side's FIN, first transmission first. */
  get finRows(): number[] {
    const out: number[] = [];
    for (let r = this.firstFinRow; r >= 0; r = this.nextFin[r] - 1) out.push(r);
    return out;
  }
}

export interface WirePass {
  rowDir: Uint8Array;
  rowKind: Uint8Array;
  /** Where a row's SYN/FIN was received by its peer (row index), NEVER, or the row itself. */
  deliverAt: Int32Array;
  /** True when the delivery point is assumed (no evidence either way). */
  deliverInferred: Uint8Array;
  /** For RST rows: how the RST fits its receiver's window. */
  rstCheck: Map<number, RstCheck>;
  /** What each sender showed, indexed by `2 * connection + direction`. */
  columns: SenderColumns;
  /** A view of one sender: connection `ci`, direction 0 (client) or 1 (server). */
  side(ci: number, dir: number): SenderWire;
}

/**
 * A window field in bytes (RFC 7323 2.3): shifted by its sender's scale when both sides' SYNs
 * offered one (shifts of -1: not offered), never in a SYN; shifts above 14 count as 14.
 */
export function scaledWindow(win: number, syn: boolean, ownShift: number, peerShift: number): number {
  if (syn || ownShift <= 0 || peerShift < 0) return win;
  return win * (1 << Math.min(ownShift, 14));
}

/**
 * The first transmission of the SYN/FIN that row r retransmits: the first row of `rows[start..end)`
 * before r from the same sender with the same control bit that is not itself a retransmission,
 * or -1 when the trace has none.
 */
export function firstTransmission(
  rows: ArrayLike<number>,
  start: number,
  end: number,
  r: number,
  flags: Uint16Array,
  rowDir: Uint8Array,
  deliverAt: Int32Array,
): number {
  const control = flags[r] & (SYN | FIN);
  for (let i = start; i < end; i++) {
    const q = rows[i];
    if (q >= r) break;
    if (rowDir[q] === rowDir[r] && flags[q] & control && deliverAt[q] !== RETRANSMITTED_CONTROL) return q;
  }
  return -1;
}

/**
 * True when the FIN of row p was taken by its receiver only with a later retransmission of it
 * (its delivery point is that retransmission, see senderRows): p itself was lost, and the
 * retransmission is delivered on arrival in its place.
 */
export function lostBeforeRetransmission(deliverAt: Int32Array, rowDir: Uint8Array, flags: Uint16Array, p: number): boolean {
  const d = deliverAt[p];
  return d > p && deliverAt[d] === RETRANSMITTED_CONTROL && rowDir[d] === rowDir[p] && (flags[d] & flags[p] & FIN) !== 0;
}

/** Sequence space of row r: payload plus one for a SYN and one for a FIN. */
function spaceOf(flags: Uint16Array, len: Uint32Array, r: number): number {
  const f = flags[r];
  return len[r] + (f & SYN ? 1 : 0) + (f & FIN ? 1 : 0);
}

export function wirePass(table: SegmentTable, tracks: Tracks, rowConn: Int32Array): WirePass {
  const n = table.length;
  const rowDir = new Uint8Array(n);
  const rowKind = new Uint8Array(n);
  const deliverAt = new Int32Array(n).fill(NEVER);
  const deliverInferred = new Uint8Array(n);
  const rstCheck = new Map<number, RstCheck>();
  const senders = tracks.count * 2;
  const C = new SenderColumns(senders);
  // The next row with the same sender's FIN, plus one (0: none; never filled, so pages of rows
  // without FINs are never touched).
  const nextFin = new Int32Array(n);
  const side = (ci: number, dir: number): SenderWire => new SenderWire(C, 2 * ci + dir, nextFin);
  const w: WirePass = { rowDir, rowKind, deliverAt, deliverInferred, rstCheck, columns: C, side };
  // One function per pass over the rows (see assignRows in tracker.ts for why).
  senderRows(table, tracks.clientEp, rowConn, w, nextFin);
  settleUnacknowledged(C, deliverAt, deliverInferred);
  if (rstCheck.size > 0) deferRstsInFlight(table.flags, tracks, rowConn, rowDir, rstCheck, deliverAt);
  return w;
}

/** Which segment acknowledges which, per row (-1: none); see {@link ackLinks}. */
export interface AckLinks {
  /** The row whose ACK first covers all of this row's sequence space. */
  ackedBy: Int32Array;
  /** The last row of the peer's that this row's ACK newly covers. */
  acks: Int32Array;
}

/**
 * What each ACK newly covers in the other direction (rows are mostly acknowledged in order): per
 * sender, its rows not acknowledged yet are a list in row order, and each of the peer's ACKs
 * takes from its head the rows it covers. No state depends on it (hovers and the ladder read it),
 * so the analysis makes it when first asked for (`Analysis.ackedBy`, `Analysis.acks`).
 */
export function ackLinks(table: SegmentTable, rowConn: Int32Array, rowDir: Uint8Array, connections: number): AckLinks {
  const n = rowConn.length;
  const ackedBy = new Int32Array(n).fill(-1);
  const acks = new Int32Array(n).fill(-1);
  // Per sender (2 * connection + direction): the first and last of its rows not acknowledged yet.
  const head = new Int32Array(2 * connections).fill(-1);
  const tail = new Int32Array(2 * connections).fill(-1);
  // The next row of the same list, written when a row joins it.
  const next = new Int32Array(n);
  const { flags, seq, ack, len } = table;
  for (let r = 0; r < n; r++) {
    const ci = rowConn[r];
    if (ci < 0) continue;
    const k = 2 * ci + rowDir[r];
    const f = flags[r];
    if (f & ACK) {
      const p = k ^ 1;
      const a = ack[r];
      let u = head[p];
      if (u >= 0) {
        while (u >= 0 && seqGe(a, seqAdd(seq[u], spaceOf(flags, len, u)))) {
          ackedBy[u] = r;
          acks[r] = u;
          u = next[u];
        }
        head[p] = u;
        if (u < 0) tail[p] = -1;
      }
    }
    if (spaceOf(flags, len, r) > 0 && !(f & RST)) {
      const t = tail[k];
      next[r] = -1;
      if (t < 0) head[k] = r;
      else next[t] = r;
      tail[k] = r;
    }
  }
  return { ackedBy, acks };
}

/**
 * A RST at exactly the receiver's RCV.NXT resets it on arrival, and a reset TCP sends nothing more
 * on the connection (RFC 9293 3.10.7.4). So when the receiver's own segments (other than RSTs)
 * still follow it in the capture, the RST was in flight until after the last of them: they were
 * sent before it arrived (kernel fixture 37: the client aborts while the server's data is on its
 * way; the server closes only when the RST reaches it). The sender's later RSTs, behind it on the
 * same path, arrive after it. In-window and out-of-window RSTs are the replay's to judge (a
 * challenge ACK, or ignored) and keep their arrival.
 */
function deferRstsInFlight(flags: Uint16Array, tracks: Tracks, rowConn: Int32Array, rowDir: Uint8Array, rstCheck: Map<number, RstCheck>, deliverAt: Int32Array): void {
  // Per connection: the last row each side sent that is not a RST (computed once per connection).
  const lastOwn = new Map<number, [number, number]>();
  for (const [r, check] of rstCheck) {
    if (check !== 'exact') continue;
    const ci = rowConn[r];
    if (ci < 0 || deliverAt[r] !== r) continue;
    let last = lastOwn.get(ci);
    if (last === undefined) {
      last = [-1, -1];
      for (const q of tracks.rows(ci)) if (!(flags[q] & RST)) last[rowDir[q]] = q;
      lastOwn.set(ci, last);
    }
    const x = last[1 - rowDir[r]];
    if (x <= r) continue;
    deliverAt[r] = x;
    for (const q of tracks.rows(ci)) if (q > r && q < x && rowDir[q] === rowDir[r] && flags[q] & RST && deliverAt[q] === q) deliverAt[q] = x;
  }
}

/**
 * The pass over the rows in capture order: what each sender showed (SND.NXT, its FINs, its
 * highest ACK, window), each row's kind, and the evidence for the delivery of SYN and FIN rows. Rows that carry no SYN/FIN (and RSTs) are processed by the
 * receiver on arrival; for a retransmitted SYN/FIN the first transmission carries the delivery
 * (RETRANSMITTED_CONTROL); a first transmission's delivery is settled by the evidence, or by
 * settleUnacknowledged after the pass.
 */
function senderRows(table: SegmentTable, clientEp: Int32Array, rowConn: Int32Array, w: WirePass, nextFin: Int32Array): void {
  const n = table.length;
  const { rowDir, rowKind, deliverAt, rstCheck, side, columns: C } = w;
  const { bits, isn, sndNxt, synEnd, finSeq, highestAck, wscale: wsc, lastWin, counts, rows } = C;
  const RW = SenderColumns.ROWS;
  const { src, flags, seq, ack, len, win, opts, wscale } = table;

  for (let r = 0; r < n; r++) {
    const ci = rowConn[r];
    if (ci < 0) continue;
    const dir = src[r] === clientEp[ci] ? 0 : 1;
    rowDir[r] = dir;
    const k = 2 * ci + dir; // this sender
    const p = k ^ 1; // its peer
    const f = flags[r];
    const s = seq[r];
    const l = len[r];
    const syn = (f & SYN) !== 0;
    const fin = (f & FIN) !== 0;
    const rst = (f & RST) !== 0;
    const hasAck = (f & ACK) !== 0;
    const space = l + (syn ? 1 : 0) + (fin ? 1 : 0);
    const end = seqAdd(s, space);
    const seen = (bits[k] & F_SEEN) !== 0;
    let kind = 0;

    if (rst) {
      rstCheck.set(r, checkRst(side(ci, dir), side(ci, 1 - dir), s, ack[r], hasAck));
      counts[k * 4 + C_RST]++;
    } else {
      // Keepalive (as Wireshark defines it): 0 or 1 byte at SND.NXT - 1, no SYN/FIN/RST.
      if (seen && !syn && !fin && l <= 1 && s === seqAdd(sndNxt[k], -1)) {
        kind |= KIND_KEEPALIVE;
        counts[k * 4 + C_KEEPALIVE]++;
      } else if (seen && !syn && !fin && l === 1 && s === sndNxt[k] && lastWin[p] === 0) {
        kind |= KIND_ZERO_WINDOW_PROBE;
        counts[k * 4 + C_ZWP]++;
      } else if (space > 0 && seen && seqLe(end, sndNxt[k])) {
        kind |= KIND_RETRANSMISSION;
      } else if (l > 0) {
        kind |= KIND_DATA;
      }
      if (!syn && win[r] === 0 && !(opts[r] & OPT_NO_WINDOW)) kind |= KIND_ZERO_WINDOW;
    }

    if (syn) {
      if ((bits[k] & F_SENT_SYN) === 0) {
        isn[k] = s;
        synEnd[k] = seqAdd(s, 1);
        bits[k] |= F_ISN_KNOWN | F_SENT_SYN;
      }
      if (hasAck) bits[k] |= F_SENT_SYNACK;
      rows[k * RW + R_LAST_SYN] = r;
      if (opts[r] & OPT_WSCALE) wsc[k] = wscale[r];
    }
    if (fin && !rst) {
      if ((bits[k] & F_HAS_FIN) === 0) {
        bits[k] |= F_HAS_FIN;
        finSeq[k] = seqAdd(s, l);
      }
      const tail = rows[k * RW + R_LAST_FIN];
      if (tail < 0) rows[k * RW + R_FIRST_FIN] = r;
      else nextFin[tail] = r + 1;
      rows[k * RW + R_LAST_FIN] = r;
      counts[k * 4 + C_FIN]++;
    }
    if (!rst) {
      if (!seen) {
        bits[k] |= F_SEEN;
        sndNxt[k] = end;
        if ((bits[k] & F_ISN_KNOWN) === 0 && !syn) isn[k] = seqAdd(s, -1);
      } else if (seqGt(end, sndNxt[k])) {
        sndNxt[k] = end;
      }
      // Scaled window (RFC 7323 2.3): never scaled in a SYN; scaled only when both sides offered it.
      if (opts[r] & OPT_NO_WINDOW) lastWin[k] = -1; // unknown, as before any segment
      else lastWin[k] = scaledWindow(win[r], syn, wsc[k], wsc[p]);
    }

    if (hasAck) {
      const a = ack[r];
      if ((bits[p] & F_SEEN) !== 0 && seqGt(a, sndNxt[p]) && rows[p * RW + R_UNSEEN_ACK] < 0 && !rst) rows[p * RW + R_UNSEEN_ACK] = r;
      const acked = (bits[k] & F_ACKED) !== 0;
      if (acked && a === highestAck[k] && space === 0 && !rst && !(kind & (KIND_KEEPALIVE | KIND_ZERO_WINDOW_PROBE)))
        kind |= KIND_DUP_ACK;
      if (!acked || seqGt(a, highestAck[k])) {
        highestAck[k] = a;
        bits[k] |= F_ACKED;
      }
      // Evidence for the delivery of the peer's SYN/FIN rows.
      if (!rst) {
        for (let slot = 0; slot < 2; slot++) {
          const q = rows[p * RW + R_PEND_SYN + slot];
          if (q < 0) continue;
          if (seqGe(a, seqAdd(seq[q], spaceOf(flags, len, q)))) {
            const nc = rows[p * RW + R_PEND_SYN_NC + slot];
            let at = nc >= 0 ? nc : q;
            // The receiver went on without acknowledging the FIN until after nc: what let it take the
            // FIN is the sender's first retransmission after nc when the capture shows one before this
            // ACK: the FIN again (03: both first FINs lost) or the data that fills a hole before it
            // (28: SACK answers the FIN, CLOSE-WAIT only when the hole is filled; RFC 9293 3.10.7.4:
            // a FIN is processed in sequence). Looked for in a bounded stretch of rows.
            if (slot === 1 && nc > q) {
              const ci = rowConn[q];
              const dir = rowDir[q];
              for (let f = nc + 1; f < r && f - nc <= 4096; f++) {
                if (rowConn[f] === ci && rowDir[f] === dir && rowKind[f] & KIND_RETRANSMISSION) {
                  at = f;
                  break;
                }
              }
            }
            deliverAt[q] = at;
            rows[p * RW + R_PEND_SYN + slot] = -1;
            rows[p * RW + R_PEND_SYN_NC + slot] = -1;
          } else rows[p * RW + R_PEND_SYN_NC + slot] = r;
        }
      }
    }

    if (syn && !hasAck) {
      // A SYN sent again without an ACK: its sender has not received the peer's SYN-ACK (still SYN-SENT).
      for (let slot = 0; slot < 2; slot++) {
        if (rows[p * RW + R_PEND_SYN + slot] >= 0) rows[p * RW + R_PEND_SYN_NC + slot] = r;
      }
    }
    if (space > 0 && !rst) {
      if ((syn || fin) && !(kind & KIND_RETRANSMISSION)) {
        const slot = syn ? 0 : 1;
        // A second first-transmission (a FIN whose sequence number moved) keeps the earlier evidence.
        if (rows[k * RW + R_PEND_SYN + slot] < 0 && deliverAt[r] === NEVER) {
          rows[k * RW + R_PEND_SYN + slot] = r;
          rows[k * RW + R_PEND_SYN_NC + slot] = -1;
        }
      }
    }
    rowKind[r] = kind;
    if (!(syn || fin) || rst) deliverAt[r] = r;
    else if (kind & KIND_RETRANSMISSION) deliverAt[r] = RETRANSMITTED_CONTROL;
  }
}

/**
 * SYN/FIN rows never acknowledged: received on arrival if the peer said nothing afterwards
 * (an assumption, marked inferred), never received if the peer went on without acknowledging them.
 * A FIN its sender retransmitted, with nothing at all from a peer that had not closed its own side,
 * is taken as never received: a receiver that took it would have acknowledged it, and each
 * retransmission again (RFC 9293 3.10.7.4), and would normally have closed in turn; the
 * retransmissions show the sender saw no such ACK (kernel fixture 38: every FIN lost on the way,
 * the peer still ESTABLISHED). A peer that had sent its FIN has nothing more to send in TIME-WAIT,
 * so its silence says less (kernel fixture 36 at the server: the FIN arrived, the ACKs were lost):
 * there the FIN stays received on arrival, inferred. Either way `Connection.stateNotes` says the
 * capture cannot tell.
 */
function settleUnacknowledged(C: SenderColumns, deliverAt: Int32Array, deliverInferred: Uint8Array): void {
  const rows = C.rows;
  const RW = SenderColumns.ROWS;
  const senders = C.bits.length;
  for (let k = 0; k < senders; k++) {
    for (let slot = 0; slot < 2; slot++) {
      const q = rows[k * RW + R_PEND_SYN + slot];
      if (q < 0) continue;
      if (rows[k * RW + R_PEND_SYN_NC + slot] >= 0) deliverAt[q] = NEVER;
      else if (slot === 1 && rows[k * RW + R_LAST_FIN] !== q && !(C.bits[k ^ 1] & F_HAS_FIN)) deliverAt[q] = NEVER;
      else {
        deliverAt[q] = q;
        deliverInferred[q] = 1;
      }
      rows[k * RW + R_PEND_SYN + slot] = -1;
      rows[k * RW + R_PEND_SYN_NC + slot] = -1;
    }
  }
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
  // Without the receiver's ACK or window (an RFC figure without <WND=n>) the RST cannot be checked.
  if (!peer.acked || peer.lastWin < 0) return 'unknown';
  const wnd = peer.lastWin > 0 ? peer.lastWin : 1;
  if (seqInWindow(s, peer.highestAck, wnd)) return 'in-window';
  return 'out-of-window';
}

