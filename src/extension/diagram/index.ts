/**
 * The diagram's host side: a webview view in the Teardown side bar (`teardownTracer.diagram`) and
 * an editor-panel variant (`teardownTracer.diagramPanel`, restored by a serializer), each driven by
 * a {@link DiagramSession}. No `retainContextWhenHidden`: the webview keeps its place with
 * getState/setState and the session re-sends it after the Ready handshake.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { RequestType } from 'vscode-languageserver-protocol';
import { ExportRequest } from '../../shared/lspProtocol';
import type { DiagramPlace, DiagramSettings, ExportFormat, FromWebviewMessage, StepKind, ToWebviewMessage } from '../../shared/webviewProtocol';
import { diagramHtml, makeNonce } from './html';
import { DiagramSession, type Selection, type SessionHost } from './session';
import './modelCheck';

export const VIEW_ID = 'teardownTracer.diagram';
export const PANEL_VIEW_TYPE = 'teardownTracer.diagramPanel';
export const OPEN_PANEL_COMMAND = 'teardownTracer.openDiagramPanel';
/** The setting the arrow labels follow. */
export const RELATIVE_SETTING = 'teardownTracer.relativeSequenceNumbers';

export interface DiagramDeps {
  request<P, R>(type: RequestType<P, R, void>, params: P): Promise<R>;
  revealSegment(uri: string, line: number): void;
  /** What a panel opened with nothing named and nothing selected yet shows: the active trace's connection. */
  defaultPlace?(): Promise<{ uri: string; connection?: number } | undefined>;
  /** The side bar's filter on a trace (the picker lists what it selects). */
  connectionFilter?(uri: string): { filter: string; label: string } | undefined;
}

export interface DiagramController {
  show(uri: string, connection?: number): Promise<void>;
  select(uri: string, connection: number, index: number): void;
  stepCommand(kind: StepKind): void;
  exportSvg(): Promise<string | undefined>;
  /** Opens the diagram as an editor panel on a connection (what `teardownTracer.openDiagramPanel` does). */
  showPanel(uri: string, connection?: number): Promise<void>;
  readonly onDidSelect: vscode.Event<{ uri: string; connection: number; index: number; line: number }>;
  /** The connection the side bar's ladder shows (once loaded), or null. */
  readonly shown: { uri: string; connection: number } | null;
  /** When a ladder's place changes (a connection loaded, a step). */
  readonly onDidChangePlace: vscode.Event<DiagramPlace>;
  /** The side bar's filter changed: every ladder's picker lists its connections again. */
  filterChanged(): void;
}

interface Host {
  session: DiagramSession;
  webview: vscode.Webview;
  kind: 'view' | 'panel';
  /** Last time it was active or visible (the target of step commands and exportSvg). */
  lastActive: number;
  isVisible(): boolean;
}

export function registerDiagram(context: vscode.ExtensionContext, deps: DiagramDeps): DiagramController {
  const onDidSelect = new vscode.EventEmitter<Selection>();
  const onDidChangePlace = new vscode.EventEmitter<DiagramPlace>();
  const hosts = new Set<Host>();
  let current: DiagramPlace | null = null;
  let clock = 0;
  const log = vscode.window.createOutputChannel('Teardown Tracer Diagram', { log: true });

  const settings = (): DiagramSettings => ({
    relativeSequenceNumbers: vscode.workspace.getConfiguration().get<boolean>(RELATIVE_SETTING, true),
  });

  const roots = [vscode.Uri.joinPath(context.extensionUri, 'dist'), vscode.Uri.joinPath(context.extensionUri, 'media')];

  const sessionHost: SessionHost = {
    request: (type, params) => deps.request(type, params),
    settings,
    title: (uri) => titleOf(uri),
    selected: (sel) => {
      onDidSelect.fire(sel);
      if (sel.line >= 0) deps.revealSegment(sel.uri, sel.line);
    },
    showProblem: (sel) => {
      void vscode.commands.executeCommand('workbench.actions.view.problems');
      if (sel.line >= 0) deps.revealSegment(sel.uri, sel.line);
    },
    export: (format, uri, connection, svg) => void exportTo(format, uri, connection, svg),
    placeChanged: (p) => {
      current = p;
      onDidChangePlace.fire(p);
    },
    log: (m) => log.warn(m),
    connectionFilter: (uri) => deps.connectionFilter?.(uri),
  };

  function attach(webview: vscode.Webview, kind: 'view' | 'panel', isVisible: () => boolean, initial: DiagramPlace | null, disposables: vscode.Disposable[]): Host {
    webview.options = { enableScripts: true, localResourceRoots: roots };
    const session = new DiagramSession((m: ToWebviewMessage) => void webview.postMessage(m), sessionHost, initial);
    const host: Host = { session, webview, kind, lastActive: ++clock, isVisible };
    hosts.add(host);
    disposables.push(webview.onDidReceiveMessage((m: FromWebviewMessage) => session.receive(m)));
    setHtml(webview, kind);
    return host;
  }

  function setHtml(webview: vscode.Webview, kind: 'view' | 'panel'): void {
    webview.html = diagramHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(context.extensionUri, 'media', 'webview', 'diagram.css')).toString(),
      kind,
    });
  }

  // ---- the side-bar view
  let viewHost: Host | undefined;
  context.subscriptions.push(
    vscode.window.registerWebviewViewProvider(VIEW_ID, {
      resolveWebviewView(v) {
        const subs: vscode.Disposable[] = [];
        const host = attach(v.webview, 'view', () => v.visible, current, subs);
        viewHost = host;
        subs.push(
          v.onDidChangeVisibility(() => {
            if (v.visible) host.lastActive = ++clock;
            // Hidden: VS Code discards the page; it says Ready again when shown.
            else host.session.webviewReloaded();
          }),
          v.onDidDispose(() => {
            host.session.dispose();
            hosts.delete(host);
            if (viewHost === host) viewHost = undefined;
            subs.forEach((d) => d.dispose());
          }),
        );
      },
    }),
  );

  // ---- the editor panel
  function adoptPanel(panel: vscode.WebviewPanel, initial: DiagramPlace | null): Host {
    const subs: vscode.Disposable[] = [];
    const host = attach(panel.webview, 'panel', () => panel.visible, initial, subs);
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'webview', 'ladder.svg');
    subs.push(
      panel.onDidChangeViewState((e) => {
        if (e.webviewPanel.active) host.lastActive = ++clock;
        if (!e.webviewPanel.visible) host.session.webviewReloaded();
      }),
      panel.onDidDispose(() => {
        host.session.dispose();
        hosts.delete(host);
        subs.forEach((d) => d.dispose());
      }),
    );
    return host;
  }

  context.subscriptions.push(
    vscode.commands.registerCommand(OPEN_PANEL_COMMAND, async (uri?: string, connection?: number) => {
      const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, 'TCP Ladder', vscode.ViewColumn.Beside, {
        enableScripts: true,
        localResourceRoots: roots,
      });
      const host = adoptPanel(panel, current);
      if (typeof uri === 'string') await host.session.show(uri, connection);
      else if (current === null) {
        // From the palette before anything was selected: the active trace, as the side bar's view does.
        const place = await deps.defaultPlace?.();
        if (place) await host.session.show(place.uri, place.connection);
      }
    }),
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        const place = (state as { place?: DiagramPlace | null } | undefined)?.place ?? null;
        adoptPanel(panel, place);
        return Promise.resolve();
      },
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(RELATIVE_SETTING)) for (const h of hosts) h.session.settingsChanged();
    }),
    onDidSelect,
    onDidChangePlace,
    log,
  );

  /** The diagram that step commands and exports act on: the active panel, else the visible one used last. */
  function activeHost(): Host | undefined {
    let best: Host | undefined;
    for (const h of hosts) if (h.isVisible() && (!best || h.lastActive > best.lastActive)) best = h;
    return best ?? viewHost;
  }

  async function exportTo(format: ExportFormat, uri: string, connection: number, svg: string | undefined): Promise<void> {
    try {
      const base = `${titleOf(uri).replace(/\.[^.]*$/, '')}-conn${connection}`;
      if (format === 'svg') {
        if (!svg) return;
        const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
        const target = await vscode.window.showSaveDialog({
          defaultUri: folder ? vscode.Uri.joinPath(folder, `${base}.svg`) : undefined,
          filters: { SVG: ['svg'] },
          saveLabel: 'Export diagram',
        });
        if (!target) return;
        await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(svg));
        return;
      }
      const { text } = await deps.request(ExportRequest.type, { uri, kind: format, connection });
      const language = format === 'state-table' ? 'markdown' : (await vscode.languages.getLanguages()).includes('mermaid') ? 'mermaid' : 'plaintext';
      const doc = await vscode.workspace.openTextDocument({ content: text, language });
      await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: false });
    } catch (e) {
      void vscode.window.showErrorMessage(`Teardown Tracer: the ${format} export failed: ${String(e)}`);
    }
  }

  return {
    filterChanged(): void {
      for (const h of hosts) h.session.filterChanged();
    },
    async show(uri: string, connection?: number): Promise<void> {
      current = { uri, connection: connection ?? 0, index: -1, topIndex: -1 };
      await vscode.commands.executeCommand(`${VIEW_ID}.focus`);
      const targets = [...hosts].filter((h) => h.kind === 'view' || h.isVisible());
      await Promise.all(targets.map((h) => h.session.show(uri, connection)));
    },
    async showPanel(uri: string, connection?: number): Promise<void> {
      await vscode.commands.executeCommand(OPEN_PANEL_COMMAND, uri, connection);
    },
    select(uri: string, connection: number, index: number): void {
      current = { uri, connection, index, topIndex: -1 };
      for (const h of hosts) {
        const p = h.session.place;
        // Follow the cursor within the trace a diagram shows (another trace's cursor leaves it alone).
        if (!p || p.uri === uri) h.session.select(uri, connection, index);
      }
    },
    stepCommand(kind: StepKind): void {
      activeHost()?.session.step(kind);
    },
    async exportSvg(): Promise<string | undefined> {
      return activeHost()?.session.exportSvg();
    },
    onDidSelect: onDidSelect.event,
    get shown() {
      return viewHost?.session.place ?? null;
    },
    onDidChangePlace: onDidChangePlace.event,
  };
}

function titleOf(uri: string): string {
  try {
    const u = vscode.Uri.parse(uri);
    return path.posix.basename(u.path) || uri;
  } catch {
    return uri;
  }
}
