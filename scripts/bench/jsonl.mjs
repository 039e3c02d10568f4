#!/usr/bin/env node
// The `analyze --format jsonl` output alone (issue 12): the connections' JSON texts and their
// writing out, without decoding or the engine. The capture is streamed once and every batch's
// analysis kept; then, run after run, each batch goes through the output's batch writer
// (streamOutput.ts batchWriter, the code `analyze --format jsonl` runs), its lines written to
// /dev/null, and, apart, only the texts are made (connectionJsonText).
//   node scripts/bench/jsonl.mjs [--runs N] [--file F] [--tree OUT_DIR]
// --tree: another compiled tree (e.g. a copy of out/ built from main); run one process per tree,
// in turn, to compare them under the same load. The sha256 of the lines shows they are the same.
// Needs .bench/loopback-1m.pcap (npm run bench makes it) and the compiled out/ tree (npm run compile).
import { createHash } from 'crypto';
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import { fileURLToPath } from 'url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
const opt = { runs: 5, file: path.join(root, '.bench/loopback-1m.pcap'), tree: path.join(root, 'out') };
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--runs') opt.runs = Math.max(1, Number(argv[++i]) | 0);
  else if (argv[i] === '--file') opt.file = path.resolve(argv[++i]);
  else if (argv[i] === '--tree') opt.tree = path.resolve(argv[++i]);
  else {
    console.error(`jsonl: unknown argument '${argv[i]}'`);
    process.exit(2);
  }
}

const out = (p) => require(path.join(opt.tree, 'src', p));
const { decodeFile } = out('node/captureFile.js');
const { StreamingAnalysis } = out('core/engine/stream.js');
const { connectionJsonText, SummaryCounts } = out('core/report/json.js');
const streamOutput = out('cli/streamOutput.js');

const batches = [];
const stream = new StreamingAnalysis({}, (a, order) => batches.push([a, order]));
decodeFile(opt.file, (v) => stream.push(v));
stream.end();
const conns = batches.reduce((s, [a]) => s + a.connections.length, 0);

const devNull = fs.openSync('/dev/null', 'w');
// The sink as `analyze --format jsonl` makes it (analyzeStream.ts), writing to /dev/null the way
// process.stdout does to a file (a string encoded to a Buffer, then written).
const sinkOf = (write, writeBytes) => ({
  counts: new SummaryCounts(),
  worst: -1,
  keep: () => {},
  write,
  ...(streamOutput.lineSink ? streamOutput.lineSink(write, writeBytes) : streamOutput.lineWriter(write)),
});
const writeLines = (write, writeBytes) => {
  const onBatch = streamOutput.batchWriter('jsonl', null, sinkOf(write, writeBytes));
  for (const [a, order] of batches) onBatch(a, order);
};

// The lines' digest (once, not timed).
const hash = createHash('sha256');
let bytes = 0;
writeLines(
  (t) => {
    const b = Buffer.from(t, 'utf8');
    bytes += b.length;
    hash.update(b);
  },
  (b) => {
    bytes += b.length;
    hash.update(b);
  },
);
console.log(`${path.relative(root, opt.file)}: ${batches.length} batches, ${conns} connections, ${(bytes / 1e6).toFixed(1)} MB of lines, sha256 ${hash.digest('hex').slice(0, 16)}`);

const ms = {};
const time = (name, f) => {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  (ms[`${name} wall`] ??= []).push(Number(process.hrtime.bigint() - t0) / 1e6);
  (ms[`${name} CPU`] ??= []).push((c.user + c.system) / 1e3);
};
for (let i = 0; i < opt.runs; i++) {
  time('texts (connectionJsonText)', () => {
    let n = 0;
    for (const [a, order] of batches) for (const k of order.at) n += connectionJsonText(a, a.connections[k]).length;
    if (n === 0) throw new Error('no text');
  });
  time('lines written to /dev/null', () =>
    writeLines(
      (t) => fs.writeSync(devNull, Buffer.from(t, 'utf8')),
      (b) => fs.writeSync(devNull, b),
    ),
  );
}
console.log(`${path.relative(root, opt.tree)}: ms over ${opt.runs} runs (min / median)`);
for (const [name, t] of Object.entries(ms)) {
  t.sort((x, y) => x - y);
  console.log(`  ${name.padEnd(40)} ${t[0].toFixed(0).padStart(6)} / ${t[t.length >> 1].toFixed(0).padStart(6)}`);
}
