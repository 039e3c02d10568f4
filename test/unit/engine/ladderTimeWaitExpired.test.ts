/**
 * A TIME-WAIT whose 2 MSL timer runs out between two rows of the ladder (found by the read-back
 * property in property.test.ts). Connection pair 1: the client closes, the server's FIN (with every
 * control bit and a byte) acknowledges it, so the client is in TIME-WAIT at its second row; three
 * gaps of about 20 s later (60 s = 2 MSL with the default MSL of 30 s) the engine ends the TIME-WAIT
 * by the timer before the client's ACK. The ladder showed CLOSED there with no event explaining it,
 * so read back as a figure (no times) the client stayed in TIME-WAIT and the claim was contradicted.
 * The ladder now writes the figures' own event (RFC 9293 figures 12, 13), `(2 MSL)`, in that side's column.
 */
import * as assert from 'assert';
import { analyze, type Analysis } from '../../../src/core/engine';
import { timerExpiredBefore } from '../../../src/core/report/ladder';
import { TIME_WAIT_EXPIRED as TRACE, TIME_WAIT_EXPIRED_MIRRORED as MIRRORED } from './counterexamples';
import { build } from './randomTrace';
import { contradictedClaims, ladderReadBack } from './ladderReadBack';

/** The connection's ladder (absolute numbers), its lines, and its read-back replayed. */
function readBack(a: Analysis): { text: string; lines: string[]; replayed: Analysis } {
  const { text, back, replayed } = ladderReadBack(a, a.connections.find((x) => x.client.port === 40001)!);
  assert.deepStrictEqual(back.errors, [], text);
  return { text, lines: text.split('\n'), replayed };
}

describe('a TIME-WAIT whose 2 MSL runs out between two ladder rows', () => {
  it('the engine ends it by the timer before the next row (CLOSED already before that row)', () => {
    const a = analyze(build(TRACE));
    const expired = timerExpiredBefore(a, 5);
    assert.deepStrictEqual(
      expired.map((t) => [t.row, t.side, t.from, t.to]),
      [[5, 'client', 'TIME-WAIT', 'CLOSED']],
    );
    assert.match(expired[0].reason, /2 MSL TIME-WAIT timer \(60 s\) expired/);
    // No other row of the trace has a timer running out; the server's LAST-ACK -> CLOSED at row 5
    // is the client's ACK, not a timer.
    for (const r of [0, 1, 3]) assert.deepStrictEqual(timerExpiredBefore(a, r), [], `row ${r}`);
  });

  it("the ladder writes (2 MSL) in TCP A's column before that row, and reads back with no claim contradicted", () => {
    const { text, lines, replayed } = readBack(analyze(build(TRACE)));
    const step6 = lines.findIndex((l) => /^ +6\. /.test(l));
    assert.match(lines[step6 - 2], /^ +4\. {2}TIME-WAIT +<-- /, text);
    assert.strictEqual(lines[step6 - 1], '      (2 MSL)', text);
    assert.match(lines[step6], /^ +6\. {2}CLOSED +--> .* --> CLOSED$/, text);
    assert.strictEqual(text.split('(2 MSL)').length, 2, 'one timer event');
    assert.deepStrictEqual(contradictedClaims(replayed), [], text);
    // The read-back ends the TIME-WAIT by the figure's event, as the capture's analysis did by time.
    assert.ok(replayed.transitions.some((t) => t.side === 'client' && t.from === 'TIME-WAIT' && t.to === 'CLOSED' && /2 MSL/.test(t.reason)), text);
  });

  it("with the server in TIME-WAIT, (2 MSL) goes in TCP B's column", () => {
    const { text, lines, replayed } = readBack(analyze(build(MIRRORED)));
    const header = lines[0];
    const step6 = lines.findIndex((l) => /^ +6\. /.test(l));
    assert.match(lines[step6 - 2], /--> TIME-WAIT$/, text);
    assert.strictEqual(lines[step6 - 1].indexOf('(2 MSL)'), header.indexOf('TCP B'), text);
    assert.strictEqual(lines[step6 - 1].trim(), '(2 MSL)', text);
    assert.deepStrictEqual(contradictedClaims(replayed), [], text);
  });

  it('when the gaps add up to less than 2 MSL, there is no timer event and the client is still in TIME-WAIT', () => {
    const a = analyze(build(TRACE.map((s) => ({ ...s, dt: Math.min(s.dt, 10) }))));
    assert.deepStrictEqual(timerExpiredBefore(a, 5), []);
    const { text, lines, replayed } = readBack(a);
    assert.ok(!text.includes('(2 MSL)'), text);
    assert.match(lines.find((l) => /^ +6\. /.test(l))!, /^ +6\. {2}TIME-WAIT +--> /, text);
    assert.deepStrictEqual(contradictedClaims(replayed), [], text);
  });
});
