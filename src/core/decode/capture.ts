/**
 * Streaming pcap / pcapng decoding. Push bytes in chunks of any size; every TCP segment is handed to
 * the callback in ONE reused SegmentView. Only the bytes of an incomplete record are kept between
 * chunks, so memory stays flat in file size. Nothing here throws at the caller: damage stops the
 * decoder with a positioned sentence, and what was decoded before it stays decoded.
 */
import { SegmentView } from '../model/segment';
import { decodePacket, isKnownLinkType, type SkipReason } from './packet';
import { DecodeReport } from './report';

const PCAP_US = 0xa1b2c3d4;
const PCAP_NS = 0xa1b23c4d;
const PCAP_MODIFIED = 0xa1b2cd34;
const PCAPNG_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Wireshark's largest accepted packet (WTAP_MAX_PACKET_SIZE_STANDARD). */
const MAX_PACKET = 262144;
/** A pcap record longer than this is damage, whatever snapshot length the header claims. */
const MAX_PCAP_RECORD = 1 << 20;
/** The largest block we are willing to buffer; a longer length field is damage, never an allocation. */
const MAX_BLOCK = 16 * 1024 * 1024;

interface Interface {
  linkType: number;
  snaplen: number;
  /** Ticks per second: 10^n or 2^n. */
  resolDecimal: boolean;
  resolExp: number;
  /** if_tsoffset, seconds. */
  offset: number;
}

type State = 'magic' | 'pcap' | 'pcapng' | 'stopped';

export interface DecoderOptions {
  /** Stop after this many packet records (for previews). */
  maxPackets?: number;
}

export class CaptureDecoder {
  readonly report = new DecodeReport();
  private readonly view = new SegmentView();
  private state: State = 'magic';
  /** Leftover bytes of an incomplete record (owned copy) and how many are in use. */
  private pend = new Uint8Array(0);
  private pendLen = 0;
  /** Absolute file offset of pend[0] (or of the next byte to parse). */
  private base = 0;
  // pcap
  private le = true;
  private nsec = false;
  private modified = false;
  private pcapLink = 0;
  private pcapSnap = 0;
  // pcapng
  private interfaces: Interface[] = [];
  private sectionSeen = false;

  constructor(
    private readonly onSegment: (v: SegmentView) => void,
    private readonly options: DecoderOptions = {},
  ) {}

  /** Decodes as much of `chunk` as forms complete records; keeps a copy of the rest. */
  push(chunk: Uint8Array): void {
    if (this.state === 'stopped' || chunk.length === 0) return;
    let buf: Uint8Array;
    let len: number;
    if (this.pendLen === 0) {
      buf = chunk;
      len = chunk.length;
    } else {
      const need = this.pendLen + chunk.length;
      if (this.pend.length < need) {
        const grown = new Uint8Array(Math.max(need, this.pend.length * 2));
        grown.set(this.pend.subarray(0, this.pendLen));
        this.pend = grown;
      }
      this.pend.set(chunk, this.pendLen);
      this.pendLen = need;
      buf = this.pend;
      len = need;
    }
    const used = this.parse(buf, len);
    const rest = len - used;
    this.base += used;
    if ((this.state as State) === 'stopped') {
      this.pendLen = 0;
      return;
    }
    if (rest === 0) {
      this.pendLen = 0;
    } else if (buf === this.pend) {
      this.pend.copyWithin(0, used, len);
      this.pendLen = rest;
    } else {
      if (this.pend.length < rest) this.pend = new Uint8Array(Math.max(rest, 65536));
      this.pend.set(chunk.subarray(used, len));
      this.pendLen = rest;
    }
  }

  /** Ends the input: anything left over is a truncated record. */
  finish(): DecodeReport {
    if (this.state === 'magic') {
      if (this.pendLen === 0 && this.base === 0) this.report.stop(0, 0, 'the file is empty');
      else this.report.stop(this.base, 0, `the file is too short to be a capture (${this.pendLen} bytes)`);
    } else if (this.state !== 'stopped' && this.pendLen > 0) {
      this.report.stop(
        this.base,
        this.report.packets,
        `the file ends inside a ${this.state === 'pcap' ? 'packet record' : 'block'}: ${this.pendLen} bytes of it remain`,
        true,
      );
    }
    this.state = 'stopped';
    this.pendLen = 0;
    return this.report;
  }

  /** Parses complete records from buf[0, len); returns how many bytes were consumed. */
  private parse(buf: Uint8Array, len: number): number {
    let p = 0;
    if (this.state === 'magic') {
      if (len < 4) return 0;
      const m = (buf[0] | (buf[1] << 8) | (buf[2] << 16) | (buf[3] << 24)) >>> 0;
      const mbe = ((buf[0] << 24) | (buf[1] << 16) | (buf[2] << 8) | buf[3]) >>> 0;
      if (m === PCAPNG_SHB) {
        this.state = 'pcapng';
        this.report.format = 'pcapng';
      } else if (m === PCAP_US || m === PCAP_NS || m === PCAP_MODIFIED || mbe === PCAP_US || mbe === PCAP_NS || mbe === PCAP_MODIFIED) {
        if (len < 24) return 0;
        const magic = m === PCAP_US || m === PCAP_NS || m === PCAP_MODIFIED ? m : mbe;
        this.le = magic === m;
        this.nsec = magic === PCAP_NS;
        this.modified = magic === PCAP_MODIFIED;
        this.pcapSnap = this.u32(buf, 16);
        const network = this.u32(buf, 20);
        this.pcapLink = network & 0xffff;
        this.report.format = 'pcap';
        this.state = 'pcap';
        if ((network & 0x03ff0000) !== 0 && (network >>> 26) === 0) {
          // Bits 16-25 are reserved (RFC draft "pcap", section 4): a non-zero value is not a pcap we can trust.
          this.report.stop(20, 0, `the link-type field has reserved bits set (0x${network.toString(16)}): not a readable pcap`);
          this.state = 'stopped';
          return len;
        }
        this.report.addLinkType(this.pcapLink);
        if (!isKnownLinkType(this.pcapLink)) this.report.warn(20, 0, `unknown link type ${this.pcapLink}: its packets are skipped`);
        p = 24;
      } else {
        this.report.format = 'unknown';
        this.report.stop(0, 0, `not a pcap or pcapng file (magic 0x${mbe.toString(16).padStart(8, '0')})`, false, true);
        this.state = 'stopped';
        return len;
      }
    }
    const dv = new DataView(buf.buffer, buf.byteOffset, len);
    return this.state === 'pcap' ? this.parsePcap(buf, dv, p, len) : this.parsePcapng(buf, dv, p, len);
  }

  private u32(buf: Uint8Array, o: number): number {
    return this.le
      ? (buf[o] | (buf[o + 1] << 8) | (buf[o + 2] << 16) | (buf[o + 3] << 24)) >>> 0
      : ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0;
  }

  private parsePcap(buf: Uint8Array, _dv: DataView, p: number, len: number): number {
    const hdr = this.modified ? 24 : 16;
    const limit = Math.min(MAX_PCAP_RECORD, Math.max(MAX_PACKET, this.pcapSnap));
    const r = this.report;
    while (len - p >= hdr) {
      const sec = this.u32(buf, p);
      const frac = this.u32(buf, p + 4);
      const caplen = this.u32(buf, p + 8);
      const origlen = this.u32(buf, p + 12);
      if (caplen > limit) {
        r.stop(this.base + p, r.packets, `packet record ${r.packets + 1} claims ${caplen} captured bytes, more than the largest packet a capture can hold (${limit})`);
        this.state = 'stopped';
        return len;
      }
      if (len - p < hdr + caplen) break;
      const frame = ++r.packets;
      if (caplen > this.pcapSnap && this.pcapSnap > 0) r.warn(this.base + p, frame, `frame ${frame} has ${caplen} captured bytes, more than the snapshot length ${this.pcapSnap}`);
      if (caplen > origlen) r.warn(this.base + p, frame, `frame ${frame} has more captured bytes (${caplen}) than its original length (${origlen})`);
      let s = sec;
      let ns = this.nsec ? frac : frac * 1000;
      if (ns >= 1_000_000_000) {
        s += Math.floor(ns / 1_000_000_000);
        ns %= 1_000_000_000;
      }
      this.packet(buf, p + hdr, caplen, this.pcapLink, frame, s, ns, this.base + p, origlen);
      p += hdr + caplen;
      if (this.options.maxPackets !== undefined && r.packets >= this.options.maxPackets) {
        this.state = 'stopped';
        return len;
      }
    }
    return p;
  }

  private packet(buf: Uint8Array, off: number, caplen: number, linkType: number, frame: number, sec: number, nsec: number, fileOffset: number, origlen: number): void {
    const v = this.view;
    v.frame = frame;
    v.tsSec = sec;
    v.tsNsec = nsec;
    v.byteOffset = fileOffset;
    v.line = -1;
    const res: SkipReason | null = decodePacket(buf, off, caplen, linkType, v, origlen);
    if (res === null) {
      this.report.tcpSegments++;
      this.onSegment(v);
    } else this.report.skip(res);
  }

  private parsePcapng(buf: Uint8Array, dv: DataView, p: number, len: number): number {
    const r = this.report;
    while (len - p >= 12) {
      const at = this.base + p;
      let type = dv.getUint32(p, this.le);
      if (type === PCAPNG_SHB) {
        // A Section Header Block sets the byte order of everything up to the next one.
        if (len - p < 12) break;
        const bom = dv.getUint32(p + 8, true);
        if (bom === BYTE_ORDER_MAGIC) this.le = true;
        else if (bom === 0x4d3c2b1a) this.le = false;
        else {
          r.stop(at, r.packets, `a section header has an invalid byte-order magic (0x${bom.toString(16)})`);
          this.state = 'stopped';
          return len;
        }
        type = PCAPNG_SHB;
      } else if (!this.sectionSeen) {
        r.stop(at, r.packets, 'the pcapng file does not start with a section header block');
        this.state = 'stopped';
        return len;
      }
      const blen = dv.getUint32(p + 4, this.le);
      if (blen < 12 || blen % 4 !== 0 || blen > MAX_BLOCK) {
        r.stop(at, r.packets, `a block (type 0x${type.toString(16)}) claims ${blen} bytes, which is ${blen < 12 ? 'shorter than a block header' : blen % 4 !== 0 ? 'not a multiple of 4' : 'larger than any real block'}`);
        this.state = 'stopped';
        return len;
      }
      if (len - p < blen) break;
      const trailer = dv.getUint32(p + blen - 4, this.le);
      if (trailer !== blen) {
        r.stop(at, r.packets, `a block (type 0x${type.toString(16)}) has a leading length ${blen} but a trailing length ${trailer}`);
        this.state = 'stopped';
        return len;
      }
      if (!this.block(buf, dv, p, blen, type, at)) {
        this.state = 'stopped';
        return len;
      }
      p += blen;
      if (this.options.maxPackets !== undefined && r.packets >= this.options.maxPackets) {
        this.state = 'stopped';
        return len;
      }
    }
    return p;
  }

  /** One complete pcapng block at buf[p, p + blen). Returns false when decoding must stop. */
  private block(buf: Uint8Array, dv: DataView, p: number, blen: number, type: number, at: number): boolean {
    const r = this.report;
    const le = this.le;
    const bodyEnd = p + blen - 4;
    switch (type) {
      case PCAPNG_SHB: {
        if (blen < 28) {
          r.stop(at, r.packets, `a section header block is only ${blen} bytes long`);
          return false;
        }
        const major = dv.getUint16(p + 12, le);
        if (major !== 1) {
          r.stop(at, r.packets, `unsupported pcapng version ${major}.${dv.getUint16(p + 14, le)}`);
          return false;
        }
        this.sectionSeen = true;
        this.interfaces = [];
        r.sections++;
        return true;
      }
      case 1: {
        // Interface Description Block: link type, reserved, snaplen, options.
        if (blen < 20) {
          r.stop(at, r.packets, `an interface description block is only ${blen} bytes long`);
          return false;
        }
        const iface: Interface = {
          linkType: dv.getUint16(p + 8, le),
          snaplen: dv.getUint32(p + 12, le),
          resolDecimal: true,
          resolExp: 6,
          offset: 0,
        };
        let o = p + 16;
        while (o + 4 <= bodyEnd) {
          const code = dv.getUint16(o, le);
          const olen = dv.getUint16(o + 2, le);
          if (code === 0) break;
          if (o + 4 + olen > bodyEnd) {
            r.warn(at, r.packets, `an interface option (code ${code}) runs past its block; the rest of the options are ignored`);
            break;
          }
          if (code === 9 && olen >= 1) {
            const v = buf[o + 4];
            iface.resolDecimal = (v & 0x80) === 0;
            iface.resolExp = v & 0x7f;
          } else if (code === 14 && olen >= 8) {
            iface.offset = Number(dv.getBigInt64(o + 4, le));
          }
          o += 4 + ((olen + 3) & ~3);
        }
        this.interfaces.push(iface);
        r.addLinkType(iface.linkType);
        if (!isKnownLinkType(iface.linkType)) r.warn(at, r.packets, `interface ${this.interfaces.length - 1} has unknown link type ${iface.linkType}: its packets are skipped`);
        return true;
      }
      case 6:
      case 2: {
        // Enhanced Packet Block (6) / obsolete Packet Block (2).
        if (blen < 32) {
          r.stop(at, r.packets, `a packet block is only ${blen} bytes long`);
          return false;
        }
        const ifId = type === 6 ? dv.getUint32(p + 8, le) : dv.getUint16(p + 8, le);
        const hi = dv.getUint32(p + 12, le);
        const lo = dv.getUint32(p + 16, le);
        const caplen = dv.getUint32(p + 20, le);
        const origlen = dv.getUint32(p + 24, le);
        const frame = ++r.packets;
        if (caplen > blen - 32) {
          r.stop(at, frame - 1, `packet block of frame ${frame} claims ${caplen} captured bytes but the block holds only ${blen - 32}`);
          r.packets--;
          return false;
        }
        const iface = this.interfaces[ifId];
        if (iface === undefined) {
          r.warn(at, frame, `frame ${frame} names interface ${ifId}, which was never described`);
          r.skip('unknown-link-type');
          return true;
        }
        if (caplen > origlen) r.warn(at, frame, `frame ${frame} has more captured bytes (${caplen}) than its original length (${origlen})`);
        if (iface.snaplen > 0 && caplen > iface.snaplen) r.warn(at, frame, `frame ${frame} has ${caplen} captured bytes, more than the snapshot length ${iface.snaplen}`);
        const [sec, ns] = ticksToTime(hi, lo, iface);
        this.packet(buf, p + 28, caplen, iface.linkType, frame, sec + iface.offset, ns, at, origlen);
        return true;
      }
      case 3: {
        // Simple Packet Block: original length, data; interface 0, no timestamp.
        if (blen < 16) {
          r.stop(at, r.packets, `a simple packet block is only ${blen} bytes long`);
          return false;
        }
        const frame = ++r.packets;
        const iface = this.interfaces[0];
        if (iface === undefined) {
          r.warn(at, frame, `frame ${frame} is a simple packet block but no interface was described`);
          r.skip('unknown-link-type');
          return true;
        }
        const origlen = dv.getUint32(p + 8, le);
        let caplen = Math.min(origlen, blen - 16);
        if (iface.snaplen > 0) caplen = Math.min(caplen, iface.snaplen);
        // A Simple Packet Block carries no timestamp.
        this.packet(buf, p + 12, caplen, iface.linkType, frame, NaN, 0, at, origlen);
        return true;
      }
      default:
        r.unknownBlocks++;
        return true;
    }
  }
}

const TEN = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/** 64-bit tick count to exact seconds + nanoseconds (no single float holds both). */
export function ticksToTime(hi: number, lo: number, iface: { resolDecimal: boolean; resolExp: number }): [number, number] {
  if (iface.resolDecimal && iface.resolExp <= 9) {
    const d = TEN[iface.resolExp];
    let sec: number;
    let rem: number;
    if (hi < 0x200000) {
      // hi * 2^32 + lo < 2^53: exact in a double.
      const t = hi * 4294967296 + lo;
      sec = Math.floor(t / d);
      rem = t - sec * d;
    } else {
      // Long division in 16-bit pieces keeps every intermediate below 2^53.
      const q1 = Math.floor(hi / d);
      let r = hi - q1 * d;
      let x = r * 65536 + (lo >>> 16);
      const q2 = Math.floor(x / d);
      r = x - q2 * d;
      x = r * 65536 + (lo & 0xffff);
      const q3 = Math.floor(x / d);
      rem = x - q3 * d;
      sec = q1 * 4294967296 + q2 * 65536 + q3;
    }
    return [sec, rem * (1e9 / d)];
  }
  // Rare resolutions (2^-n, or finer than 1 ns): exact with BigInt.
  const ticks = (BigInt(hi) << 32n) | BigInt(lo);
  const per = iface.resolDecimal ? 10n ** BigInt(iface.resolExp) : 1n << BigInt(iface.resolExp);
  const sec = ticks / per;
  const rem = ticks % per;
  return [Number(sec), Number((rem * 1_000_000_000n) / per)];
}

/** Decodes a whole capture held in memory. */
export function decodeBytes(bytes: Uint8Array, onSegment: (v: SegmentView) => void, options?: DecoderOptions): DecodeReport {
  const d = new CaptureDecoder(onSegment, options);
  d.push(bytes);
  return d.finish();
}
