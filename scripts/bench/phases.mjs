#!/usr/bin/env node
// Where `analyze` spends its time on the bench capture, phase by phase, in one process:
// loading (decode into the segment table), connection tracking, the wire pass, the whole engine
// (tracking + wire pass + replay + summary), the counts (--summary) and the --json text.
// Needs .bench/loopback-1m.pcap (npm run bench makes it); uses the compiled out/ tree (npm run compile).
//   node scripts/bench/phases.mjs [runs] [file]      (file: the bench capture by default)
// Each run's figures are printed as it ends, so the first (a fresh process: code not yet optimized)
// can be told from the later ones.
import { createRequire } from 'module';
import * as path from 'path';
import { fileURLToPath } from 'url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const out = (p) => require(path.join(root, 'out/src', p));
const { loadCapture } = out('node/loadTrace.js');
const { trackConnections } = out('core/engine/tracker.js');
const { wirePass } = out('core/engine/wire.js');
const { analyze } = out('core/engine/index.js');
const { analysisJson, analysisJsonChunks } = out('core/report/json.js');

const runs = Number(process.argv[2] ?? 5);
const file = process.argv[3] ? path.resolve(process.argv[3]) : path.join(root, '.bench/loopback-1m.pcap');
const phases = {};
const time = (name, f) => {
  const t0 = process.hrtime.bigint();
  const r = f();
  (phases[name] ??= []).push(Number(process.hrtime.bigint() - t0) / 1e6);
  return r;
};
let info = '';
for (let i = 0; i < runs; i++) {
  const loaded = time('load (decode into the table)', () => loadCapture(file));
  const t = loaded.table;
  const tracked = time('track connections', () => trackConnections(t));
  time('wire pass', () => wirePass(t, tracked.tracks, tracked.rowConn));
  const a = time('analyze (track + wire + replay + summary)', () => analyze(t));
  time('counts (--summary)', () => analysisJson(a, loaded.input, { connections: false }));
  let bytes = 0;
  time('--json text (all connections and findings)', () => {
    for (const chunk of analysisJsonChunks(a, loaded.input)) bytes += chunk.length;
  });
  const ms = (name) => phases[name][i].toFixed(0);
  console.log(
    `run ${i + 1}: load ${ms('load (decode into the table)')} ms, engine ${ms('analyze (track + wire + replay + summary)')} ms`,
  );
  info = `${t.length} segments, ${a.connections.length} connections, ${a.findings.length} findings, ${(bytes / 1e6).toFixed(1)} MB of JSON`;
}
console.log(`${path.relative(root, file)}: ${info}; ms over ${runs} runs (min / median)`);
for (const [name, ms] of Object.entries(phases)) {
  ms.sort((x, y) => x - y);
  console.log(`  ${name.padEnd(46)} ${ms[0].toFixed(0).padStart(6)} / ${ms[ms.length >> 1].toFixed(0).padStart(6)}`);
}
