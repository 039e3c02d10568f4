/**
 * Two captures of the same connections, step 2: the two clocks aligned from causality alone.
 *
 * `offset` is capture 1's clock minus capture 0's. A segment cannot arrive before it was sent:
 * one that passes capture 0 first and capture 1 later gives t1 - t0 = offset + delay with
 * delay >= 0, so offset <= t1 - t0 (an upper bound); one that passes capture 1 first gives
 * t0 - t1 = -offset + delay, so offset >= t1 - t0 (a lower bound). An ACK cannot be sent before
 * what it acknowledges arrived: an ACK seen at its sender's capture after the first copy of the
 * acknowledged byte was seen at the other capture bounds the offset the same way (this counts even
 * where the data's own arrival was not captured). The estimate is the midpoint of the tightest
 * bounds: the one that makes the smallest one-way delays of both directions equal.
 */

import { ACK, FIN, RST, SYN, type SegmentTable } from '../model/segment';
import { seqAdd, seqGe, seqGt, seqLt } from '../seq';
import { pairDir, type Capture, type CaptureIndex, type ConnectionPair } from './pair';

export interface DelayStats {
  /** Paired segments in this direction. */
  segments: number;
  /** Seconds, with the bounds the offset's bounds allow. */
  min: number;
  minBounds: [number, number];
  median: number;
  medianBounds: [number, number];
  max: number;
}

export interface ClockAlignment {
  /** Estimated capture 1 clock minus capture 0 clock, seconds. */
  offset: number;
  /** Bounds from causality (-Infinity / Infinity where no segment bounds that side). */
  lower: number;
  upper: number;
  /** False when the bounds cross (a clock drifted, or segments were paired wrongly). */
  consistent: boolean;
  /** How the estimate was made, in words. */
  method: string;
  /** Paired segments and ACKs that gave bounds. */
  segmentBounds: number;
  ackBounds: number;
  delays: { clientToServer: DelayStats | null; serverToClient: DelayStats | null };
}

/** Times of capture rows in seconds from a common base (exact enough to nanoseconds). */
export class Times {
  constructor(
    readonly caps: [Capture, Capture],
    readonly base: number,
  ) {}
  at(cap: CaptureIndex, r: number): number {
    const t = this.caps[cap].table;
    return t.tsSec[r] - this.base + t.tsNsec[r] / 1e9;
  }
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Which capture each pair's client is nearer: client-to-server copies reach the far capture later
 * than they passed the near one, so their t1 - t0 exceeds that of server-to-client copies. With
 * one direction paired only, capture 0 is taken to be the client's (the command line's order).
 */
export function orient(p: ConnectionPair, caps: [Capture, Capture], times: Times): void {
  const d: [number[], number[]] = [[], []];
  for (let i = 0; i < p.rows0.length; i++) {
    const dir = pairDir(p, 0, caps[0], p.rows0[i]);
    d[dir].push(times.at(1, p.rows1[i]) - times.at(0, p.rows0[i]));
  }
  p.nearClient = d[0].length > 0 && d[1].length > 0 ? (median(d[0]) >= median(d[1]) ? 0 : 1) : 0;
}

/** The capture a segment in direction `dir` (0 client to server) passes first. */
export function senderCapture(p: ConnectionPair, dir: number): CaptureIndex {
  const near = p.nearClient ?? 0;
  return (dir === 0 ? near : 1 - near) as CaptureIndex;
}

function space(t: SegmentTable, r: number): number {
  const f = t.flags[r];
  return t.len[r] + (f & SYN ? 1 : 0) + (f & FIN ? 1 : 0);
}

class Bounds {
  lower = -Infinity;
  upper = Infinity;
  segments = 0;
  acks = 0;
  /** An event seen at capture `first` at time tf (on its own clock) caused one at the other at ts. */
  add(first: CaptureIndex, tf: number, ts: number, ack: boolean): void {
    if (first === 0) this.upper = Math.min(this.upper, ts - tf);
    else this.lower = Math.max(this.lower, tf - ts);
    if (ack) this.acks++;
    else this.segments++;
  }
}

/** ACK bounds of one pair and direction: data from the side near capture s, ACKs seen at 1 - s. */
function ackBounds(p: ConnectionPair, caps: [Capture, Capture], times: Times, dir: number, b: Bounds): void {
  const s = senderCapture(p, dir);
  const rc = (1 - s) as CaptureIndex;
  const cs = p.conns[s];
  const cr = p.conns[rc];
  if (cs === null || cr === null) return;
  const ts = caps[s].table;
  const tr = caps[rc].table;
  const data = cs.rows.filter((r) => pairDir(p, s, caps[s], r) === dir && space(ts, r) > 0 && !(ts.flags[r] & RST));
  let maxAck = -1;
  let lo = 0;
  for (const r of cr.rows) {
    if (pairDir(p, rc, caps[rc], r) === dir || !(tr.flags[r] & ACK) || tr.flags[r] & RST) continue;
    const a = tr.ack[r];
    if (maxAck >= 0) {
      if (!seqGt(a, maxAck)) continue;
      // Data wholly acknowledged by the earlier ACKs holds no byte this one newly covers.
      while (lo < data.length && seqGe(maxAck, seqAdd(ts.seq[data[lo]], space(ts, data[lo])))) lo++;
    }
    maxAck = a;
    // The first copy (in time) that holds byte a - 1.
    for (let i = lo; i < data.length; i++) {
      const q = data[i];
      if (seqLt(ts.seq[q], a) && seqGe(seqAdd(ts.seq[q], space(ts, q)), a)) {
        b.add(s, times.at(s, q), times.at(rc, r), true);
        break;
      }
    }
  }
}

/** The clock offset and one-way delays from every paired segment and ACK of every pair. */
export function alignClocks(pairs: ConnectionPair[], caps: [Capture, Capture], times: Times): ClockAlignment {
  const b = new Bounds();
  for (const p of pairs) {
    if (p.conns[0] === null || p.conns[1] === null) continue;
    for (let i = 0; i < p.rows0.length; i++) {
      const s = senderCapture(p, pairDir(p, 0, caps[0], p.rows0[i]));
      const [sent, got] = s === 0 ? [p.rows0[i], p.rows1[i]] : [p.rows1[i], p.rows0[i]];
      b.add(s, times.at(s, sent), times.at((1 - s) as CaptureIndex, got), false);
    }
    ackBounds(p, caps, times, 0, b);
    ackBounds(p, caps, times, 1, b);
  }
  let offset: number;
  let method: string;
  if (Number.isFinite(b.lower) && Number.isFinite(b.upper)) {
    offset = (b.lower + b.upper) / 2;
    method = 'midpoint of the bounds: the smallest one-way delays of both directions taken equal';
  } else if (Number.isFinite(b.upper)) {
    offset = b.upper;
    method = 'one direction only: its smallest one-way delay taken as zero (an upper bound)';
  } else if (Number.isFinite(b.lower)) {
    offset = b.lower;
    method = 'one direction only: its smallest one-way delay taken as zero (a lower bound)';
  } else {
    offset = 0;
    method = 'no segment seen in both captures: clocks taken as equal';
  }
  return {
    offset,
    lower: b.lower,
    upper: b.upper,
    // Timestamps are exact to the nanosecond at best: bounds that meet within that do not cross.
    consistent: b.lower <= b.upper + 1e-9,
    method,
    segmentBounds: b.segments,
    ackBounds: b.acks,
    delays: oneWayDelays(pairs, caps, times, offset, b.lower, b.upper),
  };
}

/** Transit time of a paired segment on capture 0's clock: arrival at the far capture minus passing the near one. */
export function transit(t0: number, t1: number, sentAt: CaptureIndex, offset: number): number {
  return sentAt === 0 ? t1 - offset - t0 : t0 - (t1 - offset);
}

function oneWayDelays(pairs: ConnectionPair[], caps: [Capture, Capture], times: Times, offset: number, lower: number, upper: number): ClockAlignment['delays'] {
  const raw: [number[], number[]] = [[], []];
  const sign: [number, number] = [1, 1];
  for (const p of pairs) {
    for (let i = 0; i < p.rows0.length; i++) {
      const dir = pairDir(p, 0, caps[0], p.rows0[i]);
      const s = senderCapture(p, dir);
      raw[dir].push(transit(times.at(0, p.rows0[i]), times.at(1, p.rows1[i]), s, offset));
      sign[dir] = s === 0 ? 1 : -1;
    }
  }
  // A delay of a segment passing capture 0 first falls as the offset rises: d = x - offset.
  const bounds = (d: number, dir: number): [number, number] => {
    const lo = sign[dir] > 0 ? d + offset - upper : d - offset + lower;
    const hi = sign[dir] > 0 ? d + offset - lower : d - offset + upper;
    return [lo, hi];
  };
  const stats = (dir: number): DelayStats | null => {
    const v = raw[dir];
    if (v.length === 0) return null;
    const min = Math.min(...v);
    const med = median(v);
    return { segments: v.length, min, minBounds: bounds(min, dir), median: med, medianBounds: bounds(med, dir), max: Math.max(...v) };
  };
  return { clientToServer: stats(0), serverToClient: stats(1) };
}
