/**
 * Text for the ladder: arrow labels, times, durations, kinds. Pure functions (no DOM).
 */
import type { LadderSegment } from '../shared/webviewProtocol';

const FIN = 0x001;
const SYN = 0x002;
const RST = 0x004;
const ACK = 0x010;

/** The colour class of an arrow: the first that applies, in this order. */
export type ArrowKind = 'rst' | 'retrans' | 'syn' | 'fin' | 'data' | 'ack' | 'other';

export const ARROW_KINDS: { kind: ArrowKind; label: string }[] = [
  { kind: 'syn', label: 'SYN' },
  { kind: 'fin', label: 'FIN' },
  { kind: 'rst', label: 'RST' },
  { kind: 'data', label: 'data' },
  { kind: 'ack', label: 'pure ACK' },
  { kind: 'retrans', label: 'retransmission' },
];

export function arrowKind(s: LadderSegment): ArrowKind {
  if (s.flags & RST) return 'rst';
  if (s.kinds.includes('retransmission')) return 'retrans';
  if (s.flags & SYN) return 'syn';
  if (s.flags & FIN) return 'fin';
  if (s.len > 0) return 'data';
  if (s.flags & ACK) return 'ack';
  return 'other';
}

/** Sequence and ACK numbers as the setting asks. */
export function numbers(s: LadderSegment, relative: boolean): { seq: number; ack: number } {
  return relative ? { seq: s.relSeq, ack: s.relAck } : { seq: s.seq, ack: s.ack };
}

/** What the engine made of a segment, after its numbers: the word, and its short form. */
const LABEL_TAGS: [kind: string, full: string, compact: string][] = [
  ['retransmission', 'retrans', '↻'],
  ['keepalive', 'keepalive', 'KA'],
  ['zero-window-probe', 'zero-window probe', 'ZWP'],
  ['zero-window', 'zero window', 'win 0'],
  ['rst-ignored', 'ignored', 'ignored'],
];

/** The label over an arrow; `compact` drops the words for narrow views. */
export function arrowLabel(s: LadderSegment, relative: boolean, compact: boolean): string {
  const n = numbers(s, relative);
  const hasAck = (s.flags & ACK) !== 0;
  const tags = LABEL_TAGS.filter(([k]) => s.kinds.includes(k));
  const extra = tags.length === 0 ? '' : compact ? ` ${tags.map((t) => t[2]).join(' ')}` : ` (${tags.map((t) => t[1]).join(', ')})`;
  if (compact) {
    let out = `${s.flagText} ${n.seq}`;
    if (hasAck) out += `/${n.ack}`;
    if (s.len > 0) out += ` +${s.len}`;
    return out + extra;
  }
  let out = `${s.flagText} seq=${n.seq}`;
  if (hasAck) out += ` ack=${n.ack}`;
  out += ` len=${s.len}`;
  return out + extra;
}

/** One sentence describing a segment (tooltips, ARIA labels, the explanation panel). */
export function segmentSentence(s: LadderSegment, relative: boolean): string {
  const n = numbers(s, relative);
  const dir = s.dir === 'c2s' ? 'client to server' : 'server to client';
  const parts = [`${s.flagText} from ${dir}`, `seq ${n.seq}`];
  if (s.flags & ACK) parts.push(`ack ${n.ack}`);
  parts.push(`length ${s.len}`);
  parts.push(`window ${s.win}`);
  const kinds = s.kinds.filter((k) => k !== 'data');
  if (kinds.length > 0) parts.push(kinds.join(', '));
  const receiver = s.dir === 'c2s' ? 'server' : 'client';
  if (s.arrival < 0) parts.push(`never received by the ${receiver} as far as the capture shows`);
  else if (s.arrival > s.index) parts.push(`in flight until after step ${s.arrival + 1} (the ${receiver} sent that segment before processing this one)`);
  return parts.join(', ');
}

/** Seconds since the connection start, as the time axis prints them. */
export function axisTime(t: number, span: number): string {
  if (!Number.isFinite(t)) return '';
  if (span < 10) return t.toFixed(6);
  if (span < 10_000) return t.toFixed(3);
  return t.toFixed(0);
}

/** A duration in short form: 850 µs, 12.3 ms, 4.20 s, 45.5 s, 60 s, 3 min 5 s, 2 h 4 min. */
export function duration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '';
  if (sec < 1e-3) return `${Math.round(sec * 1e6)} µs`;
  if (sec < 1) return `${(sec * 1e3).toFixed(sec < 0.01 ? 2 : 1)} ms`;
  if (sec < 10) return `${sec.toFixed(2)} s`;
  if (sec < 120) return `${Number.isInteger(sec) ? sec : sec.toFixed(1)} s`;
  if (sec < 3600) {
    const m = Math.floor(sec / 60);
    const r = Math.round(sec - m * 60);
    return r === 0 ? `${m} min` : `${m} min ${r} s`;
  }
  const h = Math.floor(sec / 3600);
  return `${h} h ${Math.round((sec - h * 3600) / 60)} min`;
}

/** Idle time before a segment from which a break is drawn on the time axis. */
export const IDLE_BREAK_SECONDS = 1;

export function sideLabel(side: 'client' | 'server'): string {
  return side === 'client' ? 'Client' : 'Server';
}

/** The CSS class of a state band. */
export function stateClass(state: string): string {
  switch (state) {
    case 'SYN-SENT':
    case 'SYN-RECEIVED':
      return 'st-syn';
    case 'ESTABLISHED':
      return 'st-est';
    case 'FIN-WAIT-1':
    case 'FIN-WAIT-2':
    case 'CLOSING':
      return 'st-finwait';
    case 'CLOSE-WAIT':
      return 'st-closewait';
    case 'LAST-ACK':
      return 'st-lastack';
    case 'TIME-WAIT':
      return 'st-timewait';
    case 'CLOSED':
    case 'LISTEN':
      return 'st-closed';
    default:
      return 'st-unknown';
  }
}

/**
 * Two captures merged (issue 15): where a segment was seen, with both frame numbers.
 * `names`: what the two captures are called (first: the capture opened).
 * "client frame 11 → server frame 10 · 10.3 ms in flight", "client frame 11 · lost between the capture points".
 */
export function twoSidedWhere(s: LadderSegment, names: [string, string]): string {
  const t = s.two;
  if (!t) return '';
  const frame = (cap: number): string => `${names[cap]} frame ${t.frames[cap]}`;
  const sent = t.sentAt;
  const recv = 1 - sent;
  switch (t.fate) {
    case 'both':
      return `${frame(sent)} → ${frame(recv)} · ${duration(t.transit ?? NaN)} in flight`;
    case 'lost':
      return `${frame(sent)} · lost between the capture points (the ${names[recv]} capture never saw it)`;
    case 'outside':
      return `${t.frames[0] > 0 ? frame(0) : frame(1)} only · outside the ${names[t.frames[0] > 0 ? 1 : 0]} capture's time span`;
    case 'unseen-at-sender':
      return `${frame(recv)} only · never seen leaving by the ${names[sent]} capture`;
  }
}

/** The clock offset of two merged captures: "+3.499998 s (3.489770 to 3.510225 s)". */
export function offsetWords(offset: number, bounds: [number | null, number | null]): string {
  const b = (x: number | null): string => (x === null ? 'unbounded' : x.toFixed(6));
  return `${offset >= 0 ? '+' : '−'}${Math.abs(offset).toFixed(6)} s (${b(bounds[0])} to ${b(bounds[1])} s)`;
}
