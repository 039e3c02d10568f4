/**
 * Synthetic captures for the server tests that need size (progress, a capture that takes a while,
 * the maxSegmentsShown limit): classic pcap, Ethernet + IPv4 + TCP headers only (the payload length
 * is in the IP header, as a snaplen-limited capture records it). Each connection is a complete,
 * graceful, client-initiated close: SYN, SYN-ACK, ACK, 100 bytes of data, its ACK, FIN, ACK, FIN, ACK.
 */
import * as fs from 'fs';

const SEGMENTS_PER_CONNECTION = 9;

export function syntheticSegments(connections: number): number {
  return connections * SEGMENTS_PER_CONNECTION;
}

export function writeSyntheticPcap(file: string, connections: number): void {
  const perPacket = 16 + 54;
  const buf = Buffer.alloc(24 + connections * SEGMENTS_PER_CONNECTION * perPacket);
  let o = 0;
  buf.writeUInt32LE(0xa1b2c3d4, o);
  buf.writeUInt16LE(2, o + 4);
  buf.writeUInt16LE(4, o + 6);
  buf.writeUInt32LE(0, o + 8);
  buf.writeUInt32LE(0, o + 12);
  buf.writeUInt32LE(54, o + 16); // snaplen: headers only
  buf.writeUInt32LE(1, o + 20); // Ethernet
  o += 24;
  let usec = 0;
  const packet = (c: number, fromClient: boolean, flags: number, seq: number, ack: number, len: number): void => {
    usec += 10;
    buf.writeUInt32LE(1_700_000_000 + Math.floor(usec / 1e6), o);
    buf.writeUInt32LE(usec % 1e6, o + 4);
    buf.writeUInt32LE(54, o + 8);
    buf.writeUInt32LE(54 + len, o + 12);
    o += 16;
    // Ethernet
    buf.fill(0, o, o + 12);
    buf[o + 5] = fromClient ? 1 : 2;
    buf[o + 11] = fromClient ? 2 : 1;
    buf.writeUInt16BE(0x0800, o + 12);
    o += 14;
    // IPv4: client 10.1.(c>>8).(c&255), server 10.2.0.1
    const client = [10, 1, (c >> 8) & 255, c & 255];
    const server = [10, 2, 0, 1];
    buf[o] = 0x45;
    buf[o + 1] = 0;
    buf.writeUInt16BE(40 + len, o + 2);
    buf.writeUInt16BE(0, o + 4);
    buf.writeUInt16BE(0x4000, o + 6);
    buf[o + 8] = 64;
    buf[o + 9] = 6;
    buf.writeUInt16BE(0, o + 10);
    Buffer.from(fromClient ? client : server).copy(buf, o + 12);
    Buffer.from(fromClient ? server : client).copy(buf, o + 16);
    o += 20;
    // TCP
    const cport = 20000 + (c % 40000);
    buf.writeUInt16BE(fromClient ? cport : 80, o);
    buf.writeUInt16BE(fromClient ? 80 : cport, o + 2);
    buf.writeUInt32BE(seq >>> 0, o + 4);
    buf.writeUInt32BE(ack >>> 0, o + 8);
    buf[o + 12] = 5 << 4;
    buf[o + 13] = flags;
    buf.writeUInt16BE(64240, o + 14);
    buf.writeUInt32BE(0, o + 16);
    o += 20;
  };
  const FIN = 0x01;
  const SYN = 0x02;
  const PSH = 0x08;
  const ACK = 0x10;
  for (let c = 0; c < connections; c++) {
    const ci = (0x1000_0000 + c * 7919) >>> 0;
    const si = (0xffff_ff00 - c * 104729) >>> 0;
    packet(c, true, SYN, ci, 0, 0);
    packet(c, false, SYN | ACK, si, ci + 1, 0);
    packet(c, true, ACK, ci + 1, si + 1, 0);
    packet(c, true, PSH | ACK, ci + 1, si + 1, 100);
    packet(c, false, ACK, si + 1, ci + 101, 0);
    packet(c, true, FIN | ACK, ci + 101, si + 1, 0);
    packet(c, false, ACK, si + 1, ci + 102, 0);
    packet(c, false, FIN | ACK, si + 1, ci + 102, 0);
    packet(c, true, ACK, ci + 102, si + 2, 0);
  }
  fs.writeFileSync(file, buf.subarray(0, o));
}
