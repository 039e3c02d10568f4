/**
 * What `analyze CLIENT --with SERVER` prints: the clock alignment, each connection's segments by
 * fate, the lost segments and what followed, the engine's own findings with references to both
 * files, and the ladder with both frame numbers per step. Views of a {@link MergedAnalysis}.
 */

import { analysisOf, KIND_RETRANSMISSION, STATES, stateText, type Analysis, type Connection, type Finding } from '../engine';
import { analysisJson, type AnalysisJson, type InputSummary } from '../report/json';
import { ladderFigure } from '../report/ladder';
import { connectionTitle, connectionVerdict } from '../report/summary';
import { ACK, FIN, RST, SYN } from '../model/segment';
import { seqGe, seqAdd } from '../seq';
import { FATES, type Fate, type MergedAnalysis } from './merge';
import type { DelayStats } from './clock';

const SIDE = ['client', 'server'] as const;

/** Names of the two captures in sentences (the command line's order). */
export interface CaptureNames {
  names: [string, string];
  inputs: [InputSummary, InputSummary];
}

/** A segment lost between the capture points, with what followed. */
export interface LostSegment {
  row: number;
  message: string;
  /** Rows of what followed (retransmissions). */
  related: number[];
}

// Rounding must not print "-0.000".
function ms(s: number): string {
  return Number.isFinite(s) ? `${(Math.abs(s) < 5e-7 ? 0 : s * 1000).toFixed(3)} ms` : 'unbounded';
}

function secs(s: number): string {
  return Number.isFinite(s) ? `${(Math.abs(s) < 5e-7 ? 0 : s).toFixed(6)} s` : 'unbounded';
}

/** "client frame 11 = server frame 10", "client frame 11 (lost)", ... for merged row r. */
export function refOf(m: MergedAnalysis, n: CaptureNames, r: number): string {
  const f0 = m.rows.frame0[r];
  const f1 = m.rows.frame1[r];
  const fate = FATES[m.rows.fate[r]];
  const sent = m.rows.sentAt[r];
  const [fs, fr] = sent === 0 ? [f0, f1] : [f1, f0];
  const ns = `${n.names[sent]} ${m.units[sent]}`;
  const nr = `${n.names[1 - sent]} ${m.units[1 - sent]}`;
  if (m.rows.alone[r]) return f0 > 0 ? `${n.names[0]} ${m.units[0]} ${f0}` : `${n.names[1]} ${m.units[1]} ${f1}`;
  if (fate === 'both') return `${ns} ${fs} = ${nr} ${fr}`;
  if (fate === 'lost') return `${ns} ${fs} (lost before the ${n.names[1 - sent]} capture)`;
  if (fate === 'outside') return fs > 0 ? `${ns} ${fs} (outside the ${n.names[1 - sent]} capture)` : `${nr} ${fr} (outside the ${n.names[sent]} capture)`;
  return `${nr} ${fr} (never seen by the ${n.names[sent]} capture)`;
}

/** An engine sentence with its merged step numbers ("frame 12") given as both files' frames. */
export function rewriteRefs(m: MergedAnalysis, n: CaptureNames, text: string): string {
  return text.replace(/\bframe (\d+)\b/g, (whole, d: string) => {
    const r = Number(d) - 1;
    return r >= 0 && r < m.rows.fate.length ? refOf(m, n, r) : whole;
  });
}

function frameList(m: MergedAnalysis, cap: number, rows: number[]): string {
  const frames = rows.map((r) => (cap === 0 ? m.rows.frame0[r] : m.rows.frame1[r]));
  return `${m.units[cap]}${frames.length === 1 ? '' : 's'} ${frames.join(', ')}`;
}

/** What a segment is, for sentences ("final ACK", "FIN", "333-byte data segment"). */
function what(a: Analysis, c: Connection, r: number): string {
  const t = a.table;
  const f = t.flags[r];
  const side = a.rowDir[r];
  if (f & RST) return 'RST';
  if (f & SYN) return f & ACK ? 'SYN-ACK' : 'SYN';
  if (f & FIN) return t.len[r] > 0 ? `FIN with ${t.len[r]} bytes` : 'FIN';
  if (t.len[r] > 0) return `${t.len[r]}-byte data segment`;
  // A pure ACK of the peer's FIN: the final ACK when its sender is then in TIME-WAIT (or closed first).
  const peerFin = c.rows.find((q) => a.rowDir[q] !== side && t.flags[q] & FIN && q < r);
  if (peerFin !== undefined && f & ACK && seqGe(t.ack[r], seqAdd(t.seq[peerFin], t.len[peerFin] + 1))) {
    const after = STATES[side === 0 ? a.clientAfter[r] : a.serverAfter[r]];
    return after === 'TIME-WAIT' ? 'final ACK' : `ACK of the ${SIDE[1 - side]}'s FIN`;
  }
  return 'ACK';
}

function stateBefore(a: Analysis, side: number, r: number): string {
  return stateText(STATES[side === 0 ? a.clientBefore[r] : a.serverBefore[r]]);
}

/**
 * Every lost segment of a connection, in a sentence: who sent it, that it vanished between the
 * capture points, and what its loss caused (the sender's retransmission, or the peer
 * retransmitting the FIN this ACK acknowledged, from its state then).
 */
export function lostSegments(m: MergedAnalysis, n: CaptureNames, c: Connection): LostSegment[] {
  const a = m.analysis;
  const t = a.table;
  const out: LostSegment[] = [];
  for (const r of c.rows) {
    if (FATES[m.rows.fate[r]] !== 'lost') continue;
    const side = a.rowDir[r];
    const sent = m.rows.sentAt[r];
    const me = SIDE[side];
    const peer = SIDE[1 - side];
    const own = sent === 0 ? m.rows.frame0[r] : m.rows.frame1[r];
    let message = `the ${me}'s ${what(a, c, r)} (${n.names[sent]} ${m.units[sent]} ${own}) was sent and lost before the ${n.names[1 - sent]}'s capture point`;
    const related: number[] = [];
    const space = t.len[r] + (t.flags[r] & SYN ? 1 : 0) + (t.flags[r] & FIN ? 1 : 0);
    if (space > 0) {
      const again = c.rows.find((q) => q > r && a.rowDir[q] === side && a.rowKind[q] & KIND_RETRANSMISSION && t.seq[q] === t.seq[r]);
      if (again !== undefined) {
        related.push(again);
        const fate = FATES[m.rows.fate[again]];
        message += `; the ${me} retransmitted it from ${stateBefore(a, side, again)} (${refOf(m, n, again)})${fate === 'lost' ? ', lost again' : ''}`;
      }
    } else if (t.flags[r] & ACK) {
      // An ACK lost: did the peer retransmit what it acknowledged (its FIN)?
      const fins = c.rows.filter((q) => q > r && a.rowDir[q] !== side && t.flags[q] & FIN && a.rowKind[q] & KIND_RETRANSMISSION && !seqGe(t.seq[q], t.ack[r]));
      if (fins.length > 0) {
        related.push(...fins);
        message += `; the ${peer} retransmitted its FIN from ${stateBefore(a, 1 - side, fins[0])} (${n.names[m.rows.sentAt[fins[0]]]} ${frameList(m, m.rows.sentAt[fins[0]], fins)})`;
      }
    }
    out.push({ row: r, message: message[0].toUpperCase() + message.slice(1) + '.', related });
  }
  return out;
}

function delayText(name: string, d: DelayStats | null): string {
  if (d === null) return `   one-way delay ${name}: no segment seen at both points\n`;
  return `   one-way delay ${name}: min ${ms(d.min)} (${ms(d.minBounds[0])} to ${ms(d.minBounds[1])}), median ${ms(d.median)} (${ms(d.medianBounds[0])} to ${ms(d.medianBounds[1])}), max ${ms(d.max)}; ${d.segments} segments\n`;
}

const FATE_TEXT: Record<Fate, string> = {
  both: 'seen at both points',
  lost: 'lost between them',
  outside: 'outside the other capture',
  'unseen-at-sender': "seen only where they arrived",
};

/** The text report: the alignment, then per connection its summary, fates, lost segments, findings and ladder. */
export function* mergeTextChunks(
  m: MergedAnalysis,
  n: CaptureNames,
  opts: { ladder: 'problems' | 'all' | 'none'; relative: boolean; only?: ReadonlySet<number> },
): Generator<string> {
  const a = m.analysis;
  const k = m.clock;
  const both = m.connections.filter((c) => c.ids[0] !== null && c.ids[1] !== null).length;
  const shown = shownOf(a, opts.only);
  const filtered = opts.only === undefined ? '' : `; ${shown.length} match${shown.length === 1 ? 'es' : ''} the filter`;
  let out = `two captures: ${n.names[0]} (${n.inputs[0].tcpSegments} TCP segments) and ${n.names[1]} (${n.inputs[1].tcpSegments} TCP segments); ${a.connections.length} connection${a.connections.length === 1 ? '' : 's'}, ${both} in both${filtered}\n`;
  const ahead = k.offset >= 0 ? 'ahead of' : 'behind';
  out += `clock: the ${n.names[1]} capture's clock is ${secs(Math.abs(k.offset))} ${ahead} the ${n.names[0]}'s (offset ${secs(k.offset)}, bounds ${secs(k.lower)} to ${secs(k.upper)}; ${k.segmentBounds} segments and ${k.ackBounds} ACKs; ${k.method})\n`;
  if (!k.consistent) out += '   warning: the bounds cross: a clock drifted during the captures, or copies were paired wrongly; the offset is their midpoint\n';
  out += delayText('client -> server', k.delays.clientToServer);
  out += delayText('server -> client', k.delays.serverToClient);
  yield out;
  const byId = new Map(m.connections.map((x) => [x.id, x]));
  for (const c of shown) {
    const mc = byId.get(c.id)!;
    const f = c.finalState;
    out = `\n#${c.id} ${connectionTitle(c)}${mc.nat ? ' (NAT: paired on ISNs and a port)' : ''}  [${c.segments} segments: ${FATES.map((x) => `${mc.counts[x]} ${FATE_TEXT[x]}`).join(', ')}]\n`;
    out += `   ${n.names[0]}: ${mc.ids[0] === null ? 'not in this capture' : `connection #${mc.ids[0]}`}; ${n.names[1]}: ${mc.ids[1] === null ? 'not in this capture' : `connection #${mc.ids[1]}`}\n`;
    out += `   ${connectionVerdict(c)}; final state: client ${stateText(f.client)}, server ${stateText(f.server)}\n`;
    for (const l of lostSegments(m, n, c)) out += `   lost    ${l.message}\n`;
    for (const x of c.findings) out += `   ${x.severity.padEnd(7)} ${x.code}: ${rewriteRefs(m, n, x.message)}\n`;
    if (opts.ladder === 'all' || (opts.ladder === 'problems' && (c.findings.length > 0 || mc.counts.lost > 0)))
      out += `\n#${c.id} step by step (each step: where it was seen, and its transit time):\n` + annotatedLadder(m, n, c, opts.relative);
    yield out;
  }
}

/** The engine's ladder with, on each step's line, its frames in both files and its transit time or fate. */
export function annotatedLadder(m: MergedAnalysis, n: CaptureNames, c: Connection, relative: boolean): string {
  const a = m.analysis;
  const { text, lines, at } = ladderFigure(a, c, { relative });
  const width = Math.max(...at.map((i) => text[i].length));
  // Each ladder line's own text line (event and comment lines lie in between).
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.arrival) continue;
    const r = l.row;
    const fate = FATES[m.rows.fate[r]];
    const tail = fate === 'both' ? `  # ${refOf(m, n, r)}, ${ms(m.rows.transit[r])}` : `  # ${refOf(m, n, r)}`;
    text[at[i]] = text[at[i]].padEnd(width) + tail;
  }
  return text.join('\n') + '\n';
}

export interface MergeJson {
  offset: number;
  /** null where nothing bounds that side. */
  bounds: [number | null, number | null];
  consistent: boolean;
  method: string;
  segmentBounds: number;
  ackBounds: number;
  delays: { clientToServer: DelayJson | null; serverToClient: DelayJson | null };
  captures: { client: InputSummary; server: InputSummary };
  /** Segments by fate, over the connections shown. */
  counts: Record<Fate, number>;
  connections: {
    id: number;
    ids: { client: number | null; server: number | null };
    nat: boolean;
    nearClient: 'client' | 'server';
    counts: Record<Fate, number>;
    lost: { step: number; frames: FramesJson; message: string; related: FramesJson[] }[];
  }[];
  /** Every merged step (the `frame` numbers of this document), in order. */
  steps: (FramesJson & { step: number; fate: Fate; transit: number | null })[];
}

interface DelayJson {
  segments: number;
  min: number;
  minBounds: [number | null, number | null];
  median: number;
  medianBounds: [number | null, number | null];
  max: number;
}

/** Frame numbers in the client's and the server's capture file (null: not in it). */
export interface FramesJson {
  client: number | null;
  server: number | null;
}

const fin = (x: number): number | null => (Number.isFinite(x) ? x : null);

function framesOf(m: MergedAnalysis, r: number): FramesJson {
  return { client: m.rows.frame0[r] || null, server: m.rows.frame1[r] || null };
}

function delayJson(d: DelayStats | null): DelayJson | null {
  if (d === null) return null;
  return { segments: d.segments, min: d.min, minBounds: [fin(d.minBounds[0]), fin(d.minBounds[1])], median: d.median, medianBounds: [fin(d.medianBounds[0]), fin(d.medianBounds[1])], max: d.max };
}

/** The connections a view shows: all, or those `only` names (a display filter's matches). */
function shownOf(a: Analysis, only?: ReadonlySet<number>): Connection[] {
  return only === undefined ? a.connections : a.connections.filter((c) => only.has(c.id));
}

/**
 * The `--json` document of a merged analysis: the ordinary document of the merged table (its
 * `frame` numbers are merged steps; findings' messages name both files' frames and each finding
 * and related segment has `frames`), plus `merge`. `only`: the connections shown (`--filter`);
 * `connections: false`: the summary and the clock only (`--summary`).
 */
export function mergedJson(m: MergedAnalysis, n: CaptureNames, opts: { only?: ReadonlySet<number>; connections?: boolean } = {}): AnalysisJson & { merge: MergeJson } {
  const a = m.analysis;
  const shown = shownOf(a, opts.only);
  const withConnections = opts.connections !== false;
  const input: InputSummary = {
    format: 'merged',
    packets: n.inputs[0].packets + n.inputs[1].packets,
    tcpSegments: a.table.length,
    warnings: [...(n.inputs[0].warnings ?? []).map((w) => `${n.names[0]}: ${w}`), ...(n.inputs[1].warnings ?? []).map((w) => `${n.names[1]}: ${w}`)],
  };
  const doc = analysisJson(shown === a.connections ? a : analysisOf(a, shown), input, { connections: withConnections });
  const byId = new Map(m.connections.map((x) => [x.id, x]));
  doc.connections.forEach((cj, i) => {
    const c = shown[i];
    const mc = byId.get(c.id)!;
    // The merged table has no single capture point: each segment is where it was sent.
    if (mc.ids[0] !== null && mc.ids[1] !== null)
      cj.vantage = { near: 'unknown', synToSynAck: null, synAckToAck: null, note: 'merged from captures at both ends: each segment at the time it left its sender (see merge.delays)' };
    cj.findings.forEach((fj, j) => {
      const f: Finding = c.findings[j];
      fj.message = rewriteRefs(m, n, fj.message);
      Object.assign(fj, { frames: f.row >= 0 ? framesOf(m, f.row) : null });
      fj.related.forEach((rj, q) => Object.assign(rj, { frames: framesOf(m, f.related[q].row) }));
    });
  });
  const k = m.clock;
  const rows: number[] = [];
  if (withConnections) {
    if (shown === a.connections) for (let r = 0; r < a.table.length; r++) rows.push(r);
    else {
      for (const c of shown) rows.push(...c.rows);
      rows.sort((x, y) => x - y);
    }
  }
  const merge: MergeJson = {
    offset: k.offset,
    bounds: [fin(k.lower), fin(k.upper)],
    consistent: k.consistent,
    method: k.method,
    segmentBounds: k.segmentBounds,
    ackBounds: k.ackBounds,
    delays: { clientToServer: delayJson(k.delays.clientToServer), serverToClient: delayJson(k.delays.serverToClient) },
    captures: { client: n.inputs[0], server: n.inputs[1] },
    counts: fateCounts(m, shown),
    connections: withConnections ? shown.map((c) => connectionMergeJson(m, n, c)) : [],
    steps: rows.map((r) => ({ step: r + 1, ...framesOf(m, r), fate: FATES[m.rows.fate[r]], transit: fin(m.rows.transit[r]) })),
  };
  return { ...doc, merge };
}

/** Segments by fate over some connections. */
function fateCounts(m: MergedAnalysis, conns: readonly Connection[]): Record<Fate, number> {
  const out: Record<Fate, number> = { both: 0, lost: 0, outside: 0, 'unseen-at-sender': 0 };
  const ids = new Set(conns.map((c) => c.id));
  for (const mc of m.connections) if (ids.has(mc.id)) for (const f of FATES) out[f] += mc.counts[f];
  return out;
}

/** One merged connection's `merge.connections` entry. */
function connectionMergeJson(m: MergedAnalysis, n: CaptureNames, c: Connection): MergeJson['connections'][number] {
  const mc = m.connections.find((x) => x.id === c.id)!;
  return {
    id: c.id,
    ids: { client: mc.ids[0], server: mc.ids[1] },
    nat: mc.nat,
    nearClient: mc.nearClient === 0 ? 'client' : 'server',
    counts: mc.counts,
    lost: lostSegments(m, n, c).map((l) => ({ step: l.row + 1, frames: framesOf(m, l.row), message: l.message, related: l.related.map((r) => framesOf(m, r)) })),
  };
}

/**
 * `--format jsonl` of a merged analysis: a line per connection shown, the `--json` document's
 * connection object with `merge`: the clock (the same on every line: one offset for the pair of
 * captures), the connection's entry of `merge.connections` and its steps. Both captures are read
 * whole first (the clock is aligned over every connection), so the lines come at the end, not as
 * connections finish.
 */
export function* mergedJsonLines(m: MergedAnalysis, n: CaptureNames, only?: ReadonlySet<number>): Generator<string> {
  const doc = mergedJson(m, n, only === undefined ? {} : { only });
  const g = doc.merge;
  const clock = { offset: g.offset, bounds: g.bounds, consistent: g.consistent };
  const stepsOf = new Map<number, MergeJson['steps']>();
  const a = m.analysis;
  for (const st of g.steps) {
    const id = a.connections[a.rowConn[st.step - 1]].id;
    (stepsOf.get(id) ?? stepsOf.set(id, []).get(id)!).push(st);
  }
  let out = '';
  for (let i = 0; i < doc.connections.length; i++) {
    const cj = doc.connections[i];
    out += JSON.stringify({ ...cj, merge: { ...clock, ...g.connections[i], steps: stepsOf.get(cj.id) ?? [] } }) + '\n';
    if (out.length >= 1 << 16) {
      yield out;
      out = '';
    }
  }
  if (out !== '') yield out;
}
