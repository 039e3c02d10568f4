/**
 * The thin language client: starts the bundled server (dist/server.js) over IPC, forwards the custom
 * requests, and turns the server's `teardown/analysisChanged` notifications into an event.
 */
import * as vscode from 'vscode';
import {
  LanguageClient,
  State,
  TransportKind,
  type LanguageClientOptions,
  type RequestType,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { AnalysisChangedNotification, CAPTURE_SCHEME, LANG_TCPDUMP, LANG_TCPTRACE, type AnalysisChangedParams } from '../shared/lspProtocol';
import { ContextKey, SECTION, setContext } from './config';

export class TeardownClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<LanguageClient> | undefined;
  private readonly analysisEmitter = new vscode.EventEmitter<AnalysisChangedParams>();
  private readonly restartEmitter = new vscode.EventEmitter<void>();
  /** After every (re)analysis of a document by the server. */
  readonly onDidChangeAnalysis = this.analysisEmitter.event;
  /** After the server was restarted (everything cached is stale). */
  readonly onDidRestart = this.restartEmitter.event;
  /** The latest notification per document URI (string form as the server sent it, normalized). */
  private readonly latest = new Map<string, AnalysisChangedParams>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly output: vscode.LogOutputChannel,
  ) {}

  /** The running client; starts it on first use. Rejects when the server cannot start. */
  ready(): Promise<LanguageClient> {
    if (!this.starting) this.starting = this.start();
    return this.starting;
  }

  private async start(): Promise<LanguageClient> {
    const module = this.context.asAbsolutePath('dist/server.js');
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6010'] } },
    };
    const clientOptions: LanguageClientOptions = {
      // Text traces in any scheme (file, untitled, remote), and the capture views once their language
      // is set (the view opens as plain text for an instant; that state is never synchronized).
      documentSelector: [
        { language: LANG_TCPDUMP },
        { language: LANG_TCPTRACE },
        { scheme: CAPTURE_SCHEME, language: LANG_TCPDUMP },
      ],
      synchronize: { configurationSection: SECTION },
      outputChannel: this.output,
      // Diagnostics are published on the documents' own URIs, capture views included, so the
      // Problems view opens the view at the segment.
    };
    const client = new LanguageClient('teardownTracer', 'Teardown Tracer', serverOptions, clientOptions);
    client.onDidChangeState((e) => {
      setContext(ContextKey.serverRunning, e.newState === State.Running);
      this.output.info(`language server ${State[e.newState].toLowerCase()}`);
    });
    client.onNotification(AnalysisChangedNotification.type, (p) => {
      const key = normalize(p.uri);
      this.latest.set(key, p);
      this.analysisEmitter.fire({ ...p, uri: key });
    });
    this.client = client;
    this.output.info(`starting the language server: ${module}`);
    try {
      await client.start();
    } catch (e) {
      this.output.error(`the language server did not start: ${String(e)}`);
      this.starting = undefined;
      throw e;
    }
    return client;
  }

  /**
   * Sends a custom request once the server runs. By method name: a RequestType object from another
   * copy of vscode-jsonrpc (the integration tests' own) would not be recognized by this bundle's.
   */
  async request<P, R>(type: RequestType<P, R, void>, params: P, token?: vscode.CancellationToken): Promise<R> {
    const client = await this.ready();
    return client.sendRequest<R>(type.method, params, token);
  }

  /** The last analysis notification for a document, if any arrived yet. */
  lastAnalysis(uri: vscode.Uri): AnalysisChangedParams | undefined {
    return this.latest.get(uri.toString());
  }

  async restart(): Promise<void> {
    this.latest.clear();
    if (this.client && this.starting) {
      this.output.info('restarting the language server');
      await this.starting.catch(() => undefined);
      if (this.client.needsStart()) await this.client.start();
      else await this.client.restart();
    } else {
      this.starting = undefined;
      await this.ready();
    }
    this.restartEmitter.fire();
  }

  async stop(): Promise<void> {
    if (this.client?.needsStop()) await this.client.stop();
  }

  dispose(): void {
    this.analysisEmitter.dispose();
    this.restartEmitter.dispose();
  }
}

/** The server may send URIs encoded differently from vscode.Uri#toString: compare parsed forms. */
export function normalize(uri: string): string {
  try {
    return vscode.Uri.parse(uri, true).toString();
  } catch {
    return uri;
  }
}
