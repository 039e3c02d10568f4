/**
 * Raw DEFLATE decoding (RFC 1951), for IPComp payloads (RFC 3173 with RFC 2394's DEFLATE).
 * A rare path, so written for clarity and strictness rather than speed: every read is checked
 * against the input, every copy against the output, and any inconsistency fails the whole
 * inflation (the caller counts the packet as skipped). Never throws at the caller.
 */

/** Base length and extra bits of length symbols 257..285. */
const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
/** Base distance and extra bits of distance symbols 0..29. */
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/** The order in which code-length code lengths are sent (RFC 1951 3.2.7). */
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

const MAX_BITS = 15;

/** A canonical Huffman code: how many codes of each length, and the symbols in code order. */
class Huffman {
  readonly count = new Uint16Array(MAX_BITS + 1);
  readonly symbol: Uint16Array;
  constructor(n: number) {
    this.symbol = new Uint16Array(n);
  }

  /**
   * Builds the code from code lengths. Returns false for an over-subscribed set, or an incomplete
   * one with more than one code (RFC 1951 allows a single code of one bit; nothing else).
   */
  build(lengths: Uint8Array, n: number): boolean {
    this.count.fill(0);
    for (let s = 0; s < n; s++) this.count[lengths[s]]++;
    if (this.count[0] === n) return true; // no codes: only an error if a symbol is ever decoded
    let left = 1;
    for (let len = 1; len <= MAX_BITS; len++) {
      left = left * 2 - this.count[len];
      if (left < 0) return false;
    }
    const offs = new Uint16Array(MAX_BITS + 2);
    for (let len = 1; len <= MAX_BITS; len++) offs[len + 1] = offs[len] + this.count[len];
    for (let s = 0; s < n; s++) if (lengths[s] !== 0) this.symbol[offs[lengths[s]]++] = s;
    return left === 0 || n - this.count[0] === 1;
  }
}

class Failure {}
const FAIL = new Failure();

class Inflater {
  private bitBuf = 0;
  private bitCnt = 0;
  private readonly lens = new Uint8Array(320);
  private readonly lit = new Huffman(288);
  private readonly dist = new Huffman(30);

  constructor(
    private readonly src: Uint8Array,
    private pos: number,
    private readonly end: number,
    private readonly out: Uint8Array,
    private outPos: number,
    private readonly outStart: number,
  ) {}

  /** Returns the end of the output. */
  run(): number {
    let last = 0;
    while (last === 0) {
      last = this.bits(1);
      const type = this.bits(2);
      if (type === 0) this.stored();
      else if (type === 1) this.fixed();
      else if (type === 2) this.dynamic();
      else throw FAIL;
    }
    return this.outPos;
  }

  private bits(n: number): number {
    let v = this.bitBuf;
    while (this.bitCnt < n) {
      if (this.pos >= this.end) throw FAIL;
      v |= this.src[this.pos++] << this.bitCnt;
      this.bitCnt += 8;
    }
    this.bitBuf = v >>> n;
    this.bitCnt -= n;
    return v & ((1 << n) - 1);
  }

  private stored(): void {
    // Skip to a byte boundary; LEN and its one's complement NLEN, then LEN bytes as they are.
    this.bitBuf = 0;
    this.bitCnt = 0;
    if (this.end - this.pos < 4) throw FAIL;
    const len = this.src[this.pos] | (this.src[this.pos + 1] << 8);
    const nlen = this.src[this.pos + 2] | (this.src[this.pos + 3] << 8);
    this.pos += 4;
    if (len !== (~nlen & 0xffff) || this.end - this.pos < len || this.out.length - this.outPos < len) throw FAIL;
    this.out.set(this.src.subarray(this.pos, this.pos + len), this.outPos);
    this.pos += len;
    this.outPos += len;
  }

  private decode(h: Huffman): number {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len <= MAX_BITS; len++) {
      code |= this.bits(1);
      const count = h.count[len];
      if (code - first < count) return h.symbol[index + code - first];
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw FAIL;
  }

  private codes(): void {
    for (;;) {
      const sym = this.decode(this.lit);
      if (sym < 256) {
        if (this.outPos >= this.out.length) throw FAIL;
        this.out[this.outPos++] = sym;
      } else if (sym === 256) return;
      else {
        const li = sym - 257;
        if (li >= 29) throw FAIL;
        const len = LEN_BASE[li] + this.bits(LEN_EXTRA[li]);
        const di = this.decode(this.dist);
        if (di >= 30) throw FAIL;
        const d = DIST_BASE[di] + this.bits(DIST_EXTRA[di]);
        if (d > this.outPos - this.outStart || this.out.length - this.outPos < len) throw FAIL;
        for (let i = 0; i < len; i++, this.outPos++) this.out[this.outPos] = this.out[this.outPos - d];
      }
    }
  }

  private fixed(): void {
    const l = this.lens;
    l.fill(8, 0, 144);
    l.fill(9, 144, 256);
    l.fill(7, 256, 280);
    l.fill(8, 280, 288);
    this.lit.build(l, 288);
    l.fill(5, 0, 30);
    this.dist.build(l, 30);
    this.codes();
  }

  private dynamic(): void {
    const nlen = this.bits(5) + 257;
    const ndist = this.bits(5) + 1;
    const ncode = this.bits(4) + 4;
    if (nlen > 286 || ndist > 30) throw FAIL;
    const l = this.lens;
    l.fill(0);
    for (let i = 0; i < ncode; i++) l[CL_ORDER[i]] = this.bits(3);
    if (!this.lit.build(l, 19)) throw FAIL;
    const cl = this.lit;
    const lengths = new Uint8Array(nlen + ndist);
    for (let i = 0; i < nlen + ndist; ) {
      const sym = this.decode(cl);
      if (sym < 16) {
        lengths[i++] = sym;
        continue;
      }
      let rep: number;
      let val = 0;
      if (sym === 16) {
        if (i === 0) throw FAIL;
        val = lengths[i - 1];
        rep = 3 + this.bits(2);
      } else if (sym === 17) rep = 3 + this.bits(3);
      else rep = 11 + this.bits(7);
      if (i + rep > nlen + ndist) throw FAIL;
      lengths.fill(val, i, i + rep);
      i += rep;
    }
    if (lengths[256] === 0) throw FAIL; // no end-of-block code
    l.fill(0);
    l.set(lengths.subarray(0, nlen));
    if (!this.lit.build(l, nlen)) throw FAIL;
    l.fill(0);
    l.set(lengths.subarray(nlen));
    if (!this.dist.build(l, ndist)) throw FAIL;
    this.codes();
  }
}

/**
 * Inflates the raw DEFLATE stream src[start, end) into out[0, ...). Returns the number of bytes
 * written, or -1 when the stream is malformed, ends early, or would not fit in `out`.
 */
export function inflateRaw(src: Uint8Array, start: number, end: number, out: Uint8Array): number {
  try {
    return new Inflater(src, start, Math.min(end, src.length), out, 0, 0).run();
  } catch (e) {
    if (e === FAIL) return -1;
    throw e;
  }
}

/**
 * Inflates an IPComp DEFLATE payload: raw DEFLATE, or (as some implementations send, and as
 * Wireshark accepts) a zlib stream (RFC 1950 header: CM 8, CINFO <= 7, FCHECK) around it.
 */
export function inflatePayload(src: Uint8Array, start: number, end: number, out: Uint8Array): number {
  if (end - start >= 2) {
    const cmf = src[start];
    const flg = src[start + 1];
    if ((cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0 && (flg & 0x20) === 0) {
      const n = inflateRaw(src, start + 2, end, out);
      if (n >= 0) return n;
    }
  }
  return inflateRaw(src, start, end, out);
}
