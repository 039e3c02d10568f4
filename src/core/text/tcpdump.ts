/**
 * tcpdump text (`tcpdump -nn`, as people paste it into tickets) into segments.
 *
 * Every timestamp style (-t, default, -tt, -ttt, -tttt, -ttttt), IPv4 and IPv6, relative (default)
 * or absolute (-S) sequence numbers, the -v two-line form, -e link headers, -# frame numbers and
 * quoting prefixes. Relative numbers are turned back into the raw ones the way tcpdump made them
 * (print-tcp.c): per conversation, the first packet carrying an ACK sets the bases (its sender's
 * sequence number, and its ACK number minus one for the other side); later ACK-bearing packets are
 * printed relative to them. Never throws: unreadable lines become positioned errors.
 */
import { ACK, CWR, ECE, FIN, OPT_MSS, OPT_SACK, OPT_SACK_PERM, OPT_TIMESTAMP, OPT_WSCALE, PSH, RST, SegmentTable, SegmentView, SYN, URG } from '../model/segment';
import { parseIPv4, parseIPv6 } from '../model/address';
import { seqAdd, seqDistance, seqGt } from '../seq';
import type { ParseError, TcpdumpInfo, TimestampStyle, TraceParse } from './types';

const TIME_OF_DAY = /^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s+/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s+/;
const EPOCH = /^(\d{6,12})\.(\d{1,9})\s+/;
const ENDPOINTS = /^(\S+)\.(\d{1,5}) > (\S+)\.(\d{1,5}):\s*/;

interface Stamp {
  style: TimestampStyle;
  sec: number;
  nsec: number;
}

function frac9(s: string | undefined): number {
  return s === undefined ? 0 : Number(s.padEnd(9, '0').slice(0, 9));
}

function readStamp(line: string): { stamp: Stamp | null; rest: string; consumed: number } {
  let m = DATE_TIME.exec(line);
  if (m) {
    const sec = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000;
    return { stamp: { style: 'date', sec, nsec: frac9(m[7]) }, rest: line.slice(m[0].length), consumed: m[0].length };
  }
  m = EPOCH.exec(line);
  if (m) return { stamp: { style: 'epoch', sec: Number(m[1]), nsec: frac9(m[2]) }, rest: line.slice(m[0].length), consumed: m[0].length };
  m = TIME_OF_DAY.exec(line);
  if (m) {
    const sec = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
    return { stamp: { style: 'time-of-day', sec, nsec: frac9(m[4]) }, rest: line.slice(m[0].length), consumed: m[0].length };
  }
  return { stamp: null, rest: line, consumed: 0 };
}

function flagBits(s: string): number {
  let f = 0;
  for (const ch of s) {
    if (ch === 'S') f |= SYN;
    else if (ch === 'F') f |= FIN;
    else if (ch === 'P') f |= PSH;
    else if (ch === 'R') f |= RST;
    else if (ch === 'U') f |= URG;
    else if (ch === 'E') f |= ECE;
    else if (ch === 'W') f |= CWR;
    else if (ch === '.') f |= ACK;
  }
  return f;
}

function setAddress(text: string, out: Uint8Array): 4 | 6 | 0 {
  if (parseIPv4(text, out)) return 4;
  if (parseIPv6(text, out)) return 6;
  return 0;
}

/** Per conversation (both directions): the bases tcpdump subtracts, keyed by sender endpoint key. */
interface Conversation {
  /** Base of each side's sequence numbers, by "addr.port". */
  base: Map<string, number>;
  relative: boolean | null;
}

export function detectTcpdumpLine(line: string): boolean {
  return / (IP6?|IP6? \(.*\)) \S+\.\d+ > \S+\.\d+: (Flags|tcp|UDP|ICMP)/.test(line) || /^\s*\S+\.\d+ > \S+\.\d+: Flags \[/.test(line);
}

export function parseTcpdump(text: string, opts: { absolute?: boolean } = {}): TraceParse {
  const table = new SegmentTable(256);
  const v = new SegmentView();
  const errors: ParseError[] = [];
  let skipped = 0;
  const lines = text.split(/\r?\n/);
  const conversations = new Map<string, Conversation>();
  /** Next sequence number of each sender as seen so far, for pure ACKs whose seq tcpdump omits. */
  const sndNxt = new Map<string, number>();
  const lastAckTo = new Map<string, number>();
  const styles = new Set<TimestampStyle>();
  let prev: Stamp | null = null;
  let cumulative = 0;
  let firstStamp: Stamp | null = null;
  let pendingStamp: { stamp: Stamp | null; line: number } | null = null;
  let inferredSeq = 0;
  let relConv = 0;
  let absConv = 0;
  const stamps: (Stamp | null)[] = [];

  for (let li = 0; li < lines.length; li++) {
    const raw = lines[li];
    let line = raw.replace(/^\s*(?:>\s*)*/, '').replace(/\s+$/, '');
    let col = raw.length - raw.trimStart().length;
    if (line === '' || line.startsWith('#')) continue;
    if (/^(reading from|listening on|tcpdump:|\d+ packets? )/.test(line)) continue;
    // "-#" frame numbers.
    const num = /^(\d+)\s{2,}(?=\S)/.exec(line);
    if (num && !EPOCH.test(line)) {
      line = line.slice(num[0].length);
      col += num[0].length;
    }
    let { stamp, rest } = readStamp(line);
    // -e: link-level header before the protocol.
    const link = /^(?:[0-9a-f]{2}(?::[0-9a-f]{2}){5} > [0-9a-f]{2}(?::[0-9a-f]{2}){5}|.*?), ethertype (IPv[46]) \(0x[0-9a-f]+\), length \d+: /.exec(rest);
    if (link) rest = rest.slice(link[0].length);
    let body: string;
    const ipv = /^(IP6?) /.exec(rest);
    if (ipv) {
      body = rest.slice(ipv[0].length);
      if (body.startsWith('(')) {
        // -v: "IP (tos 0x0, ttl 64, ..., proto TCP (6), length 60)" then the segment, maybe on the next line.
        const close = body.indexOf(')', body.indexOf('length'));
        const header = body.slice(0, close + 1);
        body = body.slice(close + 1).trim();
        if (!/proto TCP|next-header TCP/.test(header)) {
          skipped++;
          continue;
        }
        if (body === '') {
          pendingStamp = { stamp, line: li };
          continue;
        }
      }
    } else if (pendingStamp && ENDPOINTS.test(rest)) {
      body = rest;
      stamp = pendingStamp.stamp;
      pendingStamp = null;
    } else {
      if (/^(ARP|STP|LLDP|UDP|ICMP)|> .*: (UDP|ICMP|NTP|\[|\d+ \+)/.test(rest) || !/Flags \[/.test(rest)) {
        skipped++;
        continue;
      }
      body = rest;
    }
    pendingStamp = null;
    const ep = ENDPOINTS.exec(body);
    if (!ep) {
      if (/Flags \[/.test(body)) errors.push({ line: li, startCol: col, endCol: raw.length, message: 'a TCP segment line without "address.port > address.port:" could not be read' });
      else skipped++;
      continue;
    }
    const fields = body.slice(ep[0].length);
    const flagsM = /^Flags \[([^\]]*)\]/.exec(fields);
    if (!flagsM) {
      skipped++;
      continue;
    }
    const sv = setAddress(ep[1], v.src);
    const dv = setAddress(ep[3], v.dst);
    if (sv === 0 || dv === 0 || sv !== dv) {
      const at = raw.indexOf(ep[1]);
      errors.push({ line: li, startCol: Math.max(0, at), endCol: Math.max(1, at + ep[0].length), message: `cannot read the addresses "${ep[1]}" and "${ep[3]}"` });
      continue;
    }
    v.ipVersion = sv;
    v.sport = Number(ep[2]);
    v.dport = Number(ep[4]);
    if (v.sport > 65535 || v.dport > 65535) {
      errors.push({ line: li, startCol: col, endCol: raw.length, message: 'a port number above 65535' });
      continue;
    }
    v.flags = flagBits(flagsM[1]);
    const seqM = /, seq (\d+)(?::(\d+))?/.exec(fields);
    const ackM = /, ack (\d+)/.exec(fields);
    const winM = /, win (\d+)/.exec(fields);
    const lenM = /, length (\d+)/.exec(fields);
    const optM = /, options \[([^\]]*)\]/.exec(fields);
    v.len = lenM ? Number(lenM[1]) : seqM && seqM[2] ? Number(seqM[2]) - Number(seqM[1]) : 0;
    v.win = winM ? Number(winM[1]) : 0;
    v.opts = 0;
    v.sackBlocks = 0;
    if (optM) {
      const o = optM[1];
      const mss = /mss (\d+)/.exec(o);
      if (mss) {
        v.opts |= OPT_MSS;
        v.mss = Number(mss[1]);
      }
      const ws = /wscale (\d+)/.exec(o);
      if (ws) {
        v.opts |= OPT_WSCALE;
        v.wscale = Number(ws[1]);
      }
      if (/sackOK/.test(o)) v.opts |= OPT_SACK_PERM;
      const ts = /TS val (\d+) ecr (\d+)/.exec(o);
      if (ts) {
        v.opts |= OPT_TIMESTAMP;
        v.tsVal = Number(ts[1]) >>> 0;
        v.tsEcr = Number(ts[2]) >>> 0;
      }
      const sack = /sack (\d+) /.exec(o);
      if (sack) {
        v.opts |= OPT_SACK;
        v.sackBlocks = Number(sack[1]);
      }
    }
    const srcKey = `${ep[1]}.${ep[2]}`;
    const dstKey = `${ep[3]}.${ep[4]}`;
    const convKey = srcKey < dstKey ? `${srcKey}|${dstKey}` : `${dstKey}|${srcKey}`;
    let conv = conversations.get(convKey);
    const hasAck = (v.flags & ACK) !== 0;
    let seq = seqM ? Number(seqM[1]) >>> 0 : -1;
    let ack = ackM ? Number(ackM[1]) >>> 0 : 0;
    // tcpdump's relative numbering, undone.
    if (hasAck && !opts.absolute) {
      if (!conv || v.flags & SYN) {
        conv = { base: new Map(), relative: conv?.relative ?? null };
        conversations.set(convKey, conv);
        if (seq >= 0) conv.base.set(srcKey, seq);
        conv.base.set(dstKey, seqAdd(ack, -1));
      } else {
        const sb = conv.base.get(srcKey);
        const db = conv.base.get(dstKey);
        if (conv.relative === null && sb !== undefined && db !== undefined) {
          // Relative numbers are small; absolute ones sit near the bases (tcpdump -S).
          const probe = ackM ? ack : seq;
          const base = ackM ? db : sb;
          conv.relative = !(probe >= 0 && probe >= 0x1000000 && seqDistance(base, probe) < 0x10000000);
          if (conv.relative) relConv++;
          else absConv++;
        }
        if (conv.relative) {
          if (seq >= 0 && sb !== undefined) seq = seqAdd(seq, sb);
          if (ackM && db !== undefined) ack = seqAdd(ack, db);
        }
      }
    }
    if (seq < 0) {
      // tcpdump omits the sequence number of a segment without payload or SYN/FIN/RST: its sender's next one.
      const next = sndNxt.get(srcKey) ?? lastAckTo.get(srcKey);
      seq = next ?? 0;
      inferredSeq++;
    }
    v.seq = seq;
    v.ack = hasAck ? ack : 0;
    const end = seqAdd(seq, v.len + (v.flags & SYN ? 1 : 0) + (v.flags & FIN ? 1 : 0));
    const known = sndNxt.get(srcKey);
    if (known === undefined || seqGt(end, known)) sndNxt.set(srcKey, end);
    if (hasAck) lastAckTo.set(dstKey, ack);
    // Times.
    if (stamp) styles.add(stamp.style);
    stamps.push(stamp);
    if (stamp && !firstStamp) firstStamp = stamp;
    v.frame = 0;
    v.line = li;
    v.tsSec = NaN;
    v.tsNsec = 0;
    table.append(v);
  }
  if (pendingStamp) {
    errors.push({ line: pendingStamp.line, startCol: 0, endCol: lines[pendingStamp.line].length, message: 'an IP header line (tcpdump -v) with no segment line after it' });
  }

  // Timestamps: HH:MM:SS stamps are time of day, deltas (-ttt) or time since the first (-ttttt).
  let style: TcpdumpInfo['timestamps'] = styles.size === 0 ? 'none' : styles.size === 1 ? [...styles][0] : 'mixed';
  if (style === 'time-of-day' && firstStamp && firstStamp.sec === 0 && firstStamp.nsec === 0 && stamps.length > 1) {
    let monotonic = true;
    for (let i = 1; i < stamps.length; i++) {
      const a = stamps[i - 1];
      const b = stamps[i];
      if (a && b && (b.sec < a.sec || (b.sec === a.sec && b.nsec < a.nsec))) monotonic = false;
    }
    style = monotonic ? 'since-first' : 'delta';
  }
  for (let i = 0; i < stamps.length; i++) {
    const s = stamps[i];
    if (!s) continue;
    if (style === 'delta') {
      cumulative += s.sec * 1e9 + s.nsec;
      table.tsSec[i] = Math.floor(cumulative / 1e9);
      table.tsNsec[i] = cumulative % 1e9;
    } else {
      table.tsSec[i] = s.sec;
      table.tsNsec[i] = s.nsec;
      // Time of day across midnight keeps counting up.
      if (style === 'time-of-day' && prev && s.sec + 43200 < prev.sec) table.tsSec[i] += 86400;
    }
    prev = s;
  }
  return {
    format: 'tcpdump',
    table,
    errors,
    skipped,
    steps: undefined,
    firstLineLooksLike: detectFirst(lines),
    tcpdump: { timestamps: style, relativeConversations: relConv, absoluteConversations: absConv, inferredSeq },
  };
}

function detectFirst(lines: string[]): 'tcpdump' | 'rfc' | null {
  for (const l of lines) {
    if (l.trim() === '') continue;
    if (detectTcpdumpLine(l)) return 'tcpdump';
    if (/TCP A\b.*TCP B\b/.test(l) || /(-->|<--)\s*<SEQ=/.test(l)) return 'rfc';
    return null;
  }
  return null;
}

/** What pasted text looks like, from its first lines. */
export function detectTraceFormat(firstLines: string): 'tcpdump' | 'rfc' | null {
  const lines = firstLines.split(/\r?\n/).slice(0, 20);
  if (lines.some((l) => /TCP A\b.*TCP B\b/.test(l) || /(-->|<--)\s*<SEQ=/.test(l))) return 'rfc';
  if (lines.some((l) => detectTcpdumpLine(l))) return 'tcpdump';
  return null;
}
