/**
 * `analyze` over a capture in bounded memory: decoding feeds the streaming analysis
 * (core/engine/stream.ts) segment by segment, and each batch of finished connections is written
 * (`--format jsonl`), kept as text (`--json`, written in id order at the end), or only counted
 * (`--summary`). The same engine and the same answers as the whole-capture analysis.
 */
import { analysisOf, type Analysis, type Connection, type EngineOptions, type Severity } from '../core/engine';
import { StreamingAnalysis } from '../core/engine/stream';
import { parseFilter, type CompiledFilter } from '../core/filter';
import { matchingConnections } from '../core/filter/context';
import { connectionJsonText, JsonCollector, SummaryCounts, type InputSummary } from '../core/report/json';
import { decodeStream, type ReadProgress } from '../node/captureStream';
import { UnreadableFileError } from '../node/captureFile';
import { zeekLines, zeekLogTime, zeekTsvFooter, zeekTsvHeader, type ZeekFormat } from '../core/report/zeek';
import type { CliIO } from './main';

export type StreamedOutput = 'json' | 'jsonl' | 'summary' | 'json-summary' | ZeekFormat;

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
    const secs = Math.max(0.001, (now - this.started) / 1000);
    const mib = (n: number): string => (n / (1 << 20)).toFixed(n < 10 << 20 ? 1 : 0);
    const read = p.totalBytes >= 0 ? `${mib(p.bytesRead)} of ${mib(p.totalBytes)} MiB (${((100 * p.bytesRead) / Math.max(1, p.totalBytes)).toFixed(0)}%)` : `${mib(p.bytesRead)} MiB`;
    const open = s.stats.connections - s.stats.finished;
    const line = `${read}, ${packets} TCP segments, ${open} connections open, ${s.stats.finished} finished, ${(p.bytesRead / (1 << 20) / secs).toFixed(0)} MiB/s`;
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
    throw e;
  }
  if (read.report.unreadable) {
    progress?.clear();
    io.err(`teardown-tracer analyze: cannot read ${run.file}: ${read.report.stoppedAt?.message ?? 'not a capture'}\n`);
    return 2;
  }
  stream.end();
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
