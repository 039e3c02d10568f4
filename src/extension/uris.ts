/**
 * URIs of the documents the extension deals with.
 *
 * A capture file (`file:///x/y.pcap`) is shown as a read-only virtual document
 * `teardown-capture:/x/y.pcap?view=all` (every connection, up to `teardownTracer.maxSegmentsShown`
 * segments) or `teardown-capture:/x/y.pcap?conn=N` (one connection, for captures too large for one
 * view). The language server reads the file at the URI's path itself.
 */
import * as vscode from 'vscode';
import { CAPTURE_SCHEME, LANG_TCPDUMP, LANG_TCPTRACE } from '../shared/lspProtocol';

export const CAPTURE_EXTENSIONS = ['.pcap', '.pcapng', '.cap'] as const;

export function isCaptureFile(uri: vscode.Uri): boolean {
  if (uri.scheme === CAPTURE_SCHEME) return false;
  const p = uri.path.toLowerCase();
  return CAPTURE_EXTENSIONS.some((ext) => p.endsWith(ext));
}

export function isCaptureView(uri: vscode.Uri): boolean {
  return uri.scheme === CAPTURE_SCHEME;
}

/** The view of a whole capture (`?view=all`). */
export function captureViewUri(file: vscode.Uri): vscode.Uri {
  return vscode.Uri.from({ scheme: CAPTURE_SCHEME, path: file.path, query: 'view=all' });
}

/** The view of one connection of a capture (`?conn=N`). */
export function connectionViewUri(fileOrView: vscode.Uri, connection: number): vscode.Uri {
  return vscode.Uri.from({ scheme: CAPTURE_SCHEME, path: fileOrView.path, query: `conn=${connection}` });
}

/** The capture file a view shows. Views exist for local files only: the server reads the path. */
export function captureFileOf(view: vscode.Uri): vscode.Uri {
  return vscode.Uri.file(view.path);
}

/** The connection a `?conn=N` view shows, or undefined for the whole-capture view. */
export function viewConnection(view: vscode.Uri): number | undefined {
  const m = /(?:^|&)conn=(\d+)(?:&|$)/.exec(view.query);
  return m ? Number(m[1]) : undefined;
}

export function isTraceLanguage(languageId: string): boolean {
  return languageId === LANG_TCPDUMP || languageId === LANG_TCPTRACE;
}

/** A document the language server analyzes: a text trace or a capture view. */
export function isTraceDocument(doc: vscode.TextDocument): boolean {
  return isCaptureView(doc.uri) || isTraceLanguage(doc.languageId);
}

/** The document to analyze for a resource: a capture file maps to its whole view, anything else to itself. */
export function analysisUri(resource: vscode.Uri): vscode.Uri {
  return isCaptureFile(resource) ? captureViewUri(resource) : resource;
}

/** A short name for titles and messages. */
export function displayName(uri: vscode.Uri): string {
  const base = uri.path.slice(uri.path.lastIndexOf('/') + 1) || uri.toString();
  const conn = isCaptureView(uri) ? viewConnection(uri) : undefined;
  return conn === undefined ? base : `${base} #${conn}`;
}

/** Accepts what commands receive as a resource: a Uri, a URI string (code lenses), or nothing. */
export function toUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg.length > 0) {
    try {
      return vscode.Uri.parse(arg, true);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
