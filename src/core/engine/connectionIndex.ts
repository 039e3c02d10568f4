/**
 * What stays of a big capture after the streaming pass (stream.ts) when nothing decoded is kept:
 * per connection a few columns (how it ended, its findings' codes and severities, its endpoints,
 * times) and the frame numbers of its segments, delta- and varint-encoded (about two bytes a
 * segment). The editor's side bar counts and groups come from the columns; a view that needs a
 * connection's segments reads them back from the file (the frames' byte offsets are in a
 * RecordIndex) and runs the same `analyze()` on them as the streaming pass did:
 * {@link ConnectionIndex.analyzeConnections}.
 *
 * Why that gives the streaming pass's answer: the stream analyzed each connection together with
 * the connections of its 4-tuple still held at the time (its chain, kept here as a linked list),
 * told its id and incarnation in the capture and where the capture had got to. A chain is finished
 * only once its horizon passed, so each connection's end (`connectionEnds`) is its own horizon
 * whatever later capture end it is told; the read-back tells the capture's real end, which is also
 * what the last batch was told. So the read-back of any set of chains, in one table, gives each
 * connection the answer the stream gave it (bigCapture.test.ts holds them equal).
 */
import { grownColumn, SegmentTable, type EndpointTable, type SegmentView } from '../model/segment';
import { analyze } from './engine';
import { INITIATORS, OUTCOMES } from './records';
import { FINDING_CODES, STATES, type Analysis, type CloseInitiator, type EngineOptions, type FindingCode, type Outcome, type Severity, type TcpState } from './types';

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info', 'hint'];

/** Reads the records of `frames` (ascending) back from the capture, each segment into `sink`, in order. */
export type RecordReader = (frames: Uint32Array, sink: (v: SegmentView) => void) => void;

const CODE_INDEX = new Map<string, number>(FINDING_CODES.map((c, i) => [c, i]));
const OUTCOME_INDEX = new Map<string, number>(OUTCOMES.map((o, i) => [o, i]));
const INITIATOR_INDEX = new Map<string, number>(INITIATORS.map((o, i) => [o, i]));
const SEVERITY_INDEX = new Map<string, number>(SEVERITIES.map((s, i) => [s, i]));
const STATE_INDEX = new Map<string, number>(STATES.map((s, i) => [s, i]));

export class ConnectionIndex {
  /** Connections indexed (ids 1..count; all of them once the pass ended). */
  count = 0;
  /** TCP segments of all connections. */
  segments = 0;
  /** Capture time of the latest segment (what the read-back tells `analyze()` as the capture's end). */
  captureEnd = -Infinity;
  // Columns by id - 1.
  private cap = 1024;
  private framesAt = new Float64Array(this.cap);
  private segs = new Uint32Array(this.cap);
  private lastFrames = new Uint32Array(this.cap);
  private start = new Float64Array(this.cap);
  private end = new Float64Array(this.cap);
  private clientEps = new Int32Array(this.cap);
  private serverEps = new Int32Array(this.cap);
  private incarnations = new Int32Array(this.cap);
  /** The first connection of the chain (the 4-tuple's connections analyzed together), and the next one (0: none). */
  private chainHeads = new Int32Array(this.cap);
  private chainNexts = new Int32Array(this.cap);
  /** OUTCOMES index, INITIATORS index, final states (STATES index), roles inferred. */
  private outcomes = new Uint8Array(this.cap);
  private initiators = new Uint8Array(this.cap);
  private finalClient = new Uint8Array(this.cap);
  private finalServer = new Uint8Array(this.cap);
  private inferred = new Uint8Array(this.cap);
  private findingAt = new Uint32Array(this.cap);
  private findingN = new Uint32Array(this.cap);
  // Findings: FINDING_CODES index and SEVERITIES index.
  private nFindings = 0;
  private codes = new Uint8Array(1024);
  private severities = new Uint8Array(1024);
  // Frames, varint deltas.
  private bytes = new Uint8Array(1 << 16);
  private nBytes = 0;

  constructor(readonly endpoints: EndpointTable) {}

  /** A batch of finished connections of the streaming pass. */
  add(a: Analysis): void {
    const t = a.table;
    // Chains: the connections of a 4-tuple in one batch (the stream holds one chain per tuple).
    const lastOfTuple = new Map<string, number>();
    for (const c of a.connections) {
      const id = c.id;
      if (id > this.cap) this.grow(id);
      if (id > this.count) this.count = id;
      const i = id - 1;
      const rows = c.rows;
      this.framesAt[i] = this.nBytes;
      let prev = 0;
      for (const r of rows) {
        const f = t.frame[r];
        this.varint(f - prev);
        prev = f;
      }
      this.segments += rows.length;
      this.segs[i] = rows.length;
      this.lastFrames[i] = prev;
      this.start[i] = t.time(c.firstRow);
      this.end[i] = t.time(c.lastRow);
      // Its own ids: the stream's endpoint table is not the same for every batch (stream.ts rebaseEndpoints).
      this.clientEps[i] = this.endpoints.internEndpoint(t.endpoints, c.clientEp);
      this.serverEps[i] = this.endpoints.internEndpoint(t.endpoints, c.serverEp);
      this.incarnations[i] = c.incarnation;
      const key = c.clientEp < c.serverEp ? `${c.clientEp},${c.serverEp}` : `${c.serverEp},${c.clientEp}`;
      const before = lastOfTuple.get(key);
      this.chainHeads[i] = before === undefined ? id : this.chainHeads[before - 1];
      this.chainNexts[i] = 0;
      if (before !== undefined) this.chainNexts[before - 1] = id;
      lastOfTuple.set(key, id);
      this.outcomes[i] = OUTCOME_INDEX.get(c.outcome)!;
      this.initiators[i] = INITIATOR_INDEX.get(c.closeInitiator)!;
      const fin = c.finalState;
      this.finalClient[i] = STATE_INDEX.get(fin.client)!;
      this.finalServer[i] = STATE_INDEX.get(fin.server)!;
      this.inferred[i] = c.rolesInferred ? 1 : 0;
      const fs = c.findings;
      this.findingAt[i] = this.nFindings;
      this.findingN[i] = fs.length;
      for (const f of fs) {
        if (this.nFindings === this.codes.length) {
          this.codes = grownColumn(this.codes, this.codes.length * 2);
          this.severities = grownColumn(this.severities, this.codes.length);
        }
        this.codes[this.nFindings] = CODE_INDEX.get(f.code)!;
        this.severities[this.nFindings++] = SEVERITY_INDEX.get(f.severity)!;
      }
    }
  }

  outcome(id: number): Outcome {
    return OUTCOMES[this.outcomes[id - 1]];
  }
  closeInitiator(id: number): CloseInitiator {
    return INITIATORS[this.initiators[id - 1]];
  }
  finalState(id: number): { client: TcpState; server: TcpState } {
    return { client: STATES[this.finalClient[id - 1]], server: STATES[this.finalServer[id - 1]] };
  }
  rolesInferred(id: number): boolean {
    return this.inferred[id - 1] === 1;
  }
  segmentCount(id: number): number {
    return this.segs[id - 1];
  }
  lastFrame(id: number): number {
    return this.lastFrames[id - 1];
  }
  startTime(id: number): number {
    return this.start[id - 1];
  }
  endTime(id: number): number {
    return this.end[id - 1];
  }
  clientEp(id: number): number {
    return this.clientEps[id - 1];
  }
  serverEp(id: number): number {
    return this.serverEps[id - 1];
  }
  findingCount(id: number): number {
    return this.findingN[id - 1];
  }
  /** The codes and severities of a connection's findings (in the engine's order). */
  findings(id: number): { code: FindingCode; severity: Severity }[] {
    const out: { code: FindingCode; severity: Severity }[] = [];
    const at = this.findingAt[id - 1];
    for (let k = at; k < at + this.findingN[id - 1]; k++) out.push({ code: FINDING_CODES[this.codes[k]], severity: SEVERITIES[this.severities[k]] });
    return out;
  }

  /** The connections analyzed together with `id` by the streaming pass (its chain), in id order. */
  chainOf(id: number): number[] {
    const out: number[] = [];
    for (let x = this.chainHeads[id - 1]; x !== 0; x = this.chainNexts[x - 1]) out.push(x);
    return out;
  }

  /** The frames of a connection's segments, ascending. */
  framesOf(id: number): Uint32Array {
    const n = this.segs[id - 1];
    const out = new Uint32Array(n);
    let p = this.framesAt[id - 1];
    const b = this.bytes;
    let f = 0;
    for (let k = 0; k < n; k++) {
      let v = 0;
      let shift = 1;
      for (;;) {
        const x = b[p++];
        v += (x & 0x7f) * shift;
        if (x < 0x80) break;
        shift *= 128;
      }
      f += v;
      out[k] = f;
    }
    return out;
  }

  /**
   * The analysis of these connections (with their chains: the connections the stream analyzed
   * them with), from their segments read back by `read`: one `analyze()` of a small table, with
   * the ids and incarnations they have in the capture. Throws when the records read back are not
   * the ones indexed (the file changed).
   */
  analyzeConnections(ids: Iterable<number>, read: RecordReader, options: Partial<EngineOptions>): Analysis {
    const wanted = new Set<number>();
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 1 || id > this.count || wanted.has(id)) continue;
      for (const x of this.chainOf(id)) wanted.add(x);
    }
    const list = Int32Array.from(wanted).sort();
    let n = 0;
    for (const id of list) n += this.segs[id - 1];
    const frames = new Uint32Array(n);
    let k = 0;
    for (const id of list) {
      frames.set(this.framesOf(id), k);
      k += this.segs[id - 1];
    }
    frames.sort();
    const table = new SegmentTable(Math.max(16, n), this.endpoints);
    read(frames, (v) => {
      table.append(v);
    });
    if (table.length !== n) throw new Error(`the capture file changed since it was analyzed: ${table.length} of ${n} segments read back`);
    for (let r = 0; r < n; r++) {
      if (table.frame[r] !== frames[r]) throw new Error(`the capture file changed since it was analyzed: frame ${frames[r]} is not where it was`);
    }
    const incarnations = new Int32Array(list.length);
    for (let i = 0; i < list.length; i++) incarnations[i] = this.incarnations[list[i] - 1];
    return analyze(table, options, undefined, { captureEnd: this.captureEnd, ids: list, incarnations });
  }

  /** Bytes held by the index (columns and frame lists). */
  get byteSize(): number {
    return this.cap * 84 + this.bytes.byteLength + 2 * this.codes.byteLength;
  }

  private varint(v: number): void {
    if (this.nBytes + 10 > this.bytes.length) this.bytes = grownColumn(this.bytes, this.bytes.length * 2);
    const b = this.bytes;
    while (v >= 0x80) {
      b[this.nBytes++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    b[this.nBytes++] = v;
  }

  private grow(atLeast: number): void {
    const n = Math.max(atLeast, this.cap * 2);
    const g = <T extends Uint8Array | Uint32Array | Int32Array | Float64Array>(a: T): T => grownColumn(a, n);
    this.framesAt = g(this.framesAt);
    this.segs = g(this.segs);
    this.lastFrames = g(this.lastFrames);
    this.start = g(this.start);
    this.end = g(this.end);
    this.clientEps = g(this.clientEps);
    this.serverEps = g(this.serverEps);
    this.incarnations = g(this.incarnations);
    this.chainHeads = g(this.chainHeads);
    this.chainNexts = g(this.chainNexts);
    this.outcomes = g(this.outcomes);
    this.initiators = g(this.initiators);
    this.finalClient = g(this.finalClient);
    this.finalServer = g(this.finalServer);
    this.inferred = g(this.inferred);
    this.findingAt = g(this.findingAt);
    this.findingN = g(this.findingN);
    this.cap = n;
  }
}
