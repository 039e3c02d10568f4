/**
 * Several capture files read as one capture: rotated files (`tcpdump -C` / `-G`), captures of
 * several interfaces. Each file has its own streaming decoder (gzip-compressed files inflated as
 * they are read); their segments are merged by timestamp (a k-way merge over a small heap keyed by
 * each file's next segment; on equal times the earlier file on the command line first) and handed
 * on one at a time, each with its file's index (`SegmentView.file`) and its frame number in that
 * file. Memory: each file holds one chunk of input and the segments decoded from it.
 *
 * Damage in one file stops that file only: its decoder's positioned sentence is kept, prefixed with
 * the file's name, and the other files are read to their ends.
 */
import * as fs from 'fs';
import * as path from 'path';
import { pipeline } from 'stream';
import * as zlib from 'zlib';
import { CaptureDecoder, type DecodeReport } from '../core/decode';
import { SegmentView } from '../core/model/segment';
import { SegmentBatch } from '../core/model/segmentBatch';
import type { InputSummary } from '../core/report/json';
import { describeFsError, readHead, startsLikeCapture } from './captureFile';
import type { ReadProgress } from './captureStream';

/** Bytes pushed into a decoder at a time, and records a file's queue holds (room for a piece's segments). */
const PIECE = 4096;
const QUEUE = 4096;
const PIECE_RECORDS = 160;

/** Natural order of names: digits compared as numbers (`trace.pcap2` before `trace.pcap10`). */
export function naturalCompare(a: string, b: string): number {
  const re = /(\d+)|(\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    const nx = /^\d/.test(x) && /^\d/.test(y);
    if (nx && Number(x) !== Number(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * The capture files named on the command line: files as given, a directory's capture files
 * (pcap, pcapng, gzip-compressed: by magic number) by name in natural order. Also what was left out.
 */
export function expandInputs(args: string[]): { files: string[]; skipped: string[] } {
  const files: string[] = [];
  const skipped: string[] = [];
  for (const a of args) {
    let dir = false;
    try {
      dir = a !== '-' && fs.statSync(a).isDirectory();
    } catch {
      // not there: reported when it is read
    }
    if (!dir) {
      files.push(a);
      continue;
    }
    const names = fs.readdirSync(a).sort(naturalCompare);
    for (const n of names) {
      const p = path.join(a, n);
      let isFile = false;
      try {
        isFile = fs.statSync(p).isFile();
      } catch {
        // vanished
      }
      if (!isFile) continue;
      if (startsLikeCapture(p) || isGzip(p)) files.push(p);
      else skipped.push(p);
    }
  }
  return { files, skipped };
}

function isGzip(p: string): boolean {
  const b = readHead(p, 2);
  return b !== null && b.length === 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** How references name the files: their base names when those differ, else the paths as given. */
export function fileNames(files: string[]): string[] {
  const base = files.map((f) => path.basename(f));
  return new Set(base).size === base.length ? base : files;
}

export interface CaptureSet {
  /** When no file could be read at all: why, else null. */
  error: string | null;
  /** The merged input: counts over every file, `files`, and every warning prefixed with its file's name. */
  input: InputSummary;
}

/** One file of the set: its decoder, and the segments decoded but not yet merged. */
class FileReader {
  readonly queue = new SegmentBatch(QUEUE);
  pos = 0;
  done = false;
  report: DecodeReport | null = null;
  readonly notes: string[] = [];
  private readonly decoder: CaptureDecoder;
  private chunk: Uint8Array | null = null;
  private at = 0;
  private it: AsyncIterator<Buffer> | null = null;
  private stream: NodeJS.ReadableStream | null = null;
  size = -1;
  gzip = false;
  private raw: fs.ReadStream | null = null;
  openError: string | null = null;

  constructor(
    readonly name: string,
    readonly index: number,
  ) {
    this.decoder = new CaptureDecoder((v) => {
      v.file = this.index;
      this.queue.append(v);
    });
  }

  open(): void {
    try {
      const st = fs.statSync(this.name);
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      fs.accessSync(this.name, fs.constants.R_OK);
      this.size = st.size;
    } catch (e) {
      this.openError = describeFsError(e, this.name);
      this.done = true;
      return;
    }
    this.gzip = isGzip(this.name);
    const raw = fs.createReadStream(this.name, { highWaterMark: 1 << 16 });
    this.raw = raw;
    if (this.gzip) {
      const gunzip = zlib.createGunzip({ chunkSize: 1 << 16 });
      pipeline(raw, gunzip, () => undefined);
      this.stream = gunzip;
    } else this.stream = raw;
    this.it = (this.stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  /** True when a segment is queued; reads and decodes more input until one is, or the file ends. */
  async fill(): Promise<boolean> {
    if (this.pos < this.queue.length) return true;
    this.queue.length = 0;
    this.pos = 0;
    while (this.queue.length === 0 && !this.done) {
      if (this.chunk === null) {
        let next: IteratorResult<Buffer>;
        try {
          next = await this.it!.next();
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          this.notes.push(
            this.gzip && code === 'Z_BUF_ERROR'
              ? `the gzip stream ends early (truncated) after ${this.bytesRead} compressed bytes; what was decoded before it is kept`
              : `${this.gzip ? 'gzip: ' : 'read error: '}${(e as Error).message}; what was read before it is kept`,
          );
          this.finish();
          break;
        }
        if (next.done) {
          this.finish();
          break;
        }
        this.chunk = next.value;
        this.at = 0;
      }
      // Pieces small enough that their segments fit in the queue.
      while (this.chunk !== null && this.queue.length + PIECE_RECORDS <= QUEUE) {
        const end = Math.min(this.chunk.length, this.at + PIECE);
        this.decoder.push(this.chunk.subarray(this.at, end));
        this.at = end;
        if (this.at >= this.chunk.length) this.chunk = null;
      }
      if (this.decoder.stopped) this.finish();
    }
    return this.pos < this.queue.length;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.chunk = null;
    this.report = this.decoder.finish();
    (this.stream as unknown as { destroy?: () => void } | null)?.destroy?.();
  }

  /** Bytes read from the file (compressed bytes for a gzip file). */
  get bytesRead(): number {
    return this.raw?.bytesRead ?? 0;
  }

  /** The next segment's time, for the heap. */
  headSec(): number {
    return this.queue.tsSec[this.pos];
  }
  headNsec(): number {
    return this.queue.tsNsec[this.pos];
  }
}

/** a's next segment comes before b's: by time, then by file order. */
function before(a: FileReader, b: FileReader): boolean {
  const as = a.headSec();
  const bs = b.headSec();
  if (as !== bs) return as < bs || (Number.isNaN(bs) && !Number.isNaN(as));
  const an = a.headNsec();
  const bn = b.headNsec();
  return an !== bn ? an < bn : a.index < b.index;
}

/**
 * Decodes the files as one capture, calling onSegment for each TCP segment in timestamp order
 * (`v.file` is the file's index in `files`), and onChunk as input is read (for progress; it may
 * return a promise to hold reading back).
 */
export async function decodeCaptureSet(
  files: string[],
  onSegment: (v: SegmentView) => void,
  onChunk?: (p: ReadProgress) => void | Promise<void>,
): Promise<CaptureSet> {
  const readers = files.map((f, i) => new FileReader(f, i));
  for (const r of readers) r.open();
  const progress: ReadProgress = { bytesRead: 0, totalBytes: readers.reduce((n, r) => n + Math.max(0, r.size), 0) };
  const heap: FileReader[] = [];
  for (const r of readers) if (await r.fill()) heap.push(r);
  // A binary heap by the next segment's time.
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) return;
      const m = l + 1 < heap.length && before(heap[l + 1], heap[l]) ? l + 1 : l;
      if (!before(heap[m], heap[i])) return;
      [heap[m], heap[i]] = [heap[i], heap[m]];
      i = m;
    }
  };
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
  const view = new SegmentView();
  let lastBytes = 0;
  while (heap.length > 0) {
    const r = heap[0];
    r.queue.read(r.pos, view);
    r.pos++;
    onSegment(view);
    if (r.pos >= r.queue.length) {
      const more = await r.fill();
      progress.bytesRead = readers.reduce((n, x) => n + x.bytesRead, 0);
      if (progress.bytesRead !== lastBytes) {
        lastBytes = progress.bytesRead;
        const wait = onChunk?.(progress);
        if (wait !== undefined) await wait;
      }
      if (!more) {
        const last = heap.pop()!;
        if (heap.length === 0) break;
        if (last !== r) heap[0] = last;
        else continue;
      }
    }
    down(0);
  }
  return summarize(readers);
}

function summarize(readers: FileReader[]): CaptureSet {
  const names = fileNames(readers.map((r) => r.name));
  const warnings: string[] = [];
  const filesOut: NonNullable<InputSummary['files']> = [];
  let packets = 0;
  let tcpSegments = 0;
  const formats = new Set<string>();
  let read = 0;
  const errors: string[] = [];
  for (const r of readers) {
    const rep = r.report;
    if (r.openError !== null || rep === null || rep.unreadable) {
      const why = r.openError ?? `${names[r.index]}: ${rep?.stoppedAt?.message ?? 'not a capture'}`;
      errors.push(why);
      warnings.push(`${why}; the file is left out`);
      filesOut.push({ name: names[r.index], format: 'unreadable', packets: 0, tcpSegments: 0 });
      continue;
    }
    read++;
    formats.add(rep.format);
    packets += rep.packets;
    tcpSegments += rep.tcpSegments;
    filesOut.push({ name: names[r.index], format: rep.format, packets: rep.packets, tcpSegments: rep.tcpSegments });
    for (const n of [...rep.notes(), ...r.notes]) warnings.push(`${names[r.index]}: ${n}`);
  }
  const input: InputSummary = { format: formats.size === 1 ? [...formats][0] : formats.size === 0 ? 'unknown' : [...formats].sort().join('+'), packets, tcpSegments, warnings, files: filesOut };
  return { error: read === 0 ? errors.join('; ') || 'no capture files' : null, input };
}
