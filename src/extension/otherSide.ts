/**
 * "Add the Other Side's Capture" (issue 15): a capture open in the editor gets the capture taken
 * at the other end of the same connections. The language server merges the two (src/core/merge,
 * the one engine) and every view of the capture then shows the merge: the text view, its
 * diagnostics and hovers, the side bar, the status bar and the ladder with both lifelines.
 *
 * Remembered per capture file for the window's session: the extension keeps the pairs and sends
 * them again when the language server restarts; nothing is written to the workspace state (a
 * pair is a step of an investigation, and either file may be rewritten or moved afterwards).
 */
import * as vscode from 'vscode';
import { OtherSideRequest, type OtherSideInfo } from '../shared/lspProtocol';
import type { ActiveTrace } from './activeTrace';
import type { Analyses } from './analyses';
import type { CaptureContentProvider } from './capture/content';
import type { TeardownClient } from './client';
import { setContext } from './config';
import type { DiagramController } from './diagramHost';
import { analysisUri, captureFileOf, captureViewUri, displayName, isCaptureView, toUri } from './uris';

/** The active capture has the other side's capture merged in. */
export const PAIR_CONTEXT = 'teardownTracer.pairActive';

export interface OtherSideDeps {
  client: TeardownClient;
  analyses: Analyses;
  active: ActiveTrace;
  content: CaptureContentProvider;
  diagram(): DiagramController;
}

/** The offset in words: "+3.499998 s (3.489770 to 3.510225 s)". */
export function offsetText(p: OtherSideInfo): string {
  const s = (x: number | null): string => (x === null ? 'unbounded' : x.toFixed(6));
  return `${p.offset >= 0 ? '+' : '−'}${Math.abs(p.offset).toFixed(6)} s (${s(p.bounds[0])} to ${s(p.bounds[1])} s)`;
}

/** "client capture a.pcap + server capture b.pcap". */
export function pairText(p: OtherSideInfo): string {
  return `${p.names[0]} capture ${p.files[0]} + ${p.names[1]} capture ${p.files[1]}`;
}

export class OtherSide implements vscode.Disposable {
  /** Capture file (fsPath) -> the other capture's file, for this window's session. */
  private readonly pairs = new Map<string, vscode.Uri>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    context: vscode.ExtensionContext,
    private readonly d: OtherSideDeps,
  ) {
    const reg = (id: string, fn: (...args: unknown[]) => Promise<unknown>): void => {
      this.disposables.push(
        vscode.commands.registerCommand(id, async (...args: unknown[]) => {
          try {
            return await fn(...args);
          } catch (e) {
            const msg = e instanceof Error ? e.message : String(e);
            d.client.output.error(`${id}: ${msg}`);
            void vscode.window.showErrorMessage(`Teardown Tracer: ${msg}`);
            return undefined;
          }
        }),
      );
    };
    reg('teardownTracer.addOtherSide', (arg?: unknown, other?: unknown) => this.add(arg, other));
    reg('teardownTracer.removeOtherSide', (arg?: unknown) => this.remove(arg));
    const sync = (): void => setContext(PAIR_CONTEXT, this.activePair() !== undefined);
    this.disposables.push(
      d.active.onDidChange(sync),
      d.client.onDidChangeAnalysis(sync),
      // A restarted server forgot the pairs: send them again.
      d.client.onDidRestart(() => void this.resend()),
    );
    context.subscriptions.push(this);
  }

  /** The pair merged into the active capture, as the server last announced it. */
  activePair(): OtherSideInfo | undefined {
    const uri = this.d.active.uri;
    return uri ? this.d.client.lastAnalysis(uri)?.pair : undefined;
  }

  /** The capture a command works on: a capture file or view named, else the active one. */
  private capture(arg: unknown): vscode.Uri {
    // The side bar's pair item carries its trace.
    const node = typeof arg === 'object' && arg !== null && 'kind' in arg && 'uri' in arg ? (arg as { uri: unknown }).uri : arg;
    const given = node instanceof vscode.Uri ? node : toUri(node);
    const uri = given ? analysisUri(given) : this.d.active.uri;
    if (!uri || !isCaptureView(uri)) throw new Error('Open a capture (.pcap, .pcapng, .cap) first: the other side’s capture is added to a capture.');
    return captureViewUri(captureFileOf(uri));
  }

  /** Adds the other side's capture (`otherArg`: its Uri; else a file picker). Returns what the server merged. */
  async add(arg?: unknown, otherArg?: unknown): Promise<OtherSideInfo | undefined> {
    const view = this.capture(arg);
    const file = captureFileOf(view);
    let other = toUri(otherArg);
    if (!other) {
      const picked = await vscode.window.showOpenDialog({
        title: `Add the Other Side's Capture to ${displayName(file)}`,
        openLabel: 'Add Capture',
        canSelectMany: false,
        defaultUri: vscode.Uri.joinPath(file, '..'),
        filters: { Captures: ['pcap', 'pcapng', 'cap', 'gz'], 'All files': ['*'] },
      });
      other = picked?.[0];
    }
    if (!other) return undefined;
    if (other.fsPath === file.fsPath) throw new Error('Choose the capture taken at the other end of the connections, not the same file.');
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Merging ${displayName(other)}` }, () =>
      this.d.client.request(OtherSideRequest.type, { uri: view.toString(), other: other.toString() }),
    );
    if (r.error !== null || r.merge === null) throw new Error(`${displayName(other)} could not be added to ${displayName(file)}: ${r.error ?? 'no merge'}`);
    this.pairs.set(file.fsPath, other);
    await this.changed(view);
    void vscode.window.showInformationMessage(
      `Teardown Tracer: ${pairText(r.merge)} merged; clock offset ${offsetText(r.merge)}; ${r.merge.counts.lost} segment${r.merge.counts.lost === 1 ? '' : 's'} lost between the capture points.`,
    );
    return r.merge;
  }

  async remove(arg?: unknown): Promise<void> {
    const view = this.capture(arg);
    const file = captureFileOf(view);
    this.pairs.delete(file.fsPath);
    await this.d.client.request(OtherSideRequest.type, { uri: view.toString(), other: null });
    await this.changed(view);
  }

  /** The merge changed a capture's analysis: its text views render again, the ladder shows it. */
  private async changed(view: vscode.Uri): Promise<void> {
    this.d.analyses.invalidate(view);
    this.d.content.refreshAll();
    setContext(PAIR_CONTEXT, this.activePair() !== undefined);
    const first = await this.d.analyses.firstInteresting(view);
    await this.d.diagram().show(view.toString(), first?.id);
  }

  private async resend(): Promise<void> {
    for (const [path, other] of this.pairs) {
      const view = captureViewUri(vscode.Uri.file(path));
      try {
        await this.d.client.request(OtherSideRequest.type, { uri: view.toString(), other: other.toString() });
      } catch (e) {
        this.d.client.output.warn(`${path}: the other side's capture could not be added again: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  dispose(): void {
    for (const x of this.disposables) x.dispose();
  }
}
