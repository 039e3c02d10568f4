/**
 * Benchmark (not a test): how long the server takes to re-analyze a 10,000-line tcpdump trace after
 * an edit. Run after `npm run build && npm run compile`:
 *
 *   node out/test/unit/server/reanalysis.bench.js [lines] [edits]
 *
 * The trace is every kernel fixture's tcpdump text, repeated with the client ports renumbered, to
 * the number of lines asked (default 10,000). It measures
 * - in process: parse + analyze + line maps (what the server does per edit), median of the runs;
 * - over JSON-RPC with the bundled server: an incremental edit followed at once by a request on the
 *   document (which analyzes the edited version before answering), round trip, median;
 * - edit to published diagnostics (includes the 120 ms debounce), median.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SegmentAtRequest } from '../../../src/shared/lspProtocol';
import { DEFAULT_SETTINGS } from '../../../src/server/settings';
import { textTraceDoc } from '../../../src/server/traceDoc';
import { fileUri, KERNEL, LspSession } from './lsp';

function trace(lines: number): string {
  const texts = fs
    .readdirSync(KERNEL)
    .filter((f) => /^\d\d-.*\.txt$/.test(f))
    .sort()
    .map((f) => fs.readFileSync(path.join(KERNEL, f), 'utf8').trimEnd());
  const out: string[] = [];
  for (let copy = 0; out.length < lines; copy++) {
    for (const t of texts) {
      for (const l of t.split('\n')) {
        if (out.length >= lines) break;
        out.push(l.replace(/\.400(\d\d)\b/g, (_m, nn: string) => `.${10000 + copy * 20 + Number(nn)}`));
      }
    }
  }
  return out.join('\n') + '\n';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const lines = Number(process.argv[2] ?? 10_000);
  const edits = Number(process.argv[3] ?? 20);
  const text = trace(lines);
  const out = (s: string): boolean => process.stdout.write(s + '\n');

  const inProcess: number[] = [];
  let conns = 0;
  for (let i = 0; i < edits; i++) {
    const t0 = performance.now();
    const doc = textTraceDoc('file:///bench.tcpdump', i, text, 'tcpdump-text', DEFAULT_SETTINGS);
    inProcess.push(performance.now() - t0);
    conns = doc.analysis.connections.length;
  }
  out(`trace: ${lines} lines, ${conns} connections`);
  out(`in process, parse + analyze + maps: median ${median(inProcess).toFixed(1)} ms (min ${Math.min(...inProcess).toFixed(1)}, max ${Math.max(...inProcess).toFixed(1)}, ${edits} runs)`);

  const s = new LspSession();
  await s.start();
  const uri = fileUri('/tmp/teardown-tracer-bench/trace.tcpdump');
  await s.open(uri, 'tcpdump-text', text);
  const roundTrip: number[] = [];
  const published: number[] = [];
  const lineCount = text.split('\n').length - 1;
  for (let i = 0; i < edits; i++) {
    // Change a window value in the middle of the trace (the text stays a valid trace).
    const line = Math.floor(lineCount / 2) + i;
    const src = text.split('\n', line + 1)[line];
    const at = src.indexOf(', win ');
    const t0 = performance.now();
    const version = s.change(uri, [{ range: { start: { line, character: at + 6 }, end: { line, character: at + 7 } }, text: String(i % 10) }]);
    await s.conn.sendRequest(SegmentAtRequest.type, { uri, line });
    roundTrip.push(performance.now() - t0);
    const t1 = performance.now();
    const v2 = s.change(uri, [{ range: { start: { line, character: at + 6 }, end: { line, character: at + 7 } }, text: src[at + 6] }]);
    await s.diagnostics.next((p) => p.uri === uri && p.version === v2);
    published.push(performance.now() - t1);
    void version;
  }
  out(`JSON-RPC, edit + request on the edited version: median ${median(roundTrip).toFixed(1)} ms (min ${Math.min(...roundTrip).toFixed(1)}, max ${Math.max(...roundTrip).toFixed(1)})`);
  out(`JSON-RPC, edit to diagnostics (120 ms debounce included): median ${median(published).toFixed(1)} ms`);
  await s.stop();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
