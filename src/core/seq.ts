/**
 * TCP sequence-number arithmetic, modulo 2^32 (RFC 9293 section 3.4).
 *
 * Every comparison of sequence or acknowledgment numbers in the project goes through this module.
 * Values are plain numbers holding unsigned 32-bit integers (0 .. 2^32-1).
 */

/** a + n mod 2^32 (n may be negative). */
export function seqAdd(a: number, n: number): number {
  // ToUint32 is reduction modulo 2^32 for any finite number, negative sums included.
  return (a + n) >>> 0;
}

/** The signed distance from a to b: b - a as a signed 32-bit number. */
export function seqDiff(a: number, b: number): number {
  return ((b - a) | 0);
}

/** a < b in sequence space (signed 32-bit difference). */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** Unsigned distance from `from` to `to` (to - from mod 2^32). */
export function seqDistance(from: number, to: number): number {
  return (to - from) >>> 0;
}

/** lo <= x < lo + size, modulo 2^32 (an unsigned range test; size 0 is an empty range). */
export function seqInWindow(x: number, lo: number, size: number): boolean {
  return ((x - lo) >>> 0) < size;
}

/** The larger of two sequence numbers in sequence space. */
export function seqMax(a: number, b: number): number {
  return seqLt(a, b) ? b : a;
}

/**
 * Sequence space a segment occupies: payload plus one for SYN and one for FIN
 * (RFC 9293 section 3.4, "SEG.LEN").
 */
export function segmentSpace(len: number, syn: boolean, fin: boolean): number {
  return len + (syn ? 1 : 0) + (fin ? 1 : 0);
}
