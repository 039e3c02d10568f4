/**
 * A table pushed through the streaming analysis one segment at a time, as a decoder would: its
 * `--json` document (the same text the whole-capture analysis's must be) and what the stream held
 * on the way, for the streaming tests.
 */
import * as assert from 'assert';
import { analyze, type EngineOptions } from '../../../src/core/engine';
import { StreamingAnalysis, type StreamOptions } from '../../../src/core/engine/stream';
import { SegmentView, type SegmentTable } from '../../../src/core/model/segment';
import { analysisJsonChunks, JsonCollector, type InputSummary } from '../../../src/core/report/json';

export const INPUT: InputSummary = { format: 'test', packets: 0, tcpSegments: 0 };

/** The whole-capture analysis's `--json` document of a table: what the stream's must equal. */
export function wholeDoc(table: SegmentTable, opts: Partial<EngineOptions>): string {
  return [...analysisJsonChunks(analyze(table, opts), INPUT)].join('');
}

export interface Streamed {
  doc: string;
  batches: number;
  /** Rows the held table took at most (finished ones not compacted away yet included). */
  peak: number;
  /** Most rows of unfinished connections held after a sweep, and most endpoints in the held rows' table. */
  peakLive: number;
  peakEndpoints: number;
  endpointMoves: number;
  /** Most 4-tuples the tracker remembered after a sweep (held, and tombstones). */
  peakTuples: number;
}

export function streamed(table: SegmentTable, opts: Partial<EngineOptions>, so: StreamOptions): Streamed {
  const out = new JsonCollector();
  const s = new StreamingAnalysis(opts, (a) => out.add(a), so);
  const v = new SegmentView();
  let peakEndpoints = 0;
  let peakLive = 0;
  let peakTuples = 0;
  for (let r = 0; r < table.length; r++) {
    table.fillView(r, v);
    s.push(v);
    peakEndpoints = Math.max(peakEndpoints, s.stats.endpoints);
    peakLive = Math.max(peakLive, s.stats.heldRows);
    peakTuples = Math.max(peakTuples, s.stats.tuples);
  }
  s.end();
  assert.strictEqual(s.stats.finished, s.stats.connections, 'every connection handed over');
  return { doc: [...out.chunks(INPUT)].join(''), batches: s.stats.batches, peak: s.stats.peakHeldRows, peakLive, peakEndpoints, endpointMoves: s.stats.endpointMoves, peakTuples };
}
