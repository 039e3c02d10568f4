/**
 * Several capture files as one capture (`analyze a.pcap b.pcap`, `analyze DIR`): real kernel
 * captures cut into sets by editcap and tshark (test/fixtures/sets/make.sh). The merged analysis
 * of a set equals the analysis of the capture it was cut from, connection for connection, with
 * every frame reference mapped to its file and its frame there; a damaged file in the middle is
 * reported with its name and byte offset and the others are still analyzed; files of two
 * interfaces merge in time order.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { runAnalyze } from '../../../src/cli/analyze';
import { analyze } from '../../../src/core/engine';
import { SegmentTable } from '../../../src/core/model/segment';
import { analysisJson, type AnalysisJson, type ConnectionJson } from '../../../src/core/report/json';
import { decodeCaptureSet, expandInputs, fileNames, naturalCompare } from '../../../src/node/captureSet';
import { loadTrace } from '../../../src/node/loadTrace';
import { runCli } from '../cliRun';

const FIXTURES = path.resolve(__dirname, '../../../../test/fixtures');
const SETS = path.join(FIXTURES, 'sets');
const KERNEL = path.join(FIXTURES, 'kernel');
const filesOf = (dir: string): string[] => expandInputs([path.join(SETS, dir)]).files;

/** The segments of a set merged into one table, as `analyze` merges them. */
async function mergedTable(files: string[]): Promise<SegmentTable> {
  const t = new SegmentTable(16, undefined, fileNames(files));
  await decodeCaptureSet(files, (v) => t.append(v));
  return t;
}

/**
 * The original capture's connections with every frame reference as the set has it: the merged
 * table must hold the original's segments in the original's order (checked field by field), so
 * row r's frame in the original is row r's file and frame in the set.
 */
async function expectedConnections(original: string, files: string[]): Promise<ConnectionJson[]> {
  const orig = loadTrace(original).table;
  const set = await mergedTable(files);
  assert.strictEqual(set.length, orig.length, 'every segment, once');
  const where = new Map<number, { file: string; frame: number }>();
  for (let r = 0; r < orig.length; r++) {
    for (const col of ['tsSec', 'tsNsec', 'seq', 'ack', 'flags', 'len', 'win'] as const) assert.strictEqual(set[col][r], orig[col][r], `row ${r}: ${col}`);
    where.set(orig.frame[r], { file: set.fileName(r)!, frame: set.frame[r] });
  }
  const at = (frame: number): { file: string; frame: number } => {
    const w = where.get(frame);
    assert.ok(w, `frame ${frame} is a TCP segment`);
    return w;
  };
  const text = (s: string): string => s.replace(/frame (\d+)/g, (_, f: string) => `frame ${at(Number(f)).file}:${at(Number(f)).frame}`);
  const doc = analysisJson(analyze(orig), { format: '', packets: 0, tcpSegments: 0 });
  return doc.connections.map((c) => ({
    ...c,
    firstFrame: at(c.firstFrame).frame,
    lastFrame: at(c.lastFrame).frame,
    firstFile: at(c.firstFrame).file,
    lastFile: at(c.lastFrame).file,
    reset: c.reset === null ? null : { ...c.reset, frame: at(c.reset.frame).frame, file: at(c.reset.frame).file },
    findings: c.findings.map((f) => ({
      ...f,
      frame: at(f.frame).frame,
      file: at(f.frame).file,
      message: text(f.message),
      related: f.related.map((r) => ({ ...r, frame: at(r.frame).frame, file: at(r.frame).file, message: text(r.message) })),
    })),
  }));
}

const SETS_FROM: [string, string][] = [
  ['rotated', '11-tuple-reuse-time-wait.pcap'],
  ['by-time', '12-keepalive-zero-window.pcap'],
  ['interfaces', '09-lost-final-ack.pcap'],
];

describe('analyze: several capture files as one capture', () => {
  let tmp = '';
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-sets-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('orders a directory by name, numbers as numbers, and leaves out what is not a capture', () => {
    assert.deepStrictEqual(['t.pcap10', 't.pcap2', 't.pcap', 't.pcap1'].sort(naturalCompare), ['t.pcap', 't.pcap1', 't.pcap2', 't.pcap10']);
    const dir = path.join(tmp, 'mixed');
    fs.mkdirSync(dir);
    for (const f of filesOf('rotated')) fs.copyFileSync(f, path.join(dir, path.basename(f)));
    fs.writeFileSync(path.join(dir, 'README'), 'not a capture\n');
    const r = expandInputs([dir]);
    assert.deepStrictEqual(r.files.map((f) => path.basename(f)), filesOf('rotated').map((f) => path.basename(f)));
    assert.deepStrictEqual(r.skipped, [path.join(dir, 'README')]);
  });

  for (const [dir, original] of SETS_FROM) {
    it(`${dir}/: the merged analysis is the original's, every reference mapped to file:frame (--jobs 1 and 2, streamed and whole)`, async () => {
      const files = filesOf(dir);
      assert.ok(files.length >= 2, `${files.length} files`);
      const expected = await expectedConnections(path.join(KERNEL, original), files);
      for (const jobs of ['1', '2']) {
        const r = await runCli(runAnalyze, [path.join(SETS, dir), '--json', '--jobs', jobs]);
        assert.strictEqual(r.code, 0, r.err);
        const doc = JSON.parse(r.out) as AnalysisJson;
        assert.deepStrictEqual(doc.connections, expected, `--jobs ${jobs}`);
        assert.deepStrictEqual(
          doc.input.files?.map((f) => f.name),
          files.map((f) => path.basename(f)),
        );
        assert.strictEqual(doc.input.packets, loadTrace(path.join(KERNEL, original)).input.packets);
      }
      // The same files named one by one, in another order: merged by time all the same.
      const byName = await runCli(runAnalyze, [...[...files].reverse(), '--json', '--jobs', '1']);
      assert.deepStrictEqual((JSON.parse(byName.out) as AnalysisJson).connections, expected);
      // The text report (the whole-capture path) names files in its references too.
      const text = await runCli(runAnalyze, [path.join(SETS, dir)]);
      assert.strictEqual(text.code, 0, text.err);
      assert.match(text.out, new RegExp(`^${files.length} files \\(pcap(ng)?\\): `));
      assert.match(text.out, /\[frames \S+:\d+(-\d+| to \S+:\d+), \d+ segments\]/);
      for (const c of expected) for (const f of c.findings) assert.ok(text.out.includes(f.message), f.message);
    });
  }

  it('interfaces/: the two files interleave in time, and the merge takes their segments in time order', async () => {
    const t = await mergedTable(filesOf('interfaces'));
    let switches = 0;
    for (let r = 1; r < t.length; r++) {
      assert.ok(t.time(r) >= t.time(r - 1), `row ${r} in time order`);
      if (t.file[r] !== t.file[r - 1]) switches++;
    }
    assert.ok(switches >= 4, `${switches} switches between the files`);
  });

  it('damaged/: a file cut in the middle of a record is named with the byte offset, the rest is analyzed (exit 0)', async () => {
    const files = filesOf('damaged');
    const cut = path.basename(files[Math.floor(files.length / 2)]);
    for (const jobs of ['1', '2']) {
      const r = await runCli(runAnalyze, [path.join(SETS, 'damaged'), '--json', '--jobs', jobs]);
      assert.strictEqual(r.code, 0, r.err);
      const warning = new RegExp(`^warning: ${cut.replace(/\./g, '\\.')}: truncated at byte \\d+ \\(after frame \\d+\\)`, 'm');
      assert.match(r.err, warning);
      const doc = JSON.parse(r.out) as AnalysisJson;
      assert.ok(doc.input.warnings?.some((w) => w.startsWith(`${cut}: truncated at byte`)));
      const whole = await runCli(runAnalyze, [path.join(SETS, 'rotated'), '--json', '--jobs', jobs]);
      const all = JSON.parse(whole.out) as AnalysisJson;
      // Every file after the damaged one is read: the last frame of the set is there.
      assert.strictEqual(doc.input.files?.length, files.length);
      assert.ok(doc.input.packets < all.input.packets && doc.input.packets >= all.input.packets - 5, `${doc.input.packets} of ${all.input.packets} packets`);
      const last = (d: AnalysisJson): string => `${d.connections.at(-1)?.lastFile}:${d.connections.at(-1)?.lastFrame}`;
      assert.strictEqual(last(doc), last(all));
      assert.strictEqual(doc.connections.length, all.connections.length);
    }
  });

  it('a gzip-compressed file in a set, and a file that is not a capture named on the command line', async () => {
    const files = filesOf('rotated');
    const gz = path.join(tmp, `${path.basename(files[1])}.gz`);
    fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(files[1])));
    const bad = path.join(tmp, 'notes.txt');
    fs.writeFileSync(bad, 'hello\n');
    const plain = await runCli(runAnalyze, [...files, '--json', '--jobs', '1']);
    const mixed = await runCli(runAnalyze, [files[0], gz, ...files.slice(2), bad, '--json', '--jobs', '1']);
    assert.strictEqual(mixed.code, 0, mixed.err);
    assert.match(mixed.err, /^warning: notes\.txt: .*not a pcap or pcapng file.*; the file is left out/m);
    const a = JSON.parse(plain.out) as AnalysisJson;
    const b = JSON.parse(mixed.out) as AnalysisJson;
    const strip = (c: ConnectionJson): unknown => JSON.stringify(c).replaceAll(`${path.basename(files[1])}.gz`, path.basename(files[1]));
    assert.deepStrictEqual(b.connections.map(strip), a.connections.map((c) => JSON.stringify(c)));
    const none = await runCli(runAnalyze, [bad, path.join(tmp, 'missing.pcap'), '--summary']);
    assert.strictEqual(none.code, 2);
    assert.match(none.err, /cannot read any of the files/);
  });

  it('one file, or a directory of one file: the single-file document, without file names', async () => {
    const dir = path.join(tmp, 'one');
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(KERNEL, '11-tuple-reuse-time-wait.pcap'), path.join(dir, 'only.pcap'));
    const a = await runCli(runAnalyze, [dir, '--json']);
    const b = await runCli(runAnalyze, [path.join(KERNEL, '11-tuple-reuse-time-wait.pcap'), '--json']);
    assert.strictEqual(a.out, b.out);
    assert.ok(!a.out.includes('"file'));
  });
});
