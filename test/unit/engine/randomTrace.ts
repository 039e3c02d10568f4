/**
 * Random traces for property tests (fast-check): random segments between a few endpoints, with
 * sequence numbers that mostly follow each direction's own counter and sometimes jump anywhere.
 */
import fc from 'fast-check';
import { ACK, FIN, PSH, RST, SYN, SegmentTable, SegmentView } from '../../../src/core/model/segment';

export interface RandomSeg {
  pair: number; // which endpoint pair
  dir: boolean; // false: a -> b, true: b -> a
  flags: number;
  len: number;
  win: number;
  jump: number; // 0: follow the counters; else a raw sequence number
  ackLag: number; // how far behind the peer's counter the ACK is
  dt: number; // seconds since the previous segment
}

export const PAIRS: [number[], number, number[], number][] = [
  [[10, 0, 0, 1], 40000, [10, 0, 0, 2], 80],
  [[10, 0, 0, 1], 40001, [10, 0, 0, 2], 80],
  [[10, 0, 0, 3], 80, [10, 0, 0, 4], 80], // equal ports: roles from the SYN or guessed
];

export const FLAGS = [SYN, SYN | ACK, ACK, ACK, ACK, PSH | ACK, FIN | ACK, FIN | PSH | ACK, RST, RST | ACK, FIN, 0];

export const segArb: fc.Arbitrary<RandomSeg> = fc.record({
  pair: fc.nat(PAIRS.length - 1),
  dir: fc.boolean(),
  flags: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...FLAGS) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x1ff }) }),
  len: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 1500 }) }),
  win: fc.oneof({ weight: 5, arbitrary: fc.constant(64240) }, { weight: 1, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(0xffff) }),
  jump: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 0xffffffff }) }),
  ackLag: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }) }),
  dt: fc.oneof({ weight: 8, arbitrary: fc.double({ min: 0, max: 0.2, noNaN: true }) }, { weight: 1, arbitrary: fc.double({ min: 1, max: 200, noNaN: true }) }),
});

/** A table from random segments: each direction keeps its own SND.NXT, starting just under 2^32. */
export function build(segs: RandomSeg[]): SegmentTable {
  const table = new SegmentTable(16);
  const v = new SegmentView();
  const next = new Map<string, number>();
  let t = 1_700_000_000;
  let frame = 0;
  for (const s of segs) {
    const [aAddr, aPort, bAddr, bPort] = PAIRS[s.pair];
    const key = `${s.pair}${s.dir ? 'b' : 'a'}`;
    const peerKey = `${s.pair}${s.dir ? 'a' : 'b'}`;
    const start = (0xffff_ff00 + (s.dir ? 0x40 : 0)) >>> 0;
    let seq = next.get(key) ?? start;
    if (s.jump !== 0) seq = s.jump >>> 0;
    const space = s.len + (s.flags & SYN ? 1 : 0) + (s.flags & FIN ? 1 : 0);
    next.set(key, (seq + space) >>> 0);
    t += s.dt;
    v.frame = ++frame;
    v.tsSec = Math.floor(t);
    v.tsNsec = Math.min(999_999_999, Math.round((t - Math.floor(t)) * 1e9));
    v.ipVersion = 4;
    v.src.set(s.dir ? bAddr : aAddr);
    v.dst.set(s.dir ? aAddr : bAddr);
    v.sport = s.dir ? bPort : aPort;
    v.dport = s.dir ? aPort : bPort;
    v.seq = seq;
    v.ack = s.flags & ACK ? ((next.get(peerKey) ?? (0xffff_ff00 + (s.dir ? 0 : 0x40))) - s.ackLag) >>> 0 : 0;
    v.flags = s.flags;
    v.len = s.len;
    v.win = s.win;
    table.append(v);
  }
  return table;
}


/**
 * A counterexample the ladder read-back property found (ladderTimeWaitExpired.test.ts): pair 1
 * (client 10.0.0.1:40001, server 10.0.0.2:80) leaves the client in TIME-WAIT at its second row,
 * and gaps adding up to 2 MSL (60 s) later the engine ends it by the timer before the client's
 * ACK (row 5); pair 0 sends other SYNs in between.
 */
export const TIME_WAIT_RUNS_OUT: RandomSeg[] = [
  { pair: 1, dir: false, flags: FIN | PSH | ACK, len: 0, win: 64240, jump: 0, ackLag: 0, dt: 0 },
  { pair: 1, dir: true, flags: 507, len: 1, win: 64240, jump: 0, ackLag: 0, dt: 0 },
  { pair: 0, dir: false, flags: SYN, len: 1, win: 0, jump: 0, ackLag: 0, dt: 19.799999833106998 },
  { pair: 1, dir: true, flags: ACK, len: 1, win: 64240, jump: 0, ackLag: 1, dt: 19.999999880790714 },
  { pair: 0, dir: false, flags: SYN, len: 0, win: 64240, jump: 0, ackLag: 0, dt: 19.999999880790714 },
  { pair: 1, dir: false, flags: ACK, len: 0, win: 64240, jump: 0, ackLag: 1, dt: 0.19999992847442627 },
  { pair: 0, dir: false, flags: SYN, len: 1, win: 0, jump: 0, ackLag: 1, dt: 0 },
];

/** {@link TIME_WAIT_RUNS_OUT} with the roles of pair 1 swapped: the server is the one in TIME-WAIT. */
export const TIME_WAIT_RUNS_OUT_MIRRORED = TIME_WAIT_RUNS_OUT.map((s) => (s.pair === 1 ? { ...s, dir: !s.dir } : s));
