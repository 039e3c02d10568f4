/**
 * Where each TCP segment's record is in its capture file, compactly: the byte offset of frame f,
 * for the frames a first pass decoded, so that a later reader can decode exactly those records
 * again (the editor's big captures: src/server/bigCapture.ts). With the offsets, the decoder
 * checkpoints they need (the format, and for pcapng the section's byte order and interfaces).
 *
 * Frames are numbered in file order, so offsets grow with them: each frame keeps the distance from
 * the previous indexed frame's offset in 16 bits (a record of a loopback capture is ~100 bytes),
 * and every 64th frame a full offset. Two bytes per frame, plus an escape table for the rare
 * distance that does not fit (jumbo records, long runs of non-TCP packets). Frames that are not
 * TCP segments have distance 0 and are never asked for.
 */
import { grownColumn } from '../model/segment';
import type { DecoderCheckpoint } from './capture';

const BLOCK_SHIFT = 6;
const ESCAPE = 0xffff;

export class RecordIndex {
  /** delta[f - 1]: offset(f) - offset(previous indexed frame); ESCAPE: in `far`. */
  private delta = new Uint16Array(1 << 16);
  /** base[b]: the offset of the last indexed frame before block b (frames b * 64 + 1 ...). */
  private base = new Float64Array(1 << 10);
  private readonly far = new Map<number, number>();
  /** The highest frame indexed, and its offset. */
  private lastFrame = 0;
  private lastOffset = 0;
  private nextBlock = 0;
  /** Checkpoints in file order, each valid from its offset on. */
  private readonly cpFrom: number[] = [];
  private readonly cps: DecoderCheckpoint[] = [];

  /** Frame `frame` (1-based, above every frame added before) is at byte `offset`. */
  add(frame: number, offset: number): void {
    const need = frame;
    if (need > this.delta.length) this.delta = grownColumn(this.delta, Math.max(need, this.delta.length * 2));
    const b = (frame - 1) >>> BLOCK_SHIFT;
    while (this.nextBlock <= b) {
      if (this.nextBlock >= this.base.length) this.base = grownColumn(this.base, this.base.length * 2);
      this.base[this.nextBlock++] = this.lastOffset;
    }
    const d = offset - this.lastOffset;
    if (d >= 0 && d < ESCAPE) this.delta[frame - 1] = d;
    else {
      this.delta[frame - 1] = ESCAPE;
      this.far.set(frame, d);
    }
    this.lastFrame = frame;
    this.lastOffset = offset;
  }

  /** The layout records from `offset` on are read with (until the next checkpoint). */
  addCheckpoint(offset: number, cp: DecoderCheckpoint): void {
    this.cpFrom.push(offset);
    this.cps.push(cp);
  }

  /** The byte offset of an indexed frame. */
  offsetOf(frame: number): number {
    if (frame < 1 || frame > this.lastFrame) throw new RangeError(`frame ${frame} is not indexed`);
    const b = (frame - 1) >>> BLOCK_SHIFT;
    let off = this.base[b];
    for (let f = (b << BLOCK_SHIFT) + 1; f <= frame; f++) {
      const d = this.delta[f - 1];
      off += d === ESCAPE ? this.far.get(f)! : d;
    }
    return off;
  }

  /** Index of the checkpoint a record at `offset` is read with (see {@link checkpointByIndex}). */
  checkpointIndex(offset: number): number {
    if (this.cps.length === 0) throw new RangeError('no record is indexed');
    let lo = 0;
    let hi = this.cpFrom.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.cpFrom[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  checkpointByIndex(i: number): DecoderCheckpoint {
    return this.cps[i];
  }

  /** Bytes held. */
  get byteSize(): number {
    return this.delta.byteLength + this.base.byteLength + this.far.size * 32;
  }
}
