/**
 * The diagram webview's HTML: a root element, the stylesheet and the bundle, under a strict CSP.
 * No vscode import (the browser tests build the same page).
 */
import { randomBytes } from 'crypto';
import { escapeHtml } from '../../shared/html';

export interface HtmlParts {
  /** `webview.cspSource`. */
  cspSource: string;
  /** `webview.asWebviewUri(...)` of dist/webview.js and media/webview/diagram.css, as strings. */
  scriptUri: string;
  styleUri: string;
  nonce: string;
  /** Where it is shown (a class on the root: the side bar is narrow). */
  kind: 'view' | 'panel';
}

/** A fresh script nonce from the OS's CSPRNG (never Math.random). */
export function makeNonce(): string {
  return randomBytes(18).toString('base64');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [`default-src 'none'`, `img-src ${cspSource} data:`, `style-src ${cspSource}`, `script-src 'nonce-${nonce}'`].join('; ');
}


export function diagramHtml(p: HtmlParts): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(p.cspSource, p.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(p.styleUri)}">
<title>TCP ladder</title>
</head>
<body>
<div id="app" class="in-${p.kind}"></div>
<script nonce="${escapeHtml(p.nonce)}" src="${escapeHtml(p.scriptUri)}"></script>
</body>
</html>
`;
}
