/**
 * Two captures, one story (issue 15), against the Linux kernel: every pair in test/fixtures/twoends
 * was captured at the client and at the server at once, with a router between them that delayed
 * every frame and dropped chosen ones (test/fixtures/twoends/generate.py). The truth beside each
 * pair: both sockets' final states (`ss`), every frame the router dropped (with its frame number
 * in the sender's capture), the one-way delay; the clocks are one kernel's, and the
 * `.server+3.5s.pcap` copy is the server capture after `editcap -t 3.5`.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { runAnalyze } from '../../../src/cli/analyze';
import { analyze } from '../../../src/core/engine';
import { mergeCaptures, FATES, type MergedAnalysis } from '../../../src/core/merge/merge';
import { lostSegments, mergedJson } from '../../../src/core/merge/report';
import { SegmentTable, SegmentView } from '../../../src/core/model/segment';
import { parseIPv4 } from '../../../src/core/model/address';
import { loadTrace } from '../../../src/node/loadTrace';
import { runCli } from '../cliRun';

const DIR = path.join(__dirname, '../../../../test/fixtures/twoends');

interface Truth {
  scenario: string;
  t0_epoch: number;
  kernel_trace: { t: number; side: string; event: string; detail: string }[];
  one_way_delay_s: { c2s: number; s2c: number };
  clock: { client_minus_server_s: number; shifted_file_offset_s: number };
  final_state: { client: string; server: string };
  router: { dropped: { direction: 'c2s' | 's2c'; sender_frame: number; flags: string; len: number }[] };
}

const KERNEL_STATE: Record<string, string> = {
  SYN_SENT: 'SYN-SENT', SYN_RECV: 'SYN-RECEIVED', ESTABLISHED: 'ESTABLISHED', FIN_WAIT1: 'FIN-WAIT-1', FIN_WAIT2: 'FIN-WAIT-2',
  CLOSE_WAIT: 'CLOSE-WAIT', LAST_ACK: 'LAST-ACK', CLOSING: 'CLOSING', CLOSE: 'CLOSED', TIME_WAIT: 'TIME-WAIT', LISTEN: 'LISTEN',
};

/** What each scenario was made to show: its lost ACK makes the server retransmit its FIN, etc. */
const FINDINGS: Record<string, string[]> = {
  '01-lost-final-ack': ['fin-retransmitted', 'missing-ack'],
  '02-lost-fin': ['fin-retransmitted'],
  '03-data-loss-before-fin': [],
  '04-crossing-fins': ['simultaneous-close'],
};

const scenarios = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => /^\d\d-.*\.json$/.test(f)).map((f) => f.slice(0, -5)) : [];
const truthOf = (name: string): Truth => JSON.parse(fs.readFileSync(path.join(DIR, `${name}.json`), 'utf8')) as Truth;

function load(file: string): { table: SegmentTable; analysis: ReturnType<typeof analyze> } {
  const l = loadTrace(path.join(DIR, file));
  assert.strictEqual(l.error, null, `${file}: ${l.error}`);
  return { table: l.table, analysis: analyze(l.table) };
}

function merged(name: string, server = `${name}.server.pcap`): MergedAnalysis {
  return mergeCaptures([load(`${name}.client.pcap`), load(server)]);
}

/** The frame numbers (in the sender's capture) of the rows the merge found lost, per direction. */
function lostFrames(m: MergedAnalysis): string[] {
  const out: string[] = [];
  for (let r = 0; r < m.analysis.table.length; r++) {
    if (FATES[m.rows.fate[r]] !== 'lost') continue;
    const dir = m.analysis.rowDir[r];
    out.push(`${dir === 0 ? 'c2s' : 's2c'}:${dir === 0 ? m.rows.frame0[r] : m.rows.frame1[r]}`);
  }
  return out.sort();
}

/** A copy of a table with every row passed through `edit` (a NAT, a stripped option...). */
function rewritten(t: SegmentTable, edit: (v: SegmentView, r: number) => boolean): SegmentTable {
  const out = new SegmentTable(t.length);
  const v = new SegmentView();
  for (let r = 0; r < t.length; r++) {
    t.fillView(r, v);
    if (edit(v, r)) out.append(v);
  }
  return out;
}

describe('two captures of the same connections (kernel-made, client and server at once)', () => {
  it('has the two-ended fixtures', () => assert.ok(scenarios.length >= 4, `${scenarios.length} scenarios in ${DIR}`));

  for (const name of scenarios) {
    describe(name, () => {
      const truth = truthOf(name);
      const delay = Math.max(truth.one_way_delay_s.c2s, truth.one_way_delay_s.s2c);
      for (const [label, file, offset] of [
        ['same clock', `${name}.server.pcap`, 0],
        ['server clock 3.5 s ahead (editcap -t 3.5)', `${name}.server+3.5s.pcap`, truth.clock.shifted_file_offset_s],
      ] as const) {
        it(`${label}: both sides' final states are the kernel's`, () => {
          const m = merged(name, file);
          assert.strictEqual(m.analysis.connections.length, 1);
          const c = m.analysis.connections[0];
          assert.deepStrictEqual(c.finalState, truth.final_state);
          assert.deepStrictEqual(m.connections[0].ids, [1, 1]);
        });
        it(`${label}: finds every segment the router dropped, and no other`, () => {
          const m = merged(name, file);
          const want = truth.router.dropped.map((d) => `${d.direction}:${d.sender_frame}`).sort();
          assert.deepStrictEqual(lostFrames(m), want);
          const counts = m.connections[0].counts;
          assert.strictEqual(counts.lost, want.length);
          assert.strictEqual(counts.outside + counts['unseen-at-sender'], 0);
        });
        it(`${label}: the clock offset comes back within the path delay, inside its bounds`, () => {
          const m = merged(name, file);
          const k = m.clock;
          assert.ok(Math.abs(k.offset - offset) <= delay, `offset ${k.offset}, injected ${offset}, delay ${delay}`);
          assert.ok(k.consistent && k.lower <= offset && offset <= k.upper, `bounds ${k.lower}..${k.upper} hold ${offset}`);
          // The one-way delays: at least the router's, and their bounds hold the truth.
          for (const d of [k.delays.clientToServer!, k.delays.serverToClient!]) {
            assert.ok(d.minBounds[0] <= delay && delay <= d.minBounds[1] + 1e-3, `min delay bounds ${d.minBounds} hold ${delay}`);
            assert.ok(Math.abs(d.min - delay) <= delay, `min delay ${d.min} near ${delay}`);
          }
        });
      }
      it("every state change of both sides, in order, is the kernel's (inet_sock_set_state)", () => {
        const m = merged(name, `${name}.server+3.5s.pcap`);
        const a = m.analysis;
        for (const side of ['client', 'server'] as const) {
          const kernel: string[] = [];
          for (const e of truth.kernel_trace) {
            if (e.side !== side || e.event !== 'inet_sock_set_state') continue;
            const [from, to] = e.detail.split(' -> ');
            if (from === to) continue; // CLOSING -> CLOSING: the kernel re-hashing the socket
            kernel.push(to === 'CLOSE' && (from === 'FIN_WAIT2' || from === 'CLOSING') ? 'TIME-WAIT' : KERNEL_STATE[to]);
          }
          assert.ok(kernel.length >= 4, `${side}: kernel trace of ${kernel.length} changes`);
          const engine = a.transitions.filter((x) => x.side === side && x.row >= 0).map((x) => x.to as string);
          assert.deepStrictEqual(engine, kernel, `${side}: ${engine.join(' -> ')}`);
        }
      });
      it("each side's state changes when its own capture shows the segment that changed it (kernel times within 2 ms)", () => {
        const m = merged(name);
        const a = m.analysis;
        const files = [load(`${name}.client.pcap`).table, load(`${name}.server.pcap`).table];
        for (const side of ['client', 'server'] as const) {
          const x = side === 'client' ? 0 : 1;
          const kernel = truth.kernel_trace.filter((e) => e.side === side && e.event === 'inet_sock_set_state' && !e.detail.startsWith('CLOSING -> CLOSING'));
          const engine = a.transitions.filter((tr) => tr.side === side && tr.row >= 0);
          assert.strictEqual(engine.length, kernel.length);
          engine.forEach((tr, i) => {
            // The copy of the causing segment at this side's capture: its send, or its arrival.
            const seenAt = (r: number): number => {
              const frame = x === 0 ? m.rows.frame0[r] : m.rows.frame1[r];
              assert.ok(frame > 0, `${side} ${tr.to}: step ${r + 1} seen at the ${side}`);
              return files[x].time(frame - 1) - truth.t0_epoch;
            };
            let at = seenAt(tr.cause);
            const t = a.table;
            if (t.flags[tr.cause] & 1 && a.rowDir[tr.cause] !== x) {
              // A FIN behind a hole is taken when the retransmission that fills the hole arrives.
              const filler = a.connections[0].rows.find((r) => r > tr.cause && a.rowDir[r] === a.rowDir[tr.cause] && t.len[r] > 0 && FATES[m.rows.fate[r]] === 'both' && t.seq[r] !== t.seq[tr.cause]);
              if (filler !== undefined) at = Math.max(at, seenAt(filler));
            }
            // Linux makes the server's socket only when the handshake's ACK arrives (a request
            // socket holds the SYN until then, untraced): its LISTEN -> SYN_RECV is timed then.
            // An orphaned FIN_WAIT2 moves into a mini-socket at once (FIN_WAIT2 -> CLOSE), whose
            // own change to TIME_WAIT is not traced.
            if (kernel[i].detail === 'LISTEN -> SYN_RECV' || kernel[i].detail === 'FIN_WAIT2 -> CLOSE') return;
            // And the engine puts the change there: after the merged step it follows, before the next.
            const after = t.time(tr.row) - truth.t0_epoch;
            const before = tr.row + 1 < t.length ? t.time(tr.row + 1) - truth.t0_epoch : Infinity;
            assert.ok(after - 0.002 <= kernel[i].t && kernel[i].t <= before + 0.002, `${side} ${tr.from} -> ${tr.to} after step ${tr.row + 1} (${after.toFixed(6)} to ${before.toFixed(6)} s); the kernel's at ${kernel[i].t} s`);
            assert.ok(Math.abs(at - kernel[i].t) <= 0.002, `${side} ${tr.from} -> ${tr.to} (step ${tr.cause + 1}) seen at ${at.toFixed(6)} s; the kernel's ${kernel[i].detail} at ${kernel[i].t} s`);
          });
        }
      });
      it('its findings are the ones its scenario was made to produce', () => {
        const m = merged(name, `${name}.server+3.5s.pcap`);
        const codes = m.analysis.findings.map((f) => f.code).sort();
        assert.deepStrictEqual(codes, FINDINGS[name], codes.join(', '));
      });
      it('the lost segments are told with both files in mind', () => {
        const m = merged(name);
        const lost = lostSegments(m, { names: ['client', 'server'], inputs: [{ format: 'pcap', packets: 0, tcpSegments: 0 }, { format: 'pcap', packets: 0, tcpSegments: 0 }] }, m.analysis.connections[0]);
        assert.strictEqual(lost.length, truth.router.dropped.length);
        for (const [i, l] of lost.entries()) {
          const d = truth.router.dropped[i];
          const sender = d.direction === 'c2s' ? 'client' : 'server';
          assert.ok(l.message.startsWith(`The ${sender}'s `) && l.message.includes(`(${sender} frame ${d.sender_frame})`), l.message);
          assert.ok(l.related.length >= 1, `what followed the loss: ${l.message}`);
        }
      });
      it('the captures given the other way round tell the same story', () => {
        const m = mergeCaptures([load(`${name}.server+3.5s.pcap`), load(`${name}.client.pcap`)]);
        assert.strictEqual(m.connections[0].nearClient, 1);
        assert.deepStrictEqual(m.analysis.connections[0].finalState, truth.final_state);
        assert.ok(Math.abs(m.clock.offset + truth.clock.shifted_file_offset_s) <= delay, `offset ${m.clock.offset}`);
        assert.strictEqual(m.connections[0].counts.lost, truth.router.dropped.length);
      });
    });
  }

  it('without the second capture, the lost final ACK is an inference; with it, a fact', () => {
    const name = '01-lost-final-ack';
    const one = load(`${name}.client.pcap`).analysis;
    const m = merged(name);
    // The client's capture alone cannot show where the ACK vanished; merged, the ACK is never delivered.
    const lostRow = Array.from(m.rows.fate).findIndex((f) => FATES[f] === 'lost');
    assert.strictEqual(m.analysis.deliverAt[lostRow], -1);
    assert.strictEqual(m.rows.frame0[lostRow], 11);
    assert.strictEqual(m.rows.frame1[lostRow], 0);
    assert.deepStrictEqual(one.connections[0].finalState, m.analysis.connections[0].finalState);
  });

  it('a FIN that arrives behind lost data is processed only when the retransmission fills the hole', () => {
    const m = merged('03-data-loss-before-fin');
    const a = m.analysis;
    const t = a.table;
    const fin = a.connections[0].rows.find((r) => a.rowDir[r] === 0 && t.flags[r] & 1)!;
    const retrans = a.connections[0].rows.find((r) => r > fin && a.rowDir[r] === 0 && t.len[r] === 333)!;
    assert.ok(a.deliverAt[fin] >= retrans, `FIN (step ${fin + 1}) processed after the retransmission (step ${retrans + 1}), not on arrival`);
    // Between the FIN's arrival and the retransmission the server was still ESTABLISHED.
    assert.strictEqual(a.serverAfter[fin + 1], 5 /* ESTABLISHED */);
    // And the kernel says so: its CLOSE_WAIT came after the retransmitted data reached the server's capture.
    const truth = truthOf('03-data-loss-before-fin');
    const closeWait = truth.kernel_trace.find((e) => e.side === 'server' && e.detail === 'ESTABLISHED -> CLOSE_WAIT')!;
    const srv = load('03-data-loss-before-fin.server.pcap').table;
    const arrived = (f: number): number => srv.time(f - 1) - truth.t0_epoch;
    assert.ok(closeWait.t >= arrived(m.rows.frame1[retrans]), `kernel CLOSE_WAIT at ${closeWait.t} s, retransmission arrived at ${arrived(m.rows.frame1[retrans])} s`);
    assert.ok(closeWait.t > arrived(m.rows.frame1[fin]) + 0.01, `the FIN arrived at ${arrived(m.rows.frame1[fin])} s, long before`);
  });

  it('pairs a connection behind a NAT (other addresses and client port) by its ISNs', () => {
    const name = '01-lost-final-ack';
    const srv = load(`${name}.server+3.5s.pcap`);
    const cli = '10.89.0.1';
    const natted = rewritten(srv.table, (v) => {
      // The server saw the client as 192.0.2.7:50001 (a NAT rewrote its address and port).
      if (v.srcString() === cli) {
        parseIPv4('192.0.2.7', v.src);
        v.sport = 50001;
      } else {
        parseIPv4('192.0.2.7', v.dst);
        v.dport = 50001;
      }
      return true;
    });
    const m = mergeCaptures([load(`${name}.client.pcap`), { table: natted, analysis: analyze(natted) }]);
    assert.strictEqual(m.analysis.connections.length, 1);
    assert.strictEqual(m.connections[0].nat, true);
    assert.strictEqual(m.analysis.connections[0].client.addr, cli, "the first capture's 4-tuple names the connection");
    assert.deepStrictEqual(m.analysis.connections[0].finalState, truthOf(name).final_state);
    assert.deepStrictEqual(lostFrames(m), ['c2s:11']);
  });

  it('pairs copies that look alike (no timestamps, no IP ID) on the aligned clocks', () => {
    const name = '01-lost-final-ack';
    const strip = (t: SegmentTable): SegmentTable =>
      rewritten(t, (v) => {
        v.tsVal = 0;
        v.tsEcr = 0;
        v.ipId = -1;
        return true;
      });
    const c = strip(load(`${name}.client.pcap`).table);
    const s = strip(load(`${name}.server+3.5s.pcap`).table);
    const m = mergeCaptures([
      { table: c, analysis: analyze(c) },
      { table: s, analysis: analyze(s) },
    ]);
    // The client's two final ACKs are alike: the first was lost, the second arrived.
    assert.deepStrictEqual(lostFrames(m), ['c2s:11']);
    assert.deepStrictEqual(m.analysis.connections[0].finalState, truthOf(name).final_state);
    assert.ok(Math.abs(m.clock.offset - 3.5) <= 0.01, `offset ${m.clock.offset}`);
  });

  it('a segment outside the other capture is not called lost', () => {
    const name = '02-lost-fin';
    const srv = load(`${name}.server.pcap`).table;
    // The server's capture started late: its first 3 frames (the handshake) are gone.
    const late = rewritten(srv, (_v, r) => r >= 3);
    const m = mergeCaptures([load(`${name}.client.pcap`), { table: late, analysis: analyze(late) }]);
    const counts = m.connections[0].counts;
    assert.deepStrictEqual(lostFrames(m), ['c2s:8'], 'the lost FIN still found');
    assert.ok(counts.outside >= 3, `handshake outside the server capture: ${JSON.stringify(counts)}`);
    assert.deepStrictEqual(m.analysis.connections[0].finalState, truthOf(name).final_state);
  });

  it('a segment only in the receiver\'s capture while the sender\'s ran is seen only where it arrived', () => {
    const name = '02-lost-fin';
    const cli = load(`${name}.client.pcap`).table;
    // As if something on the path had sent the client's ACK of the server's data (client frame 7):
    // the client's capture does not have it, the server's does.
    const without = rewritten(cli, (_v, r) => cli.frame[r] !== 7);
    const m = mergeCaptures([{ table: without, analysis: analyze(without) }, load(`${name}.server.pcap`)]);
    const counts = m.connections[0].counts;
    assert.strictEqual(counts['unseen-at-sender'], 1, JSON.stringify(counts));
    const r = Array.from(m.rows.fate).findIndex((f) => FATES[f] === 'unseen-at-sender');
    assert.strictEqual(m.rows.frame0[r], 0);
    assert.strictEqual(m.rows.frame1[r], 7);
    assert.ok(m.analysis.deliverAt[r] >= r, 'delivered where the server saw it');
    assert.deepStrictEqual(lostFrames(m), ['c2s:8'], 'frame 8 keeps its number: the lost FIN');
  });

  it('IPv6: a capture merged with its pcapng copy pairs every segment, at offset 0', () => {
    const a = load('../kernel/13-ipv6-client-close.pcap');
    const m = mergeCaptures([a, load('../kernel/13-ipv6-client-close.pcapng')]);
    assert.strictEqual(m.analysis.connections[0].client.ipVersion, 6);
    assert.strictEqual(m.connections[0].counts.both, a.table.length);
    assert.ok(Math.abs(m.clock.offset) < 1e-6, `offset ${m.clock.offset}`);
    assert.deepStrictEqual(m.analysis.connections[0].finalState, a.analysis.connections[0].finalState);
  });

  it('pairs tcpdump text (no IP ID, time of day only) with the capture it was printed from', () => {
    const pcap = load('../kernel/09-lost-final-ack.pcap');
    const m = mergeCaptures([load('../kernel/09-lost-final-ack.txt'), pcap]);
    assert.deepStrictEqual(m.units, ['line', 'frame']);
    assert.strictEqual(m.connections[0].counts.both, pcap.table.length, 'every segment paired');
    // The text has the time of day only: the capture's clock is whole days ahead, to the microsecond.
    const days = m.clock.offset / 86400;
    assert.ok(Math.abs(days - Math.round(days)) * 86400 < 1e-6 && m.clock.upper - m.clock.lower < 1e-5, `offset ${m.clock.offset}`);
  });

  it('analyze CLIENT --with SERVER --json: the merge object and both files\' frames', async () => {
    const name = '01-lost-final-ack';
    const r = await runCli(runAnalyze, [path.join(DIR, `${name}.client.pcap`), '--with', path.join(DIR, `${name}.server+3.5s.pcap`), '--json']);
    assert.strictEqual(r.code, 0, r.err);
    const doc = JSON.parse(r.out) as ReturnType<typeof mergedJson>;
    assert.ok(Math.abs(doc.merge.offset - 3.5) < 0.0105);
    assert.ok(doc.merge.bounds[0]! <= 3.5 && 3.5 <= doc.merge.bounds[1]!);
    assert.deepStrictEqual(doc.merge.connections[0].counts, { both: 12, lost: 1, outside: 0, 'unseen-at-sender': 0 });
    assert.deepStrictEqual(doc.merge.connections[0].lost[0].frames, { client: 11, server: null });
    assert.deepStrictEqual(doc.merge.connections[0].lost[0].related, [{ client: 12, server: 11 }]);
    assert.deepStrictEqual(doc.connections[0].finalState, { client: 'TIME-WAIT', server: 'CLOSED' });
    assert.deepStrictEqual(doc.connections[0].findings.map((x) => x.code).sort(), ['fin-retransmitted', 'missing-ack']);
    const f = doc.connections[0].findings.find((x) => x.code === 'fin-retransmitted')!;
    assert.match(f.message, /server frame 10 = client frame 10, server frame 11 = client frame 12/);
    assert.deepStrictEqual((f as unknown as { frames: unknown }).frames, { client: 12, server: 11 }, "anchored on the retransmission");
    assert.strictEqual(doc.merge.steps.length, 13);
    assert.strictEqual(doc.connections[0].vantage.near, 'unknown', 'no single capture point');
    const text = await runCli(runAnalyze, [path.join(DIR, `${name}.client.pcap`), '--with', path.join(DIR, `${name}.server.pcap`)]);
    assert.match(text.out, /The client's final ACK \(client frame 11\) was sent and lost before the server's capture point; the server retransmitted its FIN from LAST-ACK \(server frame 11\)\./);
    assert.match(text.out, / 11\.  TIME-WAIT +--> <SEQ=66><ACK=202><CTL=ACK> +\.\.\. LAST-ACK +# client frame 11 \(lost before the server capture\)/);
    assert.match(text.out, /missing-ack: The client's ACK in client frame 11 \(lost before the server capture\) evidently never reached the server: the server retransmitted in server frame 11 = client frame 12/);
    const bad = await runCli(runAnalyze, [path.join(DIR, `${name}.client.pcap`), '--with', path.join(DIR, 'nope.pcap')]);
    assert.strictEqual(bad.code, 2);
    assert.match(bad.err, /cannot read .*nope\.pcap/);
    const empty = await runCli(runAnalyze, [path.join(DIR, `${name}.client.pcap`), '--with', path.join(DIR, `${name}.json`)]);
    assert.strictEqual(empty.code, 2);
    assert.match(empty.err, /has no TCP segment: nothing to merge/);
  });
});
