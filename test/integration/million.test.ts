import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { PAGE_SIZE, type GroupNode, type TreeNode } from '../../src/extension/tree';
import { api, captureView, closeAllEditors, REPO, until } from './helpers';

/**
 * A capture of 1.2 million packets (120,000 connections), made by `npm run bench`
 * (.bench/loopback-1m.pcap, not in git). Skipped when it is absent. It checks that the capture
 * opens paged (the view stops at teardownTracer.maxSegmentsShown) while the extension host stays
 * responsive: the analysis runs in the language server, and the side bar fetches counts and pages
 * of connections, never all of them. Every connection is still reachable: the group counts add up
 * to all of them, and paging through the groups lists each one once. The longest extension-host
 * stall is printed (not asserted: times are measured, never tested).
 */
const BIG = path.join(REPO, '.bench/loopback-1m.pcap');

describe('a capture of a million packets', function () {
  this.timeout(300_000);
  before(function () {
    if (!fs.existsSync(BIG)) this.skip();
  });
  after(closeAllEditors);

  it('opens paged, with the side bar, without blocking the extension host', async () => {
    const a = await api();
    const file = vscode.Uri.file(BIG);
    const view = captureView(file);
    // The extension host's event loop: the longest gap between 50 ms ticks while the capture opens.
    let worst = 0;
    let last = Date.now();
    const t0 = Date.now();
    // Stalls over 100 ms (when, how long) and when the view's diagnostics arrived: printed, to tell
    // what blocked the extension host.
    const stalls: string[] = [];
    const ticker = setInterval(() => {
      const now = Date.now();
      const gap = now - last - 50;
      worst = Math.max(worst, gap);
      if (gap > 100) stalls.push(`${gap} ms at +${((now - t0) / 1000).toFixed(1)} s`);
      last = now;
    }, 50);
    const events: string[] = [];
    const at = (): string => `+${((Date.now() - t0) / 1000).toFixed(1)} s`;
    const diagnosticsSeen = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === view.toString())) events.push(`${vscode.languages.getDiagnostics(view).length} diagnostics at ${at()}`);
    });
    // When the server's text reached the extension host, and when VS Code opened the document.
    const textArrived = a.captureContent.onDidChangeInfo((u) => {
      if (u.toString() === view.toString()) events.push(`text from the server at ${at()}`);
    });
    const docOpened = vscode.workspace.onDidOpenTextDocument((d) => {
      if (d.uri.toString() === view.toString()) events.push(`document open at ${at()}`);
    });
    try {
      const shown = until(
        'the capture view',
        () => (vscode.window.activeTextEditor?.document.uri.toString() === view.toString() ? vscode.window.activeTextEditor : undefined),
        [vscode.window.onDidChangeActiveTextEditor],
        240_000,
      );
      await vscode.commands.executeCommand('vscode.open', file);
      const editor = await shown;
      const tView = Date.now() - t0;
      const stallBeforeTree = worst;
      const info = a.captureContent.viewInfo(view);
      assert.ok(info?.truncated, `the view is paged: ${JSON.stringify(info)} ${editor.document.lineAt(0).text}`);
      assert.strictEqual(info?.shownSegments, 50_000);
      assert.ok(editor.document.lineCount < 80_000, `${editor.document.lineCount} lines (segments, connection headers, blank lines)`);
      await a.activeTrace.whenActive(view);
      const tree = a.connectionsTree;
      const groups = (await tree.getChildren()).filter((g): g is GroupNode => g.kind === 'group');
      // The first page of every group, as the view lists them (groups open expanded).
      const firstPages = await Promise.all(groups.map((g) => tree.getChildren(g)));
      const tTree = Date.now() - t0;
      const stallTree = worst;
      const total = groups.reduce((n, g) => n + g.count, 0);
      assert.strictEqual(total, tree.current.result?.summary.connections, 'the groups count every connection');
      assert.ok(total > 100_000, `${total} connections in the side bar`);
      groups.forEach((g, i) => {
        const page = firstPages[i];
        const listed = page.filter((n) => n.kind === 'connection');
        assert.strictEqual(listed.length, Math.min(g.count, PAGE_SIZE), `${g.outcome}: one page`);
        const last = page[page.length - 1];
        if (g.count > PAGE_SIZE) assert.deepStrictEqual(last.kind === 'more' ? [last.shown, last.total] : last.kind, [PAGE_SIZE, g.count], `${g.outcome}: "Load more"`);
        else assert.notStrictEqual(last.kind, 'more');
      });
      // "Load more" on the largest group: a page more.
      const biggest = groups.reduce((x, y) => (y.count > x.count ? y : x));
      const more = firstPages[groups.indexOf(biggest)].find((n) => n.kind === 'more')!;
      const click = tree.getTreeItem(more).command!;
      await vscode.commands.executeCommand(click.command, ...(click.arguments ?? []));
      const twoPages: TreeNode[] = await tree.getChildren(biggest);
      assert.strictEqual(twoPages.filter((n) => n.kind === 'connection').length, Math.min(biggest.count, 2 * PAGE_SIZE));

      // Every connection, through the pages the groups list (the requests "Load more" makes).
      worst = 0;
      const t1 = Date.now();
      const seen = new Uint8Array(total + 1);
      let pages = 0;
      for (const g of groups)
        for (let offset = 0; offset < g.count; offset += PAGE_SIZE) {
          const r = await a.analyses.connections(view, { outcome: g.outcome, offset, limit: PAGE_SIZE });
          pages++;
          assert.strictEqual(r.total, g.count);
          for (const c of r.connections) {
            assert.strictEqual(c.outcome, g.outcome);
            assert.ok(c.id >= 1 && c.id <= total && seen[c.id] === 0, `connection #${c.id} once`);
            seen[c.id] = 1;
          }
        }
      assert.strictEqual(seen.indexOf(0, 1), -1, 'every connection id from 1 to the total was listed');
      console.log(
        `      1.2M packets: view in ${tView} ms (longest extension-host stall ${stallBeforeTree} ms), side bar in ${tTree} ms (longest stall ${stallTree} ms); ` +
          `all ${total.toLocaleString('en-US')} connections paged through in ${pages} pages of ${PAGE_SIZE} in ${Date.now() - t1} ms (longest stall ${worst} ms)\n` +
          `      (paging started at +${((t1 - t0) / 1000).toFixed(1)} s; stalls over 100 ms: ${stalls.join(', ') || 'none'}; the view: ${events.join(', ') || 'no events'})`,
      );
    } finally {
      clearInterval(ticker);
      diagnosticsSeen.dispose();
      textArrived.dispose();
      docOpened.dispose();
    }
  });
});
