/** Shared helpers for the integration tests: the extension's API, fixtures, and waiting on events (never sleeping). */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { TeardownTracerApi } from '../../src/extension/extension';

export const EXTENSION_ID = 'teardown-tracer.teardown-tracer';
/** The repository root (this file runs from out/test/integration). */
export const REPO = path.resolve(__dirname, '../../..');

export function kernelFixture(name: string): vscode.Uri {
  const p = path.join(REPO, 'test/fixtures/kernel', name);
  assert.ok(fs.existsSync(p), `fixture ${p} is missing`);
  return vscode.Uri.file(p);
}

export function ownFixture(name: string): vscode.Uri {
  return vscode.Uri.file(path.join(REPO, 'test/integration/fixtures', name));
}

let apiPromise: Promise<TeardownTracerApi> | undefined;

/** Activates the extension (once) and waits for its language server. */
export function api(): Promise<TeardownTracerApi> {
  apiPromise ??= (async () => {
    const ext = vscode.extensions.getExtension<TeardownTracerApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is not installed`);
    const a = await ext.activate();
    await a.ready();
    return a;
  })();
  return apiPromise;
}

/**
 * Resolves when `check()` returns a value (not undefined), re-checking whenever one of `events`
 * fires. The time limit only turns a hang into a readable failure.
 */
export function until<T>(what: string, check: () => T | undefined, events: vscode.Event<unknown>[], timeoutMs = 30_000): Promise<T> {
  const first = check();
  if (first !== undefined) return Promise.resolve(first);
  return new Promise<T>((resolve, reject) => {
    const subs: vscode.Disposable[] = [];
    const done = (): void => {
      clearTimeout(timer);
      for (const s of subs) s.dispose();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    for (const ev of events)
      subs.push(
        ev(() => {
          let v: T | undefined;
          try {
            v = check();
          } catch (e) {
            done();
            reject(e instanceof Error ? e : new Error(String(e)));
            return;
          }
          if (v !== undefined) {
            done();
            resolve(v);
          }
        }),
      );
  });
}

export function diagnosticCode(d: vscode.Diagnostic): string {
  const c = d.code;
  if (c === undefined) return '';
  return typeof c === 'object' ? String(c.value) : String(c);
}

/** Waits until a document's diagnostics include every code in `codes`; returns all its diagnostics. */
export function diagnosticsWith(uri: vscode.Uri, codes: string[], timeoutMs?: number): Promise<vscode.Diagnostic[]> {
  return until(
    `diagnostics ${codes.join(', ')} on ${uri.toString()}`,
    () => {
      const ds = vscode.languages.getDiagnostics(uri);
      const have = new Set(ds.map(diagnosticCode));
      return codes.every((c) => have.has(c)) ? ds : undefined;
    },
    [vscode.languages.onDidChangeDiagnostics],
    timeoutMs,
  );
}

export function tmpFile(name: string): vscode.Uri {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-integration-'));
  return vscode.Uri.file(path.join(dir, name));
}

export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

export function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))
    .join('\n');
}

/**
 * Opens a capture as the Explorer does (its default editor: the capture editor), and resolves with
 * the text view's editor once it is active.
 */
export async function openCapture(file: vscode.Uri): Promise<vscode.TextEditor> {
  const view = captureView(file);
  const inTabs = vscode.window.tabGroups.all.some((g) =>
    g.tabs.some(
      (t) =>
        (t.input instanceof vscode.TabInputText && t.input.uri.toString() === view.toString()) ||
        (t.input instanceof vscode.TabInputCustom && t.input.uri.toString() === file.toString()),
    ),
  );
  const active = (): vscode.TextEditor | undefined =>
    vscode.window.activeTextEditor?.document.uri.toString() === view.toString() ? vscode.window.activeTextEditor : undefined;
  if (inTabs) {
    // Already open: the capture editor is not resolved again, so show the text view directly.
    await vscode.commands.executeCommand('vscode.open', file);
    return vscode.window.showTextDocument(await vscode.workspace.openTextDocument(view));
  }
  const shown = until(`${view.toString()} to become the active editor`, active, [vscode.window.onDidChangeActiveTextEditor]);
  await vscode.commands.executeCommand('vscode.open', file);
  return shown;
}

export function captureView(file: vscode.Uri): vscode.Uri {
  return vscode.Uri.from({ scheme: 'teardown-capture', path: file.path, query: 'view=all' });
}
