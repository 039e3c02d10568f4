/**
 * The worker side of a capture's analysis (one worker_thread per capture file): decodes the file,
 * analyzes it, renders its views, and answers feature calls on them. A capture below
 * `teardownTracer.streamingThresholdMB` is decoded whole and analyzed synchronously (calls queue
 * behind it, while the server's main thread stays free); a bigger one takes the streaming path
 * (bigCapture.ts), whose reads are asynchronous. Loads and settings changes run one after another.
 */
import { basename } from 'path';
import { parentPort } from 'worker_threads';
import { analyze, type Analysis } from '../core/engine';
import { loadCapture, type LoadedTrace } from '../node/loadTrace';
import { runFeature, type FeatureName, type FeatureParams } from './features';
import { BigCapture, streamsCapture } from './bigCapture';
import { buildOverview } from './overview';
import { analysisKey, engineOptions, type ServerSettings } from './settings';
import { captureViewDoc, type TraceDoc } from './traceDoc';
import type { FromWorker, LoadSummary, ToWorker } from './workerProtocol';
import { mergedLoaded, mergeProblem, mergeTraces } from '../node/mergeTraces';
import { twoSidedDoc, type TwoSidedDoc } from './twoSided';

export function runAnalysisWorker(): void {
  const port = parentPort;
  if (!port) return;
  const post = (m: FromWorker): void => port.postMessage(m);

  let loaded: LoadedTrace | null = null;
  let analysis: Analysis | null = null;
  let settings: ServerSettings | null = null;
  let key = '';
  let summary: LoadSummary | null = null;
  /** The streaming path's capture, or null (the capture is decoded whole in `loaded`). */
  let big: BigCapture | null = null;
  let path = '';
  const views = new Map<string, TraceDoc>();
  /** The other side's capture (issue 15): its path, and the merge the views show (null: not merged, see `pairError`). */
  let otherPath: string | null = null;
  let two: { doc: TwoSidedDoc; loaded: LoadedTrace } | null = null;
  let pairError: string | undefined;

  /** Merges the other side's capture into the analysis just made (whole path only). */
  const runMerge = (generation: number): void => {
    two = null;
    pairError = undefined;
    if (otherPath === null || !settings) return;
    if (big !== null || !loaded || !analysis) {
      pairError = `the other side's capture cannot be added to a capture analyzed by the streaming path (teardownTracer.streamingThresholdMB): the merge reads both captures whole; run \`teardown-tracer analyze ${path} --with ${otherPath}\``;
      return;
    }
    post({ type: 'progress', generation, percent: 80, message: 'merging the other side’s capture' });
    const other = loadCapture(otherPath);
    const problem = mergeProblem([loaded, other], [path, otherPath]);
    if (problem !== null) {
      pairError = problem;
      return;
    }
    const mt = mergeTraces([loaded, other], engineOptions(settings), undefined, analysis);
    two = { doc: twoSidedDoc(mt, [path, otherPath]), loaded: mergedLoaded(loaded, mt) };
  };

  const runAnalysis = (generation: number, decodeMs: number): void => {
    if (!loaded || !settings) return;
    post({ type: 'progress', generation, percent: 60, message: `analyzing ${loaded.table.length.toLocaleString('en-US')} segments` });
    const t0 = performance.now();
    analysis = analyze(loaded.table, engineOptions(settings));
    const analyzeMs = performance.now() - t0;
    // The Teardown overview's counts and bins, made with the analysis (a request only reads them).
    const { input } = loaded;
    const built = buildOverview(analysis, { name: basename(path), format: input.format, packets: input.packets, segments: loaded.table.length });
    key = analysisKey(settings);
    views.clear();
    runMerge(generation);
    const shown = two?.doc.mt.m.analysis ?? analysis;
    summary = {
      error: loaded.error,
      segments: shown.table.length,
      connections: shown.connections.length,
      findings: shown.findings.length,
      decodeMs,
      analyzeMs,
      overviewMs: built.ms,
      overviewBytes: built.builder.byteSize,
    };
    withPair(summary);
  };

  const withPair = (s: LoadSummary): void => {
    delete s.pair;
    delete s.pairError;
    if (two) s.pair = two.doc.info;
    if (pairError !== undefined) s.pairError = pairError;
  };

  /** The streaming pass over the file (again), with `$/progress` in the words of the CLI's progress line. */
  const runStreamed = async (generation: number): Promise<void> => {
    if (!settings) return;
    loaded = null;
    analysis = null;
    big = null;
    views.clear();
    post({ type: 'progress', generation, percent: 0, message: 'reading' });
    big = await BigCapture.open(path, settings, (percent, message) => post({ type: 'progress', generation, percent, message }));
    big.onTask = (title, percent, message, done) => post({ type: 'task', generation, title, percent, message, done });
    key = analysisKey(settings);
    summary = big.summary();
    runMerge(generation);
    withPair(summary);
  };

  const view = (uri: string, connection: number | undefined): TraceDoc => {
    let t = views.get(uri);
    if (!t) {
      if (!settings) throw new Error('the capture is not loaded');
      if (big) t = big.doc(uri, connection, settings);
      else if (!loaded || !analysis) throw new Error('the capture is not loaded');
      else if (two) t = captureViewDoc(uri, two.loaded, two.doc.mt.m.analysis, settings, connection, undefined, two.doc);
      else t = captureViewDoc(uri, loaded, analysis, settings, connection);
      views.set(uri, t);
      // Views are cheap to re-render; keep the last few.
      if (views.size > 16) views.delete(views.keys().next().value as string);
    }
    return t;
  };

  const load = async (m: Extract<ToWorker, { type: 'load' }>): Promise<void> => {
    settings = m.settings;
    path = m.path;
    if (streamsCapture(path, settings)) await runStreamed(m.generation);
    else {
      big = null;
      post({ type: 'progress', generation: m.generation, percent: 0, message: 'decoding' });
      const t0 = performance.now();
      loaded = loadCapture(m.path, (fraction, n) =>
        post({ type: 'progress', generation: m.generation, percent: Math.round(fraction * 55), message: `decoding: ${n.toLocaleString('en-US')} segments` }),
      );
      runAnalysis(m.generation, performance.now() - t0);
    }
    post({ type: 'progress', generation: m.generation, percent: 100, message: 'done' });
    if (summary) post({ type: 'loaded', generation: m.generation, summary });
  };

  const changeSettings = async (m: Extract<ToWorker, { type: 'settings' }>): Promise<void> => {
    const old = settings;
    settings = m.settings;
    views.clear();
    const changed = old === null || analysisKey(m.settings) !== key;
    const streams = streamsCapture(path, m.settings);
    if (streams && (changed || big === null)) await runStreamed(m.generation);
    else if (!streams && (changed || big !== null)) {
      if (big !== null) {
        big = null;
        loaded = loadCapture(path);
      }
      runAnalysis(m.generation, 0);
    }
    if (summary) post({ type: 'loaded', generation: m.generation, summary });
  };

  const setOther = (m: Extract<ToWorker, { type: 'other' }>): void => {
    otherPath = m.path;
    views.clear();
    if (big === null) runAnalysis(m.generation, 0);
    else if (summary) {
      runMerge(m.generation);
      withPair(summary);
    }
    if (summary) post({ type: 'loaded', generation: m.generation, summary });
  };

  const call = async (m: Extract<ToWorker, { type: 'call' }>): Promise<void> => {
    try {
      const t = view(m.uri, m.connection);
      const params = m.params as FeatureParams<FeatureName>;
      const value = big ? await big.run(t, m.name, params) : runFeature(t, m.name, params);
      post({ type: 'result', id: m.id, value });
    } catch (e) {
      post({ type: 'failed', id: m.id, message: e instanceof Error ? e.message : String(e) });
    }
  };

  // Loads and settings changes one after another; calls at once (they come after a load is ready).
  let control: Promise<void> = Promise.resolve();
  const fail = (e: unknown): void => {
    throw e instanceof Error ? e : new Error(String(e));
  };
  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'load':
        control = control.then(() => load(m)).catch(fail);
        break;
      case 'settings':
        control = control.then(() => changeSettings(m)).catch(fail);
        break;
      case 'other':
        control = control.then(() => setOther(m)).catch(fail);
        break;
      case 'call':
        void call(m);
        break;
    }
  });
}
