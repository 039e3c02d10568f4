/**
 * The streaming analysis on every core. The ONE streaming analysis (core/engine/stream.ts) runs
 * on this thread: it reads every segment, tracks connections, decides when each is finished and
 * cuts the finished ones into batches, exactly as on one thread (a connection and every earlier
 * incarnation of its 4-tuple still held are always in the same batch). Only the work on each batch
 * goes to the worker threads: `analyze()` (the engine's replay, findings, summaries) and the
 * output's own work on it (the display filter, counts, JSON texts; batchWorker.ts), round the
 * workers, the least busy first. What comes back is written here in the order the batches were
 * cut, so every output is the one thread's, byte for byte, whatever the number of workers: the
 * batches, their rows, their ids and their order do not depend on it.
 *
 * With worker threads the stream's held rows are in shared memory (`StreamOptions.sharedRows`): a
 * batch is sent as its row numbers, and the worker copies its rows out of the held table itself,
 * then counts it copied (a shared counter); the stream moves held rows only once every batch sent
 * was copied. So this thread, which reads, decodes and tracks every segment, does not also copy
 * each one into its batch. (Workers on message channels, on this thread, are sent the batch's own
 * table instead: this thread cannot wait for them.) The endpoints the rows refer to are sent once
 * per worker, as they are first used (`EndpointTable.extend`), and again from the first when the
 * stream moved the ones in use to a new table (`StreamingAnalysis.rebaseEndpoints`).
 */
import * as path from 'path';
import { MessageChannel, Worker, type Transferable } from 'worker_threads';
import type { EngineOptions } from '../core/engine';
import { copyBatch, StreamingAnalysis, type PreparedBatch, type StreamOptions } from '../core/engine/stream';
import type { EndpointTable, SegmentView } from '../core/model/segment';
import type { StreamEngine } from './analyzeStream';
import type { BatchSink, StreamedOutput } from './streamOutput';
import { BATCH_WORKER_ROLE, BatchWorker, columnBuffers, runBatchWorker, type FromWorker, type ToWorker, type WorkerInit } from './batchWorker';

/** Batches a worker is sent ahead of the one it analyzes (the rest wait on this thread, not copied). */
const AHEAD = 2;
/**
 * Batches cut and not sent beyond which this thread analyzes the oldest itself (at the next chunk
 * of input) instead of reading on: the workers are behind. A sweep can finish many batches at once
 * (a gap in the capture), which the workers catch up with while this thread reads on.
 */
const MAX_PENDING = 8;
/** Batches cut and not written beyond which the reader waits (results held for their turn). */
const MAX_UNWRITTEN = 32;

let workerScript = path.join(__dirname, 'batchWorker.js');
/** The script a worker thread runs (the command line's bundle: itself). */
export function setWorkerScript(file: string): void {
  workerScript = file;
}

/** One end of a worker's message channel. */
export interface WorkerPort {
  post(m: ToWorker, transfer?: Transferable[]): void;
  onMessage(f: (m: FromWorker) => void): void;
  onError(f: (e: Error) => void): void;
  close(): Promise<void>;
}

/** A worker in a worker thread. */
function threadWorker(): WorkerPort {
  const w = new Worker(workerScript, { workerData: { role: BATCH_WORKER_ROLE } });
  return {
    post: (m, transfer) => w.postMessage(m, transfer),
    onMessage: (f) => w.on('message', f),
    onError: (f) => {
      w.on('error', f);
      w.on('exit', (code) => {
        if (code !== 0) f(new Error(`a worker thread exited with status ${code}`));
      });
    },
    close: async () => {
      await w.terminate();
    },
  };
}

/**
 * A worker on this thread, over a message channel: the same protocol and code as a worker thread,
 * without a thread (tests; a machine where threads cannot start).
 */
export function channelWorker(): WorkerPort {
  const { port1, port2 } = new MessageChannel();
  runBatchWorker(port2);
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

export interface ParallelRun {
  jobs: number;
  engine: Partial<EngineOptions>;
  output: StreamedOutput;
  filter: string | null;
  stream?: StreamOptions;
  /** How a worker is started (default: a worker thread). */
  spawn?: () => WorkerPort;
}

/** What a batch worker has of the stream's endpoint tables: the table of the last batch sent to it, and how many of its endpoints (ids below this). */
interface EndpointsSent {
  table: EndpointTable | null;
  endpoints: number;
}

interface WorkerState extends EndpointsSent {
  port: WorkerPort;
  /** Batches sent, and answered (the results taken here). */
  sent: number;
  answered: number;
  /** A worker thread's count of the batches it analyzed (`WorkerInit.analyzed`), read before its results are taken. */
  analyzed?: { counts: Int32Array; slot: number };
}

/** The batches a worker has and has not analyzed yet (by its own count when it keeps one). */
function queued(w: WorkerState): number {
  return w.sent - (w.analyzed === undefined ? w.answered : Math.max(w.answered, Atomics.load(w.analyzed.counts, w.analyzed.slot)));
}

type Result = Extract<FromWorker, { t: 'result' }>;
type Batch = Extract<ToWorker, { t: 'batch' }>;

const utf8 = new TextDecoder();

export class ParallelAnalysis implements StreamEngine {
  private readonly stream: StreamingAnalysis;
  private readonly workers: WorkerState[] = [];
  /** The next batch's number, and the next one to write. */
  private seq = 0;
  private written = 0;
  /** Results that came before an earlier batch's. */
  private readonly waiting = new Map<number, Result>();
  /** Batches cut and not sent yet, in order. */
  private pending: { seq: number; b: PreparedBatch }[] = [];
  /** The analysis on this thread, for the batches it takes itself (the same code as a worker's). */
  private readonly here: BatchWorker;
  /** What this thread's own BatchWorker has of the endpoint tables. */
  private readonly hereHas: EndpointsSent = { table: null, endpoints: 0 };
  private readonly copied: Int32Array | undefined;
  private finished = 0;
  /** The stream waits to compact its held rows: batches are copied as soon as they are given (`StreamOptions.sharedRows.hurry`). */
  private hurrying = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(
    run: ParallelRun,
    private readonly sink: BatchSink,
  ) {
    // [0]: batches copied by the workers; [1]: 1 while this thread waits for copies or hurries them; [2]: 1 once a worker failed (WorkerInit.copied).
    const copied = run.spawn === undefined ? new Int32Array(new SharedArrayBuffer(12)) : undefined;
    const sharedRows =
      copied &&
      ({
        copied: () => Atomics.load(copied, 0),
        waitCopied: (n: number) => {
          // The batches not sent yet are copied here; the workers copy theirs at once meanwhile.
          this.copyPending();
          Atomics.store(copied, 1, 1);
          for (let c = Atomics.load(copied, 0); c < n; c = Atomics.load(copied, 0)) {
            // A worker that failed copies nothing more (its error message comes once this thread is free).
            if (Atomics.load(copied, 2) !== 0) throw new Error('a worker thread failed while this thread waited for it to copy its batches');
            Atomics.wait(copied, 0, c, 1000);
          }
          Atomics.store(copied, 1, this.hurrying ? 1 : 0);
        },
        hurry: (on: boolean) => {
          // The batches not sent yet are copied here at once; the workers copy theirs at their next turn.
          this.hurrying = on;
          if (on) this.copyPending();
          Atomics.store(copied, 1, on ? 1 : 0);
        },
      } satisfies StreamOptions['sharedRows']);
    this.stream = new StreamingAnalysis(
      run.engine,
      () => {
        throw new Error('internal: a batch analyzed on the main thread of the parallel analysis');
      },
      { ...run.stream, runBatch: (b) => this.dispatch(b), sharedRows },
    );
    this.copied = copied;
    const init: WorkerInit = { t: 'init', engine: run.engine, output: run.output, filter: run.filter, files: run.stream?.files, copied };
    this.here = new BatchWorker(init, (r) => this.onMessage(null, r), (e) => this.fail(e instanceof Error ? e : new Error(String(e))));
    // This thread is one of the `jobs`: it reads, decodes and tracks every segment.
    const n = Math.max(1, run.jobs - 1);
    const counts = copied && new Int32Array(new SharedArrayBuffer(4 * n));
    for (let i = 0; i < n; i++) {
      const port = (run.spawn ?? threadWorker)();
      const analyzed = counts && { counts, slot: i };
      const w: WorkerState = { port, sent: 0, answered: 0, analyzed, table: null, endpoints: 0 };
      port.onMessage((m) => this.onMessage(w, m));
      port.onError((e) => this.fail(e));
      port.post({ ...init, analyzed });
      this.workers.push(w);
    }
  }

  push(v: SegmentView): void {
    this.stream.push(v);
  }

  paced(): Promise<void> | undefined {
    if (this.failure !== null) return Promise.reject(this.failure);
    this.feed();
    // The workers are behind: this thread takes the oldest batch not sent (and the workers are
    // given more as they finish theirs meanwhile).
    while (this.pending.length > MAX_PENDING) {
      this.analyzeHere(this.pending.shift()!);
      this.feed();
    }
    // Too many not written: this thread works through what is not sent rather than wait.
    while (this.pending.length > 0 && this.seq - this.written > MAX_UNWRITTEN) {
      this.analyzeHere(this.pending.shift()!);
      this.feed();
    }
    if (this.seq - this.written <= MAX_UNWRITTEN) return undefined;
    return this.until(() => this.seq - this.written <= MAX_UNWRITTEN);
  }

  async end(): Promise<void> {
    if (this.failure !== null) throw this.failure;
    try {
      this.stream.end();
      this.feed();
      await this.until(() => {
        // Whatever is not sent when a worker is free, with more than one batch each waiting, goes here.
        if (this.pending.length > this.workers.length) this.analyzeHere(this.pending.shift()!);
        return this.written === this.seq;
      });
    } finally {
      await this.closeAll();
    }
  }

  close(): void {
    void this.closeAll();
  }

  get warnings(): string[] {
    return this.stream.warnings;
  }

  get progress(): { connections: number; finished: number } {
    return { connections: this.stream.stats.connections, finished: this.finished };
  }

  private async closeAll(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.port.close()));
  }

  /** A batch cut by the stream: sent to a worker when one has room (`feed`). */
  private dispatch(b: PreparedBatch): void {
    this.pending.push({ seq: this.seq++, b });
    this.feed();
    if (this.hurrying) this.copyPending();
  }

  /** Sends batches not sent yet to the least busy workers while they have fewer than AHEAD. */
  private feed(): void {
    while (this.pending.length > 0) {
      let w = this.workers[0];
      let least = queued(w);
      for (const x of this.workers) {
        const q = queued(x);
        if (q < least) [w, least] = [x, q];
      }
      if (least >= AHEAD) return;
      const { seq, b } = this.pending.shift()!;
      const m = this.message(seq, b, w);
      w.sent++;
      // The held table's shared columns are shared, not transferred; a batch's own table is transferred.
      const { context, order, rows } = b;
      const transfer: ArrayBuffer[] = rows === undefined ? columnBuffers(m.columns) : [rows.buffer as ArrayBuffer];
      for (const a of [context.ids, context.incarnations, order.at]) transfer.push(a.buffer as ArrayBuffer);
      const t = context.tracks;
      if (t !== undefined) for (const a of [t.rowConn, t.clientEp, t.serverEp, t.clientIsn, t.bits, t.previous, t.next]) transfer.push(a.buffer as ArrayBuffer);
      w.port.post(m, transfer);
    }
  }

  /** A batch's message to a worker (`to`: what it has of the batch's endpoint table, which it then has whole). */
  private message(seq: number, b: PreparedBatch, to: EndpointsSent): Batch {
    const table = b.table.endpoints;
    if (to.table !== table) {
      to.table = table;
      to.endpoints = 0;
    }
    const from = to.endpoints;
    to.endpoints = table.size;
    return { t: 'batch', seq, columns: b.table.columns(), length: b.table.length, rows: b.rows, from, endpoints: table.list.slice(from), context: b.context, order: b.order };
  }

  /** A batch analyzed on this thread (its rows copied first, and counted copied). */
  private analyzeHere(p: { seq: number; b: PreparedBatch }): void {
    const m = this.message(p.seq, p.b, this.hereHas);
    this.here.runNow(m);
  }

  /** The batches not sent yet get their own tables (their rows copied out of the held rows, counted copied). */
  private copyPending(): void {
    for (const p of this.pending) {
      if (p.b.rows === undefined) continue;
      p.b = { table: copyBatch(p.b, this.copied), context: p.b.context, order: p.b.order };
    }
  }

  private onMessage(w: WorkerState | null, m: FromWorker): void {
    if (m.t === 'error') {
      this.fail(new Error(`a worker failed: ${m.message}`));
      return;
    }
    if (w !== null) {
      w.answered++;
      this.feed();
    }
    this.waiting.set(m.seq, m);
    for (let r = this.waiting.get(this.written); r !== undefined; r = this.waiting.get(this.written)) {
      this.waiting.delete(this.written);
      this.written++;
      this.write(r);
    }
    this.wake?.();
  }

  /** A batch's output, in the order batches were cut. */
  private write(r: Result): void {
    const sink = this.sink;
    sink.counts.addCounts(r.counts);
    sink.worst = Math.max(sink.worst, r.worst);
    for (let i = 0; i < r.ids.length; i++) sink.keep(r.ids[i], r.texts[i]);
    if (r.lines !== null) {
      if (sink.bytes !== undefined) {
        sink.flush();
        sink.bytes(r.lines);
      } else sink.line(utf8.decode(r.lines));
      sink.flush();
    }
    this.finished += r.connections;
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.wake?.();
  }

  /** Resolves once `ready()` holds (checked after each message from a worker); rejects if one failed. */
  private until(ready: () => boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // `ready` may analyze a batch here, whose result wakes this again: then it runs once more
      // after, not inside (nested, each batch's analysis would stay alive until the last returned:
      // at the end of a capture, dozens of them).
      let running = false;
      let again = false;
      const check = (): void => {
        if (running) {
          again = true;
          return;
        }
        running = true;
        try {
          do {
            again = false;
            if (this.failure !== null) {
              this.wake = null;
              reject(this.failure);
              return;
            }
            if (ready()) {
              this.wake = null;
              resolve();
              return;
            }
          } while (again);
        } finally {
          running = false;
        }
      };
      this.wake = check;
      check();
    });
  }
}
