/**
 * The same kernel capture in every container and link type decodes to the same TCP segments.
 * Expected values come from tshark, run once and stored in test/fixtures/decode (tshark is not
 * needed to run these tests). test/fixtures/decode/make.mjs re-encapsulates the kernel captures.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { FIXTURES, KERNEL, decodeAll, read, readTsv, type Seg } from './util';

const GEN = path.join(FIXTURES, 'gen');

/** Asserts that decoded segments equal tshark's fields, row by row. */
function assertMatchesTshark(segs: Seg[], tsvFile: string): void {
  const rows = readTsv(tsvFile);
  assert.strictEqual(segs.length, rows.length, `${path.basename(tsvFile)}: segment count`);
  rows.forEach((row, i) => {
    const s = segs[i];
    const where = `${path.basename(tsvFile)} frame ${row['frame.number']}`;
    assert.strictEqual(String(s.frame), row['frame.number'], where);
    // tshark prints no time for a packet without one (a Simple Packet Block).
    if (row['frame.time_epoch'] !== '') assert.strictEqual(s.time, row['frame.time_epoch'], `${where}: time`);
    assert.strictEqual(String(s.seq), row['tcp.seq_raw'], `${where}: seq`);
    assert.strictEqual(String(s.ack), row['tcp.ack_raw'], `${where}: ack`);
    assert.strictEqual(s.flags, parseInt(row['tcp.flags'], 16), `${where}: flags`);
    assert.strictEqual(String(s.len), row['tcp.len'], `${where}: len`);
    if ('tcp.srcport' in row) {
      assert.strictEqual(s.src, row['ip.src'] || row['ipv6.src'], `${where}: src`);
      assert.strictEqual(s.dst, row['ip.dst'] || row['ipv6.dst'], `${where}: dst`);
      assert.strictEqual(String(s.sport), row['tcp.srcport'], `${where}: sport`);
      assert.strictEqual(String(s.dport), row['tcp.dstport'], `${where}: dport`);
      assert.strictEqual(String(s.win), row['tcp.window_size_value'], `${where}: win`);
    }
  });
}

describe('decode: one kernel capture in pcap, pcapng and nanosecond pcap', () => {
  for (const name of ['01-client-active-close', '03-simultaneous-close', '13-ipv6-client-close']) {
    const files = [`${name}.pcap`, `${name}.pcapng`, `${name}-nsec.pcap`];

    it(`${name}: the three files decode to identical segments`, () => {
      const [a, b, c] = files.map((f) => decodeAll(read(path.join(KERNEL, f))));
      assert.ok(a.segs.length >= 5, 'the capture has segments');
      assert.deepStrictEqual(b.segs, a.segs);
      assert.deepStrictEqual(c.segs, a.segs);
      assert.deepStrictEqual([a.report.format, b.report.format, c.report.format], ['pcap', 'pcapng', 'pcap']);
      for (const { report } of [a, b, c]) {
        assert.strictEqual(report.stoppedAt, null);
        assert.strictEqual(report.unreadable, false);
        assert.deepStrictEqual(report.warnings, []);
        assert.deepStrictEqual(report.skipped, {});
        assert.strictEqual(report.packets, a.segs.length);
        assert.strictEqual(report.tcpSegments, a.segs.length);
        assert.deepStrictEqual(report.linkTypes, [1]);
      }
      assert.strictEqual(b.report.sections, 1);
    });

    for (const f of files) {
      it(`${f}: every frame matches tshark (time, addresses, ports, seq, ack, flags, len, win)`, () => {
        assertMatchesTshark(decodeAll(read(path.join(KERNEL, f))).segs, path.join(FIXTURES, 'tshark', `${f}.tsv`));
      });
    }
  }

  it('spot check: frame 6 of 01 (the 200-byte server reply) and frame 2 of 13 (IPv6 SYN-ACK)', () => {
    // From tshark -T fields -e frame.number -e frame.time_epoch -e tcp.seq_raw -e tcp.ack_raw -e tcp.flags -e tcp.len
    const a = decodeAll(read(path.join(KERNEL, '01-client-active-close.pcapng'))).segs[5];
    assert.deepStrictEqual(
      [a.frame, a.time, a.src, a.sport, a.dst, a.dport, a.seq, a.ack, a.flags, a.len],
      [6, '1795284560.376175000', '10.88.0.2', 8080, '10.88.0.1', 40001, 4004019266, 1380287633, 0x018, 200],
    );
    const b = decodeAll(read(path.join(KERNEL, '13-ipv6-client-close-nsec.pcap'))).segs[1];
    assert.deepStrictEqual(
      [b.frame, b.time, b.src, b.sport, b.dst, b.dport, b.seq, b.ack, b.flags, b.len, b.win],
      [2, '1795284586.511033000', 'fd88::2', 8080, 'fd88::1', 40013, 2984112190, 3177472454, 0x012, 0, 64260],
    );
  });
});

interface ManifestEntry {
  file: string;
  source: string;
  /** Per frame: 'same' as the source, 'pow2-20' (2^-20 s ticks, rounded down), 'none' (no timestamp). */
  times: ('same' | 'pow2-20' | 'none')[];
  sections?: number;
  unknownBlocks?: number;
}

/** seconds.nnnnnnnnn -> nanoseconds. */
function ns(t: string): bigint {
  const [s, f] = t.split('.');
  return BigInt(s) * 1_000_000_000n + BigInt(f);
}

describe('decode: re-encapsulated kernel captures (test/fixtures/decode/make.mjs)', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(GEN, 'manifest.json'), 'utf8')) as ManifestEntry[];

  it('the generator covers every container and link type asked for', () => {
    const suffixes = new Set(manifest.map((m) => m.file.slice(3)));
    for (const s of ['be.pcap', 'nsec-be.pcap', 'modified.pcap', 'sll.pcap', 'sll2.pcap', 'null-le.pcap', 'null-be.pcap', 'loop.pcap', 'raw.pcap', 'ipv4.pcap', 'ipv6.pcap', 'vlan.pcap', 'qinq.pcap', 'pppoe.pcap', 'multi.pcapng']) {
      assert.ok(suffixes.has(s), s);
    }
    const multi = manifest.find((m) => m.file === '01-multi.pcapng');
    assert.ok(multi && multi.times.includes('pow2-20') && multi.times.includes('none'));
  });

  for (const m of manifest) {
    it(`${m.file} decodes to the same segments as ${m.source}`, () => {
      const orig = decodeAll(read(path.join(KERNEL, m.source)));
      const got = decodeAll(read(path.join(GEN, m.file)));
      const r = got.report;
      assert.strictEqual(r.stoppedAt, null, r.stoppedAt?.message);
      assert.deepStrictEqual(r.warnings, []);
      assert.deepStrictEqual(r.skipped, {});
      assert.strictEqual(r.packets, orig.report.packets);
      assert.strictEqual(got.segs.length, orig.segs.length);
      got.segs.forEach((s, i) => {
        const o = orig.segs[i];
        const kind = m.times[i];
        if (kind === 'same') assert.strictEqual(s.time, o.time, `frame ${s.frame}: time`);
        else if (kind === 'pow2-20') {
          // 2^-20 s ticks were rounded down from microseconds: within one tick (< 954 ns) below.
          const d = ns(o.time) - ns(s.time);
          assert.ok(d >= 0n && d < 954n, `frame ${s.frame}: ${s.time} vs ${o.time}`);
        }
        assert.deepStrictEqual({ ...s, time: '' }, { ...o, time: '' }, `frame ${s.frame}`);
      });
      // And tshark, run once on the generated file, agrees field by field (times included, 2^-20 too).
      assertMatchesTshark(got.segs, path.join(GEN, `${m.file}.tshark.tsv`));
      if (m.sections !== undefined) {
        assert.strictEqual(r.format, 'pcapng');
        assert.strictEqual(r.sections, m.sections);
        assert.strictEqual(r.unknownBlocks, m.unknownBlocks);
        assert.deepStrictEqual([...r.linkTypes].sort((a, b) => a - b), [1, 101, 113]);
        assert.ok(r.notes().some((n) => n.includes(`${m.unknownBlocks} pcapng blocks of other types`)), r.notes().join('\n'));
      } else {
        assert.strictEqual(r.format, 'pcap');
        assert.strictEqual(r.unknownBlocks, 0);
      }
    });
  }

  it('link types are reported as written', () => {
    const lt = (f: string): number[] => decodeAll(read(path.join(GEN, f))).report.linkTypes;
    assert.deepStrictEqual(lt('01-sll.pcap'), [113]);
    assert.deepStrictEqual(lt('01-sll2.pcap'), [276]);
    assert.deepStrictEqual(lt('01-null-be.pcap'), [0]);
    assert.deepStrictEqual(lt('01-loop.pcap'), [108]);
    assert.deepStrictEqual(lt('01-raw.pcap'), [101]);
    assert.deepStrictEqual(lt('01-ipv4.pcap'), [228]);
    assert.deepStrictEqual(lt('13-ipv6.pcap'), [229]);
  });

  // SegmentView documents tsSec as "NaN when the source gives no time"; a Simple Packet Block has
  // no timestamp (tshark prints no frame.time_epoch for it): not 0.000000000 (1 January 1970).
  it('a Simple Packet Block frame has no time ("" rather than 1970)', () => {
    for (const m of manifest.filter((x) => x.times.includes('none'))) {
      const segs = decodeAll(read(path.join(GEN, m.file))).segs;
      assert.strictEqual(segs[m.times.indexOf('none')].time, '');
    }
  });
});
