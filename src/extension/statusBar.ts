/** The status-bar item summarizing the active trace: connections and findings, problems first. */
import * as vscode from 'vscode';
import type { ConnectionsRequest } from '../shared/lspProtocol';
import type { ActiveTrace } from './activeTrace';
import type { Analyses } from './analyses';
import type { TeardownClient } from './client';
import { OUTCOMES } from './outcomes';
import { displayName } from './uris';

export class TraceStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[];
  private generation = 0;

  constructor(
    private readonly active: ActiveTrace,
    private readonly analyses: Analyses,
    private readonly client: TeardownClient,
  ) {
    this.item = vscode.window.createStatusBarItem('teardownTracer.summary', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Teardown Tracer';
    this.item.command = 'teardownTracer.connections.focus';
    this.disposables = [
      this.item,
      active.onDidChange(() => void this.update()),
      analyses.onDidChange((uri) => {
        if (!uri || uri.toString() === active.uri?.toString()) void this.update();
      }),
      analyses.onDidFetch((uri) => {
        if (uri.toString() === active.uri?.toString()) void this.update();
      }),
    ];
    void this.update();
  }

  /** The text shown, for tests. */
  get text(): string {
    return this.item.text;
  }

  /**
   * The counts come from the server's analysisChanged notification (cheap even for a capture of a
   * million packets); the outcome breakdown in the tooltip from the connections the side bar or the
   * summary already fetched. Only before any notification does it ask for the connections itself.
   */
  private async update(): Promise<void> {
    const gen = ++this.generation;
    const uri = this.active.uri;
    if (!uri) {
      this.item.hide();
      return;
    }
    const note = this.client.lastAnalysis(uri);
    let result: ConnectionsRequest.Result | undefined;
    try {
      const pending = this.analyses.peek(uri) ?? (note ? undefined : this.analyses.connections(uri));
      result = pending ? await pending : undefined;
    } catch {
      result = undefined;
    }
    if (gen !== this.generation) return;
    const connections = note?.connections ?? result?.connections.length;
    const findings = note?.findings ?? result?.connections.reduce((n, c) => n + c.findings.length, 0);
    if (connections === undefined || findings === undefined) {
      this.item.text = '$(loading~spin) Teardown';
      this.item.tooltip = `Analyzing ${displayName(uri)}…`;
      this.item.show();
      return;
    }
    const severities = result?.connections.flatMap((c) => c.findings.map((f) => f.severity)) ?? [];
    const icon = severities.includes('error') || (note?.errors ?? 0) > 0 ? '$(error)' : severities.includes('warning') || (!result && findings > 0) ? '$(warning)' : findings > 0 ? '$(info)' : '$(pass)';
    this.item.text = `${icon} ${count(connections, 'connection')}, ${count(findings, 'finding')}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${escape(displayName(uri))}**\n\n`);
    if (result)
      for (const o of OUTCOMES) {
        const n = result.connections.filter((c) => c.outcome === o.outcome).length;
        if (n > 0) md.appendMarkdown(`$(${o.icon}) ${o.label}: ${n}  \n`);
      }
    if (note && note.errors > 0) md.appendMarkdown(`\n$(error) ${count(note.errors, 'line')} not understood\n`);
    md.appendMarkdown('\nClick to show the Teardown side bar.');
    this.item.tooltip = md;
    this.item.accessibilityInformation = { label: `Teardown Tracer: ${count(connections, 'connection')}, ${count(findings, 'finding')}` };
    this.item.show();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function count(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

function escape(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>$]/g, (c) => `\\${c}`);
}
