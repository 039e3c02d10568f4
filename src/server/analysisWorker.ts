/**
 * The worker side of a capture's analysis (one worker_thread per capture file): decodes the file,
 * analyzes it, renders its views, and answers feature calls on them. Everything here is synchronous:
 * calls queue behind a running analysis in the worker, while the server's main thread stays free.
 */
import { parentPort } from 'worker_threads';
import { analyze, type Analysis } from '../core/engine';
import { loadCapture, type LoadedTrace } from '../node/loadTrace';
import { runFeature, type FeatureName, type FeatureParams } from './features';
import { analysisKey, engineOptions, type ServerSettings } from './settings';
import { captureViewDoc, type TraceDoc } from './traceDoc';
import type { FromWorker, LoadSummary, ToWorker } from './workerProtocol';

export function runAnalysisWorker(): void {
  const port = parentPort;
  if (!port) return;
  const post = (m: FromWorker): void => port.postMessage(m);

  let loaded: LoadedTrace | null = null;
  let analysis: Analysis | null = null;
  let settings: ServerSettings | null = null;
  let key = '';
  let summary: LoadSummary | null = null;
  const views = new Map<string, TraceDoc>();

  const runAnalysis = (generation: number, decodeMs: number): void => {
    if (!loaded || !settings) return;
    post({ type: 'progress', generation, percent: 60, message: `analyzing ${loaded.table.length.toLocaleString('en-US')} segments` });
    const t0 = performance.now();
    analysis = analyze(loaded.table, engineOptions(settings));
    key = analysisKey(settings);
    views.clear();
    summary = {
      error: loaded.error,
      segments: loaded.table.length,
      connections: analysis.connections.length,
      findings: analysis.findings.length,
      decodeMs,
      analyzeMs: performance.now() - t0,
    };
  };

  const view = (uri: string, connection: number | undefined): TraceDoc => {
    let t = views.get(uri);
    if (!t) {
      if (!loaded || !analysis || !settings) throw new Error('the capture is not loaded');
      t = captureViewDoc(uri, loaded, analysis, settings, connection);
      views.set(uri, t);
      // Views are cheap to re-render; keep the last few.
      if (views.size > 16) views.delete(views.keys().next().value as string);
    }
    return t;
  };

  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'load': {
        settings = m.settings;
        post({ type: 'progress', generation: m.generation, percent: 0, message: 'decoding' });
        const t0 = performance.now();
        loaded = loadCapture(m.path, (fraction, n) =>
          post({ type: 'progress', generation: m.generation, percent: Math.round(fraction * 55), message: `decoding: ${n.toLocaleString('en-US')} segments` }),
        );
        runAnalysis(m.generation, performance.now() - t0);
        post({ type: 'progress', generation: m.generation, percent: 100, message: 'done' });
        if (summary) post({ type: 'loaded', generation: m.generation, summary });
        break;
      }
      case 'settings': {
        const old = settings;
        settings = m.settings;
        views.clear();
        if (old === null || analysisKey(m.settings) !== key) runAnalysis(m.generation, 0);
        if (summary) post({ type: 'loaded', generation: m.generation, summary });
        break;
      }
      case 'call': {
        try {
          const value = runFeature(view(m.uri, m.connection), m.name, m.params as FeatureParams<FeatureName>);
          post({ type: 'result', id: m.id, value });
        } catch (e) {
          post({ type: 'failed', id: m.id, message: e instanceof Error ? e.message : String(e) });
        }
        break;
      }
    }
  });
}
