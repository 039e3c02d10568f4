/** Real captures multiplied for tests of the streaming path: copies of a capture shifted in time. */
import * as assert from 'assert';

/** The records of a little-endian pcap file (after its 24-byte header): 16-byte header + data each. */
export function pcapRecords(bytes: Buffer): Buffer[] {
  assert.strictEqual(bytes.readUInt32LE(0), 0xa1b2c3d4, 'a little-endian microsecond pcap');
  const out: Buffer[] = [];
  for (let p = 24; p < bytes.length;) {
    const incl = bytes.readUInt32LE(p + 8);
    out.push(bytes.subarray(p, p + 16 + incl));
    p += 16 + incl;
  }
  return out;
}

/** A pcap of `n` copies of a real capture back to back, copy k shifted by k x `gap` seconds (ts_sec). */
export function pcapCopies(bytes: Buffer, n: number, gap: number): Buffer {
  const parts: Buffer[] = [bytes.subarray(0, 24)];
  for (let k = 0; k < n; k++) {
    for (const r of pcapRecords(bytes)) {
      const c = Buffer.from(r);
      c.writeUInt32LE(c.readUInt32LE(0) + k * gap, 0);
      parts.push(c);
    }
  }
  return Buffer.concat(parts);
}
