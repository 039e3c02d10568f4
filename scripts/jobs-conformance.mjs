#!/usr/bin/env node
// `analyze --jobs N` gives the same answers whatever N, on the public corpus (../shared/corpus/captures
// beside the checkout; TT_CORPUS overrides): for every capture, `--json`, `--summary` and
// `--format jsonl` byte for byte (jsonl's lines in the same order too) with --jobs 1, 2 and 4, the
// same exit status and stderr. Also the corpus as ONE capture set (every file
// given on one command line, merged by timestamp) with --jobs 1, 2 and 4. Real worker threads:
// runs dist/cli.js (npm run build). The corpus is read, never copied.
//
//   node scripts/jobs-conformance.mjs [--jobs 1,2,4]
// Exit status 1 when any answer differs.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const corpus = process.env.TT_CORPUS ?? path.resolve(root, '../shared/corpus');
const cli = path.join(root, 'dist/cli.js');
const argv = process.argv.slice(2);
const jobs = argv[0] === '--jobs' ? argv[1].split(',') : ['1', '2', '4'];
if (!fs.existsSync(path.join(corpus, 'captures'))) {
  console.log(`jobs-conformance: no corpus at ${corpus}; nothing to do`);
  process.exit(0);
}
if (!fs.existsSync(cli)) {
  console.error('jobs-conformance: dist/cli.js is missing; run npm run build first');
  process.exit(2);
}
const files = fs
  .readdirSync(path.join(corpus, 'captures'))
  .filter((f) => /\.(pcap|pcapng|cap)(\.gz)?$/.test(f))
  .sort()
  .map((f) => path.join(corpus, 'captures', f));

const run = (args) => {
  const r = spawnSync(process.execPath, [cli, 'analyze', ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

let differ = 0;
let compared = 0;
let connections = 0;
const check = (label, args) => {
  for (const [output, extra, norm] of [
    ['--json', ['--json'], (s) => s],
    ['--summary', ['--summary'], (s) => s],
    ['jsonl', ['--format', 'jsonl'], (s) => s],
  ]) {
    const base = run([...args, ...extra, '--jobs', jobs[0]]);
    if (output === '--summary' && base.code !== 2) {
      try {
        connections += JSON.parse(base.out).summary.connections;
      } catch {
        // reported below if it differs
      }
    }
    for (const j of jobs.slice(1)) {
      const r = run([...args, ...extra, '--jobs', j]);
      compared++;
      const same = r.code === base.code && r.err === base.err && norm(r.out) === norm(base.out);
      if (!same) {
        differ++;
        console.log(`DIFFERS ${label} ${output}: --jobs ${j} against --jobs ${jobs[0]} (exit ${r.code} / ${base.code})`);
      }
    }
  }
};
for (const f of files) check(path.basename(f), [f]);
const before = connections;
check('the whole corpus as one capture set', files);
console.log(
  `jobs-conformance: ${files.length} captures and the corpus as one set of ${files.length} files, --jobs ${jobs.join(', ')}: ` +
    `${compared} comparisons, ${differ} differ (${before} connections in the single files, ${connections - before} in the set)`,
);
process.exit(differ === 0 ? 0 : 1);
