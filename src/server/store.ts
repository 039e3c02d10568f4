/**
 * Every document the server analyzes, and when.
 *
 * - Text traces (`tcpdump-text`, `tcp-trace`): parsed and analyzed on the main thread (a 10,000-line
 *   trace takes tens of milliseconds), on open at once and on edits after a short debounce. A request
 *   on a document with a pending edit analyzes it first, so answers always match the text the client
 *   has; the analysis records the version it was made from and the debounced run skips a version
 *   already analyzed.
 * - Captures: one {@link AnalysisHost} (a worker_thread) per capture file, shared by all its views
 *   (`?view=all`, `?conn=N`). Loads report `$/progress` for large files and can be cancelled from the
 *   client's progress UI; answers of an older generation (before a settings change or a reload) are
 *   dropped. Hosts with no open view are disposed after a few idle minutes.
 * - Files named by a `file:` URI that the client has not opened (the side bar asks for them): read
 *   from disk, a capture by its magic number.
 */
import * as fs from 'fs';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic } from 'vscode-languageserver';
import { loadTrace } from '../node/loadTrace';
import { startsLikeCapture } from '../node/captureFile';
import { CAPTURE_SCHEME, LANG_TCPDUMP, LANG_TCPTRACE, type AnalysisChangedParams, type OtherSideInfo } from '../shared/lspProtocol';
import { AnalysisHost, CancelledError } from './analysisHost';
import { counts, diagnostics, runFeature, SOURCE, type FeatureName, type FeatureParams, type FeatureResult } from './features';
import { DEFAULT_SETTINGS, type ServerSettings } from './settings';
import { filePath, parseCaptureUri, textDocFromLoaded, textTraceDoc, type TraceDoc } from './traceDoc';

/** Debounce of re-analysis after an edit (ms). */
export const EDIT_DEBOUNCE_MS = 120;
/** Captures at least this large report `$/progress` while they are analyzed. */
export const PROGRESS_MIN_BYTES = 1 << 20;
/** A capture host with no open view is disposed after this long without a request (ms). */
const IDLE_HOST_MS = 5 * 60_000;

export interface CancelToken {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(cb: () => void): { dispose(): void };
}

export interface Progress {
  report(percent: number, message: string): void;
  done(): void;
  /** Set when the user cancels it in the client. */
  onCancel(cb: () => void): void;
}

export interface StoreDeps {
  documents: { get(uri: string): TextDocument | undefined };
  publishDiagnostics(uri: string, version: number | undefined, diagnostics: Diagnostic[]): void;
  analysisChanged(p: AnalysisChangedParams): void;
  /** A work-done progress in the client, or null when it has none (`cancellable`: default true). */
  createProgress(title: string, cancellable?: boolean): Promise<Progress | null>;
  log(message: string): void;
  /** The script a worker runs (dist/server.js itself). */
  workerScript: string;
}

interface TextEntry {
  doc: TraceDoc | null;
  timer: ReturnType<typeof setTimeout> | null;
}

export function isCaptureUri(uri: string): boolean {
  return uri.startsWith(`${CAPTURE_SCHEME}:`);
}

function stampOf(path: string): string {
  try {
    const st = fs.statSync(path);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

function sizeOf(path: string): number {
  try {
    return fs.statSync(path).size;
  } catch {
    return 0;
  }
}

function isCaptureFile(path: string): boolean {
  return /\.(pcap|pcapng|cap)$/i.test(path) || startsLikeCapture(path);
}

function raceToken<T>(p: Promise<T>, token: CancelToken | undefined): Promise<T> {
  if (!token) return p;
  if (token.isCancellationRequested) return Promise.reject(new CancelledError());
  return new Promise<T>((resolve, reject) => {
    const sub = token.onCancellationRequested(() => reject(new CancelledError()));
    p.then(
      (v) => {
        sub.dispose();
        resolve(v);
      },
      (e: unknown) => {
        sub.dispose();
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export class TraceStore {
  settings: ServerSettings = DEFAULT_SETTINGS;
  private readonly texts = new Map<string, TextEntry>();
  private readonly hosts = new Map<string, AnalysisHost>();
  /** View URIs (as the client spells them) per capture path: opened or asked about. */
  private readonly views = new Map<string, Set<string>>();
  private readonly openViews = new Set<string>();
  /** The version each capture view was opened at (its text re-rendered later has a newer one). */
  private readonly openedVersion = new Map<string, number>();
  /** Unopened `file:` traces read from disk, by URI, with the file stamp they were read at. */
  private readonly files = new Map<string, { stamp: string; doc: TraceDoc | null; capture: boolean }>();
  private readonly idleTimer: ReturnType<typeof setInterval>;
  /** The other side's capture added to a capture (issue 15), by the capture's path: kept for the server's lifetime. */
  private readonly others = new Map<string, string>();
  /** Time of the last text analysis (ms), for the log and the benchmark. */
  lastTextAnalysisMs = 0;

  constructor(private readonly deps: StoreDeps) {
    this.idleTimer = setInterval(() => this.disposeIdleHosts(), 60_000);
    this.idleTimer.unref();
  }

  // ------------------------------------------------------------------------------ text documents

  opened(doc: TextDocument): void {
    if (isCaptureUri(doc.uri)) {
      this.openViews.add(doc.uri);
      this.openedVersion.set(doc.uri, doc.version);
      const { path } = parseCaptureUri(doc.uri);
      this.knowView(path, doc.uri);
      const h = this.host(path, true);
      if (h.isReady) void this.publishView(doc.uri);
      return;
    }
    this.analyzeText(doc);
  }

  changed(doc: TextDocument): void {
    if (isCaptureUri(doc.uri)) {
      // The server's own rendering, shown again (a merge added or removed, settings): the client
      // moved the old diagnostics with the replaced text, so publish them again on the new lines.
      // (onDidChangeContent also fires on open, which `opened` publishes already.)
      if (this.openViews.has(doc.uri) && this.openedVersion.get(doc.uri) !== doc.version) void this.publishView(doc.uri);
      return;
    }
    const e = this.texts.get(doc.uri) ?? { doc: null, timer: null };
    this.texts.set(doc.uri, e);
    if (e.timer) clearTimeout(e.timer);
    e.timer = setTimeout(() => {
      e.timer = null;
      const current = this.deps.documents.get(doc.uri);
      if (current && e.doc?.version !== current.version) this.analyzeText(current);
    }, EDIT_DEBOUNCE_MS);
  }

  closed(uri: string): void {
    if (isCaptureUri(uri)) {
      this.openViews.delete(uri);
      this.openedVersion.delete(uri);
    }
    const e = this.texts.get(uri);
    if (e?.timer) clearTimeout(e.timer);
    this.texts.delete(uri);
    this.deps.publishDiagnostics(uri, undefined, []);
  }

  /** The analysis of an open text document, made now if an edit is pending. */
  private textDoc(doc: TextDocument): TraceDoc {
    const e = this.texts.get(doc.uri);
    if (e?.doc && e.doc.version === doc.version) return e.doc;
    return this.analyzeText(doc);
  }

  private analyzeText(doc: TextDocument): TraceDoc {
    const e = this.texts.get(doc.uri) ?? { doc: null, timer: null };
    this.texts.set(doc.uri, e);
    if (e.timer) {
      clearTimeout(e.timer);
      e.timer = null;
    }
    const t0 = performance.now();
    const lang = doc.languageId === LANG_TCPDUMP || doc.languageId === LANG_TCPTRACE ? doc.languageId : undefined;
    const t = textTraceDoc(doc.uri, doc.version, doc.getText(), lang, this.settings);
    this.lastTextAnalysisMs = performance.now() - t0;
    e.doc = t;
    this.deps.publishDiagnostics(doc.uri, doc.version, diagnostics(t));
    this.deps.analysisChanged({ uri: doc.uri, version: doc.version, ...counts(t) });
    return t;
  }

  /** A trace file the client has not opened, read from disk (null: not a trace we can read). */
  private fileDoc(uri: string): TraceDoc | { capture: string } | null {
    const path = filePath(uri);
    if (path === null) return null;
    const stamp = stampOf(path);
    let f = this.files.get(uri);
    if (!f || f.stamp !== stamp) {
      if (isCaptureFile(path)) f = { stamp, doc: null, capture: true };
      else {
        let text: string | null = null;
        try {
          text = fs.readFileSync(path, 'utf8');
        } catch {
          text = null;
        }
        // Unreadable: loadTrace says why, as a diagnostic-ready error.
        const doc =
          text === null
            ? textDocFromLoaded(uri, null, '', loadTrace(path), this.settings)
            : textTraceDoc(uri, null, text, path.endsWith('.tcptrace') ? LANG_TCPTRACE : path.endsWith('.tcpdump') ? LANG_TCPDUMP : undefined, this.settings);
        f = { stamp, doc, capture: false };
      }
      this.files.set(uri, f);
      if (this.files.size > 32) this.files.delete(this.files.keys().next().value as string);
    }
    return f.capture ? { capture: path } : f.doc;
  }

  // ------------------------------------------------------------------------------------ captures

  private knowView(path: string, uri: string): void {
    let s = this.views.get(path);
    if (!s) this.views.set(path, (s = new Set()));
    s.add(uri);
  }

  /** The host of a capture file; `checkFile`: reload it when the file changed on disk. */
  private host(path: string, checkFile = false): AnalysisHost {
    let h = this.hosts.get(path);
    if (h && (h.dead !== null || (checkFile && h.stamp !== stampOf(path)))) {
      h.dispose('reloading');
      h = undefined;
    }
    if (!h) {
      const host: AnalysisHost = new AnalysisHost(path, this.settings, stampOf(path), this.deps.workerScript, {
        progress: (generation, percent, message) => this.progress(host, generation)?.report(percent, message),
        loaded: (generation, s) => {
          this.progressDone(host, generation);
          this.deps.log(
            `${path}: ${s.segments} segments, ${s.connections} connections, ${s.findings} findings ` +
              `(${s.streamed === true ? `streaming analysis ${s.decodeMs.toFixed(0)} ms, index ${((s.indexBytes ?? 0) / 2 ** 20).toFixed(1)} MiB` : `decode ${s.decodeMs.toFixed(0)} ms, analysis ${s.analyzeMs.toFixed(0)} ms`})${s.error ? `; ${s.error}` : ''}`,
          );
          for (const uri of this.views.get(path) ?? []) void this.publishView(uri);
        },
        task: (title, percent, message, done) => this.taskProgress(host, title, percent, message, done),
        failed: (message) => {
          this.progressDone(host, host.generation);
          this.taskProgress(host, '', 100, '', true);
          if (this.hosts.get(path) === host) this.hosts.delete(path);
          if (message === 'reloading' || message === 'the capture was closed') return;
          this.deps.log(`${path}: ${message}`);
          for (const uri of this.views.get(path) ?? []) {
            if (!this.openViews.has(uri)) continue;
            this.deps.publishDiagnostics(uri, undefined, [
              { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: 1, source: SOURCE, code: 'analysis-failed', message },
            ]);
          }
        },
      });
      h = host;
      this.hosts.set(path, h);
      const other = this.others.get(path);
      if (other !== undefined) h.setOther(other);
      if (sizeOf(path) >= PROGRESS_MIN_BYTES) this.startProgress(h);
    }
    return h;
  }

  private readonly progresses = new Map<AnalysisHost, { generation: number; progress: Progress | null; pending: Promise<Progress | null> }>();

  private startProgress(h: AnalysisHost): void {
    // A newer load replaces the progress of an older one still running.
    this.progresses.get(h)?.progress?.done();
    const generation = h.generation;
    const name = h.path.slice(Math.max(h.path.lastIndexOf('/'), h.path.lastIndexOf('\\')) + 1);
    const entry = { generation, progress: null as Progress | null, pending: this.deps.createProgress(`Analyzing ${name}`) };
    this.progresses.set(h, entry);
    void entry.pending.then((p) => {
      if (this.progresses.get(h) !== entry || !p) {
        p?.done();
        return;
      }
      entry.progress = p;
      p.onCancel(() => {
        this.deps.log(`${h.path}: analysis cancelled`);
        h.dispose('analysis cancelled');
        if (this.hosts.get(h.path) === h) this.hosts.delete(h.path);
      });
      if (h.isReady) this.progressDone(h, h.generation);
    });
  }

  private readonly tasks = new Map<AnalysisHost, Promise<Progress | null>>();

  /** A task's progress (not cancellable): begun at its first report, ended when done (reports stay in order). */
  private taskProgress(h: AnalysisHost, title: string, percent: number, message: string, done: boolean): void {
    let pending = this.tasks.get(h);
    if (!pending) {
      if (done) return;
      pending = this.deps.createProgress(title, false);
      this.tasks.set(h, pending);
    }
    void pending.then((p) => (done ? p?.done() : p?.report(percent, message)));
    if (done) this.tasks.delete(h);
  }

  private progress(h: AnalysisHost, generation: number): Progress | null {
    const e = this.progresses.get(h);
    return e && e.generation === generation ? e.progress : null;
  }

  private progressDone(h: AnalysisHost, generation: number): void {
    const e = this.progresses.get(h);
    if (!e || e.generation > generation) return;
    this.progresses.delete(h);
    e.progress?.done();
  }

  /** Publishes a capture view's diagnostics (when open) and announces its analysis. */
  private async publishView(uri: string): Promise<void> {
    const { path, connection } = parseCaptureUri(uri);
    const h = this.hosts.get(path);
    if (!h || !h.isReady) return;
    const generation = h.generation;
    try {
      const open = this.openViews.has(uri);
      const [diags, n] = await Promise.all([open ? h.call(uri, connection, 'diagnostics', undefined) : Promise.resolve(null), h.call(uri, connection, 'counts', undefined)]);
      if (h.generation !== generation || this.hosts.get(path) !== h) return; // stale
      if (diags && this.openViews.has(uri)) this.deps.publishDiagnostics(uri, undefined, diags);
      this.deps.analysisChanged({ uri, version: null, ...n });
    } catch (e) {
      this.deps.log(`${uri}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private disposeIdleHosts(): void {
    const now = Date.now();
    for (const [path, h] of this.hosts) {
      const open = [...(this.views.get(path) ?? [])].some((u) => this.openViews.has(u));
      if (!open && now - h.lastUsed > IDLE_HOST_MS) {
        h.dispose();
        this.hosts.delete(path);
      }
    }
  }

  // ------------------------------------------------------------------------------------ requests

  /** OpenCaptureRequest: (re)loads the file if it changed, renders the view. */
  async openCapture(uri: string, token?: CancelToken): Promise<FeatureResult<'openCapture'>> {
    const { path, connection } = parseCaptureUri(uri);
    this.knowView(path, uri);
    const h = this.host(path, true);
    await raceToken(h.ready(), token);
    return h.call(uri, connection, 'openCapture', undefined, token);
  }

  /**
   * Runs a feature on a document: a capture view in its worker, a text trace here. Null when the
   * document is unknown. Rejects with CancelledError when `token` is cancelled first.
   */
  async call<K extends FeatureName>(uri: string, name: K, params: FeatureParams<K>, token?: CancelToken): Promise<FeatureResult<K> | null> {
    let capturePath: string | null = null;
    let connection: number | undefined;
    let viewUri = uri;
    if (isCaptureUri(uri)) {
      const p = parseCaptureUri(uri);
      capturePath = p.path;
      connection = p.connection;
    } else {
      const doc = this.deps.documents.get(uri);
      if (doc) {
        if (token?.isCancellationRequested) throw new CancelledError();
        return runFeature(this.textDoc(doc), name, params);
      }
      const f = this.fileDoc(uri);
      if (f === null) return null;
      if ('capture' in f) {
        // A capture named by its file: its whole view.
        capturePath = f.capture;
        viewUri = uri;
      } else {
        if (token?.isCancellationRequested) throw new CancelledError();
        return runFeature(f, name, params);
      }
    }
    this.knowView(capturePath, viewUri);
    const h = this.host(capturePath);
    await raceToken(h.ready(), token);
    return h.call(viewUri, connection, name, params, token);
  }

  /**
   * OtherSideRequest: adds the other side's capture to a capture (`other`: its path), removes it
   * (null) or asks (undefined); answers once the capture's views are analyzed again. A merge that
   * fails (unreadable file, streaming path) is forgotten and says why.
   */
  async otherSide(uri: string, other: string | null | undefined, token?: CancelToken): Promise<{ merge: OtherSideInfo | null; error: string | null }> {
    const path = isCaptureUri(uri) ? parseCaptureUri(uri).path : filePath(uri);
    if (path === null) return { merge: null, error: `not a capture: ${uri}` };
    const h = this.host(path);
    if (other !== undefined) {
      if (other !== null && !fs.existsSync(other)) return { merge: null, error: `cannot read ${other}: no such file` };
      if (other === null) this.others.delete(path);
      else this.others.set(path, other);
      h.setOther(other);
    }
    const s = await raceToken(h.ready(), token);
    if (s.pairError !== undefined && this.others.get(path) === other) {
      // Not merged: the views show the capture alone; do not try again on every reload.
      this.others.delete(path);
      h.setOther(null);
    }
    return { merge: s.pair ?? null, error: s.pairError ?? null };
  }

  // ------------------------------------------------------------------------------------ settings

  updateSettings(s: ServerSettings): void {
    this.settings = s;
    this.files.clear();
    for (const [uri, e] of this.texts) {
      const doc = this.deps.documents.get(uri);
      if (doc) this.analyzeText(doc);
      else if (e.timer) clearTimeout(e.timer);
    }
    for (const h of this.hosts.values()) {
      h.updateSettings(s);
      if (sizeOf(h.path) >= PROGRESS_MIN_BYTES) this.startProgress(h);
    }
  }

  dispose(): void {
    clearInterval(this.idleTimer);
    for (const h of this.hosts.values()) h.dispose('the server is shutting down');
    this.hosts.clear();
  }
}
