#!/usr/bin/env node
// Conformance with tshark (npm run conformance, after npm run build).
//
// For every capture in ../shared/corpus/captures (beside the checkout; TT_CORPUS overrides), runs
// `node dist/cli.js decode FILE --format jsonl` and compares each TCP segment, field by field
// (frame, time, src, sport, dst, dport, seq, ack, flags, len, win), with tshark 4.0's reference
// decode in ../shared/corpus/tshark/<name>.tsv. Prints per file how many segments we decoded,
// how many tshark has, and how many agree on every field; the first differing fields where they
// do not; and, for the files the manifest marks as not read cleanly by tshark, what tshark said.
//
// The corpus is not ours: it is read when present, never copied. Exit status 0 (this is a
// report) unless our decoder crashed (exit status other than 0 or 2) on some file.
//
//   node scripts/conformance.mjs [--verbose] [--json FILE]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const corpus = process.env.TT_CORPUS ?? path.resolve(root, '../shared/corpus');
const cli = path.join(root, 'dist/cli.js');
const verbose = process.argv.includes('--verbose');
const jsonOut = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1] : null;

if (!fs.existsSync(path.join(corpus, 'captures'))) {
  console.log(`conformance: no corpus at ${corpus} (set TT_CORPUS to compare against one); nothing to do`);
  process.exit(0);
}
if (!fs.existsSync(cli)) {
  console.error('conformance: dist/cli.js is missing; run npm run build first');
  process.exit(2);
}

/** manifest.tsv: one row per capture, by local_name. */
function readManifest() {
  const file = path.join(corpus, 'manifest.tsv');
  const rows = new Map();
  if (!fs.existsSync(file)) return rows;
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  const head = lines.shift().split('\t');
  for (const l of lines) {
    const c = l.split('\t');
    rows.set(c[0], Object.fromEntries(head.map((h, i) => [h, c[i] ?? ''])));
  }
  return rows;
}

const FIELDS = ['frame', 'time', 'src', 'sport', 'dst', 'dport', 'seq', 'ack', 'flags', 'len', 'win'];

/**
 * tshark's rows folded into our jsonl shape. src/dst are already the innermost IP header before
 * TCP (the README says so); where a frame has several TCP headers (tunnels) tshark aggregates the
 * values with commas, and the innermost (the last) is the one before the payload we describe.
 */
function tsharkRows(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  const head = lines.shift().split('\t');
  const col = (c, name) => {
    const i = head.indexOf(name);
    return i < 0 ? '' : (c[i] ?? '');
  };
  const last = (s) => s.split(',').pop();
  const rows = [];
  for (const l of lines) {
    const c = l.split('\t');
    const src = last(col(c, 'src'));
    if (src === '' || last(col(c, 'tcp.srcport')) === '') continue; // tshark saw TCP but no header fields
    const [sec, frac = ''] = last(col(c, 'frame.time_epoch')).split('.');
    rows.push({
      frame: Number(col(c, 'frame.number')),
      time: sec === '' ? '' : `${sec}.${frac.padEnd(9, '0').slice(0, 9)}`,
      src,
      sport: Number(last(col(c, 'tcp.srcport'))),
      dst: last(col(c, 'dst')),
      dport: Number(last(col(c, 'tcp.dstport'))),
      seq: Number(last(col(c, 'tcp.seq_raw'))),
      ack: Number(last(col(c, 'tcp.ack_raw'))),
      flags: parseInt(last(col(c, 'tcp.flags')), 16),
      len: Number(last(col(c, 'tcp.len'))),
      win: Number(last(col(c, 'tcp.window_size_value'))),
      protocols: col(c, 'frame.protocols'),
      nTcp: Number(col(c, 'n_tcp') || 1),
    });
  }
  return rows;
}

/** Why tshark and we may differ on a row, when we can tell. */
function explainMissing(r) {
  if (/ipcomp/.test(r.protocols)) return 'tshark inflates the IPComp payload';
  if (r.nTcp > 1) return `${r.nTcp} TCP headers in the frame`;
  return r.protocols;
}

const manifest = readManifest();
const names = fs
  .readdirSync(path.join(corpus, 'captures'))
  .filter((n) => !n.startsWith('.'))
  .sort();
const results = [];
let crashed = false;
const t0 = Date.now();
for (const name of names) {
  const file = path.join(corpus, 'captures', name);
  const m = manifest.get(name) ?? {};
  const run = spawnSync(process.execPath, [cli, 'decode', file, '--format', 'jsonl'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (run.status !== 0 && run.status !== 2) {
    crashed = true;
    console.error(`${name}: our decoder crashed (exit ${run.status ?? run.signal})\n${run.stderr}`);
    continue;
  }
  const ours = run.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
  const refFile = path.join(corpus, 'tshark', `${name}.tsv`);
  const ref = fs.existsSync(refFile) ? tsharkRows(refFile) : [];
  const byFrame = new Map(ours.map((o) => [o.frame, o]));
  const refFrames = new Set(ref.map((r) => r.frame));
  let agree = 0;
  const diffs = [];
  for (const r of ref) {
    const o = byFrame.get(r.frame);
    if (o === undefined) {
      diffs.push(`frame ${r.frame}: tshark has a TCP segment, we do not (${explainMissing(r)})`);
      continue;
    }
    const bad = FIELDS.filter((f) => o[f] !== r[f]);
    if (bad.length === 0) agree++;
    else diffs.push(`frame ${r.frame}: ${bad.map((f) => `${f} ours ${JSON.stringify(o[f])}, tshark ${JSON.stringify(r[f])}`).join('; ')}`);
  }
  for (const o of ours) if (!refFrames.has(o.frame)) diffs.push(`frame ${o.frame}: we have a TCP segment, tshark does not`);
  const stderr = run.stderr.split('\n').filter((l) => l !== '');
  results.push({
    name,
    clean: m.tshark_clean === 'yes',
    ours: ours.length,
    tshark: ref.length,
    agree,
    diffs,
    exit: run.status,
    ourNote: stderr.find((l) => /stopped|truncated|cannot read/.test(l))?.replace(/^.*?: (cannot read [^:]*: )?/, '') ?? '',
    tsharkSays:
      m.tshark_error?.replace(/^tshark: The file "[^"]*" /, '') ||
      [m.tshark_malformed_frames > 0 ? `${m.tshark_malformed_frames} frames marked malformed` : '', m.tshark_expert_error_frames > 0 ? `${m.tshark_expert_error_frames} frames with expert errors` : ''].filter(Boolean).join(', '),
    why: [m.why, m.structure_notes].filter(Boolean).join('; '),
  });
}
const seconds = (Date.now() - t0) / 1000;

const pad = (s, n) => String(s).padEnd(n);
const padL = (s, n) => String(s).padStart(n);
const width = Math.max(...results.map((r) => r.name.length), 4);
console.log(`${pad('file', width)}  ${padL('ours', 5)}  ${padL('tshark', 6)}  ${padL('agree', 5)}  tshark reads it cleanly`);
for (const r of results) {
  const perfect = r.agree === r.tshark && r.ours === r.tshark;
  console.log(`${pad(r.name, width)}  ${padL(r.ours, 5)}  ${padL(r.tshark, 6)}  ${padL(r.agree, 5)}  ${r.clean ? 'yes' : 'no '}${perfect ? '' : '   <- differs'}`);
  for (const d of r.diffs.slice(0, verbose ? Infinity : 3)) console.log(`      ${d}`);
  if (r.diffs.length > 3 && !verbose) console.log(`      ... ${r.diffs.length - 3} more`);
  if (!r.clean) {
    console.log(`      tshark: ${r.tsharkSays || 'not clean'}${r.why ? ` (corpus notes: ${r.why})` : ''}`);
    if (r.ourNote) console.log(`      ours (exit ${r.exit}): ${r.ourNote}`);
  } else if (verbose && r.ourNote) console.log(`      ours (exit ${r.exit}): ${r.ourNote}`);
}

const sum = (rs, k) => rs.reduce((a, r) => a + r[k], 0);
const clean = results.filter((r) => r.clean);
const notClean = results.filter((r) => !r.clean);
const perfect = (rs) => rs.filter((r) => r.agree === r.tshark && r.ours === r.tshark).length;
const pct = (a, b) => `${((100 * a) / Math.max(1, b)).toFixed(2)}%`;
console.log('');
console.log(
  `files tshark reads cleanly: ${sum(clean, 'agree')} of ${sum(clean, 'tshark')} tshark segments agree on every field (${pct(sum(clean, 'agree'), sum(clean, 'tshark'))}); ` +
    `we decoded ${sum(clean, 'ours')}; ${perfect(clean)} of ${clean.length} files agree completely`,
);
console.log(
  `files tshark calls damaged:  ${sum(notClean, 'agree')} of ${sum(notClean, 'tshark')} agree (${pct(sum(notClean, 'agree'), sum(notClean, 'tshark'))}); ` +
    `we decoded ${sum(notClean, 'ours')}; ${perfect(notClean)} of ${notClean.length} files agree completely`,
);
console.log(
  `total: ${sum(results, 'agree')} of ${sum(results, 'tshark')} tshark segments agree on every field (${pct(sum(results, 'agree'), sum(results, 'tshark'))}); ` +
    `we decoded ${sum(results, 'ours')} in ${results.length} files (${seconds.toFixed(1)} s)`,
);
if (jsonOut) fs.writeFileSync(jsonOut, `${JSON.stringify(results, null, 1)}\n`);
process.exit(crashed ? 1 : 0);
