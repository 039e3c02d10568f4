import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { analyze } from '../../../src/core/engine';
import { parseTcpdump, detectTraceFormat } from '../../../src/core/text/tcpdump';
import { loadCapture } from '../../../src/node/loadTrace';

const KERNEL = path.join(__dirname, '../../../../test/fixtures/kernel');

describe('tcpdump text', () => {
  for (const base of ['01-client-active-close', '03-simultaneous-close', '13-ipv6-client-close']) {
    const cap = loadCapture(path.join(KERNEL, `${base}.pcap`));
    for (const style of ['default', 't', 'tt', 'ttt', 'tttt', 'ttttt', 'S', 'v', 'e']) {
      it(`${base} -${style}: the same segments as the pcap, raw numbers restored`, () => {
        const p = parseTcpdump(fs.readFileSync(path.join(KERNEL, 'text', `${base}.${style}.txt`), 'utf8'));
        assert.deepStrictEqual(p.errors, []);
        assert.strictEqual(p.table.length, cap.table.length);
        for (let r = 0; r < p.table.length; r++) {
          const tag = `row ${r}`;
          assert.strictEqual(p.table.flags[r], cap.table.flags[r], tag);
          assert.strictEqual(p.table.ack[r], p.table.flags[r] & 0x10 ? cap.table.ack[r] : 0, `${tag} ack`);
          assert.strictEqual(p.table.seq[r], cap.table.seq[r], `${tag} seq`);
          assert.strictEqual(p.table.len[r], cap.table.len[r], `${tag} len`);
          assert.strictEqual(p.table.endpoints.get(p.table.src[r]).addr, cap.table.endpoints.get(cap.table.src[r]).addr);
        }
        const a = analyze(p.table);
        const b = analyze(cap.table);
        assert.deepStrictEqual(a.connections.map((c) => [c.finalState, c.closeInitiator]), b.connections.map((c) => [c.finalState, c.closeInitiator]));
      });
    }
    it(`${base}: timestamps follow the style (delta and since-first rebuilt)`, () => {
      const tt = parseTcpdump(fs.readFileSync(path.join(KERNEL, 'text', `${base}.tt.txt`), 'utf8'));
      const ttt = parseTcpdump(fs.readFileSync(path.join(KERNEL, 'text', `${base}.ttt.txt`), 'utf8'));
      const t5 = parseTcpdump(fs.readFileSync(path.join(KERNEL, 'text', `${base}.ttttt.txt`), 'utf8'));
      assert.strictEqual(tt.tcpdump?.timestamps, 'epoch');
      assert.strictEqual(cap.table.timeString(0), tt.table.timeString(0));
      const last = tt.table.length - 1;
      const span = (t: typeof tt) => (t.table.tsSec[last] - t.table.tsSec[0]) * 1e9 + (t.table.tsNsec[last] - t.table.tsNsec[0]);
      assert.strictEqual(span(ttt), span(tt));
      assert.strictEqual(span(t5), span(tt));
    });
  }

  it('positions what it cannot read and keeps the rest', () => {
    const text = [
      '12:00:00.000001 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 100, win 1000, length 0',
      '12:00:00.000002 IP 10.0.0.999.80 > 10.0.0.1.40000: Flags [S.], seq 300, ack 101, win 1000, length 0',
      '12:00:00.000003 IP 10.0.0.1.1234 > 10.0.0.2.53: 1+ A? example.com. (29)',
      '12:00:00.000004 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [R], seq 101, win 0, length 0',
    ].join('\n');
    const p = parseTcpdump(text);
    assert.strictEqual(p.table.length, 2);
    assert.strictEqual(p.errors.length, 1);
    assert.strictEqual(p.errors[0].line, 1);
    assert.ok(p.errors[0].endCol > p.errors[0].startCol);
    assert.strictEqual(p.skipped, 1);
  });

  it('detects pasted text by its first lines', () => {
    assert.strictEqual(detectTraceFormat('> 12:00:00.1 IP 1.2.3.4.5 > 6.7.8.9.10: Flags [S], seq 1, win 1, length 0'), 'tcpdump');
    assert.strictEqual(detectTraceFormat('   TCP A            TCP B\n'), 'rfc');
    assert.strictEqual(detectTraceFormat('hello'), null);
  });

  it('never throws, whatever the text', () => {
    const sample = fs.readFileSync(path.join(KERNEL, '05-half-close-data.txt'), 'utf8');
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.nat(sample.length), (junk, at) => {
        const p = parseTcpdump(sample.slice(0, at) + junk + sample.slice(at));
        analyze(p.table);
      }),
      { numRuns: 300 },
    );
  });
});
