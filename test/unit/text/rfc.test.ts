import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { analyze, STATES } from '../../../src/core/engine';
import { parseRfcTrace } from '../../../src/core/text/rfc';
import { ladderText } from '../../../src/core/report/ladder';

const TEXT = path.join(__dirname, '../../../../test/fixtures/text');
const read = (n: string): string => fs.readFileSync(path.join(TEXT, n), 'utf8');

describe('RFC figure notation', () => {
  it('reads the normal close figure with no error, and every printed state is confirmed', () => {
    const p = parseRfcTrace(read('rfc9293-normal-close.tcptrace'));
    assert.deepStrictEqual(p.errors, []);
    assert.strictEqual(p.table.length, 4);
    const claims = p.steps!.filter((s) => s.kind === 'claim');
    assert.strictEqual(claims.length, 11);
    const a = analyze(p.table, {}, p.steps);
    assert.deepStrictEqual(a.findings.map((f) => f.code), []);
    assert.deepStrictEqual([...Array(4).keys()].map((r) => [STATES[a.clientAfter[r]], STATES[a.serverAfter[r]]]), [
      ['FIN-WAIT-1', 'CLOSE-WAIT'],
      ['FIN-WAIT-2', 'CLOSE-WAIT'],
      ['TIME-WAIT', 'LAST-ACK'],
      ['TIME-WAIT', 'CLOSED'],
    ]);
  });

  it('reads the simultaneous close figure: in-flight FINs cross, both sides pass through CLOSING', () => {
    const p = parseRfcTrace(read('rfc9293-simultaneous-close.tcptrace'));
    assert.deepStrictEqual(p.errors, []);
    assert.strictEqual(p.table.length, 4);
    assert.strictEqual(p.steps!.filter((s) => s.kind === 'arrive').length, 4);
    const a = analyze(p.table, {}, p.steps);
    assert.deepStrictEqual(a.findings.map((f) => f.code), ['simultaneous-close']);
    assert.strictEqual(a.connections[0].closeInitiator, 'simultaneous');
    assert.deepStrictEqual([STATES[a.clientAfter[1]], STATES[a.serverAfter[1]]], ['CLOSING', 'CLOSING']);
  });

  it('a wrong state is a positioned state-claim-mismatch; a misspelt one a parse error', () => {
    const text = read('rfc9293-normal-close.tcptrace').replace('FIN-WAIT-2  <--', 'TIME-WAIT   <--').replace('  5.  TIME-WAIT', '  5.  TIME-WATE');
    const p = parseRfcTrace(text);
    assert.strictEqual(p.errors.length, 1);
    assert.match(p.errors[0].message, /"TIME-WATE" is not a TCP state/);
    const a = analyze(p.table, {}, p.steps);
    const m = a.findings.find((f) => f.code === 'state-claim-mismatch');
    assert.ok(m);
    assert.match(m.message, /says the client is TIME-WAIT here, but the segments imply FIN-WAIT-2/);
    assert.strictEqual(m.line, text.split('\n').findIndex((l) => l.includes('TIME-WAIT   <--')));
  });

  it('takes endpoints from the header and times from @ annotations', () => {
    const p = parseRfcTrace(['   TCP A (10.1.1.1:5555)        TCP B ([2001:db8::2]:443)', '  1. @0.5 FIN-WAIT-1 --> <SEQ=1><ACK=1><CTL=FIN,ACK> --> CLOSE-WAIT'].join('\n'));
    assert.strictEqual(p.errors.length, 1, 'mixed IPv4/IPv6 endpoints are an error');
    const q = parseRfcTrace(['   TCP A (10.1.1.1:5555)        TCP B (10.1.1.2:443)', '  1. @0.5 FIN-WAIT-1 --> <SEQ=1><ACK=1><CTL=FIN,ACK> --> CLOSE-WAIT'].join('\n'));
    assert.deepStrictEqual(q.errors, []);
    assert.strictEqual(q.table.endpoints.get(q.table.src[0]).addr, '10.1.1.1');
    assert.strictEqual(q.table.timeString(0), '0.500000000');
  });

  it('the analyze ladder is itself a figure that reads back to the same states', () => {
    // (Segments whose delivery the engine delays are drawn with --> too, so this holds for
    // connections without crossing segments, like the normal close.)
    const p = parseRfcTrace(read('rfc9293-normal-close.tcptrace'));
    const a = analyze(p.table, {}, p.steps);
    const ladder = ladderText(a, a.connections[0], { relative: false });
    const back = parseRfcTrace(ladder);
    assert.deepStrictEqual(back.errors, []);
    assert.strictEqual(back.table.length, 4);
    const b = analyze(back.table, {}, back.steps);
    assert.deepStrictEqual(b.findings.filter((f) => f.code === 'state-claim-mismatch'), []);
  });

  it('never throws, whatever the text', () => {
    const sample = read('rfc9293-simultaneous-close.tcptrace');
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.nat(sample.length), (junk, at) => {
        const p = parseRfcTrace(sample.slice(0, at) + junk + sample.slice(at));
        analyze(p.table, {}, p.steps);
      }),
      { numRuns: 300 },
    );
  });
});
