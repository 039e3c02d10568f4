/**
 * Dispatches text to the tcpdump or RFC-notation parser (src/core/text), by the language id the
 * editor gives or by what the first lines look like.
 */
import type { EngineStep } from '../core/engine';
import { SegmentTable } from '../core/model/segment';

export interface TextParse {
  format: 'tcpdump' | 'rfc';
  table: SegmentTable;
  errors: { line: number; startCol: number; endCol: number; message: string }[];
  skipped: number;
  steps: EngineStep[] | undefined;
}

export function parseText(_text: string, format?: 'tcpdump' | 'rfc'): TextParse {
  // Replaced by the real parsers as soon as src/core/text lands (issue 4).
  return {
    format: format ?? 'tcpdump',
    table: new SegmentTable(16),
    errors: [{ line: 0, startCol: 0, endCol: 1, message: 'text traces cannot be read yet: the text parsers are not built' }],
    skipped: 0,
    steps: undefined,
  };
}
