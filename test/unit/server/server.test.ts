/**
 * The bundled language server (dist/server.js; `npm run build` runs before the tests) over real
 * JSON-RPC on stdio: text traces (tcpdump output, RFC 9293 figures) and capture views of the
 * project's kernel-made fixtures. Diagnostics, hovers, inlay hints, definitions, symbols, folding,
 * code lenses, every custom request of src/shared/lspProtocol.ts, edits, settings.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  CodeActionRequest,
  CodeLensRequest,
  DefinitionRequest,
  DiagnosticSeverity,
  DocumentSymbolRequest,
  FoldingRangeRequest,
  HoverRequest,
  InlayHintRequest,
  type CodeAction,
  type Diagnostic,
  type DocumentSymbol,
  type InlayHint,
  type Location,
  type MarkupContent,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { codeActions } from '../../../src/server/features';
import { DEFAULT_SETTINGS } from '../../../src/server/settings';
import { textTraceDoc } from '../../../src/server/traceDoc';
import { loadCapture } from '../../../src/node/loadTrace';
import { parseTcpdump } from '../../../src/core/text/tcpdump';
import {
  ConnectionsRequest,
  ExportRequest,
  LANG_TCPDUMP,
  LANG_TCPTRACE,
  OpenCaptureRequest,
  SegmentAtRequest,
  SegmentsRequest,
} from '../../../src/shared/lspProtocol';
import { captureUri, fileUri, FIXTURES, KERNEL, LspSession, SERVER } from './lsp';
import { writeSyntheticPcap } from './synthetic';
import { runAnalyze } from '../../../src/cli/analyze';
import { runCli } from '../cliRun';

const kernel = (name: string): string => path.join(KERNEL, name);
const read = (file: string): string => fs.readFileSync(file, 'utf8');
const codes = (p: PublishDiagnosticsParams): string[] => p.diagnostics.map((d) => String(d.code));
const lines = (p: PublishDiagnosticsParams): number[] => p.diagnostics.map((d) => d.range.start.line);
const label = (h: InlayHint): string => (typeof h.label === 'string' ? h.label : h.label.map((x) => x.value).join(''));
const markdown = (h: { contents: unknown } | null): string => (h?.contents as MarkupContent | undefined)?.value ?? '';

/** A text document URI for a fixture (never opened from disk by the server: the text is sent). */
const textUri = (name: string): string => fileUri(path.join(os.tmpdir(), 'teardown-tracer-lsp-test', name));

describe('language server over JSON-RPC', function () {
  this.timeout(60000);
  let s: LspSession;

  before(async function () {
    if (!fs.existsSync(SERVER)) throw new Error('dist/server.js is missing: run npm run build first');
    s = new LspSession();
    await s.start();
  });
  after(async () => {
    assert.strictEqual(await s.stop(), 0, 'the server exits cleanly after shutdown');
  });

  describe('tcpdump text', () => {
    const uri = textUri('09-lost-final-ack.tcpdump');
    let opened: PublishDiagnosticsParams;
    before(async () => {
      opened = await s.open(uri, LANG_TCPDUMP, read(kernel('09-lost-final-ack.txt')));
    });

    it('publishes a diagnostic per finding: code, severity, message, related lines, RFC link', async () => {
      assert.deepStrictEqual(codes(opened), ['missing-ack', 'fin-retransmitted']);
      assert.deepStrictEqual(lines(opened), [10, 11]);
      assert.strictEqual(opened.version, 1);
      const [missing, retrans] = opened.diagnostics as [Diagnostic, Diagnostic];
      assert.strictEqual(missing.severity, DiagnosticSeverity.Warning);
      assert.strictEqual(missing.source, 'teardown-tracer');
      assert.match(missing.message, /ACK in line 11 evidently never reached the server/);
      assert.strictEqual(missing.codeDescription?.href, 'https://www.rfc-editor.org/rfc/rfc9293.html#section-3.8.1');
      assert.deepStrictEqual(missing.relatedInformation?.map((r) => [r.location.uri, r.location.range.start.line]), [[uri, 11]]);
      assert.deepStrictEqual(retrans.relatedInformation?.map((r) => r.location.range.start.line), [9]);
      assert.strictEqual(missing.range.end.character, read(kernel('09-lost-final-ack.txt')).split('\n')[10].length, 'the whole segment line');
      const changed = await s.analyses.first((p) => p.uri === uri);
      assert.deepStrictEqual(changed, { uri, version: 1, connections: 1, findings: 2, errors: 0 });
    });

    it('hovers a FIN with both endpoints’ states before → after, why, numbers and acknowledgments', async () => {
      const h = await s.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 7, character: 3 } });
      const md = markdown(h);
      assert.match(md, /^\*\*FIN,ACK\*\* client → server · line 8 · connection #1/);
      assert.match(md, /client: ESTABLISHED → \*\*FIN-WAIT-1\*\* · server: ESTABLISHED → \*\*CLOSE-WAIT\*\*/);
      assert.match(md, /- client: ESTABLISHED → FIN-WAIT-1: .*\(RFC 9293 3\.6, case 1\)/);
      assert.match(md, /- server: ESTABLISHED → CLOSE-WAIT: .*RFC 9293 3\.6/);
      assert.match(md, /seq 65 \(absolute \d+\) · ack 201 \(absolute \d+\) · len 0/);
      assert.match(md, /acknowledged by line 9/);
      const ack = markdown(await s.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 8, character: 0 } }));
      assert.match(ack, /acknowledges the FIN,ACK in line 8/);
      const retrans = markdown(await s.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 11, character: 0 } }));
      assert.match(retrans, /\*retransmission\*/);
      assert.match(retrans, /\*\*fin-retransmitted\*\* \(warning\)/);
    });

    it('shows the transitions as inlay hints at the end of the lines that change a state', async () => {
      const text = read(kernel('09-lost-final-ack.txt')).split('\n');
      const hints = (await s.conn.sendRequest(InlayHintRequest.type, {
        textDocument: { uri },
        range: { start: { line: 0, character: 0 }, end: { line: text.length, character: 0 } },
      }))!;
      const fin = hints.find((h) => h.position.line === 7)!;
      assert.strictEqual(label(fin), 'client: ESTABLISHED → FIN-WAIT-1 · server: ESTABLISHED → CLOSE-WAIT');
      assert.strictEqual(fin.position.character, text[7].length);
      const tooltips = (fin.label as { tooltip?: string }[]).map((p) => p.tooltip).filter(Boolean);
      assert.ok(tooltips.every((t) => /RFC 9293/.test(String(t))), 'each part explains itself');
      assert.ok(!hints.some((h) => h.position.line === 6), 'no hint where nothing changes (a pure ACK in ESTABLISHED)');
      const some = await s.conn.sendRequest(InlayHintRequest.type, { textDocument: { uri }, range: { start: { line: 7, character: 0 }, end: { line: 8, character: 0 } } });
      assert.deepStrictEqual(some?.map((h) => h.position.line), [7, 8], 'only the range asked for');
    });

    it('tags retransmissions and keepalive probes in the inlay hints, before the transitions', async () => {
      const hintsOf = async (u: string, n: number): Promise<Map<number, string>> => {
        const hs = (await s.conn.sendRequest(InlayHintRequest.type, { textDocument: { uri: u }, range: { start: { line: 0, character: 0 }, end: { line: n, character: 0 } } }))!;
        return new Map(hs.map((h) => [h.position.line, label(h)]));
      };
      // 09: the server's FIN again (line 12), which takes nobody anywhere.
      const lost = await hintsOf(uri, 14);
      assert.strictEqual(lost.get(11), '[retransmission]');
      // 18: three keepalive probes nobody answers, then the client's RST.
      const ka = textUri('18-keepalive-timeout.tcpdump');
      await s.open(ka, LANG_TCPDUMP, read(kernel('18-keepalive-timeout.txt')));
      const hints = await hintsOf(ka, 12);
      assert.deepStrictEqual([7, 8, 9].map((l) => hints.get(l)), ['[keepalive]', '[keepalive]', '[keepalive]']);
      assert.ok(!hints.has(6), 'a plain ACK has no tag');
      assert.strictEqual(hints.get(10), 'client: ESTABLISHED → CLOSED · server: ESTABLISHED → CLOSED');
      const hs = (await s.conn.sendRequest(InlayHintRequest.type, { textDocument: { uri: ka }, range: { start: { line: 7, character: 0 }, end: { line: 7, character: 0 } } }))!;
      assert.match(String((hs[0].label as { tooltip?: string }[])[0].tooltip), /keepalive probe \(RFC 9293 3\.8\.4\)/);
      // 20: a RST outside the server's window, which the server ignores (its sender went on, too).
      const inj = textUri('20-injected-rst.tcpdump');
      await s.open(inj, LANG_TCPDUMP, read(kernel('20-injected-rst.txt')));
      assert.strictEqual((await hintsOf(inj, 14)).get(7), '[RST ignored]');
    });

    it('goes from an ACK to the segment it acknowledges', async () => {
      const def = (await s.conn.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position: { line: 8, character: 2 } })) as Location;
      assert.strictEqual(def.uri, uri);
      assert.strictEqual(def.range.start.line, 7);
      const none = await s.conn.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position: { line: 0, character: 2 } });
      assert.strictEqual(none, null, 'a SYN acknowledges nothing');
    });

    it('outlines, folds and lenses each connection', async () => {
      const symbols = (await s.conn.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } })) as DocumentSymbol[];
      assert.deepStrictEqual(symbols.map((x) => [x.name, x.detail, x.range.start.line, x.range.end.line]), [
        ['10.88.0.1:40009 → 10.88.0.2:8080', 'graceful, client closed first', 0, 12],
      ]);
      assert.deepStrictEqual(symbols[0].children?.map((x) => [x.name, x.range.start.line]), [['missing-ack', 10], ['fin-retransmitted', 11]]);
      const folds = await s.conn.sendRequest(FoldingRangeRequest.type, { textDocument: { uri } });
      assert.deepStrictEqual(folds?.map((f) => [f.startLine, f.endLine]), [[0, 12]]);
      const lenses = (await s.conn.sendRequest(CodeLensRequest.type, { textDocument: { uri } }))!;
      assert.deepStrictEqual(lenses.map((l) => [l.range.start.line, l.command?.title, l.command?.command]), [
        [0, 'Show teardown diagram', 'teardownTracer.showDiagram'],
        [0, '2 findings', 'teardownTracer.revealFinding'],
      ]);
      assert.deepStrictEqual(lenses[0].command?.arguments, [uri, 1]);
      assert.deepStrictEqual(lenses[1].command?.arguments, [uri, 1, 10, 'missing-ack', 10]);
    });

    it('reports an unreadable line as a positioned diagnostic and analyzes the rest', async () => {
      const u = textUri('broken.tcpdump');
      const text = read(kernel('04-half-close-lingering.txt')).split('\n');
      text.splice(3, 0, '18:09:26.303170 IP 10.88.0.1.40004 > 10.88.0.2.8080: Flags [X.], seq 1:65, ack 1, win 63, length 64');
      const d = await s.open(u, LANG_TCPDUMP, text.join('\n'));
      assert.deepStrictEqual(codes(d), ['parse-error', 'lingering-half-close']);
      assert.deepStrictEqual(d.diagnostics[0].range, { start: { line: 3, character: 60 }, end: { line: 3, character: 61 } });
      assert.strictEqual(d.diagnostics[0].severity, DiagnosticSeverity.Error);
      assert.match(d.diagnostics[0].message, /unknown TCP flag letter 'X'/);
      assert.strictEqual(d.diagnostics[1].range.start.line, 8, 'the FIN, one line lower');
      assert.deepStrictEqual(await s.analyses.first((p) => p.uri === u), { uri: u, version: 1, connections: 1, findings: 1, errors: 1 });
    });

    it('never fails on text that is not a trace', async () => {
      const u = textUri('nonsense.tcpdump');
      const d = await s.open(u, LANG_TCPDUMP, '\u0000\u0001 not a trace\n<<<>>>\n' + 'x'.repeat(5000));
      assert.ok(Array.isArray(d.diagnostics));
      const conns = await s.conn.sendRequest(ConnectionsRequest.type, { uri: u });
      assert.deepStrictEqual(conns.connections, []);
    });
  });

  describe('edits', () => {
    it('re-analyzes after edits, drops stale versions, and answers requests for the latest text', async () => {
      const uri = textUri('edited.tcpdump');
      const original = read(kernel('04-half-close-lingering.txt'));
      const first = await s.open(uri, LANG_TCPDUMP, original);
      assert.deepStrictEqual(codes(first), ['lingering-half-close']);
      // Two quick edits: only the second is analyzed (debounced), and its diagnostics carry its version.
      const junk = 'this line is not tcpdump output: 10.0.0.1.1 > 10.0.0.2.2: Flags [Q]\n';
      s.change(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: junk }]);
      const v3 = s.change(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }, text: '' }]);
      const after = await s.diagnostics.next((p) => p.uri === uri);
      assert.strictEqual(after.version, v3);
      assert.deepStrictEqual(codes(after), ['lingering-half-close']);
      assert.ok(!s.diagnostics.all.some((p) => p.uri === uri && p.version === v3 - 1), 'the stale version is never published');
      // A request right after an edit sees that edit (no waiting for the debounce).
      const kept = original.split('\n').slice(0, 7).join('\n') + '\n';
      s.change(uri, [{ text: kept }]);
      const conns = await s.conn.sendRequest(ConnectionsRequest.type, { uri });
      assert.strictEqual(conns.connections[0].segments, 7);
      assert.strictEqual(conns.connections[0].outcome, 'open');
      s.close(uri);
      const cleared = await s.diagnostics.next((p) => p.uri === uri);
      assert.deepStrictEqual(cleared.diagnostics, [], 'closing a document clears its diagnostics');
    });
  });

  describe('RFC 9293 figures (tcp-trace)', () => {
    const uri = textUri('simultaneous-close.tcptrace');
    let opened: PublishDiagnosticsParams;
    before(async () => {
      opened = await s.open(uri, LANG_TCPTRACE, read(path.join(FIXTURES, 'simultaneous-close.tcptrace')));
    });

    it('analyzes the simultaneous close figure with no error and the states it prints', async () => {
      assert.deepStrictEqual(codes(opened), ['simultaneous-close']);
      assert.strictEqual(opened.diagnostics[0].severity, DiagnosticSeverity.Information);
      assert.strictEqual(opened.diagnostics[0].range.start.line, 6);
      const conns = await s.conn.sendRequest(ConnectionsRequest.type, { uri });
      assert.strictEqual(conns.input.format, 'rfc');
      assert.deepStrictEqual(conns.connections.map((c) => [c.outcome, c.closeInitiator, c.finalState]), [
        ['simultaneous', 'simultaneous', { client: 'CLOSED', server: 'CLOSED' }],
      ]);
      const win = await s.conn.sendRequest(SegmentsRequest.type, { uri, connection: 1, start: 0, count: 10 });
      assert.deepStrictEqual(win.segments.map((x) => [x.line, x.flagText, x.clientAfter, x.serverAfter]), [
        [5, 'FIN,ACK', 'FIN-WAIT-1', 'FIN-WAIT-1'],
        [6, 'FIN,ACK', 'CLOSING', 'CLOSING'],
        [9, 'ACK', 'CLOSING', 'CLOSING'],
        [10, 'ACK', 'TIME-WAIT', 'TIME-WAIT'],
      ]);
    });

    it('shows each state change on the line of the event that made it (send, arrival, Close, 2 MSL)', async () => {
      const hints = (await s.conn.sendRequest(InlayHintRequest.type, { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 20, character: 0 } } }))!;
      assert.deepStrictEqual(hints.map((h) => [h.position.line, label(h)]), [
        [4, 'A: ESTABLISHED → FIN-WAIT-1 · B: ESTABLISHED → FIN-WAIT-1'],
        [6, 'A: FIN-WAIT-1 → CLOSING'],
        [7, 'B: FIN-WAIT-1 → CLOSING'],
        [10, 'A: CLOSING → TIME-WAIT'],
        [11, 'B: CLOSING → TIME-WAIT'],
        [14, 'A: TIME-WAIT → CLOSED · B: TIME-WAIT → CLOSED'],
      ]);
    });

    it('hovers a FIN of the figure with both endpoints’ states, named A and B', async () => {
      const md = markdown(await s.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 6, character: 20 } }));
      assert.match(md, /^\*\*FIN,ACK\*\* B → A · line 7/);
      assert.match(md, /A: FIN-WAIT-1 → \*\*CLOSING\*\* · B: FIN-WAIT-1 → \*\*CLOSING\*\*/);
      // The line where A's FIN, in flight, reaches B shows that FIN.
      const arrival = markdown(await s.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 7, character: 20 } }));
      assert.match(arrival, /^\*\*FIN,ACK\*\* A → B · line 6/);
    });

    it('reports a wrong state claim as an error on the claim, saying what the engine infers', async () => {
      const u = textUri('normal-close-wrong-claim.tcptrace');
      const d = await s.open(u, LANG_TCPTRACE, read(path.join(FIXTURES, 'normal-close-wrong-claim.tcptrace')));
      assert.deepStrictEqual(codes(d), ['state-claim-mismatch']);
      assert.deepStrictEqual(d.diagnostics[0].range, { start: { line: 12, character: 6 }, end: { line: 12, character: 16 } });
      assert.strictEqual(d.diagnostics[0].severity, DiagnosticSeverity.Error);
      assert.match(d.diagnostics[0].message, /says the client is FIN-WAIT-2 here, but the segments imply TIME-WAIT/);
      const fine = await s.open(textUri('normal-close.tcptrace'), LANG_TCPTRACE, read(path.join(FIXTURES, 'normal-close.tcptrace')));
      assert.deepStrictEqual(fine.diagnostics, [], 'the figure as RFC 9293 prints it has nothing to report');
    });

    it('offers a quick fix that changes a contradicted claim to the implied state, and one for all of them', async () => {
      const u = textUri('claims-to-fix.tcptrace');
      // Two wrong claims: A after the ACK of its FIN (FIN-WAIT-2, claimed CLOSE-WAIT) and A after the last ACK (TIME-WAIT, claimed FIN-WAIT-2).
      const text = read(path.join(FIXTURES, 'normal-close-wrong-claim.tcptrace')).replace('3.  FIN-WAIT-2', '3.  CLOSE-WAIT');
      const d = await s.open(u, LANG_TCPTRACE, text);
      assert.deepStrictEqual(codes(d), ['state-claim-mismatch', 'state-claim-mismatch']);
      const actionsOn = (line: number): Promise<CodeAction[]> =>
        s.conn
          .sendRequest(CodeActionRequest.type, {
            textDocument: { uri: u },
            range: { start: { line, character: 0 }, end: { line, character: 0 } },
            context: { diagnostics: d.diagnostics.filter((x) => x.range.start.line === line) },
          })
          .then((r) => (r ?? []) as CodeAction[]);
      const edits = (a: CodeAction): [number, number, number, string][] =>
        (a.edit?.changes?.[u] ?? []).map((e) => [e.range.start.line, e.range.start.character, e.range.end.character, e.newText]);

      const on7 = await actionsOn(7);
      assert.deepStrictEqual(on7.map((a) => a.title), ['Change the claim to FIN-WAIT-2 (what the segments imply)', 'Change all 2 contradicted claims to what the segments imply']);
      // The claim and the spaces after it, so that the arrow keeps its column.
      assert.deepStrictEqual(edits(on7[0]), [[7, 6, 18, 'FIN-WAIT-2  ']]);
      assert.strictEqual(on7[0].kind, 'quickfix');
      assert.strictEqual(on7[0].isPreferred, true);
      assert.deepStrictEqual(on7[0].diagnostics?.map((x) => [x.code, x.range.start.line]), [['state-claim-mismatch', 7]]);
      assert.deepStrictEqual(edits((await actionsOn(12))[0]), [[12, 6, 18, 'TIME-WAIT   ']]);
      assert.deepStrictEqual(await actionsOn(5), [], 'nothing to fix on a claim the segments confirm');

      // The fix for all of them, applied: the figure then has nothing to report.
      const fixed = TextDocument.applyEdits(TextDocument.create(u, LANG_TCPTRACE, 1, text), on7[1].edit!.changes![u]);
      assert.match(fixed, /3\.  FIN-WAIT-2  <--/);
      assert.match(fixed, /\n {2}5\. {2}TIME-WAIT {3}--> <SEQ=101>/);
      assert.strictEqual(fixed.split('\n')[12].indexOf('-->'), text.split('\n')[12].indexOf('-->'), 'the arrow keeps its column');
      const version = s.change(u, [{ text: fixed }]);
      const after = await s.diagnostics.next((p) => p.uri === u && p.version === version);
      assert.deepStrictEqual(after.diagnostics, []);
    });

    it('offers the suggested spelling of a misspelled state or event as a quick fix', async () => {
      const u = textUri('misspelled.tcptrace');
      const good = read(path.join(FIXTURES, 'normal-close.tcptrace'));
      const text = good.replace('3.  FIN-WAIT-2  <--', '3.  FIN-WIAT-2  <--').replace('(2 MSL)', '(2 MSK)');
      const d = await s.open(u, LANG_TCPTRACE, text);
      // Without its (2 MSL), A's last claim (CLOSED) is contradicted too.
      assert.deepStrictEqual(codes(d), ['parse-error', 'parse-error', 'state-claim-mismatch']);
      const fixes: CodeAction[] = [];
      for (const x of d.diagnostics.filter((y) => y.code === 'parse-error')) {
        const r = (await s.conn.sendRequest(CodeActionRequest.type, { textDocument: { uri: u }, range: x.range, context: { diagnostics: [x] } })) as CodeAction[];
        fixes.push(...r);
      }
      assert.deepStrictEqual(fixes.map((a) => a.title), ['Change to FIN-WAIT-2', 'Change to (2 MSL)']);
      let fixed = text;
      for (const a of fixes) fixed = TextDocument.applyEdits(TextDocument.create(u, LANG_TCPTRACE, 1, fixed), a.edit!.changes![u]);
      assert.strictEqual(fixed, good, 'both fixes give back the figure as it was');
    });

    it('fixes a claim at the end of its line as it is, and one longer than its column with one space before the arrow', () => {
      const base = read(path.join(FIXTURES, 'normal-close.tcptrace'));
      // B after A's FIN: CLOSE-WAIT, claimed LAST-ACK at the end of the line; A after B's ACK:
      // FIN-WAIT-2, claimed CLOSED with a single space before the arrow.
      const text = base.replace('<CTL=FIN,ACK>  --> CLOSE-WAIT', '<CTL=FIN,ACK>  --> LAST-ACK').replace(/3\. {2}FIN-WAIT-2 +<--/, '3.  CLOSED <--');
      assert.notStrictEqual(text, base);
      const doc = textTraceDoc('file:///claims.tcptrace', 1, text, LANG_TCPTRACE, DEFAULT_SETTINGS);
      const lines = text.split('\n');
      const fixLine = (line: number): string => {
        const [a] = codeActions(doc, line, line);
        const [e] = a.edit!.changes!['file:///claims.tcptrace'];
        const l = lines[line];
        return l.slice(0, e.range.start.character) + e.newText + l.slice(e.range.end.character);
      };
      const right = lines.findIndex((l) => l.endsWith('LAST-ACK') && l.includes('CTL=FIN,ACK>  -->'));
      const left = lines.findIndex((l) => l.includes('3.  CLOSED <--'));
      assert.ok(right > 0 && left > 0, text);
      assert.strictEqual(fixLine(right), lines[right].replace(/LAST-ACK$/, 'CLOSE-WAIT'));
      assert.strictEqual(fixLine(left), lines[left].replace('CLOSED <--', 'FIN-WAIT-2 <--'));
      assert.strictEqual(codeActions(doc, 0, lines.length).filter((a) => a.title.startsWith('Change all 2 ')).length, 1);
    });

    it('exports the figure: state table, Mermaid, tcpdump text, tcptrace, analysis JSON', async () => {
      const table = (await s.conn.sendRequest(ExportRequest.type, { uri, kind: 'state-table' })).text;
      assert.match(table, /\| 2 \| 7 \| FIN-WAIT-1 \| CLOSING \| ← `<SEQ=300><ACK=100><CTL=FIN,ACK>` \| FIN-WAIT-1 \| CLOSING \|/);
      const mermaid = (await s.conn.sendRequest(ExportRequest.type, { uri, kind: 'mermaid' })).text;
      assert.match(mermaid, /^sequenceDiagram\n/);
      assert.match(mermaid, /Note over C,S: CLOSING/);
      const tcpdump = (await s.conn.sendRequest(ExportRequest.type, { uri, kind: 'tcpdump' })).text;
      assert.strictEqual(parseTcpdump(tcpdump).table.length, 4, 'the tcpdump export parses back');
      const trace = (await s.conn.sendRequest(ExportRequest.type, { uri, kind: 'tcptrace' })).text;
      assert.match(trace, /TCP A \(192\.0\.2\.1:1024\)/);
      const json = JSON.parse((await s.conn.sendRequest(ExportRequest.type, { uri, kind: 'analysis-json' })).text);
      assert.strictEqual(json.summary.connections, 1);
      assert.deepStrictEqual(json.summary.findings, { 'simultaneous-close': 1 });
    });
  });

  describe('capture views', () => {
    it('renders a capture grouped by connection, as tcpdump text that parses back to the same segments', async () => {
      const file = kernel('11-tuple-reuse-time-wait.pcap');
      const uri = captureUri(file);
      const view = await s.conn.sendRequest(OpenCaptureRequest.type, { uri });
      assert.strictEqual(view.error, null);
      assert.deepStrictEqual([view.truncated, view.shownSegments, view.totalSegments], [false, 22, 22]);
      const text = view.text.split('\n');
      assert.strictEqual(text[0], '# connection 1: 10.88.0.1:40011 -> 10.88.0.2:8080 · graceful · client closed first · 0 findings');
      assert.strictEqual(text[12], '');
      assert.strictEqual(text[13], '# connection 2: 10.88.0.1:40011 -> 10.88.0.2:8080 · graceful · client closed first · 1 finding');
      assert.match(text[1], /^ {4}1 {2}14:20:32\.795897 IP 10\.88\.0\.1\.40011 > 10\.88\.0\.2\.8080: Flags \[S\], seq 1911221549, win 64240, length 0$/);
      assert.match(text[8], /Flags \[F\.\], seq 65, ack 201, win 63, length 0$/);
      const parsed = parseTcpdump(view.text);
      const truth = loadCapture(file).table;
      assert.deepStrictEqual(parsed.errors, []);
      assert.strictEqual(parsed.table.length, truth.length);
      for (let r = 0; r < truth.length; r++) {
        assert.deepStrictEqual(
          [parsed.table.seq[r], parsed.table.ack[r], parsed.table.flags[r], parsed.table.len[r]],
          [truth.seq[r], truth.ack[r], truth.flags[r], truth.len[r]],
          `row ${r}`,
        );
      }
    });

    it('publishes the capture’s findings on the view and answers every feature there', async () => {
      const uri = captureUri(kernel('11-tuple-reuse-time-wait.pcap'));
      const view = await s.conn.sendRequest(OpenCaptureRequest.type, { uri });
      const d = await s.open(uri, LANG_TCPDUMP, view.text);
      assert.deepStrictEqual(codes(d), ['port-reuse']);
      assert.deepStrictEqual(lines(d), [14]);
      assert.deepStrictEqual(d.diagnostics[0].relatedInformation?.map((r) => r.location.range.start.line), [11]);
      assert.deepStrictEqual(await s.analyses.first((p) => p.uri === uri), { uri, version: null, connections: 2, findings: 1, errors: 0 });

      const symbols = (await s.conn.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } })) as DocumentSymbol[];
      assert.deepStrictEqual(symbols.map((x) => [x.name, x.detail, x.range.start.line, x.range.end.line]), [
        ['10.88.0.1:40011 → 10.88.0.2:8080', 'graceful, client closed first', 0, 11],
        ['10.88.0.1:40011 → 10.88.0.2:8080', 'graceful, client closed first', 13, 24],
      ]);
      const folds = await s.conn.sendRequest(FoldingRangeRequest.type, { textDocument: { uri } });
      assert.deepStrictEqual(folds?.map((f) => [f.startLine, f.endLine]), [[0, 11], [13, 24]]);
      const lenses = (await s.conn.sendRequest(CodeLensRequest.type, { textDocument: { uri } }))!;
      assert.deepStrictEqual(lenses.map((l) => [l.range.start.line, l.command?.title]), [
        [0, 'Show teardown diagram'],
        [0, 'no findings'],
        [13, 'Show teardown diagram'],
        [13, '1 finding'],
      ]);
      assert.deepStrictEqual(lenses[2].command?.arguments, [uri, 2]);
      const hints = (await s.conn.sendRequest(InlayHintRequest.type, { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 30, character: 0 } } }))!;
      assert.strictEqual(label(hints.find((h) => h.position.line === 8)!), 'client: ESTABLISHED → FIN-WAIT-1 · server: ESTABLISHED → CLOSE-WAIT');
      const header = markdown(await s.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 13, character: 3 } }));
      assert.match(header, /^\*\*Connection #2\*\* 10\.88\.0\.1:40011 → 10\.88\.0\.2:8080/);
      assert.match(header, /\*\*port-reuse\*\*/);
      const fin = markdown(await s.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 8, character: 3 } }));
      assert.match(fin, /client: ESTABLISHED → \*\*FIN-WAIT-1\*\* · server: ESTABLISHED → \*\*CLOSE-WAIT\*\*/);
      assert.match(fin, /frame 8 \(line 9\)/);
      const def = (await s.conn.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position: { line: 9, character: 3 } })) as Location;
      assert.strictEqual(def.range.start.line, 8, 'the ACK of frame 9 leads to the FIN of frame 8');
    });

    it('shows one connection in a ?conn=N view', async () => {
      const uri = captureUri(kernel('11-tuple-reuse-time-wait.pcap'), 'conn=2');
      const view = await s.conn.sendRequest(OpenCaptureRequest.type, { uri });
      const text = view.text.trimEnd().split('\n');
      assert.match(text[0], /^# connection 2: /);
      assert.strictEqual(text.length, 12);
      assert.deepStrictEqual([view.shownSegments, view.totalSegments, view.truncated], [11, 11, false]);
      const d = await s.open(uri, LANG_TCPDUMP, view.text);
      assert.deepStrictEqual([codes(d), lines(d)], [['port-reuse'], [1]]);
      assert.deepStrictEqual(d.diagnostics[0].relatedInformation ?? [], [], 'the earlier connection is not in this view');
      const at = await s.conn.sendRequest(SegmentAtRequest.type, { uri, line: 5 });
      assert.deepStrictEqual(at, { connection: 2, index: 4 });
    });

    it('reports an unreadable capture as a diagnostic instead of failing', async () => {
      const uri = captureUri(path.join(FIXTURES, 'normal-close.tcptrace'));
      const opened = await s.conn.sendRequest(OpenCaptureRequest.type, { uri });
      assert.match(opened.error ?? '', /not a pcap or pcapng/);
      assert.match(opened.text, /^# .*not a pcap or pcapng/);
      const d = await s.open(uri, LANG_TCPDUMP, opened.text);
      assert.deepStrictEqual(codes(d), ['unreadable']);
      const missing = await s.conn.sendRequest(OpenCaptureRequest.type, { uri: captureUri(path.join(FIXTURES, 'no-such.pcap')) });
      assert.match(missing.error ?? '', /no such file/);
    });
  });

  describe('custom requests', () => {
    const file = kernel('09-lost-final-ack.pcap');
    const uri = captureUri(file);
    before(async () => {
      const view = await s.conn.sendRequest(OpenCaptureRequest.type, { uri });
      await s.open(uri, LANG_TCPDUMP, view.text);
    });

    it('Connections: summaries with findings and lines, the decoder’s input, display filters', async () => {
      const r = await s.conn.sendRequest(ConnectionsRequest.type, { uri });
      assert.deepStrictEqual(r.input, { format: 'pcap', packets: 13, tcpSegments: 13, warnings: [] });
      assert.deepStrictEqual(r.filterErrors, []);
      const c = r.connections[0];
      assert.deepStrictEqual([c.id, c.client, c.server, c.outcome, c.closeInitiator, c.segments, c.firstLine, c.lastLine], [
        1, { addr: '10.88.0.1', port: 40009 }, { addr: '10.88.0.2', port: 8080 }, 'graceful', 'client', 13, 1, 13,
      ]);
      const found = c.findings.map((f) => [f.code, f.index, f.frame, f.line, f.related.map((x) => x.line)]);
      assert.deepStrictEqual(found.sort((x, y) => Number(x[1]) - Number(y[1])), [
        ['missing-ack', 10, 11, 11, [12]],
        ['fin-retransmitted', 11, 12, 12, [10]],
      ]);
      const multi = captureUri(kernel('11-tuple-reuse-time-wait.pcap'));
      const second = await s.conn.sendRequest(ConnectionsRequest.type, { uri: multi, filter: 'tcp.flags.syn == 1 && frame.number > 11' });
      assert.deepStrictEqual(second.connections.map((x) => x.id), [2]);
      const fins = await s.conn.sendRequest(ConnectionsRequest.type, { uri: multi, filter: 'tcp.flags == 0x0011' });
      assert.deepStrictEqual(fins.connections.map((x) => x.id), [1, 2]);
      const bad = await s.conn.sendRequest(ConnectionsRequest.type, { uri: multi, filter: 'tcp.flags.fin == == 1' });
      assert.deepStrictEqual(bad.connections, []);
      assert.ok(bad.filterErrors.length > 0 && bad.filterErrors[0].start >= 0 && bad.filterErrors[0].end > bad.filterErrors[0].start);
    });

    it('Segments: a window with both states, transitions, relative numbers and acknowledgment links', async () => {
      const w = await s.conn.sendRequest(SegmentsRequest.type, { uri, connection: 1, start: 7, count: 6 });
      assert.strictEqual(w.total, 13);
      assert.strictEqual(w.connection?.id, 1);
      assert.deepStrictEqual(w.segments.map((x) => [x.index, x.frame, x.line, x.dir, x.flagText, x.relSeq, x.relAck, x.clientBefore, x.clientAfter, x.serverBefore, x.serverAfter]), [
        [7, 8, 8, 'c2s', 'FIN,ACK', 65, 201, 'ESTABLISHED', 'FIN-WAIT-1', 'ESTABLISHED', 'CLOSE-WAIT'],
        [8, 9, 9, 's2c', 'ACK', 201, 66, 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'CLOSE-WAIT'],
        [9, 10, 10, 's2c', 'FIN,ACK', 201, 66, 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSE-WAIT', 'LAST-ACK'],
        [10, 11, 11, 'c2s', 'ACK', 66, 202, 'TIME-WAIT', 'TIME-WAIT', 'LAST-ACK', 'LAST-ACK'],
        [11, 12, 12, 's2c', 'FIN,ACK', 201, 66, 'TIME-WAIT', 'TIME-WAIT', 'LAST-ACK', 'LAST-ACK'],
        [12, 13, 13, 'c2s', 'ACK', 66, 202, 'TIME-WAIT', 'TIME-WAIT', 'LAST-ACK', 'CLOSED'],
      ]);
      const fin = w.segments[0];
      assert.deepStrictEqual(fin.transitions.map((t) => [t.side, t.from, t.to]), [['client', 'ESTABLISHED', 'FIN-WAIT-1'], ['server', 'ESTABLISHED', 'CLOSE-WAIT']]);
      assert.match(fin.transitions[0].reason, /RFC 9293 3\.6/);
      assert.strictEqual(fin.ackedBy, 8);
      assert.strictEqual(w.segments[1].acks, 7);
      assert.deepStrictEqual(w.segments[4].kinds, ['retransmission']);
      assert.deepStrictEqual(w.segments[3].findings.map((f) => f.code), ['missing-ack']);
      assert.strictEqual(w.timeWait.durationSeconds, 60);
      assert.ok(w.timeWait.client !== null && w.timeWait.client > 0 && w.timeWait.server === null);
      const none = await s.conn.sendRequest(SegmentsRequest.type, { uri, connection: 99, start: 0, count: 5 });
      assert.deepStrictEqual([none.total, none.connection, none.segments], [0, null, []]);
    });

    it('SegmentAt: the connection and index a line shows, null elsewhere', async () => {
      assert.deepStrictEqual(await s.conn.sendRequest(SegmentAtRequest.type, { uri, line: 8 }), { connection: 1, index: 7 });
      assert.strictEqual(await s.conn.sendRequest(SegmentAtRequest.type, { uri, line: 0 }), null, 'the header line');
      assert.strictEqual(await s.conn.sendRequest(SegmentAtRequest.type, { uri, line: 500 }), null);
    });

    it('Export: analysis JSON, state table, Mermaid, tcpdump and tcptrace text', async () => {
      const json = JSON.parse((await s.conn.sendRequest(ExportRequest.type, { uri, kind: 'analysis-json' })).text);
      assert.deepStrictEqual(json.input, { format: 'pcap', packets: 13, tcpSegments: 13, warnings: [] });
      assert.deepStrictEqual(json.connections[0].finalState, { client: 'TIME-WAIT', server: 'CLOSED' });
      assert.deepStrictEqual(json.summary.findings, { 'missing-ack': 1, 'fin-retransmitted': 1 });
      const table = (await s.conn.sendRequest(ExportRequest.type, { uri, kind: 'state-table', connection: 1 })).text;
      assert.match(table, /^### Connection 1: client 10\.88\.0\.1:40009 → server 10\.88\.0\.2:8080\n/);
      assert.match(table, /\| 8 \| 8 \| ESTABLISHED \| FIN-WAIT-1 \| → `<SEQ=65><ACK=201><CTL=FIN,ACK>` \| ESTABLISHED \| CLOSE-WAIT \|/);
      const mermaid = (await s.conn.sendRequest(ExportRequest.type, { uri, kind: 'mermaid' })).text;
      assert.match(mermaid, /^sequenceDiagram\n/);
      assert.match(mermaid, /Note over S: LAST-ACK/);
      assert.match(mermaid, /Note over C,S: missing-ack/);
      const tcpdump = (await s.conn.sendRequest(ExportRequest.type, { uri, kind: 'tcpdump' })).text;
      const back = parseTcpdump(tcpdump);
      const truth = loadCapture(file).table;
      assert.deepStrictEqual([back.errors, back.table.length], [[], 13]);
      assert.deepStrictEqual(Array.from(back.table.seq.subarray(0, 13)), Array.from(truth.seq.subarray(0, 13)));
      const trace = (await s.conn.sendRequest(ExportRequest.type, { uri, kind: 'tcptrace' })).text;
      assert.match(trace, /TCP A \(10\.88\.0\.1:40009\)/);
      const other = await s.conn.sendRequest(ExportRequest.type, { uri, kind: 'state-table', connection: 7 });
      assert.strictEqual(other.text, '', 'no such connection');
    });

    it('Export to a file: the server writes it (the analysis exactly as analyze --json prints it)', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'teardown-tracer-export-'));
      try {
        const target = path.join(dir, 'analysis.json');
        const r = await s.conn.sendRequest(ExportRequest.type, { uri, kind: 'analysis-json', target: fileUri(target) });
        assert.strictEqual(r.text, '', 'nothing over the protocol');
        const written = fs.readFileSync(target, 'utf8');
        assert.deepStrictEqual(r.written, { uri: fileUri(target), bytes: Buffer.byteLength(written) });
        const cli = await runCli(runAnalyze, [file, '--json']);
        assert.strictEqual(written, cli.out, 'byte for byte the command line document');
        const md = path.join(dir, 'states.md');
        await s.conn.sendRequest(ExportRequest.type, { uri, kind: 'state-table', connection: 1, target: fileUri(md) });
        assert.strictEqual(fs.readFileSync(md, 'utf8'), (await s.conn.sendRequest(ExportRequest.type, { uri, kind: 'state-table', connection: 1 })).text);
        await assert.rejects(s.conn.sendRequest(ExportRequest.type, { uri, kind: 'analysis-json', target: 'untitled:Untitled-1' }), /only file: URIs/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('converts captures to traces that read back with the same findings and no false claims', async () => {
      for (const name of ['09-lost-final-ack', '03-simultaneous-close', '11-tuple-reuse-time-wait', '15-server-fin-then-rst']) {
        const src = captureUri(kernel(`${name}.pcap`));
        const view = await s.conn.sendRequest(OpenCaptureRequest.type, { uri: src });
        const original = (await s.open(src, LANG_TCPDUMP, view.text)).diagnostics.map((d) => String(d.code)).sort();
        const trace = (await s.conn.sendRequest(ExportRequest.type, { uri: src, kind: 'tcptrace' })).text;
        const asFigure = await s.open(textUri(`${name}.converted.tcptrace`), LANG_TCPTRACE, trace);
        assert.deepStrictEqual(codes(asFigure).sort(), original, `${name} as an RFC figure`);
        const dump = (await s.conn.sendRequest(ExportRequest.type, { uri: src, kind: 'tcpdump' })).text;
        const asText = await s.open(textUri(`${name}.converted.tcpdump`), LANG_TCPDUMP, dump);
        assert.deepStrictEqual(codes(asText).sort(), original, `${name} as tcpdump text`);
        // Every line keeps both states: nothing had to be left blank to read back without a mismatch.
        const segmentLines = trace.split('\n').filter((l) => /<SEQ=/.test(l));
        for (const l of segmentLines) assert.match(l, /^ *(\d+\. +)?[A-Z][A-Z0-9-]+ +(-->|<--|\.\.\.) <SEQ=[^ ]+ +(-->|<--|\.\.\.) +[A-Z][A-Z0-9-]+/, `${name}: ${l}`);
        if (name === '03-simultaneous-close') {
          // The crossing FINs: the client's arrives on a line of its own; the server's first FIN was
          // lost (the kernel took its retransmission, which arrives on its own line's step).
          assert.strictEqual(segmentLines.filter((l) => /^ +[A-Z]/.test(l) && /\.\.\. <SEQ=/.test(l)).length, 1, trace);
          assert.strictEqual(segmentLines.filter((l) => /^ +[A-Z]/.test(l) && /<-- <SEQ=[^ ]+ +\.\.\./.test(l)).length, 0, trace);
        }
      }
    });

    it('reads files the client has not opened: a capture by its path, a trace by its text', async () => {
      const pcap = await s.conn.sendRequest(ConnectionsRequest.type, { uri: fileUri(kernel('04-half-close-lingering.pcap')) });
      assert.deepStrictEqual(pcap.connections.map((c) => [c.outcome, c.findings.map((f) => f.code)]), [['half-closed', ['lingering-half-close']]]);
      const txt = await s.conn.sendRequest(ConnectionsRequest.type, { uri: fileUri(kernel('04-half-close-lingering.txt')) });
      assert.deepStrictEqual(txt.connections.map((c) => [c.outcome, c.firstLine]), [['half-closed', 0]]);
      const nothing = await s.conn.sendRequest(ConnectionsRequest.type, { uri: 'untitled:Untitled-1' });
      assert.deepStrictEqual(nothing.connections, []);
    });
  });
});

describe('language server settings (workspace/configuration)', function () {
  this.timeout(60000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'teardown-tracer-settings-'));
  let s: LspSession;

  before(async () => {
    s = new LspSession({
      settings: { severity: { 'missing-ack': 'error', 'fin-retransmitted': 'off' }, maxSegmentsShown: 100, relativeSequenceNumbers: true },
    });
    await s.start();
  });
  after(async () => {
    await s.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('takes each finding’s severity from teardownTracer.severity.<code> (off removes it)', async () => {
    const uri = textUri('severities.tcpdump');
    const d = await s.open(uri, LANG_TCPDUMP, read(kernel('09-lost-final-ack.txt')));
    assert.deepStrictEqual(codes(d), ['missing-ack']);
    assert.strictEqual(d.diagnostics[0].severity, DiagnosticSeverity.Error);
  });

  it('limits capture views to maxSegmentsShown segments, and views one connection whole', async () => {
    const file = path.join(tmp, 'thirty.pcap');
    writeSyntheticPcap(file, 30);
    const all = await s.conn.sendRequest(OpenCaptureRequest.type, { uri: captureUri(file) });
    assert.deepStrictEqual([all.truncated, all.shownSegments, all.totalSegments], [true, 100, 270]);
    assert.match(all.text, /\n# 170 more segments are not shown \(setting teardownTracer\.maxSegmentsShown = 100\); open one connection from the Teardown side bar\.\n$/);
    const conns = await s.conn.sendRequest(ConnectionsRequest.type, { uri: captureUri(file) });
    assert.strictEqual(conns.connections.length, 30, 'the analysis covers the whole capture');
    assert.deepStrictEqual([conns.connections[11].firstLine, conns.connections[12].firstLine], [122, -1]);
    const one = await s.conn.sendRequest(OpenCaptureRequest.type, { uri: captureUri(file, 'conn=25') });
    assert.deepStrictEqual([one.truncated, one.shownSegments, one.totalSegments], [false, 9, 9]);
    assert.match(one.text, /^# connection 25: 10\.1\.0\.24:20024 -> 10\.2\.0\.1:80 · graceful · client closed first · 0 findings\n/);
  });

  it('re-analyzes open documents when the settings change (MSL, relative numbers)', async () => {
    const uri = captureUri(kernel('11-tuple-reuse-time-wait.pcap'));
    const view = await s.conn.sendRequest(OpenCaptureRequest.type, { uri });
    assert.match(view.text, /Flags \[F\.\], seq 65, ack 201,/);
    const d = await s.open(uri, LANG_TCPDUMP, view.text);
    assert.deepStrictEqual(codes(d), ['port-reuse']);
    // A 2 MSL shorter than the 0.3 s between the two connections: the reuse is unremarkable.
    const next = s.diagnostics.next((p) => p.uri === uri);
    const announced = s.analyses.next((p) => p.uri === uri);
    s.changeSettings({ ...s.settings, mslSeconds: 0.1, relativeSequenceNumbers: false });
    assert.deepStrictEqual(codes(await next), []);
    await announced;
    const absolute = await s.conn.sendRequest(OpenCaptureRequest.type, { uri });
    assert.match(absolute.text, /Flags \[F\.\], seq 1911221614, ack 3706702107,/);
    const w = await s.conn.sendRequest(SegmentsRequest.type, { uri, connection: 1, start: 0, count: 0 });
    assert.strictEqual(w.timeWait.durationSeconds, 0.2);
  });

  it('takes the idle threshold and the horizons from the settings, with the answers of the command line options', async () => {
    // Kernel captures: 27, a SYN sent 6 times 1 s apart to a black hole (the attempt horizon
    // splits it); 12, keepalives with long quiet (the idle horizon splits it); 18, a close after a
    // long quiet (idle-before-close). MSL is made short, as the horizons are at least 2 MSL.
    const settings = { mslSeconds: 0.1, attemptHorizonSeconds: 0.5, idleHorizonSeconds: 1, idleSeconds: 1 };
    const args = ['--msl', '0.1', '--attempt-horizon', '0.5', '--idle-horizon', '1', '--idle', '1'];
    const names = ['27-syn-black-hole.pcap', '12-keepalive-zero-window.pcap', '18-keepalive-timeout.pcap'];
    const answers = async (uri: string): Promise<string> => {
      const conns = await s.conn.sendRequest(ConnectionsRequest.type, { uri });
      return JSON.stringify(conns.connections.map((c) => [c.id, c.outcome, c.findings.map((f) => f.code)]));
    };
    const cli = async (file: string): Promise<string> => {
      const r = await runCli(runAnalyze, [file, '--json', ...args]);
      const doc = JSON.parse(r.out) as { connections: { id: number; outcome: string; findings: { code: string }[] }[] };
      return JSON.stringify(doc.connections.map((c) => [c.id, c.outcome, c.findings.map((f) => f.code)]));
    };
    const before = s.settings;
    const uris = names.map((n) => captureUri(kernel(n)));
    const earlier: string[] = [];
    for (const uri of uris) {
      const view = await s.conn.sendRequest(OpenCaptureRequest.type, { uri });
      await s.open(uri, LANG_TCPDUMP, view.text);
      earlier.push(await answers(uri));
    }
    const announced = uris.map((uri) => s.analyses.next((p) => p.uri === uri));
    s.changeSettings({ ...before, ...settings });
    await Promise.all(announced);
    try {
      for (const [i, uri] of uris.entries()) {
        const expected = await cli(kernel(names[i]));
        assert.notStrictEqual(earlier[i], expected, `${names[i]}: the settings change its answers`);
        assert.strictEqual(await answers(uri), expected, names[i]);
      }
    } finally {
      s.changeSettings(before);
    }
  });
});
