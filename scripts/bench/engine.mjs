#!/usr/bin/env node
// The engine's batch analysis alone (issue 12): `analyze()` of the batches the streaming analysis
// hands it (as `analyze --summary` / `--format jsonl` run it), without decoding or output.
// The capture is decoded once and streamed once; the batches (tables of finished connections with
// their BatchContext) are kept, then analyzed again and again, and so is the whole table.
//   node scripts/bench/engine.mjs [--runs N] [--file F] [--ref OUT_DIR]... [--batches-only]
// --ref (repeatable): another compiled tree (e.g. a copy of out/ built from main) whose analyze()
// runs in the same process, in turn with this tree's, so they are compared under the same load.
// Needs .bench/loopback-1m.pcap (npm run bench makes it) and the compiled out/ tree (npm run compile).
import { createRequire } from 'module';
import * as path from 'path';
import { fileURLToPath } from 'url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
const opt = { runs: 7, file: path.join(root, '.bench/loopback-1m.pcap'), refs: [], whole: true };
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--runs') opt.runs = Math.max(1, Number(argv[++i]) | 0);
  else if (argv[i] === '--file') opt.file = path.resolve(argv[++i]);
  else if (argv[i] === '--ref') opt.refs.push(path.resolve(argv[++i]));
  else if (argv[i] === '--batches-only') opt.whole = false;
  else {
    console.error(`engine: unknown argument '${argv[i]}'`);
    process.exit(2);
  }
}

const tree = (dir) => (p) => require(path.join(dir, 'src', p));
const out = tree(path.join(root, 'out'));
const { decodeFile } = out('node/captureFile.js');
const { SegmentTable } = out('core/model/segment.js');
const { StreamingAnalysis } = out('core/engine/stream.js');
const engineModule = out('core/engine/engine.js');

// The batches as the stream makes them: its analyze() is wrapped (stream.ts calls it through the
// module's exports) to keep each call's arguments.
const batches = [];
const analyzeOwn = engineModule.analyze;
engineModule.analyze = (table, options, steps, batch, observed) => {
  batches.push({ table, options, batch: { ...batch, ids: batch.ids.slice(), incarnations: batch.incarnations.slice() } });
  return analyzeOwn(table, options, steps, batch, observed);
};
const whole = new SegmentTable(1 << 20);
const stream = new StreamingAnalysis({}, () => {});
decodeFile(opt.file, (v) => {
  whole.append(v);
  stream.push(v);
});
stream.end();
engineModule.analyze = analyzeOwn;
const rows = batches.reduce((s, b) => s + b.table.length, 0);
const conns = batches.reduce((s, b) => s + b.batch.ids.length, 0);
console.log(`${path.relative(root, opt.file)}: ${whole.length} segments; ${batches.length} batches, ${rows} rows, ${conns} connections`);

const builds = [['this', analyzeOwn]];
for (const ref of opt.refs) builds.push([path.basename(path.dirname(ref)) + '/' + path.basename(ref), tree(ref)('core/engine/engine.js').analyze]);
const ms = {};
// Wall time, and CPU time of the process (its garbage collector's threads too): the machine may
// be shared, and CPU time is what other work on it changes least.
const time = (name, f) => {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const r = f();
  const c = process.cpuUsage(c0);
  (ms[`${name} wall`] ??= []).push(Number(process.hrtime.bigint() - t0) / 1e6);
  (ms[`${name} CPU`] ??= []).push((c.user + c.system) / 1e3);
  return r;
};
let check = '';
for (let i = 0; i < opt.runs; i++) {
  // Rotating which build goes first, so none always runs after the same one's garbage.
  const order = builds.map((_, j) => builds[(i + j) % builds.length]);
  for (const [name, analyze] of order) {
    let findings = 0;
    time(`${name}: batches`, () => {
      for (const b of batches) findings += analyze(b.table, b.options, undefined, b.batch).findings.length;
    });
    const a = opt.whole ? time(`${name}: whole table`, () => analyze(whole)) : undefined;
    const c = `${findings} findings in batches` + (a ? `, ${a.connections.length} connections and ${a.findings.length} findings in the whole table` : '');
    if (check === '') check = c;
    else if (check !== c) throw new Error(`${name} gives ${c}, not ${check}`);
  }
}
console.log(`${check}; ms over ${opt.runs} runs (min / median)`);
for (const [name, t] of Object.entries(ms)) {
  t.sort((x, y) => x - y);
  console.log(`  ${name.padEnd(40)} ${t[0].toFixed(0).padStart(6)} / ${t[t.length >> 1].toFixed(0).padStart(6)}`);
}
