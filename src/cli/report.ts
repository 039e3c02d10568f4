/**
 * `teardown-tracer analyze FILE --report overview.html`: the Teardown overview (the VS Code panel's
 * plots) as one self-contained HTML file, for a ticket or a CI artifact. The overview comes from
 * the same builder the language server uses (src/core/report/overview.ts), fed with the analysis
 * as it is made: for captures, the streaming analysis' batches in the run that writes the other
 * outputs asked for (`--summary`, `--json`, `--format jsonl`...; analyzeStream.ts), so one pass
 * over the file makes all of them in bounded memory; for a text trace, its whole analysis. The
 * page is the webview's (src/shared/overviewPage.ts) with dist/overview.js and the data inline.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { Analysis, Connection } from '../core/engine';
import type { InputSummary } from '../core/report/json';
import { OverviewBuilder, type Overview } from '../core/report/overview';
import { overviewPageHtml } from '../shared/overviewPage';
import type { CliIO } from './main';

/** Connection ids the report keeps per mark (shown when a mark is clicked). */
const SAMPLES = 8;

/** dist/overview.js, beside dist/cli.js (or, from the compiled tests in out/, in dist/). */
function overviewScript(): string {
  const candidates = [path.join(__dirname, 'overview.js'), path.resolve(__dirname, '../../../dist/overview.js')];
  // Without its source map comment: the report is one file.
  for (const p of candidates) if (fs.existsSync(p)) return fs.readFileSync(p, 'utf8').replace(/\n?\/\/# sourceMappingURL=\S*\s*$/, '');
  throw new Error(`the overview's script is missing (${candidates[0]}): build with 'npm run build'`);
}

/**
 * The report being made: fed with each analysis (or batch) and the connections shown (after
 * `--filter`), written once the input is read.
 */
export class OverviewReport {
  private readonly builder = new OverviewBuilder();

  private constructor(
    /** The input as the report's page names it: file names (one or several), `-` for standard input. */
    private readonly inputs: string[],
    private readonly target: string,
    private readonly script: string,
  ) {}

  /** A report to `target`, or null after saying on stderr why it cannot be made (exit 2). */
  static open(inputs: string[], target: string, io: CliIO): OverviewReport | null {
    try {
      return new OverviewReport(inputs, target, overviewScript());
    } catch (e) {
      io.err(`teardown-tracer analyze: ${(e as Error).message}\n`);
      return null;
    }
  }

  add(a: Analysis, shown: readonly Connection[]): void {
    this.builder.add(a, shown);
  }

  /**
   * Writes the page; says what it wrote on `say` (stdout when the report is the only output, stderr
   * beside another). Returns 2 when it cannot be written, else 0.
   */
  write(input: InputSummary, io: CliIO, say: (text: string) => void): number {
    const one = this.inputs.length === 1;
    const name = one ? (this.inputs[0] === '-' ? 'standard input' : path.basename(this.inputs[0])) : `${path.basename(this.inputs[0])} and ${this.inputs.length - 1} more`;
    const source: Overview['source'] = { name, format: input.format, packets: input.packets, segments: input.tcpSegments };
    const overview = this.builder.finish(source, { samples: SAMPLES });
    const page = overviewPageHtml({
      nonce: randomBytes(18).toString('base64'),
      title: `Teardown overview: ${name}`,
      report: { script: this.script, overview, file: one && this.inputs[0] === '-' ? 'FILE' : this.inputs.join(' ') },
    });
    try {
      fs.writeFileSync(this.target, page);
    } catch (e) {
      io.err(`teardown-tracer analyze: cannot write ${this.target}: ${(e as Error).message}\n`);
      return 2;
    }
    say(
      `wrote ${this.target}: ${overview.connections.toLocaleString('en-US')} connections, ${overview.findings.toLocaleString('en-US')} findings (${(Buffer.byteLength(page) / 1024).toFixed(0)} KiB)\n`,
    );
    return 0;
  }
}
