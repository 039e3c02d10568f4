/**
 * The per-step state table of one connection, as Markdown, in the shape the teardown tables of the
 * literature print (each endpoint's state before a step, the state it moves to, blank when it stays):
 *
 * | Step | Frame | Client from | Client to | Segment | Server from | Server to |
 *
 * One step per segment, the segment in RFC 9293 notation (`<SEQ=..><ACK=..><CTL=FIN,ACK>`, relative
 * numbers unless asked otherwise) with its direction. Text traces number lines instead of frames.
 */
import { STATES, type Analysis, type Connection, type Side } from '../engine/types';
import { gaveUpAt, segmentNotation } from './ladder';

export interface StateTableOptions {
  /** Sequence and acknowledgment numbers relative to each side's ISN (default true). */
  relative?: boolean;
}

export function stateTableMarkdown(a: Analysis, c: Connection, opts: StateTableOptions = {}): string {
  const t = a.table;
  const relative = opts.relative ?? true;
  const byFrame = t.frame[c.firstRow] > 0;
  const lines: string[] = [];
  lines.push(`### Connection ${c.id}: client ${c.client.addr}:${c.client.port} → server ${c.server.addr}:${c.server.port}`);
  lines.push('');
  lines.push(`| Step | ${byFrame ? 'Frame' : 'Line'} | Client from | Client to | Segment | Server from | Server to |`);
  lines.push('|---:|---:|---|---|---|---|---|');
  lines.push(`| 0 | | | ${c.initialState.client} | *(start)* | | ${c.initialState.server} |`);
  let inferredSeen = false;
  /** The new state of a side, marked when the change was inferred; blank when unchanged. */
  const to = (r: number, side: Side, before: number, after: number): string => {
    if (before === after) return '';
    let inferred = false;
    for (let k = a.transitionStart[r]; k < a.transitionStart[r + 1]; k++) {
      const tr = a.transitionAt(k);
      if (tr.side === side && tr.to === STATES[after] && tr.inferred) inferred = true;
    }
    if (inferred) inferredSeen = true;
    return inferred ? `${STATES[after]} *` : STATES[after];
  };
  /** Changes with no segment (a side that gave up retransmitting), each with its reason. */
  const gaveUp: string[] = [];
  c.rows.forEach((r, i) => {
    const g = gaveUpAt(a, r);
    if (g !== undefined) gaveUp.push(`Step ${i + 1}: the ${g.side} then ${g.from} → ${g.to} (inferred, no segment shows it): ${g.reason}`);
    const dir = a.rowDir[r] === 0 ? '→' : '←';
    const where = byFrame ? String(t.frame[r]) : String(t.line[r] + 1);
    const cb = a.clientBefore[r];
    const sb = a.serverBefore[r];
    const seg = `${dir} \`${segmentNotation(a, c, r, relative)}\``;
    lines.push(
      `| ${i + 1} | ${where} | ${STATES[cb]} | ${to(r, 'client', cb, a.clientAfter[r])} | ${seg} | ${STATES[sb]} | ${to(r, 'server', sb, a.serverAfter[r])} |`,
    );
  });
  lines.push('');
  const msl = a.options.mslSeconds;
  const fin = (s: string): string => (s === 'TIME-WAIT' ? `TIME-WAIT (CLOSED after 2 MSL = ${2 * msl} s)` : s);
  lines.push(`Final: client ${fin(c.finalState.client)}, server ${fin(c.finalState.server)}.`);
  if (inferredSeen) lines.push('', '\\* inferred from later segments (the capture does not show the moment itself).');
  for (const g of gaveUp) lines.push('', g);
  return lines.join('\n') + '\n';
}
