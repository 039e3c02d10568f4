/**
 * The segment model shared by every producer (capture decoders, text parsers) and consumer
 * (engine, reports, language server).
 *
 * Producers fill ONE reusable {@link SegmentView} per segment and hand it to a callback: no object
 * is allocated per packet on the hot path. Consumers that need to keep segments append the view to
 * a {@link SegmentTable}, a column store of typed arrays (one row per TCP segment).
 */

import { formatAddress, parseIPv4, parseIPv6 } from './address';

/** TCP flag bits as in the 12-bit flags field (tshark's `tcp.flags`). */
export const FIN = 0x001;
export const SYN = 0x002;
export const RST = 0x004;
export const PSH = 0x008;
export const ACK = 0x010;
export const URG = 0x020;
export const ECE = 0x040;
export const CWR = 0x080;
export const AE = 0x100;

/** Bits of the `opts` column: which TCP options the segment carried. */
export const OPT_MSS = 0x01;
export const OPT_WSCALE = 0x02;
export const OPT_SACK_PERM = 0x04;
export const OPT_TIMESTAMP = 0x08;
export const OPT_SACK = 0x10;
/** Not an option: the source gave no window (an RFC figure without <WND=n>); `win` is then 0 and means nothing. */
export const OPT_NO_WINDOW = 0x80;

/**
 * One TCP segment, as a producer sees it. Reused: a consumer must copy what it keeps before the
 * producer's next callback.
 */
export class SegmentView {
  /** 1-based frame number over all packet records of the file (as Wireshark counts). 0 for text. */
  frame = 0;
  /** Timestamp: whole seconds since the epoch (NaN when the source gives no time). */
  tsSec = 0;
  /** Timestamp: nanoseconds within the second, 0..999,999,999. */
  tsNsec = 0;
  /** IP version of the innermost IP header before TCP. */
  ipVersion: 4 | 6 = 4;
  /** Source address: 4 bytes used for IPv4, 16 for IPv6. */
  readonly src = new Uint8Array(16);
  readonly dst = new Uint8Array(16);
  sport = 0;
  dport = 0;
  /** Raw (absolute) sequence and acknowledgment numbers, unsigned 32-bit. */
  seq = 0;
  ack = 0;
  /** The 12-bit flags field. */
  flags = 0;
  /** TCP payload length, from the IP length (as tshark's tcp.len), even when the record is truncated. */
  len = 0;
  /** Raw window field (not scaled). */
  win = 0;
  /**
   * The IP packet's length as its header gives it (IPv4 total length, IPv6 40 + payload length),
   * even when that is 0 (segmentation offload): what Zeek's conn.log counts as ip_bytes. 0 when the
   * source gives none (text traces).
   */
  ipBytes = 0;
  /**
   * The IP and TCP headers' length (bytes before the payload): with ipBytes, the payload length
   * the IP header claims (what Zeek counts), which exceeds `len` when the link layer carried less.
   */
  hdrBytes = 0;
  /** OPT_* bits. */
  opts = 0;
  mss = 0;
  wscale = 0;
  tsVal = 0;
  tsEcr = 0;
  sackBlocks = 0;
  /** IPv4 TTL or IPv6 hop limit of the innermost IP header (0 when the source does not give it). */
  ttl = 0;
  /** IPv4 identification field, -1 for IPv6 or when the source does not give it. */
  ipId = -1;
  /** For text sources: the 0-based line the segment was read from (-1 for captures). */
  line = -1;
  /** For captures: byte offset of the packet record in the file (-1 for text). */
  byteOffset = -1;
  /** Which file of a set of capture files analyzed as one capture (`SegmentTable.files`); 0 otherwise. */
  file = 0;

  /** The time as "seconds.nnnnnnnnn" (nine fraction digits), or "" when unknown. */
  timeString(): string {
    return formatTime(this.tsSec, this.tsNsec);
  }

  srcString(): string {
    return formatAddress(this.ipVersion, this.src);
  }

  dstString(): string {
    return formatAddress(this.ipVersion, this.dst);
  }
}

/** Formats seconds + nanoseconds as a decimal string with nine fraction digits. */
export function formatTime(sec: number, nsec: number): string {
  if (Number.isNaN(sec)) return '';
  let s = sec;
  let ns = nsec;
  if (s < 0 && ns > 0) {
    // e.g. -1.25 s is stored as sec=-2, nsec=750000000
    s = s + 1;
    ns = 1_000_000_000 - ns;
    const frac = String(ns).padStart(9, '0');
    return `${s === 0 ? '-0' : String(s)}.${frac}`;
  }
  return `${s}.${String(ns).padStart(9, '0')}`;
}

/** One side of a connection: an address and a port. */
export interface Endpoint {
  readonly ipVersion: 4 | 6;
  /** Printable address (dotted IPv4, RFC 5952 IPv6). */
  readonly addr: string;
  readonly port: number;
}

/** Interns endpoints (address + port) to small integer ids. */
export class EndpointTable {
  readonly list: Endpoint[] = [];
  /**
   * IPv4 endpoints in an open-addressing hash table (the hot path: two lookups per decoded
   * segment). Slot i is v4Slots[4i..4i+3]: the address, the port + 1 (0 = empty), the endpoint id
   * and padding, so that a probe reads one cache line, not one line in each of three arrays.
   */
  private v4Slots: Int32Array;
  private v4Count = 0;
  private readonly other = new Map<string, number>();
  /** Per id: an IPv4 endpoint's address and port + 1 (0 for any other endpoint), read without parsing its text. */
  private addr4 = new Int32Array(1024);
  private port4 = new Int32Array(1024);

  /** @param expected About how many endpoints the table will have (its hash table is made that big at once). */
  constructor(expected = 512) {
    let slots = 1024;
    while (slots < 2 * expected) slots *= 2;
    this.v4Slots = new Int32Array(4 * slots);
  }

  /** The id of the source (which=0) or destination (which=1) endpoint of a view. */
  internView(v: SegmentView, which: 0 | 1): number {
    const bytes = which === 0 ? v.src : v.dst;
    const port = which === 0 ? v.sport : v.dport;
    if (v.ipVersion === 4) {
      const key = (bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3];
      return this.v4(key, port, bytes);
    }
    const addr = formatAddress(6, bytes);
    return this.intern(6, addr, port);
  }

  /** The id of an endpoint given as text (text parsers); the same id a view of it would get. */
  intern(ipVersion: 4 | 6, addr: string, port: number): number {
    if (ipVersion === 4) {
      const b = new Uint8Array(4);
      if (parseIPv4(addr, b)) return this.v4((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3], port, b);
    } else {
      const b = new Uint8Array(16);
      if (parseIPv6(addr, b)) addr = formatAddress(6, b);
    }
    const key = `${ipVersion}|${addr}|${port}`;
    let id = this.other.get(key);
    if (id === undefined) {
      id = this.list.length;
      this.list.push({ ipVersion, addr, port });
      this.other.set(key, id);
    }
    return id;
  }

  /**
   * The id here of endpoint `id` of another table (its object itself kept, not made again): how
   * the streaming analysis moves the endpoints still in use into a new table (stream.ts), and how
   * an index keeps the endpoints of the connections it was given.
   */
  internEndpoint(from: EndpointTable, id: number): number {
    const e = from.list[id];
    const port1 = from.v4Port1(id);
    if (port1 !== 0) return this.v4(from.addr4[id], port1 - 1, this.scratch4, e);
    return this.intern(e.ipVersion, e.addr, e.port);
  }

  private readonly scratch4 = new Uint8Array(4);

  /** Endpoint `id`'s port + 1 when it is an IPv4 endpoint interned here, else 0 (another endpoint, or one given by `extend`). */
  v4Port1(id: number): number {
    return this.port4[id] | 0;
  }

  /** An IPv4 endpoint's address as a signed 32-bit integer (first byte highest). */
  v4Address(id: number): number {
    return this.addr4[id];
  }

  /** The number of endpoints (ids 0 .. size - 1). */
  get size(): number {
    return this.list.length;
  }

  /** The slot of an address (as a signed 32-bit integer) and port + 1 in a table of `mask + 1` slots. */
  private static home(addr: number, port1: number, mask: number): number {
    const i = (Math.imul(addr, 0x9e3779b1) ^ Math.imul(port1, 0x85ebca6b)) >>> 0;
    return (i ^ (i >>> 15)) & mask;
  }

  private v4(addr: number, port: number, bytes: Uint8Array, e?: Endpoint): number {
    const slots = this.v4Slots;
    const mask = (slots.length >> 2) - 1;
    const port1 = port + 1;
    let i = EndpointTable.home(addr, port1, mask);
    for (;;) {
      const p = slots[4 * i + 1];
      if (p === 0) break;
      if (p === port1 && slots[4 * i] === addr) return slots[4 * i + 2];
      i = (i + 1) & mask;
    }
    const id = this.list.length;
    this.list.push(e ?? { ipVersion: 4, addr: formatAddress(4, bytes), port });
    if (id === this.addr4.length) {
      this.addr4 = grownColumn(this.addr4, 2 * id);
      this.port4 = grownColumn(this.port4, 2 * id);
    }
    this.addr4[id] = addr;
    this.port4[id] = port1;
    slots[4 * i] = addr;
    slots[4 * i + 1] = port1;
    slots[4 * i + 2] = id;
    if (++this.v4Count * 2 > mask + 1) this.growV4();
    return id;
  }

  private growV4(): void {
    const old = this.v4Slots;
    const slots = new Int32Array(old.length * 2);
    const mask = (slots.length >> 2) - 1;
    for (let j = 0; j < old.length; j += 4) {
      const p = old[j + 1];
      if (p === 0) continue;
      let i = EndpointTable.home(old[j], p, mask);
      while (slots[4 * i + 1] !== 0) i = (i + 1) & mask;
      slots[4 * i] = old[j];
      slots[4 * i + 1] = p;
      slots[4 * i + 2] = old[j + 2];
    }
    this.v4Slots = slots;
  }

  get(id: number): Endpoint {
    return this.list[id];
  }

  /**
   * Endpoints interned by another table, given in id order from this table's size on: a copy on
   * another thread of the ids a batch's rows use (not interned again: `get` only).
   */
  extend(from: number, endpoints: readonly Endpoint[]): void {
    if (from !== this.list.length) throw new Error(`internal: endpoints from ${from} given to a table of ${this.list.length}`);
    for (const e of endpoints) this.list.push(e);
  }
}

/** Any typed-array column. */
export type Column = Uint8Array | Uint16Array | Uint32Array | Int32Array | Int8Array | Float64Array;

/** A copy of a column with room for `n` elements (the rest zero): how every column store grows. */
export function grownColumn<T extends Column>(a: T, n: number, shared = false): T {
  const b = newColumn(a.constructor as new (b: ArrayBufferLike | number) => T, n, shared);
  b.set(a);
  return b;
}

/** A column of n zeros, in shared memory (a SharedArrayBuffer) or not. */
function newColumn<T extends Column>(C: new (b: ArrayBufferLike | number) => T, n: number, shared: boolean): T {
  if (!shared) return new C(n);
  return new C(new SharedArrayBuffer(n * (C as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT));
}

/** The columns of a SegmentTable by name: what a batch of rows sends to another thread (each column's buffer, transferred). */
export const SEGMENT_COLUMNS = ['frame', 'tsSec', 'tsNsec', 'src', 'dst', 'seq', 'ack', 'flags', 'len', 'win', 'ipBytes', 'hdrBytes', 'opts', 'mss', 'wscale', 'tsVal', 'tsEcr', 'sackBlocks', 'ttl', 'ipId', 'line', 'file'] as const;
export type SegmentColumns = { [K in (typeof SEGMENT_COLUMNS)[number]]: SegmentTable[K] };

/**
 * A column store of segments: row i is the i-th segment in source order.
 * Columns grow by doubling; `length` is the number of rows in use.
 */
export class SegmentTable {
  length = 0;
  /**
   * The endpoints the `src` and `dst` columns name. Replaced only by the streaming analysis's held
   * rows, which move to a new table (ids renumbered) the endpoints their connections still use
   * (stream.ts): a table made of those rows keeps the table it was made with.
   */
  endpoints: EndpointTable;
  frame: Uint32Array;
  tsSec: Float64Array;
  tsNsec: Uint32Array;
  src: Uint32Array;
  dst: Uint32Array;
  seq: Uint32Array;
  ack: Uint32Array;
  flags: Uint16Array;
  len: Uint32Array;
  win: Uint32Array;
  ipBytes: Uint32Array;
  hdrBytes: Uint16Array;
  opts: Uint8Array;
  mss: Uint16Array;
  wscale: Uint8Array;
  tsVal: Uint32Array;
  tsEcr: Uint32Array;
  sackBlocks: Uint8Array;
  /** IPv4 TTL / IPv6 hop limit (0: not known); IPv4 identification (-1: none). */
  ttl: Uint8Array;
  ipId: Int32Array;
  /** A text trace's line of each row (0-based), -1 for a capture's. */
  line: Int32Array;
  /**
   * True once a row with a line was appended (a text trace's), or for columns from elsewhere
   * (`withColumns`): else every row's line is -1, and `appendRows` fills it rather than copies it.
   */
  hasLines = false;
  /** The file of each row, an index into `files` (all 0 for a single input: then `appendRows` does not copy it). */
  file: Uint16Array;
  /**
   * The names of the capture files merged into this table (by timestamp), when there are several:
   * frame numbers count per file, and every reference names the file (`frameName`).
   */
  files: readonly string[] | undefined;

  /**
   * @param shared Columns in shared memory (SharedArrayBuffer), readable by other threads (the
   *   parallel analysis's held rows, copied into each batch by the worker that analyzes it).
   */
  constructor(capacity = 1024, endpoints = new EndpointTable(), files?: readonly string[], readonly shared = false) {
    const n = Math.max(16, capacity);
    this.endpoints = endpoints;
    const col = <T extends Column>(C: new (b: ArrayBufferLike | number) => T): T => newColumn(C, n, shared);
    this.frame = col(Uint32Array);
    this.tsSec = col(Float64Array);
    this.tsNsec = col(Uint32Array);
    this.src = col(Uint32Array);
    this.dst = col(Uint32Array);
    this.seq = col(Uint32Array);
    this.ack = col(Uint32Array);
    this.flags = col(Uint16Array);
    this.len = col(Uint32Array);
    this.win = col(Uint32Array);
    this.ipBytes = col(Uint32Array);
    this.hdrBytes = col(Uint16Array);
    this.opts = col(Uint8Array);
    this.mss = col(Uint16Array);
    this.wscale = col(Uint8Array);
    this.tsVal = col(Uint32Array);
    this.tsEcr = col(Uint32Array);
    this.sackBlocks = col(Uint8Array);
    this.ttl = col(Uint8Array);
    this.ipId = col(Int32Array);
    this.line = col(Int32Array);
    this.file = col(Uint16Array);
    this.files = files;
  }

  get capacity(): number {
    return this.frame.length;
  }

  /** The columns themselves (not copies), for another thread (see `withColumns`). */
  columns(): SegmentColumns {
    const c = {} as Record<string, Column>;
    for (const k of SEGMENT_COLUMNS) c[k] = this[k];
    return c as SegmentColumns;
  }

  /** A table over columns made by `columns()` (on another thread: transferred), with `length` rows in use. */
  static withColumns(columns: SegmentColumns, length: number, endpoints: EndpointTable, files?: readonly string[]): SegmentTable {
    const t = new SegmentTable(0, endpoints, files);
    Object.assign(t, columns);
    t.length = length;
    t.hasLines = true;
    return t;
  }

  /** Grows the columns once to hold at least `rows` rows (producers that can estimate their size). */
  reserve(rows: number): void {
    if (rows > this.frame.length) this.grow(rows);
  }

  /** Copies a view into a new row and returns the row index. */
  append(v: SegmentView): number {
    if (this.length === this.frame.length) this.grow();
    const i = this.length++;
    this.frame[i] = v.frame;
    this.tsSec[i] = v.tsSec;
    this.tsNsec[i] = v.tsNsec;
    this.src[i] = this.endpoints.internView(v, 0);
    this.dst[i] = this.endpoints.internView(v, 1);
    this.seq[i] = v.seq;
    this.ack[i] = v.ack;
    this.flags[i] = v.flags;
    this.len[i] = v.len;
    this.win[i] = v.win;
    this.ipBytes[i] = v.ipBytes;
    this.hdrBytes[i] = v.hdrBytes;
    this.opts[i] = v.opts;
    this.mss[i] = v.mss;
    this.wscale[i] = v.wscale;
    this.tsVal[i] = v.tsVal;
    this.tsEcr[i] = v.tsEcr;
    this.sackBlocks[i] = v.sackBlocks;
    this.ttl[i] = v.ttl;
    this.ipId[i] = v.ipId;
    this.line[i] = v.line;
    if (v.line >= 0) this.hasLines = true;
    this.file[i] = v.file;
    return i;
  }

  /** Time of row i in seconds as a float (for display and durations only; not exact). */
  /** Fills `v` with row r (addresses parsed back from the endpoint table: not for hot paths). */
  fillView(r: number, v: SegmentView): void {
    const src = this.endpoints.get(this.src[r]);
    const dst = this.endpoints.get(this.dst[r]);
    v.frame = this.frame[r];
    v.tsSec = this.tsSec[r];
    v.tsNsec = this.tsNsec[r];
    v.ipVersion = src.ipVersion;
    v.src.fill(0);
    v.dst.fill(0);
    if (src.ipVersion === 4) {
      parseIPv4(src.addr, v.src);
      parseIPv4(dst.addr, v.dst);
    } else {
      parseIPv6(src.addr, v.src);
      parseIPv6(dst.addr, v.dst);
    }
    v.sport = src.port;
    v.dport = dst.port;
    v.seq = this.seq[r];
    v.ack = this.ack[r];
    v.flags = this.flags[r];
    v.len = this.len[r];
    v.win = this.win[r];
    v.ipBytes = this.ipBytes[r];
    v.hdrBytes = this.hdrBytes[r];
    v.opts = this.opts[r];
    v.mss = this.mss[r];
    v.wscale = this.wscale[r];
    v.tsVal = this.tsVal[r];
    v.tsEcr = this.tsEcr[r];
    v.sackBlocks = this.sackBlocks[r];
    v.ttl = this.ttl[r];
    v.ipId = this.ipId[r];
    v.line = this.line[r];
    v.file = this.file[r];
  }

  /**
   * Appends the given rows of another table that shares this table's endpoint table (or of this
   * table itself, `rows` increasing: a compaction after `length = 0`), column by column: each
   * column is one pass of increasing reads and sequential writes, where a row at a time would
   * touch every column's memory for every row.
   */
  appendRows(from: SegmentTable, rows: Int32Array): void {
    const at = this.length;
    if (at + rows.length > this.frame.length) this.grow(at + rows.length);
    gatherU32(this.frame, from.frame, rows, at);
    gatherF64(this.tsSec, from.tsSec, rows, at);
    gatherU32(this.tsNsec, from.tsNsec, rows, at);
    gatherU32(this.src, from.src, rows, at);
    gatherU32(this.dst, from.dst, rows, at);
    gatherU32(this.seq, from.seq, rows, at);
    gatherU32(this.ack, from.ack, rows, at);
    gatherU16(this.flags, from.flags, rows, at);
    gatherU32(this.len, from.len, rows, at);
    gatherU32(this.win, from.win, rows, at);
    gatherU32(this.ipBytes, from.ipBytes, rows, at);
    gatherU16(this.hdrBytes, from.hdrBytes, rows, at);
    gatherU8(this.opts, from.opts, rows, at);
    gatherU16(this.mss, from.mss, rows, at);
    gatherU8(this.wscale, from.wscale, rows, at);
    gatherU32(this.tsVal, from.tsVal, rows, at);
    gatherU32(this.tsEcr, from.tsEcr, rows, at);
    gatherU8(this.sackBlocks, from.sackBlocks, rows, at);
    gatherU8(this.ttl, from.ttl, rows, at);
    gatherI32(this.ipId, from.ipId, rows, at);
    // A capture's rows have no lines, and one file's rows all file 0 (nor is the column read then).
    if (from.hasLines) {
      gatherI32(this.line, from.line, rows, at);
      this.hasLines = true;
    } else this.line.fill(-1, at, at + rows.length);
    if (from.files !== undefined) gatherU16(this.file, from.file, rows, at);
    this.length = at + rows.length;
  }

  time(i: number): number {
    return this.tsSec[i] + this.tsNsec[i] / 1e9;
  }

  /** Time of row i as an exact decimal string with nine fraction digits ("" if unknown). */
  timeString(i: number): string {
    return formatTime(this.tsSec[i], this.tsNsec[i]);
  }

  private grow(atLeast = 0): void {
    const n = Math.max(this.frame.length * 2, atLeast);
    const g = <T extends Column>(a: T): T => grownColumn(a, n, this.shared);
    this.frame = g(this.frame);
    this.tsSec = g(this.tsSec);
    this.tsNsec = g(this.tsNsec);
    this.src = g(this.src);
    this.dst = g(this.dst);
    this.seq = g(this.seq);
    this.ack = g(this.ack);
    this.flags = g(this.flags);
    this.len = g(this.len);
    this.win = g(this.win);
    this.ipBytes = g(this.ipBytes);
    this.hdrBytes = g(this.hdrBytes);
    this.opts = g(this.opts);
    this.mss = g(this.mss);
    this.wscale = g(this.wscale);
    this.tsVal = g(this.tsVal);
    this.tsEcr = g(this.tsEcr);
    this.sackBlocks = g(this.sackBlocks);
    this.ttl = g(this.ttl);
    this.ipId = g(this.ipId);
    this.line = g(this.line);
    this.file = g(this.file);
  }

  /** Row r's frame as a reference: its number, and its file's name first when there are several files (`a.pcap:8`). */
  frameName(r: number): string {
    return this.files === undefined ? String(this.frame[r]) : `${this.files[this.file[r]]}:${this.frame[r]}`;
  }

  /** The file name of row r when there are several files, else undefined. */
  fileName(r: number): string | undefined {
    return this.files === undefined ? undefined : this.files[this.file[r]];
  }
}

// appendRows' column copies, one function per element type so that each stays monomorphic.
function gatherU32(d: Uint32Array, s: Uint32Array, rows: Int32Array, at: number): void {
  for (let i = 0; i < rows.length; i++) d[at + i] = s[rows[i]];
}
function gatherI32(d: Int32Array, s: Int32Array, rows: Int32Array, at: number): void {
  for (let i = 0; i < rows.length; i++) d[at + i] = s[rows[i]];
}
function gatherU16(d: Uint16Array, s: Uint16Array, rows: Int32Array, at: number): void {
  for (let i = 0; i < rows.length; i++) d[at + i] = s[rows[i]];
}
function gatherU8(d: Uint8Array, s: Uint8Array, rows: Int32Array, at: number): void {
  for (let i = 0; i < rows.length; i++) d[at + i] = s[rows[i]];
}
function gatherF64(d: Float64Array, s: Float64Array, rows: Int32Array, at: number): void {
  for (let i = 0; i < rows.length; i++) d[at + i] = s[rows[i]];
}

/** tcpdump's flag letters in tcpdump's own order (print-tcp.c tcp_flag_values): F S R P . U E W e. */
export function flagLetters(flags: number): string {
  let s = '';
  if (flags & FIN) s += 'F';
  if (flags & SYN) s += 'S';
  if (flags & RST) s += 'R';
  if (flags & PSH) s += 'P';
  if (flags & ACK) s += '.';
  if (flags & URG) s += 'U';
  if (flags & ECE) s += 'E';
  if (flags & CWR) s += 'W';
  if (flags & AE) s += 'e';
  return s === '' ? 'none' : s;
}

/** Control bits as the RFC figures write them: `SYN,ACK`, `FIN,ACK`, `RST` (ACK last). */
export function flagNames(flags: number): string {
  const out: string[] = [];
  if (flags & SYN) out.push('SYN');
  if (flags & FIN) out.push('FIN');
  if (flags & RST) out.push('RST');
  if (flags & PSH) out.push('PSH');
  if (flags & URG) out.push('URG');
  if (flags & ECE) out.push('ECE');
  if (flags & CWR) out.push('CWR');
  if (flags & AE) out.push('AE');
  if (flags & ACK) out.push('ACK');
  return out.join(',');
}
