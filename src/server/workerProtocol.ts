/**
 * Messages between the language server's main thread and a capture's analysis worker
 * (analysisHost.ts on the main side, analysisWorker.ts in the worker).
 */
import type { FeatureName } from './features';
import type { ServerSettings } from './settings';
import type { OtherSideInfo } from '../shared/lspProtocol';

/** `workerData` that makes dist/server.js run as an analysis worker instead of a server. */
export const WORKER_ROLE = 'teardown-tracer-analysis';

export type ToWorker =
  /** Decode and analyze the capture file (again). Answered by `loaded` with the same generation. */
  | { type: 'load'; generation: number; path: string; settings: ServerSettings }
  /** New settings: re-analyze if they change the analysis, re-render views. Answered by `loaded`. */
  | { type: 'settings'; generation: number; settings: ServerSettings }
  /** Merge the other side's capture into this one's views (null: show this capture alone again). Answered by `loaded`. */
  | { type: 'other'; generation: number; path: string | null }
  /** Run a feature on a capture view (`uri`, a `teardown-capture:` URI of this file). */
  | { type: 'call'; id: number; uri: string; connection: number | undefined; name: FeatureName; params: unknown };

export interface LoadSummary {
  error: string | null;
  segments: number;
  connections: number;
  findings: number;
  /** Milliseconds spent decoding and analyzing. */
  decodeMs: number;
  analyzeMs: number;
  /** Analyzed by the streaming pass (a big capture, bigCapture.ts): decodeMs is the whole pass. */
  streamed?: boolean;
  /** The streaming path: bytes its indexes hold. */
  indexBytes?: number;
  /** Milliseconds spent making the Teardown overview (within the analysis), and the bytes its builder holds. */
  overviewMs?: number;
  overviewBytes?: number;
  /** The other side's capture merged in (issue 15), or why it could not be (the views then show this capture alone). */
  pair?: OtherSideInfo;
  pairError?: string;
}

export type FromWorker =
  | { type: 'progress'; generation: number; percent: number; message: string }
  /** A long task after the load (a display filter re-reading a big capture): its progress, until `done`. */
  | { type: 'task'; generation: number; title: string; percent: number; message: string; done: boolean }
  | { type: 'loaded'; generation: number; summary: LoadSummary }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'failed'; id: number; message: string };
