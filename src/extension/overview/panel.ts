/**
 * The Teardown overview panel (issue 16): a webview in the editor area drawing the active trace's
 * overview (the language server's `teardown/overview`: counts and bins, never the connections).
 * It follows the active trace and its re-analyses. A click on a mark asks the server which
 * connections are behind it, filters the side bar to them (a `tcp.stream in {...}` display filter,
 * named after the mark) and shows the first in the ladder. The page keeps the trace's URI with
 * setState, and the panel's serializer (registered here, with the `onWebviewPanel:` activation
 * event in package.json) draws the same trace's overview again after a window reload.
 */
import * as vscode from 'vscode';
import { OverviewRequest } from '../../shared/lspProtocol';
import { overviewPageHtml } from '../../shared/overviewPage';
import { overviewStateOf, type FromOverview, type ToOverview } from '../../shared/overviewProtocol';
import type { ActiveTrace } from '../activeTrace';
import type { Analyses } from '../analyses';
import type { TeardownClient } from '../client';
import { errorText } from '../capture/content';
import { makeNonce } from '../diagram/html';
import type { DiagramController } from '../diagramHost';
import type { ConnectionsTree } from '../tree';
import { displayName } from '../uris';

export const OVERVIEW_VIEW_TYPE = 'teardownTracer.overview';

export interface OverviewDeps {
  client: TeardownClient;
  analyses: Analyses;
  active: ActiveTrace;
  tree: ConnectionsTree;
  diagram(): DiagramController;
}

/** What the panel did last, for the integration tests. */
export interface OverviewState {
  uri: string | undefined;
  drawn: OverviewRequest.Result['overview'];
  selection: OverviewRequest.Result['selection'];
}

export class OverviewPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private uri: vscode.Uri | undefined;
  private ready = false;
  private generation = 0;
  private readonly subs: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<OverviewState>();
  /** After the panel drew an overview or applied a selection. */
  readonly onDidChange = this.changed.event;
  readonly state: OverviewState = { uri: undefined, drawn: null, selection: undefined };

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly deps: OverviewDeps,
  ) {
    this.subs.push(
      deps.active.onDidChange((uri) => {
        if (this.panel && uri && uri.toString() !== this.uri?.toString()) void this.load(uri);
      }),
      deps.analyses.onDidChange((uri) => {
        if (this.panel && this.uri && (!uri || uri.toString() === this.uri.toString())) void this.load(this.uri);
      }),
      // A panel open when the window was reloaded (or VS Code restarted) comes back here.
      vscode.window.registerWebviewPanelSerializer(OVERVIEW_VIEW_TYPE, {
        deserializeWebviewPanel: (panel, state) => this.restore(panel, state),
      }),
    );
  }

  /** Opens (or reveals) the panel on a trace. */
  async show(uri: vscode.Uri): Promise<void> {
    if (!this.panel) {
      this.adopt(
        vscode.window.createWebviewPanel(OVERVIEW_VIEW_TYPE, 'Teardown Overview', vscode.ViewColumn.Active, {
          enableScripts: true,
          localResourceRoots: this.roots(),
        }),
      );
    } else this.panel.reveal(undefined, false);
    await this.load(uri);
  }

  /**
   * A panel VS Code restored after a reload, with the state its page kept (the trace's URI): the
   * same trace's overview is drawn again. The server reads a capture, or a trace file not open in
   * an editor, from its file. Without a usable state, or when a panel is open already, it is closed.
   */
  async restore(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const s = overviewStateOf(state);
    if (this.panel || s === null) {
      panel.dispose();
      return;
    }
    panel.webview.options = { enableScripts: true, localResourceRoots: this.roots() };
    this.adopt(panel);
    await this.load(vscode.Uri.parse(s.uri));
  }

  private roots(): vscode.Uri[] {
    return [vscode.Uri.joinPath(this.context.extensionUri, 'dist')];
  }

  /** Makes a panel (new or restored) this one: its page, messages and lifetime. */
  private adopt(panel: vscode.WebviewPanel): void {
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, 'media', 'icons', 'teardown.svg');
    this.panel = panel;
    this.ready = false;
    const subs = [
      panel.webview.onDidReceiveMessage((m: FromOverview) => void this.receive(m)),
      panel.onDidChangeViewState((e) => {
        // VS Code discards a hidden webview's page; it says ready again when shown.
        if (!e.webviewPanel.visible) this.ready = false;
      }),
    ];
    panel.onDidDispose(() => {
      subs.forEach((d) => d.dispose());
      if (this.panel === panel) {
        this.panel = undefined;
        this.ready = false;
      }
    });
    panel.webview.html = overviewPageHtml({
      nonce: makeNonce(),
      title: 'Teardown Overview',
      webview: { scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'overview.js')).toString() },
    });
  }

  private post(m: ToOverview): void {
    if (this.panel && this.ready) void this.panel.webview.postMessage(m);
  }

  /** Asks the server for the trace's overview and draws it (when the page is ready). */
  private async load(uri: vscode.Uri): Promise<void> {
    this.uri = uri;
    this.state.uri = uri.toString();
    const gen = ++this.generation;
    if (!this.panel) return;
    this.panel.title = `Overview: ${displayName(uri)}`;
    this.post({ type: 'status', message: `Analyzing ${displayName(uri)}…` });
    try {
      const r = await vscode.window.withProgress({ location: { viewId: 'teardownTracer.connections' } }, () =>
        this.deps.client.request(OverviewRequest.type, { uri: uri.toString() }),
      );
      if (gen !== this.generation) return;
      this.state.drawn = r.overview;
      if (r.overview) this.post({ type: 'overview', overview: r.overview, title: `Overview: ${displayName(uri)}`, uri: uri.toString() });
      else this.post({ type: 'status', message: `${displayName(uri)} is not open.` });
      this.changed.fire(this.state);
    } catch (e) {
      if (gen === this.generation) this.post({ type: 'status', message: `The language server could not analyze ${displayName(uri)}: ${errorText(e)}` });
    }
  }

  private async receive(m: FromOverview): Promise<void> {
    if (m.type === 'ready') {
      this.ready = true;
      if (this.uri) await this.load(this.uri);
      return;
    }
    if (m.type === 'select' && this.uri) await this.select(m.key, m.label);
  }

  /** The connections behind a mark: the side bar lists them, the ladder shows the first. */
  async select(key: string, label: string): Promise<OverviewRequest.Result['selection']> {
    const uri = this.uri;
    if (!uri) return undefined;
    const r = await this.deps.client.request(OverviewRequest.type, { uri: uri.toString(), select: key });
    const sel = r.selection;
    if (!sel || uri !== this.uri) return undefined;
    this.state.selection = sel;
    if (sel.count > 0) {
      this.deps.tree.setFilter(sel.filter, label);
      if (sel.first !== null) await this.deps.diagram().show(uri.toString(), sel.first);
    }
    this.post({ type: 'selected', key, label, count: sel.count, shown: sel.first });
    this.changed.fire(this.state);
    return sel;
  }

  dispose(): void {
    this.panel?.dispose();
    this.subs.forEach((d) => d.dispose());
    this.changed.dispose();
  }
}
