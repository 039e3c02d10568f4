/**
 * The command line front end: `teardown-tracer decode FILE` and `teardown-tracer analyze FILE`.
 * Exit status: 0 when the input was read, 1 when --fail-on matched, 2 when the input cannot be read
 * or the arguments are wrong.
 */
import { runDecode } from './decode';
import { runAnalyze } from './analyze';

const USAGE = `usage: teardown-tracer <command> [options] FILE

commands:
  decode FILE   print every TCP segment of a capture
                --format text|jsonl   (default text: tcpdump-like lines)
  analyze FILE  connections, both endpoints' states, findings
                --json                one JSON document
                --filter EXPR         only segments/connections matching a display filter
                --fail-on SEVERITY    exit 1 when a finding of this severity or worse exists
                --msl SECONDS         maximum segment lifetime (TIME-WAIT = 2 MSL; default 30)
                --linger SECONDS      half-close linger threshold (default 1)
`;

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const io: CliIO = {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  };
  switch (command) {
    case 'decode':
      return runDecode(rest, io);
    case 'analyze':
      return runAnalyze(rest, io);
    case '-h':
    case '--help':
    case 'help':
      io.out(USAGE);
      return 0;
    default:
      io.err(command === undefined ? USAGE : `teardown-tracer: unknown command '${command}'\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`teardown-tracer: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 3;
  },
);
