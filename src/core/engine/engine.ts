/**
 * The two-sided RFC 9293 state engine.
 *
 * For every connection it replays the segments as events on BOTH endpoints: a segment changes its
 * sender's state when it is sent, and its receiver's state when the receiver evidently processed it
 * (see wire.ts for the delivery rule). Every state change goes through one place, `setState`, which
 * records the segment that caused it and a sentence citing the RFC.
 *
 * Performance: a capture of a million segments has a hundred thousand connections, so the replay
 * keeps its per-side state in typed-array columns indexed by `2 * connection + side`, states as
 * indexes into STATES, reasons as ids; what only a few connections need (a reset, a lost ACK, a
 * half-close with data) lives in a map of extras. Connections and findings are small objects whose
 * bulky parts (row lists, messages) are built when first read.
 */

import * as segment from '../model/segment';
import { grownColumn, type SegmentTable } from '../model/segment';
import * as seq from '../seq';
import { ConnectionData, ConnectionRecord, fmtDuration, ref } from './records';
import { challengeExchange, ipHeaderMismatch, verdict, type RstVerdict } from './rst';
import { makeFinding, Summarizer } from './summarize';
import * as sim from './sim';
import { SimStore } from './sim';
import { assignedTracks, trackConnections, type AssignedTracks, type Horizons, type Tracks } from './tracker';
import * as types from './types';
import { STATES, type Analysis, type Connection, type EngineOptions, type Finding, type Side, type TcpState, type Transition } from './types';
import * as wireModule from './wire';
import { SenderColumns, ackLinks, firstTransmission, lostBeforeRetransmission, scaledWindow, wirePass, type AckLinks, type WirePass } from './wire';

// The constants and helpers the replay uses per row, as this module's own bindings (see wire.ts:
// TypeScript's CommonJS output would read each from its module's exports object at every use).
const { ACK, FIN, OPT_NO_WINDOW, RST, SYN } = segment;
const { seqAdd, seqGe } = seq;
const { CLOSED, CLOSE_WAIT, CLOSING, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, LAST_ACK, LISTEN, S_DECLARED, S_SYNCHRONIZED, SYN_RECEIVED, SYN_SENT, TIME_WAIT, UNKNOWN } =
  sim;
const { KIND_DATA, KIND_KEEPALIVE, KIND_RETRANSMISSION, KIND_RST_IGNORED } = types;
const { C_FIN, C_KEEPALIVE, C_RST, F_HAS_FIN, F_ISN_KNOWN, F_SEEN, F_SENT_SYN, F_SENT_SYNACK, NEVER, R_FIRST_FIN, R_LAST_FIN, R_LAST_SYN, RETRANSMITTED_CONTROL } =
  wireModule;
const RW = SenderColumns.ROWS;

/**
 * How many ACKs of one FIN must have been lost (each followed by a retransmission of the FIN) for a
 * last ACK, with no retransmission after it before the capture's end, not to be taken as arrived.
 */
const REPEATED_LOSS = 2;

export const DEFAULT_OPTIONS: EngineOptions = {
  mslSeconds: 30,
  lingerSeconds: 30,
  idleSeconds: 30,
  idleHorizonSeconds: 3 * 3600,
  attemptHorizonSeconds: 600,
  severities: {},
};

/**
 * The horizons of the options: 2 MSL for closed connections, the attempt horizon for unanswered
 * SYNs, the idle horizon for the others; none shorter than 2 MSL (see Horizons), the attempt
 * horizon no longer than the idle one.
 */
export function horizonsOf(opts: EngineOptions): Horizons {
  const closed = 2 * opts.mslSeconds;
  const idle = Math.max(opts.idleHorizonSeconds, closed);
  return { closed, idle, attempt: Math.min(Math.max(opts.attemptHorizonSeconds, closed), idle) };
}

/**
 * A table that holds some connections of a larger capture (a batch of the streaming analysis):
 * where the capture had got to, and the connections' ids and incarnations in the whole capture.
 */
export interface BatchContext {
  /** Capture time of the latest segment read so far (the capture's end, for the last batch). */
  captureEnd: number;
  /** Per connection of the batch (in order of first row): its id in the capture. */
  ids: Int32Array;
  /** Per connection of the batch: its incarnation on its 4-tuple in the capture. */
  incarnations: Int32Array;
  /** The connections as the stream's tracker assigned the rows (the same rules): not tracked again. */
  tracks?: AssignedTracks;
}

/** Explicit events for traces that spell them out (RFC figure notation); see text/types.ts. */
export type EngineStep = (
  | { kind: 'segment'; row: number }
  | { kind: 'arrive'; row: number }
  | { kind: 'close'; endpoint: number; line: number }
  | { kind: 'timeout'; endpoint: number; line: number }
  | { kind: 'claim'; endpoint: number; state: TcpState; line: number; startCol: number; endCol: number }
) & {
  /**
   * The figure a step belongs to: an endpoint named by a close, timeout or claim is the one of
   * the connection whose segments that figure shows (several figures may show the same endpoints).
   */
  figure?: number;
};

/** A state claim that the engine checked, with what it inferred instead. */
export interface ClaimResult {
  line: number;
  startCol: number;
  endCol: number;
  endpoint: number;
  claimed: TcpState;
  inferred: TcpState;
  /** The last transition that produced the inferred state (why), if any. */
  because: Transition | null;
}

const SIDES: readonly Side[] = ['client', 'server'];

const STATE_INDEX: Record<TcpState, number> = Object.fromEntries(STATES.map((s, i) => [s, i])) as Record<TcpState, number>;

/**
 * Reason sentences, interned process-wide: a template with `{me}` / `{peer}` becomes two ids (one
 * per side), registered once when the module loads; sentences built at run time are interned on use.
 */
const REASONS: string[] = [];
const REASON_IDS = new Map<string, number>();
function reasonId(text: string): number {
  let id = REASON_IDS.get(text);
  if (id === undefined) {
    id = REASONS.length;
    REASONS.push(text);
    REASON_IDS.set(text, id);
  }
  return id;
}
/** Ids of a template's sentence for side 0 (client) and side 1 (server). */
function sided(template: string): [number, number] {
  const fill = (me: number): string => template.replace(/\{me\}/g, SIDES[me]).replace(/\{peer\}/g, SIDES[1 - me]);
  return [reasonId(fill(0)), reasonId(fill(1))];
}

const WHY = {
  synSent: reasonId('The client sent a SYN to open the connection: SYN-SENT (RFC 9293 3.5, 3.10.1 OPEN call).'),
  synAckSent: reasonId('A SYN-ACK is sent only in SYN-RECEIVED: the SYN it answers was received (RFC 9293 3.5).'),
  ackOfSyn: reasonId("This ACK acknowledges the peer's SYN, so the SYN-ACK was received: ESTABLISHED (RFC 9293 3.5)."),
  finSent: sided('The {me} closed: it sent its FIN and waits for the ACK in FIN-WAIT-1 (RFC 9293 3.6, case 1).'),
  lastAckSent: sided("The {me} closed after receiving the peer's FIN: it sent its own FIN and waits in LAST-ACK (RFC 9293 3.6, case 2)."),
  refusedRst: sided("The {peer}'s RST,ACK acknowledges the SYN: the connection is refused and the {me} goes from SYN-SENT to CLOSED (RFC 9293 3.10.7.3)."),
  rstExact: sided("The {peer}'s RST is acceptable (sequence number exactly RCV.NXT): the {me} aborts to CLOSED (RFC 9293 3.10.7.4, RFC 5961 3.2)."),
  rstUnchecked: sided("The {peer}'s RST is acceptable (sequence number not checkable): the {me} aborts to CLOSED (RFC 9293 3.10.7.4, RFC 5961 3.2)."),
  synReceived: sided('The {me} received the SYN and answered with a SYN-ACK: SYN-RECEIVED (RFC 9293 3.5, 3.10.7.2).'),
  simultaneousOpen: reasonId('Both sides sent a SYN (simultaneous open): SYN-SENT to SYN-RECEIVED (RFC 9293 3.5, figure 7).'),
  synAckAcks: sided("The SYN-ACK acknowledges the {me}'s SYN: ESTABLISHED (RFC 9293 3.5, 3.10.7.3)."),
  synAckAcksSimultaneous: sided("The SYN-ACK acknowledges the {me}'s SYN (simultaneous open): ESTABLISHED (RFC 9293 3.5)."),
  ackOfSynAck: sided("The ACK acknowledges the {me}'s SYN-ACK: ESTABLISHED (RFC 9293 3.5, 3.10.7.4)."),
  finAckedFw1: sided("The {peer} acknowledged the {me}'s FIN: FIN-WAIT-1 to FIN-WAIT-2 (RFC 9293 3.10.7.4, FIN-WAIT-1)."),
  finAckedClosing: sided("The {peer} acknowledged the {me}'s FIN: CLOSING to TIME-WAIT (RFC 9293 3.10.7.4, CLOSING)."),
  finAckedLastAck: sided("The {peer} acknowledged the {me}'s FIN: LAST-ACK to CLOSED, the connection is deleted (RFC 9293 3.10.7.4, LAST-ACK)."),
  finReceived: sided("The {me} received the {peer}'s FIN: CLOSE-WAIT, waiting for its application to close (RFC 9293 3.6 case 2, 3.10.7.4)."),
  crossingFin: sided("The {peer}'s FIN arrived before the ACK of the {me}'s own FIN: simultaneous close, CLOSING (RFC 9293 3.6 case 3, figure 13)."),
  finAfterOwn: sided("The {me} received the {peer}'s FIN after its own FIN was acknowledged: TIME-WAIT for 2 MSL (RFC 9293 3.6, 3.10.7.4)."),
  finWait2Gone: sided(
    "The {peer}'s FIN found no socket: the {me} answered it with a RST without ACK, as a TCP answers a segment for no connection, so its FIN-WAIT-2 had already ended (an orphaned FIN-WAIT-2 ends after a timeout: tcp_fin_timeout, 60 s on Linux; RFC 9293 3.10.7.1).",
  ),
  synAckGone: sided(
    "The {peer}'s SYN-ACK found no socket: the {me} answered it with a RST without ACK whose sequence number is the SYN-ACK's ACK number, as a TCP answers a segment for no connection, so it had left SYN-SENT for CLOSED before the SYN-ACK arrived (its application closed, or connect() gave up; RFC 9293 3.10.4, 3.10.7.1).",
  ),
  synGaveUp: reasonId(
    "No answer came to the client's SYN, retransmitted with the same sequence number, and the capture goes on without another SYN past when the next retransmission was due (the last interval doubled, RFC 6298 5.5, plus a quarter): connect() gave up and the client deleted the connection, SYN-SENT to CLOSED without a segment (RFC 9293 3.10.8 user timeout, RFC 6298 5.5; Linux: after net.ipv4.tcp_syn_retries, ETIMEDOUT). Shown at its last SYN.",
  ),
  lastAckAckedOrGaveUp: sided(
    "The {peer}'s earlier ACKs of the {me}'s FIN were lost again and again (each followed by a retransmission of the FIN), and the {me} sends nothing after this one although the capture goes on past when its next retransmission was due: this ACK arrived, or the {me} gave up retransmitting its FIN on its own (an orphan after net.ipv4.tcp_orphan_retries on Linux; RFC 9293 3.8.3): LAST-ACK to CLOSED either way, and the capture cannot tell which.",
  ),
  takenOver: sided("A new connection reopened the 4-tuple: the {me}'s TIME-WAIT was taken over (RFC 9293 3.6.1, RFC 6191)."),
  appClose: reasonId('The application closed: a FIN is queued and the TCP enters FIN-WAIT-1 (RFC 9293 3.10.4, CLOSE call).'),
  appCloseWait: reasonId("The application closed after the peer's FIN: LAST-ACK (RFC 9293 3.10.4, CLOSE call in CLOSE-WAIT)."),
  appCloseEarly: reasonId('Closed before the connection was established (RFC 9293 3.10.4).'),
  timeoutStep: reasonId('The 2 MSL TIME-WAIT timer expired (RFC 9293 3.6).'),
};

/** Why a side that retransmitted its FIN in `from` with no ACK is CLOSED after its last FIN (see Replay.finGaveUp). */
function finGaveUpReason(side: number, from: TcpState): string {
  const me = SIDES[side];
  return `No ACK came for the ${me}'s FIN, retransmitted with the same sequence number, and the capture goes on without another transmission, or any segment of the connection, past when the next retransmission was due (the last interval doubled, RFC 6298 5.5, plus a quarter): the ${me} gave up and deleted the connection, ${from} to CLOSED without a segment (RFC 9293 3.8.3, 3.10.8; Linux: an orphan after net.ipv4.tcp_orphan_retries, a socket still open after net.ipv4.tcp_retries2). Shown at its last FIN.`;
}

/**
 * Transitions as columns (a million-segment capture has millions of them); `Analysis.transitions`
 * materializes Transition objects only when a consumer asks for them.
 */
class TransitionLog {
  length = 0;
  private row: Int32Array;
  private cause: Int32Array;
  private code: Uint8Array; // side | from << 1 | inferred << 7 ; to in `to`
  private to: Uint8Array;
  private reason: Uint32Array;

  /** Room for `capacity` transitions before the first growth (about one per segment is usual). */
  constructor(capacity: number) {
    const n = Math.max(1024, capacity);
    this.row = new Int32Array(n);
    this.cause = new Int32Array(n);
    this.code = new Uint8Array(n);
    this.to = new Uint8Array(n);
    this.reason = new Uint32Array(n);
  }

  push(row: number, cause: number, side: number, from: number, to: number, why: number, inferred: boolean): number {
    if (this.length === this.row.length) this.grow();
    const i = this.length++;
    this.row[i] = row;
    this.cause[i] = cause;
    this.code[i] = side | (from << 1) | (inferred ? 0x80 : 0);
    this.to[i] = to;
    this.reason[i] = why;
    return i;
  }

  /** The reason id of transition i (-1 for none). */
  reasonOf(i: number): number {
    return i >= 0 && i < this.length ? this.reason[i] : -1;
  }

  get(i: number): Transition {
    const c = this.code[i];
    return {
      row: this.row[i],
      cause: this.cause[i],
      side: SIDES[c & 1],
      from: STATES[(c >> 1) & 0x3f],
      to: STATES[this.to[i]],
      reason: REASONS[this.reason[i]],
      inferred: (c & 0x80) !== 0,
    };
  }

  private grow(): void {
    const n = this.row.length * 2;
    this.row = grownColumn(this.row, n);
    this.cause = grownColumn(this.cause, n);
    this.code = grownColumn(this.code, n);
    this.to = grownColumn(this.to, n);
    this.reason = grownColumn(this.reason, n);
  }
}

/**
 * `analyze()`'s optional `observedDelivery`, per row: where the receiver's own capture shows it got
 * the segment (the row after which, as {@link Analysis.deliverAt}), NEVER when the sender's capture
 * shows it sent and the receiver's capture (running then) never saw it, or UNOBSERVED where no
 * capture can tell (then the wire pass infers it from ACK evidence, as for one capture).
 */
export const UNOBSERVED = -3;

/**
 * @param observedDelivery With two captures of the same connections (src/core/merge), where each
 *   segment really arrived (see {@link UNOBSERVED}): used instead of the delivery the wire pass
 *   infers, so each endpoint's states come from what it really received.
 */
export function analyze(
  table: SegmentTable,
  options: Partial<EngineOptions> = {},
  steps?: EngineStep[],
  batch?: BatchContext,
  observedDelivery?: Int32Array,
): Analysis {
  const opts: EngineOptions = { ...DEFAULT_OPTIONS, ...options, severities: { ...options.severities } };
  const horizons = horizonsOf(opts);
  const { tracks, rowConn } = batch?.tracks !== undefined ? assignedTracks(table, batch.tracks, batch.incarnations, batch.ids) : trackConnections(table, horizons);
  if (batch !== undefined && batch.tracks === undefined) {
    if (batch.ids.length !== tracks.count)
      throw new Error(`internal: a streaming batch of ${batch.ids.length} connections was tracked as ${tracks.count}`);
    tracks.ids = batch.ids;
    tracks.incarnation.set(batch.incarnations);
  }
  const wire = wirePass(table, tracks, rowConn);
  const n = table.length;
  // Observed deliveries replace the inferred ones (the wire pass's own deliverAt keeps its markers
  // of retransmitted SYN/FINs, which `send` reads).
  const deliveries = observedDelivery === undefined ? wire.deliverAt : withObserved(wire, observedDelivery);
  const m = tracks.count;
  const clientBefore = new Uint8Array(n);
  const clientAfter = new Uint8Array(n);
  const serverBefore = new Uint8Array(n);
  const serverAfter = new Uint8Array(n);
  const transitions = new TransitionLog(table.length + (table.length >> 2));
  const transitionStart = new Int32Array(n + 1);
  const S = new SimStore(m);
  const claimResults: ClaimResult[] = [];
  /** The connection each claim was checked against. */
  const claimConn: number[] = [];

  // Where each connection's observation ends (TIME-WAIT timers that ran out by then; whether a
  // retransmission due after an ACK could still have shown in the capture).
  const ends = connectionEnds(table, tracks, horizons, batch?.captureEnd ?? captureEnd(table));
  const replay = new Replay(table, opts, wire, transitions, tracks, S, ends, deliveries, observedDelivery !== undefined);
  replay.initialAll(m);
  const st = S.state;
  const states: RowStates = { clientBefore, clientAfter, serverBefore, serverAfter, transitionStart };

  let stepDeliverAt: Int32Array | undefined;
  if (steps === undefined) {
    // One function per pass over the rows (see assignRows in tracker.ts for why).
    replayRows(replay, rowConn, tracks, deliveries, dueDeliveries(deliveries, rowConn, wire.rowDir, table.flags), states, observedDelivery !== undefined);
  } else {
    // Explicit events (RFC figure notation): sends, arrivals, closes, timeouts and claims in file order.
    let lastRow = -1;
    stepDeliverAt = new Int32Array(n).fill(NEVER);
    const started = new Uint8Array(m);
    const epConn = endpointResolver(steps, rowConn, tracks.clientEp, tracks.serverEp, m);
    // A row's "after" states are taken once its arrivals are done: before the next segment, or
    // before a later (Close) / (2 MSL), which belong to the next step of the figure.
    let recorded = -1;
    const flush = (): void => {
      if (lastRow >= 0 && recorded !== lastRow) {
        const k = 2 * rowConn[lastRow];
        if (k >= 0) {
          clientAfter[lastRow] = st[k];
          serverAfter[lastRow] = st[k + 1];
        }
        recorded = lastRow;
      }
    };
    for (const step of steps) {
      if (step.kind === 'segment') {
        flush();
        const r = step.row;
        for (let q = lastRow + 1; q <= r; q++) transitionStart[q] = transitions.length;
        lastRow = r;
        const ci = rowConn[r];
        if (ci < 0) continue;
        started[ci] = 1;
        clientBefore[r] = st[2 * ci];
        serverBefore[r] = st[2 * ci + 1];
        replay.send(ci, r);
      } else if (step.kind === 'arrive') {
        const ci = rowConn[step.row];
        stepDeliverAt[step.row] = lastRow >= 0 ? lastRow : step.row;
        if (ci >= 0) replay.deliver(ci, step.row, lastRow);
      } else if (step.kind === 'close') {
        flush();
        const t = epConn(step.endpoint, step.figure);
        if (t) replay.applicationClose(t.ci, t.side, lastRow);
      } else if (step.kind === 'timeout') {
        flush();
        const t = epConn(step.endpoint, step.figure);
        if (t && st[2 * t.ci + t.side] === TIME_WAIT) replay.setState(t.ci, t.side, CLOSED, lastRow, WHY.timeoutStep, false);
      } else {
        const t = epConn(step.endpoint, step.figure);
        if (t && !started[t.ci]) {
          // A claim before the connection's first segment declares where it starts (as "1. ESTABLISHED" does).
          st[2 * t.ci + t.side] = STATE_INDEX[step.state];
          S.initial[2 * t.ci + t.side] = STATE_INDEX[step.state];
          S.bits[t.ci] |= S_DECLARED;
        }
        if (t) {
          const last = S.lastTransition[2 * t.ci + t.side];
          claimConn.push(t.ci);
          claimResults.push({
            line: step.line,
            startCol: step.startCol,
            endCol: step.endCol,
            endpoint: step.endpoint,
            claimed: step.state,
            inferred: STATES[st[2 * t.ci + t.side]],
            because: last >= 0 ? transitions.get(last) : null,
          });
        }
      }
    }
    flush();
    for (let q = lastRow + 1; q <= n; q++) transitionStart[q] = transitions.length;
  }

  replay.expireAllAtEnd(m, ends);

  let materialized: Transition[] | undefined;
  let links: AckLinks | undefined;
  const findings: Finding[] = [];
  const data = new ConnectionData(table, tracks, wire, S);
  const records = summarizeAll(data, new Summarizer(data, opts, findings, ends), m);
  for (let i = 0; i < claimResults.length; i++) {
    const cr = claimResults[i];
    if (cr.claimed === cr.inferred) continue;
    const ci = claimConn[i];
    const side = tracks.clientEp[ci] === cr.endpoint ? 'client' : 'server';
    const why = cr.because ? ` (${cr.because.reason})` : '';
    const message = `The trace says the ${side} is ${cr.claimed} here, but the segments imply ${cr.inferred}${why}.`;
    const f = makeFinding(opts, 'state-claim-mismatch', records[ci], cr.because?.row ?? -1, () => [message, []]);
    if (f) {
      f.line = cr.line;
      f.startCol = cr.startCol;
      f.endCol = cr.endCol;
      f.impliedState = cr.inferred;
      findings.push(f);
      records[ci].addFinding(f);
    }
  }
  // Made connection by connection, they are mostly in row order already (a stable sort keeps it).
  if (!inRowOrder(findings)) findings.sort((a, b) => a.row - b.row);

  return {
    table,
    connections: records as Connection[],
    rowConn,
    rowDir: wire.rowDir,
    clientBefore,
    clientAfter,
    serverBefore,
    serverAfter,
    rowKind: wire.rowKind,
    get ackedBy(): Int32Array {
      links ??= ackLinks(table, rowConn, wire.rowDir, m);
      return links.ackedBy;
    },
    get acks(): Int32Array {
      links ??= ackLinks(table, rowConn, wire.rowDir, m);
      return links.acks;
    },
    deliverAt: stepDeliverAt ?? deliveries,
    rstCheck: wire.rstCheck,
    get transitions(): Transition[] {
      materialized ??= Array.from({ length: transitions.length }, (_, i) => transitions.get(i));
      return materialized;
    },
    transitionAt: (i: number): Transition => (materialized ? materialized[i] : transitions.get(i)),
    transitionStart,
    findings,
    connectionEnd: ends,
    options: opts,
  };
}

function inRowOrder(findings: Finding[]): boolean {
  for (let i = 1; i < findings.length; i++) if (findings[i].row < findings[i - 1].row) return false;
  return true;
}

/**
 * The wire pass's deliveries with the observed ones put in (those are facts, never inferred).
 * Rows of a connection that are UNOBSERVED keep the inferred delivery.
 */
function withObserved(wire: WirePass, observed: Int32Array): Int32Array {
  const n = wire.deliverAt.length;
  if (observed.length !== n) throw new Error(`internal: observedDelivery has ${observed.length} rows, the table ${n}`);
  const out = wire.deliverAt.slice();
  for (let r = 0; r < n; r++) {
    const d = observed[r];
    if (d === UNOBSERVED) continue;
    out[r] = d === NEVER ? NEVER : Math.max(d, r);
    wire.deliverInferred[r] = 0;
  }
  return out;
}

/** The per-row states and where each row's transitions start (filled by the replay). */
interface RowStates {
  clientBefore: Uint8Array;
  clientAfter: Uint8Array;
  serverBefore: Uint8Array;
  serverAfter: Uint8Array;
  transitionStart: Int32Array;
}

/**
 * Rows whose delivery to the peer waits for a later row (see wire.ts), listed at that row, in
 * row order. Few rows wait (crossing FINs), so a map rather than two columns of every row.
 */
function dueDeliveries(deliverAt: Int32Array, rowConn: Int32Array, rowDir: Uint8Array, flags: Uint16Array): Map<number, number[]> {
  const due = new Map<number, number[]>();
  for (let p = 0; p < deliverAt.length; p++) {
    const d = deliverAt[p];
    // A FIN taken only with its retransmission is delivered as that retransmission (on arrival).
    if (d > p && rowConn[p] >= 0 && !lostBeforeRetransmission(deliverAt, rowDir, flags, p)) {
      const list = due.get(d);
      if (list) list.push(p);
      else due.set(d, [p]);
    }
  }
  return due;
}

/** The replay of a capture: every row sent, then delivered where the wire pass says it was. */
function replayRows(replay: Replay, rowConn: Int32Array, tracks: Tracks, deliverAt: Int32Array, due: Map<number, number[]>, out: RowStates, observed: boolean): void {
  const { clientBefore, clientAfter, serverBefore, serverAfter, transitionStart } = out;
  const st = replay.S.state;
  const transitions = replay.transitions;
  const firstRow = tracks.firstRow;
  const previous = tracks.previous;
  const n = rowConn.length;
  for (let r = 0; r < n; r++) {
    transitionStart[r] = transitions.length;
    const ci = rowConn[r];
    if (ci < 0) continue;
    const k = 2 * ci;
    if (st[k] === TIME_WAIT || st[k + 1] === TIME_WAIT) replay.expireTimers(ci, r);
    if (r === firstRow[ci] && previous[ci] >= 0) replay.supersede(previous[ci], r);
    clientBefore[r] = st[k];
    serverBefore[r] = st[k + 1];
    replay.send(ci, r);
    const d = deliverAt[r];
    // Observed deliveries (two captures) at one point are taken in the order they were sent (the
    // earlier rows in flight first); inferred ones as the wire pass found them.
    const list = due.size > 0 ? due.get(r) : undefined;
    if (list && observed) for (const p of list) replay.deliver(ci, p, r);
    if (d === r) replay.deliver(ci, r, r);
    else if (d === RETRANSMITTED_CONTROL && replay.firstTransmissionIn(ci, r)) replay.deliver(ci, r, r);
    else if (d === NEVER && observed) replay.lostAck(ci, r);
    if (list && !observed) for (const p of list) replay.deliver(ci, p, r);
    clientAfter[r] = st[k];
    serverAfter[r] = st[k + 1];
  }
  transitionStart[n] = transitions.length;
}

/** A record per connection, each summarized (outcome, findings). */
function summarizeAll(data: ConnectionData, summarizer: Summarizer, m: number): ConnectionRecord[] {
  const records = new Array<ConnectionRecord>(m);
  for (let ci = 0; ci < m; ci++) {
    records[ci] = new ConnectionRecord(data, ci);
    summarizer.summarize(records[ci]);
  }
  return records;
}

/**
 * Resolves an endpoint named by a figure step ((Close), (2 MSL), a claim) to a connection and side:
 * the connection with that endpoint among those the step's figure shows (several figures may show
 * the same endpoints), else the first with that endpoint. Shared by the replay and the server's
 * attribution of transitions to figure lines.
 */
export function endpointResolver(
  steps: readonly EngineStep[],
  rowConn: Int32Array,
  clientEp: ArrayLike<number>,
  serverEp: ArrayLike<number>,
  count: number,
): (ep: number, figure: number | undefined) => { ci: number; side: number } | null {
  // The connections each figure shows, in order of their first segment there.
  const figureConns = new Map<number, number[]>();
  for (const st of steps) {
    if (st.kind !== 'segment' || rowConn[st.row] < 0) continue;
    const list = figureConns.get(st.figure ?? 0) ?? [];
    if (!list.includes(rowConn[st.row])) list.push(rowConn[st.row]);
    figureConns.set(st.figure ?? 0, list);
  }
  const sideIn = (ci: number, ep: number): { ci: number; side: number } | null =>
    clientEp[ci] === ep ? { ci, side: 0 } : serverEp[ci] === ep ? { ci, side: 1 } : null;
  return (ep, figure) => {
    for (const ci of figureConns.get(figure ?? 0) ?? []) {
      const t = sideIn(ci, ep);
      if (t) return t;
    }
    for (let ci = 0; ci < count; ci++) {
      const t = sideIn(ci, ep);
      if (t) return t;
    }
    return null;
  };
}

/**
 * The analysis restricted to some of its connections (and their findings), sharing everything
 * else; lazy parts (the transitions) stay lazy, as a spread would not keep them.
 */
export function analysisOf(a: Analysis, connections: Connection[]): Analysis {
  const ids = new Set(connections.map((c) => c.id));
  const view = Object.create(null) as Analysis;
  Object.defineProperties(view, Object.getOwnPropertyDescriptors(a));
  Object.defineProperty(view, 'connections', { value: connections, enumerable: true });
  Object.defineProperty(view, 'findings', { value: a.findings.filter((f) => ids.has(f.connection)), enumerable: true });
  return view;
}

/**
 * Where the capture stops saying anything about each connection: the capture's end, or earlier
 * when the connection's horizon passed (it was finished, see tracker.ts) or a new incarnation took
 * its 4-tuple over. The same in the whole capture and in a streaming batch, so both give the same
 * answers (a half-close lingers until then, a TIME-WAIT timer runs out by then).
 */
function connectionEnds(table: SegmentTable, tracks: Tracks, h: Horizons, end: number): Float64Array {
  const m = tracks.count;
  // Each connection's first time, read in row order (connections are numbered by their first
  // row): the clock columns are read front to back, not at every successor's first row.
  const firstTime = new Float64Array(m);
  for (let c = 0; c < m; c++) firstTime[c] = table.time(tracks.firstRow[c]);
  const ends = new Float64Array(m);
  for (let c = 0; c < m; c++) {
    let e = Math.min(end, tracks.lastTime[c] + tracks.horizon(c, h));
    const next = tracks.next[c];
    if (next >= 0) e = Math.min(e, firstTime[next]);
    ends[c] = e;
  }
  return ends;
}

function captureEnd(table: SegmentTable): number {
  const { tsSec, tsNsec } = table;
  let end = -Infinity;
  for (let r = 0; r < table.length; r++) {
    const t = tsSec[r] + tsNsec[r] / 1e9;
    if (t > end) end = t;
  }
  return end;
}

/** The replay of segments on both endpoints. */
class Replay {
  private readonly w: SenderColumns;
  private readonly st: Uint8Array;
  // Columns every event reads, held here rather than reached through the table and the wire pass.
  private readonly flags: Uint16Array;
  private readonly ack: Uint32Array;
  private readonly rowDir: Uint8Array;
  private readonly rowKind: Uint8Array;
  private readonly deliverInferred: Uint8Array;
  private readonly twoMsl: number;
  private readonly timerExpired: number;
  /** Sides (2 * connection + side) shown to ignore a RST in TIME-WAIT (RFC 1337). */
  private readonly rfc1337 = new Set<number>();
  constructor(
    private readonly table: SegmentTable,
    opts: EngineOptions,
    private readonly wire: WirePass,
    readonly transitions: TransitionLog,
    private readonly tracks: Tracks,
    readonly S: SimStore,
    private readonly ends: Float64Array,
    /** Where each row was processed: the wire pass's inference, or what a second capture showed. */
    private readonly deliveries: Int32Array,
    /** Deliveries were observed (two captures): an ACK that was processed arrived, whatever followed. */
    private readonly observed: boolean,
  ) {
    this.w = wire.columns;
    this.st = S.state;
    this.flags = table.flags;
    this.ack = table.ack;
    this.rowDir = wire.rowDir;
    this.rowKind = wire.rowKind;
    this.deliverInferred = wire.deliverInferred;
    this.twoMsl = 2 * opts.mslSeconds;
    this.timerExpired = reasonId(`The 2 MSL TIME-WAIT timer (${this.twoMsl} s) expired before this segment (RFC 9293 3.6).`);
  }

  /** The only place where an endpoint's state changes. */
  setState(ci: number, side: number, to: number, row: number, why: number, inferred: boolean, cause = row): void {
    const k = 2 * ci + side;
    const from = this.st[k];
    if (from === to) return;
    this.st[k] = to;
    if (to === ESTABLISHED) this.S.bits[ci] |= S_SYNCHRONIZED;
    if (row >= 0) this.S.lastTransition[k] = this.transitions.push(row, cause, side, from, to, why, inferred);
    if (to === TIME_WAIT) {
      this.S.timeWaitSince[k] = row >= 0 ? this.table.time(row) : NaN;
      this.S.timeWaitRow[k] = row;
    }
  }

  /** A side inferred CLOSED with no segment (it gave up retransmitting its SYN or FIN) after row r. */
  private giveUp(ci: number, side: number, r: number, why: number): void {
    this.setState(ci, side, CLOSED, r, why, true);
    const e = this.S.extra(ci);
    e.gaveUp ??= [null, null];
    e.gaveUp[side] = { row: r, reason: REASONS[why] };
  }

  /** States before the first segment of each of the first m connections. */
  initialAll(m: number): void {
    for (let ci = 0; ci < m; ci++) this.initial(ci);
  }

  /** States before the first segment, from what the connection's first segments show. */
  initial(ci: number): void {
    const first = this.tracks.firstRow[ci];
    const f = this.flags[first];
    const k = 2 * ci;
    const st = this.st;
    if ((f & (SYN | ACK)) === SYN && this.table.src[first] === this.tracks.clientEp[ci]) {
      st[k] = CLOSED;
      // The server's answer tells whether it was listening: a SYN-ACK means LISTEN, a RST means no socket.
      st[k + 1] = this.w.bits[k + 1] & F_SENT_SYNACK ? LISTEN : this.w.counts[(k + 1) * 4 + C_RST] > 0 ? CLOSED : UNKNOWN;
    } else if ((f & (SYN | ACK)) === (SYN | ACK)) {
      st[k] = SYN_SENT;
      st[k + 1] = SYN_RECEIVED;
    } else {
      // Capture started mid-connection: both sides are taken to be synchronized (inferred).
      st[k] = ESTABLISHED;
      st[k + 1] = ESTABLISHED;
    }
    this.S.initial[k] = st[k];
    this.S.initial[k + 1] = st[k + 1];
  }

  expireTimers(ci: number, r: number): void {
    const now = this.table.time(r);
    for (let side = 0; side < 2; side++) {
      const k = 2 * ci + side;
      if (this.st[k] === TIME_WAIT && now - this.S.timeWaitSince[k] >= this.twoMsl) this.setState(ci, side, CLOSED, r, this.timerExpired, false);
    }
  }

  /**
   * A new incarnation opened the 4-tuple: a side of the previous connection still in TIME-WAIT
   * has handed the tuple over (RFC 9293 3.6.1, RFC 6191; Linux tcp_tw_reuse), so it is gone.
   */
  supersede(prev: number, r: number): void {
    // A TIME-WAIT whose 2 MSL had already run out ended on its own, as at the capture's end.
    this.expireAtEnd(prev, this.table.time(r));
    for (let side = 0; side < 2; side++) {
      if (this.st[2 * prev + side] === TIME_WAIT) this.setState(prev, side, CLOSED, -1, WHY.takenOver[side], false);
    }
  }

  /** TIME-WAIT timers of the first m connections that ran out by each one's end. */
  expireAllAtEnd(m: number, ends: Float64Array): void {
    for (let ci = 0; ci < m; ci++) this.expireAtEnd(ci, ends[ci]);
  }

  expireAtEnd(ci: number, endTime: number): void {
    for (let side = 0; side < 2; side++) {
      const k = 2 * ci + side;
      if (this.st[k] === TIME_WAIT && endTime - this.S.timeWaitSince[k] >= this.twoMsl) this.st[k] = CLOSED;
    }
  }

  /** The application called close() (explicit in RFC figures; implied by a FIN in captures). */
  applicationClose(ci: number, side: number, row: number): void {
    const s = this.st[2 * ci + side];
    if (s === ESTABLISHED || s === SYN_RECEIVED || s === UNKNOWN) this.setState(ci, side, FIN_WAIT_1, row, WHY.appClose, false);
    else if (s === CLOSE_WAIT) this.setState(ci, side, LAST_ACK, row, WHY.appCloseWait, false);
    else if (s === SYN_SENT || s === LISTEN) this.setState(ci, side, CLOSED, row, WHY.appCloseEarly, false);
  }

  /** A segment leaves its sender. */
  send(ci: number, r: number): void {
    const f = this.flags[r];
    if (f & RST) {
      this.sendRst(ci, r);
      return;
    }
    const side = this.rowDir[r];
    const k = 2 * ci + side;
    const kind = this.rowKind[r];
    const s = this.st[k];
    if (f & SYN) this.sendSyn(ci, side, r, f, s);
    else if (f & ACK && s === SYN_SENT) {
      const w = this.w;
      const p = k ^ 1;
      // An ACK of the peer's SYN proves the SYN-ACK was received even when the capture missed it.
      if (w.bits[p] & F_ISN_KNOWN && seqGe(this.ack[r], w.synEnd[p])) this.setState(ci, side, ESTABLISHED, r, WHY.ackOfSyn, true);
    }
    if (kind & KIND_DATA && !(kind & KIND_RETRANSMISSION)) this.sendData(ci, side, r);
    if (f & FIN) this.sendFin(ci, side, r);
  }

  /** A RST leaves its sender: its TCP's own (why it was sent), or not (it went on sending). */
  private sendRst(ci: number, r: number): void {
    const side = this.rowDir[r];
    const s = this.st[2 * ci + side];
    const next = this.wentOnAfter(ci, side, r);
    if (next >= 0) {
      // Its TCP still had the connection: this RST was not its own, and changes nothing here.
      this.S.extra(ci).injectedRsts.push({ row: r, next });
      this.S.extra(ci).rsts.push({ row: r, side, why: verdict('injected', `suspected injection: the ${SIDES[side]} went on sending on the connection (${ref(this.table, next)}), which a TCP that resets cannot do`, [r, next], 'likely') });
      return;
    }
    const why = this.resetReason(ci, side, r);
    const e = this.S.extra(ci);
    e.rsts.push({ row: r, side, why });
    // A RST from a side already CLOSED resets nothing, unless the replay closed it only because
    // this RST showed its socket gone (a FIN that found no socket, see finFoundNoSocket).
    // The RST that ends an RFC 5961 exchange is the connection's reset, not the challenged one.
    if (why.reason === 'challenge-ack-exchange') e.reset = { side, row: r, why };
    else if (!e.reset && (s !== CLOSED || this.closedByFinWithoutSocket(ci, side) || this.closedBySynAckWithoutSocket(ci, side) || this.wire.rstCheck.get(r) === 'syn-ack-ok')) e.reset = { side, row: r, why };
    if (s !== CLOSED)
      this.setState(ci, side, CLOSED, r, reasonId(`The ${SIDES[side]} sent a RST and dropped the connection: ${why.text} (RFC 9293 3.5.2).`), false);
  }

  /** A SYN or SYN-ACK (flags f) leaves its sender, in state s. */
  private sendSyn(ci: number, side: number, r: number, f: number, s: number): void {
    if (!(f & ACK)) {
      if (s === CLOSED || s === UNKNOWN) this.setState(ci, side, SYN_SENT, r, WHY.synSent, false);
      else if (s === SYN_SENT && this.synGaveUp(ci, side, r)) this.giveUp(ci, side, r, WHY.synGaveUp);
    } else if (s === LISTEN || s === UNKNOWN || s === CLOSED) {
      this.setState(ci, side, SYN_RECEIVED, r, WHY.synAckSent, s !== LISTEN);
    }
  }

  /** New data (not a retransmission) leaves its sender: half-close data, or data after its own FIN. */
  private sendData(ci: number, side: number, r: number): void {
    const k = 2 * ci + side;
    if (this.st[k] === CLOSE_WAIT) {
      this.S.halfCloseData[k] += this.table.len[r];
      this.S.extra(ci).halfCloseDataRows[side].push(r);
    }
    if (this.w.bits[k] & F_HAS_FIN && this.wire.deliverAt[r] !== RETRANSMITTED_CONTROL && this.isAfterOwnFin(r, k))
      this.S.extra(ci).dataAfterFinRows[side].push(r);
  }

  /** A FIN leaves its sender: it closes, or it gave up retransmitting it. */
  private sendFin(ci: number, side: number, r: number): void {
    const k = 2 * ci + side;
    if (this.wire.deliverAt[r] !== RETRANSMITTED_CONTROL) {
      const cur = this.st[k];
      if (cur === ESTABLISHED || cur === SYN_RECEIVED || cur === UNKNOWN) this.setState(ci, side, FIN_WAIT_1, r, WHY.finSent[side], cur === UNKNOWN);
      else if (cur === CLOSE_WAIT) this.setState(ci, side, LAST_ACK, r, WHY.lastAckSent[side], false);
    }
    const cur = this.st[k];
    if ((cur === FIN_WAIT_1 || cur === CLOSING || cur === LAST_ACK) && this.finGaveUp(ci, side, r))
      this.giveUp(ci, side, r, reasonId(finGaveUpReason(side, STATES[cur])));
  }

  private isAfterOwnFin(r: number, k: number): boolean {
    // New data whose end lies beyond the FIN's sequence number was sent after the FIN.
    const t = this.table;
    const end = seqAdd(t.seq[r], t.len[r]);
    return !(t.flags[r] & FIN) && seqGe(end, seqAdd(this.w.finSeq[k], 1)) && this.w.rows[k * RW + R_FIRST_FIN] < r;
  }

  /** A segment is processed by its receiver. `at` is the row after which it happens (for the log). */
  deliver(ci: number, r: number, at: number): void {
    const f = this.flags[r];
    if (f & RST) {
      this.deliverRst(ci, r, at);
      return;
    }
    if (f & SYN && this.deliverSyn(ci, r, at, f)) return;
    // A segment whose ACK the replay judged never to arrive (ackFateUnknown) brings no FIN either.
    if (f & ACK && !this.deliverAck(ci, r, at)) return;
    if (f & FIN) this.deliverFin(ci, r, at);
  }

  /** A RST is processed by its receiver: taken (CLOSED), or ignored (out of window, challenged, RFC 1337). */
  private deliverRst(ci: number, r: number, at: number): void {
    const side = 1 - this.rowDir[r];
    const k = 2 * ci + side;
    const row = at >= 0 ? at : r;
    const check = this.wire.rstCheck.get(r) ?? 'unknown';
    if (this.rstIgnored(ci, side, r, check)) {
      this.S.extra(ci).ignoredRsts.push({ row: r, check });
      this.rowKind[r] |= KIND_RST_IGNORED; // the replay is where a RST is judged
      return;
    }
    const s = this.st[k];
    if (s === CLOSED || s === LISTEN) return;
    if (s === TIME_WAIT && (this.rfc1337.has(k) || this.answeredAfter(ci, side, r))) {
      // RFC 1337 (Linux tcp_rfc1337=1): a RST in TIME-WAIT is ignored. The side answering a later
      // segment with anything but a RST proves it (a gone socket would answer with a RST), and
      // a stack that ignored one ignores the next.
      this.rfc1337.add(k);
      this.rowKind[r] |= KIND_RST_IGNORED;
      return;
    }
    const why = check === 'syn-ack-ok' ? WHY.refusedRst[side] : check === 'exact' ? WHY.rstExact[side] : WHY.rstUnchecked[side];
    this.setState(ci, side, CLOSED, row, why, check === 'unknown', r);
    this.S.extra(ci).rstsTaken.push(r);
  }

  /** The RST in row r is ignored by its receiver `side` whatever its state: out of its window, or in it but answered (a challenge ACK, RFC 5961 3.2). */
  private rstIgnored(ci: number, side: number, r: number, check = this.wire.rstCheck.get(r) ?? 'unknown'): boolean {
    return check === 'out-of-window' || check === 'syn-ack-bad' || (check === 'in-window' && this.answeredAfter(ci, side, r));
  }

  /**
   * A SYN or SYN-ACK (flags f) is processed by its receiver. True when that is all it did (a
   * SYN-ACK that completed the receiver's handshake, or found no socket): its ACK and FIN are not read.
   */
  private deliverSyn(ci: number, r: number, at: number, f: number): boolean {
    const side = 1 - this.rowDir[r];
    const k = 2 * ci + side;
    const row = at >= 0 ? at : r;
    const w = this.w;
    const s = this.st[k];
    if (!(f & ACK)) {
      if ((s === LISTEN || s === UNKNOWN) && w.bits[k] & F_SENT_SYNACK) this.setState(ci, side, SYN_RECEIVED, row, WHY.synReceived[side], s === UNKNOWN, r);
      else if (s === SYN_SENT) this.setState(ci, side, SYN_RECEIVED, row, WHY.simultaneousOpen, false, r);
    } else if (s === SYN_SENT && seqGe(this.ack[r], w.synEnd[k])) {
      if (this.foundNoSocket(ci, side, r)) this.setState(ci, side, CLOSED, row, WHY.synAckGone[side], true, r);
      else this.setState(ci, side, ESTABLISHED, row, WHY.synAckAcks[side], this.deliverInferred[r] === 1, r);
      return true;
    } else if (s === SYN_RECEIVED && seqGe(this.ack[r], w.synEnd[k])) {
      this.setState(ci, side, ESTABLISHED, row, WHY.synAckAcksSimultaneous[side], this.deliverInferred[r] === 1, r);
      return true;
    }
    return false;
  }

  /** A FIN is processed by its receiver (once): CLOSE-WAIT, CLOSING or TIME-WAIT, or it found no socket. */
  private deliverFin(ci: number, r: number, at: number): void {
    const side = 1 - this.rowDir[r];
    const k = 2 * ci + side;
    if (this.S.peerFinReceived[k]) return;
    this.S.peerFinReceived[k] = 1;
    const row = at >= 0 ? at : r;
    const inferred = this.deliverInferred[r] === 1;
    const cur = this.st[k];
    const crossing = (this.w.bits[k] & F_HAS_FIN) !== 0 && !this.S.finAcked[k];
    if (cur === FIN_WAIT_2 && this.finFoundNoSocket(ci, side, r)) {
      this.setState(ci, side, CLOSED, row, WHY.finWait2Gone[side], true, r);
      return;
    }
    if (cur === ESTABLISHED || cur === SYN_RECEIVED || cur === UNKNOWN) this.setState(ci, side, CLOSE_WAIT, row, WHY.finReceived[side], inferred, r);
    else if (cur === FIN_WAIT_1 && crossing) this.setState(ci, side, CLOSING, row, WHY.crossingFin[side], inferred, r);
    else if (cur === FIN_WAIT_1 || cur === FIN_WAIT_2) this.setState(ci, side, TIME_WAIT, row, WHY.finAfterOwn[side], inferred, r);
  }

  /**
   * What the ACK field of row r tells its receiver: the receiver's SYN or FIN acknowledged. False
   * when the capture cannot tell the segment arrived (see ackFateUnknown): it is shown in flight.
   */
  private deliverAck(ci: number, r: number, at: number): boolean {
    const sender = this.rowDir[r];
    const side = 1 - sender;
    const k = 2 * ci + side;
    const inferred = this.deliverInferred[r] === 1;
    const w = this.w;
    const row = at >= 0 ? at : r;
    const st = this.st;
    const a = this.ack[r];
    const wb = w.bits[k];
    if (st[k] === SYN_RECEIVED && wb & F_SENT_SYN && seqGe(a, w.synEnd[k])) {
      const lastSyn = w.rows[k * RW + R_LAST_SYN];
      if (lastSyn > r) this.S.extra(ci).lostAckRows.push({ row: r, side: sender, retransmission: lastSyn });
      else this.setState(ci, side, ESTABLISHED, row, WHY.ackOfSynAck[side], inferred, r);
    }
    if (wb & F_HAS_FIN && !this.S.finAcked[k] && seqGe(a, seqAdd(w.finSeq[k], 1))) {
      const lastFin = w.rows[k * RW + R_LAST_FIN];
      if (lastFin > r && !this.observed) {
        // The sender of the FIN retransmitted it after this ACK: the ACK never arrived (or came late).
        this.S.extra(ci).lostAckRows.push({ row: r, side: sender, retransmission: lastFin });
      } else if (!this.observed && this.ackFateUnknown(ci, side, lastFin)) {
        // Its earlier ACKs were all lost and the capture ended before the FIN's sender would have
        // retransmitted again had this one been lost too: nothing shows it arrived, so the FIN's
        // sender stays where its last retransmission proves it was. The ACK is shown in flight, never
        // processed (the replay is where its fate is judged, as for a RST).
        this.wire.deliverAt[r] = NEVER;
        return false;
      } else {
        this.S.finAcked[k] = 1;
        const cur = st[k];
        if (cur === FIN_WAIT_1) this.setState(ci, side, FIN_WAIT_2, row, WHY.finAckedFw1[side], inferred, r);
        else if (cur === CLOSING) this.setState(ci, side, TIME_WAIT, row, WHY.finAckedClosing[side], inferred, r);
        else if (cur === LAST_ACK && !this.observed && this.ackRepeatedlyLost(ci, side, lastFin))
          // The earlier ACKs were lost again and again and the FIN's sender did not retransmit after
          // this one: it arrived, or the sender gave up (orphan retries) on its own. CLOSED either way.
          this.giveUp(ci, side, row, WHY.lastAckAckedOrGaveUp[side]);
        else if (cur === LAST_ACK) this.setState(ci, side, CLOSED, row, WHY.finAckedLastAck[side], inferred, r);
      }
    }
    return true;
  }

  /**
   * Whether the capture can tell that an ACK of `side`'s FIN, sent after the FIN's last
   * transmission `lastFin`, arrived: not when the earlier ACKs of that FIN were lost again and again
   * (REPEATED_LOSS or more, each followed by a retransmission of the FIN) and the capture ended
   * before the next retransmission would have been due (the last interval between transmissions,
   * doubled, as RFC 6298 5.5 backs off). Then nothing shows this ACK fared better than the others.
   */
  private ackFateUnknown(ci: number, side: number, lastFin: number): boolean {
    if (!this.ackRepeatedlyLost(ci, side, lastFin)) return false;
    const fins = this.wire.side(ci, side).finRows;
    if (fins.length < 2) return false;
    const t = this.table;
    const last = t.time(lastFin);
    const gap = last - t.time(fins[fins.length - 2]);
    return gap > 0 && this.ends[ci] < last + 2 * gap;
  }

  /** The ACKs of `side`'s FIN were lost REPEATED_LOSS times or more (one is a chance drop; the same ACK lost again and again shows a path that drops them). */
  private ackRepeatedlyLost(ci: number, side: number, lastFin: number): boolean {
    const lost = this.S.extrasOf(ci)?.lostAckRows;
    let count = 0;
    for (const l of lost ?? []) if (l.side !== side && l.retransmission === lastFin) count++;
    return count >= REPEATED_LOSS;
  }

  /**
   * The FIN in row r is the last transmission of a FIN sent two or more times that nothing
   * acknowledged, nothing at all came from the peer after it nor from its sender, and the
   * connection's evidence (`connectionEnds`) runs past when the next retransmission was due (the
   * last interval doubled, RFC 6298 5.5, plus a quarter for timer slack): the sender gave up
   * (Linux: an orphan after net.ipv4.tcp_orphan_retries, an open socket after tcp_retries2), with
   * no segment. As `synGaveUp` for a SYN. Not when the peer's answer was in flight then (see
   * answeredInFlight): the sender took it, which is why it sent nothing more.
   */
  private finGaveUp(ci: number, side: number, r: number): boolean {
    const k = 2 * ci + side;
    const w = this.w;
    if (w.rows[k * RW + R_LAST_FIN] !== r || this.S.finAcked[k] || this.tracks.lastRow[ci] !== r) return false;
    const fins = this.wire.side(ci, side).finRows;
    return fins.length >= 2 && this.pastNextRetransmission(ci, fins[fins.length - 2], r) && !this.answeredInFlight(ci, side, r);
  }

  /**
   * A segment the peer sent before `side`'s FIN in row r arrives just after it (`deliveries`) and
   * answers it: a RST `side` takes (see deliverRst; in flight, wire.ts `deferRstsInFlight`), or an
   * ACK of the FIN (two captures: observed arriving after a spurious retransmission).
   */
  private answeredInFlight(ci: number, side: number, r: number): boolean {
    const { rowList, rowStart } = this.tracks;
    const finEnd = seqAdd(this.w.finSeq[2 * ci + side], 1);
    for (let i = rowStart[ci], end = rowStart[ci + 1]; i < end; i++) {
      const p = rowList[i];
      if (p >= r) break;
      if (this.rowDir[p] === side || this.deliveries[p] !== r) continue;
      const f = this.flags[p];
      if (f & RST ? !this.rstIgnored(ci, side, p) : f & ACK && seqGe(this.ack[p], finEnd)) return true;
    }
    return false;
  }

  /**
   * The connection's evidence (`connectionEnds`) runs past when the retransmission after row r was
   * due: the interval since the previous transmission `prev` doubled (RFC 6298 5.5), plus a quarter
   * for timer slack. What says a SYN's or a FIN's sender gave up in silence.
   */
  private pastNextRetransmission(ci: number, prev: number, r: number): boolean {
    const t = this.table;
    const gap = t.time(r) - t.time(prev);
    return gap > 0 && this.ends[ci] > t.time(r) + 2.5 * gap;
  }

  /**
   * The SYN in row r is the last of a SYN sent two or more times (the same ISN) that nothing
   * answered (the peer sent nothing on the connection, and its sender nothing after it), and the
   * connection's evidence (`connectionEnds`) runs past when the next retransmission was due: the
   * last interval doubled (RFC 6298 5.5 backs off by doubling; Linux's first SYN retransmissions
   * may come at a constant interval, tcp_syn_linear_timeouts, which is sooner), plus a quarter of
   * that for timer slack. Then the sender had given up: connect() timed out (RFC 9293 3.10.8).
   */
  private synGaveUp(ci: number, side: number, r: number): boolean {
    const k = 2 * ci + side;
    const w = this.w;
    if (w.rows[k * RW + R_LAST_SYN] !== r || this.tracks.lastRow[ci] !== r || w.bits[k ^ 1] & F_SEEN) return false;
    const t = this.table;
    const { rowList, rowStart } = this.tracks;
    let prev = -1;
    for (let i = this.tracks.indexOfRow(ci, r) - 1; i >= 0 && prev < 0; i--) {
      const q = rowList[rowStart[ci] + i];
      if (this.rowDir[q] === side && (t.flags[q] & (SYN | ACK | RST)) === SYN && t.seq[q] === t.seq[r]) prev = q;
    }
    return prev >= 0 && this.pastNextRetransmission(ci, prev, r);
  }

  /**
   * Two captures showed row r lost on the way: when it acknowledged the receiver's FIN and the
   * receiver retransmitted the FIN after it, it is recorded as an ACK one capture would infer lost
   * (the same `missing-ack` finding, here a fact).
   */
  lostAck(ci: number, r: number): void {
    const t = this.table;
    if ((t.flags[r] & (ACK | RST)) !== ACK) return;
    const sender = this.rowDir[r];
    const k = 2 * ci + (1 - sender);
    const w = this.w;
    if (!(w.bits[k] & F_HAS_FIN) || this.S.finAcked[k] || !seqGe(t.ack[r], seqAdd(w.finSeq[k], 1))) return;
    const again = this.wire.side(ci, 1 - sender).finRows.find((q) => q > r);
    if (again !== undefined) this.S.extra(ci).lostAckRows.push({ row: r, side: sender, retransmission: again });
  }

  /**
   * The first transmission of the SYN/FIN that row r retransmits was received by row r: then row r
   * arrives as well, on arrival (its ACK may be newer than the first one's; the SYN/FIN itself was
   * taken with the first). Else the retransmission is not processed either (what `processedAfter`
   * in report/ladder.ts shows, and how an RFC figure of it reads back).
   */
  firstTransmissionIn(ci: number, r: number): boolean {
    const { rowList, rowStart } = this.tracks;
    const { rowDir, deliverAt } = this.wire;
    const first = firstTransmission(rowList, rowStart[ci], rowStart[ci + 1], r, this.table.flags, rowDir, deliverAt);
    const d = first >= 0 ? this.deliveries[first] : NEVER;
    return d !== NEVER && d <= r;
  }

  /**
   * The first row after row r that `side` sent on the connection (other than a RST when
   * `skipRsts`), or -1. Called on most closes (every FIN reaching FIN-WAIT-2): the connection's
   * row list is read in place.
   */
  private nextFrom(ci: number, side: number, r: number, skipRsts: boolean): number {
    const flags = this.table.flags;
    const { rowList, rowStart } = this.tracks;
    for (let i = rowStart[ci], end = rowStart[ci + 1]; i < end; i++) {
      const q = rowList[i];
      if (q > r && this.rowDir[q] === side && !(skipRsts && flags[q] & RST)) return q;
    }
    return -1;
  }

  /**
   * The first segment after row r that `side` sent on the connection other than a RST (its TCP
   * still had the connection then), or -1. A TCP that resets deletes the connection and sends
   * nothing more on it; a new connection on the 4-tuple starts with a SYN (a new incarnation).
   */
  private wentOnAfter(ci: number, side: number, r: number): number {
    const q = this.nextFrom(ci, side, r, true);
    return q >= 0 && !(this.flags[q] & SYN) ? q : -1;
  }

  /**
   * The FIN in row r, without data, got a RST without ACK as the receiver's next segment: no
   * socket took it (one in FIN-WAIT-2 would have acknowledged it).
   */
  private finFoundNoSocket(ci: number, side: number, r: number): boolean {
    if (this.table.len[r] !== 0 || !this.sentRst(ci, side)) return false;
    const q = this.nextFrom(ci, side, r, false);
    return q >= 0 && (this.flags[q] & (RST | ACK)) === RST;
  }

  /**
   * The SYN-ACK in row r got, as the receiver's next segment, a RST without ACK whose sequence
   * number is the SYN-ACK's ACK number: no socket took it (one in SYN-SENT would have answered
   * with an ACK, RFC 9293 3.10.7.3).
   */
  private foundNoSocket(ci: number, side: number, r: number): boolean {
    if (!this.sentRst(ci, side)) return false;
    const q = this.nextFrom(ci, side, r, false);
    // A side that goes on sending after that RST still had its connection (see wentOnAfter).
    return q >= 0 && (this.flags[q] & (RST | ACK)) === RST && this.table.seq[q] === this.ack[r] && this.wentOnAfter(ci, side, q) < 0;
  }

  /** The side sent a RST on the connection (the wire pass counted them): most never do. */
  private sentRst(ci: number, side: number): boolean {
    return this.w.counts[(2 * ci + side) * 4 + C_RST] > 0;
  }

  /** The side is CLOSED only because a FIN to it found no socket (see finFoundNoSocket). */
  private closedByFinWithoutSocket(ci: number, side: number): boolean {
    const k = 2 * ci + side;
    return this.st[k] === CLOSED && this.transitions.reasonOf(this.S.lastTransition[k]) === WHY.finWait2Gone[side];
  }

  /** The side is CLOSED only because a SYN-ACK to it found no socket (see foundNoSocket). */
  private closedBySynAckWithoutSocket(ci: number, side: number): boolean {
    const k = 2 * ci + side;
    return this.st[k] === CLOSED && this.transitions.reasonOf(this.S.lastTransition[k]) === WHY.synAckGone[side];
  }

  /** The receiver of an in-window RST sent something afterwards: it did not reset (challenge ACK). */
  private answeredAfter(ci: number, side: number, r: number): boolean {
    return this.nextFrom(ci, side, r, true) >= 0;
  }

  /** Why a side sent a RST, from what it and its peer did before: the reason, its evidence and confidence. */
  resetReason(ci: number, side: number, r: number): RstVerdict {
    const t = this.table;
    const rows = this.tracks.rows(ci);
    const dir = this.wire.rowDir;
    const odd = ipHeaderMismatch(t, rows, dir, side, r);
    if (odd !== null) return verdict('injected', `suspected injection: ${odd.text}`, odd.evidence, 'likely');
    const why = this.senderReason(ci, side, r, rows);
    // What the RST met: a receiver in TIME-WAIT is killed by it unless it follows RFC 1337.
    const peer = this.st[2 * ci + (1 - side)];
    if (peer === TIME_WAIT && why.reason !== 'refused')
      return verdict(
        'time-wait-assassination',
        `the RST reached the ${SIDES[1 - side]} in TIME-WAIT (${why.text}): a TIME-WAIT socket that takes it ends before its 2 MSL (TIME-WAIT assassination, RFC 1337; Linux ignores it with tcp_rfc1337 = 1)`,
        [this.S.timeWaitRow[2 * ci + (1 - side)], ...why.evidence],
        'certain',
      );
    const e = this.S.extrasOf(ci);
    const challenged = e === undefined ? [] : e.ignoredRsts.filter((x) => x.check === 'in-window').map((x) => x.row);
    const exchange = challenged.length > 0 ? challengeExchange(t, rows, dir, side, r, challenged) : null;
    if (exchange !== null)
      return verdict(
        'challenge-ack-exchange',
        `its first RST (${ref(t, exchange[0])}) was in the window but not at RCV.NXT, the ${SIDES[1 - side]} answered with a challenge ACK (${ref(t, exchange[1])}), and this RST carries exactly that ACK's number (RFC 5961 3.2); the first RST was sent because of: ${why.text}`,
        [...exchange, ...why.evidence],
        'certain',
      );
    return why;
  }

  /** Why the sender's TCP sent the RST in row r, from its state and what it and its peer sent before. */
  private senderReason(ci: number, side: number, r: number, rows: Int32Array): RstVerdict {
    const s = this.st[2 * ci + side];
    const k = 2 * ci + side;
    const check = this.wire.rstCheck.get(r);
    const t = this.table;
    const dir = this.wire.rowDir;
    const idx = rows.indexOf(r);
    const prev = idx > 0 ? rows[idx - 1] : -1;
    if (check === 'syn-ack-ok' || check === 'syn-ack-bad') {
      let syn = -1;
      for (let i = idx - 1; i >= 0 && syn < 0; i--) if (dir[rows[i]] !== side && t.flags[rows[i]] & SYN) syn = rows[i];
      return verdict('refused', 'refused: no socket was listening on the port', [syn, r], check === 'syn-ack-ok' ? 'certain' : 'likely');
    }
    const ownFin = this.w.rows[k * RW + R_FIRST_FIN];
    if (this.closedByFinWithoutSocket(ci, side)) {
      // The replay closed this side because this RST showed the peer's FIN found no socket.
      const waited = ownFin >= 0 && prev >= 0 ? t.time(prev) - t.time(ownFin) : NaN;
      const when =
        waited >= 1
          ? 'when its socket was gone: an orphaned FIN-WAIT-2 ends after a timeout (tcp_fin_timeout, 60 s on Linux)'
          : 'when its socket was already gone (RFC 9293 3.10.7.1)';
      return verdict(
        'no-connection',
        `answer to a segment for a connection the sender no longer has: the peer's FIN came ${fmtDuration(waited)} after its own FIN, ${when}`,
        [ownFin, prev, r],
        waited >= 1 ? 'likely' : 'possible',
      );
    }
    if (this.closedBySynAckWithoutSocket(ci, side))
      return verdict(
        'no-connection',
        "answer to a segment for a connection the sender no longer has: the peer's SYN-ACK came after the sender had left SYN-SENT (its application closed, or connect() gave up; RST without ACK carrying the SYN-ACK's ACK number, RFC 9293 3.10.7.1)",
        [prev, r],
        'certain',
      );
    if (s === CLOSED) return verdict('no-connection', 'answer to a segment for a connection the sender no longer has', [prev, r], 'likely');
    const noAckAnswer = !(t.flags[r] & ACK) && prev >= 0 && dir[prev] !== side && t.flags[prev] & ACK && t.seq[r] === t.ack[prev];
    // Retransmitted, and for longer than a retransmission timeout (1 s, RFC 6298 2.4): a socket that gave up.
    const fins = ownFin >= 0 && this.w.counts[k * 4 + C_FIN] > 1 ? this.wire.side(ci, side).finRows : null;
    const gaveUp = fins !== null && t.time(r) - t.time(ownFin) >= 1;
    if (s === FIN_WAIT_1 && !this.S.finAcked[k] && gaveUp && noAckAnswer)
      // Its FIN was never acknowledged and the RST is how a TCP with no connection answers: the
      // socket had given up retransmitting its FIN.
      return verdict(
        'no-connection',
        "answer to a segment for a connection the sender no longer has: its FIN was never acknowledged, and a socket gives up after retransmitting it (an orphan after tcp_orphan_retries on Linux; RST without ACK carrying the segment's ACK number, RFC 9293 3.10.7.1)",
        [...fins, prev, r],
        'likely',
      );
    if (s === FIN_WAIT_1 || s === FIN_WAIT_2 || s === TIME_WAIT || s === LAST_ACK || s === CLOSING) {
      const data = this.peerDataSince(rows, side, ownFin, r);
      return verdict(
        'after-fin',
        'after its own FIN: the socket was closed and more data arrived (benign FIN then RST)',
        [ownFin, ...data.slice(0, 3), r],
        data.length > 0 ? 'likely' : 'possible',
      );
    }
    // A RST without ACK whose sequence number is the ACK of the peer's segment just before it is
    // how a TCP with no connection answers (RFC 9293 3.10.7.1): the socket was already gone.
    if (noAckAnswer)
      return verdict(
        'no-connection',
        "answer to a segment for a connection the sender no longer has (RST without ACK carrying the segment's ACK number, RFC 9293 3.10.7.1)",
        [prev, r],
        'likely',
      );
    if (this.w.counts[k * 4 + C_KEEPALIVE] > 0) {
      // Keepalive probes with no answer from the peer after the last probe.
      const probes: number[] = [];
      for (const q of rows) if (q < r && dir[q] === side && this.rowKind[q] & KIND_KEEPALIVE) probes.push(q);
      const lastProbe = probes.length > 0 ? probes[probes.length - 1] : -1;
      let answered = false;
      for (const q of rows) if (q > lastProbe && q < r && dir[q] !== side) answered = true;
      if (lastProbe >= 0 && !answered)
        return verdict('keepalive-timeout', 'keepalive timeout: the peer stopped answering keepalive probes', [...probes, r], probes.length >= 2 ? 'likely' : 'possible');
    }
    // Retransmissions of the same data with nothing from the peer since the first of them: the
    // sender gave up (Windows and others reset then; Linux drops the connection silently).
    const retrans: number[] = [];
    for (let i = idx - 1; i >= 0; i--) {
      const q = rows[i];
      if (dir[q] !== side) break;
      if (this.rowKind[q] & KIND_RETRANSMISSION && t.len[q] > 0) retrans.push(q);
    }
    if (retrans.length >= 2)
      return verdict(
        'retransmission-timeout',
        `retransmission timeout: the sender retransmitted its data ${retrans.length} times with no answer from the peer, then gave up (RFC 9293 3.8.3, RFC 1122 4.2.3.5)`,
        [...retrans, r],
        'likely',
      );
    // An abort. The capture shows unread data when the sender's window shrank by what it received
    // (its application did not read it) or closed.
    const unread = this.unreadDataShown(ci, rows, side, r);
    if (unread !== null)
      return verdict(
        'abort-unread-data',
        `abort on close() with unread data: ${unread.text} (RFC 1122 4.2.2.13, RFC 9293 3.10.4)`,
        [...unread.rows, r],
        'likely',
      );
    const data = this.peerDataSince(rows, side, -1, r);
    return verdict(
      'abort',
      data.length > 0
        ? `abort: the application reset instead of closing (SO_LINGER 0, or close() with received data still unread: the last data from the peer, ${ref(t, data[data.length - 1])}, came before it, and the capture cannot show whether it was read; RFC 1122 4.2.2.13)`
        : 'abort: the application reset instead of closing (SO_LINGER 0, or close() with unread received data, RFC 1122 4.2.2.13)',
      [data.length > 0 ? data[data.length - 1] : -1, r],
      'possible',
    );
  }

  /** Rows with data from the peer of `side` after row `from` and before row r (at most a few). */
  private peerDataSince(rows: Int32Array, side: number, from: number, r: number): number[] {
    const out: number[] = [];
    for (const q of rows) if (q > from && q < r && this.rowDir[q] !== side && this.table.len[q] > 0) out.push(q);
    return out;
  }

  /**
   * The sender of the RST in row r advertised a window that shrank, after it received data, by at
   * least what it received (or to zero): the data sat unread in its receive buffer.
   */
  private unreadDataShown(ci: number, rows: Int32Array, side: number, r: number): { text: string; rows: number[] } | null {
    const t = this.table;
    const dir = this.wire.rowDir;
    let base = -1; // the sender's last segment before the peer's data
    let received = 0;
    const got: number[] = [];
    let last = -1;
    for (const q of rows) {
      if (q >= r) break;
      if (dir[q] === side) {
        if (received === 0) base = q;
        last = q;
      } else if (t.len[q] > 0 && base >= 0) {
        received += t.len[q];
        got.push(q);
      }
    }
    if (base < 0 || last <= base || received === 0 || t.opts[r] & OPT_NO_WINDOW) return null;
    const k = 2 * ci + side;
    const window = (q: number): number => scaledWindow(t.win[q], (t.flags[q] & SYN) !== 0, this.w.wscale[k], this.w.wscale[k ^ 1]);
    const before = window(base);
    const after = window(last);
    if (after === 0 || before - after >= received)
      return {
        text: `the ${SIDES[side]} received ${received} bytes (${ref(t, got[0])}${got.length > 1 ? ` to ${ref(t, got[got.length - 1])}` : ''}) and its window went from ${before} to ${after} (${ref(t, last)}): the data was still in its receive buffer`,
        rows: [got[0], last],
      };
    return null;
  }
}

export { NEVER };
