/**
 * A big capture in the analysis worker (captures of at least `teardownTracer.streamingThresholdMB`):
 * the streaming analysis, not the decoded capture.
 *
 * Opening runs the streaming pass once (src/node/captureIndex.ts: decode → StreamingAnalysis →
 * analyze() per batch of finished connections, the engine of `analyze --format jsonl`), reporting
 * `$/progress` in the words of the CLI's progress line. What stays is a compact index: per
 * connection its outcome, close initiator, final states, finding codes and severities, endpoints,
 * times and the frames of its segments; per frame its byte offset. The side bar's counts, groups
 * and pages come from it. Everything that needs segments (a view's text, hovers, inlay hints,
 * diagnostics, the ladder, a page of connections with their findings' sentences, an export of one
 * connection) reads those connections back from the file and runs the same `analyze()` on them
 * (ConnectionIndex.analyzeConnections): a `?conn=N` view holds connection N (and the connections
 * of its 4-tuple analyzed with it), the whole view `?view=all` the first connections up to
 * `maxSegmentsShown` segments, so its text is the whole-capture path's text. Then every feature of
 * features.ts runs on that document unchanged; only the requests about every connection
 * (`counts`, `connections`, `segments` of a connection the document does not hold, `exportText`)
 * are answered here. A display filter needs every segment: it re-reads the file through the same
 * streaming pass (as `analyze --filter --format jsonl` does) and its matches are remembered; so
 * does the export of every connection's analysis (JSON), through a scratch file.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { analyze, type Analysis, type Connection } from '../core/engine';
import { parseFilter } from '../core/filter';
import { matchingConnections } from '../core/filter/context';
import { analysisJsonHead, connectionJsonText, SummaryCounts } from '../core/report/json';
import { ladderSummary, ladderWindow, indexOfRow, type LineOf } from '../core/report/ladderModel';
import { OUTCOMES } from '../core/engine/records';
import { SegmentTable } from '../core/model/segment';
import type { DecodeReport } from '../core/decode';
import type { ConnectionIndex, RecordReader } from '../core/engine/connectionIndex';
import { fileRecordReader, streamCaptureFile, type StreamPass } from '../node/captureIndex';
import type { LoadedTrace } from '../node/loadTrace';
import { streamProgressText } from '../node/progressText';
import { UnreadableFileError } from '../node/captureFile';
import { OUTCOME_ORDER, type ConnectionCounts, type ConnectionsRequest, type Outcome, type SegmentsRequest } from '../shared/lspProtocol';
import { runFeature, type FeatureName, type FeatureParams, type FeatureResult } from './features';
import { OverviewBuilder } from '../core/report/overview';
import { overviewAnswer, type BuiltOverview } from './overview';
import { engineOptions, type ServerSettings } from './settings';
import { captureViewDoc, type TraceDoc } from './traceDoc';
import type { LoadSummary } from './workerProtocol';

/** True when a capture file this large takes the streaming path. */
export function streamsCapture(path: string, settings: ServerSettings): boolean {
  try {
    return fs.statSync(path).size >= settings.streamingThresholdMB * 1e6;
  } catch {
    return false;
  }
}

interface Match {
  /** Matching ids, ascending; null: every connection. */
  ids: Int32Array | null;
  errors: { start: number; end: number; message: string }[];
  counts: ConnectionCounts;
}

/** Analyses read back, remembered (a ladder asks for windows of the same connection). */
const READ_BACKS_REMEMBERED = 8;
const FILTERS_REMEMBERED = 4;

export class BigCapture {
  private readonly readBacks = new Map<string, Analysis>();
  private readonly filters = new Map<string, Promise<Match>>();
  private allIds: Int32Array | null = null;
  private readonly docConnections = new WeakMap<TraceDoc, Map<number, Connection>>();
  private readonly read: RecordReader | null;
  private readonly report: DecodeReport | null;
  private readonly warnings: string[];
  /** Bytes held by the two indexes. */
  readonly indexBytes: number;
  /** The compact index (null when nothing could be read). */
  readonly index: ConnectionIndex | null;
  readonly findings: number;
  /** Told the progress of a display filter's pass over the file (set by the worker). */
  onTask: ((title: string, percent: number, message: string, done: boolean) => void) | null = null;
  /** The Teardown overview of the whole capture, made by the streaming pass (null when nothing could be read). */
  private readonly built: BuiltOverview | null;

  private constructor(
    readonly path: string,
    pass: StreamPass | null,
    /** Why nothing could be read (the file, or not a capture), or null. */
    readonly error: string | null,
    readonly settings: ServerSettings,
    readonly ms: number,
    overview: { builder: OverviewBuilder; ms: number },
  ) {
    this.report = pass?.report ?? null;
    this.warnings = pass?.warnings ?? [];
    this.index = error === null ? pass!.connections! : null;
    this.read = error === null ? fileRecordReader(path, pass!.records!) : null;
    this.indexBytes = error === null ? pass!.connections!.byteSize + pass!.records!.byteSize : 0;
    let n = 0;
    for (let id = 1; id <= (this.index?.count ?? 0); id++) n += this.index!.findingCount(id);
    this.findings = n;
    if (error === null) {
      const t0 = performance.now();
      const r = this.report;
      const source = { name: baseName(this.path), format: r?.format ?? 'unknown', packets: r?.packets ?? 0, segments: this.index!.segments };
      const done = overview.builder.finish(source);
      this.built = { builder: overview.builder, overview: done, ms: overview.ms + performance.now() - t0 };
    } else this.built = null;
  }

  /** Runs the streaming pass over the file. `progress` is told the fraction read and the CLI's progress sentence. */
  static async open(path: string, settings: ServerSettings, progress: (percent: number, message: string) => void): Promise<BigCapture> {
    const t0 = performance.now();
    let last = 0;
    let pass: StreamPass | null;
    let error: string | null = null;
    // The Teardown overview is fed by the same pass, each batch as its connections are finished.
    const overview = { builder: new OverviewBuilder(), ms: 0 };
    try {
      pass = await streamCaptureFile(path, {
        engine: engineOptions(settings),
        index: true,
        onBatch: (a) => {
          const t = performance.now();
          overview.builder.add(a);
          overview.ms += performance.now() - t;
        },
        onProgress: (p) => {
          const now = performance.now();
          if (now - last < 250) return;
          last = now;
          progress(Math.round((100 * p.bytesRead) / Math.max(1, p.totalBytes)), streamProgressText(p));
        },
      });
      if (pass.report.unreadable) error = pass.report.stoppedAt?.message ?? 'not a capture';
    } catch (e) {
      if (!(e instanceof UnreadableFileError)) throw e;
      pass = null;
      error = e.message;
    }
    return new BigCapture(path, pass, error, settings, performance.now() - t0, overview);
  }

  summary(): LoadSummary {
    const index = this.index;
    return {
      error: this.error,
      segments: index?.segments ?? 0,
      connections: index?.count ?? 0,
      findings: this.findings,
      decodeMs: this.ms,
      analyzeMs: 0,
      streamed: true,
      indexBytes: this.indexBytes,
      overviewMs: this.built?.ms,
      overviewBytes: this.built?.builder.byteSize,
    };
  }

  private input(): LoadedTrace['input'] {
    const r = this.report;
    return { format: r?.format ?? 'unknown', packets: r?.packets ?? 0, tcpSegments: r?.tcpSegments ?? 0, warnings: [...this.warnings] };
  }

  private loaded(a: Analysis | null): LoadedTrace {
    return {
      format: this.report?.format === 'pcapng' ? 'pcapng' : this.error !== null ? 'unknown' : 'pcap',
      table: a?.table ?? new SegmentTable(16),
      input: this.input(),
      parseErrors: [],
      steps: undefined,
      error: this.error,
    };
  }

  /** The analysis of these connections (and their chains), read back from the file; remembered. */
  private analysisOf(ids: readonly number[]): Analysis {
    const key = ids.join(',');
    const hit = this.readBacks.get(key);
    if (hit) {
      this.readBacks.delete(key);
      this.readBacks.set(key, hit);
      return hit;
    }
    const a = this.index!.analyzeConnections(ids, this.read!, engineOptions(this.settings));
    this.readBacks.set(key, a);
    if (this.readBacks.size > READ_BACKS_REMEMBERED) this.readBacks.delete(this.readBacks.keys().next().value as string);
    return a;
  }

  /**
   * A view's document: `?conn=N` holds connection N read back; the whole view the first
   * connections up to `maxSegmentsShown` segments (and the rest of their chains).
   */
  doc(uri: string, connection: number | undefined, settings: ServerSettings): TraceDoc {
    const index = this.index;
    if (index === null || this.error !== null) return captureViewDoc(uri, this.loaded(null), emptyAnalysis(), settings, connection);
    let ids: number[];
    if (connection !== undefined) ids = connection >= 1 && connection <= index.count ? [connection] : [];
    else {
      ids = [];
      let shown = 0;
      for (let id = 1; id <= index.count && shown < settings.maxSegmentsShown; id++) {
        ids.push(id);
        shown += index.segmentCount(id);
      }
    }
    const a = ids.length > 0 ? index.analyzeConnections(ids, this.read!, engineOptions(this.settings)) : emptyAnalysis();
    return captureViewDoc(uri, this.loaded(a), a, settings, connection, connection === undefined ? index.segments : undefined);
  }

  /** Runs a feature on a view's document: the requests about every connection here, the rest on the document. */
  async run<K extends FeatureName>(t: TraceDoc, name: K, params: FeatureParams<K>): Promise<FeatureResult<K>> {
    if (this.index === null || this.error !== null) return runFeature(t, name, params);
    switch (name) {
      case 'counts':
        return { connections: this.index.count, findings: this.findings, errors: 0 } as FeatureResult<K>;
      case 'connections':
        return (await this.connections(t, params as FeatureParams<'connections'>)) as FeatureResult<K>;
      case 'segments':
        return this.segments(t, params as FeatureParams<'segments'>) as FeatureResult<K>;
      case 'exportText':
        return (await this.exportText(t, params as FeatureParams<'exportText'>)) as FeatureResult<K>;
      case 'openCapture':
        return { ...runFeature(t, 'openCapture', undefined), streamed: true } as FeatureResult<K>;
      case 'overview':
        return overviewAnswer(this.built!, params as FeatureParams<'overview'>) as FeatureResult<K>;
      default:
        return runFeature(t, name, params);
    }
  }

  // ------------------------------------------------------------------------------- connections

  private ids(): Int32Array {
    if (this.allIds === null) {
      const n = this.index!.count;
      this.allIds = new Int32Array(n);
      for (let i = 0; i < n; i++) this.allIds[i] = i + 1;
    }
    return this.allIds;
  }

  /** Counts over some connections (all: null), from the index's columns. */
  private countIds(ids: Int32Array | null): ConnectionCounts {
    const index = this.index!;
    const outcomes = Object.fromEntries(OUTCOME_ORDER.map((o) => [o, 0])) as ConnectionCounts['outcomes'];
    const bySeverity: ConnectionCounts['bySeverity'] = { error: 0, warning: 0, info: 0, hint: 0 };
    const byCode: ConnectionCounts['byCode'] = {};
    let findings = 0;
    let withFindings = 0;
    const all = ids ?? this.ids();
    for (const id of all) {
      outcomes[index.outcome(id)]++;
      if (index.findingCount(id) === 0) continue;
      withFindings++;
      for (const f of index.findings(id)) {
        findings++;
        bySeverity[f.severity]++;
        const e = byCode[f.code];
        if (e) e.count++;
        else byCode[f.code] = { severity: f.severity, count: 1 };
      }
    }
    return { connections: all.length, withFindings, outcomes, findings, bySeverity, byCode };
  }

  /** The connections matching a display filter ('' for all): a pass over the file for a filter, remembered. */
  private matching(filter: string): Promise<Match> {
    const hit = this.filters.get(filter);
    if (hit) return hit;
    const p = this.match(filter);
    this.filters.set(filter, p);
    if (this.filters.size > FILTERS_REMEMBERED) {
      for (const k of this.filters.keys()) {
        if (k === '') continue;
        this.filters.delete(k);
        break;
      }
    }
    return p;
  }

  private async match(filter: string): Promise<Match> {
    if (filter === '') return { ids: null, errors: [], counts: this.countIds(null) };
    const parsed = parseFilter(filter);
    if (parsed.filter === null) return { ids: new Int32Array(0), errors: parsed.errors, counts: this.countIds(new Int32Array(0)) };
    const compiled = parsed.filter;
    const found: number[] = [];
    const title = `Filtering ${path.basename(this.path)}: ${filter}`;
    let last = 0;
    try {
      await streamCaptureFile(this.path, {
        engine: engineOptions(this.settings),
        onBatch: (a) => {
          for (const id of matchingConnections(a, compiled)) found.push(id);
        },
        onProgress: (p) => {
          const now = performance.now();
          if (now - last < 250) return;
          last = now;
          this.onTask?.(title, Math.round((100 * p.bytesRead) / Math.max(1, p.totalBytes)), `${streamProgressText(p)}, ${found.length} matching`, false);
        },
      });
    } finally {
      this.onTask?.(title, 100, 'done', true);
    }
    const ids = Int32Array.from(found).sort();
    return { ids, errors: [], counts: this.countIds(ids) };
  }

  private async connections(t: TraceDoc, p: FeatureParams<'connections'>): Promise<ConnectionsRequest.Result> {
    const index = this.index!;
    const m = await this.matching(typeof p.filter === 'string' ? p.filter.trim() : '');
    let ids: Int32Array = m.ids ?? this.ids();
    if (typeof p.outcome === 'string') {
      const o = OUTCOMES.indexOf(p.outcome) >= 0 ? (p.outcome as Outcome) : null;
      ids = ids.filter((id) => index.outcome(id) === o);
    }
    if (p.withFindings === true) ids = ids.filter((id) => index.findingCount(id) > 0);
    if (Array.isArray(p.ids)) {
      const wanted = new Set(p.ids);
      // A few ids of every connection: looked up, not scanned for.
      ids =
        ids === this.allIds && ids.length > wanted.size
          ? Int32Array.from([...wanted].filter((id) => Number.isInteger(id) && id >= 1 && id <= index.count)).sort()
          : ids.filter((id) => wanted.has(id));
    }
    const total = ids.length;
    const offset = Math.min(total, wire(p.offset, 0));
    const end = Math.min(total, offset + wire(p.limit, total));
    const page = Array.from(ids.subarray(offset, end));
    const explanations = p.includeExplanations === true;
    return {
      input: this.input(),
      connections: this.summaries(t, page, explanations),
      total,
      offset,
      summary: m.counts,
      filterErrors: m.errors,
    };
  }

  /** Connections as the protocol carries them: from the document when it holds them all, else read back. */
  private summaries(t: TraceDoc, ids: number[], explanations: boolean): ConnectionsRequest.Result['connections'] {
    if (ids.length === 0) return [];
    const inDoc = this.connectionsOf(t);
    if (ids.every((id) => inDoc.has(id))) {
      const lineOf: LineOf = (row) => (row >= 0 ? t.rowLine[row] : -1);
      return ids.map((id) => ladderSummary(t.analysis, inDoc.get(id)!, lineOf, explanations));
    }
    const a = this.analysisOf(ids);
    const byId = new Map(a.connections.map((c) => [c.id, c]));
    const lineOf = this.docLines(t, a);
    return ids.map((id) => ladderSummary(a, byId.get(id)!, lineOf, explanations));
  }

  /** The document's connections by id. */
  private connectionsOf(t: TraceDoc): Map<number, Connection> {
    let m = this.docConnections.get(t);
    if (!m) {
      m = new Map(t.analysis.connections.map((c) => [c.id, c]));
      this.docConnections.set(t, m);
    }
    return m;
  }

  /** The line of the document that shows a row of a read-back analysis (-1: not shown). */
  private docLines(t: TraceDoc, a: Analysis): LineOf {
    const inDoc = this.connectionsOf(t);
    return (row) => {
      if (row < 0) return -1;
      const c = a.connections[a.rowConn[row]];
      const d = c ? inDoc.get(c.id) : undefined;
      if (!d) return -1;
      const r = d.rows[indexOfRow(c, row)];
      return r === undefined ? -1 : t.rowLine[r];
    };
  }

  // ------------------------------------------------------------------------- one connection

  private segments(t: TraceDoc, p: FeatureParams<'segments'>): SegmentsRequest.Result {
    if (this.connectionsOf(t).has(p.connection)) return runFeature(t, 'segments', p);
    const index = this.index!;
    if (!(p.connection >= 1 && p.connection <= index.count)) return runFeature(t, 'segments', p);
    return ladderWindow(this.analysisOf([p.connection]), p.connection, p.start, p.count, () => -1);
  }

  private async exportText(t: TraceDoc, p: FeatureParams<'exportText'>): Promise<FeatureResult<'exportText'>> {
    if (p.connection === undefined) {
      if (p.kind === 'analysis-json' && p.target !== undefined) return this.exportAllJson(p.target);
      throw new Error(
        `${this.index!.count.toLocaleString('en-US')} connections are too many to export from the editor but as the analysis (JSON) to a file: export one connection, or run \`teardown-tracer analyze ${this.path} --format jsonl\``,
      );
    }
    if (this.connectionsOf(t).has(p.connection)) return runFeature(t, 'exportText', p);
    const a = this.analysisOf([p.connection]);
    return runFeature(captureViewDoc(t.uri, this.loaded(a), a, t.settings, p.connection), 'exportText', p);
  }

  /**
   * The `analyze --json` document of every connection, written to `target` in bounded memory: a
   * streaming pass writes each connection's text to a scratch file as it finishes (remembering
   * where), then the document is written with the connections in id order, read back from it.
   */
  private async exportAllJson(target: string): Promise<FeatureResult<'exportText'>> {
    let out: string;
    try {
      out = fileURLToPath(target);
    } catch {
      throw new Error(`cannot write an export to ${target}: only file: URIs`);
    }
    const n = this.index!.count;
    const at = new Float64Array(n);
    const len = new Uint32Array(n);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'teardown-tracer-export-'));
    const scratch = path.join(dir, 'connections.json');
    const sfd = fs.openSync(scratch, 'w+');
    const counts = new SummaryCounts();
    const title = `Exporting ${path.basename(this.path)}`;
    let last = 0;
    let pos = 0;
    try {
      await streamCaptureFile(this.path, {
        engine: engineOptions(this.settings),
        onBatch: (a) => {
          let chunk = '';
          for (const c of a.connections) {
            counts.add(c);
            const text = connectionJsonText(a, c);
            const bytes = Buffer.byteLength(text);
            at[c.id - 1] = pos + Buffer.byteLength(chunk);
            len[c.id - 1] = bytes;
            chunk += text;
          }
          pos += fs.writeSync(sfd, chunk);
        },
        onProgress: (p) => {
          const now = performance.now();
          if (now - last < 250) return;
          last = now;
          this.onTask?.(title, Math.round((100 * p.bytesRead) / Math.max(1, p.totalBytes)), streamProgressText(p), false);
        },
      });
      const fd = fs.openSync(out, 'w');
      let written = 0;
      try {
        written += fs.writeSync(fd, analysisJsonHead(this.input(), counts.toJSON()));
        let buf = Buffer.alloc(1 << 16);
        let first = true;
        for (let i = 0; i < n; i++) {
          if (len[i] === 0) continue;
          if (buf.length < len[i] + 1) buf = Buffer.alloc(len[i] + 1);
          let k = 0;
          if (!first) buf[k++] = 0x2c; // ','
          first = false;
          fs.readSync(sfd, buf, k, len[i], at[i]);
          written += fs.writeSync(fd, buf, 0, k + len[i]);
        }
        written += fs.writeSync(fd, ']}\n');
      } finally {
        fs.closeSync(fd);
      }
      return { text: '', written: { uri: target, bytes: written } };
    } finally {
      fs.closeSync(sfd);
      fs.rmSync(dir, { recursive: true, force: true });
      this.onTask?.(title, 100, 'done', true);
    }
  }
}

/** A file's name without its directory (in the constructor, whose parameter `path` hides the module). */
function baseName(p: string): string {
  return path.basename(p);
}

/** A non-negative integer from the wire, or `fallback`. */
function wire(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.max(0, Math.floor(v)) : fallback;
}

function emptyAnalysis(): Analysis {
  return analyze(new SegmentTable(16));
}
