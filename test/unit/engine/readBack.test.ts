/**
 * The editor's path for big captures: one streaming pass keeps a compact index (per connection its
 * outcome, states, findings' codes and the frames of its segments; per frame its byte offset), and a
 * connection read back from the file through that index, analyzed by the same `analyze()`, equals
 * the whole-capture analysis of it: every row's states, transitions, kinds and acknowledgment links,
 * its findings with their sentences, its summary. On every capture fixture (kernel captures as pcap,
 * pcapng and nanosecond pcap; pcap variants; multi-section pcapng; real loopback traffic), with the
 * default horizons and with horizons so short that connections are finished in the middle of the
 * capture and 4-tuples reused across batches.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyze, type Analysis, type EngineOptions } from '../../../src/core/engine';
import { connectionJson } from '../../../src/core/report/json';
import { ladderWindow } from '../../../src/core/report/ladderModel';
import { fileRecordReader, streamCaptureFile, type StreamPass } from '../../../src/node/captureIndex';
import { loadCapture } from '../../../src/node/loadTrace';
import { captureFiles } from '../captureFiles';

const FIXTURES = path.join(__dirname, '../../../../test/fixtures');


const NO_LINE = (): number => -1;

/** Connection `id` of an analysis as every view sees it: the ladder window (all rows) and the JSON object. */
function seen(a: Analysis, id: number): unknown {
  const c = a.connections.find((x) => x.id === id);
  assert.ok(c, `connection ${id} is in the analysis`);
  return { ladder: ladderWindow(a, id, 0, c.rows.length, NO_LINE), json: connectionJson(a, c) };
}

async function compare(file: string, engine: Partial<EngineOptions>): Promise<number> {
  const loaded = loadCapture(file);
  const whole = analyze(loaded.table, engine);
  const pass: StreamPass = await streamCaptureFile(file, { engine, index: true });
  const index = pass.connections!;
  assert.strictEqual(index.count, whole.connections.length, 'connections');
  assert.strictEqual(index.segments, loaded.table.length, 'segments');
  const read = fileRecordReader(file, pass.records!);
  for (const c of whole.connections) {
    const id = c.id;
    // The index's columns: what the side bar counts and groups.
    assert.strictEqual(index.outcome(id), c.outcome, `#${id} outcome`);
    assert.strictEqual(index.closeInitiator(id), c.closeInitiator, `#${id} close initiator`);
    assert.deepStrictEqual(index.finalState(id), c.finalState, `#${id} final states`);
    assert.strictEqual(index.rolesInferred(id), c.rolesInferred);
    assert.strictEqual(index.segmentCount(id), c.rows.length);
    assert.strictEqual(index.lastFrame(id), loaded.table.frame[c.lastRow]);
    assert.deepStrictEqual(index.findings(id), c.findings.map((f) => ({ code: f.code, severity: f.severity })), `#${id} findings`);
    assert.deepStrictEqual([...index.framesOf(id)], c.rows.map((r) => loaded.table.frame[r]), `#${id} frames`);
    // One connection read back from the file, analyzed with its chain.
    const back = index.analyzeConnections([id], read, engine);
    assert.deepStrictEqual(JSON.parse(JSON.stringify(seen(back, id))), JSON.parse(JSON.stringify(seen(whole, id))), `${path.basename(file)} #${id}`);
  }
  // Several at once (a page of the side bar): every connection in one read-back.
  if (whole.connections.length > 1) {
    const all = index.analyzeConnections(
      whole.connections.map((c) => c.id),
      read,
      engine,
    );
    for (const c of whole.connections) assert.deepStrictEqual(JSON.parse(JSON.stringify(seen(all, c.id))), JSON.parse(JSON.stringify(seen(whole, c.id))));
  }
  return whole.connections.length;
}

describe('big captures: a connection read back through the index', () => {
  const files = captureFiles(FIXTURES);

  it('has the captures to compare (pcap, pcapng, nanosecond pcap, multi-connection)', () => {
    assert.ok(files.length >= 30, `${files.length} captures`);
    assert.ok(files.some((f) => f.endsWith('.pcapng')));
    assert.ok(files.some((f) => f.endsWith('-nsec.pcap')));
  });

  for (const file of files) {
    const name = path.relative(FIXTURES, file);
    it(`${name}: equals the whole-capture analysis, connection for connection`, async () => {
      await compare(file, {});
    });
  }

  it('with horizons short enough to finish connections mid-capture and reuse 4-tuples across batches', async () => {
    let n = 0;
    for (const name of ['kernel/11-tuple-reuse-time-wait.pcap', 'kernel/16-tuple-reuse-server-time-wait.pcap', 'decode/real/lo.pcap', 'decode/gen/multi.pcapng', 'kernel/12-keepalive-zero-window.pcap']) {
      n += await compare(path.join(FIXTURES, name), { mslSeconds: 0.05, idleHorizonSeconds: 0.2 });
    }
    assert.ok(n >= 10, `${n} connections compared`);
  });

  it('says so when the file changed since it was indexed', async () => {
    const src = path.join(FIXTURES, 'kernel/11-tuple-reuse-time-wait.pcap');
    const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tt-readback-')), 'c.pcap');
    fs.copyFileSync(src, tmp);
    const pass = await streamCaptureFile(tmp, { engine: {}, index: true });
    // Cut the file in the middle of its records: the later connection's records are gone.
    fs.truncateSync(tmp, Math.floor(fs.statSync(tmp).size / 2));
    const read = fileRecordReader(tmp, pass.records!);
    assert.throws(() => pass.connections!.analyzeConnections([pass.connections!.count], read, {}), /the capture file changed since it was analyzed/);
  });
});
