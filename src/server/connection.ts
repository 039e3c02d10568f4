/**
 * The LSP connection: capabilities, settings (workspace/configuration, section `teardownTracer`),
 * document sync, and one handler per feature, each delegating to the {@link TraceStore}.
 * Logs go through `connection.console` (stdout may be the transport).
 */
import {
  CodeActionKind,
  createConnection,
  LSPErrorCodes,
  ProposedFeatures,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  AnalysisChangedNotification,
  ConnectionsRequest,
  ExportRequest,
  FindingCatalogRequest,
  OpenCaptureRequest,
  OtherSideRequest,
  OverviewRequest,
  SegmentAtRequest,
  SegmentsRequest,
  StepRequest,
} from '../shared/lspProtocol';
import { findingCatalog, noConnections } from './features';
import { CancelledError } from './analysisHost';
import { parseSettings, SECTION } from './settings';
import { TraceStore, type Progress } from './store';
import { filePath } from './traceDoc';

const VERSION = '0.1.0';

export function startServer(workerScript: string): Connection {
  const connection = createConnection(ProposedFeatures.all);
  const documents = new TextDocuments(TextDocument);
  let canConfigure = false;
  let canProgress = false;

  const store = new TraceStore({
    documents,
    publishDiagnostics: (uri, version, diagnostics) => void connection.sendDiagnostics({ uri, version, diagnostics }),
    analysisChanged: (p) => void connection.sendNotification(AnalysisChangedNotification.type, p),
    createProgress: async (title, cancellable = true): Promise<Progress | null> => {
      if (!canProgress) return null;
      try {
        const reporter = await connection.window.createWorkDoneProgress();
        reporter.begin(`Teardown Tracer: ${title}`, 0, 'starting', cancellable);
        let finished = false;
        return {
          report: (percent, message) => {
            if (!finished) reporter.report(percent, message);
          },
          done: () => {
            if (finished) return;
            finished = true;
            reporter.done();
          },
          onCancel: (cb) => reporter.token.onCancellationRequested(cb),
        };
      } catch {
        return null;
      }
    },
    log: (m) => connection.console.log(m),
    workerScript,
  });

  /** Runs a handler; a cancelled request answers RequestCancelled, a failure is logged and rethrown. */
  async function guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof CancelledError) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
      const message = e instanceof Error ? e.message : String(e);
      connection.console.error(`${what}: ${message}`);
      throw new ResponseError(LSPErrorCodes.RequestFailed, message);
    }
  }

  async function loadSettings(pushed?: unknown): Promise<void> {
    let raw: unknown = undefined;
    if (canConfigure) {
      try {
        raw = await connection.workspace.getConfiguration(SECTION);
      } catch (e) {
        connection.console.warn(`workspace/configuration failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    } else if (typeof pushed === 'object' && pushed !== null) {
      raw = (pushed as Record<string, unknown>)[SECTION];
    }
    store.updateSettings(parseSettings(raw));
  }

  connection.onInitialize((params): InitializeResult => {
    canConfigure = params.capabilities.workspace?.configuration === true;
    canProgress = params.capabilities.window?.workDoneProgress === true;
    return {
      capabilities: {
        // The client sends edits; the server re-parses the whole text (see store.ts).
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        inlayHintProvider: true,
        foldingRangeProvider: true,
        documentSymbolProvider: true,
        codeLensProvider: { resolveProvider: false },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        definitionProvider: true,
      },
      serverInfo: { name: 'teardown-tracer', version: VERSION },
    };
  });

  connection.onInitialized(() => {
    connection.console.log(`teardown-tracer ${VERSION} (node ${process.version}) ready`);
    void loadSettings();
  });
  connection.onDidChangeConfiguration((p) => void loadSettings(p.settings));
  connection.onShutdown(() => store.dispose());

  documents.onDidOpen((e) => store.opened(e.document));
  // Also fired right after didOpen: the debounced run then finds that version analyzed and skips.
  documents.onDidChangeContent((e) => store.changed(e.document));
  documents.onDidClose((e) => store.closed(e.document.uri));

  connection.onHover((p, token) => guard('hover', () => store.call(p.textDocument.uri, 'hover', { line: p.position.line }, token)));
  connection.languages.inlayHint.on((p, token) =>
    guard('inlay hints', async () => (await store.call(p.textDocument.uri, 'inlayHints', { start: p.range.start.line, end: p.range.end.line }, token)) ?? []),
  );
  connection.onFoldingRanges((p, token) => guard('folding', async () => (await store.call(p.textDocument.uri, 'foldingRanges', undefined, token)) ?? []));
  connection.onDocumentSymbol((p, token) => guard('symbols', async () => (await store.call(p.textDocument.uri, 'documentSymbols', undefined, token)) ?? []));
  connection.onCodeLens((p, token) => guard('code lenses', async () => (await store.call(p.textDocument.uri, 'codeLenses', undefined, token)) ?? []));
  connection.onCodeAction((p, token) =>
    guard('code actions', async () => (await store.call(p.textDocument.uri, 'codeActions', { start: p.range.start.line, end: p.range.end.line }, token)) ?? []),
  );
  connection.onDefinition((p, token) => guard('definition', () => store.call(p.textDocument.uri, 'definition', { line: p.position.line }, token)));

  connection.onRequest(OpenCaptureRequest.type, (p, token) => guard('openCapture', () => store.openCapture(p.uri, token)));
  connection.onRequest(OtherSideRequest.type, (p, token) =>
    guard('otherSide', () => {
      const other = typeof p.other === 'string' ? (filePath(p.other) ?? p.other) : p.other === null ? null : undefined;
      return store.otherSide(p.uri, other, token);
    }),
  );
  connection.onRequest(ConnectionsRequest.type, (p, token) =>
    guard('connections', async () => {
      const { uri, ...params } = p;
      return (await store.call(uri, 'connections', params, token)) ?? noConnections(`${uri} is not open`);
    }),
  );
  connection.onRequest(FindingCatalogRequest.type, () => findingCatalog());
  connection.onRequest(StepRequest.type, (p, token) => guard('step', async () => (await store.call(p.uri, 'step', { line: p.line, kind: p.kind }, token)) ?? null));
  connection.onRequest(SegmentsRequest.type, (p, token) =>
    guard('segments', async () => {
      const r = await store.call(p.uri, 'segments', { connection: p.connection, start: p.start, count: p.count }, token);
      return r ?? { total: 0, connection: null, segments: [], timeWait: { client: null, server: null, durationSeconds: 2 * store.settings.mslSeconds } };
    }),
  );
  connection.onRequest(SegmentAtRequest.type, (p, token) => guard('segmentAt', () => store.call(p.uri, 'segmentAt', { line: p.line }, token)));
  connection.onRequest(ExportRequest.type, (p, token) =>
    guard('export', async () => {
      const params = {
        kind: p.kind,
        ...(p.connection !== undefined ? { connection: p.connection } : {}),
        ...(p.target !== undefined ? { target: p.target } : {}),
      };
      return (await store.call(p.uri, 'exportText', params, token)) ?? { text: '' };
    }),
  );

  connection.onRequest(OverviewRequest.type, (p, token) =>
    guard('overview', async () => (await store.call(p.uri, 'overview', p.select !== undefined ? { select: p.select } : {}, token)) ?? { overview: null }),
  );

  documents.listen(connection);
  connection.listen();
  return connection;
}
