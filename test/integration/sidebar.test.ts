import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import { CAPTURE_SCHEME, OUTCOME_ORDER, SegmentAtRequest, type ConnectionSummary } from '../../src/shared/lspProtocol';
import { PAGE_SIZE, type ConnectionsTree, type GroupNode, type TreeNode } from '../../src/extension/tree';
import { outcomeInfo } from '../../src/extension/outcomes';
import { summaryData } from '../../src/extension/capture/editor';
import { SUMMARY_MAX_ROWS } from '../../src/extension/capture/summaryProtocol';
import { writeSyntheticPcap } from '../unit/server/synthetic';
import { api, captureView, closeAllEditors, diagnosticsWith, ownFixture, tmpFile, until } from './helpers';

const mixed = ownFixture('mixed.pcap');
const mixedView = vscode.Uri.from({ scheme: CAPTURE_SCHEME, path: mixed.path, query: 'view=all' });

async function label(node: TreeNode): Promise<string> {
  const a = await api();
  const item = a.connectionsTree.getTreeItem(node);
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}

/** The "Load more" labels a group of `n` connections shows, one per page but the last. */
const moreLabels = (n: number): string[] =>
  Array.from({ length: Math.ceil(n / PAGE_SIZE) - 1 }, (_, k) => `Load more (${((k + 1) * PAGE_SIZE).toLocaleString('en-US')} of ${n.toLocaleString('en-US')} shown)`);

const groupsOf = (nodes: TreeNode[]): GroupNode[] => nodes.filter((n): n is GroupNode => n.kind === 'group');

/** Every connection a group lists, pressing its "Load more" item until there is none; and the labels of those items. */
async function listAll(tree: ConnectionsTree, group: GroupNode): Promise<{ connections: ConnectionSummary[]; more: string[] }> {
  const more: string[] = [];
  for (;;) {
    const children = await tree.getChildren(group);
    const last = children[children.length - 1];
    if (last?.kind !== 'more') return { connections: children.flatMap((c) => (c.kind === 'connection' ? [c.connection] : [])), more };
    assert.strictEqual(children.filter((c) => c.kind === 'more').length, 1, 'one "Load more" item, the last');
    const item = tree.getTreeItem(last);
    more.push(typeof item.label === 'string' ? item.label : '');
    // What a click on it does.
    await vscode.commands.executeCommand(item.command!.command, ...(item.command!.arguments ?? []));
  }
}

describe('the Teardown side bar', () => {
  before(async () => {
    const a = await api();
    const active = a.activeTrace.whenActive(mixedView);
    await vscode.commands.executeCommand('vscode.open', mixed);
    await active;
    await diagnosticsWith(mixedView, ['lingering-half-close', 'abrupt-reset', 'refused']);
  });
  after(async () => {
    await vscode.commands.executeCommand('teardownTracer.clearFilter');
    await closeAllEditors();
  });

  it('groups the connections by how they ended, with counts and findings', async () => {
    const a = await api();
    const tree = a.connectionsTree;
    const groups = groupsOf(await tree.getChildren());
    const labels = await Promise.all(groups.map(label));
    for (const expected of ['Graceful', 'Simultaneous', 'Reset', 'Refused', 'Half-closed'])
      assert.ok(labels.includes(expected), `group ${expected} in ${labels.join(', ')}`);
    const total = groups.reduce((n, g) => n + g.count, 0);
    assert.ok(total >= 8, `every connection is counted (${total})`);
    assert.strictEqual(total, tree.current.result?.summary.connections);
    for (const g of groups) {
      assert.strictEqual(tree.getTreeItem(g).description, String(g.count), 'the count');
      const listed = await tree.getChildren(g);
      assert.strictEqual(listed.length, g.count, `${g.outcome}: as many connections listed as counted, no "Load more"`);
      assert.ok(listed.every((n) => n.kind === 'connection' && n.connection.outcome === g.outcome));
    }

    const halfClosed = groups.find((g) => g.outcome === 'half-closed')!;
    const [conn] = await tree.getChildren(halfClosed);
    assert.strictEqual(conn.kind, 'connection');
    const item = tree.getTreeItem(conn);
    assert.ok(item.iconPath instanceof vscode.ThemeIcon, 'a theme icon');
    assert.strictEqual(item.command?.command, 'teardownTracer.revealConnection');
    const findings = await tree.getChildren(conn);
    const lingering = findings.find((f) => f.kind === 'finding' && f.finding.code === 'lingering-half-close');
    assert.ok(lingering && lingering.kind === 'finding', 'its finding is under it');
    // The side bar fetched findings without explanations; the tooltip has it from the finding catalog.
    assert.strictEqual(lingering.finding.explanation, undefined);
    const entry = a.analyses.catalogNow?.codes['lingering-half-close'];
    assert.ok(entry, 'the catalog arrived');
    const findingItem = tree.getTreeItem(lingering);
    assert.strictEqual(findingItem.label, entry.title);
    // MarkdownString.appendText escapes: undo it to compare with the plain text.
    const tip = (findingItem.tooltip as vscode.MarkdownString).value.replace(/&nbsp;/g, ' ').replace(/\\(.)/g, '$1');
    assert.ok(tip.includes(entry.explanation), `the tooltip explains: ${tip}`);
  });

  it('clicking a finding reveals its segment in the editor', async () => {
    const a = await api();
    const tree = a.connectionsTree;
    const groups = await tree.getChildren();
    const reset = groups.find((g) => g.kind === 'group' && g.outcome === 'reset')!;
    const [conn] = await tree.getChildren(reset);
    const [finding] = await tree.getChildren(conn);
    assert.strictEqual(finding.kind, 'finding');
    const cmd = tree.getTreeItem(finding).command!;
    await vscode.commands.executeCommand(cmd.command, ...(cmd.arguments ?? []));
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === mixedView.toString());
    assert.ok(editor, 'the capture view is visible');
    if (finding.kind === 'finding') assert.strictEqual(editor.selection.active.line, finding.finding.line);
  });

  it('filters with the display-filter syntax and reports filter errors', async () => {
    const a = await api();
    const tree = a.connectionsTree;
    const settled = (filter: string) =>
      until('the tree to apply the filter', () => (tree.current.filter === filter && tree.current.result ? tree.current : undefined), [tree.onDidSettle]);

    const all = (await a.analyses.summary(mixedView)).summary.connections;
    await vscode.commands.executeCommand('teardownTracer.filterConnections', 'tcp.flags.reset == 1');
    const groups = groupsOf(await tree.getChildren());
    const resets = await settled('tcp.flags.reset == 1');
    assert.strictEqual(resets.result!.filterErrors.length, 0);
    const n = resets.result!.total;
    assert.ok(n > 0 && n < all, `the filter keeps the connections with a RST (${n} of ${all})`);
    assert.strictEqual(groups.reduce((k, g) => k + g.count, 0), n, 'the groups count the filtered connections');
    const listed = (await Promise.all(groups.map((g) => listAll(tree, g)))).flatMap((x) => x.connections);
    assert.strictEqual(listed.length, n);
    assert.ok(listed.every((c) => c.outcome === 'reset' || c.outcome === 'refused' || c.findings.length > 0));

    await vscode.commands.executeCommand('teardownTracer.filterConnections', 'tcp.flags.reset == ');
    await tree.getChildren();
    const bad = await settled('tcp.flags.reset ==');
    assert.ok(bad.result!.filterErrors.length > 0, 'a filter error is reported');

    await vscode.commands.executeCommand('teardownTracer.clearFilter');
    await tree.getChildren();
    const cleared = await settled('');
    assert.strictEqual(cleared.result!.summary.connections, all);
  });

  it('steps through findings and segments in the editor', async () => {
    const a = await api();
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(mixedView), { preview: false });
    const origin = new vscode.Position(0, 0);
    editor.selection = new vscode.Selection(origin, origin);
    const lines = vscode.languages
      .getDiagnostics(mixedView)
      .map((d) => d.range.start.line)
      .sort((x, y) => x - y);
    await vscode.commands.executeCommand('teardownTracer.nextFinding');
    assert.strictEqual(vscode.window.activeTextEditor?.selection.active.line, lines[0], 'the first finding');
    await vscode.commands.executeCommand('teardownTracer.nextFinding');
    assert.strictEqual(vscode.window.activeTextEditor?.selection.active.line, lines.find((l) => l > lines[0]), 'the second finding');
    await vscode.commands.executeCommand('teardownTracer.previousFinding');
    assert.strictEqual(vscode.window.activeTextEditor?.selection.active.line, lines[0]);

    const at = vscode.window.activeTextEditor!.selection.active.line;
    const here = await a.client.request(SegmentAtRequest.type, { uri: mixedView.toString(), line: at });
    assert.ok(here, 'a finding sits on a segment');
    await vscode.commands.executeCommand('teardownTracer.previousSegment');
    const prev = await a.client.request(SegmentAtRequest.type, { uri: mixedView.toString(), line: vscode.window.activeTextEditor!.selection.active.line });
    assert.deepStrictEqual(prev, { connection: here.connection, index: here.index - 1 }, 'the previous segment of the same connection');
    await vscode.commands.executeCommand('teardownTracer.nextSegment');
    assert.strictEqual(vscode.window.activeTextEditor?.selection.active.line, at);
  });

  it('summarizes the active trace in the status bar from the server’s counts', async () => {
    const a = await api();
    await until('the status bar text', () => (/\d+ connections?, \d+ findings?/.test(a.statusBar.text) ? a.statusBar.text : undefined), [
      a.analyses.onDidChange,
      a.activeTrace.onDidChange,
      a.connectionsTree.onDidSettle,
    ]);
    const counts = (await a.analyses.summary(mixedView)).summary;
    assert.ok(a.statusBar.text.endsWith(`${counts.connections} connections, ${counts.findings} findings`), a.statusBar.text);
    assert.match(a.statusBar.text, /\b(8|9|1\d) connections/);
    for (const o of OUTCOME_ORDER)
      if (counts.outcomes[o] > 0) assert.ok(a.statusBar.tooltipText.includes(`${outcomeInfo(o).label}: ${counts.outcomes[o]}`), `${o} in ${a.statusBar.tooltipText}`);
  });

  it('fills the capture’s summary tab from the server’s counts', async () => {
    const a = await api();
    const result = await a.analyses.connections(mixedView, { limit: SUMMARY_MAX_ROWS });
    const data = summaryData(mixed, result, undefined);
    const s = result.summary;
    assert.deepStrictEqual(
      Object.fromEntries(data.findingsByCode.map((f) => [f.code, f.count])),
      Object.fromEntries(Object.entries(s.byCode).map(([code, e]) => [code, e.count])),
    );
    assert.strictEqual(
      data.findingsByCode.reduce((n, f) => n + f.count, 0),
      s.findings,
    );
    assert.deepStrictEqual(data.outcomes.map((o) => o.count), data.outcomes.map((o) => s.outcomes[o.outcome]));
    assert.strictEqual(data.totalConnections, s.connections);
    // Each row's findings are the connection's (no explanations are needed there).
    const rows = result.connections.map((c) => [c.id, c.findings.map((f) => f.code)]);
    assert.deepStrictEqual(data.connections.map((c) => [c.id, c.findings.map((f) => f.code)]), rows);
  });

  it('never asks the server for every connection of the capture', () => {
    return api().then((a) => {
      const mine = a.analyses.sent.filter((p) => p.uri === mixedView.toString());
      assert.ok(mine.length > 0);
      const unbounded = mine.filter((p) => p.limit === undefined && p.ids === undefined);
      assert.deepStrictEqual(unbounded, [], 'every request is a page, an id lookup or counts');
    });
  });
});

describe('the side bar on a capture of many connections', () => {
  const CONNECTIONS = 1100;
  let file: vscode.Uri;
  let view: vscode.Uri;

  before(async function () {
    this.timeout(120_000);
    file = tmpFile('many.pcap');
    writeSyntheticPcap(file.fsPath, CONNECTIONS);
    view = captureView(file);
    const a = await api();
    const active = a.activeTrace.whenActive(view);
    await vscode.commands.executeCommand('vscode.open', file);
    await active;
  });
  after(async () => {
    await vscode.commands.executeCommand('teardownTracer.clearFilter');
    await closeAllEditors();
  });

  it('counts a big group from the server and lists it a page at a time, with "Load more"', async () => {
    const a = await api();
    const tree = a.connectionsTree;
    const groups = groupsOf(await tree.getChildren());
    assert.strictEqual(path.basename(groups[0].uri.path), path.basename(file.path));
    assert.deepStrictEqual(
      groups.map((g) => [g.outcome, g.count, tree.getTreeItem(g).description]),
      [['graceful', CONNECTIONS, '1,100']],
    );
    const first = await tree.getChildren(groups[0]);
    assert.strictEqual(first.length, PAGE_SIZE + 1, 'a page, then "Load more"');
    assert.deepStrictEqual(await label(first[PAGE_SIZE]), moreLabels(CONNECTIONS)[0]);
    const { connections, more } = await listAll(tree, groups[0]);
    assert.deepStrictEqual(more, moreLabels(CONNECTIONS));
    assert.deepStrictEqual(
      connections.map((c) => c.id),
      Array.from({ length: CONNECTIONS }, (_, i) => i + 1),
      'every connection once, in id order',
    );
    const pages = a.analyses.sent.filter((p) => p.uri === view.toString() && p.outcome === 'graceful');
    assert.ok(
      pages.every((p) => p.limit === PAGE_SIZE),
      `pages of ${PAGE_SIZE}: ${JSON.stringify(pages.map((p) => [p.offset, p.limit]))}`,
    );
    await until('the status bar', () => (a.statusBar.text.includes('1,100 connections') ? true : undefined), [a.analyses.onDidChange, tree.onDidSettle]);
  });

  it('summarizes the capture in its tab from the server’s counts and the first rows', async () => {
    const a = await api();
    const result = await a.analyses.connections(view, { limit: SUMMARY_MAX_ROWS });
    const data = summaryData(file, result, undefined);
    assert.deepStrictEqual(
      data.outcomes.filter((o) => o.count > 0).map((o) => [o.outcome, o.count]),
      [['graceful', CONNECTIONS]],
    );
    assert.deepStrictEqual([data.totalConnections, data.connections.length, data.connections[0].id], [CONNECTIONS, SUMMARY_MAX_ROWS, 1]);
    assert.deepStrictEqual(data.findingsByCode, []);
  });

  it('pages the connections a display filter keeps', async () => {
    const a = await api();
    const tree = a.connectionsTree;
    // The n-th synthetic connection's client port is 20000 + n: 700 connections.
    const filter = 'tcp.srcport >= 20000 && tcp.srcport < 20700';
    await vscode.commands.executeCommand('teardownTracer.filterConnections', filter);
    const groups = groupsOf(await tree.getChildren());
    assert.strictEqual(tree.current.filter, filter);
    assert.deepStrictEqual(groups.map((g) => [g.outcome, g.count]), [['graceful', 700]]);
    const { connections, more } = await listAll(tree, groups[0]);
    assert.deepStrictEqual(more, moreLabels(700));
    assert.deepStrictEqual(
      connections.map((c) => c.client.port),
      Array.from({ length: 700 }, (_, i) => 20000 + i),
    );
  });
});
