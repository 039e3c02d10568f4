/**
 * Traces the random-trace properties (property.test.ts) found, each kept as one of that property's
 * `examples` and tested on its own (the test named with each).
 */
import { ACK, FIN, PSH, RST, SYN } from '../../../src/core/model/segment';
import type { RandomSeg } from './randomTrace';

/** finGaveUpReset.test.ts: a FIN retransmitted with no ACK while the peer's RST was in flight (pair 1: client 10.0.0.1:40001, server 10.0.0.2:80). */
export const FIN_GAVE_UP_RST: RandomSeg[] = [
  { pair: 1, dir: true, flags: SYN, len: 0, win: 64240, jump: 0, ackLag: 1, dt: 0 },
  { pair: 1, dir: true, flags: RST | ACK, len: 0, win: 64240, jump: 0, ackLag: 0, dt: 0 },
  { pair: 1, dir: false, flags: FIN | ACK, len: 0, win: 64240, jump: 0, ackLag: 0, dt: 0 },
  { pair: 1, dir: false, flags: FIN | ACK, len: 1, win: 0, jump: 0, ackLag: 0, dt: 1.1920928955078128e-7 },
  // Another connection 1 s later: the capture goes on past the server's next FIN retransmission.
  { pair: 0, dir: false, flags: SYN, len: 0, win: 64240, jump: 0, ackLag: 0, dt: 1 },
];

/** ackFateUnknownFin.test.ts: a FIN,ACK whose ACK is judged never to arrive (pair 0: client 10.0.0.1:40000, server 10.0.0.2:80; dir true: from the server). */
export const ACK_FATE_UNKNOWN_FIN: RandomSeg[] = [
  { pair: 0, dir: true, flags: FIN | PSH | ACK, len: 1, win: 64240, jump: 0, ackLag: 0, dt: 0 },
  { pair: 0, dir: false, flags: SYN | ACK, len: 1, win: 64240, jump: 0, ackLag: 0, dt: 0 },
  { pair: 0, dir: false, flags: PSH | ACK, len: 0, win: 64240, jump: 1, ackLag: 0, dt: 0 },
  { pair: 1, dir: false, flags: SYN, len: 1, win: 64240, jump: 0, ackLag: 0, dt: 1 },
  { pair: 0, dir: true, flags: FIN | ACK, len: 1, win: 64240, jump: 0, ackLag: 0, dt: 0 },
  { pair: 0, dir: false, flags: FIN | ACK, len: 1, win: 64240, jump: 0, ackLag: 0, dt: 1 },
];

/** ladderTimeWaitExpired.test.ts: three gaps under 20 s adding past 2 MSL (pair 1: client 10.0.0.1:40001, server 10.0.0.2:80; pair 0: other SYNs). */
export const TIME_WAIT_EXPIRED: RandomSeg[] = [
  { pair: 1, dir: false, flags: FIN | PSH | ACK, len: 0, win: 64240, jump: 0, ackLag: 0, dt: 0 },
  { pair: 1, dir: true, flags: 507, len: 1, win: 64240, jump: 0, ackLag: 0, dt: 0 },
  { pair: 0, dir: false, flags: SYN, len: 1, win: 0, jump: 0, ackLag: 0, dt: 19.799999833106998 },
  { pair: 1, dir: true, flags: ACK, len: 1, win: 64240, jump: 0, ackLag: 1, dt: 19.999999880790714 },
  { pair: 0, dir: false, flags: SYN, len: 0, win: 64240, jump: 0, ackLag: 0, dt: 19.999999880790714 },
  { pair: 1, dir: false, flags: ACK, len: 0, win: 64240, jump: 0, ackLag: 1, dt: 0.19999992847442627 },
  { pair: 0, dir: false, flags: SYN, len: 1, win: 0, jump: 0, ackLag: 1, dt: 0 },
];

/** {@link TIME_WAIT_EXPIRED} with the roles of pair 1 swapped: the server is the one in TIME-WAIT. */
export const TIME_WAIT_EXPIRED_MIRRORED: RandomSeg[] = TIME_WAIT_EXPIRED.map((s) => (s.pair === 1 ? { ...s, dir: !s.dir } : s));
