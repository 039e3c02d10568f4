/**
 * Why each RST happened (issue 13): the reason code, its evidence and confidence, for the cases the
 * kernel fixtures do not cover (those are checked against the kernel's own trace in kernel.test.ts);
 * where the capture was taken (vantage) and the states a capture cannot show.
 */
import * as assert from 'assert';
import * as path from 'path';
import { analyze } from '../../../src/core/engine';
import { analysisJson } from '../../../src/core/report/json';
import { ladderText } from '../../../src/core/report/ladder';
import { parseRfcTrace } from '../../../src/core/text/rfc';
import { loadTrace } from '../../../src/node/loadTrace';
import { ACK, FIN, PSH, RST, SYN, established, run, type Seg } from './scenario';

const KERNEL = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'kernel');

/** The established connection, then the server's abort with an in-sequence RST,ACK. */
function abortAt(rst: Partial<Seg> = {}): Seg[] {
  return [...established(), { dir: 's>c', flags: RST | ACK, seq: 21, ack: 11, t: 0.01, ...rst }];
}

describe('why each RST happened', () => {
  it('test_abort: a RST,ACK from an ESTABLISHED side is an abort, "possible" (SO_LINGER 0 or unread data look the same)', () => {
    const c = run(abortAt()).connections[0];
    assert.strictEqual(c.reset?.reason, 'abort');
    assert.strictEqual(c.reset?.confidence, 'possible');
    assert.match(c.reset!.message, /SO_LINGER 0, or close\(\) with received data still unread/);
    assert.deepStrictEqual(c.rsts.map((x) => [x.row, x.effect]), [[7, 'reset']]);
    assert.deepStrictEqual(c.reset, c.rsts[0]);
    assert.ok(c.reset!.evidence.includes(7) && c.reset!.evidence.includes(3), 'the RST and the last data it received');
  });

  it('test_abort_unread_data: the window shrank by what the sender received, so the data sat unread', () => {
    const segs: Seg[] = [
      ...established().slice(0, 5),
      { dir: 's>c', flags: PSH | ACK, seq: 1, ack: 11, len: 20, t: 0.005, win: 5000 },
      // The client acknowledges 1020 bytes and its window drops by as much: nothing was read.
      { dir: 's>c', flags: PSH | ACK, seq: 21, ack: 11, len: 1000, t: 0.006, win: 5000 },
      { dir: 'c>s', flags: ACK, seq: 11, ack: 1021, t: 0.007, win: 63220 },
      { dir: 'c>s', flags: RST | ACK, seq: 11, ack: 1021, t: 0.2, win: 63220 },
    ];
    const c = run(segs).connections[0];
    assert.strictEqual(c.reset?.reason, 'abort-unread-data');
    assert.strictEqual(c.reset?.confidence, 'likely');
    assert.match(c.reset!.message, /received 1020 bytes .* window went from 64240 to 63220/);
  });

  it('test_rst_ttl_unlike_sender: a RST whose TTL no other segment of its sender has is a suspected injection', () => {
    const c = run(abortAt({ ttl: 57 })).connections[0];
    assert.strictEqual(c.reset?.reason, 'injected');
    assert.strictEqual(c.reset?.confidence, 'likely');
    assert.match(c.reset!.message, /TTL \(57\) is unlike every other segment of its claimed sender \(64\)/);
  });

  it('test_rst_ip_id_out_of_sequence: an IP ID that breaks the sender\'s numbering (and is not 0)', () => {
    const segs = established().map((s, i) => (s.dir === 's>c' ? { ...s, ipId: 1000 + i } : s));
    const c = run([...segs, { dir: 's>c', flags: RST | ACK, seq: 21, ack: 11, t: 0.01, ipId: 31337 }]).connections[0];
    assert.strictEqual(c.reset?.reason, 'injected');
    // In sequence, or 0 (a RST sent with no socket), is the sender's own.
    for (const id of [1006, 0]) {
      const own = run([...segs, { dir: 's>c', flags: RST | ACK, seq: 21, ack: 11, t: 0.01, ipId: id }]).connections[0];
      assert.strictEqual(own.reset?.reason, 'abort', `IP ID ${id}`);
    }
  });

  it('test_challenge_ack_exchange: in-window RST, challenge ACK, then the RST at exactly its ACK number (RFC 5961 3.2)', () => {
    const segs: Seg[] = [
      ...established(),
      // In the window but 100 past RCV.NXT: the client answers with a challenge ACK.
      { dir: 's>c', flags: RST, seq: 121, t: 0.01 },
      { dir: 'c>s', flags: ACK, seq: 11, ack: 21, t: 0.0101 },
      { dir: 's>c', flags: RST, seq: 21, t: 0.0102 },
    ];
    const c = run(segs).connections[0];
    assert.strictEqual(c.reset?.reason, 'challenge-ack-exchange');
    assert.strictEqual(c.reset?.confidence, 'certain');
    assert.deepStrictEqual(c.reset?.evidence.slice(0, 3), [7, 8, 9]);
    assert.deepStrictEqual(
      c.rsts.map((x) => [x.row, x.reason, x.effect]),
      [
        [7, 'in-window-challenged', 'ignored'],
        [9, 'challenge-ack-exchange', 'reset'],
      ],
    );
  });

  it('test_out_of_window_rst: ignored, and said so', () => {
    const segs: Seg[] = [...established(), { dir: 's>c', flags: RST, seq: 0, rawSeq: 0x7fff0000, t: 0.01 }, { dir: 'c>s', flags: FIN | ACK, seq: 11, ack: 21, t: 1 }];
    const c = run(segs).connections[0];
    const x = c.rsts.find((y) => y.row === 7)!;
    assert.deepStrictEqual([x.reason, x.effect, x.confidence], ['out-of-window', 'ignored', 'certain']);
  });

  it('test_time_wait_assassination: a RST reaching a side in TIME-WAIT (RFC 1337)', () => {
    const segs: Seg[] = [
      ...established(),
      { dir: 'c>s', flags: FIN | ACK, seq: 11, ack: 21, t: 1 },
      { dir: 's>c', flags: FIN | ACK, seq: 21, ack: 12, t: 1.001 },
      { dir: 'c>s', flags: ACK, seq: 12, ack: 22, t: 1.002 },
      // An old duplicate from the server reaches the client in TIME-WAIT, which answers with an ACK
      // of where it is; the server, which has no connection any more, answers that with a RST at
      // exactly its ACK number: acceptable, so it kills the TIME-WAIT (RFC 1337, hazard H1).
      { dir: 's>c', flags: PSH | ACK, seq: 1, ack: 11, len: 20, t: 2 },
      { dir: 'c>s', flags: ACK, seq: 12, ack: 22, t: 2.00005 },
      { dir: 's>c', flags: RST, seq: 22, t: 2.0001 },
    ];
    const c = run(segs).connections[0];
    const x = c.rsts[0];
    assert.strictEqual(x.reason, 'time-wait-assassination');
    assert.match(x.message, /reached the client in TIME-WAIT/);
    assert.ok(x.evidence.includes(8) && x.evidence.includes(12), 'the row that put the client in TIME-WAIT, and the RST');
  });

  it('the kernel fixtures: every RST has a reason, evidence frames within the connection, and the JSON carries them', () => {
    for (const name of ['06-abortive-close-linger0', '08-refused-closed-port', '18-keepalive-timeout', '20-injected-rst', '24-unacked-fin-then-rst']) {
      const loaded = loadTrace(path.join(KERNEL, `${name}.pcap`));
      const a = analyze(loaded.table, {});
      const doc = analysisJson(a, { format: 'pcap', packets: 0, tcpSegments: 0 });
      const expected: Record<string, string> = {
        '06-abortive-close-linger0': 'abort',
        '08-refused-closed-port': 'refused',
        '18-keepalive-timeout': 'keepalive-timeout',
        '20-injected-rst': 'injected',
        '24-unacked-fin-then-rst': 'no-connection',
      };
      const rsts = doc.connections.flatMap((c) => c.rsts);
      assert.deepStrictEqual(rsts.map((x) => x.reason), [expected[name]], name);
      if (name === '20-injected-rst') assert.deepStrictEqual([rsts[0].evidence, rsts[0].effect], [[8, 9], 'ignored']);
      if (name === '08-refused-closed-port') assert.deepStrictEqual([doc.connections[0].reset?.evidence, doc.connections[0].reset?.confidence], [[1, 2], 'certain']);
    }
  });
});

describe('vantage: where the capture was taken, from the handshake', () => {
  const hs = (t1: number, t2: number): Seg[] => [
    { dir: 'c>s', flags: SYN, seq: 0, t: 0 },
    { dir: 's>c', flags: SYN | ACK, seq: 0, ack: 1, t: t1 },
    { dir: 'c>s', flags: ACK, seq: 1, ack: 1, t: t1 + t2 },
  ];
  it('near the client: the round trip lies before the SYN-ACK', () => {
    const v = run(hs(0.04, 0.00002)).connections[0].vantage;
    assert.strictEqual(v.near, 'client');
    assert.match(v.note, /SYN to SYN-ACK 40\.0 ms, SYN-ACK to ACK 20 µs/);
  });
  it('near the server: the round trip lies after it', () => assert.strictEqual(run(hs(0.00003, 0.03)).connections[0].vantage.near, 'server'));
  it('between: both halves cross part of the path', () => assert.strictEqual(run(hs(0.012, 0.02)).connections[0].vantage.near, 'between'));
  it('too short a round trip to tell (the kernel fixtures: two namespaces on one veth)', () => {
    assert.strictEqual(run(hs(0.000038, 0.000017)).connections[0].vantage.near, 'unknown');
    const a = analyze(loadTrace(path.join(KERNEL, '01-client-active-close.pcap')).table, {});
    assert.match(a.connections[0].vantage.note, /too short to place the capture point/);
  });
  it('no handshake, no vantage', () => {
    const c = run(established().slice(3)).connections[0];
    assert.deepStrictEqual([c.vantage.near, Number.isNaN(c.vantage.synToSynAck)], ['unknown', true]);
  });
});

describe('states a capture cannot show are said so in words, never as a state name', () => {
  it('a SYN never answered: the server sent nothing, its state is not knowable (JSON null, a note, "?" in the ladder)', () => {
    const a = run([
      { dir: 'c>s', flags: SYN, seq: 0, t: 0 },
      { dir: 'c>s', flags: SYN, seq: 0, t: 1 },
    ]);
    const c = a.connections[0];
    const doc = analysisJson(a, { format: 'pcap', packets: 2, tcpSegments: 2 });
    assert.deepStrictEqual(doc.connections[0].finalState, { client: 'SYN-SENT', server: null });
    assert.match(doc.connections[0].stateNotes.server ?? '', /the server sent nothing in the capture, so whether anything reached it, and its state, are not knowable/);
    const ladder = ladderText(a, c);
    assert.ok(!ladder.includes('UNKNOWN'), ladder);
    assert.match(ladder, /# \? \(TCP B\): the server sent nothing/);
    // The ladder still reads back as an RFC figure ("?" claims nothing).
    assert.deepStrictEqual(parseRfcTrace(ladder).errors, []);
  });
});
