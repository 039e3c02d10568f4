/**
 * The streaming analysis on every core: connections sharded over worker threads by a hash of
 * their 4-tuple that is the same in both directions (core/model/segmentBatch.ts `shardOf`), so a
 * connection, and every incarnation of its 4-tuple, is analyzed by one shard. Each shard runs the
 * ONE engine, `StreamingAnalysis` (shardWorker.ts); this thread decodes, packs segments into
 * transferred buffers (`SegmentBatch`: no object per segment) and merges what the shards write.
 *
 * The answers do not depend on the number of shards:
 * - the clock: each record carries the capture's latest timestamp before it (over every shard),
 *   and a shard advances its analysis to it before pushing the segment, so a connection is finished
 *   against the whole capture's clock, and the last batches against the whole capture's end;
 * - ids: a shard numbers its connections in its own first-frame order and reports, per batch, the
 *   capture index of each connection's first segment; this thread merges those reports in capture
 *   order (once every shard has reported every segment up to a point) into ids in first-frame
 *   order over the whole capture, and sends each shard the ids of its connections. A shard keeps
 *   a finished batch's analysis until it knows the ids in it, writes them into the analysis's id
 *   array (`BatchListener`), and only then writes the connections' text (ids appear in findings'
 *   sentences: port reuse names the earlier connection, which is on the same 4-tuple, so the same
 *   shard);
 * - the timestamps' step back is measured here, on every segment in order (`CaptureClock`);
 * - chains: a connection past its horizon by the capture's clock is never chained to a later one
 *   on its 4-tuple (`Tracker.expired`), so what a shard analyzes together is what one thread does;
 * - the outputs: `--summary` counts are added up, `--json` texts are written in id order at the
 *   end, `--format jsonl` lines are merged in the order one thread writes them (`BatchOrder`:
 *   by the capture time their chain was finished, then ids), each shard's lines coming in that
 *   order with a watermark (`writeLines`).
 */
import * as path from 'path';
import { MessageChannel, Worker, type Transferable } from 'worker_threads';
import type { EngineOptions } from '../core/engine';
import { CaptureClock, DEFAULT_SWEEP_ROWS, type StreamOptions } from '../core/engine/stream';
import type { SegmentView } from '../core/model/segment';
import { SegmentBatch, shardOf } from '../core/model/segmentBatch';
import type { StreamEngine } from './analyzeStream';
import type { BatchSink, StreamedOutput } from './streamOutput';
import { runShard, SHARD_ROLE, type FromShard, type ShardInit, type ToShard } from './shardWorker';

/** Records per batch: ~0.5 MB buffers. */
const BATCH_RECORDS = 4096;
/** Batches a shard may have unanswered before the reader waits. */
const MAX_IN_FLIGHT = 4;

let workerScript = path.join(__dirname, 'shardWorker.js');
/** The script a shard's worker thread runs (the command line's bundle: itself). */
export function setShardScript(file: string): void {
  workerScript = file;
}

/** One end of a shard's message channel. */
export interface ShardPort {
  post(m: ToShard, transfer?: Transferable[]): void;
  onMessage(f: (m: FromShard) => void): void;
  onError(f: (e: Error) => void): void;
  close(): Promise<void>;
}

/** A shard in a worker thread. */
function workerShard(): ShardPort {
  const w = new Worker(workerScript, { workerData: { role: SHARD_ROLE } });
  return {
    post: (m, transfer) => w.postMessage(m, transfer),
    onMessage: (f) => w.on('message', f),
    onError: (f) => {
      w.on('error', f);
      w.on('exit', (code) => {
        if (code !== 0) f(new Error(`a shard's worker thread exited with status ${code}`));
      });
    },
    close: async () => {
      await w.terminate();
    },
  };
}

/**
 * A shard on this thread, over a message channel: the same protocol and code as a worker thread,
 * without a thread (tests; a machine where threads cannot start).
 */
export function channelShard(): ShardPort {
  const { port1, port2 } = new MessageChannel();
  runShard(port2);
  return {
    post: (m, transfer) => port1.postMessage(m, transfer),
    onMessage: (f) => port1.on('message', f),
    onError: () => undefined,
    close: () => {
      port1.close();
      port2.close();
      return Promise.resolve();
    },
  };
}

export interface ShardedRun {
  jobs: number;
  engine: Partial<EngineOptions>;
  output: StreamedOutput;
  filter: string | null;
  stream?: StreamOptions;
  /** How a shard is started (default: a worker thread). */
  spawn?: () => ShardPort;
}

interface Shard {
  port: ShardPort;
  cur: SegmentBatch;
  /** Buffers the shard gave back, for reuse. */
  spare: ArrayBuffer[];
  /** Capture index of the first record of each batch sent and not yet answered. */
  inFlight: number[];
  /** Capture indexes of the first segments of the shard's connections not yet numbered, in order. */
  opens: number[];
  openHead: number;
  /** Ids numbered for the shard and not yet sent. */
  ids: number[];
  /**
   * `--format jsonl` lines received and not written yet (in the shard's order, BatchOrder), from
   * `lineHead` on: line i is texts[i].slice(starts[i], ends[i]) (a shard sends many lines as one text).
   */
  texts: string[];
  starts: number[];
  ends: number[];
  keys: number[];
  chains: number[];
  lineIds: number[];
  lineHead: number;
  /** Every line of a chain whose key is below this was received. */
  watermark: number;
  finished: number;
  done: boolean;
}

export class ShardedAnalysis implements StreamEngine {
  private readonly shards: Shard[] = [];
  private readonly clock: CaptureClock;
  private index = 0;
  private nextId = 1;
  private opened = 0;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private ended = false;
  private readonly files: readonly string[] | undefined;

  constructor(
    run: ShardedRun,
    private readonly sink: BatchSink,
  ) {
    this.clock = new CaptureClock(run.stream?.slackSeconds ?? 10);
    this.files = run.stream?.files;
    // Each shard holds a share of the connections: its sweeps analyze batches of that share of the
    // rows, so that N analyses side by side hold about what one thread's would.
    const stream: StreamOptions = { sweepRows: Math.max(4096, Math.ceil(DEFAULT_SWEEP_ROWS / run.jobs)), ...run.stream };
    const init: ShardInit = { t: 'init', engine: run.engine, output: run.output, filter: run.filter, stream };
    for (let i = 0; i < run.jobs; i++) {
      const port = (run.spawn ?? workerShard)();
      const shard: Shard = {
        port,
        cur: new SegmentBatch(BATCH_RECORDS),
        spare: [],
        inFlight: [],
        opens: [],
        openHead: 0,
        ids: [],
        texts: [],
        starts: [],
        ends: [],
        keys: [],
        chains: [],
        lineIds: [],
        lineHead: 0,
        watermark: -Infinity,
        finished: 0,
        done: false,
      };
      port.onMessage((m) => this.onMessage(shard, m));
      port.onError((e) => this.fail(e));
      port.post(init);
      this.shards.push(shard);
    }
  }

  push(v: SegmentView): void {
    const shard = this.shards[shardOf(v, this.shards.length)];
    shard.cur.append(v, this.index++, this.clock.latest);
    if (this.clock.observe(v.tsSec + v.tsNsec / 1e9)) this.clock.stepBackFrame = this.files !== undefined ? `${this.files[v.file]}:${v.frame}` : String(v.frame);
    if (shard.cur.full) this.send(shard);
  }

  paced(): Promise<void> | undefined {
    if (this.failure !== null) return Promise.reject(this.failure);
    // Every shard's partial batch goes out with each chunk of input: connections are numbered once
    // every shard has reported up to a point, and a pipe's connections come out while it runs.
    // A shard without segments in the chunk is told the clock: its connections finish on time, and
    // its watermark moves on for the other shards' jsonl lines.
    for (const s of this.shards) {
      if (s.cur.length > 0) this.send(s);
      else s.port.post({ t: 'clock', clock: this.clock.latest });
    }
    if (!this.shards.some((s) => s.inFlight.length > MAX_IN_FLIGHT)) return undefined;
    return this.until(() => !this.shards.some((s) => s.inFlight.length > MAX_IN_FLIGHT));
  }

  async end(): Promise<void> {
    if (this.failure !== null) throw this.failure;
    this.ended = true;
    for (const s of this.shards) this.send(s);
    try {
      // Every batch answered: every connection is numbered and its id sent (number() after the
      // last answer); only then do the shards finish what they hold.
      await this.until(() => this.shards.every((s) => s.inFlight.length === 0));
      for (const s of this.shards) s.port.post({ t: 'finish' });
      await this.until(() => this.shards.every((s) => s.done));
    } finally {
      await this.closeAll();
    }
  }

  close(): void {
    void this.closeAll();
  }

  get warnings(): string[] {
    return this.clock.warnings;
  }

  get progress(): { connections: number; finished: number } {
    let finished = 0;
    for (const s of this.shards) finished += s.finished;
    return { connections: this.opened, finished };
  }

  private async closeAll(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.port.close()));
  }

  /** Sends the shard its current batch, with the capture's clock (after the last batch: the capture's end). */
  private send(s: Shard): void {
    const b = s.cur;
    s.inFlight.push(b.length > 0 ? b.index[0] : this.index);
    s.port.post({ t: 'batch', buffer: b.buffer, capacity: b.capacity, length: b.length, clock: this.clock.latest }, [b.buffer]);
    const spare = s.spare.pop();
    s.cur = new SegmentBatch(BATCH_RECORDS, spare);
  }

  private onMessage(s: Shard, m: FromShard): void {
    switch (m.t) {
      case 'ack':
        s.inFlight.shift();
        s.spare.push(m.buffer);
        for (let i = 0; i < m.opens.length; i++) s.opens.push(m.opens[i]);
        this.opened += m.opens.length;
        s.finished = m.finished;
        this.number();
        break;
      case 'out':
        for (let i = 0; i < m.ends.length; i++) {
          s.texts.push(m.text);
          s.starts.push(i === 0 ? 0 : m.ends[i - 1]);
          s.ends.push(m.ends[i]);
          s.keys.push(m.keys[i]);
          s.chains.push(m.chains[i]);
          s.lineIds.push(m.lineIds[i]);
        }
        s.watermark = m.watermark;
        this.writeLines();
        for (let i = 0; i < m.ids.length; i++) this.sink.keep(m.ids[i], m.texts[i]);
        break;
      case 'done':
        this.sink.counts.addCounts(m.counts);
        this.sink.worst = Math.max(this.sink.worst, m.worst);
        s.watermark = Infinity;
        this.writeLines();
        s.done = true;
        break;
      case 'error':
        this.fail(new Error(`a shard failed: ${m.message}`));
        return;
    }
    this.wake?.();
  }

  /**
   * Writes the shards' `--format jsonl` lines merged in BatchOrder (each shard's come in that
   * order): a line goes out once every other shard has a later line waiting or has sent every line
   * of a chain with a key up to the line's (its watermark is above it). So the output is the one
   * thread's, line for line, whatever the number of shards.
   */
  private writeLines(): void {
    const shards = this.shards;
    // Consecutive lines of one text go out as one slice of it.
    let text = '';
    let from: Shard | null = null;
    let start = 0;
    let end = 0;
    const put = (): void => {
      if (end > start) this.sink.line(text.slice(start, end), 0, 0, 0);
    };
    for (;;) {
      let best: Shard | null = null;
      for (const s of shards) if (s.lineHead < s.ends.length && (best === null || before(s, best))) best = s;
      if (best === null) break;
      const key = best.keys[best.lineHead];
      let free = true;
      for (const s of shards) if (s !== best && s.lineHead >= s.ends.length && !(s.watermark > key)) free = false;
      if (!free) break;
      const i = best.lineHead++;
      // (A shard's next text starts at 0, so the same shard and start is the same text.)
      if (best !== from || best.starts[i] !== end) {
        put();
        from = best;
        text = best.texts[i];
        start = best.starts[i];
      }
      end = best.ends[i];
    }
    put();
    this.sink.flush();
    for (const s of shards) {
      if (s.lineHead > 4096 && s.lineHead * 2 > s.ends.length) {
        s.texts = s.texts.slice(s.lineHead);
        s.starts = s.starts.slice(s.lineHead);
        s.ends = s.ends.slice(s.lineHead);
        s.keys = s.keys.slice(s.lineHead);
        s.chains = s.chains.slice(s.lineHead);
        s.lineIds = s.lineIds.slice(s.lineHead);
        s.lineHead = 0;
      }
    }
  }

  /**
   * Numbers the connections whose first segment every shard has reported: up to (not including)
   * the first segment of a batch some shard has not answered, or of a batch not sent yet.
   */
  private number(): void {
    let bound = Infinity;
    for (const s of this.shards) {
      if (s.inFlight.length > 0) bound = Math.min(bound, s.inFlight[0]);
      else if (!this.ended && s.cur.length > 0) bound = Math.min(bound, s.cur.index[0]);
    }
    for (;;) {
      let best: Shard | null = null;
      for (const s of this.shards) {
        if (s.openHead < s.opens.length && s.opens[s.openHead] < bound && (best === null || s.opens[s.openHead] < best.opens[best.openHead])) best = s;
      }
      if (best === null) break;
      best.openHead++;
      best.ids.push(this.nextId++);
    }
    for (const s of this.shards) {
      if (s.openHead > 4096 && s.openHead * 2 > s.opens.length) {
        s.opens = s.opens.slice(s.openHead);
        s.openHead = 0;
      }
      if (s.ids.length === 0) continue;
      const ids = Int32Array.from(s.ids);
      s.ids.length = 0;
      s.port.post({ t: 'ids', ids }, [ids.buffer]);
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.wake?.();
  }

  /** Resolves once `ready()` holds (checked after each message from a shard); rejects if a shard failed. */
  private until(ready: () => boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (this.failure !== null) {
          this.wake = null;
          reject(this.failure);
        } else if (ready()) {
          this.wake = null;
          resolve();
        }
      };
      this.wake = check;
      check();
    });
  }
}

/** True when shard a's next line goes before shard b's (BatchOrder: key, chain's id, id). */
function before(a: Shard, b: Shard): boolean {
  const i = a.lineHead;
  const j = b.lineHead;
  if (a.keys[i] !== b.keys[j]) return a.keys[i] < b.keys[j];
  if (a.chains[i] !== b.chains[j]) return a.chains[i] < b.chains[j];
  return a.lineIds[i] < b.lineIds[j];
}
