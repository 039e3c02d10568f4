/**
 * `incarnation`, the n-th connection on a 4-tuple: counted on while the tuple is used again within
 * the idle horizon, started again (1) after that much quiet on it. So the streaming analysis need
 * not remember every tuple it ever finished: a tombstone quiet for the idle horizon is dropped, and
 * memory follows the tuples used within the horizon, not the capture's length. Both analyses
 * number the same (the tracker's one rule).
 */
import * as assert from 'assert';
import * as path from 'path';
import { analyze, type EngineOptions } from '../../../src/core/engine';
import { loadTrace } from '../../../src/node/loadTrace';
import { copiesOf } from './copies';
import { streamed, wholeDoc as whole } from './streamed';

const KERNEL = path.join(__dirname, '../../../../test/fixtures/kernel');

/** Kernel fixture 01 (a graceful close: 11 segments in about 0.4 s). */
const one = (): ReturnType<typeof loadTrace>['table'] => loadTrace(path.join(KERNEL, '01-client-active-close.pcap')).table;


describe('incarnation: counted on within the idle horizon, started again after it', () => {
  it('numbers a 4-tuple used again within the idle horizon on, and from 1 after that much quiet', () => {
    // Six plays of the capture 2 s apart on two client ports: each tuple is used again 4 s after
    // its last connection began (about 3.6 s of quiet: a play lasts about 0.4 s). The plays repeat the client's ISN, so
    // MSL is made short: within TIME-WAIT a SYN with the same ISN is a retransmission.
    const table = copiesOf(one(), 6, 2, 2);
    const incarnations = (opts: Partial<EngineOptions>): number[] => analyze(table, opts).connections.map((c) => c.incarnation);
    assert.deepStrictEqual(incarnations({ mslSeconds: 0.1 }), [1, 1, 2, 2, 3, 3], 'the default idle horizon (3 hours)');
    assert.deepStrictEqual(incarnations({ mslSeconds: 0.1, idleHorizonSeconds: 10 }), [1, 1, 2, 2, 3, 3]);
    assert.deepStrictEqual(incarnations({ mslSeconds: 0.1, idleHorizonSeconds: 3 }), [1, 1, 1, 1, 1, 1]);
    // The quiet counts from the tuple's last segment.
    const a = analyze(table, { mslSeconds: 0.1 });
    const quiet = a.table.time(a.connections[2].firstRow) - a.table.time(a.connections[0].lastRow);
    assert.ok(quiet > 3 && quiet < 4, `${quiet} s`);
    assert.deepStrictEqual(incarnations({ mslSeconds: 0.1, idleHorizonSeconds: quiet + 1e-6 }), [1, 1, 2, 2, 3, 3]);
    assert.deepStrictEqual(incarnations({ mslSeconds: 0.1, idleHorizonSeconds: quiet - 1e-6 }), [1, 1, 1, 1, 1, 1]);
  });

  it('the stream numbers the same, with tombstones by endpoint id or by address (after its endpoints moved)', () => {
    const table = copiesOf(one(), 60, 2, 7);
    for (const idle of [3, 13, 15, 100]) {
      const opts = { mslSeconds: 0.1, idleHorizonSeconds: idle };
      const expected = whole(table, opts);
      for (const minEndpoints of [undefined, 0]) {
        const s = streamed(table, opts, { sweepRows: 5, slackSeconds: 0, minEndpoints });
        assert.strictEqual(s.doc, expected, `idle horizon ${idle} s, minEndpoints ${minEndpoints}`);
        if (minEndpoints === 0) assert.ok(s.endpointMoves > 0);
      }
      // Tuples are used again every 14 s: counted on below that, from 1 above.
      const most = Math.max(...analyze(table, opts).connections.map((c) => c.incarnation));
      assert.strictEqual(most, idle > 14 ? 9 : 1, `idle horizon ${idle} s`);
    }
  });

  it('the stream forgets the tuples quiet for the idle horizon: what it remembers follows the horizon, not the capture', () => {
    // 3000 plays 1 s apart, each on a client port of its own: 3000 distinct tuples, one new each
    // second, finished 0.2 s after it closes. With an idle horizon of 20 s the stream remembers
    // the tuples of about the last 20 s, plus what accumulates until its tables would grow, when
    // the stale ones are dropped (512 pairs in 1024 slots by endpoint id, 768 IPv4 tombstones in
    // 1024 by address, 2048 IPv6 ones by text; and the tuples of the connections held); with the
    // default (3 hours) it remembers all of them. IPv4 (kernel scenario 01) and IPv6 (13).
    for (const [name, most] of [['01-client-active-close.pcap', 780], ['13-ipv6-client-close.pcap', 2060]] as const) {
      const table = copiesOf(loadTrace(path.join(KERNEL, name)).table, 3000, 1);
      const short = { mslSeconds: 0.1, idleHorizonSeconds: 20 };
      for (const minEndpoints of [undefined, 0]) {
        const s = streamed(table, short, { sweepRows: 64, slackSeconds: 0, minEndpoints });
        assert.strictEqual(s.doc, whole(table, short));
        const at = `${name}, minEndpoints ${minEndpoints}`;
        assert.ok(s.peakTuples <= most, `${at}: ${s.peakTuples} tuples remembered at most`);
        assert.ok(s.peakTuples >= 20, `${at}: ${s.peakTuples}`);
        const all = streamed(table, { mslSeconds: 0.1 }, { sweepRows: 64, slackSeconds: 0, minEndpoints });
        assert.ok(all.peakTuples >= 2990, `${at}, the default horizon: ${all.peakTuples}`);
      }
    }
  });
});
