import type { CliIO } from './main';

/** `decode FILE`: filled in by the decoder work (issue 2). */
export async function runDecode(_args: string[], io: CliIO): Promise<number> {
  io.err('teardown-tracer decode: not built yet\n');
  return 2;
}
