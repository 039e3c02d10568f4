/**
 * Segments packed in ONE ArrayBuffer, column by column (typed-array views over it): a fixed number
 * of records with no object per segment; the producer writes a SegmentView into the next record,
 * the consumer reads a record back into its own reused SegmentView. A capture set's reader
 * (src/node/captureSet.ts) queues each file's decoded segments in one while it merges the files by
 * timestamp.
 */
import type { SegmentView } from './segment';

/** [name, bytes per element] in layout order (wider first, so every column is aligned). */
const COLUMNS = [
  ['tsSec', 8],
  ['frame', 4],
  ['tsNsec', 4],
  ['seq', 4],
  ['ack', 4],
  ['len', 4],
  ['win', 4],
  ['tsVal', 4],
  ['tsEcr', 4],
  ['ipId', 4],
  ['ipBytes', 4],
  ['src', 16],
  ['dst', 16],
  ['sport', 2],
  ['dport', 2],
  ['flags', 2],
  ['mss', 2],
  ['file', 2],
  ['hdrBytes', 2],
  ['ipVersion', 1],
  ['opts', 1],
  ['wscale', 1],
  ['sackBlocks', 1],
  ['ttl', 1],
] as const;

/** Bytes a record takes. */
export const SEGMENT_BATCH_RECORD = COLUMNS.reduce((n, [, w]) => n + w, 0);

export class SegmentBatch {
  /** Records in use. */
  length = 0;
  readonly capacity: number;
  readonly buffer: ArrayBuffer;
  readonly tsSec: Float64Array;
  readonly frame: Uint32Array;
  readonly tsNsec: Uint32Array;
  readonly seq: Uint32Array;
  readonly ack: Uint32Array;
  readonly len: Uint32Array;
  readonly win: Uint32Array;
  readonly tsVal: Uint32Array;
  readonly tsEcr: Uint32Array;
  readonly ipId: Int32Array;
  readonly ipBytes: Uint32Array;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly sport: Uint16Array;
  readonly dport: Uint16Array;
  readonly flags: Uint16Array;
  readonly mss: Uint16Array;
  readonly file: Uint16Array;
  readonly hdrBytes: Uint16Array;
  readonly ipVersion: Uint8Array;
  readonly opts: Uint8Array;
  readonly wscale: Uint8Array;
  readonly sackBlocks: Uint8Array;
  readonly ttl: Uint8Array;

  /** A new batch of `capacity` records, or the views of a buffer made by one (`length` records in use). */
  constructor(capacity: number, buffer?: ArrayBuffer, length = 0) {
    this.capacity = capacity;
    this.buffer = buffer ?? new ArrayBuffer(capacity * SEGMENT_BATCH_RECORD);
    if (this.buffer.byteLength < capacity * SEGMENT_BATCH_RECORD) throw new Error(`internal: a segment batch buffer of ${this.buffer.byteLength} bytes for ${capacity} records`);
    this.length = length;
    let at = 0;
    const take = (width: number): number => {
      const o = at;
      at += capacity * width;
      return o;
    };
    const b = this.buffer;
    const n = capacity;
    // In COLUMNS' order.
    this.tsSec = new Float64Array(b, take(8), n);
    this.frame = new Uint32Array(b, take(4), n);
    this.tsNsec = new Uint32Array(b, take(4), n);
    this.seq = new Uint32Array(b, take(4), n);
    this.ack = new Uint32Array(b, take(4), n);
    this.len = new Uint32Array(b, take(4), n);
    this.win = new Uint32Array(b, take(4), n);
    this.tsVal = new Uint32Array(b, take(4), n);
    this.tsEcr = new Uint32Array(b, take(4), n);
    this.ipId = new Int32Array(b, take(4), n);
    this.ipBytes = new Uint32Array(b, take(4), n);
    this.src = new Uint8Array(b, take(16), 16 * n);
    this.dst = new Uint8Array(b, take(16), 16 * n);
    this.sport = new Uint16Array(b, take(2), n);
    this.dport = new Uint16Array(b, take(2), n);
    this.flags = new Uint16Array(b, take(2), n);
    this.mss = new Uint16Array(b, take(2), n);
    this.file = new Uint16Array(b, take(2), n);
    this.hdrBytes = new Uint16Array(b, take(2), n);
    this.ipVersion = new Uint8Array(b, take(1), n);
    this.opts = new Uint8Array(b, take(1), n);
    this.wscale = new Uint8Array(b, take(1), n);
    this.sackBlocks = new Uint8Array(b, take(1), n);
    this.ttl = new Uint8Array(b, take(1), n);
  }

  get full(): boolean {
    return this.length === this.capacity;
  }

  /** Appends a view as the next record. */
  append(v: SegmentView): void {
    const i = this.length++;
    this.tsSec[i] = v.tsSec;
    this.frame[i] = v.frame;
    this.tsNsec[i] = v.tsNsec;
    this.seq[i] = v.seq;
    this.ack[i] = v.ack;
    this.len[i] = v.len;
    this.win[i] = v.win;
    this.tsVal[i] = v.tsVal;
    this.tsEcr[i] = v.tsEcr;
    this.ipId[i] = v.ipId;
    this.ipBytes[i] = v.ipBytes;
    this.hdrBytes[i] = v.hdrBytes;
    this.ttl[i] = v.ttl;
    // Byte by byte (4 for IPv4): no view object per record.
    const n = v.ipVersion === 4 ? 4 : 16;
    const { src, dst } = this;
    for (let k = 0, o = 16 * i; k < n; k++, o++) {
      src[o] = v.src[k];
      dst[o] = v.dst[k];
    }
    this.sport[i] = v.sport;
    this.dport[i] = v.dport;
    this.flags[i] = v.flags;
    this.mss[i] = v.mss;
    this.file[i] = v.file;
    this.ipVersion[i] = v.ipVersion;
    this.opts[i] = v.opts;
    this.wscale[i] = v.wscale;
    this.sackBlocks[i] = v.sackBlocks;
  }

  /** Record i written into `v` (a capture segment: no text line, no byte offset). */
  read(i: number, v: SegmentView): void {
    v.tsSec = this.tsSec[i];
    v.frame = this.frame[i];
    v.tsNsec = this.tsNsec[i];
    v.seq = this.seq[i];
    v.ack = this.ack[i];
    v.len = this.len[i];
    v.win = this.win[i];
    v.tsVal = this.tsVal[i];
    v.tsEcr = this.tsEcr[i];
    v.ipId = this.ipId[i];
    v.ipBytes = this.ipBytes[i];
    v.hdrBytes = this.hdrBytes[i];
    v.ttl = this.ttl[i];
    const n = this.ipVersion[i] === 6 ? 16 : 4;
    const { src, dst } = this;
    for (let k = 0, o = 16 * i; k < n; k++, o++) {
      v.src[k] = src[o];
      v.dst[k] = dst[o];
    }
    v.sport = this.sport[i];
    v.dport = this.dport[i];
    v.flags = this.flags[i];
    v.mss = this.mss[i];
    v.ipVersion = this.ipVersion[i] === 6 ? 6 : 4;
    v.opts = this.opts[i];
    v.wscale = this.wscale[i];
    v.sackBlocks = this.sackBlocks[i];
    v.file = this.file[i];
    v.line = -1;
    v.byteOffset = -1;
  }
}
