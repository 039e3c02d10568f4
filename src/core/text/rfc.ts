/**
 * RFC 793 / RFC 9293 figure notation (RFC 9293 section 3.5 and 3.6 draw the handshake and the
 * closes this way), read into segments and explicit events:
 *
 *         TCP A                                                TCP B
 *
 *     1.  ESTABLISHED                                          ESTABLISHED
 *
 *     2.  (Close)                                              (Close)
 *         FIN-WAIT-1  --> <SEQ=100><ACK=300><CTL=FIN,ACK>  ... FIN-WAIT-1
 *                     <-- <SEQ=300><ACK=100><CTL=FIN,ACK>  <--
 *                     ... <SEQ=100><ACK=300><CTL=FIN,ACK>  -->
 *
 * The notation, as read here:
 * - An optional step number (`2.`) starts a line. A `TCP A ... TCP B` header (also `TCP Peer A`)
 *   starts a figure and places the two state columns: a word left of the middle between the two
 *   header labels is A's, right of it B's. Without a header the arrows of the segment lines place
 *   them.
 * - A segment is `<SEQ=n><ACK=n><CTL=FIN,ACK>` with optional `<DATA>` / `<DATA=n>` / `<LEN=n>`
 *   (payload bytes; a bare `<DATA>` takes its length from the next segment of the same sender or
 *   the peer's next acknowledgment, else 1) and `<WND=n>`. Between arrows: `-->` (A to B) or `<--`
 *   (B to A). On the sender's side the arrow means "sent now"; on the receiver's side it means
 *   "arrives now" and `...` means "still in flight". A later line with `...` on the SENDER's side
 *   and the arrow on the receiver's side is that segment's arrival, matched by SEQ/ACK/CTL to the
 *   earliest segment of that direction still in flight; one matching none is a segment the figure
 *   shows only arriving (an old duplicate) and gets a row with an arrival and no send.
 * - Words in the state columns are claims about that endpoint's state at that point (spellings
 *   FIN_WAIT_1, FIN-WAIT1, SYN_RCVD, SYN-RECV, ESTAB ... are normalized to RFC 9293's; `?`, `??`
 *   and `UNKNOWN` claim nothing). `(Close)` is the user's CLOSE call, `(2 MSL)` the TIME-WAIT timer
 *   expiring; other parenthesized text (`(duplicate)`, `(CRASH)`) is a remark.
 * - Prose around figures (the RFC's own text, captions) is skipped: a line that is not a header,
 *   not a segment, and has no state or event in it, or a caption line of several words inside a
 *   figure (which ends the figure). Inside a figure an unknown single word is an error.
 *
 * Extensions of this project (all optional):
 * - Endpoints: `TCP A (10.0.0.1:40000)   TCP B (10.0.0.2:80)` in the header (IPv6 as
 *   `[2001:db8::1]:443`), or directive comment lines `# A = 10.0.0.1:40000` and `# B = ...`
 *   before the figure. Defaults: A = 192.0.2.1, B = 192.0.2.2:80 (RFC 5737 documentation
 *   addresses) in the first figure of a file; each later figure without named endpoints moves both
 *   by one (A = 192.0.2.1:1025, B = 192.0.2.3:80 in the second), so that every figure is a
 *   connection of its own, with endpoints of its own.
 * - Times: `@1.250` anywhere on a line sets the clock to 1.250 s (after `# t0 = <epoch seconds>`,
 *   if given; else after 0), `@+0.2` advances it; the clock holds for later lines. Without any
 *   `@`, rows have no time (NaN).
 * - `#` starts a comment (at the start of a line or after a blank).
 *
 * Steps (see types.ts): per line, the `(Close)` events, then the send, then the arrival, then the
 * claims (A's, then B's), then the `(2 MSL)` events; a line without a segment gives its events
 * and claims in column order. Never throws: unreadable parts are positioned errors.
 */

import { STATES, type TcpState } from '../engine/types';
import { parseIPv4, parseIPv6 } from '../model/address';
import { ACK, AE, CWR, ECE, FIN, OPT_NO_WINDOW, PSH, RST, SegmentTable, SegmentView, SYN, URG } from '../model/segment';
import { detectTraceFormat } from './detect';
import type { ParseError, TraceParse, TraceStep } from './types';
import { levenshtein } from '../levenshtein';

const STATE_ALIASES: Record<string, TcpState> = {
  CLOSED: 'CLOSED',
  LISTEN: 'LISTEN',
  SYNSENT: 'SYN-SENT',
  SYNRECEIVED: 'SYN-RECEIVED',
  SYNRCVD: 'SYN-RECEIVED',
  SYNRECV: 'SYN-RECEIVED',
  SYNRCV: 'SYN-RECEIVED',
  ESTABLISHED: 'ESTABLISHED',
  ESTAB: 'ESTABLISHED',
  FINWAIT1: 'FIN-WAIT-1',
  FINWAIT2: 'FIN-WAIT-2',
  CLOSEWAIT: 'CLOSE-WAIT',
  CLOSING: 'CLOSING',
  LASTACK: 'LAST-ACK',
  TIMEWAIT: 'TIME-WAIT',
};

/** RFC 9293 spelling of a state word (FIN_WAIT_1, fin-wait1, SYN_RCVD, ESTAB ...), or null. */
export function normalizeState(word: string): TcpState | null {
  return STATE_ALIASES[word.toUpperCase().replace(/[^A-Z0-9]/g, '')] ?? null;
}

/** Words that claim nothing. */
const NO_CLAIM = new Set(['?', '??', '???', '-', 'UNKNOWN']);

/** The defaults: RFC 5737 documentation addresses. */
export const DEFAULT_A = { addr: '192.0.2.1', port: 1024 };
export const DEFAULT_B = { addr: '192.0.2.2', port: 80 };

interface Ep {
  v: 4 | 6;
  bytes: Uint8Array;
  port: number;
}

/**
 * An endpoint as written: `10.0.0.1:40000`, `[2001:db8::1]:443`, `10.0.0.1.40000` and
 * `2001:db8::1.443` (tcpdump's way), or `2001:db8::1:443` (the last group is the port).
 */
export function parseEndpointText(text: string): Ep | null {
  const s = text.trim();
  const bytes = new Uint8Array(16);
  let m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(s);
  let addr: string;
  let port: string;
  if (m !== null) {
    addr = m[1];
    port = m[2];
  } else if ((m = /^([0-9.]+)[:.](\d{1,5})$/.exec(s)) !== null && m[1].split('.').length === 4) {
    addr = m[1];
    port = m[2];
  } else if ((m = /^([0-9A-Fa-f:.]+?)[.:](\d{1,5})$/.exec(s)) !== null && m[1].includes(':')) {
    addr = m[1];
    port = m[2];
  } else return null;
  const p = Number(port);
  if (p > 65535) return null;
  if (addr.includes(':')) return parseIPv6(addr, bytes) ? { v: 6, bytes, port: p } : null;
  return parseIPv4(addr, bytes) ? { v: 4, bytes, port: p } : null;
}


/** The RFC 9293 state a misspelled word most likely meant ('' when none is close). */
function suggestState(word: string): string {
  const w = word.toUpperCase();
  let best = '';
  let bestD = Infinity;
  for (const s of STATES) {
    if (s === 'UNKNOWN') continue;
    const d = levenshtein(w, s);
    if (d < bestD) {
      bestD = d;
      best = s;
    }
  }
  return bestD <= 3 ? best : '';
}

interface Cell {
  text: string;
  start: number;
  end: number;
}

/** Runs of text separated by two or more blanks (a column of the figure). */
function cells(line: string, from: number, to: number): Cell[] {
  const out: Cell[] = [];
  const re = /\S+(?: \S+)*/g;
  re.lastIndex = from;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null && m.index < to) {
    const end = Math.min(m.index + m[0].length, to);
    out.push({ text: line.slice(m.index, end).trimEnd(), start: m.index, end: m.index + line.slice(m.index, end).trimEnd().length });
    if (end >= to) break;
  }
  return out;
}

type CellKind =
  | { kind: 'state'; state: TcpState }
  | { kind: 'none' }
  | { kind: 'close' }
  | { kind: 'timeout' }
  | { kind: 'remark' }
  | { kind: 'bad-annotation'; message: string; replacement: string }
  | { kind: 'unknown' }
  | { kind: 'words'; parts: Cell[] };

function classify(c: Cell): CellKind {
  const t = c.text;
  if (t.startsWith('(') && t.endsWith(')')) {
    const inner = t.slice(1, -1).trim().toUpperCase().replace(/\s+/g, ' ');
    if (inner === 'CLOSE') return { kind: 'close' };
    if (inner === '2 MSL' || inner === '2MSL' || inner === '2*MSL' || inner === '2 X MSL') return { kind: 'timeout' };
    const squeezed = inner.replace(/\s/g, '');
    if (levenshtein(squeezed, 'CLOSE') <= 2 || levenshtein(squeezed, '2MSL') <= 1) {
      const meant = levenshtein(squeezed, 'CLOSE') <= 2 ? '(Close)' : '(2 MSL)';
      return { kind: 'bad-annotation', message: `unknown event ${t}; did you mean ${meant}?`, replacement: meant };
    }
    return { kind: 'remark' };
  }
  const st = normalizeState(t);
  if (st !== null) return { kind: 'state', state: st };
  if (NO_CLAIM.has(t.toUpperCase())) return { kind: 'none' };
  if (t.includes(' ')) {
    // Several words: states separated by single blanks, or prose.
    const parts: Cell[] = [];
    const re = /\([^()]*\)|[^\s()]+/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(t)) !== null) parts.push({ text: m[0], start: c.start + m.index, end: c.start + m.index + m[0].length });
    return { kind: 'words', parts };
  }
  return { kind: 'unknown' };
}

interface SegFields {
  seq: number;
  hasSeq: boolean;
  ack: number;
  hasAck: boolean;
  flags: number;
  len: number;
  /** `<DATA>` without a length: inferred later. */
  lenUnknown: boolean;
  win: number;
  /** A <WND=n> was given (else the figure says nothing about the window). */
  hasWin: boolean;
}

const CTL_BITS: Record<string, number> = { SYN, FIN, RST, PSH, ACK, URG, ECE, CWR, AE, PUSH: PSH, RESET: RST };

function parseSegmentFields(line: string, start: number, end: number, errors: ParseError[], ln: number): SegFields | null {
  const f: SegFields = { seq: 0, hasSeq: false, ack: 0, hasAck: false, flags: 0, len: 0, lenUnknown: false, win: 0, hasWin: false };
  const re = /<([A-Za-z]+)(?:=([^<>]*))?>/g;
  re.lastIndex = start;
  let m: RegExpExecArray | null;
  let ok = true;
  const fail = (s: number, e: number, message: string): void => {
    errors.push({ line: ln, startCol: s, endCol: e, message });
    ok = false;
  };
  while ((m = re.exec(line)) !== null && m.index < end) {
    const name = m[1].toUpperCase();
    const val = m[2];
    const s = m.index;
    const e = m.index + m[0].length;
    const num = (): number | null => {
      if (val === undefined || !/^\s*\d+\s*$/.test(val)) return null;
      const n = Number(val.trim());
      return n <= 0xffff_ffff ? n : null;
    };
    switch (name) {
      case 'SEQ': {
        const n = num();
        if (n === null) fail(s, e, `<SEQ=${val ?? ''}> needs a number from 0 to 4294967295`);
        else {
          f.seq = n;
          f.hasSeq = true;
        }
        break;
      }
      case 'ACK': {
        const n = num();
        if (n === null) fail(s, e, `<ACK=${val ?? ''}> needs a number from 0 to 4294967295`);
        else {
          f.ack = n;
          f.hasAck = true;
        }
        break;
      }
      case 'CTL': {
        for (const part of (val ?? '').split(/[\s,|+/]+/)) {
          if (part === '') continue;
          const bit = CTL_BITS[part.toUpperCase()];
          if (bit === undefined) {
            const at = line.indexOf(part, s);
            fail(at, at + part.length, `unknown control bit '${part}' (SYN, ACK, FIN, RST, PSH, URG, ECE, CWR)`);
          } else f.flags |= bit;
        }
        break;
      }
      case 'DATA':
      case 'LEN':
      case 'TEXT': {
        if (val === undefined || val.trim() === '') {
          f.lenUnknown = true;
          f.len = 1;
        } else {
          const n = num();
          if (n !== null) f.len = n;
          else if (name === 'LEN') fail(s, e, `<LEN=${val}> needs a number`);
          else f.len = val.length; // <DATA=hello>: the text itself
        }
        break;
      }
      case 'WND':
      case 'WIN':
      case 'WINDOW': {
        const n = num();
        if (n === null) fail(s, e, `<${m[1]}=${val ?? ''}> needs a number`);
        else {
          f.win = Math.min(n, 0xffff_ffff);
          f.hasWin = true;
        }
        break;
      }
      default:
        fail(s, e, `unknown segment field <${m[1]}> (SEQ, ACK, CTL, DATA, LEN, WND)`);
    }
  }
  return ok ? f : null;
}

const SEGMENT_RUN = /<[A-Za-z]+(?:=[^<>]*)?>(?:[ \t]*<[A-Za-z]+(?:=[^<>]*)?>)*/;
const MARKER = /-{2,}>|<-{2,}|\.{3}/g;
const HEADER = /\bTCP\s+(?:Peer\s+)?A\b(?:\s*\(([^()]*)\))?(.*?)\bTCP\s+(?:Peer\s+)?B\b(?:\s*\(([^()]*)\))?/;
const DIRECTIVE = /^\s*#\s*(A|B|t0)\s*[=:]\s*(.*?)\s*$/;
const TIME = /(^|\s)@(\+)?(\d+)(?:\.(\d+))?(?=\s|$)/g;

interface Figure {
  index: number;
  /** Column split between A's and B's words; NaN until known. */
  split: number;
  eps: [Ep, Ep] | null;
  ids: [number, number];
  inFlight: { row: number; f: SegFields; dir: 0 | 1 }[];
}

function fracNs(digits: string | undefined): number {
  if (digits === undefined || digits === '') return 0;
  return Number(digits.length >= 9 ? digits.slice(0, 9) : digits.padEnd(9, '0'));
}

/** Parses RFC figure notation. Never throws. */
export function parseRfcTrace(text: string): TraceParse {
  const table = new SegmentTable(64);
  const errors: ParseError[] = [];
  const steps: TraceStep[] = [];
  let skipped = 0;
  try {
    skipped = parseInto(text, table, errors, steps);
  } catch (e) {
    errors.push({ line: 0, startCol: 0, endCol: 1, message: `internal error while reading the figure: ${String(e)}` });
  }
  return {
    format: 'rfc',
    table,
    errors,
    skipped,
    steps,
    firstLineLooksLike: detectTraceFormat(text.length > 4096 ? text.slice(0, 4096) : text),
  };
}

function parseInto(text: string, table: SegmentTable, errors: ParseError[], steps: TraceStep[]): number {
  const lines = text.split(/\r\n|\n|\r/);
  let skipped = 0;
  const view = new SegmentView();
  const err = (line: number, startCol: number, endCol: number, message: string): void => {
    errors.push({ line, startCol, endCol: Math.max(endCol, startCol + 1), message });
  };

  // Directive state: endpoints for the next figure, the time origin and the clock.
  const pending: [Ep | null, Ep | null] = [null, null];
  let t0Sec = 0;
  let t0Nsec = 0;
  let clockSec = NaN;
  let clockNsec = 0;
  let figureCount = 0;
  let fig: Figure | null = null;
  let inFigure = false;
  // Rows whose <DATA> had no length, for the post pass.
  const unknownLen: number[] = [];

  const startFigure = (headerEps: [Ep | null, Ep | null], split: number): Figure => {
    const f: Figure = { index: figureCount++, split, eps: null, ids: [-1, -1], inFlight: [] };
    const a = headerEps[0] ?? pending[0];
    const b = headerEps[1] ?? pending[1];
    const mk = (d: { addr: string; port: number }): Ep => {
      const bytes = new Uint8Array(16);
      parseIPv4(d.addr, bytes);
      return { v: 4, bytes, port: d.port };
    };
    // Figure k's defaults: A = 192.0.2.1:(1024 + k), B = 192.0.2.(2 + k):80.
    const defA = { addr: DEFAULT_A.addr, port: DEFAULT_A.port + f.index };
    const defB = { addr: `192.0.2.${2 + (f.index % 253)}`, port: DEFAULT_B.port };
    let epA = a ?? mk(defA);
    let epB = b ?? mk(defB);
    if (epA.v !== epB.v) {
      // Reported where the endpoints were given; fall back to the defaults.
      epA = mk(defA);
      epB = mk(defB);
    }
    f.eps = [epA, epB];
    return f;
  };
  const endpointId = (f: Figure, side: 0 | 1): number => {
    if (f.ids[side] < 0 && f.eps !== null) {
      const e = f.eps[side];
      view.ipVersion = e.v;
      view.src.set(e.bytes);
      view.sport = e.port;
      f.ids[side] = table.endpoints.internView(view, 0);
    }
    return f.ids[side];
  };
  // Every step carries the index of the figure it belongs to: a file may hold several figures of
  // the same endpoints, and a claim is about its own figure's connection.
  const emit = (...list: TraceStep[]): void => {
    for (const st of list) {
      st.figure = fig?.index ?? 0;
      steps.push(st);
    }
  };
  const figureNow = (split: number): Figure => {
    if (fig === null) fig = startFigure([null, null], split);
    if (Number.isNaN(fig.split)) fig.split = split;
    return fig;
  };

  // Pre-pass: where the columns split in header-less figures (from the first segment line).
  const firstSegmentSplit = findSegmentSplit(lines);

  for (let ln = 0; ln < lines.length; ln++) {
    const raw = lines[ln];
    if (raw.trim() === '') continue;

    // Directives and comments.
    const d = DIRECTIVE.exec(raw);
    if (d !== null) {
      const valueAt = raw.lastIndexOf(d[2]);
      if (d[1] === 't0') {
        const m = /^(\d+)(?:\.(\d+))?$/.exec(d[2]);
        if (m === null) err(ln, valueAt, valueAt + d[2].length, `cannot read the time origin '${d[2]}' (seconds, e.g. 1700000000.250)`);
        else {
          t0Sec = Number(m[1]);
          t0Nsec = fracNs(m[2]);
        }
        continue;
      }
      const e = parseEndpointText(d[2]);
      if (e === null) {
        err(ln, valueAt, valueAt + d[2].length, `cannot read the endpoint '${d[2]}' (address:port, [IPv6]:port)`);
      } else {
        const side = d[1] === 'A' ? 0 : 1;
        const other = pending[1 - side];
        if (other !== null && other.v !== e.v) {
          err(ln, valueAt, valueAt + d[2].length, 'TCP A and TCP B must both be IPv4 or both IPv6');
        } else pending[side] = e;
      }
      continue;
    }
    let line = blankComment(raw);
    if (line.trim() === '') continue;

    // Time annotations: set the clock, then blank them out so columns stay put.
    TIME.lastIndex = 0;
    let tm: RegExpExecArray | null;
    while ((tm = TIME.exec(line)) !== null) {
      const sec = Number(tm[3]);
      const nsec = fracNs(tm[4]);
      if (tm[2] === '+') {
        if (Number.isNaN(clockSec)) {
          clockSec = t0Sec;
          clockNsec = t0Nsec;
        }
        clockSec += sec;
        clockNsec += nsec;
      } else {
        clockSec = t0Sec + sec;
        clockNsec = t0Nsec + nsec;
      }
      if (clockNsec >= 1_000_000_000) {
        clockNsec -= 1_000_000_000;
        clockSec += 1;
      }
      const at = tm.index + tm[1].length;
      line = line.slice(0, at) + ' '.repeat(tm[0].length - tm[1].length) + line.slice(at + tm[0].length - tm[1].length);
    }
    if (line.trim() === '') continue;

    // A header starts a figure.
    const h = HEADER.exec(line);
    if (h !== null) {
      const aCol = h.index;
      const bRe = /\bTCP\s+(?:Peer\s+)?B\b/g;
      bRe.lastIndex = aCol + 3;
      const bCol = bRe.exec(line)?.index ?? -1;
      const given: [Ep | null, Ep | null] = [null, null];
      for (const [side, spec] of [
        [0, h[1]],
        [1, h[3]],
      ] as [0 | 1, string | undefined][]) {
        if (spec === undefined || spec.trim() === '') continue;
        const e = parseEndpointText(spec);
        const at = line.indexOf(spec, side === 0 ? aCol : bCol);
        if (e === null) err(ln, at, at + spec.length, `cannot read the endpoint '${spec}' (address:port, [IPv6]:port)`);
        else given[side] = e;
      }
      if (given[0] !== null && given[1] !== null && given[0].v !== given[1].v) {
        err(ln, aCol, line.trimEnd().length, 'TCP A and TCP B must both be IPv4 or both IPv6');
        given[0] = given[1] = null;
      }
      fig = startFigure(given, bCol > aCol ? (aCol + 5 + bCol) / 2 : NaN);
      inFigure = true;
      continue;
    }

    // The step number.
    const num = /^(\s*)\d+\.(?=\s|$)/.exec(line);
    const from = num !== null ? num[0].length : 0;
    const lineTime = (): [number, number] => [clockSec, clockNsec];

    // A segment line?
    SEGMENT_RUN.lastIndex = 0;
    const segM = SEGMENT_RUN.exec(line.slice(from));
    if (segM !== null) {
      const segStart = from + segM.index;
      const segEnd = segStart + segM[0].length;
      // The markers nearest the segment on each side.
      let left: { text: string; start: number; end: number } | null = null;
      let right: { text: string; start: number; end: number } | null = null;
      MARKER.lastIndex = from;
      let mm: RegExpExecArray | null;
      while ((mm = MARKER.exec(line)) !== null) {
        const mk = { text: mm[0], start: mm.index, end: mm.index + mm[0].length };
        if (mk.end <= segStart) left = mk;
        else if (mk.start >= segEnd && right === null) right = mk;
      }
      const split = left !== null && right !== null ? (left.start + right.end) / 2 : (segStart + segEnd) / 2;
      const f = figureNow(Number.isNaN(firstSegmentSplit) ? split : firstSegmentSplit);
      inFigure = true;
      const kind = (m: { text: string } | null): 'ab' | 'ba' | 'dots' | 'none' =>
        m === null ? 'none' : m.text.endsWith('>') ? 'ab' : m.text.startsWith('<') ? 'ba' : 'dots';
      const lk = kind(left);
      const rk = kind(right);
      if ((lk === 'ab' && rk === 'ba') || (lk === 'ba' && rk === 'ab')) {
        err(ln, left!.start, right!.end, 'the arrows point different ways');
        continue;
      }
      const dirOrNone: 0 | 1 | -1 = lk === 'ab' || rk === 'ab' ? 0 : lk === 'ba' || rk === 'ba' ? 1 : -1;
      if (dirOrNone === -1) {
        err(ln, segStart, segEnd, 'a segment needs an arrow: --> (A to B) or <-- (B to A), with ... on the side where it is in flight');
        continue;
      }
      const dir: 0 | 1 = dirOrNone;
      const senderMark = dir === 0 ? lk : rk;
      const receiverMark = dir === 0 ? rk : lk;
      const sentNow = senderMark === (dir === 0 ? 'ab' : 'ba');
      const arrivesNow = receiverMark === (dir === 0 ? 'ab' : 'ba');
      if (!sentNow && !arrivesNow) {
        err(ln, segStart, segEnd, 'this segment is neither sent nor arriving here: put --> or <-- on one side');
        continue;
      }
      const fields = parseSegmentFields(line, segStart, segEnd, errors, ln);
      if (fields === null) continue;

      // The state columns: A's left of the left marker, B's right of the right one.
      const aCells = cells(line, from, left !== null ? left.start : segStart);
      const bCells = cells(line, right !== null ? right.end : segEnd, line.length);
      const closes: TraceStep[] = [];
      const claims: TraceStep[] = [];
      const timeouts: TraceStep[] = [];
      const [tsSec, tsNsec] = lineTime();
      for (const [side, list] of [
        [0, aCells],
        [1, bCells],
      ] as [0 | 1, Cell[]][]) {
        for (const c of list) {
          columnEvent(c, endpointId(f, side), ln, tsSec, tsNsec, closes, claims, timeouts, errors);
        }
      }
      emit(...closes);
      const [senderEp, receiverEp]: [0 | 1, 0 | 1] = dir === 0 ? [0, 1] : [1, 0];
      if (sentNow) {
        const row = appendRow(table, view, f, senderEp, receiverEp, fields, ln, tsSec, tsNsec, endpointId);
        if (fields.lenUnknown) unknownLen.push(row);
        emit({ kind: 'segment', row, line: ln });
        if (arrivesNow) emit({ kind: 'arrive', row, line: ln, tsSec, tsNsec });
        else f.inFlight.push({ row, f: fields, dir });
      } else {
        // The arrival of a segment sent earlier.
        let k = -1;
        for (let i = 0; i < f.inFlight.length; i++) {
          const c = f.inFlight[i];
          if (c.dir === dir && sameSegment(c.f, fields)) {
            k = i;
            break;
          }
        }
        let row: number;
        if (k >= 0) {
          row = f.inFlight[k].row;
          f.inFlight.splice(k, 1);
        } else {
          row = appendRow(table, view, f, senderEp, receiverEp, fields, ln, tsSec, tsNsec, endpointId);
          if (fields.lenUnknown) unknownLen.push(row);
        }
        emit({ kind: 'arrive', row, line: ln, tsSec, tsNsec });
      }
      emit(...claims, ...timeouts);
      continue;
    }

    // Arrows without a segment.
    MARKER.lastIndex = 0;
    if (/(^|\s)(-{2,}>|<-{2,})(\s|$)/.test(line.slice(from))) {
      const at = line.search(/-{2,}>|<-{2,}/);
      err(ln, at, at + 3, 'an arrow without a segment: write the segment as <SEQ=n><ACK=n><CTL=...>');
      continue;
    }

    // A line of columns: claims and events, or prose.
    const list = cells(line, from, line.length);
    const kinds = list.map(classify);
    const figureish = kinds.some((k) => isFigureCell(k));
    if (!inFigure && !figureish) {
      skipped++;
      continue;
    }
    if (inFigure && !figureish && list.length === 1 && kinds[0].kind === 'words') {
      // A caption under the figure (or prose after it): the figure ends.
      inFigure = false;
      skipped++;
      continue;
    }
    inFigure = true;
    const f = figureNow(Number.isNaN(firstSegmentSplit) ? NaN : firstSegmentSplit);
    const [tsSec, tsNsec] = lineTime();
    const out: TraceStep[] = [];
    // Which column: by the split; with no split known, the first cell is A's and the second B's.
    const sideOf = (c: Cell, i: number): 0 | 1 => {
      if (!Number.isNaN(f.split)) return c.start >= f.split ? 1 : 0;
      return list.length >= 2 ? (i === 0 ? 0 : 1) : c.start >= 30 ? 1 : 0;
    };
    list.forEach((c, i) => {
      const k = kinds[i];
      const ep = endpointId(f, sideOf(c, i));
      if (k.kind === 'words' && k.parts.every((p) => normalizeState(p.text) !== null) && k.parts.length === 2) {
        // States separated by single blanks: A's then B's.
        k.parts.forEach((p, j) => columnEvent(p, endpointId(f, j === 0 ? 0 : 1), ln, tsSec, tsNsec, out, out, out, errors));
        return;
      }
      columnEvent(c, ep, ln, tsSec, tsNsec, out, out, out, errors);
    });
    emit(...out);
  }

  // <DATA> without a length: the next segment of the same sender, or the peer's next ACK, tells.
  for (const row of unknownLen) {
    const src = table.src[row];
    let len = -1;
    for (let r = row + 1; r < table.length && len < 0; r++) {
      if (table.src[r] === src) {
        const d = (table.seq[r] - table.seq[row]) >>> 0;
        if (d > 0 && d < 0x8000_0000) len = d;
      } else if (table.src[r] === table.dst[row] && (table.flags[r] & ACK) !== 0) {
        const extra = (table.flags[row] & (SYN | FIN)) !== 0 ? ((table.flags[row] & SYN) !== 0 ? 1 : 0) + ((table.flags[row] & FIN) !== 0 ? 1 : 0) : 0;
        const d = (table.ack[r] - table.seq[row] - extra) >>> 0;
        if (d > 0 && d < 0x8000_0000) len = d;
      }
    }
    if (len > 0) table.len[row] = len;
  }
  return skipped;
}

/** A cell that belongs to a figure: a state, an event, or several of them. */
function isFigureCell(k: CellKind): boolean {
  if (k.kind === 'state' || k.kind === 'close' || k.kind === 'timeout') return true;
  if (k.kind !== 'words') return false;
  let any = false;
  for (const p of k.parts) {
    const c = classify(p);
    if (c.kind === 'state' || c.kind === 'close' || c.kind === 'timeout') any = true;
    else if (c.kind !== 'none' && c.kind !== 'remark') return false;
  }
  return any;
}

/** A `#` comment: at the start of a line or after a blank. */
function blankComment(line: string): string {
  const m = /(^|\s)#/.exec(line);
  return m === null ? line : line.slice(0, m.index + m[1].length);
}

function findSegmentSplit(lines: string[]): number {
  for (const raw of lines) {
    const line = blankComment(raw);
    if (HEADER.test(line)) return NaN; // a header places the columns itself
    const seg = SEGMENT_RUN.exec(line);
    if (seg === null) continue;
    const segStart = seg.index;
    const segEnd = seg.index + seg[0].length;
    let left = -1;
    let right = -1;
    const re = /-{2,}>|<-{2,}|\.{3}/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(line)) !== null) {
      if (m.index + m[0].length <= segStart) left = m.index;
      else if (m.index >= segEnd && right < 0) right = m.index + m[0].length;
    }
    if (left >= 0 && right >= 0) return (left + right) / 2;
    return (segStart + segEnd) / 2;
  }
  return NaN;
}

function sameSegment(a: SegFields, b: SegFields): boolean {
  if (a.hasSeq && b.hasSeq && a.seq !== b.seq) return false;
  if (a.hasAck && b.hasAck && a.ack !== b.ack) return false;
  if (a.flags !== b.flags) return false;
  if (!a.lenUnknown && !b.lenUnknown && a.len !== b.len) return false;
  return true;
}

function appendRow(
  table: SegmentTable,
  v: SegmentView,
  f: Figure,
  sender: 0 | 1,
  receiver: 0 | 1,
  fields: SegFields,
  ln: number,
  tsSec: number,
  tsNsec: number,
  endpointId: (f: Figure, side: 0 | 1) => number,
): number {
  endpointId(f, 0);
  endpointId(f, 1);
  const eps = f.eps!;
  v.frame = 0;
  v.ipVersion = eps[sender].v;
  v.src.fill(0);
  v.dst.fill(0);
  v.src.set(eps[sender].bytes);
  v.dst.set(eps[receiver].bytes);
  v.sport = eps[sender].port;
  v.dport = eps[receiver].port;
  v.seq = fields.seq;
  v.ack = fields.ack;
  v.flags = fields.flags;
  v.len = fields.len;
  v.win = fields.win;
  v.opts = fields.hasWin ? 0 : OPT_NO_WINDOW;
  v.mss = 0;
  v.wscale = 0;
  v.tsVal = 0;
  v.tsEcr = 0;
  v.sackBlocks = 0;
  v.ttl = 0;
  v.ipId = -1;
  v.line = ln;
  v.byteOffset = -1;
  v.tsSec = tsSec;
  v.tsNsec = Number.isNaN(tsSec) ? 0 : tsNsec;
  return table.append(v);
}

/** One cell of a state column: a claim, an event, a remark, or an error. */
function columnEvent(
  c: Cell,
  endpoint: number,
  ln: number,
  tsSec: number,
  tsNsec: number,
  closes: TraceStep[],
  claims: TraceStep[],
  timeouts: TraceStep[],
  errors: ParseError[],
): void {
  const k = classify(c);
  switch (k.kind) {
    case 'state':
      claims.push({ kind: 'claim', endpoint, state: k.state, line: ln, startCol: c.start, endCol: c.end });
      return;
    case 'close':
      closes.push({ kind: 'close', endpoint, line: ln, startCol: c.start, endCol: c.end, tsSec, tsNsec });
      return;
    case 'timeout':
      timeouts.push({ kind: 'timeout', endpoint, line: ln, startCol: c.start, endCol: c.end, tsSec, tsNsec });
      return;
    case 'none':
    case 'remark':
      return;
    case 'bad-annotation':
      errors.push({ line: ln, startCol: c.start, endCol: c.end, message: k.message, replacement: k.replacement });
      return;
    case 'words': {
      // Several words in one column: each must be a state or an event.
      for (const p of k.parts) columnEvent(p, endpoint, ln, tsSec, tsNsec, closes, claims, timeouts, errors);
      return;
    }
    default: {
      const meant = suggestState(c.text);
      errors.push({
        line: ln,
        startCol: c.start,
        endCol: c.end,
        message: `"${c.text}" is not a TCP state (RFC 9293 spells them LISTEN, SYN-SENT, SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT, CLOSED)${meant ? `; did you mean ${meant}?` : ''}`,
        ...(meant ? { replacement: meant } : {}),
      });
    }
  }
}
