/**
 * The analysis as two tables for columnar outputs (`analyze --format parquet`): one row per
 * connection and one row per segment. Each table is declared once, here, as a list of columns: a
 * name, a type and a getter that reads the value from the engine's results. A writer
 * (src/node/parquet.ts) maps the types to its format; adding a column is one line in a list.
 *
 * Values: `timestamp` columns hold microseconds since the epoch (a double holds them exactly until
 * the year 2255; nanosecond captures are cut to the microsecond: Spark reads no finer Parquet
 * timestamps), `int64` columns safe integers, `null` where the value is unset.
 */
import { flagNames, type SegmentTable } from '../model/segment';
import { analysisFilterContext } from '../filter/context';
import { STATES, type Analysis, type Connection, type Severity, type TcpState } from '../engine/types';
import { kindNames } from './ladderModel';
import { connectionCommunityId } from './communityId';
import { zeekConnections, type ZeekConn } from './zeek';

export type ColumnType = 'string' | 'int32' | 'int64' | 'double' | 'bool' | 'timestamp' | 'string-list';
export type ColumnValue = string | number | boolean | string[] | null;

export interface ColumnSpec<R> {
  readonly name: string;
  readonly type: ColumnType;
  /** What the column holds, for the README and the file's own documentation. */
  readonly doc: string;
  readonly value: (row: R) => ColumnValue;
}

function col<R>(name: string, type: ColumnType, doc: string, value: (row: R) => ColumnValue): ColumnSpec<R> {
  return { name, type, doc, value };
}

/** What a connection row's getters read: the batch's analysis, the connection and its index there. */
export interface ConnectionRow {
  a: Analysis;
  c: Connection;
  /** Index of `c` in `a.connections`. */
  ci: number;
  /** Seconds each side spent in CLOSE-WAIT (2 * ci + side), NaN when it never was. */
  closeWait: Float64Array;
  /** The connection's conn.log rows (zeek.ts), made when a column first asks. */
  zeek: ZeekConn[] | null;
}

/** A Zeek conn.log field of the connection: usually one row; where Zeek's timers split it, each row's value, comma-separated. */
function zeekField(x: ConnectionRow, field: 'connState' | 'history'): string {
  x.zeek ??= zeekConnections(x.a, x.c);
  return x.zeek.map((z) => z[field]).join(',');
}

/** What a segment row's getters read: the batch's analysis and the row; the same object is reused for every row. */
export interface SegmentRow {
  a: Analysis;
  r: number;
  /** The sequence-number bases of relative numbers (as Wireshark's, see filter/context.ts). */
  seqBase: (row: number) => number;
  ackBase: (row: number) => number;
  /** Finding codes anchored on each row of the batch that has some. */
  codes: Map<number, string[]>;
}

/** Microseconds since the epoch of a row's timestamp, null when the source gave none. */
export function micros(t: SegmentTable, r: number): number | null {
  const s = t.tsSec[r];
  return Number.isNaN(s) ? null : s * 1e6 + Math.floor(t.tsNsec[r] / 1000);
}

/** Seconds from row `from` to row `to`, exact to the nanosecond before the one rounding. */
function secondsBetween(t: SegmentTable, from: number, to: number): number | null {
  const d = t.tsSec[to] - t.tsSec[from] + (t.tsNsec[to] - t.tsNsec[from]) / 1e9;
  return Number.isNaN(d) ? null : d;
}

const SEVERITY_ORDER: readonly Severity[] = ['hint', 'info', 'warning', 'error'];

function worstSeverity(c: Connection): string | null {
  let worst = -1;
  for (const f of c.findings) worst = Math.max(worst, SEVERITY_ORDER.indexOf(f.severity));
  return worst < 0 ? null : SEVERITY_ORDER[worst];
}

const nan = (x: number): number | null => (Number.isFinite(x) ? x : null);
/** A state as the JSON gives it: null where the capture cannot show it (UNKNOWN). */
const state = (s: TcpState): string | null => (s === 'UNKNOWN' ? null : s);
const stateAt = (column: Uint8Array, r: number): string | null => state(STATES[column[r]]);

/** The connections table: the `--json` connection object, flattened (findings as their codes). */
// prettier-ignore
export const CONNECTION_COLUMNS: readonly ColumnSpec<ConnectionRow>[] = [
  col('id', 'int32', 'connection id, 1-based in order of first frame (segments.connection_id)', (x) => x.c.id),
  col('client_ip', 'string', 'client address (the SYN sender, else inferred)', (x) => x.c.client.addr),
  col('client_port', 'int32', 'client port', (x) => x.c.client.port),
  col('server_ip', 'string', 'server address', (x) => x.c.server.addr),
  col('server_port', 'int32', 'server port', (x) => x.c.server.port),
  col('roles_inferred', 'bool', 'client and server guessed (no SYN seen)', (x) => x.c.rolesInferred),
  col('incarnation', 'int32', 'n-th connection on this 4-tuple in the capture (from 1 again after the idle horizon of quiet on it)', (x) => x.c.incarnation),
  col('first_frame', 'int64', 'frame of the first segment', (x) => x.a.table.frame[x.c.firstRow]),
  col('last_frame', 'int64', 'frame of the last segment', (x) => x.a.table.frame[x.c.lastRow]),
  col('segments', 'int32', 'number of segments', (x) => x.c.segments),
  col('start_time', 'timestamp', 'time of the first segment (UTC, microseconds)', (x) => micros(x.a.table, x.c.firstRow)),
  col('end_time', 'timestamp', 'time of the last segment', (x) => micros(x.a.table, x.c.lastRow)),
  col('duration', 'double', 'seconds from the first segment to the last', (x) => secondsBetween(x.a.table, x.c.firstRow, x.c.lastRow)),
  col('close_initiator', 'string', 'client | server | simultaneous | none', (x) => x.c.closeInitiator),
  col('outcome', 'string', 'graceful | simultaneous | reset | refused | half-closed | half-open | open', (x) => x.c.outcome),
  col('reset_by', 'string', 'client | server, null without a believed RST', (x) => x.c.reset?.by ?? null),
  col('reset_frame', 'int64', 'frame of the RST', (x) => x.c.reset?.frame ?? null),
  col('reset_reason', 'string', 'why the RST was sent: a reason code (refused, abort, no-connection, ...)', (x) => x.c.reset?.reason ?? null),
  col('reset_message', 'string', 'why the RST was sent, in one sentence', (x) => x.c.reset?.message ?? null),
  col('reset_confidence', 'string', 'certain | likely | possible', (x) => x.c.reset?.confidence ?? null),
  col('rsts', 'int32', 'RSTs in the connection (the one that ended it, ignored and injected ones)', (x) => x.c.rsts.length),
  col('client_initial_state', 'string', "client's state before the first segment (RFC 9293 spelling; null where the capture cannot show it)", (x) => state(x.c.initialState.client)),
  col('server_initial_state', 'string', "server's state before the first segment", (x) => state(x.c.initialState.server)),
  col('client_final_state', 'string', "client's state at the end of the capture", (x) => state(x.c.finalState.client)),
  col('server_final_state', 'string', "server's state at the end of the capture", (x) => state(x.c.finalState.server)),
  col('client_close_wait', 'double', 'seconds the client spent in CLOSE-WAIT (until the end of the capture if it never closed), null if never', (x) => nan(x.closeWait[2 * x.ci])),
  col('server_close_wait', 'double', 'seconds the server spent in CLOSE-WAIT, null if never', (x) => nan(x.closeWait[2 * x.ci + 1])),
  col('vantage', 'string', 'where the capture was taken, from the handshake timing: client | server | between | unknown', (x) => x.c.vantage.near),
  col('syn_to_synack', 'double', "seconds from the client's SYN to the server's SYN-ACK", (x) => nan(x.c.vantage.synToSynAck)),
  col('synack_to_ack', 'double', "seconds from the SYN-ACK to the client's ACK", (x) => nan(x.c.vantage.synAckToAck)),
  col('community_id', 'string', 'Community ID v1 of the 5-tuple (as --json)', (x) => connectionCommunityId(x.c)),
  col('zeek_conn_state', 'string', "Zeek's conn_state (comma-separated when Zeek's timers split the connection into several conn.log rows)", (x) => zeekField(x, 'connState')),
  col('zeek_history', 'string', "Zeek's history, likewise", (x) => zeekField(x, 'history')),
  col('finding_codes', 'string-list', "the findings' codes, in the order of --json's findings", (x) => x.c.findings.map((f) => f.code)),
  col('findings', 'int32', 'number of findings', (x) => x.c.findings.length),
  col('worst_severity', 'string', 'the most severe finding: error | warning | info | hint, null without findings', (x) => worstSeverity(x.c)),
];

/** KIND_* bit sets (8 bits) to their names, made once. */
const KINDS: readonly string[][] = Array.from({ length: 256 }, (_, bits) => kindNames(bits));
const FLAG_NAMES = new Map<number, string>();
function flagsText(flags: number): string {
  let s = FLAG_NAMES.get(flags);
  if (s === undefined) FLAG_NAMES.set(flags, (s = flagNames(flags)));
  return s;
}
const NO_CODES: string[] = [];
const ACK_FLAG = 0x010;

/** The segments table: one row per segment of a connection, with both endpoints' states. */
// prettier-ignore
export const SEGMENT_COLUMNS: readonly ColumnSpec<SegmentRow>[] = [
  col('connection_id', 'int32', 'the connection (connections.id)', (x) => x.a.connections[x.a.rowConn[x.r]].id),
  col('frame', 'int64', 'frame number in the capture (0 for text traces)', (x) => x.a.table.frame[x.r]),
  col('line', 'int32', 'for text traces: the 1-based line the segment was read from (null for captures)', (x) => (x.a.table.line[x.r] >= 0 ? x.a.table.line[x.r] + 1 : null)),
  col('time', 'timestamp', 'capture time (UTC, microseconds)', (x) => micros(x.a.table, x.r)),
  col('direction', 'string', 'c2s (client to server) | s2c', (x) => (x.a.rowDir[x.r] === 0 ? 'c2s' : 's2c')),
  col('flags', 'int32', "the 12-bit flags field (tshark's tcp.flags)", (x) => x.a.table.flags[x.r]),
  col('flag_names', 'string', 'the flags as the RFC figures write them: SYN,ACK', (x) => flagsText(x.a.table.flags[x.r])),
  col('seq', 'int64', 'raw sequence number', (x) => x.a.table.seq[x.r]),
  col('ack', 'int64', 'raw acknowledgment number', (x) => x.a.table.ack[x.r]),
  col('seq_rel', 'int64', "relative sequence number (Wireshark's tcp.seq)", (x) => (x.a.table.seq[x.r] - x.seqBase(x.r)) >>> 0),
  col('ack_rel', 'int64', 'relative acknowledgment number, null without ACK', (x) => (x.a.table.flags[x.r] & ACK_FLAG ? (x.a.table.ack[x.r] - x.ackBase(x.r)) >>> 0 : null)),
  col('len', 'int32', 'TCP payload length', (x) => x.a.table.len[x.r]),
  col('window', 'int32', 'raw window field (not scaled)', (x) => x.a.table.win[x.r]),
  col('kind', 'string-list', "the engine's classification: retransmission, keepalive, zero-window-probe, zero-window, dup-ack, rst-ignored, data, out-of-order", (x) => KINDS[x.a.rowKind[x.r]]),
  col('client_state_before', 'string', "client's state before the segment (null where the capture cannot show it)", (x) => stateAt(x.a.clientBefore, x.r)),
  col('client_state_after', 'string', "client's state after it", (x) => stateAt(x.a.clientAfter, x.r)),
  col('server_state_before', 'string', "server's state before the segment", (x) => stateAt(x.a.serverBefore, x.r)),
  col('server_state_after', 'string', "server's state after it", (x) => stateAt(x.a.serverAfter, x.r)),
  col('finding_codes', 'string-list', 'codes of the findings anchored on this segment', (x) => x.codes.get(x.r) ?? NO_CODES),
];

const CLOSE_WAIT = STATES.indexOf('CLOSE-WAIT');

/**
 * Seconds each side of each connection spent in CLOSE-WAIT (2 * ci + side; NaN when never), read
 * from the engine's per-row states: from the segment after which it entered CLOSE-WAIT (or the
 * first segment, when the capture began there) to the one after which it left, or to where the
 * capture stops saying anything about the connection (`connectionEnd`) when it never left.
 */
export function closeWaitSeconds(a: Analysis): Float64Array {
  const m = a.connections.length;
  const total = new Float64Array(2 * m).fill(NaN);
  /** The row after which each side entered CLOSE-WAIT, -1 when it is not there. */
  const since = new Int32Array(2 * m).fill(-1);
  const t = a.table;
  const add = (k: number, seconds: number): void => {
    total[k] = (Number.isNaN(total[k]) ? 0 : total[k]) + seconds;
  };
  for (let r = 0; r < t.length; r++) {
    const ci = a.rowConn[r];
    if (ci < 0) continue;
    for (let side = 0; side < 2; side++) {
      const before = side === 0 ? a.clientBefore[r] : a.serverBefore[r];
      const after = side === 0 ? a.clientAfter[r] : a.serverAfter[r];
      const k = 2 * ci + side;
      if (since[k] < 0 && (before === CLOSE_WAIT || after === CLOSE_WAIT)) since[k] = r;
      if (since[k] >= 0 && after !== CLOSE_WAIT) {
        add(k, secondsBetween(t, since[k], r) ?? NaN);
        since[k] = -1;
      }
    }
  }
  for (let k = 0; k < 2 * m; k++) {
    const r = since[k];
    if (r >= 0) add(k, Math.max(0, a.connectionEnd[k >> 1] - t.tsSec[r] - t.tsNsec[r] / 1e9));
  }
  return total;
}

/** The columns of one table, filled row by row and taken away in blocks. */
export class ColumnBuffer<R> {
  rows = 0;
  private values: ColumnValue[][];

  constructor(readonly columns: readonly ColumnSpec<R>[]) {
    this.values = columns.map(() => []);
  }

  add(row: R): void {
    const { columns, values } = this;
    for (let j = 0; j < columns.length; j++) values[j].push(columns[j].value(row));
    this.rows++;
  }

  /** The values gathered so far, one array per column; the buffer starts empty again. */
  take(): ColumnValue[][] {
    const out = this.values;
    this.values = this.columns.map(() => []);
    this.rows = 0;
    return out;
  }
}

/** The rows of both tables for one batch of connections (the streaming analysis hands over batches). */
export function* connectionRows(a: Analysis, shown: readonly Connection[]): Generator<ConnectionRow> {
  const closeWait = closeWaitSeconds(a);
  const index = new Map<Connection, number>();
  a.connections.forEach((c, i) => index.set(c, i));
  const row: ConnectionRow = { a, c: shown[0], ci: 0, closeWait, zeek: null };
  for (const c of shown) {
    row.c = c;
    row.ci = index.get(c) ?? -1;
    row.zeek = null;
    yield row;
  }
}

/**
 * The segment rows of the shown connections, connection after connection (in the order given),
 * each connection's segments in capture order. One object, updated for each row.
 */
export function* segmentRows(a: Analysis, shown: readonly Connection[]): Generator<SegmentRow> {
  const ctx = analysisFilterContext(a);
  const codes = new Map<number, string[]>();
  for (const c of shown)
    for (const f of c.findings) {
      if (f.row < 0) continue;
      const list = codes.get(f.row);
      if (list) list.push(f.code);
      else codes.set(f.row, [f.code]);
    }
  const row: SegmentRow = { a, r: 0, seqBase: ctx.seqBase, ackBase: ctx.ackBase, codes };
  for (const c of shown) {
    for (const r of c.rows) {
      row.r = r;
      yield row;
    }
  }
}
