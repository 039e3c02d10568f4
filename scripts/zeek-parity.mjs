#!/usr/bin/env node
// Zeek conn.log parity (npm run zeek-parity, after npm run build).
//
// For every trace in ../shared/zeek-parity/traces (beside the checkout; TT_ZEEK_PARITY
// overrides): traces from Zeek's own test suite, with the conn.log Zeek's developers accept for
// each. Runs `node dist/cli.js analyze TRACE --format zeek` into a temporary directory and lets
// the suite's own checker (check.py) compare our rows with Zeek's: conn_state, history, packets,
// bytes and duration on every TCP row. Prints its per-trace lines and totals (--details: every
// mismatch too). The traces are not ours: read when present, never copied.
//
// Exit status: check.py's (0 when conn_state and history agree on every TCP row), 0 when the
// suite is absent.
//
//   node scripts/zeek-parity.mjs [--details] [--keep DIR]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const suite = process.env.TT_ZEEK_PARITY ?? path.resolve(root, '../shared/zeek-parity');
const cli = path.join(root, 'dist/cli.js');
const details = process.argv.includes('--details');
const keepAt = process.argv.indexOf('--keep');

if (!fs.existsSync(path.join(suite, 'check.py'))) {
  console.log(`zeek-parity: no suite at ${suite} (set TT_ZEEK_PARITY to compare against one); nothing to do`);
  process.exit(0);
}
if (!fs.existsSync(cli)) {
  console.error('zeek-parity: dist/cli.js is missing: run npm run build first');
  process.exit(2);
}
// Zeek's configuration where a test's differs from Zeek's defaults (see the file's comment).
const TEST_OPTIONS = JSON.parse(fs.readFileSync(path.join(root, 'scripts/zeek-parity-options.json'), 'utf8'));

const out = keepAt > 0 ? path.resolve(process.argv[keepAt + 1]) : fs.mkdtempSync(path.join(os.tmpdir(), 'tt-zeek-parity-'));
fs.mkdirSync(out, { recursive: true });
const traces = fs.readdirSync(path.join(suite, 'traces')).sort();
for (const f of traces) {
  const test = f.replace(/\.(pcapng|pcap)$/, '');
  const r = spawnSync(process.execPath, [cli, 'analyze', path.join(suite, 'traces', f), '--format', 'zeek', ...(TEST_OPTIONS[test] ?? [])], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0 && r.status !== 2) {
    console.error(`zeek-parity: ${f}: exit ${r.status}\n${r.stderr}`);
    process.exit(3);
  }
  fs.writeFileSync(path.join(out, `${test}.conn.log`), r.stdout);
}
const check = spawnSync('python3', [path.join(suite, 'check.py'), out, suite, '--present-only', ...(details ? [] : ['-q'])], { encoding: 'utf8' });
process.stdout.write(check.stdout);
process.stderr.write(check.stderr);
if (keepAt < 0) fs.rmSync(out, { recursive: true, force: true });
else console.log(`zeek-parity: our conn.logs are in ${out}`);
process.exit(check.status ?? 2);
