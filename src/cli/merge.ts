/**
 * `teardown-tracer analyze CLIENT --with SERVER`: two captures of the same connections, one story
 * (src/core/merge): the clock offset and one-way delays, each segment seen at both points, lost
 * between them or outside the other capture, and both endpoints' states from what each really
 * sent and received, by the one engine.
 *
 * Both sides are read whole (a file, a gzip-compressed capture, or `-` for one of them): a
 * segment's copy at the other capture can come anywhere in that file, and the clock is aligned
 * over every connection, so nothing is written before both are read. `--filter` keeps the merged
 * connections with a matching segment (the filter sees the merged table: `frame.number` is the
 * merged step, times are on the first capture's clock); `--summary` writes the counts and the
 * clock; `--format jsonl` a line per merged connection, its `merge` facts on it.
 */
import type { EngineOptions, Severity } from '../core/engine';
import type { CompiledFilter } from '../core/filter';
import { matchingConnections } from '../core/filter/context';
import { mergedJson, mergedJsonLines, mergeTextChunks } from '../core/merge/report';
import { loadSide, mergeProblem, mergeTraces } from '../node/mergeTraces';
import type { CliIO } from './main';
import { SEVERITY_RANK } from './streamOutput';

export interface MergeArgs {
  file: string;
  withFile: string;
  json: boolean;
  jsonl: boolean;
  summaryOnly: boolean;
  filter: CompiledFilter | null;
  ladder: 'problems' | 'all' | 'none';
  absolute: boolean;
  failOn: Severity | null;
  engine: Partial<EngineOptions>;
}

export async function runMerged(args: MergeArgs, io: CliIO, stdin?: NodeJS.ReadableStream): Promise<number> {
  if (args.file === '-' && args.withFile === '-') {
    io.err('teardown-tracer analyze: only one side of --with can be standard input (-)\n');
    return 2;
  }
  const names: [string, string] = [args.file === '-' ? 'standard input' : args.file, args.withFile === '-' ? 'standard input' : args.withFile];
  const loaded = [await loadSide(args.file, stdin), await loadSide(args.withFile, stdin)] as const;
  const problem = mergeProblem([loaded[0], loaded[1]], names);
  for (let i = 0; i < 2; i++) {
    for (const w of loaded[i].input.warnings) io.err(`warning: ${names[i]}: ${w}\n`);
    for (const e of loaded[i].parseErrors) io.err(`${names[i]}:${e.line + 1}:${e.startCol + 1}: ${e.message}\n`);
  }
  if (problem !== null) {
    io.err(`teardown-tracer analyze: ${problem}\n`);
    return 2;
  }
  const mt = mergeTraces([loaded[0], loaded[1]], args.engine, ['client', 'server']);
  const { m, names: n } = mt;
  const only = args.filter === null ? undefined : matchingConnections(m.analysis, args.filter);
  if (args.summaryOnly) {
    const doc = mergedJson(m, n, { connections: false, ...(only ? { only } : {}) });
    const { connections: _c, steps: _s, ...merge } = doc.merge;
    io.out(JSON.stringify({ input: doc.input, summary: doc.summary, merge }, null, 2) + '\n');
  } else if (args.jsonl) for (const chunk of mergedJsonLines(m, n, only)) io.out(chunk);
  else if (args.json) io.out(JSON.stringify(mergedJson(m, n, only ? { only } : {}), null, 2) + '\n');
  else for (const chunk of mergeTextChunks(m, n, { ladder: args.ladder, relative: !args.absolute, ...(only ? { only } : {}) })) io.out(chunk);
  if (args.failOn !== null) {
    const min = SEVERITY_RANK[args.failOn];
    if (m.analysis.connections.some((c) => (only === undefined || only.has(c.id)) && c.findings.some((f) => SEVERITY_RANK[f.severity] >= min))) return 1;
  }
  return 0;
}
