#!/usr/bin/env node
// `npm run bench`: decode and analysis throughput on a 1,000,000+ packet loopback capture, against
// `tshark -r FILE -q -z conv,tcp` measured on the same file in the same run.
//
//   node scripts/bench/run.mjs [--repeat N] [--force] [--no-tshark] [--cli PATH]
//
// 1. scripts/bench/make-capture.sh builds .bench/loopback-1m.pcap once (cached; --force rebuilds) and
//    records the ground truth in .bench/loopback-1m.json (packets, distinct handshakes, port reuse).
// 2. Every command runs N times (default 3) under /usr/bin/time; the table shows medians of wall
//    time and of peak RSS. Ratios are tshark's median over ours, from this run only.
// 3. Decode memory is also measured on the first 10% and 50% of the packets (editcap -r): a flat
//    decoder keeps the same peak on all three.
// 4. The full analysis document is checked: as many connections as distinct handshakes, every one
//    with an outcome, a close initiator and both final states; outcomes are tallied.
// Results: the table on stdout and .bench/results.json. A command that fails (not built yet, or
// an unknown option) is reported as "not available" and the rest goes on.
import { spawnSync } from 'node:child_process';
import { measure, median, TIME } from './measure.mjs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BENCH = path.join(ROOT, '.bench');
const CAPTURE = path.join(BENCH, 'loopback-1m.pcap');
const MANIFEST = path.join(BENCH, 'loopback-1m.json');
let CLI = path.join(ROOT, 'dist', 'cli.js');

const argv = process.argv.slice(2);
const opt = { repeat: 3, force: false, tshark: true };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--repeat') opt.repeat = Math.max(1, Number(argv[++i]) | 0);
  else if (a === '--force') opt.force = true;
  else if (a === '--no-tshark') opt.tshark = false;
  else if (a === '--cli') CLI = path.resolve(argv[++i]);
  else {
    console.error(
      `bench: unknown argument '${a}'\nusage: node scripts/bench/run.mjs [--repeat N] [--force] [--no-tshark] [--cli dist/cli.js]`,
    );
    process.exit(2);
  }
}

const log = (s) => process.stderr.write(`[bench] ${s}\n`);

// ---- 1. the capture -------------------------------------------------------------------------
{
  const r = spawnSync('bash', [path.join(ROOT, 'scripts/bench/make-capture.sh'), ...(opt.force ? ['--force'] : [])], {
    stdio: 'inherit',
    cwd: ROOT,
  });
  if (r.status !== 0) {
    console.error('bench: could not build the capture (see above)');
    process.exit(2);
  }
}
if (!fs.existsSync(TIME)) {
  console.error(`bench: ${TIME} is missing: apt-get install time`);
  process.exit(2);
}
const manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8'));
warm(CAPTURE);

/** Reads a file once so that every command finds it in the page cache. */
function warm(file) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
  fs.closeSync(fd);
}

/** The first `packets` packets of the capture, made once with editcap. */
function prefix(fraction) {
  const packets = Math.round(manifest.packets * fraction);
  const file = path.join(BENCH, `loopback-1m.first-${Math.round(fraction * 100)}pct.pcap`);
  const stamp = `${file}.sha`;
  // pcap like the whole file (editcap writes pcapng unless told), stamped with the whole file's sha256.
  const recipe = `${manifest.sha256} pcap`;
  if (fs.existsSync(file) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === recipe) {
    warm(file);
    return { file, packets, bytes: fs.statSync(file).size };
  }
  const r = spawnSync('editcap', ['-F', 'pcap', '-r', CAPTURE, file, `1-${packets}`], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('editcap failed');
  fs.writeFileSync(stamp, recipe);
  return { file, packets, bytes: fs.statSync(file).size };
}

// ---- measuring one command: measure.mjs ------------------------------------------------------
/** Runs a command `repeat` times; stops at the first failure. */
async function series(name, cmd, repeat = opt.repeat) {
  const runs = [];
  for (let i = 0; i < repeat; i++) {
    const r = await measure(name, cmd, { dir: BENCH, cwd: ROOT });
    if (r.code !== 0) {
      const why =
        fs
          .readFileSync(r.errFile, 'utf8')
          .split('\n')
          .filter((l) => l && !/Running as user/.test(l))[0] ?? `exit ${r.code}`;
      log(`${name}: not available (exit ${r.code}: ${why.slice(0, 200)})`);
      cleanupRun(r);
      for (const k of runs) cleanupRun(k);
      return { name, cmd: cmd.join(' '), available: false, reason: `exit ${r.code}: ${why.slice(0, 300)}` };
    }
    log(
      `${name} #${i + 1}: ${r.wall.toFixed(3)} s, peak ${(r.peakKb / 1024).toFixed(1)} MiB, cpu ${r.cpu.toFixed(2)} s, load ${r.load1.toFixed(2)}`,
    );
    runs.push(r);
    if (i < repeat - 1) cleanupRun(r);
  }
  const last = runs[runs.length - 1];
  return {
    name,
    cmd: cmd.join(' '),
    available: true,
    wall: median(runs.map((r) => r.wall)),
    peakKb: median(runs.map((r) => r.peakKb)),
    cpu: median(runs.map((r) => r.cpu)),
    walls: runs.map((r) => +r.wall.toFixed(4)),
    peaksKb: runs.map((r) => r.peakKb),
    loads: runs.map((r) => +r.load1.toFixed(2)),
    outFile: last.outFile,
    errFile: last.errFile,
  };
}
function cleanupRun(r) {
  fs.rmSync(r.outFile, { force: true });
  fs.rmSync(r.errFile, { force: true });
}

/** The decoder's own figures from `--stats` on stderr: a JSON line, or "N ms" / "N packets/s". */
function parseStats(errFile) {
  const text = fs.readFileSync(errFile, 'utf8');
  for (const line of text.split('\n').reverse()) {
    const t = line.trim();
    if (t.startsWith('{')) {
      try {
        return { raw: t, ...JSON.parse(t) };
      } catch {
        /* not JSON */
      }
    }
  }
  const num = (re) => {
    const m = text.match(re);
    return m ? Number(m[1].replace(/[,_]/g, '')) : undefined;
  };
  return {
    raw: text.trim().split('\n').slice(-3).join(' | '),
    ms: num(/([\d.,_]+)\s*ms\b/),
    packetsPerSecond: num(/([\d.,_]+(?:e\d+)?)\s*packets\/s/i),
    packets: num(/([\d,_]+)\s*packets\b(?!\/)/i),
  };
}

// ---- 2. the runs -----------------------------------------------------------------------------
const cliExists = fs.existsSync(CLI);
if (!cliExists) log(`${path.relative(ROOT, CLI)} is missing: run 'npm run build' (npm run bench does)`);
const node = process.execPath;
const results = {
  date: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? '?',
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    kernel: os.release(),
    node: process.version,
    tshark: (spawnSync('tshark', ['--version'], { encoding: 'utf8' }).stdout ?? '').split('\n')[0],
    loadAverageAtStart: os.loadavg().map((x) => +x.toFixed(2)),
  },
  // dist/ is built from the work tree, which may hold changes not yet committed.
  source: {
    commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim(),
    uncommittedSrcFiles: (
      spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).stdout ?? ''
    )
      .split('\n')
      .filter(Boolean).length,
  },
  capture: {
    file: path.relative(ROOT, CAPTURE),
    bytes: manifest.bytes,
    packets: manifest.packets,
    handshakes: manifest.handshakes,
    tuples: manifest.tuples,
    connectionsPerTupleMean: manifest.reuse.connectionsPerTupleMean,
    connectionsPerTupleMax: manifest.reuse.connectionsPerTupleMax,
    tuplesReused: manifest.reuse.tuplesReused,
    generationSeconds: manifest.generation.totalSeconds,
    loadSeconds: manifest.generation.loadSeconds,
  },
  repeat: opt.repeat,
  rows: {},
};
const na = (name, reason) => ({ name, available: false, reason });

log(
  `capture: ${manifest.packets} packets, ${manifest.handshakes} handshakes on ${manifest.tuples} 4-tuples, ${(manifest.bytes / 1e6).toFixed(1)} MB`,
);

// tshark
if (opt.tshark) {
  const t = await series('tshark conv,tcp', ['tshark', '-r', CAPTURE, '-q', '-z', 'conv,tcp']);
  if (t.available) {
    const lines = fs.readFileSync(t.outFile, 'utf8').split('\n');
    t.conversations = lines.filter((l) => /<->/.test(l)).length;
  }
  results.rows.tshark = t;
} else results.rows.tshark = na('tshark conv,tcp', '--no-tshark');

// decode
results.rows.decode = cliExists
  ? await series('decode --format count', [node, CLI, 'decode', CAPTURE, '--format', 'count', '--stats'])
  : na('decode --format count', 'dist/cli.js missing');
if (results.rows.decode.available) {
  results.rows.decode.stats = parseStats(results.rows.decode.errFile);
  results.rows.decode.stdout = fs.readFileSync(results.rows.decode.outFile, 'utf8').trim().slice(0, 300);
}

// analyze: the full document, then (if the option exists) the summary only
results.rows.analyze = cliExists
  ? await series('analyze --json', [node, CLI, 'analyze', CAPTURE, '--json'])
  : na('analyze --json', 'dist/cli.js missing');
// One text block per connection (outcome, initiator, final states, findings), no ladders: what
// tshark's conversation table is to tshark.
results.rows.analyzeText = cliExists
  ? await series('analyze --ladder none', [node, CLI, 'analyze', CAPTURE, '--ladder', 'none'])
  : na('analyze --ladder none', 'dist/cli.js missing');
results.rows.analyzeSummary = cliExists
  ? await series('analyze --json --summary', [node, CLI, 'analyze', CAPTURE, '--json', '--summary'])
  : na('analyze --json --summary', 'dist/cli.js missing');

// ---- 3. is every connection found and classified? ---------------------------------------------
function checkAnalysis(row) {
  const size = fs.statSync(row.outFile).size;
  row.outputBytes = size;
  let doc;
  try {
    doc = JSON.parse(fs.readFileSync(row.outFile, 'utf8'));
  } catch (e) {
    return { error: `cannot parse the --json output (${(size / 1e6).toFixed(0)} MB): ${e.message}` };
  }
  const conns = Array.isArray(doc.connections) ? doc.connections : [];
  const tally = (f) => {
    const m = {};
    for (const c of conns) {
      const k = f(c);
      m[k] = (m[k] ?? 0) + 1;
    }
    return Object.fromEntries(Object.entries(m).sort((a, b) => b[1] - a[1]));
  };
  const findings = {};
  for (const c of conns) for (const f of c.findings ?? []) findings[f.code] = (findings[f.code] ?? 0) + 1;
  const unclassified = conns.filter(
    (c) =>
      c.closeInitiator == null ||
      ('outcome' in c && c.outcome == null) ||
      !c.finalState?.client ||
      !c.finalState?.server,
  ).length;
  const withHandshake = conns.filter((c) => c.rolesInferred === false).length;
  return {
    inputPackets: doc.input?.packets,
    inputTcpSegments: doc.input?.tcpSegments,
    warnings: (doc.input?.warnings ?? []).length,
    connections: conns.length,
    connectionsWithHandshake: withHandshake,
    expectedHandshakes: manifest.handshakes,
    allFound: conns.length === manifest.handshakes && doc.input?.packets === manifest.packets,
    unclassified,
    summary: doc.summary,
    outcomes: tally((c) => c.outcome ?? '(none)'),
    closeInitiator: tally((c) => c.closeInitiator ?? '(none)'),
    finalState: tally((c) => `${c.finalState?.client}/${c.finalState?.server}`),
    findings,
  };
}
if (results.rows.analyze.available) results.analysis = checkAnalysis(results.rows.analyze);

// ---- 4. decode memory against file size ------------------------------------------------------
results.flatness = [];
if (results.rows.decode.available) {
  for (const fr of [0.1, 0.5]) {
    const p = prefix(fr);
    const r = await series(`decode first ${fr * 100}%`, [node, CLI, 'decode', p.file, '--format', 'count', '--stats']);
    results.flatness.push({
      fraction: fr,
      packets: p.packets,
      bytes: p.bytes,
      available: r.available,
      wall: r.wall,
      peakKb: r.peakKb,
      reason: r.reason,
    });
    if (r.available) cleanupRun(r);
  }
  const d = results.rows.decode;
  results.flatness.push({
    fraction: 1,
    packets: manifest.packets,
    bytes: manifest.bytes,
    available: true,
    wall: d.wall,
    peakKb: d.peakKb,
  });
  // The same for tshark, once each, so its growth is measured too.
  if (results.rows.tshark.available) {
    for (const f of results.flatness) {
      if (f.fraction === 1) {
        f.tsharkPeakKb = results.rows.tshark.peakKb;
        continue;
      }
      const r = await series(
        `tshark first ${f.fraction * 100}%`,
        ['tshark', '-r', prefix(f.fraction).file, '-q', '-z', 'conv,tcp'],
        1,
      );
      if (r.available) {
        f.tsharkPeakKb = r.peakKb;
        f.tsharkWall = r.wall;
        cleanupRun(r);
      }
    }
  }
}

// ---- 5. analysis time against file size -------------------------------------------------------
// The same `analyze --json --summary` on the first 10% and 50% of the packets and on the whole
// file, against tshark on each (section 4), and Node starting and exiting with nothing to do: what part of our
// time is fixed (start-up, code not yet optimized) and what part grows with the file.
results.scaling = [];
if (results.rows.analyzeSummary.available) {
  const floor = await series('node start-up (node -e "")', [node, '-e', '']);
  results.nodeStartup = { wall: floor.wall, walls: floor.walls, peakKb: floor.peakKb };
  cleanupRun(floor);
  for (const fr of [0.1, 0.5, 1]) {
    const p = fr === 1 ? { file: CAPTURE, packets: manifest.packets, bytes: manifest.bytes } : prefix(fr);
    const ours =
      fr === 1
        ? results.rows.analyzeSummary
        : await series(`analyze --json --summary first ${fr * 100}%`, [
            node,
            CLI,
            'analyze',
            p.file,
            '--json',
            '--summary',
          ]);
    // tshark's time on the prefixes was measured with its memory above (one run each).
    const theirs = fr === 1 ? results.rows.tshark.wall : results.flatness.find((f) => f.fraction === fr)?.tsharkWall;
    results.scaling.push({
      fraction: fr,
      packets: p.packets,
      bytes: p.bytes,
      wall: ours.available ? ours.wall : undefined,
      tsharkWall: theirs,
    });
    if (fr !== 1 && ours.available) cleanupRun(ours);
  }
}

// ---- 6. the table ----------------------------------------------------------------------------
const ref = results.rows.tshark;
const fmt = (x, d = 2) => (x === undefined || x === null || Number.isNaN(x) ? '–' : x.toFixed(d));
const mib = (kb) => kb / 1024;
const times = (x) => (x === undefined ? '–' : `${fmt(x, 1)}×`);
const table = [];
for (const key of ['tshark', 'decode', 'analyze', 'analyzeText', 'analyzeSummary']) {
  const r = results.rows[key];
  if (!r.available) {
    table.push({ tool: r.name, na: r.reason });
    continue;
  }
  const row = {
    tool: r.name,
    wall: r.wall,
    cpu: r.cpu,
    peakMiB: mib(r.peakKb),
    pps: manifest.packets / r.wall,
    mbps: manifest.bytes / 1e6 / r.wall,
    speedup: ref.available ? ref.wall / r.wall : undefined,
    memRatio: ref.available ? ref.peakKb / r.peakKb : undefined,
  };
  if (key === 'decode' && r.stats) {
    const s = r.stats;
    const ms = s.ms ?? s.decodeMs ?? s.elapsedMs;
    const pps = s.packetsPerSecond ?? s.pps ?? (ms ? manifest.packets / (ms / 1000) : undefined);
    row.inProcess = { ms, pps, mbps: ms ? manifest.bytes / 1e6 / (ms / 1000) : undefined, raw: s.raw };
    r.inProcess = row.inProcess;
  }
  table.push(row);
  r.packetsPerSecond = row.pps;
  r.megabytesPerSecond = row.mbps;
  r.speedupVsTshark = row.speedup;
  r.memoryRatioVsTshark = row.memRatio;
}
results.table = table;

const lines = [];
lines.push(
  `capture: ${manifest.packets.toLocaleString('en')} packets, ${(manifest.bytes / 1e6).toFixed(1)} MB, ` +
    `${manifest.handshakes.toLocaleString('en')} connections on ${manifest.tuples.toLocaleString('en')} 4-tuples ` +
    `(${manifest.reuse.connectionsPerTupleMean} per 4-tuple, max ${manifest.reuse.connectionsPerTupleMax})`,
);
lines.push(
  `source: ${results.source.commit}${results.source.uncommittedSrcFiles ? ` + ${results.source.uncommittedSrcFiles} uncommitted files under src/` : ''}; load average at start ${results.machine.loadAverageAtStart.join(' ')}`,
);
lines.push(
  `machine: ${results.machine.cpus} cores ${results.machine.cpuModel}, ${results.machine.memoryGiB} GiB, node ${process.version}; median of ${opt.repeat}`,
);
lines.push('');
lines.push('| command | wall s | cpu s | peak MiB | packets/s | MB/s | tshark time / ours | tshark memory / ours |');
lines.push('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of table) {
  if (r.na) {
    lines.push(`| ${r.tool} | not available | | | | | | |`);
    continue;
  }
  lines.push(
    `| ${r.tool} | ${fmt(r.wall, 3)} | ${fmt(r.cpu, 2)} | ${fmt(r.peakMiB, 1)} | ${(r.pps / 1e6).toFixed(2)} M | ${fmt(r.mbps, 1)} | ${r.tool.startsWith('tshark') ? '1' : times(r.speedup)} | ${r.tool.startsWith('tshark') ? '1' : times(r.memRatio)} |`,
  );
  if (r.inProcess && r.inProcess.ms) {
    lines.push(
      `| ↳ decode in-process (--stats) | ${fmt(r.inProcess.ms / 1000, 3)} | | | ${fmt(r.inProcess.pps / 1e6, 2)} M | ${fmt(r.inProcess.mbps, 1)} | ${ref.available ? times(ref.wall / (r.inProcess.ms / 1000)) : '–'} | |`,
    );
  }
}
if (results.flatness.length) {
  lines.push('');
  lines.push('decode peak memory against file size:');
  lines.push('');
  lines.push('| packets | MB | decode wall s | decode peak MiB | tshark peak MiB |');
  lines.push('|---:|---:|---:|---:|---:|');
  for (const f of results.flatness) {
    lines.push(
      `| ${f.packets.toLocaleString('en')} | ${(f.bytes / 1e6).toFixed(1)} | ${f.available ? fmt(f.wall, 3) : 'n/a'} | ${f.available ? fmt(mib(f.peakKb), 1) : 'n/a'} | ${f.tsharkPeakKb ? fmt(mib(f.tsharkPeakKb), 1) : '–'} |`,
    );
  }
}
if (results.scaling.length) {
  lines.push('');
  lines.push(
    `analyze --json --summary against file size (node start-up alone: ${fmt(results.nodeStartup.wall, 3)} s):`,
  );
  lines.push('');
  lines.push('| packets | MB | analyze wall s | tshark wall s | tshark time / ours |');
  lines.push('|---:|---:|---:|---:|---:|');
  for (const f of results.scaling) {
    lines.push(
      `| ${f.packets.toLocaleString('en')} | ${(f.bytes / 1e6).toFixed(1)} | ${fmt(f.wall, 3)} | ${fmt(f.tsharkWall, 3)} | ${f.wall && f.tsharkWall ? times(f.tsharkWall / f.wall) : '–'} |`,
    );
  }
}
if (results.analysis) {
  const a = results.analysis;
  lines.push('');
  if (a.error) lines.push(`analysis: ${a.error}`);
  else {
    lines.push(
      `analysis: ${a.connections.toLocaleString('en')} connections (${a.connectionsWithHandshake.toLocaleString('en')} with their handshake) against ` +
        `${a.expectedHandshakes.toLocaleString('en')} distinct handshakes (tshark: ${ref.conversations?.toLocaleString('en') ?? '–'} conversations); ` +
        `input.packets ${a.inputPackets?.toLocaleString('en')}: ${a.allFound ? 'all found' : 'MISMATCH'}, ${a.unclassified} unclassified`,
    );
    lines.push(`  outcomes: ${JSON.stringify(a.outcomes)}`);
    lines.push(`  close initiator: ${JSON.stringify(a.closeInitiator)}`);
    lines.push(`  final states (client/server): ${JSON.stringify(a.finalState)}`);
    lines.push(`  findings: ${JSON.stringify(a.findings)}`);
  }
}
const text = lines.join('\n');
console.log(text);

// Outputs of the kept runs are large: drop them once read.
for (const r of Object.values(results.rows)) {
  if (r.outFile) {
    fs.rmSync(r.outFile, { force: true });
    fs.rmSync(r.errFile, { force: true });
    delete r.outFile;
    delete r.errFile;
  }
}
results.text = text;
fs.writeFileSync(path.join(BENCH, 'results.json'), JSON.stringify(results, null, 2) + '\n');
log(`wrote ${path.relative(ROOT, path.join(BENCH, 'results.json'))}`);
