/**
 * Two captures of the same connections, one story (issue 15): the client's and the server's
 * captures are paired (pair.ts), their clocks aligned (clock.ts), and every segment written ONCE
 * into a merged SegmentTable at the time it left its sender (on capture 0's clock), with where
 * its receiver's capture shows it arrived. The one engine (`analyze()`) then replays the merged
 * table with those observed deliveries instead of the ones it would infer from ACKs, so each
 * endpoint's states come from what it really sent and received.
 */

import { analyze, UNOBSERVED, type Analysis, type EngineOptions } from '../engine';
import { parseIPv4, parseIPv6 } from '../model/address';
import { FIN, RST, SYN, SegmentTable, SegmentView } from '../model/segment';
import { seqAdd, seqGt } from '../seq';
import { NEVER } from '../engine/wire';
import { alignClocks, orient, senderCapture, Times, type ClockAlignment } from './clock';
import { pairAlike, pairConnections, pairDir, pairUnique, type Capture, type CaptureIndex } from './pair';

/** What became of a segment between the two capture points. */
export type Fate =
  /** Seen at both: sent, and arrived (with its transit time). */
  | 'both'
  /** Seen where it was sent and not where it should have arrived, while that capture ran: lost between them. */
  | 'lost'
  /** Seen at one point only: the other capture was not running when it would have passed there. */
  | 'outside'
  /** Seen only where it arrived, while the sender's capture ran: it never passed there (added on the path, or missed by that capture). */
  | 'unseen-at-sender';

export const FATES: readonly Fate[] = ['both', 'lost', 'outside', 'unseen-at-sender'];

/** Per merged row: where it came from. */
export interface MergedRows {
  /** Frame number in capture 0 / capture 1 (0: not in that capture; a 1-based line for text traces, see units). */
  frame0: Uint32Array;
  frame1: Uint32Array;
  /** Index into FATES. */
  fate: Uint8Array;
  /** Transit time (s) of rows seen at both points; NaN otherwise. */
  transit: Float64Array;
  /** When the row's segment arrived at its receiver's capture (s since `base`, capture 0's clock); NaN when not seen there. */
  arrival: Float64Array;
  /** The capture the row's segment passes first (its sender's side). */
  sentAt: Uint8Array;
  /** 1 when the row's connection is in one capture only. */
  alone: Uint8Array;
}

export interface MergedConnection {
  /** Id of the connection in the merged analysis. */
  id: number;
  /** Id of the connection in each capture's own analysis (null: not in that capture). */
  ids: [number | null, number | null];
  nat: boolean;
  /** The capture nearer the client (0: the first file). */
  nearClient: CaptureIndex;
  counts: Record<Fate, number>;
}

export interface MergedAnalysis {
  /** The one engine's analysis of the merged table (frame column: the merged step, row + 1). */
  analysis: Analysis;
  rows: MergedRows;
  clock: ClockAlignment;
  connections: MergedConnection[];
  /** Capture spans (first and last segment) on capture 0's clock, seconds since `base`. */
  spans: [[number, number], [number, number]];
  /** The whole second that merged times count from. */
  base: number;
  /** What `frame0` / `frame1` count in each input: frames of a capture, lines of a text trace. */
  units: ['frame' | 'line', 'frame' | 'line'];
}

/** One row to be: a segment (a copy from one capture), its time on capture 0's clock, its pair's arrival. */
interface Entry {
  pair: number;
  cap: CaptureIndex;
  row: number;
  time: number;
  /** The copy at the other capture (its row), or -1. */
  other: number;
  fate: Fate;
  dir: number;
}

function span(t: SegmentTable, times: Times, cap: CaptureIndex, offset: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let r = 0; r < t.length; r++) {
    const x = times.at(cap, r) - (cap === 1 ? offset : 0);
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return [lo, hi];
}

/**
 * Merges two captures of the same connections and analyzes the result with the one engine.
 * `caps[0]` is the first file (the client's capture on the command line), `caps[1]` the other.
 */
export function mergeCaptures(caps: [Capture, Capture], options: Partial<EngineOptions> = {}): MergedAnalysis {
  const t0 = caps[0].table;
  const base = t0.length > 0 ? t0.tsSec[0] : caps[1].table.length > 0 ? caps[1].table.tsSec[0] : 0;
  const times = new Times(caps, base);
  const pairs = pairConnections(caps[0], caps[1]);
  const alike = pairs.map((p) => (p.conns[0] && p.conns[1] ? pairUnique(p, caps) : new Map<string, [number[], number[]]>()));
  for (const p of pairs) if (p.conns[0] && p.conns[1]) orient(p, caps, times);
  // Bounds from the unambiguous copies, then the look-alikes paired on the aligned clocks.
  let clock = alignClocks(pairs, caps, times);
  const slack = Number.isFinite(clock.upper - clock.lower) ? Math.abs(clock.upper - clock.lower) : 0;
  pairs.forEach((p, i) => {
    if (alike[i].size === 0) return;
    pairAlike(
      p,
      alike[i],
      (dir) => senderCapture(p, dir),
      (cap, r) => pairDir(p, cap, caps[cap], r),
      (cap, r) => times.at(cap, r) - (cap === 1 ? clock.offset : 0),
      slack,
    );
  });
  if (alike.some((m) => m.size > 0)) clock = alignClocks(pairs, caps, times);
  const offset = clock.offset;
  const on0 = (cap: CaptureIndex, r: number): number => times.at(cap, r) - (cap === 1 ? offset : 0);
  const spans: [[number, number], [number, number]] = [span(t0, times, 0, offset), span(caps[1].table, times, 1, offset)];
  const maxDelay = [clock.delays.clientToServer?.max ?? NaN, clock.delays.serverToClient?.max ?? NaN];
  const minDelay = [clock.delays.clientToServer?.min ?? 0, clock.delays.serverToClient?.min ?? 0];

  // Every segment once: the copy at its sender's capture, else the one at its receiver's.
  const entries: Entry[] = [];
  pairs.forEach((p, pi) => {
    const partner: [Map<number, number>, Map<number, number>] = [new Map(), new Map()];
    for (let i = 0; i < p.rows0.length; i++) {
      partner[0].set(p.rows0[i], p.rows1[i]);
      partner[1].set(p.rows1[i], p.rows0[i]);
    }
    for (const cap of [0, 1] as const) {
      const conn = p.conns[cap];
      if (conn === null) continue;
      const other = (1 - cap) as CaptureIndex;
      for (const r of conn.rows) {
        const dir = pairDir(p, cap, caps[cap], r);
        const s = p.conns[other] === null ? cap : senderCapture(p, dir);
        const mate = partner[cap].get(r);
        if (mate !== undefined) {
          if (s === cap) entries.push({ pair: pi, cap, row: r, time: on0(cap, r), other: mate, fate: 'both', dir });
          continue;
        }
        const t = on0(cap, r);
        let fate: Fate;
        if (s === cap) {
          // Sent here, never seen there: lost if the other capture ran from its earliest to its latest possible arrival.
          const sp = spans[other];
          const max = maxDelay[dir];
          fate = p.conns[other] !== null && Number.isFinite(max) && t + minDelay[dir] >= sp[0] && t + max <= sp[1] ? 'lost' : 'outside';
          entries.push({ pair: pi, cap, row: r, time: t, other: -1, fate, dir });
        } else {
          // Seen only where it arrived: placed where it left, the smallest delay earlier.
          const sp = spans[s];
          fate = t - minDelay[dir] >= sp[0] && t <= sp[1] ? 'unseen-at-sender' : 'outside';
          entries.push({ pair: pi, cap, row: r, time: t - minDelay[dir], other: -2, fate, dir });
        }
      }
    }
  });
  // Time order; at equal times, each capture's own order.
  entries.sort((a, b) => a.time - b.time || a.cap - b.cap || a.row - b.row);

  const n = entries.length;
  const table = new SegmentTable(n);
  const rows: MergedRows = {
    frame0: new Uint32Array(n),
    frame1: new Uint32Array(n),
    fate: new Uint8Array(n),
    transit: new Float64Array(n).fill(NaN),
    arrival: new Float64Array(n).fill(NaN),
    sentAt: new Uint8Array(n),
    alone: new Uint8Array(n),
  };
  const v = new SegmentView();
  const canon = pairs.map((p) => {
    const c = (p.conns[0] ?? p.conns[1])!;
    return { client: c.client, server: c.server, flipSecond: p.conns[0] === null ? false : p.flipped };
  });
  for (let i = 0; i < n; i++) {
    const e = entries[i];
    const src = caps[e.cap].table;
    src.fillView(e.row, v);
    // One 4-tuple per connection (the first capture's, when a NAT rewrote the other's).
    const c = canon[e.pair];
    const [from, to] = e.dir === 0 ? [c.client, c.server] : [c.server, c.client];
    writeAddress(v, 0, from);
    writeAddress(v, 1, to);
    v.frame = i + 1;
    v.line = -1;
    const sec = Math.floor(e.time);
    v.tsSec = base + sec;
    v.tsNsec = Math.min(999_999_999, Math.round((e.time - sec) * 1e9));
    table.append(v);
    const copy0 = e.cap === 0 ? e.row : e.other;
    const copy1 = e.cap === 1 ? e.row : e.other;
    rows.frame0[i] = copy0 >= 0 ? numberOf(caps[0].table, copy0) : 0;
    rows.frame1[i] = copy1 >= 0 ? numberOf(caps[1].table, copy1) : 0;
    rows.fate[i] = FATES.indexOf(e.fate);
    rows.sentAt[i] = e.fate === 'unseen-at-sender' ? 1 - e.cap : e.cap;
    rows.alone[i] = pairs[e.pair].conns[1 - e.cap] === null ? 1 : 0;
  }

  // Where each segment arrived: after the last merged row that passed before its arrival (the
  // receiver's own segments compare in its capture's order).
  const times0 = new Float64Array(n);
  for (let i = 0; i < n; i++) times0[i] = entries[i].time;
  const observed = new Int32Array(n).fill(UNOBSERVED);
  const arrivalTime = rows.arrival;
  for (let i = 0; i < n; i++) {
    const e = entries[i];
    if (e.fate === 'lost') observed[i] = NEVER;
    else if (e.fate === 'both' || e.fate === 'unseen-at-sender') {
      const rc = (e.fate === 'both' ? 1 - e.cap : e.cap) as CaptureIndex;
      const arrivalRow = e.fate === 'both' ? e.other : e.row;
      const at = on0(rc, arrivalRow);
      arrivalTime[i] = at;
      if (e.fate === 'both') rows.transit[i] = at - e.time;
      observed[i] = Math.max(i, arrivalPoint(entries, times0, rc, arrivalRow, at));
    }
  }
  inOrder(table, entries, observed, arrivalTime);
  const analysis = analyze(table, options, undefined, undefined, observed);

  const connections: MergedConnection[] = analysis.connections.map((c) => {
    const counts: Record<Fate, number> = { both: 0, lost: 0, outside: 0, 'unseen-at-sender': 0 };
    for (const r of c.rows) counts[FATES[rows.fate[r]]]++;
    const p = pairs[entries[c.firstRow].pair];
    return {
      id: c.id,
      ids: [p.conns[0]?.id ?? null, p.conns[1]?.id ?? null],
      nat: p.nat,
      nearClient: p.nearClient ?? (p.conns[0] ? 0 : 1),
      counts,
    };
  });
  const unit = (t: SegmentTable): 'frame' | 'line' => (t.length > 0 && t.frame[0] === 0 ? 'line' : 'frame');
  return { analysis, rows, clock, connections, spans, base, units: [unit(t0), unit(caps[1].table)] };
}

/** A row's frame number, or its 1-based line for a text trace. */
function numberOf(t: SegmentTable, r: number): number {
  return t.frame[r] > 0 ? t.frame[r] : t.line[r] + 1;
}

/**
 * A FIN is processed only in order (RFC 9293 3.10.7.4, "eighth, check the FIN bit": once all the
 * data before it has arrived): one that arrived after a hole (its data lost and retransmitted) is
 * processed where the retransmission that filled the hole arrived, and never if nothing did.
 * Arrivals of each direction are replayed in arrival order, tracking RCV.NXT.
 */
function inOrder(t: SegmentTable, entries: Entry[], observed: Int32Array, arrival: Float64Array): void {
  const flows = new Map<string, number[]>();
  for (let i = 0; i < entries.length; i++) {
    if (observed[i] < 0 || t.flags[i] & RST) continue;
    const k = `${entries[i].pair}/${entries[i].dir}`;
    (flows.get(k) ?? flows.set(k, []).get(k)!).push(i);
  }
  for (const rows of flows.values()) {
    rows.sort((a, b) => arrival[a] - arrival[b] || observed[a] - observed[b] || a - b);
    let nxt = -1;
    const pending: number[] = [];
    const end = (r: number): number => seqAdd(t.seq[r], t.len[r] + (t.flags[r] & SYN ? 1 : 0) + (t.flags[r] & FIN ? 1 : 0));
    for (const r of rows) {
      if (nxt < 0) nxt = t.seq[r];
      if (seqGt(t.seq[r], nxt)) {
        if (t.flags[r] & FIN) pending.push(r);
        continue;
      }
      if (seqGt(end(r), nxt)) nxt = end(r);
      // The hole is filled up to nxt: FINs waiting behind it are processed now.
      for (let j = 0; j < pending.length; j++) {
        const q = pending[j];
        if (seqGt(t.seq[q], nxt)) continue;
        observed[q] = Math.max(observed[q], observed[r]);
        if (seqGt(end(q), nxt)) nxt = end(q);
        pending.splice(j, 1);
        j = -1;
      }
    }
    for (const q of pending) observed[q] = NEVER;
  }
}

/**
 * The merged row after which a copy seen at capture `rc` (row `r`, time `at` on capture 0's
 * clock) arrived: the last row before that time, with rows from the same capture ordered by frame.
 */
function arrivalPoint(entries: Entry[], times: Float64Array, rc: CaptureIndex, r: number, at: number): number {
  let lo = 0;
  let hi = times.length; // first index with time > at
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] <= at) lo = mid + 1;
    else hi = mid;
  }
  let i = lo - 1;
  // Rows of the receiver's own capture keep that capture's order around equal times.
  while (i + 1 < entries.length && entries[i + 1].cap === rc && entries[i + 1].row < r && times[i + 1] - at < 1e-9) i++;
  while (i >= 0 && entries[i].cap === rc && entries[i].row > r) i--;
  return i;
}

function writeAddress(v: SegmentView, which: 0 | 1, e: { ipVersion: 4 | 6; addr: string; port: number }): void {
  const bytes = which === 0 ? v.src : v.dst;
  bytes.fill(0);
  v.ipVersion = e.ipVersion;
  if (e.ipVersion === 4) parseIPv4(e.addr, bytes);
  else parseIPv6(e.addr, bytes);
  if (which === 0) v.sport = e.port;
  else v.dport = e.port;
}
