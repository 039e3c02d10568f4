/**
 * The engine against the Linux kernel: every capture in test/fixtures/kernel was made by the real
 * stack between two network namespaces (test/fixtures/kernel/generate.py), with `ss` recording each
 * socket's final state. For every connection the engine's answer must equal the kernel's.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analyze, type Analysis, type Connection, type RstExplanation } from '../../../src/core/engine';
import { loadTrace } from '../../../src/node/loadTrace';

const DIR = path.join(__dirname, '../../../../test/fixtures/kernel');

interface TruthConnection {
  id: string;
  four_tuple: { client_addr: string; client_port: number; server_addr: string; server_port: number };
  instance_of_tuple?: number;
  who_closed_first: string;
  /** connection_reset_by: who reset the connection, when the truth says (null: its RSTs came after a graceful close). */
  rst: { occurred: boolean; sent_by: string[]; connection_reset_by?: string | null };
  final_state: { client: { rfc9293: string }; server: { rfc9293: string } };
  findings: { required: string[]; acceptable: string[] };
  /** Facts generate.py parsed from the capture: how many segments each side sent. */
  wire?: { sides: Record<'client' | 'server', { packets: number }> } | null;
}

function fixtures(): string[] {
  if (!fs.existsSync(DIR)) return [];
  return fs
    .readdirSync(DIR)
    .filter((f) => /^\d\d-.*\.json$/.test(f))
    .sort();
}

function find(a: Analysis, t: TruthConnection): Connection | undefined {
  const ft = t.four_tuple;
  const same = a.connections.filter(
    (c) =>
      c.client.addr === ft.client_addr &&
      c.client.port === ft.client_port &&
      c.server.addr === ft.server_addr &&
      c.server.port === ft.server_port,
  );
  return same[(t.instance_of_tuple ?? 1) - 1];
}

function analyzeFile(file: string): Analysis {
  const loaded = loadTrace(file);
  assert.strictEqual(loaded.error, null, `${file}: ${loaded.error}`);
  return analyze(loaded.table);
}

describe('engine equals the Linux kernel on the project fixtures', () => {
  const names = fixtures();
  it('has kernel fixtures', () => {
    assert.ok(names.length >= 10, `expected at least 10 kernel fixtures in ${DIR}, found ${names.length}`);
  });
  for (const name of names) {
    const truth = JSON.parse(fs.readFileSync(path.join(DIR, name), 'utf8')) as { connections: TruthConnection[] };
    const base = name.replace(/\.json$/, '');
    for (const variant of ['.pcap', '.pcapng', '-nsec.pcap', '.txt']) {
      const file = path.join(DIR, base + variant);
      if (!fs.existsSync(file)) continue;
      it(`${base}${variant}`, () => {
        const a = analyzeFile(file);
        assert.strictEqual(a.connections.length, truth.connections.length, 'number of connections');
        for (const t of truth.connections) {
          const c = find(a, t);
          assert.ok(c, `connection ${t.id} found`);
          // A side that sent nothing in the capture (27: the server never saw the SYNs) has a state
          // the capture cannot show: the engine must say so (UNKNOWN with a note), not guess the kernel's.
          const expected = { client: t.final_state.client.rfc9293, server: t.final_state.server.rfc9293 };
          for (const side of ['client', 'server'] as const) {
            if (c.finalState[side] !== 'UNKNOWN') continue;
            assert.strictEqual(t.wire?.sides[side].packets, 0, `${t.id}: the ${side}'s state is not knowable only when it sent nothing in the capture`);
            assert.ok(c.stateNotes[side], `${t.id}: a note says why the ${side}'s state is not knowable`);
            expected[side] = 'UNKNOWN';
          }
          assert.deepStrictEqual(c.finalState, expected, `${t.id}: final states as ss reported them`);
          assert.strictEqual(c.closeInitiator, t.who_closed_first, `${t.id}: who closed first`);
          const resetBy = t.rst.connection_reset_by !== undefined ? t.rst.connection_reset_by : t.rst.occurred ? t.rst.sent_by[0] : null;
          assert.strictEqual(c.reset?.by ?? null, resetBy, `${t.id}: reset by`);
          const codes: string[] = [...new Set(c.findings.map((f) => f.code as string))].sort();
          for (const req of t.findings.required) assert.ok(codes.includes(req), `${t.id}: required finding ${req} in ${codes}`);
          const allowed = new Set<string>([...t.findings.required, ...t.findings.acceptable]);
          for (const code of codes) assert.ok(allowed.has(code), `${t.id}: unexpected finding ${code}`);
        }
      });
    }
  }
});

/**
 * Why each RST was sent: the kernel's own trace says it (the tcp_send_reset tracepoint's reason,
 * recorded by generate.py), and the engine's finding on that RST must give the same reason. The
 * last RST a side's kernel sent is the one on the wire in these scenarios (in 17 the server's
 * abort is dropped before the wire and its listener's answer is seen).
 */
const RESET_REASONS: [RegExp, RegExp, string[]][] = [
  // No socket: a SYN refused, a FIN that came after an orphaned FIN-WAIT-2 timed out (19), a SYN-ACK
  // after the client closed in SYN-SENT (22, 23), data after an orphan gave up on its unacknowledged FIN (24).
  [/reason NO_SOCKET\)/, /^Connection refused|for a connection the sender no longer has$|sender no longer has: the peer's FIN came [\d.]+ s after its own FIN, when its socket was gone: an orphaned FIN-WAIT-2 ends after a timeout|sender no longer has: the peer's SYN-ACK came after the sender had left SYN-SENT|sender no longer has: its FIN was never acknowledged, and a socket gives up after retransmitting it/, ['refused', 'no-connection']],
  [/reason TCP_KEEPALIVE_TIMEOUT\)/, /keepalive timeout: the peer stopped answering keepalive probes/, ['keepalive-timeout']],
  [/reason TCP_ABORT_ON_CLOSE\)/, /abort: the application reset instead of closing|abort on close\(\) with unread data/, ['abort', 'abort-unread-data']],
  [/socket state CLOSE, reason TCP_STATE\)$/, /abort: the application reset instead of closing/, ['abort']],
  [/socket state TIME_WAIT, reason TCP_TIMEWAIT_SOCKET\)/, /after its own FIN/, ['after-fin']],
  // 33, 34: the listener's answer to an ACK from a TIME-WAIT; reaching the TIME-WAIT it is the assassination.
  [/by the listener$/, /for a connection the sender no longer has/, ['no-connection', 'time-wait-assassination']],
];

describe('the reason the engine gives for each RST is the reason the kernel sent it', () => {
  let checked = 0;
  for (const name of fixtures()) {
    const truth = JSON.parse(fs.readFileSync(path.join(DIR, name), 'utf8')) as {
      connections: (TruthConnection & { kernel_trace?: { side: string; event: string; detail: string }[] })[];
    };
    const base = name.replace(/\.json$/, '');
    for (const t of truth.connections) {
      // Every RST each side's kernel sent, in order (the tcp_send_reset tracepoint's reasons).
      const resets = new Map<string, string[]>();
      for (const e of t.kernel_trace ?? []) if (e.event === 'tcp_send_reset') resets.set(e.side, [...(resets.get(e.side) ?? []), e.detail]);
      for (const [side, details] of resets) {
        for (const variant of ['.pcap', '.txt']) {
          it(`${base}${variant}: ${t.id} ${side} (${details.length > 1 ? `${details.length} RSTs, the last: ` : ''}${details[details.length - 1]})`, () => {
            const explain = (detail: string): [RegExp, RegExp, string[]] => {
              const reason = RESET_REASONS.find(([k]) => k.test(detail));
              assert.ok(reason, `no known explanation for the kernel's "${detail}": add one to RESET_REASONS`);
              return reason;
            };
            const a = analyzeFile(path.join(DIR, base + variant));
            const c = find(a, t);
            assert.ok(c, `connection ${t.id} found`);
            const dir = side === 'client' ? 0 : 1;
            // When the capture shows every RST the side's kernel sent (37: the abort, then 32 answers
            // to data that found no socket), each RST on the wire has a kernel reason of its own
            // that explains it (matched as a set: the tracepoint fires when the send returns, so an
            // answer the RST drew back through the namespaces can come first, as in 25); else the
            // last with the last (17: the server's abort is dropped before the wire).
            const wire = c.rsts.filter((x) => x.by === side);
            assert.ok(wire.length > 0, `${t.id}: the ${side}'s RST is in rsts`);
            const pairs: [RstExplanation, string][] = [];
            if (wire.length === details.length) {
              const unused = [...details];
              for (const x of wire) {
                const i = unused.findIndex((d) => explain(d)[2].includes(x.reason));
                assert.ok(i >= 0, `${t.id}: RST in frame ${x.frame}: reason code ${x.reason}, not one of the kernel's reasons left: ${unused.join(' | ')}`);
                pairs.push([x, unused.splice(i, 1)[0]]);
              }
            } else {
              const x = wire[wire.length - 1];
              const detail = details[details.length - 1];
              assert.ok(explain(detail)[2].includes(x.reason), `${t.id}: reason code ${x.reason}, the kernel's "${detail}" is ${explain(detail)[2].join(' or ')}`);
              pairs.push([x, detail]);
            }
            if (t.rst.connection_reset_by === null) {
              // RSTs after a graceful close (33, 34) reset nothing of the connection and raise no
              // finding: the reason is the one its per-RST record (rsts[]) gives.
              const last = pairs[pairs.length - 1];
              assert.match(last[0].message, explain(last[1])[1]);
              return;
            }
            const onRst = c.findings.filter((f) => (f.code === 'abrupt-reset' || f.code === 'refused') && f.row >= 0 && a.rowDir[f.row] === dir);
            assert.strictEqual(onRst.length, 1, `${t.id}: one finding on the ${side}'s RST: ${c.findings.map((f) => f.message).join(' | ')}`);
            // The finding explains the RST it is on, as the kernel's reason for that RST does.
            const paired = pairs.find(([x]) => x.row === onRst[0].row) ?? pairs[pairs.length - 1];
            assert.match(onRst[0].message, explain(paired[1])[1]);
            // The reason code of that RST (analyze --json's reset.reason / rsts[].reason).
            const code = c.rsts.find((x) => x.row === onRst[0].row)?.reason;
            assert.ok(code !== undefined && explain(paired[1])[2].includes(code), `${t.id}: reason code ${code}, the kernel's "${paired[1]}" is ${explain(paired[1])[2].join(' or ')}`);
          });
          checked++;
        }
      }
    }
  }
  it('covers every RST of the kernel fixtures', () => assert.ok(checked >= 14, `${checked} checks (7 RSTs, capture and text)`));
});

/**
 * Every state change of every side, in order, as the kernel recorded it (generate.py's
 * `kernel_states`: the tracepoint sock:inet_sock_set_state for full sockets, completed by
 * sock_diag dumps for request sockets and TIME-WAIT-table mini-sockets), and, where the
 * kernel's timing names one frame unambiguously, the frame that caused each change: the side's
 * own SYN, FIN or RST a change precedes, or the peer's segment whose arrival it follows. The
 * engine's Transition.cause is that frame (rows are frames here: the captures hold only TCP).
 */
interface KernelState {
  state: string;
  kernel: string;
  at: Record<string, { frame: number | null; unambiguous: boolean; why: string | null }>;
}

export function kernelSequenceMismatches(a: Analysis, truthFile: string, captureFile: string): string[] {
  const truth = JSON.parse(fs.readFileSync(truthFile, 'utf8')) as {
    connections: (TruthConnection & { kernel_states?: Record<string, KernelState[]> | null })[];
  };
  const out: string[] = [];
  for (const t of truth.connections) {
    if (!t.kernel_states) continue;
    const c = find(a, t);
    if (!c) {
      out.push(`${t.id}: connection not found`);
      continue;
    }
    const ci = a.connections.indexOf(c);
    for (const side of ['client', 'server'] as const) {
      const kernel = t.kernel_states[side] ?? [];
      const engine = a.transitions.filter((x) => x.side === side && x.row >= 0 && a.rowConn[x.row] === ci);
      const ks = kernel.map((k) => k.state);
      const es = engine.map((x) => x.to as string);
      if (ks.join() !== es.join()) {
        out.push(`${t.id} ${side}: kernel ${ks.join(' -> ') || '(none)'}; engine ${es.join(' -> ') || '(none)'}`);
        continue;
      }
      kernel.forEach((k, i) => {
        const at = k.at[captureFile];
        if (!at || !at.unambiguous || at.frame === null) return;
        const frame = engine[i].row + 1;
        if (frame !== at.frame) out.push(`${t.id} ${side}: ${k.state} (${k.kernel}) at frame ${frame}, the kernel's is ${at.frame}`);
      });
    }
  }
  return out;
}

describe('every state change of every side is the kernel\'s, at the kernel\'s frame', () => {
  let checked = 0;
  for (const name of fixtures()) {
    const doc = JSON.parse(fs.readFileSync(path.join(DIR, name), 'utf8')) as { files: Record<string, unknown>; connections: { kernel_states?: unknown }[] };
    if (!doc.connections.some((c) => c.kernel_states)) continue;
    const captures = Object.entries(doc.files).filter(([k]) => k === 'pcap' || k.startsWith('pcap_at_')).map(([, v]) => v as string);
    for (const cap of captures) {
      for (const variant of [cap, cap.replace(/\.pcap$/, '.txt')]) {
        checked++;
        it(variant, () => {
          const a = analyzeFile(path.join(DIR, variant));
          assert.deepStrictEqual(kernelSequenceMismatches(a, path.join(DIR, name), cap), []);
        });
      }
    }
  }
  it('covers the kernel fixtures', () => assert.ok(checked >= 48, `${checked} captures checked`));
});
