/** What a decoder read, skipped and where it stopped, in sentences a user understands. */

/** Why a packet record yielded no TCP segment (counted in {@link DecodeReport.skipped}). */
export type SkipReason =
  /** The link layer carries something other than IP (ARP, LLDP, ...). */
  | 'non-ip'
  /** IP, but not TCP (UDP, ICMP, ESP, ...). */
  | 'non-tcp'
  /** A later fragment of an IP datagram: its TCP header is in the first fragment. */
  | 'non-first-fragment'
  /** The link type (or the pcapng interface's link type) is not one this decoder reads. */
  | 'unknown-link-type'
  /** A pcapng packet names an interface that its section never described. */
  | 'unknown-interface'
  /** The record is shorter than its link-layer header. */
  | 'truncated-link-header'
  /** Wrong IP version, IHL below 5, a total length shorter than the header. */
  | 'bad-ip-header'
  /** The record ends inside an IP header or its extension headers. */
  | 'truncated-ip-header'
  /** The record ends inside the fixed 20 bytes of the TCP header. */
  | 'truncated-tcp-header'
  /** TCP data offset below 5. */
  | 'bad-tcp-header'
  /** More nested tunnels (IP in IP, GRE, IPComp) than this decoder follows. */
  | 'tunnel-too-deep'
  /** An IPComp payload that does not inflate (or inflates beyond an IP packet's size). */
  | 'compressed'
  /** A pcapng record that is not a packet (custom block, systemd journal entry): a frame to Wireshark. */
  | 'not-a-packet';

export interface Positioned {
  /** Byte offset in the file of the record or block concerned. */
  byteOffset: number;
  /** The frame concerned, or for stoppedAt the last frame decoded before this point (0: none). */
  frame: number;
  message: string;
}

/** At most this many warnings are kept (all are counted in warningCount). */
export const MAX_WARNINGS = 100;

const SKIP_TEXT: Record<SkipReason, string> = {
  'non-ip': 'not IP',
  'non-tcp': 'IP but not TCP',
  'non-first-fragment': 'non-first IP fragments',
  'unknown-link-type': 'of an unknown link type',
  'unknown-interface': 'on an undescribed pcapng interface',
  'truncated-link-header': 'shorter than their link-layer header',
  'bad-ip-header': 'with a malformed IP header',
  'truncated-ip-header': 'with the IP header cut short',
  'truncated-tcp-header': 'with the TCP header cut short',
  'bad-tcp-header': 'with a malformed TCP header (data offset below 5)',
  'tunnel-too-deep': 'in tunnels nested too deep',
  compressed: 'with an IPComp payload that does not inflate',
  'not-a-packet': 'pcapng records that are not packets',
};

/** Link-type names for summaries (LINKTYPE_* values of the tcpdump.org registry). */
const LINK_NAMES: Record<number, string> = {
  0: 'NULL',
  1: 'Ethernet',
  9: 'PPP',
  12: 'raw IP',
  14: 'raw IP',
  50: 'PPP in HDLC',
  101: 'raw IP',
  104: 'Cisco HDLC',
  108: 'LOOP',
  113: 'Linux SLL',
  228: 'IPv4',
  229: 'IPv6',
  239: 'NFLOG',
  242: 'IPoIB',
  276: 'Linux SLL2',
};

/** "1 packet", "2 packets". */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export function linkTypeName(lt: number): string {
  const name = LINK_NAMES[lt];
  return name === undefined ? `link type ${lt}` : `${name} (${lt})`;
}

export class DecodeReport {
  format: 'pcap' | 'pcapng' | 'unknown' = 'unknown';
  /** The container in more words: "pcap 2.4, little-endian, microseconds" or "pcapng". */
  formatDetail = '';
  /** Packet records read (frames, numbered from 1, whether or not they hold TCP). */
  packets = 0;
  /** Packets that yielded a TCP segment (handed to the callback). */
  tcpSegments = 0;
  /** pcapng sections (Section Header Blocks) read. */
  sections = 0;
  /** pcapng interfaces described, over all sections. */
  interfaces = 0;
  /** pcapng blocks that are neither packets nor section/interface descriptions, skipped. */
  unknownBlocks = 0;
  /** Bytes of the input consumed by whole records and blocks. */
  bytesRead = 0;
  /** Link types seen, in order of first appearance. */
  readonly linkTypes: number[] = [];
  /** Packets without a TCP segment, counted by reason. */
  readonly skipped: Partial<Record<SkipReason, number>> = {};
  /** The first MAX_WARNINGS warnings (records that are odd but were decoded). */
  readonly warnings: Positioned[] = [];
  warningCount = 0;
  /** Where decoding stopped early because of damage or a truncated file, or null when it read all. */
  stoppedAt: Positioned | null = null;
  /** Why it stopped, without the position (stoppedAt.message has both); "" when it did not. */
  stopReason = '';
  /** Nothing could be read: not a capture, empty, or a header that cannot be read. */
  unreadable = false;

  skip(reason: SkipReason): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
  }

  addLinkType(lt: number): void {
    if (!this.linkTypes.includes(lt)) this.linkTypes.push(lt);
  }

  warn(byteOffset: number, frame: number, message: string): void {
    this.warningCount++;
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push({ byteOffset, frame, message });
  }

  /**
   * Records where decoding stopped (the first stop wins). `truncated`: the input simply ends early.
   * `unreadable`: not even the file header could be read.
   */
  stop(byteOffset: number, message: string, opts: { truncated?: boolean; unreadable?: boolean } = {}): void {
    if (this.stoppedAt !== null) return;
    const frame = this.packets;
    const where = frame > 0 ? `at byte ${byteOffset} (after frame ${frame})` : `at byte ${byteOffset}`;
    this.stoppedAt = { byteOffset, frame, message: `${opts.truncated === true ? 'truncated' : 'stopped'} ${where}: ${message}` };
    this.stopReason = message;
    this.unreadable = opts.unreadable === true;
  }

  /** Total of the skipped counts. */
  skippedTotal(): number {
    let n = 0;
    for (const k in this.skipped) n += this.skipped[k as SkipReason] ?? 0;
    return n;
  }

  /** Sentences for stderr and diagnostics: what was skipped, the warnings, where decoding stopped. */
  notes(): string[] {
    const out: string[] = [];
    const skipped = Object.entries(this.skipped) as [SkipReason, number][];
    if (skipped.length > 0) {
      out.push(`skipped ${this.skippedTotal()} of ${count(this.packets, 'packet')} without a TCP segment: ${skipped.map(([k, n]) => `${n} ${SKIP_TEXT[k]}`).join(', ')}`);
    }
    if (this.unknownBlocks > 0) out.push(`skipped ${count(this.unknownBlocks, 'pcapng block')} of other types`);
    for (const w of this.warnings) out.push(`byte ${w.byteOffset}${w.frame > 0 ? ` (frame ${w.frame})` : ''}: ${w.message}`);
    if (this.warningCount > this.warnings.length) out.push(`... and ${count(this.warningCount - this.warnings.length, 'more warning')}`);
    if (this.stoppedAt !== null) {
      out.push(this.unreadable ? this.stoppedAt.message : `${this.stoppedAt.message}; the ${count(this.packets, 'packet')} before it ${this.packets === 1 ? 'is' : 'are'} kept`);
    }
    return out;
  }

  /** One line: format, link types, counts, and where decoding stopped (details in notes()). */
  summary(): string {
    if (this.format === 'unknown') return this.stoppedAt?.message ?? 'not a capture';
    const links = this.linkTypes.length > 0 ? `, ${this.linkTypes.map(linkTypeName).join(', ')}` : '';
    const skipped = this.skippedTotal();
    const stop = this.stoppedAt === null ? '' : `; ${this.stoppedAt.message}`;
    return `${this.formatDetail || this.format}${links}: ${count(this.packets, 'packet')}, ${count(this.tcpSegments, 'TCP segment')}${skipped > 0 ? `, ${skipped} skipped` : ''}${stop}`;
  }
}
