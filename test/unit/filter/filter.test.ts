import * as assert from 'assert';
import * as path from 'path';
import fc from 'fast-check';
import { analyze } from '../../../src/core/engine';
import { parseFilter } from '../../../src/core/filter';
import { analysisFilterContext, matchingConnections } from '../../../src/core/filter/context';
import { loadCapture } from '../../../src/node/loadTrace';

const KERNEL = path.join(__dirname, '../../../../test/fixtures/kernel');

describe('display filters', () => {
  const a = analyze(loadCapture(path.join(KERNEL, '09-lost-final-ack.pcap')).table);
  const v6 = analyze(loadCapture(path.join(KERNEL, '13-ipv6-client-close.pcap')).table);
  const frames = (an: typeof a, text: string): number[] => {
    const { filter, errors } = parseFilter(text);
    assert.deepStrictEqual(errors, [], text);
    const ctx = analysisFilterContext(an);
    const out: number[] = [];
    for (let r = 0; r < an.table.length; r++) if (filter!.matches(an.table, r, ctx)) out.push(an.table.frame[r]);
    return out;
  };

  it('flags, by bit and by value, the way the seeds use them', () => {
    assert.deepStrictEqual(frames(a, 'tcp.flags.fin == 1'), [8, 10, 12]);
    assert.deepStrictEqual(frames(a, 'tcp.flags.fin'), [8, 10, 12]);
    assert.deepStrictEqual(frames(a, 'tcp.flags == 0x0011'), [8, 10, 12]);
    assert.deepStrictEqual(frames(a, 'tcp.flags.syn == 1 && tcp.flags.ack == 1'), [2]);
    assert.deepStrictEqual(frames(a, 'tcp.flags.reset == 1'), []);
    assert.deepStrictEqual(frames(a, 'tcp.flags.push eq 1'), [4, 6]);
  });

  it('addresses, ports, CIDR and Wireshark\'s != for two-sided fields', () => {
    assert.deepStrictEqual(frames(a, 'ip.src == 10.88.0.2 and tcp.len == 0'), [2, 5, 9, 10, 12]);
    assert.strictEqual(frames(a, 'ip.addr == 10.88.0.0/16').length, 13);
    assert.deepStrictEqual(frames(a, 'ip.addr != 10.88.0.1'), []);
    assert.deepStrictEqual(frames(a, 'tcp.port != 8080'), []);
    assert.strictEqual(frames(a, 'tcp.dstport == 8080').length, 7);
    assert.deepStrictEqual(frames(v6, 'ipv6.src == fd88::2 && tcp.flags.fin'), [10]);
    assert.deepStrictEqual(frames(v6, 'ip.src == 10.88.0.1'), []);
  });

  it('relative and raw sequence numbers, lengths, streams, frames, precedence', () => {
    assert.deepStrictEqual(frames(a, 'tcp.seq == 65 && tcp.flags.fin'), [8]);
    assert.deepStrictEqual(frames(a, 'tcp.ack == 202'), [11, 13]);
    const raw = a.table.seq[7];
    assert.deepStrictEqual(frames(a, `tcp.seq_raw == ${raw}`), [7, 8], "the last ACK before the FIN has the same sequence number");
    assert.deepStrictEqual(frames(a, 'tcp.len > 0'), [4, 6]);
    assert.strictEqual(frames(a, 'tcp.stream == 0').length, 13);
    assert.deepStrictEqual(frames(a, 'frame.number >= 12 || frame.number < 2'), [1, 12, 13]);
    assert.deepStrictEqual(frames(a, '!(tcp.flags.ack) or (tcp.len > 100 && not tcp.flags.syn)'), [1, 6]);
  });

  it('selects connections', () => {
    const { filter } = parseFilter('tcp.flags.fin == 1');
    assert.deepStrictEqual([...matchingConnections(a, filter!)], [1]);
  });

  it('errors are positioned and suggest the field meant', () => {
    const e1 = parseFilter('tcp.flgs == 1').errors[0];
    assert.deepStrictEqual([e1.start, e1.end], [0, 8]);
    assert.match(e1.message, /did you mean tcp\.flags\?/);
    assert.match(parseFilter('ip.src == 10.0.0.300').errors[0].message, /not an IPv4 address/);
    assert.match(parseFilter('(tcp.len > 0').errors[0].message, /'\)' expected/);
    assert.match(parseFilter('tcp.len >').errors[0].message, /value is needed/);
    assert.match(parseFilter('').errors[0].message, /empty/);
  });

  it('never throws on any text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        const r = parseFilter(s);
        assert.ok(r.filter !== null || r.errors.length > 0);
      }),
      { numRuns: 500 },
    );
  });
});
