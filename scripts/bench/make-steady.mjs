#!/usr/bin/env node
// A steady capture for the benchmark (issue 12): the bench capture (.bench/loopback-1m.pcap, real
// loopback traffic, see make-capture.sh) is a burst of 7 s; a busy server's capture is steady for
// minutes, and the streaming analysis then finishes connections at every second of it while many
// more are held (TIME-WAIT: 2 MSL = 60 s). This script builds such a capture from the real one:
// the connections whose SYN falls in one second of it (every connection of a quarter of the client
// ports, to keep the file small), whole (each one's segments up to the next SYN on its client
// port), repeated COPIES times, copy k shifted by k seconds and with its server port 18080 + k in
// every segment, so that the copies' 4-tuples differ and the copies follow one another without a
// gap: COPIES seconds of steady traffic. Real segments; only timestamps and a port are rewritten
// (TCP checksums are left as they were: nothing here checks them). Beside the capture, OUT's
// manifest (.json): the copies, packets and the handshakes each copy has (distinct client port and
// ISN of its SYNs without ACK, counted here from the segments: what the analysis must find).
//
// With --distinct-clients, copy k's client also has an address of its own, 127.1.k/256.k%256 (the
// IPv4 header checksum made again): every connection then has a client endpoint (address and
// port) no other copy has, as on a busy server whose clients come from everywhere, where the
// endpoints and 4-tuples seen grow with the capture, not with the connections open at once.
//
//   node scripts/bench/make-steady.mjs [--copies 150] [--distinct-clients] [--in .bench/loopback-1m.pcap] [--out .bench/steady.pcap]
import fs from 'node:fs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const COPIES = Number(arg('--copies', '150'));
const IN = arg('--in', '.bench/loopback-1m.pcap');
const OUT = arg('--out', '.bench/steady.pcap');
const SERVER_PORT = 18080;
const DISTINCT_CLIENTS = process.argv.includes('--distinct-clients');
if (DISTINCT_CLIENTS && COPIES > 65536) throw new Error('--distinct-clients: at most 65536 copies (two address bytes)');

const buf = fs.readFileSync(IN);
const magic = buf.readUInt32LE(0);
if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error(`${IN}: not a little-endian pcap file`);
const sub = magic === 0xa1b23c4d ? 1e9 : 1e6;
if (buf.readUInt32LE(20) !== 1) throw new Error(`${IN}: link type ${buf.readUInt32LE(20)}, Ethernet (1) expected`);

// The TCP header's offset in a record's data (Ethernet + IPv4), or -1.
const tcpAt = (o, len) => {
  if (len < 14 + 20 + 20 || buf.readUInt16BE(o + 12) !== 0x0800) return -1;
  const ihl = (buf[o + 14] & 0x0f) * 4;
  return buf[o + 14 + 9] === 6 ? o + 14 + ihl : -1;
};

// Pass 1: the records to copy (their offsets), chosen by connection.
const picked = [];
let first = -1;
const included = new Map(); // client port -> whether its current connection is copied
const handshakes = new Set(); // client port and ISN of the SYNs copied
for (let o = 24; o + 16 <= buf.length; ) {
  const sec = buf.readUInt32LE(o);
  const len = buf.readUInt32LE(o + 8);
  const t = sec + buf.readUInt32LE(o + 4) / sub;
  if (first < 0) first = t;
  const tcp = tcpAt(o + 16, len);
  if (tcp >= 0) {
    const sport = buf.readUInt16BE(tcp);
    const dport = buf.readUInt16BE(tcp + 2);
    const client = sport === SERVER_PORT ? dport : sport;
    const flags = buf[tcp + 13];
    // A SYN without ACK opens the client port's next connection: copied when it starts in the second chosen.
    if ((flags & 0x12) === 0x02) {
      included.set(client, client % 4 === 0 && t >= first + 1 && t < first + 2);
      if (included.get(client)) handshakes.add(`${client} ${buf.readUInt32BE(tcp + 4)}`);
    }
    if (included.get(client)) picked.push(o);
  }
  o += 16 + len;
}

// Pass 2: the copies, each in record order (the records picked are in time order; copy k starts
// k seconds after copy 0, and a connection's tail past its second overlaps the next copy's start,
// which mergecap would sort; here the copies are interleaved by time as they are written).
const header = buf.subarray(0, 24);
const out = fs.openSync(OUT, 'w');
fs.writeSync(out, header);
const tsOf = (o) => buf.readUInt32LE(o) + buf.readUInt32LE(o + 4) / sub;
// Merge of the COPIES shifted streams: a cursor per copy, the earliest next record first.
const cursor = new Int32Array(COPIES);
const chunk = Buffer.alloc(1 << 20);
let fill = 0;
let written = 0;
const flush = () => {
  fs.writeSync(out, chunk, 0, fill);
  fill = 0;
};
for (;;) {
  let best = -1;
  let bestT = Infinity;
  for (let k = 0; k < COPIES; k++) {
    if (cursor[k] >= picked.length) continue;
    const t = tsOf(picked[cursor[k]]) + k;
    if (t < bestT) {
      bestT = t;
      best = k;
    }
    // Copies start one second apart: later copies cannot come before this one's next record.
    if (cursor[k] === 0) break;
  }
  if (best < 0) break;
  const o = picked[cursor[best]++];
  const len = buf.readUInt32LE(o + 8);
  if (fill + 16 + len > chunk.length) flush();
  buf.copy(chunk, fill, o, o + 16 + len);
  chunk.writeUInt32LE(buf.readUInt32LE(o) + best, fill); // the seconds, shifted
  const tcp = tcpAt(o + 16, len) - o + fill;
  const fromServer = chunk.readUInt16BE(tcp) === SERVER_PORT;
  if (fromServer) chunk.writeUInt16BE(SERVER_PORT + best, tcp);
  if (chunk.readUInt16BE(tcp + 2) === SERVER_PORT) chunk.writeUInt16BE(SERVER_PORT + best, tcp + 2);
  if (DISTINCT_CLIENTS) {
    // The client's address (the source from the client, the destination from the server), then the header checksum.
    const ip = fill + 16 + 14;
    chunk.writeUInt32BE(((127 << 24) | (1 << 16) | best) >>> 0, ip + (fromServer ? 16 : 12));
    chunk.writeUInt16BE(0, ip + 10);
    let sum = 0;
    for (let i = 0; i < (chunk[ip] & 0x0f) * 4; i += 2) sum += chunk.readUInt16BE(ip + i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    chunk.writeUInt16BE(~sum & 0xffff, ip + 10);
  }
  fill += 16 + len;
  written++;
}
flush();
fs.closeSync(out);
fs.writeFileSync(OUT.replace(/\.pcap$/, '') + '.json', JSON.stringify({ input: IN, inputBytes: buf.length, copies: COPIES, distinctClients: DISTINCT_CLIENTS, packets: written, handshakesPerCopy: handshakes.size }, null, 2) + '\n');
console.log(`${OUT}: ${written} packets, ${COPIES} copies of ${picked.length} packets (the connections of 1 s of ${IN}, a quarter of the client ports), 1 s apart`);
