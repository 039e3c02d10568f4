/**
 * The engine on random traces (fast-check): random segments between a few endpoints, with
 * sequence numbers that mostly follow each direction's own counter (so handshakes, data, FINs and
 * acknowledgments really happen) and sometimes jump anywhere, including across 2^32. Whatever the
 * input, the analysis holds together: every row in exactly one connection, states per row that
 * chain, transitions indexed by row, findings on their connection's rows, a ladder that reads
 * back as a figure, and the JSON document written in chunks equal to the one-piece one.
 */
import * as assert from 'assert';
import fc from 'fast-check';
import { analyze, STATES, type Analysis } from '../../../src/core/engine';
import { FIN, SYN } from '../../../src/core/model/segment';
import { ACK_FATE_UNKNOWN_FIN, FIN_GAVE_UP_RST, TIME_WAIT_EXPIRED } from './counterexamples';
import { build, segArb } from './randomTrace';
import { analysisJson, analysisJsonChunks } from '../../../src/core/report/json';
import { contradictedClaims, ladderReadBack } from './ladderReadBack';

/** A connection's ladder (absolute numbers), parsed back as an RFC figure and replayed. */
function checkInvariants(a: Analysis): void {
  const n = a.table.length;
  const seen = new Int32Array(n).fill(-1);
  a.connections.forEach((c, i) => {
    assert.strictEqual(c.id, i + 1);
    assert.strictEqual(c.segments, c.rows.length);
    assert.strictEqual(c.firstRow, c.rows[0]);
    assert.strictEqual(c.lastRow, c.rows[c.rows.length - 1]);
    if (i > 0) assert.ok(c.firstRow > a.connections[i - 1].firstRow, 'connections in order of their first row');
    for (let k = 0; k < c.rows.length; k++) {
      const r = c.rows[k];
      if (k > 0) assert.ok(r > c.rows[k - 1], 'rows in order');
      assert.strictEqual(seen[r], -1, `row ${r} in one connection only`);
      seen[r] = i;
      assert.strictEqual(a.rowConn[r], i);
      const src = a.table.src[r];
      assert.strictEqual(a.rowDir[r], src === c.clientEp ? 0 : 1);
      assert.ok(src === c.clientEp || src === c.serverEp);
    }
    // The final states are the last row's, but for a TIME-WAIT the capture outlived or a new
    // incarnation took over.
    const last = c.lastRow;
    for (const [side, after] of [
      ['client', a.clientAfter[last]],
      ['server', a.serverAfter[last]],
    ] as const) {
      const final = c.finalState[side];
      if (final !== STATES[after]) assert.ok(STATES[after] === 'TIME-WAIT' && final === 'CLOSED', `#${c.id} ${side}: ${STATES[after]} -> ${final}`);
    }
    for (const f of c.findings) {
      assert.strictEqual(f.connection, c.id);
      if (f.row >= 0) {
        assert.strictEqual(a.rowConn[f.row], i, `${f.code} on its connection's row`);
        assert.strictEqual(f.frame, a.table.frame[f.row]);
      }
      assert.ok(f.message.length > 10 && f.explanation.includes('RFC'), f.code);
      for (const rel of f.related) {
        // port-reuse points at the last segment of the earlier connection on the same 4-tuple.
        const other = a.connections[a.rowConn[rel.row]];
        if (f.code === 'port-reuse') assert.ok(other.id < c.id && other.clientEp + other.serverEp === c.clientEp + c.serverEp, `${f.code}: related row ${rel.row}`);
        else assert.strictEqual(a.rowConn[rel.row], i, `${f.code}: related row ${rel.row}`);
      }
    }
  });
  for (let r = 0; r < n; r++) assert.notStrictEqual(seen[r], -1, `row ${r} belongs to a connection`);
  assert.strictEqual(a.findings.length, a.connections.reduce((s, c) => s + c.findings.length, 0));
  assert.strictEqual(a.transitionStart[n], a.transitions.length);
  for (let r = 0; r < n; r++) {
    assert.ok(a.transitionStart[r] <= a.transitionStart[r + 1]);
    for (let k = a.transitionStart[r]; k < a.transitionStart[r + 1]; k++) {
      const tr = a.transitionAt(k);
      assert.strictEqual(tr.row, r);
      assert.notStrictEqual(tr.from, tr.to);
      assert.ok(tr.reason.includes('RFC'), tr.reason);
      assert.deepStrictEqual(tr, a.transitions[k]);
    }
  }
}

describe('the engine on random traces', () => {
  it('never throws, and the analysis holds together', () => {
    const outcomes = new Map<string, number>();
    const codes = new Map<string, number>();
    fc.assert(
      fc.property(fc.array(segArb, { minLength: 1, maxLength: 60 }), (segs) => {
        const a = analyze(build(segs));
        checkInvariants(a);
        for (const c of a.connections) outcomes.set(c.outcome, (outcomes.get(c.outcome) ?? 0) + 1);
        for (const f of a.findings) codes.set(f.code, (codes.get(f.code) ?? 0) + 1);
      }),
      { numRuns: 1000 },
    );
    // The traces exercise the engine: most outcomes and finding codes occur.
    assert.ok(outcomes.size >= 5, JSON.stringify([...outcomes]));
    assert.ok(codes.size >= 10, JSON.stringify([...codes]));
    process.stdout.write(`      (outcomes ${JSON.stringify(Object.fromEntries(outcomes))}; findings ${JSON.stringify(Object.fromEntries(codes))})\n`);
  });

  it('a ladder read back as an RFC figure implies every state it shows (no claim contradicted)', () => {
    // Gaps up to 200 s: a TIME-WAIT timer running out between two rows is written `(2 MSL)`.
    fc.assert(
      fc.property(fc.array(segArb, { minLength: 1, maxLength: 60 }), (segs) => {
        const a = analyze(build(segs));
        for (const c of a.connections) {
          const { text, replayed } = ladderReadBack(a, c);
          assert.deepStrictEqual(contradictedClaims(replayed), [], text);
        }
      }),
      {
        numRuns: 500,
        // Found by this property: a SYN,FIN,ACK whose sequence space was all sent before (a
        // "retransmission" of the SYN) still carries a FIN its receiver had not seen.
        examples: [
          [
            [
              { pair: 0, dir: true, flags: SYN, len: 0, win: 0, jump: 0, ackLag: 0, dt: 1 },
              { pair: 0, dir: false, flags: SYN, len: 0, win: 64240, jump: 0, ackLag: 0, dt: 0 },
              { pair: 0, dir: false, flags: SYN, len: 0, win: 0, jump: 2147483392, ackLag: 0, dt: 0 },
              { pair: 0, dir: true, flags: FIN, len: 0, win: 64240, jump: 0, ackLag: 0, dt: 0 },
              { pair: 0, dir: false, flags: 0x133, len: 1, win: 0, jump: 0, ackLag: 0, dt: 0 },
            ],
          ],
          // Found by this property: a FIN sent twice with no ACK while the peer's RST (exact) was
          // in flight was taken as given up (CLOSED, inferred, at the last FIN) before the RST
          // arrived; the RST closes it (finGaveUpReset.test.ts).
          [
            FIN_GAVE_UP_RST,
          ],
          // Found by this property: a FIN,ACK whose ACK the replay judged never to arrive
          // (ackFateUnknown) still delivered its FIN (CLOSING) (ackFateUnknownFin.test.ts).
          [
            ACK_FATE_UNKNOWN_FIN,
          ],
          // Found by this property: three gaps of under 20 s added up past 2 MSL, the engine ended
          // a TIME-WAIT by the timer between two rows, and the ladder showed CLOSED with no event;
          // it now writes `(2 MSL)` there (ladderTimeWaitExpired.test.ts).
          [
            TIME_WAIT_EXPIRED,
          ],
        ],
      },
    );
  });

  it('every ladder reads back as a figure of the same segments; the chunked JSON is the JSON', () => {
    fc.assert(
      fc.property(fc.array(segArb, { minLength: 1, maxLength: 40 }), (segs) => {
        const a = analyze(build(segs));
        for (const c of a.connections) {
          const { text, back } = ladderReadBack(a, c);
          assert.deepStrictEqual(back.errors, [], text);
          assert.strictEqual(back.table.length, c.segments, text);
        }
        const input = { format: 'pcap', packets: a.table.length, tcpSegments: a.table.length, warnings: [] };
        assert.strictEqual([...analysisJsonChunks(a, input, 300)].join(''), JSON.stringify(analysisJson(a, input)));
      }),
      { numRuns: 500 },
    );
  });
});
