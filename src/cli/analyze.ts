/**
 * `teardown-tracer analyze FILE`: connections, both endpoints' states, findings.
 * A contract other tools rely on: see README ("analyze") for the JSON document.
 */
import * as fs from 'fs';
import { analysisOf, analyze, FINDING_CODES, type Analysis, type EngineOptions, type FindingCode, type Severity } from '../core/engine';
import { analysisJson, analysisJsonChunks, SummaryCounts, type InputSummary } from '../core/report/json';
import { summaryTextChunks } from '../core/report/summary';
import { ladderText } from '../core/report/ladder';
import { zeekLines, zeekLogTime, zeekTsvFooter, zeekTsvHeader, type ZeekFormat } from '../core/report/zeek';

import { matchingConnections } from '../core/filter/context';
import { loadTrace, type LoadedTrace } from '../node/loadTrace';
import { startsLikeCapture } from '../node/captureFile';
import { decodeStream, isGzipFile } from '../node/captureStream';
import { SegmentTable } from '../core/model/segment';
import { runMerged } from './merge';
import { OverviewReport } from './report';
import { compileFilter, filterArg, SEVERITY_RANK } from './streamOutput';
import { finishParquet, openParquet, runStreamed, type StreamedOutput } from './analyzeStream';
import { decodeCaptureSet, expandInputs, fileNames } from '../node/captureSet';
import type { CliIO } from './main';


interface AnalyzeArgs {
  file: string;
  /** Further inputs: several files (or directories) analyzed as one capture. */
  more: string[];
  json: boolean;
  jsonl: boolean;
  /** --format zeek | zeek-json: Zeek's conn.log (TSV or JSON lines). */
  zeek: ZeekFormat | null;
  communityId: boolean;
  /** --zeek-server-ports: Zeek's likely_server_ports, when not Zeek's default. */
  zeekServerPorts: ReadonlySet<number> | undefined;
  summaryOnly: boolean;
  /** Progress on stderr: null = when stderr is a terminal. */
  progress: boolean | null;
  ladder: 'problems' | 'all' | 'none';
  absolute: boolean;
  failOn: Severity | null;
  filter: string | null;
  /** `--with SERVER`: the other side's capture of the same connections (see merge.ts). */
  withFile: string | null;
  engine: Partial<EngineOptions>;
  /** `--report FILE`: the overview as a self-contained HTML file (src/cli/report.ts). */
  report: string | null;
  /** --format parquet: the output directory (--out) and rows per file (--parquet-rows). */
  parquet: boolean;
  out: string | null;
  parquetRows: number | null;
  /** Worker threads for the streaming analysis (--jobs), null: one (parallel workers are opt-in, see the call of runStreamed). */
  jobs: number | null;
}

function parseArgs(args: string[]): AnalyzeArgs | string {
  const out: AnalyzeArgs = {
    file: '',
    more: [],
    json: false,
    jsonl: false,
    zeek: null,
    communityId: false,
    zeekServerPorts: undefined,
    summaryOnly: false,
    progress: null,
    ladder: 'problems',
    absolute: false,
    failOn: null,
    filter: null,
    withFile: null,
    engine: { severities: {} },
    report: null,
    parquet: false,
    out: null,
    parquetRows: null,
    jobs: null,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--json') out.json = true;
      else if (a === '--format') {
        const v = value();
        if (v === 'json') out.json = true;
        else if (v === 'jsonl') out.jsonl = true;
        else if (v === 'parquet') out.parquet = true;
        else if (v === 'zeek' || v === 'zeek-json') out.zeek = v;
        else if (v !== 'text') return `--format takes text, json, jsonl, zeek, zeek-json or parquet, not '${v}'`;
      } else if (a === '--out') out.out = value();
      else if (a === '--parquet-rows') {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 1) return `${a} takes a positive whole number of rows`;
        out.parquetRows = v;
      } else if (a === '--community-id') {
        out.communityId = true;
      } else if (a === '--zeek-server-ports') {
        const v = value();
        const ports = v === 'none' ? [] : v.split(',').map(Number);
        if (ports.some((p) => !Number.isInteger(p) || p < 0 || p > 65535)) return `--zeek-server-ports takes port numbers separated by commas, or none, not '${v}'`;
        out.zeekServerPorts = new Set(ports);
      } else if (a === '--progress') out.progress = true;
      else if (a === '--no-progress') out.progress = false;
      else if (a === '--idle-horizon' || a === '--attempt-horizon') {
        const v = Number(value());
        if (!Number.isFinite(v) || v <= 0) return `${a} takes a positive number of seconds`;
        if (a === '--idle-horizon') out.engine.idleHorizonSeconds = v;
        else out.engine.attemptHorizonSeconds = v;
      } else if (a === '--jobs' || a === '-j') {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 1 || v > 256) return `${a} takes a number of worker threads from 1 to 256`;
        out.jobs = v;
      } else if (a === '--summary') out.summaryOnly = true;
      else if (a === '--absolute') out.absolute = true;
      else if (a === '--ladder') {
        const v = value();
        if (v !== 'problems' && v !== 'all' && v !== 'none') return `--ladder takes problems, all or none, not '${v}'`;
        out.ladder = v;
      } else if (a === '--fail-on') {
        const v = value();
        if (!(v in SEVERITY_RANK)) return `--fail-on takes error, warning, info or hint, not '${v}'`;
        out.failOn = v as Severity;
      } else if (a === '--filter') out.filter = value();
      else if (a === '--with') out.withFile = value();
      else if (a === '--report') out.report = value();
      else if (a === '--msl' || a === '--linger' || a === '--idle') {
        const v = Number(value());
        if (!Number.isFinite(v) || v < 0) return `${a} takes a number of seconds`;
        if (a === '--msl') out.engine.mslSeconds = v;
        else if (a === '--linger') out.engine.lingerSeconds = v;
        else out.engine.idleSeconds = v;
      } else if (a === '--severity') {
        // --severity code=level, e.g. --severity port-reuse=off
        const [code, level] = value().split('=');
        if (!(FINDING_CODES as readonly string[]).includes(code)) return `unknown finding code '${code}'`;
        if (level !== 'off' && !(level in SEVERITY_RANK)) return `unknown severity '${level}'`;
        out.engine.severities![code as FindingCode] = level as Severity | 'off';
      } else if (a.startsWith('-') && a !== '-') return `unknown option '${a}'`;
      else if (out.file === '') out.file = a;
      else out.more.push(a);
    } catch (e) {
      return (e as Error).message;
    }
  }
  if (out.file === '') return 'no input file';
  if (out.jsonl && out.json) return '--format jsonl and --json: choose one';
  if (out.zeek !== null && (out.json || out.jsonl || out.summaryOnly)) return `--format ${out.zeek} is a format of its own: not with --json, jsonl or --summary`;
  if (out.parquet && (out.json || out.jsonl || out.zeek !== null)) return '--format parquet and --json, jsonl or zeek: choose one';
  if (out.parquet !== (out.out !== null)) return out.parquet ? '--format parquet needs --out DIR' : '--out DIR goes with --format parquet';
  if (out.withFile !== null && (out.zeek !== null || out.report !== null || out.parquet))
    return '--with takes the text report, --json, --format jsonl, --summary and --filter (not --format zeek or parquet, or --report)';
  return out;
}


/** Connections that have at least one segment matching the display filter. */
function filterConnections(a: Analysis, expr: string): { ids: Set<number> } | { error: string } {
  const compiled = compileFilter(expr);
  return typeof compiled === 'string' ? { error: compiled } : { ids: matchingConnections(a, compiled) };
}

export async function runAnalyze(args: string[], io: CliIO): Promise<number> {
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    io.err(`teardown-tracer analyze: ${parsed}\n`);
    return 2;
  }
  // Several files, or a directory: one capture merged by timestamp (a directory of one file, or a
  // single file, is analyzed as before).
  let files: string[] | null = null;
  if (parsed.more.length > 0 || isDirectory(parsed.file)) {
    const set = expandInputs([parsed.file, ...parsed.more]);
    for (const p of set.skipped) io.err(`warning: ${p}: not a capture file; skipped\n`);
    if (set.files.includes('-')) {
      io.err('teardown-tracer analyze: - (standard input) cannot be one of several inputs\n');
      return 2;
    }
    if (set.files.length === 0) {
      io.err(`teardown-tracer analyze: no capture files in ${[parsed.file, ...parsed.more].join(', ')}\n`);
      return 2;
    }
    if (set.files.length > 1) files = set.files;
    parsed.file = set.files[0];
  }
  const streamable = files !== null || parsed.file === '-' || isGzipFile(parsed.file) || startsLikeCapture(parsed.file);
  if (files !== null && parsed.withFile !== null) {
    io.err('teardown-tracer analyze: --with reads one capture file, not several\n');
    return 2;
  }
  if (parsed.withFile !== null) {
    const filter = filterArg(parsed.filter, io);
    if (filter === undefined) return 2;
    return runMerged({ ...parsed, withFile: parsed.withFile, filter }, io);
  }
  // `--report`: the overview, made from the same analysis as the other outputs asked for (alone,
  // it is the only output).
  const others = parsed.json || parsed.jsonl || parsed.summaryOnly || parsed.zeek !== null || parsed.parquet;
  let report: OverviewReport | undefined;
  if (parsed.report !== null) {
    const r = OverviewReport.open(files ?? [parsed.file], parsed.report, io);
    if (r === null) return 2;
    report = r;
  }
  if (parsed.jsonl && !streamable) {
    io.err(`teardown-tracer analyze: --format jsonl reads captures (pcap, pcapng, gzip-compressed or piped); ${parsed.file} is a text trace: use --json\n`);
    return 2;
  }
  // Captures with a JSON or summary output run through the streaming analysis, in memory that
  // follows the connections open at once (the same engine and answers); the text output's ladders
  // and text traces use the whole-capture analysis.
  const parquet = parsed.out !== null ? { dir: parsed.out, rowsPerFile: parsed.parquetRows } : undefined;
  if (streamable && (others || report !== undefined)) {
    const output: StreamedOutput = !others
      ? 'none'
      : parsed.parquet
        ? 'parquet'
        : parsed.zeek ?? (parsed.jsonl ? 'jsonl' : parsed.json ? (parsed.summaryOnly ? 'json-summary' : 'json') : 'summary');
    return runStreamed(
      {
        file: parsed.file,
        files: files ?? undefined,
        output,
        filter: parsed.filter,
        engine: parsed.engine,
        failRank: parsed.failOn === null ? null : SEVERITY_RANK[parsed.failOn],
        progress: parsed.progress ?? process.stderr.isTTY === true,
        communityId: parsed.communityId,
        zeekServerPorts: parsed.zeekServerPorts,
        parquet,
        report,
        // One thread unless asked: on the shared 2-core machine one thread was as fast or faster except
        // for --summary at 8x on an idle machine, and takes a third less memory (docs/bench.md).
        jobs: parsed.jobs ?? 1,
      },
      io,
    );
  }
  const loaded =
    files !== null ? await loadCaptureSet(files) : parsed.file === '-' || isGzipFile(parsed.file) ? await loadStreamedWhole(parsed.file) : loadTrace(parsed.file);
  if (loaded.error !== null) {
    io.err(`teardown-tracer analyze: cannot read ${parsed.file}: ${loaded.error}\n`);
    return 2;
  }
  for (const w of loaded.input.warnings) io.err(`warning: ${w}\n`);
  for (const e of loaded.parseErrors) io.err(`${parsed.file}:${e.line + 1}:${e.startCol + 1}: ${e.message}\n`);
  const a = analyze(loaded.table, parsed.engine, loaded.steps);
  let shown = a.connections;
  if (parsed.filter !== null) {
    const f = filterConnections(a, parsed.filter);
    if ('error' in f) {
      io.err(`teardown-tracer analyze: ${f.error}\n`);
      return 2;
    }
    shown = a.connections.filter((c) => f.ids.has(c.id));
  }
  const input: InputSummary = {
    format: loaded.input.format,
    packets: loaded.input.packets,
    tcpSegments: loaded.input.tcpSegments,
    warnings: loaded.input.warnings,
    ...((loaded.input as InputSummary).files !== undefined ? { files: (loaded.input as InputSummary).files } : {}),
  };
  let view: Analysis = a;
  if (shown !== a.connections) view = analysisOf(a, shown);
  if (report !== undefined) {
    report.add(a, shown);
    const code = report.write(input, io, (text) => (others ? io.err(text) : io.out(text)));
    if (code !== 0) return code;
  }

  // Large outputs are written in chunks of about 64 KiB as they are made, never as one string (a
  // chunk still being built when the garbage collector runs is copied, and larger ones get promoted:
  // 1 MiB chunks made the collector 5x busier on the bench capture).
  if (parquet !== undefined) {
    // A text trace: the whole analysis is one batch.
    const sink = openParquet(parquet, io);
    if (sink === null) return 2;
    const counts = new SummaryCounts();
    for (const c of shown) counts.add(c);
    sink.add(a, shown);
    const code = finishParquet(sink, input, counts, io);
    if (code !== 0) return code;
  } else if (parsed.zeek !== null) {
    const format = parsed.zeek;
    const o = { communityId: parsed.communityId, likelyServerPorts: parsed.zeekServerPorts };
    if (format === 'zeek') io.out(zeekTsvHeader(o, zeekLogTime(new Date())));
    let out = '';
    for (const c of shown) {
      out += zeekLines(a, c, format, o);
      if (out.length >= 1 << 16) {
        io.out(out);
        out = '';
      }
    }
    if (out !== '') io.out(out);
    if (format === 'zeek') io.out(zeekTsvFooter(zeekLogTime(new Date())));
  } else if (report !== undefined && !others) {
    // The report was the output.
  } else if (parsed.json && !parsed.summaryOnly) {
    for (const chunk of analysisJsonChunks(view, input)) io.out(chunk);
    io.out('\n');
  } else if (parsed.json) {
    io.out(JSON.stringify(analysisJson(view, input, { connections: false }), null, 2) + '\n');
  } else if (parsed.summaryOnly) {
    const doc = analysisJson(view, input, { connections: false });
    io.out(JSON.stringify({ input: doc.input, summary: doc.summary }, null, 2) + '\n');
  } else {
    for (const chunk of summaryTextChunks(view, input)) io.out(chunk);
    let out = '';
    for (const c of shown) {
      if (parsed.ladder === 'none' || (parsed.ladder === 'problems' && c.findings.length === 0)) continue;
      out += `\n#${c.id} step by step:\n` + ladderText(a, c, { relative: !parsed.absolute });
      if (out.length >= 1 << 16) {
        io.out(out);
        out = '';
      }
    }
    if (out !== '') io.out(out);
  }
  if (parsed.failOn !== null) {
    const min = SEVERITY_RANK[parsed.failOn];
    if (view.findings.some((f) => SEVERITY_RANK[f.severity] >= min)) return 1;
  }
  return 0;
}

function isDirectory(p: string): boolean {
  try {
    return p !== '-' && fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Several capture files merged into one table (for ladders); references name the files. */
async function loadCaptureSet(files: string[]): Promise<LoadedTrace> {
  const table = new SegmentTable(4096, undefined, fileNames(files));
  const set = await decodeCaptureSet(files, (v) => table.append(v));
  const input = { ...set.input, warnings: set.input.warnings ?? [] };
  return { format: 'pcap', table, input, parseErrors: [], steps: undefined, error: set.error };
}

/** A gzip-compressed or piped capture read whole into a table (for ladders). */
async function loadStreamedWhole(path: string): Promise<LoadedTrace> {
  const table = new SegmentTable(4096);
  const empty = (error: string): LoadedTrace => ({
    format: 'unknown',
    table,
    input: { format: 'unknown', packets: 0, tcpSegments: 0, warnings: [] },
    parseErrors: [],
    steps: undefined,
    error,
  });
  try {
    const read = await decodeStream(path, (v) => table.append(v));
    if (read.report.unreadable) return empty(read.report.stoppedAt?.message ?? 'not a capture');
    return {
      format: read.report.format === 'pcapng' ? 'pcapng' : 'pcap',
      table,
      input: { format: read.report.format, packets: read.report.packets, tcpSegments: read.report.tcpSegments, warnings: [...read.report.notes(), ...read.notes] },
      parseErrors: [],
      steps: undefined,
      error: null,
    };
  } catch (e) {
    return empty((e as Error).message);
  }
}
