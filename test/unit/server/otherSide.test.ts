/**
 * "Add the other side's capture" (issue 15) in the language server, over real JSON-RPC: the
 * `teardown/otherSide` request merges the other capture into a capture's views in its worker
 * (src/core/merge and the one engine), and the views then say what the merge says: the view's
 * preamble (the pair and the clock offset), a diagnostic per segment lost between the capture
 * points, findings naming both captures' frames, hovers with both frame numbers and the transit
 * time, ladder windows with where each arrow leaves and lands. Fixtures: test/fixtures/twoends
 * (kernel-made, captured at both ends at once; the `+3.5s` copies have the server's clock shifted).
 */
import * as assert from 'assert';
import * as path from 'path';
import { HoverRequest, type MarkupContent, type PublishDiagnosticsParams } from 'vscode-languageserver-protocol/node';
import { LANG_TCPDUMP, OpenCaptureRequest, OtherSideRequest, SegmentsRequest } from '../../../src/shared/lspProtocol';
import { captureUri, fileUri, FIXTURES, LspSession, ROOT } from './lsp';

const TWO = path.join(ROOT, 'test/fixtures/twoends');
const two = (name: string): string => path.join(TWO, name);
const markdown = (h: { contents: unknown } | null): string => (h?.contents as MarkupContent | undefined)?.value ?? '';
const byCode = (p: PublishDiagnosticsParams, code: string): string[] => p.diagnostics.filter((d) => d.code === code).map((d) => d.message);

describe('language server: the other side’s capture (teardown/otherSide)', function () {
  this.timeout(60000);
  let s: LspSession;
  before(async () => {
    s = new LspSession();
    await s.start();
  });
  after(async () => {
    assert.strictEqual(await s.stop(), 0);
  });

  const opened = new Set<string>();
  /** The view's text and its published diagnostics (the view opened again with the text the merge changed). */
  async function view(uri: string): Promise<{ text: string; diags: PublishDiagnosticsParams }> {
    const v = await s.conn.sendRequest(OpenCaptureRequest.type, { uri });
    if (opened.has(uri)) {
      // Closing clears its diagnostics: wait for that, then open it with the new text.
      const cleared = s.diagnostics.next((d) => d.uri === uri && d.diagnostics.length === 0);
      s.close(uri);
      await cleared;
    }
    opened.add(uri);
    const diags = await s.open(uri, LANG_TCPDUMP, v.text);
    return { text: v.text, diags };
  }

  it('merges the server’s capture into the client’s: the pair, the offset within its bounds, the fates', async () => {
    const uri = captureUri(two('01-lost-final-ack.client.pcap'));
    const before = await view(uri);
    assert.match(before.text, /^# connection 1: /, 'one capture alone first');
    const r = await s.conn.sendRequest(OtherSideRequest.type, { uri, other: fileUri(two('01-lost-final-ack.server+3.5s.pcap')) });
    assert.strictEqual(r.error, null);
    const m = r.merge!;
    assert.deepStrictEqual([m.names, m.files], [
      ['client', 'server'],
      ['01-lost-final-ack.client.pcap', '01-lost-final-ack.server+3.5s.pcap'],
    ]);
    assert.ok(Math.abs(m.offset - 3.5) < 0.001, `offset ${m.offset}`);
    assert.ok(m.bounds[0]! <= m.offset && m.offset <= m.bounds[1]!, 'the estimate lies within its bounds');
    assert.ok(m.bounds[1]! - m.bounds[0]! < 0.05, 'bounded by the round trip (2 x 10 ms)');
    assert.deepStrictEqual([m.connections, m.inBoth, m.counts], [1, 1, { both: 12, lost: 1, outside: 0, 'unseen-at-sender': 0 }]);
    const asked = await s.conn.sendRequest(OtherSideRequest.type, { uri });
    assert.deepStrictEqual(asked.merge, m, 'remembered for the capture');
    const note = await s.analyses.first((p) => p.uri === uri && p.pair !== undefined);
    assert.strictEqual(note.pair?.otherPath, two('01-lost-final-ack.server+3.5s.pcap'));
  });

  it('says what the merge says: preamble, the lost ACK as a diagnostic, findings with both frames, hovers', async () => {
    const uri = captureUri(two('01-lost-final-ack.client.pcap'));
    const { text, diags } = await view(uri);
    const lines = text.split('\n');
    assert.match(lines[0], /^# two captures merged: client capture 01-lost-final-ack\.client\.pcap, server capture 01-lost-final-ack\.server\+3\.5s\.pcap; 1 connection, 1 in both$/);
    assert.match(lines[1], /^# clock: the server capture's clock is 3\.49\d+ s ahead of the client capture's \(bounds 3\.4\d+ s to 3\.5\d+ s\)$/);
    assert.strictEqual(lines[2], '# segments: 12 seen at both points, 1 lost between them, 0 outside the other capture, 0 seen only where they arrived');
    const lost = byCode(diags, 'lost-between-captures');
    assert.deepStrictEqual(lost, [
      "The client's final ACK (client frame 11) was sent and lost before the server's capture point; the server retransmitted its FIN from LAST-ACK (server frame 11).",
    ]);
    assert.match(byCode(diags, 'missing-ack')[0], /client frame 11 \(lost before the server capture\).*server frame 11 = client frame 12/);
    const lostDiag = diags.diagnostics.find((d) => d.code === 'lost-between-captures')!;
    const lostLine = lostDiag.range.start.line;
    assert.deepStrictEqual(lostDiag.relatedInformation?.map((x) => x.location.range.start.line), [lostLine + 1], 'the FIN retransmitted next');

    const hoverAt = async (line: number): Promise<string> => markdown(await s.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line, character: 3 } }));
    const lostHover = await hoverAt(lostLine);
    assert.match(lostHover, /\*\*Lost between the capture points:\*\* sent client frame 11 \(01-lost-final-ack\.client\.pcap\); the server capture, running then, never saw it\./);
    assert.match(lostHover, /client frame 11 \(lost before the server capture\) \(line \d+\)/, 'the segment is named by its frame in each capture');
    const retrans = await hoverAt(lostLine + 1);
    assert.match(retrans, /\*\*Seen at both capture points:\*\* sent server frame 11 \(01-lost-final-ack\.server\+3\.5s\.pcap\), arrived client frame 12 \(01-lost-final-ack\.client\.pcap\) after \*\*1\d\.\d{3} ms\*\*\./);
    const header = await hoverAt(lines.findIndex((l) => l.startsWith('# connection 1')));
    assert.match(header, /\*Two captures:\* client capture 01-lost-final-ack\.client\.pcap \(connection #1\), server capture 01-lost-final-ack\.server\+3\.5s\.pcap \(connection #1\)/);
  });

  it('publishes a view’s diagnostics again when its text is shown again (the editor moved the old ones with the replaced text)', async () => {
    const uri = captureUri(two('01-lost-final-ack.client.pcap'));
    const v = await s.conn.sendRequest(OpenCaptureRequest.type, { uri });
    const again = s.diagnostics.next((d) => d.uri === uri);
    s.change(uri, [{ text: v.text }]);
    const d = await again;
    assert.deepStrictEqual(byCode(d, 'lost-between-captures').length, 1);
    assert.match(v.text.split('\n')[d.diagnostics.find((x) => x.code === 'lost-between-captures')!.range.start.line], /10\.89\.0\.1\.41001 > 10\.89\.0\.2\.8080: Flags \[\.\], ack 202,/);
  });

  it('gives the ladder where each arrow leaves and lands: transit on the receiver’s clock, the lost ACK vanishing', async () => {
    const uri = captureUri(two('01-lost-final-ack.client.pcap'));
    const w = await s.conn.sendRequest(SegmentsRequest.type, { uri, connection: 1, start: 0, count: 100 });
    assert.strictEqual(w.total, 13);
    assert.deepStrictEqual(w.connection?.two?.ids, [1, 1]);
    for (const x of w.segments) {
      const t = x.two!;
      assert.ok(t, `segment ${x.index} has its two-sided facts`);
      if (t.fate === 'both') {
        assert.ok(t.land !== null && t.land > x.index && t.land < x.index + 2, `segment ${x.index} lands after it left (${t.land})`);
        assert.ok(t.transit !== null && t.transit > 0.0099 && t.transit < 0.02, `transit ${t.transit}`);
        assert.ok(t.frames[0] > 0 && t.frames[1] > 0);
      }
    }
    const lost = w.segments.filter((x) => x.two?.fate === 'lost');
    assert.deepStrictEqual(lost.map((x) => [x.index, x.two?.frames, x.two?.land, x.arrival]), [[10, [11, 0], null, -1]]);
    assert.ok(lost[0].two!.expected! > 10, 'where it would have arrived');
    assert.strictEqual(lost[0].two!.where, 'client frame 11 (lost before the server capture)');
    // The server's state changes where the client's FIN landed, after the FIN left.
    const fin = w.segments.find((x) => x.dir === 'c2s' && x.flagText.includes('FIN'))!;
    const change = w.segments.find((x) => x.serverBefore === 'ESTABLISHED' && x.serverAfter === 'CLOSE-WAIT')!;
    assert.ok(change.two!.serverAt! > fin.index, 'CLOSE-WAIT begins on the server’s lifeline where the FIN arrives');
    assert.strictEqual(Math.floor(change.two!.serverAt!), change.index);
  });

  it('merges the client’s capture into the server’s the same way: the captures named by where they were taken', async () => {
    const uri = captureUri(two('01-lost-final-ack.server.pcap'));
    const r = await s.conn.sendRequest(OtherSideRequest.type, { uri, other: fileUri(two('01-lost-final-ack.client.pcap')) });
    assert.deepStrictEqual(r.merge?.names, ['server', 'client']);
    assert.ok(Math.abs(r.merge!.offset) < 0.001, 'one kernel clock');
    const { diags } = await view(uri);
    assert.deepStrictEqual(byCode(diags, 'lost-between-captures'), [
      "The client's final ACK (client frame 11) was sent and lost before the server's capture point; the server retransmitted its FIN from LAST-ACK (server frame 11).",
    ]);
  });

  it('removes the other side again, and refuses what it cannot merge with a sentence', async () => {
    const uri = captureUri(two('01-lost-final-ack.client.pcap'));
    const r = await s.conn.sendRequest(OtherSideRequest.type, { uri, other: null });
    assert.deepStrictEqual(r, { merge: null, error: null });
    const { text, diags } = await view(uri);
    assert.match(text, /^# connection 1: /);
    assert.deepStrictEqual(byCode(diags, 'lost-between-captures'), []);

    const figure = await s.conn.sendRequest(OtherSideRequest.type, { uri, other: fileUri(path.join(FIXTURES, 'normal-close.tcptrace')) });
    assert.strictEqual(figure.merge, null);
    assert.match(figure.error ?? '', /normal-close\.tcptrace/);
    const missing = await s.conn.sendRequest(OtherSideRequest.type, { uri, other: fileUri(two('no-such.pcap')) });
    assert.match(missing.error ?? '', /no such file/);
    assert.deepStrictEqual((await s.conn.sendRequest(OtherSideRequest.type, { uri })).merge, null, 'a failed merge is not remembered');
  });
});

describe('language server: the other side’s capture on the streaming path', function () {
  this.timeout(60000);
  it('is refused with the command to run, and the capture stays as it was', async () => {
    const s = new LspSession({ settings: { streamingThresholdMB: 0 } });
    await s.start();
    try {
      const uri = captureUri(two('01-lost-final-ack.client.pcap'));
      const before = await s.conn.sendRequest(OpenCaptureRequest.type, { uri });
      assert.strictEqual(before.streamed, true);
      const r = await s.conn.sendRequest(OtherSideRequest.type, { uri, other: fileUri(two('01-lost-final-ack.server.pcap')) });
      assert.strictEqual(r.merge, null);
      assert.match(r.error ?? '', /streaming path .* run `teardown-tracer analyze .*01-lost-final-ack\.client\.pcap --with .*01-lost-final-ack\.server\.pcap`/);
      const after = await s.conn.sendRequest(OpenCaptureRequest.type, { uri });
      assert.strictEqual(after.text, before.text);
    } finally {
      assert.strictEqual(await s.stop(), 0);
    }
  });
});
