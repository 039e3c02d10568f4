/**
 * A merged connection as the ladder draws it (issue 15): each lifeline stands at its own capture
 * point, a segment leaves its sender's lifeline at the time its sender's capture saw it and lands
 * on the receiver's lifeline at the time the receiver's capture saw it (on the first capture's
 * clock, corrected by the estimated offset), as RFC 9293's figures draw segments in flight.
 *
 * The ladder's rows are the merged steps in the order the segments left their senders, one row
 * each (what keeps a long connection scrollable). A time between two rows' departures is placed
 * between them in proportion: an arrival time t with t_j <= t < t_j+1 sits at row
 * j + (t - t_j) / (t_j+1 - t_j). So every arrow slopes down by its transit time measured against
 * the traffic around it, arrows that cross in flight (crossing FINs) cross, and each side's state
 * changes where the segment that changed it landed. Pure: views of a {@link MergedAnalysis}.
 */
import type { Connection } from '../engine/types';
import { indexOfRow } from '../report/ladderModel';
import { FATES, type Fate, type MergedAnalysis } from './merge';
import { refOf, type CaptureNames } from './report';

/** Two captures' facts about one segment (the ladder's `two`). */
export interface TwoSidedSegment {
  /** Frame (or line) number in the first capture (the one opened) and in the other; 0: not in it. */
  frames: [number, number];
  fate: Fate;
  /** The capture where it was sent (0: the first one). */
  sentAt: 0 | 1;
  /** Seconds between the two captures (seen at both), else null. */
  transit: number | null;
  /** Where its arrow lands, in rows of the connection (fractional); null: not seen arriving (lost, or outside the other capture). */
  land: number | null;
  /** A lost segment: where it would have arrived by the direction's median delay (the arrow stops halfway there). */
  expected: number | null;
  /** Where this row's last change of each side's state is drawn (fractional rows); null when it changes nothing. */
  clientAt: number | null;
  serverAt: number | null;
  /**
   * Every state change recorded at this row, in order, with where it is drawn (fractional rows)
   * and when (seconds since the connection's first segment): a receiver may pass through a state
   * between two arrivals that landed after the same departure (FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT).
   */
  changes: { side: 'client' | 'server'; to: string; at: number; t: number }[];
  /** Both frame numbers in words: "client frame 11 = server frame 10", "client frame 11 (lost before the server capture)". */
  where: string;
}

/** The pair of captures, for a connection's summary and the views' headers. */
export interface TwoSidedInfo {
  /** What each capture is called in sentences: `client` (near the client) and `server`. */
  names: [string, string];
  /** The capture files' names (first: the one opened). */
  files: [string, string];
  /** Estimated clock offset (s): the other capture's clock minus the first's; bounds from causality (null: unbounded). */
  offset: number;
  bounds: [number | null, number | null];
  consistent: boolean;
  /** The connection's id in each capture (null: not in it); absent for the whole pair. */
  ids?: [number | null, number | null];
  /** Segments by fate (of the connection, or of every connection). */
  counts: Record<Fate, number>;
}

/** Names of the two captures, by where they were taken: the one nearer the clients of most connections is `client`. */
export function captureNames(m: MergedAnalysis): [string, string] {
  let first = 0;
  let other = 0;
  for (const c of m.connections) {
    if (c.ids[0] === null || c.ids[1] === null) continue;
    if (c.nearClient === 0) first++;
    else other++;
  }
  return other > first ? ['server', 'client'] : ['client', 'server'];
}

const fin = (x: number): number | null => (Number.isFinite(x) ? x : null);

function zeroCounts(): Record<Fate, number> {
  return { both: 0, lost: 0, outside: 0, 'unseen-at-sender': 0 };
}

/** The pair as a whole (`ids` left out), or one connection of it. */
export function twoSidedInfo(m: MergedAnalysis, names: [string, string], files: [string, string], connectionId?: number): TwoSidedInfo {
  const k = m.clock;
  const out: TwoSidedInfo = { names: [names[0], names[1]], files, offset: k.offset, bounds: [fin(k.lower), fin(k.upper)], consistent: k.consistent, counts: zeroCounts() };
  for (const c of m.connections) {
    if (connectionId !== undefined && c.id !== connectionId) continue;
    for (const f of FATES) out.counts[f] += c.counts[f];
    if (connectionId !== undefined) out.ids = [c.ids[0], c.ids[1]];
  }
  return out;
}

/** Seconds since the merge's base of a merged row's departure. */
function departure(m: MergedAnalysis, r: number): number {
  const t = m.analysis.table;
  return t.tsSec[r] - m.base + t.tsNsec[r] / 1e9;
}

/**
 * Row positions of one connection: each segment's landing and, for lost ones, where it would
 * have landed. Computed once per connection (the views cache it).
 */
export interface ConnectionPositions {
  land: Float64Array;
  expected: Float64Array;
  /** Seconds from the connection's first departure to each segment's arrival (NaN: not seen arriving). */
  arrivalT: Float64Array;
  /** ... and to each departure. */
  departT: Float64Array;
}

export function connectionPositions(m: MergedAnalysis, c: Connection): ConnectionPositions {
  const rows = c.rows;
  const n = rows.length;
  const dep = new Float64Array(n);
  for (let i = 0; i < n; i++) dep[i] = departure(m, rows[i]);
  /** A time as a fractional row: between the departures around it (after the last one: within its row). */
  const at = (time: number, from: number): number => {
    let lo = from;
    let hi = n; // first index with dep > time
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (dep[mid] <= time) lo = mid + 1;
      else hi = mid;
    }
    const j = Math.max(from, lo - 1);
    if (j + 1 >= n) return j + 0.5; // after the last departure: half a row on
    const gap = dep[j + 1] - dep[j];
    return j + (gap > 0 ? Math.min(0.999, Math.max(0, (time - dep[j]) / gap)) : 0);
  };
  const land = new Float64Array(n).fill(NaN);
  const expected = new Float64Array(n).fill(NaN);
  const arrivalT = new Float64Array(n).fill(NaN);
  const departT = new Float64Array(n);
  for (let i = 0; i < n; i++) departT[i] = dep[i] - dep[0];
  const a = m.analysis;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    const arrived = m.rows.arrival[r];
    if (Number.isFinite(arrived)) {
      land[i] = at(arrived, i);
      arrivalT[i] = arrived - dep[0];
    }
    else if (FATES[m.rows.fate[r]] === 'lost') {
      const d = a.rowDir[r] === 0 ? m.clock.delays.clientToServer : m.clock.delays.serverToClient;
      expected[i] = at(dep[i] + (d?.median ?? 0), i);
    }
  }
  return { land, expected, arrivalT, departT };
}

/**
 * The ladder's facts about segment `index` of connection `c`. A side's state change at this row
 * is drawn where the segment that caused it landed (its sender's own changes: at its departure);
 * a change made after this row by an arrival the captures do not place (outside the other
 * capture) stays on this row, as in a one-capture ladder.
 */
export function twoSidedSegment(m: MergedAnalysis, names: CaptureNames, c: Connection, index: number, pos: ConnectionPositions): TwoSidedSegment {
  const a = m.analysis;
  const r = c.rows[index];
  // Where (and when) each change recorded at this row is drawn: the sender's own at its departure,
  // a receiver's where the arrival that let it be processed landed within this row.
  const changes: TwoSidedSegment['changes'] = [];
  const last = { client: index, server: index };
  for (let k = a.transitionStart[r]; k < a.transitionStart[r + 1]; k++) {
    const tr = a.transitionAt(k);
    const side = tr.side;
    let at = index;
    let when = pos.departT[index];
    const senderSide = tr.cause >= 0 && a.rowDir[tr.cause] === 0 ? 'client' : 'server';
    if (tr.cause >= 0 && !(tr.cause === r && senderSide === side)) {
      const ci = indexOfRow(c, tr.cause);
      let from = -1;
      if (ci >= 0 && pos.land[ci] >= index && pos.land[ci] < index + 1) from = ci;
      else
        for (let i = index; i >= Math.max(0, index - 256); i--) {
          const l = pos.land[i];
          const toSide = a.rowDir[c.rows[i]] === 0 ? 'server' : 'client';
          if (toSide === side && l >= index && l < index + 1 && (from < 0 || l > pos.land[from])) from = i;
        }
      if (from >= 0) {
        at = pos.land[from];
        when = pos.arrivalT[from];
      }
    }
    // One side's changes in order (a FIN behind a hole is processed with what filled it).
    if (at < last[side]) at = last[side];
    last[side] = at;
    changes.push({ side, to: tr.to, at, t: when });
  }
  const lastAt = (side: 'client' | 'server'): number | null => {
    let p: number | null = null;
    for (const x of changes) if (x.side === side) p = x.at;
    return p;
  };
  const fate = FATES[m.rows.fate[r]];
  const transit = m.rows.transit[r];
  return {
    frames: [m.rows.frame0[r], m.rows.frame1[r]],
    fate,
    sentAt: m.rows.sentAt[r] === 0 ? 0 : 1,
    transit: Number.isFinite(transit) ? transit : null,
    land: Number.isFinite(pos.land[index]) ? pos.land[index] : null,
    expected: Number.isFinite(pos.expected[index]) ? pos.expected[index] : null,
    clientAt: lastAt('client'),
    serverAt: lastAt('server'),
    changes,
    where: refOf(m, names, r),
  };
}
