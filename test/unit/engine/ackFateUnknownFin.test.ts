/**
 * A FIN,ACK whose ACK the replay cannot tell arrived (found by the read-back property in
 * property.test.ts). The server sends its FIN (with a byte of data); the client's two ACKs of it
 * are followed by the server's FIN again, so both were lost (`lostAckRows`); the client then sends
 * its own FIN with an ACK of the server's FIN, and the capture ends before the server's next
 * retransmission was due. `ackFateUnknown` shows that segment never arriving (its delivery NEVER:
 * the ladder draws it in flight, the server stays in FIN-WAIT-1), but its FIN was still processed:
 * the server went to CLOSING on a segment the analysis says it never got, and the ladder read back
 * as a figure left it in FIN-WAIT-1. A segment arrives whole: its FIN is not processed either.
 */
import * as assert from 'assert';
import { analyze } from '../../../src/core/engine';
import { NEVER } from '../../../src/core/engine/wire';
import { SYN } from '../../../src/core/model/segment';
import { ACK_FATE_UNKNOWN_FIN } from './counterexamples';
import { build, type RandomSeg } from './randomTrace';
import { contradictedClaims, ladderReadBack } from './ladderReadBack';

/** The property's counterexample (pair 0: client 10.0.0.1:40000, server 10.0.0.2:80; dir true: from the server). */
const TRACE: RandomSeg[] = ACK_FATE_UNKNOWN_FIN;

describe('a FIN,ACK whose ACK the capture cannot tell arrived', () => {
  it('is not processed at all: the server stays in FIN-WAIT-1 (no CLOSING from its FIN)', () => {
    const a = analyze(build(TRACE));
    const c = a.connections[0];
    assert.deepStrictEqual(c.rows, [0, 1, 2, 4, 5]);
    assert.strictEqual(a.deliverAt[5], NEVER);
    const server = a.transitions.filter((t) => t.side === 'server' && a.rowConn[t.row] === 0);
    assert.deepStrictEqual(
      server.map((t) => [t.row, t.from, t.to]),
      [[0, 'ESTABLISHED', 'FIN-WAIT-1']],
    );
    assert.deepStrictEqual(c.finalState, { client: 'LAST-ACK', server: 'FIN-WAIT-1' });
  });

  it('its ladder shows the FIN,ACK in flight with the server in FIN-WAIT-1, and reads back with no claim contradicted', () => {
    const a = analyze(build(TRACE));
    const { text, back, replayed } = ladderReadBack(a, a.connections[0]);
    assert.match(text, /\n {2}6\. {2}LAST-ACK +--> <SEQ=1><ACK=4294967108><CTL=FIN,ACK><DATA=1> +\.\.\. FIN-WAIT-1\n/);
    assert.deepStrictEqual(back.errors, []);
    assert.deepStrictEqual(contradictedClaims(replayed), []);
  });

  it('when the capture goes on past the next retransmission, the FIN,ACK arrived whole: FIN-WAIT-2, then TIME-WAIT', () => {
    const a = analyze(
      build([...TRACE, { pair: 1, dir: false, flags: SYN, len: 0, win: 64240, jump: 0, ackLag: 0, dt: 5 }]),
    );
    assert.strictEqual(a.deliverAt[5], 5);
    const server = a.transitions.filter((t) => t.side === 'server' && t.row === 5);
    assert.deepStrictEqual(
      server.map((t) => [t.from, t.to]),
      [
        ['FIN-WAIT-1', 'FIN-WAIT-2'],
        ['FIN-WAIT-2', 'TIME-WAIT'],
      ],
    );
  });
});
