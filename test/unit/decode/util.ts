/** Shared helpers for the decoder tests: fixture paths, and copies of what a decode yields. */
import * as fs from 'fs';
import * as path from 'path';
import { CaptureDecoder, decodeBytes, jsonLine, type DecodeReport, type DecoderOptions } from '../../../src/core/decode';
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

/** test/fixtures/decode/expected.json: tshark's frame and segment counts per fixture (make.sh). */
export interface Expected {
  tshark: string;
  options: string;
  files: Record<string, { frames: number; segments: number }>;
}

export function expected(): Expected {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as Expected;
}

/** Our own fixtures (real/ and gen/), as paths relative to test/fixtures/decode. */
export function fixtures(): string[] {
  return Object.keys(expected().files);
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
  mss: number;
  wscale: number;
  tsVal: number;
  tsEcr: number;
  sackBlocks: number;
  byteOffset: number;
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
    mss: v.mss,
    wscale: v.wscale,
    tsVal: v.tsVal,
    tsEcr: v.tsEcr,
    sackBlocks: v.sackBlocks,
    byteOffset: v.byteOffset,
  };
}

export function decodeAll(bytes: Uint8Array, options?: DecoderOptions): { segs: Seg[]; report: DecodeReport } {
  const segs: Seg[] = [];
  const report = decodeBytes(bytes, (v) => segs.push(copy(v)), options);
  return { segs, report };
}

/** The `decode --format jsonl` lines of a capture. */
export function decodeJsonl(bytes: Uint8Array): { lines: string[]; report: DecodeReport } {
  const lines: string[] = [];
  const report = decodeBytes(bytes, (v) => lines.push(jsonLine(v).trimEnd()));
  return { lines, report };
}

/** Pushes `bytes` in chunks whose sizes cycle through `sizes` (each chunk a fresh subarray). */
export function decodeChunked(bytes: Uint8Array, sizes: number[]): { segs: Seg[]; report: DecodeReport } {
  const segs: Seg[] = [];
  const d = new CaptureDecoder((v) => segs.push(copy(v)), { totalLength: bytes.length });
  let p = 0;
  for (let i = 0; p < bytes.length; i++) {
    const n = sizes[i % sizes.length];
    d.push(bytes.subarray(p, p + n));
    p += n;
  }
  return { segs, report: d.finish() };
}

/** A report as plain data, for deep comparisons. */
export function reportData(r: DecodeReport): unknown {
  return JSON.parse(JSON.stringify(r));
}

/** A copy of `bytes` at a non-zero offset inside a larger ArrayBuffer (as Node Buffers often are). */
export function atOffset(bytes: Uint8Array, offset = 13): Uint8Array {
  const big = new Uint8Array(bytes.length + offset + 7).fill(0xee);
  big.set(bytes, offset);
  return big.subarray(offset, offset + bytes.length);
}
