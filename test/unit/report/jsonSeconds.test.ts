/**
 * The JSON's seconds (vantage timings): the quick path by integer nanoseconds must give the very
 * number `Number(x.toFixed(9))` gives, on every double, near the half-nanosecond ties too.
 */
import * as assert from 'assert';
import fc from 'fast-check';
import { seconds } from '../../../src/core/report/json';

const toFixed9 = (x: number): string => String(Number(x.toFixed(9)));
const same = (x: number): void => assert.strictEqual(String(seconds(x)), toFixed9(x), `x = ${x}`);

/** The double `steps` representable values away from x. */
function nudged(x: number, steps: number): number {
  const f = new Float64Array([x]);
  const u = new BigInt64Array(f.buffer);
  u[0] += BigInt(steps);
  return f[0];
}

describe('json seconds', () => {
  it('is null for what is not finite', () => {
    for (const x of [NaN, Infinity, -Infinity]) assert.strictEqual(seconds(x), null);
  });

  it('equals Number(x.toFixed(9)) on any double', () => {
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), same), { numRuns: 20000 });
  });

  it('equals Number(x.toFixed(9)) on handshake-sized timings and time differences', () => {
    fc.assert(
      fc.property(fc.double({ min: -2e6, max: 2e6, noNaN: true }), same),
      { numRuns: 20000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1e9, max: 2e9 }), fc.nat(999_999_999), fc.nat(999_999_999), fc.nat(3), (s, ns1, ns2, ds) => {
        same(s + ds + ns2 / 1e9 - (s + ns1 / 1e9));
        same(s + ns1 / 1e9 - (s + ds + ns2 / 1e9));
      }),
      { numRuns: 20000 },
    );
  });

  it('equals Number(x.toFixed(9)) around half-nanosecond ties', () => {
    fc.assert(
      fc.property(fc.nat(1e12), fc.boolean(), fc.integer({ min: -4, max: 4 }), (k, small, steps) => {
        const x = nudged(((k + 0.5) / 1e9) * (small ? 1e-3 : 1), steps);
        same(x);
        same(-x);
      }),
      { numRuns: 20000 },
    );
    for (const x of [0, -0, 5e-10, -5e-10, 1.5e-9, 2.5e-9, 5e-7, 1e-7, 999999.9999999995, 1e6, -1e6, 123456.1234567885]) same(x);
  });
});
