/**
 * `analyze --jobs N`: connections sharded over N shards give the same answers as one thread:
 * `--json` and `--summary` character for character, `--format jsonl` the same lines (in the order
 * connections finish) and the same last line. On every capture fixture (shards on message
 * channels: the real protocol and code without a thread per shard), on random traces with short
 * horizons (connections finished, split and reused mid-trace), and through real worker threads.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { runAnalyze } from '../../../src/cli/analyze';
import { runStreamed, type StreamRun } from '../../../src/cli/analyzeStream';
import { channelShard, ShardedAnalysis } from '../../../src/cli/shards';
import type { BatchSink, StreamedOutput } from '../../../src/cli/streamOutput';
import { analyze, type EngineOptions } from '../../../src/core/engine';
import { SegmentView, type SegmentTable } from '../../../src/core/model/segment';
import { SegmentBatch, shardOf } from '../../../src/core/model/segmentBatch';
import { analysisJsonChunks, JsonCollector, type InputSummary } from '../../../src/core/report/json';
import { loadTrace } from '../../../src/node/loadTrace';
import { build, segArb } from '../engine/randomTrace';
import { runCli } from '../cliRun';

const FIXTURES = path.resolve(__dirname, '../../../../test/fixtures');

function captures(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...captures(p));
    else if (/\.(pcap|pcapng|cap)(\.gz)?$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

async function streamedRun(file: string, output: StreamedOutput, jobs: number): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const run: StreamRun = { file, output, filter: null, engine: {}, failRank: 2, progress: false, jobs, spawn: channelShard };
  const code = await runStreamed(run, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

/** jsonl's connection lines sorted (by id), and its last line. */
function jsonlParts(out: string): { lines: string[]; last: string } {
  const lines = out.split('\n');
  assert.strictEqual(lines.pop(), '');
  const last = lines.pop() ?? '';
  const id = (l: string): number => Number(/^\{"id":(\d+),/.exec(l)?.[1]);
  return { lines: lines.sort((a, b) => id(a) - id(b)), last };
}

const INPUT: InputSummary = { format: 'test', packets: 0, tcpSegments: 0 };

/** The --json document of a table analyzed by `jobs` shards (on message channels). */
async function shardedDoc(table: SegmentTable, opts: Partial<EngineOptions>, jobs: number, sweepRows: number): Promise<string> {
  const collector = new JsonCollector();
  const sink: BatchSink = { counts: collector.counts, worst: -1, keep: (id, text) => collector.put([id], [text]), write: () => undefined };
  const s = new ShardedAnalysis({ jobs, engine: opts, output: 'json', filter: null, stream: { sweepRows, slackSeconds: 0 }, spawn: channelShard }, sink);
  const v = new SegmentView();
  for (let r = 0; r < table.length; r++) {
    table.fillView(r, v);
    s.push(v);
    // Batches go out every few segments, as with chunks of input.
    if (r % 5 === 4) await s.paced();
  }
  await s.end();
  return [...collector.chunks(INPUT)].join('');
}

describe('analyze --jobs: sharded over threads, the same answers', () => {
  const files = captures(FIXTURES);

  it('a segment batch carries every field of a view, and the shard of a segment is the same both ways', () => {
    const loaded = loadTrace(path.join(FIXTURES, 'kernel/13-ipv6-client-close.pcapng'));
    const t = loaded.table;
    const b = new SegmentBatch(t.length);
    const v = new SegmentView();
    const w = new SegmentView();
    for (let r = 0; r < t.length; r++) {
      t.fillView(r, v);
      v.file = 3;
      b.append(v, r, r * 0.5);
    }
    for (let r = 0; r < t.length; r++) {
      t.fillView(r, v);
      v.file = 3;
      b.read(r, w);
      assert.deepStrictEqual({ ...w, line: v.line, byteOffset: v.byteOffset }, { ...v });
      assert.strictEqual(b.index[r], r);
      assert.strictEqual(b.file[r], 3);
      // Swap the direction: the same shard.
      const back = new SegmentView();
      Object.assign(back, { ipVersion: v.ipVersion, sport: v.dport, dport: v.sport });
      back.src.set(v.dst);
      back.dst.set(v.src);
      for (const n of [2, 3, 4, 7]) assert.strictEqual(shardOf(back, n), shardOf(v, n));
    }
  });

  it('has capture fixtures to compare', () => assert.ok(files.length >= 50, `${files.length} captures`));

  for (const file of files) {
    it(`--json, --summary, --format jsonl with 1, 2 and 4 shards: ${path.relative(FIXTURES, file)}`, async () => {
      for (const output of ['json', 'summary', 'jsonl'] as StreamedOutput[]) {
        const one = await streamedRun(file, output, 1);
        for (const jobs of [2, 4]) {
          const r = await streamedRun(file, output, jobs);
          assert.strictEqual(r.code, one.code, `${output} --jobs ${jobs}: exit status`);
          assert.strictEqual(r.err, one.err, `${output} --jobs ${jobs}: stderr`);
          if (output === 'jsonl') assert.deepStrictEqual(jsonlParts(r.out), jsonlParts(one.out), `jsonl --jobs ${jobs}`);
          else assert.strictEqual(r.out, one.out, `${output} --jobs ${jobs}`);
        }
      }
    });
  }

  it('equals the whole-capture analysis on random traces, with 2, 3 and 4 shards', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(segArb, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom(0.2, 5, 30),
        fc.integer({ min: 2, max: 4 }),
        async (segs, sweepRows, msl, jobs) => {
          const table = build(segs);
          const opts = { mslSeconds: msl, idleHorizonSeconds: 4 * msl };
          const expected = [...analysisJsonChunks(analyze(table, opts), INPUT)].join('');
          const got = await shardedDoc(table, opts, jobs, sweepRows);
          assert.strictEqual(got, expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('real worker threads: --jobs 2 and 4 print what --jobs 1 prints', async () => {
    for (const name of ['kernel/11-tuple-reuse-time-wait.pcap']) {
      const file = path.join(FIXTURES, name);
      if (!fs.existsSync(file)) continue;
      for (const output of [['--json'], ['--summary'], ['--format', 'jsonl']]) {
        const one = await runCli(runAnalyze, [file, ...output, '--jobs', '1']);
        for (const jobs of ['2', '4']) {
          const r = await runCli(runAnalyze, [file, ...output, '--jobs', jobs]);
          assert.strictEqual(r.code, one.code);
          if (output[0] === '--format') assert.deepStrictEqual(jsonlParts(r.out), jsonlParts(one.out));
          else assert.strictEqual(r.out, one.out, `${name} ${output.join(' ')} --jobs ${jobs}`);
        }
      }
    }
  });

  it('--jobs takes a number of threads', async () => {
    const r = await runCli(runAnalyze, [path.join(FIXTURES, 'kernel/01-client-active-close.pcap'), '--summary', '--jobs', '0']);
    assert.strictEqual(r.code, 2);
    assert.match(r.err, /--jobs takes a number of worker threads from 1 to 256/);
  });
});
