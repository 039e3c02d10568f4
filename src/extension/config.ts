/**
 * The extension's settings (contributes.configuration in package.json) and context keys, by name.
 * The language server reads the same `teardownTracer.*` section through workspace/configuration.
 */
import * as vscode from 'vscode';

export const SECTION = 'teardownTracer';

export const Setting = {
  relativeSequenceNumbers: 'relativeSequenceNumbers',
  maxSegmentsShown: 'maxSegmentsShown',
  lingerSeconds: 'lingerSeconds',
  mslSeconds: 'mslSeconds',
  idleSeconds: 'idleSeconds',
  idleHorizonSeconds: 'idleHorizonSeconds',
  attemptHorizonSeconds: 'attemptHorizonSeconds',
  captureOpenText: 'captureEditor.openText',
} as const;

/** Where the text view of a capture opens when the capture's editor opens. */
export type CaptureOpenText = 'same-group' | 'beside' | 'never';

export function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

export function relativeSequenceNumbers(): boolean {
  return config().get<boolean>(Setting.relativeSequenceNumbers, true);
}

export function captureOpenText(): CaptureOpenText {
  const v = config().get<string>(Setting.captureOpenText, 'same-group');
  return v === 'beside' || v === 'never' ? v : 'same-group';
}

/** Settings whose change alters the text the server renders for a capture view. */
export function affectsCaptureText(e: vscode.ConfigurationChangeEvent): boolean {
  return (
    e.affectsConfiguration(`${SECTION}.${Setting.relativeSequenceNumbers}`) ||
    e.affectsConfiguration(`${SECTION}.${Setting.maxSegmentsShown}`)
  );
}

/** Context keys for `when` clauses in package.json. */
export const ContextKey = {
  /** The active editor shows a trace, a capture view or a capture's summary. */
  activeTrace: 'teardownTracer.activeTrace',
  /** The connections tree has a display filter. */
  filterActive: 'teardownTracer.filterActive',
  /** The language server is running. */
  serverRunning: 'teardownTracer.serverRunning',
} as const;

export function setContext(key: string, value: unknown): void {
  void vscode.commands.executeCommand('setContext', key, value);
}
