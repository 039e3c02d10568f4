/**
 * First-line detection of pasted trace text: is it tcpdump output or an RFC 793/9293 figure?
 */

import type { TraceFormat } from './types';

/** A tcpdump packet line: `... a.b.c.d.port > e.f.g.h.port: Flags [S.], ...` (IPv4 or IPv6). */
const TCPDUMP_PACKET = /\S\.[0-9A-Za-z-]+ > \S+\.[0-9A-Za-z-]+: (?:Flags \[|tcp \d)/;
/** The first line of tcpdump's -v two-line form, and other lines only tcpdump prints. */
const TCPDUMP_OTHER =
  /\bIP6? \((?:tos|flowlabel|hlim)\b|^(?:tcpdump: |reading from file |listening on |dropped privs )|\bIP6? \S+ > \S+: (?:UDP|ICMP|ICMP6)\b|\bARP, (?:Request|Reply)\b/;
/** The `TCP A ... TCP B` header (also `TCP Peer A`), a segment `<SEQ=..>`, or an arrow with a segment. */
const RFC_HEADER = /\bTCP\s+(?:Peer\s+)?A\b.*\bTCP\s+(?:Peer\s+)?B\b/;
const RFC_SEGMENT = /<(?:SEQ|ACK|CTL)=[^>]*>/i;

/**
 * The format of the first lines of a text (up to the first 20 non-blank lines are looked at;
 * comments and prose are passed over), or null when nothing looks like either format.
 */
export function detectTraceFormat(firstLines: string): TraceFormat | null {
  let seen = 0;
  let start = 0;
  const n = firstLines.length;
  while (start <= n && seen < 20) {
    let end = firstLines.indexOf('\n', start);
    if (end < 0) end = n;
    const line = firstLines.slice(start, end);
    start = end + 1;
    if (line.trim() === '') continue;
    seen++;
    if (RFC_HEADER.test(line) || RFC_SEGMENT.test(line)) return 'rfc';
    if (TCPDUMP_PACKET.test(line) || TCPDUMP_OTHER.test(line.trim())) return 'tcpdump';
  }
  return null;
}

/**
 * A regular expression (as a string) for VS Code's `contributes.languages[].firstLine` that
 * recognizes the first line of `tcpdump -nn` output in any timestamp style.
 */
export const TCPDUMP_FIRST_LINE =
  '^\\s*(?:\\d{4}-\\d\\d-\\d\\d )?(?:-?\\d+:\\d\\d:\\d\\d\\.\\d+|\\d+\\.\\d+)?\\s*(?:IP6? |[0-9a-f]{2}(?::[0-9a-f]{2}){5} ).*\\S\\.[0-9A-Za-z-]+ > \\S+\\.[0-9A-Za-z-]+: ';

/** The same for RFC figure files: a `TCP A ... TCP B` header. */
export const TCPTRACE_FIRST_LINE = '^\\s*TCP\\s+(?:Peer\\s+)?A\\b.*\\bTCP\\s+(?:Peer\\s+)?B\\b';
