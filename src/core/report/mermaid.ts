/**
 * A Mermaid `sequenceDiagram` of one connection: one message per segment, a note whenever an
 * endpoint's state changes, and the findings as notes on their segments.
 */
import { flagNames } from '../model/segment';
import { seqDistance } from '../seq';
import { STATES, type Analysis, type Connection } from '../engine/types';

/** Mermaid text must not contain its own syntax characters in labels. */
function safe(s: string): string {
  return s.replace(/[;#:<>]/g, ' ').replace(/\s+/g, ' ').trim();
}

export function mermaidSequence(a: Analysis, c: Connection, opts: { relative?: boolean } = {}): string {
  const t = a.table;
  const relative = opts.relative ?? true;
  const out: string[] = ['sequenceDiagram'];
  out.push(`    participant C as client ${safe(`${c.client.addr}.${c.client.port}`)}`);
  out.push(`    participant S as server ${safe(`${c.server.addr}.${c.server.port}`)}`);
  out.push(`    Note over C: ${c.initialState.client}`);
  out.push(`    Note over S: ${c.initialState.server}`);
  const findingsByRow = new Map<number, string[]>();
  for (const f of c.findings) findingsByRow.set(f.row, [...(findingsByRow.get(f.row) ?? []), f.code]);
  for (const r of c.rows) {
    const fromClient = a.rowDir[r] === 0;
    const ownIsn = fromClient ? c.isn.client : c.isn.server;
    const peerIsn = fromClient ? c.isn.server : c.isn.client;
    const seq = relative ? seqDistance(ownIsn, t.seq[r]) : t.seq[r];
    const ack = relative ? seqDistance(peerIsn, t.ack[r]) : t.ack[r];
    const label = `${flagNames(t.flags[r])} seq=${seq}${t.flags[r] & 0x10 ? ` ack=${ack}` : ''}${t.len[r] > 0 ? ` len=${t.len[r]}` : ''}`;
    const where = t.frame[r] > 0 ? `#${t.frame[r]}` : `line ${t.line[r] + 1}`;
    out.push(`    ${fromClient ? 'C->>S' : 'S->>C'}: ${safe(`${where} ${label}`)}`);
    const cb = a.clientBefore[r];
    const ca = a.clientAfter[r];
    const sb = a.serverBefore[r];
    const sa = a.serverAfter[r];
    if (ca !== cb) out.push(`    Note over C: ${STATES[ca]}`);
    if (sa !== sb) out.push(`    Note over S: ${STATES[sa]}`);
    const fs = findingsByRow.get(r);
    if (fs) out.push(`    Note over C,S: ${safe(fs.join(', '))}`);
  }
  return out.join('\n') + '\n';
}
