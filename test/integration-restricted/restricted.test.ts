/**
 * Restricted Mode: the manifest declares `untrustedWorkspaces: { supported: true }` and the README
 * says the extension works in an untrusted workspace (it only reads files). These tests run in a
 * window where workspace trust is enabled and the opened folder (test/fixtures/kernel) is NOT
 * trusted, and check each front end there: activation and the language server, a capture's
 * editor, text view, diagnostics and side bar, a tcpdump trace's diagnostics, the ladder webview.
 */
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  api,
  captureView,
  closeAllEditors,
  diagnosticCode,
  diagnosticsWith,
  EXTENSION_ID,
  hoverText,
  kernelFixture,
  REPO,
  until,
} from '../integration/helpers';

/**
 * Re-checks `check` every `everyMs` until it gives a value. Only for state nothing announces with an
 * event (a webview's readiness); the time limit only turns a hang into a readable failure.
 */
async function poll<T>(
  what: string,
  check: () => Promise<T | undefined>,
  everyMs = 250,
  timeoutMs = 30_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() >= end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const capture = kernelFixture('04-half-close-lingering.pcap');
const view = captureView(capture);

describe('Restricted Mode (an untrusted workspace)', () => {
  before(() => {
    // Everything below means something only in Restricted Mode: stop here if the harness did not arrange it.
    assert.strictEqual(vscode.workspace.isTrusted, false, 'the workspace is not trusted (run-tests.mjs --restricted)');
  });
  after(closeAllEditors);

  it('runs in an untrusted workspace, and the extension is enabled and active there', async () => {
    assert.strictEqual(vscode.workspace.isTrusted, false, 'the harness opened the workspace in Restricted Mode');
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.deepStrictEqual(
      folders.map((f) => f.uri.fsPath),
      [path.join(REPO, 'test/fixtures/kernel')],
      'the kernel fixtures folder is the (untrusted) workspace',
    );
    const started = Date.now();
    const a = await api();
    console.log(`      (activation and language server: ${Date.now() - started} ms)`);
    assert.ok(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, 'the extension is active');
    assert.ok(a.connectionsTree && a.statusBar && a.diagram, 'the API exposes the views');
  });

  it('opens a kernel capture in the capture editor: its text view, Problems, hover and status bar', async () => {
    const a = await api();
    const shown = until(
      'the capture text view to become the active editor',
      () =>
        vscode.window.activeTextEditor?.document.uri.toString() === view.toString()
          ? vscode.window.activeTextEditor
          : undefined,
      [vscode.window.onDidChangeActiveTextEditor],
    );
    const lingering = diagnosticsWith(view, ['lingering-half-close']);
    // What a click in the Explorer does: the default editor for *.pcap is the capture editor.
    await vscode.commands.executeCommand('vscode.open', capture);
    const editor = await shown;
    assert.strictEqual(editor.document.languageId, 'tcpdump-text');
    assert.match(editor.document.getText(), /Flags \[F\.?\]/, 'the view shows decoded segments');
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.input));
    assert.ok(
      tabs.some(
        (i) =>
          i instanceof vscode.TabInputCustom &&
          i.viewType === 'teardownTracer.capture' &&
          i.uri.toString() === capture.toString(),
      ),
      'the capture has its summary tab (custom editor)',
    );
    const ds = (await lingering).filter((d) => diagnosticCode(d) === 'lingering-half-close');
    assert.strictEqual(ds.length, 1, 'one lingering-half-close diagnostic');
    assert.match(editor.document.lineAt(ds[0].range.start.line).text, /Flags \[F\.?\]/, 'on the FIN');
    // The status bar item changes after an asynchronous request; no event announces its text.
    await poll('the status bar to count the capture', async () =>
      a.statusBar.text.endsWith('1 connection, 1 finding') ? true : undefined,
    );

    const fin = ds[0].range.start;
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      view,
      new vscode.Position(fin.line, editor.document.lineAt(fin.line).text.indexOf('Flags') + 1),
    );
    const text = hoverText(hovers);
    assert.match(text, /FIN-WAIT-1/, `the hover shows the FIN's sender (hover: ${text})`);
    assert.match(text, /CLOSE-WAIT/, `the hover shows the FIN's receiver (hover: ${text})`);
  });

  it('lists the capture’s connection and finding in the Teardown side bar', async () => {
    const a = await api();
    await a.activeTrace.whenActive(view);
    // Show the side bar's tree view, as a click on the activity bar icon does.
    await vscode.commands.executeCommand('teardownTracer.connections.focus');
    const tree = a.connectionsTree;
    const groups = (await tree.getChildren()).filter((n) => n.kind === 'group');
    assert.deepStrictEqual(
      groups.map((g) => (g.kind === 'group' ? `${g.outcome}:${g.count}` : '')),
      ['half-closed:1'],
      'one half-closed connection',
    );
    const [conn] = await tree.getChildren(groups[0]);
    assert.ok(conn?.kind === 'connection', 'the connection is listed under its group');
    assert.strictEqual(conn.connection.closeInitiator, 'client');
    const findings = await tree.getChildren(conn);
    assert.deepStrictEqual(
      findings.map((f) => (f.kind === 'finding' ? f.finding.code : f.kind)),
      ['lingering-half-close'],
      'its finding is under it',
    );
  });

  it('analyzes a tcpdump text trace from the untrusted folder: diagnostics from the language server', async () => {
    const doc = await vscode.workspace.openTextDocument(kernelFixture('06-abortive-close-linger0.txt'));
    await vscode.window.showTextDocument(doc);
    // A .txt file: the user picks the language (as for pasted `tcpdump -nn` output).
    const traced = await vscode.languages.setTextDocumentLanguage(doc, 'tcpdump-text');
    assert.strictEqual(traced.languageId, 'tcpdump-text');
    const ds = await diagnosticsWith(traced.uri, ['abrupt-reset']);
    const reset = ds.find((d) => diagnosticCode(d) === 'abrupt-reset')!;
    assert.strictEqual(reset.source, 'teardown-tracer');
    assert.match(
      traced.lineAt(reset.range.start.line).text,
      /Flags \[R/,
      'the abrupt-reset diagnostic sits on the RST line',
    );
  });

  it('opens the ladder in an editor panel from the palette, with nothing named or shown yet: the active trace', async () => {
    const a = await api();
    // No diagram has shown anything in this window yet: the panel shows the active trace's
    // connection (its first with a finding), as the side bar's diagram would.
    const activeUri = a.activeTrace.uri;
    assert.ok(activeUri, 'a trace is active');
    const expected = await a.analyses.firstInteresting(activeUri);
    assert.ok(expected, 'the active trace has a connection');
    const endpoint = `${expected.client.addr}:${expected.client.port}`;
    await vscode.commands.executeCommand('teardownTracer.openDiagramPanel');
    const tab = await until(
      'the ladder panel’s tab',
      () =>
        vscode.window.tabGroups.all
          .flatMap((g) => g.tabs)
          .find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('teardownTracer.diagramPanel')),
      [vscode.window.tabGroups.onDidChangeTabs],
    );
    const svg = await poll('the panel to draw the active trace’s connection', async () => {
      const s = await a.diagram.exportSvg();
      return s?.includes(endpoint) ? s : undefined;
    });
    assert.ok(svg.includes(expected.finalState.client), `the ladder ends in the client's ${expected.finalState.client}`);
    await vscode.window.tabGroups.close(tab);
  });

  it('shows the ladder diagram in its webview, drawn by the webview’s script', async () => {
    const a = await api();
    await vscode.commands.executeCommand('teardownTracer.showDiagram', view);
    // The SVG comes from the webview (GetSvg): it loaded, fetched the connection's segments and drew them.
    const svg = await poll('the ladder webview to draw the connection', () => a.diagram.exportSvg());
    assert.match(svg, /^<\?xml[^>]*>\s*<svg/, 'an SVG document');
    for (const s of ['SYN-SENT', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT'])
      assert.ok(svg.includes(s), `the ladder shows ${s}`);
    assert.ok(svg.includes('10.88.0.1:40004'), 'the client endpoint');

    // The editor-panel variant, on the tcpdump trace from the untrusted folder (another connection,
    // so the drawing below can only come from the panel).
    const trace = await vscode.languages.setTextDocumentLanguage(
      await vscode.workspace.openTextDocument(kernelFixture('06-abortive-close-linger0.txt')),
      'tcpdump-text',
    );
    await diagnosticsWith(trace.uri, ['abrupt-reset']);
    await vscode.commands.executeCommand('teardownTracer.openDiagramPanel', trace.uri.toString(), 1);
    const panel = await until(
      'the ladder panel’s tab',
      () =>
        vscode.window.tabGroups.all
          .flatMap((g) => g.tabs)
          .find(
            (t) =>
              t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('teardownTracer.diagramPanel'),
          ),
      [vscode.window.tabGroups.onDidChangeTabs],
    );
    assert.strictEqual(panel.label, 'TCP Ladder');
    // Exports act on the visible diagram used last: now the panel.
    const panelSvg = await poll('the ladder panel to draw the trace’s connection', async () => {
      const s = await a.diagram.exportSvg();
      return s?.includes('10.88.0.1:40006') ? s : undefined;
    });
    assert.ok(panelSvg.includes('RST'), 'the panel draws the reset');
  });
});
