/**
 * The RFC-style ladder of one connection, as the figures of RFC 9293 3.6 print it: a numbered
 * step per segment (the frame number, or the line for text traces), the client's state on the
 * left, the segment and its direction in the middle, the server's state on the right.
 */
import { ACK, FIN, SYN, flagNames } from '../model/segment';
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

/**
 * The ladder as text. A segment the engine found still in flight when its row was sent (crossing
 * FINs: the peer sent its own FIN before acknowledging) is drawn as RFC 9293 figure 13 draws it:
 * `...` on the receiver's side, then a line of its own, with `...` on the sender's side, where it
 * arrives; each line's states are those after its own events, so the ladder reads back as a
 * figure (tcp-trace) with every state it shows confirmed. A segment never received stays `...`.
 */
export function ladderText(a: Analysis, c: Connection, opts: LadderOptions = {}): string {
  const relative = opts.relative ?? true;
  const t = a.table;
  const rows = c.rows;
  const stepOf = (r: number): string => (t.frame[r] > 0 ? String(t.frame[r]) : String(t.line[r] + 1));
  const width = Math.max(4, ...rows.map((r) => stepOf(r).length + 1));
  const segs = new Map<number, string>(rows.map((r) => [r, segmentNotation(a, c, r, relative)]));
  const segW = Math.max(36, ...[...segs.values()].map((s) => s.length));
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

  // Arrivals that come after a later row: row -> the rows that arrive after it, in row order.
  const arrivals = new Map<number, number[]>();
  for (const r of rows) {
    const d = a.deliverAt[r];
    if (d > r) {
      const list = arrivals.get(d);
      if (list) list.push(r);
      else arrivals.set(d, [r]);
    }
  }
  const line = (prefix: string, left: string, r: number, sent: boolean, arrives: boolean, right: string): string => {
    const toServer = a.rowDir[r] === 0;
    const arrow = toServer ? '-->' : '<--';
    const [la, ra] = toServer ? [sent ? arrow : '...', arrives ? arrow : '...'] : [arrives ? arrow : '...', sent ? arrow : '...'];
    return `${pad(prefix, width + 2)}${pad(left, stateW)} ${la} ${segs.get(r)!.padEnd(segW)} ${ra} ${right}`;
  };
  // A retransmitted SYN/FIN is a duplicate once its first transmission arrived, and as much in
  // flight as the first one before that.
  const firstTransmission = (r: number): number => {
    const control = t.flags[r] & (SYN | FIN);
    for (const q of rows) if (q < r && a.rowDir[q] === a.rowDir[r] && t.flags[q] & control && a.deliverAt[q] !== -2) return q;
    return -1;
  };
  const arrivesWith = (r: number): boolean => {
    const d = a.deliverAt[r];
    if (d === -1) return false;
    if (d !== -2) return d <= r;
    const q = firstTransmission(r);
    return q < 0 || (a.deliverAt[q] >= 0 && a.deliverAt[q] <= r);
  };
  for (const r of rows) {
    const arrivesNow = arrivesWith(r);
    const later = arrivals.get(r);
    if (later === undefined) {
      lines.push(line(`${stepOf(r).padStart(width - 1)}.`, STATES[a.clientAfter[r]], r, true, arrivesNow, STATES[a.serverAfter[r]]));
      continue;
    }
    // States after this row's own events, then after each arrival it lets through.
    const st = [STATES[a.clientBefore[r]] as string, STATES[a.serverBefore[r]] as string];
    const apply = (cause: number): void => {
      for (let k = a.transitionStart[r]; k < a.transitionStart[r + 1]; k++) {
        const tr = a.transitionAt(k);
        if (tr.cause === cause) st[tr.side === 'client' ? 0 : 1] = tr.to;
      }
    };
    apply(r);
    lines.push(line(`${stepOf(r).padStart(width - 1)}.`, st[0], r, true, arrivesNow, st[1]));
    for (const p of later) {
      apply(p);
      lines.push(line('', st[0], p, false, true, st[1]));
    }
  }
  return lines.join('\n') + '\n';
}
