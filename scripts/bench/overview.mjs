#!/usr/bin/env node
// What the Teardown overview costs the editor (issue 16), each figure a ratio against a reference
// measured in the same run, each run a process of its own under /usr/bin/time (peak RSS, wall time):
//   the ~10M-packet capture (8 shifted copies of the bench capture, made by big.mjs), streaming path:
//     reference  the pass that opens a big capture without the overview (decode, streaming analysis,
//                the connection and record indexes: streamCaptureFile with index, as bigCapture.ts
//                ran it before the overview was fed by it);
//     overview   BigCapture.open, the editor's pass: the same, with every batch also added to the
//                overview's builder, then finish(); then the `teardown/overview` request and a
//                click (a mark's selection);
//     old        what the first overview request cost before: a second pass over the file feeding
//                the builder (no index);
//   the 1.2M-packet bench capture, whole-capture path: the worker's decode and analyze(), without
//   and with the overview built after it (buildOverview, what analysisWorker.ts now does).
// Uses the compiled tree (npm run compile) and the captures in .bench/.
//
//   node scripts/bench/overview.mjs [--repeat N] [--no-8x] [--old]
// Results: stdout and .bench/overview.json.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure, median } from './measure.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BENCH = path.join(ROOT, '.bench');
const argv = process.argv.slice(2);

// ---- the child: one variant on one file ------------------------------------------------------------
if (argv[0] === '--child') {
  const [, variant, file] = argv;
  const require = createRequire(import.meta.url);
  const out = (p) => require(path.join(ROOT, 'out/src', p));
  const { DEFAULT_SETTINGS, engineOptions } = out('server/settings.js');
  const settings = { ...DEFAULT_SETTINGS, severities: {}, streamingThresholdMB: 0 };
  const engine = engineOptions(settings);
  const result = { variant };
  const t0 = performance.now();
  if (variant === 'reference') {
    const { streamCaptureFile } = out('node/captureIndex.js');
    const pass = await streamCaptureFile(file, { engine, index: true });
    result.connections = pass.connections.count;
    result.indexBytes = pass.connections.byteSize + pass.records.byteSize;
  } else if (variant === 'overview') {
    const { BigCapture } = out('server/bigCapture.js');
    const big = await BigCapture.open(file, settings, () => undefined);
    const s = big.summary();
    result.connections = s.connections;
    result.indexBytes = s.indexBytes;
    result.overviewMs = s.overviewMs;
    result.overviewBytes = s.overviewBytes;
    result.passMs = performance.now() - t0;
    // The request reads what the pass made; a click selects a mark's connections.
    const t1 = performance.now();
    const r = await big.run(null, 'overview', {});
    result.requestMs = performance.now() - t1;
    result.answerBytes = JSON.stringify(r).length;
    const key = `k/${r.overview.kinds[0].key}`;
    const t2 = performance.now();
    const sel = await big.run(null, 'overview', { select: key });
    result.selectMs = performance.now() - t2;
    result.selected = sel.selection.count;
  } else if (variant === 'old') {
    const { streamCaptureFile } = out('node/captureIndex.js');
    const { OverviewBuilder } = out('core/report/overview.js');
    const b = new OverviewBuilder();
    await streamCaptureFile(file, { engine, onBatch: (a) => b.add(a) });
    const o = b.finish({ name: path.basename(file), format: 'pcap', packets: 0, segments: 0 });
    result.connections = o.connections;
  } else if (variant === 'whole' || variant === 'whole+overview') {
    const { loadCapture } = out('node/loadTrace.js');
    const { analyze } = out('core/engine/index.js');
    const loaded = loadCapture(file);
    const a = analyze(loaded.table, engine);
    result.analyzeMs = performance.now() - t0;
    result.connections = a.connections.length;
    if (variant === 'whole+overview') {
      const { buildOverview } = out('server/overview.js');
      const built = buildOverview(a, { name: path.basename(file), format: loaded.input.format, packets: loaded.input.packets, segments: loaded.table.length });
      result.overviewMs = built.ms;
      result.overviewBytes = built.builder.byteSize;
    }
  } else throw new Error(`unknown variant ${variant}`);
  result.ms = performance.now() - t0;
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}

// ---- the driver ------------------------------------------------------------------------------------
const opt = { repeat: 1, eight: !argv.includes('--no-8x'), old: argv.includes('--old') };
for (let i = 0; i < argv.length; i++) if (argv[i] === '--repeat') opt.repeat = Math.max(1, Number(argv[++i]) | 0);
const ONE = path.join(BENCH, 'loopback-1m.pcap');
const EIGHT = path.join(BENCH, 'loopback-8x.pcap');
const log = (s) => process.stderr.write(`[overview] ${s}\n`);
if (!fs.existsSync(path.join(ROOT, 'out/src/server/bigCapture.js'))) {
  console.error('overview: out/ is missing: run npm run compile first');
  process.exit(2);
}
if (!fs.existsSync(ONE)) {
  console.error('overview: .bench/loopback-1m.pcap is missing: run scripts/bench/make-capture.sh (or npm run bench)');
  process.exit(2);
}
const groups = [];
if (opt.eight) {
  if (!fs.existsSync(EIGHT)) log('.bench/loopback-8x.pcap is missing (node scripts/bench/big.mjs --no-tshark makes it): 8x skipped');
  else groups.push({ name: 'streaming path, 8x', file: EIGHT, variants: ['reference', 'overview', ...(opt.old ? ['old'] : [])] });
}
groups.push({ name: 'whole path, 1x', file: ONE, variants: ['whole', 'whole+overview'] });

const results = [];
for (const g of groups) {
  const runs = Object.fromEntries(g.variants.map((v) => [v, []]));
  for (let k = 0; k < opt.repeat; k++) {
    // Alternate the order, so that a change in the machine's load falls on both.
    const order = k % 2 === 0 ? g.variants : [...g.variants].reverse();
    for (const v of order) {
      const m = await measure(`${g.name} ${v}`, ['node', '--max-old-space-size=16384', fileURLToPath(import.meta.url), '--child', v, g.file], { dir: BENCH, cwd: ROOT });
      if (m.code !== 0) {
        log(`${g.name} ${v}: exit ${m.code}: ${fs.readFileSync(m.errFile, 'utf8').slice(0, 600)}`);
        process.exit(1);
      }
      const out = JSON.parse(fs.readFileSync(m.outFile, 'utf8').trim().split('\n').pop());
      const r = { ...out, peakMiB: m.peakKb / 1024, wall: m.wall, cpu: m.cpu, load1: m.load1 };
      runs[v].push(r);
      log(`${g.name} ${v}: ${r.wall.toFixed(1)} s, peak ${r.peakMiB.toFixed(0)} MiB, load ${m.load1.toFixed(1)}`);
    }
  }
  results.push({ ...g, bytes: fs.statSync(g.file).size, runs });
}

const mib = (b) => (b / 2 ** 20).toFixed(1);
const med = (rs, f) => median(rs.map(f));
console.log(`\nThe Teardown overview's cost (median of ${opt.repeat} run${opt.repeat > 1 ? 's' : ''} per variant, each a process; ratios against the reference of the same run):`);
for (const g of results) {
  const ref = g.runs[g.variants[0]];
  const refWall = med(ref, (r) => r.wall);
  const refPeak = med(ref, (r) => r.peakMiB);
  const refCpu = med(ref, (r) => r.cpu);
  console.log(`  ${g.name}: ${(g.bytes / 1e6).toFixed(0)} MB, ${ref[0].connections.toLocaleString('en-US')} connections`);
  for (const v of g.variants) {
    const rs = g.runs[v];
    const wall = med(rs, (r) => r.wall);
    const peak = med(rs, (r) => r.peakMiB);
    const cpu = med(rs, (r) => r.cpu);
    let line = `    ${v}: wall ${wall.toFixed(1)} s (${(wall / refWall).toFixed(2)}x), CPU ${cpu.toFixed(1)} s (${(cpu / refCpu).toFixed(2)}x), peak RSS ${peak.toFixed(0)} MiB (${(peak / refPeak).toFixed(2)}x)`;
    if (rs[0].overviewMs !== undefined) {
      // In the same process: the builder's share of the pass (or of decode + analyze) it was part of.
      const whole = rs[0].passMs !== undefined ? 'the pass' : 'decode + analyze';
      const share = med(rs, (r) => r.overviewMs / (r.passMs ?? r.analyzeMs));
      line += `; overview built in ${(med(rs, (r) => r.overviewMs) / 1000).toFixed(2)} s (${(100 * share).toFixed(1)}% of ${whole}, same process), its arrays ${mib(rs[0].overviewBytes)} MiB`;
    }
    if (rs[0].indexBytes !== undefined) line += `; indexes ${mib(rs[0].indexBytes)} MiB`;
    if (rs[0].requestMs !== undefined)
      line += `; request ${med(rs, (r) => r.requestMs).toFixed(1)} ms (${(rs[0].answerBytes / 1024).toFixed(1)} KB), a click (${rs[0].selected.toLocaleString('en-US')} connections) ${med(rs, (r) => r.selectMs).toFixed(0)} ms`;
    console.log(line);
  }
}
fs.writeFileSync(path.join(BENCH, 'overview.json'), JSON.stringify({ date: new Date().toISOString(), repeat: opt.repeat, results }, null, 2));
