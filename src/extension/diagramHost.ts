/**
 * The seam between this extension and the ladder-diagram host (src/extension/diagram, issue 6):
 * `registerDiagram(context, deps)` registers the `teardownTracer.diagram` webview view, the
 * `teardownTracer.openDiagramPanel` command and its panel serializer, and returns a controller.
 * The rest of the extension talks to the diagram through the controller only.
 */
import type * as vscode from 'vscode';
import type { StepKind } from '../shared/webviewProtocol';
import type { TeardownClient } from './client';
import { registerDiagram, type DiagramController } from './diagram';

export type { DiagramController };
export type DiagramStep = Exclude<StepKind, 'play'>;

export function createDiagram(
  context: vscode.ExtensionContext,
  client: TeardownClient,
  revealSegment: (uri: string, line: number) => void,
  defaultPlace?: () => Promise<{ uri: string; connection?: number } | undefined>,
  connectionFilter?: (uri: string) => { filter: string; label: string } | undefined,
): DiagramController {
  return registerDiagram(context, {
    request: (type, params) => client.request(type, params),
    // The diagram was stepped or clicked: the editor follows (its onDidSelect says the same; once is enough).
    revealSegment,
    defaultPlace,
    connectionFilter,
  });
}
