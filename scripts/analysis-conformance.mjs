#!/usr/bin/env node
// Wireshark's TCP analysis and expert filter fields, ours against tshark's, on the public corpus
// (../shared/corpus/captures beside the checkout; TT_CORPUS overrides). For every capture and
// field, the frames `tshark -r FILE -Y FIELD` selects and the frames our filter selects with the
// engine's classification. Prints, per field, in how many captures the two select the same frames
// (and how many of those select any), and every capture where they differ, with the frames only
// one side selects. A report: exit status 0 unless something could not run.
//
// Uses the compiled tree (npm run compile) and tshark. The corpus is read, never copied.
//   node scripts/analysis-conformance.mjs
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const corpus = process.env.TT_CORPUS ?? path.resolve(root, '../shared/corpus');
const require = createRequire(import.meta.url);
const out = (p) => require(path.join(root, 'out/src', p));
if (!fs.existsSync(path.join(corpus, 'captures'))) {
  console.log(`analysis-conformance: no corpus at ${corpus}; nothing to do`);
  process.exit(0);
}
if (!fs.existsSync(path.join(root, 'out/src/core/filter/index.js'))) {
  console.error('analysis-conformance: out/ is missing; run npm run compile first');
  process.exit(2);
}
const { loadCapture } = out('node/loadTrace.js');
const { analyze } = out('core/engine/index.js');
const { parseFilter } = out('core/filter/index.js');
const { analysisFilterContext } = out('core/filter/context.js');

const FIELDS = [
  'tcp.analysis.retransmission',
  'tcp.analysis.keep_alive',
  'tcp.analysis.zero_window_probe',
  'tcp.analysis.zero_window',
  'tcp.connection.syn',
  'tcp.connection.synack',
  'tcp.connection.fin',
  'tcp.connection.rst',
];
const files = fs.readdirSync(path.join(corpus, 'captures')).sort();
const tally = Object.fromEntries(FIELDS.map((f) => [f, { same: 0, sameNonEmpty: 0, differ: [] }]));
for (const name of files) {
  const file = path.join(corpus, 'captures', name);
  const loaded = loadCapture(file);
  if (loaded.error !== null) continue; // not a capture we read (the decode conformance says why)
  const t = loaded.table;
  const ctx = analysisFilterContext(analyze(t));
  for (const field of FIELDS) {
    const r = spawnSync('tshark', ['-r', file, '-Y', field, '-T', 'fields', '-e', 'frame.number'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (r.status !== 0 && r.status !== 2) {
      console.error(`${name}: tshark failed (${r.status}): ${(r.stderr ?? '').trim().slice(0, 200)}`);
      continue;
    }
    const theirs = new Set(r.stdout.split(/\s+/).filter(Boolean).map(Number));
    const f = parseFilter(field).filter;
    const ours = new Set();
    for (let row = 0; row < t.length; row++) if (f.matches(t, row, ctx)) ours.add(t.frame[row]);
    const onlyOurs = [...ours].filter((x) => !theirs.has(x));
    const onlyTheirs = [...theirs].filter((x) => !ours.has(x));
    const e = tally[field];
    if (onlyOurs.length === 0 && onlyTheirs.length === 0) {
      e.same++;
      if (ours.size > 0) e.sameNonEmpty++;
    } else e.differ.push({ name, both: ours.size - onlyOurs.length, onlyOurs, onlyTheirs });
  }
}
const list = (xs) => (xs.length > 8 ? `${xs.slice(0, 8).join(',')}… (${xs.length})` : xs.join(',') || '–');
for (const field of FIELDS) {
  const e = tally[field];
  console.log(
    `${field}: the same frames in ${e.same} of ${e.same + e.differ.length} captures (${e.sameNonEmpty} of them select some)`,
  );
  for (const d of e.differ)
    console.log(`  ${d.name}: both ${d.both}; only ours ${list(d.onlyOurs)}; only tshark ${list(d.onlyTheirs)}`);
}
