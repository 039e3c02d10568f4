/** Display filters in the server: the connections with at least one segment matching the filter. */
import type { Analysis } from '../core/engine';
import { parseFilter } from '../core/filter';
import { matchingConnections } from '../core/filter/context';

export function filterConnectionIds(
  a: Analysis,
  text: string,
): { ids: Set<number> | null; errors: { start: number; end: number; message: string }[] } {
  const parsed = parseFilter(text);
  if (parsed.filter === null) return { ids: null, errors: parsed.errors };
  return { ids: matchingConnections(a, parsed.filter), errors: [] };
}
