/**
 * The replay's per-side state, shared by the replay (engine.ts) and the summary (summarize.ts):
 * states as indexes into STATES, and columns indexed by `2 * connection + side`.
 */
import { STATES } from './types';
import type { RstCheck } from './wire';
import type { RstVerdict } from './rst';

// States as indexes into STATES (checked against it below).
const UNKNOWN = 0;
const CLOSED = 1;
const LISTEN = 2;
const SYN_SENT = 3;
const SYN_RECEIVED = 4;
const ESTABLISHED = 5;
const FIN_WAIT_1 = 6;
const FIN_WAIT_2 = 7;
const CLOSE_WAIT = 8;
const CLOSING = 9;
const LAST_ACK = 10;
const TIME_WAIT = 11;
(
  [
    [UNKNOWN, 'UNKNOWN'], [CLOSED, 'CLOSED'], [LISTEN, 'LISTEN'], [SYN_SENT, 'SYN-SENT'], [SYN_RECEIVED, 'SYN-RECEIVED'],
    [ESTABLISHED, 'ESTABLISHED'], [FIN_WAIT_1, 'FIN-WAIT-1'], [FIN_WAIT_2, 'FIN-WAIT-2'], [CLOSE_WAIT, 'CLOSE-WAIT'],
    [CLOSING, 'CLOSING'], [LAST_ACK, 'LAST-ACK'], [TIME_WAIT, 'TIME-WAIT'],
  ] as const
).forEach(([i, s]) => {
  if (STATES[i] !== s) throw new Error(`engine state ${i} is not ${s}`);
});

/** What only some connections need during the replay. */
export interface Extras {
  /** The RST that ended the connection, and why it was sent. */
  reset: { side: number; row: number; why: RstVerdict } | null;
  /** Every RST its sender's TCP is taken to have sent (in row order), and why; injected ones too. */
  rsts: { row: number; side: number; why: RstVerdict }[];
  /** RSTs whose receiver took them (went to CLOSED on them). */
  rstsTaken: number[];
  halfCloseDataRows: [number[], number[]];
  dataAfterFinRows: [number[], number[]];
  lostAckRows: { row: number; side: number; retransmission: number }[];
  ignoredRsts: { row: number; check: RstCheck }[];
  /** RSTs their sender's TCP did not send (it went on sending, in `next`). */
  injectedRsts: { row: number; next: number }[];
  /**
   * Per side: the row after which it was inferred CLOSED with no segment (it gave up retransmitting
   * its SYN or FIN), and the reason sentence; Connection.stateNotes says it.
   */
  gaveUp?: [{ row: number; reason: string } | null, { row: number; reason: string } | null];
}

/** Per-connection bits of the replay. */
const S_SYNCHRONIZED = 1; // some side reached ESTABLISHED: the handshake completed
const S_DECLARED = 2; // the trace declared its starting states (claims before the first segment)
const S_EXTRAS = 4; // the connection has extras (most have none: no map lookup for them)

// Exported by a list, so that this module's own uses are plain bindings (see wire.ts).
export {
  UNKNOWN, CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT, S_SYNCHRONIZED, S_DECLARED,
  S_EXTRAS,
};

/** The replay's state of every connection, as columns indexed by `2 * connection + side` (or connection). */
export class SimStore {
  readonly state: Uint8Array;
  readonly initial: Uint8Array;
  /** The side's own FIN has been acknowledged (as the side evidently learned). */
  readonly finAcked: Uint8Array;
  /** The peer's FIN has been received. */
  readonly peerFinReceived: Uint8Array;
  readonly timeWaitSince: Float64Array;
  readonly timeWaitRow: Int32Array;
  /** Index in the transition log of each side's last transition, -1 if none. */
  readonly lastTransition: Int32Array;
  readonly halfCloseData: Float64Array;
  /** S_* bits per connection. */
  readonly bits: Uint8Array;
  readonly extras = new Map<number, Extras>();
  constructor(connections: number) {
    const sides = connections * 2;
    this.state = new Uint8Array(sides);
    this.initial = new Uint8Array(sides);
    this.finAcked = new Uint8Array(sides);
    this.peerFinReceived = new Uint8Array(sides);
    this.timeWaitSince = new Float64Array(sides).fill(NaN);
    this.timeWaitRow = new Int32Array(sides).fill(-1);
    this.lastTransition = new Int32Array(sides).fill(-1);
    this.halfCloseData = new Float64Array(sides);
    this.bits = new Uint8Array(connections);
  }

  /** The connection's extras, made on first use. */
  extra(ci: number): Extras {
    let e = this.extrasOf(ci);
    if (e === undefined) {
      e = { reset: null, rsts: [], rstsTaken: [], halfCloseDataRows: [[], []], dataAfterFinRows: [[], []], lostAckRows: [], ignoredRsts: [], injectedRsts: [] };
      this.extras.set(ci, e);
      this.bits[ci] |= S_EXTRAS;
    }
    return e;
  }

  /** The connection's extras, if it has any. */
  extrasOf(ci: number): Extras | undefined {
    return this.bits[ci] & S_EXTRAS ? this.extras.get(ci) : undefined;
  }

  reset(ci: number): Extras['reset'] {
    return this.extrasOf(ci)?.reset ?? null;
  }
}

