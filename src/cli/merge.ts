/**
 * `teardown-tracer analyze CLIENT --with SERVER`: two captures of the same connections, one story
 * (src/core/merge): the clock offset and one-way delays, each segment seen at both points, lost
 * between them or outside the other capture, and both endpoints' states from what each really
 * sent and received, by the one engine.
 */
import { analyze, type EngineOptions, type Severity } from '../core/engine';
import { mergeCaptures } from '../core/merge/merge';
import { mergedJson, mergeTextChunks, type CaptureNames } from '../core/merge/report';
import { loadTrace } from '../node/loadTrace';
import type { CliIO } from './main';
import { SEVERITY_RANK } from './streamOutput';


export interface MergeArgs {
  file: string;
  withFile: string;
  json: boolean;
  ladder: 'problems' | 'all' | 'none';
  absolute: boolean;
  failOn: Severity | null;
  engine: Partial<EngineOptions>;
}

export function runMerged(args: MergeArgs, io: CliIO): number {
  const loaded = [loadTrace(args.file), loadTrace(args.withFile)];
  for (let i = 0; i < 2; i++) {
    const l = loaded[i];
    const name = i === 0 ? args.file : args.withFile;
    if (l.error !== null) {
      io.err(`teardown-tracer analyze: cannot read ${name}: ${l.error}\n`);
      return 2;
    }
    if (l.steps !== undefined) {
      io.err(`teardown-tracer analyze: --with merges captures (or tcpdump text with times); ${name} is an RFC figure\n`);
      return 2;
    }
    for (const w of l.input.warnings) io.err(`warning: ${name}: ${w}\n`);
    for (const e of l.parseErrors) io.err(`${name}:${e.line + 1}:${e.startCol + 1}: ${e.message}\n`);
    if (l.table.length === 0) {
      io.err(`teardown-tracer analyze: ${name} has no TCP segment: nothing to merge\n`);
      return 2;
    }
  }
  const caps = loaded.map((l) => ({ table: l.table, analysis: analyze(l.table, args.engine) }));
  const m = mergeCaptures([caps[0], caps[1]], args.engine);
  const names: CaptureNames = { names: ['client', 'server'], inputs: [loaded[0].input, loaded[1].input] };
  if (args.json) io.out(JSON.stringify(mergedJson(m, names), null, 2) + '\n');
  else for (const chunk of mergeTextChunks(m, names, { ladder: args.ladder, relative: !args.absolute })) io.out(chunk);
  if (args.failOn !== null) {
    const min = SEVERITY_RANK[args.failOn];
    if (m.analysis.findings.some((f) => SEVERITY_RANK[f.severity] >= min)) return 1;
  }
  return 0;
}
