/**
 * Link layer -> IP -> TCP, from one packet record's bytes into the reusable SegmentView.
 * Every length is checked against what was captured before it is used.
 */
import { OPT_MSS, OPT_SACK, OPT_SACK_PERM, OPT_TIMESTAMP, OPT_WSCALE, type SegmentView } from '../model/segment';

/** Why a packet yielded no segment (counted by the report). */
export type SkipReason =
  | 'non-ip'
  | 'non-tcp'
  | 'non-first-fragment'
  | 'unknown-link-type'
  | 'bad-ip-header'
  | 'truncated-ip-header'
  | 'truncated-tcp-header'
  | 'bad-tcp-header'
  | 'tunnel-too-deep';

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
export const LINKTYPE_NFLOG = 239;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_IPOIB = 242;
export const LINKTYPE_LINUX_SLL2 = 276;

const ETH_IPV4 = 0x0800;
/** End of the packet as originally sent (set per packet; encapsulations may shorten it). */
let reported = 0;
const ETH_IPV6 = 0x86dd;

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
    case LINKTYPE_IPOIB:
    case LINKTYPE_NFLOG:
    case LINKTYPE_LINUX_SLL2:
      return true;
    default:
      return false;
  }
}

function be16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}
function be32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/**
 * Decodes the packet in b[off, off + caplen) of the given link type into `v`.
 * `v.frame`, times and offsets are set by the caller.
 */
export function decodePacket(
  b: Uint8Array,
  off: number,
  caplen: number,
  linkType: number,
  v: SegmentView,
  origlen = caplen,
): PacketResult {
  const end = off + caplen;
  // What the packet really carried (the original length), which IP lengths may not exceed (as tshark).
  reported = off + Math.max(origlen, caplen);
  let p = off;
  let ethertype = -1;
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      if (caplen < 14) return 'non-ip';
      ethertype = be16(b, p + 12);
      p += 14;
      return etherPayload(b, p, end, ethertype, v);
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      // The address family is in the capturing host's byte order for NULL and in network order for
      // LOOP, but writers get this wrong in both directions: accept either.
      if (caplen < 4) return 'non-ip';
      let af = b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
      if (af > 0xffff || af === 0) af = be32(b, p);
      p += 4;
      if (af === 2) return ipv4(b, p, end, v, 0);
      if (af === 24 || af === 28 || af === 30 || af === 10) return ipv6(b, p, end, v, 0);
      return 'non-ip';
    }
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_12:
    case LINKTYPE_RAW_14:
      return rawIp(b, p, end, v);
    case LINKTYPE_IPV4:
      return ipv4(b, p, end, v, 0);
    case LINKTYPE_IPV6:
      return ipv6(b, p, end, v, 0);
    case LINKTYPE_LINUX_SLL:
      if (caplen < 16) return 'non-ip';
      return etherPayload(b, p + 16, end, be16(b, p + 14), v);
    case LINKTYPE_LINUX_SLL2:
      if (caplen < 20) return 'non-ip';
      return etherPayload(b, p + 20, end, be16(b, p), v);
    case LINKTYPE_C_HDLC:
      if (caplen < 4) return 'non-ip';
      return etherPayload(b, p + 4, end, be16(b, p + 2), v);
    case LINKTYPE_IPOIB:
      // RFC 4391 as captured: destination and source hardware addresses (20 bytes each), type, reserved.
      if (caplen < 44) return 'non-ip';
      return etherPayload(b, p + 44, end, be16(b, p + 40), v);
    case LINKTYPE_NFLOG:
      return nflog(b, p, end, v);
    case LINKTYPE_PPP:
    case LINKTYPE_PPP_HDLC: {
      if (caplen >= 2 && b[p] === 0xff && b[p + 1] === 0x03) p += 2;
      if (end - p < 2) return 'non-ip';
      return pppPayload(b, p + 2, end, be16(b, p), v);
    }
    default:
      return 'unknown-link-type';
  }
}

/**
 * Linux NFLOG: family, version, resource id (4 bytes), then TLVs (length and type in host order,
 * little-endian on the machines that write them, each padded to 4 bytes); type 9 carries the packet.
 */
function nflog(b: Uint8Array, p: number, end: number, v: SegmentView): PacketResult {
  if (end - p < 4) return 'non-ip';
  const family = b[p];
  let q = p + 4;
  while (end - q >= 4) {
    const len = b[q] | (b[q + 1] << 8);
    const type = b[q + 2] | (b[q + 3] << 8);
    if (len < 4) return 'non-ip';
    if (type === 9) {
      const payEnd = Math.min(end, q + len);
      reported = Math.min(reported, q + len);
      if (family === 2) return ipv4(b, q + 4, payEnd, v, 0);
      if (family === 10) return ipv6(b, q + 4, payEnd, v, 0);
      return rawIp(b, q + 4, payEnd, v);
    }
    q += (len + 3) & ~3;
  }
  return 'non-ip';
}

function pppPayload(b: Uint8Array, p: number, end: number, proto: number, v: SegmentView): PacketResult {
  if (proto === 0x0021) return ipv4(b, p, end, v, 0);
  if (proto === 0x0057) return ipv6(b, p, end, v, 0);
  return 'non-ip';
}

/** After an Ethernet-style type field: VLAN tags (802.1Q, 802.1ad, QinQ 0x9100), PPPoE session, IP. */
function etherPayload(b: Uint8Array, p: number, end: number, ethertype: number, v: SegmentView): PacketResult {
  let t = ethertype;
  for (let tags = 0; tags < 8 && (t === 0x8100 || t === 0x88a8 || t === 0x9100 || t === 0x9200); tags++) {
    if (end - p < 4) return 'non-ip';
    t = be16(b, p + 2);
    p += 4;
  }
  if (t === 0x8864) {
    // PPPoE session: version/type, code, session id, length (6 bytes), then the PPP protocol.
    if (end - p < 8) return 'non-ip';
    reported = Math.min(reported, p + 6 + be16(b, p + 4));
    return pppPayload(b, p + 8, end, be16(b, p + 6), v);
  }
  if (t < 0x0600 && end - p >= 8 && b[p] === 0xaa && b[p + 1] === 0xaa && b[p + 2] === 0x03) {
    // 802.3 length field, then LLC/SNAP: DSAP, SSAP, control, OUI (3 bytes), EtherType.
    t = be16(b, p + 6);
    p += 8;
  }
  if (t === ETH_IPV4) return ipv4(b, p, end, v, 0);
  if (t === ETH_IPV6) return ipv6(b, p, end, v, 0);
  return 'non-ip';
}

function rawIp(b: Uint8Array, p: number, end: number, v: SegmentView): PacketResult {
  if (end - p < 1) return 'truncated-ip-header';
  const ver = b[p] >> 4;
  if (ver === 4) return ipv4(b, p, end, v, 0);
  if (ver === 6) return ipv6(b, p, end, v, 0);
  return 'non-ip';
}

const MAX_TUNNELS = 4;

function ipv4(b: Uint8Array, p: number, end: number, v: SegmentView, depth: number): PacketResult {
  if (end - p < 20) return 'truncated-ip-header';
  if (b[p] >> 4 !== 4) return 'bad-ip-header';
  const ihl = (b[p] & 0x0f) * 4;
  if (ihl < 20) return 'bad-ip-header';
  if (end - p < ihl) return 'truncated-ip-header';
  const total = be16(b, p + 2);
  const fragOff = be16(b, p + 6) & 0x1fff;
  const proto = b[p + 9];
  // A total length of 0 (segmentation offload) means "as captured"; a total length beyond what
  // the packet really carried is cut to it (as tshark does).
  const ipEnd = total === 0 ? end : Math.min(p + total, Math.max(reported, p + ihl));
  if (total !== 0 && total < ihl) return 'bad-ip-header';
  if (fragOff !== 0) return 'non-first-fragment';
  const q = p + ihl;
  if (proto === 6) {
    v.ipVersion = 4;
    for (let i = 0; i < 4; i++) {
      v.src[i] = b[p + 12 + i];
      v.dst[i] = b[p + 16 + i];
    }
    return tcp(b, q, end, ipEnd - q, v);
  }
  if (proto === 4 || proto === 41 || proto === 47) return tunnel(b, q, end, proto, v, depth);
  return 'non-tcp';
}

function ipv6(b: Uint8Array, p: number, end: number, v: SegmentView, depth: number): PacketResult {
  if (end - p < 40) return 'truncated-ip-header';
  if (b[p] >> 4 !== 6) return 'bad-ip-header';
  const payloadLen = be16(b, p + 4);
  let next = b[p + 6];
  let q = p + 40;
  const payloadEnd = payloadLen === 0 ? end : Math.min(q + payloadLen, Math.max(reported, q));
  // Extension headers: hop-by-hop, routing, destination options, fragment, AH.
  for (let hops = 0; hops < 16; hops++) {
    if (next === 0 || next === 43 || next === 60) {
      if (end - q < 8) return 'truncated-ip-header';
      const len = (b[q + 1] + 1) * 8;
      next = b[q];
      q += len;
    } else if (next === 44) {
      if (end - q < 8) return 'truncated-ip-header';
      const off = be16(b, q + 2) >> 3;
      next = b[q];
      q += 8;
      if (off !== 0) return 'non-first-fragment';
    } else if (next === 51) {
      if (end - q < 8) return 'truncated-ip-header';
      const len = (b[q + 1] + 2) * 4;
      next = b[q];
      q += len;
    } else break;
  }
  if (q > end) return 'truncated-ip-header';
  if (next === 6) {
    v.ipVersion = 6;
    for (let i = 0; i < 16; i++) {
      v.src[i] = b[p + 8 + i];
      v.dst[i] = b[p + 24 + i];
    }
    return tcp(b, q, end, payloadEnd - q, v);
  }
  if (next === 4 || next === 41 || next === 47) return tunnel(b, q, end, next, v, depth);
  return 'non-tcp';
}

/** IP-in-IP (4), IPv6-in-IP (41) and GRE (47): the innermost IP header before TCP wins. */
function tunnel(b: Uint8Array, q: number, end: number, proto: number, v: SegmentView, depth: number): PacketResult {
  if (depth >= MAX_TUNNELS) return 'tunnel-too-deep';
  if (proto === 4) return ipv4(b, q, end, v, depth + 1);
  if (proto === 41) return ipv6(b, q, end, v, depth + 1);
  // GRE (RFC 2784/2890): flags and version, protocol type, then optional checksum, key, sequence.
  if (end - q < 4) return 'non-tcp';
  const flags = be16(b, q);
  if ((flags & 7) !== 0) return 'non-tcp';
  let r = q + 4;
  if (flags & 0x8000) r += 4;
  if (flags & 0x2000) r += 4;
  if (flags & 0x1000) r += 4;
  const t = be16(b, q + 2);
  if (t === ETH_IPV4) return ipv4(b, r, end, v, depth + 1);
  if (t === ETH_IPV6) return ipv6(b, r, end, v, depth + 1);
  return 'non-tcp';
}

function tcp(b: Uint8Array, p: number, end: number, ipPayload: number, v: SegmentView): PacketResult {
  if (end - p < 20) return 'truncated-tcp-header';
  const doff = (b[p + 12] >> 4) * 4;
  if (doff < 20) return 'bad-tcp-header';
  v.sport = be16(b, p);
  v.dport = be16(b, p + 2);
  v.seq = be32(b, p + 4);
  v.ack = be32(b, p + 8);
  v.flags = ((b[p + 12] & 0x0f) << 8) | b[p + 13];
  v.win = be16(b, p + 14);
  const len = ipPayload - doff;
  v.len = len > 0 ? len : 0;
  v.opts = 0;
  v.sackBlocks = 0;
  // Options, within the header AND within what was captured.
  const optEnd = Math.min(p + doff, end);
  let o = p + 20;
  while (o < optEnd) {
    const kind = b[o];
    if (kind === 0) break;
    if (kind === 1) {
      o++;
      continue;
    }
    if (o + 1 >= optEnd) break;
    const l = b[o + 1];
    if (l < 2 || o + l > optEnd) break;
    if (kind === 2 && l === 4) {
      v.opts |= OPT_MSS;
      v.mss = be16(b, o + 2);
    } else if (kind === 3 && l === 3) {
      v.opts |= OPT_WSCALE;
      v.wscale = b[o + 2];
    } else if (kind === 4 && l === 2) v.opts |= OPT_SACK_PERM;
    else if (kind === 5 && l >= 10) {
      v.opts |= OPT_SACK;
      v.sackBlocks = (l - 2) >> 3;
    } else if (kind === 8 && l === 10) {
      v.opts |= OPT_TIMESTAMP;
      v.tsVal = be32(b, o + 2);
      v.tsEcr = be32(b, o + 6);
    }
    o += l;
  }
  return null;
}
