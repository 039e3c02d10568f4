/**
 * The streaming analysis equals the whole-capture one: the same `analyze --json` document,
 * connection for connection, on every capture fixture and on random traces, however often it
 * sweeps (every row, every few rows, the default) and with horizons short enough that connections
 * are finished, split and reused in the middle of the trace.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { analyze, type EngineOptions } from '../../../src/core/engine';
import { batchTable, StreamingAnalysis, type PreparedBatch, type StreamOptions } from '../../../src/core/engine/stream';
import { SegmentTable, SegmentView } from '../../../src/core/model/segment';
import { JsonCollector } from '../../../src/core/report/json';
import { loadTrace } from '../../../src/node/loadTrace';
import { copiesOf } from './copies';
import { build, segArb } from './randomTrace';
import { captureFiles } from '../captureFiles';
import { INPUT, streamed, wholeDoc as whole } from './streamed';

const FIXTURES = path.join(__dirname, '../../../../test/fixtures');


/**
 * As `streamed`, with the held rows in shared memory and each batch given as its rows
 * (`StreamOptions.sharedRows`), copied late, as a worker thread would: one batch every `copyEvery`
 * segments pushed, or when the stream waits for them. A batch copied after its rows were moved
 * would have other connections' rows, and the answers would differ.
 */
function streamedShared(
  table: SegmentTable,
  opts: Partial<EngineOptions>,
  so: StreamOptions,
  copyEvery: number,
  hurried: 'copy' | 'ignore' = 'ignore',
): { doc: string; waits: number; hurries: number; peak: number } {
  const given: PreparedBatch[] = [];
  const tables: SegmentTable[] = [];
  let waits = 0;
  let hurries = 0;
  let eager = false;
  const copyOne = (): void => {
    tables.push(batchTable(given[tables.length]));
  };
  const s = new StreamingAnalysis(opts, () => assert.fail('a batch analyzed by the stream itself'), {
    ...so,
    runBatch: (b) => {
      assert.ok(b.rows !== undefined && b.table.shared, 'given as rows of the shared held table');
      given.push(b);
    },
    sharedRows: {
      copied: () => tables.length,
      waitCopied: (n) => {
        waits++;
        while (tables.length < n) copyOne();
      },
      // A taker told to hurry copies what it was given before the next segment ('copy'), or not
      // until it must ('ignore').
      hurry: (on) => {
        if (on) hurries++;
        eager = on && hurried === 'copy';
      },
    },
  });
  const v = new SegmentView();
  for (let r = 0; r < table.length; r++) {
    table.fillView(r, v);
    s.push(v);
    if (eager) while (tables.length < given.length) copyOne();
    if (r % copyEvery === 0 && tables.length < given.length) copyOne();
  }
  s.end();
  while (tables.length < given.length) copyOne();
  const out = new JsonCollector();
  for (let i = 0; i < given.length; i++) out.add(analyze(tables[i], opts, undefined, given[i].context));
  return { doc: [...out.chunks(INPUT)].join(''), waits, hurries, peak: s.stats.peakHeldRows };
}


/** Where two documents first differ, for a readable failure. */
function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at ${i}: ...${a.slice(Math.max(0, i - 80), i + 80)}\n  vs ...${b.slice(Math.max(0, i - 80), i + 80)}`;
}

describe('streaming analysis', () => {
  const files = captureFiles(FIXTURES);

  it('has capture fixtures to compare', () => {
    assert.ok(files.length >= 20, `${files.length} captures`);
  });

  for (const file of files) {
    it(`equals the whole-capture analysis: ${path.relative(FIXTURES, file)}`, () => {
      const loaded = loadTrace(file);
      assert.strictEqual(loaded.error, null);
      for (const opts of [{}, { mslSeconds: 0.05, idleHorizonSeconds: 0.5 }] as Partial<EngineOptions>[]) {
        const expected = whole(loaded.table, opts);
        for (const so of [{ sweepRows: 1, slackSeconds: 0 }, { sweepRows: 7, slackSeconds: 0.01, minEndpoints: 0 }, {}] as StreamOptions[]) {
          const got = streamed(loaded.table, opts, so).doc;
          if (got !== expected) assert.fail(`${JSON.stringify(opts)} ${JSON.stringify(so)}: ${firstDifference(got, expected)}`);
        }
      }
    });
  }

  it('equals the whole-capture analysis on text traces: findings keep their lines', () => {
    // The kernel scenarios' tcpdump texts: rows with line numbers (a capture's have none, and
    // their batches fill the column instead of copying it).
    const texts = fs.readdirSync(path.join(FIXTURES, 'kernel')).filter((n) => n.endsWith('.txt'));
    assert.ok(texts.length >= 20, `${texts.length} texts`);
    let lines = 0;
    for (const name of texts) {
      const loaded = loadTrace(path.join(FIXTURES, 'kernel', name));
      assert.strictEqual(loaded.error, null, name);
      const expected = whole(loaded.table, {});
      lines += (expected.match(/"line":/g) ?? []).length;
      assert.strictEqual(streamed(loaded.table, {}, { sweepRows: 3, slackSeconds: 0 }).doc, expected, name);
    }
    assert.ok(lines > 20, `${lines} lines named in the findings`);
  });

  it('finishes connections as it goes and holds only the open ones', () => {
    // A real kernel capture (scenario 01, one connection closed by the client) played 200 times,
    // each copy 10 s after the previous one on its own client port: with the default horizons
    // (2 MSL = 60 s) about 7 copies are live at a time, so the stream holds a bounded number
    // of rows while the whole analysis holds them all, and the answers stay the same.
    const one = loadTrace(path.join(FIXTURES, 'kernel/01-client-active-close.pcap')).table;
    const copies = 200;
    const table = copiesOf(one, copies, 10);
    const expected = whole(table, {});
    const r = streamed(table, {}, {});
    assert.strictEqual(r.doc, expected);
    assert.ok(r.batches >= copies / 10, `${r.batches} batches for ${copies} connections`);
    assert.ok(r.peak <= 16 * one.length, `held ${r.peak} of ${table.length} rows at most`);
  });

  it('keeps the endpoints of the connections held, not every endpoint seen: the same answers, tuples used again numbered on', () => {
    // Real kernel captures (IPv4, and IPv6: tombstones by text) played 400 times 10 s apart on
    // client ports that go round 100 values: each copy has a client endpoint no copy held with it
    // has, and each 4-tuple is used again 1000 s later (its 2nd, 3rd, 4th incarnation, which must
    // continue the count after its endpoints were dropped). At most 8 copies are held at a time.
    for (const name of ['01-client-active-close.pcap', '13-ipv6-client-close.pcap']) {
      const one = loadTrace(path.join(FIXTURES, 'kernel', name)).table;
      const table = copiesOf(one, 400, 10, 100);
      const expected = whole(table, {});
      assert.ok(expected.includes('"incarnation":4'), `${name}: tuples used 4 times`);
      const kept = streamed(table, {}, { sweepRows: 8 });
      assert.strictEqual(kept.doc, expected, name);
      assert.strictEqual(kept.endpointMoves, 0, `${name}: below minEndpoints, nothing moved`);
      assert.strictEqual(kept.peakEndpoints, 101, `${name}: 100 client endpoints and the server's`);
      for (const sweepRows of [1, 8]) {
        const r = streamed(table, {}, { sweepRows, minEndpoints: 0 });
        if (r.doc !== expected) assert.fail(`${name}, batches of ${sweepRows} rows: ${firstDifference(r.doc, expected)}`);
        assert.ok(r.endpointMoves >= 10, `${name}: endpoints moved ${r.endpointMoves} times`);
        assert.ok(r.peakEndpoints <= 3 * 8 + 2, `${name}: at most ${r.peakEndpoints} endpoints at a time`);
      }
    }
  });

  it('held rows in shared memory, batches copied late by their taker: the same answers', () => {
    // The capture of 300 copies of one connection (as above, 2 s apart: about 35 live at a time)
    // through small batches, copied one every few segments: the held rows fill up while batches
    // wait, so the stream must wait for their copies before it moves rows.
    const one = loadTrace(path.join(FIXTURES, 'kernel/01-client-active-close.pcap')).table;
    const table = copiesOf(one, 300, 2);
    const expected = whole(table, {});
    let waited = 0;
    for (const copyEvery of [1, 50, 100000]) {
      const r = streamedShared(table, {}, { sweepRows: 20 }, copyEvery);
      if (r.doc !== expected) assert.fail(`copied every ${copyEvery}: ${firstDifference(r.doc, expected)}`);
      waited += r.waits;
    }
    assert.ok(waited > 0, 'the stream had to wait for copies');
  });

  it('held rows in shared memory: a compaction left for later is done once the takers hurried, not when the table is full', () => {
    // 3000 copies of one connection 0.01 s apart, finished 0.2 s after they close: at each
    // second of the capture a sweep finishes about 100 connections, and the held rows are mostly
    // dead ones. A taker that never copies until it must leaves the stream to fill its table and
    // wait; one that copies what it has when told to hurry lets the stream compact at the next
    // segment (the answers are the same either way).
    const one = loadTrace(path.join(FIXTURES, 'kernel/01-client-active-close.pcap')).table;
    const table = copiesOf(one, 3000, 0.01);
    const opts = { mslSeconds: 0.1 };
    const expected = whole(table, opts);
    const lazy = streamedShared(table, opts, { sweepRows: 64, slackSeconds: 0 }, 1e9, 'ignore');
    const quick = streamedShared(table, opts, { sweepRows: 64, slackSeconds: 0 }, 1e9, 'copy');
    assert.strictEqual(lazy.doc, expected);
    assert.strictEqual(quick.doc, expected);
    assert.ok(lazy.hurries > 0 && quick.hurries > 0, `${lazy.hurries} and ${quick.hurries} times told to hurry`);
    assert.ok(quick.waits < lazy.waits, `waits for copies: ${quick.waits} against ${lazy.waits}`);
    // The lazy taker's stream fills its table (2048 rows) before each compaction.
    assert.ok(quick.peak * 4 <= lazy.peak * 3, `held rows at most: ${quick.peak} against ${lazy.peak}`);
  });

  it('held rows in shared memory, batches copied late: the same answers on random traces', () => {
    fc.assert(
      fc.property(
        fc.array(segArb, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom(0.2, 5, 30),
        fc.integer({ min: 1, max: 20 }),
        fc.constantFrom(0, undefined),
        // The attempt horizon 2 MSL (the shortest it can be), or (at most the idle horizon) the idle horizon itself.
        fc.constantFrom(2, 1000),
        fc.constantFrom('copy', 'ignore') as fc.Arbitrary<'copy' | 'ignore'>,
        (segs, sweepRows, msl, copyEvery, minEndpoints, attempt, hurried) => {
          const table = build(segs);
          const opts = { mslSeconds: msl, idleHorizonSeconds: 4 * msl, attemptHorizonSeconds: attempt * msl };
          const expected = whole(table, opts);
          const got = streamedShared(table, opts, { sweepRows, slackSeconds: 0, minEndpoints }, copyEvery, hurried).doc;
          if (got !== expected) throw new Error(firstDifference(got, expected));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('equals the whole-capture analysis on random traces', () => {
    fc.assert(
      fc.property(
        fc.array(segArb, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom(0.2, 5, 30),
        fc.constantFrom(0, undefined),
        // The attempt horizon 2 MSL (the shortest it can be), or (at most the idle horizon) the idle horizon itself.
        fc.constantFrom(2, 1000),
        (segs, sweepRows, msl, minEndpoints, attempt) => {
          const table = build(segs);
          const opts = { mslSeconds: msl, idleHorizonSeconds: 4 * msl, attemptHorizonSeconds: attempt * msl };
          const expected = whole(table, opts);
          const got = streamed(table, opts, { sweepRows, slackSeconds: 0, minEndpoints }).doc;
          if (got !== expected) throw new Error(firstDifference(got, expected));
        },
      ),
      { numRuns: 400 },
    );
  });
});
