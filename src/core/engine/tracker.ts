/**
 * Connection tracking: splits the segment table into connections. A connection is keyed by its
 * 4-tuple; a new incarnation starts when a SYN opens the tuple again after the previous connection
 * closed, was reset, or sits in TIME-WAIT, or when a SYN carries a new initial sequence number.
 *
 * Everything is kept in columns indexed by connection (no object per connection): a capture of a
 * million segments has a hundred thousand connections.
 */

import { ACK, FIN, RST, SYN, grownColumn, type Column, type EndpointTable, type SegmentTable } from '../model/segment';

/** Bits of {@link Tracks.bits}. */
const T_INFERRED = 1;
const T_CLOSING = 2;
const T_SYNACK = 4;
const T_ISN = 8;
const T_FIN_CLIENT = 16;
const T_FIN_SERVER = 32;
const T_RST = 64;
/** A segment other than the client's SYN was seen (the connection is no longer an attempt: see Horizons.attempt). */
const T_PAST_SYN = 128;

/**
 * How long a connection's 4-tuple stays its own after its last segment, in capture time: once
 * both FINs or a RST were seen, 2 MSL (TIME-WAIT is over, RFC 9293 3.6.1); otherwise the idle
 * horizon. A segment on the tuple after that quiet opens a new connection, and a connection past
 * its horizon is finished: nothing later in the capture can change it, so the streaming analysis
 * writes it out and forgets it (see stream.ts). The same rule in both modes keeps them equal.
 * Invariant: no horizon is shorter than 2 MSL. The whole-capture pass links a new incarnation to
 * the one past its horizon on the same tuple, where the stream has finished that one already; the
 * link changes no answer only because what reads it (port reuse: a tuple used again within 2 MSL)
 * never looks further back than 2 MSL.
 */
export interface Horizons {
  /** 2 MSL, seconds. */
  closed: number;
  /** Seconds of quiet after which a connection that did not close is finished. */
  idle: number;
  /**
   * The same for a connection attempt: opened by the client's SYN, nothing but its SYNs seen
   * (EngineOptions.attemptHorizonSeconds).
   */
  attempt: number;
}

export const NO_HORIZONS: Horizons = { closed: Infinity, idle: Infinity, attempt: Infinity };

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
  /** Capture time of the connection's last segment (seconds). */
  lastTime: Float64Array;
  /** Index of the next incarnation on the tuple, opened while this one was the tuple's (-1 if none). */
  next: Int32Array;
  /**
   * Connection ids when they are not index + 1: a streaming batch holds some connections of a
   * larger capture, numbered in that capture (see stream.ts).
   */
  ids: Int32Array | undefined;
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
    this.lastTime = new Float64Array(capacity);
    this.next = new Int32Array(capacity);
  }

  /** The connection's id (1-based, in order of first frame in the whole capture). */
  idOf(c: number): number {
    return this.ids !== undefined ? this.ids[c] : c + 1;
  }

  /** How long the connection's tuple stays its own after its last segment. */
  horizon(c: number, h: Horizons): number {
    const b = this.bits[c];
    if (b & T_RST || (b & (T_FIN_CLIENT | T_FIN_SERVER)) === (T_FIN_CLIENT | T_FIN_SERVER)) return h.closed;
    return (b & (T_ISN | T_PAST_SYN | T_INFERRED)) === T_ISN ? h.attempt : h.idle;
  }

  /** True when the connection can still change at capture time `t`: its horizon has not passed. */
  liveAt(c: number, t: number, h: Horizons): boolean {
    return !(t - this.lastTime[c] >= this.horizon(c, h));
  }

  /** True when client/server client/server roles were guessed (no SYN or SYN-ACK opened the connection). */
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

  open(clientEp: number, serverEp: number, inferred: boolean, isn: number, incarnation: number, previous: number, row: number, slot = -1): number {
    let c = slot;
    if (c < 0) {
      if (this.count === this.clientEp.length) this.grow();
      c = this.count++;
    }
    this.next[c] = -1;
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
    this.lastTime = g(this.lastTime);
    this.next = g(this.next);
  }
}

/**
 * The live connection of each unordered endpoint pair: an open-addressing hash table over int
 * pairs (endpoint ids are small integers), two lookups cheaper than a Map with computed keys. A
 * value below -1 is a tombstone (streaming: the tuple's connections are finished, see
 * Tracker.finish), kept with the capture time of the tuple's last segment; tombstones at or before
 * `stale` are dropped when the table would grow (see Tracker.restarts).
 */
class PairTable {
  /** Slot i: slots[4i..4i+2] = lo, hi, the value (lo -1: empty); one cache line holds four slots, so a lookup reads one line, not one per column. */
  private slots: Int32Array;
  /** Slot i's time (tombstones only). */
  private t: Float64Array;
  private count = 0;
  /** Tombstones whose time is at or before this are dropped when the table would grow. */
  stale = -Infinity;
  /** The time kept with the tombstone the last `get` found. */
  time = 0;

  /** @param expected About how many pairs it will have (its slots are made that many at once). */
  constructor(expected = 256) {
    let n = 1024;
    while (n < 2 * expected) n *= 2;
    this.slots = PairTable.empty(n);
    this.t = new Float64Array(n);
  }

  private static empty(n: number): Int32Array {
    const slots = new Int32Array(4 * n);
    for (let i = 0; i < slots.length; i += 4) slots[i] = -1;
    return slots;
  }

  get size(): number {
    return this.count;
  }

  /** Slot of the pair (lo, hi): its value, or -1 (and the slot where it would go) when absent. */
  private slot(lo: number, hi: number): number {
    const slots = this.slots;
    const mask = (slots.length >> 2) - 1;
    let i = (Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi + 1, 0x85ebca6b)) >>> 0;
    i = (i ^ (i >>> 16)) & mask;
    for (;;) {
      const x = slots[4 * i];
      if (x === -1 || (x === lo && slots[4 * i + 1] === hi)) return i;
      i = (i + 1) & mask;
    }
  }

  /** The pair's value (a tombstone's time in `time`), or -1. */
  get(lo: number, hi: number): number {
    const i = this.slot(lo, hi);
    if (this.slots[4 * i] === -1) return -1;
    const v = this.slots[4 * i + 2];
    if (v < -1) this.time = this.t[i];
    return v;
  }

  set(lo: number, hi: number, value: number, time = 0): void {
    const i = this.slot(lo, hi);
    const slots = this.slots;
    slots[4 * i + 2] = value;
    this.t[i] = time;
    if (slots[4 * i] === -1) {
      slots[4 * i] = lo;
      slots[4 * i + 1] = hi;
      if (++this.count * 2 > slots.length >> 2) this.rehash();
    }
  }

  /** Every pair in the table with its value and time. */
  forEach(f: (lo: number, hi: number, value: number, time: number) => void): void {
    const { slots, t } = this;
    for (let i = 0; i < t.length; i++) if (slots[4 * i] !== -1) f(slots[4 * i], slots[4 * i + 1], slots[4 * i + 2], t[i]);
  }

  /** A stale tombstone of slot i of `slots`/`t`: dropped when the table would grow. */
  private dropped(slots: Int32Array, t: Float64Array, i: number): boolean {
    return slots[4 * i + 2] < -1 && t[i] <= this.stale;
  }

  /** Half full: the pairs again without the stale tombstones, in twice the slots unless those were many. */
  private rehash(): void {
    const { slots: old, t: oldT } = this;
    const m = oldT.length;
    let kept = 0;
    for (let j = 0; j < m; j++) if (old[4 * j] !== -1 && !this.dropped(old, oldT, j)) kept++;
    const n = kept * 4 <= m ? m : m * 2;
    this.slots = PairTable.empty(n);
    this.t = new Float64Array(n);
    this.count = kept;
    for (let j = 0; j < m; j++) {
      if (old[4 * j] === -1 || this.dropped(old, oldT, j)) continue;
      const i = this.slot(old[4 * j], old[4 * j + 1]);
      this.slots.set(old.subarray(4 * j, 4 * j + 3), 4 * i);
      this.t[i] = oldT[j];
    }
  }
}

/**
 * Tombstones by the 4-tuple's addresses and ports, not by endpoint ids: those of the tuples of the
 * connections finished before the streaming analysis moved its endpoints to a new table (ids
 * renumbered, the endpoints no connection uses any more dropped: see stream.ts), so that a tuple
 * used again later still continues its count. Each with the capture time of the tuple's last
 * segment: tombstones at or before `stale` (quiet for the idle horizon, after which the count
 * starts again: Tracker.restarts) are dropped when the table would grow. IPv4 tuples in an
 * open-addressing table (24 bytes a slot, up to three quarters full), others by text.
 */
class TupleTombs {
  /** Slot i: slots[4i..4i+3] = the lower endpoint's address, the higher one's, their ports (low 16 bits: the lower's), the tombstone (0: empty); times[i]: its time. */
  private slots = new Int32Array(4 * 1024);
  private times = new Float64Array(1024);
  private v4Count = 0;
  private readonly other = new Map<string, { tomb: number; time: number }>();
  /** The size of `other` after its stale tombstones were last dropped. */
  private otherKept = 0;
  /** Tombstones whose time is at or before this are dropped when the table would grow. */
  stale = -Infinity;
  /** The time of the tombstone the last `get` found. */
  time = 0;

  get size(): number {
    return this.v4Count + this.other.size;
  }

  /** The tombstone of the tuple of endpoints lo and hi of `eps` (its time in `time`), or -1 when there is none. */
  get(eps: EndpointTable, lo: number, hi: number): number {
    const k = this.key(eps, lo, hi);
    if (typeof k === 'string') {
      const x = this.other.get(k);
      if (x === undefined) return -1;
      this.time = x.time;
      return x.tomb;
    }
    const i = this.find();
    if (i < 0) return -1;
    this.time = this.times[i];
    return this.slots[4 * i + 3];
  }

  set(eps: EndpointTable, lo: number, hi: number, tombstone: number, time: number): void {
    const k = this.key(eps, lo, hi);
    if (typeof k === 'string') {
      this.other.set(k, { tomb: tombstone, time });
      if (this.other.size >= 2 * Math.max(1024, this.otherKept)) this.pruneOther();
      return;
    }
    let i = this.find();
    this.times[i < 0 ? -i - 1 : i] = time;
    if (i < 0) {
      i = -i - 1;
      this.slots[4 * i] = this.ka;
      this.slots[4 * i + 1] = this.kb;
      this.slots[4 * i + 2] = this.kp;
      this.slots[4 * i + 3] = tombstone;
      // Fuller than the tables of live tuples (three quarters, not half): a tuple is looked up here
      // once per connection opened, not per segment.
      if (++this.v4Count * 4 > this.times.length * 3) this.rehash();
      return;
    }
    this.slots[4 * i + 3] = tombstone;
  }

  // The IPv4 key made by key(): addresses and ports, the lower endpoint first.
  private ka = 0;
  private kb = 0;
  private kp = 0;

  /** The tuple's text key, or true when it is IPv4 (its key in ka, kb, kp). */
  private key(eps: EndpointTable, lo: number, hi: number): string | true {
    const pa = eps.v4Port1(lo) - 1;
    const pb = eps.v4Port1(hi) - 1;
    if (pa >= 0 && pb >= 0) {
      const ax = eps.v4Address(lo) >>> 0;
      const bx = eps.v4Address(hi) >>> 0;
      const aFirst = ax < bx || (ax === bx && pa <= pb);
      this.ka = aFirst ? ax | 0 : bx | 0;
      this.kb = aFirst ? bx | 0 : ax | 0;
      this.kp = aFirst ? pa | (pb << 16) : pb | (pa << 16);
      return true;
    }
    const a = eps.get(lo);
    const b = eps.get(hi);
    const sa = `${a.ipVersion}|${a.addr}|${a.port}`;
    const sb = `${b.ipVersion}|${b.addr}|${b.port}`;
    return sa < sb ? `${sa} ${sb}` : `${sb} ${sa}`;
  }

  /** The slot of the key in ka, kb, kp, or -(the empty slot where it would go) - 1. */
  private find(): number {
    const slots = this.slots;
    const mask = this.times.length - 1;
    const { ka, kb, kp } = this;
    let i = (Math.imul(ka, 0x9e3779b1) ^ Math.imul(kb, 0x85ebca6b) ^ Math.imul(kp, 0xc2b2ae35)) >>> 0;
    i = (i ^ (i >>> 15)) & mask;
    for (;;) {
      if (slots[4 * i + 3] === 0) return -i - 1;
      if (slots[4 * i] === ka && slots[4 * i + 1] === kb && slots[4 * i + 2] === kp) return i;
      i = (i + 1) & mask;
    }
  }

  /** The IPv4 tombstones again without the stale ones, in twice the slots unless those were many (then at most half full). */
  private rehash(): void {
    const { slots: old, times: oldTimes, stale } = this;
    let kept = 0;
    for (let j = 0; j < oldTimes.length; j++) if (old[4 * j + 3] !== 0 && oldTimes[j] > stale) kept++;
    const n = kept * 2 <= oldTimes.length ? oldTimes.length : oldTimes.length * 2;
    this.slots = new Int32Array(4 * n);
    this.times = new Float64Array(n);
    this.v4Count = kept;
    for (let j = 0; j < oldTimes.length; j++) {
      if (old[4 * j + 3] === 0 || oldTimes[j] <= stale) continue;
      this.ka = old[4 * j];
      this.kb = old[4 * j + 1];
      this.kp = old[4 * j + 2];
      const i = -this.find() - 1;
      this.slots.set(old.subarray(4 * j, 4 * j + 4), 4 * i);
      this.times[i] = oldTimes[j];
    }
  }

  private pruneOther(): void {
    for (const [k, x] of this.other) if (x.time <= this.stale) this.other.delete(k);
    this.otherKept = this.other.size;
  }
}

export function trackConnections(table: SegmentTable, horizons: Horizons = NO_HORIZONS): { tracks: Tracks; rowConn: Int32Array } {
  const n = table.length;
  const rowConn = new Int32Array(n).fill(-1);
  const tracks = new Tracks(256);
  const count = assignRows(new Tracker(table, tracks, horizons), rowConn);
  groupRows(tracks, rowConn, count);
  return { tracks, rowConn };
}

/*
 * Each pass over the rows is a function of its own: V8 optimizes a long-running loop on the fly
 * (on-stack replacement) and compiles the whole function around it, so code after the loop, not
 * yet run, would make that code bail out and start over in the interpreter when it is reached.
 */

/** Assigns every row to its connection (rowConn); returns the number of rows of each connection. */
function assignRows(tracker: Tracker, rowConn: Int32Array): Int32Array {
  const n = rowConn.length;
  let count = new Int32Array(256);
  for (let r = 0; r < n; r++) {
    const ci = tracker.assign(r);
    if (ci >= count.length) count = grownColumn(count, count.length * 2);
    count[ci]++;
    rowConn[r] = ci;
  }
  return count;
}

/**
 * The connection tracker: which connection each row belongs to, one row at a time. The whole
 * capture's analysis runs it over the table (trackConnections); the streaming analysis runs the
 * same tracker as segments arrive (stream.ts), recycling the slots of finished connections and
 * leaving a tombstone (how many incarnations the tuple had) where a finished connection was.
 */
export class Tracker {
  private live = new PairTable();
  /** Tombstones of tuples whose endpoints were dropped from the table (streaming only: see rebase). */
  private readonly tombs = new TupleTombs();
  /** Slots of finished connections, for reuse (streaming only). */
  private free: number[] = [];
  /** True when the last assign() opened a connection. */
  opened = false;
  private expiredAt = -Infinity;

  /**
   * Streaming only: connections whose horizon passed by this capture time are finished (the
   * capture's clock less the stream's slack), whether or not a sweep has handed them over yet: a
   * segment on their 4-tuple opens a new connection that does not chain to them, as after their
   * tombstone. So which connections a stream analyzes together depends on the capture alone, not on
   * when its sweeps ran. -Infinity: never. No segment earlier than this is expected any more, so
   * the tombstones of tuples quiet for the idle horizon by then are dropped (see `restarts`).
   */
  get expired(): number {
    return this.expiredAt;
  }

  set expired(x: number) {
    if (x === this.expiredAt) return;
    this.expiredAt = x;
    const stale = x - this.horizons.idle;
    this.live.stale = this.tombs.stale = Number.isNaN(stale) ? -Infinity : stale;
  }

  /** The 4-tuples remembered: those of connections held, and the tombstones of finished ones (streaming). */
  get tuples(): number {
    return this.live.size + this.tombs.size;
  }

  /**
   * The incarnation of a connection opened on a 4-tuple whose latest connection was the `prior`-th
   * and had its last segment at `time`: the next, unless the tuple was quiet for the idle horizon,
   * after which its count starts again (1). So the stream need not remember every tuple ever
   * finished: a tombstone quiet for the idle horizon says no more than no tombstone.
   */
  private restarts(prior: number, time: number, t: number): number {
    return t - time >= this.horizons.idle ? 1 : prior + 1;
  }

  constructor(
    readonly table: SegmentTable,
    readonly tracks: Tracks,
    readonly horizons: Horizons,
  ) {}

  /** The connection (slot) of row r of the table; opens a new one where the rules say. */
  assign(r: number): number {
    const { table, tracks } = this;
    const s = table.src[r];
    const d = table.dst[r];
    const f = table.flags[r];
    const t = table.tsSec[r] + table.tsNsec[r] / 1e9;
    const lo = s < d ? s : d;
    const hi = s < d ? d : s;
    let ci = this.live.get(lo, hi);
    let tombTime = this.live.time;
    if (ci === -1 && this.tombs.size > 0) {
      ci = this.tombs.get(table.endpoints, lo, hi);
      tombTime = this.tombs.time;
    }
    let incarnation = 1;
    this.opened = false;
    if (ci < -1) {
      // A tombstone (-(the next incarnation)): the tuple's connections so far are finished; this row starts the next one.
      incarnation = this.restarts(-ci - 1, tombTime, t);
      ci = -1;
    } else if (ci >= 0 && !tracks.liveAt(ci, this.expiredAt, this.horizons)) {
      // Finished by the stream's clock, not handed over yet: the same as its tombstone.
      incarnation = this.restarts(tracks.incarnation[ci], tracks.lastTime[ci], t);
      ci = -1;
    }
    if (ci >= 0) {
      if (!tracks.liveAt(ci, t, this.horizons)) ci = this.openAfter(r, ci, lo, hi, t);
      else if ((f & (SYN | ACK | RST)) === SYN) {
        const bits = tracks.bits[ci];
        const sameClient = tracks.clientEp[ci] === s;
        const isnKnown = (bits & T_ISN) !== 0;
        const closing = (bits & T_CLOSING) !== 0;
        // A retransmitted SYN (same ISN) or the peer's SYN of a simultaneous open stays in the connection.
        const retransmission = sameClient && isnKnown && tracks.clientIsn[ci] === table.seq[r];
        const simultaneousOpen = !sameClient && !closing && isnKnown && (bits & T_SYNACK) === 0;
        if (!retransmission && !simultaneousOpen && (closing || !isnKnown || tracks.clientIsn[ci] !== table.seq[r] || !sameClient))
          ci = this.openAfter(r, ci, lo, hi, t);
      }
    }
    if (ci < 0) {
      ci = this.open(r, incarnation, -1);
      this.live.set(lo, hi, ci);
    }
    tracks.lastRow[ci] = r;
    if (t > tracks.lastTime[ci]) tracks.lastTime[ci] = t;
    if (f & (FIN | RST)) tracks.bits[ci] |= T_CLOSING | (f & RST ? T_RST : tracks.clientEp[ci] === s ? T_FIN_CLIENT : T_FIN_SERVER);
    if ((f & (SYN | ACK)) === (SYN | ACK)) tracks.bits[ci] |= T_SYNACK;
    if ((f & (SYN | ACK)) !== SYN || s !== tracks.clientEp[ci]) tracks.bits[ci] |= T_PAST_SYN;
    return ci;
  }

  /**
   * The connection in `slot` is finished: its slot may be reused, and its tuple remembers how many
   * incarnations it had (the next connection on it continues the count). Streaming only.
   */
  finish(slot: number): void {
    const tracks = this.tracks;
    if (tracks.next[slot] < 0) {
      const s = tracks.clientEp[slot];
      const lo = s < tracks.serverEp[slot] ? s : tracks.serverEp[slot];
      const hi = s < tracks.serverEp[slot] ? tracks.serverEp[slot] : s;
      // Unless its tuple already has a newer connection (opened after it expired, see `expired`).
      if (this.live.get(lo, hi) === slot) this.live.set(lo, hi, -(tracks.incarnation[slot] + 1), tracks.lastTime[slot]);
    }
    this.free.push(slot);
  }

  /**
   * The table's endpoints were moved to a new table (streaming only, stream.ts): `map[id]` is the
   * new id of the endpoint `id` of `old`, -1 when no connection held uses it; `open` connections
   * are held. The live tuples are keyed by their new ids; the tombstones by their addresses and
   * ports (TupleTombs), so that the endpoints of finished connections need not be kept; the stale
   * ones are dropped (an older tombstone of the same tuple there, if any, is staler still).
   */
  rebase(old: EndpointTable, map: Int32Array, open: number): void {
    const live = new PairTable(open);
    live.stale = this.live.stale;
    this.live.forEach((lo, hi, v, time) => {
      if (v < -1) {
        if (time > live.stale) this.tombs.set(old, lo, hi, v, time);
      } else if (v >= 0) {
        const a = map[lo];
        const b = map[hi];
        if (a < 0 || b < 0) throw new Error(`internal: connection ${v}'s endpoints were dropped`);
        live.set(a < b ? a : b, a < b ? b : a, v);
      }
    });
    this.live = live;
  }

  /** A new incarnation on the tuple of `prev`, opened by row r (at capture time t). */
  private openAfter(r: number, prev: number, lo: number, hi: number, t: number): number {
    const ci = this.open(r, this.restarts(this.tracks.incarnation[prev], this.tracks.lastTime[prev], t), prev);
    this.tracks.next[prev] = ci;
    this.live.set(lo, hi, ci);
    return ci;
  }

  /**
   * Opens a connection at row r. Guesses the client of a connection seen without its handshake:
   * the side with the higher port is taken as the client (ephemeral ports are high); on a tie, the
   * sender of the first segment.
   */
  private open(r: number, incarnation: number, previous: number): number {
    const { table, tracks } = this;
    const slot = this.free.length > 0 ? this.free.pop()! : -1;
    const f = table.flags[r];
    const s = table.src[r];
    const d = table.dst[r];
    let c: number;
    if ((f & (SYN | ACK)) === SYN) c = tracks.open(s, d, false, table.seq[r], incarnation, previous, r, slot);
    // The SYN was not captured, but a SYN-ACK is always sent by the passive side.
    else if ((f & (SYN | ACK)) === (SYN | ACK)) c = tracks.open(d, s, false, -1, incarnation, previous, r, slot);
    else {
      const sp = table.endpoints.get(s).port;
      const dp = table.endpoints.get(d).port;
      c = sp >= dp ? tracks.open(s, d, true, -1, incarnation, previous, r, slot) : tracks.open(d, s, true, -1, incarnation, previous, r, slot);
    }
    tracks.lastTime[c] = -Infinity;
    this.opened = true;
    return c;
  }
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
 * A batch's connections as the streaming analysis's tracker found them (stream.ts), given to the
 * batch's analysis instead of tracking its rows again: per connection of the batch (in id order),
 * what the tracker decided when it opened it and what its rows added, and per row its connection.
 */
export interface AssignedTracks {
  /** Per row of the batch's table: its connection's position. */
  rowConn: Int32Array;
  clientEp: Int32Array;
  serverEp: Int32Array;
  clientIsn: Uint32Array;
  bits: Uint8Array;
  /** Positions of the previous and next incarnations on the tuple in the batch, -1 if none. */
  previous: Int32Array;
  next: Int32Array;
}

/** The Tracks of a table whose rows were assigned already (see AssignedTracks): rows grouped, first/last rows and times. */
export function assignedTracks(table: SegmentTable, a: AssignedTracks, incarnation: Int32Array, ids: Int32Array): { tracks: Tracks; rowConn: Int32Array } {
  const m = a.clientEp.length;
  const tracks = new Tracks(0);
  tracks.count = m;
  tracks.clientEp = a.clientEp;
  tracks.serverEp = a.serverEp;
  tracks.clientIsn = a.clientIsn;
  tracks.bits = a.bits;
  tracks.previous = a.previous;
  tracks.next = a.next;
  tracks.incarnation = incarnation;
  tracks.ids = ids;
  tracks.firstRow = new Int32Array(m).fill(-1);
  tracks.lastRow = new Int32Array(m);
  tracks.lastTime = new Float64Array(m).fill(-Infinity);
  const count = rowsSeen(table, a.rowConn, tracks);
  groupRows(tracks, a.rowConn, count);
  return { tracks, rowConn: a.rowConn };
}

/** First and last rows and the last time of each connection; returns the rows of each. */
function rowsSeen(table: SegmentTable, rowConn: Int32Array, tracks: Tracks): Int32Array {
  const count = new Int32Array(tracks.count);
  const { firstRow, lastRow, lastTime } = tracks;
  for (let r = 0; r < rowConn.length; r++) {
    const c = rowConn[r];
    if (firstRow[c] < 0) firstRow[c] = r;
    lastRow[c] = r;
    const t = table.time(r);
    if (t > lastTime[c]) lastTime[c] = t;
    count[c]++;
  }
  return count;
}
