#!/usr/bin/env node
// The main thread's per-segment path of the streaming analysis (issue 12), stage by stage: what
// the reading thread does for every segment before any connection is analyzed.
//   read    the file read through fs.createReadStream in CHUNK_SIZE chunks, nothing else (a floor)
//   decode  decodeStream (src/node/captureStream.ts): pcap/pcapng records -> Ethernet/IP/TCP -> SegmentView
//   append  + SegmentTable.append of every segment, the table emptied every 2^17 rows (length = 0)
//           as the stream's held table is after a sweep
//   assign  + Tracker.assign of every row (the stream's default horizons): the connection tracking,
//           with connections finished every 2^17 rows as the stream's sweeps would (their slots reused)
// Each measurement is a fresh process (as the CLI is), timed inside it from the first read to the
// last segment (start-up and module loading excluded): wall time, the process's CPU time (with the
// thread pool's reads and the garbage collector's threads) and the main thread's alone (/proc). Several builds (out/ trees, e.g. one kept
// from before a change) are measured in alternation, run after run, so that the machine's load
// falls on all of them alike; the figures are medians, and ratios against the first build.
// Every build's run of a stage must give the same checksum (segments, rows, connections), unless
// --no-check (experiments that leave work out to see what it costs).
//
//   node scripts/bench/ingest.mjs [--runs N] [--file F] [--stages read,decode,append,assign] [--no-check] [OUT_DIR ...]
//   (OUT_DIR: a compiled out/ tree, default this checkout's; the file: .bench/loopback-1m.pcap)
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './measure.mjs';

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), '../..');
const STAGES = ['read', 'decode', 'append', 'assign'];

if (process.argv[2] === '--child') {
  const [outDir, stage, file] = process.argv.slice(3);
  const require = createRequire(import.meta.url);
  const load = (p) => require(path.join(outDir, 'src', p));
  const { decodeStream } = load('node/captureStream.js');
  const { SegmentTable } = load('core/model/segment.js');
  const { Tracker, Tracks } = load('core/engine/tracker.js');
  const { DEFAULT_OPTIONS, horizonsOf } = load('core/engine/engine.js');
  const RESET = 1 << 17;
  let segments = 0;
  let check = 0;
  // This thread's CPU time (Linux: /proc, in clock ticks of 10 ms), apart from the process's.
  const mainTicks = () => {
    try {
      const f = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return Number(f[11]) + Number(f[12]);
    } catch {
      return NaN;
    }
  };
  const m0 = mainTicks();
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  if (stage === 'read') {
    const { CHUNK_SIZE } = load('node/captureFile.js');
    for await (const chunk of fs.createReadStream(file, { highWaterMark: CHUNK_SIZE })) check += chunk.length;
  } else if (stage === 'decode') {
    await decodeStream(file, (v) => {
      segments++;
      check += v.len;
    });
  } else {
    const table = new SegmentTable(1 << 16);
    const tracks = new Tracks(256);
    const tracker = stage === 'assign' ? new Tracker(table, tracks, horizonsOf(DEFAULT_OPTIONS)) : null;
    // As the stream does at its sweeps (much simplified): the connections whose horizon passed
    // 10 s (the stream's slack) before the latest time are finished, their slots reused.
    const open = [];
    let latest = -Infinity;
    const sweep = () => {
      const expired = latest - 10;
      tracker.expired = expired;
      let kept = 0;
      for (const c of open) {
        if (tracks.liveAt(c, expired, tracker.horizons)) open[kept++] = c;
        else tracker.finish(c);
      }
      open.length = kept;
    };
    await decodeStream(file, (v) => {
      segments++;
      if (table.length === RESET) {
        table.length = 0;
        if (tracker !== null) sweep();
      }
      const r = table.append(v);
      if (tracker !== null) {
        const c = tracker.assign(r);
        if (tracker.opened) open.push(c);
        const t = v.tsSec + v.tsNsec / 1e9;
        if (t > latest) latest = t;
        check += c;
      } else check += table.src[r];
    });
    if (tracker !== null) check = `${check}/${tracks.count}`;
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  const main = (mainTicks() - m0) * 10;
  process.stdout.write(JSON.stringify({ ms, cpu: (c.user + c.system) / 1e3, main, segments, check: String(check) }));
  process.exit(0);
}

const argv = process.argv.slice(2);
let runs = 5;
let file = path.join(ROOT, '.bench/loopback-1m.pcap');
let stages = STAGES;
let checkSums = true;
const builds = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--runs') runs = Math.max(1, Number(argv[++i]) | 0);
  else if (argv[i] === '--file') file = path.resolve(argv[++i]);
  else if (argv[i] === '--stages') stages = argv[++i].split(',');
  else if (argv[i] === '--no-check') checkSums = false;
  else builds.push(path.resolve(argv[i]));
}
if (builds.length === 0) builds.push(path.join(ROOT, 'out'));
for (const s of stages) if (!STAGES.includes(s)) throw new Error(`unknown stage ${s} (${STAGES.join(', ')})`);
if (!fs.existsSync(file)) {
  console.error(`ingest: ${file} is missing (npm run bench makes the bench captures)`);
  process.exit(2);
}

const ms = {};
const cpu = {};
const main = {};
const checks = {};
for (let run = 0; run < runs; run++) {
  for (const stage of stages) {
    for (const b of builds) {
      const p = spawnSync(process.execPath, [SELF, '--child', b, stage, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (p.status !== 0) throw new Error(`${b} ${stage}: exit ${p.status}\n${p.stderr}`);
      const r = JSON.parse(p.stdout);
      (ms[`${stage}|${b}`] ??= []).push(r.ms);
      (cpu[`${stage}|${b}`] ??= []).push(r.cpu);
      (main[`${stage}|${b}`] ??= []).push(r.main);
      const c = `${r.segments}:${r.check}`;
      if ((checks[stage] ??= c) !== c && checkSums) throw new Error(`${stage}: ${b} gives ${c}, the first build ${checks[stage]}`);
    }
  }
}
console.log(`${path.relative(ROOT, file)}: median ms over ${runs} runs each, alternating builds (ratio to the first build); wall | CPU (user + system) | this thread's CPU`);
for (const stage of stages) {
  const cells = (what) =>
    builds.map((b) => {
      const base = median(what[`${stage}|${builds[0]}`]);
      const m = median(what[`${stage}|${b}`]);
      return `${m.toFixed(0).padStart(6)}${b === builds[0] ? '       ' : ` (${(m / base).toFixed(2)})`}`;
    });
  console.log(`  ${stage.padEnd(7)} ${cells(ms).join('  ')}  | ${cells(cpu).join('  ')}  | ${cells(main).join('  ')}`);
}
if (builds.length > 1) builds.forEach((b, i) => console.log(`  build ${i + 1}: ${b}`));
