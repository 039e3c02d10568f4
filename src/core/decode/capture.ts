/**
 * Streaming pcap / pcapng decoding. Push bytes in chunks of any size; every TCP segment is handed
 * to the callback in ONE reused SegmentView. Only the bytes of an incomplete record or block are
 * kept between chunks (copied: the caller may reuse its buffer), so memory stays flat in file size.
 *
 * The format is recognised by its magic number only: classic pcap in both byte orders with
 * microsecond or nanosecond times and its variants (the "modified" a1b2cd34 files, Red Hat 6.1,
 * SuSE 6.3 and Nokia record headers, told apart by looking at the first records as Wireshark
 * does); pcapng with any number of sections (each with its own byte order and interfaces).
 *
 * Nothing here throws at the caller: damage stops the decoder with a positioned sentence, and what
 * was decoded before it stays decoded. No length field is trusted before it is checked against a
 * sane bound: a block claiming 4 GiB stops the decoder, it is never allocated.
 */
import { SegmentView } from '../model/segment';
import { isKnownLinkType, PacketDecoder } from './packet';
import { DecodeReport, linkTypeName, MAX_WARNINGS } from './report';

// ---- decoder modes ----
const MAGIC = 0;
const PCAP_HEADER = 1;
const PROBE = 2;
const PCAP = 3;
const PCAPNG = 4;
const STOPPED = 5;

/** The first four bytes, read big-endian. */
const PCAP_US = 0xa1b2c3d4;
const PCAP_NS = 0xa1b23c4d;
const PCAP_MODIFIED = 0xa1b2cd34;
const PCAPNG_SHB = 0x0a0d0d0a;

/** Wireshark's largest packet for ordinary link types (WTAP_MAX_PACKET_SIZE_STANDARD). */
const MAX_PACKET = 262144;
/** A pcap record longer than this is damage, whatever snapshot length the header claims. */
const MAX_PCAP_RECORD = 1 << 20;
/** The largest pcapng block buffered; a longer length field is damage, never an allocation. */
const MAX_BLOCK = 16 << 20;

/**
 * pcap record-header variants (Wireshark's names). All have seconds, fraction, caplen and original
 * length first; the patched libpcaps of 1999 add interface index, protocol and packet type.
 */
const V_PCAP = 0;
const V_SS990417 = 1; // Red Hat 6.1: standard magic, 24-byte record header
const V_SS991029 = 2; // "modified" magic a1b2cd34, 24-byte record header
const V_SS990915 = 3; // SuSE 6.3: modified magic, 28-byte record header
const V_NOKIA = 4; // Nokia IPSO: standard magic, 4 more bytes per record
const VARIANT_HEADER = [16, 24, 24, 28, 20];
const VARIANT_NAME = ['', 'Red Hat 6.1 record headers', 'modified record headers', 'SuSE 6.3 record headers', 'Nokia record headers'];
/** tshark reads this many records to guess a variant. */
const PROBE_RECORDS = 3;

/** How pcap record lengths are stored (versions before 2.3 swapped caplen and original length). */
const LENGTHS_AS_IS = 0;
const LENGTHS_SWAPPED = 1;
const LENGTHS_MAYBE_SWAPPED = 2;

interface Interface {
  linkType: number;
  snaplen: number;
  /** Time resolution: 10^-exp seconds when decimal, else 2^-exp (if_tsresol). */
  resolDecimal: boolean;
  resolExp: number;
  /** if_tsoffset: seconds added to every time. */
  offset: number;
  /** Ticks per second when that is 10^n with n <= 9, else 0; and nanoseconds per tick then. */
  divisor: number;
  nsPerTick: number;
}

/**
 * What decoding one record at its byte offset needs, as the decoder knew it when it read that
 * record: the format, byte order and record-header variant (pcap), the section's byte order and
 * interfaces (pcapng). Taken with {@link CaptureDecoder.checkpoint}; a decoder made from one
 * ({@link CaptureDecoder.fromCheckpoint}) reads single records again ({@link CaptureDecoder.decodeRecord}).
 */
export interface DecoderCheckpoint {
  readonly pcapng: boolean;
  readonly le: boolean;
  readonly nsec: boolean;
  readonly recHdr: number;
  readonly lengths: number;
  readonly pcapLink: number;
  readonly pcapSnap: number;
  readonly interfaces: readonly Interface[];
}

export interface DecoderOptions {
  /** Stop after this many packet records (for previews). */
  maxPackets?: number;
  /**
   * The input's total length when known (a file's size): lets a length field that runs past the
   * end be reported at once, with how many bytes remain.
   */
  totalLength?: number;
}

function rd32(b: Uint8Array, o: number, le: boolean): number {
  return le ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0 : ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
function rd16(b: Uint8Array, o: number, le: boolean): number {
  return le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
}

/** "an Enhanced Packet Block", "a block of type 0x80000abc" ... */
function blockName(type: number): string {
  switch (type) {
    case PCAPNG_SHB:
      return 'a Section Header Block';
    case 1:
      return 'an Interface Description Block';
    case 2:
      return 'a Packet Block';
    case 3:
      return 'a Simple Packet Block';
    case 4:
      return 'a Name Resolution Block';
    case 5:
      return 'an Interface Statistics Block';
    case 6:
      return 'an Enhanced Packet Block';
    case 9:
      return 'a systemd Journal Export Block';
    case 10:
      return 'a Decryption Secrets Block';
    case 0xbad:
    case 0x40000bad:
      return 'a Custom Block';
    default:
      return `a block of type 0x${type.toString(16)}`;
  }
}

/** A sentence naming the first bytes of a file that is not a capture. */
function notACapture(b: Uint8Array, p: number, magic: number): string {
  const hex = `magic 0x${magic.toString(16).padStart(8, '0')}`;
  if (b[p] === 0x1f && b[p + 1] === 0x8b) return `not a pcap or pcapng file (${hex}): it is gzip-compressed; decompress it first`;
  if (magic === 0x28b52ffd) return `not a pcap or pcapng file (${hex}): it is zstd-compressed; decompress it first`;
  if (b[p] === 0x42 && b[p + 1] === 0x5a && b[p + 2] === 0x68) return `not a pcap or pcapng file (${hex}): it is bzip2-compressed; decompress it first`;
  if (magic === 0x504b0304) return `not a pcap or pcapng file (${hex}): it is a zip archive`;
  let text = true;
  for (let i = p; i < p + 4; i++) if (b[i] < 0x09 || b[i] > 0x7e) text = false;
  if (text) return `not a pcap or pcapng file (${hex}): it starts with text ("${String.fromCharCode(b[p], b[p + 1], b[p + 2], b[p + 3])}")`;
  return `not a pcap or pcapng file (${hex})`;
}

export class CaptureDecoder {
  readonly report = new DecodeReport();
  private readonly view = new SegmentView();
  private readonly packets: PacketDecoder;
  private mode = MAGIC;
  /** Owned copy of the bytes of an incomplete record or block; pendLen of them are in use. */
  private pend = new Uint8Array(0);
  private pendLen = 0;
  /** Absolute input offset of the next byte not yet consumed (pend[0] when pendLen > 0). */
  private base = 0;
  private maxPackets: number;
  private readonly totalLength: number;
  /** Bytes the probe needs, counted from the first record (valid in PROBE mode). */
  private probeNeed = 0;
  // pcap
  private le = true;
  private nsec = false;
  private modified = false;
  private recHdr = 16;
  private lengths = LENGTHS_AS_IS;
  private pcapLink = 0;
  private pcapSnap = 0;
  private versionMajor = 0;
  private versionMinor = 0;
  // pcapng
  private interfaces: Interface[] = [];
  /** Scratch results of ticks -> time. */
  private tsSec = 0;
  private tsNsec = 0;

  constructor(
    private readonly onSegment: (v: SegmentView) => void,
    options: DecoderOptions = {},
  ) {
    this.packets = new PacketDecoder(this.view);
    this.view.line = -1;
    // Seconds are not always small integers (pcapng ticks, if_tsoffset): give the view's field a
    // double representation from the start, so that no store ever boxes a number.
    this.view.tsSec = 0.5;
    this.view.tsSec = 0;
    this.maxPackets = options.maxPackets ?? Infinity;
    this.totalLength = options.totalLength ?? -1;
  }

  /**
   * The layout the next record is read with (valid once a record was decoded: call it from the
   * segment callback). It changes only at a pcapng Section Header or Interface Description Block,
   * which {@link DecodeReport.sections} and {@link DecodeReport.interfaces} count.
   */
  checkpoint(): DecoderCheckpoint {
    return {
      pcapng: this.mode === PCAPNG,
      le: this.le,
      nsec: this.nsec,
      recHdr: this.recHdr,
      lengths: this.lengths,
      pcapLink: this.pcapLink,
      pcapSnap: this.pcapSnap,
      interfaces: this.interfaces.slice(),
    };
  }

  /** A decoder that reads single records of a file whose layout at those records is `cp`. */
  static fromCheckpoint(cp: DecoderCheckpoint, onSegment: (v: SegmentView) => void): CaptureDecoder {
    const d = new CaptureDecoder(onSegment);
    d.restore(cp);
    return d;
  }

  private restore(cp: DecoderCheckpoint): void {
    this.mode = cp.pcapng ? PCAPNG : PCAP;
    this.le = cp.le;
    this.nsec = cp.nsec;
    this.recHdr = cp.recHdr;
    this.lengths = cp.lengths;
    this.pcapLink = cp.pcapLink;
    this.pcapSnap = cp.pcapSnap;
    this.interfaces = cp.interfaces.slice();
    if (cp.pcapng) this.report.sections = 1;
  }

  /**
   * The length of the record (pcap) or block (pcapng) starting at buf[p], or -1 when fewer bytes
   * than its header are there (a decoder made by {@link fromCheckpoint}).
   */
  recordLength(buf: Uint8Array, p: number, end: number): number {
    if (this.report.sections > 0) return end - p < 12 ? -1 : rd32(buf, p + 4, this.le);
    return end - p < this.recHdr ? -1 : this.recHdr + this.recordCaplen(buf, p);
  }

  /**
   * Decodes the one record (pcap) or block (pcapng) at buf[p, end), which the file holds at byte
   * offset `at` as frame `frame`: its segment goes to the callback exactly as the first pass
   * decoded it (a decoder made by {@link fromCheckpoint}). Returns false when the bytes are not a
   * whole record any more (the file changed), with the reason in `report.stoppedAt`.
   */
  decodeRecord(buf: Uint8Array, p: number, end: number, at: number, frame: number): boolean {
    const cp = this.report.sections > 0;
    this.mode = cp ? PCAPNG : PCAP;
    this.pendLen = 0;
    this.base = at;
    this.report.packets = frame - 1;
    this.report.stoppedAt = null;
    this.maxPackets = frame;
    return this.parse(buf, p, end) === end && this.report.stoppedAt === null;
  }

  /** Whether decoding stopped (damage, maxPackets): further pushes are ignored. */
  get stopped(): boolean {
    return this.mode === STOPPED;
  }

  /** Decodes every complete record in `chunk`; keeps a copy of an incomplete one. */
  push(chunk: Uint8Array): void {
    if (this.mode === STOPPED || chunk.length === 0) return;
    let p = 0;
    // First complete what is pending, taking from the chunk only what it needs.
    while (this.pendLen > 0 && p < chunk.length) {
      const need = this.needed();
      const take = Math.min(need - this.pendLen, chunk.length - p);
      if (take > 0) {
        this.append(chunk, p, take);
        p += take;
      }
      if (this.pendLen < need) return; // the chunk is used up
      const used = this.parse(this.pend, 0, this.pendLen);
      if (this.mode === STOPPED) return this.drop();
      this.consumePending(used);
      if (used === 0 && take === 0) break; // nothing moved: parse directly below (cannot happen)
    }
    if (p >= chunk.length) return;
    if (this.pendLen > 0) {
      // Still pending (PROBE needs several records): keep the rest of the chunk too.
      this.append(chunk, p, chunk.length - p);
      const used = this.parse(this.pend, 0, this.pendLen);
      if (this.mode === STOPPED) return this.drop();
      this.consumePending(used);
      return;
    }
    const used = this.parse(chunk, p, chunk.length);
    if (this.mode === STOPPED) return this.drop();
    if (used < chunk.length) this.append(chunk, used, chunk.length - used);
  }

  /** Ends the input: a pending incomplete record is reported as truncation. */
  finish(): DecodeReport {
    const r = this.report;
    if (this.mode === PROBE) {
      // Fewer records than the probe wanted: decide with what there is, then read them.
      this.decideVariant(this.pend, 0, this.pendLen, true);
      const used = this.parse(this.pend, 0, this.pendLen);
      if (!this.stopped) this.consumePending(used);
    }
    if (this.mode === MAGIC) {
      if (this.base === 0 && this.pendLen === 0) r.stop(0, 'the file is empty', { unreadable: true });
      else r.stop(0, `the file is too short to be a capture (${this.pendLen} bytes)`, { unreadable: true });
    } else if (this.mode === PCAP_HEADER) {
      r.stop(0, `the file is too short to be a pcap file: its header needs 24 bytes, there are ${this.pendLen}`, { unreadable: true });
    } else if (this.mode !== STOPPED && this.pendLen > 0) {
      const what = this.mode === PCAPNG ? this.pendingBlockText() : this.pendingRecordText();
      r.stop(this.base, `the file ends inside ${what}`, { truncated: true, unreadable: this.mode === PCAPNG && r.sections === 0 });
    } else if (this.mode === PCAPNG && r.sections === 0 && r.stoppedAt === null) {
      r.stop(0, 'the file ends before its first section header is complete', { truncated: true, unreadable: true });
    }
    r.bytesRead = this.base;
    this.mode = STOPPED;
    this.pendLen = 0;
    return r;
  }

  private drop(): void {
    this.pendLen = 0;
    this.report.bytesRead = this.base;
  }

  private append(src: Uint8Array, from: number, n: number): void {
    const need = this.pendLen + n;
    if (this.pend.length < need) {
      const grown = new Uint8Array(Math.max(need, Math.min(this.pend.length * 2, MAX_BLOCK), 4096));
      grown.set(this.pend.subarray(0, this.pendLen));
      this.pend = grown;
    }
    this.pend.set(src.subarray(from, from + n), this.pendLen);
    this.pendLen = need;
  }

  private consumePending(used: number): void {
    if (used >= this.pendLen) this.pendLen = 0;
    else if (used > 0) {
      this.pend.copyWithin(0, used, this.pendLen);
      this.pendLen -= used;
    }
  }

  /**
   * How many bytes (from pend[0]) the unit at the head of the input needs before it can be
   * parsed. A length that is damaged returns pendLen, so that parse() sees it and stops.
   */
  private needed(): number {
    const b = this.pend;
    const n = this.pendLen;
    switch (this.mode) {
      case MAGIC:
        return 4;
      case PCAP_HEADER:
        return 24;
      case PROBE:
        return this.probeNeed;
      case PCAP: {
        const h = this.recHdr;
        if (n < h) return h;
        const caplen = this.recordCaplen(b, 0);
        return caplen > MAX_PCAP_RECORD ? n : h + caplen;
      }
      default: {
        if (n < 12) return 12;
        const le = rd32(b, 0, true) === PCAPNG_SHB ? this.shbLittleEndian(b, 0) : this.le;
        const blen = rd32(b, 4, le);
        return blen < 12 || blen % 4 !== 0 || blen > MAX_BLOCK ? n : blen;
      }
    }
  }

  /** Parses whole units from buf[start, end); returns the index after the last one consumed. */
  private parse(buf: Uint8Array, start: number, end: number): number {
    let p = start;
    if (this.mode <= PROBE) {
      p = this.parseHead(buf, p, end);
      this.base += p - start;
      if (this.mode !== PCAP && this.mode !== PCAPNG) return p;
    }
    const from = p;
    p = this.mode === PCAP ? this.parsePcap(buf, p, end) : this.parsePcapng(buf, p, end);
    this.base += p - from;
    return p;
  }

  // ---- the head of the file: magic number, pcap header, pcap variant ----

  private parseHead(buf: Uint8Array, p: number, end: number): number {
    const r = this.report;
    if (this.mode === MAGIC) {
      if (end - p < 4) return p;
      const m = ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >>> 0;
      const swapped = ((buf[p + 3] << 24) | (buf[p + 2] << 16) | (buf[p + 1] << 8) | buf[p]) >>> 0;
      if (m === PCAPNG_SHB) {
        r.format = 'pcapng';
        r.formatDetail = 'pcapng';
        this.mode = PCAPNG;
        return p;
      }
      const magic = m === PCAP_US || m === PCAP_NS || m === PCAP_MODIFIED ? m : swapped;
      if (magic !== PCAP_US && magic !== PCAP_NS && magic !== PCAP_MODIFIED) {
        this.stopHere(0, notACapture(buf, p, m), true);
        return p;
      }
      r.format = 'pcap';
      this.le = magic !== m;
      this.nsec = magic === PCAP_NS;
      this.modified = magic === PCAP_MODIFIED;
      this.mode = PCAP_HEADER;
    }
    if (this.mode === PCAP_HEADER) {
      if (end - p < 24) return p;
      if (!this.pcapHeader(buf, p)) return p;
      p += 24;
    }
    if (this.mode === PROBE) this.decideVariant(buf, p, end, false);
    return p;
  }

  /** The 24-byte pcap header: magic, version, thiszone, sigfigs, snaplen, link type. */
  private pcapHeader(b: Uint8Array, p: number): boolean {
    const le = this.le;
    const r = this.report;
    const major = rd16(b, p + 4, le);
    const minor = rd16(b, p + 6, le);
    this.versionMajor = major;
    this.versionMinor = minor;
    this.pcapSnap = rd32(b, p + 16, le);
    let network = rd32(b, p + 20, le);
    if (major < 2) {
      this.stopHere(p, `pcap version ${major}.${minor} is not supported (2.0 and later are)`, true);
      return false;
    }
    // Bits 16-25 of the link-type field are reserved: a file with them set cannot be trusted.
    if ((network & 0x03ff0000) !== 0) {
      this.stopHere(p + 20, `the link-type field 0x${network.toString(16).padStart(8, '0')} has reserved bits set: not a pcap file this reader understands`, true);
      return false;
    }
    // Versions before 2.3 wrote the original length before the captured length.
    this.lengths = LENGTHS_AS_IS;
    // Nanosecond files have one variant; the others are told apart by their first records.
    let known = this.nsec ? V_PCAP : -1;
    if (major === 2 && minor < 3) {
      this.lengths = LENGTHS_SWAPPED;
    } else if (major === 2 && minor === 3) {
      this.lengths = LENGTHS_MAYBE_SWAPPED;
    } else if (major === 543) {
      this.lengths = LENGTHS_SWAPPED;
    }
    // AIX's tcpdump: version 2.2, nanosecond times, and RFC 1573 ifType values for the link type.
    if (!this.modified && !this.nsec && major === 2 && minor === 2 && (network === 6 || network === 24)) {
      network = network === 6 ? 1 : 0;
      this.nsec = true;
      known = V_PCAP;
    }
    this.pcapLink = network & 0xffff;
    r.addLinkType(this.pcapLink);
    if (!isKnownLinkType(this.pcapLink)) r.warn(p + 20, 0, `the capture's link type is ${linkTypeName(this.pcapLink)}, which this decoder does not read: its packets are skipped`);
    if (known >= 0) this.setVariant(known);
    else {
      this.mode = PROBE;
      this.probeNeed = 0;
    }
    return true;
  }

  private setVariant(v: number): void {
    this.recHdr = VARIANT_HEADER[v];
    this.mode = PCAP;
    const order = this.le ? 'little-endian' : 'big-endian';
    const extra = VARIANT_NAME[v] ? `, ${VARIANT_NAME[v]}` : '';
    this.report.formatDetail = `pcap ${this.versionMajor}.${this.versionMinor} (${order}, ${this.nsec ? 'nanoseconds' : 'microseconds'}${extra})`;
  }

  /**
   * Which record-header variant a standard- or modified-magic file uses, as tshark 4.0 decides it:
   * each candidate in turn reads up to three records; the first record that looks wrong gives
   * the candidate its score (how many things are wrong with it). The first candidate with nothing
   * wrong wins, else the least wrong. Sets PCAP mode when decided, else probeNeed.
   */
  private decideVariant(buf: Uint8Array, p: number, end: number, final: boolean): void {
    const candidates = this.modified ? [V_SS991029, V_SS990915] : [V_PCAP, V_SS990417, V_NOKIA];
    let best = candidates[0];
    let bestScore = Infinity;
    for (const v of candidates) {
      const score = this.tryVariant(buf, p, end, v, final);
      if (score < 0) return; // more bytes needed (probeNeed is set)
      if (score === 0) return this.setVariant(v);
      if (score < bestScore) {
        best = v;
        bestScore = score;
      }
    }
    this.setVariant(best);
  }

  /** How wrong the first records look as variant `v` (0: not at all), or -1 when more bytes are needed. */
  private tryVariant(b: Uint8Array, p: number, end: number, v: number, final: boolean): number {
    const le = this.le;
    const hdr = VARIANT_HEADER[v];
    let q = p;
    for (let i = 0; i < PROBE_RECORDS; i++) {
      // At the end of the input: tshark counts a record cut short there against the variant. We
      // do so only when the variant read no whole record (no evidence for it either), so that a
      // file truncated in its first records is not read as another variant.
      const cutShort = i === 0 ? 1 : 0;
      if (end - q < hdr) {
        if (!final) {
          this.probeNeed = q + hdr - p;
          return -1;
        }
        return end > q ? cutShort : 0;
      }
      const frac = rd32(b, q + 4, le);
      const caplen = this.recordCaplen(b, q);
      const origlen = this.recordOriglen(b, q);
      let score = 0;
      if (frac >= (this.nsec ? 1_000_000_000 : 1_000_000)) score++;
      if (caplen > MAX_PACKET) score++;
      if (origlen > 128 * 1024 * 1024) score++;
      if (caplen > this.pcapSnap) score++;
      if (caplen > origlen) score++;
      if (score > 0) return score;
      if (end - q < hdr + caplen) {
        if (!final) {
          this.probeNeed = q + hdr + caplen - p;
          return -1;
        }
        return cutShort;
      }
      q += hdr + caplen;
    }
    return 0;
  }

  // ---- pcap records ----

  /** The captured length of the record at b[o], honouring the version's length order. */
  private recordCaplen(b: Uint8Array, o: number): number {
    const a = rd32(b, o + 8, this.le);
    if (this.lengths === LENGTHS_AS_IS) return a;
    const c = rd32(b, o + 12, this.le);
    return this.lengths === LENGTHS_SWAPPED || a > c ? c : a;
  }

  /** The original length of the record at b[o], honouring the version's length order. */
  private recordOriglen(b: Uint8Array, o: number): number {
    const c = rd32(b, o + 12, this.le);
    if (this.lengths === LENGTHS_AS_IS) return c;
    const a = rd32(b, o + 8, this.le);
    return this.lengths === LENGTHS_SWAPPED || a > c ? a : c;
  }

  private parsePcap(buf: Uint8Array, p: number, end: number): number {
    const r = this.report;
    const hdr = this.recHdr;
    const le = this.le;
    const swapLengths = this.lengths !== LENGTHS_AS_IS;
    const snap = this.pcapSnap;
    const link = this.pcapLink;
    const nsMul = this.nsec ? 1 : 1000;
    const base = this.base - p;
    while (end - p >= hdr) {
      let caplen = rd32(buf, p + 8, le);
      let origlen = rd32(buf, p + 12, le);
      if (swapLengths && (this.lengths === LENGTHS_SWAPPED || caplen > origlen)) {
        const t = caplen;
        caplen = origlen;
        origlen = t;
      }
      if (caplen > MAX_PCAP_RECORD) {
        this.stopHere(base + p, `packet record ${r.packets + 1} claims ${caplen} captured bytes, more than any packet a capture holds (${MAX_PCAP_RECORD})`);
        return p;
      }
      if (end - p < hdr + caplen) break;
      const frame = ++r.packets;
      if (caplen > snap && snap > 0) this.warnSnap(base + p, frame, caplen, snap);
      if (caplen > origlen) this.warnOrig(base + p, frame, caplen, origlen);
      let sec = rd32(buf, p, le);
      let ns = rd32(buf, p + 4, le) * nsMul;
      if (ns >= 1_000_000_000) {
        // An out-of-range fraction: carried into the seconds rather than printed with ten digits.
        sec += Math.floor(ns / 1_000_000_000);
        ns %= 1_000_000_000;
      }
      this.emit(buf, p + hdr, caplen, origlen, link, frame, sec, ns, base + p);
      p += hdr + caplen;
      if (r.packets >= this.maxPackets) {
        this.mode = STOPPED;
        return p;
      }
    }
    return p;
  }

  private emit(buf: Uint8Array, off: number, caplen: number, origlen: number, link: number, frame: number, sec: number, ns: number, at: number): void {
    const v = this.view;
    v.frame = frame;
    v.tsSec = sec;
    v.tsNsec = ns;
    v.byteOffset = at;
    const res = this.packets.decode(buf, off, caplen, origlen, link);
    if (res === null) {
      this.report.tcpSegments++;
      this.onSegment(v);
    } else this.report.skip(res);
  }

  // ---- pcapng blocks ----

  /** The byte order a Section Header Block at b[o] declares (its byte-order magic). */
  private shbLittleEndian(b: Uint8Array, o: number): boolean {
    return rd32(b, o + 8, true) === 0x1a2b3c4d;
  }

  private parsePcapng(buf: Uint8Array, p: number, end: number): number {
    const r = this.report;
    const base = this.base - p;
    while (end - p >= 12) {
      const at = base + p;
      let type = rd32(buf, p, this.le);
      if (rd32(buf, p, true) === PCAPNG_SHB) {
        // A Section Header Block sets the byte order of everything up to the next one.
        const bom = rd32(buf, p + 8, true);
        if (bom !== 0x1a2b3c4d && bom !== 0x4d3c2b1a) {
          this.stopHere(at, `a Section Header Block has an invalid byte-order magic (0x${bom.toString(16).padStart(8, '0')})`, r.sections === 0);
          return p;
        }
        this.le = bom === 0x1a2b3c4d;
        type = PCAPNG_SHB;
      } else if (r.sections === 0) {
        this.stopHere(at, 'the pcapng file does not start with a Section Header Block', true);
        return p;
      }
      const blen = rd32(buf, p + 4, this.le);
      if (blen < 12 || blen % 4 !== 0 || blen > MAX_BLOCK) {
        this.stopHere(at, `${blockName(type)} claims ${blen} bytes${this.badBlockLength(blen, at)}`, r.sections === 0);
        return p;
      }
      if (end - p < blen) break;
      const trailer = rd32(buf, p + blen - 4, this.le);
      if (trailer !== blen) {
        this.stopHere(at, `${blockName(type)} says it is ${blen} bytes long at its start but ${trailer} at its end`, r.sections === 0);
        return p;
      }
      if (!(type === 6 ? this.packetBlock(buf, p, blen, type, at) : this.block(buf, p, blen, type, at))) return p;
      p += blen;
      if (r.packets >= this.maxPackets) {
        this.mode = STOPPED;
        return p;
      }
    }
    return p;
  }

  /** What is wrong with a block length, as the end of a sentence. */
  private badBlockLength(blen: number, at: number): string {
    if (blen < 12) return ", fewer than the 12 bytes of a block's type and lengths";
    if (blen % 4 !== 0) return ', which is not a multiple of 4';
    if (this.totalLength >= 0 && at + blen > this.totalLength) return ` but only ${this.totalLength - at} remain`;
    return `, more than the ${MAX_BLOCK} bytes this reader accepts for a block`;
  }

  /** One complete block at buf[p, p + blen). Returns false when decoding stopped. */
  private block(buf: Uint8Array, p: number, blen: number, type: number, at: number): boolean {
    const r = this.report;
    const le = this.le;
    switch (type) {
      case PCAPNG_SHB: {
        // Byte-order magic, major and minor version, section length (64 bits), options.
        if (blen < 28) return this.stopHere(at, `a Section Header Block is only ${blen} bytes long (at least 28)`, r.sections === 0);
        // Version 1.0; 1.2 was written by some old libpcaps for the same format (as libpcap and
        // tshark accept it). Anything else is not a format we know.
        const major = rd16(buf, p + 12, le);
        const minor = rd16(buf, p + 14, le);
        if (major !== 1 || (minor !== 0 && minor !== 2)) return this.stopHere(at, `pcapng version ${major}.${minor} is not supported (1.0 is)`, r.sections === 0);
        r.sections++;
        this.interfaces = [];
        return true;
      }
      case 1:
        return this.interfaceBlock(buf, p, blen, at);
      case 6:
      case 2:
        return this.packetBlock(buf, p, blen, type, at);
      case 3: {
        // Simple Packet Block: original length, data; interface 0, and no timestamp.
        if (blen < 16) return this.stopHere(at, `a Simple Packet Block is only ${blen} bytes long (at least 16)`);
        const frame = ++r.packets;
        const iface = this.interfaces[0];
        if (iface === undefined) {
          if (r.warnings.length < MAX_WARNINGS) r.warn(at, frame, `frame ${frame} is a Simple Packet Block, but its section describes no interface`);
          else r.warningCount++;
          r.skip('unknown-interface');
          return true;
        }
        const origlen = rd32(buf, p + 8, le);
        let caplen = Math.min(origlen, blen - 16);
        if (iface.snaplen > 0 && caplen > iface.snaplen) caplen = iface.snaplen;
        this.emit(buf, p + 12, caplen, origlen, iface.linkType, frame, NaN, 0, at);
        return true;
      }
      case 9:
      case 0xbad:
      case 0x40000bad:
        // Records that Wireshark shows as frames (numbered with the packets), without packet data.
        r.packets++;
        r.skip('not-a-packet');
        return true;
      default:
        r.unknownBlocks++;
        return true;
    }
  }

  /**
   * Enhanced Packet Block (6): interface id, timestamp (high, low), captured and original length,
   * data, options. The obsolete Packet Block (2): a 16-bit interface id and a drops count instead.
   * The common block: kept apart from block() so that the loop can inline it.
   */
  private packetBlock(buf: Uint8Array, p: number, blen: number, type: number, at: number): boolean {
    const r = this.report;
    const le = this.le;
    if (blen < 32) return this.stopHere(at, `${blockName(type)} is only ${blen} bytes long (at least 32)`);
    const ifId = type === 6 ? rd32(buf, p + 8, le) : rd16(buf, p + 8, le);
    const caplen = rd32(buf, p + 20, le);
    const origlen = rd32(buf, p + 24, le);
    if (caplen > blen - 32) return this.stopHere(at, `${blockName(type)} claims ${caplen} captured bytes but holds only ${blen - 32}`);
    const frame = ++r.packets;
    const iface = this.interfaces[ifId];
    if (iface === undefined) {
      if (r.warnings.length < MAX_WARNINGS) r.warn(at, frame, `frame ${frame} names interface ${ifId}, which its section never described`);
      else r.warningCount++;
      r.skip('unknown-interface');
      return true;
    }
    if (caplen > origlen) this.warnOrig(at, frame, caplen, origlen);
    if (iface.snaplen > 0 && caplen > iface.snaplen) this.warnSnap(at, frame, caplen, iface.snaplen);
    const hi = rd32(buf, p + 12, le);
    const lo = rd32(buf, p + 16, le);
    const d = iface.divisor;
    if (d > 0 && hi < 0x200000) {
      // The common resolutions (10^-n s, n <= 9): hi * 2^32 + lo < 2^53 is exact in a double,
      // and so are the quotient and the remainder.
      const t = hi * 4294967296 + lo;
      const sec = Math.floor(t / d);
      this.emit(buf, p + 28, caplen, origlen, iface.linkType, frame, sec + iface.offset, (t - sec * d) * iface.nsPerTick, at);
    } else {
      this.ticks(hi, lo, iface);
      this.emit(buf, p + 28, caplen, origlen, iface.linkType, frame, this.tsSec, this.tsNsec, at);
    }
    return true;
  }

  /** Interface Description Block: link type, reserved, snaplen, options (if_tsresol, if_tsoffset). */
  private interfaceBlock(buf: Uint8Array, p: number, blen: number, at: number): boolean {
    const r = this.report;
    const le = this.le;
    if (blen < 20) return this.stopHere(at, `an Interface Description Block is only ${blen} bytes long (at least 20)`);
    const iface: Interface = { linkType: rd16(buf, p + 8, le), snaplen: rd32(buf, p + 12, le), resolDecimal: true, resolExp: 6, offset: 0, divisor: 0, nsPerTick: 0 };
    const bodyEnd = p + blen - 4;
    for (let o = p + 16; o + 4 <= bodyEnd; ) {
      const code = rd16(buf, o, le);
      const olen = rd16(buf, o + 2, le);
      if (code === 0) break; // opt_endofopt
      if (o + 4 + olen > bodyEnd) {
        r.warn(at, r.packets, `an interface option (code ${code}) runs past its block; the options after it are ignored`);
        break;
      }
      if (code === 9 && olen >= 1) {
        // if_tsresol: the top bit picks base 2 (set) or 10, the rest is the negative exponent.
        iface.resolDecimal = (buf[o + 4] & 0x80) === 0;
        iface.resolExp = buf[o + 4] & 0x7f;
      } else if (code === 14 && olen >= 8) {
        // if_tsoffset: a signed 64-bit number of seconds.
        const hi = rd32(buf, o + (le ? 8 : 4), le) | 0;
        const lo = rd32(buf, o + (le ? 4 : 8), le);
        iface.offset = hi * 4294967296 + lo;
      }
      o += 4 + ((olen + 3) & ~3);
    }
    if (iface.resolDecimal && iface.resolExp <= 9) {
      iface.divisor = TEN[iface.resolExp];
      iface.nsPerTick = NS_PER_TICK[iface.resolExp];
    }
    this.interfaces.push(iface);
    r.interfaces++;
    r.addLinkType(iface.linkType);
    if (!isKnownLinkType(iface.linkType)) {
      r.warn(at, r.packets, `interface ${this.interfaces.length - 1} of section ${r.sections} has ${linkTypeName(iface.linkType)}, which this decoder does not read: its packets are skipped`);
    }
    return true;
  }

  /** 64-bit tick count (plus if_tsoffset) to exact seconds + nanoseconds in tsSec / tsNsec. */
  private ticks(hi: number, lo: number, iface: Interface): void {
    if (iface.resolDecimal && iface.resolExp <= 9 && hi < 0x200000) {
      // hi * 2^32 + lo < 2^53: exact in a double, and so are the quotient and remainder.
      const d = TEN[iface.resolExp];
      const t = hi * 4294967296 + lo;
      const sec = Math.floor(t / d);
      this.tsNsec = ((t - sec * d) * NS_PER_TICK[iface.resolExp]) | 0;
      this.tsSec = sec + iface.offset;
      return;
    }
    const [sec, ns] = ticksToTime(hi, lo, iface);
    this.tsSec = sec + iface.offset;
    this.tsNsec = ns;
  }

  // ---- the rest ----

  // Per-packet warnings: once MAX_WARNINGS are kept, only counted (no sentence is built).
  private warnSnap(at: number, frame: number, caplen: number, snaplen: number): void {
    const r = this.report;
    if (r.warnings.length < MAX_WARNINGS) r.warn(at, frame, `frame ${frame} has ${caplen} captured bytes, more than the snapshot length ${snaplen}`);
    else r.warningCount++;
  }

  private warnOrig(at: number, frame: number, caplen: number, origlen: number): void {
    const r = this.report;
    if (r.warnings.length < MAX_WARNINGS) r.warn(at, frame, `frame ${frame} has more captured bytes (${caplen}) than its original length (${origlen})`);
    else r.warningCount++;
  }

  /** Stops decoding at `at` with a sentence. Returns false (for `return this.stopHere(...)`). */
  private stopHere(at: number, message: string, unreadable = false): false {
    this.report.stop(at, message, { unreadable });
    this.mode = STOPPED;
    return false;
  }

  private pendingRecordText(): string {
    const b = this.pend;
    if (this.pendLen < this.recHdr) return `the header of packet record ${this.report.packets + 1}: ${this.pendLen} of its ${this.recHdr} bytes are there`;
    const caplen = this.recordCaplen(b, 0);
    return `packet record ${this.report.packets + 1}: it claims ${caplen} captured bytes, ${this.pendLen - this.recHdr} are there`;
  }

  private pendingBlockText(): string {
    const b = this.pend;
    if (this.pendLen < 12) return `a block header: ${this.pendLen} of its 12 bytes are there`;
    const shb = rd32(b, 0, true) === PCAPNG_SHB;
    const le = shb ? this.shbLittleEndian(b, 0) : this.le;
    const type = shb ? PCAPNG_SHB : rd32(b, 0, le);
    return `${blockName(type)}: it claims ${rd32(b, 4, le)} bytes, ${this.pendLen} are there`;
  }
}

const TEN = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
const NS_PER_TICK = [1e9, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 100, 10, 1];

/**
 * A 64-bit tick count (high and low 32 bits) at 10^-exp (decimal) or 2^-exp seconds per tick to
 * exact [seconds, nanoseconds] (nanoseconds rounded down when a tick is finer than 1 ns). No
 * single float holds both: long division in 16-bit pieces, or BigInt on the rare resolutions.
 */
export function ticksToTime(hi: number, lo: number, iface: { resolDecimal: boolean; resolExp: number }): [number, number] {
  if (iface.resolDecimal && iface.resolExp <= 9) {
    const d = TEN[iface.resolExp];
    let sec: number;
    let rem: number;
    if (hi < 0x200000) {
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
    return [sec, rem * NS_PER_TICK[iface.resolExp]];
  }
  const ticks = (BigInt(hi) << 32n) | BigInt(lo);
  const per = iface.resolDecimal ? 10n ** BigInt(iface.resolExp) : 1n << BigInt(iface.resolExp);
  return [Number(ticks / per), Number(((ticks % per) * 1_000_000_000n) / per)];
}

/** Decodes a whole capture held in memory. */
export function decodeBytes(bytes: Uint8Array, onSegment: (v: SegmentView) => void, options?: DecoderOptions): DecodeReport {
  const d = new CaptureDecoder(onSegment, { totalLength: bytes.length, ...options });
  d.push(bytes);
  return d.finish();
}
