/**
 * The main-thread handle of one capture file's analysis worker (analysisWorker.ts).
 *
 * Why a worker: decoding and analyzing a capture of a million segments takes seconds of synchronous
 * work (the engine is one pass that cannot be cut into slices). In a worker_thread it never blocks
 * the server's event loop: text traces, other captures and `$/cancelRequest` are served meanwhile.
 * The analysis stays in the worker (no copy of the tables on the main thread); every feature on a
 * capture view is a message to it, and only the (small) answers come back.
 */
import { Worker } from 'worker_threads';
import type { FeatureName, FeatureParams, FeatureResult } from './features';
import type { ServerSettings } from './settings';
import { WORKER_ROLE, type FromWorker, type LoadSummary, type ToWorker } from './workerProtocol';

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
  }
}

export interface HostEvents {
  /** Progress of the current load/re-analysis (0..100). */
  progress(generation: number, percent: number, message: string): void;
  /** The analysis of `generation` is ready (stale generations are never reported). */
  loaded(generation: number, summary: LoadSummary): void;
  /** Progress of a long task after the load (a display filter re-reading a big capture). */
  task(title: string, percent: number, message: string, done: boolean): void;
  /** The worker died (crash or out of memory); the host is unusable. */
  failed(message: string): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(e: Error): void;
}

export class AnalysisHost {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Bumped by every load and settings change; answers of older generations are dropped. */
  generation = 0;
  private loadedGeneration = -1;
  private readyWaiters: { generation: number; resolve(s: LoadSummary): void; reject(e: Error): void }[] = [];
  private lastSummary: LoadSummary | null = null;
  dead: string | null = null;
  /** When this host was last used (for disposing idle captures). */
  lastUsed = Date.now();

  constructor(
    readonly path: string,
    settings: ServerSettings,
    /** The file's size and modification time when it was loaded (to notice a rewritten capture). */
    readonly stamp: string,
    script: string,
    private readonly events: HostEvents,
  ) {
    // stdout/stderr are captured: the main thread's stdout may be the LSP transport.
    this.worker = new Worker(script, { workerData: { role: WORKER_ROLE }, stdout: true, stderr: true });
    this.worker.stdout.resume();
    this.worker.stderr.resume();
    this.worker.on('message', (m: FromWorker) => this.onMessage(m));
    this.worker.on('error', (e) => this.die(`the analysis worker failed: ${e.message}`));
    this.worker.on('exit', (code) => this.die(`the analysis worker exited (code ${code})`));
    this.post({ type: 'load', generation: this.generation, path, settings });
  }

  /** The summary of the current generation's analysis, once it is ready. */
  ready(): Promise<LoadSummary> {
    this.lastUsed = Date.now();
    if (this.dead !== null) return Promise.reject(new Error(this.dead));
    if (this.loadedGeneration === this.generation && this.lastSummary) return Promise.resolve(this.lastSummary);
    return new Promise((resolve, reject) => this.readyWaiters.push({ generation: this.generation, resolve, reject }));
  }

  get isReady(): boolean {
    return this.dead === null && this.loadedGeneration === this.generation;
  }

  /** Merges the other side's capture into this capture's views (null: this capture alone again). */
  setOther(path: string | null): void {
    this.generation++;
    this.post({ type: 'other', generation: this.generation, path });
  }

  updateSettings(settings: ServerSettings): void {
    this.generation++;
    this.post({ type: 'settings', generation: this.generation, settings });
  }

  /**
   * Runs a feature on a view of this capture. Rejects with {@link CancelledError} when `token` is
   * cancelled first (the worker's answer is then dropped).
   */
  call<K extends FeatureName>(
    uri: string,
    connection: number | undefined,
    name: K,
    params: FeatureParams<K>,
    token?: { isCancellationRequested: boolean; onCancellationRequested(cb: () => void): { dispose(): void } },
  ): Promise<FeatureResult<K>> {
    this.lastUsed = Date.now();
    if (this.dead !== null) return Promise.reject(new Error(this.dead));
    if (token?.isCancellationRequested) return Promise.reject(new CancelledError());
    const id = this.nextId++;
    return new Promise<FeatureResult<K>>((resolve, reject) => {
      const sub = token?.onCancellationRequested(() => {
        if (this.pending.delete(id)) reject(new CancelledError());
      });
      this.pending.set(id, {
        resolve: (v) => {
          sub?.dispose();
          resolve(v as FeatureResult<K>);
        },
        reject: (e) => {
          sub?.dispose();
          reject(e);
        },
      });
      this.post({ type: 'call', id, uri, connection, name, params });
    });
  }

  dispose(reason = 'the capture was closed'): void {
    if (this.dead === null) this.die(reason);
    void this.worker.terminate();
  }

  private post(m: ToWorker): void {
    if (this.dead === null) this.worker.postMessage(m);
  }

  private onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'progress':
        if (m.generation === this.generation) this.events.progress(m.generation, m.percent, m.message);
        break;
      case 'task':
        if (m.generation === this.generation) this.events.task(m.title, m.percent, m.message, m.done);
        break;
      case 'loaded': {
        if (m.generation !== this.generation) break; // stale: a newer load or settings change is queued
        this.loadedGeneration = m.generation;
        this.lastSummary = m.summary;
        const waiters = this.readyWaiters;
        this.readyWaiters = [];
        for (const w of waiters) w.resolve(m.summary);
        this.events.loaded(m.generation, m.summary);
        break;
      }
      case 'result':
      case 'failed': {
        const p = this.pending.get(m.id);
        if (!p) break; // cancelled
        this.pending.delete(m.id);
        if (m.type === 'result') p.resolve(m.value);
        else p.reject(new Error(m.message));
        break;
      }
    }
  }

  private die(message: string): void {
    if (this.dead !== null) return;
    this.dead = message;
    const err = new Error(message);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const w of this.readyWaiters) w.reject(err);
    this.readyWaiters = [];
    this.events.failed(message);
  }
}
