/**
 * The ladder model: one connection's segments as the diagram webview and the side panel need them
 * (both endpoints' states before and after each segment, the transitions with their RFC reasons,
 * findings, acknowledgment links, relative and absolute numbers), a window at a time.
 *
 * Pure: the language server answers `teardown/segments` (src/shared/lspProtocol.ts
 * `SegmentsRequest`) with {@link ladderWindow}; the shapes below are structurally identical to the
 * protocol's `LadderSegment` / `ConnectionSummary` (src/core may not import src/shared, so the
 * host side of the diagram checks the identity at compile time).
 */
import { flagNames, RST } from '../model/segment';
import { seqDistance } from '../seq';
import { processedAfter } from './ladder';
import type { TwoSidedInfo, TwoSidedSegment } from '../merge/ladder';
import {
  KIND_DATA,
  KIND_DUP_ACK,
  KIND_KEEPALIVE,
  KIND_OUT_OF_ORDER,
  KIND_RETRANSMISSION,
  KIND_RST_IGNORED,
  KIND_ZERO_WINDOW,
  KIND_ZERO_WINDOW_PROBE,
  STATES,
  stateText,
  type Analysis,
  type Connection,
  type Finding,
} from '../engine/types';

export interface LadderEndpoint {
  addr: string;
  port: number;
}

export interface LadderFinding {
  code: string;
  severity: 'error' | 'warning' | 'info' | 'hint';
  message: string;
  /** The catalog's explanation; left out of connection summaries unless asked for. */
  explanation?: string;
  index: number;
  frame: number;
  line: number;
  related: { index: number; line: number; message: string }[];
}

export interface LadderTransition {
  side: 'client' | 'server';
  from: string;
  to: string;
  reason: string;
  inferred: boolean;
}

export interface LadderSegmentModel {
  index: number;
  frame: number;
  line: number;
  t: number;
  time: string;
  dir: 'c2s' | 's2c';
  flags: number;
  flagText: string;
  seq: number;
  ack: number;
  relSeq: number;
  relAck: number;
  len: number;
  win: number;
  kinds: string[];
  clientBefore: string;
  clientAfter: string;
  serverBefore: string;
  serverAfter: string;
  transitions: LadderTransition[];
  findings: LadderFinding[];
  ackedBy: number;
  acks: number;
  /**
   * Index of the segment after which the receiver processed this one: its own index when on
   * arrival, a later one when it was in flight until then (crossing FINs), -1 when never (lost).
   */
  arrival: number;
  rst: LadderRstModel | null;
  /** Two captures merged (issue 15): where each capture saw it, and where its arrow lands. */
  two?: TwoSidedSegment;
}

export interface LadderRstModel {
  reason: string;
  confidence: string;
  effect: string;
  message: string;
  evidence: number[];
}

export interface LadderConnectionSummary {
  id: number;
  client: LadderEndpoint;
  server: LadderEndpoint;
  rolesInferred: boolean;
  outcome: Connection['outcome'];
  closeInitiator: Connection['closeInitiator'];
  finalState: { client: string; server: string };
  segments: number;
  firstFrame: number;
  lastFrame: number;
  firstLine: number;
  lastLine: number;
  startTime: number;
  endTime: number;
  findings: LadderFinding[];
  /** Two captures merged (issue 15): the pair, the clock offset, this connection's fates. */
  two?: TwoSidedInfo;
}

export interface LadderTimeWait {
  client: number | null;
  server: number | null;
  durationSeconds: number;
}

export interface LadderWindow {
  total: number;
  connection: LadderConnectionSummary | null;
  segments: LadderSegmentModel[];
  timeWait: LadderTimeWait;
}

/** Maps a table row to the 0-based line of the document showing it (-1 when not shown). */
export type LineOf = (row: number) => number;

const KIND_NAMES: [number, string][] = [
  [KIND_RETRANSMISSION, 'retransmission'],
  [KIND_KEEPALIVE, 'keepalive'],
  [KIND_ZERO_WINDOW_PROBE, 'zero-window-probe'],
  [KIND_ZERO_WINDOW, 'zero-window'],
  [KIND_DUP_ACK, 'dup-ack'],
  [KIND_RST_IGNORED, 'rst-ignored'],
  [KIND_DATA, 'data'],
  [KIND_OUT_OF_ORDER, 'out-of-order'],
];

/** The kind names of a KIND_* bit set, in a fixed order. */
export function kindNames(bits: number): string[] {
  const out: string[] = [];
  for (const [bit, name] of KIND_NAMES) if (bits & bit) out.push(name);
  return out;
}

/** Index of `row` within the connection's rows (rows are ascending), -1 if absent. */
export function indexOfRow(c: Connection, row: number): number {
  const rows = c.rows;
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = rows[mid];
    if (v === row) return mid;
    if (v < row) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

const defaultLineOf =
  (a: Analysis): LineOf =>
  (row) =>
    row >= 0 ? a.table.line[row] : -1;

function timeOf(a: Analysis, row: number): number {
  const t = a.table.time(row);
  return Number.isFinite(t) ? t : 0;
}

/** Seconds from row `from` to row `to`, exact to the nanosecond (no epoch-sized float in between). */
function since(a: Analysis, from: number, to: number): number {
  const t = a.table;
  const d = t.tsSec[to] - t.tsSec[from] + (t.tsNsec[to] - t.tsNsec[from]) / 1e9;
  return Number.isFinite(d) ? d : 0;
}

/** A finding as the protocol carries it; without `explanation` when `explanations` is false. */
export function ladderFinding(a: Analysis, c: Connection, f: Finding, lineOf: LineOf = defaultLineOf(a), explanations = true): LadderFinding {
  const line = f.line !== undefined ? f.line : lineOf(f.row);
  const out: LadderFinding = {
    code: f.code,
    severity: f.severity,
    message: f.message,
    index: f.row >= 0 ? indexOfRow(c, f.row) : -1,
    frame: f.frame,
    line,
    related: f.related.map((r) => ({ index: indexOfRow(c, r.row), line: lineOf(r.row), message: r.message })),
  };
  if (explanations) out.explanation = f.explanation;
  return out;
}

/** A connection as the protocol carries it; its findings without explanations when `explanations` is false. */
export function ladderSummary(a: Analysis, c: Connection, lineOf: LineOf = defaultLineOf(a), explanations = true): LadderConnectionSummary {
  const t = a.table;
  return {
    id: c.id,
    client: { addr: c.client.addr, port: c.client.port },
    server: { addr: c.server.addr, port: c.server.port },
    rolesInferred: c.rolesInferred,
    outcome: c.outcome,
    closeInitiator: c.closeInitiator,
    finalState: { client: stateText(c.finalState.client), server: stateText(c.finalState.server) },
    segments: c.rows.length,
    firstFrame: t.frame[c.firstRow],
    lastFrame: t.frame[c.lastRow],
    firstLine: lineOf(c.firstRow),
    lastLine: lineOf(c.lastRow),
    startTime: timeOf(a, c.firstRow),
    endTime: timeOf(a, c.lastRow),
    findings: c.findings.map((f) => ladderFinding(a, c, f, lineOf, explanations)),
  };
}

/** When each side entered TIME-WAIT (seconds since the connection's first segment) and 2 MSL. */
export function ladderTimeWait(a: Analysis, c: Connection): LadderTimeWait {
  const out: LadderTimeWait = { client: null, server: null, durationSeconds: 2 * a.options.mslSeconds };
  for (const r of c.rows) {
    for (let k = a.transitionStart[r]; k < a.transitionStart[r + 1]; k++) {
      const tr = a.transitionAt(k);
      if (tr.to === 'TIME-WAIT' && out[tr.side] === null) out[tr.side] = since(a, c.firstRow, r);
    }
  }
  return out;
}

/** One segment (by its index within the connection) as the diagram shows it. */
export function ladderSegment(
  a: Analysis,
  c: Connection,
  index: number,
  lineOf: LineOf = defaultLineOf(a),
  findingsByRow?: Map<number, Finding[]>,
): LadderSegmentModel {
  const t = a.table;
  const r = c.rows[index];
  const fromClient = a.rowDir[r] === 0;
  const ownIsn = fromClient ? c.isn.client : c.isn.server;
  const peerIsn = fromClient ? c.isn.server : c.isn.client;
  const transitions: LadderTransition[] = [];
  for (let k = a.transitionStart[r]; k < a.transitionStart[r + 1]; k++) {
    const tr = a.transitionAt(k);
    transitions.push({ side: tr.side, from: tr.from, to: tr.to, reason: tr.reason, inferred: tr.inferred });
  }
  const fs = findingsByRow ? (findingsByRow.get(r) ?? []) : c.findings.filter((f) => f.row === r);
  const ackedBy = a.ackedBy[r];
  const arrival = processedAfter(a, c, r);
  const acks = a.acks[r];
  return {
    index,
    frame: t.frame[r],
    line: lineOf(r),
    t: since(a, c.firstRow, r),
    time: t.timeString(r),
    dir: fromClient ? 'c2s' : 's2c',
    flags: t.flags[r],
    flagText: flagNames(t.flags[r]) || 'none',
    seq: t.seq[r],
    ack: t.ack[r],
    relSeq: seqDistance(ownIsn, t.seq[r]),
    relAck: seqDistance(peerIsn, t.ack[r]),
    len: t.len[r],
    win: t.win[r],
    kinds: kindNames(a.rowKind[r]),
    clientBefore: stateText(STATES[a.clientBefore[r]]),
    clientAfter: stateText(STATES[a.clientAfter[r]]),
    serverBefore: stateText(STATES[a.serverBefore[r]]),
    serverAfter: stateText(STATES[a.serverAfter[r]]),
    transitions,
    findings: fs.map((f) => ladderFinding(a, c, f, lineOf)),
    ackedBy: ackedBy >= 0 ? indexOfRow(c, ackedBy) : -1,
    acks: acks >= 0 ? indexOfRow(c, acks) : -1,
    arrival: arrival === r ? index : arrival >= 0 ? indexOfRow(c, arrival) : -1,
    rst: t.flags[r] & RST ? ladderRst(c, r) : null,
  };
}

function ladderRst(c: Connection, r: number): LadderRstModel | null {
  const x = c.rsts.find((y) => y.row === r);
  if (x === undefined) return null;
  return { reason: x.reason, confidence: x.confidence, effect: x.effect, message: x.message, evidence: x.evidence.map((q) => indexOfRow(c, q)) };
}

/**
 * A window of a connection's segments: what `teardown/segments` returns. `connectionId` is the
 * 1-based `Connection.id`; an unknown id gives an empty window with `connection: null`.
 */
export function ladderWindow(a: Analysis, connectionId: number, start: number, count: number, lineOf: LineOf = defaultLineOf(a)): LadderWindow {
  const c = a.connections.find((x) => x.id === connectionId);
  if (!c) return { total: 0, connection: null, segments: [], timeWait: { client: null, server: null, durationSeconds: 2 * a.options.mslSeconds } };
  const total = c.rows.length;
  const from = Math.max(0, Math.min(total, Math.floor(start)));
  const to = Math.max(from, Math.min(total, from + Math.max(0, Math.floor(count))));
  const byRow = new Map<number, Finding[]>();
  for (const f of c.findings) {
    const list = byRow.get(f.row);
    if (list) list.push(f);
    else byRow.set(f.row, [f]);
  }
  const segments: LadderSegmentModel[] = [];
  for (let i = from; i < to; i++) segments.push(ladderSegment(a, c, i, lineOf, byRow));
  return { total, connection: ladderSummary(a, c, lineOf), segments, timeWait: ladderTimeWait(a, c) };
}
