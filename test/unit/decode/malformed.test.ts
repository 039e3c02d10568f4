/**
 * Hand-built damaged captures. Every byte is spelled out with what it means, so a failure points
 * at the field. Whatever the damage, the decoder never throws: it stops with a positioned
 * sentence, warns, or skips the packet, and keeps what it decoded before.
 */
import * as assert from 'assert';
import { CaptureDecoder, decodeBytes } from '../../../src/core/decode';
import { OPT_MSS, OPT_SACK, OPT_SACK_PERM, OPT_TIMESTAMP, OPT_WSCALE } from '../../../src/core/model/segment';
import { copy, decodeAll, type Seg } from './util';

// ---- byte builders (little-endian unless named otherwise) ----
const le16 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff];
const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const be16 = (n: number): number[] => [(n >>> 8) & 0xff, n & 0xff];
const be32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const bytes = (...parts: number[][]): Uint8Array => new Uint8Array(parts.flat());

/** pcap global header: magic, version 2.4, thiszone, sigfigs, snaplen, link type (24 bytes). */
function pcapHeader(snaplen = 65535, linkType = 1): number[] {
  return [
    ...le32(0xa1b2c3d4), // magic: microsecond pcap, written little-endian
    ...le16(2), // version major
    ...le16(4), // version minor
    ...le32(0), // thiszone
    ...le32(0), // sigfigs
    ...le32(snaplen), // snaplen
    ...le32(linkType), // network (link type)
  ];
}

/** pcap record: seconds, microseconds, caplen, origlen (16 bytes), then the captured bytes. */
function pcapRecord(data: number[], origlen = data.length, sec = 1_700_000_000, usec = 0): number[] {
  return [...le32(sec), ...le32(usec), ...le32(data.length), ...le32(origlen), ...data];
}

/** Ethernet II: destination MAC, source MAC, EtherType (14 bytes). */
function eth(payload: number[], ethertype = 0x0800): number[] {
  return [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, ...be16(ethertype), ...payload];
}

interface Ip4 {
  ihl?: number;
  total?: number;
  fragWord?: number;
  proto?: number;
}
/** IPv4 header: version/IHL, TOS, total length, id, flags/fragment offset, TTL, protocol, checksum, src, dst. */
function ipv4(payload: number[], o: Ip4 = {}): number[] {
  const ihl = o.ihl ?? 5;
  const hdrLen = Math.max(ihl, 5) * 4;
  const h = [
    0x40 | ihl, // version 4, IHL (32-bit words)
    0, // TOS
    ...be16(o.total ?? hdrLen + payload.length), // total length
    ...be16(0x1234), // identification
    ...be16(o.fragWord ?? 0x4000), // flags (DF) and fragment offset
    64, // TTL
    o.proto ?? 6, // protocol: TCP
    0, 0, // header checksum (not checked)
    10, 0, 0, 1, // source 10.0.0.1
    10, 0, 0, 2, // destination 10.0.0.2
  ];
  while (h.length < hdrLen) h.push(1); // IP options: NOP
  return [...h, ...payload];
}

/** IPv6 header: version 6, traffic class/flow label, payload length, next header, hop limit, src fd00::1, dst fd00::2. */
function ipv6(next: number, payload: number[], payloadLen = payload.length): number[] {
  const addr = (last: number): number[] => [0xfd, 0, ...new Array<number>(13).fill(0), last];
  return [0x60, 0, 0, 0, ...be16(payloadLen), next, 64, ...addr(1), ...addr(2), ...payload];
}

interface Tcp {
  doff?: number;
  flags?: number;
  options?: number[];
  seq?: number;
}
/** TCP header: ports, seq, ack, data offset, flags, window, checksum, urgent pointer, options. */
function tcp(payload: number[] = [], o: Tcp = {}): number[] {
  const opts = o.options ?? [];
  const doff = o.doff ?? 5 + Math.ceil(opts.length / 4);
  return [
    ...be16(40000), // source port
    ...be16(8080), // destination port
    ...be32(o.seq ?? 1000), // sequence number
    ...be32(2000), // acknowledgment number
    doff << 4, // data offset (32-bit words), reserved
    o.flags ?? 0x18, // flags: PSH, ACK
    ...be16(512), // window
    0, 0, // checksum (not checked)
    0, 0, // urgent pointer
    ...opts,
    ...payload,
  ];
}

const pkt = (payloadLen = 10, t: Tcp = {}): number[] => eth(ipv4(tcp(new Array<number>(payloadLen).fill(0x61), t)));

// ---- pcapng ----
function block(type: number, body: number[], trailer?: number): number[] {
  body = [...body];
  while (body.length % 4 !== 0) body.push(0);
  const len = 12 + body.length;
  return [...le32(type), ...le32(len), ...body, ...le32(trailer ?? len)];
}
/** Section Header Block: byte-order magic, version 1.0, section length -1 (28 bytes). */
const shb = (major = 1): number[] => block(0x0a0d0d0a, [...le32(0x1a2b3c4d), ...le16(major), ...le16(0), ...le32(0xffffffff), ...le32(0xffffffff)]);
/** Interface Description Block: link type, reserved, snaplen. */
const idb = (linkType = 1): number[] => block(1, [...le16(linkType), ...le16(0), ...le32(0)]);
/** Enhanced Packet Block: interface, timestamp high/low, caplen, origlen, data. */
const epb = (data: number[], trailer?: number, ifId = 0): number[] =>
  block(6, [...le32(ifId), ...le32(0), ...le32(1_000_000), ...le32(data.length), ...le32(data.length), ...data], trailer);

const decode = decodeAll;

describe('decode: malformed input, byte by byte', () => {
  it('an empty file is unreadable and says so', () => {
    const { segs, report } = decode(new Uint8Array(0));
    assert.deepStrictEqual(segs, []);
    assert.strictEqual(report.unreadable, true);
    assert.deepStrictEqual(report.stoppedAt, { byteOffset: 0, frame: 0, message: 'stopped at byte 0: the file is empty' });
  });

  it('garbage magic: unreadable, the message names the magic (and what the bytes look like)', () => {
    const { report } = decode(new TextEncoder().encode('GARBAGE! this is not a capture at all, no no no'));
    assert.strictEqual(report.unreadable, true);
    assert.strictEqual(report.format, 'unknown');
    assert.strictEqual(report.packets, 0);
    assert.strictEqual(report.stoppedAt!.message, 'stopped at byte 0: not a pcap or pcapng file (magic 0x47415242): it starts with text ("GARB")');
    const gz = decode(bytes([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0])).report;
    assert.ok(gz.stoppedAt!.message.includes('gzip-compressed; decompress it first'), gz.stoppedAt!.message);
    assert.strictEqual(decode(bytes([0, 1, 2, 3, 4])).report.stoppedAt!.message, 'stopped at byte 0: not a pcap or pcapng file (magic 0x00010203)');
  });

  it('a truncated global header (10 of 24 bytes) is unreadable', () => {
    const { report } = decode(bytes(pcapHeader().slice(0, 10)));
    assert.strictEqual(report.unreadable, true);
    assert.strictEqual(report.format, 'pcap');
    assert.strictEqual(report.stoppedAt!.message, 'stopped at byte 0: the file is too short to be a pcap file: its header needs 24 bytes, there are 10');
    assert.strictEqual(decode(bytes([0xd4, 0xc3])).report.stoppedAt!.message, 'stopped at byte 0: the file is too short to be a capture (2 bytes)');
  });

  it('a header alone is a readable capture with no packets', () => {
    const { report } = decode(bytes(pcapHeader()));
    assert.strictEqual(report.unreadable, false);
    assert.strictEqual(report.stoppedAt, null);
    assert.strictEqual(report.packets, 0);
  });

  it('a truncated record: segments before it are kept; stoppedAt says truncated, with offset and frame', () => {
    const r1 = pcapRecord(pkt(10, { seq: 1 }));
    const r2 = pcapRecord(pkt(10, { seq: 2 }));
    const r3 = pcapRecord(pkt(10, { seq: 3 }));
    const at = 24 + r1.length + r2.length;
    for (const cut of [1, 15, 16, 30, r3.length - 1]) {
      const { segs, report } = decode(bytes(pcapHeader(), r1, r2, r3.slice(0, cut)));
      assert.deepStrictEqual(
        segs.map((s) => s.seq),
        [1, 2],
        `cut ${cut}`,
      );
      assert.strictEqual(report.stoppedAt!.byteOffset, at);
      assert.strictEqual(report.stoppedAt!.frame, 2);
      const inside = cut < 16 ? `the header of packet record 3: ${cut} of its 16 bytes are there` : `packet record 3: it claims ${r3.length - 16} captured bytes, ${cut - 16} are there`;
      assert.strictEqual(report.stoppedAt!.message, `truncated at byte ${at} (after frame 2): the file ends inside ${inside}`);
      assert.strictEqual(report.unreadable, false);
      assert.strictEqual(report.packets, 2);
    }
    // Cut exactly between records: nothing is wrong.
    assert.strictEqual(decode(bytes(pcapHeader(), r1, r2)).report.stoppedAt, null);
  });

  it('a pcapng block claiming 0xFFFFFFFC bytes stops at once, without allocating it', () => {
    const before = process.memoryUsage().arrayBuffers;
    const segs: Seg[] = [];
    const d = new CaptureDecoder((v) => segs.push(copy(v)));
    const good = [...shb(), ...idb(), ...epb(pkt(5))];
    d.push(
      bytes(
        good,
        le32(6), // block type: EPB
        le32(0xfffffffc), // block total length: 4 GiB - 4
        le32(0), // (first body word)
      ),
    );
    // Stopped on the push itself, before any more input arrives.
    const r = d.report;
    assert.ok(r.stoppedAt !== null);
    assert.strictEqual(r.stoppedAt.byteOffset, good.length);
    assert.strictEqual(r.stoppedAt.frame, 1);
    assert.strictEqual(r.stoppedAt.message, `stopped at byte ${good.length} (after frame 1): an Enhanced Packet Block claims 4294967292 bytes, more than the 16777216 bytes this reader accepts for a block`);
    d.push(new Uint8Array(1 << 20)); // ignored after the stop
    d.finish();
    assert.strictEqual(segs.length, 1);
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 << 20, 'no huge buffer');
    // When the input's length is known (a file), the sentence says how much really remains.
    const whole = decode(bytes(good, le32(6), le32(0xfffffffc), new Array<number>(200).fill(0)));
    assert.strictEqual(whole.report.stoppedAt!.message, `stopped at byte ${good.length} (after frame 1): an Enhanced Packet Block claims 4294967292 bytes but only 208 remain`);
    assert.strictEqual(whole.segs.length, 1);
    // The same as the very first block (a section header): nothing can be read.
    const first = decode(bytes(le32(0x0a0d0d0a), le32(0xfffffffc), le32(0x1a2b3c4d))).report;
    assert.strictEqual(first.stoppedAt!.message, 'stopped at byte 0: a Section Header Block claims 4294967292 bytes but only 12 remain');
    assert.strictEqual(first.unreadable, true);
  });

  it('a pcapng block shorter than its promise, within bounds: the file is truncated there', () => {
    const ok = [...shb(), ...idb(), ...epb(pkt(5))];
    const next = epb(pkt(6));
    const d = new CaptureDecoder(() => undefined);
    d.push(bytes(ok, next.slice(0, 40)));
    const r = d.finish();
    assert.strictEqual(r.stoppedAt!.message, `truncated at byte ${ok.length} (after frame 1): the file ends inside an Enhanced Packet Block: it claims ${next.length} bytes, 40 are there`);
  });

  it('pcapng block lengths that are not a multiple of 4, or below 12', () => {
    const ok = [...shb(), ...idb()];
    const odd = decode(bytes(ok, le32(6), le32(33), new Array<number>(40).fill(0))).report;
    assert.ok(odd.stoppedAt!.message.endsWith('an Enhanced Packet Block claims 33 bytes, which is not a multiple of 4'), odd.stoppedAt!.message);
    const tiny = decode(bytes(ok, le32(6), le32(8), new Array<number>(40).fill(0))).report;
    assert.ok(tiny.stoppedAt!.message.endsWith("an Enhanced Packet Block claims 8 bytes, fewer than the 12 bytes of a block's type and lengths"), tiny.stoppedAt!.message);
    assert.strictEqual(tiny.unreadable, false);
  });

  it('pcapng: leading and trailing block lengths differ', () => {
    const ok = [...shb(), ...idb(), ...epb(pkt(5))];
    const bad = epb(pkt(6), 0x1234); // trailing length field 0x1234
    const { segs, report } = decode(bytes(ok, bad, epb(pkt(7))));
    assert.strictEqual(segs.length, 1);
    assert.strictEqual(report.stoppedAt!.byteOffset, ok.length);
    assert.ok(report.stoppedAt!.message.endsWith(`an Enhanced Packet Block says it is ${bad.length} bytes long at its start but ${0x1234} at its end`), report.stoppedAt!.message);
  });

  it('pcapng: an EPB whose captured length exceeds its block stops there', () => {
    const ok = [...shb(), ...idb()];
    const data = pkt(5);
    // interface 0, time, caplen claims 1000 bytes, origlen, then only the real data.
    const lying = block(6, [...le32(0), ...le32(0), ...le32(0), ...le32(1000), ...le32(1000), ...data]);
    const { report } = decode(bytes(ok, lying));
    assert.ok(report.stoppedAt!.message.endsWith(`an Enhanced Packet Block claims 1000 captured bytes but holds only ${lying.length - 32}`), report.stoppedAt!.message);
    assert.strictEqual(report.packets, 0);
  });

  it('pcapng: a packet on an undescribed interface is counted, warned about and skipped', () => {
    const { segs, report } = decode(bytes(shb(), idb(), epb(pkt(5), undefined, 3), epb(pkt(5))));
    assert.strictEqual(segs.length, 1);
    assert.strictEqual(segs[0].frame, 2);
    assert.deepStrictEqual(report.skipped, { 'unknown-interface': 1 });
    assert.strictEqual(report.warnings[0].message, 'frame 1 names interface 3, which its section never described');
  });

  it('pcapng: interfaces belong to their section (a new section forgets them)', () => {
    const { segs, report } = decode(bytes(shb(), idb(), epb(pkt(5)), shb(), epb(pkt(5))));
    assert.strictEqual(segs.length, 1);
    assert.deepStrictEqual(report.skipped, { 'unknown-interface': 1 });
    assert.strictEqual(report.sections, 2);
  });

  it('pcapng: a bad byte-order magic, a version 2 section, a simple packet block with no interface', () => {
    const badBom = decode(bytes(block(0x0a0d0d0a, [...le32(0x11223344), ...le16(1), ...le16(0), ...le32(0), ...le32(0)]))).report;
    assert.strictEqual(badBom.stoppedAt!.message, 'stopped at byte 0: a Section Header Block has an invalid byte-order magic (0x11223344)');
    assert.strictEqual(badBom.unreadable, true);
    const v2 = decode(bytes(shb(2))).report;
    assert.strictEqual(v2.stoppedAt!.message, 'stopped at byte 0: pcapng version 2.0 is not supported (1.0 is)');
    const spb = decode(bytes(shb(), block(3, [...le32(10), ...new Array<number>(10).fill(0)]))).report;
    assert.deepStrictEqual(spb.skipped, { 'unknown-interface': 1 });
  });

  it('caplen > snaplen: a warning, and the packet is still decoded (as tshark does)', () => {
    const p = pkt(20);
    const { segs, report } = decode(bytes(pcapHeader(60), pcapRecord(p)));
    assert.strictEqual(segs.length, 1);
    assert.strictEqual(segs[0].len, 20);
    assert.strictEqual(report.stoppedAt, null);
    assert.strictEqual(report.warnings.length, 1);
    assert.strictEqual(report.warnings[0].message, `frame 1 has ${p.length} captured bytes, more than the snapshot length 60`);
    assert.deepStrictEqual([report.warnings[0].byteOffset, report.warnings[0].frame], [24, 1]);
  });

  it('caplen > original length: a warning, and the packet is still decoded', () => {
    const p = pkt(20);
    const { segs, report } = decode(bytes(pcapHeader(), pcapRecord(p, 30)));
    assert.strictEqual(segs.length, 1);
    assert.strictEqual(report.warnings[0].message, `frame 1 has more captured bytes (${p.length}) than its original length (30)`);
  });

  it('warnings are capped at 100 but all counted', () => {
    const recs: number[][] = [];
    for (let i = 0; i < 150; i++) recs.push(pcapRecord(pkt(1), 10)); // caplen > origlen each time
    const { report } = decode(bytes(pcapHeader(), ...recs));
    assert.strictEqual(report.warnings.length, 100);
    assert.strictEqual(report.warningCount, 150);
    assert.ok(report.notes().includes('... and 50 more warnings'));
  });

  it('pcap caplen > 1 MiB stops at the record header, at once', () => {
    const recs = [pcapRecord(pkt(1)), pcapRecord(pkt(2)), pcapRecord(pkt(3))];
    const at = 24 + recs.flat().length;
    const huge = [...le32(0), ...le32(0), ...le32(2 << 20), ...le32(2 << 20)]; // caplen = origlen = 2 MiB
    const d = new CaptureDecoder(() => undefined);
    d.push(bytes(pcapHeader(262144), ...recs, huge));
    const r = d.report;
    assert.ok(r.stoppedAt !== null, 'stopped without waiting for 2 MiB');
    assert.strictEqual(r.stoppedAt.byteOffset, at);
    assert.strictEqual(r.stoppedAt.frame, 3);
    assert.strictEqual(r.stoppedAt.message, `stopped at byte ${at} (after frame 3): packet record 4 claims 2097152 captured bytes, more than any packet a capture holds (1048576)`);
    assert.strictEqual(d.finish().tcpSegments, 3);
  });

  // The first three records choose the record-header variant (as in tshark): a huge one among
  // them is judged when the input ends, and is never buffered.
  it('pcap caplen > 1 MiB in the first records (even with snaplen 0xFFFFFFFF) stops without buffering it', () => {
    const huge = [...le32(0), ...le32(0), ...le32(2 << 20), ...le32(2 << 20)];
    for (const snaplen of [65535, 0xffffffff]) {
      const d = new CaptureDecoder(() => undefined);
      d.push(bytes(pcapHeader(snaplen), pcapRecord(pkt(1)), huge));
      for (let i = 0; i < 8; i++) d.push(new Uint8Array(1 << 20).fill(7)); // 8 MiB more: not kept
      assert.ok(((d as unknown as { pend: Uint8Array }).pend.length) < 1 << 20, 'nothing like 2 MiB is buffered');
      const r = d.finish();
      assert.ok(r.stoppedAt!.message.includes('packet record 2 claims 2097152 captured bytes'), r.stoppedAt!.message);
      assert.strictEqual(r.tcpSegments, 1);
    }
  });

  it('pcap: a link-type field with reserved bits set is unreadable; version 1 is unsupported', () => {
    const reserved = decode(bytes(pcapHeader(65535, 0x00300001))).report;
    assert.strictEqual(reserved.unreadable, true);
    assert.strictEqual(reserved.stoppedAt!.message, 'stopped at byte 20: the link-type field 0x00300001 has reserved bits set: not a pcap file this reader understands');
    const head = pcapHeader();
    head[4] = 1; // version major 1
    assert.strictEqual(decode(bytes(head)).report.stoppedAt!.message, 'stopped at byte 0: pcap version 1.4 is not supported (2.0 and later are)');
    // The FCS-length bits (28-31 and 26) are not reserved.
    assert.strictEqual(decode(bytes(pcapHeader(65535, 0x14000001), pcapRecord(pkt(1)))).report.tcpSegments, 1);
  });

  it('pcap version 2.2: captured and original lengths are the other way round', () => {
    const head = pcapHeader();
    head[6] = 2; // version minor 2
    const p = pkt(4);
    // seconds, microseconds, ORIGINAL length (100), CAPTURED length: as pre-2.3 libpcap wrote them.
    const rec = [...le32(1), ...le32(2), ...le32(100), ...le32(p.length), ...p];
    const { segs, report } = decode(bytes(head, rec));
    assert.strictEqual(report.stoppedAt, null);
    assert.strictEqual(segs.length, 1);
    assert.deepStrictEqual(report.warnings, []);
  });

  it('IPv4 IHL 3 is skipped as bad-ip-header', () => {
    const { segs, report } = decode(bytes(pcapHeader(), pcapRecord(eth(ipv4(tcp(), { ihl: 3 })))));
    assert.strictEqual(segs.length, 0);
    assert.deepStrictEqual(report.skipped, { 'bad-ip-header': 1 });
    assert.strictEqual(report.packets, 1);
    assert.ok(report.notes().includes('skipped 1 of 1 packet without a TCP segment: 1 with a malformed IP header'), report.notes().join('\n'));
  });

  it('IPv4 total length shorter than its header; IHL past the captured bytes', () => {
    assert.deepStrictEqual(decode(bytes(pcapHeader(), pcapRecord(eth(ipv4(tcp(), { total: 12 }))))).report.skipped, { 'bad-ip-header': 1 });
    const ip = ipv4(tcp(), { ihl: 15 }).slice(0, 40); // IHL says 60 bytes; 40 captured
    assert.deepStrictEqual(decode(bytes(pcapHeader(), pcapRecord(eth(ip)))).report.skipped, { 'truncated-ip-header': 1 });
  });

  it('IPv4 options (IHL 7) are skipped over; the payload length still comes from the total length', () => {
    const { segs } = decode(bytes(pcapHeader(), pcapRecord(eth(ipv4(tcp([1, 2, 3]), { ihl: 7 })))));
    assert.deepStrictEqual(
      segs.map((s) => [s.sport, s.len]),
      [[40000, 3]],
    );
  });

  it('TCP data offset 4 is skipped as bad-tcp-header; 19 bytes of TCP header as truncated', () => {
    const { segs, report } = decode(bytes(pcapHeader(), pcapRecord(eth(ipv4(tcp([], { doff: 4 }))))));
    assert.strictEqual(segs.length, 0);
    assert.deepStrictEqual(report.skipped, { 'bad-tcp-header': 1 });
    const short = eth(ipv4(tcp())).slice(0, 14 + 20 + 19);
    assert.deepStrictEqual(decode(bytes(pcapHeader(), pcapRecord(short, 54))).report.skipped, { 'truncated-tcp-header': 1 });
  });

  it('TCP options running past the header: the segment is kept, option parsing stops there', () => {
    const options = [
      2, 4, ...be16(1460), // MSS 1460 (fits)
      8, 10, ...be32(7), // timestamp: kind, length 10, TSval... but the header ends after 2 more bytes
    ];
    // Data offset 7 = 28 bytes: 20 fixed + MSS (4) + the first 4 bytes of the timestamp option.
    const { segs, report } = decode(bytes(pcapHeader(), pcapRecord(eth(ipv4(tcp(new Array<number>(30).fill(0), { doff: 7, options }))))));
    assert.strictEqual(report.tcpSegments, 1);
    assert.strictEqual(segs[0].opts & OPT_MSS, OPT_MSS);
    assert.strictEqual(segs[0].mss, 1460);
    assert.strictEqual(segs[0].opts & OPT_TIMESTAMP, 0);
    // 20 + 10 (option bytes) + 30 payload after the IP header; the header is 28, so len is 32.
    assert.strictEqual(segs[0].len, 32);
  });

  it('TCP options: MSS, window scale, SACK permitted, SACK blocks, timestamps, odd lengths ignored', () => {
    const options = [
      2, 4, ...be16(1400), // MSS 1400
      1, // NOP
      3, 3, 7, // window scale 7
      4, 2, // SACK permitted
      5, 18, ...be32(1), ...be32(2), ...be32(3), ...be32(4), // SACK: two blocks
      8, 10, ...be32(0xfffffffe), ...be32(5), // timestamps
      2, 2, // an MSS with a bad length (2): ignored, skipped by its length (40 bytes of options)
    ];
    const { segs } = decode(bytes(pcapHeader(), pcapRecord(eth(ipv4(tcp([], { options }))))));
    const s = segs[0];
    assert.strictEqual(s.opts, OPT_MSS | OPT_WSCALE | OPT_SACK_PERM | OPT_SACK | OPT_TIMESTAMP);
    assert.deepStrictEqual([s.mss, s.wscale, s.sackBlocks, s.tsVal, s.tsEcr], [1400, 7, 2, 0xfffffffe, 5]);
    // A zero-length option would loop forever if believed: it ends the options instead.
    const loop = decode(bytes(pcapHeader(), pcapRecord(eth(ipv4(tcp([], { options: [9, 0, 0, 0] })))))).segs[0];
    assert.strictEqual(loop.opts, 0);
  });

  it('unknown link type: a warning and a skipped count', () => {
    const { segs, report } = decode(bytes(pcapHeader(65535, 147), pcapRecord(pkt()), pcapRecord(pkt())));
    assert.strictEqual(segs.length, 0);
    assert.deepStrictEqual(report.skipped, { 'unknown-link-type': 2 });
    assert.strictEqual(report.packets, 2);
    assert.strictEqual(report.warnings[0].message, "the capture's link type is link type 147, which this decoder does not read: its packets are skipped");
    assert.strictEqual(report.stoppedAt, null);
  });

  it('records shorter than their link-layer header; EtherTypes that are not IP', () => {
    const { report } = decode(bytes(pcapHeader(), pcapRecord([1, 2, 3]), pcapRecord(eth([0, 1, 2], 0x0806))));
    assert.deepStrictEqual(report.skipped, { 'truncated-link-header': 1, 'non-ip': 1 });
  });

  it('a record cut by the snaplen inside the payload yields its segment, len from the IP length', () => {
    const full = pkt(100);
    const cut = full.slice(0, 14 + 20 + 20 + 10); // 10 of 100 payload bytes captured
    const { segs, report } = decode(bytes(pcapHeader(64), pcapRecord(cut, full.length)));
    assert.strictEqual(report.stoppedAt, null);
    assert.strictEqual(segs.length, 1);
    assert.strictEqual(segs[0].len, 100);
    assert.deepStrictEqual(report.warnings, []);
  });

  it('an IP total length beyond the original packet is cut to it (as tshark)', () => {
    const p = eth(ipv4(tcp([1, 2, 3, 4]), { total: 1000 }));
    assert.strictEqual(decode(bytes(pcapHeader(), pcapRecord(p))).segs[0].len, 4);
  });

  it('a non-first IPv4 fragment is skipped; a first fragment (MF set, offset 0) is decoded', () => {
    const later = eth(ipv4(tcp(), { fragWord: 0x2000 | 185 })); // MF, offset 185 * 8
    const first = eth(ipv4(tcp([1, 2, 3]), { fragWord: 0x2000 })); // MF, offset 0
    const { segs, report } = decode(bytes(pcapHeader(), pcapRecord(later), pcapRecord(first)));
    assert.deepStrictEqual(report.skipped, { 'non-first-fragment': 1 });
    assert.deepStrictEqual(
      segs.map((s) => [s.frame, s.len]),
      [[2, 3]],
    );
  });

  it('IPv6: an extension header running past the capture, and one claiming more than is there', () => {
    // Hop-by-hop header (next header TCP, length 0 = 8 bytes), cut after 4 bytes.
    const cut = eth(ipv6(0, [6, 0, 1, 4]), 0x86dd);
    assert.deepStrictEqual(decode(bytes(pcapHeader(), pcapRecord(cut))).report.skipped, { 'truncated-ip-header': 1 });
    // Destination options claiming (255 + 1) * 8 bytes.
    const long = eth(ipv6(60, [6, 255, 1, 4, 0, 0, 0, 0, ...tcp()]), 0x86dd);
    assert.deepStrictEqual(decode(bytes(pcapHeader(), pcapRecord(long))).report.skipped, { 'truncated-ip-header': 1 });
    // A fragment header with offset 1: a later fragment.
    const frag = eth(ipv6(44, [6, 0, ...be16(1 << 3), ...be32(7), ...tcp()]), 0x86dd);
    assert.deepStrictEqual(decode(bytes(pcapHeader(), pcapRecord(frag))).report.skipped, { 'non-first-fragment': 1 });
  });

  it('tunnels nested deeper than the decoder follows are skipped, not recursed forever', () => {
    let inner = ipv4(tcp(), {});
    for (let i = 0; i < 20; i++) inner = ipv4(inner, { proto: 4 }); // IPv4 in IPv4, 20 deep
    assert.deepStrictEqual(decode(bytes(pcapHeader(), pcapRecord(eth(inner)))).report.skipped, { 'tunnel-too-deep': 1 });
    // Two levels are fine, and the innermost addresses win.
    const two = ipv4(ipv4(tcp(), {}), { proto: 4 });
    assert.strictEqual(decode(bytes(pcapHeader(), pcapRecord(eth(two)))).report.tcpSegments, 1);
  });

  it('IPComp whose payload does not inflate is skipped as compressed', () => {
    // IPComp header: next header 4 (IPv4), flags, CPI 2 (DEFLATE); then bytes that are no DEFLATE stream.
    const p = eth(ipv4([4, 0, 0, 2, 0xff, 0xff, 0xff, 0xff], { proto: 108 }));
    assert.deepStrictEqual(decode(bytes(pcapHeader(), pcapRecord(p))).report.skipped, { compressed: 1 });
  });

  it('pcapng EPB and SPB without a TCP header; SPB caplen is bounded by its block', () => {
    // SPB: original length claims 5000, the block holds 60 bytes of packet.
    const data = pkt(6);
    const { segs, report } = decode(bytes(shb(), idb(), block(3, [...le32(5000), ...data])));
    assert.strictEqual(segs.length, 1);
    assert.strictEqual(segs[0].time, '');
    assert.strictEqual(report.stoppedAt, null);
  });

  it('maxPackets stops after that many records', () => {
    const recs = [pcapRecord(pkt(1)), pcapRecord(pkt(2)), pcapRecord(pkt(3))];
    const r = decodeBytes(bytes(pcapHeader(), ...recs), () => undefined, { maxPackets: 2 });
    assert.strictEqual(r.packets, 2);
    assert.strictEqual(r.stoppedAt, null);
  });
});
