/**
 * The side bar's Connections tree: the active trace's connections grouped by how they ended, and
 * each connection's findings under it. A display filter (Wireshark syntax, applied by the server's
 * `teardown/connections`) narrows it.
 *
 * Nothing here needs every connection: the group labels and counts come from one counts-only
 * request (`limit: 0`, the answer's `summary`); a group lists its connections a page at a time
 * (`outcome` + `offset`/`limit`, in id order) and ends with a "Load more" item while some are not
 * listed. Finding titles and explanations come from the server's finding catalog.
 */
import * as vscode from 'vscode';
import type { ConnectionSummary, ConnectionsRequest, FindingInfo, OtherSideInfo } from '../shared/lspProtocol';
import { offsetText, pairText } from './otherSide';
import type { ActiveTrace } from './activeTrace';
import type { Analyses } from './analyses';
import { ContextKey, setContext } from './config';
import { closedBy, endpoint, OUTCOMES, outcomeIcon, outcomeInfo, SEVERITY_RANK, severityIcon, type Outcome } from './outcomes';
import { displayName } from './uris';

export type TreeNode = GroupNode | ConnectionNode | FindingNode | MoreNode | PairNode;

/** The first item when the other side's capture is merged in (issue 15): the pair and the clock offset. */
export interface PairNode {
  kind: 'pair';
  uri: vscode.Uri;
  pair: OtherSideInfo;
}

export interface GroupNode {
  kind: 'group';
  uri: vscode.Uri;
  /** The display filter the group was counted under. */
  filter: string;
  outcome: Outcome;
  /** Connections in the group (the server's count). */
  count: number;
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
/** The last item of a group that lists only some of its connections: a click lists a page more. */
export interface MoreNode {
  kind: 'more';
  uri: vscode.Uri;
  group: GroupNode;
  /** Connections listed, and in the group. */
  shown: number;
  total: number;
}

/** Connections fetched and listed per page of a group. */
export const PAGE_SIZE = 500;
/** Up to this many connections with findings, their findings show expanded. */
const EXPAND_FINDINGS_UP_TO = 20;

/** A group's connections fetched so far (in id order) and how many it has. */
interface Loaded {
  connections: ConnectionSummary[];
  total: number;
}

export class ConnectionsTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly settledEmitter = new vscode.EventEmitter<ConnectionsTreeState>();
  /** After the tree computed its top level (for the tests and the status bar). */
  readonly onDidSettle = this.settledEmitter.event;
  private readonly pageEmitter = new vscode.EventEmitter<GroupNode>();
  /** After a group listed its connections (a page more after "Load more"). */
  readonly onDidLoadPage = this.pageEmitter.event;
  private readonly filterEmitter = new vscode.EventEmitter<void>();
  /** After the filter was set or cleared (the ladder's picker follows it). */
  readonly onDidChangeFilter = this.filterEmitter.event;
  private filterText = '';
  /** What the filter stands for when the overview set it (its filters list connection ids). */
  private filterLabel: string | undefined;
  private expandFindings = false;
  private view: vscode.TreeView<TreeNode> | undefined;
  private state: ConnectionsTreeState = { uri: undefined, filter: '', result: undefined, error: undefined };
  /** The groups of the last top level, by outcome: the same objects while their counts hold (VS Code knows nodes by identity). */
  private groups = new Map<Outcome, GroupNode>();
  /** How many connections each group should list (by trace, filter and outcome); grows with "Load more". */
  private readonly wanted = new Map<string, number>();
  /** What each group fetched since the last refresh, by group key. */
  private loaded = new Map<string, Loaded>();
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

  /** The current trace, its filter, and the server's counts (a `limit: 0` answer: no connections). */
  get current(): ConnectionsTreeState {
    return this.state;
  }

  /** The group nodes of the current top level. */
  get groupNodes(): GroupNode[] {
    return [...this.groups.values()];
  }

  /** A display filter; `label` names it in the view's message instead of its text (a mark of the overview). */
  setFilter(filter: string, label?: string): void {
    this.filterText = filter.trim();
    this.filterLabel = this.filterText === '' ? undefined : label;
    setContext(ContextKey.filterActive, this.filterText !== '');
    this.refresh();
    this.filterEmitter.fire();
  }

  /** The filter on `uri` (the side bar filters the active trace only), with what names it, or undefined. */
  filterOn(uri: string): { filter: string; label: string } | undefined {
    if (this.filterText === '' || this.active.uri?.toString() !== uri) return undefined;
    return { filter: this.filterText, label: this.filterLabel ?? this.filterText };
  }

  refresh(): void {
    this.loaded = new Map();
    this.changeEmitter.fire(undefined);
  }

  /** "Load more": the group lists a page more (VS Code asks for its children again). */
  loadMore(node: MoreNode | GroupNode): void {
    const group = node.kind === 'more' ? node.group : node;
    const key = groupKey(group);
    const shown = this.loaded.get(key)?.connections.length ?? 0;
    this.wanted.set(key, Math.max(this.wanted.get(key) ?? PAGE_SIZE, shown) + PAGE_SIZE);
    // The object VS Code knows for this group (a node from an older top level refreshes the whole tree).
    const known = this.groups.get(group.outcome);
    this.changeEmitter.fire(known && groupKey(known) === key ? known : undefined);
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (!node) return this.roots();
    switch (node.kind) {
      case 'group':
        return this.groupChildren(node);
      case 'connection':
        return [...node.connection.findings]
          .sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.index - b.index)
          .map((finding) => ({ kind: 'finding', uri: node.uri, connection: node.connection, finding }));
      case 'finding':
      case 'more':
      case 'pair':
        return [];
    }
  }

  private async roots(): Promise<TreeNode[]> {
    const uri = this.active.uri;
    const filter = this.filterText;
    if (!uri) {
      this.groups = new Map();
      this.settle({ uri, filter, result: undefined, error: undefined });
      return [];
    }
    let result: ConnectionsRequest.Result;
    try {
      // Counts only; the catalog (finding titles) is small and asked once.
      [result] = await Promise.all([this.analyses.summary(uri, filter), this.analyses.catalog().catch(() => undefined)]);
    } catch (e) {
      this.settle({ uri, filter, result: undefined, error: e instanceof Error ? e.message : String(e) });
      return [];
    }
    if (uri.toString() !== this.active.uri?.toString() || filter !== this.filterText) return []; // superseded; a refresh follows
    // "Load more" is remembered per group of this trace and filter only.
    const prefix = `${uri.toString()}\n${filter}\n`;
    for (const key of [...this.wanted.keys()]) if (!key.startsWith(prefix)) this.wanted.delete(key);
    this.expandFindings = result.summary.withFindings <= EXPAND_FINDINGS_UP_TO;
    const groups = new Map<Outcome, GroupNode>();
    for (const { outcome } of OUTCOMES) {
      const count = result.summary.outcomes[outcome] ?? 0;
      if (count === 0) continue;
      const old = this.groups.get(outcome);
      const same = old && old.uri.toString() === uri.toString() && old.filter === filter && old.count === count;
      const g: GroupNode = same ? old : { kind: 'group', uri, filter, outcome, count };
      if (!same) this.loaded.delete(groupKey(g));
      groups.set(outcome, g);
    }
    this.groups = groups;
    this.settle({ uri, filter, result, error: undefined });
    const pair: TreeNode[] = result.pair ? [{ kind: 'pair', uri, pair: result.pair }] : [];
    return [...pair, ...groups.values()];
  }

  /** A group's connections: the pages it wants (fetching those it lacks), then "Load more" if some are left. */
  private async groupChildren(g: GroupNode): Promise<TreeNode[]> {
    const key = groupKey(g);
    let have = this.loaded.get(key);
    if (!have) {
      have = { connections: [], total: g.count };
      this.loaded.set(key, have);
    }
    while (have.connections.length < Math.min(this.wanted.get(key) ?? PAGE_SIZE, have.total)) {
      const offset = have.connections.length;
      const r = await this.analyses.connections(g.uri, { filter: g.filter || undefined, outcome: g.outcome, offset, limit: PAGE_SIZE });
      if (this.loaded.get(key) !== have) return []; // refreshed meanwhile; VS Code asks again
      if (have.connections.length !== offset) continue; // another call appended this page meanwhile
      have.total = r.total;
      if (r.connections.length === 0) break;
      have.connections.push(...r.connections);
    }
    const nodes: TreeNode[] = have.connections.map((connection) => ({ kind: 'connection', uri: g.uri, connection, expand: this.expandFindings }));
    if (have.connections.length < have.total) nodes.push({ kind: 'more', uri: g.uri, group: g, shown: have.connections.length, total: have.total });
    this.pageEmitter.fire(g);
    return nodes;
  }

  private settle(state: ConnectionsTreeState): void {
    this.state = state;
    if (this.view) {
      const { uri, filter, result, error } = state;
      const name = uri ? displayName(uri) : '';
      this.view.description = name;
      if (error) this.view.message = `The language server could not analyze ${name}: ${error}`;
      else if (result && result.filterErrors.length > 0)
        this.view.message = `Filter error: ${result.filterErrors.map((e) => `${e.message} (at ${e.start + 1})`).join('; ')}`;
      else if (result && filter)
        this.view.message = `${this.filterLabel !== undefined ? `Overview: ${this.filterLabel}` : `Filter: ${filter}`} (${plural(result.summary.connections, 'connection')}, ${plural(result.summary.findings, 'finding')})`;
      else if (result && result.summary.connections === 0) this.view.message = `${name} has no TCP connections.`;
      else this.view.message = undefined;
    }
    this.settledEmitter.fire(state);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'pair': {
        const p = node.pair;
        const item = new vscode.TreeItem(`Two captures: ${p.files[0]} + ${p.files[1]}`, vscode.TreeItemCollapsibleState.None);
        item.id = `${node.uri.toString()}#pair`;
        item.description = `offset ${offsetText(p)}`;
        item.iconPath = new vscode.ThemeIcon('arrow-swap');
        const tip = new vscode.MarkdownString();
        tip.appendText(`${pairText(p)}\n`);
        tip.appendText(`clock offset (${p.names[1]} − ${p.names[0]}): ${offsetText(p)}${p.consistent ? '' : ' — the bounds cross: a clock drifted, or copies were paired wrongly'}\n`);
        tip.appendText(`${plural(p.connections, 'connection')}, ${p.inBoth.toLocaleString('en-US')} in both; ${p.counts.both} segments seen at both points, ${p.counts.lost} lost between them, ${p.counts.outside} outside the other capture, ${p.counts['unseen-at-sender']} seen only where they arrived`);
        item.tooltip = tip;
        item.contextValue = 'pair';
        return item;
      }
      case 'group': {
        const info = outcomeInfo(node.outcome);
        const item = new vscode.TreeItem(info.label, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `${node.uri.toString()}#${node.outcome}`;
        item.description = node.count.toLocaleString('en-US');
        item.tooltip = `${info.description}: ${plural(node.count, 'connection')}` + (node.count > PAGE_SIZE ? ` (listed ${PAGE_SIZE.toLocaleString('en-US')} at a time)` : '');
        item.iconPath = outcomeIcon(node.outcome);
        item.contextValue = 'group';
        return item;
      }
      case 'more': {
        const item = new vscode.TreeItem(`Load more (${node.shown.toLocaleString('en-US')} of ${node.total.toLocaleString('en-US')} shown)`, vscode.TreeItemCollapsibleState.None);
        item.id = `${node.uri.toString()}#${node.group.outcome}-more`;
        item.iconPath = new vscode.ThemeIcon('more');
        item.tooltip = `List ${Math.min(PAGE_SIZE, node.total - node.shown).toLocaleString('en-US')} more of the ${plural(node.total, 'connection')} in ${outcomeInfo(node.group.outcome).label}`;
        item.contextValue = 'more';
        item.command = { command: 'teardownTracer.loadMoreConnections', title: 'Load More Connections', arguments: [node] };
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
        const entry = this.analyses.catalogNow?.codes[f.code];
        // A short title as the label (the side bar is narrow), the sentence beside it and in the tooltip.
        const item = new vscode.TreeItem(entry?.title ?? f.code, vscode.TreeItemCollapsibleState.None);
        item.id = `${node.uri.toString()}#c${node.connection.id}f${f.index}-${f.code}`;
        item.description = f.message;
        const tip = new vscode.MarkdownString();
        tip.appendMarkdown(`**${f.severity}** \`${f.code}\`\n\n`);
        tip.appendText(f.message);
        const explanation = f.explanation ?? entry?.explanation;
        if (explanation) {
          tip.appendMarkdown('\n\n');
          tip.appendText(explanation);
        }
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
    if (node.kind === 'more') return node.group;
    if (node.kind === 'connection') return this.groups.get(node.connection.outcome);
    return undefined;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.changeEmitter.dispose();
    this.settledEmitter.dispose();
    this.pageEmitter.dispose();
    this.filterEmitter.dispose();
  }
}

export interface ConnectionsTreeState {
  uri: vscode.Uri | undefined;
  filter: string;
  /** The server's answer for the top level: counts (`summary`, `total`) and filter errors, no connections. */
  result: ConnectionsRequest.Result | undefined;
  error: string | undefined;
}

function groupKey(g: GroupNode): string {
  return `${g.uri.toString()}\n${g.filter}\n${g.outcome}`;
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
