#!/usr/bin/env node
// Our reading of tcpdump text against the capture it was printed from, on the public corpus
// (../shared/corpus: captures/ and tcpdump/<name>.txt, `tcpdump -nn -r` of each; TT_CORPUS
// overrides). tcpdump leaves out what it does not print (the sequence number of a pure ACK, so
// of keepalive probes), which the parser infers; this counts, row by row, where the inference and
// the capture disagree, and how many probes the parser found. A report: exit status 0.
//
// Uses the compiled tree (npm run compile). The corpus is read, never copied.
//   node scripts/text-conformance.mjs [--verbose]
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const corpus = process.env.TT_CORPUS ?? path.resolve(root, '../shared/corpus');
const verbose = process.argv.includes('--verbose');
const require = createRequire(import.meta.url);
if (!fs.existsSync(path.join(corpus, 'tcpdump'))) {
  console.log(`text-conformance: no corpus at ${corpus}; nothing to do`);
  process.exit(0);
}
if (!fs.existsSync(path.join(root, 'out/src/core/text/tcpdump.js'))) {
  console.error('text-conformance: out/ is missing; run npm run compile first');
  process.exit(2);
}
const { loadCapture } = require(path.join(root, 'out/src/node/loadTrace.js'));
const { parseTcpdump } = require(path.join(root, 'out/src/core/text/tcpdump.js'));

let files = 0;
let rows = 0;
let differ = 0;
let probes = 0;
const skipped = [];
for (const name of fs.readdirSync(path.join(corpus, 'captures')).sort()) {
  const txt = path.join(corpus, 'tcpdump', `${name}.txt`);
  if (!fs.existsSync(txt)) continue;
  const cap = loadCapture(path.join(corpus, 'captures', name));
  if (cap.error !== null) continue;
  const text = fs.readFileSync(txt, 'utf8');
  const p = parseTcpdump(text);
  if (p.table.length !== cap.table.length) {
    skipped.push(`${name} (${p.table.length} rows from the text, ${cap.table.length} from the capture)`);
    continue;
  }
  files++;
  rows += cap.table.length;
  probes += p.tcpdump?.probes ?? 0;
  const lines = text.split('\n');
  for (let r = 0; r < cap.table.length; r++) {
    if (p.table.seq[r] === cap.table.seq[r]) continue;
    differ++;
    console.log(
      `${name} row ${r}: capture seq ${cap.table.seq[r]}, text ${p.table.seq[r]}${verbose ? `: ${lines[p.table.line[r]]}` : ''}`,
    );
  }
}
console.log(`${files} captures, ${rows} rows: ${differ} sequence numbers differ; ${probes} probes found in the text`);
if (skipped.length > 0)
  console.log(`not compared (the text and the capture give different row counts): ${skipped.join('; ')}`);
