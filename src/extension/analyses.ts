/**
 * What the views ask the server about each analyzed document: pages of connections, single
 * connections and counts (`teardown/connections`, cached per document and full parameters until the
 * server says the document was analyzed again), and the finding catalog (cached until a restart).
 * Every view asks only for what it shows: a capture of 100,000 connections is never fetched whole.
 */
import * as vscode from 'vscode';
import { ConnectionsRequest, FindingCatalogRequest, type ConnectionSummary } from '../shared/lspProtocol';
import type { TeardownClient } from './client';

/** Results kept: pages are small, so a tree paging through a few groups stays cached. */
const MAX_CACHED = 48;

export type ConnectionsQuery = Omit<ConnectionsRequest.Params, 'uri'>;

/** The cache key of a query: its parameters in a fixed order, defaults dropped. */
function queryKey(q: ConnectionsQuery): string {
  const filter = q.filter?.trim() ?? '';
  return JSON.stringify([
    filter,
    q.outcome ?? '',
    q.withFindings === true,
    q.ids ? [...q.ids].sort((a, b) => a - b) : null,
    q.offset ?? 0,
    q.limit ?? -1,
    q.includeExplanations === true,
  ]);
}

/** The parameters as sent: the filter trimmed, absent when empty. */
function params(uri: vscode.Uri, q: ConnectionsQuery): ConnectionsRequest.Params {
  const p: ConnectionsRequest.Params = { uri: uri.toString(), ...q };
  const filter = q.filter?.trim() ?? '';
  if (filter) p.filter = filter;
  else delete p.filter;
  return p;
}

export class Analyses implements vscode.Disposable {
  private readonly cache = new Map<string, Promise<ConnectionsRequest.Result>>();
  private catalogPromise: Promise<FindingCatalogRequest.Result> | undefined;
  private catalogValue: FindingCatalogRequest.Result | undefined;
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri | undefined>();
  /** A document's analysis changed (undefined: all of them, after a restart). */
  readonly onDidChange = this.changeEmitter.event;
  private readonly disposables: vscode.Disposable[];
  /** Requests sent to the server (not answered from the cache), for tests. */
  readonly sent: ConnectionsRequest.Params[] = [];

  constructor(private readonly client: TeardownClient) {
    this.disposables = [
      client.onDidChangeAnalysis((p) => this.invalidate(vscode.Uri.parse(p.uri, true))),
      client.onDidRestart(() => {
        this.cache.clear();
        this.catalogPromise = undefined;
        this.catalogValue = undefined;
        this.changeEmitter.fire(undefined);
      }),
    ];
  }

  /**
   * Connections of a document as `teardown/connections` answers `query` (a page, some ids, or only
   * the counts with `limit: 0`). Without a limit the server returns every matching connection.
   */
  connections(uri: vscode.Uri, query: ConnectionsQuery = {}): Promise<ConnectionsRequest.Result> {
    const key = `${uri.toString()}\n${queryKey(query)}`;
    let p = this.cache.get(key);
    if (p) {
      // Most recently used last: the oldest entries go first.
      this.cache.delete(key);
      this.cache.set(key, p);
      return p;
    }
    const sent = params(uri, query);
    this.sent.push(sent);
    if (this.sent.length > 1000) this.sent.splice(0, this.sent.length - 1000);
    p = this.client.request(ConnectionsRequest.type, sent);
    this.cache.set(key, p);
    while (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
    // A failed request is not cached: the next caller asks again.
    p.then(undefined, () => {
      if (this.cache.get(key) === p) this.cache.delete(key);
    });
    return p;
  }

  /** The counts and the decoder's input of a document (filtered by a display filter), no connection. */
  summary(uri: vscode.Uri, filter?: string): Promise<ConnectionsRequest.Result> {
    return this.connections(uri, filter?.trim() ? { filter, limit: 0 } : { limit: 0 });
  }

  /** One connection by id (undefined when the document has no such connection). */
  async connection(uri: vscode.Uri, id: number): Promise<ConnectionSummary | undefined> {
    return (await this.connections(uri, { ids: [id] })).connections[0];
  }

  /** The first connection with a finding, else the first connection (undefined: none). */
  async firstInteresting(uri: vscode.Uri): Promise<ConnectionSummary | undefined> {
    const withFindings = await this.connections(uri, { withFindings: true, limit: 1 });
    return withFindings.connections[0] ?? (await this.connections(uri, { limit: 1 })).connections[0];
  }

  /** Every finding code's title and explanation (asked once per server). */
  catalog(): Promise<FindingCatalogRequest.Result> {
    if (!this.catalogPromise) {
      const p = this.client.request(FindingCatalogRequest.type, {});
      this.catalogPromise = p;
      p.then(
        (v) => {
          if (this.catalogPromise === p) this.catalogValue = v;
        },
        () => {
          if (this.catalogPromise === p) this.catalogPromise = undefined;
        },
      );
    }
    return this.catalogPromise;
  }

  /** The catalog when it has arrived (synchronous, for tree items). */
  get catalogNow(): FindingCatalogRequest.Result | undefined {
    return this.catalogValue;
  }

  invalidate(uri: vscode.Uri): void {
    const prefix = `${uri.toString()}\n`;
    for (const key of [...this.cache.keys()]) if (key.startsWith(prefix)) this.cache.delete(key);
    this.changeEmitter.fire(uri);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.changeEmitter.dispose();
  }
}
