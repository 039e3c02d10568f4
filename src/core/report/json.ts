/**
 * The `analyze --json` document: a contract other tools rely on (see README, "analyze").
 */
import type { Analysis, Connection, Finding } from '../engine/types';

export interface InputSummary {
  format: string;
  packets: number;
  tcpSegments: number;
  warnings?: string[];
}

export interface FindingJson {
  code: string;
  severity: string;
  frame: number;
  line?: number;
  message: string;
  explanation: string;
  related: { frame: number; line?: number; message: string }[];
}

export interface ConnectionJson {
  id: number;
  client: { ip: string; port: number };
  server: { ip: string; port: number };
  rolesInferred: boolean;
  incarnation: number;
  firstFrame: number;
  lastFrame: number;
  segments: number;
  startTime: string;
  endTime: string;
  closeInitiator: string;
  outcome: string;
  reset: { by: string; frame: number; reason: string } | null;
  initialState: { client: string; server: string };
  finalState: { client: string; server: string };
  findings: FindingJson[];
}

export interface AnalysisJson {
  input: InputSummary;
  summary: { connections: number; findings: Record<string, number>; outcomes: Record<string, number> };
  connections: ConnectionJson[];
}

function findingJson(a: Analysis, f: Finding): FindingJson {
  const t = a.table;
  const out: FindingJson = {
    code: f.code,
    severity: f.severity,
    frame: f.frame,
    message: f.message,
    explanation: f.explanation,
    related: f.related.map((r) => {
      const o: { frame: number; line?: number; message: string } = { frame: t.frame[r.row], message: r.message };
      if (t.line[r.row] >= 0) o.line = t.line[r.row] + 1;
      return o;
    }),
  };
  if (f.line !== undefined) out.line = f.line + 1;
  else if (f.row >= 0 && t.line[f.row] >= 0) out.line = t.line[f.row] + 1;
  return out;
}

export function connectionJson(a: Analysis, c: Connection): ConnectionJson {
  const t = a.table;
  return {
    id: c.id,
    client: { ip: c.client.addr, port: c.client.port },
    server: { ip: c.server.addr, port: c.server.port },
    rolesInferred: c.rolesInferred,
    incarnation: c.incarnation,
    firstFrame: t.frame[c.firstRow],
    lastFrame: t.frame[c.lastRow],
    segments: c.segments,
    startTime: t.timeString(c.firstRow),
    endTime: t.timeString(c.lastRow),
    closeInitiator: c.closeInitiator,
    outcome: c.outcome,
    reset: c.reset ? { by: c.reset.by, frame: c.reset.frame, reason: c.reset.reason } : null,
    initialState: { ...c.initialState },
    finalState: { ...c.finalState },
    findings: c.findings.map((f) => findingJson(a, f)),
  };
}

function summaryOf(a: Analysis): AnalysisJson['summary'] {
  const findings: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  for (const f of a.findings) findings[f.code] = (findings[f.code] ?? 0) + 1;
  for (const c of a.connections) outcomes[c.outcome] = (outcomes[c.outcome] ?? 0) + 1;
  return { connections: a.connections.length, findings, outcomes };
}

export function analysisJson(a: Analysis, input: InputSummary, opts: { connections?: boolean } = {}): AnalysisJson {
  return {
    input,
    summary: summaryOf(a),
    connections: opts.connections === false ? [] : a.connections.map((c) => connectionJson(a, c)),
  };
}

/**
 * The same document as `JSON.stringify(analysisJson(a, input))`, character for character, as a
 * sequence of strings of about `chunkChars` characters each: a capture with a hundred thousand
 * connections is written out without ever holding the whole document (or its objects) in memory.
 */
export function* analysisJsonChunks(a: Analysis, input: InputSummary, chunkChars = 1 << 20): Generator<string> {
  let out = `{"input":${JSON.stringify(input)},"summary":${JSON.stringify(summaryOf(a))},"connections":[`;
  const conns = a.connections;
  for (let i = 0; i < conns.length; i++) {
    out += (i === 0 ? '' : ',') + JSON.stringify(connectionJson(a, conns[i]));
    if (out.length >= chunkChars) {
      yield out;
      out = '';
    }
  }
  yield out + ']}';
}
