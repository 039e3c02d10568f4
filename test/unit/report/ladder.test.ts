/**
 * The `analyze` ladder (RFC 9293 figure style) of every kernel-made capture: segments the engine
 * found in flight are drawn in flight and arriving later, and the ladder reads back as a figure
 * whose every state the engine confirms.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analyze } from '../../../src/core/engine';
import { ladderText } from '../../../src/core/report/ladder';
import { parseRfcTrace } from '../../../src/core/text/rfc';
import { loadTrace } from '../../../src/node/loadTrace';

const KERNEL = path.resolve(__dirname, '../../../../test/fixtures/kernel');
const captures = fs.readdirSync(KERNEL).filter((f) => f.endsWith('.pcap'));

describe('the analyze ladder', () => {
  it('of every kernel capture reads back as a figure with every state confirmed', () => {
    assert.ok(captures.length >= 15);
    let checked = 0;
    for (const name of captures) {
      const loaded = loadTrace(path.join(KERNEL, name));
      const a = analyze(loaded.table);
      for (const c of a.connections) {
        for (const relative of [true, false]) {
          const text = ladderText(a, c, { relative });
          const back = parseRfcTrace(text);
          assert.deepStrictEqual(back.errors, [], `${name} #${c.id}\n${text}`);
          assert.strictEqual(back.table.length, c.segments, `${name} #${c.id}: one row per segment`);
          const b = analyze(back.table, {}, back.steps);
          const claims = back.steps!.filter((s) => s.kind === 'claim').length;
          // A side whose state the capture cannot show ("?", 27's server) claims nothing.
          const knowable = (['client', 'server'] as const).filter((sd) => c.stateNotes[sd] === undefined).length;
          assert.ok(claims >= knowable * (c.segments + 1), `${name}: ${claims} claims`);
          const wrong = b.findings.filter((f) => f.code === 'state-claim-mismatch').map((f) => f.message);
          assert.deepStrictEqual(wrong, [], `${name} #${c.id}\n${text}`);
          checked++;
        }
      }
    }
    assert.ok(checked >= 40, `${checked} ladders`);
  });

  it('two figures of the same endpoints in one file: each claim is checked against its own figure', () => {
    const loaded = loadTrace(path.join(KERNEL, '11-tuple-reuse-time-wait.pcap'));
    const a = analyze(loaded.table);
    assert.strictEqual(a.connections.length, 2);
    // Both ladders name the same 4-tuple in their headers: two incarnations, one after the other.
    const text = a.connections.map((c) => ladderText(a, c, { relative: false })).join('\n');
    const back = parseRfcTrace(text);
    assert.deepStrictEqual(back.errors, []);
    const b = analyze(back.table, {}, back.steps);
    assert.strictEqual(b.connections.length, 2);
    assert.deepStrictEqual(
      b.findings.filter((f) => f.code === 'state-claim-mismatch').map((f) => f.message),
      [],
    );
    const figures = new Set(back.steps!.map((s) => s.figure));
    assert.deepStrictEqual([...figures], [0, 1]);
    // The second figure's states are its own connection's: it starts CLOSED / LISTEN again.
    assert.deepStrictEqual(b.connections[1].initialState, { client: 'CLOSED', server: 'LISTEN' });
    assert.deepStrictEqual(b.connections[1].finalState, a.connections[1].finalState);
  });

  it("shows the window a RST's receiver advertised last only when the RST's fate depends on it", () => {
    const ladderOf = (name: string): string => {
      const a = analyze(loadTrace(path.join(KERNEL, name)).table);
      return ladderText(a, a.connections[0]);
    };
    // Kernel capture 20: a RST injected far outside the server's window is ignored; read back
    // without the window it would be unchecked and believed.
    const injected = ladderOf('20-injected-rst.pcap');
    const wnd = injected.split('\n').filter((l) => l.includes('<WND='));
    assert.strictEqual(wnd.length, 1, injected);
    assert.match(wnd[0], /<-- <SEQ=1><ACK=65><CTL=PSH,ACK><WND=65536><DATA=200>/);
    const back = parseRfcTrace(injected);
    const replayed = analyze(back.table, {}, back.steps);
    assert.deepStrictEqual(replayed.findings.filter((f) => f.code === 'state-claim-mismatch'), []);
    assert.ok(replayed.findings.some((f) => f.code === 'rst-out-of-window'));
    // Kernel capture 06: the abort's RST is at exactly RCV.NXT, no window needed.
    assert.doesNotMatch(ladderOf('06-abortive-close-linger0.pcap'), /<WND=/);
  });

  it('draws crossing FINs in flight and where they arrive (simultaneous close, kernel capture 03)', () => {
    const loaded = loadTrace(path.join(KERNEL, '03-simultaneous-close.pcap'));
    const a = analyze(loaded.table);
    const lines = ladderText(a, a.connections[0]).split('\n');
    const at = (step: string): string => lines.find((l) => l.trimStart().startsWith(`${step}.`))!;
    // The client's FIN (frame 8) leaves, still in flight at the server, which is ESTABLISHED.
    assert.match(at('8'), /FIN-WAIT-1 +--> <SEQ=65><ACK=201><CTL=FIN,ACK> +\.\.\. ESTABLISHED$/);
    // The server's FIN (frame 9) does not acknowledge it: the two crossed.
    assert.match(at('9'), /FIN-WAIT-1 +\.\.\. <SEQ=201><ACK=65><CTL=FIN,ACK> +<-- FIN-WAIT-1$/);
    // Both first FINs were lost (the kernel's trace: each side changed to CLOSING at a
    // retransmission). The server's retransmitted FIN (frame 11) is the one the client takes, on
    // arrival; its first transmission never arrives. The client's FIN arrives at the server after
    // frame 11, whose ACK still does not cover it.
    const arrivals = lines.filter((l) => /^ +[A-Z]/.test(l) && !/^ +\d+\./.test(l) && /<SEQ=/.test(l));
    assert.strictEqual(arrivals.length, 1, lines.join('\n'));
    assert.match(arrivals[0], /^ +CLOSING +\.\.\. <SEQ=65><ACK=201><CTL=FIN,ACK> +--> CLOSING$/);
    assert.ok(lines.indexOf(arrivals[0]) === lines.indexOf(at('11')) + 1);
    assert.match(at('10'), /--> <SEQ=65><ACK=201><CTL=FIN,ACK> +\.\.\. FIN-WAIT-1$/);
    assert.match(at('11'), /CLOSING +<-- <SEQ=201><ACK=65><CTL=FIN,ACK> +<-- FIN-WAIT-1$/);
  });
});
