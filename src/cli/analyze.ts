import type { CliIO } from './main';

/** `analyze FILE`: filled in by the engine work (issue 3). */
export async function runAnalyze(_args: string[], io: CliIO): Promise<number> {
  io.err('teardown-tracer analyze: not built yet\n');
  return 2;
}
