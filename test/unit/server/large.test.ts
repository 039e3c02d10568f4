/**
 * Large captures in the bundled server: analyzed in a worker_thread, so other requests are answered
 * meanwhile; `$/progress` while they load; cancellation of requests and of the analysis itself.
 * The capture is synthetic (written by the test, about 13 MB), made of complete graceful closes.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CancellationTokenSource, HoverRequest, WorkDoneProgressCancelNotification, type MarkupContent, ResponseError, LSPErrorCodes } from 'vscode-languageserver-protocol/node';
import { ConnectionsRequest, LANG_TCPDUMP, OpenCaptureRequest } from '../../../src/shared/lspProtocol';
import { captureUri, fileUri, KERNEL, LspSession } from './lsp';
import { syntheticSegments, writeSyntheticPcap } from './synthetic';

const CONNECTIONS = 20_000;

describe('language server on a large capture', function () {
  this.timeout(120000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'teardown-tracer-large-'));
  const big = (name: string): string => path.join(tmp, name);
  let s: LspSession;

  before(async () => {
    writeSyntheticPcap(big('a.pcap'), CONNECTIONS);
    for (const n of ['b.pcap', 'c.pcap']) fs.copyFileSync(big('a.pcap'), big(n));
    s = new LspSession();
    await s.start();
  });
  after(async () => {
    await s.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('answers other documents while a capture is analyzed, and reports $/progress for it', async () => {
    const textUri = fileUri(path.join(tmp, 'small.tcpdump'));
    await s.open(textUri, LANG_TCPDUMP, fs.readFileSync(path.join(KERNEL, '01-client-active-close.txt'), 'utf8'));
    const uri = captureUri(big('a.pcap'));
    let settled = false;
    const opening = s.conn.sendRequest(OpenCaptureRequest.type, { uri }).finally(() => (settled = true));
    const created = s.progressCreated.next(() => true);
    // Meanwhile: a hover and the connections of the text trace.
    const hover = await s.conn.sendRequest(HoverRequest.type, { textDocument: { uri: textUri }, position: { line: 7, character: 0 } });
    assert.match((hover?.contents as MarkupContent).value, /FIN-WAIT-1/);
    const conns = await s.conn.sendRequest(ConnectionsRequest.type, { uri: textUri });
    assert.strictEqual(conns.connections.length, 1);
    assert.strictEqual(settled, false, 'the text trace was answered before the capture finished');

    const token = await created;
    const view = await opening;
    assert.strictEqual(view.error, null);
    assert.deepStrictEqual([view.totalSegments, view.shownSegments, view.truncated], [syntheticSegments(CONNECTIONS), 50_000, true]);
    const end = await s.progress.first((p) => p.token === token && p.value.kind === 'end');
    assert.ok(end);
    const mine = s.progress.all.filter((p) => p.token === token).map((p) => p.value);
    assert.strictEqual(mine[0].kind, 'begin');
    assert.match(mine[0].kind === 'begin' ? mine[0].title : '', /Analyzing a\.pcap/);
    assert.ok(mine.some((v) => v.kind === 'report' && typeof v.percentage === 'number'), 'reports with percentages');
    const all = await s.conn.sendRequest(ConnectionsRequest.type, { uri });
    assert.strictEqual(all.connections.length, CONNECTIONS);
    assert.ok(all.connections.every((c) => c.outcome === 'graceful'));
  });

  it('answers a cancelled request with RequestCancelled', async () => {
    const source = new CancellationTokenSource();
    const pending = s.conn.sendRequest(ConnectionsRequest.type, { uri: captureUri(big('b.pcap')) }, source.token);
    source.cancel();
    await assert.rejects(pending, (e: unknown) => e instanceof ResponseError && e.code === LSPErrorCodes.RequestCancelled);
  });

  it('stops the analysis when its progress is cancelled, and starts afresh on the next request', async () => {
    const uri = captureUri(big('c.pcap'));
    const created = s.progressCreated.next(() => true);
    const opening = s.conn.sendRequest(OpenCaptureRequest.type, { uri });
    const token = await created;
    await s.progress.first((p) => p.token === token && p.value.kind === 'begin');
    void s.conn.sendNotification(WorkDoneProgressCancelNotification.type, { token });
    await assert.rejects(opening, (e: unknown) => e instanceof ResponseError && /cancelled/.test(e.message));
    const again = await s.conn.sendRequest(OpenCaptureRequest.type, { uri });
    assert.strictEqual(again.totalSegments, syntheticSegments(CONNECTIONS));
  });
});
