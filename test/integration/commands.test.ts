import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import { CAPTURE_SCHEME } from '../../src/shared/lspProtocol';
import { api, closeAllEditors, diagnosticCode, diagnosticsWith, kernelFixture, ownFixture, tmpFile, until } from './helpers';

const view = (file: vscode.Uri): vscode.Uri => vscode.Uri.from({ scheme: CAPTURE_SCHEME, path: file.path, query: 'view=all' });

describe('commands', () => {
  before(async () => {
    await api();
  });
  after(closeAllEditors);

  it('exports the analysis as JSON (the analyze --json document)', async () => {
    const target = tmpFile('analysis.json');
    const out = await vscode.commands.executeCommand<vscode.Uri>('teardownTracer.exportAnalysis', kernelFixture('04-half-close-lingering.pcap'), target);
    assert.strictEqual(out?.toString(), target.toString());
    const json = JSON.parse(fs.readFileSync(target.fsPath, 'utf8')) as { connections: { outcome: string }[]; summary: { connections: number } };
    assert.strictEqual(json.summary.connections, 1);
    assert.strictEqual(json.connections[0].outcome, 'half-closed');
  });

  it('exports the per-step state table as Markdown', async () => {
    const target = tmpFile('states.md');
    await vscode.commands.executeCommand('teardownTracer.exportStateTable', kernelFixture('01-client-active-close.pcap'), target);
    const md = fs.readFileSync(target.fsPath, 'utf8');
    assert.match(md, /^\|.*\|$/m, 'a Markdown table');
    for (const s of ['FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSE-WAIT', 'LAST-ACK']) assert.ok(md.includes(s), `the table shows ${s}`);
  });

  it('converts a capture to .tcptrace and to tcpdump text', async () => {
    const file = kernelFixture('01-client-active-close.pcap');
    const trace = tmpFile('c.tcptrace');
    await vscode.commands.executeCommand('teardownTracer.convertToTcptrace', file, trace);
    assert.match(fs.readFileSync(trace.fsPath, 'utf8'), /<SEQ=\d+>.*<CTL=[A-Z,]*FIN/, 'RFC figure notation with a FIN');
    const dump = tmpFile('c.tcpdump');
    await vscode.commands.executeCommand('teardownTracer.convertToTcpdump', file, dump);
    assert.match(fs.readFileSync(dump.fsPath, 'utf8'), /Flags \[F\.?\]/, 'tcpdump lines with a FIN');

    // Without a target, a conversion opens as a new document in its language.
    const opened = await vscode.commands.executeCommand<vscode.Uri>('teardownTracer.convertToTcptrace', file);
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === opened?.toString());
    assert.strictEqual(doc?.languageId, 'tcp-trace');
    assert.strictEqual(vscode.window.activeTextEditor?.document, doc);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor'); // no "save changes?" dialog later
  });

  it('analyzes text traces: .tcpdump and .tcptrace files', async () => {
    const copy = tmpFile('lingering.tcpdump');
    fs.copyFileSync(kernelFixture('04-half-close-lingering.txt').fsPath, copy.fsPath);
    const doc = await vscode.workspace.openTextDocument(copy);
    assert.strictEqual(doc.languageId, 'tcpdump-text');
    await vscode.window.showTextDocument(doc);
    await diagnosticsWith(copy, ['lingering-half-close']);

    const a = await api();
    const rfc = ownFixture('normal-close.tcptrace');
    const analyzed = until('the server to analyze the .tcptrace file', () => a.client.lastAnalysis(rfc), [a.client.onDidChangeAnalysis]);
    const rfcDoc = await vscode.workspace.openTextDocument(rfc);
    assert.strictEqual(rfcDoc.languageId, 'tcp-trace');
    await vscode.window.showTextDocument(rfcDoc);
    const p = await analyzed;
    assert.strictEqual(p.connections, 1);
  });

  it('fixes a contradicted claim of an RFC figure with the quick fix the server offers', async () => {
    // The fixture with A's claim after the last ACK changed from TIME-WAIT to FIN-WAIT-2.
    const copy = tmpFile('wrong-claim.tcptrace');
    const text = fs.readFileSync(ownFixture('normal-close.tcptrace').fsPath, 'utf8');
    const wrong = text.replace('5.  TIME-WAIT   -->', '5.  FIN-WAIT-2  -->');
    assert.notStrictEqual(wrong, text);
    fs.writeFileSync(copy.fsPath, wrong);
    const doc = await vscode.workspace.openTextDocument(copy);
    await vscode.window.showTextDocument(doc);
    const [d] = (await diagnosticsWith(copy, ['state-claim-mismatch'])).filter((x) => diagnosticCode(x) === 'state-claim-mismatch');
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', copy, d.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => a.title === 'Change the claim to TIME-WAIT (what the segments imply)');
    assert.ok(fix?.edit, JSON.stringify(actions.map((a) => a.title)));
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.strictEqual(doc.getText(), text, 'the figure is back to what RFC 9293 prints, columns included');
    await until('the mismatch to go', () => (vscode.languages.getDiagnostics(copy).some((x) => diagnosticCode(x) === 'state-claim-mismatch') ? undefined : true), [
      vscode.languages.onDidChangeDiagnostics,
    ]);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('toggles relative and absolute sequence numbers, and the capture view follows', async () => {
    const file = kernelFixture('04-half-close-lingering.pcap');
    const uri = view(file);
    await diagnosticsWith(uri, ['lingering-half-close']);
    const doc = await vscode.workspace.openTextDocument(uri);
    const cfg = () => vscode.workspace.getConfiguration('teardownTracer');
    const before = cfg().get<boolean>('relativeSequenceNumbers');
    // Absolute numbers show the FIN's own sequence number (ISN 1445098287 + 1 + 64 bytes).
    const absolute = (): true | undefined => (doc.getText().includes('1445098352') ? true : undefined);
    const rendered = before ? until('the view to be re-rendered', absolute, [vscode.workspace.onDidChangeTextDocument]) : undefined;
    await vscode.commands.executeCommand('teardownTracer.toggleRelativeSequenceNumbers');
    assert.strictEqual(cfg().get<boolean>('relativeSequenceNumbers'), !before);
    if (rendered) await rendered;
    await vscode.commands.executeCommand('teardownTracer.toggleRelativeSequenceNumbers');
    assert.strictEqual(cfg().get<boolean>('relativeSequenceNumbers'), before);
  });

  it('applies a severity setting: "off" removes the finding, another severity changes it', async () => {
    const uri = view(kernelFixture('08-refused-closed-port.pcap'));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    await diagnosticsWith(uri, ['refused']);
    const cfg = vscode.workspace.getConfiguration('teardownTracer');
    const refused = () => vscode.languages.getDiagnostics(uri).find((d) => diagnosticCode(d) === 'refused');
    try {
      await cfg.update('severity.refused', 'off', vscode.ConfigurationTarget.Global);
      await until('the refused finding to go', () => (refused() ? undefined : true), [vscode.languages.onDidChangeDiagnostics]);
      await cfg.update('severity.refused', 'error', vscode.ConfigurationTarget.Global);
      await until('the refused finding as an error', () => (refused()?.severity === vscode.DiagnosticSeverity.Error ? true : undefined), [
        vscode.languages.onDidChangeDiagnostics,
      ]);
    } finally {
      await cfg.update('severity.refused', undefined, vscode.ConfigurationTarget.Global);
    }
    await until('the default severity back', () => (refused()?.severity === vscode.DiagnosticSeverity.Warning ? true : undefined), [
      vscode.languages.onDidChangeDiagnostics,
    ]);
  });

  it('restarts the language server and analyzes again', async () => {
    const a = await api();
    const uri = view(kernelFixture('08-refused-closed-port.pcap'));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    await diagnosticsWith(uri, ['refused']);
    const reanalyzed = new Promise<void>((resolve) => {
      const sub = a.client.onDidChangeAnalysis((p) => {
        if (p.uri === uri.toString()) {
          sub.dispose();
          resolve();
        }
      });
    });
    await vscode.commands.executeCommand('teardownTracer.restartServer');
    await reanalyzed;
    await diagnosticsWith(uri, ['refused']);
  });
});
