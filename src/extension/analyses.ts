/**
 * The connections of each analyzed document, as the server's `teardown/connections` request gives
 * them, cached per document and filter until the server says the document was analyzed again.
 */
import * as vscode from 'vscode';
import { ConnectionsRequest } from '../shared/lspProtocol';
import type { TeardownClient } from './client';

const MAX_CACHED = 8;

export class Analyses implements vscode.Disposable {
  private readonly cache = new Map<string, Promise<ConnectionsRequest.Result>>();
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri | undefined>();
  /** A document's analysis changed (undefined: all of them, after a restart). */
  readonly onDidChange = this.changeEmitter.event;
  private readonly fetchEmitter = new vscode.EventEmitter<vscode.Uri>();
  /** A document's unfiltered connections arrived from the server. */
  readonly onDidFetch = this.fetchEmitter.event;
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly client: TeardownClient) {
    this.disposables = [
      client.onDidChangeAnalysis((p) => this.invalidate(vscode.Uri.parse(p.uri, true))),
      client.onDidRestart(() => {
        this.cache.clear();
        this.changeEmitter.fire(undefined);
      }),
    ];
  }

  /** The connections of a document, optionally filtered by a display filter. */
  connections(uri: vscode.Uri, filter?: string): Promise<ConnectionsRequest.Result> {
    const f = filter?.trim() ?? '';
    const key = `${uri.toString()}\n${f}`;
    let p = this.cache.get(key);
    if (!p) {
      p = this.client.request(ConnectionsRequest.type, f ? { uri: uri.toString(), filter: f } : { uri: uri.toString() });
      this.cache.set(key, p);
      // Results can be large (every connection of a capture): keep only the most recent few.
      while (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
      // A failed request is not cached: the next caller asks again.
      p.then(
        () => {
          if (!f) this.fetchEmitter.fire(uri);
        },
        () => {
          if (this.cache.get(key) === p) this.cache.delete(key);
        },
      );
    }
    return p;
  }

  /** A result already asked for (settled or not), without asking the server. */
  peek(uri: vscode.Uri, filter?: string): Promise<ConnectionsRequest.Result> | undefined {
    return this.cache.get(`${uri.toString()}\n${filter?.trim() ?? ''}`);
  }

  invalidate(uri: vscode.Uri): void {
    const prefix = `${uri.toString()}\n`;
    for (const key of [...this.cache.keys()]) if (key.startsWith(prefix)) this.cache.delete(key);
    this.changeEmitter.fire(uri);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.changeEmitter.dispose();
    this.fetchEmitter.dispose();
  }
}
