/**
 * Explicit steps, as RFC figures spell them out: application closes, segments sent, segments
 * arriving later ("..."), 2 MSL timeouts and state claims. The two figures of RFC 9293 3.6
 * (normal and simultaneous close) must replay with every claim confirmed.
 */
import * as assert from 'assert';
import { analyze, type EngineStep, type TcpState } from '../../../src/core/engine';
import { ACK, FIN, SegmentTable, SegmentView } from '../../../src/core/model/segment';

const A = 0;
const B = 1;

/** Builds a table with endpoints A = 192.0.2.1:1024 and B = 192.0.2.2:80 and the given segments. */
function table(segs: { from: 0 | 1; seq: number; ack: number; flags: number }[]): SegmentTable {
  const t = new SegmentTable(8);
  const v = new SegmentView();
  segs.forEach((s, i) => {
    v.frame = 0;
    v.line = i;
    v.tsSec = NaN;
    v.ipVersion = 4;
    v.src.set(s.from === A ? [192, 0, 2, 1] : [192, 0, 2, 2]);
    v.dst.set(s.from === A ? [192, 0, 2, 2] : [192, 0, 2, 1]);
    v.sport = s.from === A ? 1024 : 80;
    v.dport = s.from === A ? 80 : 1024;
    v.seq = s.seq;
    v.ack = s.ack;
    v.flags = s.flags;
    v.len = 0;
    table_append(t, v);
  });
  return t;
}
function table_append(t: SegmentTable, v: SegmentView): void {
  t.append(v);
}

const claim = (endpoint: number, state: TcpState, line: number): EngineStep => ({ kind: 'claim', endpoint, state, line, startCol: 0, endCol: state.length });

describe('engine: explicit steps (RFC 9293 3.6 figures)', () => {
  it('normal close sequence: every claimed state is confirmed', () => {
    const t = table([
      { from: A, seq: 100, ack: 300, flags: FIN | ACK },
      { from: B, seq: 300, ack: 101, flags: ACK },
      { from: B, seq: 300, ack: 101, flags: FIN | ACK },
      { from: A, seq: 101, ack: 301, flags: ACK },
    ]);
    const steps: EngineStep[] = [
      claim(A, 'ESTABLISHED', 1),
      claim(B, 'ESTABLISHED', 1),
      { kind: 'close', endpoint: A, line: 2 },
      { kind: 'segment', row: 0 },
      { kind: 'arrive', row: 0 },
      claim(A, 'FIN-WAIT-1', 3),
      claim(B, 'CLOSE-WAIT', 3),
      { kind: 'segment', row: 1 },
      { kind: 'arrive', row: 1 },
      claim(A, 'FIN-WAIT-2', 4),
      claim(B, 'CLOSE-WAIT', 4),
      { kind: 'close', endpoint: B, line: 5 },
      { kind: 'segment', row: 2 },
      { kind: 'arrive', row: 2 },
      claim(A, 'TIME-WAIT', 6),
      claim(B, 'LAST-ACK', 6),
      { kind: 'segment', row: 3 },
      { kind: 'arrive', row: 3 },
      claim(A, 'TIME-WAIT', 7),
      claim(B, 'CLOSED', 7),
      { kind: 'timeout', endpoint: A, line: 8 },
      claim(A, 'CLOSED', 9),
    ];
    const a = analyze(t, {}, steps);
    assert.deepStrictEqual(a.findings.map((f) => f.message), []);
    assert.deepStrictEqual(a.connections[0].finalState, { client: 'CLOSED', server: 'CLOSED' });
    assert.strictEqual(a.connections[0].closeInitiator, 'client');
  });

  it('simultaneous close sequence: in-flight FINs cross and both sides pass through CLOSING', () => {
    const t = table([
      { from: A, seq: 100, ack: 300, flags: FIN | ACK },
      { from: B, seq: 300, ack: 100, flags: FIN | ACK },
      { from: A, seq: 101, ack: 301, flags: ACK },
      { from: B, seq: 301, ack: 101, flags: ACK },
    ]);
    const steps: EngineStep[] = [
      claim(A, 'ESTABLISHED', 1),
      claim(B, 'ESTABLISHED', 1),
      { kind: 'close', endpoint: A, line: 2 },
      { kind: 'close', endpoint: B, line: 2 },
      { kind: 'segment', row: 0 }, // A's FIN, in flight ("...")
      claim(A, 'FIN-WAIT-1', 3),
      claim(B, 'FIN-WAIT-1', 3),
      { kind: 'segment', row: 1 }, // B's FIN crosses it
      { kind: 'arrive', row: 1 },
      { kind: 'arrive', row: 0 },
      { kind: 'segment', row: 2 },
      claim(A, 'CLOSING', 6),
      claim(B, 'CLOSING', 6),
      { kind: 'segment', row: 3 },
      { kind: 'arrive', row: 3 },
      { kind: 'arrive', row: 2 },
      claim(A, 'TIME-WAIT', 9),
      claim(B, 'TIME-WAIT', 9),
      { kind: 'timeout', endpoint: A, line: 10 },
      { kind: 'timeout', endpoint: B, line: 10 },
      claim(A, 'CLOSED', 11),
      claim(B, 'CLOSED', 11),
    ];
    const a = analyze(t, {}, steps);
    assert.deepStrictEqual(a.findings.filter((f) => f.code === 'state-claim-mismatch').map((f) => f.message), []);
    assert.strictEqual(a.connections[0].closeInitiator, 'simultaneous');
    assert.deepStrictEqual(a.findings.map((f) => f.code), ['simultaneous-close']);
  });

  it('a wrong claim is a positioned state-claim-mismatch saying what the engine infers and why', () => {
    const t = table([
      { from: A, seq: 100, ack: 300, flags: FIN | ACK },
      { from: B, seq: 300, ack: 101, flags: ACK },
    ]);
    const steps: EngineStep[] = [
      { kind: 'close', endpoint: A, line: 1 },
      { kind: 'segment', row: 0 },
      { kind: 'arrive', row: 0 },
      { kind: 'segment', row: 1 },
      { kind: 'arrive', row: 1 },
      { kind: 'claim', endpoint: A, state: 'TIME-WAIT', line: 3, startCol: 6, endCol: 15 },
    ];
    const a = analyze(t, {}, steps);
    const m = a.findings.find((f) => f.code === 'state-claim-mismatch');
    assert.ok(m, 'mismatch reported');
    assert.strictEqual(m.line, 3);
    assert.strictEqual(m.startCol, 6);
    assert.match(m.message, /says the client is TIME-WAIT.*imply FIN-WAIT-2/);
    assert.match(m.message, /RFC 9293/);
  });
});
