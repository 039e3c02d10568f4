/**
 * Drives the bundled language server (dist/server.js) over real JSON-RPC, as an editor would:
 * stdio or node IPC, workspace/configuration answered from a settings object, work-done progress
 * accepted and recorded, and every notification waited on (never a sleep).
 */
import * as cp from 'child_process';
import * as path from 'path';
import {
  ConfigurationRequest,
  createProtocolConnection,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  IPCMessageReader,
  IPCMessageWriter,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  WorkDoneProgress,
  WorkDoneProgressCreateRequest,
  type ProgressToken,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type TextDocumentContentChangeEvent,
  type WorkDoneProgressBegin,
  type WorkDoneProgressEnd,
  type WorkDoneProgressReport,
} from 'vscode-languageserver-protocol/node';
import { AnalysisChangedNotification, type AnalysisChangedParams } from '../../../src/shared/lspProtocol';

export const ROOT = path.resolve(__dirname, '../../../..');
export const SERVER = path.join(ROOT, 'dist/server.js');
export const KERNEL = path.join(ROOT, 'test/fixtures/kernel');
export const FIXTURES = path.join(ROOT, 'test/unit/server/fixtures');

/** A capture view URI as VS Code spells it (`teardown-capture:/abs/file.pcap?view%3Dall`). */
export function captureUri(file: string, query = 'view=all'): string {
  return `teardown-capture:${file.split(path.sep).join('/')}?${encodeURIComponent(query)}`;
}

export function fileUri(file: string): string {
  return `file://${file.split(path.sep).join('/')}`;
}

type ProgressValue = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

interface Waiter<T> {
  test(v: T): boolean;
  resolve(v: T): void;
}

/** Values that arrive over time, and promises for the first one (past or future) that matches. */
class Feed<T> {
  readonly all: T[] = [];
  private waiters: Waiter<T>[] = [];

  push(v: T): void {
    this.all.push(v);
    const keep: Waiter<T>[] = [];
    for (const w of this.waiters) {
      if (w.test(v)) w.resolve(v);
      else keep.push(w);
    }
    this.waiters = keep;
  }

  /** The next value (arriving after this call) that matches. */
  next(test: (v: T) => boolean): Promise<T> {
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  /** A value already received that matches, else the next one. */
  first(test: (v: T) => boolean): Promise<T> {
    const got = this.all.find(test);
    return got !== undefined ? Promise.resolve(got) : this.next(test);
  }
}

export interface SessionOptions {
  transport?: 'stdio' | 'ipc';
  settings?: Record<string, unknown>;
  /** Declare window.workDoneProgress (default true). */
  progress?: boolean;
}

export class LspSession {
  readonly conn: ProtocolConnection;
  readonly proc: cp.ChildProcess;
  settings: Record<string, unknown>;
  readonly diagnostics = new Feed<PublishDiagnosticsParams>();
  readonly analyses = new Feed<AnalysisChangedParams>();
  readonly progress = new Feed<{ token: ProgressToken; value: ProgressValue }>();
  readonly progressCreated = new Feed<ProgressToken>();
  readonly configurationRequests = new Feed<number>();
  private readonly exited: Promise<number | null>;
  private readonly versions = new Map<string, number>();

  constructor(private readonly options: SessionOptions = {}) {
    this.settings = options.settings ?? {};
    if (options.transport === 'ipc') {
      this.proc = cp.fork(SERVER, ['--node-ipc'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      this.conn = createProtocolConnection(new IPCMessageReader(this.proc), new IPCMessageWriter(this.proc));
    } else {
      this.proc = cp.spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
      this.conn = createProtocolConnection(new StreamMessageReader(this.proc.stdout!), new StreamMessageWriter(this.proc.stdin!));
    }
    this.exited = new Promise((resolve) => this.proc.on('exit', (code) => resolve(code)));
    this.conn.onNotification(PublishDiagnosticsNotification.type, (p) => this.diagnostics.push(p));
    this.conn.onNotification(AnalysisChangedNotification.type, (p) => this.analyses.push(p));
    this.conn.onRequest(ConfigurationRequest.type, (p) => {
      const answer = p.items.map((i) => (i.section === 'teardownTracer' ? this.settings : null));
      // After the answer is on its way: whoever waits for the request may go on.
      setImmediate(() => this.configurationRequests.push(p.items.length));
      return answer;
    });
    this.conn.onRequest(WorkDoneProgressCreateRequest.type, (p) => {
      this.progressCreated.push(p.token);
      this.conn.onProgress(WorkDoneProgress.type, p.token, (value) => this.progress.push({ token: p.token, value }));
      return null;
    });
    this.conn.listen();
  }

  async start(): Promise<void> {
    await this.conn.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: null,
      capabilities: { workspace: { configuration: true }, window: { workDoneProgress: this.options.progress !== false } },
    });
    // The server asks for the settings once initialized: they apply to everything opened afterwards,
    // so wait for that round trip.
    const asked = this.configurationRequests.next(() => true);
    await this.conn.sendNotification(InitializedNotification.type, {});
    await asked;
  }

  /** Opens a document; resolves with its first diagnostics. */
  open(uri: string, languageId: string, text: string): Promise<PublishDiagnosticsParams> {
    const p = this.diagnostics.next((d) => d.uri === uri);
    this.versions.set(uri, 1);
    void this.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version: 1, text } });
    return p;
  }

  /** Sends an edit (a new version); returns that version. */
  change(uri: string, changes: TextDocumentContentChangeEvent[]): number {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    void this.conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: changes });
    return version;
  }

  close(uri: string): void {
    void this.conn.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  /** New settings, announced as the client does (the server pulls them with workspace/configuration). */
  changeSettings(settings: Record<string, unknown>): void {
    this.settings = settings;
    void this.conn.sendNotification(DidChangeConfigurationNotification.type, { settings: { teardownTracer: settings } });
  }

  /** Shuts the server down politely and waits for the process to end. */
  async stop(): Promise<number | null> {
    try {
      await this.conn.sendRequest(ShutdownRequest.type);
      await this.conn.sendNotification(ExitNotification.type);
    } catch {
      this.proc.kill();
    }
    const code = await this.exited;
    this.conn.dispose();
    return code;
  }
}
