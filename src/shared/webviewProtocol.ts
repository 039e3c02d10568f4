/**
 * The diagram webview's message protocol, shared by the extension host (src/extension/diagram) and
 * the webview (src/webview). Modelled on vscode-hexeditor's shared/protocol.ts: a message-type enum
 * per direction, one interface per message, a union per direction, and a request/reply helper with
 * message ids. Both sides switch exhaustively over the unions.
 *
 * The conversation:
 * 1. the webview starts and sends {@link FromWebview.Ready} (with the place it remembers, if any);
 * 2. the host answers with {@link ToWebview.Load} (a connection's summary, its total number of
 *    segments, the TIME-WAIT timers, the settings) or {@link ToWebview.Empty};
 * 3. the webview PULLS windows of segments with {@link FromWebview.GetSegments} (the host forwards
 *    them to the language server's `teardown/segments`), only for the rows in view plus a margin;
 * 4. afterwards the host pushes selections (editor cursor → diagram), step commands, setting
 *    changes and export requests; the webview posts selections (diagram → editor cursor).
 *
 * This file is compiled for the browser too: it imports types only, and nothing from vscode or Node.
 */
import type { ConnectionSummary, LadderSegment } from './lspProtocol';

export type { ConnectionSummary, LadderSegment } from './lspProtocol';

/** Messages the host posts to the webview. */
export enum ToWebview {
  /** Show a connection (answer to Ready, or a new connection chosen by the host). */
  Load = 'load',
  /** Nothing to show (no trace open, or the trace has no connections). */
  Empty = 'empty',
  /** Highlight a segment (the editor cursor moved). */
  Select = 'select',
  /** A stepping command from the extension (keybinding or palette). */
  Step = 'step',
  /** Settings changed (relative/absolute sequence numbers). */
  Settings = 'settings',
  /** The host asks for the drawn diagram as a standalone SVG document (a request: the webview replies). */
  GetSvg = 'getSvg',
  /** The side bar's filter changed: the picker lists the connections again (only those it selects). */
  Picker = 'picker',
  /** The answer to a webview request. */
  Reply = 'reply',
}

/** Messages the webview posts to the host. */
export enum FromWebview {
  /** The webview is loaded and listening; carries the place it remembers (getState). */
  Ready = 'ready',
  /** A request: a window of the shown connection's segments. */
  GetSegments = 'getSegments',
  /** The user stepped or clicked: the host moves the editor's cursor. */
  Selected = 'selected',
  /** The user asked to see a finding in the Problems view. */
  ShowProblem = 'showProblem',
  /** The user asked for an export; for SVG the webview sends the document. */
  Export = 'export',
  /** The user chose another connection of the same trace. */
  PickConnection = 'pickConnection',
  /** A request: a page of the shown trace's connections (for the picker, which lists a page at a time). */
  GetConnections = 'getConnections',
  /** The answer to a host request. */
  Reply = 'reply',
}

export type StepKind = 'next' | 'previous' | 'nextFinding' | 'previousFinding' | 'first' | 'last' | 'play';
export const STEP_KINDS: readonly StepKind[] = ['next', 'previous', 'nextFinding', 'previousFinding', 'first', 'last', 'play'];

export type ExportFormat = 'svg' | 'mermaid' | 'state-table';

export interface DiagramSettings {
  /** Sequence and acknowledgment numbers relative to each side's ISN. */
  relativeSequenceNumbers: boolean;
}

/** TIME-WAIT timers: seconds since the connection's first segment, and the 2 MSL length. */
export interface TimeWaitInfo {
  client: number | null;
  server: number | null;
  durationSeconds: number;
}

/** Where the diagram is: what getState keeps, and what a restored panel's serializer receives. */
export interface DiagramPlace {
  uri: string;
  connection: number;
  /** The highlighted segment, -1 for none. */
  index: number;
  /** The index of the first row in view. */
  topIndex: number;
}

/** A connection in the picker. */
export interface ConnectionChoice {
  id: number;
  label: string;
  findings: number;
}

// ---------------------------------------------------------------------------------------------
// Host -> webview

export interface LoadMessage {
  type: ToWebview.Load;
  uri: string;
  /** A short name for the trace (file name). */
  title: string;
  connection: ConnectionSummary;
  total: number;
  timeWait: TimeWaitInfo;
  settings: DiagramSettings;
  /** Segment to highlight, -1 for none. */
  index: number;
  /** First row to scroll to, -1 to scroll to the highlight (or the top). */
  topIndex: number;
}

export interface EmptyMessage {
  type: ToWebview.Empty;
  /** Why there is nothing to draw, as a sentence. */
  reason: string;
}

export interface SelectMessage {
  type: ToWebview.Select;
  uri: string;
  connection: number;
  index: number;
}

export interface StepMessage {
  type: ToWebview.Step;
  kind: StepKind;
}

export interface SettingsMessage {
  type: ToWebview.Settings;
  settings: DiagramSettings;
}

export interface PickerMessage {
  type: ToWebview.Picker;
}

export interface GetSvgRequest {
  type: ToWebview.GetSvg;
  messageId: number;
}

export interface HostReplyMessage {
  type: ToWebview.Reply;
  /** The id of the webview request this answers. */
  messageId: number;
  /** The answer, or null with `error` set. */
  body: unknown;
  error?: string;
}

export type ToWebviewMessage =
  | LoadMessage
  | EmptyMessage
  | SelectMessage
  | StepMessage
  | SettingsMessage
  | PickerMessage
  | GetSvgRequest
  | HostReplyMessage;

// ---------------------------------------------------------------------------------------------
// Webview -> host

export interface ReadyMessage {
  type: FromWebview.Ready;
  /** The place the webview remembers (getState), null on first start. */
  place: DiagramPlace | null;
}

export interface GetSegmentsRequest {
  type: FromWebview.GetSegments;
  messageId: number;
  uri: string;
  connection: number;
  start: number;
  count: number;
}

export interface SegmentsReply {
  total: number;
  segments: LadderSegment[];
  timeWait: TimeWaitInfo;
}

export interface SelectedMessage {
  type: FromWebview.Selected;
  uri: string;
  connection: number;
  index: number;
  /** 0-based document line of the segment, -1 when not shown. */
  line: number;
}

export interface ShowProblemMessage {
  type: FromWebview.ShowProblem;
  uri: string;
  connection: number;
  index: number;
  line: number;
}

export interface ExportMessage {
  type: FromWebview.Export;
  format: ExportFormat;
  uri: string;
  connection: number;
  /** For 'svg': the standalone document. */
  svg?: string;
}

export interface PickConnectionMessage {
  type: FromWebview.PickConnection;
  uri: string;
  connection: number;
}

/** A page of the trace's connections in id order: `limit` of them from position `offset`. */
export interface GetConnectionsRequest {
  type: FromWebview.GetConnections;
  messageId: number;
  uri: string;
  offset: number;
  /** The host answers at most {@link MAX_CONNECTIONS_PAGE}. */
  limit: number;
}

export interface ConnectionsReply {
  connections: ConnectionChoice[];
  /** Connections in the trace (those the side bar's filter selects), and the position of `connections[0]` among them. */
  total: number;
  offset: number;
  /** What restricts the list when the side bar is filtered (an overview mark's name, or the display filter). */
  filter?: string;
}

/** The largest page of connections the host sends the picker. */
export const MAX_CONNECTIONS_PAGE = 1000;

export interface WebviewReplyMessage {
  type: FromWebview.Reply;
  messageId: number;
  body: unknown;
  error?: string;
}

export interface SvgReply {
  /** The standalone SVG document, null when nothing is drawn. */
  svg: string | null;
}

export type FromWebviewMessage =
  | ReadyMessage
  | GetSegmentsRequest
  | SelectedMessage
  | ShowProblemMessage
  | ExportMessage
  | PickConnectionMessage
  | GetConnectionsRequest
  | WebviewReplyMessage;

/** What each request's reply body is. */
export interface WebviewRequestReplies {
  [FromWebview.GetSegments]: SegmentsReply;
  [FromWebview.GetConnections]: ConnectionsReply;
}
export interface HostRequestReplies {
  [ToWebview.GetSvg]: SvgReply;
}

/** Makes a `switch` exhaustive: the compiler rejects a call with anything but `never`. */
export function assertNever(x: never, what = 'message'): never {
  throw new Error(`Unexpected ${what}: ${JSON.stringify(x)}`);
}

/**
 * Requests with message ids over a postMessage-style channel, for either side. `post` sends a
 * message; feed every received reply to {@link handleReply}. Requests that get no answer within
 * `timeoutMs` are rejected (a webview that is disposed never answers).
 */
export class RequestChannel<TOut extends { type: string }, TReplies, TReply extends { messageId: number; body: unknown; error?: string }> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; timer: ReturnType<typeof setTimeout> | undefined }>();

  constructor(
    private readonly post: (m: TOut) => void,
    private readonly timeoutMs = 30_000,
  ) {}

  /** Sends request `type` with `fields` under a new message id; resolves with the reply's body. */
  request<K extends keyof TReplies & TOut['type']>(type: K, fields: Omit<Extract<TOut, { type: K }>, 'type' | 'messageId'>): Promise<TReplies[K]> {
    const messageId = this.nextId++;
    return new Promise<TReplies[K]>((resolve, reject) => {
      const timer =
        this.timeoutMs > 0
          ? setTimeout(() => {
              this.pending.delete(messageId);
              reject(new Error(`No reply to ${String(type)} #${messageId}`));
            }, this.timeoutMs)
          : undefined;
      this.pending.set(messageId, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.post({ ...fields, type, messageId } as unknown as TOut);
    });
  }

  /** Settles the request a reply answers; returns false for an unknown id (late or foreign reply). */
  handleReply(reply: TReply): boolean {
    const p = this.pending.get(reply.messageId);
    if (!p) return false;
    this.pending.delete(reply.messageId);
    if (p.timer !== undefined) clearTimeout(p.timer);
    if (reply.error !== undefined) p.reject(new Error(reply.error));
    else p.resolve(reply.body);
    return true;
  }

  /** Rejects every open request (the other side went away). */
  dispose(reason = 'disposed'): void {
    for (const [, p] of this.pending) {
      if (p.timer !== undefined) clearTimeout(p.timer);
      p.reject(new Error(reason));
    }
    this.pending.clear();
  }
}
