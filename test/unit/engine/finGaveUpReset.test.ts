/**
 * A FIN retransmitted with no ACK while the peer's RST is in flight (found by the read-back
 * property in property.test.ts). The client sends a SYN, then aborts with a RST,ACK whose sequence
 * number is exactly the server's RCV.NXT; the server, which had not received the RST yet, sends
 * its FIN and again (FIN with one byte), and nothing more although the capture goes on for 1 s.
 * The RST arrives after the server's last segment (wire.ts `deferRstsInFlight`: a reset TCP sends
 * nothing more) and the server takes it: CLOSED by the RST (RFC 9293 3.10.7.4), which is why it
 * sent nothing more. It did not give up retransmitting (`finGaveUp`), as the replay had it:
 * FIN-WAIT-1 to CLOSED inferred at its last FIN, the RST then arriving at a CLOSED side, a ladder
 * with CLOSED on the FIN's line that reads back as FIN-WAIT-1 there.
 * The same with two captures (src/core/merge gives `analyze` where each segment arrived): an ACK
 * of the FIN observed arriving after the FIN's spurious retransmission is taken, not a give-up.
 */
import * as assert from 'assert';
import { analyze } from '../../../src/core/engine';
import { ACK, FIN, RST, SYN } from '../../../src/core/model/segment';
import { gaveUpAt } from '../../../src/core/report/ladder';
import { FIN_GAVE_UP_RST } from './counterexamples';
import { build, type RandomSeg } from './randomTrace';
import { contradictedClaims, ladderReadBack } from './ladderReadBack';

/** The property's counterexample (pair 1: 10.0.0.1:40001 and 10.0.0.2:80; dir true: from 10.0.0.2:80). */
const TRACE: RandomSeg[] = FIN_GAVE_UP_RST;

describe("a FIN retransmitted while the peer's RST is in flight", () => {
  it('the RST arrives after the last FIN and closes the server; the server did not give up', () => {
    const a = analyze(build(TRACE));
    const c = a.connections[0];
    assert.deepStrictEqual(c.rows, [0, 1, 2, 3]);
    // The client (10.0.0.2:80, it sent the SYN) is reset by its own RST; the RST is delivered after row 3.
    assert.strictEqual(a.rowDir[1], 0);
    assert.strictEqual(a.deliverAt[1], 3);
    const server = a.transitions.filter((t) => t.side === 'server' && a.rowConn[t.row] === 0);
    assert.deepStrictEqual(
      server.map((t) => [t.row, t.cause, t.from, t.to, t.inferred]),
      [
        [2, 2, 'UNKNOWN', 'FIN-WAIT-1', true],
        [3, 1, 'FIN-WAIT-1', 'CLOSED', false],
      ],
    );
    assert.match(server[1].reason, /RST is acceptable \(sequence number exactly RCV\.NXT\)/);
    assert.strictEqual(gaveUpAt(a, 3), undefined);
    assert.strictEqual(c.finalState.server, 'CLOSED');
    assert.doesNotMatch(c.stateNotes.server ?? '', /gave up/);
    assert.ok(c.rsts.some((x) => x.row === 1 && x.by === 'client'));
  });

  it("its ladder shows FIN-WAIT-1 on the FIN's line and CLOSED at the RST's arrival, and reads back with no claim contradicted", () => {
    const a = analyze(build(TRACE));
    const c = a.connections[0];
    const { text, back, replayed } = ladderReadBack(a, c);
    const lines = text.split('\n');
    const finLine = lines.find((l) => l.startsWith('  4.'));
    assert.ok(finLine !== undefined, text);
    assert.match(finLine, /<DATA=1> <-- FIN-WAIT-1$/);
    const arrival = lines[lines.indexOf(finLine) + 1];
    assert.match(arrival, /^ +CLOSED +\.\.\. <SEQ=4294967105><ACK=4294967040><CTL=RST,ACK> +--> CLOSED$/);
    assert.doesNotMatch(text, /then CLOSED \(inferred\)/);
    assert.deepStrictEqual(back.errors, []);
    assert.deepStrictEqual(contradictedClaims(replayed), []);
  });

  it('without the RST the server still gives up at its last FIN (inferred)', () => {
    const a = analyze(build(TRACE.filter((s) => !(s.flags & RST))));
    const c = a.connections[0];
    const last = c.rows[c.rows.length - 1];
    const g = gaveUpAt(a, last);
    assert.ok(g !== undefined);
    assert.deepStrictEqual([g.side, g.from, g.to, g.inferred], ['server', 'FIN-WAIT-1', 'CLOSED', true]);
    assert.strictEqual(c.finalState.server, 'CLOSED');
  });
});

describe('two captures: the ACK of a FIN observed arriving after its retransmission', () => {
  // Handshake, the server's FIN, the client's ACK of it, the server's FIN again 0.2 s later (its
  // retransmission timer ran out while the ACK was on its way), and another connection 5 s later.
  const TWO: RandomSeg[] = [
    { pair: 1, dir: true, flags: SYN, len: 0, win: 64240, jump: 0, ackLag: 0, dt: 0 },
    { pair: 1, dir: false, flags: SYN | ACK, len: 0, win: 64240, jump: 0, ackLag: 0, dt: 0.01 },
    { pair: 1, dir: true, flags: ACK, len: 0, win: 64240, jump: 0, ackLag: 0, dt: 0.01 },
    { pair: 1, dir: false, flags: FIN | ACK, len: 0, win: 64240, jump: 0, ackLag: 0, dt: 0.01 },
    { pair: 1, dir: true, flags: ACK, len: 0, win: 64240, jump: 0, ackLag: 0, dt: 0.001 },
    // The FIN again: its sequence number set back to the first FIN's (the counters moved past it).
    { pair: 1, dir: false, flags: FIN | ACK, len: 0, win: 64240, jump: 0xffffff01, ackLag: 0, dt: 0.2 },
    { pair: 0, dir: false, flags: SYN, len: 0, win: 64240, jump: 0, ackLag: 0, dt: 5 },
  ];
  const table = build(TWO);

  it('the trace is a retransmitted FIN acknowledged by the ACK before it', () => {
    assert.strictEqual(table.seq[5], table.seq[3]);
    assert.strictEqual(table.ack[4], (table.seq[3] + 1) >>> 0);
  });

  it('observed arriving after the retransmission: FIN-WAIT-2 at its arrival, no give-up', () => {
    const observed = new Int32Array(table.length).map((_, r) => r);
    observed[4] = 5;
    const a = analyze(table, {}, undefined, undefined, observed);
    const server = a.transitions.filter((t) => t.side === 'server' && a.rowConn[t.row] === 0);
    assert.deepStrictEqual(
      server.slice(-1).map((t) => [t.row, t.cause, t.from, t.to, t.inferred]),
      [[5, 4, 'FIN-WAIT-1', 'FIN-WAIT-2', false]],
    );
    assert.strictEqual(gaveUpAt(a, 5), undefined);
    assert.strictEqual(a.connections[0].finalState.server, 'FIN-WAIT-2');
  });

  it('from one capture the ACK is taken as lost (the FIN came again) and the server gives up, inferred', () => {
    const a = analyze(table);
    const g = gaveUpAt(a, 5);
    assert.ok(g !== undefined);
    assert.deepStrictEqual([g.side, g.from, g.to, g.inferred], ['server', 'FIN-WAIT-1', 'CLOSED', true]);
  });
});
