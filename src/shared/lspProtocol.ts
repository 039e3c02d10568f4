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
  explanation: string;
  /** Index of the segment within its connection. */
  index: number;
  frame: number;
  /** 0-based line in the document showing the trace, -1 if not shown. */
  line: number;
  related: { index: number; line: number; message: string }[];
}

export interface ConnectionSummary {
  id: number;
  client: EndpointInfo;
  server: EndpointInfo;
  rolesInferred: boolean;
  outcome: 'graceful' | 'simultaneous' | 'reset' | 'refused' | 'half-closed' | 'half-open' | 'open';
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
}

export interface AnalysisChangedParams {
  uri: string;
  version: number | null;
  connections: number;
  findings: number;
  errors: number;
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
  }
  export const type = new RequestType<Params, Result, void>(method);
}

/** Client -> server: the connections of a document with their findings. */
export namespace ConnectionsRequest {
  export const method = 'teardown/connections';
  export interface Params {
    uri: string;
    /** A display filter (Wireshark syntax); only matching connections are returned. */
    filter?: string;
  }
  export interface Result {
    input: InputInfo;
    connections: ConnectionSummary[];
    /** Errors in the filter, positioned in the filter text. */
    filterErrors: { start: number; end: number; message: string }[];
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
  }
  export interface Result {
    text: string;
  }
  export const type = new RequestType<Params, Result, void>(method);
}
