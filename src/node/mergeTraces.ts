/**
 * Two loaded traces of the same connections merged into one story (src/core/merge): what
 * `analyze CLIENT --with SERVER` and the editor's "Add the other side's capture" both run. Each
 * trace is analyzed alone for its connections, then merged; the one engine replays the merged table.
 */
import { analyze, type Analysis, type EngineOptions } from '../core/engine';
import { mergeCaptures, type MergedAnalysis } from '../core/merge/merge';
import { captureNames } from '../core/merge/ladder';
import type { CaptureNames } from '../core/merge/report';
import { SegmentTable } from '../core/model/segment';
import { UnreadableFileError } from './captureFile';
import { decodeStream, isGzipFile } from './captureStream';
import { loadTrace, type LoadedTrace } from './loadTrace';

export interface MergedTraces {
  m: MergedAnalysis;
  names: CaptureNames;
}

/**
 * Why two loaded traces cannot be merged (`labels`: how to name each in the sentence), or null.
 * RFC figures have no times to align; an empty trace has nothing to pair.
 */
export function mergeProblem(loaded: [LoadedTrace, LoadedTrace], labels: [string, string]): string | null {
  for (let i = 0; i < 2; i++) {
    const l = loaded[i];
    if (l.error !== null) return `cannot read ${labels[i]}: ${l.error}`;
    if (l.steps !== undefined) return `merging takes captures (or tcpdump text with times); ${labels[i]} is an RFC figure`;
    if (l.table.length === 0) return `${labels[i]} has no TCP segment: nothing to merge`;
  }
  return null;
}

/**
 * Merges two loaded traces (check {@link mergeProblem} first). `names` fixes what the captures are
 * called (the command line's `client`, `server`); without it, the capture nearer the clients of
 * most connections is the `client` one. `analysis0`: the first trace's own analysis, when made already.
 */
export function mergeTraces(loaded: [LoadedTrace, LoadedTrace], engine: Partial<EngineOptions>, names?: [string, string], analysis0?: Analysis): MergedTraces {
  const caps = [
    { table: loaded[0].table, analysis: analysis0 ?? analyze(loaded[0].table, engine) },
    { table: loaded[1].table, analysis: analyze(loaded[1].table, engine) },
  ] as const;
  const m = mergeCaptures([caps[0], caps[1]], engine);
  return { m, names: { names: names ?? captureNames(m), inputs: [loaded[0].input, loaded[1].input] } };
}

/** The merged table as a loaded trace (what a capture view of the merge shows): inputs' warnings named by capture. */
export function mergedLoaded(first: LoadedTrace, mt: MergedTraces): LoadedTrace {
  const [i0, i1] = mt.names.inputs;
  const [n0, n1] = mt.names.names;
  return {
    format: first.format,
    table: mt.m.analysis.table,
    input: {
      format: 'merged',
      packets: i0.packets + i1.packets,
      tcpSegments: mt.m.analysis.table.length,
      warnings: [...(i0.warnings ?? []).map((w) => `${n0} capture: ${w}`), ...(i1.warnings ?? []).map((w) => `${n1} capture: ${w}`)],
    },
    parseErrors: [],
    steps: undefined,
    error: null,
  };
}

/**
 * Loads one side of a merge whole: a capture or text trace file as `loadTrace` reads it, or a
 * gzip-compressed capture or standard input (`-`) through the streaming reader (the merge needs
 * every segment of both sides before it can pair them, so the table is kept).
 */
export async function loadSide(path: string, stdin?: NodeJS.ReadableStream): Promise<LoadedTrace> {
  if (path !== '-' && !isGzipFile(path)) return loadTrace(path);
  const table = new SegmentTable(4096);
  try {
    const r = await decodeStream(path, (v) => void table.append(v), undefined, stdin);
    const format = r.report.format === 'pcapng' ? 'pcapng' : 'pcap';
    if (r.report.unreadable) return { ...emptyTrace(table), error: r.report.stoppedAt?.message ?? 'not a pcap or pcapng capture' };
    return {
      format,
      table,
      input: { format: r.gzip ? `${r.report.format} (gzip)` : r.report.format, packets: r.report.packets, tcpSegments: r.report.tcpSegments, warnings: [...r.report.notes(), ...r.notes] },
      parseErrors: [],
      steps: undefined,
      error: null,
    };
  } catch (e) {
    if (e instanceof UnreadableFileError) return { ...emptyTrace(table), error: e.message };
    throw e;
  }
}

function emptyTrace(table: SegmentTable): LoadedTrace {
  return { format: 'unknown', table, input: { format: 'unknown', packets: 0, tcpSegments: 0, warnings: [] }, parseErrors: [], steps: undefined, error: null };
}
