/**
 * The extension entry point (issue 5): a thin client. It starts the language server (which owns all
 * analysis), opens captures as read-only views, and hosts the side bar, the status bar, the commands
 * and the diagram (src/extension/diagram). Nothing here decodes or analyzes anything.
 */
import * as vscode from 'vscode';
import { SegmentAtRequest } from '../shared/lspProtocol';
import { ActiveTrace } from './activeTrace';
import { Analyses } from './analyses';
import { CaptureContentProvider, errorText } from './capture/content';
import { CaptureEditorProvider } from './capture/editor';
import { TeardownClient } from './client';
import { registerCommands } from './commands';
import { createDiagram, type DiagramController } from './diagramHost';
import { Navigator } from './navigate';
import { OverviewPanel } from './overview/panel';
import { OtherSide } from './otherSide';
import { TraceStatusBar } from './statusBar';
import { ConnectionsTree } from './tree';
import { isTraceDocument } from './uris';

/** What `activate` returns: the integration tests (and other extensions) reach the views through it. */
export interface TeardownTracerApi {
  client: TeardownClient;
  analyses: Analyses;
  activeTrace: ActiveTrace;
  connectionsTree: ConnectionsTree;
  statusBar: TraceStatusBar;
  captureContent: CaptureContentProvider;
  diagram: DiagramController;
  overview: OverviewPanel;
  /** "Add the Other Side's Capture" (issue 15). */
  otherSide: OtherSide;
  /** Resolves once the language server runs (rejects if it cannot start). */
  ready(): Promise<void>;
}

let client: TeardownClient | undefined;

export function activate(context: vscode.ExtensionContext): TeardownTracerApi {
  const output = vscode.window.createOutputChannel('Teardown Tracer', { log: true });
  client = new TeardownClient(context, output);
  const c = client;
  const analyses = new Analyses(c);
  const active = new ActiveTrace();
  const content = new CaptureContentProvider(c);
  const tree = new ConnectionsTree(active, analyses);
  const treeView = vscode.window.createTreeView('teardownTracer.connections', { treeDataProvider: tree, showCollapseAll: true });
  tree.attach(treeView);
  const statusBar = new TraceStatusBar(active, analyses, c);
  context.subscriptions.push(output, c, analyses, active, content, tree, treeView, statusBar);

  // The navigator and the diagram need each other: the closure reads `ctl` only after both exist.
  const navigator = new Navigator(analyses, () => ctl);
  const ctl: DiagramController = createDiagram(
    context,
    c,
    (uri, line) => {
      navigator.revealFromDiagram(uri, line).then(undefined, (err: unknown) => output.warn(`reveal ${uri}:${line}: ${errorText(err)}`));
    },
    async () => (active.uri ? { uri: active.uri.toString(), connection: (await analyses.firstInteresting(active.uri))?.id } : undefined),
    (uri) => tree.filterOn(uri),
  );
  context.subscriptions.push(tree.onDidChangeFilter(() => ctl.filterChanged()));

  context.subscriptions.push(
    CaptureEditorProvider.register({
      analyses,
      content,
      revealFinding: (view, connection, index, code, line) => navigator.revealFinding(view, connection, { index, code, line }),
    }),
  );
  const overview = new OverviewPanel(context, { client: c, analyses, active, tree, diagram: () => ctl });
  context.subscriptions.push(overview);
  registerCommands(context, { client: c, analyses, active, tree, navigator, diagram: () => ctl, overview });
  context.subscriptions.push(followCursor(c, navigator, ctl));
  const otherSide = new OtherSide(context, { client: c, analyses, active, content, diagram: () => ctl });

  // Start the server now: the first capture or trace opened should not wait for it.
  c.ready().then(
    () => undefined,
    (e: unknown) => {
      void vscode.window.showErrorMessage(`Teardown Tracer: the language server did not start (${errorText(e)}).`, 'Show Output').then((choice) => {
        if (choice) output.show(true);
      });
    },
  );

  return {
    client: c,
    analyses,
    activeTrace: active,
    connectionsTree: tree,
    statusBar,
    captureContent: content,
    diagram: ctl,
    overview,
    otherSide,
    ready: () => c.ready().then(() => undefined),
  };
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}

/** Editor → diagram: the cursor's segment is highlighted in the diagram (debounced while typing or scrolling). */
function followCursor(c: TeardownClient, navigator: Navigator, diagram: DiagramController): vscode.Disposable {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let generation = 0;
  const sub = vscode.window.onDidChangeTextEditorSelection((e) => {
    const doc = e.textEditor.document;
    if (!isTraceDocument(doc)) return;
    const line = e.selections[0]?.active.line ?? 0;
    if (navigator.isEcho(doc.uri, line)) return;
    if (timer) clearTimeout(timer);
    const gen = ++generation;
    timer = setTimeout(() => {
      timer = undefined;
      c.request(SegmentAtRequest.type, { uri: doc.uri.toString(), line }).then(
        (at) => {
          if (at && gen === generation) diagram.select(doc.uri.toString(), at.connection, at.index);
        },
        () => undefined,
      );
    }, 120);
  });
  return new vscode.Disposable(() => {
    if (timer) clearTimeout(timer);
    sub.dispose();
  });
}
