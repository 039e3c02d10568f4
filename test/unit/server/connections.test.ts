/**
 * `teardown/connections` as the views use it, over real JSON-RPC with the bundled server: pages
 * (offset/limit) in id order, the outcome / withFindings / ids selections, display filters with
 * paging, `total` and the server-side `summary` counts; finding explanations left out unless asked
 * for and available from `teardown/findingCatalog`; and `teardown/step`, which moves the editor
 * through segments and findings without the client holding any connection.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FINDING_CODES } from '../../../src/core/engine/types';
import {
  ConnectionsRequest,
  FindingCatalogRequest,
  LANG_TCPDUMP,
  OpenCaptureRequest,
  OUTCOME_ORDER,
  SegmentAtRequest,
  SegmentsRequest,
  StepRequest,
  type ConnectionCounts,
  type ConnectionSummary,
} from '../../../src/shared/lspProtocol';
import { captureUri, KERNEL, LspSession, ROOT } from './lsp';
import { writeSyntheticPcap } from './synthetic';

const SYNTHETIC = 1234;

/** The counts of a list of connections, computed here from the connections themselves. */
function countHere(conns: ConnectionSummary[]): ConnectionCounts {
  const outcomes = Object.fromEntries(OUTCOME_ORDER.map((o) => [o, 0])) as ConnectionCounts['outcomes'];
  const bySeverity: ConnectionCounts['bySeverity'] = { error: 0, warning: 0, info: 0, hint: 0 };
  const byCode: ConnectionCounts['byCode'] = {};
  let findings = 0;
  for (const c of conns) {
    outcomes[c.outcome]++;
    for (const f of c.findings) {
      findings++;
      bySeverity[f.severity]++;
      byCode[f.code] = { severity: f.severity, count: (byCode[f.code]?.count ?? 0) + 1 };
    }
  }
  return { connections: conns.length, withFindings: conns.filter((c) => c.findings.length > 0).length, outcomes, findings, bySeverity, byCode };
}

describe('teardown/connections: pages, selections and counts', function () {
  this.timeout(60000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'teardown-tracer-conns-'));
  const synthetic = captureUri(path.join(tmp, 'synthetic.pcap'));
  /** Eight kernel-made connections that ended in five ways, with findings. */
  const mixed = captureUri(path.join(ROOT, 'test/integration/fixtures/mixed.pcap'));
  let s: LspSession;
  const ask = (p: ConnectionsRequest.Params): Promise<ConnectionsRequest.Result> => s.conn.sendRequest(ConnectionsRequest.type, p);

  before(async () => {
    writeSyntheticPcap(path.join(tmp, 'synthetic.pcap'), SYNTHETIC);
    s = new LspSession();
    await s.start();
  });
  after(async () => {
    await s.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('pages through every connection in id order; offset and limit are clamped; limit 0 gives the counts only', async () => {
    const ids: number[] = [];
    const pages: [number, number, number][] = [];
    for (let offset = 0; ; offset += 500) {
      const r = await ask({ uri: synthetic, offset, limit: 500 });
      pages.push([r.offset, r.connections.length, r.total]);
      ids.push(...r.connections.map((c) => c.id));
      if (r.connections.length < 500) break;
    }
    assert.deepStrictEqual(pages, [
      [0, 500, SYNTHETIC],
      [500, 500, SYNTHETIC],
      [1000, SYNTHETIC - 1000, SYNTHETIC],
    ]);
    assert.deepStrictEqual(ids, Array.from({ length: SYNTHETIC }, (_, i) => i + 1), 'every id once, ascending');

    const beyond = await ask({ uri: synthetic, offset: 99_999, limit: 10 });
    assert.deepStrictEqual([beyond.connections, beyond.offset, beyond.total], [[], SYNTHETIC, SYNTHETIC]);
    const rest = await ask({ uri: synthetic, offset: SYNTHETIC - 3 });
    assert.deepStrictEqual(rest.connections.map((c) => c.id), [SYNTHETIC - 2, SYNTHETIC - 1, SYNTHETIC], 'no limit: everything from the offset on');
    const nonsense = await ask({ uri: synthetic, offset: -5, limit: 2.7 });
    assert.deepStrictEqual([nonsense.offset, nonsense.connections.map((c) => c.id)], [0, [1, 2]]);

    const counts = await ask({ uri: synthetic, limit: 0 });
    assert.deepStrictEqual(counts.connections, []);
    assert.strictEqual(counts.total, SYNTHETIC);
    assert.strictEqual(counts.summary.connections, SYNTHETIC);
    assert.strictEqual(counts.summary.outcomes.graceful, SYNTHETIC, 'the synthetic connections all close gracefully');
    assert.deepStrictEqual(counts.input, { format: 'pcap', packets: SYNTHETIC * 9, tcpSegments: SYNTHETIC * 9, warnings: [] });
  });

  it('applies a display filter before paging; the counts follow the filter', async () => {
    // Client ports are 20000 + n for the n-th connection (id n + 1): ports 20100..20299 are ids 101..300.
    const filter = 'tcp.srcport >= 20100 && tcp.srcport < 20300';
    const counts = await ask({ uri: synthetic, filter, limit: 0 });
    assert.deepStrictEqual([counts.total, counts.summary.connections, counts.summary.outcomes.graceful, counts.filterErrors], [200, 200, 200, []]);
    const page = await ask({ uri: synthetic, filter, offset: 100, limit: 50 });
    assert.deepStrictEqual(page.connections.map((c) => c.id), Array.from({ length: 50 }, (_, i) => 201 + i));
    assert.deepStrictEqual([page.total, page.offset, page.summary.connections], [200, 100, 200]);
    assert.ok(page.connections.every((c) => c.client.port >= 20100 && c.client.port < 20300));
    const both = await ask({ uri: synthetic, filter, ids: [7, 150, 299, 300, 301] });
    assert.deepStrictEqual(both.connections.map((c) => c.id), [150, 299, 300], 'ids and the filter together');
    const bad = await ask({ uri: synthetic, filter: 'tcp.srcport >=', limit: 10 });
    assert.ok(bad.filterErrors.length > 0);
    assert.deepStrictEqual([bad.total, bad.connections, bad.summary.connections], [0, [], 0]);
  });

  it('looks up single connections by id (unknown ids ignored, id order)', async () => {
    const r = await ask({ uri: synthetic, ids: [900, 3, 99_999, 3, 0, -1] });
    assert.deepStrictEqual(r.connections.map((c) => c.id), [3, 900]);
    assert.strictEqual(r.total, 2);
    assert.strictEqual(r.summary.connections, SYNTHETIC, 'the counts are the document’s, not the selection’s');
    const c = r.connections[1];
    // Connection 900 is the 900th written: client 10.1.3.131 (899 = 3 * 256 + 131), port 20899.
    assert.deepStrictEqual([c.client, c.server, c.segments], [{ addr: '10.1.3.131', port: 20899 }, { addr: '10.2.0.1', port: 80 }, 9]);
  });

  it('selects by outcome and by findings; the summary equals the counts of the whole list', async () => {
    const everything = await ask({ uri: mixed, includeExplanations: true });
    assert.ok(everything.connections.length >= 8, `${everything.connections.length} connections`);
    assert.deepStrictEqual(everything.summary, countHere(everything.connections));
    const s0 = everything.summary;
    assert.ok(OUTCOME_ORDER.filter((o) => s0.outcomes[o] > 0).length >= 4, `several outcomes: ${JSON.stringify(s0.outcomes)}`);
    assert.ok(s0.findings > 0 && s0.withFindings > 0 && s0.withFindings < s0.connections);

    const seen: number[] = [];
    for (const outcome of OUTCOME_ORDER) {
      const r = await ask({ uri: mixed, outcome, limit: 100 });
      assert.strictEqual(r.total, s0.outcomes[outcome], `${outcome}: the group size`);
      assert.ok(r.connections.every((c) => c.outcome === outcome), outcome);
      seen.push(...r.connections.map((c) => c.id));
    }
    assert.deepStrictEqual(
      seen.sort((a, b) => a - b),
      everything.connections.map((c) => c.id),
      'the groups partition the connections',
    );

    const problems = await ask({ uri: mixed, withFindings: true });
    assert.deepStrictEqual(
      problems.connections.map((c) => c.id),
      everything.connections.filter((c) => c.findings.length > 0).map((c) => c.id),
    );
    const resets = await ask({ uri: mixed, outcome: 'reset', withFindings: true, limit: 1 });
    assert.strictEqual(resets.connections.length, 1);
    assert.strictEqual(resets.total, everything.connections.filter((c) => c.outcome === 'reset' && c.findings.length > 0).length);
  });

  it('leaves explanations out unless asked; the finding catalog has them for every code', async () => {
    const plain = await ask({ uri: mixed });
    const findings = plain.connections.flatMap((c) => c.findings);
    assert.ok(findings.length > 0);
    assert.ok(
      findings.every((f) => !('explanation' in f)),
      'no explanation by default',
    );
    const catalog = await s.conn.sendRequest(FindingCatalogRequest.type, {});
    assert.deepStrictEqual(Object.keys(catalog.codes).sort(), [...FINDING_CODES].sort());
    for (const [code, e] of Object.entries(catalog.codes)) {
      assert.match(e.explanation, /RFC \d+/, `${code} cites an RFC`);
      assert.match(e.href, /^https:\/\/www\.rfc-editor\.org\/rfc\/rfc\d+\.html/, code);
      assert.ok(e.title.length > 0 && ['error', 'warning', 'info', 'hint'].includes(e.defaultSeverity), code);
    }
    const full = await ask({ uri: mixed, includeExplanations: true });
    const explained = full.connections.flatMap((c) => c.findings);
    assert.strictEqual(explained.length, findings.length);
    for (const f of explained) assert.strictEqual(f.explanation, catalog.codes[f.code].explanation, f.code);
    // Apart from the explanations, the same answer.
    const strip = (r: ConnectionsRequest.Result): unknown => JSON.parse(JSON.stringify(r, (k, v: unknown) => (k === 'explanation' ? undefined : v)));
    assert.deepStrictEqual(strip(full), strip(plain));
    // The ladder's segments keep theirs.
    const withFinding = explained.find((f) => f.index >= 0)!;
    const owner = full.connections.find((c) => c.findings.includes(withFinding))!;
    const w = await s.conn.sendRequest(SegmentsRequest.type, { uri: mixed, connection: owner.id, start: withFinding.index, count: 1 });
    assert.strictEqual(w.segments[0].findings.find((f) => f.code === withFinding.code)?.explanation, withFinding.explanation);
    const head = w.connection!.findings[0];
    assert.strictEqual(head.explanation, catalog.codes[head.code].explanation);
  });

  it('answers a document that is not open with no connections and zero counts', async () => {
    const r = await ask({ uri: 'untitled:Untitled-9', offset: 3, limit: 5 });
    assert.deepStrictEqual([r.connections, r.total, r.offset, r.summary.connections, r.summary.findings], [[], 0, 0, 0, 0]);
  });
});

describe('teardown/step: stepping without the connections on the client', function () {
  this.timeout(60000);
  let s: LspSession;
  /** Two connections on one 4-tuple, the second after TIME-WAIT. */
  const uri = captureUri(path.join(KERNEL, '11-tuple-reuse-time-wait.pcap'));
  const mixed = captureUri(path.join(ROOT, 'test/integration/fixtures/mixed.pcap'));
  const stepFrom = (u: string, line: number, kind: StepRequest.Params['kind']): Promise<StepRequest.Result> => s.conn.sendRequest(StepRequest.type, { uri: u, line, kind });
  const lineOf = async (u: string, connection: number, index: number): Promise<number> =>
    (await s.conn.sendRequest(SegmentsRequest.type, { uri: u, connection, start: index, count: 1 })).segments[0].line;

  before(async () => {
    s = new LspSession();
    await s.start();
    for (const u of [uri, mixed]) {
      const view = await s.conn.sendRequest(OpenCaptureRequest.type, { uri: u });
      await s.open(u, LANG_TCPDUMP, view.text);
    }
  });
  after(async () => {
    await s.stop();
  });

  it('steps through segments, across connections and around', async () => {
    const conns = (await s.conn.sendRequest(ConnectionsRequest.type, { uri })).connections;
    assert.deepStrictEqual(conns.map((c) => c.id), [1, 2]);
    const [a, b] = conns;
    // Within a connection: the next and previous segment.
    const second = await stepFrom(uri, a.firstLine, 'next');
    assert.deepStrictEqual(second, { connection: 1, index: 1, line: await lineOf(uri, 1, 1) });
    assert.deepStrictEqual(await s.conn.sendRequest(SegmentAtRequest.type, { uri, line: second!.line }), { connection: 1, index: 1 });
    assert.deepStrictEqual(await stepFrom(uri, second!.line, 'previous'), { connection: 1, index: 0, line: a.firstLine });
    // First and last of the connection.
    assert.deepStrictEqual(await stepFrom(uri, second!.line, 'last'), { connection: 1, index: a.segments - 1, line: a.lastLine });
    assert.deepStrictEqual(await stepFrom(uri, a.lastLine, 'first'), { connection: 1, index: 0, line: a.firstLine });
    // Across: the last segment of #1 leads to the first of #2, and around the end back to #1.
    assert.deepStrictEqual(await stepFrom(uri, a.lastLine, 'next'), { connection: 2, index: 0, line: b.firstLine });
    assert.deepStrictEqual(await stepFrom(uri, b.firstLine, 'previous'), { connection: 1, index: a.segments - 1, line: a.lastLine });
    assert.deepStrictEqual(await stepFrom(uri, b.lastLine, 'next'), { connection: 1, index: 0, line: a.firstLine });
    assert.deepStrictEqual(await stepFrom(uri, a.firstLine, 'previous'), { connection: 2, index: b.segments - 1, line: b.lastLine });
    // From a line between connections (#2's header): the nearest connection that way.
    assert.deepStrictEqual(await stepFrom(uri, b.firstLine - 1, 'next'), { connection: 2, index: 0, line: b.firstLine });
    assert.deepStrictEqual(await stepFrom(uri, b.firstLine - 1, 'previous'), { connection: 1, index: a.segments - 1, line: a.lastLine });
  });

  it('steps through findings in document order, wrapping around; null without findings', async () => {
    const all = (await s.conn.sendRequest(ConnectionsRequest.type, { uri: mixed })).connections;
    const stops = all
      .flatMap((c) => c.findings.filter((f) => f.line >= 0).map((f) => ({ connection: c.id, index: f.index, line: f.line })))
      .sort((x, y) => x.line - y.line || x.index - y.index);
    const lines = [...new Set(stops.map((x) => x.line))];
    assert.ok(lines.length >= 3, `${lines.length} finding lines`);
    const firstAt = (line: number) => stops.find((x) => x.line === line);
    const lastAt = (line: number) => [...stops].reverse().find((x) => x.line === line);
    assert.deepStrictEqual(await stepFrom(mixed, 0, 'nextFinding'), firstAt(lines[0]));
    assert.deepStrictEqual(await stepFrom(mixed, lines[0], 'nextFinding'), firstAt(lines[1]));
    assert.deepStrictEqual(await stepFrom(mixed, lines[1], 'previousFinding'), lastAt(lines[0]));
    assert.deepStrictEqual(await stepFrom(mixed, lines[lines.length - 1], 'nextFinding'), firstAt(lines[0]), 'wraps to the first');
    assert.deepStrictEqual(await stepFrom(mixed, lines[0], 'previousFinding'), lastAt(lines[lines.length - 1]), 'wraps to the last');
    // A trace without findings: 01-client-active-close.
    const clean = captureUri(path.join(KERNEL, '01-client-active-close.pcap'));
    const counts = await s.conn.sendRequest(ConnectionsRequest.type, { uri: clean, limit: 0 });
    assert.strictEqual(counts.summary.findings, 0);
    assert.strictEqual(await stepFrom(clean, 0, 'nextFinding'), null);
    assert.strictEqual(await stepFrom('untitled:none', 0, 'next'), null);
  });
});
