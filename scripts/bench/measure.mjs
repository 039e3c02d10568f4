// Measuring one command for the benchmarks: wall time (hrtime around the child, start-up included)
// and peak RSS (/usr/bin/time's %M, the child's maximum), stdout and stderr to files.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const TIME = '/usr/bin/time';
let seq = 0;

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Runs argv under /usr/bin/time in `cwd`, writing its outputs under `dir`. `onFirstLine` (optional):
 * also the seconds from the start to the first complete line on stdout (`firstLine`).
 */
export function measure(name, cmd, { dir, cwd, firstLine = false }) {
  const n = ++seq;
  const outFile = path.join(dir, `run-${n}.out`);
  const errFile = path.join(dir, `run-${n}.err`);
  const timeFile = path.join(dir, `run-${n}.time`);
  const err = fs.openSync(errFile, 'w');
  const out = firstLine ? 'pipe' : fs.openSync(outFile, 'w');
  const load = os.loadavg()[0];
  const t0 = process.hrtime.bigint();
  return new Promise((resolve) => {
    const child = spawn(TIME, ['-f', '%e %M %U %S', '-o', timeFile, ...cmd], { stdio: ['ignore', out, err], cwd });
    let first;
    if (firstLine) {
      const sink = fs.createWriteStream(outFile);
      child.stdout.on('data', (d) => {
        if (first === undefined && d.includes(10)) first = Number(process.hrtime.bigint() - t0) / 1e9;
        sink.write(d);
      });
      child.stdout.on('end', () => sink.end());
    }
    child.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      if (typeof out === 'number') fs.closeSync(out);
      fs.closeSync(err);
      const timeLine = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
      const [, maxKb, user, sys] = timeLine.split(' ').map(Number);
      fs.rmSync(timeFile, { force: true });
      resolve({ name, code, wall, peakKb: maxKb, cpu: user + sys, load1: load, outFile, errFile, firstLine: first });
    });
  });
}
