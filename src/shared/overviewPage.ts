/**
 * The HTML page of the Teardown overview, for both of its homes:
 * - the VS Code webview (src/extension/overview): the script is dist/overview.js by URI, the style
 *   inline under the CSP's nonce, colours from the theme's --vscode-* variables;
 * - `analyze FILE --report out.html`: one self-contained file, the same script and style inline
 *   (nonce'd), the overview as a JSON script element, and its own light and dark colours
 *   (prefers-color-scheme) standing in for the theme's variables.
 * Both pages allow no eval, no inline event handlers and nothing from the network.
 */
import type { Overview } from '../core/report/overview';
import { escapeHtml } from './html';

/** JSON that is safe inside a <script> element: no `</script>`, no `<!--`, no line separators. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The overview's stylesheet: theme colours through --vscode-* variables (with fallbacks). */
export const OVERVIEW_CSS = `
body { margin: 0; padding: 0 16px 24px; color: var(--vscode-foreground); background: var(--vscode-editor-background);
  font-family: var(--vscode-font-family, system-ui, sans-serif); font-size: var(--vscode-font-size, 13px); }
#app { max-width: 1400px; }
header h1 { font-size: 1.35em; font-weight: 600; margin: 14px 0 4px; }
.summary, .note { color: var(--vscode-descriptionForeground); margin: 2px 0 8px; line-height: 1.4; }
section.chart { margin: 18px 0 6px; }
section.chart h2 { font-size: 1.1em; font-weight: 600; margin: 0 0 2px; }
section.chart h3 { font-size: 1em; font-weight: 600; margin: 8px 0 2px; }
.pair { display: flex; flex-wrap: wrap; gap: 16px; }
svg.plot { display: block; overflow: visible; }
svg text { fill: var(--vscode-foreground); font-family: inherit; font-size: 11px; }
svg text.tick { fill: var(--vscode-descriptionForeground); }
svg text.label { font-family: var(--vscode-editor-font-family, monospace); font-size: 12px; }
.grid { stroke: var(--vscode-charts-lines, rgba(128,128,128,.35)); stroke-width: 1; opacity: .45; }
.axis { stroke: var(--vscode-charts-lines, rgba(128,128,128,.6)); stroke-width: 1; }
.threshold { stroke: var(--vscode-editorWarning-foreground, #bf8803); stroke-width: 1.5; stroke-dasharray: 5 3; }
svg text.threshold-label { fill: var(--vscode-editorWarning-foreground, #bf8803); }
.whisker { stroke: var(--vscode-descriptionForeground); stroke-width: 1.5; }
.box { fill: var(--vscode-charts-blue, #1a85ff); opacity: .75; }
.median { stroke: var(--vscode-foreground); stroke-width: 2; }
.mark { cursor: pointer; }
rect.mark:hover, rect.mark:focus { opacity: .8; }
.mark:focus { outline: none; }
rect.mark:focus-visible, text.mark:focus-visible { stroke: var(--vscode-focusBorder); stroke-width: 2; }
rect.mark.selected { stroke: var(--vscode-focusBorder, #005fb8); stroke-width: 2.5; }
text.mark:hover, text.mark.selected { text-decoration: underline; }
body.vscode-high-contrast rect.mark, body.vscode-high-contrast-light rect.mark { stroke: var(--vscode-contrastBorder, currentColor); stroke-width: 1; }
body.vscode-high-contrast rect.mark.selected, body.vscode-high-contrast-light rect.mark.selected { stroke: var(--vscode-contrastActiveBorder, var(--vscode-focusBorder)); stroke-width: 3; }
ul.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 14px; padding: 0; margin: 4px 0 0; }
ul.legend li { display: flex; align-items: center; gap: 5px; color: var(--vscode-descriptionForeground); }
ul.legend li.mark:hover span, ul.legend li.selected span { color: var(--vscode-foreground); text-decoration: underline; }
ul.legend li:focus-visible { outline: 1px solid var(--vscode-focusBorder); }
svg.swatch { flex: none; }
.k-graceful-client { fill: var(--vscode-charts-green, #388a34); }
.k-graceful-server { fill: var(--vscode-charts-blue, #1a85ff); }
.k-graceful { fill: var(--vscode-terminal-ansiCyan, #0598bc); }
.k-simultaneous { fill: var(--vscode-charts-purple, #652d90); }
.k-reset-abort, .r-abort { fill: var(--vscode-charts-red, #e51400); }
.k-reset-abort-unread-data, .r-abort-unread-data { fill: var(--vscode-terminal-ansiBrightRed, #cd3131); }
.k-reset-no-connection, .r-no-connection { fill: var(--vscode-charts-orange, #d18616); }
.k-reset-after-fin, .r-after-fin { fill: var(--vscode-terminal-ansiBrightYellow, #b5ba00); }
.k-reset-keepalive-timeout, .r-keepalive-timeout { fill: var(--vscode-terminal-ansiMagenta, #bc05bc); }
.k-reset-retransmission-timeout, .r-retransmission-timeout { fill: var(--vscode-terminal-ansiBlue, #0451a5); }
.k-reset-time-wait-assassination, .r-time-wait-assassination { fill: var(--vscode-terminal-ansiBrightCyan, #0598bc); }
.k-reset-challenge-ack-exchange, .r-challenge-ack-exchange, .k-reset-in-window-challenged, .r-in-window-challenged { fill: var(--vscode-terminal-ansiBrightGreen, #14ce14); }
.k-reset-out-of-window, .r-out-of-window { fill: var(--vscode-terminal-ansiGreen, #00bc00); }
.k-reset-injected, .r-injected { fill: var(--vscode-terminal-ansiRed, #cd3131); stroke: var(--vscode-foreground); stroke-dasharray: 2 2; }
.k-reset-other, .r-other { fill: var(--vscode-terminal-ansiBrightBlack, #666666); }
.k-refused, .r-refused { fill: var(--vscode-terminal-ansiBrightMagenta, #a0a0ff); }
.k-half-closed { fill: var(--vscode-charts-yellow, #bf8803); }
.k-half-open { fill: var(--vscode-terminal-ansiBrightBlack, #7f7f7f); }
.k-open { fill: var(--vscode-descriptionForeground, #888); opacity: .55; }
.dur { fill: var(--vscode-charts-blue, #1a85ff); }
.dur.lingering { fill: var(--vscode-editorWarning-foreground, #bf8803); }
.st-UNKNOWN { fill: var(--vscode-descriptionForeground, #888); opacity: .4; }
.st-SYN-SENT, .st-SYN-RECEIVED { fill: var(--vscode-terminal-ansiCyan, #0598bc); }
.st-ESTABLISHED { fill: var(--vscode-charts-green, #388a34); }
.st-FIN-WAIT-1 { fill: var(--vscode-charts-purple, #652d90); }
.st-FIN-WAIT-2 { fill: var(--vscode-terminal-ansiMagenta, #bc05bc); }
.st-CLOSE-WAIT { fill: var(--vscode-editorWarning-foreground, #bf8803); }
.st-CLOSING { fill: var(--vscode-charts-red, #e51400); }
.st-LAST-ACK { fill: var(--vscode-charts-orange, #d18616); }
.st-TIME-WAIT { fill: var(--vscode-charts-blue, #1a85ff); }
.st-SYN-RECEIVED { opacity: .7; }
table.endpoints { border-collapse: collapse; margin-top: 6px; font-variant-numeric: tabular-nums; }
table.endpoints th, table.endpoints td { padding: 3px 10px; border-bottom: 1px solid var(--vscode-panel-border, rgba(128,128,128,.3)); text-align: left; }
table.endpoints .num { text-align: right; }
table.endpoints td.ep { font-family: var(--vscode-editor-font-family, monospace); }
table.endpoints tbody tr:hover { background: var(--vscode-list-hoverBackground); }
table.endpoints tbody tr.selected { background: var(--vscode-list-activeSelectionBackground); color: var(--vscode-list-activeSelectionForeground); }
table.endpoints tbody tr:focus-visible { outline: 1px solid var(--vscode-focusBorder); }
button.sort { font: inherit; font-weight: 600; color: inherit; background: none; border: none; padding: 0; cursor: pointer; }
button.sort:focus-visible { outline: 1px solid var(--vscode-focusBorder); }
#status { position: sticky; bottom: 0; margin: 12px 0 0; padding: 6px 10px; border: 1px solid var(--vscode-panel-border, rgba(128,128,128,.4));
  background: var(--vscode-editorWidget-background, var(--vscode-editor-background)); }
#status p { margin: 2px 0; }
#status code { font-family: var(--vscode-editor-font-family, monospace); user-select: all; }
`;

/** The report's stand-ins for the theme's variables: light, and dark when the reader prefers it. */
export const REPORT_THEME_CSS = `
:root { color-scheme: light dark;
  --vscode-foreground: #3b3b3b; --vscode-descriptionForeground: #616161; --vscode-editor-background: #ffffff;
  --vscode-focusBorder: #005fb8; --vscode-charts-lines: rgba(97,97,97,.5); --vscode-panel-border: #e5e5e5;
  --vscode-charts-red: #e51400; --vscode-charts-blue: #1a85ff; --vscode-charts-yellow: #bf8803; --vscode-charts-orange: #d18616;
  --vscode-charts-green: #388a34; --vscode-charts-purple: #652d90; --vscode-editorWarning-foreground: #bf8803;
  --vscode-terminal-ansiCyan: #0598bc; --vscode-terminal-ansiMagenta: #bc05bc; --vscode-terminal-ansiBrightMagenta: #bc05bc99;
  --vscode-terminal-ansiBrightRed: #cd3131; --vscode-terminal-ansiBrightYellow: #b5ba00; --vscode-terminal-ansiBrightBlack: #666666;
  --vscode-terminal-ansiBlue: #0451a5; --vscode-terminal-ansiBrightCyan: #0598bc; --vscode-terminal-ansiBrightGreen: #14ce14;
  --vscode-terminal-ansiGreen: #00bc00; --vscode-terminal-ansiRed: #cd3131;
  --vscode-list-hoverBackground: #f2f2f2; --vscode-list-activeSelectionBackground: #e8e8e8; --vscode-list-activeSelectionForeground: #000000;
  --vscode-editorWidget-background: #f8f8f8; --vscode-editor-font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace;
  --vscode-font-family: system-ui, -apple-system, "Segoe UI", Ubuntu, sans-serif; --vscode-font-size: 13px; }
@media (prefers-color-scheme: dark) { :root {
  --vscode-foreground: #cccccc; --vscode-descriptionForeground: #9d9d9d; --vscode-editor-background: #1f1f1f;
  --vscode-focusBorder: #0078d4; --vscode-charts-lines: rgba(204,204,204,.5); --vscode-panel-border: #2b2b2b;
  --vscode-charts-red: #f14c4c; --vscode-charts-blue: #3794ff; --vscode-charts-yellow: #cca700; --vscode-charts-orange: #d18616;
  --vscode-charts-green: #89d185; --vscode-charts-purple: #b180d7; --vscode-editorWarning-foreground: #cca700;
  --vscode-terminal-ansiCyan: #11a8cd; --vscode-terminal-ansiMagenta: #bc3fbc; --vscode-terminal-ansiBrightMagenta: #d670d6;
  --vscode-terminal-ansiBrightRed: #f14c4c; --vscode-terminal-ansiBrightYellow: #f5f543; --vscode-terminal-ansiBrightBlack: #8a8a8a;
  --vscode-terminal-ansiBlue: #2472c8; --vscode-terminal-ansiBrightCyan: #29b8db; --vscode-terminal-ansiBrightGreen: #23d18b;
  --vscode-terminal-ansiGreen: #0dbc79; --vscode-terminal-ansiRed: #cd3131;
  --vscode-list-hoverBackground: #2a2d2e; --vscode-list-activeSelectionBackground: #04395e; --vscode-list-activeSelectionForeground: #ffffff;
  --vscode-editorWidget-background: #202020; } }
`;

export interface OverviewPageParts {
  /** The CSP nonce of the script and the style. */
  nonce: string;
  title: string;
  /** The webview: the script's URI (`webview.asWebviewUri` of dist/overview.js). */
  webview?: { scriptUri: string };
  /** The report: the script's text, the overview, and the file name shown in its command lines. */
  report?: { script: string; overview: Overview; file: string };
}

/** Nothing but the nonce'd style and script (the webview's script comes by URI, authorized by the nonce). */
export function overviewCsp(nonce: string): string {
  return [`default-src 'none'`, `img-src data:`, `style-src 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`].join('; ');
}

export function overviewPageHtml(p: OverviewPageParts): string {
  const n = escapeHtml(p.nonce);
  const csp = overviewCsp(p.nonce);
  const style = p.report ? REPORT_THEME_CSS + OVERVIEW_CSS : OVERVIEW_CSS;
  const body = p.report
    ? `<script id="overview-data" type="application/json">${scriptJson(p.report.overview)}</script>
<script nonce="${n}">${p.report.script.replace(/<\/(script)/gi, '<\\/$1')}</script>`
    : `<script nonce="${n}" src="${escapeHtml(p.webview?.scriptUri ?? '')}"></script>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(p.title)}</title>
<style nonce="${n}">${style}</style>
</head>
<body${p.report ? ` data-file="${escapeHtml(p.report.file)}"` : ''}>
<div id="app"></div>
<div id="status" role="status" hidden></div>
${body}
</body>
</html>
`;
}
