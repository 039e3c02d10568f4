/**
 * The bundled server over node IPC, as vscode-languageclient starts it (TransportKind.ipc:
 * `fork(dist/server.js, ['--node-ipc'])`), including a capture analyzed in its worker.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ConnectionsRequest, LANG_TCPDUMP, OpenCaptureRequest } from '../../../src/shared/lspProtocol';
import { captureUri, fileUri, KERNEL, LspSession } from './lsp';

describe('language server over node IPC', function () {
  this.timeout(60000);

  it('initializes, analyzes a trace and a capture, and exits on shutdown', async () => {
    const s = new LspSession({ transport: 'ipc' });
    await s.start();
    const uri = fileUri(path.join(KERNEL, '06-abortive-close-linger0.tcpdump'));
    const d = await s.open(uri, LANG_TCPDUMP, fs.readFileSync(path.join(KERNEL, '06-abortive-close-linger0.txt'), 'utf8'));
    assert.deepStrictEqual(d.diagnostics.map((x) => x.code), ['abrupt-reset']);
    const view = await s.conn.sendRequest(OpenCaptureRequest.type, { uri: captureUri(path.join(KERNEL, '06-abortive-close-linger0.pcap')) });
    assert.match(view.text, /^# connection 1: .* · reset · /);
    const conns = await s.conn.sendRequest(ConnectionsRequest.type, { uri: captureUri(path.join(KERNEL, '06-abortive-close-linger0.pcap')) });
    assert.strictEqual(conns.connections[0].outcome, 'reset');
    assert.strictEqual(await s.stop(), 0);
  });
});
