#!/usr/bin/env node
// Conformance with tshark: runs `node dist/cli.js decode FILE --format jsonl` on every capture in
// ../shared/corpus/captures and compares each segment, field by field, with tshark's reference
// decode in ../shared/corpus/tshark/<name>.tsv (tshark 4.0.17). Prints per file and in total how
// many segments agree on every field. The corpus is not ours: it is read when present, never copied.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const corpus = process.env.TT_CORPUS ?? path.resolve(root, '../shared/corpus');
const cli = path.join(root, 'dist/cli.js');
const verbose = process.argv.includes('--verbose');

if (!fs.existsSync(path.join(corpus, 'captures'))) {
  console.log(`conformance: no corpus at ${corpus} (set TT_CORPUS); nothing to compare`);
  process.exit(0);
}
if (!fs.existsSync(cli)) {
  console.error('conformance: dist/cli.js is missing; run npm run build');
  process.exit(2);
}

const manifest = new Map();
{
  const lines = fs.readFileSync(path.join(corpus, 'manifest.tsv'), 'utf8').trim().split('\n');
  const head = lines.shift().split('\t');
  for (const l of lines) {
    const c = l.split('\t');
    const row = Object.fromEntries(head.map((h, i) => [h, c[i] ?? '']));
    manifest.set(row.local_name, row);
  }
}

const FIELDS = ['frame', 'time', 'src', 'sport', 'dst', 'dport', 'seq', 'ack', 'flags', 'len', 'win'];

/** tshark's row folded into our jsonl shape (innermost value where tshark aggregates several). */
function tsharkRows(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  const head = lines.shift().split('\t');
  const ix = (n) => head.indexOf(n);
  const last = (s) => (s ?? '').split(',').pop();
  const out = [];
  for (const l of lines) {
    const c = l.split('\t');
    const src = last(c[ix('src')]);
    if (!src) continue;
    const [sec, frac = ''] = last(c[ix('frame.time_epoch')]).split('.');
    out.push({
      frame: Number(c[ix('frame.number')]),
      time: `${sec}.${frac.padEnd(9, '0').slice(0, 9)}`,
      src,
      sport: Number(last(c[ix('tcp.srcport')])),
      dst: last(c[ix('dst')]),
      dport: Number(last(c[ix('tcp.dstport')])),
      seq: Number(last(c[ix('tcp.seq_raw')])),
      ack: Number(last(c[ix('tcp.ack_raw')])),
      flags: parseInt(last(c[ix('tcp.flags')]), 16),
      len: Number(last(c[ix('tcp.len')])),
      win: Number(last(c[ix('tcp.window_size_value')])),
      capLen: Number(c[ix('frame.cap_len')]),
      nTcp: Number(c[ix('n_tcp')] ?? 1),
      protocols: c[ix('frame.protocols')] ?? '',
    });
  }
  return out;
}

let totalOurs = 0;
let totalRef = 0;
let totalAgree = 0;
let cleanFiles = 0;
let cleanPerfect = 0;
const rows = [];
for (const name of fs.readdirSync(path.join(corpus, 'captures')).sort()) {
  const refFile = path.join(corpus, 'tshark', `${name}.tsv`);
  const m = manifest.get(name) ?? {};
  const clean = m.tshark_clean === 'yes';
  const run = spawnSync(process.execPath, [cli, 'decode', path.join(corpus, 'captures', name), '--format', 'jsonl'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (run.status !== 0 && run.status !== 2) {
    console.error(`${name}: decoder crashed (exit ${run.status})\n${run.stderr}`);
    process.exit(1);
  }
  const ours = run.stdout.split('\n').filter((l) => l).map((l) => JSON.parse(l));
  const ref = fs.existsSync(refFile) ? tsharkRows(refFile) : [];
  const byFrame = new Map(ours.map((o) => [o.frame, o]));
  let agree = 0;
  const diffs = [];
  for (const r of ref) {
    const o = byFrame.get(r.frame);
    if (!o) {
      if (diffs.length < 3) diffs.push(`frame ${r.frame}: tshark has a segment (${r.protocols}), we do not${/ipcomp/.test(r.protocols) ? ': tshark inflates the IPComp-compressed payload (RFC 3173), which we do not decompress' : ''}`);
      continue;
    }
    const bad = FIELDS.filter((f) => o[f] !== r[f]);
    if (bad.length === 0) agree++;
    else if (diffs.length < 3) diffs.push(`frame ${r.frame}: ${bad.map((f) => `${f} ours=${o[f]} tshark=${r[f]}`).join(', ')}`);
  }
  const refFrames = new Set(ref.map((r) => r.frame));
  for (const o of ours) if (!refFrames.has(o.frame) && diffs.length < 3) diffs.push(`frame ${o.frame}: we have a segment, tshark does not`);
  totalOurs += ours.length;
  totalRef += ref.length;
  totalAgree += agree;
  if (clean) {
    cleanFiles++;
    if (agree === ref.length && ours.length === ref.length) cleanPerfect++;
  }
  const note = run.stderr.split('\n').find((l) => /stopped|truncated|cannot read/.test(l)) ?? '';
  rows.push({ name, clean, ours: ours.length, ref: ref.length, agree, diffs, note, tsharkError: m.tshark_error ?? '' });
}

const pad = (s, n) => String(s).padEnd(n);
console.log(`${pad('file', 58)} ${pad('ours', 6)} ${pad('tshark', 6)} ${pad('agree', 6)} tshark-clean`);
for (const r of rows) {
  const perfect = r.agree === r.ref && r.ours === r.ref;
  console.log(`${pad(r.name, 58)} ${pad(r.ours, 6)} ${pad(r.ref, 6)} ${pad(r.agree, 6)} ${r.clean ? 'yes' : 'no '} ${perfect ? '' : '  <- differs'}`);
  if (!perfect || verbose) {
    for (const d of r.diffs) console.log(`      ${d}`);
    if (!r.clean && r.tsharkError) console.log(`      tshark calls this file malformed: ${r.tsharkError.slice(0, 160)}`);
    if (r.note) console.log(`      ours: ${r.note.replace(/^.*?: /, '')}`);
  }
}
console.log(
  `\ntotal: ${totalAgree} of ${totalRef} tshark segments agree on every field (${((100 * totalAgree) / Math.max(1, totalRef)).toFixed(2)}%); we decoded ${totalOurs}; ` +
    `${cleanPerfect} of ${cleanFiles} files tshark reads cleanly agree completely`,
);
