/**
 * The text of a capture view: the decoded segments as tcpdump-like lines (`tcpdump -# -nn` style,
 * relative or absolute sequence numbers), grouped by connection under a header comment line.
 * Returns the text and the row <-> line maps the server needs for every feature.
 */
import { ACK, FIN, RST, SYN, flagLetters } from '../core/model/segment';
import { seqDistance } from '../core/seq';
import type { Analysis, Connection } from '../core/engine';
import { connectionTitle, connectionVerdict } from '../core/report/summary';

export interface RenderedView {
  text: string;
  /** 0-based line of each table row (-1 when the row is not shown). */
  rowLine: Int32Array;
  /** Table row of each line (-1 for header and note lines). */
  lineRow: Int32Array;
  shownSegments: number;
  totalSegments: number;
  truncated: boolean;
}

function clock(a: Analysis, r: number): string {
  const t = a.table;
  const sec = t.tsSec[r];
  if (Number.isNaN(sec)) return '';
  const day = ((sec % 86400) + 86400) % 86400;
  const hh = String(Math.floor(day / 3600)).padStart(2, '0');
  const mm = String(Math.floor((day % 3600) / 60)).padStart(2, '0');
  const ss = String(day % 60).padStart(2, '0');
  return `${hh}:${mm}:${ss}.${String(Math.floor(t.tsNsec[r] / 1000)).padStart(6, '0')}`;
}

/** One segment as tcpdump prints it (`-nn`, relative numbers unless `absolute`). */
export function segmentLine(a: Analysis, c: Connection, r: number, absolute: boolean): string {
  const t = a.table;
  const fromClient = a.rowDir[r] === 0;
  const src = fromClient ? c.client : c.server;
  const dst = fromClient ? c.server : c.client;
  const f = t.flags[r];
  const ip = src.ipVersion === 4 ? 'IP' : 'IP6';
  const ownIsn = fromClient ? c.isn.client : c.isn.server;
  const peerIsn = fromClient ? c.isn.server : c.isn.client;
  const rel = !absolute && !(f & SYN);
  const seq = rel ? seqDistance(ownIsn, t.seq[r]) : t.seq[r];
  const ack = rel ? seqDistance(peerIsn, t.ack[r]) : t.ack[r];
  let s = `${String(t.frame[r]).padStart(5)}  ${clock(a, r)} ${ip} ${src.addr}.${src.port} > ${dst.addr}.${dst.port}: Flags [${flagLetters(f)}]`;
  const len = t.len[r];
  if (len > 0 || f & (SYN | FIN | RST)) s += `, seq ${seq}${len > 0 ? `:${(seq + len) >>> 0}` : ''}`;
  if (f & ACK) s += `, ack ${ack}`;
  s += `, win ${t.win[r]}, length ${len}`;
  return s;
}

export function renderCapture(a: Analysis, opts: { absolute: boolean; maxSegments: number; connection?: number }): RenderedView {
  const n = a.table.length;
  const rowLine = new Int32Array(n).fill(-1);
  const lines: string[] = [];
  const lineRows: number[] = [];
  let shown = 0;
  let truncated = false;
  const conns = opts.connection === undefined ? a.connections : a.connections.filter((c) => c.id === opts.connection);
  for (const c of conns) {
    if (shown >= opts.maxSegments) {
      truncated = true;
      break;
    }
    if (lines.length > 0) {
      lines.push('');
      lineRows.push(-1);
    }
    const nf = c.findings.length;
    lines.push(`# connection ${c.id}: ${connectionTitle(c)} · ${connectionVerdict(c)} · ${nf} finding${nf === 1 ? '' : 's'}`);
    lineRows.push(-1);
    for (const r of c.rows) {
      if (shown >= opts.maxSegments) {
        truncated = true;
        break;
      }
      rowLine[r] = lines.length;
      lines.push(segmentLine(a, c, r, opts.absolute));
      lineRows.push(r);
      shown++;
    }
  }
  if (truncated) {
    lines.push('');
    lineRows.push(-1);
    lines.push(`# ${n - shown} more segments are not shown (setting teardownTracer.maxSegmentsShown = ${opts.maxSegments}); open one connection from the Teardown side bar.`);
    lineRows.push(-1);
  }
  if (conns.length === 0) {
    lines.push(opts.connection === undefined ? '# no TCP segments in this capture' : `# no connection ${opts.connection} in this capture`);
    lineRows.push(-1);
  }
  return {
    text: lines.join('\n') + '\n',
    rowLine,
    lineRow: Int32Array.from(lineRows),
    shownSegments: shown,
    totalSegments: n,
    truncated,
  };
}
