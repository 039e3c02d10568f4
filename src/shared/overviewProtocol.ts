/**
 * Messages between the Teardown overview webview (src/webview/overview) and its host
 * (src/extension/overview). The overview itself is the language server's `teardown/overview` answer.
 */
import type { Overview } from '../core/report/overview';

export type ToOverview =
  /** Draw this overview (a new one: the trace was analyzed again or another one is active) of the trace at `uri`. */
  | { type: 'overview'; overview: Overview; title: string; uri: string }
  /** Nothing to draw yet, or why not. */
  | { type: 'status'; message: string }
  /** The host shows a mark's connections: how many, and which are in the ladder now. */
  | { type: 'selected'; key: string; label: string; count: number; shown: number | null };

export type FromOverview =
  | { type: 'ready' }
  /** A mark was clicked (or activated with the keyboard). */
  | { type: 'select'; key: string; label: string };

/**
 * What the page keeps with `setState` (VS Code keeps it across a window reload), and what the
 * panel's serializer receives to draw the same trace's overview again.
 */
export interface OverviewWebviewState {
  /** The trace drawn (a capture view's or a text trace's URI). A selection is not kept: the side bar's filter does not survive a reload. */
  uri: string;
}

/** The state a restored panel was given, when it is one (VS Code hands it over untyped). */
export function overviewStateOf(state: unknown): OverviewWebviewState | null {
  if (typeof state !== 'object' || state === null) return null;
  const s = state as Record<string, unknown>;
  if (typeof s.uri !== 'string' || s.uri === '') return null;
  return { uri: s.uri };
}
