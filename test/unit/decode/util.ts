/** Shared helpers for the decoder tests: fixture paths and a copy of every segment a decode yields. */
import * as fs from 'fs';
import * as path from 'path';
import { CaptureDecoder, decodeBytes, type DecodeReport } from '../../../src/core/decode';
import type { SegmentView } from '../../../src/core/model/segment';

export const ROOT = path.join(__dirname, '../../../..');
export const KERNEL = path.join(ROOT, 'test/fixtures/kernel');
export const FIXTURES = path.join(ROOT, 'test/fixtures/decode');

export function read(file: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(file));
}

/** Every kernel capture (pcap, pcapng and nsec-pcap), by file name. */
export function kernelCaptures(): string[] {
  return fs
    .readdirSync(KERNEL)
    .filter((f) => /\.(pcap|pcapng)$/.test(f))
    .sort();
}

/** What a test keeps of one segment (the view is reused, so everything is copied). */
export interface Seg {
  frame: number;
  time: string;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  len: number;
  win: number;
  opts: number;
}

export function copy(v: SegmentView): Seg {
  return {
    frame: v.frame,
    time: v.timeString(),
    src: v.srcString(),
    sport: v.sport,
    dst: v.dstString(),
    dport: v.dport,
    seq: v.seq,
    ack: v.ack,
    flags: v.flags,
    len: v.len,
    win: v.win,
    opts: v.opts,
  };
}

export function decodeAll(bytes: Uint8Array): { segs: Seg[]; report: DecodeReport } {
  const segs: Seg[] = [];
  const report = decodeBytes(bytes, (v) => segs.push(copy(v)));
  return { segs, report };
}

/** Pushes `bytes` in chunks whose sizes cycle through `sizes`. */
export function decodeChunked(bytes: Uint8Array, sizes: number[]): { segs: Seg[]; report: DecodeReport } {
  const segs: Seg[] = [];
  const d = new CaptureDecoder((v) => segs.push(copy(v)));
  let p = 0;
  for (let i = 0; p < bytes.length; i++) {
    const n = sizes[i % sizes.length];
    d.push(bytes.subarray(p, p + n));
    p += n;
  }
  return { segs, report: d.finish() };
}

/** Reads a tshark -T fields -E header=y output into rows keyed by field name. */
export function readTsv(file: string): Record<string, string>[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  const head = lines[0].split('\t');
  return lines.slice(1).map((l) => {
    const cells = l.split('\t');
    return Object.fromEntries(head.map((h, i) => [h, cells[i] ?? '']));
  });
}

/** A report as plain data, for deep comparisons. */
export function reportData(r: DecodeReport): unknown {
  return JSON.parse(JSON.stringify(r));
}
