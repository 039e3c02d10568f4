/**
 * The read-only text of capture views (`teardown-capture:` documents): the server decodes the file
 * and renders one tcpdump-like line per segment, grouped by connection, up to
 * `teardownTracer.maxSegmentsShown` segments per view. Capture bytes never cross the protocol.
 */
import * as vscode from 'vscode';
import { CAPTURE_SCHEME, LANG_TCPDUMP, OpenCaptureRequest } from '../../shared/lspProtocol';
import type { TeardownClient } from '../client';
import { affectsCaptureText } from '../config';
import { captureFileOf, displayName, isCaptureView } from '../uris';

export interface ViewInfo {
  truncated: boolean;
  shownSegments: number;
  totalSegments: number;
  error: string | null;
  /** The server took the streaming path (a big capture). */
  streamed: boolean;
}

export class CaptureContentProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changeEmitter.event;
  private readonly infoEmitter = new vscode.EventEmitter<vscode.Uri>();
  /** After a view's text was (re)rendered: its truncation and errors are known. */
  readonly onDidChangeInfo = this.infoEmitter.event;
  private readonly info = new Map<string, ViewInfo>();
  private readonly warnedTruncated = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly client: TeardownClient) {
    this.disposables.push(
      vscode.workspace.registerTextDocumentContentProvider(CAPTURE_SCHEME, this),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsCaptureText(e)) this.refreshAfterReanalysis();
      }),
      // No re-render after a restart: the client sends the open views to the new server, which
      // renders them again with the same settings, so the lines still match.
      // Views restored with the window, or opened by the Problems view, come up as plain text.
      vscode.workspace.onDidOpenTextDocument((doc) => ensureLanguage(doc)),
    );
    for (const doc of vscode.workspace.textDocuments) ensureLanguage(doc);
    // A capture rewritten on disk (a capture still being taken, a regenerated fixture).
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.{pcap,pcapng,cap}', true, false, true);
    this.disposables.push(
      watcher,
      watcher.onDidChange((file) => {
        for (const doc of vscode.workspace.textDocuments)
          if (isCaptureView(doc.uri) && captureFileOf(doc.uri).fsPath === file.fsPath) this.changeEmitter.fire(doc.uri);
      }),
    );
  }

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    let result: OpenCaptureRequest.Result;
    try {
      result = await this.client.request(OpenCaptureRequest.type, { uri: uri.toString() }, token);
    } catch (e) {
      result = { text: '', truncated: false, shownSegments: 0, totalSegments: 0, error: errorText(e) };
    }
    const info: ViewInfo = {
      truncated: result.truncated,
      shownSegments: result.shownSegments,
      totalSegments: result.totalSegments,
      error: result.error,
      streamed: result.streamed === true,
    };
    // Kept after the view closes (a language change closes and reopens it); a few hundred bytes each.
    this.info.delete(uri.toString());
    this.info.set(uri.toString(), info);
    if (this.info.size > 256) this.info.delete(this.info.keys().next().value as string);
    this.infoEmitter.fire(uri);
    if (result.error !== null) {
      this.client.output.warn(`${uri.toString()}: ${result.error}`);
      // The view still opens, saying why it is empty (a comment line in tcpdump text).
      return result.text || `# ${displayName(uri)}: ${result.error}\n`;
    }
    if (result.truncated) this.warnTruncated(uri, info);
    return result.text;
  }

  /** Truncation and errors of a rendered view, once rendered. */
  viewInfo(uri: vscode.Uri): ViewInfo | undefined {
    return this.info.get(uri.toString());
  }

  /** Re-renders every open capture view (settings changed, server restarted). */
  refreshAll(): void {
    for (const doc of vscode.workspace.textDocuments) if (isCaptureView(doc.uri)) this.changeEmitter.fire(doc.uri);
  }

  /**
   * After a setting that changes the rendering: the server reloads its settings (a round trip for
   * workspace/configuration) and re-analyzes every open capture view, announcing each with
   * analysisChanged. Asking for the text before that would render with the old settings, so each
   * view is re-rendered once its announcement arrives (or after a few seconds if none does).
   */
  private refreshAfterReanalysis(): void {
    for (const doc of vscode.workspace.textDocuments) {
      if (!isCaptureView(doc.uri)) continue;
      const uri = doc.uri;
      let done = false;
      const fire = (): void => {
        if (done) return;
        done = true;
        sub.dispose();
        clearTimeout(fallback);
        this.changeEmitter.fire(uri);
      };
      const sub = this.client.onDidChangeAnalysis((p) => {
        if (p.uri === uri.toString()) fire();
      });
      const fallback = setTimeout(fire, 3000);
    }
  }

  private warnTruncated(uri: vscode.Uri, info: ViewInfo): void {
    const key = uri.toString();
    if (this.warnedTruncated.has(key)) return;
    this.warnedTruncated.add(key);
    const n = (x: number): string => x.toLocaleString('en-US');
    void vscode.window
      .showInformationMessage(
        `${displayName(uri)} shows the first ${n(info.shownSegments)} of ${n(info.totalSegments)} segments ` +
          `(teardownTracer.maxSegmentsShown). Every connection is in the Teardown side bar; open one to see all its segments.`,
        'Open Side Bar',
        'Change Limit',
      )
      .then((choice) => {
        if (choice === 'Open Side Bar') void vscode.commands.executeCommand('teardownTracer.connections.focus');
        else if (choice === 'Change Limit')
          void vscode.commands.executeCommand('workbench.action.openSettings', 'teardownTracer.maxSegmentsShown');
      });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.changeEmitter.dispose();
    this.infoEmitter.dispose();
  }
}

/**
 * Opens a capture view as a read-only tcpdump-text document and shows it. The language is set before
 * the document is synchronized with the server (the client only selects tcpdump-text views).
 */
export async function openCaptureView(
  view: vscode.Uri,
  options: vscode.TextDocumentShowOptions = {},
): Promise<vscode.TextEditor> {
  return vscode.window.showTextDocument(await loadCaptureView(view), options);
}

/** Opens (without showing) a capture view with its language set. */
export async function loadCaptureView(view: vscode.Uri): Promise<vscode.TextDocument> {
  return withLanguage(await vscode.workspace.openTextDocument(view));
}

const settingLanguage = new Map<string, Thenable<vscode.TextDocument>>();

/** Sets a capture view's language once, however many callers ask at the same time. */
function withLanguage(doc: vscode.TextDocument): Thenable<vscode.TextDocument> {
  if (doc.languageId === LANG_TCPDUMP) return Promise.resolve(doc);
  const key = doc.uri.toString();
  let pending = settingLanguage.get(key);
  if (!pending) {
    pending = vscode.languages.setTextDocumentLanguage(doc, LANG_TCPDUMP).then(
      (d) => {
        settingLanguage.delete(key);
        return d;
      },
      (e: unknown) => {
        settingLanguage.delete(key);
        throw e;
      },
    );
    settingLanguage.set(key, pending);
  }
  return pending;
}

function ensureLanguage(doc: vscode.TextDocument): void {
  if (isCaptureView(doc.uri) && doc.languageId !== LANG_TCPDUMP && !doc.isClosed)
    void withLanguage(doc).then(undefined, () => undefined);
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
