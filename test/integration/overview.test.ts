/**
 * The Teardown overview in VS Code (issue 16): the command opens the panel on the active capture,
 * the panel draws the server's overview (counts equal to the server's connection counts), a
 * mark's selection filters the side bar to exactly its connections and shows the first in the
 * ladder, and a panel VS Code restores after a window reload (its serializer, given the state the
 * page kept) draws the same capture's overview again. Run alone: TT_INTEGRATION_GREP=overview node
 * test/vscode-harness/run-tests.mjs
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import { markKey } from '../../src/core/report/overview';
/** The panel's view type (src/extension/overview/panel.ts). */
const OVERVIEW_VIEW_TYPE = 'teardownTracer.overview';
import { CAPTURE_SCHEME } from '../../src/shared/lspProtocol';
import { api, closeAllEditors, ownFixture, until } from './helpers';

const mixed = ownFixture('mixed.pcap');
const mixedView = vscode.Uri.from({ scheme: CAPTURE_SCHEME, path: mixed.path, query: 'view=all' });

describe('the Teardown overview panel', () => {
  before(async () => {
    const a = await api();
    const active = a.activeTrace.whenActive(mixedView);
    await vscode.commands.executeCommand('vscode.open', mixed);
    await active;
  });
  after(async () => {
    await vscode.commands.executeCommand('teardownTracer.clearFilter');
    await closeAllEditors();
  });

  it('opens on the active capture and draws the server’s counts', async () => {
    const a = await api();
    const uri = await vscode.commands.executeCommand<vscode.Uri>('teardownTracer.showOverview');
    assert.strictEqual(uri?.toString(), mixedView.toString());
    const o = await until('the overview', () => a.overview.state.drawn ?? undefined, [a.overview.onDidChange]);
    const counts = (await a.analyses.summary(mixedView)).summary;
    assert.strictEqual(o.connections, counts.connections);
    for (const [outcome, n] of Object.entries(counts.outcomes)) assert.strictEqual(o.outcomes[outcome] ?? 0, n, outcome);
    assert.ok(o.resets.total > 0 && o.halfClose.lingeringTotal > 0, 'mixed.pcap has resets and a lingering half-close');
    // The tab model reaches the extension host a moment after the panel is made.
    const isPanel = (t: vscode.Tab): boolean => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('teardownTracer.overview');
    const panels = await until(
      'the overview panel’s tab',
      () => {
        const p = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter(isPanel);
        return p.length > 0 ? p : undefined;
      },
      [vscode.window.tabGroups.onDidChangeTabs],
    );
    assert.strictEqual(panels.length, 1, 'one overview panel');
    assert.strictEqual(panels[0].label, 'Overview: mixed.pcap');
    // The side bar stays on the capture.
    assert.strictEqual(a.activeTrace.uri?.toString(), mixedView.toString());
  });

  it('a mark filters the side bar to exactly its connections (the panel also shows the first in the ladder)', async () => {
    const a = await api();
    const o = a.overview.state.drawn!;
    const tree = a.connectionsTree;
    const r = o.resets.reasons[0];
    const sender = o.resets.bySender.client[0] > 0 ? 'client' : 'server';
    const key = markKey.resetSender(sender, r.key);
    const sel = await a.overview.select(key, `RST sent by the ${sender}: ${r.label}`);
    assert.ok(sel && sel.count === o.resets.bySender[sender][0] && sel.first !== null, JSON.stringify(sel));
    const settled = await until('the tree to apply the selection', () => (tree.current.filter === sel.filter && tree.current.result ? tree.current : undefined), [tree.onDidSettle]);
    assert.strictEqual(settled.result!.filterErrors.length, 0);
    assert.strictEqual(settled.result!.summary.connections, sel.count, 'the side bar lists the mark’s connections');
    assert.ok((settled.result!.summary.outcomes.reset ?? 0) + (settled.result!.summary.outcomes.refused ?? 0) === sel.count, 'all of them reset or refused');
    // The ladder shows the first of them.
    const ladder = await until('the ladder on the first', () => (a.diagram.shown?.connection === sel.first ? a.diagram.shown : undefined), [a.diagram.onDidChangePlace]);
    assert.strictEqual(ladder.uri, mixedView.toString());

    // A time bar: its count is the server's for those connections too.
    const b = o.timeline.counts.findIndex((row) => row.some((n) => n > 0));
    const k = o.timeline.counts[b].findIndex((n) => n > 0);
    const bar = await a.overview.select(markKey.timeline(b, o.kinds[k].key), 'a bar');
    assert.strictEqual(bar?.count, o.timeline.counts[b][k]);
    await until('the tree to apply the bar', () => (tree.current.filter === bar!.filter && tree.current.result ? tree.current : undefined), [tree.onDidSettle]);
    assert.strictEqual(tree.current.result!.summary.connections, bar!.count);
    await until('the ladder on the bar’s first', () => (a.diagram.shown?.connection === bar!.first ? a.diagram.shown : undefined), [a.diagram.onDidChangePlace]);
  });

  it('a panel restored after a window reload draws the capture its page kept (the serializer)', async () => {
    const a = await api();
    const isPanel = (t: vscode.Tab): boolean => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(OVERVIEW_VIEW_TYPE);
    const open = (): vscode.Tab[] => vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter(isPanel);
    await vscode.window.tabGroups.close(open());
    await until('the panel closed', () => (open().length === 0 ? true : undefined), [vscode.window.tabGroups.onDidChangeTabs]);
    const drawnBefore = a.overview.state.drawn!;
    a.overview.state.drawn = null;
    // What VS Code does after a reload: a panel of the type, handed to the serializer with the page's state.
    const panel = vscode.window.createWebviewPanel(OVERVIEW_VIEW_TYPE, 'Teardown Overview', vscode.ViewColumn.Active, {});
    const restored = a.overview.restore(panel, { uri: mixedView.toString() });
    const o = await until('the restored overview', () => (a.overview.state.drawn && a.overview.state.uri === mixedView.toString() ? a.overview.state.drawn : undefined), [a.overview.onDidChange]);
    await restored;
    assert.deepStrictEqual(o, drawnBefore, 'the same overview as before the reload');
    assert.strictEqual(panel.title, 'Overview: mixed.pcap');
    assert.strictEqual(panel.webview.options.enableScripts, true);
    // A state without a trace (or a second panel) is closed, not left empty.
    const stray = vscode.window.createWebviewPanel(OVERVIEW_VIEW_TYPE, 'Teardown Overview', vscode.ViewColumn.Active, {});
    let disposed = false;
    stray.onDidDispose(() => (disposed = true));
    // As VS Code restores one: once the workbench shows it.
    await until('the stray panel’s tab', () => (open().length === 2 ? true : undefined), [vscode.window.tabGroups.onDidChangeTabs]);
    await a.overview.restore(stray, { nothing: 1 });
    assert.ok(disposed, 'the stray panel is closed');
    assert.strictEqual(a.overview.state.uri, mixedView.toString(), 'the restored panel stays');
  });
});
