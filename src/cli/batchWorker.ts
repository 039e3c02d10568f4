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
import { analyzeBatch, batchTable, type BatchListener, type BatchOrder } from '../core/engine/stream';
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
   * With batches given as rows of the main thread's held table (shared memory): a counter of the
   * batches copied out of it, which this worker adds to as soon as it has copied one (the main
   * thread moves those rows only after).
   */
  copied?: Int32Array;
}

export type ToWorker =
  | WorkerInit
  /**
   * A batch (`seq`: its place in the order batches are written): its own table's columns
   * (transferred), or with `rows`, the main thread's held table's columns (shared memory) and the
   * batch's rows in it, to copy. `endpoints`: the endpoints the main thread interned since the
   * last batch sent to this worker (ids from `from` on), so that this worker's copy of the endpoint
   * table has every id the rows use.
   */
  | { t: 'batch'; seq: number; columns: SegmentColumns; length: number; rows?: Int32Array; from: number; endpoints: Endpoint[]; context: BatchContext; order: BatchOrder };

export type FromWorker =
  /**
   * A batch's output: `--format jsonl` lines (one text, in the batch's order), `--json` connection
   * texts with their ids, the counts, the most severe finding's rank (-1: none).
   */
  | { t: 'result'; seq: number; connections: number; text: string; ids: number[]; texts: string[]; counts: AnalysisJson['summary']; worst: number }
  | { t: 'error'; message: string };

/** The buffers a batch's columns are made of (transferred, not copied). */
export function columnBuffers(c: SegmentColumns): ArrayBuffer[] {
  return SEGMENT_COLUMNS.map((k) => c[k].buffer as ArrayBuffer);
}

/** Runs a worker answering on `port` (its first message is the init). */
export function runBatchWorker(port: MessagePort): void {
  let worker: BatchWorker | null = null;
  port.on('message', (m: ToWorker) => {
    try {
      if (m.t === 'init') worker = new BatchWorker(m, (r, transfer) => port.postMessage(r, transfer));
      else worker?.batch(m);
    } catch (e) {
      port.postMessage({ t: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies FromWorker);
    }
  });
}

class BatchWorker {
  private readonly endpoints = new EndpointTable();
  private readonly engine: Partial<EngineOptions>;
  private readonly files: readonly string[] | undefined;
  private readonly copied: Int32Array | undefined;
  private readonly write: BatchListener;
  /** What the writer gives for the batch being analyzed (a new one per batch). */
  private out = { counts: new SummaryCounts(), worst: -1, text: '', ids: [] as number[], texts: [] as string[] };

  constructor(
    init: WorkerInit,
    private readonly post: (m: FromWorker, transfer?: Transferable[]) => void,
  ) {
    const filter = init.filter === null ? null : compileFilter(init.filter);
    if (typeof filter === 'string') throw new Error(filter);
    this.engine = init.engine;
    this.files = init.files;
    this.copied = init.copied;
    const sink: BatchSink = {
      get counts() {
        return out().counts;
      },
      get worst() {
        return out().worst;
      },
      set worst(w: number) {
        out().worst = w;
      },
      keep: (id, text) => {
        out().ids.push(id);
        out().texts.push(text);
      },
      write: () => undefined,
      line: (text) => {
        out().text += text;
      },
      flush: () => undefined,
    };
    const out = (): BatchWorker['out'] => this.out;
    this.write = batchWriter(init.output, filter, sink);
  }

  batch(m: Extract<ToWorker, { t: 'batch' }>): void {
    this.endpoints.extend(m.from, m.endpoints);
    const table = batchTable({ table: SegmentTable.withColumns(m.columns, m.length, this.endpoints, this.files), rows: m.rows, context: m.context, order: m.order });
    if (m.rows !== undefined && this.copied !== undefined) {
      Atomics.add(this.copied, 0, 1);
      Atomics.notify(this.copied, 0);
    }
    const a = analyzeBatch({ table, context: m.context, order: m.order }, this.engine);
    this.write(a, m.context.ids, m.order);
    const o = this.out;
    this.out = { counts: new SummaryCounts(), worst: -1, text: '', ids: [], texts: [] };
    this.post({ t: 'result', seq: m.seq, connections: m.context.ids.length, text: o.text, ids: o.ids, texts: o.texts, counts: o.counts.toJSON(), worst: o.worst });
  }
}

// A worker thread started for the parallel analysis runs a worker (the command line's bundle starts itself, main.ts).
if (!isMainThread && (workerData as { role?: string } | null)?.role === BATCH_WORKER_ROLE && parentPort !== null) runBatchWorker(parentPort);
