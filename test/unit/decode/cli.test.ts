/**
 * `decode` on the command line (runDecode with a captured io) and decodeFile, the Node-side reader
 * that feeds files to the decoder 1 MiB at a time through one reused buffer; decodeStream's reader
 * of regular files (two reused buffers, the next read running while a chunk is decoded).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runDecode } from '../../../src/cli/decode';
import { decodeFile, UnreadableFileError, CHUNK_SIZE } from '../../../src/node/captureFile';
import { decodeStream } from '../../../src/node/captureStream';
import { FIXTURES, decodeAll, copy, read, type Seg } from './util';
import { runCli, type CliRun } from '../cliRun';

const run = (...args: string[]): Promise<CliRun> => runCli(runDecode, args);

const LO = path.join(FIXTURES, 'real/lo.pcap');
let tmp: string;

/** A capture over CHUNK_SIZE: real/lo.pcap's header, then its records again and again. */
function bigCapture(minBytes: number): string {
  const lo = read(LO);
  const records = lo.subarray(24);
  const reps = Math.ceil(minBytes / records.length);
  const b = new Uint8Array(24 + reps * records.length);
  b.set(lo.subarray(0, 24));
  for (let i = 0; i < reps; i++) b.set(records, 24 + i * records.length);
  const file = path.join(tmp, 'big.pcap');
  fs.writeFileSync(file, b);
  return file;
}

describe('decode: the command line and decodeFile', () => {
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-decode-'));
  });
  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('--format jsonl prints exactly what tshark decodes, one object per segment', async () => {
    const r = await run(LO, '--format', 'jsonl');
    assert.strictEqual(r.code, 0);
    assert.strictEqual(r.out, fs.readFileSync(`${LO}.tshark.jsonl`, 'utf8'));
    assert.strictEqual(r.writes, 1, 'one write for a small file');
    assert.strictEqual(r.err, `${LO}: skipped 2 of 60 packets without a TCP segment: 2 IP but not TCP\n`);
  });

  it('the default text format: frame, time, tcpdump -S style line', async () => {
    const r = await run(LO);
    assert.strictEqual(r.code, 0);
    const lines = r.out.trimEnd().split('\n');
    assert.strictEqual(lines.length, 58);
    assert.ok(/^1 \d+\.\d{9} 192\.0\.2\.1\.\d+ > 192\.0\.2\.2\.8001: Flags \[S\], seq \d+, win 65495, length 0$/.test(lines[0]), lines[0]);
    assert.ok(/^2 \d+\.\d{9} 192\.0\.2\.2\.8001 > 192\.0\.2\.1\.\d+: Flags \[S\.\], seq \d+, ack \d+, win 65483, length 0$/.test(lines[1]), lines[1]);
    const data = lines.find((l) => l.endsWith('length 300'))!;
    const m = /seq (\d+):(\d+), ack \d+, win \d+, length 300$/.exec(data);
    assert.ok(m !== null && Number(m[2]) - Number(m[1]) === 300, data);
    assert.ok(lines.some((l) => l.includes('2001:db8::1.') && l.includes(' > 2001:db8:0:1::2.8004: ')));
  });

  it('--format count prints the summary and counts only; --stats adds time, packets/s and MB/s', async () => {
    const r = await run(LO, '--format', 'count', '--stats');
    assert.strictEqual(r.code, 0);
    assert.strictEqual(r.out, `${LO}: pcap 2.4 (little-endian, microseconds), Ethernet (1): 60 packets, 58 TCP segments, 2 skipped\n  skipped non-tcp: 2\n`);
    assert.ok(/decoded 60 packets \(58 TCP segments, 9\d{3} bytes\) in [\d.]+ ms: \d+ packets\/s, [\d.]+ MB\/s\n$/.test(r.err), r.err);
  });

  it('exit 2 with the reason when the file cannot be read at all', async () => {
    const missing = await run(path.join(tmp, 'nope.pcap'));
    assert.strictEqual(missing.code, 2);
    assert.strictEqual(missing.err, `teardown-tracer decode: cannot read ${path.join(tmp, 'nope.pcap')}: no such file\n`);
    const dir = await run(tmp);
    assert.strictEqual(dir.code, 2);
    assert.ok(dir.err.endsWith(': is a directory\n'), dir.err);
    const text = path.join(tmp, 'notes.txt');
    fs.writeFileSync(text, 'hello, this is text\n');
    const notCapture = await run(text, '--format', 'jsonl');
    assert.strictEqual(notCapture.code, 2);
    assert.strictEqual(notCapture.out, '');
    assert.strictEqual(notCapture.err, `teardown-tracer decode: cannot read ${text}: not a pcap or pcapng file (magic 0x68656c6c): it starts with text ("hell")\n`);
    const empty = path.join(tmp, 'empty.pcap');
    fs.writeFileSync(empty, '');
    assert.deepStrictEqual(await run(empty), { code: 2, out: '', err: `teardown-tracer decode: cannot read ${empty}: the file is empty\n`, writes: 0 });
  });

  it('exit 0 for a damaged file: what was decoded is printed, where it stopped goes to stderr', async () => {
    const cut = path.join(tmp, 'cut.pcap');
    fs.writeFileSync(cut, read(LO).subarray(0, 5000));
    const r = await run(cut, '--format', 'jsonl');
    assert.strictEqual(r.code, 0);
    const want = fs.readFileSync(`${LO}.tshark.jsonl`, 'utf8').split('\n');
    const got = r.out.trimEnd().split('\n');
    assert.deepStrictEqual(got, want.slice(0, got.length));
    assert.ok(/truncated at byte \d+ \(after frame \d+\): the file ends inside packet record \d+: it claims \d+ captured bytes, \d+ are there; the \d+ packets before it are kept\n$/.test(r.err), r.err);
  });

  it('bad arguments exit 2 with usage', async () => {
    for (const args of [[], [LO, '--format', 'xml'], [LO, LO], [LO, '--nope']]) {
      const r = await run(...args);
      assert.strictEqual(r.code, 2, args.join(' '));
      assert.ok(r.err.includes('usage: teardown-tracer decode FILE'), r.err);
    }
    assert.strictEqual((await run(LO, '--format=jsonl')).code, 0);
    assert.strictEqual((await run('--help')).code, 0);
  });

  it('decodeFile reads a file over 1 MiB through one reused buffer exactly as decoding it whole', () => {
    const file = bigCapture(3 * CHUNK_SIZE + 12345);
    const segs: Seg[] = [];
    const r = decodeFile(file, (v) => segs.push(copy(v)));
    const whole = decodeAll(read(file));
    assert.strictEqual(r.stoppedAt, null);
    assert.strictEqual(r.bytesRead, fs.statSync(file).size);
    assert.deepStrictEqual(segs, whole.segs);
    assert.ok(segs.length > 15000, String(segs.length));
  });

  it('decodeStream reads a regular file over 1 MiB through two reused buffers exactly as decoding it whole, waiting when told', async () => {
    const file = bigCapture(3 * CHUNK_SIZE + 12345);
    const size = fs.statSync(file).size;
    const segs: Seg[] = [];
    const progress: number[] = [];
    const r = await decodeStream(
      file,
      (v) => segs.push(copy(v)),
      // The reader is held back after every chunk (as the sharded analysis does when its workers are behind).
      (p) => {
        progress.push(p.bytesRead);
        assert.strictEqual(p.totalBytes, size);
        return new Promise<void>((resolve) => setTimeout(resolve, 2));
      },
    );
    const whole = decodeAll(read(file));
    assert.deepStrictEqual(segs, whole.segs);
    assert.deepStrictEqual(r.report, whole.report);
    assert.strictEqual(r.report.bytesRead, size);
    assert.strictEqual(r.gzip, false);
    assert.deepStrictEqual(r.notes, []);
    assert.deepStrictEqual(progress, [CHUNK_SIZE, 2 * CHUNK_SIZE, 3 * CHUNK_SIZE, size]);
  });

  it('decodeStream gives the event loop a turn after every chunk of a regular file (worker results, timers)', async () => {
    const file = bigCapture(3 * CHUNK_SIZE);
    const ran: number[] = [];
    const atChunk: number[] = [];
    await decodeStream(
      file,
      () => undefined,
      (p) => {
        // What ran of the callbacks scheduled after the chunks before this one.
        atChunk.push(ran.length);
        const at = p.bytesRead;
        setImmediate(() => ran.push(at));
      },
    );
    assert.deepStrictEqual(atChunk, [0, 1, 2, 3]);
  });

  it('decodeStream: a regular file that ends inside a record in its third chunk keeps the records before it, as decoding it whole', async () => {
    const file = bigCapture(3 * CHUNK_SIZE);
    const cut = path.join(tmp, 'cut-big.pcap');
    fs.writeFileSync(cut, read(file).subarray(0, 2 * CHUNK_SIZE + 100));
    const segs: Seg[] = [];
    const r = await decodeStream(cut, (v) => segs.push(copy(v)));
    const whole = decodeAll(read(cut));
    assert.ok(whole.report.stoppedAt?.message.startsWith('truncated ') && whole.segs.length > 10000, 'the file is cut inside a record');
    assert.deepStrictEqual(segs, whole.segs);
    assert.deepStrictEqual(r.report, whole.report);
    assert.deepStrictEqual(r.notes, []);
  });

  it('large output is written in big chunks, not a write per line', async () => {
    const file = bigCapture(2 * CHUNK_SIZE);
    const r = await run(file, '--format', 'jsonl');
    const lines = r.out.split('\n').length - 1;
    assert.ok(lines > 10000);
    // One write per ~64 Ki characters (OUTPUT_CHUNK): far fewer writes than lines.
    assert.ok(r.writes <= Math.ceil(r.out.length / (1 << 16)) + 1, `${r.writes} writes for ${lines} lines`);
    assert.ok(r.writes >= Math.floor(r.out.length / (1 << 17)), `${r.writes} writes: chunks stay small`);
  });

  it('decodeFile throws UnreadableFileError (with the code) only when the file cannot be read', () => {
    assert.throws(
      () => decodeFile(path.join(tmp, 'missing'), () => undefined),
      (e: unknown) => e instanceof UnreadableFileError && e.code === 'ENOENT' && e.message.endsWith('missing: no such file'),
    );
    const garbage = path.join(tmp, 'garbage');
    fs.writeFileSync(garbage, new Uint8Array(100).fill(0xab));
    const r = decodeFile(garbage, () => undefined);
    assert.strictEqual(r.unreadable, true);
    assert.strictEqual(r.stopReason, 'not a pcap or pcapng file (magic 0xabababab)');
  });
});
