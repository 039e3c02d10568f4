import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { analyze, STATES } from '../../../src/core/engine';
import { OPT_MSS, OPT_SACK, OPT_TIMESTAMP, OPT_WSCALE, SegmentTable, SegmentView } from '../../../src/core/model/segment';
import { parseRfcTrace } from '../../../src/core/text/rfc';
import { rfcControls, tcpdumpFlags, toRfcTrace, toTcpdumpText } from '../../../src/core/text/render';
import { parseTcpdump } from '../../../src/core/text/tcpdump';
import { loadCapture } from '../../../src/node/loadTrace';

const KERNEL = path.join(__dirname, '../../../../test/fixtures/kernel');
const TEXT = path.join(__dirname, '../../../../test/fixtures/text');

const CORE = ['seq', 'ack', 'flags', 'len', 'win', 'tsSec', 'tsNsec'] as const;

/** Same rows; options compared where the option is present (a decoder may leave stale values). */
function sameRows(a: SegmentTable, b: SegmentTable, rows?: number[], options = true): void {
  const list = rows ?? [...Array(a.length).keys()];
  assert.strictEqual(b.length, list.length);
  list.forEach((r, k) => {
    if (options) {
      assert.strictEqual(b.opts[k], a.opts[r], `row ${r} opts`);
      const o = a.opts[r];
      if (o & OPT_MSS) assert.strictEqual(b.mss[k], a.mss[r], `row ${r} mss`);
      if (o & OPT_WSCALE) assert.strictEqual(b.wscale[k], a.wscale[r], `row ${r} wscale`);
      if (o & OPT_TIMESTAMP) assert.deepStrictEqual([b.tsVal[k], b.tsEcr[k]], [a.tsVal[r], a.tsEcr[r]], `row ${r} TS`);
      if (o & OPT_SACK) assert.strictEqual(b.sackBlocks[k], a.sackBlocks[r], `row ${r} sack`);
    }
    for (const c of CORE) {
      const x = a[c][r];
      const y = b[c][k];
      if (Number.isNaN(x)) assert.ok(Number.isNaN(y), `row ${r} ${c}`);
      else assert.strictEqual(y, x, `row ${r} ${c}`);
    }
    const ea = a.endpoints.get(a.src[r]);
    const eb = b.endpoints.get(b.src[k]);
    assert.deepStrictEqual([eb.ipVersion, eb.addr, eb.port], [ea.ipVersion, ea.addr, ea.port]);
    const da = a.endpoints.get(a.dst[r]);
    const db = b.endpoints.get(b.dst[k]);
    assert.deepStrictEqual([db.addr, db.port], [da.addr, da.port]);
  });
}

/** A table of random segments between two endpoints. */
const randomTable = fc
  .record({
    v6: fc.boolean(),
    rows: fc.array(
      fc.record({
        fromA: fc.boolean(),
        seq: fc.nat(0xffff_ffff),
        ack: fc.nat(0xffff_ffff),
        flags: fc.nat(0x1ff),
        len: fc.nat(70000),
        win: fc.nat(65535),
        sec: fc.option(fc.nat(2_000_000_000), { nil: undefined }),
        nsec: fc.nat(999_999_999),
      }),
      { minLength: 1, maxLength: 12 },
    ),
  })
  .map(({ v6, rows }) => {
    const t = new SegmentTable(16);
    const v = new SegmentView();
    for (const r of rows) {
      v.ipVersion = v6 ? 6 : 4;
      v.src.fill(0);
      v.dst.fill(0);
      const a = v6 ? [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] : [10, 0, 0, 1];
      const b = v6 ? [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2] : [10, 0, 0, 2];
      v.src.set(r.fromA ? a : b);
      v.dst.set(r.fromA ? b : a);
      v.sport = r.fromA ? 40000 : 443;
      v.dport = r.fromA ? 443 : 40000;
      v.seq = r.seq;
      v.flags = r.flags;
      v.ack = r.flags & 0x10 ? r.ack : 0;
      v.len = r.len;
      v.win = r.win;
      v.tsSec = r.sec ?? NaN;
      v.tsNsec = r.sec === undefined ? 0 : r.nsec;
      t.append(v);
    }
    return t;
  });

describe('renderers', () => {
  it('flag letters in tcpdump order, control names in RFC order', () => {
    assert.strictEqual(tcpdumpFlags(0x012), 'S.');
    assert.strictEqual(tcpdumpFlags(0x019), 'FP.');
    assert.strictEqual(tcpdumpFlags(0x0c2), 'SEW');
    assert.strictEqual(tcpdumpFlags(0x038), 'P.U');
    assert.strictEqual(tcpdumpFlags(0), 'none');
    assert.strictEqual(rfcControls(0x011), 'FIN,ACK');
    assert.strictEqual(rfcControls(0x012), 'SYN,ACK');
  });

  describe('toTcpdumpText reads back to the same rows', () => {
    for (const f of ['01-client-active-close', '03-simultaneous-close', '13-ipv6-client-close', '12-keepalive-zero-window', '11-tuple-reuse-time-wait']) {
      it(`kernel capture ${f}`, () => {
        const cap = loadCapture(path.join(KERNEL, `${f}.pcap`)).table;
        const p = parseTcpdump(toTcpdumpText(cap));
        assert.deepStrictEqual(p.errors, []);
        sameRows(cap, p.table);
      });
    }
    it('a subset of rows, the crafted corners, and random tables', () => {
      const craft = parseTcpdump(fs.readFileSync(path.join(TEXT, 'craft.vv.txt'), 'utf8')).table;
      sameRows(craft, parseTcpdump(toTcpdumpText(craft)).table);
      sameRows(craft, parseTcpdump(toTcpdumpText(craft, [3, 5, 8])).table, [3, 5, 8]);
      fc.assert(
        fc.property(randomTable, (t) => {
          const p = parseTcpdump(toTcpdumpText(t));
          assert.deepStrictEqual(p.errors, []);
          sameRows(t, p.table);
        }),
        { numRuns: 200 },
      );
    });
    it('prints lines tcpdump would print', () => {
      const cap = loadCapture(path.join(KERNEL, '01-client-active-close.pcap')).table;
      const lines = toTcpdumpText(cap).split('\n');
      assert.strictEqual(lines[0], '# tcpdump -nn -tt -S');
      assert.match(lines[1], /^\d+\.\d{6} IP 10\.88\.0\.1\.40001 > 10\.88\.0\.2\.8080: Flags \[S\], seq \d+, win 64240, options \[mss 1460,sackOK,TS val \d+ ecr 0,nop,wscale 10\], length 0$/);
    });
  });

  describe('toRfcTrace reads back to the same rows and claims', () => {
    it('the engine states of a kernel capture, as a figure, are claims the engine confirms', () => {
      const cap = loadCapture(path.join(KERNEL, '01-client-active-close.pcap')).table;
      const a = analyze(cap);
      const c = a.connections[0];
      const text = toRfcTrace(cap, c.rows, {
        a: c.rows.map((r) => STATES[a.clientAfter[r]]),
        b: c.rows.map((r) => STATES[a.serverAfter[r]]),
      }, { initial: { a: c.initialState.client, b: c.initialState.server } });
      const p = parseRfcTrace(text);
      assert.deepStrictEqual(p.errors, []);
      sameRows(cap, p.table, c.rows, false);
      const claims = p.steps!.filter((s) => s.kind === 'claim');
      assert.strictEqual(claims.length, 2 * c.rows.length + 2);
      // Claims land on the right endpoint.
      for (const s of claims) {
        if (s.kind !== 'claim') continue;
        const line = text.split('\n')[s.line];
        assert.strictEqual(line.slice(s.startCol, s.endCol), s.state);
      }
      const back = analyze(p.table, {}, p.steps);
      assert.deepStrictEqual(back.findings.filter((f) => f.code === 'state-claim-mismatch'), []);
    });
    it('random tables, with random state names, times relative, absolute or none', () => {
      const states = fc.array(fc.constantFrom(...STATES.filter((s) => s !== 'UNKNOWN')), { minLength: 12, maxLength: 12 });
      fc.assert(
        fc.property(randomTable, states, states, fc.constantFrom('relative', 'absolute', 'none'), (t, sa, sb, times) => {
          const rows = [...Array(t.length).keys()];
          const allTimed = rows.every((r) => !Number.isNaN(t.tsSec[r]));
          const text = toRfcTrace(t, rows, { a: sa, b: sb }, { times: times as 'relative' | 'absolute' | 'none' });
          const p = parseRfcTrace(text);
          assert.deepStrictEqual(p.errors, [], text);
          for (let r = 0; r < t.length; r++) {
            assert.strictEqual(p.table.seq[r], t.seq[r]);
            assert.strictEqual(p.table.ack[r], t.ack[r]);
            assert.strictEqual(p.table.flags[r], t.flags[r]);
            assert.strictEqual(p.table.len[r], t.len[r]);
            assert.strictEqual(p.table.win[r], t.win[r]);
            assert.strictEqual(p.table.src[r] === p.table.src[0], t.src[r] === t.src[0]);
            if (times !== 'none' && allTimed) assert.strictEqual(p.table.timeString(r), t.timeString(r));
            if (times === 'none') assert.ok(Number.isNaN(p.table.tsSec[r]));
          }
          const claims = p.steps!.filter((s) => s.kind === 'claim').map((s) => (s.kind === 'claim' ? s.state : ''));
          const want: string[] = [];
          for (let r = 0; r < t.length; r++) want.push(sa[r], sb[r]);
          assert.deepStrictEqual(claims, want);
        }),
        { numRuns: 200 },
      );
    });
    it('draws the figure as the RFC does', () => {
      const p = parseRfcTrace(fs.readFileSync(path.join(TEXT, 'rfc9293-normal-close.tcptrace'), 'utf8'));
      const text = toRfcTrace(p.table, [0, 1, 2, 3], { a: ['FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'TIME-WAIT'], b: ['CLOSE-WAIT', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSED'] }, { initial: { a: 'ESTABLISHED', b: 'ESTABLISHED' } });
      assert.strictEqual(
        text,
        [
          '      TCP A (192.0.2.1:1024)                               TCP B (192.0.2.2:80)',
          '',
          '  1.  ESTABLISHED                                          ESTABLISHED',
          '',
          '  2.  FIN-WAIT-1  --> <SEQ=100><ACK=300><CTL=FIN,ACK>  --> CLOSE-WAIT',
          '  3.  FIN-WAIT-2  <-- <SEQ=300><ACK=101><CTL=ACK>      <-- CLOSE-WAIT',
          '  4.  TIME-WAIT   <-- <SEQ=300><ACK=101><CTL=FIN,ACK>  <-- LAST-ACK',
          '  5.  TIME-WAIT   --> <SEQ=101><ACK=301><CTL=ACK>      --> CLOSED',
          '',
        ].join('\n'),
      );
    });
  });
});
