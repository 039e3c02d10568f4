/**
 * The editor's figure export (`.tcptrace`) where a TIME-WAIT's 2 MSL timer runs out between two
 * rows (the trace of ladderTimeWaitExpired.test.ts, opened as tcpdump text): like the text ladder,
 * the figure writes RFC 9293's `(2 MSL)` event in that side's column on a line of its own, so it
 * keeps the CLOSED state the analysis found and reads back with no claim contradicted (before, the
 * export's read-back pass left that state blank instead).
 */
import * as assert from 'assert';
import { analyze } from '../../../src/core/engine';
import { exportText } from '../../../src/server/features';
import { DEFAULT_SETTINGS } from '../../../src/server/settings';
import { textTraceDoc } from '../../../src/server/traceDoc';
import { LANG_TCPDUMP, LANG_TCPTRACE } from '../../../src/shared/lspProtocol';
import { parseRfcTrace } from '../../../src/core/text/rfc';
import { toTcpdumpText } from '../../../src/core/text/render';
import { timerExpiredBefore } from '../../../src/core/report/ladder';
import { TIME_WAIT_EXPIRED, TIME_WAIT_EXPIRED_MIRRORED } from '../engine/counterexamples';
import { build, type RandomSeg } from '../engine/randomTrace';
import { contradictedClaims } from '../engine/ladderReadBack';

/** The trace as tcpdump text in the editor, its connection 40001's figure export, and the figure read back. */
function exported(segs: RandomSeg[]) {
  const t = textTraceDoc('file:///twoMsl.tcpdump', 1, toTcpdumpText(build(segs)), LANG_TCPDUMP, DEFAULT_SETTINGS);
  const c = t.analysis.connections.find((x) => x.client.port === 40001)!;
  const text = exportText(t, 'tcptrace', c.id).text;
  const back = parseRfcTrace(text);
  assert.deepStrictEqual(back.errors, [], text);
  const replayed = analyze(back.table, {}, back.steps);
  const contradicted = contradictedClaims(replayed);
  // The figure opened in the editor, as a user would: no contradicted claim there either.
  const opened = textTraceDoc('file:///twoMsl.tcptrace', 1, text, LANG_TCPTRACE, DEFAULT_SETTINGS);
  const openedContradicted = contradictedClaims(opened.analysis);
  return { t, text, lines: text.split('\n'), replayed, contradicted, openedContradicted };
}

describe('the .tcptrace export where a TIME-WAIT timer runs out between two rows', () => {
  it("writes (2 MSL) in TCP A's column before the row, keeps CLOSED there, and reads back with no claim contradicted", () => {
    const { t, text, lines, replayed, contradicted, openedContradicted } = exported(TIME_WAIT_EXPIRED);
    // The editor's analysis of the tcpdump text ends the TIME-WAIT by the timer before row 5.
    assert.deepStrictEqual(timerExpiredBefore(t.analysis, 5).map((tr) => [tr.side, tr.from, tr.to]), [['client', 'TIME-WAIT', 'CLOSED']]);
    const header = lines.find((l) => l.includes('TCP A ('))!;
    const event = lines.findIndex((l) => l.includes('(2 MSL)'));
    assert.ok(event > 0, text);
    assert.strictEqual(text.split('(2 MSL)').length, 2, `one timer event\n${text}`);
    assert.strictEqual(lines[event].indexOf('(2 MSL)'), header.indexOf('TCP A'), text);
    assert.strictEqual(lines[event].trim(), '(2 MSL)', text);
    assert.match(lines[event - 1], /^ +\d+\. +TIME-WAIT +<-- /, text);
    // The next line is the client's ACK, sent in CLOSED (not blanked), the server CLOSED by it.
    assert.match(lines[event + 1], /^ +\d+\. +CLOSED +--> <SEQ=.* --> CLOSED +@/, text);
    assert.deepStrictEqual(contradicted, [], text);
    assert.deepStrictEqual(openedContradicted, [], text);
    assert.ok(replayed.transitions.some((tr) => tr.side === 'client' && tr.from === 'TIME-WAIT' && tr.to === 'CLOSED' && /2 MSL/.test(tr.reason)), text);
    // The whole document's export (four figures, this one first) reads back the same way.
    const all = exportText(t, 'tcptrace', undefined).text;
    assert.ok(all.startsWith(text), all);
    const whole = textTraceDoc('file:///all.tcptrace', 1, all, LANG_TCPTRACE, DEFAULT_SETTINGS);
    assert.deepStrictEqual(contradictedClaims(whole.analysis), [], all);
  });

  it("with the server in TIME-WAIT, (2 MSL) goes in TCP B's column", () => {
    const { text, lines, contradicted, openedContradicted } = exported(TIME_WAIT_EXPIRED_MIRRORED);
    const header = lines.find((l) => l.includes('TCP A ('))!;
    const event = lines.findIndex((l) => l.includes('(2 MSL)'));
    assert.ok(event > 0, text);
    assert.strictEqual(lines[event].indexOf('(2 MSL)'), header.indexOf('TCP B'), text);
    assert.strictEqual(lines[event].trim(), '(2 MSL)', text);
    assert.match(lines[event - 1], /--> TIME-WAIT +@/, text);
    assert.match(lines[event + 1], /^ +\d+\. +CLOSED +<-- <SEQ=.* <-- CLOSED +@/, text);
    assert.deepStrictEqual(contradicted, [], text);
    assert.deepStrictEqual(openedContradicted, [], text);
  });

  it('when the gaps add up to less than 2 MSL, there is no timer event and the client is still in TIME-WAIT', () => {
    const { text, lines, contradicted } = exported(TIME_WAIT_EXPIRED.map((s) => ({ ...s, dt: Math.min(s.dt, 10) })));
    assert.ok(!text.includes('(2 MSL)'), text);
    assert.ok(lines.some((l) => /^ +\d+\. +TIME-WAIT +--> <SEQ=/.test(l)), text);
    assert.deepStrictEqual(contradicted, [], text);
  });
});
