import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { analyze, KIND_ZERO_WINDOW, STATES } from '../../../src/core/engine';
import { ACK, FIN, OPT_NO_WINDOW, RST, SYN } from '../../../src/core/model/segment';
import { toTcpdumpText } from '../../../src/core/text/render';
import { normalizeState, parseRfcTrace } from '../../../src/core/text/rfc';
import type { TraceParse } from '../../../src/core/text/types';
import { ladderText } from '../../../src/core/report/ladder';

const TEXT = path.join(__dirname, '../../../../test/fixtures/text');
const read = (n: string): string => fs.readFileSync(path.join(TEXT, n), 'utf8');

/** The steps as short strings: "close A", "send 0 A>B", "arrive 0", "A ESTABLISHED" ... */
function story(p: TraceParse): string[] {
  const t = p.table;
  const name = (ep: number): string => {
    // A is the sender of A's rows; in these figures A is the endpoint with the lower address or port.
    const e = t.endpoints.get(ep);
    return e.addr.endsWith('.1') || e.addr.endsWith('::1') || e.port >= 1024 ? 'A' : 'B';
  };
  return p.steps!.map((s) => {
    switch (s.kind) {
      case 'segment':
        return `send ${s.row} ${name(t.src[s.row])}>${name(t.dst[s.row])}`;
      case 'arrive':
        return `arrive ${s.row}`;
      case 'close':
        return `close ${name(s.endpoint)}`;
      case 'timeout':
        return `2msl ${name(s.endpoint)}`;
      default:
        return `${name(s.endpoint)} ${s.state}`;
    }
  });
}

const NORMAL_STORY = [
  'A ESTABLISHED',
  'B ESTABLISHED',
  'close A',
  'send 0 A>B',
  'arrive 0',
  'A FIN-WAIT-1',
  'B CLOSE-WAIT',
  'send 1 B>A',
  'arrive 1',
  'A FIN-WAIT-2',
  'B CLOSE-WAIT',
  'close B',
  'send 2 B>A',
  'arrive 2',
  'A TIME-WAIT',
  'B LAST-ACK',
  'send 3 A>B',
  'arrive 3',
  'A TIME-WAIT',
  'B CLOSED',
  '2msl A',
  'A CLOSED',
];

const SIMULTANEOUS_STORY = [
  'A ESTABLISHED',
  'B ESTABLISHED',
  'close A',
  'close B',
  'send 0 A>B', // FIN-WAIT-1  --> <SEQ=100>...  ...   (in flight)
  'A FIN-WAIT-1',
  'B FIN-WAIT-1',
  'send 1 B>A', //             <-- <SEQ=300>...  <--   (B's FIN, received at once)
  'arrive 1',
  'arrive 0', //               ... <SEQ=100>...  -->   (A's FIN arrives)
  'send 2 A>B',
  'A CLOSING',
  'B CLOSING',
  'send 3 B>A',
  'arrive 3',
  'arrive 2',
  'A TIME-WAIT',
  'B TIME-WAIT',
  '2msl A',
  '2msl B',
  'A CLOSED',
  'B CLOSED',
];

describe('RFC figure notation', () => {
  describe('the seed figures (RFC 793 / 9293 3.6), exactly as printed', () => {
    it('normal close: no error, 4 segments, every event and claim in order', () => {
      const p = parseRfcTrace(read('rfc9293-normal-close.tcptrace'));
      assert.deepStrictEqual(p.errors, []);
      assert.strictEqual(p.table.length, 4);
      assert.deepStrictEqual(story(p), NORMAL_STORY);
      const t = p.table;
      assert.deepStrictEqual([t.seq[0], t.ack[0], t.flags[0]], [100, 300, FIN | ACK]);
      assert.deepStrictEqual([t.seq[3], t.ack[3], t.flags[3]], [101, 301, ACK]);
    });

    it('simultaneous close: 4 segments, 2 of them delivered by later "..." lines', () => {
      const p = parseRfcTrace(read('rfc9293-simultaneous-close.tcptrace'));
      assert.deepStrictEqual(p.errors, []);
      assert.strictEqual(p.table.length, 4);
      assert.deepStrictEqual(story(p), SIMULTANEOUS_STORY);
      const lines = read('rfc9293-simultaneous-close.tcptrace').split('\n');
      const separate = p.steps!.filter((s) => s.kind === 'arrive' && p.steps!.find((x) => x.kind === 'segment' && x.row === s.row)!.line !== s.line);
      assert.strictEqual(separate.length, 2);
      for (const s of separate) assert.match(lines[s.line], /^\s+\.\.\. <SEQ=/);
    });

    it('claims carry their exact columns', () => {
      const text = read('rfc9293-normal-close.tcptrace');
      const lines = text.split('\n');
      for (const s of parseRfcTrace(text).steps!) {
        if (s.kind === 'claim') assert.strictEqual(lines[s.line].slice(s.startCol, s.endCol), s.state);
      }
    });

    it('the engine confirms every state both figures print', () => {
      const p = parseRfcTrace(read('rfc9293-normal-close.tcptrace'));
      const a = analyze(p.table, {}, p.steps);
      assert.deepStrictEqual(a.findings.map((f) => f.code), []);
      assert.deepStrictEqual([...Array(4).keys()].map((r) => [STATES[a.clientAfter[r]], STATES[a.serverAfter[r]]]), [
        ['FIN-WAIT-1', 'CLOSE-WAIT'],
        ['FIN-WAIT-2', 'CLOSE-WAIT'],
        ['TIME-WAIT', 'LAST-ACK'],
        ['TIME-WAIT', 'CLOSED'],
      ]);
      const q = parseRfcTrace(read('rfc9293-simultaneous-close.tcptrace'));
      const b = analyze(q.table, {}, q.steps);
      assert.deepStrictEqual(b.findings.map((f) => f.code), ['simultaneous-close']);
      assert.strictEqual(b.connections[0].closeInitiator, 'simultaneous');
      assert.deepStrictEqual([STATES[b.clientAfter[1]], STATES[b.serverAfter[1]]], ['CLOSING', 'CLOSING']);
    });

    it('the whole seed document (prose, headings, captions, both figures) reads with no error', () => {
      const p = parseRfcTrace(read('seed-002-tcp-connection-closing.txt'));
      assert.deepStrictEqual(p.errors, []);
      assert.strictEqual(p.table.length, 8);
      assert.ok(p.skipped > 10, 'the prose is skipped');
      // Each figure is a connection of its own, with endpoints of its own.
      const t = p.table;
      const ep = (id: number): string => `${t.endpoints.get(id).addr}:${t.endpoints.get(id).port}`;
      assert.deepStrictEqual([ep(t.src[0]), ep(t.dst[0]), ep(t.src[4]), ep(t.dst[4])], ['192.0.2.1:1024', '192.0.2.2:80', '192.0.2.1:1025', '192.0.2.3:80']);
      const a = analyze(p.table, {}, p.steps);
      assert.strictEqual(a.connections.length, 2);
      assert.deepStrictEqual(a.findings.filter((f) => f.code === 'state-claim-mismatch'), []);
      assert.strictEqual(story(p).length, NORMAL_STORY.length + SIMULTANEOUS_STORY.length);
    });
  });

  describe('other RFC 9293 figures', () => {
    it('figure 6, the three-way handshake ("TCP Peer A", <DATA> without a length)', () => {
      const p = parseRfcTrace(
        [
          '    TCP Peer A                                           TCP Peer B',
          '',
          '1.  CLOSED                                               LISTEN',
          '',
          '2.  SYN-SENT    --> <SEQ=100><CTL=SYN>               --> SYN-RECEIVED',
          '',
          '3.  ESTABLISHED <-- <SEQ=300><ACK=101><CTL=SYN,ACK>  <-- SYN-RECEIVED',
          '',
          '4.  ESTABLISHED --> <SEQ=101><ACK=301><CTL=ACK>       --> ESTABLISHED',
          '',
          '5.  ESTABLISHED --> <SEQ=101><ACK=301><CTL=ACK><DATA> --> ESTABLISHED',
        ].join('\n'),
      );
      assert.deepStrictEqual(p.errors, []);
      assert.strictEqual(p.table.length, 4);
      assert.deepStrictEqual([p.table.flags[0], p.table.flags[1]], [SYN, SYN | ACK]);
      assert.strictEqual(p.table.len[3], 1);
      const a = analyze(p.table, {}, p.steps);
      assert.deepStrictEqual(a.findings.filter((f) => f.code === 'state-claim-mismatch'), []);
    });

    it('figure 7, simultaneous open: SYNs in flight both ways', () => {
      const p = parseRfcTrace(
        [
          '    TCP Peer A                                       TCP Peer B',
          '',
          '1.  CLOSED                                           CLOSED',
          '',
          '2.  SYN-SENT     --> <SEQ=100><CTL=SYN>              ...',
          '',
          '3.  SYN-RECEIVED <-- <SEQ=300><CTL=SYN>              <-- SYN-SENT',
          '',
          '4.               ... <SEQ=100><CTL=SYN>              --> SYN-RECEIVED',
          '',
          '5.  SYN-RECEIVED --> <SEQ=100><ACK=301><CTL=SYN,ACK> ...',
          '',
          '6.  ESTABLISHED  <-- <SEQ=300><ACK=101><CTL=SYN,ACK> <-- SYN-RECEIVED',
          '',
          '7.               ... <SEQ=100><ACK=301><CTL=SYN,ACK> --> ESTABLISHED',
        ].join('\n'),
      );
      assert.deepStrictEqual(p.errors, []);
      assert.strictEqual(p.table.length, 4);
      assert.deepStrictEqual(story(p), [
        'A CLOSED',
        'B CLOSED',
        'send 0 A>B',
        'A SYN-SENT',
        'send 1 B>A',
        'arrive 1',
        'A SYN-RECEIVED',
        'B SYN-SENT',
        'arrive 0',
        'B SYN-RECEIVED',
        'send 2 A>B',
        'A SYN-RECEIVED',
        'send 3 B>A',
        'arrive 3',
        'A ESTABLISHED',
        'B SYN-RECEIVED',
        'arrive 2',
        'B ESTABLISHED',
      ]);
    });

    it('figure 8, an old duplicate SYN: a segment shown only arriving gets a row and no send', () => {
      const p = parseRfcTrace(
        [
          '    TCP Peer A                                           TCP Peer B',
          '',
          '1.  CLOSED                                               LISTEN',
          '',
          '2.  SYN-SENT    --> <SEQ=100><CTL=SYN>               ...',
          '',
          '3.  (duplicate) ... <SEQ=90><CTL=SYN>               --> SYN-RECEIVED',
          '',
          '4.  SYN-SENT    <-- <SEQ=300><ACK=91><CTL=SYN,ACK>  <-- SYN-RECEIVED',
          '',
          '5.  SYN-SENT    --> <SEQ=91><CTL=RST>               --> LISTEN',
          '',
          '6.              ... <SEQ=100><CTL=SYN>               --> SYN-RECEIVED',
          '',
          '7.  ESTABLISHED <-- <SEQ=400><ACK=101><CTL=SYN,ACK>  <-- SYN-RECEIVED',
          '',
          '8.  ESTABLISHED --> <SEQ=101><ACK=401><CTL=ACK>      --> ESTABLISHED',
        ].join('\n'),
      );
      assert.deepStrictEqual(p.errors, []);
      assert.strictEqual(p.table.length, 6);
      assert.strictEqual(p.table.seq[1], 90);
      assert.ok(!p.steps!.some((s) => s.kind === 'segment' && s.row === 1), 'the duplicate is never sent in the figure');
      assert.ok(p.steps!.some((s) => s.kind === 'arrive' && s.row === 1 && s.line === 6));
      assert.strictEqual(p.table.flags[3], RST);
      // The first SYN (row 0) arrives on line 12, after the RST.
      assert.ok(p.steps!.some((s) => s.kind === 'arrive' && s.row === 0 && s.line === 12));
    });
  });

  describe('claims', () => {
    it('state spellings are normalized to RFC 9293', () => {
      const cases: [string, string][] = [
        ['FIN_WAIT_1', 'FIN-WAIT-1'],
        ['FIN-WAIT1', 'FIN-WAIT-1'],
        ['fin-wait-2', 'FIN-WAIT-2'],
        ['SYN_RCVD', 'SYN-RECEIVED'],
        ['SYN-RCVD', 'SYN-RECEIVED'],
        ['SYN_RECV', 'SYN-RECEIVED'],
        ['ESTAB', 'ESTABLISHED'],
        ['time_wait', 'TIME-WAIT'],
        ['LAST_ACK', 'LAST-ACK'],
        ['CloseWait', 'CLOSE-WAIT'],
      ];
      for (const [word, rfc] of cases) assert.strictEqual(normalizeState(word), rfc, word);
      assert.strictEqual(normalizeState('CLOSE'), null);
      const p = parseRfcTrace(['  TCP A                          TCP B', '  1.  ESTAB                     SYN_RCVD', '  2.  FIN_WAIT_1 --> <SEQ=1><ACK=1><CTL=FIN,ACK> --> close_wait'].join('\n'));
      assert.deepStrictEqual(p.errors, []);
      assert.deepStrictEqual(story(p).filter((s) => !s.startsWith('send') && !s.startsWith('arrive')), ['A ESTABLISHED', 'B SYN-RECEIVED', 'A FIN-WAIT-1', 'B CLOSE-WAIT']);
    });

    it('an unknown word is a positioned error with a suggestion; ? and UNKNOWN claim nothing', () => {
      const text = read('rfc9293-normal-close.tcptrace').replace('FIN-WAIT-2  <--', 'TIME-WAIT   <--').replace('  5.  TIME-WAIT', '  5.  TIME-WATE');
      const p = parseRfcTrace(text);
      assert.strictEqual(p.errors.length, 1);
      assert.match(p.errors[0].message, /"TIME-WATE" is not a TCP state.*did you mean TIME-WAIT\?/);
      assert.strictEqual(text.split('\n')[p.errors[0].line].slice(p.errors[0].startCol, p.errors[0].endCol), 'TIME-WATE');
      assert.strictEqual(p.errors[0].replacement, 'TIME-WAIT', 'the suggestion, for a quick fix');
      assert.strictEqual(parseRfcTrace('  TCP A      TCP B\n  1.  QWERTYUIOP').errors[0].replacement, undefined, 'nothing close: no suggestion');
      const a = analyze(p.table, {}, p.steps);
      const m = a.findings.find((f) => f.code === 'state-claim-mismatch');
      assert.ok(m);
      assert.match(m.message, /says the client is TIME-WAIT here, but the segments imply FIN-WAIT-2/);
      assert.strictEqual(m.line, text.split('\n').findIndex((l) => l.includes('TIME-WAIT   <--')));
      const q = parseRfcTrace(['  TCP A              TCP B', '  1.  ?              UNKNOWN', '  2.  ??  --> <SEQ=1><CTL=RST> --> ?'].join('\n'));
      assert.deepStrictEqual(q.errors, []);
      assert.ok(!q.steps!.some((s) => s.kind === 'claim'));
    });

    it('(Close) on a segment line comes before the send; (2 MSL) after the claims; remarks are ignored', () => {
      const p = parseRfcTrace(
        ['  TCP A                                            TCP B', '  1.  (Close) FIN-WAIT-1 --> <SEQ=5><ACK=9><CTL=FIN,ACK> --> CLOSE-WAIT (sleepy)', '  2.  TIME-WAIT (2 MSL) CLOSED'].join('\n'),
      );
      assert.deepStrictEqual(p.errors, []);
      assert.deepStrictEqual(story(p), ['close A', 'send 0 A>B', 'arrive 0', 'A FIN-WAIT-1', 'B CLOSE-WAIT', 'A TIME-WAIT', '2msl A', 'A CLOSED']);
      assert.match(parseRfcTrace('  TCP A      TCP B\n  1.  (Clsoe)').errors[0].message, /did you mean \(Close\)\?/);
      assert.strictEqual(parseRfcTrace('  TCP A      TCP B\n  1.  (Clsoe)').errors[0].replacement, '(Close)');
      assert.strictEqual(parseRfcTrace('  TCP A      TCP B\n  1.  (2 MSK)').errors[0].replacement, '(2 MSL)');
    });
  });

  describe('endpoints and times', () => {
    it('from the header, from directives, IPv6 in brackets or as the ladder writes it', () => {
      const q = parseRfcTrace(['   TCP A (10.1.1.1:5555)        TCP B (10.1.1.2:443)', '  1. @0.5 FIN-WAIT-1 --> <SEQ=1><ACK=1><CTL=FIN,ACK> --> CLOSE-WAIT'].join('\n'));
      assert.deepStrictEqual(q.errors, []);
      assert.strictEqual(q.table.endpoints.get(q.table.src[0]).addr, '10.1.1.1');
      assert.strictEqual(q.table.endpoints.get(q.table.dst[0]).port, 443);
      assert.strictEqual(q.table.timeString(0), '0.500000000');
      const d = parseRfcTrace(['# A = [2001:db8::1]:40000', '# B = 2001:db8::2.80', '  1.  SYN-SENT --> <SEQ=1><CTL=SYN> --> SYN-RECEIVED'].join('\n'));
      assert.deepStrictEqual(d.errors, []);
      const ea = d.table.endpoints.get(d.table.src[0]);
      const eb = d.table.endpoints.get(d.table.dst[0]);
      assert.deepStrictEqual([ea.ipVersion, ea.addr, ea.port, eb.addr, eb.port], [6, '2001:db8::1', 40000, '2001:db8::2', 80]);
      const l = parseRfcTrace(['    TCP A (fd88::1:40013)          TCP B (fd88::2:8080)', '  1. SYN-SENT --> <SEQ=1><CTL=SYN> --> SYN-RECEIVED'].join('\n'));
      assert.deepStrictEqual(l.errors, []);
      assert.strictEqual(l.table.endpoints.get(l.table.dst[0]).port, 8080);
    });

    it('mixed or unreadable endpoints are positioned errors and the figure still reads', () => {
      const p = parseRfcTrace(['   TCP A (10.1.1.1:5555)        TCP B ([2001:db8::2]:443)', '  1. @0.5 FIN-WAIT-1 --> <SEQ=1><ACK=1><CTL=FIN,ACK> --> CLOSE-WAIT'].join('\n'));
      assert.strictEqual(p.errors.length, 1, 'mixed IPv4/IPv6 endpoints are an error');
      assert.strictEqual(p.table.length, 1);
      const q = parseRfcTrace('# A = 10.0.0.300:1\n  1. SYN-SENT --> <SEQ=1><CTL=SYN> --> LISTEN');
      assert.strictEqual(q.errors.length, 1);
      assert.strictEqual('# A = 10.0.0.300:1'.slice(q.errors[0].startCol, q.errors[0].endCol), '10.0.0.300:1');
    });

    it('@T sets the clock (after # t0), @+D advances it, the clock holds; no @ means no time', () => {
      const p = parseRfcTrace(
        [
          '# t0 = 1700000000.5',
          '  TCP A                                  TCP B',
          '  1. --> <SEQ=1><CTL=SYN> --> @0.25',
          '  2. <-- <SEQ=9><ACK=2><CTL=SYN,ACK> <--',
          '  3. --> <SEQ=2><ACK=10><CTL=ACK> -->   @+1.000000001',
        ].join('\n'),
      );
      assert.deepStrictEqual(p.errors, []);
      assert.deepStrictEqual([0, 1, 2].map((r) => p.table.timeString(r)), ['1700000000.750000000', '1700000000.750000000', '1700000001.750000001']);
      assert.ok(Number.isNaN(parseRfcTrace('  1. --> <SEQ=1><CTL=SYN> -->').table.tsSec[0]));
    });
  });

  describe('segments', () => {
    it('fields: DATA=n, LEN=n, WND=n, bare DATA sized by what follows, CTL in any case', () => {
      const p = parseRfcTrace(
        [
          '  1. --> <SEQ=1><ACK=1><CTL=psh,ack><DATA> -->',
          '  2. --> <SEQ=41><ACK=1><CTL=ACK><LEN=10><WND=512> -->',
          '  3. <-- <SEQ=1><ACK=51><CTL=ACK><DATA=7> <--',
          '  4. --> <SEQ=51><ACK=8><CTL=FIN,ACK><DATA=hello> -->',
        ].join('\n'),
      );
      assert.deepStrictEqual(p.errors, []);
      assert.deepStrictEqual([p.table.len[0], p.table.len[1], p.table.len[2], p.table.len[3]], [40, 10, 7, 5]);
      assert.strictEqual(p.table.win[1], 512);
    });

    it('what cannot be read is positioned, and the rest still reads', () => {
      const lines = [
        '  1. --> <SEQ=x><CTL=SYN> -->',
        '  2. --> <SEQ=1><CTL=SYN,BOGUS> -->',
        '  3. --> <SEQ=1><FOO=2> -->',
        '  4. --> <SEQ=1><CTL=SYN> <--',
        '  5.     <SEQ=1><CTL=SYN>',
        '  6. ... <SEQ=1><CTL=SYN> ...',
        '  7. --> <SEQ=1><CTL=SYN> -->',
        '  8. -->',
      ];
      const p = parseRfcTrace(lines.join('\n'));
      assert.strictEqual(p.table.length, 1);
      assert.deepStrictEqual(p.errors.map((e) => e.line), [0, 1, 2, 3, 4, 5, 7]);
      const at = (i: number): string => lines[p.errors[i].line].slice(p.errors[i].startCol, p.errors[i].endCol);
      assert.strictEqual(at(0), '<SEQ=x>');
      assert.strictEqual(at(1), 'BOGUS');
      assert.strictEqual(at(2), '<FOO=2>');
      assert.match(p.errors[3].message, /different ways/);
      assert.match(p.errors[4].message, /needs an arrow/);
      assert.match(p.errors[5].message, /needs an arrow/);
      assert.match(p.errors[6].message, /arrow without a segment/);
    });

    it('an arrival matches the earliest segment of its direction in flight with the same SEQ/ACK/CTL', () => {
      const p = parseRfcTrace(
        [
          '  TCP A                                       TCP B',
          '  1. --> <SEQ=1><ACK=1><CTL=ACK><DATA=5> ...',
          '  2. --> <SEQ=1><ACK=1><CTL=ACK><DATA=5> ...', // a retransmission
          '  3. --> <SEQ=6><ACK=1><CTL=FIN,ACK>     ...',
          '  4. ... <SEQ=6><ACK=1><CTL=FIN,ACK>     -->',
          '  5. ... <SEQ=1><ACK=1><CTL=ACK><DATA=5> -->',
          '  6. ... <SEQ=1><ACK=1><CTL=ACK><DATA=5> -->',
        ].join('\n'),
      );
      assert.deepStrictEqual(p.errors, []);
      assert.deepStrictEqual(
        p.steps!.filter((s) => s.kind === 'arrive').map((s) => s.row),
        [2, 0, 1],
      );
    });
  });

  it('a figure that gives no window claims no zero window; <WND=0> does', () => {
    const p = parseRfcTrace(read('rfc9293-normal-close.tcptrace'));
    const a = analyze(p.table, {}, p.steps);
    assert.ok(p.table.length >= 4);
    for (let r = 0; r < p.table.length; r++) {
      assert.strictEqual(a.rowKind[r] & KIND_ZERO_WINDOW, 0, `row ${r}`);
      assert.ok(p.table.opts[r] & OPT_NO_WINDOW);
    }
    assert.doesNotMatch(toTcpdumpText(p.table), /options \[\]/);
    const z = parseRfcTrace('TCP A    TCP B\n1. ESTABLISHED --> <SEQ=100><ACK=300><CTL=ACK><WND=0> --> ESTABLISHED\n');
    assert.deepStrictEqual(z.errors, []);
    assert.strictEqual(analyze(z.table, {}, z.steps).rowKind[0] & KIND_ZERO_WINDOW, KIND_ZERO_WINDOW);
    assert.strictEqual(z.table.opts[0] & OPT_NO_WINDOW, 0);
  });

  it('the analyze ladder is itself a figure that reads back to the same states', () => {
    const p = parseRfcTrace(read('rfc9293-normal-close.tcptrace'));
    const a = analyze(p.table, {}, p.steps);
    const ladder = ladderText(a, a.connections[0], { relative: false });
    const back = parseRfcTrace(ladder);
    assert.deepStrictEqual(back.errors, []);
    assert.strictEqual(back.table.length, 4);
    const b = analyze(back.table, {}, back.steps);
    assert.deepStrictEqual(b.findings.filter((f) => f.code === 'state-claim-mismatch'), []);
  });

  describe('never throws', () => {
    const samples = [read('rfc9293-simultaneous-close.tcptrace'), read('rfc9293-normal-close.tcptrace'), read('seed-002-tcp-connection-closing.txt')];
    const wellFormed = (text: string): void => {
      const p = parseRfcTrace(text);
      const lines = text.split(/\r\n|\n|\r/);
      for (const e of p.errors) {
        assert.ok(e.line >= 0 && e.line < lines.length);
        assert.ok(e.startCol >= 0 && e.endCol > e.startCol);
      }
      for (const s of p.steps!) {
        if (s.kind === 'segment' || s.kind === 'arrive') assert.ok(s.row >= 0 && s.row < p.table.length);
        else assert.ok(s.endpoint >= 0 && s.endpoint < p.table.endpoints.list.length);
      }
      analyze(p.table, {}, p.steps);
    };
    it('random strings and notation fragments', () => {
      fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => wellFormed(s)), { numRuns: 400 });
      fc.assert(
        fc.property(
          fc.array(fc.constantFrom('-->', '<--', '...', '<SEQ=1>', '<ACK=2>', '<CTL=FIN,ACK>', '<DATA>', 'FIN-WAIT-1', '(Close)', '(2 MSL)', 'TCP A', 'TCP B', '  ', '\n', '1.', '@1.5', '# A = 10.0.0.1:1', '#', '('), { maxLength: 60 }),
          (parts) => wellFormed(parts.join(' ')),
        ),
        { numRuns: 400 },
      );
    });
    it('random mutations of the seed figures', () => {
      fc.assert(
        fc.property(fc.nat(samples.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(30), fc.string({ maxLength: 20 })), { minLength: 1, maxLength: 6 }), (k, muts) => {
          let text = samples[k];
          for (const [at0, len, ins] of muts) {
            const at = at0 % (text.length + 1);
            text = text.slice(0, at) + ins + text.slice(at + len);
          }
          wellFormed(text);
        }),
        { numRuns: 400 },
      );
    });
  });
});
