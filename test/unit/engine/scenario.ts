/**
 * Scenario builder for engine tests: a client 10.0.0.1:40000 and a server 10.0.0.2:80 exchange
 * segments written as templates; sequence numbers start just under 2^32 so every scenario crosses
 * the wrap (as smoltcp's tests do).
 */
import { ACK, FIN, PSH, RST, SYN, SegmentTable, SegmentView } from '../../../src/core/model/segment';
import { analyze, STATES, type Analysis, type EngineOptions, type TcpState } from '../../../src/core/engine';
import { seqAdd } from '../../../src/core/seq';

export const C_ISN = 0xffff_fff0;
export const S_ISN = 0xffff_ff00;

export type Dir = 'c>s' | 's>c';
export interface Seg {
  dir: Dir;
  flags: number;
  /** Offsets from each side's ISN (relative sequence numbers, as tcpdump prints them). */
  seq: number;
  ack?: number;
  len?: number;
  win?: number;
  t: number;
  /** Absolute overrides (for out-of-window RSTs and the like). */
  rawSeq?: number;
  rawAck?: number;
  /** IPv4 TTL (default 64) and identification (default: none). */
  ttl?: number;
  ipId?: number;
}

export function build(segs: Seg[]): SegmentTable {
  const table = new SegmentTable(16);
  const v = new SegmentView();
  let frame = 0;
  for (const s of segs) {
    const c2s = s.dir === 'c>s';
    v.frame = ++frame;
    v.tsSec = Math.floor(s.t);
    v.tsNsec = Math.round((s.t - Math.floor(s.t)) * 1e9);
    v.ipVersion = 4;
    v.src.set(c2s ? [10, 0, 0, 1] : [10, 0, 0, 2]);
    v.dst.set(c2s ? [10, 0, 0, 2] : [10, 0, 0, 1]);
    v.sport = c2s ? 40000 : 80;
    v.dport = c2s ? 80 : 40000;
    v.seq = s.rawSeq ?? seqAdd(c2s ? C_ISN : S_ISN, s.seq);
    v.ack = s.rawAck ?? (s.flags & ACK ? seqAdd(c2s ? S_ISN : C_ISN, s.ack ?? 0) : 0);
    v.flags = s.flags;
    v.len = s.len ?? 0;
    v.win = s.win ?? 64240;
    v.ttl = s.ttl ?? 64;
    v.ipId = s.ipId ?? -1;
    table.append(v);
  }
  return table;
}

export function run(segs: Seg[], opts: Partial<EngineOptions> = {}): Analysis {
  return analyze(build(segs), opts);
}

export const st = (i: number): TcpState => STATES[i];

/** [client, server] state after each row. */
export function after(a: Analysis): [TcpState, TcpState][] {
  const out: [TcpState, TcpState][] = [];
  for (let r = 0; r < a.table.length; r++) out.push([st(a.clientAfter[r]), st(a.serverAfter[r])]);
  return out;
}

export function codes(a: Analysis): string[] {
  return a.findings.map((f) => f.code).sort();
}

/** A complete handshake plus one request/response: client seq 1..11, server seq 1..21. */
export function established(t0 = 0): Seg[] {
  return [
    { dir: 'c>s', flags: SYN, seq: 0, t: t0 },
    { dir: 's>c', flags: SYN | ACK, seq: 0, ack: 1, t: t0 + 0.001 },
    { dir: 'c>s', flags: ACK, seq: 1, ack: 1, t: t0 + 0.002 },
    { dir: 'c>s', flags: PSH | ACK, seq: 1, ack: 1, len: 10, t: t0 + 0.003 },
    { dir: 's>c', flags: ACK, seq: 1, ack: 11, t: t0 + 0.004 },
    { dir: 's>c', flags: PSH | ACK, seq: 1, ack: 11, len: 20, t: t0 + 0.005 },
    { dir: 'c>s', flags: ACK, seq: 11, ack: 21, t: t0 + 0.006 },
  ];
}

export { ACK, FIN, PSH, RST, SYN };
