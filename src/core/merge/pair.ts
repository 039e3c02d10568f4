/**
 * Two captures of the same connections (issue 15), step 1: which connection of one capture is
 * which of the other, and which segment is the copy of which.
 *
 * Connections are paired by their 4-tuple and their initial sequence numbers (each side's ISN must
 * agree where both captures saw it); when the 4-tuples differ (a NAT on one side rewrote addresses
 * or ports), by both ISNs plus the server's or the client's port. Segments are paired within a
 * connection pair by direction, sequence and acknowledgment numbers, payload length, flags, IPv4 ID
 * and TCP timestamps (TSval, TSecr): a retransmission differs from its original in its timestamp
 * or IP ID where those exist. Copies that still look alike (no timestamps, IPv6) are paired once
 * the clocks are aligned, each arrival with the latest copy sent before it.
 */

import type { Analysis, Connection } from '../engine';
import { OPT_TIMESTAMP, type SegmentTable } from '../model/segment';

/** One capture: its table and its own (single-vantage) analysis, which gives its connections. */
export interface Capture {
  table: SegmentTable;
  analysis: Analysis;
}

/** Capture index: 0 the first file (CLIENT), 1 the other (--with SERVER). */
export type CaptureIndex = 0 | 1;

export interface ConnectionPair {
  /** The connection in each capture (null: seen in one capture only). */
  conns: [Connection | null, Connection | null];
  /** The connection in capture 1 names the endpoints the other way round (roles were guessed). */
  flipped: boolean;
  /** Paired on ISNs and a port while the 4-tuples differ (a NAT rewrote one side). */
  nat: boolean;
  /** Which capture is nearer the TCP client (decided by causality in clock.ts; null: unknown). */
  nearClient: CaptureIndex | null;
  /** Paired segments: rows in capture 0 and capture 1 at the same index. */
  rows0: number[];
  rows1: number[];
}

function epKey(e: { addr: string; port: number }): string {
  return `${e.addr}|${e.port}`;
}

/** Whether two ISNs agree: equal, or one of them unknown. */
function isnAgrees(a: Connection, b: Connection, flipped: boolean): boolean {
  const [bc, bs] = flipped ? (['server', 'client'] as const) : (['client', 'server'] as const);
  if (a.isnKnown.client && b.isnKnown[bc] && a.isn.client !== b.isn[bc]) return false;
  if (a.isnKnown.server && b.isnKnown[bs] && a.isn.server !== b.isn[bs]) return false;
  return true;
}

/**
 * Pairs the connections of two captures: the same 4-tuple (in either orientation) with agreeing
 * ISNs, else (NAT) both ISNs known and equal in both captures plus the server's or the client's
 * port. Each connection is paired at most once; the rest are listed alone.
 */
export function pairConnections(c0: Capture, c1: Capture): ConnectionPair[] {
  const byTuple = new Map<string, Connection[]>();
  const byIsn = new Map<string, Connection[]>();
  const used = new Set<Connection>();
  for (const b of c1.analysis.connections) {
    const k = [epKey(b.client), epKey(b.server)].sort().join('/');
    (byTuple.get(k) ?? byTuple.set(k, []).get(k)!).push(b);
    if (b.isnKnown.client && b.isnKnown.server) {
      const ik = `${b.isn.client}/${b.isn.server}`;
      (byIsn.get(ik) ?? byIsn.set(ik, []).get(ik)!).push(b);
    }
  }
  const out: ConnectionPair[] = [];
  for (const a of c0.analysis.connections) {
    let match: Connection | null = null;
    let flipped = false;
    let nat = false;
    const k = [epKey(a.client), epKey(a.server)].sort().join('/');
    for (const b of byTuple.get(k) ?? []) {
      if (used.has(b)) continue;
      const f = epKey(b.client) !== epKey(a.client);
      if (isnAgrees(a, b, f)) {
        match = b;
        flipped = f;
        break;
      }
    }
    if (match === null && a.isnKnown.client && a.isnKnown.server) {
      for (const b of byIsn.get(`${a.isn.client}/${a.isn.server}`) ?? []) {
        if (used.has(b)) continue;
        if (b.server.port === a.server.port || b.client.port === a.client.port) {
          match = b;
          nat = true;
          break;
        }
      }
    }
    if (match !== null) used.add(match);
    out.push({ conns: [a, match], flipped, nat, nearClient: null, rows0: [], rows1: [] });
  }
  for (const b of c1.analysis.connections) {
    if (!used.has(b)) out.push({ conns: [null, b], flipped: false, nat: false, nearClient: null, rows0: [], rows1: [] });
  }
  return out;
}

/** Direction of a row in a pair's own terms: 0 client to server (as capture 0 names them), 1 back. */
export function pairDir(p: ConnectionPair, cap: CaptureIndex, c: Capture, r: number): number {
  const d = c.analysis.rowDir[r];
  return cap === 1 && p.flipped ? 1 - d : d;
}

/** What identifies a copy of a segment (see the module comment); IP ID and timestamps where both captures give them. */
function segmentKey(t: SegmentTable, r: number, dir: number, ipId: boolean, ts: boolean): string {
  const base = `${dir}|${t.seq[r]}|${t.ack[r]}|${t.len[r]}|${t.flags[r]}`;
  return `${base}|${ts ? `${t.tsVal[r]}|${t.tsEcr[r]}` : ''}|${ipId ? t.ipId[r] : ''}`;
}

/** Whether a connection's rows carry IPv4 IDs and TCP timestamps (tcpdump text without -v has no IP ID). */
function carries(t: SegmentTable, rows: number[]): { ipId: boolean; ts: boolean } {
  let ipId = false;
  let ts = false;
  for (const r of rows) {
    if (t.ipId[r] >= 0) ipId = true;
    if (t.opts[r] & OPT_TIMESTAMP) ts = true;
  }
  return { ipId, ts };
}

/**
 * Pairs the segments of a connection pair whose key occurs exactly once in each capture; returns
 * the keys that occur more than once (copies alike: paired later by time, see pairAlike).
 */
export function pairUnique(p: ConnectionPair, caps: [Capture, Capture]): Map<string, [number[], number[]]> {
  const groups = new Map<string, [number[], number[]]>();
  if (p.conns[0] === null || p.conns[1] === null) return groups;
  const has = [carries(caps[0].table, p.conns[0].rows), carries(caps[1].table, p.conns[1].rows)];
  const ipId = has[0].ipId && has[1].ipId;
  const ts = has[0].ts && has[1].ts;
  for (const cap of [0, 1] as const) {
    const conn = p.conns[cap]!;
    const t = caps[cap].table;
    for (const r of conn.rows) {
      const k = segmentKey(t, r, pairDir(p, cap, caps[cap], r), ipId, ts);
      const g = groups.get(k) ?? groups.set(k, [[], []]).get(k)!;
      g[cap].push(r);
    }
  }
  const alike = new Map<string, [number[], number[]]>();
  for (const [k, g] of groups) {
    if (g[0].length === 1 && g[1].length === 1) {
      p.rows0.push(g[0][0]);
      p.rows1.push(g[1][0]);
    } else if (g[0].length > 0 && g[1].length > 0) alike.set(k, g);
  }
  return alike;
}

/**
 * Pairs copies that look alike once the clocks are aligned: each copy at the receiving end (in
 * time order) with the latest unpaired copy at the sending end that passed before it arrived
 * (allowing `slack` seconds of clock uncertainty); `sentFirst(cap)` says which capture the segment
 * passes first. `time(cap, r)` is on capture 0's clock.
 */
export function pairAlike(
  p: ConnectionPair,
  alike: Map<string, [number[], number[]]>,
  senderCap: (dir: number) => CaptureIndex,
  dirOf: (cap: CaptureIndex, r: number) => number,
  time: (cap: CaptureIndex, r: number) => number,
  slack: number,
): void {
  for (const g of alike.values()) {
    const s = senderCap(dirOf(0, g[0][0]));
    const sent = g[s];
    const got = g[1 - s];
    const taken = new Uint8Array(sent.length);
    for (const r of got) {
      const arrive = time((1 - s) as CaptureIndex, r);
      let best = -1;
      for (let i = 0; i < sent.length; i++) if (!taken[i] && time(s, sent[i]) <= arrive + slack) best = i;
      if (best < 0) continue;
      taken[best] = 1;
      if (s === 0) {
        p.rows0.push(sent[best]);
        p.rows1.push(r);
      } else {
        p.rows0.push(r);
        p.rows1.push(sent[best]);
      }
    }
  }
}
