#!/usr/bin/env node
// `analyze --format parquet --out DIR` on the bench capture against `analyze --format jsonl` on the
// same file in the same run: wall time, CPU time and peak RSS (medians of N runs, alternated), and
// what each wrote; then --format parquet once more with V8's heap limited to 96 MiB, which finishes
// only if what the writer holds stays bounded (one row group per table), whatever the capture's size.
// Needs .bench/loopback-1m.pcap (npm run bench makes it) and dist/cli.js.
//   node scripts/bench/parquet.mjs [--repeat N] [--cli PATH] [FILE]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure, median, TIME } from './measure.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
let repeat = 3;
let cli = path.join(ROOT, 'dist', 'cli.js');
let file = path.join(ROOT, '.bench', 'loopback-1m.pcap');
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--repeat') repeat = Math.max(1, Number(argv[++i]) | 0);
  else if (argv[i] === '--cli') cli = path.resolve(argv[++i]);
  else file = path.resolve(argv[i]);
}
for (const need of [file, cli, TIME]) {
  if (!fs.existsSync(need)) {
    console.error(
      `bench: ${need} is missing (npm run bench builds the capture; npm run build the CLI; apt-get install time)`,
    );
    process.exit(2);
  }
}
const work = fs.mkdtempSync(path.join(ROOT, '.bench', 'parquet-'));
const outDir = path.join(work, 'out');
const commands = {
  jsonl: [process.execPath, cli, 'analyze', file, '--format', 'jsonl', '--no-progress'],
  parquet: [process.execPath, cli, 'analyze', file, '--format', 'parquet', '--out', outDir, '--no-progress'],
};
const runs = { jsonl: [], parquet: [] };
for (let i = 0; i < repeat; i++) {
  for (const name of i % 2 === 0 ? ['jsonl', 'parquet'] : ['parquet', 'jsonl']) {
    const r = await measure(name, commands[name], { dir: work, cwd: ROOT });
    if (r.code !== 0) {
      console.error(`bench: ${name} failed (exit ${r.code}): ${fs.readFileSync(r.errFile, 'utf8').slice(0, 500)}`);
      process.exit(1);
    }
    runs[name].push(r);
    process.stderr.write(`[bench] ${name}: ${r.wall.toFixed(2)} s, ${(r.peakKb / 1024).toFixed(0)} MiB\n`);
  }
}
const bounded = await measure('parquet, 96 MiB heap', [process.execPath, '--max-old-space-size=96', ...commands.parquet.slice(1)], { dir: work, cwd: ROOT });
const sizeOf = (p) =>
  fs.statSync(p).isDirectory()
    ? fs.readdirSync(p).reduce((n, e) => n + sizeOf(path.join(p, e)), 0)
    : fs.statSync(p).size;
const report = JSON.parse(fs.readFileSync(runs.parquet.at(-1).outFile, 'utf8'));
const sizes = {
  jsonl: fs.statSync(runs.jsonl.at(-1).outFile).size,
  parquet: sizeOf(outDir),
};
const row = (name) => {
  const rs = runs[name];
  return {
    wall: median(rs.map((r) => r.wall)),
    cpu: median(rs.map((r) => r.cpu)),
    peakMiB: median(rs.map((r) => r.peakKb)) / 1024,
    bytes: sizes[name],
  };
};
const j = row('jsonl');
const p = row('parquet');
console.log(
  `\n${path.basename(file)}: ${report.summary.connections} connections; Parquet: ${report.parquet.connections.rows} + ${report.parquet.segments.rows} rows in ${report.parquet.connections.files.length} + ${report.parquet.segments.files.length} files; medians of ${repeat} runs\n`,
);
console.log('| output | wall s | CPU s | peak RSS MiB | written MB |');
console.log('|---|---:|---:|---:|---:|');
for (const [name, r] of [
  ['--format jsonl', j],
  ['--format parquet', p],
])
  console.log(
    `| ${name} | ${r.wall.toFixed(2)} | ${r.cpu.toFixed(2)} | ${r.peakMiB.toFixed(0)} | ${(r.bytes / 1e6).toFixed(1)} |`,
  );
console.log(
  `\nparquet / jsonl: ${(p.wall / j.wall).toFixed(2)}x the wall time, ${(p.cpu / j.cpu).toFixed(2)}x the CPU time, ${(p.bytes / j.bytes).toFixed(3)}x the bytes (jsonl has no segments)`,
);
console.log(
  `--format parquet with a 96 MiB heap: ${bounded.code === 0 ? `finished in ${bounded.wall.toFixed(2)} s (CPU ${bounded.cpu.toFixed(2)} s, peak RSS ${(bounded.peakKb / 1024).toFixed(0)} MiB)` : `FAILED (exit ${bounded.code})`}`,
);
const loads = [...runs.jsonl, ...runs.parquet].map((r) => r.load1);
console.log(`load average (1 min) at the starts: ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`);
fs.rmSync(work, { recursive: true, force: true });
