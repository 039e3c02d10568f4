/**
 * Reading capture files for the pure decoder (shared by the command line and the language server):
 * 1 MiB at a time with fs.readSync into ONE reused buffer, whose subarrays are pushed to the
 * streaming decoder (which copies the little it keeps), so memory stays flat in file size.
 */
import * as fs from 'fs';
import { CaptureDecoder, type DecodeReport, type DecoderOptions } from '../core/decode';
import type { SegmentView } from '../core/model/segment';

/** Bytes read per fs.readSync. */
export const CHUNK_SIZE = 1 << 20;

/**
 * The file cannot be opened or read (missing, a directory, no permission, an I/O error). Its
 * message is a sentence for the user, starting with the path; `code` is Node's error code.
 */
export class UnreadableFileError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'UnreadableFileError';
  }
}

function unreadable(e: unknown, path: string): UnreadableFileError {
  return new UnreadableFileError(describeFsError(e, path), (e as NodeJS.ErrnoException).code);
}

/**
 * Decodes the capture at `path`, calling onSegment for every TCP segment in frame order. Bad
 * content never throws (the report says what happened and where); throws UnreadableFileError only
 * when the file itself cannot be opened or read.
 */
export function decodeFile(path: string, onSegment: (v: SegmentView) => void, options?: DecoderOptions): DecodeReport {
  const { fd, size } = openForReading(path);
  try {
    const decoder = new CaptureDecoder(onSegment, size >= 0 ? { totalLength: size, ...options } : options);
    const buf = new Uint8Array(CHUNK_SIZE);
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, CHUNK_SIZE, null);
      } catch (e) {
        throw unreadable(e, path);
      }
      if (n === 0) break;
      decoder.push(buf.subarray(0, n));
      if (decoder.stopped) break;
    }
    return decoder.finish();
  } finally {
    fs.closeSync(fd);
  }
}

/** Opens a file for reading; its size, or -1 when it is not a regular file (a pipe, say). */
function openForReading(path: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    throw unreadable(e, path);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    return { fd, size: st.isFile() ? st.size : -1 };
  } catch (e) {
    fs.closeSync(fd);
    throw unreadable(e, path);
  }
}

/** The first `n` bytes of a file (fewer when it is shorter), or null when it cannot be read. */
export function readHead(path: string, n: number): Uint8Array | null {
  try {
    const fd = fs.openSync(path, 'r');
    try {
      const head = new Uint8Array(n);
      return head.subarray(0, fs.readSync(fd, head, 0, n, 0));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
}

/** True when the file starts with a pcap or pcapng magic number. */
export function startsLikeCapture(path: string): boolean {
  const head = readHead(path, 4);
  return head !== null && looksLikeCapture(head);
}

/** True when the first bytes of a file are a pcap or pcapng magic number (either byte order). */
export function looksLikeCapture(head: Uint8Array): boolean {
  if (head.length < 4) return false;
  const m = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
  return [0x0a0d0d0a, 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0xa1b2cd34, 0x34cdb2a1].includes(m);
}

/** A file-system error as a sentence starting with the path. */
export function describeFsError(e: unknown, path: string): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `${path}: no such file`;
  if (code === 'EACCES' || code === 'EPERM') return `${path}: permission denied`;
  if (code === 'EISDIR') return `${path}: is a directory`;
  return `${path}: ${(e as Error).message}`;
}
