import * as assert from 'assert';
import { ACK, FIN, PSH, RST, SYN, after, codes, established, run, type Seg } from './scenario';
import type { Analysis } from '../../../src/core/engine';

describe('engine: scenarios per state and event (sequence numbers across 2^32)', () => {
  it('test_handshake_states', () => {
    const a = run(established().slice(0, 3));
    assert.deepStrictEqual(after(a), [
      // The SYN-ACK that acknowledges it proves the SYN was received on arrival (RFC 9293 figure 6).
      ['SYN-SENT', 'SYN-RECEIVED'],
      ['ESTABLISHED', 'SYN-RECEIVED'],
      ['ESTABLISHED', 'ESTABLISHED'],
    ]);
    assert.deepStrictEqual(a.connections[0].initialState, { client: 'CLOSED', server: 'LISTEN' });
  });

  it('test_established_client_close (normal four-way, client first)', () => {
    const a = run([
      ...established(),
      { dir: 'c>s', flags: FIN | ACK, seq: 11, ack: 21, t: 1 },
      { dir: 's>c', flags: ACK, seq: 21, ack: 12, t: 1.001 },
      { dir: 's>c', flags: FIN | ACK, seq: 21, ack: 12, t: 1.2 },
      { dir: 'c>s', flags: ACK, seq: 12, ack: 22, t: 1.201 },
    ]);
    assert.deepStrictEqual(after(a).slice(7), [
      ['FIN-WAIT-1', 'CLOSE-WAIT'],
      ['FIN-WAIT-2', 'CLOSE-WAIT'],
      ['TIME-WAIT', 'LAST-ACK'],
      ['TIME-WAIT', 'CLOSED'],
    ]);
    const c = a.connections[0];
    assert.strictEqual(c.closeInitiator, 'client');
    assert.strictEqual(c.outcome, 'graceful');
    assert.deepStrictEqual(c.finalState, { client: 'TIME-WAIT', server: 'CLOSED' });
    assert.deepStrictEqual(codes(a), []);
  });

  it('test_established_server_close', () => {
    const a = run([
      ...established(),
      { dir: 's>c', flags: FIN | ACK, seq: 21, ack: 11, t: 1 },
      { dir: 'c>s', flags: ACK, seq: 11, ack: 22, t: 1.001 },
      { dir: 'c>s', flags: FIN | ACK, seq: 11, ack: 22, t: 1.2 },
      { dir: 's>c', flags: ACK, seq: 22, ack: 12, t: 1.201 },
    ]);
    assert.deepStrictEqual(a.connections[0].finalState, { client: 'CLOSED', server: 'TIME-WAIT' });
    assert.strictEqual(a.connections[0].closeInitiator, 'server');
    assert.deepStrictEqual(codes(a), []);
  });

  it('test_simultaneous_close judged from ACK evidence, not capture order', () => {
    const a = run([
      ...established(),
      { dir: 'c>s', flags: FIN | ACK, seq: 11, ack: 21, t: 1 },
      // The server's FIN acknowledges only up to 21: it had not received the client's FIN.
      { dir: 's>c', flags: FIN | ACK, seq: 21, ack: 11, t: 1.0001 },
      { dir: 'c>s', flags: ACK, seq: 12, ack: 22, t: 1.0002 },
      { dir: 's>c', flags: ACK, seq: 22, ack: 12, t: 1.0003 },
    ]);
    const states = after(a).slice(7);
    assert.deepStrictEqual(states[0], ['FIN-WAIT-1', 'ESTABLISHED']);
    assert.deepStrictEqual(states[1], ['CLOSING', 'CLOSING']);
    assert.deepStrictEqual(states[3], ['TIME-WAIT', 'TIME-WAIT']);
    assert.strictEqual(a.connections[0].closeInitiator, 'simultaneous');
    assert.strictEqual(a.connections[0].outcome, 'simultaneous');
    assert.deepStrictEqual(codes(a), ['simultaneous-close']);
  });

  it('test_fin_wait_1_fin_ack_goes_to_time_wait (FIN that also acknowledges our FIN)', () => {
    const a = run([
      ...established(),
      { dir: 'c>s', flags: FIN | ACK, seq: 11, ack: 21, t: 1 },
      { dir: 's>c', flags: FIN | ACK, seq: 21, ack: 12, t: 1.001 },
      { dir: 'c>s', flags: ACK, seq: 12, ack: 22, t: 1.002 },
    ]);
    assert.deepStrictEqual(after(a).slice(7), [
      ['FIN-WAIT-1', 'CLOSE-WAIT'],
      ['TIME-WAIT', 'LAST-ACK'],
      ['TIME-WAIT', 'CLOSED'],
    ]);
    assert.strictEqual(a.connections[0].closeInitiator, 'client');
  });

  it('test_fin_with_data counts the FIN after the payload', () => {
    const a = run([
      ...established(),
      { dir: 'c>s', flags: FIN | PSH | ACK, seq: 11, ack: 21, len: 5, t: 1 },
      { dir: 's>c', flags: ACK, seq: 21, ack: 17, t: 1.001 },
      { dir: 's>c', flags: FIN | ACK, seq: 21, ack: 17, t: 1.002 },
      { dir: 'c>s', flags: ACK, seq: 17, ack: 22, t: 1.003 },
    ]);
    assert.deepStrictEqual(a.connections[0].finalState, { client: 'TIME-WAIT', server: 'CLOSED' });
    assert.deepStrictEqual(codes(a), []);
  });

  it('test_close_wait_lingering when the server never closes', () => {
    const a = run([
      ...established(),
      { dir: 'c>s', flags: FIN | ACK, seq: 11, ack: 21, t: 1 },
      { dir: 's>c', flags: ACK, seq: 21, ack: 12, t: 1.04 },
    ]);
    assert.deepStrictEqual(a.connections[0].finalState, { client: 'FIN-WAIT-2', server: 'CLOSE-WAIT' });
    assert.deepStrictEqual(codes(a), ['lingering-half-close']);
    assert.match(a.findings[0].message, /server never closed/);
    assert.strictEqual(a.connections[0].outcome, 'half-closed');
  });

  it('test_close_wait_data is legal half-close data, not a violation', () => {
    const a = run([
      ...established(),
      { dir: 'c>s', flags: FIN | ACK, seq: 11, ack: 21, t: 1 },
      { dir: 's>c', flags: ACK, seq: 21, ack: 12, t: 1.001 },
      { dir: 's>c', flags: PSH | ACK, seq: 21, ack: 12, len: 100, t: 1.1 },
      { dir: 'c>s', flags: ACK, seq: 12, ack: 121, t: 1.101 },
      { dir: 's>c', flags: FIN | ACK, seq: 121, ack: 12, t: 1.2 },
      { dir: 'c>s', flags: ACK, seq: 12, ack: 122, t: 1.201 },
    ]);
    assert.deepStrictEqual(codes(a), ['half-close-data']);
    assert.deepStrictEqual(a.connections[0].finalState, { client: 'TIME-WAIT', server: 'CLOSED' });
  });

  it('test_fin_wait_data_after_own_fin is a violation', () => {
    const a = run([
      ...established(),
      { dir: 'c>s', flags: FIN | ACK, seq: 11, ack: 21, t: 1 },
      { dir: 'c>s', flags: PSH | ACK, seq: 12, ack: 21, len: 5, t: 1.001 },
    ]);
    assert.ok(codes(a).includes('data-after-fin'));
  });

  it('test_last_ack_lost_final_ack: FIN retransmitted from LAST-ACK', () => {
    const a = run([
      ...established(),
      { dir: 'c>s', flags: FIN | ACK, seq: 11, ack: 21, t: 1 },
      { dir: 's>c', flags: ACK, seq: 21, ack: 12, t: 1.001 },
      { dir: 's>c', flags: FIN | ACK, seq: 21, ack: 12, t: 1.1 },
      { dir: 'c>s', flags: ACK, seq: 12, ack: 22, t: 1.101 }, // lost on the way to the server
      { dir: 's>c', flags: FIN | ACK, seq: 21, ack: 12, t: 1.4 }, // retransmitted from LAST-ACK
      { dir: 'c>s', flags: ACK, seq: 12, ack: 22, t: 1.401 },
    ]);
    const s = after(a);
    assert.deepStrictEqual(s[10], ['TIME-WAIT', 'LAST-ACK'], 'the lost ACK does not close the server');
    assert.deepStrictEqual(s[12], ['TIME-WAIT', 'CLOSED']);
    assert.deepStrictEqual(codes(a), ['fin-retransmitted', 'missing-ack']);
    const missing = a.findings.find((f) => f.code === 'missing-ack');
    assert.strictEqual(missing?.frame, 11);
  });

  it('test_closing_acked_by_a_retransmitted_fin: the ACK a retransmitted FIN carries is taken on arrival', () => {
    const a = run([
      ...established(),
      { dir: 'c>s', flags: FIN | ACK, seq: 11, ack: 21, t: 1 }, // lost: the server never acknowledges it
      { dir: 's>c', flags: FIN | ACK, seq: 21, ack: 11, t: 1.001 }, // the server closes too
      { dir: 'c>s', flags: FIN | ACK, seq: 11, ack: 22, t: 1.2 }, // retransmitted, now acknowledging the server's FIN
      { dir: 's>c', flags: ACK, seq: 22, ack: 12, t: 1.201 },
    ]);
    const s = after(a);
    // The server's FIN does not acknowledge the client's; the retransmission is the FIN the server
    // takes (as the kernel did in fixture 03, whose first FINs were both lost).
    assert.deepStrictEqual(s[8], ['CLOSING', 'FIN-WAIT-1'], "the client takes the server's FIN; the server has not had the client's");
    assert.deepStrictEqual(s[9].slice(1), ['TIME-WAIT'], 'the retransmission carries the FIN and acknowledges the server\'s FIN');
    assert.deepStrictEqual(a.connections[0].finalState, { client: 'TIME-WAIT', server: 'TIME-WAIT' });
    const tr = a.transitions.find((x) => x.side === 'server' && x.to === 'TIME-WAIT');
    assert.strictEqual(tr?.cause, 9, 'caused by the retransmitted FIN');
    assert.deepStrictEqual(codes(a), ['fin-retransmitted', 'simultaneous-close']);
  });

  it('a FIN behind a hole is taken when the retransmission fills the hole, not on arrival (SACK, kernel fixture 28)', () => {
    const a = run([
      ...established(),
      { dir: 'c>s', flags: PSH | ACK, seq: 11, ack: 21, len: 100, t: 1 },
      { dir: 'c>s', flags: PSH | ACK, seq: 111, ack: 21, len: 200, t: 1 }, // lost after the capture point
      { dir: 'c>s', flags: PSH | ACK, seq: 311, ack: 21, len: 300, t: 1 },
      { dir: 's>c', flags: ACK, seq: 21, ack: 111, t: 1.001 }, // duplicate ACK (SACK 311:611)
      { dir: 'c>s', flags: FIN | ACK, seq: 611, ack: 21, t: 1.001 },
      { dir: 's>c', flags: ACK, seq: 21, ack: 111, t: 1.002 }, // duplicate ACK (SACK 311:612): the FIN is not processed
      { dir: 'c>s', flags: PSH | ACK, seq: 111, ack: 21, len: 200, t: 1.003 }, // the retransmission fills the hole
      { dir: 's>c', flags: ACK, seq: 21, ack: 612, t: 1.004 },
    ]);
    const s = after(a);
    assert.deepStrictEqual(s[12], ['FIN-WAIT-1', 'ESTABLISHED'], 'the FIN waits behind the hole');
    assert.deepStrictEqual(s[13], ['FIN-WAIT-1', 'CLOSE-WAIT'], 'the retransmission lets the server take the FIN');
    const tr = a.transitions.find((x) => x.side === 'server' && x.to === 'CLOSE-WAIT');
    assert.strictEqual(tr?.row, 13);
  });

  it('test_retransmitted_fin_without_its_first_transmission is not processed, its ACK neither', () => {
    // The capture starts mid-connection; the client's FIN "retransmission" has no first transmission
    // in the trace (its sequence space was seen in data), so the engine never processes it.
    const a = run([
      { dir: 'c>s', flags: PSH | ACK, seq: 1, ack: 1, len: 10, t: 0 },
      { dir: 's>c', flags: FIN | ACK, seq: 1, ack: 11, t: 0.1 },
      { dir: 'c>s', flags: FIN | ACK, seq: 5, ack: 2, t: 0.2 },
    ]);
    const s = after(a);
    assert.strictEqual(s[2][1], 'FIN-WAIT-1', "the server's FIN is not taken as acknowledged");
  });

  it('test_fin_wait_1_fin_never_acked', () => {
    const a = run([
      ...established(),
      { dir: 'c>s', flags: FIN | ACK, seq: 11, ack: 21, t: 1 },
      { dir: 's>c', flags: PSH | ACK, seq: 21, ack: 11, len: 10, t: 1.1 },
      { dir: 'c>s', flags: FIN | ACK, seq: 11, ack: 31, t: 1.3 },
    ]);
    assert.ok(codes(a).includes('missing-ack'));
    assert.ok(codes(a).includes('fin-retransmitted'));
    assert.strictEqual(a.connections[0].finalState.client, 'FIN-WAIT-1');
  });

  it('test_syn_sent_rst_refused', () => {
    const a = run([
      { dir: 'c>s', flags: SYN, seq: 0, t: 0 },
      { dir: 's>c', flags: RST | ACK, seq: 0, rawSeq: 0, ack: 1, t: 0.0001 },
    ]);
    assert.deepStrictEqual(after(a), [
      ['SYN-SENT', 'CLOSED'],
      ['CLOSED', 'CLOSED'],
    ]);
    const c = a.connections[0];
    assert.strictEqual(c.outcome, 'refused');
    assert.strictEqual(c.closeInitiator, 'none');
    assert.deepStrictEqual(c.reset && { by: c.reset.by, frame: c.reset.frame }, { by: 'server', frame: 2 });
    assert.deepStrictEqual(codes(a), ['refused']);
  });

  it('test_established_rst_abort is believed at RCV.NXT', () => {
    const a = run([...established(), { dir: 'c>s', flags: RST | ACK, seq: 11, ack: 21, t: 0.2 }]);
    assert.deepStrictEqual(after(a)[7], ['CLOSED', 'CLOSED']);
    assert.deepStrictEqual(codes(a), ['abrupt-reset']);
    assert.match(a.findings[0].message, /abort/);
    assert.strictEqual(a.connections[0].closeInitiator, 'client');
  });

  it('test_established_rst_out_of_window is reported, not believed', () => {
    const a = run([
      ...established(),
      { dir: 's>c', flags: RST, seq: 0, rawSeq: 12345, t: 0.2 },
      { dir: 'c>s', flags: PSH | ACK, seq: 11, ack: 21, len: 5, t: 0.3 },
    ]);
    assert.deepStrictEqual(after(a)[7], ['ESTABLISHED', 'CLOSED']);
    assert.strictEqual(a.connections[0].finalState.client, 'ESTABLISHED');
    assert.ok(codes(a).includes('rst-out-of-window'));
  });

  it('test_time_wait_rst_after_fin is explained as FIN then RST', () => {
    const a = run([
      ...established(),
      { dir: 's>c', flags: FIN | ACK, seq: 21, ack: 11, t: 1 },
      { dir: 'c>s', flags: ACK, seq: 11, ack: 22, t: 1.001 },
      { dir: 'c>s', flags: PSH | ACK, seq: 11, ack: 22, len: 10, t: 1.1 },
      { dir: 's>c', flags: RST, seq: 22, t: 1.101 },
    ]);
    // The client's data after the server's FIN is legal half-close data; the RST that answers it is benign.
    assert.deepStrictEqual(codes(a), ['abrupt-reset', 'half-close-data']);
    assert.match(a.findings.find((f) => f.code === 'abrupt-reset')?.message ?? '', /benign FIN then RST/);
  });

  it('a FIN that finds no socket in FIN-WAIT-2 (a bare RST answers it): the socket was gone', () => {
    const late = (t: number): Analysis =>
      run([
        ...established(),
        { dir: 'c>s', flags: FIN | ACK, seq: 11, ack: 21, t: 1 },
        { dir: 's>c', flags: ACK, seq: 21, ack: 12, t: 1.001 },
        { dir: 's>c', flags: FIN | ACK, seq: 21, ack: 12, t },
        { dir: 'c>s', flags: RST, seq: 12, t: t + 0.0001 },
      ]);
    // 5 s later: an orphaned FIN-WAIT-2 timed out (kernel scenario 19 is the real one).
    const a = late(6);
    assert.deepStrictEqual(after(a).slice(7), [
      ['FIN-WAIT-1', 'CLOSE-WAIT'],
      ['FIN-WAIT-2', 'CLOSE-WAIT'],
      ['CLOSED', 'LAST-ACK'],
      ['CLOSED', 'CLOSED'],
    ]);
    const fin = a.transitions.find((x) => x.row === 9 && x.side === 'client')!;
    assert.deepStrictEqual([fin.from, fin.to, fin.inferred], ['FIN-WAIT-2', 'CLOSED', true]);
    assert.match(fin.reason, /FIN found no socket/);
    assert.deepStrictEqual(a.connections[0].reset && [a.connections[0].reset.by, a.connections[0].outcome], ['client', 'reset']);
    assert.match(a.findings.find((f) => f.code === 'abrupt-reset')!.message, /FIN came 5\.000 s after its own FIN, when its socket was gone: an orphaned FIN-WAIT-2 ends after a timeout/);
    // At once: gone all the same, but no timeout explains it.
    assert.match(late(1.002).findings.find((f) => f.code === 'abrupt-reset')!.message, /FIN came 2\.000 ms after its own FIN, when its socket was already gone \(RFC 9293 3\.10\.7\.1\)/);
    // A FIN answered by ACK is the normal close: TIME-WAIT, no reset.
    const normal = run([...established(), { dir: 'c>s', flags: FIN | ACK, seq: 11, ack: 21, t: 1 }, { dir: 's>c', flags: ACK, seq: 21, ack: 12, t: 1.001 }, { dir: 's>c', flags: FIN | ACK, seq: 21, ack: 12, t: 6 }, { dir: 'c>s', flags: ACK, seq: 12, ack: 22, t: 6.0001 }]);
    assert.deepStrictEqual(after(normal)[9], ['TIME-WAIT', 'LAST-ACK']);
    assert.strictEqual(normal.connections[0].reset, null);
  });

  it("a RST after which its sender goes on sending was not its TCP's: reported, and it closes nothing", () => {
    const a = run([
      ...established(),
      { dir: 'c>s', flags: RST, seq: 15, t: 0.2 }, // in the window, not at RCV.NXT: the server answers with a challenge ACK
      { dir: 's>c', flags: ACK, seq: 21, ack: 11, t: 0.2001 },
      { dir: 'c>s', flags: PSH | ACK, seq: 11, ack: 21, len: 5, t: 0.3 },
      { dir: 's>c', flags: ACK, seq: 21, ack: 16, t: 0.301 },
      { dir: 'c>s', flags: FIN | ACK, seq: 16, ack: 21, t: 0.4 },
      { dir: 's>c', flags: FIN | ACK, seq: 21, ack: 17, t: 0.401 },
      { dir: 'c>s', flags: ACK, seq: 17, ack: 22, t: 0.402 },
    ]);
    assert.deepStrictEqual(after(a)[7], ['ESTABLISHED', 'ESTABLISHED'], 'neither side closes on it');
    const c = a.connections[0];
    assert.deepStrictEqual([c.outcome, c.closeInitiator, c.reset, c.finalState], ['graceful', 'client', null, { client: 'TIME-WAIT', server: 'CLOSED' }]);
    assert.deepStrictEqual(codes(a), ['rst-injected', 'rst-out-of-window']);
    const inj = a.findings.find((f) => f.code === 'rst-injected')!;
    assert.strictEqual(inj.row, 7);
    assert.match(inj.message, /The client's RST in frame 8 did not come from the TCP that kept the connection: the client went on sending on it \(frame 10\)/);
    assert.deepStrictEqual(inj.related.map((x) => x.row), [9]);
    // A RST after which its sender sends only RSTs, or a SYN (a new connection), is its own.
    const own = run([...established(), { dir: 'c>s', flags: RST | ACK, seq: 11, ack: 21, t: 0.2 }, { dir: 's>c', flags: PSH | ACK, seq: 21, ack: 11, len: 5, t: 0.3 }, { dir: 'c>s', flags: RST, seq: 11, t: 0.3001 }]);
    assert.deepStrictEqual(codes(own), ['abrupt-reset']);
    assert.strictEqual(own.connections[0].reset?.by, 'client');
  });

  it('test_half_open_syn_unanswered', () => {
    const a = run([
      { dir: 'c>s', flags: SYN, seq: 0, t: 0 },
      { dir: 'c>s', flags: SYN, seq: 0, t: 1 },
      { dir: 'c>s', flags: SYN, seq: 0, t: 3 },
    ]);
    assert.strictEqual(a.connections.length, 1, 'retransmitted SYNs stay in one connection');
    assert.strictEqual(a.connections[0].outcome, 'half-open');
    assert.deepStrictEqual(codes(a), ['half-open']);
  });

  it('test_syn_sent_synack_lost: a SYN retransmitted after the SYN-ACK proves it never arrived', () => {
    const a = run([
      { dir: 'c>s', flags: SYN, seq: 0, t: 0 },
      { dir: 's>c', flags: SYN | ACK, seq: 0, ack: 1, t: 0.001 },
      { dir: 'c>s', flags: SYN, seq: 0, t: 1 },
      { dir: 's>c', flags: SYN | ACK, seq: 0, ack: 1, t: 1.001 },
    ]);
    assert.deepStrictEqual(a.connections[0].finalState, { client: 'SYN-SENT', server: 'SYN-RECEIVED' });
    assert.strictEqual(a.connections[0].outcome, 'half-open');
    assert.deepStrictEqual(codes(a), ['half-open']);
  });

  it('test_keepalive_and_zero_window_probes raise no findings', () => {
    const segs: Seg[] = [
      ...established(),
      { dir: 'c>s', flags: ACK, seq: 10, ack: 21, t: 2 }, // keepalive: SND.NXT - 1
      { dir: 's>c', flags: ACK, seq: 21, ack: 11, t: 2.001 },
      { dir: 's>c', flags: ACK, seq: 21, ack: 11, win: 0, t: 2.5 }, // zero window
      { dir: 'c>s', flags: ACK, seq: 11, ack: 21, len: 1, t: 2.7 }, // zero-window probe
      { dir: 's>c', flags: ACK, seq: 21, ack: 11, win: 0, t: 2.701 },
      { dir: 's>c', flags: ACK, seq: 21, ack: 11, win: 1000, t: 3 },
      { dir: 'c>s', flags: PSH | ACK, seq: 11, ack: 21, len: 100, t: 3.001 },
      { dir: 's>c', flags: ACK, seq: 21, ack: 111, t: 3.002 },
      { dir: 'c>s', flags: FIN | ACK, seq: 111, ack: 21, t: 3.1 },
      { dir: 's>c', flags: FIN | ACK, seq: 21, ack: 112, t: 3.101 },
      { dir: 'c>s', flags: ACK, seq: 112, ack: 22, t: 3.102 },
    ];
    const a = run(segs);
    assert.deepStrictEqual(codes(a), []);
    assert.ok(a.rowKind[7] & 0x02, 'keepalive recognised');
    assert.ok(a.rowKind[10] & 0x04, 'zero-window probe recognised');
  });

  it('test_time_wait_expires_after_2msl and the tuple reuse opens a new connection', () => {
    const first: Seg[] = [
      ...established(),
      { dir: 'c>s', flags: FIN | ACK, seq: 11, ack: 21, t: 1 },
      { dir: 's>c', flags: FIN | ACK, seq: 21, ack: 12, t: 1.001 },
      { dir: 'c>s', flags: ACK, seq: 12, ack: 22, t: 1.002 },
    ];
    const second: Seg[] = [
      { dir: 'c>s', flags: SYN, seq: 5000, t: 2 },
      { dir: 's>c', flags: SYN | ACK, seq: 7000, ack: 5001, t: 2.001 },
      { dir: 'c>s', flags: ACK, seq: 5001, ack: 7001, t: 2.002 },
    ];
    const a = run([...first, ...second], { mslSeconds: 30 });
    assert.strictEqual(a.connections.length, 2);
    // The new SYN took the tuple over from the client's TIME-WAIT (as Linux does with tcp_tw_reuse).
    assert.deepStrictEqual(a.connections[0].finalState, { client: 'CLOSED', server: 'CLOSED' });
    assert.deepStrictEqual(codes(a), ['port-reuse']);
    assert.match(a.findings[0].message, /still in TIME-WAIT/);
    const laterReuse = run([...first, ...second.map((x) => ({ ...x, t: x.t + 200 }))], { mslSeconds: 30 });
    assert.strictEqual(laterReuse.connections.length, 2);
    assert.deepStrictEqual(codes(laterReuse), [], 'reuse long after 2 MSL is ordinary');
    assert.deepStrictEqual(run(first).connections[0].finalState, { client: 'TIME-WAIT', server: 'CLOSED' });
    const late = run([...first, { dir: 'c>s', flags: ACK, seq: 12, ack: 22, t: 100 }], { mslSeconds: 30 });
    assert.strictEqual(late.connections[0].finalState.client, 'CLOSED', 'TIME-WAIT ends after 2 MSL');
  });

  it('test_mid_stream_capture infers roles and states', () => {
    const a = run([
      { dir: 'c>s', flags: PSH | ACK, seq: 100, ack: 200, len: 10, t: 0 },
      { dir: 's>c', flags: ACK, seq: 200, ack: 110, t: 0.001 },
      { dir: 'c>s', flags: FIN | ACK, seq: 110, ack: 200, t: 0.002 },
      { dir: 's>c', flags: FIN | ACK, seq: 200, ack: 111, t: 0.003 },
      { dir: 'c>s', flags: ACK, seq: 111, ack: 201, t: 0.004 },
    ]);
    const c = a.connections[0];
    assert.strictEqual(c.rolesInferred, true);
    assert.strictEqual(c.client.port, 40000);
    assert.deepStrictEqual(c.finalState, { client: 'TIME-WAIT', server: 'CLOSED' });
    assert.deepStrictEqual(codes(a), ['capture-incomplete']);
  });

  it('records every transition with its row and an RFC-citing reason', () => {
    const a = run([
      ...established(),
      { dir: 'c>s', flags: FIN | ACK, seq: 11, ack: 21, t: 1 },
      { dir: 's>c', flags: FIN | ACK, seq: 21, ack: 12, t: 1.001 },
      { dir: 'c>s', flags: ACK, seq: 12, ack: 22, t: 1.002 },
    ]);
    assert.ok(a.transitions.length >= 8);
    for (const t of a.transitions) assert.match(t.reason, /RFC \d+/);
    for (let r = 0; r < a.table.length; r++) {
      for (let k = a.transitionStart[r]; k < a.transitionStart[r + 1]; k++) assert.strictEqual(a.transitions[k].row, r);
    }
    assert.strictEqual(a.ackedBy[7], 8, 'the client FIN is acknowledged by the server FIN,ACK');
  });
});
