/**
 * The `analyze --json` document: a contract other tools rely on (see README, "analyze").
 */
import { FindingRecord } from '../engine/records';
import { connectionCommunityId, tcpCommunityId } from './communityId';
import { FINDING_CODES, type Analysis, type Connection, type Finding, type FindingCode, type Outcome, type RstExplanation, type TcpState, type Vantage } from '../engine/types';

export interface InputSummary {
  format: string;
  packets: number;
  tcpSegments: number;
  warnings?: string[];
  /**
   * Several capture files analyzed as one capture (merged by timestamp): each file, in the order
   * of the command line (a directory's files by name). Only then do references carry a `file`.
   */
  files?: { name: string; format: string; packets: number; tcpSegments: number }[];
}

/** `file` (several capture files only): the file the frame number counts in. */
export interface FindingJson {
  code: string;
  severity: string;
  frame: number;
  file?: string;
  line?: number;
  message: string;
  explanation: string;
  related: { frame: number; file?: string; line?: number; message: string }[];
}

export interface ConnectionJson {
  id: number;
  client: { ip: string; port: number };
  server: { ip: string; port: number };
  /** Community ID v1 (seed 0) of the 4-tuple: the key Zeek, Suricata and Wireshark join flows by. */
  communityId: string;
  rolesInferred: boolean;
  incarnation: number;
  firstFrame: number;
  lastFrame: number;
  /** Several capture files only: the files of the first and last frames. */
  firstFile?: string;
  lastFile?: string;
  segments: number;
  startTime: string;
  endTime: string;
  closeInitiator: string;
  outcome: string;
  /** The RST that ended the connection: a stable reason code, the sentence, the frames that show it. */
  reset: RstJson | null;
  /** Every RST of the connection with why it was sent and what it did. */
  rsts: (RstJson & { effect: string })[];
  /** RFC 9293 state names; null where the capture cannot show the state (`stateNotes` says why). */
  initialState: { client: string | null; server: string | null };
  finalState: { client: string | null; server: string | null };
  stateNotes: { client?: string; server?: string };
  /** Where the capture was taken: near the client, the server, between, or unknown (handshake timing, seconds). */
  vantage: { near: string; synToSynAck: number | null; synAckToAck: number | null; note: string };
  findings: FindingJson[];
}

export interface RstJson {
  by: string;
  frame: number;
  /** The file of `frame` (and of each `evidence` frame), when the capture is several files. */
  file?: string;
  reason: string;
  message: string;
  evidence: number[];
  evidenceFiles?: string[];
  confidence: string;
}

function rstJson(a: Analysis, x: RstExplanation): RstJson {
  const t = a.table;
  const evidence = x.evidence.map((r) => t.frame[r]);
  if (t.files === undefined) return { by: x.by, frame: x.frame, reason: x.reason, message: x.message, evidence, confidence: x.confidence };
  const evidenceFiles = x.evidence.map((r) => t.fileName(r)!);
  return { by: x.by, frame: x.frame, file: t.fileName(x.row)!, reason: x.reason, message: x.message, evidence, evidenceFiles, confidence: x.confidence };
}

/** A state in the document: RFC 9293's name, or null where the capture cannot show it. */
function stateJson(s: TcpState): string | null {
  return s === 'UNKNOWN' ? null : s;
}

/**
 * `Number(x.toFixed(9))` (null when x is not finite): seconds rounded to the nanosecond. Below a
 * million seconds, x * 1e9 is within 1/16 of the exact product, so where its fraction is not near
 * one half, Math.round picks the integer toFixed picks, and dividing it by 1e9 (both exact, the
 * quotient rounded once) gives the number the nine-digit decimal parses to; near one half (a
 * possible tie) and elsewhere, toFixed itself.
 */
export function seconds(x: number): number | null {
  if (!Number.isFinite(x)) return null;
  if (x > -1e6 && x < 1e6) {
    const p = x * 1e9;
    const frac = p - Math.floor(p);
    if (frac < 0.375 || frac > 0.625) return Math.round(p) / 1e9;
  }
  return Number(x.toFixed(9));
}

function vantageJson(v: Vantage): ConnectionJson['vantage'] {
  return { near: v.near, synToSynAck: seconds(v.synToSynAck), synAckToAck: seconds(v.synAckToAck), note: v.note };
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
    ...(t.files !== undefined && f.row >= 0 ? { file: t.fileName(f.row) } : {}),
    message: f.message,
    explanation: f.explanation,
    related: f.related.map((r) => {
      const o: FindingJson['related'][number] = { frame: t.frame[r.row], ...(t.files !== undefined ? { file: t.fileName(r.row) } : {}), message: r.message };
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
    communityId: connectionCommunityId(c),
    rolesInferred: c.rolesInferred,
    incarnation: c.incarnation,
    firstFrame: t.frame[c.firstRow],
    lastFrame: t.frame[c.lastRow],
    ...(t.files !== undefined ? { firstFile: t.fileName(c.firstRow), lastFile: t.fileName(c.lastRow) } : {}),
    segments: c.segments,
    startTime: t.timeString(c.firstRow),
    endTime: t.timeString(c.lastRow),
    closeInitiator: c.closeInitiator,
    outcome: c.outcome,
    reset: c.reset ? rstJson(a, c.reset) : null,
    rsts: c.rsts.map((x) => ({ ...rstJson(a, x), effect: x.effect })),
    initialState: { client: stateJson(c.initialState.client), server: stateJson(c.initialState.server) },
    finalState: { client: stateJson(c.finalState.client), server: stateJson(c.finalState.server) },
    stateNotes: { ...c.stateNotes },
    vantage: vantageJson(c.vantage),
    findings: c.findings.map((f) => findingJson(a, f)),
  };
}

/** Outcomes in the order the summary lists them. */
const OUTCOME_ORDER: readonly Outcome[] = ['graceful', 'simultaneous', 'reset', 'refused', 'half-closed', 'half-open', 'open'];

/**
 * The document's summary, counted connection by connection (so a streaming analysis counts batch
 * after batch and gets the same): finding codes in the catalog's order, outcomes in
 * OUTCOME_ORDER, each only when it occurs.
 */
export class SummaryCounts {
  connections = 0;
  private readonly findings = new Map<FindingCode, number>();
  private readonly outcomes = new Map<Outcome, number>();

  add(c: Connection): void {
    this.connections++;
    this.outcomes.set(c.outcome, (this.outcomes.get(c.outcome) ?? 0) + 1);
    for (const f of c.findings) this.findings.set(f.code, (this.findings.get(f.code) ?? 0) + 1);
  }

  /** Adds the counts of another SummaryCounts (its toJSON): a worker thread's, in the parallel analysis. */
  addCounts(other: AnalysisJson['summary']): void {
    this.connections += other.connections;
    for (const [code, n] of Object.entries(other.findings)) this.findings.set(code as FindingCode, (this.findings.get(code as FindingCode) ?? 0) + n);
    for (const [o, n] of Object.entries(other.outcomes)) this.outcomes.set(o as Outcome, (this.outcomes.get(o as Outcome) ?? 0) + n);
  }

  toJSON(): AnalysisJson['summary'] {
    const findings: Record<string, number> = {};
    const outcomes: Record<string, number> = {};
    for (const code of FINDING_CODES) {
      const n = this.findings.get(code);
      if (n !== undefined) findings[code] = n;
    }
    for (const o of OUTCOME_ORDER) {
      const n = this.outcomes.get(o);
      if (n !== undefined) outcomes[o] = n;
    }
    return { connections: this.connections, findings, outcomes };
  }
}

function summaryOf(a: Analysis): AnalysisJson['summary'] {
  const counts = new SummaryCounts();
  for (const c of a.connections) counts.add(c);
  return counts.toJSON();
}

export function analysisJson(a: Analysis, input: InputSummary, opts: { connections?: boolean } = {}): AnalysisJson {
  return {
    input,
    summary: summaryOf(a),
    connections: opts.connections === false ? [] : a.connections.map((c) => connectionJson(a, c)),
  };
}

const q = JSON.stringify as (s: string) => string;
/** Quoted forms of strings that repeat across connections (addresses, states, codes, explanations). */
const quoted = new Map<string, string>();
function qc(s: string): string {
  let v = quoted.get(s);
  if (v === undefined) {
    v = q(s);
    if (quoted.size < 65536) quoted.set(s, v);
  }
  return v;
}

function num(x: number): string {
  return Number.isFinite(x) ? String(x) : 'null';
}

/** `"file":"a.pcap",` for row r when the table holds several files, else nothing. */
function fileText(t: Analysis['table'], r: number): string {
  return t.files === undefined ? '' : `"file":${qc(t.fileName(r)!)},`;
}

/** `JSON.stringify(findingJson(a, f))`, written directly. */
function findingJsonText(a: Analysis, f: Finding): string {
  const t = a.table;
  const [message, rel] = f instanceof FindingRecord ? f.written() : [f.message, f.related];
  let related = '';
  for (const r of rel) {
    const line = t.line[r.row];
    related += `${related === '' ? '' : ','}{"frame":${num(t.frame[r.row])},${fileText(t, r.row)}"message":${q(r.message)}${line >= 0 ? `,"line":${line + 1}` : ''}}`;
  }
  const line = f.line !== undefined ? f.line + 1 : f.row >= 0 && t.line[f.row] >= 0 ? t.line[f.row] + 1 : undefined;
  return `{"code":${qc(f.code)},"severity":${qc(f.severity)},"frame":${num(f.frame)},${f.row >= 0 ? fileText(t, f.row) : ''}"message":${q(message)},"explanation":${qc(f.explanation)},"related":[${related}]${line !== undefined ? `,"line":${num(line)}` : ''}}`;
}

function st(s: TcpState): string {
  return s === 'UNKNOWN' ? 'null' : qc(s);
}

function num2(x: number | null): string {
  return x === null ? 'null' : String(x);
}

/** `JSON.stringify(rstJson(a, x))` without its closing brace. */
function rstJsonText(a: Analysis, x: RstExplanation): string {
  let evidence = '';
  for (const r of x.evidence) evidence += (evidence === '' ? '' : ',') + num(a.table.frame[r]);
  const t = a.table;
  const files = t.files === undefined ? '' : `"evidenceFiles":[${x.evidence.map((r) => qc(t.fileName(r)!)).join(',')}],`;
  return `{"by":${qc(x.by)},"frame":${num(x.frame)},${fileText(t, x.row)}"reason":${qc(x.reason)},"message":${qc(x.message)},"evidence":[${evidence}],${files}"confidence":${qc(x.confidence)}`;
}

/**
 * `JSON.stringify(connectionJson(a, c))`, written directly (no intermediate objects): the bulk of
 * a large `analyze --json` document. Tests hold the two equal.
 */
export function connectionJsonText(a: Analysis, c: Connection): string {
  const t = a.table;
  const { client, server, reset, initialState: i, finalState: f, vantage: v } = c;
  const notes = c.stateNotes;
  let findings = '';
  for (const x of c.findings) findings += (findings === '' ? '' : ',') + findingJsonText(a, x);
  let rsts = '';
  for (const x of c.rsts) rsts += `${rsts === '' ? '' : ','}${rstJsonText(a, x)},"effect":${qc(x.effect)}}`;
  return (
    // Community IDs (base64) and times (digits, a point, a sign) need no escaping; frames (a
    // Uint32Array column) are integers.
    `{"id":${num(c.id)},"client":{"ip":${qc(client.addr)},"port":${num(client.port)}},"server":{"ip":${qc(server.addr)},"port":${num(server.port)}},"communityId":"${tcpCommunityId(client, server)}",` +
    `"rolesInferred":${c.rolesInferred},"incarnation":${num(c.incarnation)},"firstFrame":${t.frame[c.firstRow]},"lastFrame":${t.frame[c.lastRow]},` +
    (t.files !== undefined ? `"firstFile":${qc(t.fileName(c.firstRow)!)},"lastFile":${qc(t.fileName(c.lastRow)!)},` : '') +
    `"segments":${num(c.segments)},"startTime":"${t.timeString(c.firstRow)}","endTime":"${t.timeString(c.lastRow)}",` +
    `"closeInitiator":${qc(c.closeInitiator)},"outcome":${qc(c.outcome)},` +
    `"reset":${reset ? rstJsonText(a, reset) + '}' : 'null'},"rsts":[${rsts}],` +
    `"initialState":{"client":${st(i.client)},"server":${st(i.server)}},"finalState":{"client":${st(f.client)},"server":${st(f.server)}},` +
    `"stateNotes":${notes.client === undefined && notes.server === undefined ? '{}' : JSON.stringify(notes)},` +
    `"vantage":{"near":${qc(v.near)},"synToSynAck":${num2(seconds(v.synToSynAck))},"synAckToAck":${num2(seconds(v.synAckToAck))},"note":${q(v.note)}},` +
    `"findings":[${findings}]}`
  );
}

/**
 * The same document as `JSON.stringify(analysisJson(a, input))`, character for character, as a
 * sequence of strings of about `chunkChars` characters each (64 Ki by default): a capture with a hundred thousand
 * connections is written out without ever holding the whole document (or its objects) in memory.
 */
export function* analysisJsonChunks(a: Analysis, input: InputSummary, chunkChars = 1 << 16): Generator<string> {
  let out = analysisJsonHead(input, summaryOf(a));
  const conns = a.connections;
  for (let i = 0; i < conns.length; i++) {
    out += (i === 0 ? '' : ',') + connectionJsonText(a, conns[i]);
    if (out.length >= chunkChars) {
      yield out;
      out = '';
    }
  }
  yield out + ']}';
}

/** The document's text up to its first connection. */
export function analysisJsonHead(input: InputSummary, summary: AnalysisJson['summary']): string {
  return `{"input":${JSON.stringify(input)},"summary":${JSON.stringify(summary)},"connections":[`;
}

/**
 * The `--json` document of a streaming analysis: connections arrive batch by batch as they finish
 * (not in id order); their text is kept (about 900 bytes a connection, a fraction of the analysis
 * that made it) and written in id order at the end, the same document as analysisJsonChunks'.
 */
export class JsonCollector {
  readonly counts = new SummaryCounts();
  private readonly texts: string[] = [];

  add(a: Analysis): void {
    for (const c of a.connections) {
      this.counts.add(c);
      this.texts[c.id - 1] = connectionJsonText(a, c);
    }
  }

  /** Connection texts made elsewhere (by a worker thread of the parallel analysis); their counts come with `counts.addCounts`. */
  put(ids: ArrayLike<number>, texts: string[]): void {
    for (let i = 0; i < ids.length; i++) this.texts[ids[i] - 1] = texts[i];
  }

  *chunks(input: InputSummary, chunkChars = 1 << 16): Generator<string> {
    let out = analysisJsonHead(input, this.counts.toJSON());
    const texts = this.texts;
    let first = true;
    for (let i = 0; i < texts.length; i++) {
      if (texts[i] === undefined) continue;
      out += (first ? '' : ',') + texts[i];
      first = false;
      if (out.length >= chunkChars) {
        yield out;
        out = '';
      }
    }
    yield out + ']}';
  }
}
