/**
 * `analyze` on the command line (runAnalyze with a captured io), its chunked writers, and the
 * process itself behind a pipe. The kernel-made scenarios of test/fixtures/kernel are the inputs.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runAnalyze } from '../../../src/cli/analyze';
import { analyze } from '../../../src/core/engine';
import { RST_REASONS, type RstReason } from '../../../src/core/engine/rst';
import { analysisJson, analysisJsonChunks, type AnalysisJson } from '../../../src/core/report/json';
import { summaryText, summaryTextChunks } from '../../../src/core/report/summary';
import { loadTrace } from '../../../src/node/loadTrace';
import { runCli, type CliRun } from '../cliRun';

const REPO = path.resolve(__dirname, '../../../..');
const KERNEL = path.join(REPO, 'test/fixtures/kernel');
const MAIN = path.join(REPO, 'out/src/cli/main.js');
const fixture = (name: string): string => path.join(KERNEL, name);

const run = (...args: string[]): Promise<CliRun> => runCli(runAnalyze, args);

function inputOf(file: string): { a: ReturnType<typeof analyze>; input: Parameters<typeof analysisJson>[1] } {
  const loaded = loadTrace(file);
  assert.strictEqual(loaded.error, null);
  const a = analyze(loaded.table, {}, loaded.steps);
  const { format, packets, tcpSegments, warnings } = loaded.input;
  return { a, input: { format, packets, tcpSegments, warnings } };
}

const captures = fs.readdirSync(KERNEL).filter((f) => f.endsWith('.pcap') && !f.includes('-nsec'));

describe('analyze: the command line', () => {
  it('--json prints the documented document, connections in order of their first frame', async () => {
    assert.ok(captures.length >= 15, `${captures.length} kernel captures`);
    for (const name of captures) {
      const r = await run(fixture(name), '--json');
      assert.strictEqual(r.code, 0, `${name}: ${r.err}`);
      assert.ok(r.out.endsWith('}\n'), name);
      const doc = JSON.parse(r.out) as AnalysisJson;
      assert.strictEqual(doc.input.format, 'pcap');
      assert.ok(doc.input.packets >= doc.input.tcpSegments && doc.input.tcpSegments > 0, name);
      assert.ok(doc.connections.length > 0, name);
      let lastFirst = 0;
      doc.connections.forEach((c, i) => {
        assert.strictEqual(c.id, i + 1);
        assert.ok(c.firstFrame > lastFirst && c.lastFrame >= c.firstFrame, `${name} #${c.id} frames`);
        lastFirst = c.firstFrame;
        assert.match(c.client.ip, /^[0-9a-f.:]+$/);
        assert.ok(c.client.port > 0 && c.server.port > 0);
        assert.ok(['client', 'server', 'simultaneous', 'none'].includes(c.closeInitiator), c.closeInitiator);
        assert.ok(c.reset === null || (['client', 'server'].includes(c.reset.by) && c.reset.frame > 0));
        // RFC 9293 names only; a state the capture cannot show is null, and stateNotes says why.
        for (const side of ['client', 'server'] as const) {
          for (const s of [c.initialState[side], c.finalState[side]]) {
            if (s === null) assert.ok((c.stateNotes[side] ?? '').includes('not knowable'), `${name} #${c.id}: why the ${side}'s state is not knowable`);
            else assert.match(s, /^(CLOSED|LISTEN|SYN-SENT|SYN-RECEIVED|ESTABLISHED|FIN-WAIT-[12]|CLOSE-WAIT|CLOSING|LAST-ACK|TIME-WAIT)$/);
          }
        }
        assert.ok(['client', 'server', 'between', 'unknown'].includes(c.vantage.near), c.vantage.near);
        for (const x of c.rsts) {
          assert.ok(RST_REASONS.includes(x.reason as RstReason), x.reason);
          assert.ok(['certain', 'likely', 'possible'].includes(x.confidence) && ['reset', 'ignored', 'none'].includes(x.effect));
          assert.ok(x.evidence.includes(x.frame) && x.evidence.every((e) => e >= c.firstFrame && e <= c.lastFrame), `${name}: evidence ${x.evidence} of frame ${x.frame}`);
        }
        if (c.reset !== null) assert.deepStrictEqual(c.rsts.filter((x) => x.effect === 'reset').map((x) => x.frame), [c.reset.frame]);
        for (const f of c.findings) {
          assert.match(f.code, /^[a-z]+(-[a-z]+)*$/);
          assert.ok(['error', 'warning', 'info', 'hint'].includes(f.severity));
          assert.ok(f.frame >= c.firstFrame && f.frame <= c.lastFrame, `${name}: finding frame ${f.frame}`);
          assert.ok(f.message.length > 20 && f.explanation.includes('RFC'), f.message);
        }
      });
      // Written in chunks, it is still exactly the document of the report module.
      const { a, input } = inputOf(fixture(name));
      assert.strictEqual(r.out, JSON.stringify(analysisJson(a, input)) + '\n', name);
    }
  });

  it('the chunked writers give the same text as the one-piece ones, in several chunks', () => {
    const { a, input } = inputOf(fixture('11-tuple-reuse-time-wait.pcap'));
    const json = [...analysisJsonChunks(a, input, 200)];
    assert.ok(json.length > 2, `${json.length} chunks`);
    assert.strictEqual(json.join(''), JSON.stringify(analysisJson(a, input)));
    // Text traces: findings and related segments carry lines; a wrong claim is positioned.
    const cases: [string, RegExp][] = [
      [fixture('11-tuple-reuse-time-wait.txt'), /"code":"port-reuse".*"related":\[\{"frame":0,"message":"[^"]+","line":\d+\}\],"line":\d+\}/],
      [fixture('04-half-close-lingering.txt'), /"code":"lingering-half-close".*"related":\[\],"line":8\}/],
      [path.join(REPO, 'test/unit/server/fixtures/normal-close-wrong-claim.tcptrace'), /"code":"state-claim-mismatch".*"line":\d+\}/],
    ];
    for (const [file, shape] of cases) {
      const t = inputOf(file);
      const doc = JSON.stringify(analysisJson(t.a, t.input));
      assert.strictEqual([...analysisJsonChunks(t.a, t.input, 100)].join(''), doc, file);
      assert.match(doc, shape);
    }
    const text = [...summaryTextChunks(a, input, 100)];
    assert.ok(text.length > 2, `${text.length} chunks`);
    assert.strictEqual(text.join(''), summaryText(a, input));
    assert.match(text.join(''), /^pcap: \d+ packets, \d+ TCP segments, 2 connections, \d+ findings?\n\n#1 /);
  });

  it('the default output: a summary per connection, then a ladder for each connection with findings', async () => {
    const r = await run(fixture('04-half-close-lingering.pcap'));
    assert.strictEqual(r.code, 0);
    assert.match(r.out, /^pcap: \d+ packets, \d+ TCP segments, 1 connection, /);
    assert.match(r.out, /#1 10\.\d+\.0\.1:\d+ -> 10\.\d+\.0\.2:8080 {2}\[frames 1-\d+, \d+ segments\]/);
    assert.match(r.out, /warning lingering-half-close: /);
    assert.match(r.out, /\n#1 step by step:\n/);
    assert.match(r.out, /CLOSE-WAIT/);
    const none = await run(fixture('04-half-close-lingering.pcap'), '--ladder', 'none');
    assert.ok(!none.out.includes('step by step'));
    assert.ok(r.out.startsWith(none.out), 'the ladders follow the summaries');
  });

  it('--summary prints the counts only', async () => {
    const r = await run(fixture('11-tuple-reuse-time-wait.pcap'), '--summary');
    assert.strictEqual(r.code, 0);
    const doc = JSON.parse(r.out) as { input: unknown; summary: AnalysisJson['summary'] };
    assert.deepStrictEqual(Object.keys(doc), ['input', 'summary']);
    assert.strictEqual(doc.summary.connections, 2);
    assert.strictEqual(doc.summary.findings['port-reuse'], 1);
  });

  it('exit status: 2 for unreadable input and bad arguments, 1 when --fail-on matches, else 0', async () => {
    const missing = await run(path.join(KERNEL, 'no-such-file.pcap'));
    assert.strictEqual(missing.code, 2);
    assert.match(missing.err, /cannot read .*no-such-file\.pcap: no such file/);
    assert.strictEqual(missing.out, '');
    assert.strictEqual((await run(fixture('01-client-active-close.pcap'), '--frobnicate')).code, 2);
    assert.strictEqual((await run(fixture('01-client-active-close.pcap'), '--fail-on', 'loud')).code, 2);
    assert.strictEqual((await run(fixture('01-client-active-close.pcap'), '--filter', 'tcp.port ==')).code, 2);
    assert.strictEqual((await run(fixture('04-half-close-lingering.pcap'), '--fail-on', 'warning')).code, 1);
    assert.strictEqual((await run(fixture('04-half-close-lingering.pcap'), '--fail-on', 'error')).code, 0);
    // A finding turned off no longer fails the run.
    assert.strictEqual(
      (await run(fixture('04-half-close-lingering.pcap'), '--fail-on', 'warning', '--severity', 'lingering-half-close=off')).code,
      0,
    );
  });

  it('--filter keeps the connections with a matching segment', async () => {
    const all = JSON.parse((await run(fixture('11-tuple-reuse-time-wait.pcap'), '--json')).out) as AnalysisJson;
    assert.strictEqual(all.connections.length, 2);
    const port = all.connections[1].client.port;
    const r = await run(fixture('11-tuple-reuse-time-wait.pcap'), '--json', '--filter', `tcp.flags.syn == 1 && frame.number >= ${all.connections[1].firstFrame}`);
    const doc = JSON.parse(r.out) as AnalysisJson;
    assert.deepStrictEqual(doc.connections.map((c) => c.id), [2]);
    assert.strictEqual(doc.connections[0].client.port, port);
  });
});

describe('analyze and decode: the process behind a pipe', function () {
  this.timeout(60_000);
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-analyze-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('a reader that stops early (| head) ends the run quietly, with exit status 0', () => {
    // A capture whose outputs far exceed a pipe's buffer: one kernel capture's records, 2000 times.
    const src = fs.readFileSync(fixture('11-tuple-reuse-time-wait.pcap'));
    const records = src.subarray(24);
    const big = Buffer.concat([src.subarray(0, 24), ...Array.from({ length: 2000 }, () => records)]);
    const file = path.join(tmp, 'big.pcap');
    fs.writeFileSync(file, big);
    for (const args of [['decode', file], ['analyze', file, '--json'], ['analyze', file]]) {
      // pipefail: the pipeline's status is the writer's when it fails.
      const cmd = `set -o pipefail; ${[process.execPath, MAIN, ...args].map((a) => JSON.stringify(a)).join(' ')} | head -c 100 > /dev/null`;
      const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8' });
      assert.strictEqual(r.stderr, '', `${args.join(' ')}: ${r.stderr}`);
      assert.strictEqual(r.status, 0, args.join(' '));
    }
    // Behind a pipe that is read to the end, the output is complete.
    const whole = spawnSync('sh', ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(MAIN)} analyze ${JSON.stringify(file)} --json | cat`], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });
    assert.strictEqual(whole.status, 0, whole.stderr);
    const doc = JSON.parse(whole.stdout) as AnalysisJson;
    assert.ok(doc.connections.length >= 2, `${doc.connections.length} connections`);
  });
});
