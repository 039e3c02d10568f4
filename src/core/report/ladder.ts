/**
 * The RFC-style ladder of one connection, as the figures of RFC 9293 3.6 print it: a numbered
 * step per segment (the frame number, or the line for text traces), the client's state on the
 * left, the segment and its direction in the middle, the server's state on the right.
 */
import { ACK, OPT_WSCALE, RST, SYN, flagNames } from '../model/segment';
import { seqDistance } from '../seq';
import { NEVER, RETRANSMITTED_CONTROL, firstTransmission, lostBeforeRetransmission, scaledWindow } from '../engine/wire';
import { STATES, type Analysis, type Connection, type TcpState, type Transition } from '../engine/types';

export interface LadderOptions {
  /** Sequence and acknowledgment numbers relative to each side's ISN (default true). */
  relative?: boolean;
}

/**
 * `<SEQ=100><ACK=300><CTL=FIN,ACK>` (plus `<DATA=n>` when the segment carries payload, and
 * `<WND=n>` when `withWindow`: the window as its receiver applies it, scaled).
 */
export function segmentNotation(a: Analysis, c: Connection, r: number, relative: boolean, withWindow = false): string {
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
  if (withWindow) s += `<WND=${windowOf(a, c, r)}>`;
  if (t.len[r] > 0) s += `<DATA=${t.len[r]}>`;
  return s;
}

/** The window of row r in bytes, as the engine reads it (scaled once both SYNs offered a scale). */
function windowOf(a: Analysis, c: Connection, r: number): number {
  const t = a.table;
  const shift = [-1, -1];
  for (const q of c.rows) {
    if (q > r) break;
    if (t.flags[q] & SYN && t.opts[q] & OPT_WSCALE) shift[a.rowDir[q]] = t.wscale[q];
  }
  const dir = a.rowDir[r];
  return scaledWindow(t.win[r], (t.flags[r] & SYN) !== 0, shift[dir], shift[1 - dir]);
}

/**
 * The rows whose window the figure must show for it to read back with the same states: for each
 * RST the engine judged against its receiver's window (in or out of it, RFC 9293 3.10.7.4), the
 * last segment that receiver sent before it, whose window that was. An RFC figure without
 * <WND=n> leaves a RST unchecked, so no other row needs one.
 */
export function windowRows(a: Analysis, c: Connection): Set<number> {
  const t = a.table;
  const out = new Set<number>();
  const last = [-1, -1];
  for (const r of c.rows) {
    const dir = a.rowDir[r];
    if (!(t.flags[r] & RST)) last[dir] = r;
    else {
      const check = a.rstCheck.get(r);
      if ((check === 'in-window' || check === 'out-of-window') && last[1 - dir] >= 0) out.add(last[1 - dir]);
    }
  }
  return out;
}

/** One line of a ladder: a segment sent (its step), or the later arrival of one in flight. */
export interface LadderLine {
  row: number;
  /** False: the line of the row's send; true: the line where a segment sent earlier arrives. */
  arrival: boolean;
  /** On a send line: the segment arrives on this same line (else it is in flight: `...`). */
  arrivesNow: boolean;
  /** Both states after this line's events. */
  client: TcpState;
  server: TcpState;
  /**
   * A timer ended the sender's state after this line with no segment (a SYN retransmitted with no
   * answer until connect() gave up): the transition, whose reason the text ladder prints after the
   * line. The line keeps the state the segment was sent in, so the ladder still reads back.
   */
  timer?: Transition;
  /**
   * On a send line: the sides whose 2 MSL TIME-WAIT timer ran out since the line before (the
   * engine's timer transition at this row, before its segment: {@link timerExpiredBefore}). The
   * text ladder writes the figure's own event, `(2 MSL)`, in each one's column on a line of its own
   * before this one, so the ladder reads back with the side CLOSED here.
   */
  expired?: { client: boolean; server: boolean };
}

/**
 * The row after which the receiver processed row `r` of connection `c`: `r` itself when on
 * arrival, a later row when it was in flight until then (crossing FINs), -1 when never (lost, as
 * far as the trace shows). A retransmitted SYN/FIN is a duplicate once its first transmission
 * arrived, and in flight with it until then.
 */
export function processedAfter(a: Analysis, c: Connection, r: number): number {
  const d = a.deliverAt[r];
  if (d === NEVER) return -1;
  // A FIN the receiver took only with a later retransmission of it: that one arrived, this one was lost.
  if (lostBeforeRetransmission(a.deliverAt, a.rowDir, a.table.flags, r)) return -1;
  if (d !== RETRANSMITTED_CONTROL) return Math.max(d, r);
  const first = firstTransmission(c.rows, 0, c.rows.length, r, a.table.flags, a.rowDir, a.deliverAt);
  // No first transmission in the trace: the engine never processes this one either.
  if (first < 0) return -1;
  const df = a.deliverAt[first];
  if (df === NEVER) return -1;
  return Math.max(df, r);
}

/** States a side leaves for CLOSED with no segment when it gives up retransmitting its SYN or FIN. */
const GIVES_UP_FROM: ReadonlySet<TcpState> = new Set<TcpState>(['SYN-SENT', 'FIN-WAIT-1', 'CLOSING', 'LAST-ACK']);

/**
 * The replay's inference, on row r, that a side gave up with no segment: row r's sender after its
 * last SYN (connect() timed out) or last FIN (an orphan's retries ran out), or the FIN's sender
 * in LAST-ACK at the peer's last ACK (that ACK arrived, or the sender gave up: CLOSED either way).
 * Inferred, never observed: the text ladder says so on a comment line, the webview on the band.
 */
export function gaveUpAt(a: Analysis, r: number): Transition | undefined {
  if (a.table.flags[r] & RST) return undefined;
  for (let k = a.transitionStart[r]; k < a.transitionStart[r + 1]; k++) {
    const tr = a.transitionAt(k);
    if (tr.cause === r && tr.inferred && tr.to === 'CLOSED' && GIVES_UP_FROM.has(tr.from)) return tr;
  }
  return undefined;
}

/**
 * The TIME-WAIT -> CLOSED transitions of row r that the 2 MSL timer made before the row's segment
 * (the engine runs the timers out before a row's send, so that side is already CLOSED in the
 * row's "before" states; a RST ending a TIME-WAIT leaves it TIME-WAIT there). Empty for most rows.
 */
export function timerExpiredBefore(a: Analysis, r: number): Transition[] {
  const out: Transition[] = [];
  for (let k = a.transitionStart[r]; k < a.transitionStart[r + 1]; k++) {
    const tr = a.transitionAt(k);
    const before = STATES[tr.side === 'client' ? a.clientBefore[r] : a.serverBefore[r]];
    if (tr.from === 'TIME-WAIT' && tr.to === 'CLOSED' && !tr.inferred && before === 'CLOSED') out.push(tr);
  }
  return out;
}

/**
 * The lines of a connection's ladder, as RFC 9293 figure 13 draws them: each row's send (with the
 * states after its own events, its arrival included when on arrival), followed by the arrivals of
 * segments that were in flight until then (crossing FINs: the peer sent its own FIN before
 * acknowledging), each with the states after it. A segment never received stays in flight; a
 * retransmitted SYN/FIN is a duplicate once its first transmission arrived, and as much in flight
 * as the first one before that.
 */
export function ladderLines(a: Analysis, c: Connection): LadderLine[] {
  const rows = c.rows;
  // Arrivals that come after a later row: row -> the rows that arrive after it, in row order.
  const arrivals = new Map<number, number[]>();
  for (const r of rows) {
    const d = a.deliverAt[r];
    if (d > r && !lostBeforeRetransmission(a.deliverAt, a.rowDir, a.table.flags, r)) {
      const list = arrivals.get(d);
      if (list) list.push(r);
      else arrivals.set(d, [r]);
    }
  }
  const arrivesWith = (r: number): boolean => processedAfter(a, c, r) === r;
  const out: LadderLine[] = [];
  for (const r of rows) {
    const arrivesNow = arrivesWith(r);
    const later = arrivals.get(r);
    const ran = timerExpiredBefore(a, r);
    const expired = ran.length === 0 ? undefined : { client: ran.some((tr) => tr.side === 'client'), server: ran.some((tr) => tr.side === 'server') };
    if (later === undefined) {
      const line: LadderLine = { row: r, arrival: false, arrivesNow, client: STATES[a.clientAfter[r]], server: STATES[a.serverAfter[r]] };
      const timer = gaveUpAt(a, r);
      if (timer !== undefined) {
        // The sender's own SYN/FIN was sent in the state it then left: the line keeps that state.
        if ((timer.side === 'client') === (a.rowDir[r] === 0)) line[timer.side] = timer.from;
        line.timer = timer;
      }
      if (expired) line.expired = expired;
      out.push(line);
      continue;
    }
    // States after this row's own events, then after each arrival it lets through.
    const st: [TcpState, TcpState] = [STATES[a.clientBefore[r]], STATES[a.serverBefore[r]]];
    const apply = (cause: number, only?: 'client' | 'server'): void => {
      for (let k = a.transitionStart[r]; k < a.transitionStart[r + 1]; k++) {
        const tr = a.transitionAt(k);
        if (tr.cause === cause && (only === undefined || tr.side === only)) st[tr.side === 'client' ? 0 : 1] = tr.to;
      }
    };
    // Segments observed arriving (two captures) may reach the receiver of this row just before it
    // does: then this row is in flight until they have arrived.
    const queued = arrivesNow && later.some((p) => a.rowDir[p] === a.rowDir[r]);
    apply(r, queued ? (a.rowDir[r] === 0 ? 'client' : 'server') : undefined);
    out.push({ row: r, arrival: false, arrivesNow: arrivesNow && !queued, client: st[0], server: st[1], ...(expired ? { expired } : {}) });
    for (const p of later) {
      apply(p);
      out.push({ row: p, arrival: true, arrivesNow: true, client: st[0], server: st[1] });
    }
    if (queued) {
      apply(r, a.rowDir[r] === 0 ? 'server' : 'client');
      out.push({ row: r, arrival: true, arrivesNow: true, client: st[0], server: st[1] });
    }
  }
  return out;
}

/**
 * The ladder as text (see {@link ladderLines}); each line's states are those after its own events,
 * so the ladder reads back as a figure (tcp-trace) with every state it shows confirmed.
 */
export function ladderText(a: Analysis, c: Connection, opts: LadderOptions = {}): string {
  return ladderFigure(a, c, opts).text.join('\n') + '\n';
}

/** A ladder's text lines, its {@link ladderLines}, and the text line of each of them. */
export interface LadderFigure {
  text: string[];
  lines: LadderLine[];
  /** `text[at[i]]` is the line drawing `lines[i]` (event and comment lines lie in between). */
  at: number[];
}

/** The ladder as {@link ladderText} writes it, line by line. */
export function ladderFigure(a: Analysis, c: Connection, opts: LadderOptions = {}): LadderFigure {
  const relative = opts.relative ?? true;
  const t = a.table;
  const rows = c.rows;
  const stepOf = (r: number): string => (t.frame[r] > 0 ? t.frameName(r) : String(t.line[r] + 1));
  const width = Math.max(4, ...rows.map((r) => stepOf(r).length + 1));
  const windows = windowRows(a, c);
  const segs = new Map<number, string>(rows.map((r) => [r, segmentNotation(a, c, r, relative, windows.has(r))]));
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
  // A state the capture cannot show is "?" (an RFC figure's "no claim"), explained below the ladder.
  const cell = (s: TcpState): string => (s === 'UNKNOWN' ? '?' : s);
  lines.push(`${pad(`${'0'.padStart(width - 1)}.`, width + 2)}${pad(cell(c.initialState.client), rightCol)}${cell(c.initialState.server)}`);
  /** Sides whose inferred give-up a comment line already explains. */
  const explained = new Set<string>();
  const ladder = ladderLines(a, c);
  const at: number[] = [];
  for (const l of ladder) {
    const toServer = a.rowDir[l.row] === 0;
    const arrow = toServer ? '-->' : '<--';
    const sent = !l.arrival;
    const [la, ra] = toServer ? [sent ? arrow : '...', l.arrivesNow ? arrow : '...'] : [l.arrivesNow ? arrow : '...', sent ? arrow : '...'];
    const prefix = l.arrival ? '' : `${stepOf(l.row).padStart(width - 1)}.`;
    if (l.expired) {
      // `(2 MSL)` as RFC 9293 figures 12 and 13 write it: the TIME-WAIT timer ran out, in that side's column.
      const ran = (side: 'client' | 'server'): string => (l.expired![side] ? '(2 MSL)' : '');
      lines.push(`${' '.repeat(width + 2)}${pad(ran('client'), rightCol)}${ran('server')}`.trimEnd());
    }
    at.push(lines.length);
    lines.push(`${pad(prefix, width + 2)}${pad(cell(l.client), stateW)} ${la} ${segs.get(l.row)!.padEnd(segW)} ${ra} ${cell(l.server)}`);
    if (l.timer) {
      lines.push(`# TCP ${l.timer.side === 'client' ? 'A' : 'B'} then ${l.timer.to} (inferred): ${l.timer.reason}`);
      explained.add(l.timer.side);
    }
  }
  const notes = c.stateNotes;
  for (const side of ['client', 'server'] as const) {
    const note = notes[side];
    const tcp = `TCP ${side === 'client' ? 'A' : 'B'}`;
    // "?" where the state itself is not knowable; else a note on a state the capture only suggests.
    if (note !== undefined && c.finalState[side] === 'UNKNOWN') lines.push(`# ? (${tcp}): ${note}`);
    else if (note !== undefined && !explained.has(side)) lines.push(`# ${tcp}: ${note}`);
  }
  return { text: lines, lines: ladder, at };
}
