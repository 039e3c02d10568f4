/**
 * `analyze` over a capture in bounded memory: decoding feeds the streaming analysis
 * (core/engine/stream.ts) segment by segment, and each batch of finished connections is written
 * (`--format jsonl`), kept as text (`--json`, written in id order at the end), or only counted
 * (`--summary`). The same engine and the same answers as the whole-capture analysis.
 */
import type { EngineOptions } from '../core/engine';
import { StreamingAnalysis, type StreamOptions } from '../core/engine/stream';
import type { CompiledFilter } from '../core/filter';
import type { SegmentView } from '../core/model/segment';
import { JsonCollector, SummaryCounts, type InputSummary } from '../core/report/json';
import { decodeStream, type ReadProgress, type StreamedCapture } from '../node/captureStream';
import { decodeCaptureSet, fileNames } from '../node/captureSet';
import { UnreadableFileError } from '../node/captureFile';
import type { CliIO } from './main';
import { ShardedAnalysis, type ShardedRun } from './shards';
import { batchWriter, compileFilter, type BatchSink, type StreamedOutput } from './streamOutput';

export type { StreamedOutput } from './streamOutput';

export interface StreamRun {
  file: string;
  /** Several capture files analyzed as one (merged by timestamp), when there are. */
  files?: string[];
  output: StreamedOutput;
  filter: string | null;
  engine: Partial<EngineOptions>;
  /** Exit 1 when a finding at least this severe exists (its rank), or null. */
  failRank: number | null;
  progress: boolean;
  /** Worker threads the connections are sharded over (1: this thread only). */
  jobs: number;
  /** How a shard is started (default: a worker thread; tests run shards on message channels). */
  spawn?: ShardedRun['spawn'];
}


/** Progress on stderr: one line rewritten in place, at most four times a second. */
class ProgressLine {
  private last = 0;
  private readonly started = Date.now();
  shown = false;

  constructor(private readonly io: CliIO) {}

  update(p: ReadProgress, packets: number, s: { connections: number; finished: number }, force = false): void {
    const now = Date.now();
    if (!force && now - this.last < 250) return;
    this.last = now;
    const secs = Math.max(0.001, (now - this.started) / 1000);
    const mib = (n: number): string => (n / (1 << 20)).toFixed(n < 10 << 20 ? 1 : 0);
    const read = p.totalBytes >= 0 ? `${mib(p.bytesRead)} of ${mib(p.totalBytes)} MiB (${((100 * p.bytesRead) / Math.max(1, p.totalBytes)).toFixed(0)}%)` : `${mib(p.bytesRead)} MiB`;
    const open = s.connections - s.finished;
    const line = `${read}, ${packets} TCP segments, ${open} connections open, ${s.finished} finished, ${(p.bytesRead / (1 << 20) / secs).toFixed(0)} MiB/s`;
    this.io.err(`\r\x1b[K${line}`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) this.io.err('\r\x1b[K');
  }
}

export async function runStreamed(run: StreamRun, io: CliIO): Promise<number> {
  let filter: CompiledFilter | null = null;
  if (run.filter !== null) {
    const compiled = compileFilter(run.filter);
    if (typeof compiled === 'string') {
      io.err(`teardown-tracer analyze: ${compiled}\n`);
      return 2;
    }
    filter = compiled;
  }
  const collector = run.output === 'json' ? new JsonCollector() : null;
  const sink: BatchSink = {
    counts: collector?.counts ?? new SummaryCounts(),
    worst: -1,
    keep: (id, text) => collector?.put([id], [text]),
    write: (text) => io.out(text),
  };
  const onBatch = batchWriter(run.output, filter, sink);
  const so: StreamOptions = run.files !== undefined ? { files: fileNames(run.files) } : {};
  // More than one job: connections sharded over worker threads (shards.ts), the same engine and
  // answers; one job: the streaming analysis on this thread.
  const stream: StreamEngine =
    run.jobs > 1 ? new ShardedAnalysis({ jobs: run.jobs, engine: run.engine, output: run.output, filter: run.filter, stream: so, spawn: run.spawn }, sink)
      : new InThread(new StreamingAnalysis(run.engine, onBatch, so));
  const progress = run.progress ? new ProgressLine(io) : null;
  let packets = 0;
  let input: InputSummary;
  try {
    const onSegment = (v: SegmentView): void => {
      packets++;
      stream.push(v);
    };
    const onChunk = (p: ReadProgress): Promise<void> | undefined => {
      progress?.update(p, packets, stream.progress);
      return stream.paced();
    };
    const read = run.files !== undefined ? await decodeCaptureSet(run.files, onSegment, onChunk) : inputOf(await decodeStream(run.file, onSegment, onChunk));
    if (read.error !== null) {
      stream.close();
      progress?.clear();
      io.err(`teardown-tracer analyze: cannot read ${run.files !== undefined ? 'any of the files' : run.file}: ${read.error}\n`);
      return 2;
    }
    await stream.end();
    input = read.input;
  } catch (e) {
    stream.close();
    progress?.clear();
    if (e instanceof UnreadableFileError) {
      io.err(`teardown-tracer analyze: cannot read ${run.file}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  progress?.clear();
  input.warnings = [...(input.warnings ?? []), ...stream.warnings];
  for (const w of input.warnings) io.err(`warning: ${w}\n`);
  const summary = sink.counts.toJSON();
  if (collector !== null) {
    for (const chunk of collector.chunks(input)) io.out(chunk);
    io.out('\n');
  } else if (run.output === 'jsonl') io.out(JSON.stringify({ input, summary }) + '\n');
  else if (run.output === 'json-summary') io.out(JSON.stringify({ input, summary, connections: [] }, null, 2) + '\n');
  else io.out(JSON.stringify({ input, summary }, null, 2) + '\n');
  return run.failRank !== null && sink.worst >= run.failRank ? 1 : 0;
}

/** A single capture's input summary, or why it cannot be read. */
function inputOf(read: StreamedCapture): { error: string | null; input: InputSummary } {
  const r = read.report;
  if (r.unreadable) return { error: r.stoppedAt?.message ?? 'not a capture', input: { format: r.format, packets: 0, tcpSegments: 0 } };
  return { error: null, input: { format: r.format, packets: r.packets, tcpSegments: r.tcpSegments, warnings: [...r.notes(), ...read.notes] } };
}

/** What runStreamed feeds with segments: the streaming analysis on this thread, or sharded over workers. */
export interface StreamEngine {
  push(v: SegmentView): void;
  /** Called after each chunk of input; a promise when the reader should wait (the workers are behind). */
  paced(): Promise<void> | undefined;
  /** The end of the capture: every connection is finished and handed to the sink. */
  end(): Promise<void>;
  /** Stops early (an unreadable input): workers are ended. */
  close(): void;
  readonly warnings: string[];
  /** For the progress line: connections seen so far, and finished. */
  readonly progress: { connections: number; finished: number };
}

/** The streaming analysis on this thread. */
class InThread implements StreamEngine {
  constructor(private readonly s: StreamingAnalysis) {}
  push(v: SegmentView): void {
    this.s.push(v);
  }
  paced(): undefined {
    return undefined;
  }
  end(): Promise<void> {
    this.s.end();
    return Promise.resolve();
  }
  close(): void {}
  get warnings(): string[] {
    return this.s.warnings;
  }
  get progress(): { connections: number; finished: number } {
    return this.s.stats;
  }
}
