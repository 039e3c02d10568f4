/**
 * A SYN to a black hole (kernel fixture 27): the client's SYN went out 6 times with no answer and
 * connect() failed with ETIMEDOUT; a later connection shows the capture went on. The engine infers
 * the give-up only when the capture's evidence runs past when the next retransmission was due.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analyze } from '../../../src/core/engine';
import { loadTrace } from '../../../src/node/loadTrace';

const TXT = path.join(__dirname, '../../../../test/fixtures/kernel/27-syn-black-hole.txt');

/** The analysis of the first n lines of the fixture's tcpdump text (a real capture, cut short). */
function firstLines(n: number): ReturnType<typeof analyze> {
  const text = fs.readFileSync(TXT, 'utf8').split('\n').slice(0, n).join('\n') + '\n';
  const loaded = loadTrace({ text, languageId: 'tcpdump' });
  assert.strictEqual(loaded.error, null);
  return analyze(loaded.table);
}

describe('a SYN retransmitted with no answer until connect() gave up', () => {
  it('goes SYN-SENT -> CLOSED at its last SYN, inferred, when the capture goes on past the next retransmission', () => {
    const a = firstLines(7); // the six SYNs, then the retry's SYN 4.5 s after the last
    const c = a.connections[0];
    assert.strictEqual(c.finalState.client, 'CLOSED');
    assert.strictEqual(c.finalState.server, 'UNKNOWN');
    const ts = a.transitions.filter((t) => t.side === 'client' && a.rowConn[t.row] === 0);
    assert.deepStrictEqual(ts.map((t) => t.to), ['SYN-SENT', 'CLOSED']);
    assert.strictEqual(ts[1].row, 5);
    assert.strictEqual(ts[1].inferred, true);
    assert.match(ts[1].reason, /RFC 6298 5\.5/);
    assert.match(ts[1].reason, /RFC 9293 3\.10\.8/);
    assert.match(ts[1].reason, /tcp_syn_retries/);
    const f = c.findings.find((x) => x.code === 'half-open');
    assert.ok(f);
    assert.match(f.message, /sent 6 times\) was never answered\. The client gave up \(connect\(\) timed out\): the capture goes on for 4\.\d+ s after the last SYN \(line 6\)/);
  });

  it('stays in SYN-SENT when the capture ends with the last SYN (nothing shows it went on)', () => {
    const a = firstLines(6);
    const c = a.connections[0];
    assert.strictEqual(c.finalState.client, 'SYN-SENT');
    assert.deepStrictEqual(a.transitions.map((t) => t.to), ['SYN-SENT']);
    const f = c.findings.find((x) => x.code === 'half-open');
    assert.ok(f);
    assert.doesNotMatch(f.message, /gave up/);
  });

  it('stays in SYN-SENT on every shorter prefix (each ends at a SYN that may yet be retransmitted)', () => {
    for (const n of [2, 3, 4, 5]) {
      const c = firstLines(n).connections[0];
      assert.strictEqual(c.finalState.client, 'SYN-SENT', `${n} SYNs`);
    }
  });
});
