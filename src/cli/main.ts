/**
 * The command line front end: `teardown-tracer decode FILE` and `teardown-tracer analyze FILE`.
 * Exit status: 0 when the input was read, 1 when --fail-on matched, 2 when the input cannot be read
 * or the arguments are wrong.
 */
import { isMainThread } from 'worker_threads';
import { runDecode } from './decode';
import { runAnalyze } from './analyze';
import { setWorkerScript } from './parallel';

const USAGE = `usage: teardown-tracer <command> [options] FILE...

commands:
  decode FILE   print every TCP segment of a capture
                --format text|jsonl|count   (default text: tcpdump-like lines)
                --stats               decode time and rates on stderr
  analyze FILE...  connections, both endpoints' states, findings
                FILE: a pcap/pcapng capture (also gzip-compressed), a text trace, or - (a capture on stdin);
                several captures, or a directory (its capture files by name), are one capture merged
                by timestamp, and references name the file (file:frame)
                --json                one JSON document (with --summary: the counts only)
                --format jsonl        one JSON line per connection as it finishes, then a summary line
                --format text|json    the text report (default), or the same as --json
                --format parquet --out DIR   DIR/connections.parquet and DIR/segments.parquet (for
                                      DuckDB, Spark); a table of more rows than --parquet-rows is
                                      split: DIR/connections/part-00000.parquet, ...
                --parquet-rows N      rows per Parquet file at most (default 1048576)
                --format zeek|zeek-json   Zeek's conn.log (TSV, or JSON lines) for the TCP connections,
                                      then our tt_* columns
                --community-id        zeek formats: add Zeek's community_id column
                --zeek-server-ports P,Q|none   Zeek's likely_server_ports, when not Zeek's default
                --summary             the counts only (input, outcomes, findings per code)
                --report FILE.html    the Teardown overview (plots of how connections ended) as one
                                      self-contained HTML file: alone, instead of the text report;
                                      with --json, --summary or --format, made in the same pass
                                      (on one thread)
                --ladder problems|all|none   step-by-step ladders (default: connections with findings)
                --absolute            absolute sequence numbers in ladders
                --filter EXPR         only connections with a segment matching a display filter
                --fail-on SEVERITY    exit 1 when a finding of this severity or worse exists
                --severity CODE=LEVEL a finding code's severity (error|warning|info|hint|off)
                --msl SECONDS         maximum segment lifetime (TIME-WAIT = 2 MSL; default 30)
                --linger SECONDS      a half-close longer than this is lingering (default 30)
                --idle SECONDS        idle time before a close worth reporting (default 30)
                --idle-horizon SECONDS  quiet after which a 4-tuple's next segment opens a new
                                      connection, and a streamed connection is finished; also
                                      after which the tuple's incarnation count starts again
                                      (default 10800)
                --attempt-horizon SECONDS  the same for a connection attempt: only the client's
                                      SYNs seen, no answer (default 600)
                --progress, --no-progress   progress on stderr (default: when stderr is a terminal)
                --with SERVER         FILE is the client's capture, SERVER the server's capture of
                                      the same connections: pairs them, aligns the clocks, says
                                      which segments were lost between the two, and gives both
                                      endpoints' states from what each really sent and received
                                      (text report, --json with a "merge" object, --format jsonl
                                      with one per connection, --summary, --filter; gzip files, and
                                      - for one side; both are read whole before anything is written)
                --jobs N, -j N        worker threads for --json, --summary and --format jsonl on captures
                                      (default 1: on two cores more threads did not pay, docs/bench.md;
                                      one thread with --report)
`;

export interface CliIO {
  out(text: string): void;
  /** Output already encoded as UTF-8 (the parallel analysis's jsonl lines), when the writer takes bytes. */
  outBytes?(bytes: Uint8Array): void;
  err(text: string): void;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // Writes to a pipe are made blocking (as they are to files and terminals): output is written in
  // chunks as it is produced, and a slow reader must hold the writer back instead of letting
  // unwritten chunks pile up in memory.
  for (const s of [process.stdout, process.stderr]) {
    (s as unknown as { _handle?: { setBlocking?: (b: boolean) => void } })._handle?.setBlocking?.(true);
  }
  // A reader that stops early (`| head`) closes the pipe: stop quietly, as Unix tools do.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  const io: CliIO = {
    out: (t) => process.stdout.write(t),
    outBytes: (b) => process.stdout.write(b),
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

// The same script runs the workers of `analyze --jobs N` in worker threads (batchWorker.ts starts
// itself there); only the main thread is the command line.
setWorkerScript(__filename);
if (isMainThread) main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`teardown-tracer: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 3;
  },
);
