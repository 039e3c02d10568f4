/**
 * One packet record's bytes -> link layer -> IP (through tunnels) -> TCP, into the reusable
 * SegmentView. Every length is checked against what was captured before it is read; nothing is
 * allocated per packet (IPComp inflates into one buffer made the first time it is needed).
 *
 * Where the capture and the headers disagree, tshark's reading is followed: the TCP payload length
 * comes from the IP length (so a record cut by the snapshot length still has its full length), but
 * an IP length beyond what the packet originally carried is cut to it.
 */
import { OPT_MSS, OPT_SACK, OPT_SACK_PERM, OPT_TIMESTAMP, OPT_WSCALE, type SegmentView } from '../model/segment';
import { inflatePayload } from './inflate';
import type { SkipReason } from './report';

/** The result of decoding one packet: null when a segment was produced, else why not. */
export type PacketResult = SkipReason | null;

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_PPP = 9;
export const LINKTYPE_RAW_12 = 12;
export const LINKTYPE_RAW_14 = 14;
export const LINKTYPE_PPP_HDLC = 50;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_C_HDLC = 104;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_NFLOG = 239;
export const LINKTYPE_IPOIB = 242;
export const LINKTYPE_LINUX_SLL2 = 276;

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_VLAN = 0x8100;
const ETH_QINQ = 0x88a8;
const ETH_QINQ_OLD = 0x9100;
const ETH_QINQ_OLD2 = 0x9200;
const ETH_PPPOE_SESSION = 0x8864;
const ETH_MPLS = 0x8847;
const ETH_TEB = 0x6558;
const ETH_PPP = 0x880b;
/** Cisco FabricPath: outer addresses, this type, FTAG/TTL (2 bytes), then the whole inner Ethernet frame. */
const ETH_FABRICPATH = 0x8903;
/** IEEE 802.1ah provider backbone bridging: the I-TAG (4 bytes), then the customer's Ethernet frame. */
const ETH_PBB = 0x88e7;

const IPPROTO_HOPOPTS = 0;
const IPPROTO_IPIP = 4;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
/** Geneve's UDP port (RFC 8926), where tshark dissects Geneve by default. */
const UDP_PORT_GENEVE = 6081;
const IPPROTO_IPV6 = 41;
const IPPROTO_ROUTING = 43;
const IPPROTO_FRAGMENT = 44;
const IPPROTO_GRE = 47;
const IPPROTO_AH = 51;
const IPPROTO_DSTOPTS = 60;
const IPPROTO_IPCOMP = 108;

/** Tunnels followed at most (IP in IP, GRE, IPComp, VLAN/MPLS stacks count apart). */
const MAX_DEPTH = 8;
/** The largest IP packet (IPv6 header + the largest payload length): the IPComp output bound. */
const MAX_IP_PACKET = 40 + 65535;

export function isKnownLinkType(lt: number): boolean {
  switch (lt) {
    case LINKTYPE_NULL:
    case LINKTYPE_ETHERNET:
    case LINKTYPE_PPP:
    case LINKTYPE_RAW_12:
    case LINKTYPE_RAW_14:
    case LINKTYPE_PPP_HDLC:
    case LINKTYPE_RAW:
    case LINKTYPE_C_HDLC:
    case LINKTYPE_LOOP:
    case LINKTYPE_LINUX_SLL:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
    case LINKTYPE_NFLOG:
    case LINKTYPE_IPOIB:
    case LINKTYPE_LINUX_SLL2:
      return true;
    default:
      return false;
  }
}

/** The cursor that decodes packets into one SegmentView. */
export class PacketDecoder {
  /**
   * End (as an index into the current buffer) of what the packet really carried: the record's
   * original length, shortened by encapsulations that say how long their payload is. An IP
   * length beyond it is cut to it, as tshark does.
   */
  private reported = 0;
  /** IPComp output, allocated on first use. */
  private inflated: Uint8Array | null = null;

  constructor(readonly view: SegmentView) {}

  /**
   * Decodes the packet in b[off, off + caplen) of the given link type into the view (frame, time
   * and offsets are the caller's). `origlen` is the length the packet had on the wire.
   */
  decode(b: Uint8Array, off: number, caplen: number, origlen: number, linkType: number): PacketResult {
    const end = off + caplen;
    this.reported = off + (origlen > caplen ? origlen : caplen);
    switch (linkType) {
      case LINKTYPE_ETHERNET: {
        if (caplen < 14) return 'truncated-link-header';
        const t = (b[off + 12] << 8) | b[off + 13];
        // The common case first: Ethernet II carrying IPv4.
        if (t === ETH_IPV4) return this.ipv4(b, off + 14, end, 0);
        return this.ether(b, off + 14, end, t, 0);
      }
      case LINKTYPE_NULL:
      case LINKTYPE_LOOP: {
        // The address family: in the writer's byte order for NULL, network order for LOOP. Read
        // it in both orders (a family fits in 16 bits; the swapped value does not).
        if (caplen < 4) return 'truncated-link-header';
        let af = (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
        if (af > 0xffff) af = ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
        // AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD, OpenBSD), 28 (FreeBSD), 30 (Darwin).
        if (af === 2) return this.ipv4(b, off + 4, end, 0);
        if (af === 24 || af === 28 || af === 30) return this.ipv6(b, off + 4, end, 0);
        return 'non-ip';
      }
      case LINKTYPE_RAW:
      case LINKTYPE_RAW_12:
      case LINKTYPE_RAW_14:
        return this.rawIp(b, off, end, 0);
      case LINKTYPE_IPV4:
        return this.ipv4(b, off, end, 0);
      case LINKTYPE_IPV6:
        return this.ipv6(b, off, end, 0);
      case LINKTYPE_LINUX_SLL:
        // Packet type, ARPHRD type, address length, address (8 bytes), protocol type.
        if (caplen < 16) return 'truncated-link-header';
        return this.ether(b, off + 16, end, (b[off + 14] << 8) | b[off + 15], 0);
      case LINKTYPE_LINUX_SLL2:
        // Protocol type, reserved, interface index, ARPHRD type, packet type, address length, address.
        if (caplen < 20) return 'truncated-link-header';
        return this.ether(b, off + 20, end, (b[off] << 8) | b[off + 1], 0);
      case LINKTYPE_C_HDLC:
        // Address, control, protocol (an EtherType).
        if (caplen < 4) return 'truncated-link-header';
        return this.ether(b, off + 4, end, (b[off + 2] << 8) | b[off + 3], 0);
      case LINKTYPE_IPOIB:
        // RFC 4391 as captured: destination and source hardware addresses (20 bytes each), type, reserved.
        if (caplen < 44) return 'truncated-link-header';
        return this.ether(b, off + 44, end, (b[off + 40] << 8) | b[off + 41], 0);
      case LINKTYPE_NFLOG:
        return this.nflog(b, off, end);
      case LINKTYPE_PPP:
      case LINKTYPE_PPP_HDLC:
        return this.ppp(b, off, end, 0);
      default:
        return 'unknown-link-type';
    }
  }

  /** After an EtherType: VLAN tags (802.1Q, 802.1ad, old QinQ 0x9100/0x9200), PPPoE, MPLS, LLC/SNAP. */
  private ether(b: Uint8Array, p: number, end: number, ethertype: number, depth: number): PacketResult {
    let t = ethertype;
    for (let tags = 0; t === ETH_VLAN || t === ETH_QINQ || t === ETH_QINQ_OLD || t === ETH_QINQ_OLD2; tags++) {
      // Tag control information (2 bytes), then the next type.
      if (end - p < 4) return 'truncated-link-header';
      if (tags === MAX_DEPTH) return 'tunnel-too-deep';
      t = (b[p + 2] << 8) | b[p + 3];
      p += 4;
    }
    if (t === ETH_IPV4) return this.ipv4(b, p, end, depth);
    if (t === ETH_IPV6) return this.ipv6(b, p, end, depth);
    if (t === ETH_PPPOE_SESSION) {
      // PPPoE session (RFC 2516): version/type, code, session id, length of the PPP frame.
      if (end - p < 8) return 'truncated-link-header';
      const pppEnd = p + 6 + ((b[p + 4] << 8) | b[p + 5]);
      if (pppEnd < this.reported) this.reported = pppEnd;
      return this.ppp(b, p + 6, end, depth);
    }
    if (t === ETH_MPLS) return this.mpls(b, p, end, depth);
    if (t === ETH_FABRICPATH || t === ETH_PBB) {
      // The inner frame's header starts after FTAG/TTL (FabricPath) or the I-TAG (802.1ah).
      const inner = p + (t === ETH_FABRICPATH ? 2 : 4);
      if (end - inner < 14) return 'truncated-link-header';
      if (depth >= MAX_DEPTH) return 'tunnel-too-deep';
      // A FabricPath frame ends with the inner frame's FCS (4 bytes), as Wireshark's dissector reads it.
      if (t === ETH_FABRICPATH && this.reported - 4 >= inner + 14) this.reported -= 4;
      return this.ether(b, inner + 14, end, (b[inner + 12] << 8) | b[inner + 13], depth + 1);
    }
    if (t < 0x0600 && end - p >= 8 && b[p] === 0xaa && b[p + 1] === 0xaa && b[p + 2] === 0x03) {
      // An 802.3 length, then LLC/SNAP: DSAP, SSAP, control, OUI (3 bytes), EtherType.
      return this.ether(b, p + 8, end, (b[p + 6] << 8) | b[p + 7], depth);
    }
    return 'non-ip';
  }

  /** MPLS label stack entries (4 bytes each) up to the bottom of stack, then IP by its version. */
  private mpls(b: Uint8Array, p: number, end: number, depth: number): PacketResult {
    for (let i = 0; ; i++) {
      if (end - p < 4) return 'truncated-link-header';
      if (i === MAX_DEPTH) return 'tunnel-too-deep';
      const bottom = b[p + 2] & 1;
      p += 4;
      if (bottom) break;
    }
    if (end - p < 1) return 'truncated-ip-header';
    const v = b[p] >> 4;
    if (v === 4) return this.ipv4(b, p, end, depth);
    if (v === 6) return this.ipv6(b, p, end, depth);
    return 'non-ip';
  }

  /** PPP: optional HDLC address/control (0xff 0x03), a 1- or 2-byte protocol (0x21 / 0x0021 IPv4, 0x57 IPv6). */
  private ppp(b: Uint8Array, p: number, end: number, depth: number): PacketResult {
    if (end - p >= 2 && b[p] === 0xff && b[p + 1] === 0x03) p += 2;
    if (end - p < 1) return 'truncated-link-header';
    let proto: number;
    if (b[p] & 1) {
      proto = b[p]; // protocol field compressed to one byte (RFC 1661 6.5)
      p += 1;
    } else {
      if (end - p < 2) return 'truncated-link-header';
      proto = (b[p] << 8) | b[p + 1];
      p += 2;
    }
    if (proto === 0x21) return this.ipv4(b, p, end, depth);
    if (proto === 0x57) return this.ipv6(b, p, end, depth);
    return 'non-ip';
  }

  /**
   * Linux NFLOG: family, version, resource id (4 bytes), then TLVs (length and type in host order,
   * little-endian on the machines that write them, each padded to 4 bytes); type 9 is the packet.
   */
  private nflog(b: Uint8Array, p: number, end: number): PacketResult {
    if (end - p < 4) return 'truncated-link-header';
    const family = b[p];
    let q = p + 4;
    while (end - q >= 4) {
      const len = b[q] | (b[q + 1] << 8);
      const type = b[q + 2] | (b[q + 3] << 8);
      if (len < 4) return 'non-ip';
      if (type === 9) {
        const payEnd = Math.min(end, q + len);
        if (q + len < this.reported) this.reported = q + len;
        if (family === 2) return this.ipv4(b, q + 4, payEnd, 0);
        if (family === 10) return this.ipv6(b, q + 4, payEnd, 0);
        return this.rawIp(b, q + 4, payEnd, 0);
      }
      q += (len + 3) & ~3;
    }
    return 'non-ip';
  }

  private rawIp(b: Uint8Array, p: number, end: number, depth: number): PacketResult {
    if (end - p < 1) return 'truncated-ip-header';
    const v = b[p] >> 4;
    if (v === 4) return this.ipv4(b, p, end, depth);
    if (v === 6) return this.ipv6(b, p, end, depth);
    return 'non-ip';
  }

  private ipv4(b: Uint8Array, p: number, end: number, depth: number): PacketResult {
    if (end - p < 20) return 'truncated-ip-header';
    const vihl = b[p];
    if (vihl >> 4 !== 4) return 'bad-ip-header';
    const ihl = (vihl & 0x0f) << 2;
    if (ihl < 20) return 'bad-ip-header';
    if (end - p < ihl) return 'truncated-ip-header';
    const total = (b[p + 2] << 8) | b[p + 3];
    // Total length 0: segmentation offload, the packet is as long as what the link carried.
    let ipEnd = this.reported;
    if (total !== 0) {
      if (total < ihl) return 'bad-ip-header';
      if (p + total < ipEnd) ipEnd = p + total;
    }
    if ((((b[p + 6] << 8) | b[p + 7]) & 0x1fff) !== 0) return 'non-first-fragment';
    const proto = b[p + 9];
    const q = p + ihl;
    if (proto === IPPROTO_TCP) {
      const v = this.view;
      v.ipVersion = 4;
      v.ttl = b[p + 8];
      v.ipId = (b[p + 4] << 8) | b[p + 5];
      const s = v.src;
      const d = v.dst;
      s[0] = b[p + 12];
      s[1] = b[p + 13];
      s[2] = b[p + 14];
      s[3] = b[p + 15];
      d[0] = b[p + 16];
      d[1] = b[p + 17];
      d[2] = b[p + 18];
      d[3] = b[p + 19];
      v.ipBytes = total; // as the header says: 0 under segmentation offload
      v.hdrBytes = ihl;
      return this.tcp(b, q, end, ipEnd - q);
    }
    return this.next(b, p, q, end, ipEnd, proto, 4, depth);
  }

  private ipv6(b: Uint8Array, p: number, end: number, depth: number): PacketResult {
    if (end - p < 40) return 'truncated-ip-header';
    if (b[p] >> 4 !== 6) return 'bad-ip-header';
    const payloadLen = (b[p + 4] << 8) | b[p + 5];
    let next = b[p + 6];
    let q = p + 40;
    // Payload length 0: a jumbogram (RFC 2675) or segmentation offload: as long as the link says.
    let ipEnd = this.reported;
    if (payloadLen !== 0 && q + payloadLen < ipEnd) ipEnd = q + payloadLen;
    // Extension headers: hop-by-hop, routing, destination options (length in 8 bytes, minus one),
    // fragment (8 bytes), authentication (length in 4 bytes, minus two).
    for (let hops = 0; ; hops++) {
      if (next === IPPROTO_TCP) break;
      if (next === IPPROTO_HOPOPTS || next === IPPROTO_ROUTING || next === IPPROTO_DSTOPTS) {
        if (end - q < 8) return 'truncated-ip-header';
        next = b[q];
        q += (b[q + 1] + 1) << 3;
      } else if (next === IPPROTO_FRAGMENT) {
        if (end - q < 8) return 'truncated-ip-header';
        const offset = ((b[q + 2] << 8) | b[q + 3]) >> 3;
        next = b[q];
        q += 8;
        if (offset !== 0) return 'non-first-fragment';
      } else if (next === IPPROTO_AH) {
        if (end - q < 8) return 'truncated-ip-header';
        next = b[q];
        q += (b[q + 1] + 2) << 2;
      } else break;
      if (q > end) return 'truncated-ip-header';
      if (hops === MAX_DEPTH) return 'tunnel-too-deep';
    }
    if (next === IPPROTO_TCP) {
      const v = this.view;
      v.ipVersion = 6;
      v.ttl = b[p + 7];
      v.ipId = -1;
      const s = v.src;
      const d = v.dst;
      for (let i = 0; i < 16; i++) {
        s[i] = b[p + 8 + i];
        d[i] = b[p + 24 + i];
      }
      v.ipBytes = 40 + payloadLen; // as the header says
      v.hdrBytes = q - p;
      return this.tcp(b, q, end, ipEnd - q);
    }
    return this.next(b, p, q, end, ipEnd, next, 6, depth);
  }

  /** What follows an IP header when it is not TCP: IPv4 AH, tunnels, IPComp; else not TCP. */
  private next(b: Uint8Array, ip: number, q: number, end: number, ipEnd: number, proto: number, version: 4 | 6, depth: number): PacketResult {
    if (depth >= MAX_DEPTH) return 'tunnel-too-deep';
    // What is inside this packet is no longer than the packet.
    if (ipEnd < this.reported) this.reported = ipEnd;
    switch (proto) {
      case IPPROTO_AH: {
        // IPv4 Authentication Header (RFC 4302): next header, length in 4-byte words minus 2.
        if (end - q < 8) return 'truncated-ip-header';
        const nextProto = b[q];
        const r = q + ((b[q + 1] + 2) << 2);
        if (r > end) return 'truncated-ip-header';
        if (nextProto === IPPROTO_TCP) {
          this.setAddresses(b, ip, version);
          this.view.ipBytes = ipEnd - ip;
          this.view.hdrBytes = r - ip;
          return this.tcp(b, r, end, ipEnd - r);
        }
        return this.next(b, ip, r, end, ipEnd, nextProto, version, depth + 1);
      }
      case IPPROTO_IPIP:
        return this.ipv4(b, q, end, depth + 1);
      case IPPROTO_IPV6:
        return this.ipv6(b, q, end, depth + 1);
      case IPPROTO_GRE:
        return this.gre(b, q, end, depth + 1);
      case IPPROTO_UDP:
        return this.udp(b, q, end, depth + 1);
      case IPPROTO_IPCOMP:
        return this.ipcomp(b, ip, q, Math.min(end, ipEnd), version, depth + 1);
      default:
        return 'non-tcp';
    }
  }

  private setAddresses(b: Uint8Array, ip: number, version: 4 | 6): void {
    const v = this.view;
    v.ipVersion = version;
    if (version === 4) {
      v.ttl = b[ip + 8];
      v.ipId = (b[ip + 4] << 8) | b[ip + 5];
      v.src.set(b.subarray(ip + 12, ip + 16));
      v.dst.set(b.subarray(ip + 16, ip + 20));
    } else {
      v.ttl = b[ip + 7];
      v.ipId = -1;
      v.src.set(b.subarray(ip + 8, ip + 24));
      v.dst.set(b.subarray(ip + 24, ip + 40));
    }
  }

  /**
   * GRE (RFC 2784/2890): flags and version, protocol type, then checksum+reserved, key and sequence
   * number when flagged. Version 1 (enhanced GRE, RFC 2637) carries PPP, with an optional
   * acknowledgment number.
   */
  private gre(b: Uint8Array, q: number, end: number, depth: number): PacketResult {
    if (end - q < 4) return 'truncated-ip-header';
    const flags = (b[q] << 8) | b[q + 1];
    const type = (b[q + 2] << 8) | b[q + 3];
    const version = flags & 7;
    let r = q + 4;
    if (version === 0) {
      if (flags & 0x8000) r += 4; // checksum and reserved
      if (flags & 0x2000) r += 4; // key
      if (flags & 0x1000) r += 4; // sequence number
    } else if (version === 1) {
      r += 4; // payload length and call id (the key field)
      if (flags & 0x1000) r += 4; // sequence number
      if (flags & 0x0080) r += 4; // acknowledgment number
    } else return 'non-tcp';
    if (r > end) return 'truncated-ip-header';
    if (type === ETH_TEB) {
      // A whole Ethernet frame.
      if (end - r < 14) return 'truncated-link-header';
      return this.ether(b, r + 14, end, (b[r + 12] << 8) | b[r + 13], depth);
    }
    if (type === ETH_PPP) return this.ppp(b, r, end, depth);
    return this.ether(b, r, end, type, depth);
  }

  /**
   * UDP: only Geneve (RFC 8926) on its port carries what we read. Geneve: version (2 bits) and
   * options length (6 bits, in 4-byte words), flags, protocol type (an EtherType: 0x6558 is a
   * whole Ethernet frame), VNI and reserved (4 bytes), the options, then the payload.
   */
  private udp(b: Uint8Array, q: number, end: number, depth: number): PacketResult {
    if (end - q < 8) return 'truncated-ip-header';
    const sport = (b[q] << 8) | b[q + 1];
    const dport = (b[q + 2] << 8) | b[q + 3];
    if (sport !== UDP_PORT_GENEVE && dport !== UDP_PORT_GENEVE) return 'non-tcp';
    const udpLen = (b[q + 4] << 8) | b[q + 5];
    if (udpLen >= 8 && q + udpLen < this.reported) this.reported = q + udpLen;
    const g = q + 8;
    if (end - g < 8) return 'truncated-ip-header';
    if (b[g] >> 6 !== 0) return 'non-tcp'; // Geneve version 0 only
    const r = g + 8 + ((b[g] & 0x3f) << 2);
    if (r > end) return 'truncated-ip-header';
    const type = (b[g + 2] << 8) | b[g + 3];
    if (type === ETH_TEB) {
      if (end - r < 14) return 'truncated-link-header';
      return this.ether(b, r + 14, end, (b[r + 12] << 8) | b[r + 13], depth);
    }
    if (type === ETH_IPV4 || type === ETH_IPV6) return this.ether(b, r, end, type, depth);
    return 'non-tcp';
  }

  /**
   * IPComp (RFC 3173): next header, flags, CPI, then the compressed payload, inflated as DEFLATE
   * whatever the CPI (as Wireshark does: negotiated CPIs do not say the algorithm). Tunnel mode
   * carries an IP packet; transport mode the TCP segment, whose addresses are the outer header's.
   */
  private ipcomp(b: Uint8Array, ip: number, q: number, end: number, version: 4 | 6, depth: number): PacketResult {
    if (end - q < 4) return 'truncated-ip-header';
    if (b === this.inflated) return 'tunnel-too-deep'; // IPComp inside IPComp: one buffer only
    const next = b[q];
    const out = (this.inflated ??= new Uint8Array(MAX_IP_PACKET));
    const n = inflatePayload(b, q + 4, end, out);
    if (n <= 0) return 'compressed';
    const saved = this.reported;
    this.reported = n;
    let res: PacketResult;
    if (next === IPPROTO_TCP) {
      this.setAddresses(b, ip, version);
      this.view.ipBytes = n + (q + 4 - ip);
      this.view.hdrBytes = q + 4 - ip;
      res = this.tcp(out, 0, n, n);
    } else if (next === IPPROTO_IPIP) res = this.ipv4(out, 0, n, depth);
    else if (next === IPPROTO_IPV6) res = this.ipv6(out, 0, n, depth);
    else res = 'non-tcp';
    this.reported = saved;
    return res;
  }

  /** The TCP header at b[p]; `ipPayload` is the IP payload length from p (TCP header + data). */
  private tcp(b: Uint8Array, p: number, end: number, ipPayload: number): PacketResult {
    if (end - p < 20) return 'truncated-tcp-header';
    const doff = (b[p + 12] >> 4) << 2;
    if (doff < 20) return 'bad-tcp-header';
    const v = this.view;
    v.sport = (b[p] << 8) | b[p + 1];
    v.dport = (b[p + 2] << 8) | b[p + 3];
    v.seq = ((b[p + 4] << 24) | (b[p + 5] << 16) | (b[p + 6] << 8) | b[p + 7]) >>> 0;
    v.ack = ((b[p + 8] << 24) | (b[p + 9] << 16) | (b[p + 10] << 8) | b[p + 11]) >>> 0;
    v.flags = ((b[p + 12] & 0x0f) << 8) | b[p + 13];
    v.win = (b[p + 14] << 8) | b[p + 15];
    const len = ipPayload - doff;
    v.len = len > 0 ? len : 0;
    v.hdrBytes += doff;
    v.sackBlocks = 0;
    if (doff === 32 && end - p >= 32 && b[p + 20] === 1 && b[p + 21] === 1 && b[p + 22] === 8 && b[p + 23] === 10) {
      // The options of nearly every segment after the handshake, all captured: NOP, NOP,
      // timestamps (here rather than in options(), which is not inlined).
      v.opts = OPT_TIMESTAMP;
      v.tsVal = ((b[p + 24] << 24) | (b[p + 25] << 16) | (b[p + 26] << 8) | b[p + 27]) >>> 0;
      v.tsEcr = ((b[p + 28] << 24) | (b[p + 29] << 16) | (b[p + 30] << 8) | b[p + 31]) >>> 0;
      return null;
    }
    v.opts = 0;
    if (doff > 20) this.options(b, p + 20, Math.min(p + doff, end));
    return null;
  }

  /** TCP options in b[o, optEnd): within the header AND within what was captured. */
  private options(b: Uint8Array, o: number, optEnd: number): void {
    const v = this.view;
    while (o < optEnd) {
      const kind = b[o];
      if (kind === 0) return; // end of option list
      if (kind === 1) {
        o++; // no-operation
        continue;
      }
      if (o + 1 >= optEnd) return;
      const l = b[o + 1];
      if (l < 2 || o + l > optEnd) return; // a length that runs past the header ends the options
      if (kind === 8 && l === 10) {
        v.opts |= OPT_TIMESTAMP;
        v.tsVal = ((b[o + 2] << 24) | (b[o + 3] << 16) | (b[o + 4] << 8) | b[o + 5]) >>> 0;
        v.tsEcr = ((b[o + 6] << 24) | (b[o + 7] << 16) | (b[o + 8] << 8) | b[o + 9]) >>> 0;
      } else if (kind === 2 && l === 4) {
        v.opts |= OPT_MSS;
        v.mss = (b[o + 2] << 8) | b[o + 3];
      } else if (kind === 3 && l === 3) {
        v.opts |= OPT_WSCALE;
        v.wscale = b[o + 2];
      } else if (kind === 4 && l === 2) v.opts |= OPT_SACK_PERM;
      else if (kind === 5 && l >= 10) {
        v.opts |= OPT_SACK;
        v.sackBlocks = (l - 2) >> 3;
      }
      o += l;
    }
  }
}
