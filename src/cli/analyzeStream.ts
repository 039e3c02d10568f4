/**
 * `analyze` over a capture in bounded memory: decoding feeds the streaming analysis
 * (core/engine/stream.ts) segment by segment, and each batch of finished connections is written
 * (`--format jsonl`; `--format parquet`, rows into the Parquet parts), kept as text (`--json`,
 * written in id order at the end), or only counted (`--summary`). The same engine and the same
 * answers as the whole-capture analysis.
 */
import { analysisOf, type Analysis, type Connection, type EngineOptions, type Severity } from '../core/engine';
import { StreamingAnalysis } from '../core/engine/stream';
import { parseFilter, type CompiledFilter } from '../core/filter';
import { matchingConnections } from '../core/filter/context';
import { connectionJsonText, JsonCollector, SummaryCounts, type InputSummary } from '../core/report/json';
import { decodeStream, type ReadProgress } from '../node/captureStream';
import { UnreadableFileError } from '../node/captureFile';
import { ParquetSink } from '../node/parquet';
import { zeekLines, zeekLogTime, zeekTsvFooter, zeekTsvHeader, type ZeekFormat } from '../core/report/zeek';
import { streamProgressText } from '../node/progressText';
import type { CliIO } from './main';

export type StreamedOutput = 'json' | 'jsonl' | 'summary' | 'json-summary' | 'parquet' | ZeekFormat;

export interface StreamRun {
  file: string;
  output: StreamedOutput;
  filter: string | null;
  engine: Partial<EngineOptions>;
  /** Exit 1 when a finding at least this severe exists (its rank), or null. */
  failRank: number | null;
  progress: boolean;
  /** Zeek outputs: add the community_id column. */
  communityId?: boolean;
  /** Zeek outputs: Zeek's likely_server_ports, when not Zeek's default. */
  zeekServerPorts?: ReadonlySet<number>;
  /** For the 'parquet' output: the directory and the rows per file (null: the default). */
  parquet?: { dir: string; rowsPerFile: number | null };
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

const SEVERITY_RANK: Record<Severity, number> = { hint: 0, info: 1, warning: 2, error: 3 };

/** Progress on stderr: one line rewritten in place, at most four times a second. */
class ProgressLine {
  private last = 0;
  private readonly started = Date.now();
  shown = false;

  constructor(private readonly io: CliIO) {}

  update(p: ReadProgress, packets: number, s: StreamingAnalysis, force = false): void {
    const now = Date.now();
    if (!force && now - this.last < 250) return;
    this.last = now;
    const { bytesRead, totalBytes } = p;
    const line = streamProgressText({ bytesRead, totalBytes, segments: packets, connections: s.stats.connections, finished: s.stats.finished, seconds: (now - this.started) / 1000 });
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
    const parsed = parseFilter(run.filter);
    if (parsed.filter === null) {
      const e = parsed.errors[0];
      io.err(`teardown-tracer analyze: filter: ${e ? `${e.message} (at characters ${e.start + 1}-${e.end})` : 'invalid'}\n`);
      return 2;
    }
    filter = parsed.filter;
  }
  const counts = new SummaryCounts();
  const collector = run.output === 'json' ? new JsonCollector() : null;
  let sink: ParquetSink | null = null;
  if (run.output === 'parquet' && run.parquet) {
    sink = openParquet(run.parquet, io);
    if (sink === null) return 2;
  }
  let worst = -1;
  const zeek = run.output === 'zeek' || run.output === 'zeek-json' ? run.output : null;
  const zeekOptions = { communityId: run.communityId === true, likelyServerPorts: run.zeekServerPorts };
  // The TSV header goes out with the first rows (or at the end), so an unreadable file prints none.
  let zeekHeader = zeek !== 'zeek';
  const header = (): void => {
    if (!zeekHeader) io.out(zeekTsvHeader(zeekOptions, zeekLogTime(new Date())));
    zeekHeader = true;
  };
  const onBatch = (a: Analysis): void => {
    let shown: Connection[] = a.connections;
    if (filter !== null) {
      const ids = matchingConnections(a, filter);
      shown = a.connections.filter((c) => ids.has(c.id));
    }
    if (collector !== null) {
      collector.add(shown === a.connections ? a : analysisOf(a, shown));
      return after(shown);
    }
    sink?.add(a, shown);
    let out = '';
    if (shown.length > 0) header();
    for (const c of shown) {
      counts.add(c);
      if (zeek !== null || run.output === 'jsonl') {
        out += zeek !== null ? zeekLines(a, c, zeek, zeekOptions) : connectionJsonText(a, c) + '\n';
        if (out.length >= 1 << 16) {
          io.out(out);
          out = '';
        }
      }
    }
    if (out !== '') io.out(out);
    after(shown);
  };
  const after = (shown: Connection[]): void => {
    for (const c of shown) for (const f of c.findings) worst = Math.max(worst, SEVERITY_RANK[f.severity]);
  };
  const stream = new StreamingAnalysis(run.engine, onBatch);
  const progress = run.progress ? new ProgressLine(io) : null;
  let packets = 0;
  let read;
  try {
    read = await decodeStream(
      run.file,
      (v) => {
        packets++;
        stream.push(v);
      },
      progress ? (p) => progress.update(p, packets, stream) : undefined,
    );
  } catch (e) {
    progress?.clear();
    if (e instanceof UnreadableFileError) {
      io.err(`teardown-tracer analyze: cannot read ${run.file}: ${e.message}\n`);
      return 2;
    }
    if (sink !== null) return writeFailed(e, sink, io);
    throw e;
  }
  if (read.report.unreadable) {
    progress?.clear();
    io.err(`teardown-tracer analyze: cannot read ${run.file}: ${read.report.stoppedAt?.message ?? 'not a capture'}\n`);
    return 2;
  }
  try {
    stream.end();
  } catch (e) {
    if (sink === null) throw e;
    progress?.clear();
    return writeFailed(e, sink, io);
  }
  progress?.clear();
  const warnings = [...read.report.notes(), ...read.notes, ...stream.warnings];
  for (const w of warnings) io.err(`warning: ${w}\n`);
  const input: InputSummary = {
    format: read.report.format,
    packets: read.report.packets,
    tcpSegments: read.report.tcpSegments,
    warnings,
  };
  if (collector !== null) {
    for (const chunk of collector.chunks(input)) io.out(chunk);
    io.out('\n');
  } else if (sink !== null) {
    const code = finishParquet(sink, input, counts, io);
    if (code !== 0) return code;
  } else if (zeek === 'zeek') {
    header();
    io.out(zeekTsvFooter(zeekLogTime(new Date())));
  }
  else if (zeek === 'zeek-json') {
    // Zeek's JSON log has records only.
  } else if (run.output === 'jsonl') io.out(JSON.stringify({ input, summary: counts.toJSON() }) + '\n');
  else if (run.output === 'json-summary') io.out(JSON.stringify({ input, summary: counts.toJSON(), connections: [] }, null, 2) + '\n');
  else io.out(JSON.stringify({ input, summary: counts.toJSON() }, null, 2) + '\n');
  return run.failRank !== null && worst >= run.failRank ? 1 : 0;
}
