/**
 * Every editor feature and custom request as a pure function of a {@link TraceDoc}: diagnostics,
 * hover, inlay hints, folding, symbols, code lenses, quick fixes, definition, and the `teardown/*`
 * requests.
 *
 * The same functions run on the main thread (text traces) and in the analysis worker (captures,
 * see analysisHost.ts), which is why they take plain parameters and return plain JSON values.
 * One writes: `exportToFile`, to a file the client named (large exports never cross the protocol).
 */
import * as fs from 'fs';
import { fileURLToPath } from 'url';
import {
  CodeActionKind,
  DiagnosticSeverity,
  InlayHintKind,
  MarkupKind,
  SymbolKind,
  type CodeAction,
  type CodeLens,
  type Diagnostic,
  type DocumentSymbol,
  type FoldingRange,
  type Hover,
  type InlayHint,
  type InlayHintLabelPart,
  type Location,
  type Range,
  type TextEdit,
} from 'vscode-languageserver';
import {
  analysisOf,
  analyze,
  CATALOG,
  KIND_KEEPALIVE,
  KIND_RETRANSMISSION,
  KIND_RST_IGNORED,
  KIND_ZERO_WINDOW,
  KIND_ZERO_WINDOW_PROBE,
  STATES,
  stateText,
  type Analysis,
  type Connection,
  type Finding,
  type Side,
} from '../core/engine';
import { flagNames, ACK, FIN, OPT_NO_WINDOW, RST, SYN } from '../core/model/segment';
import { analysisJson, analysisJsonChunks } from '../core/report/json';
import { indexOfRow, kindNames, ladderSummary, ladderWindow } from '../core/report/ladderModel';
import { mermaidSequence } from '../core/report/mermaid';
import { stateTableMarkdown } from '../core/report/stateTable';
import { seqAdd, seqDistance } from '../core/seq';
import {
  OUTCOME_ORDER,
  type AnalysisChangedParams,
  type ConnectionCounts,
  type ConnectionsRequest,
  type ExportRequest,
  type FindingCatalogRequest,
  type OpenCaptureRequest,
  type OverviewRequest,
  type SegmentAtRequest,
  type SegmentsRequest,
  type StepRequest,
} from '../shared/lspProtocol';
import { parseRfcTrace } from '../core/text/rfc';
import type { ParseError } from '../core/text/types';
import { toRfcTrace, toTcpdumpText, type RfcLine } from '../core/text/render';
import { ladderLines } from '../core/report/ladder';
import { verdictParts } from './captureView';
import { filterConnectionIds } from './filter';
import { overviewFeature } from './overview';
import type { FilteredConnections, FindingStop, ShownConnections, TraceDoc } from './traceDoc';
import { clockSentence, hoverLines, lostByRow, twoSidedRef, twoSidedText, twoSidedWindow } from './twoSided';
import { twoSidedInfo } from '../core/merge/ladder';

export const SOURCE = 'teardown-tracer';

const SEVERITY: Record<Finding['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** The RFC section each finding's explanation cites first, as a link (Diagnostic.codeDescription). */
const CODE_HREF = new Map<string, string>();
for (const [code, entry] of Object.entries(CATALOG)) {
  const m = /RFC (\d+) (\d+(?:\.\d+)*)/.exec(entry.explanation);
  CODE_HREF.set(code, m ? `https://www.rfc-editor.org/rfc/rfc${m[1]}.html#section-${m[2]}` : 'https://www.rfc-editor.org/rfc/rfc9293.html');
}

// ------------------------------------------------------------------------------------------ helpers

function lineRange(t: TraceDoc, line: number): Range {
  const len = line >= 0 && line < t.lineLength.length ? t.lineLength[line] : 0;
  return { start: { line, character: 0 }, end: { line, character: len } };
}

export function rowAt(t: TraceDoc, line: number): number {
  return line >= 0 && line < t.lineRow.length ? t.lineRow[line] : -1;
}

function connOfRow(t: TraceDoc, row: number): Connection | undefined {
  const ci = row >= 0 && row < t.analysis.rowConn.length ? t.analysis.rowConn[row] : -1;
  return ci >= 0 ? t.analysis.connections[ci] : undefined;
}

function connById(a: Analysis, id: number): Connection | undefined {
  const c = a.connections[id - 1];
  return c && c.id === id ? c : a.connections.find((x) => x.id === id);
}

/** How a side is called: `A` / `B` in RFC figures (as the figure names them), else client / server. */
function sideName(t: TraceDoc, c: Connection, side: Side): string {
  if (t.loaded.format !== 'rfc') return side;
  const ep = side === 'client' ? c.clientEp : c.serverEp;
  return ep === 0 ? 'A' : ep === 1 ? 'B' : side;
}

/** `frame 8 (line 10)` for captures, `line 8` for text traces. */
function ref(t: TraceDoc, row: number): string {
  const fr = t.analysis.table.frame[row];
  const line = t.rowLine[row];
  if (t.two) return line >= 0 ? `${twoSidedRef(t.two, row)} (line ${line + 1})` : twoSidedRef(t.two, row);
  if (fr > 0) return line >= 0 ? `frame ${fr} (line ${line + 1})` : `frame ${fr}`;
  return line >= 0 ? `line ${line + 1}` : `segment ${row + 1}`;
}

/** An engine sentence as the document says it (two captures merged: "frame N" as both captures' frames). */
function said(t: TraceDoc, text: string): string {
  return t.two ? twoSidedText(t.two, text) : text;
}

function byRow(t: TraceDoc): Map<number, Finding[]> {
  if (!t.byRow) {
    const m = new Map<number, Finding[]>();
    for (const f of t.analysis.findings) {
      const list = m.get(f.row);
      if (list) list.push(f);
      else m.set(f.row, [f]);
    }
    t.byRow = m;
  }
  return t.byRow;
}

function findingLine(t: TraceDoc, f: Finding): number {
  if (f.line !== undefined) return f.line;
  return f.row >= 0 ? t.rowLine[f.row] : -1;
}

// -------------------------------------------------------------------------------------- diagnostics

export function diagnostics(t: TraceDoc): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const e of t.loaded.parseErrors) out.push(parseErrorDiagnostic(e));
  if (t.loaded.error !== null) {
    out.push({ range: lineRange(t, 0), severity: DiagnosticSeverity.Error, source: SOURCE, code: 'unreadable', message: t.loaded.error });
  } else if (t.view !== null && t.loaded.input.warnings.length > 0) {
    // Decoder notes (skipped packets, a capture cut short) on the first line of the view.
    out.push({
      range: lineRange(t, 0),
      severity: /^(truncated|stopped) /.test(t.loaded.input.warnings[t.loaded.input.warnings.length - 1] ?? '') ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information,
      source: SOURCE,
      code: 'decoder',
      message: t.loaded.input.warnings.join('\n'),
    });
  }
  for (const f of t.analysis.findings) {
    const d = findingDiagnostic(t, f);
    if (d) out.push(d);
  }
  if (t.two) out.push(...lostDiagnostics(t));
  return out;
}

/** Two captures merged: each segment lost between the capture points, on its line, with what followed. */
function lostDiagnostics(t: TraceDoc): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (!t.two) return out;
  for (const l of lostByRow(t.two).values()) {
    const line = t.rowLine[l.row];
    if (line < 0) continue;
    const d: Diagnostic = { range: lineRange(t, line), severity: DiagnosticSeverity.Warning, source: SOURCE, code: 'lost-between-captures', message: l.message };
    const related = l.related.filter((r) => t.rowLine[r] >= 0).map((r) => ({ location: { uri: t.uri, range: lineRange(t, t.rowLine[r]) }, message: `what followed (${ref(t, r)})` }));
    if (related.length > 0) d.relatedInformation = related;
    out.push(d);
  }
  return out;
}

function parseErrorDiagnostic(e: ParseError): Diagnostic {
  return {
    range: { start: { line: e.line, character: e.startCol }, end: { line: e.line, character: e.endCol } },
    severity: DiagnosticSeverity.Error,
    source: SOURCE,
    code: 'parse-error',
    message: e.message,
  };
}

/** A finding as a diagnostic: on its claim's columns, else on its segment's line; null when not shown. */
function findingDiagnostic(t: TraceDoc, f: Finding): Diagnostic | null {
  const line = findingLine(t, f);
  if (line < 0) return null;
  const range: Range =
    f.line !== undefined && f.startCol !== undefined
      ? { start: { line, character: f.startCol }, end: { line, character: f.endCol ?? f.startCol + 1 } }
      : lineRange(t, line);
  const d: Diagnostic = {
    range,
    severity: SEVERITY[f.severity],
    source: SOURCE,
    code: f.code,
    codeDescription: { href: CODE_HREF.get(f.code) ?? 'https://www.rfc-editor.org/rfc/rfc9293.html' },
    message: said(t, f.message),
  };
  const related = f.related
    .filter((r) => r.row >= 0 && t.rowLine[r.row] >= 0)
    .map((r) => ({ location: { uri: t.uri, range: lineRange(t, t.rowLine[r.row]) }, message: `${said(t, r.message)} (${ref(t, r.row)})` }));
  if (related.length > 0) d.relatedInformation = related;
  return d;
}

// ------------------------------------------------------------------------------------- code actions

/**
 * Quick fixes for lines start..end (0-based, inclusive): a misspelled state or event of an RFC
 * figure is changed to the one its error suggests; a state claim that the segments contradict is
 * changed to the state they imply, and with several such claims in the trace, one more action
 * changes them all. Computed from the analysis of the version the call analyzed.
 */
export function codeActions(t: TraceDoc, start: number, end: number): CodeAction[] {
  const fixes: CodeAction[] = [];
  for (const e of t.loaded.parseErrors) {
    if (e.replacement === undefined || e.line < start || e.line > end) continue;
    fixes.push({
      title: `Change to ${e.replacement}`,
      kind: CodeActionKind.QuickFix,
      isPreferred: true,
      diagnostics: [parseErrorDiagnostic(e)],
      edit: { changes: { [t.uri]: [cellEdit(t, e.line, e.startCol, e.endCol, e.replacement)] } },
    });
  }
  return [...fixes, ...claimFixes(t, start, end)];
}

function claimFixes(t: TraceDoc, start: number, end: number): CodeAction[] {
  const wrong = t.analysis.findings.filter(
    (f) => f.code === 'state-claim-mismatch' && f.impliedState !== undefined && f.line !== undefined && f.startCol !== undefined && f.endCol !== undefined,
  );
  const edit = (f: Finding): TextEdit => cellEdit(t, f.line!, f.startCol!, f.endCol!, f.impliedState!);
  const out: CodeAction[] = [];
  for (const f of wrong) {
    if (f.line! < start || f.line! > end) continue;
    const d = findingDiagnostic(t, f);
    out.push({
      title: `Change the claim to ${f.impliedState} (what the segments imply)`,
      kind: CodeActionKind.QuickFix,
      isPreferred: true,
      ...(d ? { diagnostics: [d] } : {}),
      edit: { changes: { [t.uri]: [edit(f)] } },
    });
  }
  if (out.length > 0 && wrong.length > 1) {
    out.push({
      title: `Change all ${wrong.length} contradicted claims to what the segments imply`,
      kind: CodeActionKind.QuickFix,
      edit: { changes: { [t.uri]: wrong.map(edit) } },
    });
  }
  return out;
}

/**
 * The edit that puts `text` in place of the figure cell at line[start, end) (a claimed state, a
 * misspelled word). A cell in the left column keeps the figure's columns: the spaces after it
 * absorb the difference (one space at least stays before the arrow); a cell at the end of its line
 * is replaced as it is.
 */
function cellEdit(t: TraceDoc, line: number, start: number, end: number, text: string): TextEdit {
  const src = lineText(t, line);
  let gap = 0;
  while (src[end + gap] === ' ') gap++;
  if (gap === 0 || end + gap >= src.length) return { range: { start: { line, character: start }, end: { line, character: end } }, newText: text };
  const width = end - start + gap;
  return {
    range: { start: { line, character: start }, end: { line, character: end + gap } },
    newText: text.length < width ? text.padEnd(width) : `${text} `,
  };
}

/** Line `line` of a text trace ('' past its end or for capture views). */
function lineText(t: TraceDoc, line: number): string {
  const text = t.text ?? '';
  let at = 0;
  for (let i = 0; i < line; i++) {
    const nl = text.indexOf('\n', at);
    if (nl < 0) return '';
    at = nl + 1;
  }
  const nl = text.indexOf('\n', at);
  const s = text.slice(at, nl < 0 ? text.length : nl);
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}

/** What the AnalysisChanged notification counts. */
export function counts(t: TraceDoc): Omit<AnalysisChangedParams, 'uri' | 'version'> {
  return {
    connections: t.analysis.connections.length,
    findings: t.analysis.findings.length,
    errors: t.loaded.parseErrors.length + (t.loaded.error !== null ? 1 : 0),
    ...(t.two ? { pair: t.two.info } : {}),
  };
}

// -------------------------------------------------------------------------------------------- hover

export function hover(t: TraceDoc, line: number): Hover | null {
  const r = rowAt(t, line);
  if (r < 0) {
    const id = t.view?.headerConn.get(line);
    if (id === undefined) return null;
    const c = connById(t.analysis, id);
    return c ? { contents: { kind: MarkupKind.Markdown, value: connectionMarkdown(t, c) }, range: lineRange(t, line) } : null;
  }
  const c = connOfRow(t, r);
  if (!c) return null;
  return { contents: { kind: MarkupKind.Markdown, value: segmentMarkdown(t, c, r) }, range: lineRange(t, line) };
}

/** The states of both endpoints before -> after a row: `client: ESTABLISHED → FIN-WAIT-1 · server: ...`. */
function statesLine(t: TraceDoc, c: Connection, r: number): string {
  const a = t.analysis;
  const one = (side: Side, before: number, after: number): string =>
    before === after ? `${sideName(t, c, side)}: ${stateText(STATES[after])}` : `${sideName(t, c, side)}: ${stateText(STATES[before])} → **${stateText(STATES[after])}**`;
  return `${one('client', a.clientBefore[r], a.clientAfter[r])} · ${one('server', a.serverBefore[r], a.serverAfter[r])}`;
}

function segmentMarkdown(t: TraceDoc, c: Connection, r: number): string {
  const a = t.analysis;
  const tb = a.table;
  const f = tb.flags[r];
  const fromClient = a.rowDir[r] === 0;
  const src = fromClient ? 'client' : 'server';
  const dst = fromClient ? 'server' : 'client';
  const out: string[] = [];
  out.push(
    `**${flagNames(f) || 'no flags'}** ${sideName(t, c, src)} → ${sideName(t, c, dst)} · ${ref(t, r)} · connection #${c.id} ` +
      `(${c.client.addr}:${c.client.port} → ${c.server.addr}:${c.server.port})`,
  );
  out.push('');
  if (t.two) out.push(...hoverLines(t.two, r), '');
  out.push(statesLine(t, c, r));
  out.push('');
  if (f & RST) {
    const why = c.rsts.find((x) => x.row === r);
    if (why !== undefined) {
      const effect = why.effect === 'reset' ? 'it ended the connection' : why.effect === 'ignored' ? 'its receiver ignored it' : 'it changed nothing';
      out.push(`**Why this RST:** \`${why.reason}\` (${why.confidence}; ${effect}): ${why.message}.`);
      const others = why.evidence.filter((x) => x !== r);
      if (others.length > 0) out.push('', `Evidence: ${others.map((x) => ref(t, x)).join(', ')}.`);
      out.push('');
    }
  }
  out.push('| | before | after |');
  out.push('|---|---|---|');
  out.push(`| ${sideName(t, c, 'client')} ${c.client.addr}:${c.client.port} | ${stateText(STATES[a.clientBefore[r]])} | ${stateText(STATES[a.clientAfter[r]])} |`);
  out.push(`| ${sideName(t, c, 'server')} ${c.server.addr}:${c.server.port} | ${stateText(STATES[a.serverBefore[r]])} | ${stateText(STATES[a.serverAfter[r]])} |`);
  out.push('');
  const s = a.transitionStart[r];
  const e = a.transitionStart[r + 1];
  if (e > s) {
    out.push('**Why**');
    out.push('');
    for (let k = s; k < e; k++) {
      const tr = a.transitionAt(k);
      const cause = tr.cause !== r && tr.cause >= 0 ? ` (caused by ${ref(t, tr.cause)})` : '';
      out.push(`- ${sideName(t, c, tr.side)}: ${tr.from} → ${tr.to}${tr.inferred ? ' *(inferred)*' : ''}: ${tr.reason}${cause}`);
    }
  } else {
    out.push('No state change.');
  }
  out.push('');
  const ownIsn = fromClient ? c.isn.client : c.isn.server;
  const peerIsn = fromClient ? c.isn.server : c.isn.client;
  const nums = [`seq ${seqDistance(ownIsn, tb.seq[r])} (absolute ${tb.seq[r]})`];
  if (f & ACK) nums.push(`ack ${seqDistance(peerIsn, tb.ack[r])} (absolute ${tb.ack[r]})`);
  nums.push(`len ${tb.len[r]}`);
  if (!(tb.opts[r] & OPT_NO_WINDOW)) nums.push(`win ${tb.win[r]}`);
  out.push(nums.join(' · '));
  const acks = a.acks[r];
  const ackedBy = a.ackedBy[r];
  const links: string[] = [];
  if (acks >= 0) links.push(`acknowledges the ${flagNames(tb.flags[acks]) || 'segment'} in ${ref(t, acks)}`);
  if (ackedBy >= 0) links.push(`acknowledged by ${ref(t, ackedBy)}`);
  else if (tb.len[r] > 0 || f & (SYN | FIN)) links.push('never acknowledged in this trace');
  if (links.length > 0) {
    out.push('');
    out.push(links.join(' · '));
  }
  const kinds = kindNames(a.rowKind[r]);
  if (kinds.length > 0) {
    out.push('');
    out.push(`*${kinds.join(', ')}*`);
  }
  for (const fd of byRow(t).get(r) ?? []) {
    out.push('');
    out.push(`**${fd.code}** (${fd.severity}): ${said(t, fd.message)}`);
    out.push('');
    out.push(fd.explanation);
  }
  const relatedTo = c.findings.filter((fd) => fd.row !== r && fd.related.some((x) => x.row === r));
  for (const fd of relatedTo) {
    out.push('');
    out.push(`Part of **${fd.code}** (${fd.row >= 0 ? ref(t, fd.row) : 'connection'}): ${said(t, fd.related.find((x) => x.row === r)?.message ?? '')}`);
  }
  return out.join('\n');
}

function connectionMarkdown(t: TraceDoc, c: Connection): string {
  const a = t.analysis;
  const tb = a.table;
  const out: string[] = [];
  out.push(`**Connection #${c.id}** ${c.client.addr}:${c.client.port} → ${c.server.addr}:${c.server.port}${c.rolesInferred ? ' *(roles inferred)*' : ''}`);
  out.push('');
  out.push(verdictParts(c).join(' · '));
  out.push('');
  out.push(
    `${sideName(t, c, 'client')}: ${stateText(c.initialState.client)} → **${stateText(c.finalState.client)}** · ${sideName(t, c, 'server')}: ${stateText(c.initialState.server)} → **${stateText(c.finalState.server)}**`,
  );
  for (const side of ['client', 'server'] as const) {
    const note = c.stateNotes[side];
    // A state the capture cannot show at all, or one it only suggests (inferred, no segment shows it).
    if (note !== undefined) out.push('', `*${c.finalState[side] === 'UNKNOWN' ? 'Not knowable' : 'Inferred'}:* ${note}.`);
  }
  out.push('');
  if (t.two) {
    const i = twoSidedInfo(t.two.mt.m, t.two.info.names, t.two.info.files, c.id);
    const id = (k: 0 | 1): string => (i.ids?.[k] == null ? 'not in it' : `connection #${i.ids[k]}`);
    out.push(`*Two captures:* ${i.names[0]} capture ${i.files[0]} (${id(0)}), ${i.names[1]} capture ${i.files[1]} (${id(1)}); ${clockSentence(t.two.info)}.`);
    out.push('');
    out.push(`${i.counts.both} segments seen at both points, ${i.counts.lost} lost between them, ${i.counts.outside} outside the other capture, ${i.counts['unseen-at-sender']} seen only where they arrived.`);
  } else out.push(`*Vantage:* ${c.vantage.note}.`);
  const dur = tb.time(c.lastRow) - tb.time(c.firstRow);
  out.push('');
  out.push(`${c.rows.length} segments${Number.isFinite(dur) ? ` over ${dur.toFixed(3)} s` : ''}${c.reset ? ` · reset by the ${c.reset.by}: \`${c.reset.reason}\` (${c.reset.confidence}): ${c.reset.message}` : ''}`);
  for (const f of c.findings) {
    out.push('');
    out.push(`- **${f.code}** (${f.severity}): ${said(t, f.message)}`);
  }
  return out.join('\n');
}

// -------------------------------------------------------------------------------------- inlay hints

/**
 * What the engine made of a segment, shown in brackets before its transitions (as Wireshark's
 * "[TCP Keep-Alive]"), so that probes and retransmissions stand out in tcpdump lines that cannot
 * say it (tcpdump prints a keepalive probe as any other pure ACK). Duplicate ACKs are left out:
 * on a teardown they are mostly answers to probes and FINs, noise beside these.
 */
const KIND_HINTS: readonly [number, string, string][] = [
  [KIND_RETRANSMISSION, 'retransmission', 'All of its sequence space was sent before: a retransmission.'],
  [KIND_KEEPALIVE, 'keepalive', 'No new data, at SND.NXT - 1: a keepalive probe (RFC 9293 3.8.4). A peer that still has the connection answers it with an ACK.'],
  [KIND_ZERO_WINDOW_PROBE, 'zero-window probe', 'One byte into a zero window: the sender asks whether the window has opened (RFC 9293 3.8.6.1).'],
  [KIND_ZERO_WINDOW, 'zero window', 'Its sender advertises a zero window: it takes no more data for now (RFC 9293 3.8.6).'],
  [KIND_RST_IGNORED, 'RST ignored', "Outside the receiver's window: a correct stack ignores this RST (RFC 9293 3.10.7.4, RFC 5961 3.2)."],
];

const KIND_TAGGED = KIND_HINTS.reduce((m, [bit]) => m | bit, 0);

export function inlayHints(t: TraceDoc, startLine: number, endLine: number): InlayHint[] {
  const a = t.analysis;
  const out: InlayHint[] = [];
  const last = Math.min(endLine, t.lineRow.length - 1);
  if (t.lineTransitions) {
    for (let line = Math.max(0, startLine); line <= last; line++) {
      const list = t.lineTransitions.get(line);
      if (!list) continue;
      const c = connOfRow(t, t.lineRow[line]) ?? t.analysis.connections[0];
      const parts: InlayHintLabelPart[] = [];
      for (const tr of list) {
        if (parts.length > 0) parts.push({ value: ' · ' });
        parts.push({ value: `${c ? sideName(t, c, tr.side) : tr.side}: ${tr.from} → ${tr.to}${tr.inferred ? ' (inferred)' : ''}`, tooltip: tr.reason });
      }
      out.push({ position: { line, character: t.lineLength[line] ?? 0 }, label: parts, kind: InlayHintKind.Type, paddingLeft: true });
    }
    return out;
  }
  for (let line = Math.max(0, startLine); line <= last; line++) {
    const r = t.lineRow[line];
    if (r < 0 || t.rowLine[r] !== line) continue;
    const s = a.transitionStart[r];
    const e = a.transitionStart[r + 1];
    const kind = a.rowKind[r];
    if (e === s && (kind & KIND_TAGGED) === 0) continue;
    const c = connOfRow(t, r);
    const parts: InlayHintLabelPart[] = [];
    for (const [bit, name, why] of KIND_HINTS) {
      if (kind & bit) parts.push(...(parts.length > 0 ? [{ value: ' ' }] : []), { value: `[${name}]`, tooltip: why });
    }
    for (let k = s; k < e; k++) {
      const tr = a.transitionAt(k);
      if (parts.length > 0) parts.push({ value: k === s ? ' ' : ' · ' });
      const name = c ? sideName(t, c, tr.side) : tr.side;
      parts.push({ value: `${name}: ${tr.from} → ${tr.to}${tr.inferred ? ' (inferred)' : ''}`, tooltip: tr.reason });
    }
    out.push({ position: { line, character: t.lineLength[line] ?? 0 }, label: parts, kind: InlayHintKind.Type, paddingLeft: true });
  }
  return out;
}

// ----------------------------------------------------------------------- folding, symbols, lenses

/** First and last line of a connection, the header line included in capture views. */
function connectionLines(t: TraceDoc, c: Connection): [number, number] | null {
  let first = t.rowLine[c.firstRow];
  let last = t.rowLine[c.lastRow];
  if (first < 0) return null;
  if (last < 0) {
    // Truncated view: the connection's last shown row.
    for (let i = c.rows.length - 1; i >= 0 && last < 0; i--) last = t.rowLine[c.rows[i]];
  }
  if (t.view !== null && first > 0 && t.view.headerConn.get(first - 1) === c.id) first -= 1;
  return [first, Math.max(first, last)];
}

export function foldingRanges(t: TraceDoc): FoldingRange[] {
  const out: FoldingRange[] = [];
  for (const c of t.analysis.connections) {
    const span = connectionLines(t, c);
    if (!span || span[1] <= span[0]) continue;
    // Only where no other connection's segment sits in between (text traces may interleave them).
    let clean = true;
    for (let l = span[0]; l <= span[1] && clean; l++) {
      const r = t.lineRow[l];
      if (r >= 0 && t.analysis.connections[t.analysis.rowConn[r]] !== c) clean = false;
    }
    if (clean) out.push({ startLine: span[0], endLine: span[1], kind: 'region' });
  }
  return out;
}

export function documentSymbols(t: TraceDoc): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  for (const c of t.analysis.connections) {
    const span = connectionLines(t, c);
    if (!span) continue;
    const range: Range = { start: { line: span[0], character: 0 }, end: { line: span[1], character: t.lineLength[span[1]] ?? 0 } };
    const children: DocumentSymbol[] = [];
    for (const f of c.findings) {
      const line = findingLine(t, f);
      if (line < 0) continue;
      children.push({ name: f.code, detail: f.message, kind: SymbolKind.Event, range: lineRange(t, line), selectionRange: lineRange(t, line) });
    }
    children.sort((x, y) => x.range.start.line - y.range.start.line);
    out.push({
      name: `${c.client.addr}:${c.client.port} → ${c.server.addr}:${c.server.port}`,
      detail: verdictParts(c).join(', '),
      kind: SymbolKind.Object,
      range,
      selectionRange: lineRange(t, span[0]),
      children,
    });
  }
  return out;
}

export function codeLenses(t: TraceDoc): CodeLens[] {
  const out: CodeLens[] = [];
  for (const c of t.analysis.connections) {
    const span = connectionLines(t, c);
    if (!span) continue;
    const range: Range = { start: { line: span[0], character: 0 }, end: { line: span[0], character: 0 } };
    out.push({ range, command: { title: 'Show teardown diagram', command: 'teardownTracer.showDiagram', arguments: [t.uri, c.id] } });
    const n = c.findings.length;
    // The lens leads to the connection's first finding in the document.
    let first: Finding | undefined;
    for (const f of c.findings) {
      const l = findingLine(t, f);
      if (l >= 0 && (first === undefined || l < findingLine(t, first))) first = f;
    }
    out.push({
      range,
      command:
        n > 0 && first
          ? {
              title: `${n} finding${n === 1 ? '' : 's'}`,
              command: 'teardownTracer.revealFinding',
              arguments: [t.uri, c.id, first.row >= 0 ? indexOfRow(c, first.row) : -1, first.code, findingLine(t, first)],
            }
          : { title: n > 0 ? `${n} finding${n === 1 ? '' : 's'}` : 'no findings', command: '' },
    });
  }
  return out;
}

// --------------------------------------------------------------------------------------- definition

/**
 * From an ACK to the segment it acknowledges: the segment it newly acknowledges, else (a duplicate
 * ACK) the latest earlier segment of the peer whose end it covers exactly.
 */
export function definition(t: TraceDoc, line: number): Location | null {
  const r = rowAt(t, line);
  if (r < 0) return null;
  const a = t.analysis;
  const tb = a.table;
  let target = a.acks[r];
  if (target < 0 && tb.flags[r] & ACK) {
    const c = connOfRow(t, r);
    if (c) {
      const dir = a.rowDir[r];
      for (let i = indexOfRow(c, r) - 1; i >= 0 && target < 0; i--) {
        const q = c.rows[i];
        if (a.rowDir[q] === dir) continue;
        const space = tb.len[q] + (tb.flags[q] & SYN ? 1 : 0) + (tb.flags[q] & FIN ? 1 : 0);
        if (space > 0 && seqAdd(tb.seq[q], space) === tb.ack[r]) target = q;
      }
    }
  }
  if (target < 0 || t.rowLine[target] < 0) return null;
  return { uri: t.uri, range: lineRange(t, t.rowLine[target]) };
}

// ---------------------------------------------------------------------------------- custom requests

/** Counts over some connections: the `summary` of `teardown/connections`. */
export function countConnections(conns: readonly Connection[]): ConnectionCounts {
  const outcomes = Object.fromEntries(OUTCOME_ORDER.map((o) => [o, 0])) as ConnectionCounts['outcomes'];
  const bySeverity: ConnectionCounts['bySeverity'] = { error: 0, warning: 0, info: 0, hint: 0 };
  const byCode: ConnectionCounts['byCode'] = {};
  let findings = 0;
  let withFindings = 0;
  for (const c of conns) {
    outcomes[c.outcome]++;
    const n = c.findings.length;
    if (n === 0) continue;
    withFindings++;
    findings += n;
    for (const f of c.findings) {
      bySeverity[f.severity]++;
      const e = byCode[f.code];
      if (e) e.count++;
      else byCode[f.code] = { severity: f.severity, count: 1 };
    }
  }
  return { connections: conns.length, withFindings, outcomes, findings, bySeverity, byCode };
}

/** What `teardown/connections` answers for a document no one opened and the server cannot read. */
export function noConnections(warning: string): ConnectionsRequest.Result {
  return {
    input: { format: 'unknown', packets: 0, tcpSegments: 0, warnings: [warning] },
    connections: [],
    total: 0,
    offset: 0,
    summary: countConnections([]),
    filterErrors: [],
  };
}

/** Distinct display filters remembered per document (a tree pages through one filter's matches). */
const FILTERS_REMEMBERED = 4;

/** The connections matching a display filter (all for an empty one), with their counts; remembered per document. */
function matching(t: TraceDoc, filter: string): FilteredConnections {
  const memo = (t.filtered ??= new Map());
  const hit = memo.get(filter);
  if (hit) return hit;
  const a = t.analysis;
  let entry: FilteredConnections;
  if (filter === '') entry = { connections: a.connections, errors: [], counts: countConnections(a.connections) };
  else {
    const res = filterConnectionIds(a, filter);
    const ids = res.ids;
    const conns = ids === null ? [] : a.connections.filter((c) => ids.has(c.id));
    entry = { connections: conns, errors: res.errors, counts: countConnections(conns) };
  }
  if (memo.size >= FILTERS_REMEMBERED) memo.delete(memo.keys().next().value as string);
  memo.set(filter, entry);
  return entry;
}

/** A non-negative integer from the wire, or `fallback`. */
function count(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.max(0, Math.floor(v)) : fallback;
}

export function connections(t: TraceDoc, p: Omit<ConnectionsRequest.Params, 'uri'>): ConnectionsRequest.Result {
  const a = t.analysis;
  const m = matching(t, typeof p.filter === 'string' ? p.filter.trim() : '');
  let conns = m.connections;
  if (typeof p.outcome === 'string') {
    const o = p.outcome;
    conns = conns.filter((c) => c.outcome === o);
  }
  if (p.withFindings === true) conns = conns.filter((c) => c.findings.length > 0);
  if (Array.isArray(p.ids)) {
    const wanted = new Set(p.ids);
    // A few ids from every connection: look them up instead of scanning.
    if (conns === a.connections && wanted.size < conns.length) {
      const found: Connection[] = [];
      for (const id of wanted) {
        const c = typeof id === 'number' ? connById(a, id) : undefined;
        if (c) found.push(c);
      }
      conns = found.sort((x, y) => x.id - y.id);
    } else conns = conns.filter((c) => wanted.has(c.id));
  }
  const total = conns.length;
  const offset = Math.min(total, count(p.offset, 0));
  const end = Math.min(total, offset + count(p.limit, total));
  const explanations = p.includeExplanations === true;
  const lineOf = (row: number): number => (row >= 0 ? t.rowLine[row] : -1);
  const page: ConnectionsRequest.Result['connections'] = [];
  for (let i = offset; i < end; i++) {
    const sum = ladderSummary(a, conns[i], lineOf, explanations);
    if (t.two) {
      for (const f of sum.findings) f.message = twoSidedText(t.two, f.message);
      sum.two = twoSidedInfo(t.two.mt.m, t.two.info.names, t.two.info.files, sum.id);
    }
    page.push(sum);
  }
  return {
    input: { ...t.loaded.input, warnings: [...t.loaded.input.warnings] },
    connections: page,
    total,
    offset,
    summary: m.counts,
    filterErrors: m.errors,
    ...(t.two ? { pair: t.two.info } : {}),
  };
}

/** Every finding code's title, default severity, explanation and RFC link. */
export function findingCatalog(): FindingCatalogRequest.Result {
  const codes: FindingCatalogRequest.Result['codes'] = {};
  for (const [code, e] of Object.entries(CATALOG))
    codes[code] = { title: e.title, defaultSeverity: e.severity, explanation: e.explanation, href: CODE_HREF.get(code) ?? 'https://www.rfc-editor.org/rfc/rfc9293.html' };
  return { codes };
}

// ------------------------------------------------------------------------------------------ stepping

/** The connections shown in the document, by their first line; remembered per document. */
function shownConnections(t: TraceDoc): ShownConnections {
  if (!t.shown) {
    const order = t.analysis.connections.filter((c) => t.rowLine[c.firstRow] >= 0).sort((x, y) => t.rowLine[x.firstRow] - t.rowLine[y.firstRow]);
    const position = new Map<number, number>();
    order.forEach((c, i) => position.set(c.id, i));
    const stops: FindingStop[] = [];
    for (const c of order)
      for (const f of c.findings) {
        const line = findingLine(t, f);
        if (line >= 0) stops.push({ connection: c.id, index: f.row >= 0 ? indexOfRow(c, f.row) : -1, line });
      }
    stops.sort((x, y) => x.line - y.line || x.index - y.index);
    t.shown = { order, position, stops };
  }
  return t.shown;
}

/** First position in a sorted list whose key exceeds `v` (`orEqual`: is at least `v`). */
function upperBound<T>(list: readonly T[], key: (x: T) => number, v: number, orEqual = false): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const k = key(list[mid]);
    if (k > v || (orEqual && k === v)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Where a stepping command leads from `line` (see `StepRequest`). */
export function step(t: TraceDoc, line: number, kind: StepRequest.Params['kind']): StepRequest.Result {
  const { order, position, stops } = shownConnections(t);
  if (order.length === 0) return null;
  if (kind === 'nextFinding' || kind === 'previousFinding') {
    if (stops.length === 0) return null;
    const at = kind === 'nextFinding' ? upperBound(stops, (s) => s.line, line) : upperBound(stops, (s) => s.line, line, true) - 1;
    const s = kind === 'nextFinding' ? (stops[at] ?? stops[0]) : (stops[at] ?? stops[stops.length - 1]);
    return { ...s };
  }
  const lineOfSegment = (c: Connection, index: number): number => t.rowLine[c.rows[index]] ?? -1;
  const dest = (c: Connection, index: number): StepRequest.Result => ({ connection: c.id, index, line: lineOfSegment(c, index) });
  const at = segmentAt(t, line);
  const here = at ? position.get(at.connection) : undefined;
  const firstLine = (c: Connection): number => t.rowLine[c.firstRow];
  if (!at || here === undefined) {
    // Between connections: the next (or previous) connection's first (or last) segment.
    let c: Connection | undefined;
    if (kind === 'previous') c = order[upperBound(order, firstLine, line, true) - 1] ?? order[order.length - 1];
    else c = order[upperBound(order, firstLine, line)] ?? order[0];
    return dest(c, kind === 'previous' || kind === 'last' ? c.rows.length - 1 : 0);
  }
  let c = order[here];
  let index = at.index;
  if (kind === 'first') index = 0;
  else if (kind === 'last') index = c.rows.length - 1;
  else if (kind === 'next') {
    if (index + 1 < c.rows.length) index++;
    else {
      c = order[(here + 1) % order.length];
      index = 0;
    }
  } else if (index > 0) index--;
  else {
    c = order[(here - 1 + order.length) % order.length];
    index = c.rows.length - 1;
  }
  return dest(c, index);
}

export function segments(t: TraceDoc, p: Omit<SegmentsRequest.Params, 'uri'>): SegmentsRequest.Result {
  const w = ladderWindow(t.analysis, p.connection, p.start, p.count, (row) => (row >= 0 ? t.rowLine[row] : -1));
  return t.two ? twoSidedWindow(t.two, w) : w;
}

export function segmentAt(t: TraceDoc, line: number): SegmentAtRequest.Result {
  const r = rowAt(t, line);
  if (r < 0) return null;
  const c = connOfRow(t, r);
  return c ? { connection: c.id, index: indexOfRow(c, r) } : null;
}

/** The connections an export covers: all of them, or the one named (none if it does not exist). */
function exported(a: Analysis, connection: number | undefined): Connection[] {
  if (connection === undefined) return a.connections;
  const one = connById(a, connection);
  return one ? [one] : [];
}

/**
 * Writes an export to a `file:` URI in chunks (the analysis as the `analyze --json` document,
 * byte for byte; the other kinds as their text), never holding a large analysis as one string.
 */
export function exportToFile(t: TraceDoc, kind: ExportRequest.Params['kind'], connection: number | undefined, target: string): ExportRequest.Result {
  let path: string;
  try {
    path = fileURLToPath(target);
  } catch {
    throw new Error(`cannot write an export to ${target}: only file: URIs`);
  }
  const chunks: Iterable<string> =
    kind === 'analysis-json'
      ? (function* () {
          yield* analysisJsonChunks(analysisOf(t.analysis, exported(t.analysis, connection)), t.loaded.input);
          yield '\n';
        })()
      : [exportText(t, kind, connection).text];
  const fd = fs.openSync(path, 'w');
  let bytes = 0;
  try {
    for (const chunk of chunks) bytes += fs.writeSync(fd, chunk);
  } finally {
    fs.closeSync(fd);
  }
  return { text: '', written: { uri: target, bytes } };
}

export function exportText(t: TraceDoc, kind: ExportRequest.Params['kind'], connection: number | undefined): ExportRequest.Result {
  const a = t.analysis;
  const conns = exported(a, connection);
  // An RFC figure's numbers are the author's own: exports keep them as written.
  const relative = t.settings.relative && t.loaded.format !== 'rfc';
  switch (kind) {
    case 'analysis-json': {
      const view = analysisOf(a, conns);
      return { text: JSON.stringify(analysisJson(view, t.loaded.input), null, 2) + '\n' };
    }
    case 'state-table':
      return { text: conns.map((c) => stateTableMarkdown(a, c, { relative })).join('\n') };
    case 'mermaid':
      return { text: conns.map((c) => mermaidSequence(a, c, { relative })).join('\n') };
    case 'tcptrace':
      return { text: figures(a, conns) };
    case 'tcpdump': {
      // Capture order, absolute numbers (`-S`): the text reads back to the same segments.
      const rows = conns.length === a.connections.length ? Array.from({ length: a.table.length }, (_, r) => r) : conns.flatMap((c) => c.rows).sort((x, y) => x - y);
      return { text: toTcpdumpText(a.table, rows) };
    }
  }
}

/**
 * Connections as RFC figures (client as TCP A, one figure each under a `# connection` line), the
 * inferred states written in the columns. A figure draws every segment as received on its own
 * line, so where the capture showed a delayed receipt (crossing FINs) a state written there would
 * read back as a wrong claim: the text is read back and such states are left blank, so the
 * exported trace analyzes without false diagnostics.
 */
function figures(a: Analysis, conns: readonly Connection[]): string {
  // Lines as the engine saw them: segments in flight (crossing FINs) arrive on lines of their own.
  const parts = conns.map((c) => {
    const index = new Map(c.rows.map((r, i) => [r, i]));
    const lines: RfcLine[] = ladderLines(a, c).map((l) => ({
      index: index.get(l.row)!,
      arrival: l.arrival,
      arrivesNow: l.arrivesNow,
      a: l.client,
      b: l.server,
      ...(l.expired ? { expired: { a: l.expired.client, b: l.expired.server } } : {}),
    }));
    return { c, lines, initial: { a: c.initialState.client, b: c.initialState.server } as { a: string; b: string } | undefined };
  });
  const render = (): { text: string; starts: number[] } => {
    const out: string[] = [];
    const starts: number[] = [];
    for (const p of parts) {
      if (out.length > 0) out.push('');
      starts.push(out.length);
      out.push(`# connection ${p.c.id}: ${p.c.client.addr}:${p.c.client.port} -> ${p.c.server.addr}:${p.c.server.port}`);
      const fig = toRfcTrace(a.table, p.c.rows, { a: [], b: [] }, { a: p.c.clientEp, lines: p.lines, ...(p.initial ? { initial: p.initial } : {}) });
      out.push(...fig.replace(/\n$/, '').split('\n'));
    }
    return { text: out.join('\n') + '\n', starts };
  };
  let r = render();
  for (let pass = 0; pass < 2; pass++) {
    const back = parseRfcTrace(r.text);
    const replay = analyze(back.table, { ...a.options, severities: {} }, back.steps);
    const wrong = replay.findings.filter((f) => f.code === 'state-claim-mismatch' && f.line !== undefined);
    if (wrong.length === 0) break;
    const lines = r.text.split('\n');
    // Each text line's figure line (its index in its part's `lines`): one per segment line; -1
    // before a figure's first segment (its initial states), `(2 MSL)` event lines lie in between.
    const figureLine = new Int32Array(lines.length);
    for (let i = 0, k = -1, next = 0; i < lines.length; i++) {
      if (i === r.starts[next]) {
        k = -1;
        next++;
      }
      if (lines[i].includes('<SEQ=')) k++;
      figureLine[i] = k;
    }
    for (const f of wrong) {
      const ln = f.line ?? -1;
      let i = r.starts.length - 1;
      while (i > 0 && r.starts[i] > ln) i--;
      const p = parts[i];
      const k = figureLine[ln];
      if (k >= 0 && !lines[ln].includes('<SEQ=')) continue; // an event line holds no claim
      const arrow = lines[ln].search(/-->|<--/);
      const isA = arrow < 0 || (f.startCol ?? 0) < arrow;
      if (k < 0) p.initial = undefined;
      else if (isA) p.lines[k].a = '';
      else p.lines[k].b = '';
    }
    r = render();
  }
  return r.text;
}

export function openCapture(t: TraceDoc): OpenCaptureRequest.Result {
  const v = t.view;
  if (v === null) return { text: '', truncated: false, shownSegments: 0, totalSegments: 0, error: 'not a capture view' };
  return { text: v.text, truncated: v.truncated, shownSegments: v.shownSegments, totalSegments: v.totalSegments, error: t.loaded.error };
}

/** Every feature by name, as the analysis worker dispatches calls. */
export const FEATURES = {
  diagnostics: (t: TraceDoc): Diagnostic[] => diagnostics(t),
  counts: (t: TraceDoc) => counts(t),
  hover: (t: TraceDoc, p: { line: number }) => hover(t, p.line),
  inlayHints: (t: TraceDoc, p: { start: number; end: number }) => inlayHints(t, p.start, p.end),
  foldingRanges: (t: TraceDoc) => foldingRanges(t),
  documentSymbols: (t: TraceDoc) => documentSymbols(t),
  codeLenses: (t: TraceDoc) => codeLenses(t),
  codeActions: (t: TraceDoc, p: { start: number; end: number }) => codeActions(t, p.start, p.end),
  definition: (t: TraceDoc, p: { line: number }) => definition(t, p.line),
  connections: (t: TraceDoc, p: Omit<ConnectionsRequest.Params, 'uri'>) => connections(t, p),
  step: (t: TraceDoc, p: Omit<StepRequest.Params, 'uri'>) => step(t, p.line, p.kind),
  segments: (t: TraceDoc, p: Omit<SegmentsRequest.Params, 'uri'>) => segments(t, p),
  segmentAt: (t: TraceDoc, p: { line: number }) => segmentAt(t, p.line),
  exportText: (t: TraceDoc, p: { kind: ExportRequest.Params['kind']; connection?: number; target?: string }) =>
    p.target !== undefined ? exportToFile(t, p.kind, p.connection, p.target) : exportText(t, p.kind, p.connection),
  openCapture: (t: TraceDoc) => openCapture(t),
  overview: (t: TraceDoc, p: Omit<OverviewRequest.Params, 'uri'>) => overviewFeature(t, p),
} satisfies Record<string, (t: TraceDoc, p: never) => unknown>;

export type FeatureName = keyof typeof FEATURES;
export type FeatureParams<K extends FeatureName> = Parameters<(typeof FEATURES)[K]>[1];
export type FeatureResult<K extends FeatureName> = ReturnType<(typeof FEATURES)[K]>;

/** Calls a feature by name (the worker's dispatch). */
export function runFeature<K extends FeatureName>(t: TraceDoc, name: K, params: FeatureParams<K>): FeatureResult<K> {
  const fn = FEATURES[name] as (t: TraceDoc, p: FeatureParams<K>) => FeatureResult<K>;
  return fn(t, params);
}

