/**
 * tcpdump text: `tcpdump -nn` output as people paste it into tickets, read back into segments.
 *
 * Accepted: every timestamp style (`-t` none, default time of day, `-tt` epoch, `-ttt` delta since
 * the previous packet, `-tttt` date and time, `-ttttt` delta since the first packet; micro- or
 * nanosecond digits), IPv4 and IPv6, `-e` link headers (any link layer: the TCP part is found by
 * its `SRC.PORT > DST.PORT: Flags [` anchor, so VLAN tags and `-i any` prefixes pass too), the
 * `-v` two-line form (IPv4 header line, then an indented TCP line; IPv6 `-v` is one line),
 * `-vv` (seq on every segment), payload lines of `-v`/`-A`/`-X`, leading frame numbers, `> `
 * quoting and indentation. Non-TCP lines are counted in `skipped`.
 *
 * Sequence numbers: tcpdump prints relative numbers unless run with `-S`, and its rule is not "the
 * first number of each direction" but this (print-tcp.c, tcp_seq_hash): a segment WITHOUT the ACK
 * flag is always printed absolute; the first segment WITH the ACK flag of a conversation (an
 * unordered 4-tuple), or any segment with SYN+ACK, is printed absolute and records the bases
 * `base[its direction] = its seq` and `base[other direction] = its ack - 1`; every later ACK-bearing
 * segment of the conversation prints `seq - base[own direction]` and `ack - base[other direction]`
 * (mod 2^32). The table is never cleared, so a reused 4-tuple whose SYN-ACK was not captured goes on
 * with the old bases. This parser replays that table to rebuild the raw numbers. Whether a
 * conversation was printed relative or absolute is decided per conversation (from one SYN-ACK to the
 * next) by which reading puts the printed numbers nearer to the bases, unless a `tcpdump ... -S`
 * command line in the text or the `sequenceNumbers` option says so.
 *
 * tcpdump prints no seq for a segment without payload, SYN, FIN or RST (unless `-vv`): such a row
 * gets its sender's next sequence number as the earlier lines show it.
 *
 * Never throws: a line that looks like a TCP segment but cannot be read is a positioned error.
 */

import { parseIPv4, parseIPv6 } from '../model/address';
import {
  ACK,
  AE,
  CWR,
  ECE,
  FIN,
  OPT_MSS,
  OPT_SACK,
  OPT_SACK_PERM,
  OPT_TIMESTAMP,
  OPT_WSCALE,
  PSH,
  RST,
  SegmentTable,
  SegmentView,
  SYN,
  URG,
} from '../model/segment';
import { seqMax } from '../seq';
import { detectTraceFormat } from './detect';
import type { ParseError, TcpdumpInfo, TimestampStyle, TraceParse } from './types';

export { detectTraceFormat } from './detect';

export interface TcpdumpOptions {
  /** How to read sequence numbers: per conversation by evidence (default), or forced. */
  sequenceNumbers?: 'auto' | 'relative' | 'absolute';
  /**
   * How to read `HH:MM:SS.ffffff` timestamps: 'auto' (default) tells the time of day from the
   * `-ttt` / `-ttttt` deltas (a first value of 00:00:00.000000, a leading sign column, negative or
   * 24+ hour values; deltas that never decrease are read as since-first).
   */
  clock?: 'auto' | 'time-of-day' | 'delta' | 'since-first';
}

const TS_NONE = 0;
const TS_EPOCH = 1;
const TS_DATE = 2;
const TS_HMS = 3;

const MODE_FIXED = 0; // printed absolute whatever the flags (no ACK flag)
const MODE_CREATE = 1; // first ACK-bearing segment of a conversation, or SYN+ACK: absolute
const MODE_LATER = 2; // later ACK-bearing segment: relative unless -S

/** One packet line as printed, before the numbers are made absolute. */
interface Rec {
  line: number;
  v: 4 | 6;
  src: Uint8Array;
  dst: Uint8Array;
  sport: number;
  dport: number;
  key: string;
  /** Small integer id of `key`. */
  keyId: number;
  dir: 0 | 1;
  flags: number;
  hasSeq: boolean;
  seq: number;
  hasAck: boolean;
  ack: number;
  win: number;
  len: number;
  opts: number;
  mss: number;
  wscale: number;
  tsVal: number;
  tsEcr: number;
  sackBlocks: number;
  /** IPv4 TTL / IPv6 hop limit from -v output (0: not printed); IPv4 id (-1: not printed). */
  ttl: number;
  ipId: number;
  tsKind: number;
  tsSec: number;
  tsNsec: number;
  tsNeg: boolean;
  /** The timestamp stood at column 1 after one space: tcpdump's sign column of -ttt / -ttttt. */
  signColumn: boolean;
  region: number;
  mode: number;
  conv: number;
}

/** What a `tcpdump ...` command line in the text says. */
interface Hint {
  absolute: boolean;
  tCount: number;
}

interface Conversation {
  /** tcpdump's bases per direction (dir 0 / 1 of the key); NaN until known. */
  base: [number, number];
  /** Continuity scores of the two readings, and nearness votes (tie-breaker). */
  scoreRel: number;
  scoreAbs: number;
  nearRel: number;
  nearAbs: number;
  /** Lines printed relative to the bases (when tcpdump ran without -S). */
  later: number;
  region: number;
  absolute: boolean;
  /** Each direction's next sequence number under each reading. */
  nxtRel: number[];
  nxtAbs: number[];
}

const FLAG_LETTERS: Record<string, number> = {
  F: FIN,
  S: SYN,
  R: RST,
  P: PSH,
  '.': ACK,
  U: URG,
  E: ECE,
  W: CWR,
  e: AE,
};

/** Service names tcpdump prints for ports with `-n` (one n) on a typical /etc/services. */
const SERVICES: Record<string, number> = {
  ftp: 21,
  'ftp-data': 20,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  http: 80,
  www: 80,
  pop3: 110,
  sunrpc: 111,
  imap: 143,
  imap2: 143,
  bgp: 179,
  ldap: 389,
  https: 443,
  microsoft_ds: 445,
  'microsoft-ds': 445,
  submission: 587,
  ldaps: 636,
  imaps: 993,
  pop3s: 995,
  mysql: 3306,
  postgresql: 5432,
  'http-alt': 8080,
  webcache: 8080,
  'redis': 6379,
};

// ---------------------------------------------------------------------------------------------
// Regular expressions (sticky ones are used with lastIndex to avoid slicing)

const QUIET_TCP = /(?:^|\s)\S+\.[0-9A-Za-z-]+ > \S+\.[0-9A-Za-z-]+: tcp \d+/;
/** TTL and id of a -v IPv4 header line ("(tos 0x0, ttl 64, id 4242, offset 0, ..."). */
const V_TTL_ID = /\bttl (\d+)(?:, id (\d+))?/;
/** Hop limit of a -v IPv6 packet line. */
const V6_HLIM = /\bhlim (\d+)/;
const V_HEADER = /\((?:tos 0x[0-9a-fA-F]+,[^]*?)\bproto ([\w-]+) \((\d+)\)/;
const TOKEN = /\S+/g;
const RE_DATE = /^(\d{4})-(\d\d)-(\d\d)$/;
const RE_TIME = /^(\d{1,2}):(\d\d):(\d\d)(?:\.(\d+))?$/;
const RE_ISO = /^(\d{4})-(\d\d)-(\d\d)T(\d{1,2}):(\d\d):(\d\d)(?:\.(\d+))?Z?$/;
const RE_HMS = /^(-)?(\d+):(\d\d):(\d\d)\.(\d+)$/;
const RE_EPOCH = /^(\d+)\.(\d+)$/;
const WORD = /[A-Za-z]+/y;
const NUM = /\d+/y;
const CKSUM = /\s*0x[0-9a-fA-F]+(?:\s*\((?:correct|incorrect[^)]*)\))?/y;
const COMMAND = /(?:^|[\s$#>:;])(?:sudo\s+)?tcpdump\s+(-.*)$/;
const COMMENT = /^\s*(?:#|\/\/)/;

const MAX_U32 = 0xffff_ffff;

/** Nanoseconds from fraction digits (more than nine digits are truncated). */
function fracNs(digits: string | undefined): number {
  if (digits === undefined || digits === '') return 0;
  const d = digits.length >= 9 ? digits.slice(0, 9) : digits.padEnd(9, '0');
  return Number(d);
}

function parseHint(args: string): Hint {
  const hint: Hint = { absolute: false, tCount: 0 };
  // Options of tcpdump that take an argument: the rest of a group is that argument.
  const withArg = 'BcCEFGiIjMmrsTVwWyzZQ';
  for (const a of args.split(/\s+/)) {
    if (a === '--absolute-tcp-sequence-numbers') hint.absolute = true;
    else if (a.startsWith('--')) continue;
    else if (a.startsWith('-')) {
      for (let i = 1; i < a.length; i++) {
        const c = a[i];
        if (c === 't') hint.tCount++;
        else if (c === 'S') hint.absolute = true;
        else if (withArg.includes(c)) break;
      }
    }
  }
  return hint;
}

/**
 * Parses tcpdump text. Never throws.
 */
export function parseTcpdump(text: string, options: TcpdumpOptions = {}): TraceParse {
  const errors: ParseError[] = [];
  const recs: Rec[] = [];
  const hints: (Hint | null)[] = [null];
  let skipped = 0;
  const cache: ParseCache = { addrs: new Map(), keys: new Map() };
  try {
    const lines = text.split(/\r\n|\n|\r/);
    // -v state: the previous line was an IP header line ("(tos ..., proto X (n), length n)").
    let pendingHeader: { line: number; proto: string; kind: number; sec: number; nsec: number; neg: boolean; sign: boolean; ttl: number; ipId: number } | null = null;
    let inPacket = false; // the previous non-blank line belonged to a packet (for payload lines)
    for (let ln = 0; ln < lines.length; ln++) {
      const line = lines[ln];
      if (line.trim() === '') continue;
      const flagsAt = line.indexOf('Flags [');
      if (flagsAt < 0) {
        if (COMMENT.test(line) || !line.includes(' > ')) {
          const cmd = COMMAND.exec(line);
          if (cmd !== null) {
            hints.push(parseHint(cmd[1]));
            pendingHeader = null;
            inPacket = false;
            continue;
          }
        }
        if (COMMENT.test(line)) continue;
        const vh = V_HEADER.exec(line);
        if (vh !== null && !/ > \S+:/.test(line.slice(vh.index + vh[0].length))) {
          const ts = scanTime(line, vh.index);
          const ip = V_TTL_ID.exec(line);
          pendingHeader = {
            ttl: ip === null ? 0 : Math.min(255, Number(ip[1])),
            ipId: ip === null || ip[2] === undefined ? -1 : Number(ip[2]) & 0xffff,
            line: ln,
            proto: vh[1],
            kind: ts.kind,
            sec: ts.sec,
            nsec: ts.nsec,
            neg: ts.neg,
            sign: ts.sign,
          };
          if (vh[1] !== 'TCP') skipped++;
          inPacket = true;
          continue;
        }
        const header = pendingHeader;
        pendingHeader = null;
        if (header !== null && /^\s/.test(line)) {
          // The second line of a -v packet whose TCP part could not be found.
          if (header.proto === 'TCP' && /\S\.[0-9A-Za-z-]+ > \S+\.[0-9A-Za-z-]+:/.test(line)) {
            const start = line.search(/\S/);
            errors.push({ line: ln, startCol: start, endCol: line.length, message: 'the IP header line above says TCP, but this line has no "Flags [...]"' });
          } else if (header.proto === 'TCP') {
            skipped++; // a non-first fragment or a truncated header
          }
          continue;
        }
        if (QUIET_TCP.test(line)) {
          const m = / tcp \d+/.exec(line);
          const start = m === null ? 0 : m.index + 1;
          errors.push({
            line: ln,
            startCol: start,
            endCol: m === null ? line.length : start + m[0].length - 1,
            message: 'tcpdump -q output has no TCP flags or sequence numbers: capture the text without -q',
          });
          inPacket = true;
          continue;
        }
        if (inPacket && /^\s/.test(line) && scanTime(line, line.length).kind === TS_NONE) continue; // payload
        skipped++;
        inPacket = /\S\.?\S* > \S+: /.test(line);
        continue;
      }
      const header = pendingHeader;
      pendingHeader = null;
      inPacket = true;
      const r = parsePacket(line, ln, flagsAt, errors, cache);
      if (r === null) continue;
      if (header !== null && header.proto === 'TCP') {
        r.ttl = header.ttl;
        r.ipId = header.ipId;
      } else {
        // IPv6 -v prints its header on the packet's own line: "IP6 (flowlabel ..., hlim 64, ...".
        const h = V6_HLIM.exec(line.slice(0, flagsAt));
        if (h !== null) r.ttl = Math.min(255, Number(h[1]));
      }
      if (r.tsKind === TS_NONE && header !== null && header.proto === 'TCP') {
        r.tsKind = header.kind;
        r.tsSec = header.sec;
        r.tsNsec = header.nsec;
        r.tsNeg = header.neg;
        r.signColumn = header.sign;
      }
      r.region = hints.length - 1;
      recs.push(r);
    }
  } catch (e) {
    // A parser bug must not take the editor down: report it on the first line.
    errors.push({ line: 0, startCol: 0, endCol: 1, message: `internal error while reading tcpdump text: ${String(e)}` });
  }

  const table = new SegmentTable(Math.max(16, recs.length));
  const info: TcpdumpInfo = { timestamps: 'none', relativeConversations: 0, absoluteConversations: 0, inferredSeq: 0, unknownBases: 0, probes: 0 };
  try {
    info.timestamps = resolveTimes(recs, hints, options);
    const convs = replaySeqTable(recs);
    decideModes(convs, hints, options, info);
    fillTable(recs, convs, table, info, cache.keys.size);
  } catch (e) {
    errors.push({ line: 0, startCol: 0, endCol: 1, message: `internal error while reading tcpdump text: ${String(e)}` });
  }
  return {
    format: 'tcpdump',
    table,
    errors,
    skipped,
    steps: undefined,
    firstLineLooksLike: detectTraceFormat(firstLinesOf(text)),
    tcpdump: info,
  };
}

function firstLinesOf(text: string): string {
  return text.length > 4096 ? text.slice(0, 4096) : text;
}

// ---------------------------------------------------------------------------------------------
// Timestamps

interface TimeToken {
  kind: number;
  sec: number;
  nsec: number;
  neg: boolean;
  sign: boolean;
}

/** Finds the first timestamp token in line[0, end) (frame numbers, quoting and the like pass). */
function scanTime(line: string, end: number): TimeToken {
  const prefix = line.slice(0, end);
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = TOKEN.exec(prefix)) !== null) {
    const tok = m[0];
    let x = RE_HMS.exec(tok);
    if (x !== null) {
      return {
        kind: TS_HMS,
        sec: Number(x[2]) * 3600 + Number(x[3]) * 60 + Number(x[4]),
        nsec: fracNs(x[5]),
        neg: x[1] === '-',
        sign: m.index === 1 && prefix[0] === ' ',
      };
    }
    x = RE_DATE.exec(tok);
    if (x !== null) {
      const at = TOKEN.lastIndex;
      const next = TOKEN.exec(prefix);
      const t = next === null ? null : RE_TIME.exec(next[0]);
      if (t !== null) {
        const ms = Date.UTC(Number(x[1]), Number(x[2]) - 1, Number(x[3]), Number(t[1]), Number(t[2]), Number(t[3]));
        return { kind: TS_DATE, sec: ms / 1000, nsec: fracNs(t[4]), neg: false, sign: false };
      }
      TOKEN.lastIndex = at;
      continue;
    }
    x = RE_ISO.exec(tok);
    if (x !== null) {
      const ms = Date.UTC(Number(x[1]), Number(x[2]) - 1, Number(x[3]), Number(x[4]), Number(x[5]), Number(x[6]));
      return { kind: TS_DATE, sec: ms / 1000, nsec: fracNs(x[7]), neg: false, sign: false };
    }
    x = RE_EPOCH.exec(tok);
    if (x !== null) {
      return { kind: TS_EPOCH, sec: Number(x[1]), nsec: fracNs(x[2]), neg: false, sign: false };
    }
  }
  return { kind: TS_NONE, sec: NaN, nsec: 0, neg: false, sign: false };
}

/** Turns the printed times into tsSec/tsNsec in place; returns the style found. */
function resolveTimes(recs: Rec[], hints: (Hint | null)[], options: TcpdumpOptions): TimestampStyle | 'mixed' {
  const styles = new Set<TimestampStyle>();
  // HH:MM:SS values are read per region (a region starts at each tcpdump command line).
  for (let region = 0; region < hints.length; region++) {
    const hms: Rec[] = [];
    for (const r of recs) if (r.region === region && r.tsKind === TS_HMS) hms.push(r);
    if (hms.length === 0) continue;
    let clock: 'time-of-day' | 'delta' | 'since-first';
    const hint = hints[region];
    if (options.clock !== undefined && options.clock !== 'auto') clock = options.clock;
    else if (hint !== null && hint.tCount === 3) clock = 'delta';
    else if (hint !== null && hint.tCount === 5) clock = 'since-first';
    else if (hint !== null && hint.tCount === 0) clock = 'time-of-day';
    else {
      const deltaFamily =
        hms.some((r) => r.tsNeg || r.tsSec >= 86400) || (hms[0].tsSec === 0 && hms[0].tsNsec === 0) || hms[0].signColumn;
      if (!deltaFamily) clock = 'time-of-day';
      else {
        let monotonic = true;
        for (let i = 1; i < hms.length && monotonic; i++) {
          const a = hms[i - 1];
          const b = hms[i];
          if (b.tsNeg || b.tsSec < a.tsSec || (b.tsSec === a.tsSec && b.tsNsec < a.tsNsec)) monotonic = false;
        }
        clock = monotonic ? 'since-first' : 'delta';
      }
    }
    if (clock === 'time-of-day') {
      styles.add('time-of-day');
      let day = 0;
      let prev = -1;
      for (const r of hms) {
        if (prev >= 0 && r.tsSec + 43200 < prev) day += 86400; // past midnight
        prev = r.tsSec;
        r.tsSec += day;
      }
    } else if (clock === 'since-first') {
      styles.add('since-first');
      for (const r of hms) {
        if (r.tsNeg) negate(r);
      }
    } else {
      styles.add('delta');
      let sec = 0;
      let nsec = 0;
      for (const r of hms) {
        if (r.tsNeg) {
          sec -= r.tsSec;
          nsec -= r.tsNsec;
          if (nsec < 0) {
            nsec += 1_000_000_000;
            sec -= 1;
          }
        } else {
          sec += r.tsSec;
          nsec += r.tsNsec;
          if (nsec >= 1_000_000_000) {
            nsec -= 1_000_000_000;
            sec += 1;
          }
        }
        r.tsSec = sec;
        r.tsNsec = nsec;
      }
    }
  }
  for (const r of recs) {
    if (r.tsKind === TS_EPOCH) styles.add('epoch');
    else if (r.tsKind === TS_DATE) styles.add('date');
    else if (r.tsKind === TS_NONE) styles.add('none');
  }
  if (styles.size === 0) return 'none';
  if (styles.size > 1) return 'mixed';
  return [...styles][0];
}

function negate(r: Rec): void {
  if (r.tsNsec === 0) r.tsSec = -r.tsSec;
  else {
    r.tsSec = -r.tsSec - 1;
    r.tsNsec = 1_000_000_000 - r.tsNsec;
  }
}

// ---------------------------------------------------------------------------------------------
// One packet line

function parseAddress(text: string, out: Uint8Array): 4 | 6 | 0 {
  out.fill(0);
  if (text.includes(':')) {
    const t = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
    return parseIPv6(t, out) ? 6 : 0;
  }
  return parseIPv4(text, out) ? 4 : 0;
}

function parsePort(text: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n <= 65535 ? n : -1;
  }
  const s = SERVICES[text];
  return s === undefined ? -1 : s;
}

const ADDR_CHARS = /^[0-9A-Za-z:.%_[\]-]+$/;
const PORT_CHARS = /^[0-9A-Za-z_-]+$/;

/**
 * `SRC.PORT > DST.PORT:` just before `Flags [` (the innermost pair when headers are nested), as
 * [_, src, sport, dst, dport] with the column range of each; null when the line has none.
 */
function findAddresses(line: string, flagsAt: number): { [k: number]: string; ix: [number, number][] } | null {
  let e = flagsAt;
  while (e > 0 && line[e - 1] === ' ') e--;
  if (e === 0 || line[e - 1] !== ':') return null;
  const colon = e - 1;
  const gt = line.lastIndexOf(' > ', colon);
  if (gt < 0) return null;
  let s = gt;
  while (s > 0 && line[s - 1] !== ' ' && line[s - 1] !== '\t' && line[s - 1] !== '(') s--;
  const a = line.slice(s, gt);
  const b = line.slice(gt + 3, colon);
  const da = a.lastIndexOf('.');
  const db = b.lastIndexOf('.');
  if (da <= 0 || db <= 0 || da === a.length - 1 || db === b.length - 1) return null;
  const out: { [k: number]: string; ix: [number, number][] } = {
    0: line.slice(s, colon + 1),
    1: a.slice(0, da),
    2: a.slice(da + 1),
    3: b.slice(0, db),
    4: b.slice(db + 1),
    ix: [
      [s, colon + 1],
      [s, s + da],
      [s + da + 1, gt],
      [gt + 3, gt + 3 + db],
      [gt + 3 + db + 1, colon],
    ],
  };
  if (!ADDR_CHARS.test(out[1]) || !ADDR_CHARS.test(out[3]) || !PORT_CHARS.test(out[2]) || !PORT_CHARS.test(out[4])) return null;
  return out;
}

/** Per-parse caches: parsed addresses (they repeat on every line), 4-tuple ids. */
interface ParseCache {
  addrs: Map<string, { v: 4 | 6 | 0; bytes: Uint8Array }>;
  keys: Map<string, number>;
}

function cachedAddress(cache: ParseCache, text: string): { v: 4 | 6 | 0; bytes: Uint8Array } {
  let a = cache.addrs.get(text);
  if (a === undefined) {
    const bytes = new Uint8Array(16);
    a = { v: parseAddress(text, bytes), bytes };
    cache.addrs.set(text, a);
  }
  return a;
}

function parsePacket(line: string, ln: number, flagsAt: number, errors: ParseError[], cache: ParseCache): Rec | null {
  const err = (start: number, end: number, message: string): null => {
    errors.push({ line: ln, startCol: start, endCol: Math.max(end, start + 1), message });
    return null;
  };
  const am = findAddresses(line, flagsAt);
  if (am === null) {
    const start = Math.max(0, line.search(/\S/));
    return err(start, Math.max(flagsAt, start + 1), 'expected "SRC.PORT > DST.PORT:" before "Flags [...]"');
  }
  const ix = am.ix;
  const sa = cachedAddress(cache, am[1]);
  const da = cachedAddress(cache, am[3]);
  const src = sa.bytes;
  const dst = da.bytes;
  const vs = sa.v;
  if (vs === 0) {
    return err(ix[1][0], ix[1][1], `'${am[1]}' is not a numeric IPv4 or IPv6 address (run tcpdump with -nn)`);
  }
  const vd = da.v;
  if (vd === 0) {
    return err(ix[3][0], ix[3][1], `'${am[3]}' is not a numeric IPv4 or IPv6 address (run tcpdump with -nn)`);
  }
  if (vs !== vd) return err(ix[1][0], ix[3][1], 'the source and destination addresses are not of the same IP version');
  const sport = parsePort(am[2]);
  if (sport < 0) return err(ix[2][0], ix[2][1], `'${am[2]}' is not a port number (run tcpdump with -nn)`);
  const dport = parsePort(am[4]);
  if (dport < 0) return err(ix[4][0], ix[4][1], `'${am[4]}' is not a port number (run tcpdump with -nn)`);

  // Flags [...]
  const open = flagsAt + 7;
  const close = line.indexOf(']', open);
  if (close < 0) return err(flagsAt, line.length, 'unterminated "Flags [" (missing "]")');
  let flags = 0;
  const letters = line.slice(open, close);
  if (letters !== 'none') {
    for (let i = 0; i < letters.length; i++) {
      const f = FLAG_LETTERS[letters[i]];
      if (f === undefined) {
        return err(open + i, open + i + 1, `unknown TCP flag letter '${letters[i]}' (tcpdump prints F S R P . U E W e)`);
      }
      flags |= f;
    }
  }

  const r: Rec = {
    line: ln,
    v: vs,
    src,
    dst,
    sport,
    dport,
    key: '',
    keyId: 0,
    dir: 0,
    flags,
    hasSeq: false,
    seq: 0,
    hasAck: false,
    ack: 0,
    win: 0,
    len: 0,
    opts: 0,
    mss: 0,
    wscale: 0,
    tsVal: 0,
    tsEcr: 0,
    sackBlocks: 0,
    ttl: 0,
    ipId: -1,
    tsKind: TS_NONE,
    tsSec: NaN,
    tsNsec: 0,
    tsNeg: false,
    signColumn: false,
    region: 0,
    mode: MODE_FIXED,
    conv: -1,
  };
  // The conversation key: the unordered 4-tuple.
  const ka = `${am[1].toLowerCase()}.${sport}`;
  const kb = `${am[3].toLowerCase()}.${dport}`;
  if (ka <= kb) {
    r.key = `${ka}>${kb}`;
    r.dir = 0;
  } else {
    r.key = `${kb}>${ka}`;
    r.dir = 1;
  }
  let id = cache.keys.get(r.key);
  if (id === undefined) {
    id = cache.keys.size;
    cache.keys.set(r.key, id);
  }
  r.keyId = id;

  // Timestamp: the first timestamp token before the addresses.
  const ts = scanTime(line, ix[1][0]);
  r.tsKind = ts.kind;
  r.tsSec = ts.sec;
  r.tsNsec = ts.nsec;
  r.tsNeg = ts.neg;
  r.signColumn = ts.sign;

  // Fields: ", cksum 0x... (correct), seq A[:B], ack N, win N, urg N, options [...], length N".
  let seqEnd = -1;
  let hasLen = false;
  let i = close + 1;
  const n = line.length;
  const readNum = (kwStart: number, kw: string): number => {
    while (i < n && line[i] === ' ') i++;
    NUM.lastIndex = i;
    const m = NUM.exec(line);
    if (m === null) {
      const end = line.indexOf(',', i);
      err(kwStart, end < 0 ? n : end, `expected a number after '${kw}'`);
      return -1;
    }
    i = NUM.lastIndex;
    const v = Number(m[0]);
    if (v > MAX_U32) {
      err(m.index, i, `'${m[0]}' is larger than 2^32 - 1`);
      return -1;
    }
    return v;
  };
  fields: while (i < n) {
    while (i < n && (line[i] === ',' || line[i] === ' ')) i++;
    if (i >= n) break;
    WORD.lastIndex = i;
    const w = WORD.exec(line);
    if (w === null) break; // "[|tcp]", "[bad hdr length ...]": the rest is not ours
    const kwStart = i;
    const kw = w[0];
    i = WORD.lastIndex;
    switch (kw) {
      case 'cksum': {
        CKSUM.lastIndex = i;
        if (CKSUM.exec(line) !== null) i = CKSUM.lastIndex;
        break;
      }
      case 'seq': {
        const v = readNum(kwStart, kw);
        if (v < 0) return null;
        r.hasSeq = true;
        r.seq = v;
        if (line[i] === ':') {
          i++;
          const e = readNum(kwStart, kw);
          if (e < 0) return null;
          seqEnd = e;
        }
        break;
      }
      case 'ack': {
        const v = readNum(kwStart, kw);
        if (v < 0) return null;
        r.hasAck = true;
        r.ack = v;
        break;
      }
      case 'win': {
        const v = readNum(kwStart, kw);
        if (v < 0) return null;
        r.win = v;
        break;
      }
      case 'urg': {
        if (readNum(kwStart, kw) < 0) return null;
        break;
      }
      case 'options': {
        while (i < n && line[i] === ' ') i++;
        if (line[i] !== '[') return err(kwStart, i + 1, "expected '[' after 'options'");
        let depth = 0;
        let j = i;
        for (; j < n; j++) {
          if (line[j] === '[') depth++;
          else if (line[j] === ']' && --depth === 0) break;
        }
        if (j >= n) return err(kwStart, n, "unterminated 'options [' (missing ']')");
        readOptions(line.slice(i + 1, j), r);
        i = j + 1;
        break;
      }
      case 'length': {
        const v = readNum(kwStart, kw);
        if (v < 0) return null;
        r.len = v;
        hasLen = true;
        break fields; // what follows is the payload's own printing
      }
      default:
        break fields;
    }
  }
  if (!hasLen && seqEnd >= 0) r.len = (seqEnd - r.seq) >>> 0;
  return r;
}

function readOptions(body: string, r: Rec): void {
  let depth = 0;
  let start = 0;
  const one = (s: string): void => {
    const o = s.trim();
    let m: RegExpExecArray | null;
    if ((m = /^mss (\d+)/.exec(o)) !== null) {
      r.opts |= OPT_MSS;
      r.mss = Math.min(65535, Number(m[1]));
    } else if ((m = /^wscale (\d+)/.exec(o)) !== null) {
      r.opts |= OPT_WSCALE;
      r.wscale = Math.min(255, Number(m[1]));
    } else if (o === 'sackOK') {
      r.opts |= OPT_SACK_PERM;
    } else if ((m = /^TS val (\d+) ecr (\d+)/.exec(o)) !== null) {
      r.opts |= OPT_TIMESTAMP;
      r.tsVal = Number(m[1]) >>> 0;
      r.tsEcr = Number(m[2]) >>> 0;
    } else if ((m = /^sack (\d+)/.exec(o)) !== null) {
      r.opts |= OPT_SACK;
      r.sackBlocks = Math.min(255, Number(m[1]));
    }
  };
  for (let k = 0; k < body.length; k++) {
    const c = body[k];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth <= 0) {
      one(body.slice(start, k));
      start = k + 1;
    }
  }
  one(body.slice(start));
}

// ---------------------------------------------------------------------------------------------
// Relative -> absolute

/**
 * Replays tcpdump's tcp_seq_hash over the lines: assigns each line its mode and conversation, and
 * scores, per conversation, the two readings of its later lines (relative or -S absolute).
 *
 * The score is TCP continuity: under the right reading a segment's seq is where its sender left off
 * and its ack is where the peer left off (exact: 2 points; a little behind, as retransmissions and
 * acks of data in flight are: 1 point). Under the wrong reading every number is off by the base, a
 * random 32-bit number. Nearness of the printed numbers to zero or to the bases breaks ties (ISNs
 * near zero or near 2^32 make that alone unreliable, so it only breaks ties).
 */
function replaySeqTable(recs: Rec[]): Conversation[] {
  const convs: Conversation[] = [];
  const current = new Map<string, number>();
  const WINDOW = 1 << 20;
  const score = (nxt: number, v: number): number => {
    if (Number.isNaN(nxt)) return 0;
    const d = (v - nxt) | 0;
    return d === 0 ? 2 : d < 0 && d > -WINDOW ? 1 : 0;
  };
  const advance = (nxt: number[], dir: number, seq: number, space: number): void => {
    const end = (seq + space) >>> 0;
    nxt[dir] = Number.isNaN(nxt[dir]) ? end : seqMax(nxt[dir], end);
  };
  for (const r of recs) {
    const space = r.len + ((r.flags & SYN) !== 0 ? 1 : 0) + ((r.flags & FIN) !== 0 ? 1 : 0);
    const c0 = current.get(r.key);
    if ((r.flags & ACK) === 0) {
      r.mode = MODE_FIXED;
      if (c0 !== undefined && r.hasSeq) {
        const conv = convs[c0];
        advance(conv.nxtRel, r.dir, r.seq, space);
        advance(conv.nxtAbs, r.dir, r.seq, space);
      }
      continue;
    }
    if (c0 === undefined || (r.flags & SYN) !== 0) {
      const conv: Conversation = {
        base: [NaN, NaN],
        scoreRel: 0,
        scoreAbs: 0,
        nearRel: 0,
        nearAbs: 0,
        later: 0,
        region: r.region,
        absolute: false,
        nxtRel: [NaN, NaN],
        nxtAbs: [NaN, NaN],
      };
      conv.base[r.dir] = r.hasSeq ? r.seq : NaN; // NaN: a pure ACK; its inferred seq, later
      conv.base[1 - r.dir] = r.hasAck ? (r.ack - 1) >>> 0 : NaN;
      if (r.hasSeq) {
        advance(conv.nxtRel, r.dir, r.seq, space);
        advance(conv.nxtAbs, r.dir, r.seq, space);
      }
      if (r.hasAck) conv.nxtRel[1 - r.dir] = conv.nxtAbs[1 - r.dir] = r.ack;
      r.mode = MODE_CREATE;
      r.conv = convs.length;
      current.set(r.key, convs.length);
      convs.push(conv);
      continue;
    }
    r.mode = MODE_LATER;
    r.conv = c0;
    const conv = convs[c0];
    conv.later++;
    const own = conv.base[r.dir];
    const peer = conv.base[1 - r.dir];
    const near = (printed: number, base: number): void => {
      if (Number.isNaN(base)) return;
      const dRel = Math.abs(printed | 0);
      const dAbs = Math.abs((printed - base) | 0);
      if (dRel < dAbs) conv.nearRel++;
      else if (dAbs < dRel) conv.nearAbs++;
    };
    if (r.hasSeq) {
      near(r.seq, own);
      const rel = (r.seq + (Number.isNaN(own) ? 0 : own)) >>> 0;
      conv.scoreRel += score(conv.nxtRel[r.dir], rel);
      conv.scoreAbs += score(conv.nxtAbs[r.dir], r.seq);
      advance(conv.nxtRel, r.dir, rel, space);
      advance(conv.nxtAbs, r.dir, r.seq, space);
    }
    if (r.hasAck) {
      near(r.ack, peer);
      const rel = (r.ack + (Number.isNaN(peer) ? 0 : peer)) >>> 0;
      conv.scoreRel += score(conv.nxtRel[1 - r.dir], rel);
      conv.scoreAbs += score(conv.nxtAbs[1 - r.dir], r.ack);
    }
  }
  return convs;
}

function decideModes(convs: Conversation[], hints: (Hint | null)[], options: TcpdumpOptions, info: TcpdumpInfo): void {
  for (const c of convs) {
    const hint = hints[c.region];
    if (options.sequenceNumbers === 'absolute') c.absolute = true;
    else if (options.sequenceNumbers === 'relative') c.absolute = false;
    else if (hint !== null) c.absolute = hint.absolute;
    else if (c.scoreAbs !== c.scoreRel) c.absolute = c.scoreAbs > c.scoreRel;
    else c.absolute = c.nearAbs > c.nearRel;
    if (c.later === 0) continue; // nothing was printed relative to anything
    if (c.absolute) info.absoluteConversations++;
    else info.relativeConversations++;
  }
}

function fillTable(recs: Rec[], convs: Conversation[], table: SegmentTable, info: TcpdumpInfo, tuples: number): void {
  const n = recs.length;
  const seqs = new Float64Array(n);
  const acks = new Float64Array(n);
  // Per direction of a 4-tuple (2 * keyId + dir): the next sequence number the sender has shown,
  // and its last ack; NaN until known.
  const nxt = new Float64Array(2 * tuples).fill(NaN);
  const lastAck = new Float64Array(2 * tuples).fill(NaN);
  // Pure ACKs whose seq nothing before them tells: filled from their sender's next segment.
  const unknown: number[] = [];
  const unknownBase = new Set<Conversation>();
  const dirKeys = new Int32Array(n);
  // The ack each row's sender had sent before it (NaN: none), for the keepalive test below.
  const prevAck = new Float64Array(n).fill(NaN);
  for (let i = 0; i < n; i++) {
    const r = recs[i];
    const dirKey = 2 * r.keyId + r.dir;
    dirKeys[i] = dirKey;
    const peerKey = 2 * r.keyId + 1 - r.dir;
    const conv = r.conv >= 0 ? convs[r.conv] : null;
    const relative = r.mode === MODE_LATER && conv !== null && !conv.absolute;
    let seq: number;
    if (r.hasSeq) {
      if (relative && conv !== null) {
        if (Number.isNaN(conv.base[r.dir])) {
          // tcpdump's base was a seq it never printed: the numbers stay as printed (relative).
          conv.base[r.dir] = 0;
          unknownBase.add(conv);
        }
        seq = (r.seq + conv.base[r.dir]) >>> 0;
      } else seq = r.seq;
    } else {
      info.inferredSeq++;
      const own = nxt[dirKey];
      const peer = lastAck[peerKey];
      if (!Number.isNaN(own) && (Number.isNaN(peer) || Math.abs((peer - own) | 0) <= 1 << 20)) seq = own;
      else if (!Number.isNaN(peer)) seq = peer; // the peer's view is newer (a new incarnation)
      else if (conv !== null && !Number.isNaN(conv.base[r.dir])) seq = conv.base[r.dir];
      else {
        seq = 0;
        unknown.push(i);
        // In relative text, tcpdump's base for this direction is this unprinted seq.
        if (r.mode === MODE_CREATE && conv !== null && !conv.absolute && conv.later > 0) unknownBase.add(conv);
      }
      if (r.mode === MODE_CREATE && conv !== null && Number.isNaN(conv.base[r.dir])) conv.base[r.dir] = seq;
    }
    let ack = 0;
    if (r.hasAck) {
      if (relative && conv !== null) {
        if (Number.isNaN(conv.base[1 - r.dir])) {
          conv.base[1 - r.dir] = 0;
          unknownBase.add(conv);
        }
        ack = (r.ack + conv.base[1 - r.dir]) >>> 0;
      } else ack = r.ack;
      prevAck[i] = lastAck[dirKey];
      lastAck[dirKey] = ack;
    }
    if ((r.flags & (SYN | ACK)) === SYN) {
      // A new incarnation of the 4-tuple: what the peer sent before belongs to the old one.
      nxt[peerKey] = NaN;
      lastAck[peerKey] = NaN;
    }
    const space = r.len + ((r.flags & SYN) !== 0 ? 1 : 0) + ((r.flags & FIN) !== 0 ? 1 : 0);
    const end = (seq + space) >>> 0;
    const prev = nxt[dirKey];
    // A SYN starts the direction afresh (a new incarnation of the 4-tuple).
    nxt[dirKey] = Number.isNaN(prev) || (r.flags & SYN) !== 0 ? end : seqMax(prev, end);
    seqs[i] = seq;
    acks[i] = ack;
  }
  // Keepalives and zero-window probes: a pure ACK that acknowledges nothing new, sent when the peer
  // had sent nothing to answer, and answered at once by a pure ACK from the peer that acknowledges
  // nothing new either. A pure ACK at snd.nxt is never answered (ACKs are not acknowledged); one
  // below the window is, so it carried snd.nxt - 1 (RFC 9293 3.8.4; Linux sends both probes that
  // way). tcpdump prints neither's seq without -vv.
  const nextOfKey = new Int32Array(n).fill(-1);
  const seen = new Int32Array(tuples).fill(-1);
  for (let i = n - 1; i >= 0; i--) {
    nextOfKey[i] = seen[recs[i].keyId];
    seen[recs[i].keyId] = i;
  }
  const pureAck = (r: Rec): boolean => (r.flags & (SYN | FIN | RST | ACK)) === ACK && r.len === 0 && r.hasAck;
  // Per row: its sender's previous segment on the connection, the connection's previous row, and
  // whether the peer sent only pure ACKs in between (nothing a probe could be answering).
  const prevOfDir = new Int32Array(n).fill(-1);
  const prevOfKey = new Int32Array(n).fill(-1);
  const quiet = new Uint8Array(n);
  {
    const lastOfDir = new Int32Array(2 * tuples).fill(-1);
    const lastOfKey = new Int32Array(tuples).fill(-1);
    const peerSpoke = new Uint8Array(2 * tuples); // the peer sent more than pure ACKs since this direction's last segment
    for (let i = 0; i < n; i++) {
      const r = recs[i];
      const dirKey = dirKeys[i];
      prevOfDir[i] = lastOfDir[dirKey];
      prevOfKey[i] = lastOfKey[r.keyId];
      quiet[i] = prevOfDir[i] >= 0 && peerSpoke[dirKey] === 0 ? 1 : 0;
      lastOfDir[dirKey] = i;
      lastOfKey[r.keyId] = i;
      peerSpoke[dirKey] = 0;
      if (!pureAck(r)) peerSpoke[dirKey ^ 1] = 1;
    }
  }
  const answer = new Uint8Array(n); // an answer to a probe is not a probe itself
  const probe = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const r = recs[i];
    const j = nextOfKey[i];
    if (r.hasSeq || answer[i] === 1 || !pureAck(r) || j < 0 || !quiet[i]) continue;
    const q = recs[j];
    if (q.dir === r.dir || !pureAck(q)) continue;
    if (acks[i] !== prevAck[i] || acks[j] !== prevAck[j] || acks[j] !== seqs[i]) continue;
    seqs[i] = (seqs[i] - 1) >>> 0;
    answer[j] = 1;
    probe[i] = 1;
    info.probes++;
  }
  // Unanswered probes (the peer is gone, or its answers are lost: a keepalive timeout): a pure ACK
  // that repeats the ack and window of its sender's previous segment, at least a second after the
  // connection's last segment, with at most pure ACKs from the peer since (nothing to answer).
  // Linux probes after whole seconds without traffic (TCP_KEEPIDLE, TCP_KEEPINTVL, the probe
  // timer); an ACK that repeats itself sooner, or after the peer sent data, SYN, FIN or RST,
  // answers that.
  const secondsBetween = (a: Rec, b: Rec): number => b.tsSec - a.tsSec + (b.tsNsec - a.tsNsec) / 1e9;
  for (let i = 0; i < n; i++) {
    const r = recs[i];
    if (r.hasSeq || probe[i] === 1 || answer[i] === 1 || !pureAck(r) || !quiet[i]) continue;
    const q = recs[prevOfDir[i]];
    const last = recs[prevOfKey[i]];
    if (!q.hasAck || acks[prevOfDir[i]] !== acks[i] || q.win !== r.win || r.tsKind === TS_NONE || last.tsKind === TS_NONE) continue;
    if (secondsBetween(last, r) < 1) continue;
    seqs[i] = (seqs[i] - 1) >>> 0;
    probe[i] = 1;
    info.probes++;
  }

  // Backward fill: such a pure ACK carried the seq its sender's next segment starts at.
  if (unknown.length > 0) {
    const nextSeqOfDir = new Int32Array(2 * tuples).fill(-1);
    const fillFrom = new Int32Array(n).fill(-1);
    for (let i = n - 1; i >= 0; i--) {
      fillFrom[i] = nextSeqOfDir[dirKeys[i]];
      if (recs[i].hasSeq) nextSeqOfDir[dirKeys[i]] = i;
    }
    for (const i of unknown) if (fillFrom[i] >= 0) seqs[i] = seqs[fillFrom[i]];
  }
  info.unknownBases = unknownBase.size;

  const v = new SegmentView();
  for (let i = 0; i < n; i++) {
    const r = recs[i];
    v.frame = 0;
    v.tsSec = r.tsKind === TS_NONE ? NaN : r.tsSec;
    v.tsNsec = r.tsKind === TS_NONE ? 0 : r.tsNsec;
    v.ipVersion = r.v;
    v.src.set(r.src);
    v.dst.set(r.dst);
    v.sport = r.sport;
    v.dport = r.dport;
    v.seq = seqs[i];
    v.ack = acks[i];
    v.flags = r.flags;
    v.len = r.len;
    v.win = r.win;
    v.opts = r.opts;
    v.mss = r.mss;
    v.wscale = r.wscale;
    v.tsVal = r.tsVal;
    v.tsEcr = r.tsEcr;
    v.sackBlocks = r.sackBlocks;
    v.ttl = r.ttl;
    v.ipId = r.ipId;
    v.line = r.line;
    v.byteOffset = -1;
    table.append(v);
  }
}
