/**
 * `analyze --format zeek | zeek-json`: Zeek's conn.log.
 *
 * - conn_state and history of the kernel captures, each checked by reading Zeek's TCP analyzer
 *   (the reasons are in the table's comments);
 * - the streaming path writes the same rows as the whole-capture path;
 * - the TSV header and the JSON field names are Zeek's;
 * - with ../shared/zeek-parity beside the checkout (or TT_ZEEK_PARITY): every trace of Zeek's own
 *   test suite, compared with the conn.log Zeek's developers accept for it by the suite's checker.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runAnalyze } from '../../../src/cli/analyze';
import { analyze } from '../../../src/core/engine';
import { connectionJson } from '../../../src/core/report/json';
import { zeekConnections, zeekLines } from '../../../src/core/report/zeek';
import { loadTrace } from '../../../src/node/loadTrace';
import { runCli } from '../cliRun';

const REPO = path.resolve(__dirname, '../../../..');
const KERNEL = path.join(REPO, 'test/fixtures/kernel');
const fixture = (name: string): string => path.join(KERNEL, name);

function rowsOf(file: string): { state: string; history: string; pkts: [number, number]; bytes: [string, string] }[] {
  const loaded = loadTrace(file);
  assert.strictEqual(loaded.error, null);
  const a = analyze(loaded.table);
  return a.connections.flatMap((c) =>
    zeekConnections(a, c).map((z) => ({
      state: z.connState,
      history: z.history,
      pkts: [z.origPkts, z.respPkts] as [number, number],
      bytes: [z.origBytes.toString(), z.respBytes.toString()] as [string, string],
    })),
  );
}

/** The rows of a conn.log (TSV) as field -> value. */
function tsvRows(text: string): Record<string, string>[] {
  const lines = text.split('\n');
  const fields =
    lines
      .find((l) => l.startsWith('#fields\t'))
      ?.split('\t')
      .slice(1) ?? [];
  return lines
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => Object.fromEntries(l.split('\t').map((v, i) => [fields[i], v])));
}

describe('Zeek conn.log', () => {
  // [capture, conn_state, history] per conn.log row. Upper case: the originator (who sent the
  // first SYN); lower case: the responder. a/d/i/q once per direction, f/h/r/s again only with a
  // new sequence number, t/w/g at the 1st, 10th, 100th... time.
  const EXPECTED: [string, string, string][] = [
    // SYN, SYN-ACK, ACK, request (D), its ACK (a), answer (d), client FIN (F), server FIN (f): the
    // server's ACK of the client's FIN adds nothing (a was seen); both sides CLOSED: SF.
    ['01-client-active-close.pcap', 'SF', 'ShADadFf'],
    ['02-server-active-close.pcap', 'SF', 'ShADadfF'],
    // Crossing FINs: the order on the wire.
    ['03-simultaneous-close.pcap', 'SF', 'ShADadFf'],
    // Only the client closed: the originator CLOSED, the responder ESTABLISHED: S2.
    ['04-half-close-lingering.pcap', 'S2', 'ShADadF'],
    // The client aborts with a RST: originator RESET, responder established: RSTO.
    ['06-abortive-close-linger0.pcap', 'RSTO', 'ShADadR'],
    // RST,ACK answering a SYN: the responder RESET while the originator is in SYN_SENT: REJ.
    ['08-refused-closed-port.pcap', 'REJ', 'Sr'],
    // A zero window from the responder: one w (the first occurrence).
    ['12-keepalive-zero-window.pcap', 'SF', 'ShADadwFf'],
    // The SYN-ACK puts both endpoints in Zeek's ESTABLISHED; retransmitted SYNs and SYN-ACKs
    // repeat their sequence numbers, so no second S or h: S1.
    ['14-half-open.pcap', 'S1', 'Sh'],
    // The server's FIN, then its RST while the client had not closed: the responder goes from
    // CLOSED to RESET: RSTR.
    ['15-server-fin-then-rst.pcap', 'RSTR', 'ShADadfr'],
    // Both sides closed, then the client's RST: a closed endpoint whose peer closed too stays
    // CLOSED (UpdateClosedState): SF, the R still in the history.
    ['19-fin-wait-2-timeout.pcap', 'SF', 'ShADadFfR'],
    // A SYN carrying data (TCP Fast Open): Zeek's endpoint starts with last_seq past that data, so
    // the SYN's payload counts as a retransmission (T); the client's RST to the SYN-ACK: RSTO.
    ['23-syn-sent-close-tfo.pcap', 'RSTO', 'SThR'],
  ];

  for (const [file, state, history] of EXPECTED) {
    it(`${file}: ${state} ${history}`, () => {
      const rows = rowsOf(fixture(file));
      assert.strictEqual(rows.length, 1);
      assert.strictEqual(rows[0].state, state);
      assert.strictEqual(rows[0].history, history);
    });
  }

  it('a 4-tuple reused after TIME-WAIT is two rows, as the engine has two connections', () => {
    const rows = rowsOf(fixture('11-tuple-reuse-time-wait.pcap'));
    assert.deepStrictEqual(
      rows.map((r) => `${r.state} ${r.history}`),
      ['SF ShADadFf', 'SF ShADadFf'],
    );
  });

  it('counts packets per side and payload bytes from sequence numbers (the FINs not counted)', () => {
    const [r] = rowsOf(fixture('01-client-active-close.pcap'));
    // 64-byte request, 200-byte answer (the fixture README); 6 packets from the client, 5 from the server.
    assert.deepStrictEqual(r.bytes, ['64', '200']);
    assert.deepStrictEqual(r.pkts, [6, 5]);
  });

  it('the streaming path writes the same rows as the whole-capture path', async () => {
    const files = fs.readdirSync(KERNEL).filter((f) => f.endsWith('.pcap'));
    assert.ok(files.length >= 20);
    for (const f of files) {
      for (const format of ['zeek', 'zeek-json'] as const) {
        const streamed = await runCli(runAnalyze, [fixture(f), '--format', format, '--community-id']);
        assert.strictEqual(streamed.code, 0, streamed.err);
        const loaded = loadTrace(fixture(f));
        const a = analyze(loaded.table);
        const whole = a.connections.map((c) => zeekLines(a, c, format, { communityId: true })).join('');
        const rows = (text: string): string[] =>
          text
            .split('\n')
            .filter((l) => l !== '' && !l.startsWith('#'))
            .sort();
        assert.deepStrictEqual(rows(streamed.out), rows(whole), `${f} ${format}`);
      }
    }
  });

  it("writes Zeek's TSV header, rows under it and the #close line", async () => {
    const r = await runCli(runAnalyze, [fixture('08-refused-closed-port.pcap'), '--format', 'zeek']);
    assert.strictEqual(r.code, 0, r.err);
    const lines = r.out.trimEnd().split('\n');
    assert.strictEqual(lines[0], '#separator \\x09');
    assert.strictEqual(lines[1], '#set_separator\t,');
    assert.strictEqual(lines[2], '#empty_field\t(empty)');
    assert.strictEqual(lines[3], '#unset_field\t-');
    assert.strictEqual(lines[4], '#path\tconn');
    assert.match(lines[5], /^#open\t\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/);
    const fields = lines[6].split('\t');
    assert.deepStrictEqual(fields.slice(0, 22), [
      '#fields',
      'ts',
      'uid',
      'id.orig_h',
      'id.orig_p',
      'id.resp_h',
      'id.resp_p',
      'proto',
      'service',
      'duration',
      'orig_bytes',
      'resp_bytes',
      'conn_state',
      'local_orig',
      'local_resp',
      'missed_bytes',
      'history',
      'orig_pkts',
      'orig_ip_bytes',
      'resp_pkts',
      'resp_ip_bytes',
      'tunnel_parents',
    ]);
    assert.deepStrictEqual(fields.slice(22), [
      'tt_close_initiator',
      'tt_final_client',
      'tt_final_server',
      'tt_reset_reason',
      'tt_findings',
    ]);
    const types = lines[7].split('\t');
    assert.strictEqual(types[0], '#types');
    assert.strictEqual(types.length, fields.length);
    assert.deepStrictEqual(types.slice(1, 5), ['time', 'string', 'addr', 'port']);
    assert.match(lines[lines.length - 1], /^#close\t\d{4}-/);
    const rows = lines.filter((l) => !l.startsWith('#'));
    assert.strictEqual(rows.length, 1);
    const v = Object.fromEntries(rows[0].split('\t').map((x, i) => [fields[i + 1], x]));
    assert.strictEqual(Object.keys(v).length, fields.length - 1);
    assert.strictEqual(v['id.orig_h'], '10.88.0.1');
    assert.strictEqual(v['id.resp_p'], '8081');
    assert.strictEqual(v.proto, 'tcp');
    assert.strictEqual(v.service, '-');
    assert.strictEqual(v.conn_state, 'REJ');
    assert.strictEqual(v.history, 'Sr');
    // Zeek prints times with six decimals; the uid is "C" and base62.
    assert.match(v.ts, /^\d+\.\d{6}$/);
    assert.match(v.uid, /^C[0-9A-Za-z]{10,}$/);
    assert.strictEqual(v.tt_findings, 'refused');
  });

  it("zeek-json: one object per row with Zeek's field names, unset fields left out; --community-id adds community_id", async () => {
    const file = fixture('06-abortive-close-linger0.pcap');
    const r = await runCli(runAnalyze, [file, '--format', 'zeek-json', '--community-id']);
    assert.strictEqual(r.code, 0, r.err);
    const lines = r.out.trimEnd().split('\n');
    assert.strictEqual(lines.length, 1);
    const o = JSON.parse(lines[0]) as Record<string, unknown>;
    assert.deepStrictEqual(Object.keys(o).slice(0, 7), [
      'ts',
      'uid',
      'id.orig_h',
      'id.orig_p',
      'id.resp_h',
      'id.resp_p',
      'proto',
    ]);
    assert.strictEqual(typeof o.ts, 'number');
    assert.strictEqual(o.conn_state, 'RSTO');
    assert.ok(!('service' in o) && !('tunnel_parents' in o) && !('local_orig' in o));
    const loaded = loadTrace(file);
    const a = analyze(loaded.table);
    assert.strictEqual(o.community_id, connectionJson(a, a.connections[0]).communityId);
    assert.strictEqual(o.tt_close_initiator, 'client');
    // The reset's reason code, as --json gives it.
    assert.strictEqual(o.tt_reset_reason, connectionJson(a, a.connections[0]).reset?.reason);
    assert.strictEqual(o.tt_reset_reason, 'abort');
    // Without --community-id, no such field.
    const plain = await runCli(runAnalyze, [file, '--format', 'zeek-json']);
    assert.ok(!('community_id' in (JSON.parse(plain.out) as object)));
  });

  it('an RFC figure (no times, no windows, no IP lengths): ts unset, no zero-window letter', async () => {
    const r = await runCli(runAnalyze, [
      path.join(REPO, 'test/fixtures/text/rfc9293-normal-close.tcptrace'),
      '--format',
      'zeek-json',
    ]);
    assert.strictEqual(r.code, 0, r.err);
    const o = JSON.parse(r.out) as Record<string, unknown>;
    assert.ok(!('ts' in o) && !('duration' in o));
    assert.strictEqual(o.history, 'FafA');
    assert.strictEqual(o.conn_state, 'SF');
  });

  it('names a bad --zeek-server-ports value and refuses zeek with --json', async () => {
    const bad = await runCli(runAnalyze, [
      fixture('01-client-active-close.pcap'),
      '--format',
      'zeek',
      '--zeek-server-ports',
      '80,x',
    ]);
    assert.strictEqual(bad.code, 2);
    assert.match(bad.err, /--zeek-server-ports takes port numbers/);
    const both = await runCli(runAnalyze, [fixture('01-client-active-close.pcap'), '--format', 'zeek', '--json']);
    assert.strictEqual(both.code, 2);
  });

  const suite = process.env.TT_ZEEK_PARITY ?? path.resolve(REPO, '../shared/zeek-parity');
  const parity = fs.existsSync(path.join(suite, 'check.py')) && spawnSync('python3', ['--version']).status === 0;
  (parity ? it : it.skip)(
    "Zeek's own test traces: conn_state and history agree with Zeek's baseline on every TCP row",
    async function () {
      this.timeout(120_000);
      const options = JSON.parse(
        fs.readFileSync(path.join(REPO, 'scripts/zeek-parity-options.json'), 'utf8'),
      ) as Record<string, string[]>;
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-zeek-'));
      try {
        for (const f of fs.readdirSync(path.join(suite, 'traces'))) {
          const test = f.replace(/\.(pcapng|pcap)$/, '');
          const r = await runCli(runAnalyze, [
            path.join(suite, 'traces', f),
            '--format',
            'zeek',
            ...(options[test] ?? []),
          ]);
          assert.strictEqual(r.code, 0, `${f}: ${r.err}`);
          fs.writeFileSync(path.join(out, `${test}.conn.log`), r.out);
        }
        const check = spawnSync('python3', [path.join(suite, 'check.py'), out, suite, '-q'], { encoding: 'utf8' });
        const total = /zeek parity: conn_state (\d+)\/(\d+), history (\d+)\/(\d+)/.exec(check.stdout);
        assert.ok(total, check.stdout + check.stderr);
        const [, state, rows, history] = total.map(Number);
        assert.ok(rows > 0);
        assert.strictEqual(state, rows, check.stdout);
        assert.strictEqual(history, rows, check.stdout);
        assert.strictEqual(check.status, 0, check.stdout);
        // check.py does not compare IP bytes and missed bytes: every TCP row's, by 4-tuple and ts.
        let compared = 0;
        for (const f of fs.readdirSync(out)) {
          const base = tsvRows(fs.readFileSync(path.join(suite, 'baseline', f), 'utf8'));
          const ts = new Map(
            fs
              .readFileSync(path.join(suite, 'baseline', f.replace(/\.conn\.log$/, '.ts.tsv')), 'utf8')
              .split('\n')
              .filter((l) => l !== '' && !l.startsWith('#'))
              .map((l) => [l.split('\t')[0], Number(l.split('\t')[1])]),
          );
          const ours = tsvRows(fs.readFileSync(path.join(out, f), 'utf8'));
          const id = (r: Record<string, string>): string =>
            `${r['id.orig_h']} ${r['id.orig_p']} ${r['id.resp_h']} ${r['id.resp_p']}`;
          for (const b of base.filter((r) => r.proto === 'tcp')) {
            const o = ours.find((r) => id(r) === id(b) && Math.abs(Number(r.ts) - (ts.get(b.uid) ?? NaN)) < 0.001);
            assert.ok(o, `${f}: ${id(b)}`);
            for (const k of ['orig_ip_bytes', 'resp_ip_bytes', 'missed_bytes'])
              assert.strictEqual(o[k], b[k], `${f}: ${id(b)} ${k}`);
            compared++;
          }
        }
        assert.ok(compared > 0);
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    },
  );
});
