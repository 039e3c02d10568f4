/**
 * `analyze CLIENT --with SERVER` beyond the text report and --json: gzip-compressed captures,
 * standard input for one side, --filter, --summary and --format jsonl (issue 15), on the
 * kernel-made two-ended fixtures (test/fixtures/twoends).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { runAnalyze } from '../../../src/cli/analyze';
import { runMerged, type MergeArgs } from '../../../src/cli/merge';
import type { mergedJson } from '../../../src/core/merge/report';
import { runCli } from '../cliRun';

const DIR = path.resolve(__dirname, '../../../../test/fixtures/twoends');
const client = path.join(DIR, '01-lost-final-ack.client.pcap');
const server = path.join(DIR, '01-lost-final-ack.server+3.5s.pcap');
type Doc = ReturnType<typeof mergedJson>;

describe('analyze CLIENT --with SERVER: inputs and outputs', () => {
  let tmp: string;
  let plain: Doc;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-with-'));
    const r = await runCli(runAnalyze, [client, '--with', server, '--json']);
    assert.strictEqual(r.code, 0, r.err);
    plain = JSON.parse(r.out) as Doc;
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('reads a gzip-compressed capture (by its magic) and merges it as the plain one', async () => {
    const gz = path.join(tmp, 'server.pcap.gz');
    fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(server)));
    const r = await runCli(runAnalyze, [client, '--with', gz, '--json']);
    assert.strictEqual(r.code, 0, r.err);
    const doc = JSON.parse(r.out) as Doc;
    assert.strictEqual(doc.merge.captures.server.format, `${plain.merge.captures.server.format} (gzip)`);
    assert.deepStrictEqual([doc.merge.offset, doc.merge.bounds, doc.merge.steps], [plain.merge.offset, plain.merge.bounds, plain.merge.steps]);
    assert.deepStrictEqual(doc.connections, plain.connections);
  });

  it('takes one side on standard input (-), not both', async () => {
    const args: MergeArgs = { file: client, withFile: '-', json: true, jsonl: false, summaryOnly: false, filter: null, ladder: 'problems', absolute: false, failOn: null, engine: {} };
    let out = '';
    let err = '';
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t) };
    const code = await runMerged(args, io, fs.createReadStream(server));
    assert.strictEqual(code, 0, err);
    const doc = JSON.parse(out) as Doc;
    assert.deepStrictEqual([doc.merge.offset, doc.merge.connections, doc.connections], [plain.merge.offset, plain.merge.connections, plain.connections]);
    const both = await runCli(runAnalyze, ['-', '--with', '-']);
    assert.strictEqual(both.code, 2);
    assert.match(both.err, /only one side of --with can be standard input/);
  });

  it('--filter keeps the merged connections with a matching segment; a bad filter is refused', async () => {
    const none = await runCli(runAnalyze, [client, '--with', server, '--json', '--filter', 'tcp.flags.reset == 1']);
    assert.strictEqual(none.code, 0, none.err);
    const d0 = JSON.parse(none.out) as Doc;
    assert.deepStrictEqual([d0.connections.length, d0.merge.connections.length, d0.merge.steps.length, d0.summary.connections], [0, 0, 0, 0]);
    assert.strictEqual(d0.merge.offset, plain.merge.offset, 'the clock is the pair of captures’, filtered or not');
    const one = await runCli(runAnalyze, [client, '--with', server, '--filter', 'tcp.flags.fin == 1 && tcp.port == 8080']);
    assert.match(one.out, /^two captures: client \(13 TCP segments\) and server \(12 TCP segments\); 1 connection, 1 in both; 1 matches the filter\n/);
    assert.match(one.out, /lost +The client's final ACK \(client frame 11\)/);
    const zero = await runCli(runAnalyze, [client, '--with', server, '--filter', 'tcp.flags.reset == 1']);
    assert.doesNotMatch(zero.out, /^#1 /m);
    const bad = await runCli(runAnalyze, [client, '--with', server, '--filter', 'tcp.port ==']);
    assert.strictEqual(bad.code, 2);
    assert.match(bad.err, /filter: /);
    // --fail-on counts only what the filter shows.
    const failing = await runCli(runAnalyze, [client, '--with', server, '--fail-on', 'warning']);
    assert.strictEqual(failing.code, 1);
    const filteredOut = await runCli(runAnalyze, [client, '--with', server, '--fail-on', 'warning', '--filter', 'tcp.flags.reset == 1']);
    assert.strictEqual(filteredOut.code, 0);
  });

  it('--summary: the counts and the clock, no connection or step', async () => {
    const r = await runCli(runAnalyze, [client, '--with', server, '--summary']);
    assert.strictEqual(r.code, 0, r.err);
    const doc = JSON.parse(r.out) as { input: Doc['input']; summary: Doc['summary']; merge: Record<string, unknown> };
    assert.deepStrictEqual(doc.summary, plain.summary);
    assert.deepStrictEqual(doc.merge.counts, { both: 12, lost: 1, outside: 0, 'unseen-at-sender': 0 });
    assert.strictEqual(doc.merge.offset, plain.merge.offset);
    assert.ok(!('connections' in doc.merge) && !('steps' in doc.merge) && !('connections' in doc));
  });

  it('--format jsonl: a line per merged connection, the --json connection with its merge facts', async () => {
    const r = await runCli(runAnalyze, [path.join(DIR, '04-crossing-fins.client.pcap'), '--with', path.join(DIR, '04-crossing-fins.server.pcap'), '--format', 'jsonl']);
    assert.strictEqual(r.code, 0, r.err);
    const lines = r.out.trimEnd().split('\n');
    const whole = JSON.parse(
      (await runCli(runAnalyze, [path.join(DIR, '04-crossing-fins.client.pcap'), '--with', path.join(DIR, '04-crossing-fins.server.pcap'), '--json'])).out,
    ) as Doc;
    assert.strictEqual(lines.length, whole.connections.length);
    lines.forEach((line, i) => {
      const o = JSON.parse(line) as Doc['connections'][number] & { merge: Doc['merge']['connections'][number] & { offset: number; steps: Doc['merge']['steps'] } };
      const { merge, ...conn } = o;
      assert.deepStrictEqual(conn, whole.connections[i]);
      assert.strictEqual(merge.offset, whole.merge.offset);
      assert.deepStrictEqual(merge.counts, whole.merge.connections[i].counts);
      assert.deepStrictEqual(merge.steps, whole.merge.steps);
    });
  });

  it('refuses the outputs a merge does not make, saying which it takes', async () => {
    const r = await runCli(runAnalyze, [client, '--with', server, '--format', 'zeek']);
    assert.strictEqual(r.code, 2);
    assert.match(r.err, /--with takes the text report, --json, --format jsonl, --summary and --filter/);
  });
});
