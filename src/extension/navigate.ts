/**
 * Revealing segments: in the editor (the document showing the trace, opened if needed) and in the
 * diagram. A segment not shown in a capture's whole view (size limit) is revealed in its
 * connection's own view (`?conn=N`).
 */
import * as vscode from 'vscode';
import type { ConnectionSummary, FindingInfo } from '../shared/lspProtocol';
import type { Analyses } from './analyses';
import { openCaptureView } from './capture/content';
import type { DiagramController } from './diagramHost';
import { connectionViewUri, isCaptureView, viewConnection } from './uris';

export interface RevealOptions {
  /** Keep the focus where it is (clicks in the side bar). */
  preserveFocus?: boolean;
}

export class Navigator {
  /** The last line revealed on the diagram's behalf: the cursor event it causes is not echoed back. */
  private echo: { uri: string; line: number } | undefined;

  constructor(
    private readonly analyses: Analyses,
    private readonly diagram: () => DiagramController,
  ) {}

  /** Moves the cursor to the start of a line of a trace document, opening and showing it. */
  async revealLine(uri: vscode.Uri, line: number, opts: RevealOptions = {}): Promise<vscode.TextEditor | undefined> {
    if (line < 0) return undefined;
    const key = uri.toString();
    const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === key);
    const show: vscode.TextDocumentShowOptions = { preserveFocus: opts.preserveFocus ?? false, preview: false };
    let editor: vscode.TextEditor;
    if (visible) editor = await vscode.window.showTextDocument(visible.document, { ...show, viewColumn: visible.viewColumn });
    else if (isCaptureView(uri)) editor = await openCaptureView(uri, show);
    else editor = await vscode.window.showTextDocument(uri, show);
    const last = Math.max(0, editor.document.lineCount - 1);
    const pos = new vscode.Position(Math.min(line, last), 0);
    editor.selection = new vscode.Selection(pos, pos);
    editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    return editor;
  }

  /** The diagram asked to reveal a segment: move the editor without echoing the selection back. */
  async revealFromDiagram(uri: string, line: number): Promise<void> {
    this.echo = { uri, line };
    await this.revealLine(vscode.Uri.parse(uri, true), line, { preserveFocus: true });
  }

  /** True (once) when a cursor move is the one {@link revealFromDiagram} caused. */
  isEcho(uri: vscode.Uri, line: number): boolean {
    const e = this.echo;
    if (e && e.uri === uri.toString() && e.line === line) {
      this.echo = undefined;
      return true;
    }
    return false;
  }

  /** A connection: its first segment in the editor, the connection in the diagram. */
  async revealConnection(uri: vscode.Uri, c: ConnectionSummary, opts: RevealOptions = {}): Promise<void> {
    const target = await this.locate(uri, c.id, (conn) => conn.firstLine);
    await this.revealLine(target.uri, target.line, opts);
    await this.diagram().show(target.uri.toString(), c.id);
  }

  /** A finding: its segment in the editor and in the diagram. */
  async revealFinding(uri: vscode.Uri, connection: number, f: Pick<FindingInfo, 'index' | 'line' | 'code'>, opts: RevealOptions = {}): Promise<void> {
    const target =
      f.line >= 0
        ? { uri, line: f.line }
        : await this.locate(uri, connection, (conn) => conn.findings.find((x) => x.index === f.index && x.code === f.code)?.line ?? conn.firstLine);
    await this.revealLine(target.uri, target.line, opts);
    const ctl = this.diagram();
    await ctl.show(target.uri.toString(), connection);
    ctl.select(target.uri.toString(), connection, f.index);
  }

  /**
   * Where a connection's line is: in `uri` when shown there, else (a capture's whole view that hit
   * the size limit) in the connection's own view.
   */
  private async locate(uri: vscode.Uri, connection: number, lineOf: (c: ConnectionSummary) => number): Promise<{ uri: vscode.Uri; line: number }> {
    const here = await this.analyses.connection(uri, connection);
    if (here && lineOf(here) >= 0) return { uri, line: lineOf(here) };
    if (!isCaptureView(uri) || viewConnection(uri) !== undefined) return { uri, line: here ? Math.max(0, here.firstLine) : 0 };
    const own = connectionViewUri(uri, connection);
    const there = await this.analyses.connection(own, connection);
    return { uri: own, line: there ? Math.max(0, lineOf(there)) : 0 };
  }
}
