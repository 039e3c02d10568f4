/**
 * The text of a capture view: the decoded segments as `tcpdump -# -nn` lines, grouped by connection
 * under a header comment line (`# connection 3: 10.0.0.1:40000 -> 10.0.0.2:80 · graceful · client
 * closed first · 2 findings`), at most `maxSegments` segments per view. Returns the text and the
 * row <-> line maps every editor feature needs.
 *
 * The lines are what tcpdump prints (without options), relative numbers included: tcpdump makes
 * numbers relative only on segments with ACK, and takes the bases from the first such segment of a
 * conversation (or a SYN-ACK), which it prints absolute. So the text parses back with
 * src/core/text/tcpdump.ts (and highlights with syntaxes/) into the same segments.
 */
import { ACK, FIN, RST, SYN, flagLetters } from '../core/model/segment';
import type { Analysis, Connection } from '../core/engine';

export interface RenderedView {
  text: string;
  /** 0-based line of each table row (-1 when the row is not shown). */
  rowLine: Int32Array;
  /** Table row of each line (-1 for header, blank and note lines). */
  lineRow: Int32Array;
  /** Length of each line (UTF-16 units), for positions at the end of a line. */
  lineLength: Int32Array;
  /** Header lines: line -> the id of the connection it heads. */
  headerConn: Map<number, number>;
  shownSegments: number;
  totalSegments: number;
  truncated: boolean;
}

/** How a connection ended, in a few words: `graceful · client closed first`. */
export function verdictParts(c: Connection): string[] {
  const parts: string[] = [c.outcome];
  if (c.closeInitiator === 'client' || c.closeInitiator === 'server') parts.push(`${c.closeInitiator} closed first`);
  else if (c.closeInitiator === 'simultaneous') parts.push('both closed at once');
  if (c.reset && c.outcome !== 'refused' && c.reset.by !== c.closeInitiator) parts.push(`RST by the ${c.reset.by}`);
  return parts;
}

export function connectionHeader(c: Connection): string {
  const n = c.findings.length;
  return `# connection ${c.id}: ${c.client.addr}:${c.client.port} -> ${c.server.addr}:${c.server.port} · ${verdictParts(c).join(' · ')} · ${n} finding${n === 1 ? '' : 's'}`;
}

/** Time of day (UTC) with microseconds, as tcpdump prints it by default. */
function clock(a: Analysis, r: number): string {
  const t = a.table;
  const sec = t.tsSec[r];
  if (Number.isNaN(sec)) return '';
  const day = ((sec % 86400) + 86400) % 86400;
  const hh = String(Math.floor(day / 3600)).padStart(2, '0');
  const mm = String(Math.floor((day % 3600) / 60)).padStart(2, '0');
  const ss = String(day % 60).padStart(2, '0');
  return `${hh}:${mm}:${ss}.${String(Math.floor(t.tsNsec[r] / 1000)).padStart(6, '0')} `;
}

/**
 * tcpdump's relative-number state for one conversation (print-tcp.c, `tcp_seq_hash`): the bases are
 * set by the first ACK-carrying segment (and reset by any SYN-ACK), which is printed absolute.
 */
export class RelativeBases {
  private readonly bases = new Map<number, [number, number]>();

  /** [seq, ack] as tcpdump prints row r of connection c (`absolute`: `-S`). */
  numbers(a: Analysis, c: Connection, r: number, absolute: boolean): [number, number] {
    const t = a.table;
    const seq = t.seq[r];
    const ack = t.ack[r];
    const f = t.flags[r];
    if (absolute || !(f & ACK)) return [seq, ack];
    const fromClient = a.rowDir[r] === 0;
    const b = this.bases.get(c.id);
    if (b === undefined || f & SYN) {
      // [client base, server base]
      this.bases.set(c.id, fromClient ? [seq, (ack - 1) >>> 0] : [(ack - 1) >>> 0, seq]);
      return [seq, ack];
    }
    const own = fromClient ? b[0] : b[1];
    const peer = fromClient ? b[1] : b[0];
    return [(seq - own) >>> 0, (ack - peer) >>> 0];
  }
}

/** One segment as `tcpdump -nn` prints it (without options). */
export function segmentLine(a: Analysis, c: Connection, r: number, bases: RelativeBases, absolute: boolean): string {
  const t = a.table;
  const fromClient = a.rowDir[r] === 0;
  const src = fromClient ? c.client : c.server;
  const dst = fromClient ? c.server : c.client;
  const f = t.flags[r];
  const ip = src.ipVersion === 4 ? 'IP' : 'IP6';
  const [seq, ack] = bases.numbers(a, c, r, absolute);
  let s = `${clock(a, r)}${ip} ${src.addr}.${src.port} > ${dst.addr}.${dst.port}: Flags [${flagLetters(f)}]`;
  const len = t.len[r];
  if (len > 0 || f & (SYN | FIN | RST)) s += `, seq ${seq}${len > 0 ? `:${(seq + len) >>> 0}` : ''}`;
  if (f & ACK) s += `, ack ${ack}`;
  s += `, win ${t.win[r]}, length ${len}`;
  return s;
}

/** The connections shown by a view (`connection`: a `?conn=N` view). */
function viewConnections(a: Analysis, connection: number | undefined): Connection[] {
  if (connection === undefined) return a.connections;
  const c = a.connections[connection - 1];
  return c && c.id === connection ? [c] : a.connections.filter((x) => x.id === connection);
}

/**
 * `totalSegments`: the segments of the whole capture when `a` holds only its first connections (a
 * big capture's view, read back from the file): the view then says how many are not shown.
 */
export function renderCapture(a: Analysis, opts: { absolute: boolean; maxSegments: number; connection?: number; totalSegments?: number; preamble?: readonly string[] }): RenderedView {
  const n = a.table.length;
  const rowLine = new Int32Array(n).fill(-1);
  const lines: string[] = [];
  const lineRows: number[] = [];
  const headerConn = new Map<number, number>();
  const bases = new RelativeBases();
  let shown = 0;
  let truncated = false;
  const conns = viewConnections(a, opts.connection);
  // Comment lines above the connections (two captures merged: what the view shows).
  for (const p of opts.preamble ?? []) {
    lines.push(p);
    lineRows.push(-1);
  }
  let total = 0;
  for (const c of conns) total += c.rows.length;
  if (opts.totalSegments !== undefined) total = opts.totalSegments;
  for (const c of conns) {
    if (shown >= opts.maxSegments) {
      truncated = true;
      break;
    }
    if (lines.length > 0) {
      lines.push('');
      lineRows.push(-1);
    }
    headerConn.set(lines.length, c.id);
    lines.push(connectionHeader(c));
    lineRows.push(-1);
    for (const r of c.rows) {
      if (shown >= opts.maxSegments) {
        truncated = true;
        break;
      }
      rowLine[r] = lines.length;
      const frame = a.table.frame[r];
      lines.push(`${String(frame).padStart(5)}  ${segmentLine(a, c, r, bases, opts.absolute)}`);
      lineRows.push(r);
      shown++;
    }
  }
  if (shown < total) truncated = true;
  if (truncated) {
    lines.push('');
    lineRows.push(-1);
    lines.push(
      `# ${total - shown} more segments are not shown (setting teardownTracer.maxSegmentsShown = ${opts.maxSegments}); open one connection from the Teardown side bar.`,
    );
    lineRows.push(-1);
  }
  if (conns.length === 0) {
    lines.push(opts.connection === undefined ? '# no TCP segments in this capture' : `# no connection ${opts.connection} in this capture`);
    lineRows.push(-1);
  }
  const lineLength = new Int32Array(lines.length);
  for (let i = 0; i < lines.length; i++) lineLength[i] = lines[i].length;
  return {
    text: lines.join('\n') + '\n',
    rowLine,
    lineRow: Int32Array.from(lineRows),
    lineLength,
    headerConn,
    shownSegments: shown,
    totalSegments: total,
    truncated,
  };
}
