/** What a decoder read, skipped and where it stopped, in sentences a user understands. */
import type { SkipReason } from './packet';

export interface Positioned {
  byteOffset: number;
  /** The last frame decoded before this point (0 before the first). */
  frame: number;
  message: string;
}

const MAX_WARNINGS = 100;

const SKIP_TEXT: Record<SkipReason, string> = {
  'non-ip': 'not IP',
  'non-tcp': 'IP but not TCP',
  'non-first-fragment': 'non-first IP fragments',
  'unknown-link-type': 'unknown link type',
  'bad-ip-header': 'malformed IP header',
  'truncated-ip-header': 'IP header cut short',
  'truncated-tcp-header': 'TCP header cut short',
  'bad-tcp-header': 'malformed TCP header (data offset below 5)',
  'tunnel-too-deep': 'tunnels nested too deep',
};

export class DecodeReport {
  format: 'pcap' | 'pcapng' | 'unknown' = 'unknown';
  packets = 0;
  tcpSegments = 0;
  sections = 0;
  unknownBlocks = 0;
  readonly linkTypes: number[] = [];
  readonly skipped: Partial<Record<SkipReason, number>> = {};
  readonly warnings: Positioned[] = [];
  warningCount = 0;
  /** Where decoding stopped early because of damage, or null when the whole input was read. */
  stoppedAt: Positioned | null = null;
  /** The input is not a capture at all (nothing could be read). */
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

  /** Records where decoding stopped. `truncated` marks a file that simply ends early. */
  stop(byteOffset: number, frame: number, message: string, truncated = false, unreadable = false): void {
    if (this.stoppedAt !== null) return;
    const where = frame > 0 ? `at byte ${byteOffset} (after frame ${frame})` : `at byte ${byteOffset}`;
    this.stoppedAt = { byteOffset, frame, message: `${truncated ? 'truncated' : 'stopped'} ${where}: ${message}` };
    this.unreadable = unreadable || (this.format === 'unknown' && this.packets === 0);
  }

  /** Sentences for stderr / diagnostics: what was skipped and where decoding stopped. */
  notes(): string[] {
    const out: string[] = [];
    const skipped = Object.entries(this.skipped) as [SkipReason, number][];
    if (skipped.length > 0) {
      out.push(`skipped ${skipped.reduce((a, [, n]) => a + n, 0)} packets without a TCP segment: ${skipped.map(([k, n]) => `${n} ${SKIP_TEXT[k]}`).join(', ')}`);
    }
    if (this.unknownBlocks > 0) out.push(`skipped ${this.unknownBlocks} pcapng blocks of other types`);
    for (const w of this.warnings) out.push(`byte ${w.byteOffset}: ${w.message}`);
    if (this.warningCount > this.warnings.length) out.push(`... and ${this.warningCount - this.warnings.length} more warnings`);
    if (this.stoppedAt) out.push(`${this.stoppedAt.message}; the ${this.packets} packets before it are kept`);
    return out;
  }

  summary(): string {
    return `${this.format}: ${this.packets} packets, ${this.tcpSegments} TCP segments${this.stoppedAt ? ` (${this.stoppedAt.message})` : ''}`;
  }
}
