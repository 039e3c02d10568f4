import * as assert from 'assert';
import * as vscode from 'vscode';
import { CAPTURE_SCHEME, SegmentAtRequest } from '../../src/shared/lspProtocol';
import type { TreeNode } from '../../src/extension/tree';
import { api, closeAllEditors, diagnosticsWith, ownFixture, until } from './helpers';

const mixed = ownFixture('mixed.pcap');
const mixedView = vscode.Uri.from({ scheme: CAPTURE_SCHEME, path: mixed.path, query: 'view=all' });

async function label(node: TreeNode): Promise<string> {
  const a = await api();
  const item = a.connectionsTree.getTreeItem(node);
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
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
    const groups = await tree.getChildren();
    const labels = await Promise.all(groups.map(label));
    for (const expected of ['Graceful', 'Simultaneous', 'Reset', 'Refused', 'Half-closed'])
      assert.ok(labels.includes(expected), `group ${expected} in ${labels.join(', ')}`);
    const total = groups.reduce((n, g) => n + (g.kind === 'group' ? g.connections.length : 0), 0);
    assert.ok(total >= 8, `every connection is listed (${total})`);
    for (const g of groups) assert.strictEqual(tree.getTreeItem(g).description, String(g.kind === 'group' ? g.connections.length : -1), 'the count');

    const halfClosed = groups.find((g) => g.kind === 'group' && g.outcome === 'half-closed')!;
    const [conn] = await tree.getChildren(halfClosed);
    assert.strictEqual(conn.kind, 'connection');
    const item = tree.getTreeItem(conn);
    assert.ok(item.iconPath instanceof vscode.ThemeIcon, 'a theme icon');
    assert.strictEqual(item.command?.command, 'teardownTracer.revealConnection');
    const findings = await tree.getChildren(conn);
    assert.ok(findings.some((f) => f.kind === 'finding' && f.finding.code === 'lingering-half-close'), 'its finding is under it');
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

    const all = (await a.analyses.connections(mixedView)).connections.length;
    await vscode.commands.executeCommand('teardownTracer.filterConnections', 'tcp.flags.reset == 1');
    await tree.getChildren();
    const resets = await settled('tcp.flags.reset == 1');
    assert.strictEqual(resets.result!.filterErrors.length, 0);
    const n = resets.result!.connections.length;
    assert.ok(n > 0 && n < all, `the filter keeps the connections with a RST (${n} of ${all})`);
    assert.ok(resets.result!.connections.every((c) => c.outcome === 'reset' || c.outcome === 'refused' || c.findings.length > 0));

    await vscode.commands.executeCommand('teardownTracer.filterConnections', 'tcp.flags.reset == ');
    await tree.getChildren();
    const bad = await settled('tcp.flags.reset ==');
    assert.ok(bad.result!.filterErrors.length > 0, 'a filter error is reported');

    await vscode.commands.executeCommand('teardownTracer.clearFilter');
    await tree.getChildren();
    const cleared = await settled('');
    assert.strictEqual(cleared.result!.connections.length, all);
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

  it('summarizes the active trace in the status bar', async () => {
    const a = await api();
    await until('the status bar text', () => (/\d+ connections?, \d+ findings?/.test(a.statusBar.text) ? a.statusBar.text : undefined), [
      a.analyses.onDidChange,
      a.activeTrace.onDidChange,
      a.connectionsTree.onDidSettle,
    ]);
    assert.match(a.statusBar.text, /\b(8|9|1\d) connections/);
  });
});
