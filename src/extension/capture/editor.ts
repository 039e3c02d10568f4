/**
 * Opening a capture from the Explorer. `*.pcap`, `*.pcapng` and `*.cap` open in a read-only custom
 * editor (priority default), so VS Code never shows its binary-file warning. Resolving it:
 *  1. shows the capture's summary in the tab itself (a small webview: how the connections ended,
 *     findings by code, the connections with their findings, and buttons), and
 *  2. opens the capture's text view, the read-only virtual document `teardown-capture:…?view=all`
 *     (language tcpdump-text), in the same group (setting `teardownTracer.captureEditor.openText`),
 *     where the server's hovers, inlay hints, diagnostics, outline and code lenses live.
 * The server decodes the file; the text view is paged by `teardownTracer.maxSegmentsShown`, and
 * every connection also has its own view (`?conn=N`). The summary asks the server for the counts
 * and the first {@link SUMMARY_MAX_ROWS} connections only (`limit`), never every connection.
 */
import * as vscode from 'vscode';
import type { ConnectionsRequest } from '../../shared/lspProtocol';
import type { Analyses } from '../analyses';
import { captureOpenText } from '../config';
import { closedBy, endpoint, OUTCOMES, SEVERITY_RANK } from '../outcomes';
import { captureViewUri, connectionViewUri, displayName } from '../uris';
import { errorText, openCaptureView, type CaptureContentProvider, type ViewInfo } from './content';
import { summaryHtml } from './summaryHtml';
import { SUMMARY_MAX_ROWS, type FromSummary, type SummaryData, type ToSummary } from './summaryProtocol';

export const CAPTURE_EDITOR_VIEW_TYPE = 'teardownTracer.capture';

export interface CaptureEditorDeps {
  analyses: Analyses;
  content: CaptureContentProvider;
  /** Reveal a finding of a connection (side bar, editor and diagram). */
  revealFinding(view: vscode.Uri, connection: number, index: number, code: string, line: number): Promise<void>;
}

export class CaptureEditorProvider implements vscode.CustomReadonlyEditorProvider {
  private readonly panels = new Map<string, vscode.WebviewPanel>();

  constructor(private readonly deps: CaptureEditorDeps) {}

  static register(deps: CaptureEditorDeps): vscode.Disposable {
    return vscode.window.registerCustomEditorProvider(CAPTURE_EDITOR_VIEW_TYPE, new CaptureEditorProvider(deps), {
      supportsMultipleEditorsPerDocument: true,
      webviewOptions: { enableFindWidget: true },
    });
  }

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const file = document.uri;
    const view = captureViewUri(file);
    this.panels.set(file.toString(), panel);
    panel.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [] };
    panel.webview.html = summaryHtml(panel.webview.cspSource, displayName(file));

    const post = (m: ToSummary): void => void panel.webview.postMessage(m);
    let ready = false;
    const send = async (): Promise<void> => {
      if (!ready) return;
      try {
        // The counts and the first rows only, however many connections the capture has.
        const result = await this.deps.analyses.connections(view, { limit: SUMMARY_MAX_ROWS });
        post({ type: 'data', data: summaryData(file, result, this.deps.content.viewInfo(view)) });
      } catch (e) {
        post({ type: 'error', message: `The language server could not analyze ${displayName(file)}: ${errorText(e)}` });
      }
    };
    const subs = [
      this.deps.analyses.onDidChange((uri) => {
        if (!uri || uri.toString() === view.toString()) void send();
      }),
      this.deps.content.onDidChangeInfo((uri) => {
        if (uri.toString() === view.toString()) void send();
      }),
      panel.webview.onDidReceiveMessage((m: FromSummary) => {
        void this.onMessage(m, file, view, panel).catch((e: unknown) => void vscode.window.showErrorMessage(errorText(e)));
        if (m.type === 'ready') {
          ready = true;
          void send();
        }
      }),
    ];
    panel.onDidDispose(() => {
      for (const s of subs) s.dispose();
      if (this.panels.get(file.toString()) === panel) this.panels.delete(file.toString());
    });

    const where = captureOpenText();
    if (where !== 'never' && !isOpenInTab(view))
      // The text view becomes the active editor of the group; the summary stays in its tab.
      void openCaptureView(view, {
        viewColumn: where === 'beside' ? vscode.ViewColumn.Beside : panel.viewColumn,
        preview: false,
      }).then(undefined, (e: unknown) => void vscode.window.showErrorMessage(`Cannot open ${displayName(file)}: ${errorText(e)}`));
  }

  private async onMessage(m: FromSummary, file: vscode.Uri, view: vscode.Uri, panel: vscode.WebviewPanel): Promise<void> {
    switch (m.type) {
      case 'ready':
        return;
      case 'action':
        switch (m.action) {
          case 'openText':
            await openCaptureView(view, { viewColumn: panel.viewColumn, preview: false });
            return;
          case 'showDiagram':
            await vscode.commands.executeCommand('teardownTracer.showDiagram', view);
            return;
          case 'showOverview':
            await vscode.commands.executeCommand('teardownTracer.showOverview', view);
            return;
          case 'openSideBar':
            await vscode.commands.executeCommand('teardownTracer.connections.focus');
            return;
          case 'exportAnalysis':
            await vscode.commands.executeCommand('teardownTracer.exportAnalysis', file);
            return;
          case 'exportStateTable':
            await vscode.commands.executeCommand('teardownTracer.exportStateTable', file);
            return;
          case 'convertToTcptrace':
            await vscode.commands.executeCommand('teardownTracer.convertToTcptrace', file);
            return;
          case 'convertToTcpdump':
            await vscode.commands.executeCommand('teardownTracer.convertToTcpdump', file);
            return;
        }
        return;
      case 'openConnection':
        await openCaptureView(connectionViewUri(file, m.connection), { viewColumn: panel.viewColumn, preview: false });
        return;
      case 'connectionDiagram':
        await vscode.commands.executeCommand('teardownTracer.showDiagram', view, m.connection);
        return;
      case 'revealFinding': {
        const c = await this.deps.analyses.connection(view, m.connection);
        const f = c?.findings.find((x) => x.index === m.index);
        await this.deps.revealFinding(view, m.connection, m.index, f?.code ?? '', m.line);
        return;
      }
    }
  }
}

function isOpenInTab(uri: vscode.Uri): boolean {
  const key = uri.toString();
  return vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === key));
}

/** The summary tab's data from a `teardown/connections` answer: counts from its `summary`, rows from its page. */
export function summaryData(file: vscode.Uri, result: ConnectionsRequest.Result, view: ViewInfo | undefined): SummaryData {
  const s = result.summary;
  const rank = (sev: string): number => SEVERITY_RANK[sev as keyof typeof SEVERITY_RANK] ?? 9;
  const byCode = Object.entries(s.byCode).map(([code, e]) => ({ code, severity: e.severity, count: e.count }));
  return {
    file: displayName(file),
    input: result.input,
    view: view ?? null,
    outcomes: OUTCOMES.map((o) => ({ outcome: o.outcome, label: o.label, count: s.outcomes[o.outcome] ?? 0 })),
    findingsByCode: byCode.sort((a, b) => rank(a.severity) - rank(b.severity) || b.count - a.count || a.code.localeCompare(b.code)),
    connections: result.connections.slice(0, SUMMARY_MAX_ROWS).map((c) => ({
      id: c.id,
      client: endpoint(c.client),
      server: endpoint(c.server),
      outcome: c.outcome,
      closedBy: closedBy(c),
      segments: c.segments,
      findings: c.findings.map((f) => ({ code: f.code, severity: f.severity, message: f.message, index: f.index, line: f.line })),
    })),
    totalConnections: result.total,
  };
}
