/**
 * The Wireshark display-filter subset people use on TCP teardowns, compiled to closures over the
 * segment table's columns:
 *
 *   tcp.flags.fin == 1 && ip.src == 10.0.0.1        tcp.flags == 0x0011       tcp.len > 0
 *   tcp.flags.reset || (tcp.port in {80, 443} and not tcp.flags.ack)    ip.addr == 10.0.0.0/8
 *
 * Fields (see fields.ts): frame.number, frame.time_epoch, frame.time_relative; ip.src/dst/addr,
 * ipv6.src/dst/addr (with CIDR prefixes); tcp.srcport/dstport/port, tcp.stream; tcp.seq, tcp.ack,
 * tcp.nxtseq (relative to the ISNs the caller's context gives) and tcp.seq_raw/ack_raw; tcp.len,
 * tcp.window_size_value, tcp.flags and tcp.flags.{fin,syn,reset,push,ack,urg,ece,cwr,ae}; a few
 * tcp.options.*; the expert fields tcp.connection.{syn,synack,fin,rst}; the engine's classification
 * as tcp.analysis.{retransmission,keep_alive,zero_window_probe,zero_window} (from the context);
 * the protocols frame, ip, ipv6, tcp.
 * Operators: == != < <= > >= (eq ne lt le gt ge), `field & mask`, `field in {a b c..d}`,
 * && || ! (and or not; precedence not > and > or), parentheses. Literals: decimal, 0x hex,
 * 0b binary, leading-0 octal (as Wireshark), true/false, IPv4/IPv6 with /prefix.
 *
 * Semantics, as Wireshark 4:
 * - A comparison with a field the segment does not have is false, `!=` included (`ip.src != X` is
 *   false for an IPv6 segment; `tcp.ack == 0` is false when the ACK flag is off).
 * - Two-valued fields (ip.addr, ipv6.addr, tcp.port): `==`, `<`, `in` ... hold when EITHER value
 *   does; `!=` holds when ALL values differ ("neither address is X", Wireshark 3.6+). So
 *   `ip.addr != X` is `!(ip.addr == X)` on IPv4 segments.
 * - A bare flag field (`tcp.flags.fin`) means the flag is set. (Wireshark 4.0 tests presence, which
 *   every TCP segment passes; `tcp.flags.fin == 1` means the same in both.) Any other bare field
 *   tests presence: `ip.src` is "an IPv4 segment", `tcp.seq` "the context knows the ISN".
 * - `field & mask` alone means "some bit of mask is set".
 *
 * Parsing never throws: errors come back with their offsets in the filter text (end exclusive).
 * Matching allocates nothing per row: address tests are cached per endpoint id.
 */

import type { EndpointTable, SegmentTable } from '../model/segment';
import { parseIPv4, parseIPv6 } from '../model/address';
import { ALIASES, FIELD_BY_NAME, FIELDS, NO_CONTEXT, type FieldDef, type FilterContext, type NumGetter } from './fields';
import { tokenize, type Token } from './lexer';
import { levenshtein } from '../levenshtein';

export { NO_CONTEXT, FIELDS, type FieldDef, type FilterContext } from './fields';

export interface FilterError {
  start: number;
  end: number;
  message: string;
}

export interface CompiledFilter {
  readonly text: string;
  /** The fields the filter reads (canonical names). */
  readonly fields: readonly string[];
  /** True when it reads tcp.seq / tcp.ack / tcp.nxtseq / tcp.stream, which need a context. */
  readonly usesContext: boolean;
  /** Does row `row` pass? `ctx` defaults to {@link NO_CONTEXT}. */
  matches(table: SegmentTable, row: number, ctx?: FilterContext): boolean;
}

type Pred = (t: SegmentTable, r: number, c: FilterContext) => boolean;
type Op = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** The fields the filter understands (for completion and help). */
export const FILTER_FIELDS: readonly string[] = FIELDS.map((f) => f.name);

class Stop extends Error {}


function suggestField(name: string): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const f of FILTER_FIELDS) {
    const d = levenshtein(name, f);
    if (d < bestD) {
      bestD = d;
      best = f;
    }
  }
  // tcp.flags.rst -> tcp.flags.reset: same prefix, a short last part.
  if (bestD > 2) {
    const dot = name.lastIndexOf('.');
    const head = name.slice(0, dot + 1);
    const tail = name.slice(dot + 1);
    for (const f of FILTER_FIELDS) {
      if (dot > 0 && f.startsWith(head) && tail.length >= 2 && [...tail].every((ch) => f.slice(head.length).includes(ch))) return f;
    }
  }
  return bestD <= Math.max(2, Math.floor(name.length / 4)) ? best : null;
}

/** Integer literal as Wireshark reads it: decimal, 0x hex, 0b binary, leading-zero octal. */
function parseInteger(s: string): number | null {
  let m: RegExpExecArray | null;
  if ((m = /^0x([0-9a-f]+)$/i.exec(s)) !== null) return parseInt(m[1], 16);
  if ((m = /^0b([01]+)$/i.exec(s)) !== null) return parseInt(m[1], 2);
  if ((m = /^0([0-7]+)$/.exec(s)) !== null) return parseInt(m[1], 8);
  if (/^\d+$/.test(s)) return Number(s);
  return null;
}

interface AddressLiteral {
  v: 4 | 6;
  bytes: Uint8Array;
  bits: number;
}

function parseAddressLiteral(text: string, v: 4 | 6): AddressLiteral | string {
  const slash = text.indexOf('/');
  const addr = slash >= 0 ? text.slice(0, slash) : text;
  const prefix = slash >= 0 ? text.slice(slash + 1) : undefined;
  const bytes = new Uint8Array(16);
  const ok = v === 4 ? parseIPv4(addr, bytes) : parseIPv6(addr.replace(/^\[|\]$/g, ''), bytes);
  if (!ok) return `'${text}' is not an IPv${v} address${v === 4 && addr.includes(':') ? ' (use ipv6.* for IPv6)' : v === 6 && /^\d+(\.\d+){3}$/.test(addr) ? ' (use ip.* for IPv4)' : ''}`;
  const max = v === 4 ? 32 : 128;
  const bits = prefix === undefined ? max : /^\d+$/.test(prefix) ? Number(prefix) : NaN;
  if (!(bits >= 0 && bits <= max)) return `bad prefix length in '${text}' (0 to ${max})`;
  return { v, bytes, bits };
}

function prefixMatch(a: Uint8Array, lit: AddressLiteral): boolean {
  let left = lit.bits;
  for (let i = 0; left > 0; i++) {
    const m = left >= 8 ? 0xff : (0xff << (8 - left)) & 0xff;
    if ((a[i] & m) !== (lit.bytes[i] & m)) return false;
    left -= 8;
  }
  return true;
}

/**
 * A per-endpoint-id test, cached per endpoint table: an address is parsed once per endpoint, not
 * once per row.
 */
function endpointTest(v: 4 | 6, lits: AddressLiteral[]): (t: SegmentTable, id: number) => boolean {
  let owner: EndpointTable | null = null;
  let cache = new Int8Array(0);
  const scratch = new Uint8Array(16);
  return (t, id) => {
    if (t.endpoints !== owner) {
      owner = t.endpoints;
      cache = new Int8Array(Math.max(16, t.endpoints.list.length)).fill(-1);
    }
    if (id >= cache.length) {
      const grown = new Int8Array(Math.max(id + 1, cache.length * 2)).fill(-1);
      grown.set(cache);
      cache = grown;
    }
    let hit = cache[id];
    if (hit < 0) {
      const ep = t.endpoints.list[id];
      hit = 0;
      if (ep !== undefined && ep.ipVersion === v) {
        scratch.fill(0);
        const ok = v === 4 ? parseIPv4(ep.addr, scratch) : parseIPv6(ep.addr, scratch);
        if (ok && lits.some((l) => prefixMatch(scratch, l))) hit = 1;
      }
      cache[id] = hit;
    }
    return hit === 1;
  };
}

function compareNumber(op: Op, g: NumGetter, v: number): Pred {
  switch (op) {
    case '==':
      return (t, r, c) => g(t, r, c) === v;
    case '!=':
      return (t, r, c) => {
        const x = g(t, r, c);
        return x === x && x !== v; // present and different
      };
    case '<':
      return (t, r, c) => g(t, r, c) < v;
    case '<=':
      return (t, r, c) => g(t, r, c) <= v;
    case '>':
      return (t, r, c) => g(t, r, c) > v;
    default:
      return (t, r, c) => g(t, r, c) >= v;
  }
}

export function parseFilter(text: string): { filter: CompiledFilter | null; errors: FilterError[] } {
  const errors: FilterError[] = [];
  const used = new Set<string>();
  let usesContext = false;
  if (text.trim() === '') return { filter: null, errors: [{ start: 0, end: Math.max(1, text.length), message: 'the filter is empty' }] };
  const toks = tokenize(text);
  let k = 0;
  const peek = (): Token => toks[Math.min(k, toks.length - 1)];
  const next = (): Token => toks[Math.min(k++, toks.length - 1)];
  const fail = (start: number, end: number, message: string): never => {
    errors.push({ start, end: Math.max(end, start + 1), message });
    throw new Stop();
  };
  const describe = (t: Token): string => (t.kind === 'end' ? 'the end of the filter' : `'${t.text}'`);

  const badToken = (t: Token): never => {
    if (t.text === '=') return fail(t.start, t.end, "'=' is not an operator; did you mean '=='?");
    if (t.text === '~' || t.text === '~=') return fail(t.start, t.end, `'${t.text}' is not supported here (== != < <= > >= and 'in' are)`);
    if (t.text === '"' || t.text === "'") return fail(t.start, t.end, 'strings are not supported: TCP fields are numbers and addresses');
    return fail(t.start, t.end, `unexpected character '${t.text}'`);
  };

  const lookup = (tok: Token): FieldDef => {
    const raw = tok.text.toLowerCase();
    const name = ALIASES[raw] ?? raw;
    const def = FIELD_BY_NAME.get(name);
    if (def !== undefined) {
      used.add(def.name);
      if (def.context) usesContext = true;
      return def;
    }
    if (/\[/.test(raw) && /^[a-z]/.test(raw)) {
      return fail(tok.start, tok.end, `byte slices like '${tok.text}' are not supported; use the named fields (tcp.flags, tcp.len ...)`);
    }
    if (/^(\d|0x)/.test(raw)) return fail(tok.start, tok.end, `a field name is expected here, not the value '${tok.text}'`);
    const s = suggestField(raw);
    return fail(tok.start, tok.end, `unknown field '${tok.text}' at ${tok.start}-${tok.end}${s !== null ? `; did you mean ${s}?` : ''}`);
  };

  /** A value token for a field: number / boolean / float / address literal. */
  const numberValue = (def: FieldDef, tok: Token): number => {
    if (tok.kind !== 'word') return fail(tok.start, tok.end, `a value is needed here, not ${describe(tok)}`);
    const s = tok.text.toLowerCase();
    if (def.type === 'bool') {
      if (s === 'true' || s === '1') return 1;
      if (s === 'false' || s === '0') return 0;
      return fail(tok.start, tok.end, `${def.name} is 0 or 1 (or true / false), not '${tok.text}'`);
    }
    if (def.type === 'float') {
      if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
      return fail(tok.start, tok.end, `'${tok.text}' is not a number of seconds`);
    }
    const n = parseInteger(s);
    if (n === null) {
      if (/^\d+(\.\d+){3}(\/\d+)?$/.test(s) || s.includes(':')) return fail(tok.start, tok.end, `${def.name} is a number, not an address ('${tok.text}')`);
      return fail(tok.start, tok.end, `'${tok.text}' is not a number`);
    }
    if (def.max !== undefined && n > def.max) return fail(tok.start, tok.end, `${tok.text} is too big for ${def.name} (at most ${def.max})`);
    return n;
  };

  /** Elements of `{ ... }`: values and ranges `a..b`. */
  const setValues = (): Token[] => {
    const open = next();
    if (open.kind !== 'lbrace') return fail(open.start, open.end, `'{' expected after 'in', not ${describe(open)}`);
    const items: Token[] = [];
    for (;;) {
      const t = next();
      if (t.kind === 'rbrace') break;
      if (t.kind === 'comma') continue;
      if (t.kind !== 'word') return fail(t.start, t.end, t.kind === 'end' ? "'}' expected" : `a value is needed in the set, not ${describe(t)}`);
      items.push(t);
    }
    if (items.length === 0) return fail(open.start, peek().start, 'the set is empty');
    return items;
  };

  const addressPredicate = (def: FieldDef, fieldTok: Token): Pred => {
    const v: 4 | 6 = def.type === 'ipv4' ? 4 : 6;
    const present: Pred = (t, r) => t.endpoints.list[t.src[r]].ipVersion === v;
    const t0 = peek();
    if (t0.kind === 'bitand') return fail(t0.start, t0.end, `'&' applies to number fields, not to ${def.name}`);
    let op: Op;
    let lits: AddressLiteral[];
    if (t0.kind === 'cmp' || t0.kind === 'in') {
      next();
      if (t0.kind === 'cmp') {
        op = t0.op!;
        if (op !== '==' && op !== '!=') return fail(t0.start, t0.end, `addresses compare with == and != (or 'in {...}'), not '${t0.text}'`);
        const valTok = next();
        if (valTok.kind !== 'word') return fail(valTok.start, valTok.end, `a value is needed after '${t0.text}'`);
        const lit = parseAddressLiteral(valTok.text, v);
        if (typeof lit === 'string') return fail(valTok.start, valTok.end, lit);
        lits = [lit];
      } else {
        op = '==';
        lits = setValues().map((tok) => {
          const lit = parseAddressLiteral(tok.text, v);
          return typeof lit === 'string' ? fail(tok.start, tok.end, lit) : lit;
        });
      }
    } else {
      void fieldTok;
      return present; // bare: the segment is IPv4 (ip.*) or IPv6 (ipv6.*)
    }
    const test = endpointTest(v, lits);
    const which = def.which;
    if (op === '==') {
      if (which === 'src') return (t, r) => test(t, t.src[r]);
      if (which === 'dst') return (t, r) => test(t, t.dst[r]);
      return (t, r) => test(t, t.src[r]) || test(t, t.dst[r]);
    }
    // != : present, and every value differs.
    if (which === 'src') return (t, r, c) => present(t, r, c) && !test(t, t.src[r]);
    if (which === 'dst') return (t, r, c) => present(t, r, c) && !test(t, t.dst[r]);
    return (t, r, c) => present(t, r, c) && !test(t, t.src[r]) && !test(t, t.dst[r]);
  };

  const numberPredicate = (def: FieldDef): Pred => {
    let getters: NumGetter[] = def.get2 !== undefined ? [...def.get2] : [def.get!];
    // field & mask
    let masked = false;
    if (peek().kind === 'bitand') {
      const amp = next();
      if (def.type !== 'uint') return fail(amp.start, amp.end, `'&' applies to number fields, not to ${def.name}`);
      const maskTok = next();
      if (maskTok.kind !== 'word') return fail(maskTok.start, maskTok.end, "a mask is needed after '&'");
      const mask = numberValue(def, maskTok);
      getters = getters.map((g) => (t: SegmentTable, r: number, c: FilterContext) => {
        const x = g(t, r, c);
        return x === x ? (x & mask) >>> 0 : NaN;
      });
      masked = true;
    }
    const t0 = peek();
    const any = (preds: Pred[]): Pred => (preds.length === 1 ? preds[0] : (t, r, c) => preds[0](t, r, c) || preds[1](t, r, c));
    const all = (preds: Pred[]): Pred => (preds.length === 1 ? preds[0] : (t, r, c) => preds[0](t, r, c) && preds[1](t, r, c));
    if (t0.kind === 'cmp') {
      next();
      const valTok = next();
      if (valTok.kind !== 'word') return fail(valTok.start, valTok.end, `a value is needed after '${t0.text}'`);
      const v = numberValue(masked ? { ...def, max: undefined } : def, valTok);
      const preds = getters.map((g) => compareNumber(t0.op!, g, v));
      return t0.op === '!=' ? all(preds) : any(preds);
    }
    if (t0.kind === 'in') {
      next();
      const ranges: [number, number][] = setValues().map((tok) => {
        const dots = tok.text.indexOf('..');
        if (dots > 0) {
          const lo = numberValue(def, { ...tok, text: tok.text.slice(0, dots), end: tok.start + dots });
          const hi = numberValue(def, { ...tok, text: tok.text.slice(dots + 2), start: tok.start + dots + 2 });
          return [lo, hi];
        }
        const v = numberValue(def, tok);
        return [v, v];
      });
      // Sorted by start, each range's end raised to the largest end so far: a binary search finds
      // the last range starting at or below x, and x is in the set when it is at most that end
      // (a set of thousands of connection ids, as the overview's marks make, stays fast).
      const sorted = ranges.filter(([lo, hi]) => lo <= hi).sort((x, y) => x[0] - y[0]);
      const starts = sorted.map((r) => r[0]);
      const ends: number[] = [];
      for (const [, hi] of sorted) ends.push(Math.max(hi, ends.length > 0 ? ends[ends.length - 1] : -Infinity));
      const inSet = (x: number): boolean => {
        let lo = 0;
        let hi = starts.length - 1;
        let at = -1;
        while (lo <= hi) {
          const mid = (lo + hi) >> 1;
          if (starts[mid] <= x) {
            at = mid;
            lo = mid + 1;
          } else hi = mid - 1;
        }
        return at >= 0 && x <= ends[at];
      };
      const preds = getters.map((g): Pred => (t, r, c) => inSet(g(t, r, c)));
      return any(preds);
    }
    if (t0.kind === 'word' && /^(contains|matches)$/i.test(t0.text)) {
      return fail(t0.start, t0.end, `'${t0.text}' is not supported here (== != < <= > >= and 'in' are)`);
    }
    if (t0.kind === 'bad') return badToken(t0);
    // Bare: a flag is set; a masked field has a bit set; anything else is present.
    if (masked) return any(getters.map((g): Pred => (t, r, c) => g(t, r, c) > 0));
    if (def.type === 'bool') {
      const g = getters[0];
      return (t, r, c) => g(t, r, c) === 1;
    }
    return any(getters.map((g): Pred => (t, r, c) => g(t, r, c) === g(t, r, c)));
  };

  const test = (): Pred => {
    const tok = next();
    if (tok.kind === 'bad') return badToken(tok);
    if (tok.kind !== 'word') {
      return fail(tok.start, tok.end, tok.kind === 'end' ? 'the filter ends too early: a field is expected' : `a field is expected here, not ${describe(tok)}`);
    }
    const def = lookup(tok);
    if (def.type === 'proto') {
      const t0 = peek();
      if (t0.kind === 'cmp' || t0.kind === 'in' || t0.kind === 'bitand') return fail(t0.start, t0.end, `'${def.name}' is a protocol: compare one of its fields (${def.name}.…)`);
      if (def.name === 'ip') return (t, r) => t.endpoints.list[t.src[r]].ipVersion === 4;
      if (def.name === 'ipv6') return (t, r) => t.endpoints.list[t.src[r]].ipVersion === 6;
      return () => true;
    }
    if (def.type === 'ipv4' || def.type === 'ipv6') return addressPredicate(def, tok);
    return numberPredicate(def);
  };

  const primary = (): Pred => {
    const t = peek();
    if (t.kind === 'lparen') {
      next();
      const e = orExpr();
      const close = next();
      if (close.kind !== 'rparen') fail(close.start, close.end, `')' expected (to close the '(' at ${t.start}), not ${describe(close)}`);
      return e;
    }
    return test();
  };
  const notExpr = (): Pred => {
    if (peek().kind === 'not') {
      next();
      const e = notExpr();
      return (t, r, c) => !e(t, r, c);
    }
    return primary();
  };
  const andExpr = (): Pred => {
    let left = notExpr();
    while (peek().kind === 'and') {
      next();
      const l = left;
      const right = notExpr();
      left = (t, r, c) => l(t, r, c) && right(t, r, c);
    }
    return left;
  };
  const orExpr = (): Pred => {
    let left = andExpr();
    while (peek().kind === 'or') {
      next();
      const l = left;
      const right = andExpr();
      left = (t, r, c) => l(t, r, c) || right(t, r, c);
    }
    return left;
  };

  let pred: Pred | null = null;
  try {
    pred = orExpr();
    const rest = peek();
    if (rest.kind !== 'end') {
      if (rest.kind === 'bad') badToken(rest);
      if (rest.kind === 'rparen') fail(rest.start, rest.end, "')' without a matching '('");
      if (rest.kind === 'cmp') fail(rest.start, rest.end, `'${rest.text}' needs a field on its left`);
      fail(rest.start, text.length, `unexpected ${describe(rest)} after a complete test: join tests with && or ||`);
    }
  } catch (e) {
    if (!(e instanceof Stop)) errors.push({ start: 0, end: Math.max(1, text.length), message: `internal error: ${String(e)}` });
    pred = null;
  }
  if (pred === null || errors.length > 0) return { filter: null, errors };
  const compiled = pred;
  return {
    filter: {
      text,
      fields: [...used],
      usesContext,
      matches: (table, row, ctx = NO_CONTEXT) => compiled(table, row, ctx),
    },
    errors,
  };
}
