/**
 * The language server's streaming path for big captures (bigCapture.ts) answers every feature as
 * the whole-capture path does: the same view text (the whole view cut at maxSegmentsShown, and each
 * connection's view), the same hovers, inlay hints, diagnostics, symbols, lenses, definitions and
 * steps on every line, the same pages and counts of connections (by outcome, with findings, by id,
 * with a display filter, which re-reads the file), the same ladder windows and exports of each
 * connection. The whole path decodes the capture and analyzes it at once; the streaming path keeps
 * only the index and reads connections back from the file.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { ConnectionsRequest, OpenCaptureRequest, SegmentsRequest } from '../../../src/shared/lspProtocol';
import { captureUri, LspSession } from './lsp';
import { syntheticSegments, writeSyntheticPcap } from './synthetic';
import { analyze } from '../../../src/core/engine';
import { loadCapture } from '../../../src/node/loadTrace';
import { BigCapture } from '../../../src/server/bigCapture';
import { runFeature, type FeatureName, type FeatureParams } from '../../../src/server/features';
import { DEFAULT_SETTINGS, engineOptions, type ServerSettings } from '../../../src/server/settings';
import { captureViewDoc, type TraceDoc } from '../../../src/server/traceDoc';
import { OUTCOME_ORDER } from '../../../src/shared/lspProtocol';

const FIXTURES = path.join(__dirname, '../../../../test/fixtures');
const CAPTURES = [
  'kernel/11-tuple-reuse-time-wait.pcap',
  'kernel/03-simultaneous-close-nsec.pcap',
  'kernel/13-ipv6-client-close.pcapng',
  'decode/real/lo.pcap',
  'decode/gen/multi.pcapng',
  'text/craft.pcap',
  '../integration/fixtures/mixed.pcap',
  // Every kernel capture merged by time (merge-pcaps.mjs): 26 connections over minutes, so that
  // the streaming pass finishes connections in the middle of the capture.
  '../integration/fixtures/kernel-all.pcap',
];

const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v ?? null));

function wholeDoc(file: string, uri: string, connection: number | undefined, s: ServerSettings): TraceDoc {
  const loaded = loadCapture(file);
  return captureViewDoc(uri, loaded, analyze(loaded.table, engineOptions(s)), s, connection);
}

/** Every feature, on every line where it takes one, as plain JSON. */
async function answers(t: TraceDoc, run: <K extends FeatureName>(name: K, p: FeatureParams<K>) => Promise<unknown>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const lines = t.lineLength.length;
  out.openCapture = await run('openCapture', undefined);
  out.diagnostics = await run('diagnostics', undefined);
  out.counts = await run('counts', undefined);
  // The overview of the whole capture (on the streaming path, made by the pass that built the
  // index: the view's document holds only its first segments), and the connections behind its first close kind.
  const ov = (await run('overview', {})) as { overview: { kinds: { key: string }[] } | null };
  out.overview = ov;
  const firstKind = ov.overview?.kinds[0]?.key;
  if (firstKind !== undefined) out.overviewSelect = await run('overview', { select: `k/${firstKind}` });
  out.inlayHints = await run('inlayHints', { start: 0, end: lines });
  out.foldingRanges = await run('foldingRanges', undefined);
  out.documentSymbols = await run('documentSymbols', undefined);
  out.codeLenses = await run('codeLenses', undefined);
  for (let line = 0; line < lines; line++) {
    out[`hover ${line}`] = await run('hover', { line });
    out[`definition ${line}`] = await run('definition', { line });
    out[`segmentAt ${line}`] = await run('segmentAt', { line });
    for (const kind of ['next', 'previous', 'first', 'last', 'nextFinding', 'previousFinding'] as const) out[`step ${kind} ${line}`] = await run('step', { line, kind });
  }
  const all = (await run('connections', { limit: 0 })) as { summary: { connections: number } };
  out.connectionsAll = await run('connections', {});
  out.connectionsCounts = all;
  out.explained = await run('connections', { offset: 1, limit: 2, includeExplanations: true });
  for (const outcome of OUTCOME_ORDER) for (let offset = 0; offset < 4; offset += 2) out[`page ${outcome} ${offset}`] = await run('connections', { outcome, offset, limit: 2 });
  out.withFindings = await run('connections', { withFindings: true, limit: 3 });
  out.byIds = await run('connections', { ids: [all.summary.connections, 1, 99999] });
  out.byIdsAndOutcome = await run('connections', { ids: [1, 2, 3, all.summary.connections], outcome: 'graceful' });
  out.byIdsWithFindings = await run('connections', { ids: [1, 2, 3, all.summary.connections], withFindings: true });
  for (const filter of ['tcp.flags.reset == 1', 'tcp.port == 80 || tcp.flags.fin', 'tcp.flags.reset ==']) {
    out[`filter ${filter}`] = await run('connections', { filter, limit: 5 });
    out[`filter ${filter} reset`] = await run('connections', { filter, outcome: 'reset' });
  }
  for (let id = 1; id <= all.summary.connections + 1; id++) {
    out[`segments ${id}`] = await run('segments', { connection: id, start: 0, count: 10_000 });
    out[`segments ${id} window`] = await run('segments', { connection: id, start: 1, count: 2 });
    for (const kind of ['analysis-json', 'state-table', 'tcptrace', 'tcpdump', 'mermaid'] as const) out[`export ${kind} ${id}`] = await run('exportText', { kind, connection: id });
  }
  return plain(out) as Record<string, unknown>;
}

/** Every feature of every view of `file`, on both paths, equal. */
async function compareAll(file: string, settings: ServerSettings): Promise<void> {
  const big = await BigCapture.open(file, settings, () => undefined);
  assert.strictEqual(big.error, null);
  const whole = loadCapture(file);
  const n = analyze(whole.table, engineOptions(settings)).connections.length;
  assert.strictEqual(big.index?.count, n);
  const base = `teardown-capture:${file}`;
  for (const conn of [undefined, ...Array.from({ length: n }, (_, i) => i + 1)]) {
    const uri = conn === undefined ? `${base}?view=all` : `${base}?conn=${conn}`;
    const w = wholeDoc(file, uri, conn, settings);
    const b = big.doc(uri, conn, settings);
    const expected = await answers(w, async (k, p) => runFeature(w, k, p));
    const got = await answers(b, (k, p) => big.run(b, k, p));
    const opened = got.openCapture as { streamed?: boolean };
    assert.strictEqual(opened.streamed, true, 'the view says it was streamed');
    delete opened.streamed;
    for (const key of Object.keys(expected)) assert.deepStrictEqual(got[key], expected[key], `${uri}: ${key}`);
  }
}

describe('language server: big captures through the streaming path', function () {
  this.timeout(120_000);
  // A small view limit, so that the whole view is cut in the middle of the captures.
  for (const max of [20, 50_000]) {
    const settings: ServerSettings = { ...DEFAULT_SETTINGS, severities: {}, maxSegmentsShown: max, streamingThresholdMB: 0 };
    for (const name of CAPTURES) {
      it(`${name} (view limit ${max}): every feature of every view as the whole-capture path answers it`, async () => {
        await compareAll(path.join(FIXTURES, name), settings);
      });
    }
  }

  it('a capture cut in the middle of a record: what was decoded before it, and the warning, as on the whole path', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tt-big-cut-')), 'cut.pcap');
    const bytes = fs.readFileSync(path.join(FIXTURES, '../integration/fixtures/kernel-all.pcap'));
    fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await compareAll(file, { ...DEFAULT_SETTINGS, severities: {}, maxSegmentsShown: 50, streamingThresholdMB: 0 });
    const big = await BigCapture.open(file, { ...DEFAULT_SETTINGS, streamingThresholdMB: 0 }, () => undefined);
    const t = big.doc(`teardown-capture:${file}?view=all`, undefined, DEFAULT_SETTINGS);
    const [d] = (await big.run(t, 'diagnostics', undefined)).filter((x) => x.code === 'decoder');
    assert.match(d.message, /^truncated .*the file ends inside packet record/m);
  });

  it('exports every connection as the analysis (JSON) to a file, byte for byte the whole path’s, and refuses the other kinds', async () => {
    const s: ServerSettings = { ...DEFAULT_SETTINGS, severities: {}, streamingThresholdMB: 0 };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-big-export-'));
    for (const name of ['../integration/fixtures/kernel-all.pcap', 'decode/gen/multi.pcapng']) {
      const file = path.join(FIXTURES, name);
      const uri = `teardown-capture:${file}?view=all`;
      const big = await BigCapture.open(file, s, () => undefined);
      const tasks: string[] = [];
      big.onTask = (title, _percent, _message, done) => tasks.push(`${title}|${done}`);
      const t = big.doc(uri, undefined, s);
      const w = wholeDoc(file, uri, undefined, s);
      const a = path.join(dir, 'streamed.json');
      const b = path.join(dir, 'whole.json');
      const got = await big.run(t, 'exportText', { kind: 'analysis-json', target: pathToFileURL(a).toString() });
      const expected = runFeature(w, 'exportText', { kind: 'analysis-json', target: pathToFileURL(b).toString() });
      assert.strictEqual(fs.readFileSync(a, 'utf8'), fs.readFileSync(b, 'utf8'), name);
      assert.strictEqual(got.written?.bytes, expected.written?.bytes);
      assert.ok(tasks.length >= 1 && tasks[tasks.length - 1].endsWith('|true'), `the export's progress ends: ${tasks.join(', ')}`);
      await assert.rejects(big.run(t, 'exportText', { kind: 'state-table' }), /too many to export from the editor but as the analysis \(JSON\) to a file: .*--format jsonl/);
    }
  });

  it('a file that is not a capture, or missing, is the view’s error (as on the whole-capture path)', async () => {
    const s: ServerSettings = { ...DEFAULT_SETTINGS, severities: {}, streamingThresholdMB: 0 };
    for (const file of [path.join(FIXTURES, 'kernel/01-client-active-close.txt'), path.join(FIXTURES, 'missing.pcap')]) {
      const big = await BigCapture.open(file, s, () => undefined);
      const uri = `teardown-capture:${file}?view=all`;
      const b = big.doc(uri, undefined, s);
      const w = wholeDoc(file, uri, undefined, s);
      assert.ok(big.error !== null);
      assert.strictEqual(big.error, w.loaded.error);
      assert.deepStrictEqual(plain(await big.run(b, 'openCapture', undefined)), plain(runFeature(w, 'openCapture', undefined)));
      assert.deepStrictEqual(plain(await big.run(b, 'diagnostics', undefined)), plain(runFeature(w, 'diagnostics', undefined)));
    }
  });
});

/** The CLI's progress line (src/cli/analyzeStream.ts), as the server's `$/progress` reports it on the streaming path. */
const PROGRESS_WORDS = /^[\d.]+ of [\d.]+ MiB \(\d+%\), \d+ TCP segments, \d+ connections open, \d+ finished, \d+ MiB\/s$/;

describe('language server over JSON-RPC: a capture above teardownTracer.streamingThresholdMB', function () {
  this.timeout(120_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'teardown-tracer-big-'));
  const file = path.join(tmp, 'a.pcap');
  const CONNECTIONS = 20_000;
  let s: LspSession;
  before(async () => {
    writeSyntheticPcap(file, CONNECTIONS);
    // 13 MB: streamed from 10 MB on.
    s = new LspSession({ settings: { streamingThresholdMB: 10 } });
    await s.start();
  });
  after(async () => {
    await s.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('streams it, reporting $/progress in the words of the CLI progress line, and answers from the index', async () => {
    const uri = captureUri(file);
    const created = s.progressCreated.next(() => true);
    const view = await s.conn.sendRequest(OpenCaptureRequest.type, { uri });
    const token = await created;
    await s.progress.first((p) => p.token === token && p.value.kind === 'end');
    const reports = s.progress.all.filter((p) => p.token === token && p.value.kind === 'report').map((p) => (p.value.kind === 'report' ? (p.value.message ?? '') : ''));
    assert.ok(
      reports.some((m) => PROGRESS_WORDS.test(m)),
      `a report like the CLI's progress line: ${reports.join(' | ')}`,
    );
    assert.strictEqual(view.streamed, true);
    assert.deepStrictEqual([view.totalSegments, view.shownSegments, view.truncated], [syntheticSegments(CONNECTIONS), 50_000, true]);
    const counts = await s.conn.sendRequest(ConnectionsRequest.type, { uri, limit: 0 });
    assert.deepStrictEqual([counts.total, counts.summary.outcomes.graceful], [CONNECTIONS, CONNECTIONS]);
    const page = await s.conn.sendRequest(ConnectionsRequest.type, { uri, outcome: 'graceful', offset: CONNECTIONS - 3, limit: 500 });
    assert.deepStrictEqual(
      page.connections.map((c) => c.id),
      [CONNECTIONS - 2, CONNECTIONS - 1, CONNECTIONS],
    );
    // The last connection, far past the view: read back from the file for the ladder.
    const ladder = await s.conn.sendRequest(SegmentsRequest.type, { uri, connection: CONNECTIONS, start: 0, count: 100 });
    assert.strictEqual(ladder.total, 9);
    assert.deepStrictEqual([ladder.segments[0].clientBefore, ladder.segments[8].clientAfter], ['CLOSED', 'TIME-WAIT']);
    assert.ok(ladder.segments.every((x) => x.line === -1), 'not shown in the whole view');
  });
});
