/** The status-bar item summarizing the active trace: connections and findings, problems first. */
import * as vscode from 'vscode';
import type { ConnectionsRequest } from '../shared/lspProtocol';
import type { ActiveTrace } from './activeTrace';
import type { Analyses } from './analyses';
import { OUTCOMES } from './outcomes';
import { displayName } from './uris';

export class TraceStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[];
  private generation = 0;

  constructor(
    private readonly active: ActiveTrace,
    private readonly analyses: Analyses,
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

  private async update(): Promise<void> {
    const gen = ++this.generation;
    const uri = this.active.uri;
    if (!uri) {
      this.item.hide();
      return;
    }
    let result: ConnectionsRequest.Result;
    try {
      result = await this.analyses.connections(uri);
    } catch {
      if (gen !== this.generation) return;
      this.item.text = '$(debug-disconnect) Teardown: no analysis';
      this.item.tooltip = 'The language server did not answer; see the Teardown Tracer output.';
      this.item.show();
      return;
    }
    if (gen !== this.generation) return;
    const conns = result.connections;
    const findings = conns.reduce((n, c) => n + c.findings.length, 0);
    const worst = conns.some((c) => c.findings.some((f) => f.severity === 'error'))
      ? 'error'
      : conns.some((c) => c.findings.some((f) => f.severity === 'warning'))
        ? 'warning'
        : 'none';
    const icon = worst === 'error' ? '$(error)' : worst === 'warning' ? '$(warning)' : '$(pass)';
    this.item.text = `${icon} ${count(conns.length, 'connection')}, ${count(findings, 'finding')}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${escape(displayName(uri))}**\n\n`);
    for (const o of OUTCOMES) {
      const n = conns.filter((c) => c.outcome === o.outcome).length;
      if (n > 0) md.appendMarkdown(`$(${o.icon}) ${o.label}: ${n}  \n`);
    }
    md.appendMarkdown('\nClick to show the Teardown side bar.');
    this.item.tooltip = md;
    this.item.accessibilityInformation = { label: `Teardown Tracer: ${count(conns.length, 'connection')}, ${count(findings, 'finding')}` };
    this.item.backgroundColor = undefined;
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
