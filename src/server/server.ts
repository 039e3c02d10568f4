/**
 * The Teardown Tracer language server: `node dist/server.js --stdio`, or over IPC (`--node-ipc`, as
 * vscode-languageclient's TransportKind.ipc starts it). The same bundle runs as a capture's analysis
 * worker when started as a worker_thread (see analysisHost.ts).
 *
 * Modules:
 * - server.ts       the entry: a server, or an analysis worker (this file);
 * - connection.ts   the LSP connection: capabilities, settings, handlers;
 * - store.ts        which documents are analyzed when: text traces here (debounced, versioned),
 *                   captures in workers (progress, cancellation, stale results dropped);
 * - analysisHost.ts / analysisWorker.ts / workerProtocol.ts   a capture's worker_thread;
 * - traceDoc.ts     a document's analysis with its line <-> row maps;
 * - features.ts     diagnostics, hover, inlay hints, folding, symbols, lenses, definition, requests;
 * - bigCapture.ts   captures above teardownTracer.streamingThresholdMB: the streaming pass, an
 *                   index, connections read back from the file on demand;
 * - captureView.ts  the text of capture views; settings.ts the `teardownTracer.*` settings;
 * - filter.ts       display filters for the Connections request.
 */
import { isMainThread, workerData } from 'worker_threads';
import { runAnalysisWorker } from './analysisWorker';
import { startServer } from './connection';
import { WORKER_ROLE } from './workerProtocol';

if (!isMainThread && (workerData as { role?: string } | null)?.role === WORKER_ROLE) {
  runAnalysisWorker();
} else {
  // Only here: a worker must never create a connection (it would read the parent's argv and stdin).
  startServer(__filename);
}
