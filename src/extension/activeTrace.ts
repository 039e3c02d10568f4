/**
 * Which trace the side bar, the status bar and the commands work on: the active editor's when it
 * shows a trace (a text trace, a capture view, or a capture's summary tab), else the last such one
 * while it stays open. Focus moving to the diagram or to a non-trace editor keeps it.
 */
import * as vscode from 'vscode';
import { ContextKey, setContext } from './config';
import { CAPTURE_EDITOR_VIEW_TYPE } from './capture/editor';
import { captureViewUri, isCaptureView, isTraceDocument, isTraceLanguage } from './uris';

export class ActiveTrace implements vscode.Disposable {
  private current: vscode.Uri | undefined;
  private readonly emitter = new vscode.EventEmitter<vscode.Uri | undefined>();
  readonly onDidChange = this.emitter.event;
  private readonly disposables: vscode.Disposable[];

  constructor() {
    this.disposables = [
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
      vscode.window.tabGroups.onDidChangeTabs(() => this.update()),
      vscode.window.tabGroups.onDidChangeTabGroups(() => this.update()),
      vscode.workspace.onDidOpenTextDocument(() => this.update()),
      vscode.workspace.onDidCloseTextDocument(() => this.update()),
    ];
    this.update();
  }

  /** The analysis URI of the active trace (a capture is its `?view=all` view). */
  get uri(): vscode.Uri | undefined {
    return this.current;
  }

  /** Resolves with the active trace once it is `uri` (for tests and commands that just opened it). */
  whenActive(uri: vscode.Uri): Promise<void> {
    if (this.current?.toString() === uri.toString()) return Promise.resolve();
    return new Promise((resolve) => {
      const sub = this.onDidChange((u) => {
        if (u?.toString() === uri.toString()) {
          sub.dispose();
          resolve();
        }
      });
    });
  }

  private update(): void {
    const next = activeTabTrace() ?? (this.current && isStillOpen(this.current) ? this.current : undefined);
    if (next?.toString() === this.current?.toString()) return;
    this.current = next;
    setContext(ContextKey.activeTrace, next !== undefined);
    this.emitter.fire(next);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.emitter.dispose();
  }
}

/** The trace shown by the active tab, if it shows one. */
function activeTabTrace(): vscode.Uri | undefined {
  const editor = vscode.window.activeTextEditor;
  if (editor && isTraceDocument(editor.document)) return editor.document.uri;
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputCustom && input.viewType === CAPTURE_EDITOR_VIEW_TYPE) return captureViewUri(input.uri);
  if (input instanceof vscode.TabInputText) {
    if (isCaptureView(input.uri)) return input.uri;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === input.uri.toString());
    if (doc && isTraceLanguage(doc.languageId)) return doc.uri;
  }
  return undefined;
}

function isStillOpen(uri: vscode.Uri): boolean {
  const key = uri.toString();
  for (const group of vscode.window.tabGroups.all)
    for (const tab of group.tabs) {
      const input = tab.input;
      if (input instanceof vscode.TabInputText && input.uri.toString() === key) return true;
      if (input instanceof vscode.TabInputCustom && input.viewType === CAPTURE_EDITOR_VIEW_TYPE && captureViewUri(input.uri).toString() === key)
        return true;
    }
  return false;
}
