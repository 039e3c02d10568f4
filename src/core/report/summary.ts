/**
 * Human-readable `analyze` output: one summary block per connection.
 */
import { stateText, type Analysis, type Connection } from '../engine/types';
import type { SegmentTable } from '../model/segment';
import type { InputSummary } from './json';

const OUTCOME_TEXT: Record<Connection['outcome'], string> = {
  graceful: 'closed gracefully',
  simultaneous: 'closed simultaneously',
  reset: 'reset',
  refused: 'refused',
  'half-closed': 'half-closed',
  'half-open': 'handshake never completed',
  open: 'still open at the end of the capture',
};

export function connectionTitle(c: Connection): string {
  return `${c.client.addr}:${c.client.port} -> ${c.server.addr}:${c.server.port}`;
}

export function connectionVerdict(c: Connection): string {
  const parts = [OUTCOME_TEXT[c.outcome]];
  if (c.closeInitiator === 'client' || c.closeInitiator === 'server') parts.push(`${c.closeInitiator} closed first`);
  if (c.reset && c.outcome !== 'refused') parts.push(`RST by the ${c.reset.by} (${c.reset.reason}, ${c.reset.confidence})`);
  return parts.join(', ');
}

/** `1-9`; with several files `a.pcap:1-9`, or `a.pcap:9 to b.pcap:3` across two. */
function frameRange(t: SegmentTable, first: number, last: number): string {
  if (t.files === undefined || t.file[first] === t.file[last]) return `${t.frameName(first)}-${t.frame[last]}`;
  return `${t.frameName(first)} to ${t.frameName(last)}`;
}

export function summaryText(a: Analysis, input: InputSummary): string {
  return [...summaryTextChunks(a, input)].join('');
}

/** {@link summaryText} as strings of about `chunkChars` characters (for large captures). */
export function* summaryTextChunks(a: Analysis, input: InputSummary, chunkChars = 1 << 16): Generator<string> {
  const t = a.table;
  const source = input.files !== undefined ? `${input.files.length} files (${input.format})` : input.format;
  let out = `${source}: ${input.packets} packets, ${input.tcpSegments} TCP segments, ${a.connections.length} connection${a.connections.length === 1 ? '' : 's'}, ${a.findings.length} finding${a.findings.length === 1 ? '' : 's'}\n`;
  for (const c of a.connections) {
    const first = t.frame[c.firstRow] > 0 ? `frames ${frameRange(t, c.firstRow, c.lastRow)}` : `lines ${t.line[c.firstRow] + 1}-${t.line[c.lastRow] + 1}`;
    const final = c.finalState;
    out += `\n#${c.id} ${connectionTitle(c)}${c.rolesInferred ? ' (roles inferred)' : ''}  [${first}, ${c.segments} segments]\n`;
    out += `   ${connectionVerdict(c)}; final state: client ${stateText(final.client)}, server ${stateText(final.server)}\n`;
    const v = c.vantage;
    if (v.near !== 'unknown') out += `   ${v.note}\n`;
    const notes = c.stateNotes;
    if (notes.client !== undefined) out += `   note: ${notes.client}\n`;
    if (notes.server !== undefined) out += `   note: ${notes.server}\n`;
    for (const f of c.findings) out += `   ${f.severity.padEnd(7)} ${f.code}: ${f.message}\n`;
    if (out.length >= chunkChars) {
      yield out;
      out = '';
    }
  }
  yield out;
}
