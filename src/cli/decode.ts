/**
 * `teardown-tracer decode FILE [--format text|jsonl|count] [--stats]`: every TCP segment of a
 * capture, in frame order.
 *
 * - `jsonl` is a contract (README): one JSON object per segment.
 * - `text` (the default): tcpdump-like lines, prefixed with the frame number.
 * - `count`: no per-segment output; the report's summary and counts (the benchmark times decoding
 *   alone with it).
 * - `--stats`: decode time, packets/s and MB/s on stderr.
 *
 * Exit status: 0 when the file was read (warnings, skipped counts and where decoding stopped go to
 * stderr), 2 when it cannot be read at all (missing, not a capture) or the arguments are wrong.
 */
import { jsonLine, textLine, type DecodeReport } from '../core/decode';
import type { SegmentView } from '../core/model/segment';
import { decodeFile, UnreadableFileError } from '../node/captureFile';
import type { CliIO } from './main';

type Format = 'text' | 'jsonl' | 'count';

const USAGE = 'usage: teardown-tracer decode FILE [--format text|jsonl|count] [--stats]\n';

/**
 * Output gathered into strings of ~64 Ki characters: one write per chunk, never one per line. Not
 * larger: a chunk still being built when the garbage collector runs is copied, and big ones get
 * promoted (1 MiB chunks made `decode` of the bench capture 2.7x slower).
 */
class BufferedOut {
  private text = '';
  constructor(
    private readonly io: CliIO,
    private readonly limit = 1 << 16,
  ) {}
  add(s: string): void {
    // Concatenation builds a rope that is flattened once, on write (cheaper than join()).
    this.text += s;
    if (this.text.length >= this.limit) this.flush();
  }
  flush(): void {
    if (this.text === '') return;
    this.io.out(this.text);
    this.text = '';
  }
}

function parseArgs(args: string[]): { file: string; format: Format; stats: boolean } | string {
  let format: Format = 'text';
  let stats = false;
  let file: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--format' || a.startsWith('--format=')) {
      const f = a === '--format' ? args[++i] : a.slice('--format='.length);
      if (f !== 'text' && f !== 'jsonl' && f !== 'count') return `--format takes text, jsonl or count, not '${f ?? ''}'`;
      format = f;
    } else if (a === '--stats') stats = true;
    else if (a === '-h' || a === '--help') return '';
    else if (a.startsWith('-') && a !== '-') return `unknown option '${a}'`;
    else if (file === null) file = a;
    else return `unexpected argument '${a}' (one FILE only)`;
  }
  if (file === null) return 'no input file';
  return { file, format, stats };
}

/** The counts behind `--format count`: the summary line, then one line per skip reason. */
function countText(file: string, r: DecodeReport): string {
  const lines = [`${file}: ${r.summary()}`];
  for (const [reason, n] of Object.entries(r.skipped)) lines.push(`  skipped ${reason}: ${n}`);
  if (r.unknownBlocks > 0) lines.push(`  pcapng blocks of other types: ${r.unknownBlocks}`);
  if (r.warningCount > 0) lines.push(`  warnings: ${r.warningCount}`);
  return `${lines.join('\n')}\n`;
}

export async function runDecode(args: string[], io: CliIO): Promise<number> {
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    if (parsed === '') {
      io.out(USAGE);
      return 0;
    }
    io.err(`teardown-tracer decode: ${parsed}\n${USAGE}`);
    return 2;
  }
  const { file, format, stats } = parsed;
  const out = new BufferedOut(io);
  const line = format === 'jsonl' ? jsonLine : format === 'text' ? textLine : null;
  const onSegment = line === null ? () => undefined : (v: SegmentView) => out.add(line(v));
  const t0 = process.hrtime.bigint();
  let report: DecodeReport;
  try {
    report = decodeFile(file, onSegment);
  } catch (e) {
    if (e instanceof UnreadableFileError) {
      io.err(`teardown-tracer decode: cannot read ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (report.unreadable) {
    out.flush();
    io.err(`teardown-tracer decode: cannot read ${file}: ${report.stopReason || 'not a capture'}\n`);
    return 2;
  }
  if (format === 'count') out.add(countText(file, report));
  out.flush();
  for (const note of report.notes()) io.err(`${file}: ${note}\n`);
  if (stats) {
    const secs = ms / 1000;
    io.err(
      `decoded ${report.packets} packets (${report.tcpSegments} TCP segments, ${report.bytesRead} bytes) in ${ms.toFixed(1)} ms: ` +
        `${Math.round(report.packets / secs)} packets/s, ${(report.bytesRead / 1e6 / secs).toFixed(1)} MB/s\n`,
    );
  }
  return 0;
}
