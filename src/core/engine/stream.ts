/**
 * The streaming analysis: segments are pushed one at a time (from a decoder), and a connection is
 * analyzed, handed over and forgotten as soon as nothing later in the capture can change it, so
 * memory follows the connections open at once, not the packets.
 *
 * It is the same engine, not a second one: the tracker (tracker.ts) assigns each segment to its
 * connection as it arrives, with the same rules the whole-capture analysis applies; a connection
 * is finished once its horizon passed in capture time (2 MSL after its last segment once it closed,
 * the idle horizon otherwise: the rule by which a later segment on its 4-tuple would open a new
 * connection anyway). Finished connections (with the earlier incarnations on their tuple that are
 * still held, which a new incarnation's analysis reads) are copied into a small table and run
 * through `analyze()` itself, told where the capture had got to and the connections' ids and
 * incarnations in the whole capture. So every answer equals the whole-capture analysis's;
 * stream.test.ts holds the two equal on every fixture and on random traces.
 */
import { EndpointTable, grownColumn, SegmentTable, type SegmentView } from '../model/segment';
import { analyze, DEFAULT_OPTIONS, horizonsOf, type BatchContext } from './engine';
import { Tracker, Tracks, type Horizons } from './tracker';
import type { Analysis, EngineOptions } from './types';

export interface StreamOptions {
  /** Rows per batch of finished connections, about (a chain is never split). */
  sweepRows?: number;
  /**
   * Seconds a connection's horizon must be behind the latest timestamp before it is finished:
   * room for timestamps that step back (captures merged from several interfaces). A step back by
   * more than this is reported (see `warnings`), as the two analyses may then differ.
   */
  slackSeconds?: number;
  /** The names of the capture files merged into the stream, when there are several (`SegmentTable.files`). */
  files?: readonly string[];
  /**
   * Where each batch of finished connections goes before its analysis (the parallel analysis sends
   * it to a worker thread, which runs `analyzeBatch` on it); without one, `analyzeBatch` runs here
   * and the listener gets its analysis. Either way batches come in the same order, with the same
   * rows and context.
   */
  runBatch?: (batch: PreparedBatch) => void;
  /**
   * With `runBatch`: the held rows live in shared memory (SharedArrayBuffer columns) and a batch
   * is given as its rows there (`PreparedBatch.rows`), for the taker to copy on its own thread
   * (`batchTable`). `copied()` tells how many of the batches given so far were copied; rows that
   * were given are moved (the held rows compacted) only once every batch given was copied, and
   * when rows must be moved before that, `waitCopied(n)` blocks until n were. `hurry(true)`: a
   * compaction is due and waits for copies (the takers should copy what they were given at once,
   * not when they come to it); `hurry(false)`: it was done.
   */
  sharedRows?: { copied(): number; waitCopied(n: number): void; hurry(on: boolean): void };
  /**
   * The held rows' endpoints move to a new table (the ones no connection held uses dropped) when
   * the table has at least this many and twice as many as connections held (see
   * `rebaseEndpoints`). Default 2^16; tests make it small to move them often.
   */
  minEndpoints?: number;
}

/**
 * StreamOptions.sweepRows by default. 2^17 rather than 2^16 (measured, 8x --summary alternating:
 * 6.3-6.5 s against 6.9 s, CPU 7.4-7.8 against 8.3-8.5 s; 2^18 no faster and 50 MiB more).
 */
export const DEFAULT_SWEEP_ROWS = 1 << 17;

export interface StreamStats {
  segments: number;
  /** Connections seen so far, and how many of them were finished and handed over. */
  connections: number;
  finished: number;
  /** Rows of unfinished connections held now; rows the held table took at most (finished ones not compacted away yet included). */
  heldRows: number;
  peakHeldRows: number;
  batches: number;
  /** Endpoints in the held rows' table now, and how many times the ones in use moved to a new table. */
  endpoints: number;
  endpointMoves: number;
  /**
   * 4-tuples the tracker remembers now: those of the connections held and the tombstones of
   * finished ones (how many connections each had), dropped after the idle horizon of quiet.
   */
  tuples: number;
}

/** Connections handed over: `analysis.connections` are finished ones, in id order; `order`: the order to write them in. */
export type BatchListener = (analysis: Analysis, order: BatchOrder) => void;

/**
 * The order in which a batch's connections are written (`--format jsonl`), which depends on the
 * capture alone, not on when sweeps ran nor on the number of threads: connections sorted by the
 * time their chain was finished, its **key** (the capture time at which the horizon of the chain's
 * current connection passed: `Tracks.lastTime + Tracks.horizon`), then by the id of the chain's
 * current connection, then by their own id. A sweep finishes every chain whose key is behind the
 * capture's clock less the slack, so the sweeps of one stream hand over connections in this order,
 * batch after batch.
 */
export interface BatchOrder {
  /** Positions in `analysis.connections` (and `ids`), in the order to write them. */
  at: Int32Array;
}

/**
 * A batch of finished connections ready for the engine: their rows copied into a table of their
 * own, and what `analyze()` needs to answer as the whole-capture analysis does (BatchContext).
 */
export interface PreparedBatch {
  /** The batch's rows; with `rows`, the stream's held table, of which the batch is those rows. */
  table: SegmentTable;
  /** With `StreamOptions.sharedRows`: the batch's rows in `table` (in arrival order), to copy. */
  rows?: Int32Array;
  context: BatchContext;
  order: BatchOrder;
}

/** The batch's own table: its rows copied out of the held table when it came as rows (`PreparedBatch.rows`). */
export function batchTable(b: PreparedBatch): SegmentTable {
  if (b.rows === undefined) return b.table;
  const t = new SegmentTable(b.rows.length, b.table.endpoints, b.table.files);
  t.appendRows(b.table, b.rows);
  return t;
}

/**
 * A batch's own table, its rows copied out of the held table when it came as rows, and the copy
 * counted in `copied` ([0], waiters on it woken: see `StreamOptions.sharedRows`).
 */
export function copyBatch(b: PreparedBatch, copied: Int32Array | undefined): SegmentTable {
  const table = batchTable(b);
  if (b.rows !== undefined && copied !== undefined) {
    Atomics.add(copied, 0, 1);
    Atomics.notify(copied, 0);
  }
  return table;
}

/** The analysis of a prepared batch (its rows copied first if need be): `analyze()` itself, on whichever thread. */
export function analyzeBatch(b: PreparedBatch, options: Partial<EngineOptions>): Analysis {
  return analyze(batchTable(b), options, undefined, b.context);
}

/**
 * The capture's clock as the streaming analysis sees it: the latest timestamp so far, and the
 * largest step back (a segment older than one already seen: captures merged from several
 * interfaces).
 */
export class CaptureClock {
  latest = -Infinity;
  private maxStepBack = 0;
  /** The frame of the largest step back (set by the caller when observe() says so). */
  stepBackFrame = '';

  constructor(readonly slack: number) {}

  /** A segment at capture time t; true when it steps back further than any before (name its frame in stepBackFrame). */
  observe(t: number): boolean {
    if (t > this.latest) this.latest = t;
    else if (this.latest - t > this.maxStepBack) {
      this.maxStepBack = this.latest - t;
      return true;
    }
    return false;
  }

  get warnings(): string[] {
    if (this.maxStepBack <= this.slack) return [];
    return [
      `timestamps step back by up to ${this.maxStepBack.toFixed(3)} s (frame ${this.stepBackFrame}), more than the streaming analysis allows for (${this.slack} s): a connection finished before that frame may have been split from a later segment`,
    ];
  }
}

export class StreamingAnalysis {
  private readonly opts: EngineOptions;
  private readonly horizons: Horizons;
  /** The rows of the connections not finished yet, in arrival order. */
  private readonly held: SegmentTable;
  private heldSlot = new Int32Array(1024);
  private readonly tracks = new Tracks(256);
  private readonly tracker: Tracker;
  /** Per slot: the connection's id in the capture (0 when the slot is free). */
  private slotId = new Int32Array(256);
  /**
   * Per slot: its connection's held rows (counted as they come, so that finishing a few connections
   * does not count every held row: on a steady capture the held rows are a minute of traffic, and
   * connections are finished every second).
   */
  private slotRows = new Int32Array(256);
  private nextId = 1;
  private readonly clock: CaptureClock;
  /**
   * The capture's clock ticks each time it passes a whole second (of capture time): then connections
   * whose horizon is behind the tick less the slack (`expired`) are finished. Ticks depend on the
   * timestamps alone, so which connections are finished by the time a segment comes does too.
   */
  private nextTick = -Infinity;
  private expired = -Infinity;
  private readonly minSweep: number;
  private readonly slack: number;
  private readonly runBatch: ((batch: PreparedBatch) => void) | undefined;
  private readonly sharedRows: StreamOptions['sharedRows'];
  /**
   * Held rows of finished connections not moved out yet (their heldSlot is -1): the held rows are
   * compacted when at least half are dead (so a row is moved a few times at most, not at every
   * sweep), once every batch given as rows was copied (`sharedRows`).
   */
  private dead = 0;
  /** A compaction waits for the batches given to be copied, their takers told to hurry (`sharedRows.hurry`). */
  private hurried = false;
  /** Batches given as their held rows (`sharedRows`), so far. */
  private given = 0;
  /** Where the capture had got to for the batches being finished (their analysis's capture end). */
  private captureEnd = 0;
  private readonly minEndpoints: number;
  /** The endpoints moved to the held rows' table when it was made (see rebaseEndpoints). */
  private endpointsMoved = 0;
  readonly stats: StreamStats = { segments: 0, connections: 0, finished: 0, heldRows: 0, peakHeldRows: 0, batches: 0, endpoints: 0, endpointMoves: 0, tuples: 0 };

  constructor(
    options: Partial<EngineOptions>,
    private readonly onBatch: BatchListener,
    so: StreamOptions = {},
  ) {
    this.opts = { ...DEFAULT_OPTIONS, ...options, severities: { ...options.severities } };
    this.horizons = horizonsOf(this.opts);
    this.minSweep = Math.max(1, so.sweepRows ?? DEFAULT_SWEEP_ROWS);
    this.slack = so.slackSeconds ?? 10;
    this.minEndpoints = so.minEndpoints ?? 1 << 16;
    this.clock = new CaptureClock(this.slack);
    this.runBatch = so.runBatch;
    this.sharedRows = so.runBatch !== undefined ? so.sharedRows : undefined;
    this.held = new SegmentTable(Math.min(this.minSweep, 1 << 16), undefined, so.files, this.sharedRows !== undefined);
    this.tracker = new Tracker(this.held, this.tracks, this.horizons);
  }

  private get latest(): number {
    return this.clock.latest;
  }

  /** One segment, in capture order. */
  push(v: SegmentView): void {
    // A segment that takes the clock past a whole second first finishes what expired by then: a
    // 4-tuple reused after its horizon then starts afresh instead of chaining its new incarnation
    // to one still held (a chain is only finished with its current connection).
    const vt = v.tsSec + v.tsNsec / 1e9;
    if (vt >= this.nextTick && vt > this.latest) {
      this.clock.latest = vt;
      this.tick();
    }
    // A full table whose dead rows are a quarter or more is compacted rather than grown.
    if (this.held.length === this.held.capacity && this.dead * 4 >= this.held.length && this.dead > 0) this.compact(true);
    // With shared rows, a compaction a sweep had to leave for later (batches given and not copied
    // yet, which their takers were told to hurry) is tried again at each segment (a shared
    // counter read) until done: rows appended meanwhile go past the dead ones into memory not
    // touched yet, and fill the table.
    else if (this.hurried) this.compact(false);
    const r = this.held.append(v);
    this.tracker.expired = this.expired;
    const slot = this.tracker.assign(r);
    if (this.tracker.opened) {
      if (slot >= this.slotId.length) this.growSlots(Math.max(slot + 1, this.slotId.length * 2));
      this.slotId[slot] = this.nextId++;
      this.slotRows[slot] = 0;
      this.stats.connections++;
    }
    this.slotRows[slot]++;
    if (r >= this.heldSlot.length) this.heldSlot = grownColumn(this.heldSlot, this.heldSlot.length * 2);
    this.heldSlot[r] = slot;
    if (this.clock.observe(vt)) this.clock.stepBackFrame = this.held.frameName(r);
    this.stats.segments++;
    if (r + 1 > this.stats.peakHeldRows) this.stats.peakHeldRows = r + 1;
  }

  /**
   * The clock passed a whole second: what expired by the second less the slack is finished (a live
   * capture that trickles in through a pipe gets its connections written out while it runs).
   */
  private tick(): void {
    const second = Math.floor(this.latest);
    this.nextTick = second + 1;
    this.expired = second - this.slack;
    this.sweep(false);
  }

  /** The end of the capture: every connection still held is finished. */
  end(): void {
    this.sweep(true);
  }

  /** Notes for the user about the stream (timestamps that stepped back beyond the slack). */
  get warnings(): string[] {
    return this.clock.warnings;
  }

  /** Finishes the connections whose horizon passed (all of them at the end). */
  private sweep(all: boolean): void {
    const { tracks, slotId } = this;
    const now = this.expired;
    // The chains to finish (by their current connection: its earlier incarnations still held,
    // which its analysis reads, can get no segment any more), in BatchOrder: key, then id.
    const key = this.slotKey;
    const heads: number[] = [];
    for (let c = 0; c < tracks.count; c++) {
      if (slotId[c] === 0 || tracks.next[c] >= 0) continue;
      if (!all && tracks.liveAt(c, now, this.horizons)) continue;
      key[c] = tracks.lastTime[c] + tracks.horizon(c, this.horizons);
      heads.push(c);
    }
    this.captureEnd = all ? this.latest : this.latest - this.slack;
    if (heads.length > 0) this.finish(heads, key);
    // Tried at every sweep (with shared rows, the batches given at an earlier one may have been
    // copied since), but the last: no row comes after it.
    if (!all && this.dead > 0 && this.dead * 2 >= this.held.length) this.compact(false);
    this.stats.heldRows = this.held.length - this.dead;
    this.stats.endpoints = this.held.endpoints.size;
    this.stats.tuples = this.tracker.tuples;
  }

  /** Finishes the chains of `heads` (their current connections; `key`: per slot, their keys). */
  private finish(heads: number[], key: Float64Array): void {
    const { tracks, slotId, slotRows: rowsOf } = this;
    heads.sort((x, y) => key[x] - key[y] || slotId[x] - slotId[y]);
    // done[slot]: 0 when it stays held, else the batch it is finished in (1-based); `order`: the
    // slots in BatchOrder (chains in `heads` order, each from its first incarnation on), so batch
    // after batch. Batches hold about `minSweep` rows each, so the analysis of a sweep that
    // finishes many connections at once (the end, or a gap in the capture) never holds them all.
    const done = this.slotDone;
    const order: number[] = [];
    const slotStart = [0, 0];
    let batches = 0;
    let batchRows = 0;
    // The held rows of the connections finished lie between the first row of one and the last of
    // another (in a steady capture, among the oldest): only those are read.
    let firstRow = this.held.length;
    let lastRow = -1;
    for (const c of heads) {
      if (batches === 0 || batchRows >= this.minSweep) {
        batches++;
        batchRows = 0;
        slotStart[batches] = order.length;
      }
      const from = order.length;
      for (let p = c; p >= 0 && done[p] === 0; p = tracks.previous[p]) {
        done[p] = batches;
        batchRows += rowsOf[p];
        if (tracks.firstRow[p] < firstRow) firstRow = tracks.firstRow[p];
        if (tracks.lastRow[p] > lastRow) lastRow = tracks.lastRow[p];
        order.push(p);
      }
      // Walked from the current connection back: its earlier incarnations go first.
      for (let i = from, j = order.length - 1; i < j; i++, j--) {
        const x = order[i];
        order[i] = order[j];
        order[j] = x;
      }
    }
    slotStart[batches + 1] = order.length;
    // Each batch's connections numbered first (slotPosition), so that the one pass over the held
    // rows that groups them by batch also gives each row its connection's position.
    const ids: Int32Array[] = [];
    for (let b = 1; b <= batches; b++) ids[b] = this.numberBatch(order, slotStart[b], slotStart[b + 1]);
    this.dead += this.finishBatches(batches, order, done, rowsOf, firstRow, lastRow);
    for (let b = 1; b <= batches; b++) this.finishBatch(this.batchRows(b), this.batchRowConns(b), order.slice(slotStart[b], slotStart[b + 1]), ids[b]);
    for (const p of order) done[p] = 0;
    this.batchRowList = new Int32Array(0);
    this.batchRowConn = new Int32Array(0);
  }

  /**
   * The ids of the connections in order[from, to) (a batch), in id order, which is the order the
   * analysis numbers them in (first frame); each one's position in it is set in slotPosition.
   */
  private numberBatch(order: number[], from: number, to: number): Int32Array {
    const { slotId, slotPosition: position } = this;
    const n = to - from;
    // The ids sorted with each one's index in the batch in the low bits (one numeric sort of
    // doubles, no comparator), so each connection's position is read, not searched (exact: ids
    // below 2^31 times at most 2^22 connections in a batch stay below 2^53).
    const ids = new Int32Array(n);
    const spread = 2 ** Math.ceil(Math.log2(n + 1));
    const sorted = new Float64Array(n);
    for (let k = 0; k < n; k++) sorted[k] = slotId[order[from + k]] * spread + k;
    sorted.sort();
    for (let i = 0; i < n; i++) {
      const k = sorted[i] % spread;
      ids[i] = (sorted[i] - k) / spread;
      position[order[from + k]] = i;
    }
    return ids;
  }

  /**
   * The rows still held moved up, in arrival order, over the dead ones; with shared rows, only once
   * every batch given was copied out of them (`force`: waits for that, else leaves it for later).
   */
  private compact(force: boolean): void {
    const { held, heldSlot, sharedRows } = this;
    if (sharedRows !== undefined && sharedRows.copied() < this.given) {
      if (!force) {
        if (!this.hurried) sharedRows.hurry(true);
        this.hurried = true;
        return;
      }
      sharedRows.waitCopied(this.given);
    }
    if (this.hurried) {
      sharedRows!.hurry(false);
      this.hurried = false;
    }
    const keep = new Int32Array(held.length - this.dead);
    const { firstRow, lastRow } = this.tracks;
    let kept = 0;
    for (let r = 0; r < held.length; r++) {
      const slot = heldSlot[r];
      if (slot < 0) continue;
      // The connection's first and last held rows follow (a row moves up: it cannot meet a later one's old number).
      if (firstRow[slot] === r) firstRow[slot] = kept;
      if (lastRow[slot] === r) lastRow[slot] = kept;
      heldSlot[kept] = slot;
      keep[kept++] = r;
    }
    held.length = 0;
    held.appendRows(held, keep);
    this.dead = 0;
    this.rebaseEndpoints();
  }

  /**
   * Endpoints (an address and a port) are interned for the held rows as they come and are not freed
   * one by one; a busy server's clients come from ever new endpoints, and a table of every endpoint
   * ever seen would grow with the capture, not with the connections open at once. So once the table
   * has at least `minEndpoints`, twice as many as the connections held (each uses two, one of them
   * usually shared with others) and twice as many as it was made with (each move at least halves
   * it), the endpoints those connections use move to a new table: the held rows, the tracks and
   * the tracker's tuples take their new ids, and the tracker keeps the tombstones of finished
   * tuples by their addresses and ports (Tracker.rebase). Only right after a compaction: every
   * held row is then a held connection's, and every batch given as rows was copied out already (a
   * batch's table keeps the table it was made with).
   */
  private rebaseEndpoints(): void {
    const { held, tracks, slotId } = this;
    const old = held.endpoints;
    const size = old.size;
    const open = this.stats.connections - this.stats.finished;
    if (size < this.minEndpoints || size < 2 * this.endpointsMoved || size < 2 * open) return;
    const next = new EndpointTable(open);
    const map = new Int32Array(size).fill(-1);
    const moved = (id: number): number => (map[id] >= 0 ? map[id] : (map[id] = next.internEndpoint(old, id)));
    for (let c = 0; c < tracks.count; c++) {
      if (slotId[c] === 0) continue;
      tracks.clientEp[c] = moved(tracks.clientEp[c]);
      tracks.serverEp[c] = moved(tracks.serverEp[c]);
    }
    const { src, dst } = held;
    for (let r = 0; r < held.length; r++) {
      src[r] = moved(src[r]);
      dst[r] = moved(dst[r]);
    }
    this.tracker.rebase(old, map, open);
    held.endpoints = next;
    this.endpointsMoved = next.size;
    this.stats.endpointMoves++;
  }

  /** The held rows of each batch being finished (batchRows), grouped by batch. */
  private batchRowList = new Int32Array(0);
  /** Per row of batchRowList: its connection's position in its batch (see numberBatch). */
  private batchRowConn = new Int32Array(0);
  private batchRowStart = new Int32Array(0);
  // Per slot, scratch kept from sweep to sweep (a sweep runs at every second of a capture): only
  // the entries of the connections finished are written and read. The chain's key (see BatchOrder);
  // 0, or while a sweep finishes it, its batch (1-based); its position in the batch being finished.
  private slotKey = new Float64Array(256);
  private slotDone = new Int32Array(256);
  private slotPosition = new Int32Array(256);

  /** Every per-slot column grown to n slots (a slot is below slotId.length). */
  private growSlots(n: number): void {
    this.slotId = grownColumn(this.slotId, n);
    this.slotRows = grownColumn(this.slotRows, n);
    this.slotKey = grownColumn(this.slotKey, n);
    this.slotDone = grownColumn(this.slotDone, n);
    this.slotPosition = grownColumn(this.slotPosition, n);
  }

  private batchRows(b: number): Int32Array {
    return this.batchRowList.subarray(this.batchRowStart[b], this.batchRowStart[b + 1]);
  }

  /** Batch b's rowConn (a buffer of its own: it may be sent to another thread). */
  private batchRowConns(b: number): Int32Array {
    return this.batchRowConn.slice(this.batchRowStart[b], this.batchRowStart[b + 1]);
  }

  /**
   * Groups the held rows of batches 1..batches (done[slot] = batch) by batch, in one pass over held
   * rows firstRow..lastRow, where they are (a counting sort, arrival order kept within a batch), not
   * one scan per batch: a gap in the capture finishes thousands of connections in dozens of batches
   * at once, each with its connection's position in its batch (slotPosition); marks those rows
   * dead. Returns the number of rows.
   */
  private finishBatches(batches: number, slots: number[], done: Int32Array, rowsOf: Int32Array, firstRow: number, lastRow: number): number {
    const { heldSlot, slotPosition: position } = this;
    const rowStart = new Int32Array(batches + 2);
    for (const c of slots) rowStart[done[c] + 1] += rowsOf[c];
    for (let b = 1; b <= batches; b++) rowStart[b + 1] += rowStart[b];
    const rowList = new Int32Array(rowStart[batches + 1]);
    const rowConn = new Int32Array(rowList.length);
    const rowAt = rowStart.slice();
    for (let r = firstRow; r <= lastRow; r++) {
      const slot = heldSlot[r];
      if (slot < 0) continue;
      const b = done[slot];
      if (b === 0) continue;
      rowConn[rowAt[b]] = position[slot];
      rowList[rowAt[b]++] = r;
      heldSlot[r] = -1;
    }
    // Every row counted was found (the counts and the first and last rows kept as rows came and moved).
    for (let b = 1; b <= batches; b++) if (rowAt[b] !== rowStart[b + 1]) throw new Error(`internal: batch ${b} found ${rowAt[b] - rowStart[b]} of its ${rowStart[b + 1] - rowStart[b]} held rows`);
    this.batchRowList = rowList;
    this.batchRowConn = rowConn;
    this.batchRowStart = rowStart;
    return rowList.length;
  }

  /**
   * Analyzes and hands over the connections in `slots` (in BatchOrder; their held rows: `rows`, in
   * arrival order, and each row's connection: `rowConn`, its position in `ids`, the connections'
   * ids in id order), and frees their slots.
   */
  private finishBatch(rows: Int32Array, rowConn: Int32Array, slots: number[], ids: Int32Array): void {
    const { tracks, held, slotId } = this;
    // With shared rows the taker copies them (on its thread); else they are copied here.
    let batch = held;
    if (this.sharedRows === undefined) {
      batch = new SegmentTable(rows.length, held.endpoints, held.files);
      batch.appendRows(held, rows);
    }
    const n = slots.length;
    const position = this.slotPosition;
    const incarnations = new Int32Array(n);
    const at = new Int32Array(n);
    const assigned = {
      rowConn,
      clientEp: new Int32Array(n),
      serverEp: new Int32Array(n),
      clientIsn: new Uint32Array(n),
      bits: new Uint8Array(n),
      previous: new Int32Array(n),
      next: new Int32Array(n),
    };
    for (let k = 0; k < n; k++) {
      const s = slots[k];
      const i = position[s];
      at[k] = i;
      incarnations[i] = tracks.incarnation[s];
      assigned.clientEp[i] = tracks.clientEp[s];
      assigned.serverEp[i] = tracks.serverEp[s];
      assigned.clientIsn[i] = tracks.clientIsn[s];
      assigned.bits[i] = tracks.bits[s];
      // A chain is finished whole: an earlier or later incarnation still linked is in this batch.
      assigned.previous[i] = tracks.previous[s] >= 0 ? position[tracks.previous[s]] : -1;
      assigned.next[i] = tracks.next[s] >= 0 ? position[tracks.next[s]] : -1;
    }
    // Earlier incarnations first, so the tuple's tombstone is left by its current connection.
    for (const s of slots) if (tracks.next[s] >= 0) this.release(s);
    for (const s of slots) if (slotId[s] !== 0) this.release(s);
    const prepared: PreparedBatch = { table: batch, context: { captureEnd: this.captureEnd, ids, incarnations, tracks: assigned }, order: { at } };
    if (this.sharedRows !== undefined) {
      prepared.rows = rows.slice();
      this.given++;
    }
    this.stats.batches++;
    this.stats.finished += n;
    if (this.runBatch !== undefined) this.runBatch(prepared);
    else this.onBatch(analyzeBatch(prepared, this.opts), prepared.order);
  }

  private release(slot: number): void {
    this.tracker.finish(slot);
    this.slotId[slot] = 0;
    this.tracks.next[slot] = -1;
    this.tracks.previous[slot] = -1;
  }
}
