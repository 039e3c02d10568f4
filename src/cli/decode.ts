/**
 * `teardown-tracer decode FILE`: every TCP segment of a capture, in frame order.
 * `--format jsonl` is a contract (see README); `text` is tcpdump-like; `count` prints only totals.
 */
import { flagLetters, type SegmentView } from '../core/model/segment';
import { decodeFile, UnreadableFileError } from '../node/captureFile';
import type { CliIO } from './main';

type Format = 'text' | 'jsonl' | 'count';

/** Collects output in large chunks: one write per ~1 MiB, not one per line. */
class BufferedOut {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly io: CliIO) {}
  add(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size > 1 << 20) this.flush();
  }
  flush(): void {
    if (this.parts.length > 0) this.io.out(this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

function jsonLine(v: SegmentView): string {
  return `{"frame":${v.frame},"time":"${v.timeString()}","src":"${v.srcString()}","sport":${v.sport},"dst":"${v.dstString()}","dport":${v.dport},"seq":${v.seq},"ack":${v.ack},"flags":${v.flags},"len":${v.len},"win":${v.win}}\n`;
}

function textLine(v: SegmentView): string {
  const ip = v.ipVersion === 4 ? 'IP' : 'IP6';
  let s = `${v.frame} ${v.timeString()} ${ip} ${v.srcString()}.${v.sport} > ${v.dstString()}.${v.dport}: Flags [${flagLetters(v.flags)}]`;
  if (v.len > 0 || v.flags & 0x07) s += `, seq ${v.seq}${v.len > 0 ? `:${(v.seq + v.len) >>> 0}` : ''}`;
  if (v.flags & 0x10) s += `, ack ${v.ack}`;
  return `${s}, win ${v.win}, length ${v.len}\n`;
}

export async function runDecode(args: string[], io: CliIO): Promise<number> {
  let format: Format = 'text';
  let stats = false;
  let file: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--format') {
      const f = args[++i];
      if (f !== 'text' && f !== 'jsonl' && f !== 'count') {
        io.err(`teardown-tracer decode: --format takes text, jsonl or count, not '${f ?? ''}'\n`);
        return 2;
      }
      format = f;
    } else if (a === '--stats') stats = true;
    else if (a.startsWith('-')) {
      io.err(`teardown-tracer decode: unknown option '${a}'\n`);
      return 2;
    } else if (file === null) file = a;
    else {
      io.err(`teardown-tracer decode: unexpected argument '${a}'\n`);
      return 2;
    }
  }
  if (file === null) {
    io.err('teardown-tracer decode: no input file\n');
    return 2;
  }
  const out = new BufferedOut(io);
  const line = format === 'jsonl' ? jsonLine : format === 'text' ? textLine : null;
  const t0 = process.hrtime.bigint();
  let report;
  try {
    report = decodeFile(file, line === null ? () => undefined : (v) => out.add(line(v)));
  } catch (e) {
    if (e instanceof UnreadableFileError) {
      io.err(`teardown-tracer decode: cannot read ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (format === 'count') out.add(`${report.summary()}\n`);
  out.flush();
  if (report.unreadable) {
    io.err(`teardown-tracer decode: cannot read ${file}: ${report.stoppedAt?.message ?? 'not a capture'}\n`);
    return 2;
  }
  for (const note of report.notes()) io.err(`${file}: ${note}\n`);
  if (stats) {
    io.err(`decoded ${report.packets} packets (${report.tcpSegments} TCP segments) in ${ms.toFixed(1)} ms: ${Math.round(report.packets / (ms / 1000))} packets/s\n`);
  }
  return 0;
}
