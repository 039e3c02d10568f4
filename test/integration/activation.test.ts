import * as assert from 'assert';
import * as vscode from 'vscode';
import { FINDING_CODES } from '../../src/core/engine/types';
import { api, EXTENSION_ID } from './helpers';

interface Manifest {
  contributes: {
    commands: { command: string }[];
    configuration: { properties: Record<string, { default?: unknown; enum?: string[] }> };
    views: Record<string, { id: string; type?: string }[]>;
    customEditors: { viewType: string; priority: string }[];
  };
  capabilities: { untrustedWorkspaces: { supported: boolean } };
}

describe('activation', () => {
  it('activates and starts the language server', async () => {
    const a = await api();
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext?.isActive, 'the extension is active');
    assert.ok(a.connectionsTree && a.statusBar && a.activeTrace, 'the API exposes the views');
  });

  it('registers every contributed command', async () => {
    await api();
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as Manifest;
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = manifest.contributes.commands.map((c) => c.command).filter((c) => !registered.has(c));
    assert.deepStrictEqual(missing, [], 'contributed commands without a handler');
  });

  it('contributes a severity setting for every finding code, "off" included', () => {
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as Manifest;
    const props = manifest.contributes.configuration.properties;
    for (const code of FINDING_CODES) {
      const p = props[`teardownTracer.severity.${code}`];
      assert.ok(p, `teardownTracer.severity.${code}`);
      assert.deepStrictEqual(p.enum, ['error', 'warning', 'info', 'hint', 'off']);
    }
    assert.strictEqual(props['teardownTracer.lingerSeconds'].default, 30);
    assert.strictEqual(props['teardownTracer.mslSeconds'].default, 30);
    assert.strictEqual(props['teardownTracer.relativeSequenceNumbers'].default, true);
    assert.strictEqual(props['teardownTracer.maxSegmentsShown'].default, 50000);
    assert.strictEqual(vscode.workspace.getConfiguration('teardownTracer').get('lingerSeconds'), 30);
  });

  it('declares the side bar, the capture editor and restricted-mode support', () => {
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as Manifest;
    const views = manifest.contributes.views.teardownTracer.map((v) => `${v.id}:${v.type ?? 'tree'}`);
    assert.deepStrictEqual(views, ['teardownTracer.connections:tree', 'teardownTracer.diagram:webview']);
    assert.deepStrictEqual(
      manifest.contributes.customEditors.map((e) => `${e.viewType}:${e.priority}`),
      ['teardownTracer.capture:default'],
    );
    assert.strictEqual(manifest.capabilities.untrustedWorkspaces.supported, true);
  });
});
