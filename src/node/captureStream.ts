/**
 * Reading a capture as a stream, for the streaming analysis: a file, a gzip-compressed file
 * (`.pcap.gz`, `.pcapng.gz`: detected by its magic, inflated by zlib as it is read), or standard
 * input (`-`: `tcpdump -U -w - | teardown-tracer analyze -`). Bytes go to the pure decoder 1 MiB at
 * a time and segments come out of its callback as they are decoded, so nothing grows with the file.
 * An uncompressed regular file is read into two buffers used in turn (decodeRegularFile), not a
 * new Buffer per chunk as a read stream makes.
 *
 * Damage never throws: a truncated gzip stream or a pipe that closes in the middle of a record keeps
 * what was decoded before it and says where it stopped (the decoder's report, plus `notes`).
 */
import * as fs from 'fs';
import * as zlib from 'zlib';
import { CaptureDecoder, type DecodeReport } from '../core/decode';
import type { SegmentView } from '../core/model/segment';
import { CHUNK_SIZE, describeFsError, readHead, UnreadableFileError } from './captureFile';

export interface StreamedCapture {
  report: DecodeReport;
  /** The input was gzip-compressed. */
  gzip: boolean;
  /** Notes about the byte stream itself (a truncated gzip stream), beside the decoder's. */
  notes: string[];
}

export interface ReadProgress {
  /** Bytes read from the file or pipe (compressed bytes for a gzip file), and the file's size (-1: a pipe). */
  bytesRead: number;
  totalBytes: number;
}

/**
 * Decodes the capture at `path` (`-`: standard input), calling onSegment for each TCP segment in
 * frame order, and onChunk after each chunk of input (for progress; it may return a promise to hold
 * the reading back until it resolves). Throws UnreadableFileError only
 * when the file cannot be opened at all.
 */
export async function decodeStream(
  path: string,
  onSegment: (v: SegmentView) => void,
  onChunk?: (p: ReadProgress) => void | Promise<void>,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<StreamedCapture> {
  let totalBytes = -1;
  let raw: NodeJS.ReadableStream;
  if (path === '-') raw = stdin;
  else {
    try {
      const st = fs.statSync(path);
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      if (st.isFile()) totalBytes = st.size;
      fs.accessSync(path, fs.constants.R_OK);
    } catch (e) {
      throw new UnreadableFileError(describeFsError(e, path), (e as NodeJS.ErrnoException).code);
    }
    // A regular file that is not compressed: read into two reused buffers (no Buffer per chunk).
    if (totalBytes >= 0 && !isGzipFile(path)) return decodeRegularFile(path, totalBytes, onSegment, onChunk);
    raw = fs.createReadStream(path, { highWaterMark: CHUNK_SIZE });
  }
  const progress: ReadProgress = { bytesRead: 0, totalBytes };
  const notes: string[] = [];
  const it = (raw as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let first: IteratorResult<Buffer>;
  try {
    first = await it.next();
  } catch (e) {
    throw new UnreadableFileError(describeFsError(e, path), (e as NodeJS.ErrnoException).code);
  }
  const gzip = !first.done && first.value.length >= 2 && first.value[0] === 0x1f && first.value[1] === 0x8b;
  const decoder = new CaptureDecoder(onSegment, totalBytes >= 0 && !gzip ? { totalLength: totalBytes } : undefined);
  // onChunk may ask the reader to wait (a promise): the parallel analysis's workers are behind.
  const count = (n: number): void | Promise<void> => {
    progress.bytesRead += n;
    return onChunk?.(progress);
  };
  if (!gzip) {
    let next = first;
    while (!next.done && !decoder.stopped) {
      decoder.push(next.value);
      const wait = count(next.value.length);
      if (wait !== undefined) await wait;
      try {
        next = await it.next();
      } catch (e) {
        notes.push(`${path}: read error after ${progress.bytesRead} bytes (${(e as Error).message}); what was read before it is kept`);
        break;
      }
    }
    if (decoder.stopped) (raw as unknown as { destroy?: () => void }).destroy?.();
    return { report: decoder.finish(), gzip, notes };
  }
  // gzip: the compressed bytes are pumped into zlib (waiting when it is full) while its output is
  // decoded; zlib reports a stream that ends early as an error after the output it could make.
  const gunzip = zlib.createGunzip({ chunkSize: 1 << 16 });
  let readError: Error | null = null;
  const pump = (async () => {
    let next = first;
    try {
      while (!next.done) {
        const chunk = next.value;
        const wait = count(chunk.length);
        if (wait !== undefined) await wait;
        if (!gunzip.write(chunk)) await new Promise<void>((resolve) => gunzip.once('drain', resolve));
        next = await it.next();
      }
    } catch (e) {
      readError = e as Error;
    }
    gunzip.end();
  })();
  let inflated = 0;
  try {
    for await (const out of gunzip as AsyncIterable<Buffer>) {
      inflated += out.length;
      if (!decoder.stopped) decoder.push(out);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'Z_BUF_ERROR' ? 'the gzip stream ends early (truncated)' : `gzip: ${(e as Error).message}`;
    notes.push(`${path}: ${why} after ${progress.bytesRead} compressed bytes (${inflated} decompressed); what was decoded before it is kept`);
    (raw as unknown as { destroy?: () => void }).destroy?.();
  }
  await pump.catch(() => undefined);
  if (readError !== null) notes.push(`${path}: read error after ${progress.bytesRead} bytes (${(readError as Error).message}); what was read before it is kept`);
  return { report: decoder.finish(), gzip, notes };
}

/**
 * decodeStream for an uncompressed regular file: CHUNK_SIZE bytes at a time into two buffers used in
 * turn, the next read running while the decoder works on the last one (it copies the little it
 * keeps, so the buffer may be read into again). A read error after the first chunk keeps what was
 * decoded before it, as in the stream.
 */
async function decodeRegularFile(
  path: string,
  totalBytes: number,
  onSegment: (v: SegmentView) => void,
  onChunk?: (p: ReadProgress) => void | Promise<void>,
): Promise<StreamedCapture> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(path, 'r');
  } catch (e) {
    throw new UnreadableFileError(describeFsError(e, path), (e as NodeJS.ErrnoException).code);
  }
  const progress: ReadProgress = { bytesRead: 0, totalBytes };
  const notes: string[] = [];
  let pending: Promise<unknown> | null = null;
  try {
    let cur = Buffer.allocUnsafe(CHUNK_SIZE);
    let spare = Buffer.allocUnsafe(CHUNK_SIZE);
    let n: number;
    try {
      n = (await fh.read(cur, 0, CHUNK_SIZE, 0)).bytesRead;
    } catch (e) {
      throw new UnreadableFileError(describeFsError(e, path), (e as NodeJS.ErrnoException).code);
    }
    const decoder = new CaptureDecoder(onSegment, { totalLength: totalBytes });
    while (n > 0 && !decoder.stopped) {
      const next = fh.read(spare, 0, CHUNK_SIZE, progress.bytesRead + n);
      pending = next;
      decoder.push(cur.subarray(0, n));
      progress.bytesRead += n;
      const wait = onChunk?.(progress);
      if (wait !== undefined) await wait;
      try {
        n = (await next).bytesRead;
      } catch (e) {
        notes.push(`${path}: read error after ${progress.bytesRead} bytes (${(e as Error).message}); what was read before it is kept`);
        break;
      } finally {
        pending = null;
      }
      const t = cur;
      cur = spare;
      spare = t;
    }
    return { report: decoder.finish(), gzip: false, notes };
  } finally {
    // A read still running (the decoder stopped) is waited for before the file is closed.
    if (pending !== null) await pending.catch(() => undefined);
    await fh.close();
  }
}

/** True when the file starts with gzip's magic (1f 8b). */
export function isGzipFile(path: string): boolean {
  const b = readHead(path, 2);
  return b !== null && b.length === 2 && b[0] === 0x1f && b[1] === 0x8b;
}
