/**
 * Kernel fixtures 37 and 38 (test/fixtures/kernel/generate.py), against the kernel's own trace:
 * - 37: the client aborts (SO_LINGER {1,0}) while both sides' data waits in the router's queue. The
 *   server's data captured after the RST was sent before the RST reached it: the server is CLOSED
 *   only after its last segment, and each of those segments draws a RST from a client with no socket.
 * - 38: orphans that give up in silence (FIN-WAIT-1, LAST-ACK), the capture going on well after:
 *   CLOSED, inferred (never observed), after the last FIN or the last lost ACK, where the kernel's
 *   tracepoint time lies.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analyze, type Analysis } from '../../../src/core/engine';
import { analysisJson } from '../../../src/core/report/json';
import { ladderText } from '../../../src/core/report/ladder';
import { stateTableMarkdown } from '../../../src/core/report/stateTable';
import { loadTrace } from '../../../src/node/loadTrace';
import { hover } from '../../../src/server/features';
import { DEFAULT_SETTINGS } from '../../../src/server/settings';
import { textTraceDoc } from '../../../src/server/traceDoc';

const DIR = path.join(__dirname, '../../../../test/fixtures/kernel');

interface KState {
  state: string;
  kernel: string;
  t?: number;
  at: Record<string, { frame: number | null; unambiguous: boolean }>;
}
interface Truth {
  capture: { started_epoch: number };
  connections: { id: string; four_tuple: { client_port: number }; kernel_states: Record<string, KState[]>; wire: Record<string, unknown> }[];
}

const truthOf = (name: string): Truth => JSON.parse(fs.readFileSync(path.join(DIR, `${name}.json`), 'utf8')) as Truth;
const analyzeFile = (file: string): Analysis => {
  const loaded = loadTrace(file);
  assert.strictEqual(loaded.error, null);
  return analyze(loaded.table);
};
/** The analysis of the first n lines of a fixture's tcpdump text (the real capture, cut short). */
function firstLines(name: string, n: number): Analysis {
  const text = fs.readFileSync(path.join(DIR, `${name}.txt`), 'utf8').split('\n').slice(0, n).join('\n') + '\n';
  const loaded = loadTrace({ text, languageId: 'tcpdump' });
  assert.strictEqual(loaded.error, null);
  return analyze(loaded.table);
}

describe('a side sends nothing once the engine has it CLOSED (every kernel capture)', () => {
  for (const f of fs.readdirSync(DIR).filter((x) => /^\d\d-.*\.pcap$/.test(x) && !x.endsWith('-nsec.pcap'))) {
    it(f, () => {
      const a = analyzeFile(path.join(DIR, f));
      const bad: string[] = [];
      for (const c of a.connections)
        for (const r of c.rows) {
          const before = a.rowDir[r] === 0 ? a.clientBefore[r] : a.serverBefore[r];
          // A RST is how a TCP with no connection answers; a SYN opens a new one.
          if (a.table.flags[r] & 0x06) continue;
          if (before === 1 /* CLOSED */ && c.finalState[a.rowDir[r] === 0 ? 'client' : 'server'] !== 'UNKNOWN') bad.push(`frame ${a.table.frame[r]}`);
        }
      assert.deepStrictEqual(bad, []);
    });
  }
});

describe('37: a RST while data is in flight both ways', () => {
  const name = '37-rst-both-in-flight';
  const truth = truthOf(name);
  const a = analyzeFile(path.join(DIR, `${name}.pcap`));
  const c = a.connections[0];
  const rsts = c.rsts.filter((x) => x.by === 'client');

  it('the capture shows data in flight both ways at the RST, and the later data drawing RSTs', () => {
    const w = truth.connections[0].wire as { in_flight_at_first_rst: { sender_bytes: number; peer_bytes: number; peer_data_segments_after: number; answered_by_rst_without_ack: number } };
    assert.ok(w.in_flight_at_first_rst.sender_bytes > 0 && w.in_flight_at_first_rst.peer_bytes > 0, JSON.stringify(w.in_flight_at_first_rst));
    assert.strictEqual(w.in_flight_at_first_rst.answered_by_rst_without_ack, w.in_flight_at_first_rst.peer_data_segments_after);
    // Every segment of the server captured after the RST (data, and ACKs sent with it) draws one.
    const after = c.rows.filter((r) => a.rowDir[r] === 1 && r > rsts[0].row).length;
    assert.ok(after >= w.in_flight_at_first_rst.peer_data_segments_after);
    assert.strictEqual(rsts.length, 1 + after);
  });

  it('the first RST is the abort that reset the connection; each later one answers data for a connection the client no longer has', () => {
    assert.deepStrictEqual([c.reset?.by, c.reset?.reason, c.reset?.row], ['client', 'abort', rsts[0].row]);
    assert.strictEqual(rsts[0].effect, 'reset');
    for (const x of rsts.slice(1)) {
      assert.deepStrictEqual([x.reason, x.effect, x.confidence], ['no-connection', 'none', 'likely'], `frame ${x.frame}`);
      // Its evidence: the server's segment it answers (its sequence number is that segment's ACK), then the RST.
      assert.deepStrictEqual([x.evidence.length, a.rowDir[x.evidence[0]], x.evidence[1]], [2, 1, x.row]);
      assert.strictEqual(a.table.seq[x.row], a.table.ack[x.evidence[0]]);
    }
  });

  it('the server takes the RST after its last segment (it sent them all before the RST reached it)', () => {
    const ci = a.connections.indexOf(c);
    const serverRows = c.rows.filter((r) => a.rowDir[r] === 1);
    const closed = a.transitions.filter((t) => t.side === 'server' && t.to === 'CLOSED' && a.rowConn[t.row] === ci);
    assert.strictEqual(closed.length, 1);
    assert.strictEqual(closed[0].cause, rsts[0].row);
    assert.strictEqual(closed[0].row, serverRows[serverRows.length - 1]);
    // The kernel: the server's CLOSE comes after the RST was captured (the RST crossed the router).
    const k = truth.connections[0].kernel_states.server.find((s) => s.state === 'CLOSED');
    assert.ok(k?.t !== undefined && truth.capture.started_epoch + k.t > a.table.time(rsts[0].row));
    // The ladder draws the RST in flight until then.
    assert.strictEqual(a.deliverAt[rsts[0].row], serverRows[serverRows.length - 1]);
  });
});

describe('38: orphans that give up in silence', () => {
  const name = '38-orphan-gives-up';
  const truth = truthOf(name);
  const a = analyzeFile(path.join(DIR, `${name}.pcap`));

  /** The engine's inferred CLOSED of `side` on connection `port`, and the kernel's time of it. */
  const gaveUp = (port: number, side: 'client' | 'server'): { row: number; reason: string; kernelTime: number } => {
    const c = a.connections.find((x) => x.client.port === port)!;
    const ci = a.connections.indexOf(c);
    const ts = a.transitions.filter((t) => t.side === side && t.to === 'CLOSED' && t.row >= 0 && a.rowConn[t.row] === ci);
    assert.strictEqual(ts.length, 1);
    assert.strictEqual(ts[0].inferred, true, 'inferred, never observed');
    const k = truth.connections.find((x) => x.four_tuple.client_port === port)!.kernel_states[side].find((s) => s.state === 'CLOSED')!;
    assert.ok(k.t !== undefined);
    return { row: ts[0].row, reason: ts[0].reason, kernelTime: truth.capture.started_epoch + k.t };
  };
  /** The kernel's give-up lies after the engine's row and before the capture's next frame. */
  const between = (row: number, kt: number): void => {
    assert.ok(kt > a.table.time(row), `kernel ${kt} after frame ${row + 1} (${a.table.time(row)})`);
    assert.ok(row + 1 < a.table.length && kt < a.table.time(row + 1), `kernel ${kt} before frame ${row + 2}`);
  };

  it('FIN-WAIT-1: CLOSED after the last FIN, inferred, with the backoff as the reason; the server never got the FIN', () => {
    const g = gaveUp(40038, 'client');
    assert.strictEqual(a.table.flags[g.row] & 0x01, 0x01, 'a FIN');
    between(g.row, g.kernelTime);
    assert.match(g.reason, /FIN-WAIT-1 to CLOSED without a segment/);
    assert.match(g.reason, /RFC 6298 5\.5/);
    assert.match(g.reason, /tcp_orphan_retries/);
    const c = a.connections.find((x) => x.client.port === 40038)!;
    assert.deepStrictEqual(c.finalState, { client: 'CLOSED', server: 'ESTABLISHED' });
    // The JSON says it is inferred (stateNotes), the text ladder on a comment line, the state table in a footnote.
    const doc = analysisJson(analysisOfOne(a, c), { format: 'pcap', packets: 0, tcpSegments: 0 });
    assert.match(doc.connections[0].stateNotes.client ?? '', /^the client's CLOSED after frame 11 is inferred, not observed/);
    assert.match(doc.connections[0].stateNotes.server ?? '', /the client's FIN was sent 4 times .* whether any reached the server is not knowable/);
    const ladder = ladderText(a, c);
    assert.match(ladder, /\n# TCP A then CLOSED \(inferred\): No ACK came for the client's FIN/);
    assert.match(stateTableMarkdown(a, c), /Step 11: the client then FIN-WAIT-1 → CLOSED \(inferred, no segment shows it\)/);
  });

  it('the hover of the last FIN (tcpdump text of the capture) says the CLOSED is inferred, and why', () => {
    const text = fs.readFileSync(path.join(DIR, `${name}.txt`), 'utf8');
    const doc = textTraceDoc('file:///38.txt', 1, text, 'tcpdump', DEFAULT_SETTINGS);
    const h = hover(doc, 10); // line 11: the client's last FIN
    const md = (h?.contents as { value: string }).value;
    assert.match(md, /client: FIN-WAIT-1 → \*\*CLOSED\*\*/);
    assert.match(md, /- client: FIN-WAIT-1 → CLOSED \*\(inferred\)\*: No ACK came for the client's FIN/);
  });

  it('LAST-ACK: CLOSED at the client\'s last (lost) ACK, inferred: that ACK arrived or the server gave up', () => {
    const g = gaveUp(40138, 'server');
    between(g.row, g.kernelTime);
    assert.match(g.reason, /this ACK arrived, or the server gave up retransmitting its FIN on its own/);
    const c = a.connections.find((x) => x.client.port === 40138)!;
    assert.match(ladderText(a, c), /\n# TCP B then CLOSED \(inferred\): The client's earlier ACKs/);
  });

  it('stays in FIN-WAIT-1 while the capture ends before the next retransmission was due (a prefix of the capture)', () => {
    // Lines 1-11: 40038 up to its last FIN; the capture ends there.
    const c = firstLines(name, 11).connections[0];
    assert.strictEqual(c.finalState.client, 'FIN-WAIT-1');
    // Lines 1-12: the next connection's SYN 2.3 s later, past the due time (2 x 0.43 s, plus a quarter).
    assert.strictEqual(firstLines(name, 12).connections[0].finalState.client, 'CLOSED');
  });
});

function analysisOfOne(a: Analysis, c: Analysis['connections'][number]): Analysis {
  return { ...a, connections: [c], findings: c.findings } as Analysis;
}
