/**
 * The two-sided RFC 9293 state engine.
 *
 * For every connection it replays the segments as events on BOTH endpoints: a segment changes its
 * sender's state when it is sent, and its receiver's state when the receiver evidently processed it
 * (see wire.ts for the delivery rule). Every state change goes through one place, `setState`, which
 * records the segment that caused it and a sentence citing the RFC.
 */

import { ACK, FIN, RST, SYN, type SegmentTable } from '../model/segment';
import { seqAdd, seqGe } from '../seq';
import { CATALOG } from './catalog';
import { trackConnections, type TrackedConnection } from './tracker';
import {
  KIND_DATA,
  KIND_RETRANSMISSION,
  STATES,
  type Analysis,
  type CloseInitiator,
  type Connection,
  type EngineOptions,
  type Finding,
  type FindingCode,
  type Outcome,
  type RelatedSegment,
  type Side,
  type TcpState,
  type Transition,
} from './types';
import { NEVER, RETRANSMITTED_CONTROL, wirePass, type RstCheck, type SenderWire, type WirePass } from './wire';

export const DEFAULT_OPTIONS: EngineOptions = {
  mslSeconds: 30,
  lingerSeconds: 30,
  idleSeconds: 30,
  severities: {},
};

/** Explicit events for traces that spell them out (RFC figure notation); see text/types.ts. */
export type EngineStep =
  | { kind: 'segment'; row: number }
  | { kind: 'arrive'; row: number }
  | { kind: 'close'; endpoint: number; line: number }
  | { kind: 'timeout'; endpoint: number; line: number }
  | { kind: 'claim'; endpoint: number; state: TcpState; line: number; startCol: number; endCol: number };

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

/** Reason sentences are shared strings: `{me}` / `{peer}` filled once per side, then cached. */
const reasonCache = new Map<string, [string, string]>();
function reason(template: string, side: number): string {
  let e = reasonCache.get(template);
  if (e === undefined) {
    const fill = (me: number): string => template.replace(/\{me\}/g, SIDES[me]).replace(/\{peer\}/g, SIDES[1 - me]);
    e = [fill(0), fill(1)];
    reasonCache.set(template, e);
  }
  return e[side];
}
const STATE_INDEX: Record<TcpState, number> = Object.fromEntries(STATES.map((s, i) => [s, i])) as Record<TcpState, number>;

const NO_LISTS: number[][] = [[], []];
Object.freeze(NO_LISTS[0]);
Object.freeze(NO_LISTS[1]);

/**
 * Transitions as columns (a million-segment capture has millions of them); `Analysis.transitions`
 * materializes Transition objects only when a consumer asks for them.
 */
class TransitionLog {
  length = 0;
  private row = new Int32Array(1024);
  private cause = new Int32Array(1024);
  private code = new Uint8Array(1024); // side | from << 1 | inferred << 7 ; to in `to`
  private to = new Uint8Array(1024);
  private reason = new Uint16Array(1024);
  private readonly reasons: string[] = [];
  private readonly reasonIds = new Map<string, number>();

  push(row: number, cause: number, side: number, from: TcpState, to: TcpState, why: string, inferred: boolean): number {
    if (this.length === this.row.length) this.grow();
    const i = this.length++;
    let id = this.reasonIds.get(why);
    if (id === undefined) {
      id = this.reasons.length;
      this.reasons.push(why);
      this.reasonIds.set(why, id);
    }
    this.row[i] = row;
    this.cause[i] = cause;
    this.code[i] = side | (STATE_INDEX[from] << 1) | (inferred ? 0x80 : 0);
    this.to[i] = STATE_INDEX[to];
    this.reason[i] = id;
    return i;
  }

  get(i: number): Transition {
    const c = this.code[i];
    return {
      row: this.row[i],
      cause: this.cause[i],
      side: SIDES[c & 1],
      from: STATES[(c >> 1) & 0x3f],
      to: STATES[this.to[i]],
      reason: this.reasons[this.reason[i]],
      inferred: (c & 0x80) !== 0,
    };
  }

  private grow(): void {
    const n = this.row.length * 2;
    const g = <T extends Int32Array | Uint8Array | Uint16Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.row = g(this.row, (k) => new Int32Array(k));
    this.cause = g(this.cause, (k) => new Int32Array(k));
    this.code = g(this.code, (k) => new Uint8Array(k));
    this.to = g(this.to, (k) => new Uint8Array(k));
    // Reason ids: more than 65,535 distinct sentences cannot happen (they are templates per side).
    this.reason = g(this.reason, (k) => new Uint16Array(k));
  }
}

/** Everything the replay needs to know about one connection. */
/** Per-side replay state of every connection, as columns indexed by `2 * connection + side`. */
class SimStore {
  readonly state: TcpState[];
  readonly initialStates: TcpState[];
  /** The side's own FIN has been acknowledged (as the side evidently learned). */
  readonly finAcked: Uint8Array;
  /** The peer's FIN has been received. */
  readonly peerFinReceived: Uint8Array;
  readonly timeWaitSince: Float64Array;
  readonly timeWaitRow: Int32Array;
  /** Index in the transition log of each side's last transition, -1 if none. */
  readonly lastTransition: Int32Array;
  readonly halfCloseData: Float64Array;
  constructor(sides: number) {
    this.state = new Array<TcpState>(sides).fill('UNKNOWN');
    this.initialStates = new Array<TcpState>(sides).fill('UNKNOWN');
    this.finAcked = new Uint8Array(sides);
    this.peerFinReceived = new Uint8Array(sides);
    this.timeWaitSince = new Float64Array(sides).fill(NaN);
    this.timeWaitRow = new Int32Array(sides).fill(-1);
    this.lastTransition = new Int32Array(sides).fill(-1);
    this.halfCloseData = new Float64Array(sides);
  }
}

/** Everything the replay needs to know about one connection (per-side values live in the SimStore). */
class ConnSim {
  readonly k: number;
  /** The trace declared its starting states (claims before the first segment). */
  declaredStart = false;
  /** Some side reached ESTABLISHED: the handshake completed. */
  synchronized = false;
  /** Rows whose delivery to the peer waits for a later row (see wire.ts); usually none. */
  pending: number[] | null = null;
  reset: { side: number; row: number; reason: string } | null = null;
  // Rarely used lists share one empty array until something is added (most connections need none).
  halfCloseDataRows: number[][] = NO_LISTS;
  dataAfterFinRows: number[][] = NO_LISTS;
  lostAckRows: { row: number; side: number; retransmission: number }[] | null = null;
  ignoredRsts: { row: number; check: RstCheck }[] | null = null;
  constructor(
    readonly index: number,
    readonly tracked: TrackedConnection,
    readonly wire: [SenderWire, SenderWire],
    readonly S: SimStore,
  ) {
    this.k = 2 * index;
  }
}

export function analyze(table: SegmentTable, options: Partial<EngineOptions> = {}, steps?: EngineStep[]): Analysis {
  const opts: EngineOptions = { ...DEFAULT_OPTIONS, ...options, severities: { ...options.severities } };
  const { connections: tracked, rowConn } = trackConnections(table);
  const wire = wirePass(table, tracked, rowConn);
  const n = table.length;
  const clientBefore = new Uint8Array(n);
  const clientAfter = new Uint8Array(n);
  const serverBefore = new Uint8Array(n);
  const serverAfter = new Uint8Array(n);
  const transitions = new TransitionLog();
  const transitionStart = new Int32Array(n + 1);
  const store = new SimStore(tracked.length * 2);
  const sims = tracked.map((t, i) => new ConnSim(i, t, wire.sides[i], store));
  const claimResults: ClaimResult[] = [];

  const replay = new Replay(table, opts, wire, transitions);
  sims.forEach((sim) => replay.initial(sim));

  const record = (r: number): void => {
    const sim = sims[rowConn[r]];
    clientAfter[r] = STATE_INDEX[sim.S.state[sim.k + 0]];
    serverAfter[r] = STATE_INDEX[sim.S.state[sim.k + 1]];
  };
  const before = (r: number): void => {
    const sim = sims[rowConn[r]];
    clientBefore[r] = STATE_INDEX[sim.S.state[sim.k + 0]];
    serverBefore[r] = STATE_INDEX[sim.S.state[sim.k + 1]];
  };

  if (steps === undefined) {
    for (let r = 0; r < n; r++) {
      transitionStart[r] = transitions.length;
      const ci = rowConn[r];
      if (ci < 0) continue;
      const sim = sims[ci];
      if (sim.S.state[sim.k + 0] === 'TIME-WAIT' || sim.S.state[sim.k + 1] === 'TIME-WAIT') replay.expireTimers(sim, r);
      if (r === sim.tracked.rows[0] && sim.tracked.previous >= 0) replay.supersede(sims[sim.tracked.previous]);
      clientBefore[r] = STATE_INDEX[sim.S.state[sim.k + 0]];
      serverBefore[r] = STATE_INDEX[sim.S.state[sim.k + 1]];
      replay.send(sim, r);
      const d = wire.deliverAt[r];
      if (d === r) replay.deliver(sim, r);
      else if (d > r) (sim.pending ??= []).push(r);
      if (sim.pending !== null) {
        const due = sim.pending.filter((p) => wire.deliverAt[p] === r);
        if (due.length > 0) {
          sim.pending = sim.pending.filter((p) => wire.deliverAt[p] !== r);
          for (const p of due) replay.deliver(sim, p);
        }
      }
      clientAfter[r] = STATE_INDEX[sim.S.state[sim.k + 0]];
      serverAfter[r] = STATE_INDEX[sim.S.state[sim.k + 1]];
    }
    transitionStart[n] = transitions.length;
  } else {
    // Explicit events (RFC figure notation): sends, arrivals, closes, timeouts and claims in file order.
    let lastRow = -1;
    const epSim = (ep: number): { sim: ConnSim; side: number } | null => {
      for (const sim of sims) {
        if (sim.tracked.clientEp === ep) return { sim, side: 0 };
        if (sim.tracked.serverEp === ep) return { sim, side: 1 };
      }
      return null;
    };
    // A row's "after" states are taken once its arrivals are done: before the next segment, or
    // before a later (Close) / (2 MSL), which belong to the next step of the figure.
    let recorded = -1;
    const flush = (): void => {
      if (lastRow >= 0 && recorded !== lastRow) {
        record(lastRow);
        recorded = lastRow;
      }
    };
    for (const step of steps) {
      if (step.kind === 'segment') {
        flush();
        const r = step.row;
        for (let k = lastRow + 1; k <= r; k++) transitionStart[k] = transitions.length;
        lastRow = r;
        if (rowConn[r] < 0) continue;
        before(r);
        replay.send(sims[rowConn[r]], r);
      } else if (step.kind === 'arrive') {
        if (rowConn[step.row] >= 0) replay.deliver(sims[rowConn[step.row]], step.row, lastRow);
      } else if (step.kind === 'close') {
        flush();
        const t = epSim(step.endpoint);
        if (t) replay.applicationClose(t.sim, t.side, lastRow);
      } else if (step.kind === 'timeout') {
        flush();
        const t = epSim(step.endpoint);
        if (t && t.sim.S.state[t.sim.k + t.side] === 'TIME-WAIT')
          replay.setState(t.sim, t.side, 'CLOSED', lastRow, 'The 2 MSL TIME-WAIT timer expired (RFC 9293 3.6).', false);
      } else {
        const t = epSim(step.endpoint);
        if (t && lastRow < 0 && t.sim.tracked.rows.length > 0) {
          // A claim before the first segment declares where the trace starts (as "1. ESTABLISHED" does).
          t.sim.S.state[t.sim.k + t.side] = step.state;
          t.sim.S.initialStates[t.sim.k + t.side] = step.state;
          t.sim.declaredStart = true;
        }
        if (t) {
          claimResults.push({
            line: step.line,
            startCol: step.startCol,
            endCol: step.endCol,
            endpoint: step.endpoint,
            claimed: step.state,
            inferred: t.sim.S.state[t.sim.k + t.side],
            because: t.sim.S.lastTransition[t.sim.k + t.side] >= 0 ? transitions.get(t.sim.S.lastTransition[t.sim.k + t.side]) : null,
          });
        }
      }
    }
    flush();
    for (let k = lastRow + 1; k <= n; k++) transitionStart[k] = transitions.length;
  }

  // Capture end: TIME-WAIT timers that ran out before the last packet of the capture.
  const endTime = captureEnd(table);
  for (const sim of sims) replay.expireAtEnd(sim, endTime);

  let materialized: Transition[] | undefined;
  const findings: Finding[] = [];
  const connections: Connection[] = sims.map((sim) =>
    summarize(table, opts, wire, sim, findings, endTime, rowConn, tracked, sims),
  );
  for (const cr of claimResults) {
    if (cr.claimed === cr.inferred) continue;
    const t = sims.find((s) => s.tracked.clientEp === cr.endpoint || s.tracked.serverEp === cr.endpoint);
    if (!t) continue;
    const side = t.tracked.clientEp === cr.endpoint ? 'client' : 'server';
    const why = cr.because ? ` (${cr.because.reason})` : '';
    const f = makeFinding(opts, 'state-claim-mismatch', connections[t.index], cr.because?.row ?? -1, table,
      `The trace says the ${side} is ${cr.claimed} here, but the segments imply ${cr.inferred}${why}.`, []);
    if (f) {
      f.line = cr.line;
      f.startCol = cr.startCol;
      f.endCol = cr.endCol;
      findings.push(f);
      connections[t.index].findings.push(f);
    }
  }
  findings.sort((a, b) => a.row - b.row);

  return {
    table,
    connections,
    rowConn,
    rowDir: wire.rowDir,
    clientBefore,
    clientAfter,
    serverBefore,
    serverAfter,
    rowKind: wire.rowKind,
    ackedBy: wire.ackedBy,
    acks: wire.acks,
    get transitions(): Transition[] {
      materialized ??= Array.from({ length: transitions.length }, (_, i) => transitions.get(i));
      return materialized;
    },
    transitionStart,
    findings,
    options: opts,
  };
}

function captureEnd(table: SegmentTable): number {
  let end = -Infinity;
  for (let r = 0; r < table.length; r++) {
    const t = table.time(r);
    if (t > end) end = t;
  }
  return end;
}

/** The replay of segments on both endpoints. */
class Replay {
  constructor(
    private readonly table: SegmentTable,
    private readonly opts: EngineOptions,
    private readonly wire: WirePass,
    private readonly transitions: TransitionLog,
  ) {}

  /** The only place where an endpoint's state changes. */
  setState(sim: ConnSim, side: number, to: TcpState, row: number, why: string, inferred: boolean, cause = row): void {
    const from = sim.S.state[sim.k + side];
    if (from === to) return;
    sim.S.state[sim.k + side] = to;
    if (to === 'ESTABLISHED') sim.synchronized = true;
    if (row >= 0) sim.S.lastTransition[sim.k + side] = this.transitions.push(row, cause, side, from, to, why, inferred);
    if (to === 'TIME-WAIT') {
      sim.S.timeWaitSince[sim.k + side] = row >= 0 ? this.table.time(row) : NaN;
      sim.S.timeWaitRow[sim.k + side] = row;
    }
  }

  /** States before the first segment, from what the connection's first segments show. */
  initial(sim: ConnSim): void {
    const t = sim.tracked;
    const first = t.rows[0];
    const f = this.table.flags[first];
    const [cw, sw] = sim.wire;
    if ((f & (SYN | ACK)) === SYN && this.table.src[first] === t.clientEp) {
      sim.S.state[sim.k + 0] = 'CLOSED';
      // The server's answer tells whether it was listening: a SYN-ACK means LISTEN, a RST means no socket.
      sim.S.state[sim.k + 1] = sw.sentSynAck ? 'LISTEN' : sw.rstCount > 0 ? 'CLOSED' : 'UNKNOWN';
    } else if ((f & (SYN | ACK)) === (SYN | ACK)) {
      sim.S.state[sim.k + 0] = 'SYN-SENT';
      sim.S.state[sim.k + 1] = 'SYN-RECEIVED';
    } else {
      // Capture started mid-connection: both sides are taken to be synchronized (inferred).
      sim.S.state[sim.k + 0] = 'ESTABLISHED';
      sim.S.state[sim.k + 1] = 'ESTABLISHED';
      void cw;
    }
    sim.S.initialStates[sim.k] = sim.S.state[sim.k];
    sim.S.initialStates[sim.k + 1] = sim.S.state[sim.k + 1];
  }

  expireTimers(sim: ConnSim, r: number): void {
    const now = this.table.time(r);
    for (let side = 0; side < 2; side++) {
      if (sim.S.state[sim.k + side] === 'TIME-WAIT' && now - sim.S.timeWaitSince[sim.k + side] >= 2 * this.opts.mslSeconds) {
        this.setState(sim, side, 'CLOSED', r, `The 2 MSL TIME-WAIT timer (${2 * this.opts.mslSeconds} s) expired before this segment (RFC 9293 3.6).`, false);
      }
    }
  }

  /**
   * A new incarnation opened the 4-tuple: a side of the previous connection still in TIME-WAIT
   * has handed the tuple over (RFC 9293 3.6.1, RFC 6191; Linux tcp_tw_reuse), so it is gone.
   */
  supersede(prev: ConnSim): void {
    for (let side = 0; side < 2; side++) {
      if (prev.S.state[prev.k + side] === 'TIME-WAIT') {
        this.setState(prev, side, 'CLOSED', -1, reason('A new connection reopened the 4-tuple: the {me}\'s TIME-WAIT was taken over (RFC 9293 3.6.1, RFC 6191).', side), false);
      }
    }
  }

  expireAtEnd(sim: ConnSim, endTime: number): void {
    for (let side = 0; side < 2; side++) {
      if (sim.S.state[sim.k + side] === 'TIME-WAIT' && endTime - sim.S.timeWaitSince[sim.k + side] >= 2 * this.opts.mslSeconds) {
        sim.S.state[sim.k + side] = 'CLOSED';
      }
    }
  }

  /** The application called close() (explicit in RFC figures; implied by a FIN in captures). */
  applicationClose(sim: ConnSim, side: number, row: number): void {
    const s = sim.S.state[sim.k + side];
    if (s === 'ESTABLISHED' || s === 'SYN-RECEIVED' || s === 'UNKNOWN')
      this.setState(sim, side, 'FIN-WAIT-1', row, 'The application closed: a FIN is queued and the TCP enters FIN-WAIT-1 (RFC 9293 3.10.4, CLOSE call).', false);
    else if (s === 'CLOSE-WAIT')
      this.setState(sim, side, 'LAST-ACK', row, 'The application closed after the peer\'s FIN: LAST-ACK (RFC 9293 3.10.4, CLOSE call in CLOSE-WAIT).', false);
    else if (s === 'SYN-SENT' || s === 'LISTEN')
      this.setState(sim, side, 'CLOSED', row, 'Closed before the connection was established (RFC 9293 3.10.4).', false);
  }

  /** A segment leaves its sender. */
  send(sim: ConnSim, r: number): void {
    const side = this.wire.rowDir[r];
    const f = this.table.flags[r];
    const kind = this.wire.rowKind[r];
    const s = sim.S.state[sim.k + side];
    const who = SIDES[side];
    if (f & RST) {
      const why = this.resetReason(sim, side, r);
      if (!sim.reset && s !== 'CLOSED') sim.reset = { side, row: r, reason: why };
      else if (!sim.reset && this.wire.rstCheck.get(r) === 'syn-ack-ok') sim.reset = { side, row: r, reason: why };
      if (s !== 'CLOSED')
        this.setState(sim, side, 'CLOSED', r, `The ${who} sent a RST and dropped the connection: ${why} (RFC 9293 3.5.2).`, false);
      return;
    }
    if (f & SYN) {
      if (!(f & ACK)) {
        if (s === 'CLOSED' || s === 'UNKNOWN')
          this.setState(sim, side, 'SYN-SENT', r, 'The client sent a SYN to open the connection: SYN-SENT (RFC 9293 3.5, 3.10.1 OPEN call).', false);
      } else if (s === 'LISTEN' || s === 'UNKNOWN' || s === 'CLOSED') {
        this.setState(sim, side, 'SYN-RECEIVED', r, 'A SYN-ACK is sent only in SYN-RECEIVED: the SYN it answers was received (RFC 9293 3.5).', s !== 'LISTEN');
      }
    }
    if ((f & ACK) && s === 'SYN-SENT' && !(f & SYN) && sim.wire[1 - side].isnKnown &&
      seqGe(this.table.ack[r], sim.wire[1 - side].synEnd)) {
      // An ACK of the peer's SYN proves the SYN-ACK was received even when the capture missed it.
      this.setState(sim, side, 'ESTABLISHED', r, 'This ACK acknowledges the peer\'s SYN, so the SYN-ACK was received: ESTABLISHED (RFC 9293 3.5).', true);
    }
    if ((kind & KIND_DATA) && !(kind & KIND_RETRANSMISSION)) {
      const cur = sim.S.state[sim.k + side];
      if (cur === 'CLOSE-WAIT') {
        sim.S.halfCloseData[sim.k + side] += this.table.len[r];
        if (sim.halfCloseDataRows === NO_LISTS) sim.halfCloseDataRows = [[], []];
        sim.halfCloseDataRows[side].push(r);
      }
      const w = sim.wire[side];
      if (w.hasFin && this.wire.deliverAt[r] !== RETRANSMITTED_CONTROL && isAfterOwnFin(this.table, r, w)) {
        if (sim.dataAfterFinRows === NO_LISTS) sim.dataAfterFinRows = [[], []];
        sim.dataAfterFinRows[side].push(r);
      }
    }
    if (f & FIN && this.wire.deliverAt[r] !== RETRANSMITTED_CONTROL) {
      const cur = sim.S.state[sim.k + side];
      if (cur === 'ESTABLISHED' || cur === 'SYN-RECEIVED' || cur === 'UNKNOWN')
        this.setState(sim, side, 'FIN-WAIT-1', r, reason('The {me} closed: it sent its FIN and waits for the ACK in FIN-WAIT-1 (RFC 9293 3.6, case 1).', side), cur === 'UNKNOWN');
      else if (cur === 'CLOSE-WAIT')
        this.setState(sim, side, 'LAST-ACK', r, reason('The {me} closed after receiving the peer\'s FIN: it sent its own FIN and waits in LAST-ACK (RFC 9293 3.6, case 2).', side), false);
    }
  }

  /** A segment is processed by its receiver. `at` is the row after which it happens (for the log). */
  deliver(sim: ConnSim, r: number, at = this.wire.deliverAt[r]): void {
    const sender = this.wire.rowDir[r];
    const side = 1 - sender;
    const me = SIDES[side];
    const peer = SIDES[sender];
    const f = this.table.flags[r];
    const inferred = this.wire.deliverInferred[r] === 1;
    const w = sim.wire[side];
    const row = at >= 0 ? at : r;

    if (f & RST) {
      const check = this.wire.rstCheck.get(r) ?? 'unknown';
      const s = sim.S.state[sim.k + side];
      if (check === 'out-of-window' || check === 'syn-ack-bad' || (check === 'in-window' && this.answeredAfter(sim, side, r))) {
        (sim.ignoredRsts ??= []).push({ row: r, check });
        return;
      }
      if (s === 'CLOSED' || s === 'LISTEN') return;
      this.setState(sim, side, 'CLOSED', row,
        check === 'syn-ack-ok'
          ? reason('The {peer}\'s RST,ACK acknowledges the SYN: the connection is refused and the {me} goes from SYN-SENT to CLOSED (RFC 9293 3.10.7.3).', side)
          : `The ${peer}'s RST is acceptable (sequence number ${check === 'exact' ? 'exactly RCV.NXT' : 'not checkable'}): the ${me} aborts to CLOSED (RFC 9293 3.10.7.4, RFC 5961 3.2).`,
        check === 'unknown', r);
      return;
    }

    if (f & SYN) {
      const s = sim.S.state[sim.k + side];
      if (!(f & ACK)) {
        if ((s === 'LISTEN' || s === 'UNKNOWN') && w.sentSynAck)
          this.setState(sim, side, 'SYN-RECEIVED', row, reason('The {me} received the SYN and answered with a SYN-ACK: SYN-RECEIVED (RFC 9293 3.5, 3.10.7.2).', side), s === 'UNKNOWN', r);
        else if (s === 'SYN-SENT')
          this.setState(sim, side, 'SYN-RECEIVED', row, `Both sides sent a SYN (simultaneous open): SYN-SENT to SYN-RECEIVED (RFC 9293 3.5, figure 7).`, false, r);
      } else if (s === 'SYN-SENT' && seqGe(this.table.ack[r], w.synEnd)) {
        this.setState(sim, side, 'ESTABLISHED', row, reason('The SYN-ACK acknowledges the {me}\'s SYN: ESTABLISHED (RFC 9293 3.5, 3.10.7.3).', side), inferred, r);
        return;
      } else if (s === 'SYN-RECEIVED' && seqGe(this.table.ack[r], w.synEnd)) {
        this.setState(sim, side, 'ESTABLISHED', row, reason('The SYN-ACK acknowledges the {me}\'s SYN (simultaneous open): ESTABLISHED (RFC 9293 3.5).', side), inferred, r);
        return;
      }
    }

    if (f & ACK) {
      const a = this.table.ack[r];
      const s = sim.S.state[sim.k + side];
      if (s === 'SYN-RECEIVED' && w.sentSyn && seqGe(a, w.synEnd)) {
        if (w.lastSynTx > r) (sim.lostAckRows ??= []).push({ row: r, side: sender, retransmission: w.lastSynTx });
        else this.setState(sim, side, 'ESTABLISHED', row, reason('The ACK acknowledges the {me}\'s SYN-ACK: ESTABLISHED (RFC 9293 3.5, 3.10.7.4).', side), inferred, r);
      }
      if (w.hasFin && !sim.S.finAcked[sim.k + side] && seqGe(a, seqAdd(w.finSeq, 1))) {
        if (w.lastFinTx > r) {
          // The sender of the FIN retransmitted it after this ACK: the ACK never arrived (or came late).
          (sim.lostAckRows ??= []).push({ row: r, side: sender, retransmission: w.lastFinTx });
        } else {
          sim.S.finAcked[sim.k + side] = 1;
          const cur = sim.S.state[sim.k + side];
          if (cur === 'FIN-WAIT-1')
            this.setState(sim, side, 'FIN-WAIT-2', row, reason('The {peer} acknowledged the {me}\'s FIN: FIN-WAIT-1 to FIN-WAIT-2 (RFC 9293 3.10.7.4, FIN-WAIT-1).', side), inferred, r);
          else if (cur === 'CLOSING')
            this.setState(sim, side, 'TIME-WAIT', row, reason('The {peer} acknowledged the {me}\'s FIN: CLOSING to TIME-WAIT (RFC 9293 3.10.7.4, CLOSING).', side), inferred, r);
          else if (cur === 'LAST-ACK')
            this.setState(sim, side, 'CLOSED', row, reason('The {peer} acknowledged the {me}\'s FIN: LAST-ACK to CLOSED, the connection is deleted (RFC 9293 3.10.7.4, LAST-ACK).', side), inferred, r);
        }
      }
    }

    if (f & FIN) {
      if (sim.S.peerFinReceived[sim.k + side]) return;
      sim.S.peerFinReceived[sim.k + side] = 1;
      const cur = sim.S.state[sim.k + side];
      const crossing = sim.wire[side].hasFin && !sim.S.finAcked[sim.k + side];
      if (cur === 'ESTABLISHED' || cur === 'SYN-RECEIVED' || cur === 'UNKNOWN')
        this.setState(sim, side, 'CLOSE-WAIT', row, reason('The {me} received the {peer}\'s FIN: CLOSE-WAIT, waiting for its application to close (RFC 9293 3.6 case 2, 3.10.7.4).', side), inferred, r);
      else if (cur === 'FIN-WAIT-1' && crossing)
        this.setState(sim, side, 'CLOSING', row, reason('The {peer}\'s FIN arrived before the ACK of the {me}\'s own FIN: simultaneous close, CLOSING (RFC 9293 3.6 case 3, figure 13).', side), inferred, r);
      else if (cur === 'FIN-WAIT-1' || cur === 'FIN-WAIT-2')
        this.setState(sim, side, 'TIME-WAIT', row, reason('The {me} received the {peer}\'s FIN after its own FIN was acknowledged: TIME-WAIT for 2 MSL (RFC 9293 3.6, 3.10.7.4).', side), inferred, r);
    }
  }

  /** The receiver of an in-window RST sent something afterwards: it did not reset (challenge ACK). */
  private answeredAfter(sim: ConnSim, side: number, r: number): boolean {
    for (const q of sim.tracked.rows) {
      if (q > r && this.wire.rowDir[q] === side && !(this.table.flags[q] & RST)) return true;
    }
    return false;
  }

  /** Why a side sent a RST, from what it and its peer did before. */
  resetReason(sim: ConnSim, side: number, r: number): string {
    const s = sim.S.state[sim.k + side];
    const mine = sim.wire[side];
    const theirs = sim.wire[1 - side];
    const check = this.wire.rstCheck.get(r);
    if (check === 'syn-ack-ok' || check === 'syn-ack-bad') return 'refused: no socket was listening on the port';
    if (s === 'CLOSED') return 'answer to a segment for a connection the sender no longer has';
    if (s === 'FIN-WAIT-1' || s === 'FIN-WAIT-2' || s === 'TIME-WAIT' || s === 'LAST-ACK' || s === 'CLOSING')
      return 'after its own FIN: the socket was closed and more data arrived (benign FIN then RST)';
    // A RST without ACK whose sequence number is the ACK of the peer's segment just before it is
    // how a TCP with no connection answers (RFC 9293 3.10.7.1): the socket was already gone.
    const idx = sim.tracked.rows.indexOf(r);
    const prev = idx > 0 ? sim.tracked.rows[idx - 1] : -1;
    if (!(this.table.flags[r] & ACK) && prev >= 0 && this.wire.rowDir[prev] !== side &&
      this.table.flags[prev] & ACK && this.table.seq[r] === this.table.ack[prev])
      return 'answer to a segment for a connection the sender no longer has (RST without ACK carrying the segment\'s ACK number, RFC 9293 3.10.7.1)';
    if (mine.keepalives > 0) {
      // Keepalive probes with no answer from the peer after the last probe.
      let lastProbe = -1;
      for (const q of sim.tracked.rows) if (q < r && this.wire.rowDir[q] === side && this.wire.rowKind[q] & 0x02) lastProbe = q;
      let answered = false;
      for (const q of sim.tracked.rows) if (q > lastProbe && q < r && this.wire.rowDir[q] !== side) answered = true;
      if (lastProbe >= 0 && !answered) return 'keepalive timeout: the peer stopped answering keepalive probes';
    }
    void theirs;
    return 'abort: the application reset instead of closing (SO_LINGER 0, or close() with unread received data, RFC 1122 4.2.2.13)';
  }
}

function isAfterOwnFin(table: SegmentTable, r: number, w: SenderWire): boolean {
  // New data whose end lies beyond the FIN's sequence number was sent after the FIN.
  const end = (table.seq[r] + table.len[r]) >>> 0;
  return !(table.flags[r] & FIN) && seqGe(end, seqAdd(w.finSeq, 1)) && w.firstFinRow < r;
}

function makeFinding(
  opts: EngineOptions,
  code: FindingCode,
  conn: Connection,
  row: number,
  table: SegmentTable,
  message: string,
  related: RelatedSegment[],
): Finding | null {
  const sev = opts.severities[code] ?? CATALOG[code].severity;
  if (sev === 'off') return null;
  return {
    code,
    severity: sev,
    connection: conn.id,
    row,
    frame: row >= 0 ? table.frame[row] : 0,
    message,
    explanation: CATALOG[code].explanation,
    related,
  };
}

function ref(table: SegmentTable, r: number): string {
  const fr = table.frame[r];
  if (fr > 0) return `frame ${fr}`;
  return `line ${table.line[r] + 1}`;
}

function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return 'an unknown time';
  if (s < 1) return `${(s * 1000).toFixed(s < 0.01 ? 3 : 1)} ms`;
  if (s < 120) return `${s.toFixed(3)} s`;
  return `${(s / 60).toFixed(1)} min`;
}

function summarize(
  table: SegmentTable,
  opts: EngineOptions,
  wire: WirePass,
  sim: ConnSim,
  all: Finding[],
  endTime: number,
  _rowConn: Int32Array,
  tracked: TrackedConnection[],
  sims: ConnSim[],
): Connection {
  const t = sim.tracked;
  const [cw, sw] = sim.wire;
  const rows = t.rows;
  const eps = table.endpoints;
  const conn: Connection = {
    id: sim.index + 1,
    client: eps.get(t.clientEp),
    server: eps.get(t.serverEp),
    clientEp: t.clientEp,
    serverEp: t.serverEp,
    rolesInferred: t.rolesInferred,
    incarnation: t.incarnation,
    rows,
    firstRow: rows[0],
    lastRow: rows[rows.length - 1],
    closeInitiator: 'none',
    outcome: 'open',
    reset: null,
    initialState: { client: STATES[0], server: STATES[0] },
    finalState: { client: sim.S.state[sim.k + 0], server: sim.S.state[sim.k + 1] },
    isn: { client: cw.isn, server: sw.isn },
    isnKnown: { client: cw.isnKnown, server: sw.isnKnown },
    findings: [],
  };
  // The state before the first segment is the first row's "before" state, recomputed cheaply here.
  conn.initialState = initialOf(sim);
  const add = (code: FindingCode, row: number, message: string, related: RelatedSegment[] = []): void => {
    const f = makeFinding(opts, code, conn, row, table, message, related);
    if (f) {
      conn.findings.push(f);
      all.push(f);
    }
  };
  const name = (side: number): string => SIDES[side];

  // How it ended.
  const firstFin = [cw.firstFinRow, sw.firstFinRow];
  const refused = sim.reset !== null && wire.rstCheck.get(sim.reset.row) === 'syn-ack-ok';
  const simultaneous =
    firstFin[0] >= 0 && firstFin[1] >= 0 && crossed(table, firstFin, cw, sw);
  if (refused) conn.closeInitiator = 'none';
  else if (simultaneous) conn.closeInitiator = 'simultaneous';
  else {
    // The side whose FIN or RST came first.
    let first = -1;
    let who: CloseInitiator = 'none';
    const consider = (row: number, side: CloseInitiator): void => {
      if (row >= 0 && (first < 0 || row < first)) {
        first = row;
        who = side;
      }
    };
    consider(firstFin[0], 'client');
    consider(firstFin[1], 'server');
    if (sim.reset) consider(sim.reset.row, SIDES[sim.reset.side]);
    conn.closeInitiator = who;
  }
  if (sim.reset) {
    conn.reset = { by: SIDES[sim.reset.side], row: sim.reset.row, frame: table.frame[sim.reset.row], reason: sim.reset.reason };
  }
  const established = cw.acked && sw.acked && (cw.sentSyn ? sw.sentSynAck || sw.seen : true);
  const handshakeDone = !cw.sentSyn || sim.synchronized;
  let outcome: Outcome;
  if (refused) outcome = 'refused';
  else if (sim.reset) outcome = 'reset';
  else if (simultaneous) outcome = 'simultaneous';
  else if (cw.hasFin && sw.hasFin) outcome = 'graceful';
  else if (cw.hasFin || sw.hasFin) outcome = 'half-closed';
  else if (!handshakeDone) outcome = 'half-open';
  else outcome = 'open';
  conn.outcome = outcome;
  void established;

  // Findings.
  if (refused && sim.reset) {
    const synRow = rows.find((r) => table.flags[r] & SYN) ?? rows[0];
    add('refused', sim.reset.row,
      `Connection refused: the server ${conn.server.addr}:${conn.server.port} answered the SYN (${ref(table, synRow)}) with RST,ACK (${ref(table, sim.reset.row)}); nothing listens on the port.`,
      [{ row: synRow, message: 'the refused SYN' }]);
  } else if (sim.reset) {
    const by = name(sim.reset.side);
    add('abrupt-reset', sim.reset.row,
      `The ${by} reset the connection in ${ref(table, sim.reset.row)}: ${sim.reset.reason}.`,
      firstFin.filter((r) => r >= 0).map((r) => ({ row: r, message: 'FIN sent before the RST' })));
  }
  for (const ig of sim.ignoredRsts ?? []) {
    const by = name(wire.rowDir[ig.row]);
    add('rst-out-of-window', ig.row,
      ig.check === 'in-window'
        ? `The ${by}'s RST in ${ref(table, ig.row)} is inside the window but not at RCV.NXT: a correct stack answers with a challenge ACK and keeps the connection (RFC 5961).`
        : ig.check === 'syn-ack-bad'
          ? `The ${by}'s RST in ${ref(table, ig.row)} does not acknowledge the SYN and is ignored in SYN-SENT.`
          : `The ${by}'s RST in ${ref(table, ig.row)} has a sequence number outside the receiver's window: it is ignored, and may have been injected.`);
  }
  if (simultaneous) {
    const second = Math.max(firstFin[0], firstFin[1]);
    add('simultaneous-close', second,
      `Simultaneous close: the FINs in ${ref(table, firstFin[0])} (client) and ${ref(table, firstFin[1])} (server) crossed; neither acknowledges the other, so both sides pass through CLOSING.`,
      [{ row: Math.min(firstFin[0], firstFin[1]), message: 'the other FIN' }]);
  }
  for (let side = 0; side < 2; side++) {
    const w = sim.wire[side];
    if (w.finCount > 1) {
      const finRows = w.finRows;
      const frames = finRows.map((r) => ref(table, r)).join(', ');
      add('fin-retransmitted', finRows[1],
        `The ${name(side)}'s FIN was sent ${finRows.length} times (${frames}): the first one or its ACK was lost or late.`,
        finRows.filter((_, i) => i !== 1).map((r) => ({ row: r, message: 'transmission of the same FIN' })));
      const moved = finRows.find((r) => ((table.seq[r] + table.len[r]) >>> 0) !== w.finSeq);
      if (moved !== undefined)
        add('fin-seq-moved', moved, `The ${name(side)}'s FIN in ${ref(table, moved)} sits at a different sequence number than its first FIN (${ref(table, w.firstFinRow)}).`,
          [{ row: w.firstFinRow, message: 'the first FIN' }]);
    }
    // A FIN never acknowledged, unless the connection was reset afterwards. It is a finding only
    // when the peer had its chance: it sent something later without acknowledging the FIN, the FIN
    // was retransmitted, or the capture went on for a retransmission timeout (1 s, RFC 6298 2.4).
    if (w.hasFin && !sim.S.finAcked[sim.k + side] && !sim.reset) {
      const finEnd = seqAdd(w.finSeq, 1);
      let peerAcks = false;
      let peerSpoke = false;
      for (const r of rows) {
        if (wire.rowDir[r] === side || r < w.firstFinRow) continue;
        if (table.flags[r] & ACK && seqGe(table.ack[r], finEnd)) peerAcks = true;
        else peerSpoke = true;
      }
      const waited = endTime - table.time(w.firstFinRow) >= 1;
      // With no segment at all from the peer, the capture shows one direction only: nothing to conclude.
      if (!peerAcks && sim.wire[1 - side].seen && (peerSpoke || waited || w.finCount > 1))
        add('missing-ack', w.firstFinRow,
          `The ${name(side)}'s FIN (${ref(table, w.firstFinRow)}) was never acknowledged by the end of the capture; the ${name(side)} is left in ${sim.S.state[sim.k + side]}.`);
    }
    if (sim.dataAfterFinRows[side].length > 0) {
      const r0 = sim.dataAfterFinRows[side][0];
      add('data-after-fin', r0,
        `The ${name(side)} sent new data in ${ref(table, r0)} after its own FIN (${ref(table, w.firstFinRow)}).`,
        [{ row: w.firstFinRow, message: 'the FIN' }]);
    }
    if (sim.halfCloseDataRows[side].length > 0) {
      const hr = sim.halfCloseDataRows[side];
      const peerFin = sim.wire[1 - side].firstFinRow;
      add('half-close-data', hr[0],
        `The ${name(side)} sent ${sim.S.halfCloseData[sim.k + side]} bytes in ${hr.length} segment${hr.length === 1 ? '' : 's'} (${ref(table, hr[0])}${hr.length > 1 ? ` to ${ref(table, hr[hr.length - 1])}` : ''}) after receiving the ${name(1 - side)}'s FIN (${ref(table, peerFin)}): a half-close, which is legal.`,
        [{ row: peerFin, message: 'the FIN that half-closed the connection' }]);
    }
    if (w.unseenAckRow >= 0) {
      add('ack-unseen-data', w.unseenAckRow,
        `The ACK in ${ref(table, w.unseenAckRow)} acknowledges ${name(side)} data the capture never showed: segments are missing from the capture.`);
    }
  }
  for (const lost of sim.lostAckRows ?? []) {
    const by = name(lost.side);
    const other = name(1 - lost.side);
    add('missing-ack', lost.row,
      `The ${by}'s ACK in ${ref(table, lost.row)} evidently never reached the ${other}: the ${other} retransmitted in ${ref(table, lost.retransmission)} (RFC 9293 3.6).`,
      [{ row: lost.retransmission, message: 'the retransmission this ACK should have prevented' }]);
  }
  // A half-close: one FIN only. Lingering when the other side never closed by the end of the capture,
  // or closed only after the linger threshold.
  for (let side = 0; side < 2; side++) {
    const w = sim.wire[side];
    const o = sim.wire[1 - side];
    if (!w.hasFin || sim.reset || refused) continue;
    const finRow = w.firstFinRow;
    if (!o.hasFin) {
      // Only when the other side was seen at all: a one-direction capture cannot show its FIN.
      if (o.seen && (sim.S.peerFinReceived[sim.k + 1 - side] || sim.S.state[sim.k + 1 - side] === 'CLOSE-WAIT')) {
        const dur = endTime - table.time(finRow);
        add('lingering-half-close', finRow,
          `The ${name(1 - side)} never closed: it stayed in CLOSE-WAIT for ${fmtDuration(dur)} after the ${name(side)}'s FIN (${ref(table, finRow)}) until the end of the capture, and the ${name(side)} waits in ${sim.S.state[sim.k + side]}.`);
      }
    } else if (o.firstFinRow > finRow && !simultaneous) {
      const dur = table.time(o.firstFinRow) - table.time(finRow);
      if (dur >= opts.lingerSeconds)
        add('lingering-half-close', finRow,
          `The ${name(1 - side)} stayed in CLOSE-WAIT for ${fmtDuration(dur)} after the ${name(side)}'s FIN (${ref(table, finRow)}) before closing (${ref(table, o.firstFinRow)}).`,
          [{ row: o.firstFinRow, message: 'the late FIN' }]);
    }
  }
  // Handshake never completed.
  if (!refused && cw.sentSyn && !handshakeDone && !sim.reset) {
    const synRows = rows.filter((r) => (table.flags[r] & (SYN | ACK)) === SYN);
    const synAck = rows.find((r) => (table.flags[r] & (SYN | ACK)) === (SYN | ACK));
    add('half-open', rows[0],
      synAck === undefined
        ? `The handshake never completed: the SYN (${ref(table, rows[0])}${synRows.length > 1 ? `, sent ${synRows.length} times` : ''}) was never answered.`
        : `The handshake never completed: the SYN-ACK (${ref(table, synAck)}) was never acknowledged; the client is left in ${sim.S.state[sim.k + 0]} and the server in ${sim.S.state[sim.k + 1]}.`,
      synAck !== undefined ? [{ row: synAck, message: 'the unacknowledged SYN-ACK' }] : []);
  }
  // Port reuse: an earlier connection on the same 4-tuple in this capture, recently enough that
  // its TIME-WAIT (2 MSL) could still hold the tuple; older reuse is ordinary and not reported.
  const prev = t.previous >= 0 ? tracked[t.previous] : null;
  const prevLast = prev ? prev.rows[prev.rows.length - 1] : -1;
  const gap = prev ? table.time(rows[0]) - table.time(prevLast) : Infinity;
  if (prev && !(gap >= 2 * opts.mslSeconds)) {
    const prevSim = sims[t.previous];
    const tw = [0, 1].filter((s) => prevSim.S.timeWaitRow[prevSim.k + s] >= 0 && table.time(rows[0]) - prevSim.S.timeWaitSince[prevSim.k + s] < 2 * opts.mslSeconds);
    const twNote = tw.length > 0 ? `; the ${tw.map((s) => name(s)).join(' and ')} of #${t.previous + 1} was still in TIME-WAIT` : '';
    add('port-reuse', rows[0],
      `The 4-tuple ${conn.client.addr}:${conn.client.port} -> ${conn.server.addr}:${conn.server.port} was used before by connection #${t.previous + 1} (last ${ref(table, prevLast)}, ${fmtDuration(gap)} earlier)${twNote}.`,
      [{ row: prevLast, message: `last segment of connection #${t.previous + 1}` }]);
  }
  // Idle before the close.
  let closeRow = -1;
  for (const r of [firstFin[0], firstFin[1], sim.reset ? sim.reset.row : -1]) if (r >= 0 && (closeRow < 0 || r < closeRow)) closeRow = r;
  if (closeRow >= 0) {
    const idx = rows.indexOf(closeRow);
    if (idx > 0) {
      const idle = table.time(closeRow) - table.time(rows[idx - 1]);
      if (idle >= opts.idleSeconds)
        add('idle-before-close', closeRow, `The connection was idle for ${fmtDuration(idle)} before ${ref(table, closeRow)} closed it.`,
          [{ row: rows[idx - 1], message: 'the last segment before the idle period' }]);
    }
  }
  if (!cw.seen || !sw.seen) {
    const only = cw.seen ? 'client' : 'server';
    if (!refused && !(cw.sentSyn && !sw.seen))
      add('capture-incomplete', rows[0], `The capture shows only the ${only}'s segments of this connection (one direction): the peer's states are guesses.`);
  } else if (!cw.sentSyn && !sw.sentSynAck && !refused && !sim.declaredStart) {
    add('capture-incomplete', rows[0], `No handshake was captured for this connection: it was already open at ${ref(table, rows[0])}, so its roles and first states are inferred.`);
  }
  return conn;
}

function initialOf(sim: ConnSim): { client: TcpState; server: TcpState } {
  return { client: sim.S.initialStates[sim.k + 0], server: sim.S.initialStates[sim.k + 1] };
}

/**
 * Two FINs crossed when the second one's ACK does not cover the first FIN: its sender had not
 * received the first FIN when it sent its own (DESIGN.md, the engine's central idea).
 */
function crossed(table: SegmentTable, firstFin: number[], cw: SenderWire, sw: SenderWire): boolean {
  const [c, s] = firstFin;
  if (c < s) return !(table.flags[s] & ACK) || !seqGe(table.ack[s], seqAdd(cw.finSeq, 1));
  return !(table.flags[c] & ACK) || !seqGe(table.ack[c], seqAdd(sw.finSeq, 1));
}

export { NEVER };
