import type { Analysis } from '../engine/types';
import type { CompiledFilter, FilterContext } from './index';

/** Stream ids and relative-number bases (each side's ISN) for filtering an analysis. */
export function analysisFilterContext(a: Analysis): FilterContext {
  const isnOf = (row: number, sender: boolean): number => {
    const c = a.connections[a.rowConn[row]];
    if (!c) return 0;
    const fromClient = a.rowDir[row] === 0;
    return (sender ? fromClient : !fromClient) ? c.isn.client : c.isn.server;
  };
  return {
    stream: (row) => a.rowConn[row],
    seqBase: (row) => isnOf(row, true),
    ackBase: (row) => isnOf(row, false),
  };
}

/** Ids of the connections with at least one segment the filter matches. */
export function matchingConnections(a: Analysis, filter: CompiledFilter): Set<number> {
  const ids = new Set<number>();
  const ctx = analysisFilterContext(a);
  for (let r = 0; r < a.table.length; r++) {
    const ci = a.rowConn[r];
    if (ci < 0 || ids.has(ci + 1)) continue;
    if (filter.matches(a.table, r, ctx)) ids.add(ci + 1);
  }
  return ids;
}
