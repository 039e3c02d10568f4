#!/usr/bin/env node
// The editor with a big capture (issue 12): the language server's capture worker (dist/server.js run
// as a worker_thread, as the server runs it), driven directly with the worker protocol, on
//   the 1.2M-packet bench capture through the whole-capture path (decoded and analyzed whole, today's
//   path below teardownTracer.streamingThresholdMB), and through the streaming path, and
//   the ~10M-packet capture (8 shifted copies, made by big.mjs) through the streaming path,
// each in a process of its own under /usr/bin/time: its peak RSS (main thread + worker), the time to
// load, and the time of what the editor then asks (the whole view's text, the side bar's counts and
// first pages, a page and a ladder from the end of the file, a connection's view and a hover, a
// display filter, which re-reads the file; the Teardown overview, made during the load, and a click on
// one of its marks). Ratios against the whole path at 1x, same run (scripts/bench/overview.mjs
// measures the overview's own cost against the load without it).
//
//   node scripts/bench/editor.mjs [--no-8x] [--whole-8x] [--no-filter]
// Results: stdout and .bench/editor.json. Needs `npm run build` and the captures (.bench/).
import { Worker } from 'node:worker_threads';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure } from './measure.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BENCH = path.join(ROOT, '.bench');
const SERVER = path.join(ROOT, 'dist', 'server.js');
const WORKER_ROLE = 'teardown-tracer-analysis';
const argv = process.argv.slice(2);

// ---- the child: one capture, one path -------------------------------------------------------------
if (argv[0] === '--child') {
  const [, file, threshold, filter] = argv;
  const settings = { severities: {}, mslSeconds: 30, lingerSeconds: 30, relative: true, maxSegmentsShown: 50_000, streamingThresholdMB: Number(threshold) };
  const worker = new Worker(SERVER, { workerData: { role: WORKER_ROLE } });
  let next = 1;
  const pending = new Map();
  let loaded;
  const progress = [];
  worker.on('message', (m) => {
    if (m.type === 'loaded') loaded?.(m.summary);
    else if (m.type === 'progress') progress.push(m.message);
    else if (m.type === 'result' || m.type === 'failed') {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.type === 'result') p.resolve(m.value);
      else p.reject(new Error(m.message));
    }
  });
  const call = (uri, connection, name, params) =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ type: 'call', id, uri, connection, name, params });
    });
  const timed = async (what, fn) => {
    const t0 = performance.now();
    const v = await fn();
    times[what] = Math.round(performance.now() - t0);
    return v;
  };
  const times = {};
  const t0 = performance.now();
  const summary = await new Promise((resolve) => {
    loaded = resolve;
    worker.postMessage({ type: 'load', generation: 0, path: file, settings });
  });
  times.load = Math.round(performance.now() - t0);
  const all = `teardown-capture:${file}?view=all`;
  const view = await timed('whole view text', () => call(all, undefined, 'openCapture', undefined));
  const overview = await timed('overview (made during the load)', () => call(all, undefined, 'overview', {}));
  await timed(`overview click (${overview.overview.kinds[0]?.key})`, () => call(all, undefined, 'overview', { select: `k/${overview.overview.kinds[0]?.key}` }));
  const counts = await timed('counts (limit 0)', () => call(all, undefined, 'connections', { limit: 0 }));
  const outcomes = Object.entries(counts.summary.outcomes).filter(([, n]) => n > 0);
  await timed('first page of 500 of every group', () => Promise.all(outcomes.map(([outcome]) => call(all, undefined, 'connections', { outcome, offset: 0, limit: 500 }))));
  const [bigGroup, bigCount] = outcomes.reduce((x, y) => (y[1] > x[1] ? y : x));
  await timed('page of 500 at the end of the largest group', () => call(all, undefined, 'connections', { outcome: bigGroup, offset: Math.max(0, bigCount - 500), limit: 500 }));
  const last = counts.summary.connections;
  const ladder = await timed('ladder of the last connection', () => call(all, undefined, 'segments', { connection: last, start: 0, count: 200 }));
  const one = `teardown-capture:${file}?conn=${last}`;
  await timed("the last connection's view", () => call(one, last, 'openCapture', undefined));
  const hover = await timed('hover in it', () => call(one, last, 'hover', { line: 1 }));
  let filtered = null;
  if (filter === '1') filtered = await timed('display filter tcp.flags.reset == 1 (counts)', () => call(all, undefined, 'connections', { filter: 'tcp.flags.reset == 1', limit: 0 }));
  const out = {
    summary,
    times,
    viewLines: view.text.split('\n').length - 1,
    shownSegments: view.shownSegments,
    totalSegments: view.totalSegments,
    connections: counts.summary.connections,
    findings: counts.summary.findings,
    ladderSegments: ladder.total,
    hover: hover !== null,
    filterMatches: filtered?.summary.connections ?? null,
    progress: progress.filter((m) => / MiB\/s$/.test(m)).slice(-1)[0] ?? progress.slice(-2)[0] ?? '',
    heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
  await worker.terminate();
  process.exit(0);
}

// ---- the driver ------------------------------------------------------------------------------------
const ONE = path.join(BENCH, 'loopback-1m.pcap');
const EIGHT = path.join(BENCH, 'loopback-8x.pcap');
if (!fs.existsSync(SERVER)) {
  console.error('editor: dist/server.js is missing: run npm run build first');
  process.exit(2);
}
if (!fs.existsSync(ONE)) {
  console.error('editor: .bench/loopback-1m.pcap is missing: run scripts/bench/make-capture.sh (or npm run bench)');
  process.exit(2);
}
const log = (s) => process.stderr.write(`[editor] ${s}\n`);
const runs = [
  { name: 'whole path, 1x', file: ONE, threshold: 1e9 },
  { name: 'streaming path, 1x', file: ONE, threshold: 0 },
];
if (!argv.includes('--no-8x')) {
  if (!fs.existsSync(EIGHT)) log('.bench/loopback-8x.pcap is missing (node scripts/bench/big.mjs makes it): 8x skipped');
  else {
    runs.push({ name: 'streaming path, 8x', file: EIGHT, threshold: 0 });
    if (argv.includes('--whole-8x')) runs.push({ name: 'whole path, 8x', file: EIGHT, threshold: 1e9 });
  }
}
const results = [];
for (const r of runs) {
  const filter = argv.includes('--no-filter') ? '0' : '1';
  const m = await measure(r.name, ['node', '--max-old-space-size=16384', path.join(ROOT, 'scripts/bench/editor.mjs'), '--child', r.file, String(r.threshold), filter], { dir: BENCH, cwd: ROOT });
  if (m.code !== 0) {
    log(`${r.name}: exit ${m.code}: ${fs.readFileSync(m.errFile, 'utf8').slice(0, 400)}`);
    continue;
  }
  const out = JSON.parse(fs.readFileSync(m.outFile, 'utf8').trim().split('\n').pop());
  const res = { ...r, bytes: fs.statSync(r.file).size, peakMiB: Math.round(m.peakKb / 1024), wall: m.wall, ...out };
  results.push(res);
  log(`${r.name}: peak RSS ${res.peakMiB} MiB, load ${(out.times.load / 1000).toFixed(1)} s, ${out.connections} connections, ${out.summary.segments} segments`);
}
const ref = results.find((r) => r.name === 'whole path, 1x');
console.log('\nThe editor with a big capture (language-server capture worker, peak RSS of its process):');
for (const r of results) {
  const ratio = ref ? ` (${(r.peakMiB / ref.peakMiB).toFixed(2)}x the whole path at 1x)` : '';
  console.log(`  ${r.name}: ${(r.bytes / 1e6).toFixed(0)} MB, ${r.summary.segments.toLocaleString('en-US')} segments, ${r.connections.toLocaleString('en-US')} connections: peak ${r.peakMiB} MiB${ratio}`);
  if (r.summary.indexBytes) console.log(`    index: ${(r.summary.indexBytes / 2 ** 20).toFixed(1)} MiB`);
  if (r.summary.overviewMs !== undefined)
    console.log(`    overview: built in ${(r.summary.overviewMs / 1000).toFixed(2)} s during the load, its arrays ${(r.summary.overviewBytes / 2 ** 20).toFixed(1)} MiB`);
  console.log(`    ${Object.entries(r.times).map(([k, v]) => `${k} ${v} ms`).join('; ')}`);
  if (r.progress) console.log(`    last progress report: ${r.progress}`);
}
fs.writeFileSync(path.join(BENCH, 'editor.json'), JSON.stringify({ date: new Date().toISOString(), results }, null, 2));
