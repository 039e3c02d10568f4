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
import { StreamingAnalysis, type StreamOptions } from '../../../src/core/engine/stream';
import { SegmentTable, SegmentView } from '../../../src/core/model/segment';
import { analysisJsonChunks, JsonCollector, type InputSummary } from '../../../src/core/report/json';
import { loadTrace } from '../../../src/node/loadTrace';
import { build, segArb } from './randomTrace';

const FIXTURES = path.join(__dirname, '../../../../test/fixtures');
const INPUT: InputSummary = { format: 'test', packets: 0, tcpSegments: 0 };

function whole(table: SegmentTable, opts: Partial<EngineOptions>): string {
  return [...analysisJsonChunks(analyze(table, opts), INPUT)].join('');
}

function streamed(table: SegmentTable, opts: Partial<EngineOptions>, so: StreamOptions): { doc: string; batches: number; peak: number } {
  const out = new JsonCollector();
  const s = new StreamingAnalysis(opts, (a) => out.add(a), so);
  const v = new SegmentView();
  for (let r = 0; r < table.length; r++) {
    table.fillView(r, v);
    s.push(v);
  }
  s.end();
  assert.strictEqual(s.stats.finished, s.stats.connections, 'every connection handed over');
  return { doc: [...out.chunks(INPUT)].join(''), batches: s.stats.batches, peak: s.stats.peakHeldRows };
}

function captures(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...captures(p));
    else if (/\.(pcap|pcapng|cap)$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

/** Where two documents first differ, for a readable failure. */
function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at ${i}: ...${a.slice(Math.max(0, i - 80), i + 80)}\n  vs ...${b.slice(Math.max(0, i - 80), i + 80)}`;
}

describe('streaming analysis', () => {
  const files = captures(FIXTURES);

  it('has capture fixtures to compare', () => {
    assert.ok(files.length >= 20, `${files.length} captures`);
  });

  for (const file of files) {
    it(`equals the whole-capture analysis: ${path.relative(FIXTURES, file)}`, () => {
      const loaded = loadTrace(file);
      assert.strictEqual(loaded.error, null);
      for (const opts of [{}, { mslSeconds: 0.05, idleHorizonSeconds: 0.5 }] as Partial<EngineOptions>[]) {
        const expected = whole(loaded.table, opts);
        for (const so of [{ sweepRows: 1, slackSeconds: 0 }, { sweepRows: 7, slackSeconds: 0.01 }, {}] as StreamOptions[]) {
          const got = streamed(loaded.table, opts, so).doc;
          if (got !== expected) assert.fail(`${JSON.stringify(opts)} ${JSON.stringify(so)}: ${firstDifference(got, expected)}`);
        }
      }
    });
  }

  it('finishes connections as it goes and holds only the open ones', () => {
    // A real kernel capture (scenario 01, one connection closed by the client) played 200 times,
    // each copy 10 s after the previous one on its own client port: with the default horizons
    // (2 MSL = 60 s) about 7 copies are live at a time, so the stream holds a bounded number
    // of rows while the whole analysis holds them all, and the answers stay the same.
    const one = loadTrace(path.join(FIXTURES, 'kernel/01-client-active-close.pcap')).table;
    const copies = 200;
    const table = new SegmentTable(one.length * copies);
    const v = new SegmentView();
    for (let c = 0; c < copies; c++) {
      for (let r = 0; r < one.length; r++) {
        one.fillView(r, v);
        v.tsSec += 10 * c;
        v.frame += one.length * c;
        if (v.sport !== 8080 && v.sport !== 80) v.sport = (v.sport + c) & 0xffff;
        else v.dport = (v.dport + c) & 0xffff;
        table.append(v);
      }
    }
    const expected = whole(table, {});
    const r = streamed(table, {}, {});
    assert.strictEqual(r.doc, expected);
    assert.ok(r.batches >= copies / 10, `${r.batches} batches for ${copies} connections`);
    assert.ok(r.peak <= 16 * one.length, `held ${r.peak} of ${table.length} rows at most`);
  });

  it('equals the whole-capture analysis on random traces', () => {
    fc.assert(
      fc.property(
        fc.array(segArb, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom(0.2, 5, 30),
        (segs, sweepRows, msl) => {
          const table = build(segs);
          const opts = { mslSeconds: msl, idleHorizonSeconds: 4 * msl };
          const expected = whole(table, opts);
          const got = streamed(table, opts, { sweepRows, slackSeconds: 0 }).doc;
          if (got !== expected) throw new Error(firstDifference(got, expected));
        },
      ),
      { numRuns: 400 },
    );
  });
});
