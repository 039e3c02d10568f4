/**
 * The `teardownTracer.*` settings the language server reads: the manifest's defaults are the
 * server's, invalid values fall back to them, and every engine option is part of the analysis key
 * (a change re-analyzes open documents).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analysisKey, DEFAULT_SETTINGS, engineOptions, parseSettings, type ServerSettings } from '../../../src/server/settings';
import { DEFAULT_OPTIONS } from '../../../src/core/engine';

const MANIFEST = path.resolve(__dirname, '../../../../package.json');

type Props = Record<string, { default?: unknown; minimum?: number; exclusiveMinimum?: number }>;

describe('language server settings', () => {
  const props = (JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) as { contributes: { configuration: { properties: Props } } }).contributes.configuration.properties;
  const numeric: (keyof ServerSettings)[] = ['mslSeconds', 'lingerSeconds', 'idleSeconds', 'idleHorizonSeconds', 'attemptHorizonSeconds', 'maxSegmentsShown', 'streamingThresholdMB'];

  it('declares every setting in the manifest with the server default', () => {
    for (const k of numeric) assert.strictEqual(props[`teardownTracer.${k}`]?.default, DEFAULT_SETTINGS[k], k);
    assert.strictEqual(props['teardownTracer.relativeSequenceNumbers'].default, DEFAULT_SETTINGS.relative);
  });

  it('gives the engine the defaults of the command line when nothing is set', () => {
    const o = engineOptions(parseSettings({}));
    for (const k of ['mslSeconds', 'lingerSeconds', 'idleSeconds', 'idleHorizonSeconds', 'attemptHorizonSeconds'] as const) assert.strictEqual(o[k], DEFAULT_OPTIONS[k], k);
  });

  it('takes valid values and falls back to the default for invalid ones (horizons must be positive)', () => {
    const s = parseSettings({ idleSeconds: 5, idleHorizonSeconds: 7200, attemptHorizonSeconds: 120, mslSeconds: 0 });
    assert.deepStrictEqual([s.idleSeconds, s.idleHorizonSeconds, s.attemptHorizonSeconds, s.mslSeconds], [5, 7200, 120, 0]);
    const bad = parseSettings({ idleSeconds: -1, idleHorizonSeconds: 0, attemptHorizonSeconds: '60', lingerSeconds: Number.NaN });
    assert.deepStrictEqual(
      [bad.idleSeconds, bad.idleHorizonSeconds, bad.attemptHorizonSeconds, bad.lingerSeconds],
      [DEFAULT_SETTINGS.idleSeconds, DEFAULT_SETTINGS.idleHorizonSeconds, DEFAULT_SETTINGS.attemptHorizonSeconds, DEFAULT_SETTINGS.lingerSeconds],
    );
    // The manifest says the same: horizons above 0, the others at least 0.
    for (const k of ['idleHorizonSeconds', 'attemptHorizonSeconds']) assert.strictEqual(props[`teardownTracer.${k}`].exclusiveMinimum, 0, k);
    for (const k of ['mslSeconds', 'lingerSeconds', 'idleSeconds']) assert.strictEqual(props[`teardownTracer.${k}`].minimum, 0, k);
  });

  it('re-analyzes when any engine option changes, not when only the view does', () => {
    const base = parseSettings({});
    const key = analysisKey(base);
    for (const [k, v] of [['mslSeconds', 10], ['lingerSeconds', 10], ['idleSeconds', 10], ['idleHorizonSeconds', 3600], ['attemptHorizonSeconds', 300]] as const)
      assert.notStrictEqual(analysisKey({ ...base, [k]: v }), key, k);
    assert.notStrictEqual(analysisKey({ ...base, severities: { 'abrupt-reset': 'off' } }), key, 'a severity');
    assert.strictEqual(analysisKey({ ...base, relative: false, maxSegmentsShown: 100 }), key);
  });
});
