/**
 * Connection tracking: splits the segment table into connections. A connection is keyed by its
 * 4-tuple; a new incarnation starts when a SYN opens the tuple again after the previous connection
 * closed, was reset, or sits in TIME-WAIT, or when a SYN carries a new initial sequence number.
 *
 * Everything is kept in columns indexed by connection (no object per connection): a capture of a
 * million segments has a hundred thousand connections.
 */

import { ACK, FIN, RST, SYN, grownColumn, type Column, type SegmentTable } from '../model/segment';

/** Bits of {@link Tracks.bits}. */
const T_INFERRED = 1;
const T_CLOSING = 2;
const T_SYNACK = 4;
const T_ISN = 8;

/** The connections found by {@link trackConnections}, as columns indexed by connection (0-based). */
export class Tracks {
  count = 0;
  clientEp: Int32Array;
  serverEp: Int32Array;
  /** n-th connection on its 4-tuple (1-based). */
  incarnation: Int32Array;
  /** Index of the previous incarnation on the tuple, -1 if none. */
  previous: Int32Array;
  firstRow: Int32Array;
  lastRow: Int32Array;
  /** Client ISN when a SYN was seen (see isnKnown). */
  clientIsn: Uint32Array;
  bits: Uint8Array;
  /** The rows of connection c are rowList[rowStart[c] .. rowStart[c + 1]), in source order. */
  rowStart: Int32Array = new Int32Array(1);
  rowList: Int32Array = new Int32Array(0);

  constructor(capacity = 256) {
    this.clientEp = new Int32Array(capacity);
    this.serverEp = new Int32Array(capacity);
    this.incarnation = new Int32Array(capacity);
    this.previous = new Int32Array(capacity);
    this.firstRow = new Int32Array(capacity);
    this.lastRow = new Int32Array(capacity);
    this.clientIsn = new Uint32Array(capacity);
    this.bits = new Uint8Array(capacity);
  }

  /** True when client/server roles were guessed (no SYN or SYN-ACK opened the connection). */
  rolesInferred(c: number): boolean {
    return (this.bits[c] & T_INFERRED) !== 0;
  }

  /** The connection's rows, in source order (a view, not a copy). */
  rows(c: number): Int32Array {
    return this.rowList.subarray(this.rowStart[c], this.rowStart[c + 1]);
  }

  rowCount(c: number): number {
    return this.rowStart[c + 1] - this.rowStart[c];
  }

  /** Index of `row` within its connection's rows, -1 if it is not one of them. */
  indexOfRow(c: number, row: number): number {
    const start = this.rowStart[c];
    const end = this.rowStart[c + 1];
    for (let i = start; i < end; i++) if (this.rowList[i] === row) return i - start;
    return -1;
  }

  open(clientEp: number, serverEp: number, inferred: boolean, isn: number, incarnation: number, previous: number, row: number): number {
    if (this.count === this.clientEp.length) this.grow();
    const c = this.count++;
    this.clientEp[c] = clientEp;
    this.serverEp[c] = serverEp;
    this.incarnation[c] = incarnation;
    this.previous[c] = previous;
    this.firstRow[c] = row;
    this.lastRow[c] = row;
    this.clientIsn[c] = isn < 0 ? 0 : isn;
    this.bits[c] = (inferred ? T_INFERRED : 0) | (isn < 0 ? 0 : T_ISN);
    return c;
  }

  private grow(): void {
    const n = this.clientEp.length * 2;
    const g = <T extends Column>(a: T): T => grownColumn(a, n);
    this.clientEp = g(this.clientEp);
    this.serverEp = g(this.serverEp);
    this.incarnation = g(this.incarnation);
    this.previous = g(this.previous);
    this.firstRow = g(this.firstRow);
    this.lastRow = g(this.lastRow);
    this.clientIsn = g(this.clientIsn);
    this.bits = g(this.bits);
  }
}

/**
 * The live connection of each unordered endpoint pair: an open-addressing hash table over int
 * pairs (endpoint ids are small integers), two lookups cheaper than a Map with computed keys.
 */
class PairTable {
  private a = new Int32Array(1024).fill(-1);
  private b = new Int32Array(1024);
  private v = new Int32Array(1024);
  private size = 0;

  /** Slot of the pair (lo, hi): its value, or -1 (and the slot where it would go) when absent. */
  private slot(lo: number, hi: number): number {
    const mask = this.a.length - 1;
    let i = (Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi + 1, 0x85ebca6b)) >>> 0;
    i = (i ^ (i >>> 16)) & mask;
    for (;;) {
      const x = this.a[i];
      if (x === -1 || (x === lo && this.b[i] === hi)) return i;
      i = (i + 1) & mask;
    }
  }

  get(lo: number, hi: number): number {
    const i = this.slot(lo, hi);
    return this.a[i] === -1 ? -1 : this.v[i];
  }

  set(lo: number, hi: number, value: number): void {
    const i = this.slot(lo, hi);
    if (this.a[i] === -1) {
      this.a[i] = lo;
      this.b[i] = hi;
      if (++this.size * 2 > this.a.length) {
        this.v[i] = value;
        this.rehash();
        return;
      }
    }
    this.v[i] = value;
  }

  private rehash(): void {
    const { a, b, v } = this;
    this.a = new Int32Array(a.length * 2).fill(-1);
    this.b = new Int32Array(a.length * 2);
    this.v = new Int32Array(a.length * 2);
    for (let j = 0; j < a.length; j++) {
      if (a[j] === -1) continue;
      const i = this.slot(a[j], b[j]);
      this.a[i] = a[j];
      this.b[i] = b[j];
      this.v[i] = v[j];
    }
  }
}

export function trackConnections(table: SegmentTable): { tracks: Tracks; rowConn: Int32Array } {
  const n = table.length;
  const rowConn = new Int32Array(n).fill(-1);
  const tracks = new Tracks(256);
  const count = assignRows(table, tracks, rowConn);
  groupRows(tracks, rowConn, count);
  return { tracks, rowConn };
}

/*
 * Each pass over the rows is a function of its own: V8 optimizes a long-running loop on the fly
 * (on-stack replacement) and compiles the whole function around it, so code after the loop, not
 * yet run, would make that code bail out and start over in the interpreter when it is reached.
 */

/** Assigns every row to its connection (rowConn); returns the number of rows of each connection. */
function assignRows(table: SegmentTable, tracks: Tracks, rowConn: Int32Array): Int32Array {
  const n = table.length;
  const live = new PairTable();
  const { src, dst, flags, seq } = table;
  let count = new Int32Array(256);
  for (let r = 0; r < n; r++) {
    const s = src[r];
    const d = dst[r];
    const f = flags[r];
    const lo = s < d ? s : d;
    const hi = s < d ? d : s;
    let ci = live.get(lo, hi);
    if (ci >= 0 && (f & (SYN | ACK | RST)) === SYN) {
      const bits = tracks.bits[ci];
      const sameClient = tracks.clientEp[ci] === s;
      const isnKnown = (bits & T_ISN) !== 0;
      const closing = (bits & T_CLOSING) !== 0;
      // A retransmitted SYN (same ISN) or the peer's SYN of a simultaneous open stays in the connection.
      const retransmission = sameClient && isnKnown && tracks.clientIsn[ci] === seq[r];
      const simultaneousOpen = !sameClient && !closing && isnKnown && (bits & T_SYNACK) === 0;
      if (!retransmission && !simultaneousOpen && (closing || !isnKnown || tracks.clientIsn[ci] !== seq[r] || !sameClient)) {
        ci = open(table, tracks, r, tracks.incarnation[ci] + 1, ci);
        live.set(lo, hi, ci);
      }
    }
    if (ci < 0) {
      ci = open(table, tracks, r, 1, -1);
      live.set(lo, hi, ci);
    }
    if (ci >= count.length) count = grownColumn(count, count.length * 2);
    count[ci]++;
    tracks.lastRow[ci] = r;
    rowConn[r] = ci;
    if (f & (FIN | RST)) tracks.bits[ci] |= T_CLOSING;
    if ((f & (SYN | ACK)) === (SYN | ACK)) tracks.bits[ci] |= T_SYNACK;
  }
  return count;
}

/** Rows grouped by connection (counting sort, stable: source order within a connection). */
function groupRows(tracks: Tracks, rowConn: Int32Array, count: Int32Array): void {
  const m = tracks.count;
  const start = prefixSums(count, m);
  const cursor = count; // reused as the fill position of each connection
  cursor.set(start.subarray(0, m));
  tracks.rowStart = start;
  tracks.rowList = fillRows(rowConn, cursor, start[m]);
}

/** start[c] = the sum of count[0..c-1], for c = 0..m. */
function prefixSums(count: Int32Array, m: number): Int32Array {
  const start = new Int32Array(m + 1);
  for (let c = 0; c < m; c++) start[c + 1] = start[c] + count[c];
  return start;
}

/** The rows in connection order, each connection's from its cursor on. */
function fillRows(rowConn: Int32Array, cursor: Int32Array, total: number): Int32Array {
  const list = new Int32Array(total);
  for (let r = 0; r < rowConn.length; r++) {
    const c = rowConn[r];
    if (c >= 0) list[cursor[c]++] = r;
  }
  return list;
}

/**
 * Guesses the client of a connection seen without its handshake: the side with the higher port is
 * taken as the client (ephemeral ports are high); on a tie, the sender of the first segment.
 */
function open(table: SegmentTable, tracks: Tracks, r: number, incarnation: number, previous: number): number {
  const f = table.flags[r];
  const s = table.src[r];
  const d = table.dst[r];
  if ((f & (SYN | ACK)) === SYN) return tracks.open(s, d, false, table.seq[r], incarnation, previous, r);
  // The SYN was not captured, but a SYN-ACK is always sent by the passive side.
  if ((f & (SYN | ACK)) === (SYN | ACK)) return tracks.open(d, s, false, -1, incarnation, previous, r);
  const sp = table.endpoints.get(s).port;
  const dp = table.endpoints.get(d).port;
  return sp >= dp
    ? tracks.open(s, d, true, -1, incarnation, previous, r)
    : tracks.open(d, s, true, -1, incarnation, previous, r);
}
