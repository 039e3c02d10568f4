/**
 * A worker of the parallel analysis (parallel.ts), in a worker thread or on a message channel:
 * it is given batches of finished connections, already cut and prepared by the ONE streaming
 * analysis on the main thread (their rows in a table of their own, their ids and incarnations in
 * the capture, where the capture had got to), runs `analyze()` on each (`analyzeBatch`, the same
 * call the one-thread analysis makes) and the output's own work on it (`batchWriter`: the filter,
 * the counts, the JSON texts), and sends back what the main thread writes.
 */
import { isMainThread, parentPort, workerData, type MessagePort, type Transferable } from 'worker_threads';
import type { EngineOptions } from '../core/engine';
import { analyzeBatch, copyBatch, type BatchListener, type BatchOrder } from '../core/engine/stream';
import type { BatchContext } from '../core/engine/engine';
import { EndpointTable, SEGMENT_COLUMNS, SegmentTable, type Endpoint, type SegmentColumns } from '../core/model/segment';
import { SummaryCounts, type AnalysisJson } from '../core/report/json';
import { batchWriter, compileFilter, type BatchSink, type StreamedOutput } from './streamOutput';

export const BATCH_WORKER_ROLE = 'teardown-tracer-batch-worker';

export interface WorkerInit {
  t: 'init';
  engine: Partial<EngineOptions>;
  output: StreamedOutput;
  filter: string | null;
  files: readonly string[] | undefined;
  /**
   * With batches given as rows of the main thread's held table (shared memory): [0] counts the
   * batches copied out of it, which this worker adds to as soon as it has copied one (the main
   * thread moves those rows only after); [1] is 1 while the main thread waits for copies (the
   * held rows are full, or due for compaction: `StreamOptions.sharedRows.hurry`): then this
   * worker copies every batch it has before analyzing the next;
   * [2] is set to 1 when this worker failed (the main thread, blocked waiting for copies, cannot
   * get the error message meanwhile).
   */
  copied?: Int32Array;
  /**
   * With worker threads: [slot] counts the batches this worker analyzed (its result posted). The
   * main thread reads it to know how many this worker still has, without waiting for its turn of
   * the event loop to take the results: while it reads and tracks, the results wait in its queue,
   * and a worker counted busy by the results taken alone would be left without batches.
   */
  analyzed?: { counts: Int32Array; slot: number };
}

export type ToWorker =
  | WorkerInit
  /**
   * A batch (`seq`: its place in the order batches are written): its own table's columns
   * (transferred), or with `rows`, the main thread's held table's columns (shared memory) and the
   * batch's rows in it, to copy. `endpoints`: the endpoints the main thread interned since the
   * last batch sent to this worker (ids from `from` on), so that this worker's copy of the endpoint
   * table has every id the rows use; `from` 0 starts a new copy (the stream moved the endpoints in
   * use to a new table, ids renumbered: batches cut before keep the copy they were received with).
   */
  | { t: 'batch'; seq: number; columns: SegmentColumns; length: number; rows?: Int32Array; from: number; endpoints: Endpoint[]; context: BatchContext; order: BatchOrder };

export type FromWorker =
  /**
   * A batch's output: `--format jsonl` lines (UTF-8, in the batch's order; transferred: a text
   * crossing threads is copied, and millions of lines are), `--json` connection texts with their
   * ids, the counts, the most severe finding's rank (-1: none).
   */
  | { t: 'result'; seq: number; connections: number; lines: Uint8Array | null; ids: number[]; texts: string[]; counts: AnalysisJson['summary']; worst: number }
  | { t: 'error'; message: string };

/** The buffers a batch's columns are made of (transferred, not copied). */
export function columnBuffers(c: SegmentColumns): ArrayBuffer[] {
  return SEGMENT_COLUMNS.map((k) => c[k].buffer as ArrayBuffer);
}

/** Runs a worker answering on `port` (its first message is the init). */
export function runBatchWorker(port: MessagePort): void {
  let worker: BatchWorker | null = null;
  let copied: Int32Array | undefined;
  const failed = (e: unknown): void => {
    if (copied !== undefined) {
      Atomics.store(copied, 2, 1);
      Atomics.notify(copied, 0);
    }
    port.postMessage({ t: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies FromWorker);
  };
  port.on('message', (m: ToWorker) => {
    try {
      if (m.t === 'init') {
        copied = m.copied;
        worker = new BatchWorker(m, (r, transfer) => port.postMessage(r, transfer), failed);
      }
      else worker?.receive(m);
    } catch (e) {
      failed(e);
    }
  });
}

/** The analysis of batches: in a worker thread, or on the main thread for the batches it takes itself (`runNow`). */
export class BatchWorker {
  /** This thread's copy of the stream's endpoint table, as of the last batch received. */
  private endpoints = new EndpointTable();
  private readonly engine: Partial<EngineOptions>;
  private readonly files: readonly string[] | undefined;
  private readonly copied: Int32Array | undefined;
  private readonly analyzed: WorkerInit['analyzed'];
  private readonly write: BatchListener;
  /** Batches received, waiting for their analysis, in order (table: their rows once copied). */
  private readonly queue: { table: SegmentTable | null; m: Extract<ToWorker, { t: 'batch' }>; endpoints: EndpointTable }[] = [];
  private scheduled = false;
  /** What the writer gives for the batch being analyzed (counts, lines and texts: new ones per batch). */
  private readonly sink: BatchSink & { counts: SummaryCounts };
  private lines = new Utf8Lines();
  private ids: number[] = [];
  private texts: string[] = [];

  constructor(
    init: WorkerInit,
    private readonly post: (m: FromWorker, transfer?: Transferable[]) => void,
    private readonly failed: (e: unknown) => void,
  ) {
    const filter = init.filter === null ? null : compileFilter(init.filter);
    if (typeof filter === 'string') throw new Error(filter);
    this.engine = init.engine;
    this.files = init.files;
    this.copied = init.copied;
    this.analyzed = init.analyzed;
    this.sink = {
      counts: new SummaryCounts(),
      worst: -1,
      keep: (id, text) => {
        this.ids.push(id);
        this.texts.push(text);
      },
      write: () => undefined,
      line: (text) => this.lines.add(text),
      flush: () => undefined,
    };
    this.write = batchWriter(init.output, filter, this.sink);
  }

  /**
   * A batch: analyzed after the messages already received (setImmediate). Its rows are copied when
   * its analysis comes, or at once while the main thread waits for copies or hurries them (`WorkerInit.copied`),
   * so that copies are not held long, nor waited for long.
   */
  receive(m: Extract<ToWorker, { t: 'batch' }>): void {
    this.queue.push({ table: null, m, endpoints: this.endpointsOf(m) });
    if (this.hurried()) this.copyAll();
    this.schedule();
  }

  private hurried(): boolean {
    return this.copied !== undefined && Atomics.load(this.copied, 1) !== 0;
  }

  /** The rows of every batch received and not copied yet. */
  private copyAll(): void {
    for (const q of this.queue) if (q.table === null) q.table = this.copy(q.m, q.endpoints);
  }

  /** The endpoint table a batch's rows refer to: this thread's copy, extended with the batch's new endpoints (a new copy when `from` is 0). */
  private endpointsOf(m: Extract<ToWorker, { t: 'batch' }>): EndpointTable {
    if (m.from === 0 && this.endpoints.size > 0) this.endpoints = new EndpointTable();
    this.endpoints.extend(m.from, m.endpoints);
    return this.endpoints;
  }

  private copy(m: Extract<ToWorker, { t: 'batch' }>, endpoints: EndpointTable): SegmentTable {
    return copyBatch({ table: SegmentTable.withColumns(m.columns, m.length, endpoints, this.files), rows: m.rows, context: m.context, order: m.order }, this.copied);
  }

  /** A batch copied and analyzed now, its result posted before this returns. */
  runNow(m: Extract<ToWorker, { t: 'batch' }>): void {
    this.analyze(this.copy(m, this.endpointsOf(m)), m);
  }

  /** The next batch's analysis after the messages waiting now (setImmediate runs after them). */
  private schedule(): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      try {
        if (this.hurried()) this.copyAll();
        const next = this.queue.shift();
        if (next !== undefined) this.analyze(next.table ?? this.copy(next.m, next.endpoints), next.m);
      } catch (e) {
        this.failed(e);
      }
      this.schedule();
    });
  }

  private analyze(table: SegmentTable, m: Extract<ToWorker, { t: 'batch' }>): void {
    const a = analyzeBatch({ table, context: m.context, order: m.order }, this.engine);
    this.write(a, m.order);
    const { sink, ids, texts } = this;
    const lines = this.lines.bytes();
    const r: FromWorker = { t: 'result', seq: m.seq, connections: m.context.ids.length, lines, ids, texts, counts: sink.counts.toJSON(), worst: sink.worst };
    sink.counts = new SummaryCounts();
    sink.worst = -1;
    this.lines = new Utf8Lines();
    this.ids = [];
    this.texts = [];
    this.post(r, lines === null ? [] : [lines.buffer as ArrayBuffer]);
    if (this.analyzed !== undefined) Atomics.add(this.analyzed.counts, this.analyzed.slot, 1);
  }
}

/** Lines encoded as UTF-8 into one growing buffer. */
class Utf8Lines {
  private static readonly encoder = new TextEncoder();
  private buf = new Uint8Array(0);
  private n = 0;

  add(text: string): void {
    // At most 3 bytes per UTF-16 code unit.
    if (this.n + 3 * text.length > this.buf.length) {
      const grown = new Uint8Array(Math.max(1 << 16, 2 * this.buf.length, this.n + 3 * text.length));
      grown.set(this.buf.subarray(0, this.n));
      this.buf = grown;
    }
    this.n += Utf8Lines.encoder.encodeInto(text, this.buf.subarray(this.n)).written;
  }

  /** The bytes in a buffer of their own (to transfer: not the room grown for more), or null when there are none. */
  bytes(): Uint8Array | null {
    return this.n === 0 ? null : this.buf.slice(0, this.n);
  }
}

// A worker thread started for the parallel analysis runs a worker (the command line's bundle starts itself, main.ts).
if (!isMainThread && (workerData as { role?: string } | null)?.role === BATCH_WORKER_ROLE && parentPort !== null) runBatchWorker(parentPort);
