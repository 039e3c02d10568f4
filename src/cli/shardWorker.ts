/**
 * One shard of the sharded analysis (shards.ts), in a worker thread or on a message channel: the
 * streaming analysis (the one engine) over the segments of its connections, and the output's own
 * work on each batch of finished connections (`batchWriter`, the same as on one thread), once
 * the main thread has told it the connections' ids in the whole capture.
 */
import { isMainThread, parentPort, workerData, type MessagePort } from 'worker_threads';
import type { Analysis, EngineOptions } from '../core/engine';
import { StreamingAnalysis, type BatchListener, type BatchOrder, type StreamOptions } from '../core/engine/stream';
import { SegmentView } from '../core/model/segment';
import { SegmentBatch } from '../core/model/segmentBatch';
import { SummaryCounts, type AnalysisJson } from '../core/report/json';
import { batchWriter, compileFilter, type BatchSink, type StreamedOutput } from './streamOutput';

export const SHARD_ROLE = 'teardown-tracer-shard';

export interface ShardInit {
  t: 'init';
  engine: Partial<EngineOptions>;
  output: StreamedOutput;
  filter: string | null;
  stream: StreamOptions;
}

export type ToShard =
  | ShardInit
  /**
   * A batch of segments, and the capture's clock when it was sent (the latest timestamp of every
   * segment pushed so far, in any shard; the capture's end after the last batch): no later segment
   * comes before it, so the shard's analysis advances to it after the batch.
   */
  | { t: 'batch'; buffer: ArrayBuffer; capacity: number; length: number; clock: number }
  /** The capture's clock (as with a batch) for a shard that had no segment in the last chunk of input. */
  | { t: 'clock'; clock: number }
  /** The ids in the whole capture of the shard's next connections, in the shard's own order. */
  | { t: 'ids'; ids: Int32Array }
  /**
   * Every batch was sent and every id too: the shard finishes its remaining connections (after the
   * ids, so that each batch is written as soon as it is analyzed, not kept waiting for them).
   */
  | { t: 'finish' };

export type FromShard =
  /** A batch was analyzed: its buffer back, the capture indexes of the connections it opened. */
  | { t: 'ack'; buffer: ArrayBuffer; opens: Float64Array; finished: number }
  /**
   * Output: `--format jsonl` lines (one text; `ends`: where each line ends in it) with where each
   * goes (BatchOrder: key, chain's id, id), and
   * `watermark`: every line of a chain whose key is below it was sent; `--json` connection texts
   * with their ids.
   */
  | { t: 'out'; text: string; ends: number[]; keys: number[]; chains: number[]; lineIds: number[]; watermark: number; ids: number[]; texts: string[] }
  | { t: 'done'; counts: AnalysisJson['summary']; worst: number }
  | { t: 'error'; message: string };

/** Runs a shard answering on `port` (its first message is the init). */
export function runShard(port: MessagePort): void {
  let shard: Shard | null = null;
  port.on('message', (m: ToShard) => {
    try {
      if (m.t === 'init') shard = new Shard(m, (r, transfer) => port.postMessage(r, transfer));
      else shard?.receive(m);
    } catch (e) {
      port.postMessage({ t: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies FromShard);
    }
  });
}

class Shard {
  private readonly stream: StreamingAnalysis;
  private readonly view = new SegmentView();
  private readonly sink: BatchSink;
  private readonly write: BatchListener;
  /** Finished batches waiting for their ids (the analysis, its local id array, its order), in order. */
  private pending: { a: Analysis; ids: Int32Array; order: BatchOrder; max: number }[] = [];
  /** finalIds[k]: the id in the whole capture of the shard's connection k + 1. */
  private finalIds = new Int32Array(1024);
  private known = 0;
  private ended = false;
  private text = '';
  private ends: number[] = [];
  private keys: number[] = [];
  private chains: number[] = [];
  private lineIds: number[] = [];
  /** The watermark last sent. */
  private sentWatermark = -Infinity;
  private keptIds: number[] = [];
  private keptTexts: string[] = [];

  constructor(
    init: ShardInit,
    private readonly post: (m: FromShard, transfer?: ArrayBuffer[]) => void,
  ) {
    const filter = init.filter === null ? null : compileFilter(init.filter);
    if (typeof filter === 'string') throw new Error(filter);
    this.sink = {
      counts: new SummaryCounts(),
      worst: -1,
      keep: (id, text) => {
        this.keptIds.push(id);
        this.keptTexts.push(text);
      },
      write: () => undefined,
      line: (text, key, chain, id) => {
        this.text += text;
        this.ends.push(this.text.length);
        this.keys.push(key);
        this.chains.push(chain);
        this.lineIds.push(id);
      },
      flush: () => undefined,
    };
    this.write = batchWriter(init.output, filter, this.sink);
    // A batch whose ids are not known yet is kept (its whole analysis) until they are; when two are
    // kept, a connection is finished only once its id is known (a chain's current connection has
    // its highest id), so that a gap in the capture, which finishes thousands of connections at
    // once, does not keep every batch's analysis. Holding a connection longer changes no answer.
    this.stream = new StreamingAnalysis(init.engine, (a, ids, order) => this.finished(a, ids, order), {
      ...init.stream,
      finishable: (id) => id <= this.known || this.pending.length < 2,
    });
  }

  receive(m: ToShard): void {
    if (m.t === 'batch') this.batch(m.buffer, m.capacity, m.length, m.clock);
    else if (m.t === 'clock') this.stream.advance(m.clock);
    else if (m.t === 'finish') {
      this.stream.end();
      this.ended = true;
    } else if (m.t === 'ids') {
      if (this.known + m.ids.length > this.finalIds.length) {
        const grown = new Int32Array(Math.max(2 * this.finalIds.length, this.known + m.ids.length));
        grown.set(this.finalIds.subarray(0, this.known));
        this.finalIds = grown;
      }
      this.finalIds.set(m.ids, this.known);
      this.known += m.ids.length;
      this.stream.retry();
    }
    this.flush();
  }

  private batch(buffer: ArrayBuffer, capacity: number, length: number, clock: number): void {
    const b = new SegmentBatch(capacity, buffer, length);
    const { stream, view } = this;
    const opens = new Float64Array(length);
    let n = 0;
    for (let i = 0; i < length; i++) {
      stream.advance(b.clock[i]);
      b.read(i, view);
      const before = stream.stats.connections;
      stream.push(view);
      if (stream.stats.connections !== before) opens[n++] = b.index[i];
    }
    stream.advance(clock);
    const o = opens.slice(0, n);
    this.post({ t: 'ack', buffer, opens: o, finished: stream.stats.finished }, [buffer, o.buffer]);
  }

  /**
   * A batch of finished connections: written at once when their ids are known (and no batch before
   * it waits), else kept until they are; batches are written in the order they were finished.
   */
  private finished(a: Analysis, ids: Int32Array, order: BatchOrder): void {
    let max = 0;
    for (let i = 0; i < ids.length; i++) if (ids[i] > max) max = ids[i];
    if (this.pending.length === 0 && max <= this.known) this.render(a, ids, order);
    else this.pending.push({ a, ids, order, max });
  }

  private render(a: Analysis, ids: Int32Array, order: BatchOrder): void {
    for (let i = 0; i < ids.length; i++) ids[i] = this.finalIds[ids[i] - 1];
    this.write(a, ids, order);
    // Sent in pieces: the last sweep finishes every connection left in one go.
    if (this.text.length >= 1 << 20 || this.keptIds.length >= 1024) this.send();
  }

  /** Every line of a chain whose key is below this was written: what the stream handed over, less what waits for ids. */
  private get watermark(): number {
    const p = this.pending[0];
    const w = this.stream.watermark;
    return p === undefined ? w : Math.min(w, p.order.key[p.order.at[0]]);
  }

  private send(): void {
    const watermark = this.watermark;
    const { text, ends, keys, chains, lineIds } = this;
    this.post({ t: 'out', text, ends, keys, chains, lineIds, watermark, ids: this.keptIds, texts: this.keptTexts });
    this.sentWatermark = watermark;
    this.text = '';
    this.ends = [];
    this.keys = [];
    this.chains = [];
    this.lineIds = [];
    this.keptIds = [];
    this.keptTexts = [];
  }

  /** Writes the batches whose ids are known; after the end, says it is done. */
  private flush(): void {
    let written = 0;
    while (written < this.pending.length && this.pending[written].max <= this.known) {
      const p = this.pending[written++];
      this.render(p.a, p.ids, p.order);
    }
    if (written > 0) this.pending = this.pending.slice(written);
    if (this.ends.length > 0 || this.keptIds.length > 0 || this.watermark > this.sentWatermark) this.send();
    if (this.ended && this.pending.length === 0 && this.known === this.stream.stats.connections) {
      this.post({ t: 'done', counts: this.sink.counts.toJSON(), worst: this.sink.worst });
      this.ended = false;
    }
  }
}

// A worker thread started for a shard runs it (the command line's bundle starts itself, main.ts).
if (!isMainThread && (workerData as { role?: string } | null)?.role === SHARD_ROLE && parentPort !== null) runShard(parentPort);
