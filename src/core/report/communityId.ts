/**
 * Community ID v1 (github.com/corelight/community-id-spec): a flow hash other tools (Zeek, Suricata,
 * Wireshark, Elastic) compute the same way, so records about one connection can be joined across
 * them. SHA-1 over: seed (2 bytes, big-endian), the smaller endpoint's address, the other
 * address, the IP protocol, a zero padding byte, the smaller endpoint's port, the other port
 * ("smaller": address first, then port, compared as unsigned big-endian bytes); base64 of the
 * digest, prefixed with the version "1:".
 */
import { parseIPv4, parseIPv6 } from '../model/address';
import type { Endpoint } from '../model/segment';
import { sha1Base64 } from '../sha1';
import type { Connection } from '../engine/types';

export const PROTO_TCP = 6;

/**
 * Address bytes by address text, IPv4 and IPv6 apart: a capture's endpoints are one per address
 * and port, so an address is met again and again (a client's every port), and its text is parsed
 * once. Bounded (a scan of many addresses parses the ones past the bound each time); the arrays
 * are only read.
 */
const bytesOf = [new Map<string, Uint8Array | null>(), new Map<string, Uint8Array | null>()];
const MAX_CACHED = 1 << 16;

/** An endpoint's address (IPv4 dotted or IPv6 text) as bytes (4 or 16), or null when it is not an address. */
function addressBytes(e: Endpoint): Uint8Array | null {
  const cache = bytesOf[e.ipVersion === 4 ? 0 : 1];
  let b = cache.get(e.addr);
  if (b === undefined) {
    const x = new Uint8Array(e.ipVersion === 4 ? 4 : 16);
    b = (e.ipVersion === 4 ? parseIPv4(e.addr, x) : parseIPv6(e.addr, x)) ? x : null;
    if (cache.size < MAX_CACHED) cache.set(e.addr, b);
  }
  return b;
}

/** The hashed message, reused: seed, two IPv6 addresses, protocol, padding, ports (40 bytes at most). */
const MSG = new Uint8Array(40);

/** -1, 0 or 1: byte-wise comparison of two addresses of the same length. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

/**
 * The Community ID v1 of a flow given as raw address bytes (4 or 16 each, the same length), the
 * IP protocol and ports (null for protocols without ports: then no ports are hashed).
 */
export function communityIdOf(
  src: Uint8Array,
  sport: number | null,
  dst: Uint8Array,
  dport: number | null,
  proto: number,
  seed = 0,
): string {
  const c = compareBytes(src, dst);
  const ordered = c < 0 || (c === 0 && (sport ?? 0) <= (dport ?? 0));
  const a1 = ordered ? src : dst;
  const a2 = ordered ? dst : src;
  const p1 = ordered ? sport : dport;
  const p2 = ordered ? dport : sport;
  const msg = MSG;
  msg[0] = (seed >>> 8) & 0xff;
  msg[1] = seed & 0xff;
  msg.set(a1, 2);
  msg.set(a2, 2 + a1.length);
  let o = 2 + 2 * a1.length;
  msg[o++] = proto & 0xff;
  msg[o++] = 0;
  if (p1 !== null && p2 !== null) {
    msg[o++] = (p1 >>> 8) & 0xff;
    msg[o++] = p1 & 0xff;
    msg[o++] = (p2 >>> 8) & 0xff;
    msg[o++] = p2 & 0xff;
  }
  return sha1Base64(msg, o, '1:');
}

/** The Community ID of a TCP flow between two endpoints (either order gives the same), or "" when the addresses are not IP addresses. */
export function tcpCommunityId(a: Endpoint, b: Endpoint, seed = 0): string {
  const x = addressBytes(a);
  const y = addressBytes(b);
  if (x === null || y === null || x.length !== y.length) return '';
  return communityIdOf(x, a.port, y, b.port, PROTO_TCP, seed);
}

/** A connection's Community ID (seed 0), as every output writes it. */
export function connectionCommunityId(c: Connection): string {
  return tcpCommunityId(c.client, c.server);
}
