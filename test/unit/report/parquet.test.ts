/**
 * `analyze --format parquet --out DIR`, read back by a real DuckDB (@duckdb/node-api): row counts
 * and SQL answers (connections per outcome, resets per reason, the longest CLOSE-WAIT, findings
 * per code, every connection's fields) equal those of the `--json` document of the same capture,
 * on the kernel fixtures, on a text trace, and on outputs split into many parts (read as one table
 * through a glob, as DuckDB and Spark read a directory).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DuckDBInstance, DuckDBListValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { runAnalyze } from '../../../src/cli/analyze';
import { fmtDuration } from '../../../src/core/engine/records';
import type { AnalysisJson, ConnectionJson } from '../../../src/core/report/json';
import { runCli, type CliRun } from '../cliRun';
import { pcapCopies } from './pcapCopies';

const REPO = path.resolve(__dirname, '../../../..');
const KERNEL = path.join(REPO, 'test/fixtures/kernel');
const fixture = (name: string): string => path.join(KERNEL, name);
const run = (...args: string[]): Promise<CliRun> => runCli(runAnalyze, args);

interface ParquetReport {
  summary: AnalysisJson['summary'];
  parquet: { connections: { rows: number; files: string[] }; segments: { rows: number; files: string[] } };
}

let tmp = '';
let db: DuckDBConnection;

/** A DuckDB value as plain JavaScript: bigints as numbers (every count and frame here is far below 2^53), lists as arrays. */
const plain = (v: DuckDBValue): unknown =>
  typeof v === 'bigint' ? Number(v) : v instanceof DuckDBListValue ? v.items.map(plain) : v;

async function sql(q: string): Promise<unknown[][]> {
  const reader = await db.runAndReadAll(q);
  return reader.getRows().map((row) => row.map(plain));
}

/** A {key: count} object from rows of [key, count]. */
const tally = (rows: unknown[][]): Record<string, number> =>
  Object.fromEntries(rows.map(([k, n]) => [String(k), Number(n)]));
function count<T>(items: readonly T[], key: (x: T) => string | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of items) {
    const k = key(x);
    if (k !== null) out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** Microseconds since the epoch of a JSON time ("seconds.nnnnnnnnn"), as DuckDB's epoch_us gives it. */
function micros(time: string): number {
  const [s, frac] = time.split('.');
  return Number(s) * 1e6 + Number(frac.slice(0, 6));
}

/** The seconds a lingering-half-close finding says a side stayed in CLOSE-WAIT, as the message writes them. */
function lingering(c: ConnectionJson): { side: 'client' | 'server'; text: string }[] {
  const out: { side: 'client' | 'server'; text: string }[] = [];
  for (const f of c.findings) {
    if (f.code !== 'lingering-half-close') continue;
    const m = /The (client|server) (?:never closed: it )?stayed in CLOSE-WAIT for (.+?) after/.exec(f.message);
    assert.ok(m, f.message);
    out.push({ side: m[1] as 'client' | 'server', text: m[2] });
  }
  return out;
}

/**
 * Checks the tables DuckDB reads from `conns` and `segs` (a file, or a glob over parts) against
 * the --json document: counts, the per-outcome, per-reason and per-code answers, every
 * connection's fields, each connection's segments, and the CLOSE-WAIT durations.
 */
async function checkAgainstJson(conns: string, segs: string, doc: AnalysisJson, label: string): Promise<void> {
  const C = `read_parquet('${conns}')`;
  const S = `read_parquet('${segs}')`;
  const js = doc.connections;
  assert.strictEqual((await sql(`SELECT count(*) FROM ${C}`))[0][0], js.length, `${label}: connections`);
  const segments = js.reduce((n, c) => n + c.segments, 0);
  assert.strictEqual((await sql(`SELECT count(*) FROM ${S}`))[0][0], segments, `${label}: segments`);

  // Connections per outcome, resets per reason, findings per code (connections' lists and segments' lists).
  assert.deepStrictEqual(
    tally(await sql(`SELECT outcome, count(*) FROM ${C} GROUP BY outcome`)),
    doc.summary.outcomes,
    `${label}: outcomes`,
  );
  assert.deepStrictEqual(
    tally(await sql(`SELECT reset_reason, count(*) FROM ${C} WHERE reset_reason IS NOT NULL GROUP BY ALL`)),
    count(js, (c) => c.reset?.reason ?? null),
    `${label}: resets per reason`,
  );
  assert.deepStrictEqual(
    tally(await sql(`SELECT code, count(*) FROM (SELECT unnest(finding_codes) AS code FROM ${C}) GROUP BY code`)),
    doc.summary.findings,
    `${label}: findings`,
  );
  assert.deepStrictEqual(
    tally(await sql(`SELECT code, count(*) FROM (SELECT unnest(finding_codes) AS code FROM ${S}) GROUP BY code`)),
    doc.summary.findings,
    `${label}: findings on segments`,
  );

  // Every connection, field by field.
  const rows = await sql(
    `SELECT id, client_ip, client_port, server_ip, server_port, roles_inferred, incarnation, first_frame, last_frame, segments,
            epoch_us(start_time), epoch_us(end_time), close_initiator, outcome, reset_by, reset_frame, reset_reason,
            reset_message, reset_confidence, rsts, vantage, syn_to_synack, synack_to_ack, client_initial_state, server_initial_state, client_final_state, server_final_state, finding_codes, findings,
            client_close_wait, server_close_wait
       FROM ${C} ORDER BY id`,
  );
  assert.deepStrictEqual(
    // (the handshake's timing to the nanosecond, as --json rounds it)
    rows.map((r) => [
      ...r.slice(0, 21),
      ...r.slice(21, 23).map((x) => (x === null ? null : Number((x as number).toFixed(9)))),
      ...r.slice(23, 29),
    ]),
    js.map((c) => [
      c.id,
      c.client.ip,
      c.client.port,
      c.server.ip,
      c.server.port,
      c.rolesInferred,
      c.incarnation,
      c.firstFrame,
      c.lastFrame,
      c.segments,
      micros(c.startTime),
      micros(c.endTime),
      c.closeInitiator,
      c.outcome,
      c.reset?.by ?? null,
      c.reset?.frame ?? null,
      c.reset?.reason ?? null,
      c.reset?.message ?? null,
      c.reset?.confidence ?? null,
      c.rsts.length,
      c.vantage.near,
      c.vantage.synToSynAck,
      c.vantage.synAckToAck,
      c.initialState.client,
      c.initialState.server,
      c.finalState.client,
      c.finalState.server,
      c.findings.map((f) => f.code),
      c.findings.length,
    ]),
    `${label}: connections`,
  );
  // Each connection's segments: as many, from its first frame to its last, the first and last states.
  const perConn = await sql(
    `SELECT connection_id, count(*), min(frame), max(frame),
            arg_min(client_state_before, pos), arg_min(server_state_before, pos),
            arg_max(client_state_after, pos), arg_max(server_state_after, pos)
       FROM (SELECT *, frame * 1e7 + coalesce(line, 0) AS pos FROM ${S}) GROUP BY connection_id ORDER BY connection_id`,
  );
  const last = (c: ConnectionJson, side: 'client' | 'server'): string | null => c.finalState[side];
  for (const [i, c] of js.entries()) {
    const [id, n, first, lastFrame, cb, sb, ca, sa] = perConn[i];
    assert.deepStrictEqual(
      [id, n, first, lastFrame, cb, sb],
      [c.id, c.segments, c.firstFrame, c.lastFrame, c.initialState.client, c.initialState.server],
      `${label}: #${c.id}'s segments`,
    );
    // After the last segment, unless a timer ran out later (TIME-WAIT ends after 2 MSL; a half-open SYN-RECEIVED gives up).
    if (c.finalState.client !== 'CLOSED')
      assert.strictEqual(ca, last(c, 'client'), `${label}: #${c.id}'s client after its last segment`);
    if (c.finalState.server !== 'CLOSED')
      assert.strictEqual(sa, last(c, 'server'), `${label}: #${c.id}'s server after its last segment`);
  }
  // CLOSE-WAIT: every lingering half-close's duration, as the finding writes it; and the longest one.
  const closeWait = new Map(
    rows.map((r) => [r[0] as number, { client: r[29] as number | null, server: r[30] as number | null }]),
  );
  let longest = '';
  let longestSeconds = -1;
  for (const c of js)
    for (const l of lingering(c)) {
      const seconds = closeWait.get(c.id)![l.side];
      assert.ok(seconds !== null, `${label}: #${c.id}'s ${l.side} was in CLOSE-WAIT`);
      assert.strictEqual(fmtDuration(seconds), l.text, `${label}: #${c.id}'s ${l.side} CLOSE-WAIT`);
      if (seconds > longestSeconds) [longest, longestSeconds] = [l.text, seconds];
    }
  if (longestSeconds >= 0) {
    const [[max]] = await sql(
      `SELECT max(greatest(coalesce(client_close_wait, 0), coalesce(server_close_wait, 0))) FROM ${C} WHERE list_contains(finding_codes, 'lingering-half-close')`,
    );
    assert.strictEqual(fmtDuration(max as number), longest, `${label}: the longest CLOSE-WAIT`);
  }
}

async function jsonOf(...args: string[]): Promise<AnalysisJson> {
  const r = await run(...args, '--json');
  assert.strictEqual(r.code, 0, r.err);
  return JSON.parse(r.out) as AnalysisJson;
}

async function parquet(dir: string, ...args: string[]): Promise<ParquetReport> {
  const r = await run(...args, '--format', 'parquet', '--out', dir);
  assert.strictEqual(r.code, 0, r.err);
  return JSON.parse(r.out) as ParquetReport;
}

describe('analyze --format parquet (read back with DuckDB)', () => {
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-parquet-'));
    db = await (await DuckDBInstance.create(':memory:')).connect();
  });
  after(() => {
    db.closeSync();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('on every kernel capture: one file per table, whose rows and SQL answers equal the --json document', async () => {
    const captures = fs.readdirSync(KERNEL).filter((f) => /\.(pcap|pcapng)$/.test(f));
    assert.ok(captures.length >= 24, `${captures.length} captures`);
    let lingered = 0;
    let reset = 0;
    for (const name of captures) {
      const dir = path.join(tmp, name);
      const report = await parquet(dir, fixture(name));
      const doc = await jsonOf(fixture(name));
      assert.deepStrictEqual(report.summary, doc.summary, name);
      assert.deepStrictEqual(report.parquet.connections.files, [path.join(dir, 'connections.parquet')]);
      assert.deepStrictEqual(report.parquet.segments.files, [path.join(dir, 'segments.parquet')]);
      await checkAgainstJson(path.join(dir, 'connections.parquet'), path.join(dir, 'segments.parquet'), doc, name);
      lingered += doc.summary.findings['lingering-half-close'] ?? 0;
      reset += doc.summary.outcomes.reset ?? 0;
    }
    assert.ok(
      lingered >= 1 && reset >= 4,
      `the fixtures have lingering half-closes (${lingered}) and resets (${reset})`,
    );
  });

  it("community_id equals --json's, zeek_conn_state and zeek_history the conn.log's (--format zeek-json)", async () => {
    const captures = fs.readdirSync(KERNEL).filter((f) => /\.(pcap|pcapng)$/.test(f));
    for (const name of captures) {
      const dir = path.join(tmp, name);
      await parquet(dir, fixture(name));
      const doc = await jsonOf(fixture(name));
      const rows = await sql(
        `SELECT community_id, zeek_conn_state, zeek_history FROM '${dir}/connections.parquet' ORDER BY id`,
      );
      assert.deepStrictEqual(
        rows.map((r) => r[0]),
        doc.connections.map((c) => c.communityId),
        name,
      );
      const zeek = await run(fixture(name), '--format', 'zeek-json');
      assert.strictEqual(zeek.code, 0, zeek.err);
      const records = zeek.out
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { conn_state: string; history: string });
      const sorted = (xs: string[]): string[] => [...xs].sort();
      // One engine connection is one conn.log row unless Zeek's timers split it (then comma-separated).
      assert.deepStrictEqual(
        sorted(rows.flatMap((r) => (r[1] as string).split(','))),
        sorted(records.map((z) => z.conn_state)),
        `${name}: conn_state`,
      );
      assert.deepStrictEqual(
        sorted(rows.flatMap((r) => (r[2] as string).split(','))),
        sorted(records.map((z) => z.history)),
        `${name}: history`,
      );
    }
  });

  it('columns have real types: timestamps, 64-bit frames, lists of codes', async () => {
    const dir = path.join(tmp, 'types');
    await parquet(dir, fixture('06-abortive-close-linger0.pcap'));
    const types = Object.fromEntries(
      await sql(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '${dir}/segments.parquet')`),
    ) as Record<string, string>;
    assert.strictEqual(types.time, 'TIMESTAMP WITH TIME ZONE');
    assert.strictEqual(types.frame, 'BIGINT');
    assert.strictEqual(types.kind, 'VARCHAR[]');
    assert.strictEqual(types.seq, 'BIGINT');
    const [[reason, by, at]] = await sql(
      `SELECT reset_reason, reset_by, strftime(start_time, '%Y') FROM '${dir}/connections.parquet'`,
    );
    assert.ok(typeof reason === 'string' && reason.length > 0 && by !== null, String(reason));
    assert.ok(Number(at) >= 2020, `start_time is a real date (${String(at)})`);
    const [[rst]] = await sql(`SELECT flag_names FROM '${dir}/segments.parquet' WHERE flags & 4 <> 0`);
    assert.match(String(rst), /RST/);
  });

  it('splits big outputs into parts of at most --parquet-rows rows, which DuckDB reads as one table', async () => {
    // 30 copies of scenario 11 (two connections on one 4-tuple), 20 s apart: with TIME-WAIT at
    // 2 x 1 s the streaming analysis finishes them in many batches as the capture goes.
    const file = path.join(tmp, 'copies.pcap');
    fs.writeFileSync(file, pcapCopies(fs.readFileSync(fixture('11-tuple-reuse-time-wait.pcap')), 30, 20));
    const dir = path.join(tmp, 'parts');
    const report = await parquet(dir, file, '--msl', '1', '--parquet-rows', '7');
    const doc = await jsonOf(file, '--msl', '1');
    assert.ok(doc.connections.length >= 60, `${doc.connections.length} connections`);
    const { connections, segments } = report.parquet;
    assert.strictEqual(connections.rows, doc.connections.length);
    assert.strictEqual(connections.files.length, Math.ceil(connections.rows / 7));
    assert.strictEqual(segments.files.length, Math.ceil(segments.rows / 7));
    for (const [i, f] of [...connections.files, ...segments.files].entries()) {
      assert.match(f, /\/(connections|segments)\/part-\d{5}\.parquet$/);
      const [[n]] = await sql(`SELECT count(*) FROM '${f}'`);
      assert.ok((n as number) <= 7 && (n as number) > 0, `${f}: ${String(n)} rows (${i})`);
    }
    await checkAgainstJson(
      path.join(dir, 'connections', '*.parquet'),
      path.join(dir, 'segments', '*.parquet'),
      doc,
      'parts',
    );

    // Written again with one part per table: the parts go, one file each is left.
    const again = await parquet(dir, file, '--msl', '1');
    assert.deepStrictEqual(again.parquet.connections.files, [path.join(dir, 'connections.parquet')]);
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), ['connections.parquet', 'segments.parquet']);
    await checkAgainstJson(path.join(dir, 'connections.parquet'), path.join(dir, 'segments.parquet'), doc, 'one part');
  });

  it('a text trace and a filter: the same tables as --json shows', async () => {
    const dir = path.join(tmp, 'text');
    const text = fixture('09-lost-final-ack.txt');
    await parquet(dir, text);
    await checkAgainstJson(`${dir}/connections.parquet`, `${dir}/segments.parquet`, await jsonOf(text), 'text');
    const filtered = path.join(tmp, 'filtered');
    const cap = fixture('11-tuple-reuse-time-wait.pcap');
    const report = await parquet(filtered, cap, '--filter', 'tcp.stream == 1');
    assert.strictEqual(report.parquet.connections.rows, 1);
    await checkAgainstJson(
      `${filtered}/connections.parquet`,
      `${filtered}/segments.parquet`,
      await jsonOf(cap, '--filter', 'tcp.stream == 1'),
      'filtered',
    );
  });

  it('a filter that keeps nothing: both tables exist, with their columns and no rows', async () => {
    const dir = path.join(tmp, 'empty');
    const report = await parquet(dir, fixture('01-client-active-close.pcap'), '--filter', 'tcp.port == 1');
    assert.deepStrictEqual([report.parquet.connections.rows, report.parquet.segments.rows], [0, 0]);
    assert.deepStrictEqual(await sql(`SELECT count(*), count(outcome) FROM '${dir}/connections.parquet'`), [[0, 0]]);
    const columns = await sql(
      `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '${dir}/segments.parquet')`,
    );
    assert.deepStrictEqual(columns.slice(0, 2), [
      ['connection_id', 'INTEGER'],
      ['frame', 'BIGINT'],
    ]);
  });

  it('says what is wrong with the arguments or the directory (exit 2)', async () => {
    const cap = fixture('01-client-active-close.pcap');
    for (const [args, message] of [
      [['--format', 'parquet'], /--format parquet needs --out DIR/],
      [['--out', tmp], /--out DIR goes with --format parquet/],
      [['--format', 'parquet', '--out', tmp, '--parquet-rows', '0'], /--parquet-rows takes a positive whole number/],
      [['--format', 'parquet', '--out', path.join(cap, 'sub')], /cannot write .*sub/],
    ] as const) {
      const r = await run(cap, ...args);
      assert.strictEqual(r.code, 2, r.err);
      assert.match(r.err, message);
      assert.strictEqual(r.out, '');
    }
  });
});
