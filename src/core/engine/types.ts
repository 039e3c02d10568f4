/**
 * What the engine produces: connections, both endpoints' states per segment, transitions and
 * findings. Consumers (CLI, language server, webview model) read these; only the engine writes them.
 */

import type { Endpoint, SegmentTable } from '../model/segment';
import type { Confidence, RstReason } from './rst';
import type { Vantage } from './vantage';

export type { Confidence, RstReason } from './rst';
export type { Near, Vantage } from './vantage';

/** RFC 9293 states in RFC spelling, plus UNKNOWN where the capture cannot tell. */
export const STATES = [
  'UNKNOWN',
  'CLOSED',
  'LISTEN',
  'SYN-SENT',
  'SYN-RECEIVED',
  'ESTABLISHED',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'CLOSE-WAIT',
  'CLOSING',
  'LAST-ACK',
  'TIME-WAIT',
] as const;
export type TcpState = (typeof STATES)[number];

/**
 * A state for people to read: RFC 9293's name, or "not knowable" where the capture cannot show the
 * state (`UNKNOWN` is the engine's placeholder, not an RFC state; `Connection.stateNotes` says why).
 */
export function stateText(s: TcpState): string {
  return s === 'UNKNOWN' ? 'not knowable' : s;
}

/** Column index of a state in {@link STATES} (the per-row state columns hold these). */
export function stateIndex(s: TcpState): number {
  return STATES.indexOf(s);
}

export type Side = 'client' | 'server';
export type CloseInitiator = 'client' | 'server' | 'simultaneous' | 'none';

/** How a connection ended, for grouping in the side bar and the summary. */
export type Outcome =
  | 'graceful' // both FINs exchanged and acknowledged
  | 'simultaneous' // both FINs crossed (CLOSING on both sides)
  | 'reset' // ended by a believed RST
  | 'refused' // RST answering a SYN
  | 'half-closed' // one FIN only
  | 'half-open' // handshake never completed
  | 'open'; // still open at the end of the capture

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export const FINDING_CODES = [
  'missing-ack',
  'fin-retransmitted',
  'lingering-half-close',
  'abrupt-reset',
  'refused',
  'half-close-data',
  'data-after-fin',
  'simultaneous-close',
  'port-reuse',
  'half-open',
  'rst-out-of-window',
  'rst-injected',
  'fin-seq-moved',
  'ack-unseen-data',
  'state-claim-mismatch',
  'idle-before-close',
  'capture-incomplete',
] as const;
export type FindingCode = (typeof FINDING_CODES)[number];

export interface RelatedSegment {
  /** Row in the segment table. */
  row: number;
  message: string;
}

export interface Finding {
  code: FindingCode;
  severity: Severity;
  /** Connection id (1-based). */
  connection: number;
  /** The row the finding is anchored on, and its frame number (0 for text sources). */
  row: number;
  frame: number;
  /** One sentence, with frame numbers. */
  message: string;
  /** A short explanation citing the RFC section. */
  explanation: string;
  related: RelatedSegment[];
  /** For text sources: where a claim-related finding points (0-based line and columns). */
  line?: number;
  startCol?: number;
  endCol?: number;
  /** For `state-claim-mismatch`: the state the segments imply where the trace claims another. */
  impliedState?: TcpState;
}

export interface Connection {
  /** 1-based, in order of the first frame. */
  id: number;
  client: Endpoint;
  server: Endpoint;
  /** Endpoint ids in the segment table's endpoint table. */
  clientEp: number;
  serverEp: number;
  /** True when client/server roles were guessed (no SYN seen). */
  rolesInferred: boolean;
  /**
   * n-th connection on this 4-tuple in the capture (1-based), counted on while the tuple is used
   * again within the idle horizon (`idleHorizonSeconds`) and from 1 again after that much quiet on it.
   */
  incarnation: number;
  /** Rows of this connection, in source order. */
  rows: number[];
  /** Number of rows (segments) of this connection: rows.length without building the list. */
  segments: number;
  firstRow: number;
  lastRow: number;
  closeInitiator: CloseInitiator;
  outcome: Outcome;
  /** The RST that ended the connection (one of `rsts`), or null. */
  reset: RstExplanation | null;
  /** Every RST of the connection, in row order, with why it was sent and what it did. */
  rsts: RstExplanation[];
  /** Where the capture was taken on this connection's path, from its handshake's timing. */
  vantage: Vantage;
  /** For each side whose first or last state the capture cannot show: why, in words. */
  stateNotes: { client?: string; server?: string };
  initialState: { client: TcpState; server: TcpState };
  finalState: { client: TcpState; server: TcpState };
  /** Initial sequence numbers when the SYNs were seen (else the first seq seen; see isnKnown). */
  isn: { client: number; server: number };
  isnKnown: { client: boolean; server: boolean };
  findings: Finding[];
}

/** Why one RST was sent (RFC 9293 3.5.2, RFC 5961), with the rows that show it. */
export interface RstExplanation {
  by: Side;
  row: number;
  frame: number;
  /** A stable code (see RST_REASONS in rst.ts). */
  reason: RstReason;
  /** One sentence (no final period). */
  message: string;
  /** Rows that show the reason, the RST included, in order. */
  evidence: number[];
  confidence: Confidence;
  /**
   * What it did: `reset` ended the connection; `ignored` by its receiver (outside the window, or
   * answered by a challenge ACK); `none` when the connection was already gone or the RST was not
   * its sender's (injected).
   */
  effect: 'reset' | 'ignored' | 'none';
}

/** How a RST relates to its receiver's window (RFC 9293 3.10.7.4, RFC 5961 3). */
export type RstCheck = 'exact' | 'in-window' | 'out-of-window' | 'unknown' | 'syn-ack-ok' | 'syn-ack-bad';

/** Per-row classification bits (Analysis.rowKind). */
export const KIND_RETRANSMISSION = 0x01;
export const KIND_KEEPALIVE = 0x02;
export const KIND_ZERO_WINDOW_PROBE = 0x04;
export const KIND_ZERO_WINDOW = 0x08;
export const KIND_DUP_ACK = 0x10;
export const KIND_RST_IGNORED = 0x20;
export const KIND_DATA = 0x40;
export const KIND_OUT_OF_ORDER = 0x80;

/** One state change of one endpoint, caused by one segment. */
export interface Transition {
  /** The row after which the change happened (where it is shown). */
  row: number;
  /** The row of the segment that caused it (differs from `row` when its receipt was delayed by evidence). */
  cause: number;
  side: Side;
  from: TcpState;
  to: TcpState;
  /** One sentence saying why, citing the RFC. */
  reason: string;
  /** True when the change is inferred from indirect evidence (e.g. a later ACK). */
  inferred: boolean;
}

export interface EngineOptions {
  /** Maximum segment lifetime in seconds; TIME-WAIT lasts 2 MSL. Default 30 (Linux: 60 s TIME-WAIT). */
  mslSeconds: number;
  /** A half-close lasting longer than this many seconds is reported as lingering. Default 30. */
  lingerSeconds: number;
  /** Idle time before a close worth reporting (seconds). Default 30. */
  idleSeconds: number;
  /**
   * Seconds of quiet after which a connection that did not close (no RST, not both FINs) is
   * finished: a later segment on its 4-tuple opens a new connection. Default 3 hours (longer than
   * Linux's 2-hour keepalive, so a connection kept alive by probes is never split). A closed
   * connection is finished 2 MSL after its last segment.
   */
  idleHorizonSeconds: number;
  /**
   * Seconds of quiet after which a connection **attempt** is finished: a connection opened by the
   * client's SYN of which nothing but the client's SYNs was seen (no answer, no other segment); a
   * later segment on its 4-tuple opens a new connection. Default 600 (10 minutes): Linux gives up
   * on connect() after 127 s by default and retransmits a SYN at most 120 s after the last, so no
   * retransmitted SYN is split from its first. Unanswered SYNs (scans of filtered ports, a SYN
   * flood) are so finished after minutes, not held for the idle horizon. At least 2 MSL, at most
   * the idle horizon.
   */
  attemptHorizonSeconds: number;
  /** Severity overrides per code ('off' removes the finding). */
  severities: Partial<Record<FindingCode, Severity | 'off'>>;
}

export interface Analysis {
  table: SegmentTable;
  connections: Connection[];
  /** Connection index (0-based into `connections`) per row, -1 when the row belongs to none. */
  rowConn: Int32Array;
  /** 0 when the row goes client -> server, 1 when server -> client. */
  rowDir: Uint8Array;
  /** Index into STATES of each endpoint's state before and after each row. */
  clientBefore: Uint8Array;
  clientAfter: Uint8Array;
  serverBefore: Uint8Array;
  serverAfter: Uint8Array;
  /** KIND_* bits per row. */
  rowKind: Uint8Array;
  /** Row of the first later segment whose ACK covers this row's last sequence number, -1 if none. */
  ackedBy: Int32Array;
  /** Row of the segment whose end this row's ACK first covers (newly acknowledges), -1 if none. */
  acks: Int32Array;
  /**
   * Where each row was processed by its receiver: the row after which it happened (the row itself
   * when on arrival; a later row when the evidence says it was still in flight, as with crossing
   * FINs), -1 when never (lost, as far as the trace shows), -2 for a retransmitted SYN/FIN (its
   * first transmission carries the delivery). For RFC figures: where the figure shows it arrive.
   */
  deliverAt: Int32Array;
  /**
   * How each RST row fits its receiver's window (keyed by row); 'in-window' and 'out-of-window'
   * are the judgments that depend on the window its receiver advertised last.
   */
  rstCheck: ReadonlyMap<number, RstCheck>;
  /**
   * All transitions in row order. Built on first use (a million-segment capture has millions):
   * prefer {@link Analysis.transitionAt} for a few.
   */
  transitions: Transition[];
  /** The i-th transition (an index between transitionStart[r] and transitionStart[r + 1]). */
  transitionAt(i: number): Transition;
  /** Index of the first transition of each row in `transitions` (length rows + 1, prefix sums). */
  transitionStart: Int32Array;
  findings: Finding[];
  /**
   * Per connection index (the index `rowConn` holds): the time, in seconds, where the capture's
   * evidence about the connection ends (the capture's end, its horizon, or its successor's first
   * segment). A lingering half-close lingers until then; the overview measures states until then.
   */
  connectionEnd: Float64Array;
  options: EngineOptions;
}
