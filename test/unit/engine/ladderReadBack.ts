/** A ladder read back as an RFC figure (what the read-back tests check), and the claims a replay contradicts. */
import { analyze, type Analysis, type Connection } from '../../../src/core/engine';
import { ladderText } from '../../../src/core/report/ladder';
import { parseRfcTrace } from '../../../src/core/text/rfc';

/** A connection's ladder (absolute numbers), parsed back as a figure and replayed with its explicit steps. */
export function ladderReadBack(a: Analysis, c: Connection): { text: string; back: ReturnType<typeof parseRfcTrace>; replayed: Analysis } {
  const text = ladderText(a, c, { relative: false });
  const back = parseRfcTrace(text);
  return { text, back, replayed: analyze(back.table, {}, back.steps) };
}

/** The messages of the state claims an analysis contradicts (`state-claim-mismatch`). */
export function contradictedClaims(a: Analysis): string[] {
  return a.findings.filter((f) => f.code === 'state-claim-mismatch').map((f) => f.message);
}
