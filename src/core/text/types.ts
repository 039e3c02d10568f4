/**
 * What the text parsers (tcpdump output, RFC 793/9293 figure notation) return.
 *
 * Parsers never throw: they return every segment they could read in a {@link SegmentTable}, plus
 * positioned {@link ParseError}s for the lines they could not. Positions are 0-based lines and
 * UTF-16 columns (`endCol` exclusive), as the language server wants them.
 */

import type { TcpState } from '../engine/types';
import type { SegmentTable } from '../model/segment';

export type TraceFormat = 'tcpdump' | 'rfc';

/** A line that looks like part of a trace but cannot be read. */
export interface ParseError {
  /** 0-based line. */
  line: number;
  /** 0-based column of the first character at fault. */
  startCol: number;
  /** 0-based column just after the last character at fault (> startCol). */
  endCol: number;
  /** One sentence saying what is wrong and, where possible, what was expected. */
  message: string;
  /** The text the message suggests for [startCol, endCol) ("did you mean X?"), for a quick fix. */
  replacement?: string;
}

/**
 * One event of an RFC figure, in file order. The engine replays these instead of inferring
 * deliveries itself (see src/core/engine/engine.ts `EngineStep`, a subset of this type).
 *
 * - `segment`: the sender (table.src[row]) sends row `row`, on `line`.
 * - `arrive`: row `row` reaches its receiver (table.dst[row]). For `-->` ... `-->` it follows its
 *   `segment` step on the same line; for a segment drawn in flight (`...`) it is the later line
 *   that delivers it. An `arrive` with no `segment` step for its row is a segment the figure only
 *   shows arriving (an old duplicate, for instance): its sending is not part of the figure.
 * - `close`: the endpoint's user calls CLOSE (`(Close)` in its column).
 * - `timeout`: the endpoint's 2 MSL timer expires (`(2 MSL)` in its column).
 * - `claim`: the figure says the endpoint is in `state` at this point; the engine checks it.
 *
 * `endpoint` is an id in `table.endpoints`. Times (`tsSec`/`tsNsec`, NaN seconds when the figure
 * gives none) are those written with `@` annotations (see rfc.ts).
 */
export type TraceStep = (
  | { kind: 'segment'; row: number; line: number }
  | { kind: 'arrive'; row: number; line: number; tsSec: number; tsNsec: number }
  | { kind: 'close'; endpoint: number; line: number; startCol: number; endCol: number; tsSec: number; tsNsec: number }
  | { kind: 'timeout'; endpoint: number; line: number; startCol: number; endCol: number; tsSec: number; tsNsec: number }
  | { kind: 'claim'; endpoint: number; state: TcpState; line: number; startCol: number; endCol: number }
) & {
  /** Index of the figure the step belongs to (0-based, in file order). */
  figure?: number;
};

/** How a tcpdump text was read (for hovers and warnings). */
export interface TcpdumpInfo {
  /**
   * Timestamp style found: 'none' (-t), 'time-of-day' (default), 'epoch' (-tt), 'delta' (-ttt),
   * 'date' (-tttt), 'since-first' (-ttttt), or 'mixed' when lines disagree.
   */
  timestamps: TimestampStyle | 'mixed';
  /** Connections (tcpdump conversations) whose numbers were read as relative / absolute. */
  relativeConversations: number;
  absoluteConversations: number;
  /**
   * Rows whose sequence number tcpdump did not print (pure ACKs without -vv): their seq is the
   * sender's next sequence number as the earlier lines show it, or one less for a keepalive or
   * zero-window probe (a pure ACK the peer answers at once with a duplicate ACK; see `probes`).
   */
  inferredSeq: number;
  /** Pure ACKs read as keepalives / zero-window probes (seq = snd.nxt - 1). */
  probes: number;
  /**
   * Relative conversations whose tcpdump base for one direction was a seq tcpdump never printed
   * (the capture began on a pure ACK): that direction's numbers stay as printed, relative.
   */
  unknownBases: number;
}

export type TimestampStyle = 'none' | 'time-of-day' | 'epoch' | 'delta' | 'date' | 'since-first';

export interface TraceParse {
  format: TraceFormat;
  /** One row per segment (tcpdump: per packet line; RFC figures: per sending event). */
  table: SegmentTable;
  errors: ParseError[];
  /**
   * tcpdump: packet lines that are not TCP (ARP, UDP, ICMP ...) and tcpdump's own messages.
   * RFC: prose lines outside the figures.
   */
  skipped: number;
  /**
   * RFC figures: the events in file order (see {@link TraceStep}). tcpdump text: undefined — a
   * capture says nothing about arrivals, so the engine infers them (pass it to `analyze` as is).
   */
  steps: TraceStep[] | undefined;
  /** What the first non-blank line looks like ({@link detectTraceFormat}), null if neither. */
  firstLineLooksLike: TraceFormat | null;
  /** tcpdump only: how the text was read. */
  tcpdump?: TcpdumpInfo;
}
