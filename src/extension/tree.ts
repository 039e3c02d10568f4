/**
 * The side bar's Connections tree: the active trace's connections grouped by how they ended, with
 * counts, and each connection's findings under it. A display filter (Wireshark syntax, applied by
 * the server's `teardown/connections`) narrows it.
 */
import * as vscode from 'vscode';
import { CATALOG } from '../core/engine/catalog';
import type { ConnectionSummary, ConnectionsRequest, FindingInfo } from '../shared/lspProtocol';
import type { ActiveTrace } from './activeTrace';
import type { Analyses } from './analyses';
import { ContextKey, setContext } from './config';
import { closedBy, endpoint, OUTCOMES, outcomeIcon, outcomeInfo, SEVERITY_RANK, severityIcon, type Outcome } from './outcomes';
import { displayName } from './uris';

export type TreeNode = GroupNode | ConnectionNode | FindingNode;

export interface GroupNode {
  kind: 'group';
  uri: vscode.Uri;
  outcome: Outcome;
  connections: ConnectionSummary[];
}
export interface ConnectionNode {
  kind: 'connection';
  uri: vscode.Uri;
  connection: ConnectionSummary;
  /** Show its findings at once (a trace with few problem connections). */
  expand?: boolean;
}
export interface FindingNode {
  kind: 'finding';
  uri: vscode.Uri;
  connection: ConnectionSummary;
  finding: FindingInfo;
}

/** Connections listed per group before a "more" hint: a million connections must not build a million items. */
const MAX_PER_GROUP = 5000;
/** Up to this many connections with findings, their findings show expanded. */
const EXPAND_FINDINGS_UP_TO = 20;

export class ConnectionsTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly settledEmitter = new vscode.EventEmitter<ConnectionsTreeState>();
  /** After the tree computed its top level (for the tests and the status bar). */
  readonly onDidSettle = this.settledEmitter.event;
  private filterText = '';
  private expandFindings = false;
  private view: vscode.TreeView<TreeNode> | undefined;
  private state: ConnectionsTreeState = { uri: undefined, filter: '', result: undefined, error: undefined };
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly active: ActiveTrace,
    private readonly analyses: Analyses,
  ) {
    this.disposables = [
      active.onDidChange(() => this.refresh()),
      analyses.onDidChange((uri) => {
        if (!uri || uri.toString() === active.uri?.toString()) this.refresh();
      }),
    ];
  }

  attach(view: vscode.TreeView<TreeNode>): void {
    this.view = view;
  }

  get filter(): string {
    return this.filterText;
  }

  /** The current trace, its filter, and what the server answered. */
  get current(): ConnectionsTreeState {
    return this.state;
  }

  setFilter(filter: string): void {
    this.filterText = filter.trim();
    setContext(ContextKey.filterActive, this.filterText !== '');
    this.refresh();
  }

  refresh(): void {
    this.changeEmitter.fire(undefined);
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (!node) return this.roots();
    switch (node.kind) {
      case 'group':
        return node.connections.slice(0, MAX_PER_GROUP).map((connection) => ({ kind: 'connection', uri: node.uri, connection, expand: this.expandFindings }));
      case 'connection':
        return [...node.connection.findings]
          .sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.index - b.index)
          .map((finding) => ({ kind: 'finding', uri: node.uri, connection: node.connection, finding }));
      case 'finding':
        return [];
    }
  }

  private async roots(): Promise<TreeNode[]> {
    const uri = this.active.uri;
    const filter = this.filterText;
    if (!uri) {
      this.settle({ uri, filter, result: undefined, error: undefined });
      return [];
    }
    let result: ConnectionsRequest.Result;
    try {
      result = await this.analyses.connections(uri, filter);
    } catch (e) {
      this.settle({ uri, filter, result: undefined, error: e instanceof Error ? e.message : String(e) });
      return [];
    }
    if (uri.toString() !== this.active.uri?.toString() || filter !== this.filterText) return []; // superseded; a refresh follows
    this.settle({ uri, filter, result, error: undefined });
    this.expandFindings = result.connections.filter((c) => c.findings.length > 0).length <= EXPAND_FINDINGS_UP_TO;
    const groups: GroupNode[] = [];
    for (const { outcome } of OUTCOMES) {
      const connections = result.connections.filter((c) => c.outcome === outcome);
      if (connections.length > 0) groups.push({ kind: 'group', uri, outcome, connections });
    }
    return groups;
  }

  private settle(state: ConnectionsTreeState): void {
    this.state = state;
    if (this.view) {
      const { uri, filter, result, error } = state;
      const findings = result?.connections.reduce((n, c) => n + c.findings.length, 0) ?? 0;
      const name = uri ? displayName(uri) : '';
      this.view.description = name;
      if (error) this.view.message = `The language server could not analyze ${name}: ${error}`;
      else if (result && result.filterErrors.length > 0)
        this.view.message = `Filter error: ${result.filterErrors.map((e) => `${e.message} (at ${e.start + 1})`).join('; ')}`;
      else if (result && filter)
        this.view.message = `Filter: ${filter} (${plural(result.connections.length, 'connection')}, ${plural(findings, 'finding')})`;
      else if (result && result.connections.length === 0) this.view.message = `${name} has no TCP connections.`;
      else this.view.message = undefined;
    }
    this.settledEmitter.fire(state);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'group': {
        const info = outcomeInfo(node.outcome);
        const item = new vscode.TreeItem(info.label, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `${node.uri.toString()}#${node.outcome}`;
        item.description = String(node.connections.length);
        item.tooltip = `${info.description}: ${plural(node.connections.length, 'connection')}` + (node.connections.length > MAX_PER_GROUP ? ` (the first ${MAX_PER_GROUP} listed; narrow them with a filter)` : '');
        item.iconPath = outcomeIcon(node.outcome);
        item.contextValue = 'group';
        return item;
      }
      case 'connection': {
        const c = node.connection;
        const item = new vscode.TreeItem(
          `${endpoint(c.client)} → ${endpoint(c.server)}`,
          c.findings.length === 0
            ? vscode.TreeItemCollapsibleState.None
            : node.expand
              ? vscode.TreeItemCollapsibleState.Expanded
              : vscode.TreeItemCollapsibleState.Collapsed,
        );
        item.id = `${node.uri.toString()}#c${c.id}`;
        const bits = [`#${c.id}`, `${c.segments} seg`];
        if (c.closeInitiator !== 'none') bits.push(`closed by ${closedBy(c)}`);
        if (c.findings.length > 0) bits.push(plural(c.findings.length, 'finding'));
        item.description = bits.join(' · ');
        item.tooltip = connectionTooltip(c);
        item.iconPath = outcomeIcon(c.outcome);
        item.contextValue = 'connection';
        item.command = { command: 'teardownTracer.revealConnection', title: 'Reveal Connection', arguments: [node.uri.toString(), c.id] };
        item.accessibilityInformation = { label: `Connection ${c.id} from ${endpoint(c.client)} to ${endpoint(c.server)}, ${c.outcome}, ${plural(c.findings.length, 'finding')}` };
        return item;
      }
      case 'finding': {
        const f = node.finding;
        // A short title as the label (the side bar is narrow), the sentence beside it and in the tooltip.
        const item = new vscode.TreeItem(findingTitle(f.code), vscode.TreeItemCollapsibleState.None);
        item.id = `${node.uri.toString()}#c${node.connection.id}f${f.index}-${f.code}`;
        item.description = f.message;
        const tip = new vscode.MarkdownString();
        tip.appendMarkdown(`**${f.severity}** \`${f.code}\`\n\n`);
        tip.appendText(f.message);
        tip.appendMarkdown('\n\n');
        tip.appendText(f.explanation);
        item.tooltip = tip;
        item.iconPath = severityIcon(f.severity);
        item.contextValue = 'finding';
        item.command = {
          command: 'teardownTracer.revealFinding',
          title: 'Reveal Finding',
          arguments: [node.uri.toString(), node.connection.id, f.index, f.code, f.line],
        };
        return item;
      }
    }
  }

  getParent(node: TreeNode): TreeNode | undefined {
    if (node.kind === 'finding') return { kind: 'connection', uri: node.uri, connection: node.connection };
    if (node.kind === 'connection') return undefined; // groups are rebuilt per refresh; reveal is not used
    return undefined;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.changeEmitter.dispose();
    this.settledEmitter.dispose();
  }
}

export interface ConnectionsTreeState {
  uri: vscode.Uri | undefined;
  filter: string;
  result: ConnectionsRequest.Result | undefined;
  error: string | undefined;
}

function findingTitle(code: string): string {
  return (CATALOG as Record<string, { title: string } | undefined>)[code]?.title ?? code;
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

function connectionTooltip(c: ConnectionSummary): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**Connection #${c.id}** — ${outcomeInfo(c.outcome).label.toLowerCase()}\n\n`);
  md.appendText(`client ${endpoint(c.client)}${c.rolesInferred ? ' (role inferred)' : ''}\nserver ${endpoint(c.server)}\n`);
  md.appendText(`frames ${c.firstFrame}–${c.lastFrame}, ${c.segments} segments, ${(c.endTime - c.startTime).toFixed(3)} s\n`);
  md.appendText(`closed by: ${closedBy(c)}\nfinal states: client ${c.finalState.client}, server ${c.finalState.server}`);
  return md;
}
