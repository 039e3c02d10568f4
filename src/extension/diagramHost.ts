/**
 * The seam between this extension and the ladder-diagram host (src/extension/diagram, issue 6).
 * The contract: `registerDiagram(context, deps)` registers the `teardownTracer.diagram` webview view
 * (and its panel) and returns a {@link DiagramController}. Everything else in the extension talks to
 * the diagram through this file only.
 */
import * as vscode from 'vscode';
import type { RequestType } from 'vscode-languageclient/node';
import type { StepKind } from '../shared/webviewProtocol';

export type DiagramStep = Exclude<StepKind, 'play'>;

export interface DiagramDeps {
  request<P, R>(type: RequestType<P, R, void>, params: P): Promise<R>;
  /** Reveal a segment's line in the editor showing `uri` (the diagram was stepped or clicked). */
  revealSegment(uri: string, line: number): void;
}

export interface DiagramSelection {
  uri: string;
  connection: number;
  index: number;
  line: number;
}

export interface DiagramController {
  /** Show a connection of a trace (the first one with a finding, or the first, when omitted). */
  show(uri: string, connection?: number): Promise<void>;
  /** Highlight a segment (the editor's cursor moved onto it). */
  select(uri: string, connection: number, index: number): void;
  stepCommand(kind: DiagramStep): void;
  /** The user stepped or clicked in the diagram. */
  onDidSelect: vscode.Event<DiagramSelection>;
  /** Optional: open the diagram as an editor panel. */
  showPanel?(uri: string, connection?: number): Promise<void>;
}

/** Until the diagram host is in the build: a view that says so, and a controller that does nothing. */
export function registerPlaceholderDiagram(context: vscode.ExtensionContext): DiagramController {
  const emitter = new vscode.EventEmitter<DiagramSelection>();
  context.subscriptions.push(
    emitter,
    vscode.window.registerWebviewViewProvider('teardownTracer.diagram', {
      resolveWebviewView(view) {
        view.webview.options = { enableScripts: false };
        view.webview.html = `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'"></head>
<body><p>The ladder diagram is not part of this build.</p></body></html>`;
      },
    }),
  );
  return {
    async show() {
      await vscode.commands.executeCommand('teardownTracer.diagram.focus');
    },
    select() {},
    stepCommand() {},
    onDidSelect: emitter.event,
  };
}
