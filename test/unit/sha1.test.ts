/**
 * SHA-1 and base64 in the core, against the published test vectors (FIPS 180-4's examples as
 * listed in RFC 3174 section 7.3, RFC 4648 section 10) and against Node's crypto on random input.
 */
import * as assert from 'assert';
import * as crypto from 'crypto';
import fc from 'fast-check';
import { base64, sha1 } from '../../src/core/sha1';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

describe('sha1', () => {
  it('matches the FIPS 180 / RFC 3174 test vectors', () => {
    assert.strictEqual(hex(sha1(ascii(''))), 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
    assert.strictEqual(hex(sha1(ascii('abc'))), 'a9993e364706816aba3e25717850c26c9cd0d89d');
    assert.strictEqual(
      hex(sha1(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))),
      '84983e441c3bd26ebaae4aa1f95129e5e54670f1',
    );
    assert.strictEqual(hex(sha1(ascii('a'.repeat(1_000_000)))), '34aa973cd4c4daa4f61eeb2bdbad27316534016f');
    assert.strictEqual(
      hex(sha1(ascii('0123456701234567012345670123456701234567012345670123456701234567'.repeat(10)))),
      'dea356a2cddd90c7a7ecedc5ebb563934f460452',
    );
  });

  it('equals node:crypto on random messages of every length around the block boundaries', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), (m) => {
        assert.strictEqual(hex(sha1(m)), crypto.createHash('sha1').update(m).digest('hex'));
      }),
      { numRuns: 500 },
    );
  });
});

describe('base64', () => {
  it('matches RFC 4648 section 10', () => {
    const cases: [string, string][] = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [i, o] of cases) assert.strictEqual(base64(ascii(i)), o);
  });

  it('equals Buffer base64 on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (m) => {
        assert.strictEqual(base64(m), Buffer.from(m).toString('base64'));
      }),
    );
  });
});
