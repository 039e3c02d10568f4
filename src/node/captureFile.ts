/**
 * Reads a capture file in 1 MiB chunks into ONE reused buffer and streams it through the decoder:
 * memory stays flat in file size.
 */
import * as fs from 'fs';
import { CaptureDecoder, type DecodeReport, type DecoderOptions } from '../core/decode';
import type { SegmentView } from '../core/model/segment';

const CHUNK = 1 << 20;

export class UnreadableFileError extends Error {}

/** Decodes `path`; throws UnreadableFileError only when the file cannot be opened or read. */
export function decodeFile(path: string, onSegment: (v: SegmentView) => void, options?: DecoderOptions): DecodeReport {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    throw new UnreadableFileError(describeFsError(e, path));
  }
  const decoder = new CaptureDecoder(onSegment, options);
  const buf = new Uint8Array(CHUNK);
  try {
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, CHUNK, null);
      } catch (e) {
        throw new UnreadableFileError(describeFsError(e, path));
      }
      if (n === 0) break;
      decoder.push(buf.subarray(0, n));
      if (decoder.report.stoppedAt !== null) break;
    }
  } finally {
    fs.closeSync(fd);
  }
  return decoder.finish();
}

/** True when the first bytes of a file are a pcap or pcapng magic number. */
export function looksLikeCapture(head: Uint8Array): boolean {
  if (head.length < 4) return false;
  const m = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
  return [0x0a0d0d0a, 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0xa1b2cd34, 0x34cdb2a1].includes(m);
}

export function describeFsError(e: unknown, path: string): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `${path}: no such file`;
  if (code === 'EACCES') return `${path}: permission denied`;
  if (code === 'EISDIR') return `${path}: is a directory`;
  return `${path}: ${(e as Error).message}`;
}
