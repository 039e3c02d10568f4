/**
 * Renderers back to text, for conversions and exports: tcpdump lines (`tcpdump -nn -tt -S` style)
 * and RFC 793/9293 figure notation. Both read back with parseTcpdump / parseRfcTrace to the same
 * rows (the round trips are tested).
 */

import { formatTime, ACK, OPT_MSS, OPT_NO_WINDOW, OPT_SACK, OPT_SACK_PERM, OPT_TIMESTAMP, OPT_WSCALE, type Endpoint, type SegmentTable } from '../model/segment';

/** tcpdump's flag letters and the RFC figures' control names: one definition, in the segment model. */
export { flagLetters as tcpdumpFlags, flagNames as rfcControls } from '../model/segment';
import { flagLetters as tcpdumpFlags, flagNames as rfcControls } from '../model/segment';

function allRows(table: SegmentTable): number[] {
  const rows: number[] = [];
  for (let r = 0; r < table.length; r++) rows.push(r);
  return rows;
}

/** "1700000000.123456" (microseconds) or nine digits when the time has nanoseconds. */
function epochText(sec: number, nsec: number): string {
  const s = formatTime(sec, nsec);
  return nsec % 1000 === 0 ? s.slice(0, -3) : s;
}

function hostPort(ep: Endpoint, sep: '.' | ':'): string {
  if (sep === ':' && ep.ipVersion === 6) return `[${ep.addr}]:${ep.port}`;
  return `${ep.addr}${sep}${ep.port}`;
}

/**
 * tcpdump text of the given rows (default: all), one line each, as `tcpdump -nn -tt -S -vv` would
 * print the TCP part (-vv so that every line has its seq), after a `# tcpdump -nn -tt -S` line that
 * tells the parser the numbers are absolute. Rows without a time print without one (as -t).
 * SACK blocks print as their count only (the table keeps no edges).
 */
export function toTcpdumpText(table: SegmentTable, rows?: ArrayLike<number>): string {
  const list = rows ?? allRows(table);
  const out: string[] = ['# tcpdump -nn -tt -S'];
  for (let i = 0; i < list.length; i++) {
    const r = list[i];
    const src = table.endpoints.get(table.src[r]);
    const dst = table.endpoints.get(table.dst[r]);
    const f = table.flags[r];
    const len = table.len[r];
    let s = '';
    if (!Number.isNaN(table.tsSec[r])) s += `${epochText(table.tsSec[r], table.tsNsec[r])} `;
    s += `${src.ipVersion === 6 ? 'IP6' : 'IP'} ${hostPort(src, '.')} > ${hostPort(dst, '.')}: Flags [${tcpdumpFlags(f)}]`;
    s += `, seq ${table.seq[r]}`;
    if (len > 0) s += `:${(table.seq[r] + len) >>> 0}`;
    if (f & ACK) s += `, ack ${table.ack[r]}`;
    s += `, win ${table.win[r]}`;
    const o = table.opts[r] & ~OPT_NO_WINDOW;
    if (o !== 0) {
      const opts: string[] = [];
      if (o & OPT_MSS) opts.push(`mss ${table.mss[r]}`);
      if (o & OPT_SACK_PERM) opts.push('sackOK');
      if (o & OPT_TIMESTAMP) {
        if (!(o & (OPT_MSS | OPT_SACK_PERM))) opts.push('nop', 'nop');
        opts.push(`TS val ${table.tsVal[r]} ecr ${table.tsEcr[r]}`);
      }
      if (o & OPT_WSCALE) opts.push('nop', `wscale ${table.wscale[r]}`);
      if (o & OPT_SACK) opts.push('nop', 'nop', `sack ${table.sackBlocks[r]}`);
      s += `, options [${opts.join(',')}]`;
    }
    s += `, length ${len}`;
    out.push(s);
  }
  return out.join('\n') + '\n';
}

export interface RfcRenderOptions {
  /** The endpoint id drawn as TCP A (default: the sender of the first row). */
  a?: number;
  /** States before the first row, printed as step 1 (the figure's initial states). */
  initial?: { a: string; b: string };
  /** Times: `@` offsets after a `# t0 =` line (default when rows have times), absolute `@`, or none. */
  times?: 'relative' | 'absolute' | 'none';
  /** Step numbers (default true). */
  numbered?: boolean;
  /**
   * The lines to draw, when segments may be in flight: each a row's send (`index` into `rows`) or
   * the later arrival of one sent earlier, with the states after it. Without it, one line per row
   * with `states`, every segment received on the line that sends it.
   */
  lines?: RfcLine[];
}

/** One line of a figure: see {@link RfcRenderOptions.lines}. */
export interface RfcLine {
  index: number;
  /** The line where a segment sent on an earlier line arrives (no step number, `...` at its sender). */
  arrival: boolean;
  /** On a send line: the segment arrives on this line (else `...` at the receiver: in flight). */
  arrivesNow: boolean;
  a: string;
  b: string;
  /**
   * The sides whose 2 MSL TIME-WAIT timer ran out before this line (the ladder's
   * `LadderLine.expired`): RFC 9293 figure 13's `(2 MSL)` event in each one's column, on a line of
   * its own before this one, so the figure reads back with that side CLOSED here.
   */
  expired?: { a: boolean; b: boolean };
}

/**
 * RFC 793/9293 figure notation of the given rows between two endpoints, with the state names
 * given per row (`states.a[i]` / `states.b[i]`: A's and B's states after `rows[i]`; an empty
 * string leaves the column blank). Every segment is drawn as sent and received on the same line
 * (`-->` ... `-->`) unless `options.lines` says where segments arrive (a table records sends, not
 * arrivals: the engine's delivery points do). Rows between other endpoints are left out. The
 * header names both endpoints, so the figure reads back to the same rows.
 */
export function toRfcTrace(
  table: SegmentTable,
  rows: ArrayLike<number>,
  states: { a: readonly string[]; b: readonly string[] },
  options: RfcRenderOptions = {},
): string {
  if (rows.length === 0 && options.a === undefined) return '';
  const aId = options.a ?? table.src[rows[0]];
  let bId = -1;
  for (let i = 0; i < rows.length && bId < 0; i++) {
    const r = rows[i];
    if (table.src[r] === aId) bId = table.dst[r];
    else if (table.dst[r] === aId) bId = table.src[r];
  }
  const keep: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if ((table.src[r] === aId && table.dst[r] === bId) || (table.src[r] === bId && table.dst[r] === aId)) keep.push(i);
  }
  const A = table.endpoints.get(aId);
  const B = bId >= 0 ? table.endpoints.get(bId) : null;

  // Times.
  const timed = keep.some((i) => !Number.isNaN(table.tsSec[rows[i]]));
  const timeMode = options.times ?? (timed ? 'relative' : 'none');
  let t0Sec = Infinity;
  let t0Nsec = 0;
  if (timeMode === 'relative') {
    for (const i of keep) {
      const r = rows[i];
      const s = table.tsSec[r];
      if (Number.isNaN(s)) continue;
      if (s < t0Sec || (s === t0Sec && table.tsNsec[r] < t0Nsec)) {
        t0Sec = s;
        t0Nsec = table.tsNsec[r];
      }
    }
  }
  const timeOf = (r: number): string => {
    const s = table.tsSec[r];
    if (timeMode === 'none' || Number.isNaN(s)) return '';
    if (timeMode === 'absolute') return `@${formatTime(s, table.tsNsec[r])}`;
    let ds = s - t0Sec;
    let dn = table.tsNsec[r] - t0Nsec;
    if (dn < 0) {
      dn += 1_000_000_000;
      ds -= 1;
    }
    return `@${formatTime(ds, dn)}`;
  };

  // Segments and the column widths.
  const segText = (r: number): string => {
    const f = table.flags[r];
    let s = `<SEQ=${table.seq[r]}>`;
    if (f & ACK || table.ack[r] !== 0) s += `<ACK=${table.ack[r]}>`;
    if (f !== 0) s += `<CTL=${rfcControls(f)}>`;
    if (table.len[r] > 0) s += `<DATA=${table.len[r]}>`;
    if (table.win[r] !== 0) s += `<WND=${table.win[r]}>`;
    return s;
  };
  const kept = new Set(keep);
  const lines: RfcLine[] = options.lines
    ? options.lines.filter((l) => kept.has(l.index))
    : keep.map((i) => ({ index: i, arrival: false, arrivesNow: true, a: states.a[i] ?? '', b: states.b[i] ?? '' }));
  const segs = lines.map((l) => segText(rows[l.index]));
  const aStates = lines.map((l) => l.a);
  const bStates = lines.map((l) => l.b);
  const numbered = options.numbered ?? true;
  const steps = keep.length + (options.initial ? 1 : 0);
  const numW = String(steps).length; // "  12.  "
  const indent = numbered ? numW + 5 : 6;
  const stateW = Math.max(12, ...aStates.map((s) => s.length + 1), options.initial ? options.initial.a.length + 1 : 0);
  // As RFC 9293 draws it: two blanks after the longest segment (B's column at 59 in figure 13).
  const segW = Math.max(20, ...segs.map((s) => s.length + 1));
  let bCol = indent + stateW + 4 + segW + 5; // "<state> --> <segment> --> <state>"
  const labelA = `TCP A (${hostPort(A, ':')})`;
  const labelB = B !== null ? `TCP B (${hostPort(B, ':')})` : 'TCP B';
  bCol = Math.max(bCol, indent + labelA.length + 2);

  const out: string[] = [];
  if (timeMode === 'relative' && Number.isFinite(t0Sec)) out.push(`# t0 = ${formatTime(t0Sec, t0Nsec)}`);
  out.push(`${' '.repeat(indent)}${labelA.padEnd(bCol - indent)}${labelB}`.trimEnd());
  out.push('');
  let step = 0;
  const num = (): string => {
    step++;
    return numbered ? `  ${String(step).padStart(numW)}.  ` : ' '.repeat(indent);
  };
  if (options.initial) {
    out.push(`${num()}${options.initial.a.padEnd(bCol - indent)}${options.initial.b}`.trimEnd());
    out.push('');
  }
  lines.forEach((l, k) => {
    const r = rows[l.index];
    const toB = table.src[r] === aId;
    const arrow = toB ? '-->' : '<--';
    const sent = !l.arrival;
    const [la, ra] = toB ? [sent ? arrow : '...', l.arrivesNow ? arrow : '...'] : [l.arrivesNow ? arrow : '...', sent ? arrow : '...'];
    if (l.expired) out.push(`${' '.repeat(indent)}${(l.expired.a ? '(2 MSL)' : '').padEnd(bCol - indent)}${l.expired.b ? '(2 MSL)' : ''}`.trimEnd());
    const left = `${sent ? num() : ' '.repeat(indent)}${aStates[k].padEnd(stateW)}${la} ${segs[k].padEnd(segW)} ${ra} `;
    let line = `${left.padEnd(bCol)}${bStates[k]}`;
    const t = sent ? timeOf(r) : '';
    if (t !== '') line = `${line.padEnd(bCol + Math.max(14, bStates[k].length + 2))}${t}`;
    out.push(line.trimEnd());
  });
  return out.join('\n') + '\n';
}
