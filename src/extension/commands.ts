/**
 * The commands (palette, context menus, code lenses, the side bar and the summary tab). Each takes
 * an optional resource first (a Uri, a URI string from a code lens, or a side-bar node) and works on
 * the active trace without one. Exports take an optional target Uri (no dialog; used by tests and
 * scripts) and return where they wrote.
 */
import * as vscode from 'vscode';
import { ConnectionsRequest, ExportRequest, LANG_TCPDUMP, LANG_TCPTRACE, SegmentAtRequest, StepRequest, type ConnectionSummary } from '../shared/lspProtocol';
import type { ActiveTrace } from './activeTrace';
import type { Analyses } from './analyses';
import { CAPTURE_EDITOR_VIEW_TYPE } from './capture/editor';
import { errorText, openCaptureView } from './capture/content';
import type { TeardownClient } from './client';
import { config, Setting } from './config';
import type { DiagramController, DiagramStep } from './diagramHost';
import type { Navigator } from './navigate';
import type { OverviewPanel } from './overview/panel';
import type { ConnectionsTree, TreeNode } from './tree';
import { analysisUri, captureFileOf, captureViewUri, connectionViewUri, displayName, isCaptureFile, isCaptureView, isTraceDocument, toUri, viewConnection } from './uris';

export interface CommandDeps {
  client: TeardownClient;
  analyses: Analyses;
  active: ActiveTrace;
  tree: ConnectionsTree;
  navigator: Navigator;
  diagram(): DiagramController;
  overview: OverviewPanel;
}

type ExportKind = ExportRequest.Params['kind'];

const EXPORTS: Record<ExportKind, { suffix: string; label: string; filters: Record<string, string[]>; language?: string }> = {
  'analysis-json': { suffix: '.analysis.json', label: 'Export Analysis', filters: { JSON: ['json'] } },
  'state-table': { suffix: '.states.md', label: 'Export State Table', filters: { Markdown: ['md'] } },
  mermaid: { suffix: '.mmd', label: 'Export Sequence Diagram', filters: { Mermaid: ['mmd', 'md'] } },
  tcptrace: { suffix: '.tcptrace', label: 'Convert to .tcptrace', filters: { 'TCP trace': ['tcptrace'] }, language: LANG_TCPTRACE },
  tcpdump: { suffix: '.tcpdump', label: 'Convert to tcpdump Text', filters: { 'tcpdump text': ['tcpdump', 'txt'] }, language: LANG_TCPDUMP },
};

export function registerCommands(context: vscode.ExtensionContext, d: CommandDeps): void {
  const reg = (id: string, fn: (...args: unknown[]) => unknown): void => {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await fn(...args);
        } catch (e) {
          d.client.output.error(`${id}: ${errorText(e)}`);
          void vscode.window.showErrorMessage(`Teardown Tracer: ${errorText(e)}`);
          return undefined;
        }
      }),
    );
  };

  /** The trace (analysis URI) a command works on, and a connection if the argument names one. */
  const target = (arg: unknown, connArg?: unknown): { uri: vscode.Uri; connection: number | undefined } => {
    const node = asNode(arg);
    if (node) return { uri: node.uri, connection: node.kind === 'group' || node.kind === 'more' || node.kind === 'pair' ? undefined : node.connection.id };
    const given = toUri(arg);
    const connection = typeof connArg === 'number' ? connArg : undefined;
    if (given) return { uri: analysisUri(given), connection };
    const editor = vscode.window.activeTextEditor;
    if (editor && isTraceDocument(editor.document)) return { uri: editor.document.uri, connection };
    if (d.active.uri) return { uri: d.active.uri, connection };
    throw new Error('Open a capture (.pcap, .pcapng, .cap) or a trace (.tcpdump, .tcptrace) first.');
  };

  /** The connection to show when none is named: the cursor's, else the first with a finding, else the first. */
  const defaultConnection = async (uri: vscode.Uri): Promise<number | undefined> => {
    const own = isCaptureView(uri) ? viewConnection(uri) : undefined;
    if (own !== undefined) return own;
    const editor = vscode.window.activeTextEditor;
    if (editor && editor.document.uri.toString() === uri.toString()) {
      const at = await d.client.request(SegmentAtRequest.type, { uri: uri.toString(), line: editor.selection.active.line });
      if (at) return at.connection;
    }
    return (await d.analyses.firstInteresting(uri))?.id;
  };

  reg('teardownTracer.showDiagram', async (arg?: unknown, conn?: unknown) => {
    const t = target(arg, conn);
    const connection = t.connection ?? (await defaultConnection(t.uri));
    await d.diagram().show(t.uri.toString(), connection);
  });

  reg('teardownTracer.showOverview', async (arg?: unknown) => {
    const t = target(arg);
    await d.overview.show(t.uri);
    return t.uri;
  });

  reg('teardownTracer.exportDiagramSvg', async (_arg?: unknown, targetArg?: unknown) => {
    const svg = await d.diagram().exportSvg();
    if (!svg) throw new Error('Show a connection in the ladder diagram first.');
    const target =
      toUri(targetArg) ??
      (await vscode.window.showSaveDialog({
        title: 'Export Ladder Diagram (SVG)',
        defaultUri: vscode.workspace.workspaceFolders?.[0] ? vscode.Uri.joinPath(vscode.workspace.workspaceFolders[0].uri, 'ladder.svg') : undefined,
        filters: { SVG: ['svg'] },
      }));
    if (!target) return undefined;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(svg));
    return target;
  });

  const steps: [string, DiagramStep][] = [
    ['teardownTracer.nextSegment', 'next'],
    ['teardownTracer.previousSegment', 'previous'],
    ['teardownTracer.nextFinding', 'nextFinding'],
    ['teardownTracer.previousFinding', 'previousFinding'],
    ['teardownTracer.firstSegment', 'first'],
    ['teardownTracer.lastSegment', 'last'],
  ];
  for (const [id, kind] of steps) reg(id, () => step(d, kind));

  reg('teardownTracer.filterConnections', async (arg?: unknown) => {
    if (typeof arg === 'string') {
      d.tree.setFilter(arg);
      return;
    }
    const uri = d.active.uri;
    const value = await vscode.window.showInputBox({
      title: 'Filter Connections',
      prompt: 'A display filter, as in Wireshark (a connection matches when any of its segments does). Empty shows all.',
      placeHolder: 'tcp.flags.reset == 1   ·   ip.addr == 10.0.0.1 && tcp.port == 443   ·   tcp.flags == 0x0011',
      value: d.tree.filter,
      validateInput: async (text) => {
        if (!uri || text.trim() === '') return undefined;
        try {
          // Straight to the server, not through the cache: every keystroke is a new filter. Counts only.
          const r = await d.client.request(ConnectionsRequest.type, { uri: uri.toString(), filter: text.trim(), limit: 0 });
          if (r.filterErrors.length > 0)
            return {
              message: r.filterErrors.map((e) => `${e.message} (column ${e.start + 1})`).join('; '),
              severity: vscode.InputBoxValidationSeverity.Error,
            };
          return { message: `${r.total.toLocaleString('en-US')} of the trace's connections match`, severity: vscode.InputBoxValidationSeverity.Info };
        } catch (e) {
          return { message: errorText(e), severity: vscode.InputBoxValidationSeverity.Warning };
        }
      },
    });
    if (value !== undefined) d.tree.setFilter(value);
  });

  reg('teardownTracer.clearFilter', () => d.tree.setFilter(''));
  reg('teardownTracer.loadMoreConnections', (arg?: unknown) => {
    const node = asNode(arg);
    if (node && (node.kind === 'more' || node.kind === 'group')) d.tree.loadMore(node);
  });
  reg('teardownTracer.refreshConnections', () => {
    const uri = d.active.uri;
    if (uri) d.analyses.invalidate(uri);
    else d.tree.refresh();
  });

  reg('teardownTracer.toggleRelativeSequenceNumbers', async () => {
    const cfg = config();
    const key = Setting.relativeSequenceNumbers;
    const inspect = cfg.inspect<boolean>(key);
    const where =
      inspect?.workspaceFolderValue !== undefined
        ? vscode.ConfigurationTarget.WorkspaceFolder
        : inspect?.workspaceValue !== undefined
          ? vscode.ConfigurationTarget.Workspace
          : vscode.ConfigurationTarget.Global;
    const next = !cfg.get<boolean>(key, true);
    await cfg.update(key, next, where);
    vscode.window.setStatusBarMessage(`Teardown Tracer: ${next ? 'relative' : 'absolute'} sequence numbers`, 3000);
    return next;
  });

  const exporter =
    (kind: ExportKind) =>
    async (arg?: unknown, targetArg?: unknown): Promise<vscode.Uri | undefined> => {
      const t = target(arg);
      const connection = kind === 'state-table' || kind === 'mermaid' ? t.connection : undefined;
      const params: ExportRequest.Params = connection === undefined ? { uri: t.uri.toString(), kind } : { uri: t.uri.toString(), kind, connection };
      const ask = (p: ExportRequest.Params): Thenable<ExportRequest.Result> =>
        vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `${EXPORTS[kind].label}: ${displayName(t.uri)}` }, () =>
          d.client.request(ExportRequest.type, p),
        );
      if (EXPORTS[kind].language === undefined) {
        // A file export: the destination first, then the server writes it there itself (the
        // analysis of a large capture is ~100 MB: it never crosses the protocol).
        const dest = toUri(targetArg) ?? (await saveTarget(kind, t.uri, connection));
        if (!dest) return undefined;
        if (dest.scheme === 'file') {
          const { written } = await ask({ ...params, target: dest.toString() });
          if (!targetArg) await showWritten(dest, written?.bytes ?? 0);
          return dest;
        }
        const { text } = await ask(params);
        await vscode.workspace.fs.writeFile(dest, new TextEncoder().encode(text));
        if (!targetArg) await showWritten(dest, text.length);
        return dest;
      }
      const { text } = await ask(params);
      return writeExport(kind, text, toUri(targetArg));
    };
  reg('teardownTracer.exportAnalysis', exporter('analysis-json'));
  reg('teardownTracer.exportStateTable', exporter('state-table'));
  reg('teardownTracer.exportMermaid', exporter('mermaid'));
  reg('teardownTracer.convertToTcptrace', exporter('tcptrace'));
  reg('teardownTracer.convertToTcpdump', exporter('tcpdump'));

  reg('teardownTracer.restartServer', async () => {
    await d.client.restart();
    d.tree.refresh();
  });
  reg('teardownTracer.showOutput', () => d.client.output.show(true));

  reg('teardownTracer.openCapture', async () => {
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      openLabel: 'Open',
      filters: { 'Captures and traces': ['pcap', 'pcapng', 'cap', 'tcpdump', 'tcptrace'], 'All files': ['*'] },
    });
    if (!picked?.[0]) return;
    if (isCaptureFile(picked[0])) await vscode.commands.executeCommand('vscode.openWith', picked[0], CAPTURE_EDITOR_VIEW_TYPE);
    else await vscode.window.showTextDocument(picked[0]);
  });

  reg('teardownTracer.openCaptureAsText', async (arg?: unknown) => {
    const node = asNode(arg);
    const uri = node ? node.uri : toUri(arg) ?? activeCaptureFile() ?? d.active.uri;
    if (!uri || !(isCaptureFile(uri) || isCaptureView(uri))) throw new Error('Choose a capture file (.pcap, .pcapng, .cap).');
    const view = isCaptureView(uri) ? uri : captureViewUri(uri);
    await openCaptureView(view, { preview: false });
    return view;
  });

  reg('teardownTracer.openConnectionView', async (arg?: unknown, conn?: unknown) => {
    const t = target(arg, conn);
    const connection = t.connection ?? (await defaultConnection(t.uri));
    if (connection === undefined) throw new Error(`${displayName(t.uri)} has no connections.`);
    if (!isCaptureView(t.uri)) {
      // A text trace has one document: reveal the connection in it.
      const c = await d.analyses.connection(t.uri, connection);
      if (c) await d.navigator.revealConnection(t.uri, c);
      return t.uri;
    }
    const view = connectionViewUri(captureFileOf(t.uri), connection);
    await openCaptureView(view, { preview: false });
    return view;
  });

  reg('teardownTracer.revealConnection', async (uriArg?: unknown, id?: unknown) => {
    const uri = toUri(uriArg);
    if (!uri || typeof id !== 'number') return;
    const c: ConnectionSummary | undefined = await d.analyses.connection(uri, id);
    if (c) await d.navigator.revealConnection(uri, c, { preserveFocus: true });
  });

  reg('teardownTracer.revealFinding', async (uriArg?: unknown, conn?: unknown, index?: unknown, code?: unknown, line?: unknown) => {
    const uri = toUri(uriArg);
    if (!uri || typeof conn !== 'number' || typeof index !== 'number') return;
    await d.navigator.revealFinding(uri, conn, { index, code: typeof code === 'string' ? code : '', line: typeof line === 'number' ? line : -1 }, { preserveFocus: true });
  });
}

function asNode(arg: unknown): TreeNode | undefined {
  if (typeof arg === 'object' && arg !== null && 'kind' in arg && 'uri' in arg) {
    const k = (arg as { kind: unknown }).kind;
    if (k === 'group' || k === 'connection' || k === 'finding' || k === 'more') return arg as TreeNode;
  }
  return undefined;
}

function activeCaptureFile(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputCustom && input.viewType === CAPTURE_EDITOR_VIEW_TYPE ? input.uri : undefined;
}

/** Writes an export to `target`, or asks where (a save dialog; conversions open as new documents). */
/** A conversion: written to the target, else opened as an untitled document in its language. */
async function writeExport(kind: ExportKind, text: string, target: vscode.Uri | undefined): Promise<vscode.Uri | undefined> {
  const spec = EXPORTS[kind];
  if (target) {
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
    return target;
  }
  // Analyzed at once, saved when wanted.
  const doc = await vscode.workspace.openTextDocument({ language: spec.language, content: text });
  await vscode.window.showTextDocument(doc, { preview: false });
  return doc.uri;
}

/** Where a file export goes: a save dialog next to the trace, named after it. */
async function saveTarget(kind: ExportKind, source: vscode.Uri, connection: number | undefined): Promise<vscode.Uri | undefined> {
  const spec = EXPORTS[kind];
  const base = isCaptureView(source) ? captureFileOf(source) : source;
  const stem = base.path.slice(base.path.lastIndexOf('/') + 1).replace(/\.[^.]+$/, '') || 'trace';
  const name = `${stem}${connection !== undefined ? `-conn${connection}` : ''}${spec.suffix}`;
  const folder = base.scheme === 'file' ? vscode.Uri.joinPath(base, '..') : vscode.workspace.workspaceFolders?.[0]?.uri;
  return vscode.window.showSaveDialog({ title: spec.label, defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined, filters: spec.filters });
}

/** Exports up to 8 MB open in an editor; larger ones are announced with their size. */
async function showWritten(dest: vscode.Uri, bytes: number): Promise<void> {
  if (bytes <= 8 * 1024 * 1024) {
    await vscode.window.showTextDocument(dest, { preview: true });
    return;
  }
  void vscode.window.showInformationMessage(`Teardown Tracer: wrote ${(bytes / 1e6).toFixed(1)} MB to ${dest.fsPath || dest.toString()}.`, 'Open').then((choice) => {
    if (choice === 'Open') void vscode.window.showTextDocument(dest, { preview: true });
  });
}

/**
 * Stepping. With a trace in the active editor, the editor leads: the server says where the step
 * goes (`teardown/step`: it knows every connection, the client needs none), the cursor moves there
 * and the diagram follows. Otherwise (the diagram has the focus) the diagram steps and tells the
 * editor where it went.
 */
async function step(d: CommandDeps, kind: DiagramStep): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || !isTraceDocument(editor.document)) {
    d.diagram().stepCommand(kind);
    return;
  }
  const uri = editor.document.uri;
  const dest = await d.client.request(StepRequest.type, { uri: uri.toString(), line: editor.selection.active.line, kind });
  if (!dest) {
    if (kind === 'nextFinding' || kind === 'previousFinding') vscode.window.setStatusBarMessage('Teardown Tracer: no findings in this trace', 3000);
    return;
  }
  if (dest.line >= 0) await d.navigator.revealLine(uri, dest.line);
  d.diagram().select(uri.toString(), dest.connection, dest.index);
}
