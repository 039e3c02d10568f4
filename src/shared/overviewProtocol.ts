/**
 * Messages between the Teardown overview webview (src/webview/overview) and its host
 * (src/extension/overview). The overview itself is the language server's `teardown/overview` answer.
 */
import type { Overview } from '../core/report/overview';

export type ToOverview =
  /** Draw this overview (a new one: the trace was analyzed again or another one is active). */
  | { type: 'overview'; overview: Overview; title: string }
  /** Nothing to draw yet, or why not. */
  | { type: 'status'; message: string }
  /** The host shows a mark's connections: how many, and which are in the ladder now. */
  | { type: 'selected'; key: string; label: string; count: number; shown: number | null };

export type FromOverview =
  | { type: 'ready' }
  /** A mark was clicked (or activated with the keyboard). */
  | { type: 'select'; key: string; label: string };
