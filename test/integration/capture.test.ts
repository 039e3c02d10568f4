import * as assert from 'assert';
import * as vscode from 'vscode';
import { CAPTURE_SCHEME, SegmentAtRequest } from '../../src/shared/lspProtocol';
import { api, closeAllEditors, diagnosticCode, diagnosticsWith, hoverText, kernelFixture, openCapture, until } from './helpers';

const view = (file: vscode.Uri): vscode.Uri => vscode.Uri.from({ scheme: CAPTURE_SCHEME, path: file.path, query: 'view=all' });

describe('opening captures', () => {
  before(async () => {
    await api();
  });
  after(closeAllEditors);

  it('opens a .pcap from the Explorer in the capture editor and its text view, never as binary', async () => {
    const file = kernelFixture('04-half-close-lingering.pcap');
    const textView = view(file);
    const shown = until(
      'the capture text view to become the active editor',
      () => (vscode.window.activeTextEditor?.document.uri.toString() === textView.toString() ? vscode.window.activeTextEditor : undefined),
      [vscode.window.onDidChangeActiveTextEditor],
    );
    await vscode.commands.executeCommand('vscode.open', file);
    const editor = await shown;
    assert.strictEqual(editor.document.languageId, 'tcpdump-text');
    assert.match(editor.document.getText(), /Flags \[F\.?\]/, 'the view shows decoded segments');
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.input));
    assert.ok(
      tabs.some((i) => i instanceof vscode.TabInputCustom && i.viewType === 'teardownTracer.capture' && i.uri.toString() === file.toString()),
      'the capture has its summary tab (custom editor)',
    );
  });

  it('lists the expected findings in Problems for kernel-made captures', async () => {
    const cases: [string, string][] = [
      ['04-half-close-lingering.pcap', 'lingering-half-close'],
      ['06-abortive-close-linger0.pcap', 'abrupt-reset'],
      ['08-refused-closed-port.pcap', 'refused'],
    ];
    for (const [name, code] of cases) {
      const file = kernelFixture(name);
      const waiting = diagnosticsWith(view(file), [code]);
      await vscode.commands.executeCommand('vscode.open', file);
      const ds = await waiting;
      assert.ok(ds.length >= 1, `${name}: diagnostics`);
    }
  });

  it('puts each Problems entry on the segment it is about, and opening it lands there', async () => {
    const file = kernelFixture('06-abortive-close-linger0.pcap');
    const uri = view(file);
    await openCapture(file);
    const [d] = (await diagnosticsWith(uri, ['abrupt-reset'])).filter((x) => diagnosticCode(x) === 'abrupt-reset');
    const a = await api();
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.match(doc.lineAt(d.range.start.line).text, /Flags \[R/, 'the abrupt-reset diagnostic sits on the RST line');
    const at = await a.client.request(SegmentAtRequest.type, { uri: uri.toString(), line: d.range.start.line });
    assert.ok(at, 'the diagnostic line is a segment');
    // What the Problems view does on a click: open the resource with the diagnostic's range selected.
    await vscode.commands.executeCommand('vscode.open', uri, { selection: d.range });
    const editor = vscode.window.activeTextEditor;
    assert.strictEqual(editor?.document.uri.toString(), uri.toString());
    assert.strictEqual(editor?.selection.start.line, d.range.start.line);
  });

  it('shows both endpoints\' states in the hover of a FIN', async () => {
    const file = kernelFixture('04-half-close-lingering.pcap');
    const uri = view(file);
    const doc = (await openCapture(file)).document;
    await diagnosticsWith(uri, ['lingering-half-close']);
    const line = [...Array(doc.lineCount).keys()].find((i) => /Flags \[F\.?\]/.test(doc.lineAt(i).text));
    assert.ok(line !== undefined, 'a FIN line');
    const col = doc.lineAt(line).text.indexOf('Flags');
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(line, col + 1));
    const text = hoverText(hovers);
    assert.match(text, /FIN-WAIT-1/, `the FIN's sender (hover: ${text})`);
    assert.match(text, /CLOSE-WAIT/, `the FIN's receiver (hover: ${text})`);
  });
});
