/**
 * `analyze --jobs N`: batches of finished connections analyzed by N workers give the same answers
 * as one thread: `--json`, `--summary` and `--format jsonl` character for character. On every
 * capture fixture (workers on message channels: the real protocol and code without a thread per
 * worker), on random traces with short horizons (connections finished, split and reused mid-trace)
 * and small batches, and through real worker threads.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { MessageChannel } from 'worker_threads';
import { runAnalyze } from '../../../src/cli/analyze';
import { runStreamed, type StreamRun } from '../../../src/cli/analyzeStream';
import { BatchWorker, runBatchWorker, type FromWorker, type ToWorker, type WorkerInit } from '../../../src/cli/batchWorker';
import { channelWorker, ParallelAnalysis } from '../../../src/cli/parallel';
import { batchWriter, lineWriter, type BatchSink, type StreamedOutput } from '../../../src/cli/streamOutput';
import { StreamingAnalysis } from '../../../src/core/engine/stream';
import { analyze, type EngineOptions } from '../../../src/core/engine';
import { SegmentTable, SegmentView } from '../../../src/core/model/segment';
import { SegmentBatch } from '../../../src/core/model/segmentBatch';
import { analysisJsonChunks, JsonCollector, type InputSummary } from '../../../src/core/report/json';
import { loadTrace } from '../../../src/node/loadTrace';
import { copiesOf } from '../engine/copies';
import { build, segArb } from '../engine/randomTrace';
import { runCli } from '../cliRun';
import { captureFiles } from '../captureFiles';

const FIXTURES = path.resolve(__dirname, '../../../../test/fixtures');


async function streamedRun(file: string, output: StreamedOutput, jobs: number): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const run: StreamRun = { file, output, filter: null, engine: {}, failRank: 2, progress: false, jobs, spawn: channelWorker };
  const code = await runStreamed(run, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

const INPUT: InputSummary = { format: 'test', packets: 0, tcpSegments: 0 };

/** A sink keeping `--json` connection texts in a collector (nothing else written). */
function jsonSink(collector: JsonCollector): BatchSink {
  return { counts: collector.counts, worst: -1, keep: (id, text) => collector.put([id], [text]), write: () => undefined, line: () => undefined, flush: () => undefined };
}

/** The --json document of a table analyzed by `jobs` workers (on message channels). */
async function parallelDoc(table: SegmentTable, opts: Partial<EngineOptions>, jobs: number, sweepRows: number, threads = false, minEndpoints?: number): Promise<string> {
  const collector = new JsonCollector();
  const sink = jsonSink(collector);
  const spawn = threads ? undefined : channelWorker;
  const s = new ParallelAnalysis({ jobs, engine: opts, output: 'json', filter: null, stream: { sweepRows, slackSeconds: 0, minEndpoints }, spawn }, sink);
  const v = new SegmentView();
  for (let r = 0; r < table.length; r++) {
    table.fillView(r, v);
    s.push(v);
    // Batches go out every few segments, as with chunks of input.
    if (r % 5 === 4) await s.paced();
  }
  await s.end();
  lastEndpointMoves = (s as unknown as { stream: StreamingAnalysis }).stream.stats.endpointMoves;
  return [...collector.chunks(INPUT)].join('');
}

/** How many times the stream of the last parallelDoc moved its endpoints to a new table. */
let lastEndpointMoves = 0;

/** The --format jsonl lines of a table analyzed by `jobs` workers (on message channels; 1: on this thread). */
async function parallelLines(table: SegmentTable, opts: Partial<EngineOptions>, jobs: number, sweepRows: number): Promise<string> {
  let out = '';
  const counts = new JsonCollector().counts;
  const sink: BatchSink = { counts, worst: -1, keep: () => undefined, write: () => undefined, ...lineWriter((t) => (out += t)) };
  const stream = { sweepRows, slackSeconds: 0 };
  const v = new SegmentView();
  if (jobs === 1) {
    const s = new StreamingAnalysis(opts, batchWriter('jsonl', null, sink), stream);
    for (let r = 0; r < table.length; r++) {
      table.fillView(r, v);
      s.push(v);
    }
    s.end();
    return out;
  }
  const s = new ParallelAnalysis({ jobs, engine: opts, output: 'jsonl', filter: null, stream, spawn: channelWorker }, sink);
  for (let r = 0; r < table.length; r++) {
    table.fillView(r, v);
    s.push(v);
    if (r % 5 === 4) await s.paced();
  }
  await s.end();
  return out;
}

describe('analyze --jobs: batches analyzed by worker threads, the same answers', () => {
  const files = captureFiles(FIXTURES, true);

  it('a segment batch carries every field of a view', () => {
    const loaded = loadTrace(path.join(FIXTURES, 'kernel/13-ipv6-client-close.pcapng'));
    const t = loaded.table;
    const b = new SegmentBatch(t.length);
    const v = new SegmentView();
    const w = new SegmentView();
    for (let r = 0; r < t.length; r++) {
      t.fillView(r, v);
      v.file = 3;
      b.append(v);
    }
    for (let r = 0; r < t.length; r++) {
      t.fillView(r, v);
      v.file = 3;
      b.read(r, w);
      assert.deepStrictEqual({ ...w, line: v.line, byteOffset: v.byteOffset }, { ...v });
      assert.strictEqual(b.file[r], 3);
    }
  });

  it('has capture fixtures to compare', () => assert.ok(files.length >= 50, `${files.length} captures`));

  for (const file of files) {
    it(`--json, --summary, --format jsonl with 1, 2 and 4 workers: ${path.relative(FIXTURES, file)}`, async () => {
      for (const output of ['json', 'summary', 'jsonl'] as StreamedOutput[]) {
        const one = await streamedRun(file, output, 1);
        for (const jobs of [2, 4]) {
          const r = await streamedRun(file, output, jobs);
          assert.strictEqual(r.code, one.code, `${output} --jobs ${jobs}: exit status`);
          assert.strictEqual(r.err, one.err, `${output} --jobs ${jobs}: stderr`);
          assert.strictEqual(r.out, one.out, `${output} --jobs ${jobs}`);
        }
      }
    });
  }

  it('equals the whole-capture analysis on random traces, with 2, 3 and 4 workers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(segArb, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom(0.2, 5, 30),
        fc.integer({ min: 2, max: 4 }),
        fc.constantFrom(0, undefined),
        // The attempt horizon 2 MSL (the shortest it can be), or (at most the idle horizon) the idle horizon itself.
        fc.constantFrom(2, 1000),
        async (segs, sweepRows, msl, jobs, minEndpoints, attempt) => {
          const table = build(segs);
          const opts = { mslSeconds: msl, idleHorizonSeconds: 4 * msl, attemptHorizonSeconds: attempt * msl };
          const expected = [...analysisJsonChunks(analyze(table, opts), INPUT)].join('');
          const got = await parallelDoc(table, opts, jobs, sweepRows, false, minEndpoints);
          assert.strictEqual(got, expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('jsonl: the same lines in the same order with 1 to 4 workers and any batch size, on random traces', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(segArb, { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom(0.2, 5, 30),
        fc.integer({ min: 2, max: 4 }),
        // The attempt horizon 2 MSL (the shortest it can be), or (at most the idle horizon) the idle horizon itself.
        fc.constantFrom(2, 1000),
        async (segs, sweepOne, sweepWorkers, msl, jobs, attempt) => {
          const table = build(segs);
          const opts = { mslSeconds: msl, idleHorizonSeconds: 4 * msl, attemptHorizonSeconds: attempt * msl };
          const one = await parallelLines(table, opts, 1, sweepOne);
          assert.strictEqual(await parallelLines(table, opts, jobs, sweepWorkers), one);
          assert.strictEqual(one.split('\n').length - 1, analyze(table, opts).connections.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('real worker threads, held rows in shared memory: small batches, held rows full while batches wait, the same answers', async () => {
    // A real kernel capture (scenario 01) played 300 times 2 s apart on their own ports: with
    // batches of a few rows the stream cuts hundreds of batches, the workers fall behind (this
    // thread takes batches itself), and the held rows fill up while batches are not copied yet
    // (copied here, or by the workers while this thread waits).
    const one = loadTrace(path.join(FIXTURES, 'kernel/01-client-active-close.pcap')).table;
    const table = copiesOf(one, 300, 2);
    const expected = [...analysisJsonChunks(analyze(table, {}), INPUT)].join('');
    for (const jobs of [2, 3]) for (const sweepRows of [1, 30]) assert.strictEqual(await parallelDoc(table, {}, jobs, sweepRows, true), expected, `--jobs ${jobs}, batches of ${sweepRows} rows`);
  });

  it('real worker threads while the stream moves its endpoints to new tables: the same answers', async () => {
    // As above (400 copies), on client ports that go round 120 values (each 4-tuple used again
    // 240 s later, by its next incarnation), the stream moving the endpoints in use to a new table
    // whenever it can: batches cut before a move keep their table, the workers' copies start
    // again after it.
    const one = loadTrace(path.join(FIXTURES, 'kernel/01-client-active-close.pcap')).table;
    const table = copiesOf(one, 400, 2, 120);
    const expected = [...analysisJsonChunks(analyze(table, {}), INPUT)].join('');
    assert.ok(expected.includes('"incarnation":4'), 'tuples used 4 times');
    for (const jobs of [2, 3])
      for (const sweepRows of [1, 30]) {
        assert.strictEqual(await parallelDoc(table, {}, jobs, sweepRows, true, 0), expected, `--jobs ${jobs}, batches of ${sweepRows} rows`);
        assert.ok(lastEndpointMoves >= 2, `--jobs ${jobs}, batches of ${sweepRows} rows: endpoints moved ${lastEndpointMoves} times`);
      }
  });

  it('the batches this thread takes at the end are analyzed one after another, not one inside the other', async () => {
    // 300 copies of a kernel capture 2 s apart, all finished at the end in batches of one row: the
    // worker (on a message channel) has at most two, this thread takes the rest while it waits.
    // Each result it posts itself wakes the wait, which must not start the next batch inside it:
    // every analysis on the stack stays alive until the innermost one returns.
    const one = loadTrace(path.join(FIXTURES, 'kernel/01-client-active-close.pcap')).table;
    const table = copiesOf(one, 300, 2);
    const proto = BatchWorker.prototype as unknown as { runNow(this: BatchWorker, m: unknown): void };
    const runNow = proto.runNow;
    let depth = 0;
    let deepest = 0;
    let taken = 0;
    proto.runNow = function (m) {
      depth++;
      taken++;
      deepest = Math.max(deepest, depth);
      try {
        runNow.call(this, m);
      } finally {
        depth--;
      }
    };
    try {
      const doc = await parallelDoc(table, { idleHorizonSeconds: 1e9, mslSeconds: 1e6 }, 2, 1);
      assert.strictEqual(doc, [...analysisJsonChunks(analyze(table, { idleHorizonSeconds: 1e9, mslSeconds: 1e6 }), INPUT)].join(''));
    } finally {
      proto.runNow = runNow;
    }
    assert.ok(taken > 100, `this thread took ${taken} batches`);
    assert.strictEqual(deepest, 1);
  });

  it('a worker thread is given batches as it finishes them, while this thread reads on without taking its results', async () => {
    // 150 copies of a kernel capture 2 s apart, connections finished 2 s after they close: a batch
    // at each second of the capture. This thread reads a copy at a time and then pauses (blocked,
    // as while decoding: no turn of its event loop, so the worker's results wait in its queue);
    // the worker has time to analyze what it has. Counted by the results taken alone, the worker
    // would stay busy with two batches and this thread would take most batches itself.
    const one = loadTrace(path.join(FIXTURES, 'kernel/01-client-active-close.pcap')).table;
    const copies = 150;
    const table = copiesOf(one, copies, 2);
    const opts = { mslSeconds: 1 };
    const collector = new JsonCollector();
    const sink = jsonSink(collector);
    const proto = BatchWorker.prototype as unknown as { runNow(this: BatchWorker, m: unknown): void };
    const runNow = proto.runNow;
    let taken = 0;
    proto.runNow = function (m) {
      taken++;
      runNow.call(this, m);
    };
    const pause = new Int32Array(new SharedArrayBuffer(4));
    let batches = 0;
    try {
      const s = new ParallelAnalysis({ jobs: 2, engine: opts, output: 'json', filter: null, stream: { sweepRows: 1, slackSeconds: 0 } }, sink);
      const v = new SegmentView();
      for (let r = 0; r < table.length; r++) {
        table.fillView(r, v);
        s.push(v);
        if ((r + 1) % one.length !== 0) continue;
        Atomics.wait(pause, 0, 0, 25);
        const wait = s.paced();
        if (wait !== undefined) await wait;
      }
      await s.end();
      batches = (s as unknown as { stream: StreamingAnalysis }).stream.stats.batches;
    } finally {
      proto.runNow = runNow;
    }
    assert.strictEqual([...collector.chunks(INPUT)].join(''), [...analysisJsonChunks(analyze(table, opts), INPUT)].join(''));
    assert.ok(batches >= copies - 10, `${batches} batches`);
    // Counted by the results taken alone (before the worker kept a count of its own), this thread took 139 of 150 here.
    assert.ok(taken < batches / 5, `this thread took ${taken} of ${batches} batches`);
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
          assert.strictEqual(r.out, one.out, `${name} ${output.join(' ')} --jobs ${jobs}`);
        }
      }
    }
  });

  it('real worker threads: jsonl byte for byte with --jobs 1, 2 and 4 on many connections and on capture sets', async () => {
    const inputs = [
      [path.join(FIXTURES, 'kernel/35-sixty-connection-mix.pcap')],
      ...['rotated', 'by-time', 'interfaces', 'damaged'].map((d) => [path.join(FIXTURES, 'sets', d)]),
    ];
    for (const input of inputs) {
      const one = await runCli(runAnalyze, [...input, '--format', 'jsonl', '--jobs', '1']);
      assert.ok(one.out.split('\n').length > 2, `${input.join(' ')}: ${one.out.slice(0, 200)}`);
      for (const jobs of ['2', '4']) {
        const r = await runCli(runAnalyze, [...input, '--format', 'jsonl', '--jobs', jobs]);
        assert.strictEqual(r.code, one.code);
        assert.strictEqual(r.err, one.err);
        assert.strictEqual(r.out, one.out, `${input.join(' ')} --jobs ${jobs}`);
      }
    }
  });

  it('a worker that fails raises the shared flag the main thread checks while it waits for copies', async () => {
    // The main thread, blocked waiting for a worker to copy its batches out of the held rows, gets
    // no message until it is free: a worker that failed says so in the shared counters too.
    const copied = new Int32Array(new SharedArrayBuffer(12));
    const { port1, port2 } = new MessageChannel();
    runBatchWorker(port2);
    const init: WorkerInit = { t: 'init', engine: {}, output: 'summary', filter: null, files: undefined, copied };
    port1.postMessage(init);
    const error = new Promise<FromWorker>((resolve) => port1.once('message', resolve));
    // A batch whose endpoints start at id 5 where the worker has none: its copy of the table cannot take them.
    const none = new Int32Array(0);
    const batch: ToWorker = {
      t: 'batch',
      seq: 0,
      columns: new SegmentTable(16).columns(),
      length: 0,
      from: 5,
      endpoints: [],
      context: { captureEnd: 0, ids: none, incarnations: none },
      order: { at: none },
    };
    port1.postMessage(batch);
    const m = await error;
    port1.close();
    assert.strictEqual(m.t, 'error');
    assert.match(m.t === 'error' ? m.message : '', /endpoints from 5 given to a table of 0/);
    assert.strictEqual(Atomics.load(copied, 2), 1, 'the failure flag');
  });

  it('--jobs takes a number of threads', async () => {
    const r = await runCli(runAnalyze, [path.join(FIXTURES, 'kernel/01-client-active-close.pcap'), '--summary', '--jobs', '0']);
    assert.strictEqual(r.code, 2);
    assert.match(r.err, /--jobs takes a number of worker threads from 1 to 256/);
  });
});
