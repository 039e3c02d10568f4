/**
 * The `teardownTracer.*` settings the server reads (workspace/configuration, section
 * `teardownTracer`), with their defaults and validation. Pure: no connection, no I/O.
 */
import { DEFAULT_OPTIONS, FINDING_CODES, type EngineOptions, type FindingCode, type Severity } from '../core/engine';

export const SECTION = 'teardownTracer';

export interface ServerSettings {
  /** `teardownTracer.severity.<code>`: error | warning | info | hint | off. Absent: the catalog's default. */
  severities: Partial<Record<FindingCode, Severity | 'off'>>;
  /** `teardownTracer.mslSeconds` (TIME-WAIT lasts 2 MSL). */
  mslSeconds: number;
  /** `teardownTracer.lingerSeconds`. */
  lingerSeconds: number;
  /** `teardownTracer.idleSeconds` (`idle-before-close`), as `analyze --idle`. */
  idleSeconds: number;
  /** `teardownTracer.idleHorizonSeconds` and `attemptHorizonSeconds`, as `analyze --idle-horizon` and `--attempt-horizon`. */
  idleHorizonSeconds: number;
  attemptHorizonSeconds: number;
  /** `teardownTracer.relativeSequenceNumbers`. */
  relative: boolean;
  /** `teardownTracer.maxSegmentsShown`: segments per capture view. */
  maxSegmentsShown: number;
  /** `teardownTracer.streamingThresholdMB`: captures at least this large (10^6 bytes) take the streaming path (bigCapture.ts). */
  streamingThresholdMB: number;
}

export const DEFAULT_SETTINGS: ServerSettings = Object.freeze({
  severities: {},
  // The engine's options default as on the command line.
  mslSeconds: DEFAULT_OPTIONS.mslSeconds,
  lingerSeconds: DEFAULT_OPTIONS.lingerSeconds,
  idleSeconds: DEFAULT_OPTIONS.idleSeconds,
  idleHorizonSeconds: DEFAULT_OPTIONS.idleHorizonSeconds,
  attemptHorizonSeconds: DEFAULT_OPTIONS.attemptHorizonSeconds,
  relative: true,
  maxSegmentsShown: 50_000,
  streamingThresholdMB: 128,
});

const LEVELS = new Set(['error', 'warning', 'info', 'hint', 'off']);

/**
 * Reads the object the client returns for the section. VS Code nests dotted keys
 * (`severity: { 'missing-ack': 'error' }`); a client may also send them flat (`'severity.missing-ack'`).
 * Anything invalid falls back to the default.
 */
export function parseSettings(raw: unknown): ServerSettings {
  if (typeof raw !== 'object' || raw === null) return { ...DEFAULT_SETTINGS, severities: {} };
  const c = raw as Record<string, unknown>;
  const nested = typeof c.severity === 'object' && c.severity !== null ? (c.severity as Record<string, unknown>) : {};
  const severities: ServerSettings['severities'] = {};
  for (const code of FINDING_CODES) {
    const v = nested[code] ?? c[`severity.${code}`];
    if (typeof v === 'string' && LEVELS.has(v)) severities[code] = v as Severity | 'off';
  }
  const num = (v: unknown, d: number): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : d);
  // The horizons are positive, as the command line's options.
  const positive = (v: unknown, d: number): number => {
    const x = num(v, d);
    return x > 0 ? x : d;
  };
  return {
    severities,
    mslSeconds: num(c.mslSeconds, DEFAULT_SETTINGS.mslSeconds),
    lingerSeconds: num(c.lingerSeconds, DEFAULT_SETTINGS.lingerSeconds),
    idleSeconds: num(c.idleSeconds, DEFAULT_SETTINGS.idleSeconds),
    idleHorizonSeconds: positive(c.idleHorizonSeconds, DEFAULT_SETTINGS.idleHorizonSeconds),
    attemptHorizonSeconds: positive(c.attemptHorizonSeconds, DEFAULT_SETTINGS.attemptHorizonSeconds),
    relative: c.relativeSequenceNumbers !== false,
    maxSegmentsShown: Math.max(100, Math.floor(num(c.maxSegmentsShown, DEFAULT_SETTINGS.maxSegmentsShown))),
    streamingThresholdMB: num(c.streamingThresholdMB, DEFAULT_SETTINGS.streamingThresholdMB),
  };
}

/** The settings' engine options: the same as the command line's `--msl`, `--linger`, `--idle`, `--idle-horizon`, `--attempt-horizon`, `--severity`. */
export function engineOptions(s: ServerSettings): Partial<EngineOptions> {
  const { mslSeconds, lingerSeconds, idleSeconds, idleHorizonSeconds, attemptHorizonSeconds } = s;
  return { mslSeconds, lingerSeconds, idleSeconds, idleHorizonSeconds, attemptHorizonSeconds, severities: { ...s.severities } };
}

/** A key of what changes the analysis itself (as opposed to how it is shown): the engine options. */
export function analysisKey(s: ServerSettings): string {
  const o = engineOptions(s);
  return JSON.stringify([o.mslSeconds, o.lingerSeconds, o.idleSeconds, o.idleHorizonSeconds, o.attemptHorizonSeconds, FINDING_CODES.map((c) => s.severities[c] ?? '')]);
}
