/**
 * The raw DEFLATE decoder used for IPComp payloads, against Node's zlib: every block type (stored,
 * fixed and dynamic Huffman) at every level and strategy inflates to the original bytes; damaged
 * or truncated streams fail cleanly (-1), never throw, never write past the output.
 */
import * as assert from 'assert';
import * as zlib from 'zlib';
import fc from 'fast-check';
import { inflatePayload, inflateRaw } from '../../../src/core/decode';

/** Data that compresses in interesting ways: runs, repeats at varying distances, noise. */
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 3000 }),
  fc.array(fc.record({ byte: fc.integer({ min: 0, max: 255 }), run: fc.integer({ min: 1, max: 400 }) }), { maxLength: 40 }).map((runs) => new Uint8Array(runs.flatMap((r) => new Array<number>(r.run).fill(r.byte)))),
  fc.tuple(fc.string({ maxLength: 60 }), fc.integer({ min: 1, max: 200 })).map(([s, n]) => new TextEncoder().encode(`${s}|`.repeat(n))),
);

describe('decode: inflate (RFC 1951) against zlib', () => {
  it('inflates what zlib deflates, at every level and strategy', () => {
    const out = new Uint8Array(1 << 20);
    fc.assert(
      fc.property(payload, fc.integer({ min: 0, max: 9 }), fc.constantFrom(zlib.constants.Z_DEFAULT_STRATEGY, zlib.constants.Z_FIXED, zlib.constants.Z_HUFFMAN_ONLY, zlib.constants.Z_RLE, zlib.constants.Z_FILTERED), (data, level, strategy) => {
        const z = new Uint8Array(zlib.deflateRawSync(data, { level, strategy }));
        const n = inflateRaw(z, 0, z.length, out);
        assert.strictEqual(n, data.length);
        assert.deepStrictEqual(out.subarray(0, n), data);
      }),
      { numRuns: 300 },
    );
  });

  it('reads the stream where it is (offsets into a larger buffer) and accepts a zlib header', () => {
    const data = new TextEncoder().encode('GET / HTTP/1.1\r\nHost: example\r\n\r\n'.repeat(20));
    const raw = zlib.deflateRawSync(data);
    const framed = new Uint8Array(raw.length + 10).fill(0x55);
    framed.set(raw, 7);
    const out = new Uint8Array(4096);
    assert.strictEqual(inflateRaw(framed, 7, 7 + raw.length, out), data.length);
    const wrapped = new Uint8Array(zlib.deflateSync(data)); // RFC 1950: CMF, FLG, DEFLATE, Adler-32
    assert.strictEqual(inflatePayload(wrapped, 0, wrapped.length, out), data.length);
    assert.deepStrictEqual(out.subarray(0, data.length), data);
  });

  it('fails cleanly on truncation, damage and output that would not fit', () => {
    const out = new Uint8Array(8192);
    fc.assert(
      fc.property(payload, fc.nat(), fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { maxLength: 6 }), (data, cut, muts) => {
        const z = new Uint8Array(zlib.deflateRawSync(data));
        const short = z.subarray(0, cut % (z.length + 1));
        const n1 = inflateRaw(short, 0, short.length, out);
        assert.ok(n1 === -1 || (n1 >= 0 && n1 <= out.length));
        const bad = z.slice();
        for (const m of muts) bad[m.at % bad.length] = m.byte;
        const n2 = inflateRaw(bad, 0, bad.length, out);
        assert.ok(n2 === -1 || (n2 >= 0 && n2 <= out.length));
        // Never more than the output can take: a tiny output buffer makes big payloads fail.
        const tiny = new Uint8Array(16);
        const n3 = inflateRaw(z, 0, z.length, tiny);
        assert.strictEqual(n3, data.length <= 16 ? data.length : -1);
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes never throw and never hang', () => {
    const out = new Uint8Array(70000);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (b) => {
        const n = inflateRaw(b, 0, b.length, out);
        assert.ok(n >= -1 && n <= out.length);
      }),
      { numRuns: 2000 },
    );
  });
});
