/**
 * "Add the Other Side's Capture" in a real VS Code (issue 15): the client's capture of a lost
 * final ACK gets the server's capture (its clock 3.5 s ahead); the text view, Problems, the
 * hover, the side bar and the status bar then say what the merge says; removing it goes back.
 */
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import type { PairNode } from '../../src/extension/tree';
import { api, captureView, closeAllEditors, diagnosticCode, diagnosticsWith, hoverText, openCapture, REPO, until } from './helpers';

const twoEnds = (name: string): vscode.Uri => vscode.Uri.file(path.join(REPO, 'test/fixtures/twoends', name));

describe('the other side’s capture', () => {
  before(async () => {
    await api();
  });
  after(closeAllEditors);

  it('merges the server’s capture into the client’s: text view, Problems, hover, side bar, status bar; and removes it', async () => {
    const a = await api();
    const file = twoEnds('01-lost-final-ack.client.pcap');
    const other = twoEnds('01-lost-final-ack.server+3.5s.pcap');
    const uri = captureView(file);
    const editor = await openCapture(file);
    await diagnosticsWith(uri, ['missing-ack']);
    assert.match(editor.document.lineAt(0).text, /^# connection 1: /, 'one capture alone first');

    const rendered = until(
      'the text view rendered with the merge',
      () => (/^# two captures merged/.test(editor.document.lineAt(0).text) ? true : undefined),
      [vscode.workspace.onDidChangeTextDocument],
    );
    const merged = (await vscode.commands.executeCommand('teardownTracer.addOtherSide', file, other)) as { offset: number; counts: { lost: number } } | undefined;
    assert.ok(merged, 'the command answers with the merge');
    assert.ok(Math.abs(merged.offset - 3.5) < 0.001, `offset ${merged.offset}`);
    await rendered;
    const doc = editor.document;
    assert.match(doc.lineAt(1).text, /^# clock: the server capture's clock is 3\.49\d+ s ahead of the client capture's/);

    const ds = await diagnosticsWith(uri, ['lost-between-captures']);
    const lost = ds.find((d) => diagnosticCode(d) === 'lost-between-captures')!;
    assert.strictEqual(
      lost.message,
      "The client's final ACK (client frame 11) was sent and lost before the server's capture point; the server retransmitted its FIN from LAST-ACK (server frame 11).",
    );
    assert.match(doc.lineAt(lost.range.start.line).text, /10\.89\.0\.1\.41001 > 10\.89\.0\.2\.8080: Flags \[\.\], ack \d+, win/, 'on the final ACK’s line');
    const hover = hoverText(
      await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(lost.range.start.line, 8)),
    );
    assert.match(hover, /Lost between the capture points:\*\* sent client frame 11/);

    // Side bar: the pair first, with the offset; status bar: the pair and the offset in its tooltip.
    const roots = await until(
      'the side bar to list the pair',
      () => {
        const s = a.connectionsTree.current;
        return s.uri?.toString() === uri.toString() && s.result?.pair ? s : undefined;
      },
      [a.connectionsTree.onDidSettle],
    );
    assert.ok(roots.result?.pair);
    const top = await a.connectionsTree.getChildren();
    const pair = top[0] as PairNode;
    assert.strictEqual(pair.kind, 'pair');
    const item = a.connectionsTree.getTreeItem(pair);
    assert.strictEqual(item.label, 'Two captures: 01-lost-final-ack.client.pcap + 01-lost-final-ack.server+3.5s.pcap');
    assert.match(String(item.description), /^offset \+3\.49\d+ s \(3\.4\d+ to 3\.5\d+ s\)$/);
    await until('the status bar to name the pair', () => (/client \+ server/.test(a.statusBar.text) ? true : undefined), [a.analyses.onDidChange, a.activeTrace.onDidChange]);
    assert.match(a.statusBar.text, /\$\(arrow-swap\) client \+ server/);
    assert.match(a.statusBar.tooltipText, /Clock offset \(server − client\): \\\+3\\\.49\d+ s \\\(3\\\.4\d+ to 3\\\.5\d+ s\\\)/, 'Markdown-escaped');

    // Remove it: the capture alone again.
    const alone = until('the text view rendered alone', () => (/^# connection 1: /.test(editor.document.lineAt(0).text) ? true : undefined), [vscode.workspace.onDidChangeTextDocument]);
    await vscode.commands.executeCommand('teardownTracer.removeOtherSide', file);
    await alone;
    await until(
      'the lost-segment diagnostic to go',
      () => (vscode.languages.getDiagnostics(uri).some((d) => diagnosticCode(d) === 'lost-between-captures') ? undefined : true),
      [vscode.languages.onDidChangeDiagnostics],
    );
  });
});
