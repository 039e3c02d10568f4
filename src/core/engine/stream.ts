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

/** StreamOptions.sweepRows by default. */
export const DEFAULT_SWEEP_ROWS = 1 << 16;

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
export type BatchListener = (analysis: Analysis, ids: Int32Array) => void;

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
  private nextTimedSweep = Infinity;
  private sweepAt: number;
  private readonly minSweep: number;
  private readonly slack: number;
  private readonly finishable: ((id: number) => boolean) | undefined;
  /** The last sweep left a connection past its horizon because `finishable` said no. */
  private heldBack = false;
  /** Where the capture had got to for the batches being finished (their analysis's capture end). */
  private captureEnd = 0;
  readonly stats: StreamStats = { segments: 0, connections: 0, finished: 0, heldRows: 0, peakHeldRows: 0, batches: 0 };

  constructor(
    options: Partial<EngineOptions>,
    private readonly onBatch: BatchListener,
    so: StreamOptions = {},
  ) {
    this.opts = { ...DEFAULT_OPTIONS, ...options, severities: { ...options.severities } };
    this.horizons = horizonsOf(this.opts);
    this.minSweep = Math.max(1, so.sweepRows ?? DEFAULT_SWEEP_ROWS);
    this.sweepAt = this.minSweep;
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
    if (this.latest === -Infinity) this.nextTimedSweep = t + 1;
    this.clock.latest = t;
    if (t >= this.nextTimedSweep) this.sweep(false);
  }

  /** One segment, in capture order. */
  push(v: SegmentView): void {
    // A segment one second (of capture time) or more after the last sweep first finishes what it
    // left behind: a 4-tuple reused after its horizon then starts afresh instead of chaining its
    // new incarnation to one still held (a chain is only finished with its current connection).
    const vt = v.tsSec + v.tsNsec / 1e9;
    if (vt >= this.nextTimedSweep && vt > this.latest) {
      this.clock.latest = vt;
      this.sweep(false);
    }
    const r = this.held.append(v);
    const slot = this.tracker.assign(r);
    if (this.tracker.opened) {
      if (slot >= this.slotId.length) this.slotId = grownColumn(this.slotId, Math.max(slot + 1, this.slotId.length * 2));
      this.slotId[slot] = this.nextId++;
      this.stats.connections++;
    }
    if (r >= this.heldSlot.length) this.heldSlot = grownColumn(this.heldSlot, this.heldSlot.length * 2);
    this.heldSlot[r] = slot;
    const t = this.held.time(r);
    if (this.latest === -Infinity && t > -Infinity) this.nextTimedSweep = t + 1;
    if (this.clock.observe(t)) this.clock.stepBackFrame = this.held.frameName(r);
    this.stats.segments++;
    if (r + 1 > this.stats.peakHeldRows) this.stats.peakHeldRows = r + 1;
    // Sweep when the held rows doubled, or each second of capture time (a live capture that
    // trickles in through a pipe gets its connections written out while it runs).
    if (this.held.length >= this.sweepAt || this.latest >= this.nextTimedSweep) this.sweep(false);
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
    const { tracks, held, heldSlot } = this;
    const now = this.latest - this.slack;
    this.heldBack = false;
    // done[slot]: 0 when it stays held, else 1 + the batch it is finished in. A chain (the
    // current connection and its earlier incarnations still held) goes into one batch; batches
    // hold about `minSweep` rows each, so the analysis of a sweep that finishes many connections
    // at once (the end, or a gap in the capture) never holds them all.
    const rowsOf = new Int32Array(tracks.count);
    for (let r = 0; r < held.length; r++) rowsOf[heldSlot[r]]++;
    const done = new Int32Array(tracks.count);
    let batches = 0;
    let batchRows = 0;
    for (let c = 0; c < tracks.count; c++) {
      // The tuple's current connection decides for its earlier incarnations still held, which its
      // analysis reads (port reuse, TIME-WAIT taken over) and which can get no segment any more.
      if (this.slotId[c] === 0 || tracks.next[c] >= 0) continue;
      if (!all && tracks.liveAt(c, now, this.horizons)) continue;
      if (!all && this.finishable !== undefined && !this.finishable(this.slotId[c])) {
        this.heldBack = true;
        continue;
      }
      if (batches === 0 || batchRows >= this.minSweep) {
        batches++;
        batchRows = 0;
      }
      for (let p = c; p >= 0 && done[p] === 0; p = tracks.previous[p]) {
        done[p] = batches;
        batchRows += rowsOf[p];
      }
    }
    this.captureEnd = all ? this.latest : this.latest - this.slack;
    for (let b = 1; b <= batches; b++) this.finishBatch(b, done);
    if (batches > 0) {
      // The rows still held moved up, in arrival order.
      let kept = 0;
      for (let r = 0; r < held.length; r++) {
        const slot = heldSlot[r];
        if (done[slot] !== 0) continue;
        if (kept !== r) {
          held.moveRow(held, r, kept);
          heldSlot[kept] = slot;
        }
        kept++;
      }
      held.length = kept;
    }
    this.stats.heldRows = held.length;
    this.sweepAt = Math.max(this.minSweep, 2 * held.length);
    this.nextTimedSweep = this.latest + 1;
  }

  /** Analyzes and hands over the connections of batch `b` (done[slot] === b), and frees their slots. */
  private finishBatch(b: number, done: Int32Array): void {
    const { tracks, held, heldSlot } = this;
    const batch = new SegmentTable(16, held.endpoints, held.files);
    for (let r = 0; r < held.length; r++) if (done[heldSlot[r]] === b) batch.appendRow(held, r);
    const slots: number[] = [];
    for (let c = 0; c < tracks.count; c++) if (done[c] === b) slots.push(c);
    slots.sort((x, y) => this.slotId[x] - this.slotId[y]);
    const ids = new Int32Array(slots.length);
    const incarnations = new Int32Array(slots.length);
    for (let i = 0; i < slots.length; i++) {
      ids[i] = this.slotId[slots[i]];
      incarnations[i] = tracks.incarnation[slots[i]];
    }
    // Earlier incarnations first, so the tuple's tombstone is left by its current connection.
    const current = slots.filter((s) => tracks.next[s] < 0);
    for (const s of slots) if (tracks.next[s] >= 0) this.release(s);
    for (const s of current) this.release(s);
    const a = analyze(batch, this.opts, undefined, { captureEnd: this.captureEnd, ids, incarnations });
    this.stats.batches++;
    this.stats.finished += slots.length;
    this.onBatch(a, ids);
  }

  private release(slot: number): void {
    this.tracker.finish(slot);
    this.slotId[slot] = 0;
    this.tracks.next[slot] = -1;
    this.tracks.previous[slot] = -1;
  }
}
