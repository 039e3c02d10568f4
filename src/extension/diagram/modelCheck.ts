/**
 * Compile-time check: the pure ladder model (src/core/report/ladderModel.ts, which may not import
 * src/shared) produces exactly the protocol's shapes, so the server can answer `teardown/segments`
 * with `ladderWindow` as is.
 */
import type { ConnectionSummary, LadderSegment, SegmentsRequest } from '../../shared/lspProtocol';
import type { LadderConnectionSummary, LadderSegmentModel, LadderWindow } from '../../core/report/ladderModel';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

export const ladderModelMatchesProtocol: [
  Same<LadderSegment, LadderSegmentModel>,
  Same<ConnectionSummary, LadderConnectionSummary>,
  Same<SegmentsRequest.Result, LadderWindow>,
] = [true, true, true];
