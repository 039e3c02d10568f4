import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { loadCaptureView } from '../../src/extension/capture/content';
import { PAGE_SIZE, type GroupNode } from '../../src/extension/tree';
import { OpenCaptureRequest, OUTCOME_ORDER, SegmentsRequest } from '../../src/shared/lspProtocol';
import { api, captureView, closeAllEditors, hoverText, ownFixture, REPO, tmpFile, until } from './helpers';

/**
 * Big captures in the editor take the streaming path (teardownTracer.streamingThresholdMB): the
 * server keeps a compact index and reads connections back from the file. Here, in a real VS Code:
 *  - in CI, a small capture (every kernel capture merged by time) with the threshold lowered to 0
 *    MB, compared with the same capture through the whole-capture path: the same view text, Problems,
 *    side bar groups and pages, ladders and hovers;
 *  - with .bench/loopback-8x.pcap (about 10 million packets, made by scripts/bench/big.mjs; skipped
 *    without it), opened through the streaming path by default: paged view, every connection
 *    counted, pages, a ladder and a hover from the end of the file, without stalling the extension
 *    host (the longest stall is printed, not asserted).
 */
const SETTING = 'streamingThresholdMB';

async function setThreshold(mb: number | undefined): Promise<void> {
  await vscode.workspace.getConfiguration('teardownTracer').update(SETTING, mb, vscode.ConfigurationTarget.Global);
}

/** What the editor shows of a capture view: text, Problems, groups with every page, ladders, hovers on FINs. */
async function snapshot(view: vscode.Uri): Promise<Record<string, unknown>> {
  const a = await api();
  const out: Record<string, unknown> = {};
  const opened = await a.client.request(OpenCaptureRequest.type, { uri: view.toString() });
  out.text = opened.text;
  out.paging = [opened.shownSegments, opened.totalSegments, opened.truncated];
  out.problems = vscode.languages
    .getDiagnostics(view)
    .map((d) => `${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character} ${String(d.code)} ${d.message}`)
    .sort();
  const counts = await a.analyses.connections(view, { limit: 0 });
  out.counts = counts.summary;
  for (const outcome of OUTCOME_ORDER) {
    const n = counts.summary.outcomes[outcome];
    for (let offset = 0; offset < n; offset += 5) out[`${outcome} ${offset}`] = (await a.analyses.connections(view, { outcome, offset, limit: 5 })).connections;
  }
  out.filtered = (await a.analyses.connections(view, { filter: 'tcp.flags.reset == 1', limit: 100 })).connections.map((c) => c.id);
  for (let id = 1; id <= counts.summary.connections; id++) out[`ladder ${id}`] = await a.client.request(SegmentsRequest.type, { uri: view.toString(), connection: id, start: 0, count: 1000 });
  const doc = await vscode.workspace.openTextDocument(view);
  for (let line = 0; line < doc.lineCount; line++) {
    if (!/Flags \[F/.test(doc.lineAt(line).text)) continue;
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', view, new vscode.Position(line, 8));
    out[`hover ${line}`] = hoverText(hovers);
  }
  return out;
}

/** Resolves once `check()` is true, checking again after each `event` (subscribed before each check). */
async function untilTrue(what: string, check: () => Promise<boolean>, event: vscode.Event<unknown>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let sub: vscode.Disposable | undefined;
    const fired = new Promise<void>((resolve) => (sub = event(() => resolve())));
    try {
      if (await check()) return;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await Promise.race([fired, new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), left))]);
    } finally {
      sub?.dispose();
    }
  }
}

describe('big captures: the streaming path', function () {
  this.timeout(600_000);
  before(async () => {
    await api();
  });
  after(async () => {
    await setThreshold(undefined);
    await closeAllEditors();
  });

  it('shows a capture read back through the index as the whole-capture path shows it (threshold 0 MB)', async () => {
    const a = await api();
    const file = tmpFile('kernel-all.pcap');
    fs.copyFileSync(ownFixture('kernel-all.pcap').fsPath, file.fsPath);
    const view = captureView(file);
    await setThreshold(undefined);
    const active = a.activeTrace.whenActive(view);
    await vscode.commands.executeCommand('vscode.open', file);
    await active;
    await until('the Problems of the capture', () => (vscode.languages.getDiagnostics(view).length > 0 ? true : undefined), [vscode.languages.onDidChangeDiagnostics]);
    const whole = await snapshot(view);
    assert.strictEqual(a.captureContent.viewInfo(view)?.streamed, false, 'a small capture is decoded whole by default');

    // The same capture through the streaming path: the server reloads it when the setting changes.
    await setThreshold(0);
    await untilTrue('the capture to be streamed', async () => (await a.client.request(OpenCaptureRequest.type, { uri: view.toString() })).streamed === true, a.client.onDidChangeAnalysis);
    const streamed = await snapshot(view);
    assert.ok(Object.keys(whole).length > 40, `${Object.keys(whole).length} things compared`);
    for (const key of Object.keys(whole)) assert.deepStrictEqual(streamed[key], whole[key], key);
  });

  it('opens a 10-million-packet capture paged, with the side bar, a ladder and hovers from the end of the file', async function () {
    const BIG = path.join(REPO, '.bench/loopback-8x.pcap');
    if (!fs.existsSync(BIG)) this.skip();
    await setThreshold(undefined);
    const a = await api();
    const file = vscode.Uri.file(BIG);
    const view = captureView(file);
    let worst = 0;
    let last = Date.now();
    const t0 = Date.now();
    const ticker = setInterval(() => {
      const now = Date.now();
      worst = Math.max(worst, now - last - 50);
      last = now;
    }, 50);
    try {
      const shown = until(
        'the capture view',
        () => (vscode.window.activeTextEditor?.document.uri.toString() === view.toString() ? vscode.window.activeTextEditor : undefined),
        [vscode.window.onDidChangeActiveTextEditor],
        400_000,
      );
      await vscode.commands.executeCommand('vscode.open', file);
      await shown;
      await a.activeTrace.whenActive(view);
      const tView = Date.now() - t0;
      const info = a.captureContent.viewInfo(view);
      assert.strictEqual(info?.streamed, true, 'streamed by default (above 128 MB)');
      assert.deepStrictEqual([info?.shownSegments, info?.truncated], [50_000, true]);
      const tree = a.connectionsTree;
      const groups = (await tree.getChildren()).filter((g): g is GroupNode => g.kind === 'group');
      const total = groups.reduce((n, g) => n + g.count, 0);
      const manifest = JSON.parse(fs.readFileSync(path.join(REPO, '.bench/loopback-1m.json'), 'utf8')) as { handshakes: number };
      assert.strictEqual(total, 8 * manifest.handshakes, 'every connection: 8 x the distinct handshakes');
      const biggest = groups.reduce((x, y) => (y.count > x.count ? y : x));
      const first = await tree.getChildren(biggest);
      assert.strictEqual(first.filter((n) => n.kind === 'connection').length, PAGE_SIZE);
      const more = first[first.length - 1];
      assert.ok(more.kind === 'more' && more.total === biggest.count, '"Load more"');
      const t1 = Date.now();
      const end = await a.analyses.connections(view, { outcome: biggest.outcome, offset: biggest.count - PAGE_SIZE, limit: PAGE_SIZE });
      const tPage = Date.now() - t1;
      assert.strictEqual(end.connections.length, PAGE_SIZE);
      const lastId = end.connections[end.connections.length - 1].id;
      const ladder = await a.client.request(SegmentsRequest.type, { uri: view.toString(), connection: lastId, start: 0, count: 200 });
      assert.ok(ladder.total > 0 && ladder.segments.length === ladder.total, `the ladder of #${lastId}`);
      // That connection's own view, and a hover in it.
      const one = vscode.Uri.from({ scheme: 'teardown-capture', path: file.path, query: `conn=${lastId}` });
      const doc = await loadCaptureView(one);
      const text = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', one, new vscode.Position(1, 8)));
      assert.match(text, /client: .* · server: /, `the hover of ${doc.lineAt(1).text}`);
      console.log(
        `      8x (${total.toLocaleString('en-US')} connections): view in ${tView} ms, a page of ${PAGE_SIZE} from the end in ${tPage} ms; longest extension-host stall ${worst} ms`,
      );
    } finally {
      clearInterval(ticker);
    }
  });
});
