/**
 * The fields of the filter language: Wireshark's names, read from the segment table's columns.
 *
 * A getter returns NaN when the field is absent from the row (Wireshark: the field is not in the
 * packet); every comparison with an absent field is false, `!=` included.
 */

import { KIND_KEEPALIVE, KIND_RETRANSMISSION, KIND_ZERO_WINDOW, KIND_ZERO_WINDOW_PROBE } from '../engine/types';
import { ACK, AE, CWR, ECE, FIN, OPT_MSS, OPT_SACK, OPT_SACK_PERM, OPT_TIMESTAMP, OPT_WSCALE, PSH, RST, SYN, URG, type SegmentTable } from '../model/segment';

/** Per-row facts a filter needs beyond the table (the engine's connections supply them). */
export interface FilterContext {
  /** `tcp.stream`: the row's connection index (0-based, as Wireshark counts); < 0 or NaN: none. */
  stream(row: number): number;
  /** Base of `tcp.seq` for the row (its sender's ISN, Wireshark's way); NaN: unknown (absent). */
  seqBase(row: number): number;
  /** Base of `tcp.ack` for the row (the receiver's ISN); NaN: unknown (absent). */
  ackBase(row: number): number;
  /** The engine's KIND_* bits for the row (retransmission, keepalive...); NaN: no analysis (absent). */
  kind(row: number): number;
}

/** A context that knows nothing: tcp.stream, tcp.seq, tcp.ack, tcp.nxtseq and tcp.analysis.* are absent. */
export const NO_CONTEXT: FilterContext = {
  stream: () => NaN,
  seqBase: () => NaN,
  ackBase: () => NaN,
  kind: () => NaN,
};

export type NumGetter = (t: SegmentTable, r: number, c: FilterContext) => number;

export type FieldType = 'uint' | 'bool' | 'float' | 'ipv4' | 'ipv6' | 'proto';

export interface FieldDef {
  name: string;
  type: FieldType;
  /** For uint/bool/float: the value, NaN when absent. For two-valued fields: both values. */
  get?: NumGetter;
  get2?: [NumGetter, NumGetter];
  /** For addresses: which endpoint(s). */
  which?: 'src' | 'dst' | 'both';
  /** Largest value (range check of literals). */
  max?: number;
  /** The field needs the context (relative numbers, streams). */
  context?: boolean;
  /** For bool flag fields: the bit. */
  bit?: number;
  description: string;
}

const U32 = 0xffff_ffff;

const rel = (v: number, base: number): number => (Number.isNaN(base) ? NaN : (v - base) >>> 0);
const space = (t: SegmentTable, r: number): number => t.len[r] + (t.flags[r] & SYN ? 1 : 0) + (t.flags[r] & FIN ? 1 : 0);
const port = (t: SegmentTable, id: number): number => t.endpoints.list[id].port;
const optional = (bit: number, get: NumGetter): NumGetter => (t, r, c) => (t.opts[r] & bit ? get(t, r, c) : NaN);

function flag(name: string, bit: number, description: string): FieldDef {
  return { name, type: 'bool', bit, get: (t, r) => (t.flags[r] & bit ? 1 : 0), max: 1, description };
}

/** One of Wireshark's expert-info fields: present (1) on the segments `test` selects, absent elsewhere. */
function expert(name: string, test: (flags: number) => boolean, description: string): FieldDef {
  return { name, type: 'bool', get: (t, r) => (test(t.flags[r]) ? 1 : NaN), max: 1, description };
}

/** A `tcp.analysis.*` field: present on the segments the engine classified with `bit`, absent without an analysis. */
function analysisKind(name: string, bit: number, description: string): FieldDef {
  return { name, type: 'bool', get: (_t, r, c) => (c.kind(r) & bit ? 1 : NaN), max: 1, context: true, description };
}

export const FIELDS: readonly FieldDef[] = [
  { name: 'frame', type: 'proto', description: 'every segment' },
  { name: 'ip', type: 'proto', description: 'IPv4 segments' },
  { name: 'ipv6', type: 'proto', description: 'IPv6 segments' },
  { name: 'tcp', type: 'proto', description: 'every segment' },
  {
    name: 'frame.number',
    type: 'uint',
    get: (t, r) => (t.frame[r] > 0 ? t.frame[r] : r + 1),
    max: U32,
    description: 'frame number in the capture (for text traces: the segment\'s position, 1-based)',
  },
  { name: 'frame.time_epoch', type: 'float', get: (t, r) => t.tsSec[r] + t.tsNsec[r] / 1e9, description: 'time in seconds since the epoch' },
  {
    name: 'frame.time_relative',
    type: 'float',
    get: (t, r) => {
      for (let k = 0; k < t.length; k++) if (!Number.isNaN(t.tsSec[k])) return t.tsSec[r] - t.tsSec[k] + (t.tsNsec[r] - t.tsNsec[k]) / 1e9;
      return NaN;
    },
    description: 'seconds since the first segment',
  },
  { name: 'ip.src', type: 'ipv4', which: 'src', description: 'IPv4 source address' },
  { name: 'ip.dst', type: 'ipv4', which: 'dst', description: 'IPv4 destination address' },
  { name: 'ip.addr', type: 'ipv4', which: 'both', description: 'IPv4 source or destination address' },
  { name: 'ipv6.src', type: 'ipv6', which: 'src', description: 'IPv6 source address' },
  { name: 'ipv6.dst', type: 'ipv6', which: 'dst', description: 'IPv6 destination address' },
  { name: 'ipv6.addr', type: 'ipv6', which: 'both', description: 'IPv6 source or destination address' },
  { name: 'tcp.srcport', type: 'uint', get: (t, r) => port(t, t.src[r]), max: 65535, description: 'source port' },
  { name: 'tcp.dstport', type: 'uint', get: (t, r) => port(t, t.dst[r]), max: 65535, description: 'destination port' },
  { name: 'tcp.port', type: 'uint', get2: [(t, r) => port(t, t.src[r]), (t, r) => port(t, t.dst[r])], max: 65535, description: 'source or destination port' },
  {
    name: 'tcp.stream',
    type: 'uint',
    get: (_t, r, c) => {
      const s = c.stream(r);
      return s >= 0 ? s : NaN;
    },
    max: U32,
    context: true,
    description: 'connection index (0-based)',
  },
  { name: 'tcp.seq', type: 'uint', get: (t, r, c) => rel(t.seq[r], c.seqBase(r)), max: U32, context: true, description: 'sequence number relative to the sender\'s ISN' },
  {
    name: 'tcp.ack',
    type: 'uint',
    get: (t, r, c) => (t.flags[r] & ACK ? rel(t.ack[r], c.ackBase(r)) : NaN),
    max: U32,
    context: true,
    description: 'acknowledgment number relative to the receiver\'s ISN (ACK set)',
  },
  {
    name: 'tcp.nxtseq',
    type: 'uint',
    get: (t, r, c) => rel((t.seq[r] + space(t, r)) >>> 0, c.seqBase(r)),
    max: U32,
    context: true,
    description: 'relative sequence number after this segment',
  },
  { name: 'tcp.seq_raw', type: 'uint', get: (t, r) => t.seq[r], max: U32, description: 'raw sequence number' },
  { name: 'tcp.ack_raw', type: 'uint', get: (t, r) => t.ack[r], max: U32, description: 'raw acknowledgment number' },
  { name: 'tcp.len', type: 'uint', get: (t, r) => t.len[r], max: U32, description: 'payload length' },
  { name: 'tcp.window_size_value', type: 'uint', get: (t, r) => t.win[r], max: 65535, description: 'window field (unscaled)' },
  { name: 'tcp.flags', type: 'uint', get: (t, r) => t.flags[r], max: 0xfff, description: 'flags field (FIN 0x001 ... AE 0x100)' },
  flag('tcp.flags.fin', FIN, 'FIN'),
  flag('tcp.flags.syn', SYN, 'SYN'),
  flag('tcp.flags.reset', RST, 'RST'),
  flag('tcp.flags.push', PSH, 'PSH'),
  flag('tcp.flags.ack', ACK, 'ACK'),
  flag('tcp.flags.urg', URG, 'URG'),
  flag('tcp.flags.ece', ECE, 'ECN-Echo'),
  flag('tcp.flags.cwr', CWR, 'CWR'),
  flag('tcp.flags.ae', AE, 'AccECN (was NS)'),
  { name: 'tcp.options.mss_val', type: 'uint', get: optional(OPT_MSS, (t, r) => t.mss[r]), max: 65535, description: 'MSS option value' },
  { name: 'tcp.options.wscale.shift', type: 'uint', get: optional(OPT_WSCALE, (t, r) => t.wscale[r]), max: 255, description: 'window scale shift' },
  { name: 'tcp.options.timestamp.tsval', type: 'uint', get: optional(OPT_TIMESTAMP, (t, r) => t.tsVal[r]), max: U32, description: 'TSval' },
  { name: 'tcp.options.timestamp.tsecr', type: 'uint', get: optional(OPT_TIMESTAMP, (t, r) => t.tsEcr[r]), max: U32, description: 'TSecr' },
  { name: 'tcp.options.sack_perm', type: 'bool', get: (t, r) => (t.opts[r] & OPT_SACK_PERM ? 1 : NaN), max: 1, description: 'SACK permitted option present' },
  { name: 'tcp.options.sack.count', type: 'uint', get: optional(OPT_SACK, (t, r) => t.sackBlocks[r]), max: 255, description: 'number of SACK blocks' },
  // Wireshark's expert information on connection events (present only on those segments).
  expert('tcp.connection.syn', (f) => (f & (SYN | ACK)) === SYN, 'connection establish request (SYN without ACK)'),
  expert('tcp.connection.synack', (f) => (f & (SYN | ACK)) === (SYN | ACK), 'connection establish acknowledge (SYN-ACK)'),
  expert('tcp.connection.fin', (f) => (f & FIN) !== 0, 'connection finish (FIN)'),
  expert('tcp.connection.rst', (f) => (f & RST) !== 0, 'connection reset (RST)'),
  // The engine's classification under Wireshark's names (scripts/analysis-conformance.mjs compares
  // them with tshark's). A retransmission is a segment ALL of whose sequence space its sender had
  // sent before; Wireshark also counts one that only starts in old space, and calls some of them
  // out-of-order by their timing (tcp.analysis.out_of_order is not offered).
  analysisKind('tcp.analysis.retransmission', KIND_RETRANSMISSION, 'a retransmission (all of its sequence space sent before)'),
  analysisKind('tcp.analysis.keep_alive', KIND_KEEPALIVE, 'a keepalive probe (one byte or none, below the next sequence number)'),
  analysisKind('tcp.analysis.zero_window_probe', KIND_ZERO_WINDOW_PROBE, 'a probe of a zero window'),
  analysisKind('tcp.analysis.zero_window', KIND_ZERO_WINDOW, 'a segment advertising a zero window'),
];

/** Names Wireshark used before (still typed from old tutorials). */
export const ALIASES: Record<string, string> = {
  'tcp.flags.ecn': 'tcp.flags.ece',
  'tcp.flags.ns': 'tcp.flags.ae',
};

export const FIELD_BY_NAME: ReadonlyMap<string, FieldDef> = new Map(FIELDS.map((f) => [f.name, f]));
