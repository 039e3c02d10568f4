/**
 * The bundled language server (dist/server.js, built by `npm run build` before the tests) over real
 * JSON-RPC: diagnostics, hovers, symbols, inlay hints, folding, code lenses, definitions and every
 * custom request, on the project's kernel-made fixtures and the RFC 9293 figures.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import {
  CodeLensRequest,
  DefinitionRequest,
  DidChangeTextDocumentNotification,
  DocumentSymbolRequest,
  FoldingRangeRequest,
  HoverRequest,
  InlayHintRequest,
  type DocumentSymbol,
  type Location,
  type MarkupContent,
} from 'vscode-languageserver-protocol/node';
import {
  ConnectionsRequest,
  ExportRequest,
  OpenCaptureRequest,
  SegmentAtRequest,
  SegmentsRequest,
} from '../../../src/shared/lspProtocol';
import { LspSession, ROOT, SERVER } from './lsp';

const KERNEL = path.join(ROOT, 'test/fixtures/kernel');
const captureUri = (name: string, query = 'view=all'): string => `teardown-capture:${path.join(KERNEL, name)}?${encodeURIComponent(query)}`;

describe('language server over JSON-RPC', function () {
  this.timeout(30000);
  let s: LspSession;

  before(async function () {
    if (!fs.existsSync(SERVER)) throw new Error('dist/server.js is missing: run npm run build first');
    s = new LspSession({ mslSeconds: 30 });
    await s.start();
  });
  after(() => s.stop());

  it('renders a capture view and publishes its findings as diagnostics on the view', async () => {
    const uri = captureUri('04-half-close-lingering.pcap');
    const opened = await s.conn.sendRequest(OpenCaptureRequest.type, { uri });
    assert.strictEqual(opened.error, null);
    assert.strictEqual(opened.totalSegments, 9);
    const lines = opened.text.split('\n');
    assert.match(lines[0], /^# connection 1: 10\.88\.0\.1:40004 -> 10\.88\.0\.2:8080 · half-closed/);
    assert.match(lines[8], /Flags \[F\.\], seq 65, ack 201/);
    const diags = await s.open(uri, 'tcpdump-text', opened.text);
    assert.deepStrictEqual(diags.diagnostics.map((d) => d.code), ['lingering-half-close']);
    assert.strictEqual(diags.diagnostics[0].range.start.line, 8, 'on the FIN line');
  });

  it('hovers a FIN with both endpoints\' states before and after, and why', async () => {
    const uri = captureUri('01-client-active-close.pcap');
    const opened = await s.conn.sendRequest(OpenCaptureRequest.type, { uri });
    await s.open(uri, 'tcpdump-text', opened.text);
    const finLine = opened.text.split('\n').findIndex((l) => l.includes('Flags [F.]'));
    const hover = await s.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: finLine, character: 5 } });
    const md = (hover?.contents as MarkupContent).value;
    assert.match(md, /client: ESTABLISHED → \*\*FIN-WAIT-1\*\* · server: ESTABLISHED → \*\*CLOSE-WAIT\*\*/);
    assert.match(md, /RFC 9293 3\.6/);
    assert.match(md, /acknowledged by frame 9/);
  });

  it('gives symbols, folding, inlay hints, code lenses and definitions on a capture view', async () => {
    const uri = captureUri('11-tuple-reuse-time-wait.pcap');
    const opened = await s.conn.sendRequest(OpenCaptureRequest.type, { uri });
    const diags = await s.open(uri, 'tcpdump-text', opened.text);
    assert.deepStrictEqual(diags.diagnostics.map((d) => d.code), ['port-reuse']);
    const symbols = (await s.conn.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } })) as DocumentSymbol[];
    assert.deepStrictEqual(symbols.map((x) => x.name), ['10.88.0.1:40011 → 10.88.0.2:8080', '10.88.0.1:40011 → 10.88.0.2:8080']);
    assert.match(symbols[1].detail ?? '', /^graceful, client closed first$/);
    const folds = await s.conn.sendRequest(FoldingRangeRequest.type, { textDocument: { uri } });
    assert.strictEqual(folds?.length, 2);
    const lineCount = opened.text.split('\n').length;
    const hints = await s.conn.sendRequest(InlayHintRequest.type, { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: lineCount, character: 0 } } });
    assert.ok(hints && hints.some((h) => (Array.isArray(h.label) ? h.label.map((x) => x.value).join('') : h.label).includes('client: ESTABLISHED → FIN-WAIT-1')));
    const lenses = await s.conn.sendRequest(CodeLensRequest.type, { textDocument: { uri } });
    assert.ok(lenses && lenses.filter((l) => l.command?.command === 'teardownTracer.showDiagram').length === 2);
    const ackLine = opened.text.split('\n').findIndex((l) => / Flags \[\.\], ack 66,/.test(l));
    const def = (await s.conn.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position: { line: ackLine, character: 3 } })) as Location;
    assert.ok(def && opened.text.split('\n')[def.range.start.line].includes('Flags [F.]'), 'an ACK leads to the FIN it acknowledges');
  });

  it('answers the custom requests: connections, segments, segmentAt, exports', async () => {
    const uri = captureUri('09-lost-final-ack.pcap');
    const opened = await s.conn.sendRequest(OpenCaptureRequest.type, { uri });
    await s.open(uri, 'tcpdump-text', opened.text);
    const conns = await s.conn.sendRequest(ConnectionsRequest.type, { uri });
    assert.strictEqual(conns.input.packets, 13);
    assert.strictEqual(conns.connections.length, 1);
    assert.deepStrictEqual(conns.connections[0].findings.map((f) => f.code).sort(), ['fin-retransmitted', 'missing-ack']);
    const win = await s.conn.sendRequest(SegmentsRequest.type, { uri, connection: 1, start: 9, count: 4 });
    assert.strictEqual(win.total, 13);
    assert.deepStrictEqual(win.segments.map((x) => [x.clientAfter, x.serverAfter]), [
      ['TIME-WAIT', 'LAST-ACK'],
      ['TIME-WAIT', 'LAST-ACK'],
      ['TIME-WAIT', 'LAST-ACK'],
      ['TIME-WAIT', 'CLOSED'],
    ]);
    const at = await s.conn.sendRequest(SegmentAtRequest.type, { uri, line: win.segments[0].line });
    assert.deepStrictEqual(at, { connection: 1, index: 9 });
    const json = JSON.parse((await s.conn.sendRequest(ExportRequest.type, { uri, kind: 'analysis-json' })).text);
    assert.deepStrictEqual(json.connections[0].finalState, { client: 'TIME-WAIT', server: 'CLOSED' });
    const table = (await s.conn.sendRequest(ExportRequest.type, { uri, kind: 'state-table', connection: 1 })).text;
    assert.match(table, /\| 8 \| 8 \| ESTABLISHED \| FIN-WAIT-1 \| → `<SEQ=65><ACK=201><CTL=FIN,ACK>` \| ESTABLISHED \| CLOSE-WAIT \|/);
    const mermaid = (await s.conn.sendRequest(ExportRequest.type, { uri, kind: 'mermaid' })).text;
    assert.match(mermaid, /^sequenceDiagram/);
    assert.match(mermaid, /Note over S: LAST-ACK/);
  });

  it('reports an unreadable capture as a diagnostic instead of failing', async () => {
    const uri = `teardown-capture:${path.join(ROOT, 'package.json')}?view%3Dall`;
    const opened = await s.conn.sendRequest(OpenCaptureRequest.type, { uri });
    assert.match(opened.error ?? '', /not a pcap or pcapng file/);
    const diags = await s.open(uri, 'tcpdump-text', opened.text);
    assert.strictEqual(diags.diagnostics[0].code, 'unreadable');
  });

  it('re-analyzes a text trace on edits', async function () {
    const txt = fs.readFileSync(path.join(KERNEL, '04-half-close-lingering.txt'), 'utf8');
    const uri = pathToFileURL(path.join(KERNEL, 'edited.tcpdump')).toString();
    const first = await s.open(uri, 'tcpdump-text', txt);
    if (first.diagnostics.some((d) => d.code === 'parse-error')) this.skip(); // text parsers not built
    assert.deepStrictEqual(first.diagnostics.map((d) => d.code), ['lingering-half-close']);
    const lines = txt.trimEnd().split('\n');
    const next = s.nextDiagnostics(uri);
    void s.conn.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: 2 },
      contentChanges: [{ text: lines.slice(0, 3).join('\n') + '\n' }],
    });
    assert.deepStrictEqual((await next).diagnostics.map((d) => d.code), []);
  });
});
