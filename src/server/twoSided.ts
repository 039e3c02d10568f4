/**
 * A capture with the other side's capture merged into it (issue 15, "Add the other side's
 * capture"): the analysis worker merges the two files with src/core/merge (the one engine replays
 * the merged table), and the features read this context to say what the merge says: references
 * name both captures' frames, lost segments are diagnostics, hovers give both frame numbers and
 * the transit time, and the ladder model gets where each arrow leaves and lands.
 */
import { basename } from 'path';
import type { Connection } from '../core/engine';
import { connectionPositions, twoSidedInfo, twoSidedSegment, type ConnectionPositions } from '../core/merge/ladder';
import { FATES } from '../core/merge/merge';
import { lostSegments, refOf, rewriteRefs, type LostSegment } from '../core/merge/report';
import type { MergedTraces } from '../node/mergeTraces';
import type { OtherSideInfo, SegmentsRequest } from '../shared/lspProtocol';

export interface TwoSidedDoc {
  mt: MergedTraces;
  /** The two capture files (first: the one opened). */
  paths: [string, string];
  info: OtherSideInfo;
  positions: Map<number, ConnectionPositions>;
  lost?: Map<number, LostSegment>;
}

export function twoSidedDoc(mt: MergedTraces, paths: [string, string]): TwoSidedDoc {
  const files: [string, string] = [basename(paths[0]), basename(paths[1])];
  const info: OtherSideInfo = {
    ...twoSidedInfo(mt.m, mt.names.names, files),
    otherPath: paths[1],
    connections: mt.m.connections.length,
    inBoth: mt.m.connections.filter((c) => c.ids[0] !== null && c.ids[1] !== null).length,
  };
  return { mt, paths, info, positions: new Map() };
}

function secs(s: number | null): string {
  return s === null ? 'unbounded' : `${(Math.abs(s) < 5e-7 ? 0 : s).toFixed(6)} s`;
}

/** The clock in words: "the server capture's clock is 3.499998 s ahead of the client capture's (bounds …)". */
export function clockSentence(info: OtherSideInfo): string {
  const [n0, n1] = info.names;
  const ahead = info.offset >= 0 ? 'ahead of' : 'behind';
  return `the ${n1} capture's clock is ${secs(Math.abs(info.offset))} ${ahead} the ${n0} capture's (bounds ${secs(info.bounds[0])} to ${secs(info.bounds[1])}${info.consistent ? '' : '; the bounds cross: a clock drifted, or copies were paired wrongly'})`;
}

/** Comment lines at the top of a merged capture view. */
export function viewPreamble(d: TwoSidedDoc): string[] {
  const i = d.info;
  const c = i.counts;
  return [
    `# two captures merged: ${i.names[0]} capture ${i.files[0]}, ${i.names[1]} capture ${i.files[1]}; ${i.connections} connection${i.connections === 1 ? '' : 's'}, ${i.inBoth} in both`,
    `# clock: ${clockSentence(i)}`,
    `# segments: ${c.both} seen at both points, ${c.lost} lost between them, ${c.outside} outside the other capture, ${c['unseen-at-sender']} seen only where they arrived`,
    `# each line is a segment at the time it left its sender (on the ${i.names[0]} capture's clock), numbered by merged step; hover it for its frame in each capture`,
  ];
}

/** A merged row in words, both captures' frames: "client frame 11 = server frame 10". */
export function twoSidedRef(d: TwoSidedDoc, row: number): string {
  return refOf(d.mt.m, d.mt.names, row);
}

/** An engine sentence whose "frame N" (merged steps) become both captures' frames. */
export function twoSidedText(d: TwoSidedDoc, text: string): string {
  return rewriteRefs(d.mt.m, d.mt.names, text);
}

/** Every lost segment of the merge by its row: the sentence and what followed. */
export function lostByRow(d: TwoSidedDoc): Map<number, LostSegment> {
  if (!d.lost) {
    const out = new Map<number, LostSegment>();
    for (const c of d.mt.m.analysis.connections) for (const l of lostSegments(d.mt.m, d.mt.names, c)) out.set(l.row, l);
    d.lost = out;
  }
  return d.lost;
}

function ms(s: number): string {
  return `${(s * 1000).toFixed(3)} ms`;
}

/** The hover's lines about where a segment was seen (Markdown). */
export function hoverLines(d: TwoSidedDoc, row: number): string[] {
  const m = d.mt.m;
  const [n0, n1] = d.info.names;
  const f0 = m.rows.frame0[row];
  const f1 = m.rows.frame1[row];
  const fate = FATES[m.rows.fate[row]];
  const sent = m.rows.sentAt[row];
  const name = (cap: number): string => (cap === 0 ? n0 : n1);
  const frame = (cap: number): string => `${name(cap)} ${m.units[cap]} ${cap === 0 ? f0 : f1} (${d.info.files[cap]})`;
  let line: string;
  if (m.rows.alone[row]) line = `**Seen in one capture only:** ${f0 > 0 ? frame(0) : frame(1)}; the connection is not in the other capture.`;
  else if (fate === 'both') line = `**Seen at both capture points:** sent ${frame(sent)}, arrived ${frame(1 - sent)} after **${ms(m.rows.transit[row])}**.`;
  else if (fate === 'lost') line = `**Lost between the capture points:** sent ${frame(sent)}; the ${name(1 - sent)} capture, running then, never saw it.`;
  else if (fate === 'outside')
    line = `**Seen at one point only:** ${f0 > 0 ? frame(0) : frame(1)}; the ${name(f0 > 0 ? 1 : 0)} capture was not running when it would have passed there.`;
  else line = `**Seen only where it arrived:** ${frame(1 - sent)}; the ${name(sent)} capture, running then, never saw it leave.`;
  const out = [line];
  const lost = lostByRow(d).get(row);
  if (lost) out.push('', lost.message);
  return out;
}

/** Adds the two captures' facts to a ladder window of the merge. */
export function twoSidedWindow(d: TwoSidedDoc, w: SegmentsRequest.Result): SegmentsRequest.Result {
  const conn = w.connection;
  if (!conn) return w;
  const m = d.mt.m;
  const c: Connection | undefined = m.analysis.connections.find((x) => x.id === conn.id);
  if (!c) return w;
  let pos = d.positions.get(c.id);
  if (!pos) {
    pos = connectionPositions(m, c);
    d.positions.set(c.id, pos);
    if (d.positions.size > 32) d.positions.delete(d.positions.keys().next().value as number);
  }
  conn.two = twoSidedInfo(m, d.info.names, d.info.files, c.id);
  for (const f of conn.findings) f.message = twoSidedText(d, f.message);
  for (const s of w.segments) {
    s.two = twoSidedSegment(m, d.mt.names, c, s.index, pos);
    for (const f of s.findings) f.message = twoSidedText(d, f.message);
  }
  return w;
}
