/**
 * `analyze` on the streaming path: `--format jsonl`, gzip-compressed captures, a capture on standard
 * input (a real pipe into the process), and damaged streams. Each answer is compared with the
 * whole-capture analysis of the same capture (loadTrace + analyze), not with stored text.
 */
import * as assert from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { runAnalyze } from '../../../src/cli/analyze';
import { analyze } from '../../../src/core/engine';
import { analysisJson, analysisJsonChunks, type ConnectionJson } from '../../../src/core/report/json';
import { loadTrace } from '../../../src/node/loadTrace';
import { runCli, type CliRun } from '../cliRun';
import { pcapCopies, pcapRecords } from './pcapCopies';

const REPO = path.resolve(__dirname, '../../../..');
const KERNEL = path.join(REPO, 'test/fixtures/kernel');
const MAIN = path.join(REPO, 'out/src/cli/main.js');
const fixture = (name: string): string => path.join(KERNEL, name);
const run = (...args: string[]): Promise<CliRun> => runCli(runAnalyze, args);

/** The whole-capture analysis's --json document of a file, as text. */
function wholeJson(file: string): string {
  const loaded = loadTrace(file);
  assert.strictEqual(loaded.error, null);
  const { format, packets, tcpSegments, warnings } = loaded.input;
  return [...analysisJsonChunks(analyze(loaded.table, {}, loaded.steps), { format, packets, tcpSegments, warnings })].join('') + '\n';
}

function wholeJsonWith(file: string, opts: Parameters<typeof analyze>[1]): string {
  const loaded = loadTrace(file);
  const { format, packets, tcpSegments, warnings } = loaded.input;
  return [...analysisJsonChunks(analyze(loaded.table, opts), { format, packets, tcpSegments, warnings })].join('');
}

const captures = fs.readdirSync(KERNEL).filter((f) => /\.(pcap|pcapng)$/.test(f));
let tmp = '';

describe('analyze: streaming', () => {
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-stream-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('--json on a capture (streamed) prints the whole-capture analysis document, character for character', async () => {
    assert.ok(captures.length >= 15, `${captures.length} captures`);
    for (const name of captures) {
      const r = await run(fixture(name), '--json');
      assert.strictEqual(r.code, 0, r.err);
      assert.strictEqual(r.out, wholeJson(fixture(name)), name);
    }
  });

  it('--format jsonl: one connection per line (the --json objects), then the input and summary', async () => {
    for (const name of captures) {
      const r = await run(fixture(name), '--format', 'jsonl');
      assert.strictEqual(r.code, 0, r.err);
      const lines = r.out.split('\n');
      assert.strictEqual(lines.pop(), '', 'ends with a newline');
      const last = JSON.parse(lines.pop()!) as { input: unknown; summary: unknown };
      const doc = JSON.parse(wholeJson(fixture(name))) as ReturnType<typeof analysisJson>;
      assert.deepStrictEqual(last, { input: doc.input, summary: doc.summary }, name);
      const conns = lines.map((l) => JSON.parse(l) as ConnectionJson).sort((a, b) => a.id - b.id);
      assert.deepStrictEqual(conns, doc.connections, name);
    }
  });

  it('--format jsonl prints connections as they finish, before the capture ends', async () => {
    // Three copies of scenario 01, 20 s apart: with TIME-WAIT at 2 x 1 s each copy is finished
    // (and written) once the capture has gone 10 s (the streaming slack) past its horizon.
    const file = path.join(tmp, 'copies.pcap');
    fs.writeFileSync(file, pcapCopies(fs.readFileSync(fixture('01-client-active-close.pcap')), 3, 20));
    // One thread: the batches of a file read in one chunk are written as they finish (shards
    // write theirs per chunk of input; the pipe test below covers both).
    const r = await run(file, '--format', 'jsonl', '--msl', '1', '--jobs', '1');
    assert.strictEqual(r.code, 0, r.err);
    const lines = r.out.trim().split('\n');
    assert.strictEqual(lines.length, 4);
    assert.ok(r.writes >= 4, `${r.writes} writes: connections written one batch at a time`);
    const whole = JSON.parse(wholeJsonWith(file, { mslSeconds: 1 })) as ReturnType<typeof analysisJson>;
    assert.deepStrictEqual(lines.slice(0, 3).map((l) => JSON.parse(l) as ConnectionJson), whole.connections);
  });

  it('--summary and --fail-on on the streaming path give the whole path\'s answers', async () => {
    for (const name of captures) {
      const doc = JSON.parse(wholeJson(fixture(name))) as ReturnType<typeof analysisJson>;
      const r = await run(fixture(name), '--summary', '--fail-on', 'warning');
      assert.deepStrictEqual(JSON.parse(r.out), { input: doc.input, summary: doc.summary }, name);
      const warned = doc.connections.some((c) => c.findings.some((f) => f.severity === 'warning' || f.severity === 'error'));
      assert.strictEqual(r.code, warned ? 1 : 0, name);
    }
  });

  it('--filter on the streaming path keeps the same connections as on the whole path', async () => {
    const file = fixture('11-tuple-reuse-time-wait.pcap');
    const r = await run(file, '--format', 'jsonl', '--filter', 'tcp.stream == 1');
    const lines = r.out.trim().split('\n');
    assert.strictEqual(lines.length, 2, r.out);
    assert.strictEqual((JSON.parse(lines[0]) as ConnectionJson).id, 2);
  });

  it('reads gzip-compressed captures (by magic, whatever the name), with the same answers', async () => {
    for (const name of ['01-client-active-close.pcapng', '11-tuple-reuse-time-wait.pcap']) {
      const gz = path.join(tmp, `${name}.data`);
      fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(fixture(name))));
      const r = await run(gz, '--json');
      assert.strictEqual(r.code, 0, r.err);
      assert.strictEqual(r.out, wholeJson(fixture(name)));
      const text = await run(gz);
      const plain = await run(fixture(name));
      assert.strictEqual(text.out, plain.out, 'text report (ladders) from a gzip file');
    }
  });

  it('a truncated gzip stream keeps what was decoded and says where it stopped', async () => {
    // A kernel capture compressed, cut at 70 % of the compressed bytes.
    const bytes = fs.readFileSync(fixture('12-keepalive-zero-window.pcap'));
    const gz = zlib.gzipSync(bytes, { level: 1 });
    const cut = path.join(tmp, 'cut.pcap.gz');
    fs.writeFileSync(cut, gz.subarray(0, Math.floor(gz.length * 0.7)));
    const r = await run(cut, '--format', 'jsonl');
    assert.strictEqual(r.code, 0, r.err);
    assert.match(r.err, /gzip stream ends early \(truncated\) after \d+ compressed bytes/);
    const last = JSON.parse(r.out.trim().split('\n').pop()!) as { input: { packets: number; warnings: string[] } };
    const whole = JSON.parse(wholeJson(fixture('12-keepalive-zero-window.pcap'))) as ReturnType<typeof analysisJson>;
    assert.ok(last.input.packets > 0 && last.input.packets < whole.input.packets, `${last.input.packets} packets kept`);
    assert.ok(last.input.warnings.some((w) => w.includes('gzip stream ends early')));
  });

  it('a capture on standard input through a real pipe (- as the file), and a pipe closed mid-record', () => {
    const file = fixture('05-half-close-data.pcap');
    const bytes = fs.readFileSync(file);
    const whole = spawnSync(process.execPath, [MAIN, 'analyze', '-', '--json'], { input: bytes, encoding: 'utf8' });
    assert.strictEqual(whole.status, 0, whole.stderr);
    assert.strictEqual(whole.stdout, wholeJson(file));
    const cut = spawnSync(process.execPath, [MAIN, 'analyze', '-', '--format', 'jsonl'], { input: bytes.subarray(0, bytes.length - 30), encoding: 'utf8' });
    assert.strictEqual(cut.status, 0, cut.stderr);
    assert.match(cut.stderr, /^warning: truncated at byte \d+ \(after frame \d+\)/m);
    assert.ok(cut.stdout.trim().split('\n').length >= 2);
  });

  for (const jobs of ['1', '2']) it(`prints a connection from a pipe while the writer is still writing (--jobs ${jobs})`, async () => {
    // Two copies of scenario 01, 20 s apart, written into the process's stdin record by record:
    // the first connection must come out on stdout before the second copy's rest is written.
    const bytes = pcapCopies(fs.readFileSync(fixture('01-client-active-close.pcap')), 2, 20);
    const child = spawn(process.execPath, [MAIN, 'analyze', '-', '--format', 'jsonl', '--msl', '1', '--jobs', jobs], { stdio: ['pipe', 'pipe', 'pipe'] });
    const records = pcapRecords(bytes);
    const half = records.length / 2;
    child.stdin.write(bytes.subarray(0, 24));
    for (const r of records.slice(0, half + 1)) child.stdin.write(r);
    let out = '';
    const firstLine = new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
      });
      child.on('exit', () => reject(new Error(`exited before printing: ${out}`)));
    });
    const first = JSON.parse(await firstLine) as ConnectionJson;
    assert.strictEqual(first.id, 1);
    assert.strictEqual(first.lastFrame, half);
    for (const r of records.slice(half + 1)) child.stdin.write(r);
    child.stdin.end();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.strictEqual(code, 0);
    assert.strictEqual(out.trim().split('\n').length, 3);
  });

  it('--progress writes one line rewritten in place on stderr, and clears it; none without it', async () => {
    const file = fixture('05-half-close-data.pcap');
    const r = await run(file, '--summary', '--progress');
    assert.match(r.err, /\r\x1b\[K0\.0 of 0\.0 MiB \(100%\), \d+ TCP segments, \d+ connections open, \d+ finished, \d+ MiB\/s/);
    assert.ok(r.err.endsWith('\r\x1b[K'), 'the line is cleared at the end');
    const quiet = await run(file, '--summary', '--no-progress');
    assert.strictEqual(quiet.err, '');
  });

  it('a text trace is refused by --format jsonl with the reason, and bad --format values are named', async () => {
    const r = await run(path.join(KERNEL, '01-client-active-close.txt'), '--format', 'jsonl');
    assert.strictEqual(r.code, 2);
    assert.match(r.err, /text trace: use --json/);
    const bad = await run(fixture('01-client-active-close.pcap'), '--format', 'xml');
    assert.strictEqual(bad.code, 2);
    assert.match(bad.err, /--format takes text, json, jsonl, zeek, zeek-json or parquet, not 'xml'/);
  });
});
