/**
 * `teardown/overview`: a document's Teardown overview (src/core/report/overview.ts) and the
 * connections behind one of its marks. A capture's overview is made with its analysis, in the
 * analysis worker: on the whole-capture path right after `analyze()` ({@link buildOverview}), on
 * the streaming path by the streaming pass itself, batch by batch (bigCapture.ts); a request only
 * reads it. A text trace (analyzed again at each edit, on the server's main thread) gets its
 * overview when one is asked for, once per analysis.
 * The answer is counts and bins (a few kilobytes for any number of connections); a mark's
 * connections come back as a display filter the side bar applies, never as a list of connections.
 */
import type { Analysis } from '../core/engine';
import { OverviewBuilder, streamFilter, type Overview } from '../core/report/overview';
import type { OverviewRequest } from '../shared/lspProtocol';
import type { TraceDoc } from './traceDoc';

/** An overview, and the builder that answers which connections are behind its marks. */
export interface BuiltOverview {
  overview: Overview;
  builder: OverviewBuilder;
  /** Milliseconds spent building it (every `add` and the `finish`). */
  ms: number;
}

/** Per analysis (a capture's views share one): its overview. */
const made = new WeakMap<Analysis, BuiltOverview>();

/** The file name of a document URI (a capture view's capture file), for the overview's title. */
export function fileName(uri: string): string {
  try {
    const path = decodeURIComponent(new URL(uri).pathname);
    return path.slice(path.lastIndexOf('/') + 1) || uri;
  } catch {
    return uri;
  }
}

/** The overview of a whole analysis, made now and kept with it (the capture worker calls this right after `analyze()`). */
export function buildOverview(a: Analysis, source: Overview['source']): BuiltOverview {
  const t0 = performance.now();
  const builder = new OverviewBuilder();
  builder.add(a);
  const overview = builder.finish(source);
  const entry = { overview, builder, ms: performance.now() - t0 };
  made.set(a, entry);
  return entry;
}

export function overviewFeature(t: TraceDoc, p: Omit<OverviewRequest.Params, 'uri'>): OverviewRequest.Result {
  const a = t.analysis;
  const entry =
    made.get(a) ?? buildOverview(a, { name: fileName(t.uri), format: t.loaded.input.format, packets: t.loaded.input.packets, segments: a.table.length });
  return overviewAnswer(entry, p);
}

/** The overview, or the connections behind one of its marks (`select`), from a built overview. */
export function overviewAnswer(entry: { overview: Overview; builder: OverviewBuilder }, p: Omit<OverviewRequest.Params, 'uri'>): OverviewRequest.Result {
  if (typeof p.select !== 'string') return { overview: entry.overview };
  const ids = entry.builder.select(p.select);
  return {
    overview: null,
    selection: { key: p.select, count: ids.length, first: ids.length > 0 ? ids[0] : null, filter: ids.length > 0 ? streamFilter(ids) : '' },
  };
}
