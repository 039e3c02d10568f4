/**
 * Our decode of real captures equals tshark's, frame by frame and field by field.
 *
 * test/fixtures/decode/make.sh captured traffic.py's connections with tcpdump and dumpcap (lo,
 * "any", snaplen 120), converted them with editcap (pcapng, modified/SuSE/Red Hat/Nokia pcap, raw
 * IP) into real/, and make.mjs re-encapsulated the same packets into gen/ (big-endian and
 * nanosecond pcap, NULL/LOOP, VLAN/QinQ, PPPoE, FabricPath, PBB, tunnels (Geneve too), fragments,
 * extension headers, IPComp, a three-section pcapng). tshark-jsonl.mjs stored tshark's decode of each as F.tshark.jsonl, in
 * the `decode --format jsonl` shape: tshark is not needed to run these tests.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { OPT_MSS, OPT_SACK_PERM, OPT_TIMESTAMP, OPT_WSCALE } from '../../../src/core/model/segment';
import { FIXTURES, KERNEL, atOffset, decodeAll, decodeJsonl, expected, read, reportData, type Seg } from './util';

const readLines = (file: string): string[] =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');

/** What tshark's decode of fixture `rel` says we must print (with the two documented exceptions). */
function wanted(rel: string): string[] {
  if (rel === 'gen/loop-le.pcap') {
    // LOOP's address family is in network byte order; this file has it little-endian, which tshark
    // does not read (it decodes no TCP here). We read the family in either order, as for NULL, so
    // we print what tshark prints for the same packets in gen/loop.pcap.
    return readLines(path.join(FIXTURES, 'gen/loop.pcap.tshark.jsonl'));
  }
  return readLines(path.join(FIXTURES, `${rel}.tshark.jsonl`)).map((line) => {
    const o = JSON.parse(line) as { src: string; len: number | null };
    if (o.len !== null) return line;
    // tshark (reassembly off) gives no tcp.len for the TCP header in a first fragment: it cannot
    // know the segment's length. We report the payload bytes this fragment carries, from its IP
    // length: make.mjs cut first fragments after 8 (IPv4) or 16 (IPv6) payload bytes.
    return line.replace('"len":null', `"len":${o.src.includes(':') ? 16 : 8}`);
  });
}

/** Container, details and link types of each fixture, as make.sh made them. */
const FORMAT: Record<string, [format: 'pcap' | 'pcapng', detail: RegExp, linkTypes: number[]]> = {
  'real/lo.pcap': ['pcap', /^pcap 2\.4 \(little-endian, microseconds\)$/, [1]],
  'real/lo-nsec.pcap': ['pcap', /^pcap 2\.4 \(little-endian, nanoseconds\)$/, [1]],
  'real/lo-snap120.pcap': ['pcap', /microseconds/, [1]],
  'real/any.pcap': ['pcap', /microseconds/, [276]],
  'real/any-sll.pcap': ['pcap', /microseconds/, [113]],
  'real/lo-modified.pcap': ['pcap', /modified record headers/, [1]],
  'real/lo-suse63.pcap': ['pcap', /SuSE 6\.3 record headers/, [1]],
  'real/lo-rh61.pcap': ['pcap', /Red Hat 6\.1 record headers/, [1]],
  'real/lo-nokia.pcap': ['pcap', /Nokia record headers/, [1]],
  'real/raw.pcap': ['pcap', /microseconds/, [101]],
  'real/ipv4.pcap': ['pcap', /microseconds/, [228]],
  'real/ipv6.pcap': ['pcap', /microseconds/, [229]],
  'real/lo.pcapng': ['pcapng', /^pcapng$/, [1]],
  'real/lo-dumpcap.pcapng': ['pcapng', /^pcapng$/, [1]],
  'real/lo-snap120.pcapng': ['pcapng', /^pcapng$/, [1]],
  'gen/be.pcap': ['pcap', /^pcap 2\.4 \(big-endian, microseconds\)$/, [1]],
  'gen/nsec-be.pcap': ['pcap', /^pcap 2\.4 \(big-endian, nanoseconds\)$/, [1]],
  'gen/null-le.pcap': ['pcap', /little-endian/, [0]],
  'gen/null-be.pcap': ['pcap', /big-endian/, [0]],
  'gen/loop.pcap': ['pcap', /little-endian/, [108]],
  'gen/loop-le.pcap': ['pcap', /little-endian/, [108]],
  'gen/raw12.pcap': ['pcap', /little-endian/, [12]],
  'gen/raw14.pcap': ['pcap', /little-endian/, [14]],
  'gen/multi.pcapng': ['pcapng', /^pcapng$/, [1, 101, 113, 0]],
};

describe('decode: real captures against tshark (test/fixtures/decode)', () => {
  const exp = expected();
  const files = Object.keys(exp.files);

  it('make.sh made every container, variant and link type asked for', () => {
    for (const f of Object.keys(FORMAT)) assert.ok(files.includes(f), f);
    for (const f of ['vlan', 'qinq', 'qinq9100', 'vlan3', 'pppoe', 'pppoe-vlan', 'ipip', 'ip6tnl', 'gre', 'gre-teb', 'pptp', 'mpls', 'fabricpath', 'pbb', 'geneve', 'frag', 'ext', 'ipcomp']) {
      assert.ok(files.includes(`gen/${f}.pcap`), f);
    }
    assert.ok(/^TShark \(Wireshark\) 4\./.test(exp.tshark), exp.tshark);
  });

  for (const rel of files) {
    it(`${rel}: every TCP frame prints as tshark decodes it`, () => {
      const bytes = read(path.join(FIXTURES, rel));
      const { lines, report } = decodeJsonl(bytes);
      const want = wanted(rel);
      for (let i = 0; i < Math.max(lines.length, want.length); i++) assert.strictEqual(lines[i], want[i], `${rel}: segment ${i + 1}`);
      const frames = exp.files[rel].frames;
      assert.strictEqual(report.packets, frames, 'frames (tshark counts every record)');
      assert.strictEqual(report.tcpSegments, want.length);
      assert.strictEqual(report.skippedTotal(), frames - want.length, JSON.stringify(report.skipped));
      assert.strictEqual(report.stoppedAt, null, report.stoppedAt?.message);
      assert.strictEqual(report.unreadable, false);
      assert.deepStrictEqual(report.warnings, []);
      assert.strictEqual(report.bytesRead, bytes.length);
      const f = FORMAT[rel];
      if (f !== undefined) {
        assert.strictEqual(report.format, f[0]);
        assert.ok(f[1].test(report.formatDetail), report.formatDetail);
        assert.deepStrictEqual(report.linkTypes, f[2]);
      } else assert.deepStrictEqual(report.linkTypes, [1]);
    });
  }

  it('every fixture decodes the same from a Uint8Array at a non-zero byteOffset', () => {
    for (const rel of files) {
      const bytes = read(path.join(FIXTURES, rel));
      const a = decodeAll(bytes);
      const b = decodeAll(atOffset(bytes));
      assert.deepStrictEqual(b.segs, a.segs, rel);
      assert.deepStrictEqual(reportData(b.report), reportData(a.report), rel);
    }
  });

  it('real/lo.pcap: TCP options as tshark reads them (MSS, window scale, SACK permitted, timestamps)', () => {
    const segs = decodeAll(read(path.join(FIXTURES, 'real/lo.pcap'))).segs;
    const byFrame = new Map(segs.map((s) => [s.frame, s]));
    const rows = readLines(path.join(FIXTURES, 'real/lo.pcap.tshark-options.jsonl')).map(
      (l) => JSON.parse(l) as { frame: number; mss: number | null; wscale: number | null; sackPerm: boolean; tsVal: number | null; tsEcr: number | null; sackBlocks: number },
    );
    assert.strictEqual(rows.length, segs.length);
    let syns = 0;
    for (const t of rows) {
      const s = byFrame.get(t.frame)!;
      const where = `frame ${t.frame}`;
      assert.strictEqual((s.opts & OPT_MSS) !== 0, t.mss !== null, `${where}: MSS present`);
      if (t.mss !== null) assert.strictEqual(s.mss, t.mss, where);
      assert.strictEqual((s.opts & OPT_WSCALE) !== 0, t.wscale !== null, `${where}: wscale present`);
      if (t.wscale !== null) assert.strictEqual(s.wscale, t.wscale, where);
      assert.strictEqual((s.opts & OPT_SACK_PERM) !== 0, t.sackPerm, `${where}: SACK permitted`);
      assert.strictEqual((s.opts & OPT_TIMESTAMP) !== 0, t.tsVal !== null, `${where}: timestamps present`);
      if (t.tsVal !== null) assert.deepStrictEqual([s.tsVal, s.tsEcr], [t.tsVal, t.tsEcr], where);
      assert.strictEqual(s.sackBlocks, t.sackBlocks, where);
      if (t.mss !== null) syns++;
    }
    assert.ok(syns >= 8, 'the SYNs and SYN-ACKs carry MSS');
  });

  it('real/lo-snap120.pcap: records cut at 120 bytes still give the full payload length (3000)', () => {
    const cut = decodeAll(read(path.join(FIXTURES, 'real/lo-snap120.pcap'))).segs;
    const whole = decodeAll(read(path.join(FIXTURES, 'real/lo.pcap'))).segs;
    assert.ok(cut.some((s) => s.len === 3000));
    // A capture of its own (by another tcpdump: times may differ by a microsecond), whose long
    // IPv6 headers leave some TCP options uncaptured: the header fields are the same.
    const fields = (s: Seg): unknown => [s.frame, s.src, s.sport, s.dst, s.dport, s.seq, s.ack, s.flags, s.len, s.win];
    assert.deepStrictEqual(cut.map(fields), whole.map(fields));
  });

  it('gen/multi.pcapng: three sections in both byte orders, seven interfaces, time resolutions, SPB, PB, other blocks', () => {
    const { segs, report } = decodeAll(read(path.join(FIXTURES, 'gen/multi.pcapng')));
    assert.strictEqual(report.sections, 3);
    assert.strictEqual(report.interfaces, 7);
    // Two unknown local blocks, a Name Resolution Block and an Interface Statistics Block.
    assert.strictEqual(report.unknownBlocks, 4);
    // The Custom Block is a frame to tshark (numbered with the packets), without a packet.
    assert.strictEqual(report.skipped['not-a-packet'], 1);
    // The Simple Packet Block has no time.
    assert.strictEqual(segs.filter((s) => s.time === '').length, 1);
    assert.ok(report.notes().some((n) => n.includes('4 pcapng blocks of other types')), report.notes().join('\n'));
  });

  it('gen/frag.pcap: later fragments are counted and skipped', () => {
    const { report } = decodeAll(read(path.join(FIXTURES, 'gen/frag.pcap')));
    assert.strictEqual(report.skipped['non-first-fragment'], expected().files['gen/frag.pcap'].frames - expected().files['real/lo.pcap'].frames);
  });
});

describe('decode: one kernel capture in pcap, pcapng and nanosecond pcap (test/fixtures/kernel)', () => {
  for (const name of ['01-client-active-close', '03-simultaneous-close', '13-ipv6-client-close']) {
    it(`${name}: the three files decode to identical segments`, () => {
      const [a, b, c] = [`${name}.pcap`, `${name}.pcapng`, `${name}-nsec.pcap`].map((f) => decodeAll(read(path.join(KERNEL, f))));
      assert.ok(a.segs.length >= 5, 'the capture has segments');
      const noOffset = (s: { byteOffset: number }): unknown => ({ ...s, byteOffset: 0 });
      assert.deepStrictEqual(b.segs.map(noOffset), a.segs.map(noOffset));
      assert.deepStrictEqual(c.segs.map(noOffset), a.segs.map(noOffset));
      assert.deepStrictEqual([a.report.format, b.report.format, c.report.format], ['pcap', 'pcapng', 'pcap']);
      for (const { report } of [a, b, c]) {
        assert.strictEqual(report.stoppedAt, null);
        assert.deepStrictEqual(report.warnings, []);
        assert.strictEqual(report.tcpSegments, a.segs.length);
      }
    });
  }
});
