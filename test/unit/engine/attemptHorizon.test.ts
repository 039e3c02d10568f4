/**
 * The attempt horizon (EngineOptions.attemptHorizonSeconds): a connection of which only the
 * client's SYNs were seen is finished after that much quiet, not after the idle horizon, so that
 * unanswered SYNs (scans of filtered ports, a SYN flood) are not held for hours by the streaming
 * analysis; a connection that got past its SYN keeps the idle horizon.
 */
import * as assert from 'assert';
import * as path from 'path';
import { analyze, type EngineOptions } from '../../../src/core/engine';
import { SegmentTable } from '../../../src/core/model/segment';
import { analysisJsonChunks } from '../../../src/core/report/json';
import { loadTrace } from '../../../src/node/loadTrace';
import { runAnalyze } from '../../../src/cli/analyze';
import { runCli } from '../cliRun';
import { copiesOf } from './copies';
import { INPUT, streamed, wholeDoc } from './streamed';

const KERNEL = path.join(__dirname, '../../../../test/fixtures/kernel');

/** Kernel fixture 27: a SYN sent 6 times, 1 s apart, to a black hole; then a connection that is answered. */
function blackHole(): SegmentTable {
  const loaded = loadTrace(path.join(KERNEL, '27-syn-black-hole.pcap'));
  assert.strictEqual(loaded.error, null);
  return loaded.table;
}

/** The rows [from, to) of a table, in a table of their own. */
function rows(t: SegmentTable, from: number, to: number): SegmentTable {
  const out = new SegmentTable(to - from, t.endpoints);
  out.appendRows(t, Int32Array.from({ length: to - from }, (_, i) => from + i));
  return out;
}

describe('the attempt horizon: unanswered SYNs are finished after minutes, not hours', () => {
  it('keeps retransmitted SYNs in one connection within the horizon, and opens a new one past it', () => {
    const t = blackHole();
    const whole = analyze(t);
    assert.strictEqual(whole.connections.length, 2);
    assert.strictEqual(whole.connections[0].rows.length, 6, 'the six SYNs, one connection (default: 600 s)');
    // The SYNs are about 1.02 s apart: a horizon of 0.5 s (MSL made short: the horizon is at least
    // 2 MSL) makes each retransmission a new incarnation.
    const split = analyze(t, { mslSeconds: 0.1, attemptHorizonSeconds: 0.5 });
    assert.strictEqual(split.connections.length, 7);
    assert.deepStrictEqual(
      split.connections.slice(0, 6).map((c) => [c.rows.length, c.incarnation]),
      [1, 2, 3, 4, 5, 6].map((n) => [1, n]),
    );
    // The answered connection after them is the same either way.
    const last = (a: typeof whole): unknown => {
      const c = a.connections[a.connections.length - 1];
      return { outcome: c.outcome, finalState: c.finalState, findings: c.findings.map((f) => f.code), rows: [...c.rows] };
    };
    assert.deepStrictEqual(last(split), last(whole));
  });

  it('does not finish a connection past its SYN: long quiet in established connections keeps the idle horizon', () => {
    // Kernel captures with long quiet inside established connections (keepalives, a zero window, a
    // FIN-WAIT-2 timeout): an attempt horizon far below their gaps changes nothing.
    for (const name of ['12-keepalive-zero-window.pcap', '18-keepalive-timeout.pcap', '19-fin-wait-2-timeout.pcap']) {
      const loaded = loadTrace(path.join(KERNEL, name));
      assert.strictEqual(loaded.error, null);
      assert.strictEqual(wholeDoc(loaded.table, { attemptHorizonSeconds: 0.001 }), wholeDoc(loaded.table, {}), name);
    }
  });

  it('is never longer than the idle horizon, nor shorter than 2 MSL', () => {
    const t = blackHole();
    // (The idle horizon is at least 2 MSL: MSL made short too.)
    assert.strictEqual(analyze(t, { mslSeconds: 0.1, idleHorizonSeconds: 0.5, attemptHorizonSeconds: 600 }).connections.length, 7);
    assert.strictEqual(analyze(t, { mslSeconds: 1, attemptHorizonSeconds: 0.5 }).connections.length, 2);
  });

  it('analyze --attempt-horizon', async () => {
    const file = path.join(KERNEL, '27-syn-black-hole.pcap');
    const count = async (...args: string[]): Promise<number> => {
      const r = await runCli(runAnalyze, [file, '--summary', ...args]);
      assert.strictEqual(r.code, 0, r.err);
      return (JSON.parse(r.out) as { summary: { connections: number } }).summary.connections;
    };
    assert.strictEqual(await count(), 2);
    assert.strictEqual(await count('--msl', '0.1', '--attempt-horizon', '0.5'), 7);
    const bad = await runCli(runAnalyze, [file, '--summary', '--attempt-horizon', 'soon']);
    assert.strictEqual(bad.code, 2);
    assert.match(bad.err, /--attempt-horizon takes a positive number of seconds/);
  });

  it('the streaming analysis holds unanswered SYNs for the attempt horizon only, with the same answers', () => {
    // The fixture's six unanswered SYNs played 300 times, 10 s apart, each on its own client port:
    // with the attempt horizon (600 s) about 61 attempts are held at a time; with a horizon as long
    // as the idle horizon (3 h, as before there was an attempt horizon) every one of them is held to
    // the end.
    const syns = copiesOf(rows(blackHole(), 0, 6), 300, 10);
    for (const opts of [{}, { attemptHorizonSeconds: 120 }, { attemptHorizonSeconds: 10800 }] as Partial<EngineOptions>[]) {
      const whole = analyze(syns, opts);
      // Each gave up (the capture goes on past its next SYN's due time), but the last.
      assert.deepStrictEqual(
        whole.connections.map((c) => c.finalState.client),
        whole.connections.map((_, i) => (i < 299 ? 'CLOSED' : 'SYN-SENT')),
      );
      const r = streamed(syns, opts, {});
      assert.strictEqual(r.doc, [...analysisJsonChunks(whole, INPUT)].join(''));
      const held = r.peakLive;
      const horizon = opts.attemptHorizonSeconds ?? 600;
      if (horizon > 3000) assert.ok(held >= 1800 - 6, `${held} rows held: every attempt held to the end`);
      else {
        // Held: the attempts whose horizon (plus the stream's 10 s of slack) has not passed, 6 rows each.
        const most = 6 * (Math.ceil((horizon + 5 + 10 + 1) / 10) + 1);
        assert.ok(held <= most, `held ${held} rows, at most ${most} expected (horizon ${horizon} s)`);
      }
    }
  });
});
