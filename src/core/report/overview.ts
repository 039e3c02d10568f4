/**
 * The teardown overview (issue 16): how a capture's connections ended, as counts and bins small
 * enough to draw at once whatever the number of connections. The VS Code panel (through the
 * language server's `teardown/overview`) and `analyze FILE --report` both get their `Overview` from
 * an {@link OverviewBuilder} fed with the engine's analyses (the whole capture, or the streaming
 * analysis' batches), and both draw it with the one renderer in src/webview/overview.
 *
 * Every mark of the drawing has a key ({@link markKey}); {@link connectionMarks} says which marks a
 * connection belongs to, and that one function answers both "how many" (the counts drawn) and
 * "which ones" ({@link OverviewBuilder.select}, what a click shows): a mark's count is the number of
 * connections it selects.
 */
import { STATES, type Analysis, type Connection, type Outcome, type Severity } from '../engine/types';
import { FIN } from '../model/segment';

export const OVERVIEW_VERSION = 1;

/** How a connection ended, finer than its outcome: who closed first, why it was reset. */
export interface CloseKind {
  key: string;
  label: string;
  outcome: Outcome;
}

/** Why a RST was sent, from the engine's reason sentence (its words before the first colon). */
export interface ResetReason {
  key: string;
  label: string;
}

/**
 * Reset reasons in the order drawn: the engine's stable codes (RST_REASONS in engine/rst.ts), with
 * a short label each; `other` takes a code this list does not know yet.
 */
const RESET_REASONS: readonly ResetReason[] = [
  { key: 'abort', label: 'abort (the application reset)' },
  { key: 'abort-unread-data', label: 'abort: closed with unread data' },
  { key: 'no-connection', label: 'no connection (answer to a stray segment)' },
  { key: 'after-fin', label: 'after its own FIN (data arrived after close)' },
  { key: 'keepalive-timeout', label: 'keepalive timeout' },
  { key: 'retransmission-timeout', label: 'retransmission timeout' },
  { key: 'time-wait-assassination', label: 'TIME-WAIT assassination' },
  { key: 'challenge-ack-exchange', label: 'challenge ACK exchange' },
  { key: 'in-window-challenged', label: 'in window, challenged' },
  { key: 'out-of-window', label: 'out of window' },
  { key: 'injected', label: 'injected (not the sender\'s TCP)' },
  { key: 'refused', label: 'refused (nothing listening)' },
  { key: 'other', label: 'other' },
];
const REASON_INDEX = new Map(RESET_REASONS.map((r, i) => [r.key, i]));

/** The key of a reset reason code (`other` for a code not listed). */
export function resetReasonKey(reason: string): string {
  return REASON_INDEX.has(reason) ? reason : 'other';
}

/** Every close kind, in stacking order (a reset per reason). */
export const CLOSE_KINDS: readonly CloseKind[] = [
  { key: 'graceful-client', label: 'graceful, client closed first', outcome: 'graceful' },
  { key: 'graceful-server', label: 'graceful, server closed first', outcome: 'graceful' },
  { key: 'graceful', label: 'graceful, closer unknown', outcome: 'graceful' },
  { key: 'simultaneous', label: 'simultaneous close', outcome: 'simultaneous' },
  ...RESET_REASONS.filter((r) => r.key !== 'refused').map((r): CloseKind => ({ key: `reset-${r.key}`, label: `reset: ${r.label}`, outcome: 'reset' })),
  { key: 'refused', label: 'refused', outcome: 'refused' },
  { key: 'half-closed', label: 'half-closed (one FIN)', outcome: 'half-closed' },
  { key: 'half-open', label: 'handshake never completed', outcome: 'half-open' },
  { key: 'open', label: 'still open', outcome: 'open' },
];
const KIND_INDEX = new Map(CLOSE_KINDS.map((k, i) => [k.key, i]));

/**
 * The close kind of a connection: its outcome, split by who sent the first FIN (graceful) or by
 * the reset's reason (reset).
 */
export function closeKindKey(c: { outcome: Outcome; closeInitiator: string; reset: { reason: string } | null }): string {
  switch (c.outcome) {
    case 'graceful':
      return c.closeInitiator === 'client' ? 'graceful-client' : c.closeInitiator === 'server' ? 'graceful-server' : 'graceful';
    case 'reset': {
      const k = c.reset ? resetReasonKey(c.reset.reason) : 'other';
      return `reset-${k === 'refused' ? 'other' : k}`;
    }
    default:
      return c.outcome;
  }
}

/** `address:port` of an endpoint, IPv6 addresses in brackets. */
export function endpointText(e: { addr: string; port: number }): string {
  return e.addr.includes(':') ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`;
}

/** The keys of the marks drawn. Each is a selection of connections (see connectionMarks). */
export const markKey = {
  /** A close kind's share of a time bin. */
  timeline: (bin: number, kind: string): string => `t/${bin}/${kind}`,
  /** A bin of the half-close histogram (first FIN to the peer's FIN, or to the end of the evidence): the lingering connections in it, or the others. */
  halfClose: (bin: number, lingering: boolean): string => `hc/${bin}/${lingering ? 'l' : 'n'}`,
  /** A bin of the CLOSE-WAIT histogram (time an endpoint spent in CLOSE-WAIT), lingering or not. */
  closeWait: (bin: number, lingering: boolean): string => `cw/${bin}/${lingering ? 'l' : 'n'}`,
  /** Resets with a reason among one server endpoint's connections. */
  resetEndpoint: (endpoint: string, reason: string): string => `re/${reason}/${endpoint}`,
  /** Resets with a reason sent by the client or the server. */
  resetSender: (sender: 'client' | 'server', reason: string): string => `rs/${reason}/${sender}`,
  /** A server endpoint's connections whose server went through a state. */
  state: (endpoint: string, state: string): string => `st/${state}/${endpoint}`,
  /** All connections to a server endpoint. */
  endpoint: (endpoint: string): string => `ep/${endpoint}`,
  /** A server endpoint's connections with findings. */
  endpointFindings: (endpoint: string): string => `ef/${endpoint}`,
  /** A close kind (legend). */
  kind: (kind: string): string => `k/${kind}`,
};

export interface DurationStats {
  /** Connections measured, and their duration quantiles in seconds (first to last segment). */
  count: number;
  min: number;
  p50: number;
  p90: number;
  max: number;
}

export interface EndpointOverview {
  /** `address:port` of the server. */
  endpoint: string;
  connections: number;
  /** Connections with at least one finding, and findings per severity. */
  withFindings: number;
  findings: number;
  bySeverity: Record<Severity, number>;
  /** Connections ended by a RST (any reason), refused, with a lingering half-close. */
  resets: number;
  refused: number;
  lingering: number;
  /** Resets per reason (keys of `resets.reasons`, same order). */
  resetsByReason: number[];
  duration: DurationStats;
  /** Seconds the server endpoint's sockets spent in each state, summed (index as in `states`). */
  stateSeconds: number[];
  /** Connections whose server went through each state. */
  stateConnections: number[];
}

export interface DurationHistogram {
  /** Bin edges in seconds (bin i is [edges[i], edges[i+1]); the first bin takes everything below, the last everything above). */
  edges: number[];
  /** Connections per bin, and of those, the ones with a lingering-half-close finding (never closed, or closed after the threshold). */
  counts: number[];
  lingering: number[];
  /** Connections measured (the sum of counts), of which lingering. */
  total: number;
  lingeringTotal: number;
}

export interface Overview {
  version: number;
  /** What was analyzed (a file name, no path), its format and sizes. */
  source: { name: string; format: string; packets: number; segments: number };
  connections: number;
  findings: number;
  withFindings: number;
  outcomes: Record<string, number>;
  /** `teardownTracer.lingerSeconds` / `--linger`: a half-close at least this long lingers. */
  lingerSeconds: number;
  /** The close kinds that occur, in stacking order. */
  kinds: CloseKind[];
  /**
   * Close kinds over time: connections by the time of their last segment. `counts[bin][k]` counts
   * kind `kinds[k]` in bin `bin`, which starts at `start + bin * binSeconds` (seconds since the epoch).
   */
  timeline: { start: number; binSeconds: number; bins: number; counts: number[][]; timestamps: boolean };
  halfClose: DurationHistogram;
  closeWait: DurationHistogram;
  resets: {
    total: number;
    reasons: ResetReason[];
    /** Per server endpoint with resets (most first, up to `topEndpoints`), per reason. */
    byEndpoint: { endpoint: string; counts: number[] }[];
    /** RSTs the client and the server sent, per reason. */
    bySender: { client: number[]; server: number[] };
  };
  /** The states `stateSeconds` and `stateConnections` are indexed by (RFC spelling). */
  states: string[];
  /**
   * Server endpoints: the top `topEndpoints` by connections, by findings and by resets (a union,
   * most connections first). `endpointCount` is how many distinct server endpoints there were.
   */
  endpoints: EndpointOverview[];
  endpointCount: number;
  /** A few connection ids behind each mark (first in id order), when asked for (the HTML report). */
  samples?: Record<string, number[]>;
}

export interface OverviewOptions {
  /** The most time bins (default 60). */
  timeBins?: number;
  /** How many endpoints each ranking keeps (default 15). */
  topEndpoints?: number;
  /** Ids kept per mark in `samples` (default 0: no samples). */
  samples?: number;
}

const N_STATES = STATES.length;
const CLOSE_WAIT = STATES.indexOf('CLOSE-WAIT');
const NONE = 255;

/** 1, 2 or 5 times a power of ten, at least x. */
function niceStep(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x * (1 - 1e-12)) return m * p;
  return 10 * p;
}

/** Growable typed-array columns, one entry per connection added. */
class Columns {
  length = 0;
  id = new Int32Array(1024);
  kind = new Uint8Array(1024);
  endpoint = new Int32Array(1024);
  closeTime = new Float64Array(1024);
  duration = new Float64Array(1024);
  halfClose = new Float64Array(1024);
  closeWait = new Float64Array(1024);
  /** Reset reason index (NONE without a reset) and sender (0 client, 1 server). */
  rstReason = new Uint8Array(1024);
  rstBy = new Uint8Array(1024);
  /** States the server went through (bit i: STATES[i]). */
  serverStates = new Uint16Array(1024);
  findings = new Uint16Array(1024);
  /** 1 when the connection has a lingering-half-close finding. */
  lingering = new Uint8Array(1024);

  /** Bytes of the columns (their capacity). */
  get byteSize(): number {
    return (
      this.id.byteLength +
      this.kind.byteLength +
      this.endpoint.byteLength +
      this.closeTime.byteLength +
      this.duration.byteLength +
      this.halfClose.byteLength +
      this.closeWait.byteLength +
      this.rstReason.byteLength +
      this.rstBy.byteLength +
      this.serverStates.byteLength +
      this.findings.byteLength +
      this.lingering.byteLength
    );
  }

  reserve(n: number): void {
    const need = this.length + n;
    if (need <= this.id.length) return;
    let size = this.id.length;
    while (size < need) size *= 2;
    const grow = <T extends Int32Array | Uint8Array | Uint16Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a);
      return b;
    };
    this.id = grow(this.id);
    this.kind = grow(this.kind);
    this.endpoint = grow(this.endpoint);
    this.closeTime = grow(this.closeTime);
    this.duration = grow(this.duration);
    this.halfClose = grow(this.halfClose);
    this.closeWait = grow(this.closeWait);
    this.rstReason = grow(this.rstReason);
    this.rstBy = grow(this.rstBy);
    this.serverStates = grow(this.serverStates);
    this.findings = grow(this.findings);
    this.lingering = grow(this.lingering);
  }
}

interface EndpointAcc {
  name: string;
  connections: number;
  withFindings: number;
  findings: number;
  bySeverity: Record<Severity, number>;
  resets: number;
  refused: number;
  lingering: number;
  resetsByReason: number[];
  stateSeconds: Float64Array;
  stateConnections: Int32Array;
}

/** Bin of a duration: edges[i] <= v < edges[i+1], everything below edges[1] in bin 0, above in the last. */
function durationBin(v: number, edges: readonly number[]): number {
  const last = edges.length - 2;
  let i = 0;
  while (i < last && v >= edges[i + 1]) i++;
  return i;
}

/** Log-scale bin edges, four per decade, with the linger threshold among them. */
function durationEdges(values: Float64Array, n: number, linger: number): number[] {
  let lo = Infinity;
  let hi = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!(v >= 0)) continue;
    if (v > 0 && v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const anchor = linger > 0 ? linger : 1;
  const step = 0.25; // decades per bin
  // At least one decade either side of the threshold, and everything measured (down to 1 µs).
  const kLo = Math.floor(Math.log10(Math.max(1e-6, Math.min(lo === Infinity ? anchor : lo, anchor / 10)) / anchor) / step);
  const kHi = Math.ceil(Math.log10(Math.max(hi * 1.0001, anchor * 10) / anchor) / step);
  const edges: number[] = [];
  for (let k = kLo; k <= kHi; k++) edges.push(k === 0 ? anchor : anchor * 10 ** (k * step));
  if (edges.length < 2) edges.push(anchor * 10);
  return edges;
}

/** What {@link OverviewBuilder.add} reads from the rows, per connection slot of the batch. */
interface RowFacts {
  /** First FIN time of each side (2 * slot + side), NaN without one; whether each side sent anything. */
  finTime: Float64Array;
  sent: Uint8Array;
  /** The states each side went through (bit i: STATES[i]). */
  clientStates: Uint16Array;
  serverStates: Uint16Array;
  /** The time and states after the slot's latest row. */
  prevTime: Float64Array;
  prevClient: Uint8Array;
  prevServer: Uint8Array;
  /** Seconds either side spent in CLOSE-WAIT, and the server in each state (slot * N_STATES + state), up to the latest row. */
  closeWait: Float64Array;
  stateSeconds: Float64Array;
}

/**
 * The one pass over an analysis' rows (a function of its own: V8 compiles a long loop with the
 * function around it, and code after the loop not yet run would make that code bail out).
 */
function rowPass(a: Analysis, slotOf: Int32Array, m: number): RowFacts {
  const table = a.table;
  const maxCi = slotOf.length - 1;
  const finTime = new Float64Array(2 * m).fill(NaN);
  const sent = new Uint8Array(2 * m);
  const clientStates = new Uint16Array(m);
  const serverStates = new Uint16Array(m);
  const prevTime = new Float64Array(m).fill(NaN);
  const prevClient = new Uint8Array(m);
  const prevServer = new Uint8Array(m);
  const closeWait = new Float64Array(m);
  const stateSeconds = new Float64Array(m * N_STATES);
  const { rowConn, rowDir, clientBefore, clientAfter, serverBefore, serverAfter } = a;
  const flags = table.flags;
  for (let r = 0; r < table.length; r++) {
    const ci = rowConn[r];
    if (ci < 0 || ci > maxCi) continue;
    const s = slotOf[ci];
    if (s < 0) continue;
    const t = table.time(r);
    const side = rowDir[r];
    sent[2 * s + side] = 1;
    if (flags[r] & FIN && Number.isNaN(finTime[2 * s + side])) finTime[2 * s + side] = t;
    clientStates[s] |= (1 << clientBefore[r]) | (1 << clientAfter[r]);
    serverStates[s] |= (1 << serverBefore[r]) | (1 << serverAfter[r]);
    const dt = t - prevTime[s];
    if (dt > 0) {
      stateSeconds[s * N_STATES + prevServer[s]] += dt;
      if (prevServer[s] === CLOSE_WAIT) closeWait[s] += dt;
      if (prevClient[s] === CLOSE_WAIT) closeWait[s] += dt;
    }
    prevTime[s] = t;
    prevClient[s] = clientAfter[r];
    prevServer[s] = serverAfter[r];
  }
  return { finTime, sent, clientStates, serverStates, prevTime, prevClient, prevServer, closeWait, stateSeconds };
}

/**
 * Collects what the overview needs from each analysis (one per capture, or one per streaming
 * batch): per connection, a few numbers in typed-array columns (about 60 bytes); per server
 * endpoint, its counts and state times. `finish()` bins them; `select()` says which connections a
 * mark stands for.
 */
export class OverviewBuilder {
  private readonly cols = new Columns();
  private readonly endpoints: EndpointAcc[] = [];
  private readonly endpointIndex = new Map<string, number>();
  private findings = 0;
  private withFindings = 0;
  private readonly outcomes = new Map<string, number>();
  private lingerSeconds = 30;
  private finished: { overview: Overview; halfEdges: number[]; cwEdges: number[] } | null = null;
  /** Mark keys made so far, by bin, kind, endpoint... (see marksOf), for the bins of the last finish(). */
  private keyCache: Record<'timeline' | 'kind' | 'endpoint' | 'findings' | 'half' | 'wait' | 'resetEp' | 'resetBy' | 'state', string[]> | null = null;

  /** Bytes held in typed arrays: the per-connection columns and each server endpoint's state times (not the endpoints' names). */
  get byteSize(): number {
    return this.cols.byteSize + this.endpoints.length * N_STATES * (8 + 4);
  }

  /**
   * Adds an analysis' connections (all of them, or those given: a display filter's matches).
   * One pass over the analysis' rows measures the time each endpoint spent in each state.
   */
  add(a: Analysis, connections: readonly Connection[] = a.connections): void {
    this.finished = null;
    this.keyCache = null;
    this.lingerSeconds = a.options.lingerSeconds;
    const cols = this.cols;
    const table = a.table;
    const base = cols.length;
    const m = connections.length;
    cols.reserve(m);
    // Slot of each connection index (rowConn's values) in this batch.
    let maxCi = -1;
    const cis = new Int32Array(m);
    for (let i = 0; i < m; i++) {
      const ci = a.rowConn[connections[i].firstRow];
      cis[i] = ci;
      if (ci > maxCi) maxCi = ci;
    }
    const slotOf = new Int32Array(maxCi + 1).fill(-1);
    for (let i = 0; i < m; i++) slotOf[cis[i]] = i;

    const { finTime, sent, clientStates, serverStates, prevTime, prevClient, prevServer, closeWait, stateSeconds } = rowPass(a, slotOf, m);

    const epOfId = new Map<number, number>();
    for (let i = 0; i < m; i++) {
      const c = connections[i];
      const slot = base + i;
      const end = a.connectionEnd[cis[i]];
      // The states after the last segment last until the evidence ends.
      const tail = end - prevTime[i];
      if (tail > 0) {
        stateSeconds[i * N_STATES + prevServer[i]] += tail;
        if (prevServer[i] === CLOSE_WAIT) closeWait[i] += tail;
        if (prevClient[i] === CLOSE_WAIT) closeWait[i] += tail;
      }
      const first = table.time(c.firstRow);
      const last = table.time(c.lastRow);
      const kind = KIND_INDEX.get(closeKindKey(c)) ?? 0;
      const reset = c.reset;
      const fs = c.findings;

      // A half-close: the time from the first FIN to the peer's (or to the end of the evidence
      // when the peer, seen and in CLOSE-WAIT, never sent one); none for resets and simultaneous closes.
      let half = NaN;
      if (reset === null && c.outcome !== 'refused' && c.outcome !== 'simultaneous') {
        const f0 = finTime[2 * i];
        const f1 = finTime[2 * i + 1];
        if (!Number.isNaN(f0) && !Number.isNaN(f1)) half = Math.abs(f1 - f0);
        else if (!Number.isNaN(f0) || !Number.isNaN(f1)) {
          const finSide = Number.isNaN(f0) ? 1 : 0;
          const peerStates = finSide === 0 ? serverStates[i] : clientStates[i];
          if (sent[2 * i + 1 - finSide] && peerStates & (1 << CLOSE_WAIT)) half = end - (finSide === 0 ? f0 : f1);
        }
      }
      const cw = (serverStates[i] | clientStates[i]) & (1 << CLOSE_WAIT) ? closeWait[i] : NaN;

      // Endpoint ids are per segment table: one name per id and batch.
      let ep = epOfId.get(c.serverEp);
      const epName = ep === undefined ? endpointText(c.server) : this.endpoints[ep].name;
      ep ??= this.endpointIndex.get(epName);
      if (ep === undefined) {
        ep = this.endpoints.length;
        this.endpointIndex.set(epName, ep);
        this.endpoints.push({
          name: epName,
          connections: 0,
          withFindings: 0,
          findings: 0,
          bySeverity: { error: 0, warning: 0, info: 0, hint: 0 },
          resets: 0,
          refused: 0,
          lingering: 0,
          resetsByReason: RESET_REASONS.map(() => 0),
          stateSeconds: new Float64Array(N_STATES),
          stateConnections: new Int32Array(N_STATES),
        });
      }
      epOfId.set(c.serverEp, ep);
      const acc = this.endpoints[ep];
      acc.connections++;
      if (fs.length > 0) {
        acc.withFindings++;
        this.withFindings++;
      }
      acc.findings += fs.length;
      this.findings += fs.length;
      let lingering = false;
      for (const f of fs) {
        acc.bySeverity[f.severity]++;
        if (f.code === 'lingering-half-close') lingering = true;
      }
      if (lingering) {
        acc.lingering++;
        // The finding is the judge: measured even where the rule above would not have.
        if (Number.isNaN(half)) {
          const f = Math.min(Number.isNaN(finTime[2 * i]) ? Infinity : finTime[2 * i], Number.isNaN(finTime[2 * i + 1]) ? Infinity : finTime[2 * i + 1]);
          if (f !== Infinity) half = end - f;
        }
      }
      if (c.outcome === 'refused') acc.refused++;
      const reasonIndex = reset ? REASON_INDEX.get(resetReasonKey(reset.reason))! : -1;
      if (reset) {
        acc.resets++;
        acc.resetsByReason[reasonIndex]++;
      }
      const ss = serverStates[i];
      for (let st = 0; st < N_STATES; st++) {
        acc.stateSeconds[st] += stateSeconds[i * N_STATES + st];
        if (ss & (1 << st)) acc.stateConnections[st]++;
      }
      this.outcomes.set(c.outcome, (this.outcomes.get(c.outcome) ?? 0) + 1);

      cols.id[slot] = c.id;
      cols.kind[slot] = kind;
      cols.endpoint[slot] = ep;
      cols.closeTime[slot] = last;
      cols.duration[slot] = last - first;
      cols.halfClose[slot] = half;
      cols.closeWait[slot] = cw;
      cols.rstReason[slot] = reset ? reasonIndex : NONE;
      cols.rstBy[slot] = reset?.by === 'server' ? 1 : 0;
      cols.serverStates[slot] = ss;
      cols.findings[slot] = Math.min(fs.length, 0xffff);
      cols.lingering[slot] = lingering ? 1 : 0;
    }
    cols.length += m;
  }

  /** The overview of everything added. */
  finish(source: Overview['source'], opts: OverviewOptions = {}): Overview {
    const cols = this.cols;
    const n = cols.length;
    const maxBins = Math.max(1, opts.timeBins ?? 60);
    const top = Math.max(1, opts.topEndpoints ?? 15);

    // Time bins over the connections' last segments.
    let tMin = Infinity;
    let tMax = -Infinity;
    for (let i = 0; i < n; i++) {
      const t = cols.closeTime[i];
      if (t < tMin) tMin = t;
      if (t > tMax) tMax = t;
    }
    const timestamps = tMin !== Infinity;
    const binSeconds = timestamps ? niceStep((tMax - tMin) / maxBins) : 1;
    const start = timestamps ? Math.floor(tMin / binSeconds) * binSeconds : 0;
    const bins = timestamps ? Math.max(1, Math.min(maxBins + 1, Math.floor((tMax - start) / binSeconds) + 1)) : 1;
    const kindCounts = new Array<number>(CLOSE_KINDS.length).fill(0);
    for (let i = 0; i < n; i++) kindCounts[cols.kind[i]]++;
    const kinds = CLOSE_KINDS.filter((_, k) => kindCounts[k] > 0);
    const kindCol = new Map(kinds.map((k, j) => [KIND_INDEX.get(k.key)!, j]));
    const counts = Array.from({ length: bins }, () => new Array<number>(kinds.length).fill(0));
    const timeBin = (t: number): number => (Number.isNaN(t) ? 0 : Math.min(bins - 1, Math.max(0, Math.floor((t - start) / binSeconds))));
    for (let i = 0; i < n; i++) counts[timeBin(cols.closeTime[i])][kindCol.get(cols.kind[i])!]++;

    const linger = this.lingerSeconds;
    const histogram = (values: Float64Array): [DurationHistogram, number[]] => {
      const edges = durationEdges(values, n, linger);
      const bins = edges.length - 1;
      const h: DurationHistogram = { edges, counts: new Array<number>(bins).fill(0), lingering: new Array<number>(bins).fill(0), total: 0, lingeringTotal: 0 };
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (!(v >= 0)) continue;
        const b = durationBin(v, edges);
        h.counts[b]++;
        h.total++;
        if (cols.lingering[i]) {
          h.lingering[b]++;
          h.lingeringTotal++;
        }
      }
      return [h, edges];
    };
    const [halfClose, halfEdges] = histogram(cols.halfClose);
    const [closeWait, cwEdges] = histogram(cols.closeWait);

    // Resets per reason, by sender and by endpoint.
    const reasonTotals = RESET_REASONS.map(() => 0);
    const bySenderAll = { client: RESET_REASONS.map(() => 0), server: RESET_REASONS.map(() => 0) };
    let resetTotal = 0;
    for (let i = 0; i < n; i++) {
      const r = cols.rstReason[i];
      if (r === NONE) continue;
      resetTotal++;
      reasonTotals[r]++;
      (cols.rstBy[i] === 1 ? bySenderAll.server : bySenderAll.client)[r]++;
    }
    const reasonIdx = RESET_REASONS.map((_, i) => i).filter((i) => reasonTotals[i] > 0);
    const pick = (a: readonly number[]): number[] => reasonIdx.map((i) => a[i]);

    // Endpoints: the top ones by connections, findings and resets.
    const ranked = (score: (e: EndpointAcc) => number): EndpointAcc[] =>
      this.endpoints
        .filter((e) => score(e) > 0)
        .sort((x, y) => score(y) - score(x) || (x.name < y.name ? -1 : 1))
        .slice(0, top);
    const byResets = ranked((e) => e.resets);
    const chosen = new Set<EndpointAcc>([...ranked((e) => e.connections), ...ranked((e) => e.findings), ...byResets]);
    const chosenList = [...chosen].sort((x, y) => y.connections - x.connections || (x.name < y.name ? -1 : 1));
    const durations = this.durationsOf(chosenList.map((e) => this.endpointIndex.get(e.name)!));
    const quantile = (sorted: Float64Array, q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    const endpoints: EndpointOverview[] = chosenList.map((e) => {
      const d = durations.get(this.endpointIndex.get(e.name)!)!;
      return {
        endpoint: e.name,
        connections: e.connections,
        withFindings: e.withFindings,
        findings: e.findings,
        bySeverity: { ...e.bySeverity },
        resets: e.resets,
        refused: e.refused,
        lingering: e.lingering,
        resetsByReason: pick(e.resetsByReason),
        duration:
          d.length === 0
            ? { count: 0, min: NaN, p50: NaN, p90: NaN, max: NaN }
            : { count: d.length, min: d[0], p50: quantile(d, 0.5), p90: quantile(d, 0.9), max: d[d.length - 1] },
        stateSeconds: Array.from(e.stateSeconds),
        stateConnections: Array.from(e.stateConnections),
      };
    });

    const outcomes: Record<string, number> = {};
    for (const k of CLOSE_KINDS) if (!(k.outcome in outcomes) && this.outcomes.has(k.outcome)) outcomes[k.outcome] = this.outcomes.get(k.outcome)!;
    const overview: Overview = {
      version: OVERVIEW_VERSION,
      source,
      connections: n,
      findings: this.findings,
      withFindings: this.withFindings,
      outcomes,
      lingerSeconds: linger,
      kinds,
      timeline: { start, binSeconds, bins, counts, timestamps },
      halfClose,
      closeWait,
      resets: {
        total: resetTotal,
        reasons: reasonIdx.map((i) => ({ key: RESET_REASONS[i].key, label: RESET_REASONS[i].label })),
        byEndpoint: byResets.map((e) => ({ endpoint: e.name, counts: pick(e.resetsByReason) })),
        bySender: { client: pick(bySenderAll.client), server: pick(bySenderAll.server) },
      },
      states: [...STATES],
      endpoints,
      endpointCount: this.endpoints.length,
    };
    this.finished = { overview, halfEdges, cwEdges };
    this.keyCache = null;
    const k = opts.samples ?? 0;
    if (k > 0) {
      const samples: Record<string, number[]> = {};
      const wanted = new Set(overviewMarks(overview));
      const order = this.idOrder();
      for (const i of order)
        for (const key of this.marksOf(i)) {
          if (!wanted.has(key)) continue;
          const list = (samples[key] ??= []);
          if (list.length < k) list.push(cols.id[i]);
        }
      overview.samples = samples;
    }
    return overview;
  }

  /** The measured durations (not NaN) of these endpoints' connections, each endpoint's sorted. */
  private durationsOf(eps: readonly number[]): Map<number, Float64Array> {
    const cols = this.cols;
    const n = cols.length;
    const count = new Map<number, number>(eps.map((e) => [e, 0]));
    for (let i = 0; i < n; i++) {
      const k = count.get(cols.endpoint[i]);
      if (k !== undefined && !Number.isNaN(cols.duration[i])) count.set(cols.endpoint[i], k + 1);
    }
    const out = new Map<number, Float64Array>([...count].map(([e, k]) => [e, new Float64Array(k)]));
    const fill = new Map<number, number>(eps.map((e) => [e, 0]));
    for (let i = 0; i < n; i++) {
      const d = out.get(cols.endpoint[i]);
      if (d === undefined || Number.isNaN(cols.duration[i])) continue;
      const at = fill.get(cols.endpoint[i])!;
      d[at] = cols.duration[i];
      fill.set(cols.endpoint[i], at + 1);
    }
    for (const d of out.values()) d.sort();
    return out;
  }

  /** The ids of the connections behind a mark, in id order (`finish()` first). */
  select(key: string): number[] {
    const ids: number[] = [];
    for (const i of this.idOrder()) if (this.marksOf(i).includes(key)) ids.push(this.cols.id[i]);
    return ids;
  }

  /** Slots in id order (a streaming analysis adds connections as they finish). */
  private idOrder(): Int32Array {
    const n = this.cols.length;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const id = this.cols.id;
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) if (id[i] < id[i - 1]) sorted = false;
    return sorted ? order : order.sort((x, y) => id[x] - id[y]);
  }

  /** The marks the connection in slot i belongs to (the one definition of what each mark counts). */
  private marksOf(i: number): string[] {
    if (!this.finished) throw new Error('OverviewBuilder.finish() first');
    const { overview: o, halfEdges, cwEdges } = this.finished;
    const c = this.cols;
    // Keys are made once per endpoint, bin and kind (a click or the report's samples go through
    // every connection: no string is built per connection).
    const k = (this.keyCache ??= { timeline: [], kind: [], endpoint: [], findings: [], half: [], wait: [], resetEp: [], resetBy: [], state: [] });
    const epIndex = c.endpoint[i];
    const ep = this.endpoints[epIndex].name;
    const ki = c.kind[i];
    const t = c.closeTime[i];
    const tl = o.timeline;
    const bin = Number.isNaN(t) ? 0 : Math.min(tl.bins - 1, Math.max(0, Math.floor((t - tl.start) / tl.binSeconds)));
    const nk = CLOSE_KINDS.length;
    const keys = [
      (k.timeline[bin * nk + ki] ??= markKey.timeline(bin, CLOSE_KINDS[ki].key)),
      (k.kind[ki] ??= markKey.kind(CLOSE_KINDS[ki].key)),
      (k.endpoint[epIndex] ??= markKey.endpoint(ep)),
    ];
    if (c.findings[i] > 0) keys.push((k.findings[epIndex] ??= markKey.endpointFindings(ep)));
    const lingering = c.lingering[i];
    if (c.halfClose[i] >= 0) {
      const b = durationBin(c.halfClose[i], halfEdges);
      keys.push((k.half[2 * b + lingering] ??= markKey.halfClose(b, lingering === 1)));
    }
    if (c.closeWait[i] >= 0) {
      const b = durationBin(c.closeWait[i], cwEdges);
      keys.push((k.wait[2 * b + lingering] ??= markKey.closeWait(b, lingering === 1)));
    }
    const r = c.rstReason[i];
    if (r !== NONE) {
      const nr = RESET_REASONS.length;
      const by = c.rstBy[i];
      keys.push(
        (k.resetEp[epIndex * nr + r] ??= markKey.resetEndpoint(ep, RESET_REASONS[r].key)),
        (k.resetBy[2 * r + by] ??= markKey.resetSender(by === 1 ? 'server' : 'client', RESET_REASONS[r].key)),
      );
    }
    const ss = c.serverStates[i];
    for (let st = 0; st < N_STATES; st++) if (ss & (1 << st)) keys.push((k.state[epIndex * N_STATES + st] ??= markKey.state(ep, STATES[st])));
    return keys;
  }
}

/** States drawn in the per-endpoint state bars (the life of a connection, not CLOSED or LISTEN). */
export const DRAWN_STATES: readonly string[] = STATES.filter((s) => s !== 'CLOSED' && s !== 'LISTEN');

/**
 * Every mark the renderer draws for an overview, by key (the report's samples are kept for these).
 * The renderer builds its keys with the same {@link markKey} functions.
 */
export function overviewMarks(o: Overview): string[] {
  const keys: string[] = [];
  for (let b = 0; b < o.timeline.bins; b++) o.kinds.forEach((k, j) => o.timeline.counts[b][j] > 0 && keys.push(markKey.timeline(b, k.key)));
  for (const k of o.kinds) keys.push(markKey.kind(k.key));
  for (const [h, key] of [[o.halfClose, markKey.halfClose], [o.closeWait, markKey.closeWait]] as const)
    h.counts.forEach((n, b) => {
      if (h.lingering[b] > 0) keys.push(key(b, true));
      if (n - h.lingering[b] > 0) keys.push(key(b, false));
    });
  for (const e of o.resets.byEndpoint) o.resets.reasons.forEach((r, j) => e.counts[j] > 0 && keys.push(markKey.resetEndpoint(e.endpoint, r.key)));
  for (const sender of ['client', 'server'] as const)
    o.resets.reasons.forEach((r, j) => o.resets.bySender[sender][j] > 0 && keys.push(markKey.resetSender(sender, r.key)));
  for (const e of o.endpoints) {
    keys.push(markKey.endpoint(e.endpoint));
    if (e.withFindings > 0) keys.push(markKey.endpointFindings(e.endpoint));
    o.states.forEach((s, j) => e.stateConnections[j] > 0 && DRAWN_STATES.includes(s) && keys.push(markKey.state(e.endpoint, s)));
  }
  return keys;
}

/** The overview of one analysis (the whole capture or trace). */
export function overviewOf(a: Analysis, source: Overview['source'], opts: OverviewOptions = {}): { overview: Overview; builder: OverviewBuilder } {
  const builder = new OverviewBuilder();
  builder.add(a);
  return { overview: builder.finish(source, opts), builder };
}

/**
 * A display filter matching exactly these connections: `tcp.stream in {...}` over their ids minus
 * one (tcp.stream counts from 0, as in Wireshark), runs of consecutive ids written as ranges.
 */
export function streamFilter(ids: readonly number[]): string {
  const sorted = [...ids].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] <= sorted[j] + 1) j++;
    const lo = sorted[i] - 1;
    const hi = sorted[j] - 1;
    parts.push(lo === hi ? String(lo) : `${lo}..${hi}`);
    i = j + 1;
  }
  return `tcp.stream in {${parts.join(' ')}}`;
}
