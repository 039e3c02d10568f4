/**
 * The Wireshark display-filter subset people use on TCP teardowns:
 *
 *   tcp.flags.fin == 1 && ip.src == 10.0.0.1        tcp.flags == 0x0011
 *   tcp.flags.reset || (tcp.len > 0 and not tcp.port == 22)     ip.addr == 10.0.0.0/8
 *
 * Fields: frame.number, ip.src/dst/addr, ipv6.src/dst/addr, tcp.srcport/dstport/port, tcp.stream,
 * tcp.seq/ack (relative to the connection's ISN) and tcp.seq_raw/ack_raw, tcp.len,
 * tcp.window_size_value, tcp.flags and tcp.flags.{fin,syn,reset,push,ack,urg,ece,cwr}.
 * Operators: == != < <= > >= (and eq ne lt le gt ge), && || ! (and, or, not), parentheses.
 * `ip.addr != X` means "neither address is X" (Wireshark 3.6+ semantics); a bare flag field
 * (`tcp.flags.syn`) means the flag is set; a bare address field means the packet has that IP version.
 *
 * Parsing never throws: errors come back with their position in the filter text.
 */
import { parseIPv4, parseIPv6 } from '../model/address';
import { ACK, CWR, ECE, FIN, PSH, RST, SYN, URG, type SegmentTable } from '../model/segment';
import { seqDistance } from '../seq';

export interface FilterError {
  start: number;
  end: number;
  message: string;
}

/** What a filter needs beyond the table: connection ids and relative-number bases per row. */
export interface FilterContext {
  stream(row: number): number;
  seqBase(row: number): number;
  ackBase(row: number): number;
}

export interface CompiledFilter {
  readonly text: string;
  matches(table: SegmentTable, row: number, ctx: FilterContext): boolean;
}

type Pred = (t: SegmentTable, r: number, ctx: FilterContext) => boolean;
type NumGetter = (t: SegmentTable, r: number, ctx: FilterContext) => number;

const FLAG_FIELDS: Record<string, number> = {
  'tcp.flags.fin': FIN,
  'tcp.flags.syn': SYN,
  'tcp.flags.reset': RST,
  'tcp.flags.push': PSH,
  'tcp.flags.ack': ACK,
  'tcp.flags.urg': URG,
  'tcp.flags.ece': ECE,
  'tcp.flags.cwr': CWR,
};

const NUM_FIELDS: Record<string, NumGetter> = {
  'frame.number': (t, r) => (t.frame[r] > 0 ? t.frame[r] : t.line[r] + 1),
  'tcp.srcport': (t, r) => t.endpoints.get(t.src[r]).port,
  'tcp.dstport': (t, r) => t.endpoints.get(t.dst[r]).port,
  'tcp.stream': (_t, r, c) => c.stream(r),
  'tcp.seq': (t, r, c) => seqDistance(c.seqBase(r), t.seq[r]),
  'tcp.ack': (t, r, c) => (t.flags[r] & ACK ? seqDistance(c.ackBase(r), t.ack[r]) : 0),
  'tcp.seq_raw': (t, r) => t.seq[r],
  'tcp.ack_raw': (t, r) => t.ack[r],
  'tcp.len': (t, r) => t.len[r],
  'tcp.window_size_value': (t, r) => t.win[r],
  'tcp.flags': (t, r) => t.flags[r],
};

const ADDR_FIELDS = ['ip.src', 'ip.dst', 'ip.addr', 'ipv6.src', 'ipv6.dst', 'ipv6.addr'];
const ALL_FIELDS = [...Object.keys(FLAG_FIELDS), ...Object.keys(NUM_FIELDS), 'tcp.port', ...ADDR_FIELDS];

const OPS: Record<string, string> = { '==': '==', '!=': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=', eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' };

interface Token {
  kind: 'word' | 'op' | 'lparen' | 'rparen' | 'and' | 'or' | 'not' | 'end';
  text: string;
  start: number;
  end: number;
}

function tokenize(text: string, errors: FilterError[]): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '&&' || two === '||') {
      out.push({ kind: two === '&&' ? 'and' : 'or', text: two, start: i, end: i + 2 });
      i += 2;
    } else if (two === '==' || two === '!=' || two === '<=' || two === '>=') {
      out.push({ kind: 'op', text: two, start: i, end: i + 2 });
      i += 2;
    } else if (ch === '<' || ch === '>') {
      out.push({ kind: 'op', text: ch, start: i, end: i + 1 });
      i++;
    } else if (ch === '!') {
      out.push({ kind: 'not', text: ch, start: i, end: i + 1 });
      i++;
    } else if (ch === '(' || ch === ')') {
      out.push({ kind: ch === '(' ? 'lparen' : 'rparen', text: ch, start: i, end: i + 1 });
      i++;
    } else if (/[A-Za-z0-9_.:/\-[\]]/.test(ch)) {
      let j = i;
      while (j < text.length && /[A-Za-z0-9_.:/\-[\]]/.test(text[j])) j++;
      const w = text.slice(i, j);
      const lw = w.toLowerCase();
      const kind = lw === 'and' ? 'and' : lw === 'or' ? 'or' : lw === 'not' ? 'not' : lw in OPS ? 'op' : 'word';
      out.push({ kind, text: w, start: i, end: j });
      i = j;
    } else {
      errors.push({ start: i, end: i + 1, message: `unexpected character '${ch}'` });
      i++;
    }
  }
  out.push({ kind: 'end', text: '', start: text.length, end: text.length });
  return out;
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

function suggest(field: string): string {
  let best = '';
  let bestD = Infinity;
  for (const f of ALL_FIELDS) {
    const dd = distance(field, f);
    if (dd < bestD) {
      bestD = dd;
      best = f;
    }
  }
  return bestD <= 4 ? `; did you mean ${best}?` : '';
}

function parseNumber(s: string): number | null {
  if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s, 16);
  if (/^\d+$/.test(s)) return Number(s);
  return null;
}

function compare(op: string, a: number, b: number): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
}

/** An address value with an optional prefix length, as a byte mask test. */
function addressMatcher(text: string, v: 4 | 6): ((b: Uint8Array) => boolean) | string {
  const [addr, prefix] = text.split('/');
  const bytes = new Uint8Array(16);
  const n = v === 4 ? 4 : 16;
  if (!(v === 4 ? parseIPv4(addr, bytes) : parseIPv6(addr.replace(/^\[|\]$/g, ''), bytes))) return `'${text}' is not an IPv${v} address`;
  const bits = prefix === undefined ? n * 8 : Number(prefix);
  if (!Number.isInteger(bits) || bits < 0 || bits > n * 8) return `bad prefix length in '${text}'`;
  return (b) => {
    let left = bits;
    for (let i = 0; i < n && left > 0; i++) {
      const m = left >= 8 ? 0xff : (0xff << (8 - left)) & 0xff;
      if ((b[i] & m) !== (bytes[i] & m)) return false;
      left -= 8;
    }
    return true;
  };
}

export function parseFilter(text: string): { filter: CompiledFilter | null; errors: FilterError[] } {
  const errors: FilterError[] = [];
  const toks = tokenize(text, errors);
  let k = 0;
  // The 'end' token is never passed: reading on at the end keeps returning it.
  const peek = (): Token => toks[Math.min(k, toks.length - 1)];
  const next = (): Token => toks[Math.min(k++, toks.length - 1)];
  const addrBytes = new Uint8Array(16);

  const fieldPred = (fieldTok: Token): Pred | null => {
    const field = fieldTok.text.toLowerCase();
    const opTok = peek();
    if (opTok.kind !== 'op') {
      // A bare field.
      if (field in FLAG_FIELDS) {
        const bit = FLAG_FIELDS[field];
        return (t, r) => (t.flags[r] & bit) !== 0;
      }
      if (field.startsWith('ipv6.')) return (t, r) => t.endpoints.get(t.src[r]).ipVersion === 6;
      if (field.startsWith('ip.')) return (t, r) => t.endpoints.get(t.src[r]).ipVersion === 4;
      if (field in NUM_FIELDS || field === 'tcp.port') return () => true;
      errors.push({ start: fieldTok.start, end: fieldTok.end, message: `unknown field '${fieldTok.text}'${suggest(field)}` });
      return null;
    }
    next();
    const op = OPS[opTok.text.toLowerCase()];
    const valTok = next();
    if (valTok.kind !== 'word') {
      errors.push({ start: valTok.start, end: Math.max(valTok.end, valTok.start + 1), message: `a value is needed after '${opTok.text}'` });
      return null;
    }
    if (ADDR_FIELDS.includes(field)) {
      const v: 4 | 6 = field.startsWith('ipv6') ? 6 : 4;
      if (op !== '==' && op !== '!=') {
        errors.push({ start: opTok.start, end: opTok.end, message: `addresses compare with == or != only` });
        return null;
      }
      const m = addressMatcher(valTok.text, v);
      if (typeof m === 'string') {
        errors.push({ start: valTok.start, end: valTok.end, message: m });
        return null;
      }
      const side = field.endsWith('.src') ? 0 : field.endsWith('.dst') ? 1 : 2;
      const test = (t: SegmentTable, id: number): boolean => {
        const ep = t.endpoints.get(id);
        if (ep.ipVersion !== v) return false;
        if (v === 4) parseIPv4(ep.addr, addrBytes);
        else parseIPv6(ep.addr, addrBytes);
        return m(addrBytes);
      };
      const any: Pred = side === 0 ? (t, r) => test(t, t.src[r]) : side === 1 ? (t, r) => test(t, t.dst[r]) : (t, r) => test(t, t.src[r]) || test(t, t.dst[r]);
      return op === '==' ? any : (t, r, c) => t.endpoints.get(t.src[r]).ipVersion === v && !any(t, r, c);
    }
    const value = parseNumber(valTok.text);
    if (value === null) {
      errors.push({ start: valTok.start, end: valTok.end, message: `'${valTok.text}' is not a number` });
      return null;
    }
    if (field === 'tcp.port') {
      const sp = NUM_FIELDS['tcp.srcport'];
      const dp = NUM_FIELDS['tcp.dstport'];
      const any: Pred = (t, r, c) => compare(op === '!=' ? '==' : op, sp(t, r, c), value) || compare(op === '!=' ? '==' : op, dp(t, r, c), value);
      return op === '!=' ? (t, r, c) => !any(t, r, c) : any;
    }
    if (field in FLAG_FIELDS) {
      const bit = FLAG_FIELDS[field];
      return (t, r) => compare(op, t.flags[r] & bit ? 1 : 0, value);
    }
    const get = NUM_FIELDS[field];
    if (!get) {
      errors.push({ start: fieldTok.start, end: fieldTok.end, message: `unknown field '${fieldTok.text}'${suggest(field)}` });
      return null;
    }
    return (t, r, c) => compare(op, get(t, r, c), value);
  };

  const primary = (): Pred | null => {
    const t = next();
    if (t.kind === 'lparen') {
      const e = orExpr();
      const close = next();
      if (close.kind !== 'rparen') errors.push({ start: close.start, end: Math.max(close.end, close.start + 1), message: `')' expected` });
      return e;
    }
    if (t.kind === 'word') return fieldPred(t);
    errors.push({ start: t.start, end: Math.max(t.end, t.start + 1), message: t.kind === 'end' ? 'the filter ends too early' : `unexpected '${t.text}'` });
    return null;
  };
  const notExpr = (): Pred | null => {
    if (peek().kind === 'not') {
      next();
      const e = notExpr();
      return e && ((t, r, c) => !e(t, r, c));
    }
    return primary();
  };
  const andExpr = (): Pred | null => {
    let left = notExpr();
    while (peek().kind === 'and') {
      next();
      const right = notExpr();
      const l = left;
      left = l && right && ((t, r, c) => l(t, r, c) && right(t, r, c));
    }
    return left;
  };
  const orExpr = (): Pred | null => {
    let left = andExpr();
    while (peek().kind === 'or') {
      next();
      const right = andExpr();
      const l = left;
      left = l && right && ((t, r, c) => l(t, r, c) || right(t, r, c));
    }
    return left;
  };

  if (text.trim() === '') return { filter: null, errors: [{ start: 0, end: Math.max(1, text.length), message: 'the filter is empty' }] };
  const pred = orExpr();
  const rest = peek();
  if (rest.kind !== 'end') errors.push({ start: rest.start, end: text.length, message: `unexpected '${rest.text}' after the end of the filter` });
  if (errors.length > 0 || pred === null) return { filter: null, errors };
  return { filter: { text, matches: pred }, errors };
}

/** The fields the filter understands (for completion and help). */
export const FILTER_FIELDS: readonly string[] = ALL_FIELDS;

