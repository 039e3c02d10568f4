/**
 * A Mermaid `sequenceDiagram` of one connection: the client and the server as participants, one
 * message per segment (frame or line, flags, relative or absolute numbers), a `Note over` whenever an
 * endpoint's state changes (TIME-WAIT with its 2 MSL timer), and the findings as notes spanning both.
 */
import { ACK, flagNames } from '../model/segment';
import { seqDistance } from '../seq';
import { STATES, type Analysis, type Connection } from '../engine/types';

export interface MermaidOptions {
  /** Sequence and acknowledgment numbers relative to each side's ISN (default true). */
  relative?: boolean;
}

/**
 * Text Mermaid shows as is: `;` ends a statement, `#` starts an entity code, `<` `>` would be taken
 * for HTML, and `:` separates a message from its text (IPv6 colons become a look-alike).
 */
export function mermaidText(s: string): string {
  return s
    .replace(/[;#<>]/g, ' ')
    .replace(/:/g, '\uA789')
    .replace(/\s+/g, ' ')
    .trim();
}

function stateNote(a: Analysis, state: string): string {
  return state === 'TIME-WAIT' ? `TIME-WAIT (2 MSL = ${2 * a.options.mslSeconds} s)` : state;
}

export function mermaidSequence(a: Analysis, c: Connection, opts: MermaidOptions = {}): string {
  const t = a.table;
  const relative = opts.relative ?? true;
  const out: string[] = ['sequenceDiagram'];
  out.push(`    participant C as client ${mermaidText(`${c.client.addr}.${c.client.port}`)}`);
  out.push(`    participant S as server ${mermaidText(`${c.server.addr}.${c.server.port}`)}`);
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
    const flags = flagNames(t.flags[r]) || 'no flags';
    const label = `${flags} seq=${seq}${t.flags[r] & ACK ? ` ack=${ack}` : ''}${t.len[r] > 0 ? ` len=${t.len[r]}` : ''}`;
    const where = t.frame[r] > 0 ? `frame ${t.frame[r]}` : `line ${t.line[r] + 1}`;
    out.push(`    ${fromClient ? 'C->>S' : 'S->>C'}: ${mermaidText(`${where} ${label}`)}`);
    const cb = a.clientBefore[r];
    const ca = a.clientAfter[r];
    const sb = a.serverBefore[r];
    const sa = a.serverAfter[r];
    if (ca !== cb && sa !== sb && STATES[ca] === STATES[sa]) out.push(`    Note over C,S: ${stateNote(a, STATES[ca])}`);
    else {
      if (ca !== cb) out.push(`    Note over C: ${stateNote(a, STATES[ca])}`);
      if (sa !== sb) out.push(`    Note over S: ${stateNote(a, STATES[sa])}`);
    }
    const fs = findingsByRow.get(r);
    if (fs) out.push(`    Note over C,S: ${mermaidText(fs.join(', '))}`);
  }
  const last = c.lastRow;
  if (STATES[a.clientAfter[last]] !== c.finalState.client) out.push(`    Note over C: ${c.finalState.client}`);
  if (STATES[a.serverAfter[last]] !== c.finalState.server) out.push(`    Note over S: ${c.finalState.server}`);
  return out.join('\n') + '\n';
}
