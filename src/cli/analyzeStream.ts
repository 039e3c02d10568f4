/**
 * `analyze` over a capture in bounded memory: decoding feeds the streaming analysis
 * (core/engine/stream.ts) segment by segment, and each batch of finished connections is written
 * (`--format jsonl`, `zeek`, `zeek-json`; `--format parquet`, rows into the Parquet parts), kept as
 * text (`--json`, written in id order at the end), or only counted (`--summary`); with `--report`
 * each batch also feeds the overview (report.ts), written at the end. The same engine
 * and the same answers as the whole-capture analysis, on this thread or with batches analyzed by worker
 * threads (`--jobs`, for `--json`, `--summary` and `--format jsonl`: parallel.ts).
 */
import type { Analysis, EngineOptions } from '../core/engine';
import { StreamingAnalysis, type StreamOptions } from '../core/engine/stream';
import type { CompiledFilter } from '../core/filter';
import type { SegmentView } from '../core/model/segment';
import { JsonCollector, SummaryCounts, type InputSummary } from '../core/report/json';
import { zeekLines, zeekLogTime, zeekTsvFooter, zeekTsvHeader } from '../core/report/zeek';
import { decodeStream, type ReadProgress, type StreamedCapture } from '../node/captureStream';
import { decodeCaptureSet, fileNames } from '../node/captureSet';
import { UnreadableFileError } from '../node/captureFile';
import { ParquetSink } from '../node/parquet';
import { streamProgressText } from '../node/progressText';
import type { CliIO } from './main';
import { ParallelAnalysis, type ParallelRun } from './parallel';
import type { OverviewReport } from './report';
import { batchWriter, filterArg, lineWriter, SEVERITY_RANK, shownConnections, type BatchSink, type ShownListener, type StreamedOutput } from './streamOutput';

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
  /** Worker threads that analyze batches of finished connections (1: this thread only; Zeek and Parquet outputs and --report always run on one). */
  jobs: number;
  /** How a worker is started (default: a worker thread; tests run workers on message channels). */
  spawn?: ParallelRun['spawn'];
  /** Zeek outputs: add the community_id column. */
  communityId?: boolean;
  /** Zeek outputs: Zeek's likely_server_ports, when not Zeek's default. */
  zeekServerPorts?: ReadonlySet<number>;
  /** For the 'parquet' output: the directory and the rows per file (null: the default). */
  parquet?: { dir: string; rowsPerFile: number | null };
  /** `--report`: the overview, fed by this run's batches (on one thread) and written at the end. */
  report?: OverviewReport;
}

/** Opens the Parquet output of `analyze`, or says on stderr why it cannot (then null). */
export function openParquet(p: { dir: string; rowsPerFile: number | null }, io: CliIO): ParquetSink | null {
  try {
    return new ParquetSink(p.dir, { rowsPerFile: p.rowsPerFile ?? undefined, createdBy: 'teardown-tracer' });
  } catch (e) {
    io.err(`teardown-tracer analyze: cannot write ${p.dir}: ${(e as Error).message}\n`);
    return null;
  }
}

/** A file system error while writing the Parquet output, said on stderr (exit 2); anything else is thrown on. */
function writeFailed(e: unknown, sink: ParquetSink, io: CliIO): number {
  if (!(e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string')) throw e;
  io.err(`teardown-tracer analyze: cannot write ${sink.dir}: ${e.message}\n`);
  return 2;
}

/** Closes the Parquet output and prints what `--summary` prints, with the files written (exit status). */
export function finishParquet(sink: ParquetSink, input: InputSummary, counts: SummaryCounts, io: CliIO): number {
  let files;
  try {
    files = sink.finish();
  } catch (e) {
    return writeFailed(e, sink, io);
  }
  const parquet = {
    connections: { rows: sink.connections.rows, files: files.connections },
    segments: { rows: sink.segments.rows, files: files.segments },
  };
  io.out(JSON.stringify({ input, summary: counts.toJSON(), parquet }, null, 2) + '\n');
  return 0;
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
    const { bytesRead, totalBytes } = p;
    const line = streamProgressText({ bytesRead, totalBytes, segments: packets, connections: s.connections, finished: s.finished, seconds: (now - this.started) / 1000 });
    this.io.err(`\r\x1b[K${line}`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) this.io.err('\r\x1b[K');
  }
}

/**
 * The Zeek and Parquet outputs' work on each batch (on this thread): the display filter, the
 * counts, then conn.log lines written out or rows added to the Parquet tables.
 */
function formatWriter(run: StreamRun, filter: CompiledFilter | null, sink: BatchSink, parquet: ParquetSink | null, header: () => void, onShown?: ShownListener): (a: Analysis) => void {
  const zeek = run.output === 'zeek' || run.output === 'zeek-json' ? run.output : null;
  const zeekOptions = { communityId: run.communityId === true, likelyServerPorts: run.zeekServerPorts };
  return (a) => {
    const shown = shownConnections(a, filter);
    onShown?.(a, shown);
    parquet?.add(a, shown);
    let out = '';
    if (shown.length > 0 && zeek !== null) header();
    for (const c of shown) {
      sink.counts.add(c);
      for (const f of c.findings) sink.worst = Math.max(sink.worst, SEVERITY_RANK[f.severity]);
      if (zeek !== null) {
        out += zeekLines(a, c, zeek, zeekOptions);
        if (out.length >= 1 << 16) {
          sink.write(out);
          out = '';
        }
      }
    }
    if (out !== '') sink.write(out);
  };
}

export async function runStreamed(run: StreamRun, io: CliIO): Promise<number> {
  const filter = filterArg(run.filter, io);
  if (filter === undefined) return 2;
  const collector = run.output === 'json' ? new JsonCollector() : null;
  const sink: BatchSink = {
    counts: collector?.counts ?? new SummaryCounts(),
    worst: -1,
    keep: (id, text) => collector?.put([id], [text]),
    write: (text) => io.out(text),
    ...lineWriter((text) => io.out(text)),
    bytes: io.outBytes && ((b) => io.outBytes?.(b)),
  };
  let parquet: ParquetSink | null = null;
  if (run.output === 'parquet' && run.parquet) {
    parquet = openParquet(run.parquet, io);
    if (parquet === null) return 2;
  }
  // The TSV header goes out with the first rows (or at the end), so an unreadable file prints none.
  let zeekHeader = run.output !== 'zeek';
  const header = (): void => {
    if (!zeekHeader) io.out(zeekTsvHeader({ communityId: run.communityId === true, likelyServerPorts: run.zeekServerPorts }, zeekLogTime(new Date())));
    zeekHeader = true;
  };
  const formats = run.output === 'parquet' || run.output === 'zeek' || run.output === 'zeek-json';
  const report = run.report;
  const onShown: ShownListener | undefined = report && ((a, shown) => report.add(a, shown));
  const onBatch = formats ? formatWriter(run, filter, sink, parquet, header, onShown) : batchWriter(run.output, filter, sink, onShown);
  const so: StreamOptions = run.files !== undefined ? { files: fileNames(run.files) } : {};
  // More than one job: the batches of finished connections are analyzed by worker threads
  // (parallel.ts), the same engine and answers; one job (and the Zeek and Parquet outputs, and
  // --report): the streaming analysis on this thread.
  const stream: StreamEngine =
    run.jobs > 1 && !formats && report === undefined
      ? new ParallelAnalysis({ jobs: run.jobs, engine: run.engine, output: run.output, filter: run.filter, stream: so, spawn: run.spawn }, sink)
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
    if (parquet !== null) return writeFailed(e, parquet, io);
    throw e;
  }
  progress?.clear();
  input.warnings = [...(input.warnings ?? []), ...stream.warnings];
  for (const w of input.warnings) io.err(`warning: ${w}\n`);
  const summary = sink.counts.toJSON();
  if (collector !== null) {
    for (const chunk of collector.chunks(input)) io.out(chunk);
    io.out('\n');
  } else if (parquet !== null) {
    const code = finishParquet(parquet, input, sink.counts, io);
    if (code !== 0) return code;
  } else if (run.output === 'zeek') {
    header();
    io.out(zeekTsvFooter(zeekLogTime(new Date())));
  } else if (run.output === 'zeek-json' || run.output === 'none') {
    // Zeek's JSON log has records only; `none`: the report is the output.
  } else if (run.output === 'jsonl') io.out(JSON.stringify({ input, summary }) + '\n');
  else if (run.output === 'json-summary') io.out(JSON.stringify({ input, summary, connections: [] }, null, 2) + '\n');
  else io.out(JSON.stringify({ input, summary }, null, 2) + '\n');
  if (report !== undefined) {
    const code = report.write(input, io, (text) => (run.output === 'none' ? io.out(text) : io.err(text)));
    if (code !== 0) return code;
  }
  return run.failRank !== null && sink.worst >= run.failRank ? 1 : 0;
}

/** A single capture's input summary, or why it cannot be read. */
function inputOf(read: StreamedCapture): { error: string | null; input: InputSummary } {
  const r = read.report;
  if (r.unreadable) return { error: r.stoppedAt?.message ?? 'not a capture', input: { format: r.format, packets: 0, tcpSegments: 0 } };
  return { error: null, input: { format: r.format, packets: r.packets, tcpSegments: r.tcpSegments, warnings: [...r.notes(), ...read.notes] } };
}

/** What runStreamed feeds with segments: the streaming analysis on this thread, or its batches analyzed by worker threads. */
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
