/**
 * SHA-1 (FIPS 180-4) over bytes, for identifiers that other tools compute the same way (Community
 * ID). Not for security. Pure: the core cannot use node:crypto.
 */

const W = new Int32Array(80);
/** The padded message, reused from call to call (grown for long messages). */
let scratch = new Uint8Array(128);
/** The digest of the latest `digest` call: five 32-bit words (the digest's bytes, big-endian). */
const H = new Int32Array(5);

/** The 20-byte SHA-1 digest of `msg` (its first `n` bytes). */
export function sha1(msg: Uint8Array, n = msg.length): Uint8Array {
  digest(msg, n);
  const out = new Uint8Array(20);
  for (let i = 0; i < 5; i++) put32(out, 4 * i, H[i]);
  return out;
}

/** The SHA-1 digest of `msg`'s first `n` bytes into H. */
function digest(msg: Uint8Array, n: number): void {
  H[0] = 0x67452301;
  H[1] = 0xefcdab89 | 0;
  H[2] = 0x98badcfe | 0;
  H[3] = 0x10325476;
  H[4] = 0xc3d2e1f0 | 0;
  if (n <= 55) {
    // One block (a Community ID's message is 40 bytes at most): its words read from the message
    // itself (then 0x80, zeros, and the length in bits in the last word; the high word is 0).
    for (let i = 0; i < 14; i++) {
      const p = 4 * i;
      W[i] = (paddedByte(msg, n, p) << 24) | (paddedByte(msg, n, p + 1) << 16) | (paddedByte(msg, n, p + 2) << 8) | paddedByte(msg, n, p + 3);
    }
    W[14] = 0;
    W[15] = n * 8;
    compress();
    return;
  }
  // Message + 0x80 + zero padding + 64-bit big-endian bit length, to a multiple of 64 bytes.
  const blocks = ((n + 8) >> 6) + 1;
  if (scratch.length < blocks * 64) scratch = new Uint8Array(blocks * 64);
  const buf = scratch;
  buf.set(n === msg.length ? msg : msg.subarray(0, n));
  buf[n] = 0x80;
  buf.fill(0, n + 1, blocks * 64);
  const bits = n * 8;
  const end = blocks * 64;
  // The high 32 bits of the length (messages up to 2^53 bits).
  const hi = Math.floor(bits / 0x100000000);
  buf[end - 8] = hi >>> 24;
  buf[end - 7] = (hi >>> 16) & 0xff;
  buf[end - 6] = (hi >>> 8) & 0xff;
  buf[end - 5] = hi & 0xff;
  buf[end - 4] = (bits >>> 24) & 0xff;
  buf[end - 3] = (bits >>> 16) & 0xff;
  buf[end - 2] = (bits >>> 8) & 0xff;
  buf[end - 1] = bits & 0xff;
  for (let off = 0; off < end; off += 64) {
    for (let i = 0; i < 16; i++) {
      const p = off + 4 * i;
      W[i] = (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
    }
    compress();
  }
}

/** Byte j of a one-block message of n bytes and its padding (0x80, then zeros). */
function paddedByte(msg: Uint8Array, n: number, j: number): number {
  return j < n ? msg[j] : j === n ? 0x80 : 0;
}

/** One block (its 16 words in W) into the digest H. */
function compress(): void {
  for (let i = 16; i < 80; i++) {
    const x = W[i - 3] ^ W[i - 8] ^ W[i - 14] ^ W[i - 16];
    W[i] = (x << 1) | (x >>> 31);
  }
  let a = H[0];
  let b = H[1];
  let c = H[2];
  let d = H[3];
  let e = H[4];
  // The four rounds of 20 steps, each with its function and constant.
  for (let i = 0; i < 20; i++) {
    const t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + W[i]) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  for (let i = 20; i < 40; i++) {
    const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + W[i]) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  for (let i = 40; i < 60; i++) {
    const t = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + 0x8f1bbcdc + W[i]) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  for (let i = 60; i < 80; i++) {
    const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0xca62c1d6 + W[i]) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  H[0] = (H[0] + a) | 0;
  H[1] = (H[1] + b) | 0;
  H[2] = (H[2] + c) | 0;
  H[3] = (H[3] + d) | 0;
  H[4] = (H[4] + e) | 0;
}

/** The digest's bytes (of `sha1Base64`), reused. */
const DIGEST = new Uint8Array(20);
/** `prefix` (ASCII) then the base64 of the digest: character codes, reused. */
let codes: number[] = [];

/**
 * `prefix + base64(sha1(msg, n))` (`prefix` ASCII), made without a digest array or concatenations:
 * a Community ID per connection of a large capture.
 */
export function sha1Base64(msg: Uint8Array, n = msg.length, prefix = ''): string {
  digest(msg, n);
  for (let i = 0; i < 5; i++) put32(DIGEST, 4 * i, H[i]);
  // 20 bytes: six groups of three (four characters each), then two bytes (three and `=`).
  const p = prefix.length;
  if (codes.length !== p + 28) codes = new Array<number>(p + 28).fill(0);
  for (let i = 0; i < p; i++) codes[i] = prefix.charCodeAt(i);
  let o = p;
  for (let i = 0; i < 18; i += 3) {
    const v = (DIGEST[i] << 16) | (DIGEST[i + 1] << 8) | DIGEST[i + 2];
    codes[o++] = B64_CODES[v >>> 18];
    codes[o++] = B64_CODES[(v >>> 12) & 63];
    codes[o++] = B64_CODES[(v >>> 6) & 63];
    codes[o++] = B64_CODES[v & 63];
  }
  const v = (DIGEST[18] << 16) | (DIGEST[19] << 8);
  codes[o++] = B64_CODES[v >>> 18];
  codes[o++] = B64_CODES[(v >>> 12) & 63];
  codes[o++] = B64_CODES[(v >>> 6) & 63];
  codes[o] = 61; // '='
  return String.fromCharCode(...codes);
}

function put32(out: Uint8Array, i: number, v: number): void {
  out[i] = v >>> 24;
  out[i + 1] = (v >>> 16) & 0xff;
  out[i + 2] = (v >>> 8) & 0xff;
  out[i + 3] = v & 0xff;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_CODES = Uint8Array.from(B64, (c) => c.charCodeAt(0));

/** Standard base64 (RFC 4648 section 4, with `=` padding). */
export function base64(bytes: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    s += B64[v >>> 18] + B64[(v >>> 12) & 63] + B64[(v >>> 6) & 63] + B64[v & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const v = bytes[i] << 16;
    s += B64[v >>> 18] + B64[(v >>> 12) & 63] + '==';
  } else if (rest === 2) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    s += B64[v >>> 18] + B64[(v >>> 12) & 63] + B64[(v >>> 6) & 63] + '=';
  }
  return s;
}
