/** Drives the bundled language server over real JSON-RPC (stdio), as an editor would. */
import * as cp from 'child_process';
import * as path from 'path';
import {
  createProtocolConnection,
  InitializeRequest,
  InitializedNotification,
  DidOpenTextDocumentNotification,
  PublishDiagnosticsNotification,
  StreamMessageReader,
  StreamMessageWriter,
  ConfigurationRequest,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { AnalysisChangedNotification, type AnalysisChangedParams } from '../../../src/shared/lspProtocol';

export const ROOT = path.resolve(__dirname, '../../../..');
export const SERVER = path.join(ROOT, 'dist/server.js');

export class LspSession {
  readonly conn: ProtocolConnection;
  private readonly proc: cp.ChildProcess;
  private readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  private readonly waiters: { uri: string; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  private readonly analyses: AnalysisChangedParams[] = [];

  constructor(settings: Record<string, unknown> = {}) {
    this.proc = cp.spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.conn = createProtocolConnection(new StreamMessageReader(this.proc.stdout!), new StreamMessageWriter(this.proc.stdin!));
    this.conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
      this.diagnostics.set(p.uri, p);
      for (const w of this.waiters.filter((x) => x.uri === p.uri)) w.resolve(p);
      this.waiters.splice(0, this.waiters.length, ...this.waiters.filter((x) => x.uri !== p.uri));
    });
    this.conn.onNotification(AnalysisChangedNotification.type, (p) => this.analyses.push(p));
    this.conn.onRequest(ConfigurationRequest.type, (p) => p.items.map(() => settings));
    this.conn.listen();
  }

  async start(): Promise<void> {
    await this.conn.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: null,
      capabilities: { workspace: { configuration: true } },
    });
    await this.conn.sendNotification(InitializedNotification.type, {});
  }

  /** Opens a document and resolves with its first diagnostics. */
  open(uri: string, languageId: string, text: string): Promise<PublishDiagnosticsParams> {
    const p = new Promise<PublishDiagnosticsParams>((resolve) => this.waiters.push({ uri, resolve }));
    void this.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version: 1, text } });
    return p;
  }

  nextDiagnostics(uri: string): Promise<PublishDiagnosticsParams> {
    return new Promise((resolve) => this.waiters.push({ uri, resolve }));
  }

  stop(): void {
    this.conn.dispose();
    this.proc.kill();
  }
}
