/**
 * The engine's Connection and Finding objects. A capture can have a hundred thousand connections
 * and as many findings, so each object is small: a connection reads its scalars from the engine's
 * columns and builds its row list when first asked; a finding writes its sentence and related
 * segments whenever read (a summary of counts never pays for a hundred thousand sentences).
 */
import type { SegmentTable } from '../model/segment';
import { CATALOG } from './catalog';
import type { Tracks } from './tracker';
import { STATES, type CloseInitiator, type Connection, type RstExplanation, type Finding, type FindingCode, type Outcome, type RelatedSegment, type Severity, type TcpState } from './types';
import { F_ISN_KNOWN, NEVER, type WirePass } from './wire';
import type { SimStore } from './sim';
import { verdict, type RstVerdict } from './rst';
import { vantageOf, type Vantage } from './vantage';

export const OUTCOMES: readonly Outcome[] = ['open', 'graceful', 'simultaneous', 'reset', 'refused', 'half-closed', 'half-open'];
export const INITIATORS: readonly CloseInitiator[] = ['none', 'client', 'server', 'simultaneous'];
const SIDE_NAMES = ['client', 'server'] as const;
const NO_FINDINGS: Finding[] = [];
Object.freeze(NO_FINDINGS);

/** What every connection object reads its columns from (one per analysis). */
export class ConnectionData {
  /** Index into OUTCOMES and INITIATORS per connection (written by the summary). */
  readonly outcome: Uint8Array;
  readonly initiator: Uint8Array;
  constructor(
    readonly table: SegmentTable,
    readonly tracks: Tracks,
    readonly wire: WirePass,
    readonly sim: SimStore,
  ) {
    this.outcome = new Uint8Array(tracks.count);
    this.initiator = new Uint8Array(tracks.count);
  }
}

/** A connection of the analysis: a view of the columns at index `ci`. */
export class ConnectionRecord implements Connection {
  // Most connections with findings have one: it is kept alone, and a list only from the second.
  private oneFinding: Finding | undefined;
  private findingList: Finding[] | undefined;
  private rowsArray: number[] | undefined;
  private rstList: RstExplanation[] | undefined;

  constructor(
    readonly data: ConnectionData,
    readonly ci: number,
  ) {}

  get id(): number {
    return this.data.tracks.idOf(this.ci);
  }
  get clientEp(): number {
    return this.data.tracks.clientEp[this.ci];
  }
  get serverEp(): number {
    return this.data.tracks.serverEp[this.ci];
  }
  get client(): Connection['client'] {
    return this.data.table.endpoints.get(this.clientEp);
  }
  get server(): Connection['server'] {
    return this.data.table.endpoints.get(this.serverEp);
  }
  get rolesInferred(): boolean {
    return this.data.tracks.rolesInferred(this.ci);
  }
  get incarnation(): number {
    return this.data.tracks.incarnation[this.ci];
  }
  get firstRow(): number {
    return this.data.tracks.firstRow[this.ci];
  }
  get lastRow(): number {
    return this.data.tracks.lastRow[this.ci];
  }
  get segments(): number {
    return this.data.tracks.rowCount(this.ci);
  }
  get rows(): number[] {
    this.rowsArray ??= Array.from(this.data.tracks.rows(this.ci));
    return this.rowsArray;
  }
  get closeInitiator(): CloseInitiator {
    return INITIATORS[this.data.initiator[this.ci]];
  }
  get outcome(): Outcome {
    return OUTCOMES[this.data.outcome[this.ci]];
  }
  /** The RST that ended the connection (the last of an RFC 5961 challenge-ACK exchange). */
  get reset(): Connection['reset'] {
    const r = this.data.sim.extrasOf(this.ci)?.reset;
    if (!r) return null;
    return this.rsts.find((x) => x.row === r.row) ?? this.rstOf(r.side, r.row, r.why, 'none');
  }
  /** Every RST of the connection, why it was sent and what it did (built when first read: `reset` reads it too). */
  get rsts(): RstExplanation[] {
    this.rstList ??= this.explainRsts();
    return this.rstList;
  }
  private explainRsts(): RstExplanation[] {
    const e = this.data.sim.extrasOf(this.ci);
    if (e === undefined) return [];
    const { table, wire } = this.data;
    const out: RstExplanation[] = [];
    for (const x of e.rsts) {
      const ignored = e.ignoredRsts.find((i) => i.row === x.row);
      const effect = ignored !== undefined ? 'ignored' : e.rstsTaken.includes(x.row) ? 'reset' : 'none';
      if (ignored === undefined || x.why.reason === 'injected') {
        out.push(this.rstOf(x.side, x.row, x.why, effect));
        continue;
      }
      // Its receiver did not take it: that is what the capture says about this RST first.
      const peer = SIDE_NAMES[1 - x.side];
      let answer = -1;
      for (const q of this.data.tracks.rows(this.ci))
        if (q > x.row && wire.rowDir[q] !== x.side) {
          answer = q;
          break;
        }
      const v =
        ignored.check === 'in-window'
          ? verdict(
              'in-window-challenged',
              `in the window but not at RCV.NXT: the ${peer} ${answer >= 0 ? `answered with a challenge ACK (${ref(table, answer)}) and ` : ''}kept the connection (RFC 5961 3.2); it was sent because of: ${x.why.text}`,
              [x.row, answer],
              'certain',
            )
          : verdict(
              'out-of-window',
              ignored.check === 'syn-ack-bad'
                ? `it does not acknowledge the ${peer}'s SYN, so the ${peer} in SYN-SENT ignores it (RFC 9293 3.10.7.3)`
                : `its sequence number is outside the ${peer}'s window, so a correct stack ignores it (RFC 9293 3.10.7.4, RFC 5961 3.2): a stale segment's answer, or injected; as its sender's, it reads: ${x.why.text}`,
              [x.row],
              'certain',
            );
      out.push(this.rstOf(x.side, x.row, v, effect));
    }
    return out;
  }
  get vantage(): Vantage {
    return vantageOf(this.data.table, this.data.tracks.rows(this.ci), this.data.wire.rowDir);
  }
  get stateNotes(): Connection['stateNotes'] {
    const notes: Connection['stateNotes'] = {};
    const S = this.data.sim;
    for (let side = 0; side < 2; side++) {
      const k = 2 * this.ci + side;
      const name = SIDE_NAMES[side];
      if (S.initial[k] !== 0 && S.state[k] !== 0) {
        const gave = S.extrasOf(this.ci)?.gaveUp?.[side];
        const fin = this.unansweredFinNote(side);
        if (gave) notes[name] = `the ${name}'s CLOSED after ${ref(this.data.table, gave.row)} is inferred, not observed (no segment shows it): ${gave.reason}`;
        else if (fin !== undefined) notes[name] = fin;
        continue;
      }
      let sent = false;
      for (const r of this.data.tracks.rows(this.ci))
        if (this.data.wire.rowDir[r] === side) {
          sent = true;
          break;
        }
      notes[name] = !sent
        ? `the ${name} sent nothing in the capture, so whether anything reached it, and its state, are not knowable (a capture near the ${SIDE_NAMES[1 - side]} looks the same whether the segments were lost on the way, the host was down, or a firewall dropped them)`
        : `the ${name}'s state before its first segment is not knowable: the capture has no SYN of it, so the connection was already under way`;
    }
    return notes;
  }
  /**
   * The peer's FIN went out two or more times, nothing acknowledged it and `side` sent nothing after
   * it: whether any transmission reached `side` is not knowable (its ACKs may have been lost instead).
   * wire.ts settles which reading the replay shows; this says the other one.
   */
  private unansweredFinNote(side: number): string | undefined {
    const { wire, tracks, table, sim } = this.data;
    const peer = 1 - side;
    if (sim.finAcked[2 * this.ci + peer]) return undefined;
    const fins = wire.side(this.ci, peer).finRows;
    if (fins.length < 2) return undefined;
    for (const q of tracks.rows(this.ci)) if (q > fins[0] && wire.rowDir[q] === side) return undefined;
    const me = SIDE_NAMES[side];
    const shown =
      wire.deliverAt[fins[0]] === NEVER
        ? `it is shown as if none arrived (a ${me} that took one acknowledges it, and would normally close in turn); had its ACKs been lost instead, it would have moved on`
        : `it is shown as if the first arrived (inferred); had every transmission been lost instead, it would still be where it was`;
    return `the ${SIDE_NAMES[peer]}'s FIN was sent ${fins.length} times (from ${ref(table, fins[0])}) with no answer, and the ${me} sent nothing after it: whether any reached the ${me} is not knowable from the capture; ${shown}`;
  }
  private rstOf(side: number, row: number, why: RstVerdict, effect: RstExplanation['effect']): RstExplanation {
    return {
      by: SIDE_NAMES[side],
      row,
      frame: this.data.table.frame[row],
      reason: why.reason,
      message: why.text,
      evidence: why.evidence,
      confidence: why.confidence,
      effect,
    };
  }
  get initialState(): Connection['initialState'] {
    const s = this.data.sim.initial;
    return { client: STATES[s[2 * this.ci]], server: STATES[s[2 * this.ci + 1]] };
  }
  get finalState(): Connection['finalState'] {
    const s = this.data.sim.state;
    return { client: STATES[s[2 * this.ci]], server: STATES[s[2 * this.ci + 1]] };
  }
  get isn(): Connection['isn'] {
    const w = this.data.wire.columns;
    return { client: w.isn[2 * this.ci], server: w.isn[2 * this.ci + 1] };
  }
  get isnKnown(): Connection['isnKnown'] {
    const w = this.data.wire.columns;
    return { client: (w.bits[2 * this.ci] & F_ISN_KNOWN) !== 0, server: (w.bits[2 * this.ci + 1] & F_ISN_KNOWN) !== 0 };
  }
  get findings(): Finding[] {
    return this.findingList ?? (this.oneFinding ? [this.oneFinding] : NO_FINDINGS);
  }
  addFinding(f: Finding): void {
    if (this.findingList) this.findingList.push(f);
    else if (this.oneFinding) this.findingList = [this.oneFinding, f];
    else this.oneFinding = f;
  }

  /** A plain object with every field (JSON.stringify and structural comparisons see the values). */
  toJSON(): Record<string, unknown> {
    return {
      id: this.id,
      client: this.client,
      server: this.server,
      clientEp: this.clientEp,
      serverEp: this.serverEp,
      rolesInferred: this.rolesInferred,
      incarnation: this.incarnation,
      rows: this.rows,
      segments: this.segments,
      firstRow: this.firstRow,
      lastRow: this.lastRow,
      closeInitiator: this.closeInitiator,
      outcome: this.outcome,
      reset: this.reset,
      initialState: this.initialState,
      finalState: this.finalState,
      isn: this.isn,
      isnKnown: this.isnKnown,
      findings: this.findings,
    };
  }
}

/** Writes a finding's sentence and related segments from the finding's owner and parameters. */
export type FindingWriter = (f: FindingRecord) => [string, RelatedSegment[]];

/** A finding whose sentence and related segments are written when read. */
export class FindingRecord implements Finding {
  // Only claim findings of RFC figures have these: declared, not initialized, so the other
  // hundred thousand findings of a capture do not carry three empty fields.
  declare line?: number;
  declare startCol?: number;
  declare endCol?: number;
  declare impliedState?: TcpState;
  constructor(
    readonly code: FindingCode,
    readonly severity: Severity,
    readonly owner: ConnectionRecord,
    readonly row: number,
    private readonly write: FindingWriter,
    /** Numbers the writer needs (their meaning is the writer's). */
    readonly p0 = 0,
    readonly p1 = 0,
    readonly p2 = 0,
  ) {}
  get connection(): number {
    return this.owner.id;
  }
  get frame(): number {
    return this.row >= 0 ? this.owner.data.table.frame[this.row] : 0;
  }
  get explanation(): string {
    return CATALOG[this.code].explanation;
  }
  // Written on every read, never kept: a hundred thousand findings read once (a JSON document, a
  // diagnostics list) leave no sentences behind for the garbage collector to move and mark.
  get message(): string {
    return this.write(this)[0];
  }
  get related(): RelatedSegment[] {
    return this.write(this)[1];
  }
  /** The sentence and the related segments in one writing (when both are wanted). */
  written(): [string, RelatedSegment[]] {
    return this.write(this);
  }
  toJSON(): Finding {
    const o: Finding = {
      code: this.code,
      severity: this.severity,
      connection: this.connection,
      row: this.row,
      frame: this.frame,
      message: '',
      explanation: this.explanation,
      related: [],
    };
    [o.message, o.related] = this.written();
    if (this.line !== undefined) o.line = this.line;
    if (this.startCol !== undefined) o.startCol = this.startCol;
    if (this.endCol !== undefined) o.endCol = this.endCol;
    if (this.impliedState !== undefined) o.impliedState = this.impliedState;
    return o;
  }
}

/** "frame N" for captures, "line N" for text traces. */
export function ref(table: SegmentTable, r: number): string {
  const fr = table.frame[r];
  if (fr > 0) return `frame ${table.frameName(r)}`;
  return `line ${table.line[r] + 1}`;
}

export function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return 'an unknown time';
  if (s < 1) return `${(s * 1000).toFixed(s < 0.01 ? 3 : 1)} ms`;
  if (s < 120) return `${s.toFixed(3)} s`;
  return `${(s / 60).toFixed(1)} min`;
}
