/**
 * The RFC-style ladder of one connection, as the figures of RFC 9293 3.6 print it: a numbered
 * step per segment (the frame number, or the line for text traces), the client's state on the
 * left, the segment and its direction in the middle, the server's state on the right.
 */
import { ACK, flagNames } from '../model/segment';
import { seqDistance } from '../seq';
import { STATES, type Analysis, type Connection } from '../engine/types';

export interface LadderOptions {
  /** Sequence and acknowledgment numbers relative to each side's ISN (default true). */
  relative?: boolean;
}

/** `<SEQ=100><ACK=300><CTL=FIN,ACK>` (plus `<DATA=n>` when the segment carries payload). */
export function segmentNotation(a: Analysis, c: Connection, r: number, relative: boolean): string {
  const t = a.table;
  const f = t.flags[r];
  const fromClient = a.rowDir[r] === 0;
  const ownIsn = fromClient ? c.isn.client : c.isn.server;
  const peerIsn = fromClient ? c.isn.server : c.isn.client;
  // Relative numbers only against a known ISN: a guessed one (no SYN seen) would mislead.
  const ownKnown = fromClient ? c.isnKnown.client : c.isnKnown.server;
  const peerKnown = fromClient ? c.isnKnown.server : c.isnKnown.client;
  const seq = relative && ownKnown ? seqDistance(ownIsn, t.seq[r]) : t.seq[r];
  const ack = relative && peerKnown ? seqDistance(peerIsn, t.ack[r]) : t.ack[r];
  let s = `<SEQ=${seq}>`;
  if (f & ACK) s += `<ACK=${ack}>`;
  s += `<CTL=${flagNames(f)}>`;
  if (t.len[r] > 0) s += `<DATA=${t.len[r]}>`;
  return s;
}

export function ladderText(a: Analysis, c: Connection, opts: LadderOptions = {}): string {
  const relative = opts.relative ?? true;
  const t = a.table;
  const stepOf = (r: number): string => (t.frame[r] > 0 ? String(t.frame[r]) : String(t.line[r] + 1));
  const width = Math.max(4, ...c.rows.map((r) => stepOf(r).length + 1));
  const segs = c.rows.map((r) => segmentNotation(a, c, r, relative));
  const segW = Math.max(36, ...segs.map((s) => s.length));
  const stateW = 13;
  // left state, arrow, segment, arrow: where the right-hand state column starts
  const rightCol = stateW + 3 + 1 + segW + 1 + 1 + 3 + 1;
  const pad = (s: string, n: number): string => s + ' '.repeat(Math.max(1, n - s.length));
  const lines: string[] = [];
  const head = ' '.repeat(width + 2);
  const ep = (e: { ipVersion: 4 | 6; addr: string; port: number }): string => (e.ipVersion === 6 ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`);
  lines.push(`${head}${pad(`TCP A (${ep(c.client)})`, rightCol)}TCP B (${ep(c.server)})`);
  lines.push('');
  lines.push(`${pad(`${'0'.padStart(width - 1)}.`, width + 2)}${pad(c.initialState.client, rightCol)}${c.initialState.server}`);
  for (let k = 0; k < c.rows.length; k++) {
    const r = c.rows[k];
    const toServer = a.rowDir[r] === 0;
    const arrow = toServer ? '-->' : '<--';
    const left = STATES[a.clientAfter[r]];
    const right = STATES[a.serverAfter[r]];
    lines.push(`${pad(`${stepOf(r).padStart(width - 1)}.`, width + 2)}${pad(left, stateW)} ${arrow} ${segs[k].padEnd(segW)} ${arrow} ${right}`);
  }
  return lines.join('\n') + '\n';
}
