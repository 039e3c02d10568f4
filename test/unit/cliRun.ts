/**
 * Runs a command-line subcommand (runDecode, runAnalyze) in process with a captured io: its exit
 * status, what it wrote to stdout and stderr, and how many writes stdout took.
 */
import type { CliIO } from '../../src/cli/main';

export interface CliRun {
  code: number;
  out: string;
  err: string;
  writes: number;
}

export async function runCli(command: (args: string[], io: CliIO) => Promise<number>, args: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  let writes = 0;
  const code = await command(args, {
    out: (t) => {
      out += t;
      writes++;
    },
    err: (t) => {
      err += t;
    },
  });
  return { code, out, err, writes };
}
