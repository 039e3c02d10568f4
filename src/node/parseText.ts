/**
 * Dispatches text to the tcpdump or RFC-notation parser (src/core/text), by the language id the
 * editor gives or by what the first lines look like.
 */
import type { TraceParse } from '../core/text/types';
import { detectTraceFormat, parseTcpdump } from '../core/text/tcpdump';
import { parseRfcTrace } from '../core/text/rfc';

export type TextParse = TraceParse;

export function parseText(text: string, format?: 'tcpdump' | 'rfc'): TextParse {
  const f = format ?? detectTraceFormat(text.slice(0, 4000)) ?? 'tcpdump';
  return f === 'rfc' ? parseRfcTrace(text) : parseTcpdump(text);
}
