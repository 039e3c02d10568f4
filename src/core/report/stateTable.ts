/**
 * The per-step state table, as the seeds print it: step, each endpoint's state from/to, and the
 * segment in RFC notation, as Markdown.
 */
import { STATES, type Analysis, type Connection } from '../engine/types';
import { segmentNotation } from './ladder';
import { connectionTitle } from './summary';

export function stateTableMarkdown(a: Analysis, c: Connection, opts: { relative?: boolean } = {}): string {
  const t = a.table;
  const relative = opts.relative ?? true;
  const lines: string[] = [];
  lines.push(`### Connection ${c.id}: ${connectionTitle(c)}`);
  lines.push('');
  lines.push(`| Step | ${t.frame[c.firstRow] > 0 ? 'Frame' : 'Line'} | Client (${c.client.addr}) from | to | Segment | Server (${c.server.addr}) from | to |`);
  lines.push('|---:|---:|---|---|---|---|---|');
  lines.push(`| 0 | | | ${c.initialState.client} | | | ${c.initialState.server} |`);
  c.rows.forEach((r, i) => {
    const dir = a.rowDir[r] === 0 ? '→' : '←';
    const cb = STATES[a.clientBefore[r]];
    const ca = STATES[a.clientAfter[r]];
    const sb = STATES[a.serverBefore[r]];
    const sa = STATES[a.serverAfter[r]];
    const where = t.frame[r] > 0 ? String(t.frame[r]) : String(t.line[r] + 1);
    const seg = `${dir} \`${segmentNotation(a, c, r, relative)}\``;
    lines.push(`| ${i + 1} | ${where} | ${cb} | ${ca === cb ? '' : ca} | ${seg} | ${sb} | ${sa === sb ? '' : sa} |`);
  });
  lines.push('');
  lines.push(`Final: client ${c.finalState.client}, server ${c.finalState.server}.`);
  return lines.join('\n') + '\n';
}
