/**
 * A big capture for the editor, in bounded memory: one streaming pass (core/engine/stream.ts, the
 * engine `analyze --format jsonl` runs) keeps, per finished connection, a compact record
 * (ConnectionIndex) and, per TCP segment, where its record is in the file (RecordIndex); nothing
 * decoded is kept. Views read a connection's records back from the file on demand
 * ({@link fileRecordReader}) and run the same `analyze()` on them.
 *
 * Reading is asynchronous (1 MiB at a time), so a worker answering feature calls stays responsive
 * between chunks.
 */
import * as fs from 'fs';
import { CaptureDecoder, RecordIndex, type DecodeReport } from '../core/decode';
import type { Analysis, EngineOptions } from '../core/engine';
import { ConnectionIndex, type RecordReader } from '../core/engine/connectionIndex';
import { StreamingAnalysis } from '../core/engine/stream';
import { EndpointTable, type SegmentView } from '../core/model/segment';
import { CHUNK_SIZE, describeFsError, UnreadableFileError } from './captureFile';
import type { StreamProgress } from './progressText';

export interface StreamPassOptions {
  engine: Partial<EngineOptions>;
  /** Each batch of finished connections (after the index took it, when there is one). */
  onBatch?: (a: Analysis) => void;
  /** Told after each chunk read. */
  onProgress?: (p: StreamProgress) => void;
  /** Build the indexes (the first pass); without: a pass for its batches only (a display filter). */
  index?: boolean;
  /** Stop early (checked between chunks): the pass then resolves with `cancelled`. */
  cancelled?: () => boolean;
}

export interface StreamPass {
  report: DecodeReport;
  /** Decoder notes and the stream's warnings, as sentences. */
  warnings: string[];
  connections: ConnectionIndex | null;
  records: RecordIndex | null;
  cancelled: boolean;
}

/** Reads a capture file once through the streaming analysis. Throws UnreadableFileError when it cannot be opened. */
export async function streamCaptureFile(path: string, o: StreamPassOptions): Promise<StreamPass> {
  let fh: fs.promises.FileHandle;
  let size: number;
  try {
    fh = await fs.promises.open(path, 'r');
    const st = await fh.stat();
    if (st.isDirectory()) {
      await fh.close();
      throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    }
    size = st.size;
  } catch (e) {
    throw new UnreadableFileError(describeFsError(e, path), (e as NodeJS.ErrnoException).code);
  }
  const records = o.index === true ? new RecordIndex() : null;
  let connections: ConnectionIndex | null = null;
  const stream = new StreamingAnalysis(o.engine, (a) => {
    if (o.index === true) (connections ??= new ConnectionIndex(new EndpointTable())).add(a);
    o.onBatch?.(a);
  });
  let segments = 0;
  let latest = -Infinity;
  let sections = -1;
  let interfaces = -1;
  const onSegment = (v: SegmentView): void => {
    segments++;
    if (records !== null) {
      const r = decoder.report;
      if (r.sections !== sections || r.interfaces !== interfaces) {
        // The layout this record (and the next ones) is read with: a new section or interface.
        sections = r.sections;
        interfaces = r.interfaces;
        records.addCheckpoint(v.byteOffset, decoder.checkpoint());
      }
      records.add(v.frame, v.byteOffset);
      const t = v.tsSec + v.tsNsec / 1e9;
      if (t > latest) latest = t;
    }
    stream.push(v);
  };
  const decoder: CaptureDecoder = new CaptureDecoder(onSegment, { totalLength: size });
  const started = Date.now();
  const buf = Buffer.allocUnsafe(CHUNK_SIZE);
  let bytesRead = 0;
  let cancelled = false;
  const notes: string[] = [];
  try {
    for (;;) {
      if (o.cancelled?.()) {
        cancelled = true;
        break;
      }
      let n: number;
      try {
        n = (await fh.read(buf, 0, CHUNK_SIZE, null)).bytesRead;
      } catch (e) {
        notes.push(`${path}: read error after ${bytesRead} bytes (${(e as Error).message}); what was read before it is kept`);
        break;
      }
      if (n === 0) break;
      decoder.push(buf.subarray(0, n));
      bytesRead += n;
      o.onProgress?.({ bytesRead, totalBytes: size, segments, connections: stream.stats.connections, finished: stream.stats.finished, seconds: (Date.now() - started) / 1000 });
      if (decoder.stopped) break;
    }
  } finally {
    await fh.close();
  }
  const report = decoder.finish();
  if (!cancelled && !report.unreadable) stream.end();
  if (connections === null && records !== null) connections = new ConnectionIndex(new EndpointTable());
  if (connections !== null) connections.captureEnd = latest;
  return { report, warnings: [...report.notes(), ...notes, ...stream.warnings], connections, records, cancelled };
}

/** Bytes read at a time when reading records back (records close together share a read). */
const WINDOW = 1 << 16;

/**
 * Reads indexed records back from the capture file: the frames' offsets from the RecordIndex,
 * each record decoded by a decoder resumed at the layout the first pass read it with. Records in
 * one 64 KiB window share one read.
 */
export function fileRecordReader(path: string, records: RecordIndex): RecordReader {
  return (frames, sink) => {
    if (frames.length === 0) return;
    const fd = fs.openSync(path, 'r');
    try {
      let buf = Buffer.allocUnsafe(WINDOW);
      let winStart = -1;
      let winLen = 0;
      const decoders = new Map<number, CaptureDecoder>();
      const fill = (at: number, n: number): void => {
        if (buf.length < n) buf = Buffer.allocUnsafe(n);
        winLen = fs.readSync(fd, buf, 0, n, at);
        winStart = at;
      };
      for (const frame of frames) {
        const at = records.offsetOf(frame);
        const k = records.checkpointIndex(at);
        let d = decoders.get(k);
        if (!d) decoders.set(k, (d = CaptureDecoder.fromCheckpoint(records.checkpointByIndex(k), sink)));
        if (winStart < 0 || at < winStart || at + 64 > winStart + winLen) fill(at, WINDOW);
        let p = at - winStart;
        let len = d.recordLength(buf, p, winLen);
        if (len > 0 && p + len > winLen) {
          fill(at, Math.max(WINDOW, len));
          p = 0;
          len = d.recordLength(buf, 0, winLen);
        }
        if (len <= 0 || p + len > winLen || !d.decodeRecord(buf, p, p + len, at, frame)) {
          throw new Error(`the capture file changed since it was analyzed: frame ${frame} at byte ${at} does not read back${d.report.stoppedAt ? ` (${d.report.stoppedAt.message})` : ''}`);
        }
      }
    } finally {
      fs.closeSync(fd);
    }
  };
}
