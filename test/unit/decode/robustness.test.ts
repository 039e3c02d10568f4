/**
 * Properties of the streaming decoder on every kernel capture: truncation anywhere yields a prefix,
 * random damage never throws, chunking never changes the result, and memory stays flat however
 * much is pushed.
 */
import * as assert from 'assert';
import * as path from 'path';
import fc from 'fast-check';
import { CaptureDecoder, ticksToTime, type DecodeReport } from '../../../src/core/decode';
import { KERNEL, decodeAll, decodeChunked, kernelCaptures, read, reportData, type Seg } from './util';

/** Invariants every report keeps, damaged input or not. */
function assertConsistent(segs: Seg[], r: DecodeReport, what: string): void {
  assert.strictEqual(r.tcpSegments, segs.length, `${what}: tcpSegments`);
  const skipped = Object.values(r.skipped).reduce((a, n) => a + (n ?? 0), 0);
  assert.strictEqual(r.tcpSegments + skipped, r.packets, `${what}: every packet is a segment or a skip`);
  for (let i = 1; i < segs.length; i++) assert.ok(segs[i].frame > segs[i - 1].frame, `${what}: frames ascend`);
  if (segs.length > 0) assert.ok(segs[segs.length - 1].frame <= r.packets, `${what}: frame numbers within packets`);
  if (r.stoppedAt) {
    assert.ok(typeof r.stoppedAt.message === 'string' && r.stoppedAt.message.length > 0);
    assert.ok(r.stoppedAt.frame <= r.packets, `${what}: stoppedAt.frame`);
  }
  assert.ok(Array.isArray(r.notes()));
}

const files = kernelCaptures();

describe('decode robustness: truncation at every offset', () => {
  it('finds the kernel captures', () => assert.ok(files.length >= 20, files.join()));

  for (const f of files) {
    it(`${f}: every prefix decodes to a prefix of the clean decode`, () => {
      const bytes = read(path.join(KERNEL, f));
      const clean = decodeAll(bytes);
      assert.strictEqual(clean.report.stoppedAt, null);
      let last = 0;
      for (let cut = 0; cut <= bytes.length; cut++) {
        const { segs, report } = decodeAll(bytes.subarray(0, cut));
        assertConsistent(segs, report, `${f} cut ${cut}`);
        assert.deepStrictEqual(segs, clean.segs.slice(0, segs.length), `${f} cut at ${cut}`);
        assert.ok(segs.length >= last, `${f} cut ${cut}: fewer segments than a shorter prefix`);
        last = segs.length;
        if (report.stoppedAt !== null && cut > 0 && !report.unreadable) {
          // A cut inside a record is reported as truncation after the last whole frame.
          assert.ok(report.stoppedAt.message.startsWith('truncated'), `${f} cut ${cut}: ${report.stoppedAt.message}`);
          assert.strictEqual(report.stoppedAt.frame, report.packets);
          assert.ok(report.stoppedAt.byteOffset < cut);
        }
        if (cut === 0) assert.strictEqual(report.unreadable, true);
      }
      assert.strictEqual(last, clean.segs.length);
    });
  }
});

describe('decode robustness: random damage (fast-check)', () => {
  for (const f of files) {
    it(`${f}: random byte mutations never throw, and chunking does not change the result`, () => {
      const orig = read(path.join(KERNEL, f));
      fc.assert(
        fc.property(
          fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 16 }),
          fc.integer({ min: 1, max: 600 }),
          (muts, chunk) => {
            const b = orig.slice();
            for (const m of muts) b[m.at % b.length] = m.byte;
            const one = decodeAll(b);
            assertConsistent(one.segs, one.report, f);
            const chunked = decodeChunked(b, [chunk]);
            assert.deepStrictEqual(chunked.segs, one.segs);
            assert.deepStrictEqual(reportData(chunked.report), reportData(one.report));
          },
        ),
        { numRuns: 200 },
      );
    });
  }

  it('random bytes after a valid pcap or pcapng header never throw', () => {
    const heads = [read(path.join(KERNEL, '01-client-active-close.pcap')).subarray(0, 24), read(path.join(KERNEL, '01-client-active-close.pcapng')).subarray(0, 0x84)];
    fc.assert(
      fc.property(fc.constantFrom(...heads), fc.uint8Array({ maxLength: 2048 }), (head, tail) => {
        const b = new Uint8Array(head.length + tail.length);
        b.set(head);
        b.set(tail, head.length);
        const { segs, report } = decodeAll(b);
        assertConsistent(segs, report, 'random tail');
      }),
      { numRuns: 300 },
    );
  });
});

describe('decode robustness: chunking', () => {
  for (const f of files) {
    it(`${f}: random chunk sizes (1..4096) equal the one-shot decode`, () => {
      const bytes = read(path.join(KERNEL, f));
      const one = decodeAll(bytes);
      const oneByOne = decodeChunked(bytes, [1]);
      assert.deepStrictEqual(oneByOne.segs, one.segs);
      assert.deepStrictEqual(reportData(oneByOne.report), reportData(one.report));
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 4096 }), { minLength: 1, maxLength: 64 }), (sizes) => {
          const c = decodeChunked(bytes, sizes);
          assert.deepStrictEqual(c.segs, one.segs);
          assert.deepStrictEqual(reportData(c.report), reportData(one.report));
        }),
        { numRuns: 100 },
      );
    });
  }
});

describe('decode robustness: ticksToTime', () => {
  it('equals exact BigInt arithmetic for any 64-bit tick count and resolution', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.boolean(), fc.integer({ min: 0, max: 30 }), (ticks, decimal, exp) => {
        const e = decimal ? Math.min(exp, 12) : exp;
        const per = decimal ? 10n ** BigInt(e) : 1n << BigInt(e);
        const [sec, ns] = ticksToTime(Number(ticks >> 32n), Number(ticks & 0xffffffffn), { resolDecimal: decimal, resolExp: e });
        const wantSec = ticks / per;
        const wantNs = ((ticks % per) * 1_000_000_000n) / per;
        // Seconds beyond 2^53 cannot be exact in a number; compare what a double can hold.
        assert.strictEqual(sec, Number(wantSec));
        assert.strictEqual(ns, Number(wantNs));
      }),
      { numRuns: 2000 },
    );
  });
});

/** Splits a capture into its header (pcap global header, or pcapng SHB + IDB) and its packet records. */
function split(bytes: Uint8Array, pcapng: boolean): { head: Uint8Array; records: Uint8Array } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (!pcapng) return { head: bytes.subarray(0, 24), records: bytes.subarray(24) };
  // pcapng (little-endian here): SHB and IDB first, then only Enhanced Packet Blocks are kept.
  let p = 0;
  const recs: Uint8Array[] = [];
  let headEnd = 0;
  while (p < bytes.length) {
    const type = dv.getUint32(p, true);
    const len = dv.getUint32(p + 4, true);
    if (type === 6) recs.push(bytes.subarray(p, p + len));
    else if (recs.length === 0) headEnd = p + len;
    p += len;
  }
  const records = new Uint8Array(recs.reduce((a, r) => a + r.length, 0));
  let o = 0;
  for (const r of recs) {
    records.set(r, o);
    o += r.length;
  }
  return { head: bytes.subarray(0, headEnd), records };
}

describe('decode robustness: memory stays flat over a long stream', function () {
  this.timeout(120_000);

  for (const f of ['05-half-close-data.pcap', '01-client-active-close.pcapng']) {
    it(`${f}: 96 MiB of repeated records keep the decoder's buffer and arrayBuffers small`, () => {
      const { head, records } = split(read(path.join(KERNEL, f)), f.endsWith('.pcapng'));
      const perPass = decodeAll(read(path.join(KERNEL, f))).report.packets;
      // One ~4 MiB block of whole records, pushed again and again in chunks of an odd size.
      const reps = Math.ceil((4 << 20) / records.length);
      const block = new Uint8Array(records.length * reps);
      for (let i = 0; i < reps; i++) block.set(records, i * records.length);
      let segments = 0;
      const d = new CaptureDecoder(() => {
        segments++;
      });
      d.push(head);
      const CHUNK = 65521;
      const pend = (): number => (d as unknown as { pend?: Uint8Array }).pend?.length ?? 0;
      const passes = Math.ceil((96 << 20) / block.length);
      let base = 0;
      let peak = 0;
      let maxPend = 0;
      for (let pass = 0; pass < passes; pass++) {
        for (let p = 0, n = 0; p < block.length; p += CHUNK, n++) {
          d.push(block.subarray(p, p + CHUNK));
          if (n % 16 === 0) {
            maxPend = Math.max(maxPend, pend());
            const ab = process.memoryUsage().arrayBuffers;
            if (pass === 0) base = Math.max(base, ab);
            else peak = Math.max(peak, ab);
          }
        }
        assert.strictEqual(d.report.stoppedAt, null, `pass ${pass}`);
      }
      const r = d.finish();
      assert.strictEqual(r.stoppedAt, null);
      assert.strictEqual(r.packets, passes * reps * perPass);
      assert.strictEqual(r.tcpSegments, r.packets);
      assert.strictEqual(segments, r.packets);
      assert.strictEqual(r.warningCount, 0);
      // The leftover buffer holds an incomplete record plus the chunk appended to it (it doubles
      // as it grows): bounded by the chunk size, never by the input size.
      assert.ok(maxPend <= 4 * 65536, `internal buffer grew to ${maxPend} bytes`);
      // Coarse: pushing 24x more input than the first pass adds no more than 16 MiB of buffers.
      assert.ok(peak - base < 16 << 20, `arrayBuffers grew from ${base} to ${peak}`);
    });
  }
});
