/** The status-bar item summarizing the active trace: connections and findings, problems first. */
import * as vscode from 'vscode';
import type { ConnectionsRequest } from '../shared/lspProtocol';
import type { ActiveTrace } from './activeTrace';
import type { Analyses } from './analyses';
import type { TeardownClient } from './client';
import { OUTCOMES } from './outcomes';
import { displayName } from './uris';
import { offsetText, pairText } from './otherSide';

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
    ];
    void this.update();
  }

  /** The text shown, for tests. */
  get text(): string {
    return this.item.text;
  }

  /**
   * The counts and the outcome breakdown come from one counts-only `teardown/connections` request
   * (`limit: 0`: the server's `summary`, no connection), the same the side bar's top level makes;
   * the unreadable lines from the server's analysisChanged notification.
   */
  private async update(): Promise<void> {
    const gen = ++this.generation;
    const uri = this.active.uri;
    if (!uri) {
      this.item.hide();
      return;
    }
    if (!this.client.lastAnalysis(uri)) this.analyzing(uri);
    let result: ConnectionsRequest.Result | undefined;
    try {
      result = await this.analyses.summary(uri);
    } catch {
      result = undefined;
    }
    if (gen !== this.generation) return;
    const note = this.client.lastAnalysis(uri);
    const s = result?.summary;
    if (!s) {
      this.analyzing(uri);
      return;
    }
    const errors = note?.errors ?? 0;
    const icon = s.bySeverity.error > 0 || errors > 0 ? '$(error)' : s.bySeverity.warning > 0 ? '$(warning)' : s.findings > 0 ? '$(info)' : '$(pass)';
    const pair = result?.pair;
    this.item.text = `${icon} ${count(s.connections, 'connection')}, ${count(s.findings, 'finding')}${pair ? ` $(arrow-swap) ${pair.names[0]} + ${pair.names[1]}` : ''}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${escape(displayName(uri))}**\n\n`);
    if (pair) {
      // Two captures merged (issue 15): the pair and the clock offset with its bounds.
      md.appendMarkdown(`$(arrow-swap) Two captures: ${escape(pairText(pair))}  \n`);
      md.appendMarkdown(`Clock offset (${escape(pair.names[1])} − ${escape(pair.names[0])}): ${escape(offsetText(pair))}  \n`);
      md.appendMarkdown(`${pair.counts.both} segments seen at both points, ${pair.counts.lost} lost between them, ${pair.counts.outside} outside the other capture\n\n`);
    }
    for (const o of OUTCOMES) {
      const n = s.outcomes[o.outcome] ?? 0;
      if (n > 0) md.appendMarkdown(`$(${o.icon}) ${o.label}: ${n.toLocaleString('en-US')}  \n`);
    }
    const severities = (['error', 'warning', 'info', 'hint'] as const).filter((k) => s.bySeverity[k] > 0).map((k) => `${s.bySeverity[k].toLocaleString('en-US')} ${k}`);
    if (severities.length > 0) md.appendMarkdown(`\nFindings: ${severities.join(', ')}\n`);
    if (errors > 0) md.appendMarkdown(`\n$(error) ${count(errors, 'line')} not understood\n`);
    md.appendMarkdown('\nClick to show the Teardown side bar.');
    this.item.tooltip = md;
    this.item.accessibilityInformation = { label: `Teardown Tracer: ${count(s.connections, 'connection')}, ${count(s.findings, 'finding')}` };
    this.item.show();
  }

  private analyzing(uri: vscode.Uri): void {
    this.item.text = '$(loading~spin) Teardown';
    this.item.tooltip = `Analyzing ${displayName(uri)}…`;
    this.item.show();
  }

  /** The tooltip's Markdown, for tests. */
  get tooltipText(): string {
    const t = this.item.tooltip;
    return typeof t === 'string' ? t : (t?.value ?? '');
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
