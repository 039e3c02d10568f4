/**
 * `teardown-tracer analyze FILE --report overview.html`: the Teardown overview (the VS Code panel's
 * plots) as one self-contained HTML file, for a ticket or a CI artifact. The overview comes from
 * the same builder the language server uses (src/core/report/overview.ts), fed with the streaming
 * analysis' batches for captures (bounded memory) or the whole analysis of a text trace; the page
 * is the webview's (src/shared/overviewPage.ts) with dist/overview.js and the data inline.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { analyze, type Analysis, type Connection, type EngineOptions } from '../core/engine';
import { StreamingAnalysis } from '../core/engine/stream';
import { filterArg, SEVERITY_RANK } from './streamOutput';
import { matchingConnections } from '../core/filter/context';
import { OverviewBuilder, type Overview } from '../core/report/overview';
import { UnreadableFileError } from '../node/captureFile';
import { decodeStream } from '../node/captureStream';
import { loadTrace } from '../node/loadTrace';
import { overviewPageHtml } from '../shared/overviewPage';
import type { CliIO } from './main';

export interface ReportRun {
  file: string;
  /** Where the HTML goes. */
  target: string;
  /** Read as a capture (streamed) rather than a text trace. */
  capture: boolean;
  filter: string | null;
  engine: Partial<EngineOptions>;
  /** Exit 1 when a finding at least this severe exists (its rank), or null. */
  failRank: number | null;
}

/** Connection ids the report keeps per mark (shown when a mark is clicked). */
const SAMPLES = 8;

/** dist/overview.js, beside dist/cli.js (or, from the compiled tests in out/, in dist/). */
function overviewScript(): string {
  const candidates = [path.join(__dirname, 'overview.js'), path.resolve(__dirname, '../../../dist/overview.js')];
  // Without its source map comment: the report is one file.
  for (const p of candidates) if (fs.existsSync(p)) return fs.readFileSync(p, 'utf8').replace(/\n?\/\/# sourceMappingURL=\S*\s*$/, '');
  throw new Error(`the overview's script is missing (${candidates[0]}): build with 'npm run build'`);
}

export async function runReport(run: ReportRun, io: CliIO): Promise<number> {
  const filter = filterArg(run.filter, io);
  if (filter === undefined) return 2;
  let script: string;
  try {
    script = overviewScript();
  } catch (e) {
    io.err(`teardown-tracer analyze: ${(e as Error).message}\n`);
    return 2;
  }
  const builder = new OverviewBuilder();
  let worst = -1;
  const add = (a: Analysis): void => {
    let shown: readonly Connection[] = a.connections;
    if (filter !== null) {
      const ids = matchingConnections(a, filter);
      shown = a.connections.filter((c) => ids.has(c.id));
    }
    builder.add(a, shown);
    for (const c of shown) for (const f of c.findings) worst = Math.max(worst, SEVERITY_RANK[f.severity]);
  };

  let source: Overview['source'];
  const name = run.file === '-' ? 'standard input' : path.basename(run.file);
  if (run.capture) {
    const stream = new StreamingAnalysis(run.engine, add);
    let read;
    try {
      read = await decodeStream(run.file, (v) => stream.push(v));
    } catch (e) {
      if (e instanceof UnreadableFileError) {
        io.err(`teardown-tracer analyze: cannot read ${run.file}: ${e.message}\n`);
        return 2;
      }
      throw e;
    }
    if (read.report.unreadable) {
      io.err(`teardown-tracer analyze: cannot read ${run.file}: ${read.report.stoppedAt?.message ?? 'not a capture'}\n`);
      return 2;
    }
    stream.end();
    for (const w of [...read.report.notes(), ...read.notes, ...stream.warnings]) io.err(`warning: ${w}\n`);
    source = { name, format: read.report.format, packets: read.report.packets, segments: read.report.tcpSegments };
  } else {
    const loaded = loadTrace(run.file);
    if (loaded.error !== null) {
      io.err(`teardown-tracer analyze: cannot read ${run.file}: ${loaded.error}\n`);
      return 2;
    }
    for (const w of loaded.input.warnings) io.err(`warning: ${w}\n`);
    add(analyze(loaded.table, run.engine, loaded.steps));
    source = { name, format: loaded.input.format, packets: loaded.input.packets, segments: loaded.table.length };
  }
  const overview = builder.finish(source, { samples: SAMPLES });
  const page = overviewPageHtml({
    nonce: randomBytes(18).toString('base64'),
    title: `Teardown overview: ${name}`,
    report: { script, overview, file: run.file === '-' ? 'FILE' : run.file },
  });
  try {
    fs.writeFileSync(run.target, page);
  } catch (e) {
    io.err(`teardown-tracer analyze: cannot write ${run.target}: ${(e as Error).message}\n`);
    return 2;
  }
  io.out(
    `wrote ${run.target}: ${overview.connections.toLocaleString('en-US')} connections, ${overview.findings.toLocaleString('en-US')} findings (${(Buffer.byteLength(page) / 1024).toFixed(0)} KiB)\n`,
  );
  return run.failRank !== null && worst >= run.failRank ? 1 : 0;
}
