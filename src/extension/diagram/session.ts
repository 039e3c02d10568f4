/**
 * One diagram webview's conversation, host side (see src/shared/webviewProtocol.ts). Free of the
 * vscode API so that the browser tests drive the same code against a fake language server: the
 * editor effects (save dialogs, the Problems view, the cursor) go through {@link SessionHost}.
 */
import type { RequestType } from 'vscode-languageserver-protocol';
import { ConnectionsRequest, SegmentsRequest, type ConnectionSummary } from '../../shared/lspProtocol';
import {
  FromWebview,
  MAX_CONNECTIONS_PAGE,
  RequestChannel,
  ToWebview,
  assertNever,
  type DiagramPlace,
  type DiagramSettings,
  type ExportFormat,
  type FromWebviewMessage,
  type HostRequestReplies,
  type StepKind,
  type ToWebviewMessage,
  type WebviewReplyMessage,
} from '../../shared/webviewProtocol';

export type Requester = <P, R>(type: RequestType<P, R, void>, params: P) => Promise<R>;

export interface Selection {
  uri: string;
  connection: number;
  index: number;
  line: number;
}

/** What a session needs from the extension. */
export interface SessionHost {
  request: Requester;
  settings(): DiagramSettings;
  /** A short title for a trace URI (its file name). */
  title(uri: string): string;
  /** The user stepped or clicked in the diagram: move the editor's cursor. */
  selected(sel: Selection): void;
  showProblem(sel: Selection): void;
  export(format: ExportFormat, uri: string, connection: number, svg: string | undefined): void;
  /** Where the session is now (the controller remembers it for views that open later). */
  placeChanged(place: DiagramPlace): void;
  /** Errors worth logging (never thrown at the user). */
  log(message: string): void;
  /**
   * The side bar's filter on this trace, if any: the picker lists the connections it selects
   * (an overview mark's click shows its connections in the ladder, the first one drawn).
   */
  connectionFilter?(uri: string): { filter: string; label: string } | undefined;
}

/** How long after the webview posts a selection the editor's cursor echo of it is ignored. */
const ECHO_WINDOW_MS = 2000;

interface Target {
  uri: string;
  /** 0: the default connection (the first with findings, else the first). */
  connection: number;
  index: number;
  topIndex: number;
}

export class DiagramSession {
  private ready = false;
  private target: Target | null;
  /** What the webview shows (after a Load). */
  private shown: { uri: string; connection: number } | null = null;
  private readonly channel: RequestChannel<ToWebviewMessage, HostRequestReplies, WebviewReplyMessage>;
  private loadSeq = 0;
  /** Selections the webview posted recently (index -> time), to recognize the editor's echo. */
  private readonly echoes = new Map<number, number>();

  constructor(
    private readonly post: (m: ToWebviewMessage) => void,
    private readonly host: SessionHost,
    initial: DiagramPlace | null = null,
  ) {
    this.channel = new RequestChannel(post, 15_000);
    this.target = initial ? { ...initial } : null;
  }

  get place(): { uri: string; connection: number } | null {
    return this.shown;
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Feed every message the webview posts. */
  receive(m: FromWebviewMessage): void {
    switch (m.type) {
      case FromWebview.Ready: {
        this.ready = true;
        // The host's target wins (it follows the editor); else the place the webview remembers. On
        // the same connection the webview's scroll position is kept.
        const p = m.place;
        let t: Target | null = p ? { ...p } : null;
        if (this.target) t = p && p.uri === this.target.uri && p.connection === this.target.connection ? { ...this.target, topIndex: p.topIndex } : this.target;
        if (t) void this.load(t);
        else this.post({ type: ToWebview.Empty, reason: 'Open a capture or a trace, then choose a connection to see its ladder.' });
        break;
      }
      case FromWebview.GetSegments:
        this.host.request(SegmentsRequest.type, { uri: m.uri, connection: m.connection, start: m.start, count: m.count }).then(
          (r) => this.post({ type: ToWebview.Reply, messageId: m.messageId, body: { total: r.total, segments: r.segments, timeWait: r.timeWait } }),
          (e: unknown) => this.post({ type: ToWebview.Reply, messageId: m.messageId, body: null, error: String(e) }),
        );
        break;
      case FromWebview.GetConnections: {
        // A page only: a capture may have 100,000 connections. Filtered like the side bar.
        const f = this.host.connectionFilter?.(m.uri);
        const page = { uri: m.uri, offset: Math.max(0, m.offset), limit: Math.max(0, Math.min(MAX_CONNECTIONS_PAGE, m.limit)) };
        this.host.request(ConnectionsRequest.type, f ? { ...page, filter: f.filter } : page).then(
          (r) =>
            this.post({
              type: ToWebview.Reply,
              messageId: m.messageId,
              body: {
                connections: r.connections.map((c) => ({ id: c.id, label: connectionLabel(c), findings: c.findings.length })),
                total: r.total,
                offset: r.offset,
                ...(f && r.filterErrors.length === 0 ? { filter: f.label } : {}),
              },
            }),
          (e: unknown) => this.post({ type: ToWebview.Reply, messageId: m.messageId, body: null, error: String(e) }),
        );
        break;
      }
      case FromWebview.Selected:
        this.target = { uri: m.uri, connection: m.connection, index: m.index, topIndex: -1 };
        this.echoes.set(m.index, Date.now());
        if (this.echoes.size > 64) this.echoes.delete(this.echoes.keys().next().value as number);
        this.host.placeChanged({ uri: m.uri, connection: m.connection, index: m.index, topIndex: -1 });
        this.host.selected({ uri: m.uri, connection: m.connection, index: m.index, line: m.line });
        break;
      case FromWebview.ShowProblem:
        this.host.showProblem({ uri: m.uri, connection: m.connection, index: m.index, line: m.line });
        break;
      case FromWebview.Export:
        this.host.export(m.format, m.uri, m.connection, m.svg);
        break;
      case FromWebview.PickConnection:
        void this.show(m.uri, m.connection);
        break;
      case FromWebview.Reply:
        this.channel.handleReply(m);
        break;
      default:
        assertNever(m);
    }
  }

  /** Shows a connection (0 or undefined: the default one), optionally highlighting a segment. */
  async show(uri: string, connection?: number, index = -1): Promise<void> {
    this.target = { uri, connection: connection ?? 0, index, topIndex: -1 };
    if (this.ready) await this.load(this.target);
  }

  /** The editor cursor moved onto a segment. */
  select(uri: string, connection: number, index: number): void {
    if (this.shown && this.shown.uri === uri && this.shown.connection === connection) {
      // The cursor following a step the webview itself posted (the editor answers late, after
      // debouncing): the webview may be further on already, so this must not pull it back.
      const posted = this.echoes.get(index);
      this.echoes.delete(index);
      if (posted !== undefined && Date.now() - posted < ECHO_WINDOW_MS) return;
      this.target = { uri, connection, index, topIndex: -1 };
      if (this.ready) this.post({ type: ToWebview.Select, uri, connection, index });
      return;
    }
    void this.show(uri, connection, index);
  }

  step(kind: StepKind): void {
    if (this.ready) this.post({ type: ToWebview.Step, kind });
  }

  /** The side bar's filter changed: the picker asks for its connections again. */
  filterChanged(): void {
    if (this.ready) this.post({ type: ToWebview.Picker });
  }

  settingsChanged(): void {
    if (this.ready) this.post({ type: ToWebview.Settings, settings: this.host.settings() });
  }

  /** The drawn diagram as a standalone SVG document (undefined when nothing is shown). */
  async exportSvg(): Promise<string | undefined> {
    if (!this.ready || !this.shown) return undefined;
    const r = await this.channel.request(ToWebview.GetSvg, {});
    return r.svg ?? undefined;
  }

  /** The webview went away (hidden view: it posts Ready again when shown). */
  webviewReloaded(): void {
    this.ready = false;
    this.channel.dispose('webview reloaded');
  }

  dispose(): void {
    this.ready = false;
    this.channel.dispose();
  }

  private async load(t: Target): Promise<void> {
    const seq = ++this.loadSeq;
    try {
      let id = t.connection;
      if (id <= 0) {
        // The first connection with a finding, else the first: one connection asked for, not all.
        const withFindings = await this.host.request(ConnectionsRequest.type, { uri: t.uri, withFindings: true, limit: 1 });
        const pick = withFindings.connections[0] ?? (await this.host.request(ConnectionsRequest.type, { uri: t.uri, limit: 1 })).connections[0];
        if (!pick) {
          if (seq === this.loadSeq) this.post({ type: ToWebview.Empty, reason: `${this.host.title(t.uri)} has no TCP connections.` });
          return;
        }
        id = pick.id;
      }
      const head = await this.host.request(SegmentsRequest.type, { uri: t.uri, connection: id, start: 0, count: 0 });
      if (seq !== this.loadSeq) return;
      if (!head.connection) {
        this.post({ type: ToWebview.Empty, reason: `Connection #${id} is not in ${this.host.title(t.uri)} (any more).` });
        this.shown = null;
        return;
      }
      this.target = { ...t, connection: id };
      this.shown = { uri: t.uri, connection: id };
      this.post({
        type: ToWebview.Load,
        uri: t.uri,
        title: this.host.title(t.uri),
        connection: head.connection,
        total: head.total,
        timeWait: head.timeWait,
        settings: this.host.settings(),
        index: t.index < head.total ? t.index : -1,
        topIndex: t.topIndex < head.total ? t.topIndex : -1,
      });
      this.host.placeChanged({ uri: t.uri, connection: id, index: t.index, topIndex: t.topIndex });
    } catch (e) {
      this.host.log(`diagram: loading ${t.uri} #${t.connection} failed: ${String(e)}`);
      if (seq === this.loadSeq) this.post({ type: ToWebview.Empty, reason: `The language server could not give this connection's segments: ${String(e)}` });
    }
  }
}

export function connectionLabel(c: ConnectionSummary): string {
  return `#${c.id} ${c.client.addr}:${c.client.port} → ${c.server.addr}:${c.server.port} (${c.outcome})`;
}
