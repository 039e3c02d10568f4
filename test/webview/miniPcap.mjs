// A minimal classic-pcap reader for the browser tests, used only while the project's decoder
// (src/node/captureFile.ts) has not landed: Ethernet or raw IP, IPv4/IPv6, TCP. It fills the
// engine's own SegmentView and appends to a SegmentTable, like any producer.
import * as fs from 'fs';

export function readPcap(file, SegmentTable, SegmentView) {
  const buf = fs.readFileSync(file);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = dv.getUint32(0, true);
  let le;
  let nsec;
  if (magic === 0xa1b2c3d4) [le, nsec] = [true, false];
  else if (magic === 0xa1b23c4d) [le, nsec] = [true, true];
  else if (dv.getUint32(0, false) === 0xa1b2c3d4) [le, nsec] = [false, false];
  else if (dv.getUint32(0, false) === 0xa1b23c4d) [le, nsec] = [false, true];
  else throw new Error(`${file}: not a classic pcap file`);
  const linktype = dv.getUint32(20, le) & 0x0fffffff;
  const table = new SegmentTable(64);
  const v = new SegmentView();
  let off = 24;
  let frame = 0;
  while (off + 16 <= buf.length) {
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const caplen = dv.getUint32(off + 8, le);
    const rec = off + 16;
    off = rec + caplen;
    if (off > buf.length) break;
    frame++;
    let p = rec;
    let etherType;
    if (linktype === 1) {
      etherType = dv.getUint16(p + 12, false);
      p += 14;
      while (etherType === 0x8100 || etherType === 0x88a8) {
        etherType = dv.getUint16(p + 2, false);
        p += 4;
      }
    } else if (linktype === 101 || linktype === 12 || linktype === 14) {
      etherType = buf[p] >> 4 === 6 ? 0x86dd : 0x0800;
    } else throw new Error(`linktype ${linktype} not supported by the test reader`);
    let proto;
    let payloadEnd;
    if (etherType === 0x0800) {
      const ihl = (buf[p] & 0x0f) * 4;
      proto = buf[p + 9];
      payloadEnd = p + dv.getUint16(p + 2, false);
      v.ipVersion = 4;
      v.src.set(buf.subarray(p + 12, p + 16));
      v.dst.set(buf.subarray(p + 16, p + 20));
      p += ihl;
    } else if (etherType === 0x86dd) {
      proto = buf[p + 6];
      payloadEnd = p + 40 + dv.getUint16(p + 4, false);
      v.ipVersion = 6;
      v.src.set(buf.subarray(p + 8, p + 24));
      v.dst.set(buf.subarray(p + 24, p + 40));
      p += 40;
    } else continue;
    if (proto !== 6) continue;
    const doff = (buf[p + 12] >> 4) * 4;
    v.frame = frame;
    v.tsSec = sec;
    v.tsNsec = nsec ? frac : frac * 1000;
    v.sport = dv.getUint16(p, false);
    v.dport = dv.getUint16(p + 2, false);
    v.seq = dv.getUint32(p + 4, false);
    v.ack = dv.getUint32(p + 8, false);
    v.flags = dv.getUint16(p + 12, false) & 0x1ff;
    v.win = dv.getUint16(p + 14, false);
    v.len = payloadEnd - p - doff;
    v.line = -1;
    v.byteOffset = rec - 16;
    table.append(v);
  }
  return table;
}
