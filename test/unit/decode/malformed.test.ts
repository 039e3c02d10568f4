/**
 * Hand-built damaged captures. Every byte is spelled out with what it means, so a failure points
 * at the field. Whatever the damage, the decoder never throws: it stops with a positioned
 * sentence, warns, or skips the packet, and keeps what it decoded before.
 */
import * as assert from 'assert';
import { CaptureDecoder } from '../../../src/core/decode';
import { OPT_MSS, OPT_TIMESTAMP } from '../../../src/core/model/segment';
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
  while (body.length % 4 !== 0) body.push(0);
  const len = 12 + body.length;
  return [...le32(type), ...le32(len), ...body, ...le32(trailer ?? len)];
}
/** Section Header Block: byte-order magic, version 1.0, section length -1 (28 bytes). */
const shb = (): number[] => block(0x0a0d0d0a, [...le32(0x1a2b3c4d), ...le16(1), ...le16(0), ...le32(0xffffffff), ...le32(0xffffffff)]);
/** Interface Description Block: link type, reserved, snaplen. */
const idb = (linkType = 1): number[] => block(1, [...le16(linkType), ...le16(0), ...le32(0)]);
/** Enhanced Packet Block: interface, timestamp high/low, caplen, origlen, data. */
const epb = (data: number[], trailer?: number): number[] =>
  block(6, [...le32(0), ...le32(0), ...le32(1_000_000), ...le32(data.length), ...le32(data.length), ...data], trailer);

function decode(b: Uint8Array): { segs: Seg[]; report: ReturnType<typeof decodeAll>['report'] } {
  return decodeAll(b);
}

describe('decode: malformed input', () => {
  it('an empty file is unreadable and says so', () => {
    const { segs, report } = decode(new Uint8Array(0));
    assert.deepStrictEqual(segs, []);
    assert.strictEqual(report.unreadable, true);
    assert.deepStrictEqual(report.stoppedAt, { byteOffset: 0, frame: 0, message: 'stopped at byte 0: the file is empty' });
  });

  it('garbage magic: unreadable, the message names the magic', () => {
    const { report } = decode(new TextEncoder().encode('GARBAGE! this is not a capture at all, no no no'));
    assert.strictEqual(report.unreadable, true);
    assert.strictEqual(report.format, 'unknown');
    assert.strictEqual(report.packets, 0);
    assert.ok(report.stoppedAt!.message.includes('0x47415242'), report.stoppedAt!.message); // "GARB"
    assert.strictEqual(report.stoppedAt!.byteOffset, 0);
  });

  it('a truncated global header (10 of 24 bytes) is too short to be a capture', () => {
    const { report } = decode(bytes(pcapHeader().slice(0, 10)));
    assert.strictEqual(report.unreadable, true);
    assert.ok(/too short.*10 bytes/.test(report.stoppedAt!.message), report.stoppedAt!.message);
  });

  it('a truncated record: segments before it are kept; stoppedAt says truncated, with offset and frame', () => {
    const r1 = pcapRecord(pkt(10, { seq: 1 }));
    const r2 = pcapRecord(pkt(10, { seq: 2 }));
    const r3 = pcapRecord(pkt(10, { seq: 3 }));
    const at = 24 + r1.length + r2.length;
    for (const cut of [1, 15, 16, 30, r3.length - 1]) {
      const { segs, report } = decode(bytes(pcapHeader(), r1, r2, r3.slice(0, cut)));
      assert.deepStrictEqual(segs.map((s) => s.seq), [1, 2], `cut ${cut}`);
      assert.strictEqual(report.stoppedAt!.byteOffset, at);
      assert.strictEqual(report.stoppedAt!.frame, 2);
      assert.strictEqual(report.stoppedAt!.message, `truncated at byte ${at} (after frame 2): the file ends inside a packet record: ${cut} bytes of it remain`);
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
    assert.ok(r.stoppedAt.message.includes('claims 4294967292 bytes') && r.stoppedAt.message.includes('larger than any real block'), r.stoppedAt.message);
    d.push(new Uint8Array(1 << 20)); // ignored after the stop
    d.finish();
    assert.strictEqual(segs.length, 1);
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 << 20, 'no huge buffer');
    // The same as the very first block (a section header).
    const first = decode(bytes(le32(0x0a0d0d0a), le32(0xfffffffc), le32(0x1a2b3c4d))).report;
    assert.ok(first.stoppedAt!.message.includes('larger than any real block'), first.stoppedAt!.message);
    assert.strictEqual(first.stoppedAt!.byteOffset, 0);
  });

  it('pcapng: leading and trailing block lengths differ', () => {
    const ok = [...shb(), ...idb(), ...epb(pkt(5))];
    const bad = epb(pkt(6), 0x1234); // trailing length field 0x1234
    const { segs, report } = decode(bytes(ok, bad, epb(pkt(7))));
    assert.strictEqual(segs.length, 1);
    assert.strictEqual(report.stoppedAt!.byteOffset, ok.length);
    assert.ok(report.stoppedAt!.message.includes(`leading length ${bad.length} but a trailing length ${0x1234}`), report.stoppedAt!.message);
  });

  it('caplen > snaplen: a warning, and the packet is still decoded', () => {
    const p = pkt(20);
    const { segs, report } = decode(bytes(pcapHeader(60), pcapRecord(p)));
    assert.strictEqual(segs.length, 1);
    assert.strictEqual(segs[0].len, 20);
    assert.strictEqual(report.stoppedAt, null);
    assert.strictEqual(report.warnings.length, 1);
    assert.ok(report.warnings[0].message.includes(`${p.length} captured bytes, more than the snapshot length 60`), report.warnings[0].message);
    assert.deepStrictEqual([report.warnings[0].byteOffset, report.warnings[0].frame], [24, 1]);
  });

  it('pcap caplen > 1 MiB stops at the record header', () => {
    const r1 = pcapRecord(pkt(1));
    const huge = [...le32(0), ...le32(0), ...le32(2 << 20), ...le32(2 << 20)]; // caplen = origlen = 2 MiB
    const d = new CaptureDecoder(() => undefined);
    d.push(bytes(pcapHeader(262144), r1, huge));
    const r = d.report;
    assert.ok(r.stoppedAt !== null, 'stopped without waiting for 2 MiB');
    assert.strictEqual(r.stoppedAt.byteOffset, 24 + r1.length);
    assert.strictEqual(r.stoppedAt.frame, 1);
    assert.ok(r.stoppedAt.message.includes('claims 2097152 captured bytes'), r.stoppedAt.message);
    assert.strictEqual(d.finish().tcpSegments, 1);
  });

  // An implausible snaplen of 0xFFFFFFFF in the global header must not raise the record limit
  // (tshark rejects anything over 262144 for Ethernet).
  it('pcap caplen > 1 MiB stops even when the header claims snaplen 0xFFFFFFFF', () => {
    const huge = [...le32(0), ...le32(0), ...le32(2 << 20), ...le32(2 << 20)];
    const d = new CaptureDecoder(() => undefined);
    d.push(bytes(pcapHeader(0xffffffff), huge));
    assert.ok(d.report.stoppedAt !== null);
    assert.ok(d.report.stoppedAt.message.includes('claims 2097152 captured bytes'));
  });

  it('IPv4 IHL 3 is skipped as bad-ip-header', () => {
    const { segs, report } = decode(bytes(pcapHeader(), pcapRecord(eth(ipv4(tcp(), { ihl: 3 })))));
    assert.strictEqual(segs.length, 0);
    assert.deepStrictEqual(report.skipped, { 'bad-ip-header': 1 });
    assert.strictEqual(report.packets, 1);
    assert.ok(report.notes().some((n) => n.includes('1 malformed IP header')));
  });

  it('TCP data offset 4 is skipped as bad-tcp-header', () => {
    const { segs, report } = decode(bytes(pcapHeader(), pcapRecord(eth(ipv4(tcp([], { doff: 4 }))))));
    assert.strictEqual(segs.length, 0);
    assert.deepStrictEqual(report.skipped, { 'bad-tcp-header': 1 });
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
    assert.strictEqual(segs[0].opts & OPT_TIMESTAMP, 0);
    // 20 + 10 (option bytes) + 30 payload after the IP header; the header is 28, so len is 32.
    assert.strictEqual(segs[0].len, 32);
  });

  it('unknown link type: a warning and a skipped count', () => {
    const { segs, report } = decode(bytes(pcapHeader(65535, 147), pcapRecord(pkt()), pcapRecord(pkt())));
    assert.strictEqual(segs.length, 0);
    assert.deepStrictEqual(report.skipped, { 'unknown-link-type': 2 });
    assert.strictEqual(report.packets, 2);
    assert.ok(report.warnings.some((w) => w.message.includes('unknown link type 147')), JSON.stringify(report.warnings));
    assert.strictEqual(report.stoppedAt, null);
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

  it('a non-first IPv4 fragment is skipped; a first fragment (MF set, offset 0) is decoded', () => {
    const later = eth(ipv4(tcp(), { fragWord: 0x2000 | 185 })); // MF, offset 185 * 8
    const first = eth(ipv4(tcp([1, 2, 3]), { fragWord: 0x2000 })); // MF, offset 0
    const { segs, report } = decode(bytes(pcapHeader(), pcapRecord(later), pcapRecord(first)));
    assert.deepStrictEqual(report.skipped, { 'non-first-fragment': 1 });
    assert.deepStrictEqual(segs.map((s) => [s.frame, s.len]), [[2, 3]]);
  });
});
