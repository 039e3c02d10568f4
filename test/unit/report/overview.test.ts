/**
 * The Teardown overview's aggregation (src/core/report/overview.ts) against the `analyze --json`
 * document of the same analysis: every count the plots draw is recounted here from the JSON's
 * connections (outcome, close initiator, reset, endTime, server, findings), on every kernel
 * capture, on one capture made of all of them in a row, and on the public corpus when present.
 * The streaming analysis' batches give the same overview as the whole capture, and so does the
 * editor's streaming path for big captures (bigCapture.ts: the overview fed by the pass that builds
 * its index, no pass of its own), marks' selections included; a mark's display filter lists
 * exactly its connections.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyze, type Analysis } from '../../../src/core/engine';
import { StreamingAnalysis } from '../../../src/core/engine/stream';
import { parseFilter } from '../../../src/core/filter';
import { matchingConnections } from '../../../src/core/filter/context';
import { analysisJson, type AnalysisJson, type ConnectionJson } from '../../../src/core/report/json';
import {
  closeKindKey,
  endpointText,
  markKey,
  OverviewBuilder,
  overviewMarks,
  overviewOf,
  resetReasonKey,
  streamFilter,
  type Overview,
} from '../../../src/core/report/overview';
import { decodeStream } from '../../../src/node/captureStream';
import { loadTrace } from '../../../src/node/loadTrace';
import { BigCapture } from '../../../src/server/bigCapture';
import { DEFAULT_SETTINGS, engineOptions, type ServerSettings } from '../../../src/server/settings';
import type { OverviewRequest } from '../../../src/shared/lspProtocol';

const REPO = path.resolve(__dirname, '../../../..');
const KERNEL = path.join(REPO, 'test/fixtures/kernel');
const CORPUS = path.join(process.env.TT_CORPUS ?? path.resolve(REPO, '../shared/corpus'), 'captures');
const SOURCE = { name: 'test', format: 'pcap', packets: 0, segments: 0 };

const kernelCaptures = fs
  .readdirSync(KERNEL)
  .filter((f) => f.endsWith('.pcap'))
  .sort();

/** The kernel captures one after another, 40 s apart: one capture of every way to close (microsecond pcaps only). */
function kernelInARow(): string {
  const parts: Buffer[] = [];
  let base = -1;
  let k = 0;
  for (const f of kernelCaptures) {
    const b = fs.readFileSync(path.join(KERNEL, f));
    if (b.readUInt32LE(0) !== 0xa1b2c3d4) continue; // nanosecond files: the same traffic
    if (parts.length === 0) parts.push(b.subarray(0, 24));
    else if (!b.subarray(20, 24).equals(parts[0].subarray(20, 24))) continue; // another link type
    const first = b.readUInt32LE(24);
    if (base < 0) base = first;
    for (let p = 24; p < b.length; ) {
      const incl = b.readUInt32LE(p + 8);
      const rec = Buffer.from(b.subarray(p, p + 16 + incl));
      rec.writeUInt32LE(base + 40 * k + (rec.readUInt32LE(0) - first), 0);
      parts.push(rec);
      p += 16 + incl;
    }
    k++;
  }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'overview-')), 'kernel-in-a-row.pcap');
  fs.writeFileSync(file, Buffer.concat(parts));
  return file;
}

function analysisOfFile(file: string): { a: Analysis; json: AnalysisJson } {
  const loaded = loadTrace(file);
  assert.strictEqual(loaded.error, null, file);
  const a = analyze(loaded.table, {}, loaded.steps);
  const { format, packets, tcpSegments, warnings } = loaded.input;
  return { a, json: analysisJson(a, { format, packets, tcpSegments, warnings }) };
}

const inc = <K>(m: Map<K, number>, k: K, n = 1): void => void m.set(k, (m.get(k) ?? 0) + n);
const hasCode = (c: ConnectionJson, code: string): boolean => c.findings.some((f) => f.code === code);
const serverOf = (c: ConnectionJson): string => endpointText({ addr: c.server.ip, port: c.server.port });
const timeBin = (o: Overview, c: ConnectionJson): number => {
  const t = parseFloat(c.endTime);
  return Number.isNaN(t) ? 0 : Math.min(o.timeline.bins - 1, Math.max(0, Math.floor((t - o.timeline.start) / o.timeline.binSeconds)));
};

/** Recounts the overview's plots from the JSON document's connections. */
function checkAgainstJson(o: Overview, builder: OverviewBuilder, json: AnalysisJson): void {
  const conns = json.connections;
  assert.strictEqual(o.connections, json.summary.connections);
  assert.deepStrictEqual(o.outcomes, json.summary.outcomes);
  assert.strictEqual(o.findings, conns.reduce((n, c) => n + c.findings.length, 0));

  // (a) close kinds over time: each bin's count per kind, and the connections behind each bar.
  const cells = new Map<string, number[]>();
  for (const c of conns) {
    const key = markKey.timeline(timeBin(o, c), closeKindKey({ outcome: c.outcome as Overview['kinds'][0]['outcome'], closeInitiator: c.closeInitiator as 'client', reset: c.reset }));
    cells.set(key, [...(cells.get(key) ?? []), c.id]);
  }
  let drawn = 0;
  o.timeline.counts.forEach((row, b) =>
    row.forEach((n, k) => {
      const key = markKey.timeline(b, o.kinds[k].key);
      assert.strictEqual(n, cells.get(key)?.length ?? 0, key);
      if (n > 0) assert.deepStrictEqual(builder.select(key), cells.get(key), key);
      drawn += n;
    }),
  );
  assert.strictEqual(drawn, conns.length, 'every connection in one bar');

  // (b) lingering half-closes: the lingering-half-close findings.
  const lingering = conns.filter((c) => hasCode(c, 'lingering-half-close')).map((c) => c.id);
  assert.strictEqual(o.halfClose.lingeringTotal, lingering.length, 'lingering half-closes');
  const lingeringMarks = o.halfClose.counts.flatMap((_, b) => (o.halfClose.lingering[b] > 0 ? builder.select(markKey.halfClose(b, true)) : []));
  assert.deepStrictEqual(lingeringMarks.sort((x, y) => x - y), lingering);
  // Resets, refusals and simultaneous closes have no half-close.
  const halfIds = new Set(o.halfClose.counts.flatMap((_, b) => [...builder.select(markKey.halfClose(b, true)), ...builder.select(markKey.halfClose(b, false))]));
  assert.strictEqual(halfIds.size, o.halfClose.total);
  for (const c of conns) if (c.reset || c.outcome === 'simultaneous') assert.ok(!halfIds.has(c.id), `#${c.id} (${c.outcome}) has no half-close`);

  // (c) resets by sender and by server endpoint, per reason.
  const resets = conns.filter((c) => c.reset !== null);
  assert.strictEqual(o.resets.total, resets.length);
  const bySender = new Map<string, number>();
  const byEndpoint = new Map<string, number>();
  for (const c of resets) {
    const reason = resetReasonKey(c.reset!.reason);
    inc(bySender, markKey.resetSender(c.reset!.by as 'client', reason));
    inc(byEndpoint, markKey.resetEndpoint(serverOf(c), reason));
  }
  for (const sender of ['client', 'server'] as const)
    o.resets.reasons.forEach((r, j) => assert.strictEqual(o.resets.bySender[sender][j], bySender.get(markKey.resetSender(sender, r.key)) ?? 0));
  for (const e of o.resets.byEndpoint)
    o.resets.reasons.forEach((r, j) => {
      const key = markKey.resetEndpoint(e.endpoint, r.key);
      assert.strictEqual(e.counts[j], byEndpoint.get(key) ?? 0, key);
      assert.strictEqual(builder.select(key).length, e.counts[j], key);
    });

  // (d, e) server endpoints: connections, findings, resets, refusals, lingering.
  for (const e of o.endpoints) {
    const mine = conns.filter((c) => serverOf(c) === e.endpoint);
    assert.strictEqual(e.connections, mine.length, e.endpoint);
    assert.strictEqual(e.withFindings, mine.filter((c) => c.findings.length > 0).length);
    assert.strictEqual(e.findings, mine.reduce((n, c) => n + c.findings.length, 0));
    assert.strictEqual(e.bySeverity.error, mine.reduce((n, c) => n + c.findings.filter((f) => f.severity === 'error').length, 0));
    assert.strictEqual(e.resets, mine.filter((c) => c.reset !== null).length);
    assert.strictEqual(e.refused, mine.filter((c) => c.outcome === 'refused').length);
    assert.strictEqual(e.lingering, mine.filter((c) => hasCode(c, 'lingering-half-close')).length);
    assert.deepStrictEqual(builder.select(markKey.endpoint(e.endpoint)), mine.map((c) => c.id));
    if (e.duration.count > 0) {
      const d = mine.map((c) => parseFloat(c.endTime) - parseFloat(c.startTime));
      assert.ok(Math.abs(e.duration.max - Math.max(...d)) < 1e-6 && Math.abs(e.duration.min - Math.min(...d)) < 1e-6, `${e.endpoint} durations`);
    }
  }
}

/** The same overview from the streaming analysis' batches (as `analyze --report` makes it). */
async function streamedOverview(file: string): Promise<Overview> {
  const b = new OverviewBuilder();
  const s = new StreamingAnalysis({}, (a) => b.add(a));
  await decodeStream(file, (v) => s.push(v));
  s.end();
  return b.finish(SOURCE);
}

/** Overviews equal, state times (sums in another order) to a relative 1e-9. */
function assertSameOverview(x: Overview, y: Overview): void {
  const strip = (o: Overview): unknown => ({ ...o, endpoints: o.endpoints.map((e) => ({ ...e, stateSeconds: [] })) });
  assert.deepStrictEqual(strip(x), strip(y));
  x.endpoints.forEach((e, i) => e.stateSeconds.forEach((v, j) => assert.ok(Math.abs(v - y.endpoints[i].stateSeconds[j]) <= 1e-9 * Math.max(1, Math.abs(v)), `${e.endpoint} ${x.states[j]}`)));
}

/** The editor's streaming path (every capture streamed): the overview its index pass made, and the selections of its marks. */
async function bigPathOverview(file: string, settings: ServerSettings): Promise<{ overview: Overview; select: (key: string) => Promise<number[]> }> {
  const big = await BigCapture.open(file, settings, () => undefined);
  assert.strictEqual(big.error, null, file);
  const doc = big.doc(`teardown-capture:${file}?view=all`, undefined, settings);
  const r = (await big.run(doc, 'overview', {})) as OverviewRequest.Result;
  assert.ok(r.overview, 'an overview');
  return {
    overview: { ...r.overview, source: SOURCE },
    select: async (key) => {
      const sel = ((await big.run(doc, 'overview', { select: key })) as OverviewRequest.Result).selection!;
      const ids = sel.count === 0 ? [] : [...matchingConnections(analyze(loadTrace(file).table, engineOptions(settings)), parseFilter(sel.filter).filter!)].sort((x, y) => x - y);
      assert.strictEqual(ids.length, sel.count, key);
      if (sel.count > 0) assert.strictEqual(sel.first, ids[0], key);
      return ids;
    },
  };
}

const BIG_SETTINGS: ServerSettings = { ...DEFAULT_SETTINGS, severities: {}, streamingThresholdMB: 0 };

async function checkFile(file: string): Promise<Overview> {
  const { a, json } = analysisOfFile(file);
  const { overview, builder } = overviewOf(a, SOURCE);
  checkAgainstJson(overview, builder, json);
  assertSameOverview(await streamedOverview(file), overview);
  // The editor's big-capture path, with the editor's settings.
  const whole = overviewOf(analyze(loadTrace(file).table, engineOptions(BIG_SETTINGS)), SOURCE);
  const big = await bigPathOverview(file, BIG_SETTINGS);
  assertSameOverview(big.overview, whole.overview);
  // A few marks' selections (every close kind, the first endpoint's): the connections the whole analysis' builder selects.
  const keys = [...whole.overview.kinds.map((k) => markKey.kind(k.key)), ...whole.overview.endpoints.slice(0, 1).map((e) => markKey.endpoint(e.endpoint))];
  for (const key of keys) assert.deepStrictEqual(await big.select(key), whole.builder.select(key), key);
  return overview;
}

describe('overview: aggregation against the analyze --json document', function () {
  this.timeout(120_000);

  for (const f of kernelCaptures)
    it(`kernel capture ${f}`, async () => {
      await checkFile(path.join(KERNEL, f));
    });

  it('all the kernel captures in a row: several bins, kinds, endpoints and reset reasons', async () => {
    const o = await checkFile(kernelInARow());
    assert.ok(o.timeline.bins >= 10, `${o.timeline.bins} bins`);
    for (const k of ['graceful-client', 'graceful-server', 'simultaneous', 'refused', 'half-closed'])
      assert.ok(
        o.kinds.some((x) => x.key === k),
        k,
      );
    assert.ok(o.resets.reasons.length >= 3, o.resets.reasons.map((r) => r.key).join());
    assert.ok(!o.resets.reasons.some((r) => r.key === 'other'), 'every reason code the engine gives has its own bar');
    assert.ok(o.halfClose.lingeringTotal >= 1 && o.closeWait.total >= 1);
    assert.ok(o.endpoints.length >= 3);
  });

  it('the public corpus captures (TT_CORPUS or ../shared/corpus; skipped when absent)', async function () {
    if (!fs.existsSync(CORPUS)) this.skip();
    let checked = 0;
    for (const f of fs.readdirSync(CORPUS).sort()) {
      const file = path.join(CORPUS, f);
      if (!/\.(pcap|pcapng)$/.test(f) || loadTrace(file).error !== null) continue;
      await checkFile(file);
      checked++;
    }
    assert.ok(checked > 20, `${checked} captures`);
  });

  it('every drawn mark selects as many connections as it counts', () => {
    const { a } = analysisOfFile(kernelInARow());
    const { overview: o, builder } = overviewOf(a, SOURCE, { samples: 3 });
    const marks = overviewMarks(o);
    assert.ok(marks.length > 50, `${marks.length} marks`);
    for (const key of marks) {
      const ids = builder.select(key);
      assert.ok(ids.length > 0, key);
      assert.deepStrictEqual(o.samples?.[key], ids.slice(0, 3), key);
    }
    assert.deepStrictEqual(builder.select('no/such/mark'), []);
  });

  it("a mark's display filter lists exactly its connections (tcp.stream in {ranges})", () => {
    const { a } = analysisOfFile(kernelInARow());
    const { overview: o, builder } = overviewOf(a, SOURCE);
    for (const key of overviewMarks(o)) {
      const ids = builder.select(key);
      const parsed = parseFilter(streamFilter(ids));
      assert.ok(parsed.filter, streamFilter(ids));
      assert.deepStrictEqual([...matchingConnections(a, parsed.filter)].sort((x, y) => x - y), ids, key);
    }
    assert.strictEqual(streamFilter([1, 2, 3, 5, 9, 10]), 'tcp.stream in {0..2 4 8..9}');
  });
});
