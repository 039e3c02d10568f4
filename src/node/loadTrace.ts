/**
 * Loads any trace into a SegmentTable: a capture file (pcap/pcapng, by magic number), or text
 * (tcpdump output or RFC figure notation, by language id or by what the text looks like).
 * Shared by the command line and the language server. Never throws for bad input.
 */
import * as fs from 'fs';
import type { EngineStep } from '../core/engine';
import type { ParseError } from '../core/text/types';
import { SegmentTable } from '../core/model/segment';
import { decodeFile, describeFsError, looksLikeCapture, UnreadableFileError } from './captureFile';
import { parseText, type TextParse } from './parseText';

export type TraceKind = 'pcap' | 'pcapng' | 'tcpdump' | 'rfc';

export interface LoadedTrace {
  format: TraceKind | 'unknown';
  table: SegmentTable;
  input: { format: string; packets: number; tcpSegments: number; warnings: string[] };
  /** Positioned errors of text traces (0-based line and columns). */
  parseErrors: ParseError[];
  /** Explicit events (RFC figures only). */
  steps: EngineStep[] | undefined;
  /** Why nothing could be read, or null. */
  error: string | null;
  /** The text parse, for text traces. */
  text?: TextParse;
}

const LANG_TO_FORMAT: Record<string, 'tcpdump' | 'rfc'> = { 'tcpdump-text': 'tcpdump', 'tcp-trace': 'rfc' };

function empty(error: string): LoadedTrace {
  return {
    format: 'unknown',
    table: new SegmentTable(16),
    input: { format: 'unknown', packets: 0, tcpSegments: 0, warnings: [] },
    parseErrors: [],
    steps: undefined,
    error,
  };
}

/** Loads a capture file (by magic number) or a text trace file. */
export function loadTrace(source: string | { text: string; languageId?: string }): LoadedTrace {
  if (typeof source !== 'string') return loadText(source.text, source.languageId);
  let head: Uint8Array;
  try {
    const fd = fs.openSync(source, 'r');
    try {
      head = new Uint8Array(4);
      fs.readSync(fd, head, 0, 4, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    return empty(describeFsError(e, source));
  }
  if (looksLikeCapture(head)) return loadCapture(source);
  let text: string;
  try {
    text = fs.readFileSync(source, 'utf8');
  } catch (e) {
    return empty(describeFsError(e, source));
  }
  if (text.includes('\u0000')) return empty(`${source}: not a pcap or pcapng capture, and not text`);
  const lang = source.endsWith('.tcptrace') ? 'tcp-trace' : source.endsWith('.tcpdump') ? 'tcpdump-text' : undefined;
  return loadText(text, lang);
}

/** Rows decoded before the table's final size is estimated from the file size. */
const SAMPLE_ROWS = 4096;

/**
 * Decodes a capture file. `onProgress` (optional) is told the fraction of the file decoded so far,
 * about every 64k segments (the language server turns it into `$/progress`).
 */
export function loadCapture(path: string, onProgress?: (fraction: number, segments: number) => void): LoadedTrace {
  const table = new SegmentTable(SAMPLE_ROWS);
  try {
    let size = 0;
    try {
      size = fs.statSync(path).size;
    } catch {
      size = 0;
    }
    const report = decodeFile(path, (v) => {
      const row = table.append(v);
      // Once the first rows show how many bytes a segment takes in this file, the columns grow
      // once to the estimated total (instead of doubling, and copying, ten times on a large file).
      if (row === SAMPLE_ROWS - 1 && size > 0 && v.byteOffset > 0) table.reserve(Math.ceil((size / v.byteOffset) * SAMPLE_ROWS * 1.05));
      if (onProgress && (row & 0xffff) === 0xffff && size > 0) onProgress(Math.min(1, v.byteOffset / size), row + 1);
    });
    if (report.unreadable) return empty(report.stoppedAt?.message ?? 'not a capture');
    return {
      format: report.format === 'pcapng' ? 'pcapng' : 'pcap',
      table,
      input: { format: report.format, packets: report.packets, tcpSegments: report.tcpSegments, warnings: report.notes() },
      parseErrors: [],
      steps: undefined,
      error: null,
    };
  } catch (e) {
    if (e instanceof UnreadableFileError) return empty(e.message);
    throw e;
  }
}

export function loadText(text: string, languageId?: string): LoadedTrace {
  const parsed = parseText(text, languageId !== undefined ? LANG_TO_FORMAT[languageId] : undefined);
  return {
    format: parsed.format,
    table: parsed.table,
    input: { format: parsed.format, packets: parsed.table.length + parsed.skipped, tcpSegments: parsed.table.length, warnings: [] },
    parseErrors: parsed.errors,
    steps: parsed.steps,
    error: null,
    text: parsed,
  };
}
