/**
 * Filter contexts: what `tcp.stream`, `tcp.seq`, `tcp.ack` and `tcp.nxtseq` mean for each row.
 *
 * Relative numbers follow Wireshark: relative to the sender's ISN when its SYN was seen; when it
 * was not (the capture began mid-connection), the first sequence number seen counts as 1.
 */

import type { Analysis } from '../engine/types';
import { ACK, SYN, type SegmentTable } from '../model/segment';
import type { CompiledFilter, FilterContext } from './index';

/** Streams and relative-number bases from the engine's connections. */
export function analysisFilterContext(a: Analysis): FilterContext {
  const base = (row: number, ofSender: boolean): number => {
    const c = a.connections[a.rowConn[row]];
    if (c === undefined) return NaN;
    const clientSide = (a.rowDir[row] === 0) === ofSender;
    const isn = clientSide ? c.isn.client : c.isn.server;
    const known = clientSide ? c.isnKnown.client : c.isnKnown.server;
    return known ? isn : (isn - 1) >>> 0;
  };
  return {
    // tcp.stream is the connection's id - 1 (its index in the whole capture, also in a streaming batch).
    stream: (row) => (a.rowConn[row] >= 0 ? a.connections[a.rowConn[row]].id - 1 : -1),
    seqBase: (row) => base(row, true),
    ackBase: (row) => base(row, false),
    kind: (row) => (a.rowConn[row] >= 0 ? a.rowKind[row] : NaN),
  };
}

/**
 * A context computed from the table alone, for callers without an analysis: a stream per 4-tuple
 * (a new one when a SYN follows a FIN or RST on it), and per stream and direction the ISN of the
 * first SYN, else the first sequence number seen minus one.
 */
export function basicFilterContext(table: SegmentTable): FilterContext {
  const n = table.length;
  const stream = new Int32Array(n);
  const seqBase = new Float64Array(n);
  const ackBase = new Float64Array(n);
  interface S {
    id: number;
    lo: number; // endpoint id of direction 0's sender
    base: [number, number];
    closed: boolean;
    rows: number[];
  }
  const open = new Map<string, S>();
  const all: S[] = [];
  for (let r = 0; r < n; r++) {
    const s0 = table.src[r];
    const d0 = table.dst[r];
    const key = s0 < d0 ? `${s0}/${d0}` : `${d0}/${s0}`;
    const f = table.flags[r];
    let s = open.get(key);
    if (s === undefined || (s.closed && (f & SYN) !== 0 && (f & ACK) === 0)) {
      s = { id: all.length, lo: Math.min(s0, d0), base: [NaN, NaN], closed: false, rows: [] };
      open.set(key, s);
      all.push(s);
    }
    const dir = s0 === s.lo ? 0 : 1;
    if (Number.isNaN(s.base[dir])) s.base[dir] = f & SYN ? table.seq[r] : (table.seq[r] - 1) >>> 0;
    if (f & (0x001 | 0x004)) s.closed = true;
    stream[r] = s.id;
    s.rows.push(r);
  }
  for (const s of all) {
    for (const r of s.rows) {
      const dir = table.src[r] === s.lo ? 0 : 1;
      seqBase[r] = s.base[dir];
      ackBase[r] = s.base[1 - dir];
    }
  }
  return {
    stream: (row) => stream[row],
    seqBase: (row) => seqBase[row],
    ackBase: (row) => ackBase[row],
    // Without the engine, nothing is classified: tcp.analysis.* are absent.
    kind: () => NaN,
  };
}

/** Ids (1-based) of the connections with at least one segment the filter matches. */
export function matchingConnections(a: Analysis, filter: CompiledFilter): Set<number> {
  const ids = new Set<number>();
  const ctx = analysisFilterContext(a);
  const matched = new Uint8Array(a.connections.length);
  for (let r = 0; r < a.table.length; r++) {
    const ci = a.rowConn[r];
    if (ci < 0 || matched[ci]) continue;
    if (filter.matches(a.table, r, ctx)) {
      matched[ci] = 1;
      ids.add(a.connections[ci].id);
    }
  }
  return ids;
}
