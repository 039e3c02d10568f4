/**
 * The diagram webview's HTML: a root element, the stylesheet and the bundle, under a strict CSP.
 * No vscode import (the browser tests build the same page).
 */
import { randomBytes } from 'crypto';

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

/** Escapes a value for a double-quoted HTML attribute (URIs and the nonce; no capture text here). */
function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function diagramHtml(p: HtmlParts): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(p.cspSource, p.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(p.styleUri)}">
<title>TCP ladder</title>
</head>
<body>
<div id="app" class="in-${p.kind}"></div>
<script nonce="${attr(p.nonce)}" src="${attr(p.scriptUri)}"></script>
</body>
</html>
`;
}
