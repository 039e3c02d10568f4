/**
 * `teardown/overview`: a document's Teardown overview (src/core/report/overview.ts), made once per
 * analysis from the analysis the other features use, and the connections behind one of its marks.
 * The answer is counts and bins (a few kilobytes for any number of connections); a mark's
 * connections come back as a display filter the side bar applies, never as a list of connections.
 */
import type { Analysis } from '../core/engine';
import { overviewOf, streamFilter, type Overview, type OverviewBuilder } from '../core/report/overview';
import type { OverviewRequest } from '../shared/lspProtocol';
import type { TraceDoc } from './traceDoc';

/** Per analysis (a capture's views share one): the overview and the builder that answers selections. */
const made = new WeakMap<Analysis, { overview: Overview; builder: OverviewBuilder }>();

/** The file name of a document URI (a capture view's capture file), for the overview's title. */
function fileName(uri: string): string {
  try {
    const path = decodeURIComponent(new URL(uri).pathname);
    return path.slice(path.lastIndexOf('/') + 1) || uri;
  } catch {
    return uri;
  }
}

export function overviewFeature(t: TraceDoc, p: Omit<OverviewRequest.Params, 'uri'>): OverviewRequest.Result {
  const a = t.analysis;
  let entry = made.get(a);
  if (!entry) {
    const input = t.loaded.input;
    entry = overviewOf(a, { name: fileName(t.uri), format: input.format, packets: input.packets, segments: a.table.length });
    made.set(a, entry);
  }
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
