/**
 * Display filters in the server: the connections with at least one segment matching the filter.
 * (The filter parser lives in src/core/filter; until it lands, filters report an error.)
 */
import type { Analysis } from '../core/engine';

export function filterConnectionIds(
  _a: Analysis,
  text: string,
): { ids: Set<number> | null; errors: { start: number; end: number; message: string }[] } {
  return { ids: null, errors: [{ start: 0, end: text.length, message: 'display filters are not available yet' }] };
}
