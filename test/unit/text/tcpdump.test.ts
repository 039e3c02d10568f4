import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { analyze } from '../../../src/core/engine';
import { ACK, CWR, ECE, OPT_MSS, OPT_SACK, OPT_SACK_PERM, OPT_TIMESTAMP, OPT_WSCALE, PSH, SYN, URG, type SegmentTable } from '../../../src/core/model/segment';
import { parseTcpdump, detectTraceFormat } from '../../../src/core/text/tcpdump';
import { loadCapture } from '../../../src/node/loadTrace';

const KERNEL = path.join(__dirname, '../../../../test/fixtures/kernel');
const TEXT = path.join(__dirname, '../../../../test/fixtures/text');
const readText = (name: string): string => fs.readFileSync(path.join(TEXT, name), 'utf8');

/** Every print style made by test/fixtures/text/make-fixtures.sh from the same pcap. */
const STYLES = ['default', 'S', 't', 'tt', 'ttt', 'tttt', 'ttttt', 'nano', 'v', 'vv', 'e', 'numbered-hex', 'n-ascii'];

function columns(t: SegmentTable): { seq: number[]; ack: number[]; flags: number[]; len: number[] } {
  const seq: number[] = [];
  const ack: number[] = [];
  const flags: number[] = [];
  const len: number[] = [];
  for (let r = 0; r < t.length; r++) {
    seq.push(t.seq[r]);
    ack.push(t.ack[r]);
    flags.push(t.flags[r]);
    len.push(t.len[r]);
  }
  return { seq, ack, flags, len };
}

function nsBetween(t: SegmentTable, a: number, b: number): bigint {
  return (BigInt(t.tsSec[b]) - BigInt(t.tsSec[a])) * 1_000_000_000n + BigInt(t.tsNsec[b]) - BigInt(t.tsNsec[a]);
}

describe('tcpdump text', () => {
  describe('kernel-made captures: every style equals the pcap', () => {
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
            assert.strictEqual(p.table.win[r], cap.table.win[r], `${tag} win`);
            assert.strictEqual(p.table.tsVal[r], cap.table.tsVal[r], `${tag} TS val`);
            assert.strictEqual(p.table.endpoints.get(p.table.src[r]).addr, cap.table.endpoints.get(cap.table.src[r]).addr);
            assert.strictEqual(p.table.endpoints.get(p.table.dst[r]).port, cap.table.endpoints.get(cap.table.dst[r]).port);
          }
          const a = analyze(p.table);
          const b = analyze(cap.table);
          assert.deepStrictEqual(
            a.connections.map((c) => [c.finalState, c.closeInitiator, c.findings.map((f) => f.code)]),
            b.connections.map((c) => [c.finalState, c.closeInitiator, c.findings.map((f) => f.code)]),
          );
        });
      }
      it(`${base}: timestamps follow the style (delta and since-first rebuilt exactly)`, () => {
        const tt = parseTcpdump(fs.readFileSync(path.join(KERNEL, 'text', `${base}.tt.txt`), 'utf8'));
        const ttt = parseTcpdump(fs.readFileSync(path.join(KERNEL, 'text', `${base}.ttt.txt`), 'utf8'));
        const t5 = parseTcpdump(fs.readFileSync(path.join(KERNEL, 'text', `${base}.ttttt.txt`), 'utf8'));
        const t4 = parseTcpdump(fs.readFileSync(path.join(KERNEL, 'text', `${base}.tttt.txt`), 'utf8'));
        assert.strictEqual(tt.tcpdump?.timestamps, 'epoch');
        assert.strictEqual(ttt.tcpdump?.timestamps, 'delta');
        assert.strictEqual(t5.tcpdump?.timestamps, 'since-first');
        assert.strictEqual(t4.tcpdump?.timestamps, 'date');
        for (let r = 0; r < tt.table.length; r++) {
          assert.strictEqual(tt.table.timeString(r), cap.table.timeString(r));
          assert.strictEqual(t4.table.timeString(r), cap.table.timeString(r), '-tttt is UTC here');
          assert.strictEqual(nsBetween(ttt.table, 0, r), nsBetween(cap.table, 0, r));
          assert.strictEqual(nsBetween(t5.table, 0, r), nsBetween(cap.table, 0, r));
        }
      });
    }
  });

  describe('every kernel-made scenario: its tcpdump -nn -r text is its pcap', () => {
    const scenarios = fs.readdirSync(KERNEL).filter((f) => /^\d\d-.*\.txt$/.test(f));
    for (const f of scenarios) {
      it(f.replace('.txt', ''), () => {
        const cap = loadCapture(path.join(KERNEL, f.replace('.txt', '.pcap'))).table;
        const p = parseTcpdump(fs.readFileSync(path.join(KERNEL, f), 'utf8'));
        assert.deepStrictEqual(p.errors, []);
        assert.strictEqual(p.table.length, cap.length);
        for (let r = 0; r < cap.length; r++) {
          assert.strictEqual(p.table.seq[r], cap.seq[r], `row ${r} seq`);
          assert.strictEqual(p.table.ack[r], cap.flags[r] & ACK ? cap.ack[r] : 0, `row ${r} ack`);
          assert.strictEqual(p.table.tsNsec[r], cap.tsNsec[r], `row ${r} time`);
        }
        const a = analyze(cap);
        const b = analyze(p.table);
        const summary = (x: typeof a): unknown =>
          x.connections.map((c) => [c.client, c.server, c.initialState, c.finalState, c.closeInitiator, c.outcome, c.findings.map((g) => [g.code, g.severity, g.row])]);
        assert.deepStrictEqual(summary(b), summary(a));
        assert.deepStrictEqual(Array.from(b.clientAfter), Array.from(a.clientAfter));
        assert.deepStrictEqual(Array.from(b.serverAfter), Array.from(a.serverAfter));
        assert.deepStrictEqual(Array.from(b.rowKind), Array.from(a.rowKind), 'keepalives and probes classified alike');
      });
    }
  });

  describe('probes tcpdump prints without their sequence number', () => {
    // A handshake and 64 bytes from the client (its SND.NXT is then 1065), then what the case adds.
    const head = [
      '10:00:00.000000 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1000, win 64240, length 0',
      '10:00:00.000100 IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [S.], seq 5000, ack 1001, win 65160, length 0',
      '10:00:00.000200 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [.], ack 1, win 502, length 0',
      '10:00:00.001000 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [P.], seq 1:65, ack 1, win 502, length 64',
      '10:00:00.002000 IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [.], ack 65, win 509, length 0',
    ];
    const client = (t: string, win = 502): string => `10:00:${t} IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [.], ack 1, win ${win}, length 0`;
    const seqsAfterHead = (lines: string[]): number[] => {
      const p = parseTcpdump([...head, ...lines].join('\n'));
      assert.deepStrictEqual(p.errors, []);
      return Array.from(p.table.seq.subarray(head.length, p.table.length));
    };

    it('unanswered keepalive probes (a second apart, nothing from the peer) carry SND.NXT - 1; the RST after them is a keepalive timeout', () => {
      const text = [...head, client('01.002000'), client('02.002000'), client('03.002000'), '10:00:04.002000 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [R.], seq 65, ack 1, win 502, length 0'];
      const p = parseTcpdump(text.join('\n'));
      assert.deepStrictEqual(Array.from(p.table.seq.subarray(5, 8)), [1064, 1064, 1064]);
      assert.strictEqual(p.tcpdump?.probes, 3);
      const a = analyze(p.table);
      assert.deepStrictEqual(a.connections[0].findings.map((f) => f.code), ['abrupt-reset']);
      assert.match(a.connections[0].findings[0].message, /keepalive timeout/);
    });

    it('an ACK repeated sooner, with another window, or after the peer sent something, is not a probe', () => {
      assert.deepStrictEqual(seqsAfterHead([client('00.202000')]), [1065], 'a fifth of a second later');
      assert.deepStrictEqual(seqsAfterHead([client('01.002000', 600)]), [1065], 'a window update');
      // The server's SYN-ACK again (its ACK of the client's ACK was lost): the client's ACK answers it.
      const peer = '10:00:01.000000 IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [S.], seq 5000, ack 1001, win 65160, length 0';
      assert.deepStrictEqual(seqsAfterHead([peer, client('01.002000')]), [5000, 1065], 'after the peer');
    });

    it('a duplicate ACK answering data the peer sent again is no probe, even when a pure ACK follows it', () => {
      // As in a public capture (zeek's pppoe-over-qinq): the server's data again, the client's
      // duplicate ACK, then the server's pure ACK, which looks like an answer to a probe.
      const server = (t: string, rest: string): string => `10:00:${t} IP 10.0.0.2.80 > 10.0.0.1.40000: Flags ${rest}`;
      const seqs = seqsAfterHead([
        server('00.003000', '[P.], seq 1:21, ack 65, win 509, length 20'),
        '10:00:00.004000 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [.], ack 21, win 502, length 0',
        server('00.500000', '[P.], seq 1:21, ack 65, win 509, length 20'),
        '10:00:00.501000 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [.], ack 21, win 502, length 0',
        server('00.800000', '[.], ack 65, win 509, length 0'),
      ]);
      assert.strictEqual(seqs[3], 1065, 'the duplicate ACK carries SND.NXT');
    });
  });

  describe('real tcpdump output of a loopback capture (test/fixtures/text/lo.*)', () => {
    // tshark's raw numbers per TCP frame: frame, seq_raw, ack_raw, flags, len, time_epoch.
    const truth = readText('lo.truth.tsv')
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    for (const style of STYLES) {
      it(`-${style}: raw seq/ack/flags/len equal tshark's, no errors, the UDP line skipped`, () => {
        const p = parseTcpdump(readText(`lo.${style}.txt`));
        assert.deepStrictEqual(p.errors, []);
        assert.strictEqual(p.table.length, truth.length);
        if (style !== 'n-ascii') assert.strictEqual(p.skipped, 1);
        for (let r = 0; r < truth.length; r++) {
          const [, seq, ack, flags, len] = truth[r];
          assert.strictEqual(p.table.seq[r], Number(seq), `row ${r} seq`);
          assert.strictEqual(p.table.ack[r], p.table.flags[r] & ACK ? Number(ack) : 0, `row ${r} ack`);
          assert.strictEqual(p.table.flags[r], parseInt(flags, 16), `row ${r} flags`);
          assert.strictEqual(p.table.len[r], Number(len), `row ${r} len`);
        }
      });
    }
    it('tcpdump -nn -r (relative) and -S -r (absolute) of the same capture give identical columns', () => {
      assert.deepStrictEqual(columns(parseTcpdump(readText('lo.default.txt')).table), columns(parseTcpdump(readText('lo.S.txt')).table));
    });
    it('exact times: -tt and --time-stamp-precision=nano equal tshark; time of day is the epoch modulo a day (UTC)', () => {
      const tt = parseTcpdump(readText('lo.tt.txt')).table;
      const nano = parseTcpdump(readText('lo.nano.txt')).table;
      const tod = parseTcpdump(readText('lo.default.txt')).table;
      const none = parseTcpdump(readText('lo.t.txt')).table;
      for (let r = 0; r < truth.length; r++) {
        assert.strictEqual(tt.timeString(r), truth[r][5]);
        assert.strictEqual(nano.timeString(r), truth[r][5]);
        assert.strictEqual(tod.tsSec[r], tt.tsSec[r] % 86400);
        assert.strictEqual(tod.tsNsec[r], tt.tsNsec[r]);
        assert.ok(Number.isNaN(none.tsSec[r]));
        assert.strictEqual(none.timeString(r), '');
      }
    });
    it('-v: the segment is the indented second line; payload lines of -X and -A are not segments', () => {
      const v = parseTcpdump(readText('lo.v.txt'));
      const lines = readText('lo.v.txt').split('\n');
      assert.match(lines[v.table.line[0]], /^\s+127\.0\.0\.1\.\d+ > 127\.0\.0\.1\.18080: Flags \[S\]/);
      assert.strictEqual(parseTcpdump(readText('lo.numbered-hex.txt')).skipped, 1, '-X hex lines are part of their packet');
    });
    it('options: mss, wscale, sackOK, TS val/ecr', () => {
      const t = parseTcpdump(readText('lo.default.txt')).table;
      assert.strictEqual(t.opts[0], OPT_MSS | OPT_SACK_PERM | OPT_TIMESTAMP | OPT_WSCALE);
      assert.strictEqual(t.mss[0], 65495);
      assert.strictEqual(t.wscale[0], 10);
      assert.strictEqual(t.tsEcr[0], 0);
      assert.strictEqual(t.tsEcr[1], t.tsVal[0]);
      assert.strictEqual(t.opts[2], OPT_TIMESTAMP);
    });
    it('the connection refused by a closed port: SYN then RST,ACK with seq 0 (printed absolute by tcpdump)', () => {
      const t = parseTcpdump(readText('lo.default.txt')).table;
      const last = t.length - 1;
      assert.strictEqual(t.seq[last], 0);
      assert.strictEqual(t.ack[last], (t.seq[last - 1] + 1) >>> 0);
    });
  });

  describe("tcpdump's relative numbering, corner by corner (test/fixtures/text/craft.*)", () => {
    const truth = (JSON.parse(readText('craft.truth.json')) as { segments: { seq: number; ack: number; flags: number; len: number }[] }).segments;
    const caseRows = (t: SegmentTable, port: number): number[] => {
      const out: number[] = [];
      for (let r = 0; r < t.length; r++) {
        if (t.endpoints.get(t.src[r]).port === port || t.endpoints.get(t.dst[r]).port === port) out.push(r);
      }
      return out;
    };
    // Numbers the text cannot carry: in relative text, the client side of case 2, whose base
    // tcpdump never printed. (The keepalive's seq, snd.nxt - 1, is printed only with -vv, but the
    // peer's immediate duplicate ACK gives it away.)
    const keepalive = 47;
    for (const style of STYLES) {
      it(`-${style}: every raw number restored, except what the text does not carry`, () => {
        const p = parseTcpdump(readText(`craft.${style}.txt`));
        assert.deepStrictEqual(p.errors, []);
        assert.strictEqual(p.table.length, truth.length);
        const t = p.table;
        const case2 = new Set(caseRows(t, 40002));
        const fromClient = (r: number): boolean => t.endpoints.get(t.src[r]).port === 40002;
        const offset = 123456789; // case 2's client ISN: tcpdump's unprinted base
        for (let r = 0; r < truth.length; r++) {
          const want = truth[r];
          assert.strictEqual(t.flags[r], want.flags, `row ${r} flags`);
          assert.strictEqual(t.len[r], want.len, `row ${r} len`);
          let seq = want.seq;
          let ack = want.ack;
          const relativeText = style !== 'S' && style !== 'vv';
          if (relativeText && case2.has(r)) {
            if (fromClient(r)) seq = (seq - offset) >>> 0;
            else ack = (ack - offset) >>> 0;
          }
          assert.strictEqual(t.seq[r], seq, `row ${r} seq`);
          assert.strictEqual(t.ack[r], ack, `row ${r} ack`);
        }
        if (style !== 'S') assert.strictEqual(p.tcpdump?.absoluteConversations, 0);
        else assert.strictEqual(p.tcpdump?.relativeConversations, 0);
        assert.strictEqual(p.tcpdump?.unknownBases, style === 'S' || style === 'vv' ? 0 : 1);
        assert.strictEqual(p.tcpdump?.probes, style === 'vv' ? 0 : 1);
        assert.strictEqual(t.seq[keepalive], 10);
      });
    }
    it('ISNs just under 2^32: relative numbers and raw ones both wrap', () => {
      const t = parseTcpdump(readText('craft.default.txt')).table;
      assert.strictEqual(t.seq[0], 0xfffffff0);
      assert.strictEqual(t.seq[6], (0xfffffff0 + 41) >>> 0, 'FIN after 40 bytes sits past the wrap');
      assert.strictEqual(t.ack[7], (0xfffffff0 + 42) >>> 0);
    });
    it('a 4-tuple reused without its SYN-ACK keeps the old bases, as tcpdump does', () => {
      const text = readText('craft.default.txt').split('\n');
      const t = parseTcpdump(readText('craft.default.txt')).table;
      // tcpdump printed "ack 1295167297" for ack 200001: relative to the previous incarnation.
      const r = 35;
      assert.match(text[t.line[r]], /ack 1295167297,/);
      assert.strictEqual(t.ack[r], 200001);
      assert.strictEqual(t.seq[r + 1], 100001);
    });
    it('flags and options in every order tcpdump prints them: [SEW], [S.E], [P.U], sack, a bare RST', () => {
      const t = parseTcpdump(readText('craft.default.txt')).table;
      const rows = caseRows(t, 40004);
      assert.strictEqual(t.flags[rows[0]], SYN | ECE | CWR);
      assert.strictEqual(t.flags[rows[1]], SYN | ACK | ECE);
      assert.strictEqual(t.opts[rows[5]] & OPT_SACK, OPT_SACK);
      assert.strictEqual(t.sackBlocks[rows[5]], 1);
      assert.strictEqual(t.flags[rows[6]], PSH | ACK | URG);
      assert.strictEqual(t.flags[rows[8]], 0x04);
      assert.strictEqual(t.seq[rows[8]], 557);
    });
    it('IPv6 with the same port on both sides', () => {
      const t = parseTcpdump(readText('craft.default.txt')).table;
      const rows = caseRows(t, 7000);
      assert.strictEqual(rows.length, 6);
      assert.strictEqual(t.endpoints.get(t.src[rows[0]]).addr, 'fd00::9:2');
      assert.strictEqual(t.seq[rows[2]], 31338);
      assert.strictEqual(t.ack[rows[2]], 4294000001);
    });
  });

  describe('as people paste it', () => {
    const real = readText('lo.default.txt').split('\n').filter((l) => l.includes('Flags ['));
    it('quoting, indentation, frame numbers, CRLF and trailing blanks change nothing', () => {
      const want = columns(parseTcpdump(real.join('\n')).table);
      const variants = [
        real.map((l) => `> ${l}`).join('\n'),
        real.map((l) => `>> ${l}`).join('\r\n'),
        real.map((l) => `    ${l}   `).join('\n'),
        real.map((l, i) => `${i + 1}  ${l}`).join('\n'),
        real.map((l, i) => `[${i + 1}] ${l}`).join('\n'),
        real.map((l) => `\t${l}`).join('\n'),
      ];
      for (const text of variants) {
        const p = parseTcpdump(text);
        assert.deepStrictEqual(p.errors, []);
        assert.deepStrictEqual(columns(p.table), want);
        assert.strictEqual(p.table.tsSec[0], parseTcpdump(real.join('\n')).table.tsSec[0]);
      }
    });
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
      assert.strictEqual(text.split('\n')[1].slice(p.errors[0].startCol, p.errors[0].endCol), '10.0.0.999');
      assert.strictEqual(p.skipped, 1);
    });
    it('errors name the fault and point at it', () => {
      const lines = [
        '12:00:00.000001 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [SX], seq 1, win 1, length 0',
        '12:00:00.000002 IP client.example.com.40000 > 10.0.0.2.http: Flags [S], seq 1, win 1, length 0',
        '12:00:00.000003 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq x, win 1, length 0',
        '12:00:00.000004 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 99999999999, win 1, length 0',
        '12:00:00.000005 IP 10.0.0.1.40000 > 10.0.0.2.80: tcp 0',
        'Flags [S], seq 1, win 1, length 0',
        '12:00:00.000007 IP 10.0.0.1.40000 > 10.0.0.2.nosuchservice: Flags [S], seq 1, win 1, length 0',
        '12:00:00.000008 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S, seq 1',
      ];
      const p = parseTcpdump(lines.join('\n'));
      assert.strictEqual(p.table.length, 0);
      const at = (i: number): string => lines[i].slice(p.errors[i].startCol, p.errors[i].endCol);
      assert.deepStrictEqual(
        p.errors.map((e) => e.line),
        [0, 1, 2, 3, 4, 5, 6, 7],
      );
      assert.strictEqual(at(0), 'X');
      assert.match(p.errors[0].message, /unknown TCP flag letter 'X'/);
      assert.strictEqual(at(1), 'client.example.com');
      assert.match(p.errors[1].message, /-nn/);
      assert.match(p.errors[2].message, /expected a number after 'seq'/);
      assert.strictEqual(at(3), '99999999999');
      assert.match(p.errors[4].message, /-q/);
      assert.match(p.errors[5].message, /SRC\.PORT > DST\.PORT/);
      assert.strictEqual(at(6), 'nosuchservice');
      assert.match(p.errors[7].message, /missing "\]"/);
    });
    it('tcpdump -n (service names for ports)', () => {
      const p = parseTcpdump('IP 10.0.0.1.40000 > 10.0.0.2.https: Flags [S], seq 1, win 1, length 0');
      assert.strictEqual(p.table.endpoints.get(p.table.dst[0]).port, 443);
    });
    it('no timestamp needs no IP prefix: a bare "a.p > b.q: Flags" line reads', () => {
      const p = parseTcpdump('10.0.0.1.40000 > 10.0.0.2.80: Flags [F.], seq 5, ack 7, win 1, length 0');
      assert.deepStrictEqual(p.errors, []);
      assert.strictEqual(p.table.flags[0], 0x11);
    });
    it('a "tcpdump ... -S" or "-ttt" command line in the text decides what auto-detection cannot', () => {
      // Small ISNs make both readings plausible; the command line says which.
      const body = [
        'IP 10.0.0.1.1000 > 10.0.0.2.80: Flags [S.], seq 5, ack 3, win 1, length 0',
        'IP 10.0.0.1.1000 > 10.0.0.2.80: Flags [.], seq 6:16, ack 3, win 1, length 10',
      ];
      const relative = parseTcpdump(['$ tcpdump -nn -r x.pcap', ...body].join('\n')).table;
      const absolute = parseTcpdump(['# tcpdump -nnS -r x.pcap', ...body].join('\n')).table;
      assert.strictEqual(relative.seq[1], 11);
      assert.strictEqual(absolute.seq[1], 6);
      const forced = parseTcpdump(body.join('\n'), { sequenceNumbers: 'absolute' }).table;
      assert.strictEqual(forced.seq[1], 6);
      const clock = ['00:00:01.000000 IP 10.0.0.1.1 > 10.0.0.2.2: Flags [S], seq 1, win 1, length 0', '00:00:02.000000 IP 10.0.0.1.1 > 10.0.0.2.2: Flags [R], seq 2, win 1, length 0'];
      assert.strictEqual(parseTcpdump(clock.join('\n')).table.tsSec[1], 2, 'read as time of day');
      assert.strictEqual(parseTcpdump(['tcpdump -ttt -nn -r x', ...clock].join('\n')).table.tsSec[1], 3, 'read as deltas');
    });
    it('time of day past midnight keeps counting; negative -ttt deltas go back', () => {
      const mk = (ts: string): string => `${ts} IP 10.0.0.1.1 > 10.0.0.2.2: Flags [R], seq 2, win 1, length 0`;
      const p = parseTcpdump([mk('23:59:59.999999'), mk('00:00:00.000001')].join('\n'));
      assert.strictEqual(p.table.timeString(1), '86400.000001000');
      const d = parseTcpdump([mk(' 00:00:00.000000'), mk(' 00:00:01.500000'), mk('-00:00:00.250000')].join('\n'));
      assert.strictEqual(d.tcpdump?.timestamps, 'delta');
      assert.strictEqual(d.table.timeString(2), '1.250000000');
      const nano = parseTcpdump(mk('1700000000.123456789'));
      assert.strictEqual(nano.table.timeString(0), '1700000000.123456789');
      const date = parseTcpdump(mk('2024-02-29 23:59:59.000000001'));
      assert.strictEqual(date.table.timeString(0), `${Date.UTC(2024, 1, 29, 23, 59, 59) / 1000}.000000001`);
    });
    it('sets the 0-based line of every row', () => {
      const text = readText('lo.v.txt');
      const p = parseTcpdump(text);
      const lines = text.split('\n');
      for (let r = 0; r < p.table.length; r++) assert.match(lines[p.table.line[r]], /Flags \[/);
    });
  });

  it('detects pasted text by its first lines', () => {
    assert.strictEqual(detectTraceFormat('> 12:00:00.1 IP 1.2.3.4.5 > 6.7.8.9.10: Flags [S], seq 1, win 1, length 0'), 'tcpdump');
    assert.strictEqual(detectTraceFormat('   TCP A            TCP B\n'), 'rfc');
    assert.strictEqual(detectTraceFormat('hello'), null);
    for (const style of STYLES) assert.strictEqual(detectTraceFormat(readText(`lo.${style}.txt`)), 'tcpdump', style);
    assert.strictEqual(detectTraceFormat(readText('rfc9293-simultaneous-close.tcptrace')), 'rfc');
    assert.strictEqual(parseTcpdump(readText('lo.e.txt')).firstLineLooksLike, 'tcpdump');
  });

  describe('never throws', () => {
    const samples = ['lo.default.txt', 'lo.v.txt', 'lo.e.txt', 'craft.vv.txt', 'lo.ttt.txt'].map(readText);
    const wellFormed = (text: string): void => {
      const p = parseTcpdump(text);
      const lines = text.split(/\r\n|\n|\r/);
      for (const e of p.errors) {
        assert.ok(e.line >= 0 && e.line < lines.length, 'error line in range');
        assert.ok(e.startCol >= 0 && e.endCol > e.startCol, 'error columns ordered');
        assert.ok(e.startCol <= lines[e.line].length, 'error starts on the line');
      }
      for (let r = 0; r < p.table.length; r++) assert.ok(p.table.line[r] >= 0 && p.table.line[r] < lines.length);
      analyze(p.table);
    };
    it('random strings', () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 300 }), (s) => wellFormed(s)),
        { numRuns: 500 },
      );
      fc.assert(
        fc.property(fc.array(fc.constantFrom('IP', ' ', '.', '>', ':', 'Flags [', ']', ',', 'seq', 'ack', '1', '10.0.0.1', '::1', 'S', 'length', '\n', '(', 'tos'), { maxLength: 80 }), (parts) =>
          wellFormed(parts.join('')),
        ),
        { numRuns: 500 },
      );
    });
    it('random mutations of real lines (delete, insert, duplicate, swap lines)', () => {
      const mutation = fc.record({
        sample: fc.nat(samples.length - 1),
        at: fc.nat(),
        len: fc.nat(40),
        insert: fc.string({ maxLength: 30 }),
        op: fc.constantFrom('delete', 'insert', 'duplicate', 'swap'),
      });
      fc.assert(
        fc.property(fc.array(mutation, { minLength: 1, maxLength: 8 }), (muts) => {
          let text = samples[muts[0].sample];
          for (const m of muts) {
            const at = m.at % (text.length + 1);
            if (m.op === 'delete') text = text.slice(0, at) + text.slice(at + m.len);
            else if (m.op === 'insert') text = text.slice(0, at) + m.insert + text.slice(at);
            else if (m.op === 'duplicate') text = text.slice(0, at) + text.slice(at, at + m.len) + text.slice(at);
            else {
              const lines = text.split('\n');
              const i = at % lines.length;
              const j = (at + m.len) % lines.length;
              [lines[i], lines[j]] = [lines[j], lines[i]];
              text = lines.join('\n');
            }
          }
          wellFormed(text);
        }),
        { numRuns: 400 },
      );
    });
  });
});
