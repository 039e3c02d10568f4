#!/usr/bin/env node
// The big-capture benchmark (issue 12): the bench capture (.bench/loopback-1m.pcap, made by
// make-capture.sh) at 1x and as 8 copies back to back (editcap -t shifted past the previous copy's
// end plus 2 minutes, mergecap -a: about 10M packets), and on each:
//   analyze --summary, analyze --format jsonl (peak RSS, wall time), each with one thread (--jobs 1)
//   and with a worker thread per core (--jobs N, N = os.availableParallelism()), tshark -q -z conv,tcp;
//   the number of connections found (8 x the distinct handshakes at 8x);
//   decode --format count (reading and decoding every packet, no analysis: the floor of any analysis);
//   the time to the first connection printed when the 8x file comes through a pipe (cat | analyze -);
//   with --steady, the same (but decode) on a steady capture (make-steady.mjs: 150 s of traffic
//   without a gap, where connections are finished at every second while a minute of them is held);
//   with --clients, analyze --summary and --format jsonl (one thread) on two steady captures whose
//   every connection has a client endpoint of its own (make-steady.mjs --distinct-clients), of 150
//   and 600 s (1.2M and 4.9M connections, 1.2 and 4.7 GB): peak RSS of the long one over the short
//   one (the endpoints and 4-tuples seen grow with the capture; what is held must not). No tshark
//   there: at 600 s it would need about 30 GB.
// Figures are ratios against measurements of the same run. Results: stdout and .bench/big.json.
//
//   node scripts/bench/big.mjs [--repeat N] [--no-tshark] [--copies N] [--jobs N] [--steady] [--clients]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure, median } from './measure.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BENCH = path.join(ROOT, '.bench');
const ONE = path.join(BENCH, 'loopback-1m.pcap');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const argv = process.argv.slice(2);
const opt = { repeat: 1, tshark: true, copies: 8, jobs: os.availableParallelism(), steady: false, clients: false };
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--repeat') opt.repeat = Math.max(1, Number(argv[++i]) | 0);
  else if (argv[i] === '--no-tshark') opt.tshark = false;
  else if (argv[i] === '--copies') opt.copies = Math.max(2, Number(argv[++i]) | 0);
  else if (argv[i] === '--jobs') opt.jobs = Math.max(1, Number(argv[++i]) | 0);
  else if (argv[i] === '--steady') opt.steady = true;
  else if (argv[i] === '--clients') opt.clients = true;
  else {
    console.error(`big: unknown argument '${argv[i]}'`);
    process.exit(2);
  }
}
const log = (s) => process.stderr.write(`[big] ${s}\n`);
const load0 = os.loadavg()[0];
if (spawnSync('bash', [path.join(ROOT, 'scripts/bench/make-capture.sh')], { stdio: 'inherit', cwd: ROOT }).status !== 0) process.exit(2);
const manifest = JSON.parse(fs.readFileSync(path.join(BENCH, 'loopback-1m.json'), 'utf8'));
const BIG = path.join(BENCH, `loopback-${opt.copies}x.pcap`);

// ---- the 8x capture (cached, stamped with the 1x file's sha256) ------------------------------------
{
  const stamp = `${BIG}.sha`;
  const recipe = `${manifest.sha256} ${opt.copies}`;
  if (!(fs.existsSync(BIG) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === recipe)) {
    const info = spawnSync('capinfos', ['-a', '-e', '-S', '-T', '-r', ONE], { encoding: 'utf8' }).stdout.trim().split('\t');
    const [first, last] = info.slice(-2).map(Number);
    const shift = Math.ceil(last - first) + 120; // past the previous copy's TIME-WAITs (2 MSL = 60 s)
    const parts = [ONE];
    for (let k = 1; k < opt.copies; k++) {
      const part = path.join(BENCH, `copy-${k}.pcap`);
      if (spawnSync('editcap', ['-F', 'pcap', '-t', String(k * shift), ONE, part], { stdio: 'inherit' }).status !== 0) process.exit(2);
      parts.push(part);
    }
    log(`mergecap -a ${opt.copies} copies, each shifted ${shift} s after the previous`);
    if (spawnSync('mergecap', ['-F', 'pcap', '-a', '-w', BIG, ...parts], { stdio: 'inherit' }).status !== 0) process.exit(2);
    for (const p of parts.slice(1)) fs.rmSync(p);
    fs.writeFileSync(stamp, recipe);
  }
}

// ---- the steady capture (cached: its manifest names the 1x file's size) ---------------------------
/** A steady capture made by make-steady.mjs with `args` (cached: its manifest names the 1x file's size and the copies), and its manifest. */
function steadyCapture(name, args, copies, distinct) {
  const file = path.join(BENCH, `${name}.pcap`);
  const m = path.join(BENCH, `${name}.json`);
  const fresh = () => {
    if (!fs.existsSync(file) || !fs.existsSync(m)) return false;
    const j = JSON.parse(fs.readFileSync(m, 'utf8'));
    return j.inputBytes === fs.statSync(ONE).size && j.copies === copies && (j.distinctClients ?? false) === distinct;
  };
  if (!fresh() && spawnSync(process.execPath, [path.join(ROOT, 'scripts/bench/make-steady.mjs'), '--in', ONE, '--out', file, ...args], { stdio: 'inherit' }).status !== 0) process.exit(2);
  return { file, manifest: JSON.parse(fs.readFileSync(m, 'utf8')) };
}
const STEADY = path.join(BENCH, 'steady.pcap');
const steady = opt.steady ? steadyCapture('steady', [], 150, false).manifest : null;
const clients = opt.clients ? [150, 600].map((n) => ({ copies: n, ...steadyCapture(`steady-clients-${n}`, ['--distinct-clients', '--copies', String(n)], n, true) })) : [];

async function series(name, cmd, extra = {}) {
  const runs = [];
  for (let i = 0; i < opt.repeat; i++) {
    const r = await measure(name, cmd, { dir: BENCH, cwd: ROOT, ...extra });
    if (r.code !== 0) {
      log(`${name}: exit ${r.code}: ${fs.readFileSync(r.errFile, 'utf8').slice(0, 300)}`);
      return { name, available: false };
    }
    log(`${name} #${i + 1}: ${r.wall.toFixed(2)} s, peak ${(r.peakKb / 1024).toFixed(0)} MiB${r.firstLine !== undefined ? `, first line after ${r.firstLine.toFixed(2)} s` : ''}`);
    runs.push(r);
  }
  const last = runs[runs.length - 1];
  return {
    name,
    available: true,
    wall: median(runs.map((r) => r.wall)),
    peakKb: median(runs.map((r) => r.peakKb)),
    firstLine: runs[0].firstLine,
    outFile: last.outFile,
    errFile: last.errFile,
  };
}
/** Line count and last line of an output that may be larger than a string can hold. */
const tail = (file) => ({
  lines: Number(spawnSync('wc', ['-l', file], { encoding: 'utf8' }).stdout.trim().split(' ')[0]),
  last: spawnSync('tail', ['-n', '1', file], { encoding: 'utf8' }).stdout.trim(),
});

const node = process.execPath;
const JOBS = [...new Set([1, opt.jobs])];
const results = { date: new Date().toISOString(), copies: opt.copies, jobs: JOBS, cores: os.availableParallelism(), handshakes1x: manifest.handshakes, sizes: {}, rows: [] };
const captures = [
  ['1x', ONE, manifest.handshakes],
  [`${opt.copies}x`, BIG, opt.copies * manifest.handshakes],
];
if (steady !== null) captures.push(['steady', STEADY, steady.copies * steady.handshakesPerCopy]);
for (const [label, file, expected] of captures) {
  const bytes = fs.statSync(file).size;
  spawnSync('cat', [file], { stdio: ['ignore', 'ignore', 'inherit'] }); // into the page cache
  results.sizes[label] = bytes;
  const row = { label, bytes, expectedConnections: expected, summary: {}, jsonl: {}, decode: null, tshark: null };
  const decode = label === 'steady' ? { available: false } : await series(`${label} decode --format count`, [node, CLI, 'decode', file, '--format', 'count']);
  row.decode = decode.available ? { wall: decode.wall, peakKb: decode.peakKb } : null;
  if (decode.outFile) for (const f of [decode.outFile, decode.errFile]) fs.rmSync(f, { force: true });
  for (const j of JOBS) {
    const summary = await series(`${label} analyze --summary --jobs ${j}`, [node, CLI, 'analyze', file, '--summary', '--jobs', String(j)]);
    const sumDoc = summary.available ? JSON.parse(fs.readFileSync(summary.outFile, 'utf8')) : null;
    row.summary[j] = summary.available ? { wall: summary.wall, peakKb: summary.peakKb, connections: sumDoc.summary.connections, packets: sumDoc.input.packets } : null;
    const jsonl = await series(`${label} analyze --format jsonl --jobs ${j}`, [node, CLI, 'analyze', file, '--format', 'jsonl', '--jobs', String(j)]);
    const jl = jsonl.available ? tail(jsonl.outFile) : null;
    row.jsonl[j] = jl ? { wall: jsonl.wall, peakKb: jsonl.peakKb, connectionLines: jl.lines - 1 } : null;
    for (const r of [summary, jsonl]) if (r.outFile) for (const f of [r.outFile, r.errFile]) fs.rmSync(f, { force: true });
  }
  const tshark = opt.tshark ? await series(`${label} tshark conv,tcp`, ['tshark', '-r', file, '-q', '-z', 'conv,tcp']) : { available: false };
  row.tshark = tshark.available ? { wall: tshark.wall, peakKb: tshark.peakKb } : null;
  if (tshark.outFile) for (const f of [tshark.outFile, tshark.errFile]) fs.rmSync(f, { force: true });
  results.rows.push(row);
}
// Steady captures whose clients are all different: one thread, no tshark.
for (const c of clients) {
  const label = `steady ${c.copies} s, distinct clients`;
  const expected = c.copies * c.manifest.handshakesPerCopy;
  spawnSync('cat', [c.file], { stdio: ['ignore', 'ignore', 'inherit'] });
  const row = { label, bytes: fs.statSync(c.file).size, expectedConnections: expected, summary: {}, jsonl: {}, decode: null, tshark: null, clients: true };
  const summary = await series(`${label} analyze --summary --jobs 1`, [node, CLI, 'analyze', c.file, '--summary', '--jobs', '1']);
  const sumDoc = summary.available ? JSON.parse(fs.readFileSync(summary.outFile, 'utf8')) : null;
  row.summary[1] = summary.available ? { wall: summary.wall, peakKb: summary.peakKb, connections: sumDoc.summary.connections, packets: sumDoc.input.packets } : null;
  const jsonl = await series(`${label} analyze --format jsonl --jobs 1`, [node, CLI, 'analyze', c.file, '--format', 'jsonl', '--jobs', '1']);
  const jl = jsonl.available ? tail(jsonl.outFile) : null;
  row.jsonl[1] = jl ? { wall: jsonl.wall, peakKb: jsonl.peakKb, connectionLines: jl.lines - 1 } : null;
  for (const r of [summary, jsonl]) if (r.outFile) for (const f of [r.outFile, r.errFile]) fs.rmSync(f, { force: true });
  results.rows.push(row);
}

// Time to the first connection printed, the 8x file through a pipe (the default --jobs).
{
  const r = await series(`${opt.copies}x cat | analyze - --format jsonl`, ['bash', '-c', `cat '${BIG}' | '${node}' '${CLI}' analyze - --format jsonl`], { firstLine: true });
  results.pipe = r.available ? { wall: r.wall, firstLineSeconds: r.firstLine, peakKb: r.peakKb } : null;
  if (r.outFile) for (const f of [r.outFile, r.errFile]) fs.rmSync(f, { force: true });
}

const f = (x, d = 2) => (x === undefined || x === null ? '–' : x.toFixed(d));
const mib = (kb) => (kb === undefined ? undefined : kb / 1024);
const lines = [];
lines.push(`| capture | MB | command | wall s | peak MiB | tshark time / ours | connections (expected) |`);
lines.push('|---|---:|---|---:|---:|---:|---:|');
for (const row of results.rows) {
  const ts = row.tshark;
  const add = (name, m, conns) => lines.push(`| ${row.label} | ${(row.bytes / 1e6).toFixed(0)} | ${name} | ${m ? f(m.wall) : 'n/a'} | ${m ? f(mib(m.peakKb), 0) : 'n/a'} | ${m && ts ? `${f(ts.wall / m.wall, 1)}×` : '–'} | ${conns ?? ''} |`);
  for (const j of row.clients ? [1] : JOBS) {
    const s = row.summary[j];
    const l = row.jsonl[j];
    add(`analyze --summary --jobs ${j}`, s, s ? `${s.connections} (${row.expectedConnections})` : '');
    add(`analyze --format jsonl --jobs ${j}`, l, l ? `${l.connectionLines} (${row.expectedConnections})` : '');
  }
  if (row.decode) add('decode --format count (read + decode only)', row.decode, '');
  if (!row.clients) lines.push(`| ${row.label} | ${(row.bytes / 1e6).toFixed(0)} | tshark -q -z conv,tcp | ${ts ? f(ts.wall) : 'n/a'} | ${ts ? f(mib(ts.peakKb), 0) : 'n/a'} | 1 | |`);
}
const [one, big] = results.rows;
const ratio = (a, b) => (a && b ? b.peakKb / a.peakKb : undefined);
lines.push('');
for (const j of JOBS) lines.push(`--jobs ${j}: peak RSS ${big.label} / 1x: --summary ${f(ratio(one.summary[j], big.summary[j]))}, --format jsonl ${f(ratio(one.jsonl[j], big.jsonl[j]))} (goal: at most 1.25)`);
if (JOBS.length > 1) {
  const j = JOBS[1];
  const sp = (a, b) => (a && b ? a.wall / b.wall : undefined);
  lines.push(`--jobs ${j} against --jobs 1 (time with one thread / time with ${j}): ` + results.rows.filter((r) => !r.clients).map((r) => `${r.label} --summary ${f(sp(r.summary[1], r.summary[j]))}, jsonl ${f(sp(r.jsonl[1], r.jsonl[j]))}`).join('; '));
}
{
  const [short, long] = results.rows.filter((r) => r.clients);
  if (short && long) lines.push(`distinct clients: peak RSS ${long.label} / ${short.label}: --summary ${f(ratio(short.summary[1], long.summary[1]))}, --format jsonl ${f(ratio(short.jsonl[1], long.jsonl[1]))} (4 times the connections)`);
}
if (results.pipe) lines.push(`through a pipe (${big.label}, default --jobs): first connection after ${f(results.pipe.firstLineSeconds)} s, all in ${f(results.pipe.wall)} s, peak ${f(mib(results.pipe.peakKb), 0)} MiB`);
lines.push(`machine: ${results.cores} cores; 1-minute load average ${load0.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end`);
const text = lines.join('\n');
console.log(text);
results.text = text;
fs.writeFileSync(path.join(BENCH, 'big.json'), JSON.stringify(results, null, 2) + '\n');
