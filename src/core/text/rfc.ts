/**
 * RFC 793/9293 figure notation, as section 3.6 of RFC 9293 draws it:
 *
 *       TCP A                                                TCP B
 *   1.  ESTABLISHED                                          ESTABLISHED
 *   2.  (Close)
 *       FIN-WAIT-1  --> <SEQ=100><ACK=300><CTL=FIN,ACK>  --> CLOSE-WAIT
 *                   ... <SEQ=100><ACK=300><CTL=FIN,ACK>  -->      (a segment in flight arriving)
 *
 * Each segment line is a SENDING event (one table row); `...` on the receiver's side means the
 * segment is still in flight, and a later line with `...` on the sender's side delivers it. The
 * states written in the columns are claims the engine checks. `(Close)` and `(2 MSL)` are the
 * application's CLOSE call and the TIME-WAIT timeout.
 *
 * Endpoints: `TCP A (10.0.0.1:40000)` / `TCP B ([fd00::2]:80)` in the header, or directive lines
 * `# A = 10.0.0.1:40000`; defaults 192.0.2.1:1024 and 192.0.2.2:80 (documentation addresses).
 * Times: `@1.250` (seconds) anywhere on a line applies to that line's events.
 */
import type { TcpState } from '../engine/types';
import { parseIPv4, parseIPv6 } from '../model/address';
import { ACK, FIN, PSH, RST, SegmentTable, SegmentView, SYN, URG } from '../model/segment';
import type { ParseError, TraceParse, TraceStep } from './types';

const STATE_WORDS: Record<string, TcpState> = {
  CLOSED: 'CLOSED',
  LISTEN: 'LISTEN',
  'SYN-SENT': 'SYN-SENT',
  'SYN-RECEIVED': 'SYN-RECEIVED',
  'SYN-RCVD': 'SYN-RECEIVED',
  'SYN-RECV': 'SYN-RECEIVED',
  ESTABLISHED: 'ESTABLISHED',
  'FIN-WAIT-1': 'FIN-WAIT-1',
  'FIN-WAIT1': 'FIN-WAIT-1',
  'FIN-WAIT-2': 'FIN-WAIT-2',
  'FIN-WAIT2': 'FIN-WAIT-2',
  'CLOSE-WAIT': 'CLOSE-WAIT',
  CLOSING: 'CLOSING',
  'LAST-ACK': 'LAST-ACK',
  'TIME-WAIT': 'TIME-WAIT',
};

/** RFC spelling of a state word (FIN_WAIT_1, fin-wait1, SYN_RCVD ...), or null. */
export function normalizeState(word: string): TcpState | null {
  return STATE_WORDS[word.toUpperCase().replace(/_/g, '-')] ?? null;
}

const SEGMENT = /(?:<[A-Za-z]+(?:=[^>]*)?>)+/;
const ARROW = /(-->|<--|\.\.\.)/;

interface Endpoint {
  v: 4 | 6;
  addr: string;
  bytes: Uint8Array;
  port: number;
}

function parseEndpoint(text: string): Endpoint | null {
  const m = /^\s*(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})\s*$/.exec(text);
  if (!m) return null;
  const bytes = new Uint8Array(16);
  const port = Number(m[3]);
  if (port > 65535) return null;
  if (m[1] !== undefined) return parseIPv6(m[1], bytes) ? { v: 6, addr: m[1], bytes, port } : null;
  return parseIPv4(m[2], bytes) ? { v: 4, addr: m[2], bytes, port } : null;
}

interface SegFields {
  seq: number;
  ack: number;
  flags: number;
  len: number;
  win: number;
  key: string;
}

function parseSegment(text: string): SegFields | string {
  let seq = 0;
  let ack = 0;
  let flags = 0;
  let len = 0;
  let win = 0;
  for (const m of text.matchAll(/<([A-Za-z]+)(?:=([^>]*))?>/g)) {
    const name = m[1].toUpperCase();
    const val = m[2];
    const num = (): number | null => (val !== undefined && /^\d+$/.test(val.trim()) ? Number(val.trim()) >>> 0 : null);
    if (name === 'SEQ') {
      const n = num();
      if (n === null) return `<SEQ=${val ?? ''}> needs a number`;
      seq = n;
    } else if (name === 'ACK') {
      const n = num();
      if (n === null) return `<ACK=${val ?? ''}> needs a number`;
      ack = n;
    } else if (name === 'CTL') {
      for (const c of (val ?? '').split(/[,.]/)) {
        const w = c.trim().toUpperCase();
        if (w === 'SYN') flags |= SYN;
        else if (w === 'FIN') flags |= FIN;
        else if (w === 'RST') flags |= RST;
        else if (w === 'ACK') flags |= ACK;
        else if (w === 'PSH') flags |= PSH;
        else if (w === 'URG') flags |= URG;
        else if (w !== '') return `unknown control bit "${c.trim()}" (SYN, FIN, RST, ACK, PSH, URG)`;
      }
    } else if (name === 'DATA' || name === 'LEN' || name === 'TEXT') {
      const n = num();
      len = n ?? (val !== undefined && val.length > 0 ? val.length : 1);
    } else if (name === 'WND' || name === 'WIN') {
      win = num() ?? 0;
    } else return `unknown field <${m[1]}> (SEQ, ACK, CTL, DATA, WND)`;
  }
  return { seq, ack, flags, len, win, key: `${seq}/${ack}/${flags}/${len}` };
}

/** State words and (Close) / (2 MSL) markers in a piece of a line, with their columns. */
function columnTokens(line: string, from: number, to: number): { text: string; start: number; end: number }[] {
  const out: { text: string; start: number; end: number }[] = [];
  const re = /\(2 ?MSL\)|\([A-Za-z ]+\)|[A-Za-z][A-Za-z0-9_-]*/g;
  re.lastIndex = from;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null && m.index < to) {
    out.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  }
  return out;
}

export function parseRfcTrace(text: string): TraceParse {
  const lines = text.split(/\r?\n/);
  const table = new SegmentTable(64);
  const errors: ParseError[] = [];
  const steps: TraceStep[] = [];
  let skipped = 0;
  const eps: [Endpoint, Endpoint] = [parseEndpoint('192.0.2.1:1024')!, parseEndpoint('192.0.2.2:80')!];
  // Directives first: endpoints may be named anywhere before use.
  let bCol = -1;
  for (let li = 0; li < lines.length; li++) {
    const l = lines[li];
    const d = /^\s*#\s*([AB])\s*=\s*(.+?)\s*$/.exec(l);
    if (d) {
      const e = parseEndpoint(d[2]);
      if (e) eps[d[1] === 'A' ? 0 : 1] = e;
      else errors.push({ line: li, startCol: l.indexOf(d[2]), endCol: l.indexOf(d[2]) + d[2].length, message: `cannot read the endpoint "${d[2]}" (address:port, [IPv6]:port)` });
      continue;
    }
    const h = /TCP A\b(?:\s*\(([^)]*)\))?.*?(TCP B)\b(?:\s*\(([^)]*)\))?/.exec(l);
    if (h && bCol < 0) {
      bCol = l.indexOf('TCP B');
      for (const [i, spec] of [[0, h[1]], [1, h[3]]] as [number, string | undefined][]) {
        if (spec === undefined) continue;
        const e = parseEndpoint(spec);
        if (e) eps[i] = e;
        else errors.push({ line: li, startCol: l.indexOf(spec), endCol: l.indexOf(spec) + spec.length, message: `cannot read the endpoint "${spec}" (address:port, [IPv6]:port)` });
      }
    }
  }
  if (eps[0].v !== eps[1].v) {
    errors.push({ line: 0, startCol: 0, endCol: Math.max(1, lines[0]?.length ?? 1), message: 'TCP A and TCP B must both be IPv4 or both IPv6' });
  }
  const epId = [table.endpoints.intern(eps[0].v, eps[0].addr.toLowerCase(), eps[0].port), table.endpoints.intern(eps[1].v, eps[1].addr.toLowerCase(), eps[1].port)];
  const v = new SegmentView();
  /** Rows in flight per direction, by segment key. */
  const inFlight: Map<string, number[]>[] = [new Map(), new Map()];

  for (let li = 0; li < lines.length; li++) {
    const raw = lines[li];
    if (/^\s*#/.test(raw) || raw.trim() === '') continue;
    if (/TCP A\b.*TCP B\b/.test(raw)) continue;
    let line = raw;
    let ts = NaN;
    let tns = 0;
    const at = /@(\d+)(?:\.(\d{1,9}))?\b/.exec(line);
    if (at) {
      ts = Number(at[1]);
      tns = Number((at[2] ?? '').padEnd(9, '0'));
      line = line.slice(0, at.index) + ' '.repeat(at[0].length) + line.slice(at.index + at[0].length);
    }
    const numbered = /^\s*\d+\.(?=\s)/.exec(line);
    const start = numbered ? numbered[0].length : 0;
    const segM = SEGMENT.exec(line.slice(start));
    const split = bCol >= 0 ? bCol : 40;
    if (!segM) {
      // Column-only line: claims and annotations.
      const toks = columnTokens(line, start, line.length);
      if (toks.length === 0) continue;
      let understood = true;
      for (const tk of toks) {
        const side = tk.start >= split - 2 ? 1 : 0;
        const ann = /^\((.*)\)$/.exec(tk.text);
        if (ann) {
          const word = ann[1].replace(/\s+/g, ' ').toUpperCase();
          if (word === 'CLOSE') steps.push({ kind: 'close', endpoint: epId[side], line: li, startCol: tk.start, endCol: tk.end, tsSec: ts, tsNsec: tns });
          else if (word === '2 MSL' || word === '2MSL') steps.push({ kind: 'timeout', endpoint: epId[side], line: li, startCol: tk.start, endCol: tk.end, tsSec: ts, tsNsec: tns });
          else errors.push({ line: li, startCol: tk.start, endCol: tk.end, message: `unknown annotation ${tk.text}: (Close) or (2 MSL)` });
          continue;
        }
        const st = normalizeState(tk.text);
        if (st) steps.push({ kind: 'claim', endpoint: epId[side], state: st, line: li, startCol: tk.start, endCol: tk.end });
        else understood = false;
      }
      if (!understood) {
        // Prose outside the figure (or a misspelt state among states).
        if (toks.some((tk) => normalizeState(tk.text) || tk.text.startsWith('('))) {
          const bad = toks.find((tk) => !normalizeState(tk.text) && !tk.text.startsWith('('))!;
          errors.push({ line: li, startCol: bad.start, endCol: bad.end, message: `"${bad.text}" is not a TCP state (RFC 9293 spells them LISTEN, SYN-SENT, SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT, CLOSED)` });
        } else skipped++;
      }
      continue;
    }
    const segStart = start + segM.index;
    const segEnd = segStart + segM[0].length;
    const fields = parseSegment(segM[0]);
    if (typeof fields === 'string') {
      errors.push({ line: li, startCol: segStart, endCol: segEnd, message: fields });
      continue;
    }
    const leftPart = line.slice(start, segStart);
    const rightPart = line.slice(segEnd);
    const lA = [...leftPart.matchAll(new RegExp(ARROW, 'g'))].pop();
    const rA = ARROW.exec(rightPart);
    if (!lA || !rA) {
      errors.push({ line: li, startCol: segStart, endCol: segEnd, message: 'a segment needs an arrow on each side: --> or <-- (or ... for a segment in flight)' });
      continue;
    }
    const left = lA[1];
    const right = rA[1];
    const dirAB = left === '-->' || right === '-->' ? true : left === '<--' || right === '<--' ? false : null;
    if (dirAB === null || (left === '-->' && right === '<--') || (left === '<--' && right === '-->')) {
      errors.push({ line: li, startCol: start + (lA.index ?? 0), endCol: segEnd + rA.index + 3, message: 'the arrows point different ways' });
      continue;
    }
    const sender = dirAB ? 0 : 1;
    const senderTok = dirAB ? left : right;
    const receiverTok = dirAB ? right : left;
    if (senderTok === '...') {
      // The arrival of an earlier segment still in flight.
      const q = inFlight[sender].get(fields.key);
      const row = q?.shift();
      if (row === undefined) {
        errors.push({ line: li, startCol: segStart, endCol: segEnd, message: 'this arrival ("...") matches no segment sent earlier and still in flight' });
        continue;
      }
      steps.push({ kind: 'arrive', row, line: li, tsSec: ts, tsNsec: tns });
    } else {
      v.ipVersion = eps[sender].v;
      v.src.set(eps[sender].bytes);
      v.dst.set(eps[1 - sender].bytes);
      v.sport = eps[sender].port;
      v.dport = eps[1 - sender].port;
      v.seq = fields.seq;
      v.ack = fields.ack;
      v.flags = fields.flags;
      v.len = fields.len;
      v.win = fields.win;
      v.frame = 0;
      v.line = li;
      v.tsSec = ts;
      v.tsNsec = tns;
      v.opts = 0;
      const row = table.append(v);
      steps.push({ kind: 'segment', row, line: li });
      if (receiverTok === '...') {
        const q = inFlight[sender].get(fields.key) ?? [];
        q.push(row);
        inFlight[sender].set(fields.key, q);
      } else steps.push({ kind: 'arrive', row, line: li, tsSec: ts, tsNsec: tns });
    }
    // Claims in the state columns of a segment line: left of the left arrow (A), right of the right one (B).
    const leftEnd = start + (lA.index ?? 0);
    const rightStart = segEnd + rA.index + 3;
    for (const [side, from, to] of [[0, start, leftEnd], [1, rightStart, line.length]] as [number, number, number][]) {
      for (const tk of columnTokens(line, from, to)) {
        const st = normalizeState(tk.text);
        if (st) steps.push({ kind: 'claim', endpoint: epId[side], state: st, line: li, startCol: tk.start, endCol: tk.end });
        else errors.push({ line: li, startCol: tk.start, endCol: tk.end, message: `"${tk.text}" is not a TCP state in RFC 9293 spelling` });
      }
    }
  }
  return { format: 'rfc', table, errors, skipped, steps, firstLineLooksLike: 'rfc' };
}
