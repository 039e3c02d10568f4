/**
 * The Teardown Tracer language server. It owns all analysis, so the editor never blocks: text traces
 * (`tcpdump-text`, `tcp-trace`) are parsed and analyzed on open and on edit (debounced); capture
 * views (`teardown-capture:` URIs) are decoded from the file on disk, which the server reads itself.
 *
 * Runs as `node dist/server.js --stdio` or over IPC (`--node-ipc`, as vscode-languageclient starts it).
 */
import {
  CodeLens,
  createConnection,
  DiagnosticSeverity,
  FoldingRange,
  InlayHint,
  InlayHintKind,
  Location,
  MarkupKind,
  ProposedFeatures,
  Range,
  SymbolKind,
  TextDocuments,
  TextDocumentSyncKind,
  type CancellationToken,
  type Diagnostic,
  type DocumentSymbol,
  type Hover,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyze, FINDING_CODES, STATES, type Analysis, type EngineOptions, type FindingCode, type Severity } from '../core/engine';
import { analysisJson } from '../core/report/json';
import { ladderSummary, ladderWindow } from '../core/report/ladderModel';
import { ladderText } from '../core/report/ladder';
import { mermaidSequence } from '../core/report/mermaid';
import { stateTableMarkdown } from '../core/report/stateTable';
import { connectionTitle, connectionVerdict } from '../core/report/summary';
import { seqDistance } from '../core/seq';
import { flagNames } from '../core/model/segment';
import { loadCapture, loadCaptureAsync, loadText, type LoadedTrace } from '../node/loadTrace';
import {
  AnalysisChangedNotification,
  CAPTURE_SCHEME,
  ConnectionsRequest,
  ExportRequest,
  OpenCaptureRequest,
  SegmentAtRequest,
  SegmentsRequest,
  type ConnectionSummary,
} from '../shared/lspProtocol';
import { renderCapture, segmentLine, type RenderedView } from './captureView';
import { filterConnectionIds } from './filter';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);

interface Settings {
  severities: Partial<Record<FindingCode, Severity | 'off'>>;
  mslSeconds: number;
  lingerSeconds: number;
  relative: boolean;
  maxSegmentsShown: number;
}

let settings: Settings = { severities: {}, mslSeconds: 30, lingerSeconds: 30, relative: true, maxSegmentsShown: 50000 };
let hasConfiguration = false;

/** One analyzed document: a text trace or a capture view. */
interface TraceDoc {
  uri: string;
  version: number | null;
  loaded: LoadedTrace;
  analysis: Analysis;
  /** Line of each row, row of each line. */
  rowLine: Int32Array;
  lineRow: Int32Array;
  view: RenderedView | null;
}

const traces = new Map<string, TraceDoc>();
const pending = new Map<string, ReturnType<typeof setTimeout>>();

function engineOptions(): Partial<EngineOptions> {
  return { mslSeconds: settings.mslSeconds, lingerSeconds: settings.lingerSeconds, severities: settings.severities };
}

function isCaptureUri(uri: string): boolean {
  return uri.startsWith(`${CAPTURE_SCHEME}:`);
}

/** `teardown-capture:/abs/path.pcap?conn=3` -> the file path and the connection shown. */
function parseCaptureUri(uri: string): { path: string; connection?: number } {
  const u = new URL(uri);
  const query = decodeURIComponent(u.search.replace(/^\?/, ''));
  const m = /(?:^|&)conn=(\d+)(?:&|$)/.exec(query);
  return { path: decodeURIComponent(u.pathname), connection: m ? Number(m[1]) : undefined };
}

function textLineMaps(a: Analysis, lineCount: number): { rowLine: Int32Array; lineRow: Int32Array } {
  const rowLine = new Int32Array(a.table.length);
  const lineRow = new Int32Array(Math.max(lineCount, 1)).fill(-1);
  for (let r = 0; r < a.table.length; r++) {
    const l = a.table.line[r];
    rowLine[r] = l;
    if (l >= 0 && l < lineRow.length && lineRow[l] < 0) lineRow[l] = r;
  }
  return { rowLine, lineRow };
}

function analyzeText(doc: TextDocument): TraceDoc {
  const loaded = loadText(doc.getText(), doc.languageId);
  const analysis = analyze(loaded.table, engineOptions(), loaded.steps);
  const maps = textLineMaps(analysis, doc.lineCount);
  return { uri: doc.uri, version: doc.version, loaded, analysis, ...maps, view: null };
}

function analyzeCapture(uri: string): TraceDoc {
  const { path, connection: conn } = parseCaptureUri(uri);
  const loaded = loadCapture(path);
  const analysis = analyze(loaded.table, engineOptions());
  const view = renderCapture(analysis, { absolute: !settings.relative, maxSegments: settings.maxSegmentsShown, connection: conn });
  return { uri, version: null, loaded, analysis, rowLine: view.rowLine, lineRow: view.lineRow, view };
}

// ---------------------------------------------------------------- diagnostics

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

function lineRange(line: number, start = 0, end = 10000): Range {
  return Range.create(line, start, line, end);
}

function diagnosticsOf(t: TraceDoc): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const e of t.loaded.parseErrors) {
    out.push({ range: Range.create(e.line, e.startCol, e.line, e.endCol), severity: DiagnosticSeverity.Error, source: 'teardown-tracer', code: 'parse-error', message: e.message });
  }
  if (t.loaded.error) out.push({ range: lineRange(0), severity: DiagnosticSeverity.Error, source: 'teardown-tracer', code: 'unreadable', message: t.loaded.error });
  for (const f of t.analysis.findings) {
    const line = f.line ?? (f.row >= 0 ? t.rowLine[f.row] : -1);
    if (line < 0) continue;
    const range = f.line !== undefined && f.startCol !== undefined ? Range.create(line, f.startCol, line, f.endCol ?? f.startCol + 1) : lineRange(line);
    out.push({
      range,
      severity: SEVERITY[f.severity],
      source: 'teardown-tracer',
      code: f.code,
      message: f.message,
      relatedInformation: f.related
        .filter((r) => t.rowLine[r.row] >= 0)
        .map((r) => ({ location: Location.create(t.uri, lineRange(t.rowLine[r.row])), message: r.message })),
    });
  }
  return out;
}

function publish(t: TraceDoc): void {
  void connection.sendDiagnostics({ uri: t.uri, version: t.version ?? undefined, diagnostics: diagnosticsOf(t) });
  void connection.sendNotification(AnalysisChangedNotification.type, {
    uri: t.uri,
    version: t.version,
    connections: t.analysis.connections.length,
    findings: t.analysis.findings.length,
    errors: t.loaded.parseErrors.length + (t.loaded.error ? 1 : 0),
  });
}

function refresh(doc: TextDocument): void {
  const t = isCaptureUri(doc.uri) ? (traces.get(doc.uri) ?? analyzeCapture(doc.uri)) : analyzeText(doc);
  if (!isCaptureUri(doc.uri)) t.version = doc.version;
  traces.set(doc.uri, t);
  publish(t);
}

function schedule(doc: TextDocument, delay: number): void {
  const old = pending.get(doc.uri);
  if (old) clearTimeout(old);
  pending.set(
    doc.uri,
    setTimeout(() => {
      pending.delete(doc.uri);
      const current = documents.get(doc.uri);
      if (current && current.version === doc.version) refresh(current);
    }, delay),
  );
}

/** The analysis of a document, computing it now if an edit is still pending. */
function traceOf(uri: string): TraceDoc | undefined {
  const doc = documents.get(uri);
  const t = traces.get(uri);
  if (doc && !isCaptureUri(uri) && (!t || t.version !== doc.version)) {
    const timer = pending.get(uri);
    if (timer) {
      clearTimeout(timer);
      pending.delete(uri);
    }
    refresh(doc);
  }
  if (!traces.has(uri) && isCaptureUri(uri)) traces.set(uri, analyzeCapture(uri));
  return traces.get(uri);
}

// ---------------------------------------------------------------- helpers for features

function rowAt(t: TraceDoc, line: number): number {
  return line >= 0 && line < t.lineRow.length ? t.lineRow[line] : -1;
}

function connOf(t: TraceDoc, row: number) {
  const ci = t.analysis.rowConn[row];
  return ci >= 0 ? t.analysis.connections[ci] : undefined;
}

function ref(t: TraceDoc, row: number): string {
  const fr = t.analysis.table.frame[row];
  return fr > 0 ? `frame ${fr}` : `line ${t.analysis.table.line[row] + 1}`;
}

function summaryOf(t: TraceDoc, c: Analysis['connections'][number]): ConnectionSummary {
  return ladderSummary(t.analysis, c, (row) => t.rowLine[row]) as ConnectionSummary;
}

// ---------------------------------------------------------------- lifecycle

connection.onInitialize((params): InitializeResult => {
  hasConfiguration = params.capabilities.workspace?.configuration === true;
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      inlayHintProvider: true,
      foldingRangeProvider: true,
      documentSymbolProvider: true,
      codeLensProvider: { resolveProvider: false },
      definitionProvider: true,
    },
    serverInfo: { name: 'teardown-tracer', version: '0.1.0' },
  };
});

async function loadSettings(): Promise<void> {
  if (!hasConfiguration) return;
  const c = (await connection.workspace.getConfiguration('teardownTracer')) as Record<string, unknown> | null;
  if (!c) return;
  const severities: Settings['severities'] = {};
  const sev = (c.severity ?? {}) as Record<string, string>;
  for (const code of FINDING_CODES) {
    const v = sev[code];
    if (v === 'error' || v === 'warning' || v === 'info' || v === 'hint' || v === 'off') severities[code] = v;
  }
  const num = (v: unknown, d: number): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : d);
  settings = {
    severities,
    mslSeconds: num(c.mslSeconds, 30),
    lingerSeconds: num(c.lingerSeconds, 30),
    relative: c.relativeSequenceNumbers !== false,
    maxSegmentsShown: Math.max(100, num(c.maxSegmentsShown, 50000)),
  };
}

connection.onInitialized(async () => {
  await loadSettings();
});

connection.onDidChangeConfiguration(async () => {
  await loadSettings();
  for (const uri of [...traces.keys()]) {
    if (isCaptureUri(uri)) {
      const t = analyzeCapture(uri);
      traces.set(uri, t);
      publish(t);
    } else {
      const doc = documents.get(uri);
      if (doc) refresh(doc);
    }
  }
});

documents.onDidOpen((e) => refresh(e.document));
documents.onDidChangeContent((e) => {
  if (!isCaptureUri(e.document.uri)) schedule(e.document, 150);
});
documents.onDidClose((e) => {
  traces.delete(e.document.uri);
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});

// ---------------------------------------------------------------- features

connection.onHover((p, token): Hover | null => {
  const t = traceOf(p.textDocument.uri);
  if (!t || token.isCancellationRequested) return null;
  const r = rowAt(t, p.position.line);
  if (r < 0) return null;
  const c = connOf(t, r);
  if (!c) return null;
  const a = t.analysis;
  const tb = a.table;
  const fromClient = a.rowDir[r] === 0;
  const who = fromClient ? 'client → server' : 'server → client';
  const ownIsn = fromClient ? c.isn.client : c.isn.server;
  const peerIsn = fromClient ? c.isn.server : c.isn.client;
  const lines: string[] = [];
  lines.push(`**${flagNames(tb.flags[r])}** ${who} · ${ref(t, r)} · connection #${c.id}`);
  lines.push('');
  lines.push(`| | before | after |`);
  lines.push(`|---|---|---|`);
  lines.push(`| client ${c.client.addr}:${c.client.port} | ${STATES[a.clientBefore[r]]} | **${STATES[a.clientAfter[r]]}** |`);
  lines.push(`| server ${c.server.addr}:${c.server.port} | ${STATES[a.serverBefore[r]]} | **${STATES[a.serverAfter[r]]}** |`);
  lines.push('');
  const transitions = a.transitions.slice(a.transitionStart[r], a.transitionStart[r + 1]);
  for (const tr of transitions) {
    const cause = tr.cause !== r ? ` (caused by ${ref(t, tr.cause)})` : '';
    lines.push(`- ${tr.side}: ${tr.from} → ${tr.to}${tr.inferred ? ' *(inferred)*' : ''}: ${tr.reason}${cause}`);
  }
  if (transitions.length === 0) lines.push('- no state change');
  lines.push('');
  lines.push(
    `seq ${seqDistance(ownIsn, tb.seq[r])} (raw ${tb.seq[r]})` +
      (tb.flags[r] & 0x10 ? ` · ack ${seqDistance(peerIsn, tb.ack[r])} (raw ${tb.ack[r]})` : '') +
      ` · len ${tb.len[r]} · win ${tb.win[r]}`,
  );
  if (a.acks[r] >= 0) lines.push(`\nacknowledges ${ref(t, a.acks[r])}`);
  if (a.ackedBy[r] >= 0) lines.push(`\nacknowledged by ${ref(t, a.ackedBy[r])}`);
  const kinds: string[] = [];
  const k = a.rowKind[r];
  if (k & 0x01) kinds.push('retransmission');
  if (k & 0x02) kinds.push('keepalive');
  if (k & 0x04) kinds.push('zero-window probe');
  if (k & 0x08) kinds.push('zero window');
  if (k & 0x10) kinds.push('duplicate ACK');
  if (kinds.length > 0) lines.push(`\n*${kinds.join(', ')}*`);
  for (const f of c.findings.filter((x) => x.row === r)) lines.push(`\n**${f.code}** (${f.severity}): ${f.message}\n\n${f.explanation}`);
  return { contents: { kind: MarkupKind.Markdown, value: lines.join('\n') }, range: lineRange(p.position.line, 0, 10000) };
});

connection.languages.inlayHint.on((p, token): InlayHint[] => {
  const t = traceOf(p.textDocument.uri);
  if (!t || token.isCancellationRequested) return [];
  const a = t.analysis;
  const doc = documents.get(p.textDocument.uri);
  const out: InlayHint[] = [];
  for (let line = p.range.start.line; line <= p.range.end.line && line < t.lineRow.length; line++) {
    const r = t.lineRow[line];
    if (r < 0) continue;
    const s = a.transitionStart[r];
    const e = a.transitionStart[r + 1];
    if (e === s) continue;
    const parts: string[] = [];
    for (let k = s; k < e; k++) {
      const tr = a.transitions[k];
      parts.push(`${tr.side}: ${tr.from} → ${tr.to}`);
    }
    const text = doc ? doc.getText(Range.create(line, 0, line + 1, 0)).replace(/\r?\n$/, '') : '';
    out.push({ position: { line, character: text.length }, label: `  ${parts.join(' · ')}`, kind: InlayHintKind.Type, paddingLeft: true });
  }
  return out;
});

connection.onFoldingRanges((p): FoldingRange[] => {
  const t = traceOf(p.textDocument.uri);
  if (!t) return [];
  const out: FoldingRange[] = [];
  for (const c of t.analysis.connections) {
    let first = t.rowLine[c.firstRow];
    const last = t.rowLine[c.lastRow];
    if (first < 0 || last < 0) continue;
    if (t.view && first > 0 && t.lineRow[first - 1] === -1) first -= 1; // include the header line
    // Only when no other connection's segment sits in between.
    let clean = true;
    for (let l = first; l <= last && clean; l++) {
      const r = t.lineRow[l];
      if (r >= 0 && t.analysis.rowConn[r] !== c.id - 1) clean = false;
    }
    if (clean && last > first) out.push(FoldingRange.create(first, last));
  }
  return out;
});

connection.onDocumentSymbol((p): DocumentSymbol[] => {
  const t = traceOf(p.textDocument.uri);
  if (!t) return [];
  const out: DocumentSymbol[] = [];
  for (const c of t.analysis.connections) {
    const first = t.rowLine[c.firstRow];
    const last = t.rowLine[c.lastRow];
    if (first < 0) continue;
    const range = Range.create(first, 0, Math.max(first, last), 10000);
    out.push({
      name: `${c.client.addr}:${c.client.port} → ${c.server.addr}:${c.server.port}`,
      detail: connectionVerdict(c),
      kind: SymbolKind.Object,
      range,
      selectionRange: lineRange(first),
      children: c.findings
        .filter((f) => f.row >= 0 && t.rowLine[f.row] >= 0)
        .map((f) => ({ name: f.code, detail: f.message, kind: SymbolKind.Event, range: lineRange(t.rowLine[f.row]), selectionRange: lineRange(t.rowLine[f.row]) })),
    });
  }
  return out;
});

connection.onCodeLens((p): CodeLens[] => {
  const t = traceOf(p.textDocument.uri);
  if (!t) return [];
  const out: CodeLens[] = [];
  for (const c of t.analysis.connections) {
    let line = t.rowLine[c.firstRow];
    if (line < 0) continue;
    if (t.view && line > 0 && t.lineRow[line - 1] === -1) line -= 1;
    const range = lineRange(line, 0, 0);
    out.push({ range, command: { title: `Show teardown diagram (#${c.id} ${connectionTitle(c)})`, command: 'teardownTracer.showDiagram', arguments: [t.uri, c.id] } });
    const n = c.findings.length;
    out.push({ range, command: { title: n === 0 ? 'no findings' : `${n} finding${n === 1 ? '' : 's'}`, command: n === 0 ? '' : 'workbench.actions.view.problems', arguments: [] } });
  }
  return out;
});

connection.onDefinition((p): Location | null => {
  const t = traceOf(p.textDocument.uri);
  if (!t) return null;
  const r = rowAt(t, p.position.line);
  if (r < 0) return null;
  const target = t.analysis.acks[r];
  if (target < 0 || t.rowLine[target] < 0) return null;
  return Location.create(t.uri, lineRange(t.rowLine[target]));
});

// ---------------------------------------------------------------- custom requests

/**
 * Reads a capture without blocking the server: the file is decoded a chunk at a time with the event
 * loop free in between (other requests are answered meanwhile), with work-done progress in the
 * editor and cancellation; the analysis itself then runs in one go (about 1.5 s per million packets).
 */
async function analyzeCaptureAsync(uri: string, token: CancellationToken): Promise<TraceDoc | null> {
  const { path, connection: conn } = parseCaptureUri(uri);
  const progress = await connection.window.createWorkDoneProgress();
  const name = path.slice(path.lastIndexOf('/') + 1);
  progress.begin(`Teardown Tracer: reading ${name}`, 0, undefined, true);
  try {
    const loaded = await loadCaptureAsync(path, {
      onProgress: (done, total) => progress.report(Math.floor((100 * done) / Math.max(1, total)), `${Math.round(done / 1e6)} of ${Math.round(total / 1e6)} MB`),
      isCancelled: () => token.isCancellationRequested || progress.token.isCancellationRequested,
    });
    if (loaded === null) return null;
    progress.report(100, `analyzing ${loaded.table.length.toLocaleString('en-US')} segments`);
    const analysis = analyze(loaded.table, engineOptions());
    const view = renderCapture(analysis, { absolute: !settings.relative, maxSegments: settings.maxSegmentsShown, connection: conn });
    return { uri, version: null, loaded, analysis, rowLine: view.rowLine, lineRow: view.lineRow, view };
  } finally {
    progress.done();
  }
}

connection.onRequest(OpenCaptureRequest.type, async (p, token: CancellationToken): Promise<OpenCaptureRequest.Result> => {
  const t = await analyzeCaptureAsync(p.uri, token);
  if (t === null) return { text: '', truncated: false, shownSegments: 0, totalSegments: 0, error: 'cancelled' };
  traces.set(p.uri, t);
  const v = t.view as RenderedView;
  return { text: v.text, truncated: v.truncated, shownSegments: v.shownSegments, totalSegments: v.totalSegments, error: t.loaded.error };
});

connection.onRequest(ConnectionsRequest.type, (p): ConnectionsRequest.Result => {
  const t = traceOf(p.uri);
  if (!t) return { input: { format: 'unknown', packets: 0, tcpSegments: 0, warnings: [] }, connections: [], filterErrors: [] };
  let conns = t.analysis.connections;
  let filterErrors: ConnectionsRequest.Result['filterErrors'] = [];
  if (p.filter && p.filter.trim() !== '') {
    const res = filterConnectionIds(t.analysis, p.filter);
    filterErrors = res.errors;
    if (res.ids) conns = conns.filter((c) => res.ids!.has(c.id));
  }
  return { input: { ...t.loaded.input }, connections: conns.map((c) => summaryOf(t, c)), filterErrors };
});

connection.onRequest(SegmentsRequest.type, (p): SegmentsRequest.Result => {
  const t = traceOf(p.uri);
  if (!t) return { total: 0, connection: null, segments: [], timeWait: { client: null, server: null, durationSeconds: 2 * settings.mslSeconds } };
  return ladderWindow(t.analysis, p.connection, p.start, p.count, (row) => t.rowLine[row]) as SegmentsRequest.Result;
});

connection.onRequest(SegmentAtRequest.type, (p): SegmentAtRequest.Result => {
  const t = traceOf(p.uri);
  if (!t) return null;
  const r = rowAt(t, p.line);
  if (r < 0) return null;
  const c = connOf(t, r);
  return c ? { connection: c.id, index: c.rows.indexOf(r) } : null;
});

connection.onRequest(ExportRequest.type, (p): ExportRequest.Result => {
  const t = traceOf(p.uri);
  if (!t) return { text: '' };
  const a = t.analysis;
  const conns = p.connection === undefined ? a.connections : a.connections.filter((c) => c.id === p.connection);
  switch (p.kind) {
    case 'analysis-json':
      return { text: JSON.stringify(analysisJson({ ...a, connections: conns }, t.loaded.input), null, 2) + '\n' };
    case 'state-table':
      return { text: conns.map((c) => stateTableMarkdown(a, c, { relative: settings.relative })).join('\n') };
    case 'mermaid':
      return { text: conns.map((c) => mermaidSequence(a, c, { relative: settings.relative })).join('\n') };
    case 'tcptrace':
      return { text: conns.map((c) => `# connection ${c.id}: ${connectionTitle(c)}\n${ladderText(a, c, { relative: settings.relative })}`).join('\n') };
    case 'tcpdump':
      return { text: conns.map((c) => c.rows.map((r) => segmentLine(a, c, r, !settings.relative)).join('\n')).join('\n\n') + '\n' };
  }
});

documents.listen(connection);
connection.listen();
