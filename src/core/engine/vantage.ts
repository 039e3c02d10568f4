/**
 * Where a capture was taken on a connection's path, from its handshake's timing. A capture point
 * near the client sees the SYN leave and the SYN-ACK come back a whole round trip later, then the
 * client's ACK at once: SYN -> SYN-ACK is long, SYN-ACK -> ACK short. Near the server it is the
 * other way round, and in between both halves carry part of the path. Each host's own processing
 * (tens of microseconds) blurs this, so a side is named only when one half clearly dominates.
 */
import { ACK, SYN, type SegmentTable } from '../model/segment';
import { seqAdd } from '../seq';

export type Near = 'client' | 'server' | 'between' | 'unknown';

export interface Vantage {
  near: Near;
  /** Seconds from the client's SYN to the server's SYN-ACK, and from it to the client's ACK (NaN if not seen). */
  synToSynAck: number;
  synAckToAck: number;
  /** One sentence: what the timing shows, or why it cannot tell. */
  note: string;
}

/** One half must be this many times the other to place the capture near one end... */
const DOMINANCE = 3;
/** ...and longer than the other by this much (host processing on a LAN is tens of microseconds). */
const MIN_PATH = 100e-6;

export function vantageOf(table: SegmentTable, rows: ArrayLike<number>, dir: ArrayLike<number>): Vantage {
  const { flags } = table;
  let syn = -1;
  let synAck = -1;
  let ack = -1;
  for (let i = 0; i < rows.length && ack < 0; i++) {
    const r = rows[i];
    const f = flags[r];
    if (dir[r] === 0 && (f & (SYN | ACK)) === SYN && synAck < 0) syn = r;
    else if (dir[r] === 1 && (f & (SYN | ACK)) === (SYN | ACK) && syn >= 0) synAck = r;
    else if (dir[r] === 0 && synAck >= 0 && f & ACK && !(f & SYN) && table.ack[r] === seqAdd(table.seq[synAck], 1)) ack = r;
  }
  if (syn < 0 || synAck < 0 || ack < 0)
    return { near: 'unknown', synToSynAck: NaN, synAckToAck: NaN, note: 'no complete handshake in the capture, so its timing cannot place the capture point' };
  const t1 = table.time(synAck) - table.time(syn);
  const t2 = table.time(ack) - table.time(synAck);
  const times = `SYN to SYN-ACK ${us(t1)}, SYN-ACK to ACK ${us(t2)}`;
  if (t1 >= DOMINANCE * t2 && t1 - t2 >= MIN_PATH)
    return { near: 'client', synToSynAck: t1, synAckToAck: t2, note: `captured near the client: the round trip lies before the SYN-ACK (${times})` };
  if (t2 >= DOMINANCE * t1 && t2 - t1 >= MIN_PATH)
    return { near: 'server', synToSynAck: t1, synAckToAck: t2, note: `captured near the server: the round trip lies after the SYN-ACK (${times})` };
  if (t1 >= MIN_PATH && t2 >= MIN_PATH)
    return { near: 'between', synToSynAck: t1, synAckToAck: t2, note: `captured between the two: each half of the handshake crossed part of the path (${times})` };
  return {
    near: 'unknown',
    synToSynAck: t1,
    synAckToAck: t2,
    note: `the handshake's round trip (${us(t1 + t2)}) is too short to place the capture point: both ends are near it (${times})`,
  };
}

function us(s: number): string {
  return s >= 0.01 ? `${(s * 1000).toFixed(1)} ms` : `${Math.round(s * 1e6)} µs`;
}
