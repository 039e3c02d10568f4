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
import { grownColumn, SegmentTable, type SegmentView } from '../model/segment';
import { analyze, DEFAULT_OPTIONS, horizonsOf } from './engine';
import { Tracker, Tracks, type Horizons } from './tracker';
import type { Analysis, EngineOptions } from './types';

export interface StreamOptions {
  /** Rows held before the first sweep for finished connections (then twice what a sweep kept). */
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
   * Whether a connection (by its id here) may be finished yet, beside its horizon: a shard of the
   * sharded analysis holds a connection until it knows its id in the whole capture, so that a
   * batch is written as soon as it is analyzed. Holding a connection longer changes no answer.
   */
  finishable?: (id: number) => boolean;
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
  /** Rows held now, and at most. */
  heldRows: number;
  peakHeldRows: number;
  batches: number;
}

/**
 * Connections handed over: `analysis.connections` are finished ones, in id order. `ids` is the
 * array the analysis reads their ids from (see BatchContext): a caller that numbers connections
 * over a larger capture (the sharded analysis: each shard numbers its own) may overwrite it, in
 * the same order, before reading anything from the analysis.
 */
export type BatchListener = (analysis: Analysis, ids: Int32Array, order: BatchOrder) => void;

/**
 * The order in which a batch's connections are written (`--format jsonl`), which depends on the
 * capture alone, not on when sweeps ran nor on the number of shards: connections sorted by the
 * time their chain was finished, its **key** (the capture time at which the horizon of the chain's
 * current connection passed: `Tracks.lastTime + Tracks.horizon`), then by the id of the chain's
 * current connection, then by their own id. A sweep finishes every chain whose key is behind the
 * capture's clock less the slack, so the sweeps of one stream hand over connections in this order,
 * batch after batch; the sharded analysis merges its shards' lines by it (`watermark`).
 */
export interface BatchOrder {
  /** Positions in `analysis.connections` (and `ids`), in the order to write them. */
  at: Int32Array;
  /** Per position: its chain's key. */
  key: Float64Array;
  /** Per position: the position of its chain's current connection. */
  chain: Int32Array;
}

/**
 * The capture's clock as the streaming analysis sees it: the latest timestamp so far, and the
 * largest step back (a segment older than one already seen: captures merged from several
 * interfaces). The sharded analysis keeps one on the main thread, which sees every segment, so
 * its warning is the one-thread analysis's.
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
  private readonly finishable: ((id: number) => boolean) | undefined;
  /** The last sweep left a connection past its horizon because `finishable` said no. */
  private heldBack = false;
  /** Where the capture had got to for the batches being finished (their analysis's capture end). */
  private captureEnd = 0;
  /**
   * Every connection whose chain's key (see BatchOrder) is below this was handed over: the clock
   * of the last sweep less the slack, or the key of a chain `finishable` held back; Infinity after
   * the end.
   */
  watermark = -Infinity;
  readonly stats: StreamStats = { segments: 0, connections: 0, finished: 0, heldRows: 0, peakHeldRows: 0, batches: 0 };

  constructor(
    options: Partial<EngineOptions>,
    private readonly onBatch: BatchListener,
    so: StreamOptions = {},
  ) {
    this.opts = { ...DEFAULT_OPTIONS, ...options, severities: { ...options.severities } };
    this.horizons = horizonsOf(this.opts);
    this.minSweep = Math.max(1, so.sweepRows ?? DEFAULT_SWEEP_ROWS);
    this.slack = so.slackSeconds ?? 10;
    this.clock = new CaptureClock(this.slack);
    this.finishable = so.finishable;
    this.held = new SegmentTable(Math.min(this.minSweep, 1 << 16), undefined, so.files);
    this.tracker = new Tracker(this.held, this.tracks, this.horizons);
  }

  private get latest(): number {
    return this.clock.latest;
  }

  /**
   * The capture got to time t without a segment for this analysis (a shard of the sharded
   * analysis is told where the whole capture is before each of its segments, and at its end):
   * connections whose horizon passed are finished as if it had seen the other shards' segments.
   */
  advance(t: number): void {
    if (!(t > this.latest)) return;
    this.clock.latest = t;
    if (t >= this.nextTick) this.tick();
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
    const r = this.held.append(v);
    this.tracker.expired = this.expired;
    const slot = this.tracker.assign(r);
    if (this.tracker.opened) {
      if (slot >= this.slotId.length) this.slotId = grownColumn(this.slotId, Math.max(slot + 1, this.slotId.length * 2));
      this.slotId[slot] = this.nextId++;
      this.stats.connections++;
    }
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

  /** Finishes what the last sweep held back for `finishable` (call when its answer may have changed). */
  retry(): void {
    if (this.heldBack) this.sweep(false);
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
    this.heldBack = false;
    let watermark = all ? Infinity : now;
    // The chains to finish (by their current connection: its earlier incarnations still held,
    // which its analysis reads, can get no segment any more), in BatchOrder: key, then id.
    // A chain `finishable` holds back holds back every chain after it in BatchOrder too, so that
    // connections are handed over in that order.
    const key = new Float64Array(tracks.count);
    let heads: number[] = [];
    let stopKey = Infinity;
    let stopId = 0;
    for (let c = 0; c < tracks.count; c++) {
      if (slotId[c] === 0 || tracks.next[c] >= 0) continue;
      if (!all && tracks.liveAt(c, now, this.horizons)) continue;
      const k = tracks.lastTime[c] + tracks.horizon(c, this.horizons);
      key[c] = k;
      if (!all && this.finishable !== undefined && !this.finishable(slotId[c])) {
        this.heldBack = true;
        if (k < stopKey || (k === stopKey && slotId[c] < stopId)) {
          stopKey = k;
          stopId = slotId[c];
        }
        continue;
      }
      heads.push(c);
    }
    if (this.heldBack) {
      heads = heads.filter((c) => key[c] < stopKey || (key[c] === stopKey && slotId[c] < stopId));
      if (stopKey < watermark) watermark = stopKey;
    }
    this.captureEnd = all ? this.latest : this.latest - this.slack;
    if (heads.length > 0) this.finish(heads, key);
    this.watermark = watermark;
  }

  /** Finishes the chains of `heads` (their current connections; `key`: per slot, their keys). */
  private finish(heads: number[], key: Float64Array): void {
    const { tracks, held, heldSlot, slotId } = this;
    heads.sort((x, y) => key[x] - key[y] || slotId[x] - slotId[y]);
    // done[slot]: 0 when it stays held, else the batch it is finished in (1-based); chain[slot]:
    // its chain's current connection; `order`: the slots in BatchOrder (chains in `heads` order,
    // each from its first incarnation on), so batch after batch. Batches hold about `minSweep` rows
    // each, so the analysis of a sweep that finishes many connections at once (the end, or a gap
    // in the capture) never holds them all.
    const rowsOf = new Int32Array(tracks.count);
    for (let r = 0; r < held.length; r++) rowsOf[heldSlot[r]]++;
    const done = new Int32Array(tracks.count);
    const chain = new Int32Array(tracks.count);
    const order: number[] = [];
    const slotStart = [0, 0];
    let batches = 0;
    let batchRows = 0;
    for (const c of heads) {
      if (batches === 0 || batchRows >= this.minSweep) {
        batches++;
        batchRows = 0;
        slotStart[batches] = order.length;
      }
      const from = order.length;
      for (let p = c; p >= 0 && done[p] === 0; p = tracks.previous[p]) {
        done[p] = batches;
        chain[p] = c;
        key[p] = key[c];
        batchRows += rowsOf[p];
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
    const finishedRows = this.finishBatches(batches, done, rowsOf);
    for (let b = 1; b <= batches; b++) this.finishBatch(this.batchRows(b), order.slice(slotStart[b], slotStart[b + 1]), key, chain);
    this.batchRowList = new Int32Array(0);
    // The rows still held moved up, in arrival order.
    const keep = new Int32Array(held.length - finishedRows);
    let kept = 0;
    for (let r = 0; r < held.length; r++) {
      const slot = heldSlot[r];
      if (done[slot] !== 0) continue;
      heldSlot[kept] = slot;
      keep[kept++] = r;
    }
    held.length = 0;
    held.appendRows(held, keep);
    this.stats.heldRows = held.length;
  }

  /** The held rows of each batch being finished (batchRows), grouped by batch. */
  private batchRowList = new Int32Array(0);
  private batchRowStart = new Int32Array(0);

  private batchRows(b: number): Int32Array {
    return this.batchRowList.subarray(this.batchRowStart[b], this.batchRowStart[b + 1]);
  }

  /**
   * Groups the held rows of batches 1..batches (done[slot] = batch) by batch, in one pass (a
   * counting sort, arrival order kept within a batch), not one scan per batch: a gap in the capture
   * finishes thousands of connections in dozens of batches at once. Returns the number of rows.
   */
  private finishBatches(batches: number, done: Int32Array, rowsOf: Int32Array): number {
    const { tracks, held, heldSlot } = this;
    const rowStart = new Int32Array(batches + 2);
    for (let c = 0; c < tracks.count; c++) if (done[c] !== 0) rowStart[done[c] + 1] += rowsOf[c];
    for (let b = 1; b <= batches; b++) rowStart[b + 1] += rowStart[b];
    const rowList = new Int32Array(rowStart[batches + 1]);
    const rowAt = rowStart.slice();
    for (let r = 0; r < held.length; r++) {
      const b = done[heldSlot[r]];
      if (b !== 0) rowList[rowAt[b]++] = r;
    }
    this.batchRowList = rowList;
    this.batchRowStart = rowStart;
    return rowList.length;
  }

  /**
   * Analyzes and hands over the connections in `slots` (in BatchOrder; their held rows: `rows`, in
   * arrival order), and frees their slots.
   */
  private finishBatch(rows: Int32Array, slots: number[], key: Float64Array, chainOf: Int32Array): void {
    const { tracks, held, slotId } = this;
    const batch = new SegmentTable(rows.length, held.endpoints, held.files);
    batch.appendRows(held, rows);
    const n = slots.length;
    // The analysis numbers connections in id order (first frame): ids sorted, positions found by
    // search. (A loop, not Int32Array.from with a mapping function: that took ~1.3 s of CPU at 8x.)
    const ids = new Int32Array(n);
    for (let k = 0; k < n; k++) ids[k] = slotId[slots[k]];
    ids.sort();
    const positionOf = (slot: number): number => {
      const id = slotId[slot];
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ids[mid] < id) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const incarnations = new Int32Array(n);
    const at = new Int32Array(n);
    const keys = new Float64Array(n);
    const chain = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const s = slots[k];
      const i = positionOf(s);
      at[k] = i;
      incarnations[i] = tracks.incarnation[s];
      keys[i] = key[s];
      chain[i] = positionOf(chainOf[s]);
    }
    // Earlier incarnations first, so the tuple's tombstone is left by its current connection.
    for (const s of slots) if (tracks.next[s] >= 0) this.release(s);
    for (const s of slots) if (slotId[s] !== 0) this.release(s);
    const a = analyze(batch, this.opts, undefined, { captureEnd: this.captureEnd, ids, incarnations });
    this.stats.batches++;
    this.stats.finished += n;
    this.onBatch(a, ids, { at, key: keys, chain });
  }

  private release(slot: number): void {
    this.tracker.finish(slot);
    this.slotId[slot] = 0;
    this.tracks.next[slot] = -1;
    this.tracks.previous[slot] = -1;
  }
}
