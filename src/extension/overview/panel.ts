/**
 * The Teardown overview panel (issue 16): a webview in the editor area drawing the active trace's
 * overview (the language server's `teardown/overview`: counts and bins, never the connections).
 * It follows the active trace and its re-analyses. A click on a mark asks the server which
 * connections are behind it, filters the side bar to them (a `tcp.stream in {...}` display filter,
 * named after the mark) and shows the first in the ladder.
 */
import * as vscode from 'vscode';
import { OverviewRequest } from '../../shared/lspProtocol';
import { overviewPageHtml } from '../../shared/overviewPage';
import type { FromOverview, ToOverview } from '../../shared/overviewProtocol';
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
    );
  }

  /** Opens (or reveals) the panel on a trace. */
  async show(uri: vscode.Uri): Promise<void> {
    if (!this.panel) {
      const panel = vscode.window.createWebviewPanel(OVERVIEW_VIEW_TYPE, 'Teardown Overview', vscode.ViewColumn.Active, {
        enableScripts: true,
        localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'dist')],
      });
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
        this.panel = undefined;
        this.ready = false;
      });
      panel.webview.html = overviewPageHtml({
        nonce: makeNonce(),
        title: 'Teardown Overview',
        webview: { scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'overview.js')).toString() },
      });
    } else this.panel.reveal(undefined, false);
    await this.load(uri);
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
      if (r.overview) this.post({ type: 'overview', overview: r.overview, title: `Overview: ${displayName(uri)}` });
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
