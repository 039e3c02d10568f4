/**
 * A trace document as the server's features see it: the analysis, how the document's lines map to
 * table rows, and what the loader said. Built from a text trace (the document's own lines) or from a
 * capture view (the lines the server rendered, see captureView.ts).
 */
import { analyze, endpointResolver, STATES, type Analysis, type Connection, type EngineStep, type Finding, type Side, type TcpState } from '../core/engine';
import type { ConnectionCounts } from '../shared/lspProtocol';
import { loadTrace, type LoadedTrace } from '../node/loadTrace';
import { renderCapture, type RenderedView } from './captureView';
import { engineOptions, type ServerSettings } from './settings';
import { viewPreamble, type TwoSidedDoc } from './twoSided';

export interface TraceDoc {
  uri: string;
  /** The document version analyzed (text documents), null for capture views and unopened files. */
  version: number | null;
  loaded: LoadedTrace;
  analysis: Analysis;
  settings: ServerSettings;
  /** Line of each row (-1 when not shown) and row of each line (-1 for other lines). */
  rowLine: Int32Array;
  lineRow: Int32Array;
  lineLength: Int32Array;
  /** Capture views: the rendered text; null for text traces. */
  view: RenderedView | null;
  /** Text traces: the text analyzed (the document's own string, not a copy). */
  text?: string;
  /**
   * RFC figures: the state changes by the line of the event that made them (a send, an arrival of
   * a segment in flight, `(Close)`, `(2 MSL)`), for inlay hints. Absent for other traces, whose
   * changes are shown on the line of the row they are recorded at.
   */
  lineTransitions?: Map<number, LineTransition[]>;
  /** Findings per row, built on first use. */
  byRow?: Map<number, Finding[]>;
  /** The connections matching the last few display filters ('' for all), with their counts (teardown/connections). */
  filtered?: Map<string, FilteredConnections>;
  /** The connections shown in the document in line order, and their findings' lines (teardown/step). */
  shown?: ShownConnections;
  /** Capture views with the other side's capture merged in (issue 15): the merge; `analysis` is the merge's. */
  two?: TwoSidedDoc;
}

export interface FilteredConnections {
  connections: readonly Connection[];
  errors: { start: number; end: number; message: string }[];
  counts: ConnectionCounts;
}

export interface FindingStop {
  connection: number;
  index: number;
  line: number;
}

export interface ShownConnections {
  /** Connections whose first segment is shown, by the line of that segment. */
  order: readonly Connection[];
  /** Position in `order` by connection id. */
  position: Map<number, number>;
  /** Findings shown, by line then segment index. */
  stops: FindingStop[];
}

export interface LineTransition {
  side: Side;
  from: TcpState;
  to: TcpState;
  reason: string;
  inferred: boolean;
}

type FigureStep = EngineStep & { line?: number };

/**
 * Attributes an RFC figure's transitions to the lines of the steps that made them. The engine
 * replays the steps in order and logs transitions in that order, so each step takes the run of
 * following transitions that fit it: a send changes its sender, an arrival its receiver (both with
 * the row as cause), `(Close)` and `(2 MSL)` the endpoint named. A `(Close)` before the first
 * segment is not in the log (no row yet): it is rebuilt from the states around it.
 */
function figureTransitionLines(a: Analysis, steps: readonly FigureStep[]): Map<number, LineTransition[]> {
  const out = new Map<number, LineTransition[]>();
  const add = (line: number, tr: LineTransition): void => {
    const list = out.get(line);
    if (list) list.push(tr);
    else out.set(line, [tr]);
  };
  const ts = a.transitions;
  // An endpoint named in a figure is its own figure's connection, as the engine resolves it.
  const resolve = endpointResolver(
    steps,
    a.rowConn,
    a.connections.map((c) => c.clientEp),
    a.connections.map((c) => c.serverEp),
    a.connections.length,
  );
  const sideOfEp = (ep: number, figure: number | undefined): { side: Side; conn: number } | null => {
    const t = resolve(ep, figure);
    return t ? { side: t.side === 0 ? 'client' : 'server', conn: t.ci } : null;
  };
  let k = 0;
  let seenSegment = false;
  for (const st of steps) {
    const line = st.line ?? -1;
    let fits: ((i: number) => boolean) | null = null;
    if (st.kind === 'segment' || st.kind === 'arrive') {
      seenSegment ||= st.kind === 'segment';
      const r = st.row;
      const senderIsClient = a.rowDir[r] === 0;
      const side: Side = (st.kind === 'segment') === senderIsClient ? 'client' : 'server';
      fits = (i) => ts[i].cause === r && ts[i].side === side;
    } else if (st.kind === 'close' || st.kind === 'timeout') {
      const who = sideOfEp(st.endpoint, st.figure);
      if (!who) continue;
      if (st.kind === 'close' && !seenSegment) {
        // Before any segment: from the connection's initial state to the state before its first row.
        const c = a.connections[who.conn];
        const from = who.side === 'client' ? c.initialState.client : c.initialState.server;
        const to = STATES[who.side === 'client' ? a.clientBefore[c.firstRow] : a.serverBefore[c.firstRow]];
        if (from !== to && line >= 0) add(line, { side: who.side, from, to, reason: 'The application called CLOSE (RFC 9293 3.10.4).', inferred: false });
        continue;
      }
      fits =
        st.kind === 'timeout'
          ? (i) => ts[i].side === who.side && ts[i].from === 'TIME-WAIT' && ts[i].to === 'CLOSED'
          : (i) => ts[i].side === who.side && (ts[i].to === 'FIN-WAIT-1' || ts[i].to === 'LAST-ACK' || ts[i].to === 'CLOSED');
    }
    if (fits === null) continue;
    while (k < ts.length && fits(k)) {
      const tr = ts[k++];
      if (line >= 0) add(line, { side: tr.side, from: tr.from, to: tr.to, reason: tr.reason, inferred: tr.inferred });
    }
  }
  // Anything left (timers at the end of the figure): on the line of the row it is recorded at.
  for (; k < ts.length; k++) {
    const tr = ts[k];
    const line = tr.row >= 0 ? a.table.line[tr.row] : -1;
    if (line >= 0) add(line, { side: tr.side, from: tr.from, to: tr.to, reason: tr.reason, inferred: tr.inferred });
  }
  return out;
}

/** Line lengths and the row <-> line maps of a text trace (rows know their line). */
function textMaps(a: Analysis, text: string, arrivals: readonly { row: number; line: number }[]): { rowLine: Int32Array; lineRow: Int32Array; lineLength: Int32Array } {
  const lengths: number[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    lengths.push(end > start && text.charCodeAt(end - 1) === 13 ? end - start - 1 : end - start);
    if (nl < 0) break;
    start = nl + 1;
  }
  const lineLength = Int32Array.from(lengths);
  const t = a.table;
  const rowLine = new Int32Array(t.length);
  const lineRow = new Int32Array(lineLength.length).fill(-1);
  for (let r = 0; r < t.length; r++) {
    const l = t.line[r];
    rowLine[r] = l;
    if (l >= 0 && l < lineRow.length && lineRow[l] < 0) lineRow[l] = r;
  }
  // RFC figures: a line that only delivers a segment in flight (`... <SEQ=..> -->`) shows that segment.
  for (const s of arrivals) {
    if (s.line >= 0 && s.line < lineRow.length && lineRow[s.line] < 0) lineRow[s.line] = s.row;
  }
  return { rowLine, lineRow, lineLength };
}

/** Parses and analyzes a text trace (tcpdump output or RFC figure notation). Never throws. */
export function textTraceDoc(uri: string, version: number | null, text: string, languageId: string | undefined, settings: ServerSettings): TraceDoc {
  const loaded = loadTrace(languageId !== undefined ? { text, languageId } : { text });
  return textDocFromLoaded(uri, version, text, loaded, settings);
}

export function textDocFromLoaded(uri: string, version: number | null, text: string, loaded: LoadedTrace, settings: ServerSettings): TraceDoc {
  const analysis = analyze(loaded.table, engineOptions(settings), loaded.steps);
  const arrivals: { row: number; line: number }[] = [];
  for (const s of loaded.steps ?? []) if (s.kind === 'arrive' && 'line' in s && typeof s.line === 'number') arrivals.push({ row: s.row, line: s.line });
  const maps = textMaps(analysis, text, arrivals);
  const doc: TraceDoc = { uri, version, loaded, analysis, settings, ...maps, view: null, text };
  if (loaded.steps && loaded.format === 'rfc') doc.lineTransitions = figureTransitionLines(analysis, loaded.steps);
  return doc;
}

/**
 * A capture view: the capture's analysis shown as rendered lines (`connection`: a `?conn=N` view;
 * `totalSegments`: the whole capture's, when `analysis` holds only the connections read back for
 * the view, see bigCapture.ts).
 */
export function captureViewDoc(
  uri: string,
  loaded: LoadedTrace,
  analysis: Analysis,
  settings: ServerSettings,
  connection: number | undefined,
  totalSegments?: number,
  two?: TwoSidedDoc,
): TraceDoc {
  const view = renderCapture(analysis, {
    absolute: !settings.relative,
    maxSegments: settings.maxSegmentsShown,
    connection,
    ...(totalSegments !== undefined ? { totalSegments } : {}),
    ...(two !== undefined ? { preamble: viewPreamble(two) } : {}),
  });
  if (loaded.error !== null) {
    // Nothing could be read: the view says why (its diagnostic sits on that line).
    view.text = `# ${loaded.error}\n`;
    view.lineLength = Int32Array.of(view.text.length - 1);
    view.lineRow = Int32Array.of(-1);
  }
  const doc: TraceDoc = { uri, version: null, loaded, analysis, settings, rowLine: view.rowLine, lineRow: view.lineRow, lineLength: view.lineLength, view };
  if (two !== undefined) doc.two = two;
  return doc;
}

/** `teardown-capture:/abs/path.pcap?conn=3` (query possibly percent-encoded) -> the file and the connection shown. */
export function parseCaptureUri(uri: string): { path: string; connection?: number } {
  const q = uri.indexOf('?');
  const head = q < 0 ? uri : uri.slice(0, q);
  const query = q < 0 ? '' : safeDecode(uri.slice(q + 1));
  let path = safeDecode(head.replace(/^[A-Za-z][A-Za-z0-9+.-]*:/, '').replace(/#.*$/, ''));
  // teardown-capture://authority/path is not used, but tolerate an empty authority.
  if (path.startsWith('//')) path = path.slice(path.indexOf('/', 2));
  // Windows drive paths arrive as /c:/x/y.pcap.
  if (/^\/[A-Za-z]:\//.test(path)) path = path.slice(1);
  const m = /(?:^|&)conn=(\d+)(?:&|$)/.exec(query);
  return m ? { path, connection: Number(m[1]) } : { path };
}

/** The file system path of a `file:` URI, or null. */
export function filePath(uri: string): string | null {
  if (!uri.startsWith('file:')) return null;
  try {
    const u = new URL(uri);
    let p = decodeURIComponent(u.pathname);
    if (/^\/[A-Za-z]:\//.test(p)) p = p.slice(1);
    return p;
  } catch {
    return null;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
