/**
 * What an output of the streaming analysis does with each batch of finished connections (the
 * display filter, the counts, the JSON texts): one function, run by the analysis on one thread
 * (analyzeStream.ts) and by every worker of the parallel analysis (batchWorker.ts).
 */
import type { Analysis, Connection, Severity } from '../core/engine';
import type { BatchListener } from '../core/engine/stream';
import { parseFilter, type CompiledFilter } from '../core/filter';
import { matchingConnections } from '../core/filter/context';
import { connectionJsonText, type SummaryCounts } from '../core/report/json';
import type { ZeekFormat } from '../core/report/zeek';

/**
 * Zeek and Parquet outputs run on one thread (analyzeStream.ts); the others also in parallel (--jobs). `none`:
 * nothing on stdout but what `--report` says (the report alone).
 */
export type StreamedOutput = 'json' | 'jsonl' | 'summary' | 'json-summary' | 'parquet' | 'none' | ZeekFormat;

/** Also told each batch's connections shown (after the filter): `--report`'s overview (one thread only). */
export type ShownListener = (a: Analysis, shown: readonly Connection[]) => void;

export const SEVERITY_RANK: Record<Severity, number> = { hint: 0, info: 1, warning: 2, error: 3 };

/**
 * Where the results of finished connections go: the one-thread analysis writes them out; each
 * worker of the parallel analysis (batchWorker.ts) sends them to the main thread, which writes
 * them batch after batch (parallel.ts).
 */
export interface BatchSink {
  readonly counts: SummaryCounts;
  /** The most severe finding so far (its rank), -1 when none. */
  worst: number;
  /** `--json`: a finished connection's object as text, kept to be written in id order at the end. */
  keep(id: number, text: string): void;
  /** Zeek outputs: lines, written as they come. */
  write(text: string): void;
  /** `--format jsonl`: a connection's line. Lines come in the order they are written (`BatchOrder`, batch after batch). */
  line(text: string): void;
  /** `--format jsonl`: lines as UTF-8 (from a worker thread), when the sink takes bytes; else they are given to `line`. */
  bytes?(lines: Uint8Array): void;
  /** The end of a batch's lines (a pipe's reader gets them now). */
  flush(): void;
}

/** A BatchSink's `line` and `flush` writing lines straight out (in order, as they come) in chunks of 64 Ki. */
export function lineWriter(out: (text: string) => void): Pick<BatchSink, 'line' | 'flush'> {
  let buffered = '';
  return {
    line: (text) => {
      buffered += text;
      if (buffered.length >= 1 << 16) {
        out(buffered);
        buffered = '';
      }
    },
    flush: () => {
      if (buffered !== '') out(buffered);
      buffered = '';
    },
  };
}

/** The output's work on each batch of finished connections (the filter, counts, texts): the same in every thread. */
export function batchWriter(output: StreamedOutput, filter: CompiledFilter | null, sink: BatchSink, onShown?: ShownListener): BatchListener {
  return (a, order) => {
    const shown = shownConnections(a, filter);
    onShown?.(a, shown);
    const matching = shown === a.connections ? null : new Set(shown);
    const at = order.at;
    for (let k = 0; k < at.length; k++) {
      const i = at[k];
      const c = a.connections[i];
      if (matching !== null && !matching.has(c)) continue;
      sink.counts.add(c);
      for (const f of c.findings) sink.worst = Math.max(sink.worst, SEVERITY_RANK[f.severity]);
      if (output === 'json') sink.keep(c.id, connectionJsonText(a, c));
      else if (output === 'jsonl') sink.line(connectionJsonText(a, c) + '\n');
    }
    if (output === 'jsonl') sink.flush();
  };
}

/** A batch's connections that `--filter` keeps (all of them without a filter). */
export function shownConnections(a: Analysis, filter: CompiledFilter | null): Connection[] {
  if (filter === null) return a.connections;
  const ids = matchingConnections(a, filter);
  return a.connections.filter((c) => ids.has(c.id));
}

/** `--filter`'s text compiled (null without one), or undefined after saying on stderr why it cannot be. */
export function filterArg(text: string | null, io: { err(text: string): void }): CompiledFilter | null | undefined {
  if (text === null) return null;
  const compiled = compileFilter(text);
  if (typeof compiled !== 'string') return compiled;
  io.err(`teardown-tracer analyze: ${compiled}\n`);
  return undefined;
}

/** A display filter compiled, or the message for stderr. */
export function compileFilter(text: string): CompiledFilter | string {
  const parsed = parseFilter(text);
  if (parsed.filter !== null) return parsed.filter;
  const e = parsed.errors[0];
  return `filter: ${e ? `${e.message} (at characters ${e.start + 1}-${e.end})` : 'invalid'}`;
}
