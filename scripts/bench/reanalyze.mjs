#!/usr/bin/env node
// Re-analysis time of a 10,000-line tcpdump trace, as the language server does it on every edit
// (full re-parse + analysis; the server debounces edits by 150 ms on top of this).
// Needs .bench/loopback-1m.pcap (npm run bench makes it) and tcpdump; uses the compiled out/ tree.
import { execFileSync } from 'child_process';
import { createRequire } from 'module';
import * as path from 'path';
import { fileURLToPath } from 'url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const { loadText } = require(path.join(root, 'out/src/node/loadTrace.js'));
const { analyze } = require(path.join(root, 'out/src/core/engine/index.js'));
const lines = Number(process.argv[2] ?? 10000);
const text = execFileSync('tcpdump', ['-nn', '-r', path.join(root, '.bench/loopback-1m.pcap'), '-c', String(lines)], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'ignore'],
  maxBuffer: 1 << 28,
});
const times = [];
let info = '';
for (let i = 0; i < 21; i++) {
  const t0 = process.hrtime.bigint();
  const l = loadText(i % 2 ? text : `${text}\n`, 'tcpdump-text');
  const a = analyze(l.table, {}, l.steps);
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  info = `${l.table.length} segments, ${a.connections.length} connections, ${l.parseErrors.length} parse errors`;
}
times.sort((x, y) => x - y);
console.log(`re-analysis of a ${lines}-line tcpdump trace (${info}): median ${times[10].toFixed(1)} ms, min ${times[0].toFixed(1)} ms, max ${times[20].toFixed(1)} ms (21 runs)`);
