/**
 * Custom LSP messages between the extension (client) and the language server, imported by both by
 * relative path. Each request is a namespace with its method name, its RequestType and who sends it.
 *
 * URIs: text traces are ordinary documents (`file:` ...). A capture is shown as a read-only virtual
 * document with the scheme {@link CAPTURE_SCHEME}: `teardown-capture:/abs/path/file.pcap?view=all`
 * (or `?conn=N` for one connection). The server reads the capture file itself; capture bytes never
 * travel over the protocol.
 */
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';
import type { Overview } from '../core/report/overview';
import type { TwoSidedInfo, TwoSidedSegment } from '../core/merge/ladder';

export type { TwoSidedInfo, TwoSidedSegment } from '../core/merge/ladder';

export const CAPTURE_SCHEME = 'teardown-capture';
export const LANG_TCPDUMP = 'tcpdump-text';
export const LANG_TCPTRACE = 'tcp-trace';

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface EndpointInfo {
  addr: string;
  port: number;
}

export interface FindingInfo {
  code: string;
  severity: Severity;
  message: string;
  /**
   * The catalog's explanation of the code, citing the RFC. The same text for every finding of a
   * code, so `teardown/connections` leaves it out unless asked (`includeExplanations`); clients
   * look it up once with {@link FindingCatalogRequest}. Always present in `teardown/segments`.
   */
  explanation?: string;
  /** Index of the segment within its connection. */
  index: number;
  frame: number;
  /** 0-based line in the document showing the trace, -1 if not shown. */
  line: number;
  related: { index: number; line: number; message: string }[];
}

/** How a connection ended (the side bar's groups). */
export type Outcome = 'graceful' | 'simultaneous' | 'reset' | 'refused' | 'half-closed' | 'half-open' | 'open';

/** Every outcome, in the order the views list them. */
export const OUTCOME_ORDER: readonly Outcome[] = ['graceful', 'simultaneous', 'reset', 'refused', 'half-closed', 'half-open', 'open'];

export interface ConnectionSummary {
  id: number;
  client: EndpointInfo;
  server: EndpointInfo;
  rolesInferred: boolean;
  outcome: Outcome;
  closeInitiator: 'client' | 'server' | 'simultaneous' | 'none';
  finalState: { client: string; server: string };
  segments: number;
  firstFrame: number;
  lastFrame: number;
  /** 0-based line of the connection's first and last segment in the document, -1 when not shown. */
  firstLine: number;
  lastLine: number;
  startTime: number;
  endTime: number;
  findings: FindingInfo[];
  /** Two captures merged (issue 15): the pair, the clock offset, this connection's fates. */
  two?: TwoSidedInfo;
}

export interface InputInfo {
  format: string;
  packets: number;
  tcpSegments: number;
  /** Decoder or parser warnings, as sentences. */
  warnings: string[];
}

export interface TransitionInfo {
  side: 'client' | 'server';
  from: string;
  to: string;
  reason: string;
  inferred: boolean;
}

/** One segment as the diagram and the side panel need it. */
export interface LadderSegment {
  /** Index within the connection (0-based). */
  index: number;
  frame: number;
  /** 0-based line in the document, -1 when not shown. */
  line: number;
  /** Seconds since the connection's first segment. */
  t: number;
  /** Absolute time, nine fraction digits ("" when unknown). */
  time: string;
  dir: 'c2s' | 's2c';
  flags: number;
  flagText: string;
  seq: number;
  ack: number;
  relSeq: number;
  relAck: number;
  len: number;
  win: number;
  /** retransmission, keepalive, zero-window-probe, zero-window, dup-ack, rst-ignored, data */
  kinds: string[];
  clientBefore: string;
  clientAfter: string;
  serverBefore: string;
  serverAfter: string;
  transitions: TransitionInfo[];
  findings: FindingInfo[];
  /** Index of the later segment that acknowledges this one, and of the segment this one newly acknowledges. */
  ackedBy: number;
  acks: number;
  /**
   * Index of the segment after which the receiver processed this one: its own index when on
   * arrival, a later one when it was in flight until then (crossing FINs), -1 when never (lost).
   */
  arrival: number;
  /** For a RST: why it was sent (a stable reason code), how sure, what it did; null for other segments. */
  rst: LadderRst | null;
  /** Two captures merged (issue 15): where each capture saw it, and where its arrow lands. */
  two?: TwoSidedSegment;
}

export interface LadderRst {
  reason: string;
  confidence: string;
  effect: string;
  message: string;
  /** Indices (within the connection) of the segments that show it. */
  evidence: number[];
}

export interface AnalysisChangedParams {
  uri: string;
  version: number | null;
  connections: number;
  findings: number;
  errors: number;
  /** A capture with the other side's capture merged into it (issue 15). */
  pair?: OtherSideInfo;
}

/** The other side's capture merged into a capture's views: the pair, the clock offset, the fates. */
export interface OtherSideInfo extends TwoSidedInfo {
  /** The other capture's file path. */
  otherPath: string;
  /** Connections of the merge, and how many are in both captures. */
  connections: number;
  inBoth: number;
}

/**
 * Client -> server: add the other side's capture of the same connections to a capture (its views
 * then show the merge: every segment where it was sent and where it arrived, lost segments, both
 * sides' states from what each really sent and received), remove it (`other: null`), or ask
 * (`other` absent). Remembered per capture file for the server's lifetime. Answers once the
 * capture's views are analyzed again.
 */
export namespace OtherSideRequest {
  export const method = 'teardown/otherSide';
  export interface Params {
    /** The capture: its `file:` URI or a `teardown-capture:` view of it. */
    uri: string;
    /** The other capture's `file:` URI; null removes it; absent: only ask. */
    other?: string | null;
  }
  export interface Result {
    merge: OtherSideInfo | null;
    /** Why the other capture could not be added (the capture's views then stay as they were). */
    error: string | null;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/** Server -> client, after every (re)analysis of a document. */
export namespace AnalysisChangedNotification {
  export const method = 'teardown/analysisChanged';
  export const type = new NotificationType<AnalysisChangedParams>(method);
}

/** Client -> server: the text of the virtual document showing a capture (the server reads the file). */
export namespace OpenCaptureRequest {
  export const method = 'teardown/openCapture';
  export interface Params {
    /** The `teardown-capture:` URI of the view. */
    uri: string;
  }
  export interface Result {
    text: string;
    /** True when the view shows fewer segments than the capture has (size limit). */
    truncated: boolean;
    shownSegments: number;
    totalSegments: number;
    error: string | null;
    /**
     * True when the capture took the streaming path (`teardownTracer.streamingThresholdMB`): the
     * server keeps an index, not the decoded capture, and reads connections back from the file.
     */
    streamed?: boolean;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/**
 * Counts over a document's connections (those matching the display filter, when one is given),
 * computed by the server so that no client needs every connection to show totals.
 */
export interface ConnectionCounts {
  /** Connections counted. */
  connections: number;
  /** Of those, how many have at least one finding. */
  withFindings: number;
  /** Connections per outcome; every outcome is a key (0 when none). */
  outcomes: Record<Outcome, number>;
  /** Findings of the counted connections. */
  findings: number;
  /** Findings per severity; every severity is a key (0 when none). */
  bySeverity: Record<Severity, number>;
  /** Findings per code (only codes that occur), with the severity the settings give the code. */
  byCode: Record<string, { severity: Severity; count: number }>;
}

/**
 * Client -> server: a document's connections with their findings, pageable.
 *
 * Which connections: those matching `filter` (a display filter), then `outcome`, `withFindings`
 * and `ids`, all optional and combined with "and"; `total` counts them. The page is `limit`
 * connections from position `offset` of that list in id order (first frame order). Without
 * `limit` every matching connection from `offset` on is returned: fine for a text trace, not for a
 * capture of 100,000 connections, so views ask for pages (`limit`), single connections (`ids`) or
 * only the counts (`limit: 0`). `summary` counts the connections matching `filter` alone (not
 * narrowed by `outcome`, `withFindings`, `ids` or the page), so one `limit: 0` request gives the
 * side bar's group sizes, the status bar and the capture summary.
 *
 * Findings come without their `explanation` unless `includeExplanations` is true: the text is the
 * same for every finding of a code; {@link FindingCatalogRequest} gives them once.
 */
export namespace ConnectionsRequest {
  export const method = 'teardown/connections';
  export interface Params {
    uri: string;
    /** A display filter (Wireshark syntax); only connections with a matching segment count. */
    filter?: string;
    /** Only connections that ended this way. */
    outcome?: Outcome;
    /** Only connections with at least one finding. */
    withFindings?: boolean;
    /** Only these connection ids (unknown ids are ignored; the answer is in id order). */
    ids?: number[];
    /** Position of the first connection returned in the list of matching ones (default 0). */
    offset?: number;
    /** At most this many connections (default: all from `offset`); 0 for the counts only. */
    limit?: number;
    /** Fill `FindingInfo.explanation` (default false). */
    includeExplanations?: boolean;
  }
  export interface Result {
    input: InputInfo;
    /** The page of matching connections, in id order. */
    connections: ConnectionSummary[];
    /** How many connections match (filter, outcome, withFindings, ids) before paging. */
    total: number;
    /** The position of `connections[0]` among them (the requested offset, clamped to `total`). */
    offset: number;
    /** Counts over the connections matching `filter` only. */
    summary: ConnectionCounts;
    /** Errors in the filter, positioned in the filter text (no connection matches then). */
    filterErrors: { start: number; end: number; message: string }[];
    /** The other side's capture merged into this capture (issue 15). */
    pair?: OtherSideInfo;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/** One finding code as the catalog describes it. */
export interface FindingCodeInfo {
  /** A short title ("Lingering half-close"). */
  title: string;
  /** The severity without settings. */
  defaultSeverity: Severity;
  /** Why it matters, citing the RFC. */
  explanation: string;
  /** The RFC section the explanation cites first. */
  href: string;
}

/** Client -> server: every finding code's title and explanation (the same for all documents). */
export namespace FindingCatalogRequest {
  export const method = 'teardown/findingCatalog';
  export type Params = Record<string, never>;
  export interface Result {
    codes: Record<string, FindingCodeInfo>;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/** Client (webview host) -> server: a window of one connection's segments, with both states. */
export namespace SegmentsRequest {
  export const method = 'teardown/segments';
  export interface Params {
    uri: string;
    connection: number;
    start: number;
    count: number;
  }
  export interface Result {
    total: number;
    connection: ConnectionSummary | null;
    segments: LadderSegment[];
    /** TIME-WAIT timers: when each side entered TIME-WAIT (seconds since the connection start) and its 2 MSL length. */
    timeWait: { client: number | null; server: number | null; durationSeconds: number };
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/** Client -> server: which connection segment a document line shows (cursor sync). */
export namespace SegmentAtRequest {
  export const method = 'teardown/segmentAt';
  export interface Params {
    uri: string;
    line: number;
  }
  export type Result = { connection: number; index: number } | null;
  export const type = new RequestType<Params, Result, void>(method);
}

/**
 * Client -> server: where the editor's stepping commands lead from a line of a document: the next
 * or previous segment (crossing into the next or previous connection in document order, wrapping
 * around), the first or last segment of the line's connection, the next or previous finding.
 * Computed over every connection, so the client needs none of them. From a line between
 * connections, segment steps go to the nearest connection in that direction. `line` of the answer
 * is -1 when the segment is not shown in the document (a capture view cut at the size limit);
 * null when the document shows no connection (for finding steps: no finding).
 */
export namespace StepRequest {
  export const method = 'teardown/step';
  export interface Params {
    uri: string;
    line: number;
    kind: 'next' | 'previous' | 'first' | 'last' | 'nextFinding' | 'previousFinding';
  }
  export type Result = { connection: number; index: number; line: number } | null;
  export const type = new RequestType<Params, Result, void>(method);
}

/** Client -> server: exports. */
export namespace ExportRequest {
  export const method = 'teardown/export';
  export interface Params {
    uri: string;
    /** analysis-json: the `analyze --json` document; state-table: Markdown per-step table;
     * tcptrace / tcpdump: the trace converted; mermaid: a sequenceDiagram. */
    kind: 'analysis-json' | 'state-table' | 'tcptrace' | 'tcpdump' | 'mermaid';
    /** Connection id for per-connection exports (all connections when absent). */
    connection?: number;
    /**
     * A `file:` URI the server writes the export to itself, in chunks, so that a large export
     * (the analysis of 100,000 connections is ~100 MB) never travels over the protocol. The
     * analysis is then the `analyze --json` document exactly (compact); the answer's `text` is empty.
     */
    target?: string;
  }
  export interface Result {
    text: string;
    /** With `target`: what was written. */
    written?: { uri: string; bytes: number };
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/**
 * Client -> server: the Teardown overview of a document (counts and bins, src/core/report/overview.ts),
 * or with `select`, the connections behind one of its marks: how many, the first, and a display
 * filter (`tcp.stream in {...}`, id ranges) that lists exactly them in the side bar.
 */
export namespace OverviewRequest {
  export const method = 'teardown/overview';
  export interface Params {
    uri: string;
    /** A mark's key (`markKey` in src/core/report/overview.ts). */
    select?: string;
  }
  export interface Result {
    overview: Overview | null;
    selection?: { key: string; count: number; first: number | null; filter: string };
  }
  export const type = new RequestType<Params, Result, void>(method);
}
