/**
 * The summary tab's page: a strict CSP (nothing but our nonce'd style and script), theme colours
 * from `--vscode-*` variables, and the self-contained script of summaryScript.ts.
 */
import { escapeHtml } from '../../shared/html';
import { makeNonce } from '../diagram/html';
import { summaryScript } from './summaryScript';

export function summaryHtml(cspSource: string, title: string): string {
  const nonce = makeNonce();
  const csp = [`default-src 'none'`, `img-src ${cspSource}`, `style-src 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(title)}</title>
<style nonce="${escapeHtml(nonce)}">${STYLE}</style>
</head>
<body>
<main id="summary" aria-live="polite"><p class="muted">Analyzing…</p></main>
<script nonce="${escapeHtml(nonce)}">(${summaryScript.toString()})();</script>
</body>
</html>
`;
}


const STYLE = `
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); background: var(--vscode-editor-background); padding: 0 20px 24px; }
h1 { font-size: 1.5em; font-weight: 600; margin: 18px 0 4px; word-break: break-all; }
h2 { font-size: 1.05em; font-weight: 600; margin: 22px 0 8px; text-transform: uppercase; letter-spacing: .04em; color: var(--vscode-descriptionForeground); }
.facts, .muted { color: var(--vscode-descriptionForeground); margin: 4px 0; }
.banner { padding: 6px 10px; border-left: 3px solid var(--vscode-editorInfo-foreground); background: var(--vscode-textBlockQuote-background); margin: 10px 0; }
.banner.warning { border-left-color: var(--vscode-editorWarning-foreground); }
.banner.error { border-left-color: var(--vscode-editorError-foreground); }
.actions { display: flex; flex-wrap: wrap; gap: 6px; margin: 14px 0 4px; }
.button { font: inherit; padding: 4px 12px; border: 1px solid var(--vscode-button-border, transparent); border-radius: 2px; cursor: pointer;
  color: var(--vscode-button-secondaryForeground); background: var(--vscode-button-secondaryBackground); }
.button:hover { background: var(--vscode-button-secondaryHoverBackground); }
.button.primary { color: var(--vscode-button-foreground); background: var(--vscode-button-background); }
.button.primary:hover { background: var(--vscode-button-hoverBackground); }
button:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: 1px; }
.link { font: inherit; border: none; background: none; padding: 0 6px 0 0; cursor: pointer; color: var(--vscode-textLink-foreground); }
.link:hover { text-decoration: underline; color: var(--vscode-textLink-activeForeground); }
.chips { display: flex; flex-wrap: wrap; gap: 8px; }
.chip { display: inline-flex; align-items: center; gap: 6px; padding: 3px 10px; border-radius: 11px; border: 1px solid var(--vscode-widget-border, var(--vscode-panel-border)); }
.chip.zero { opacity: .55; }
.chip .count { font-weight: 600; font-variant-numeric: tabular-nums; }
.dot { width: 8px; height: 8px; border-radius: 50%; background: var(--vscode-descriptionForeground); }
.outcome-graceful .dot { background: var(--vscode-charts-green); }
.outcome-simultaneous .dot { background: var(--vscode-charts-blue); }
.outcome-reset .dot { background: var(--vscode-charts-red); }
.outcome-refused .dot { background: var(--vscode-charts-orange); }
.outcome-half-closed .dot { background: var(--vscode-charts-yellow); }
.outcome-half-open .dot { background: var(--vscode-charts-purple); }
.outcome-open .dot { background: var(--vscode-descriptionForeground); }
.severity-error .dot { background: var(--vscode-editorError-foreground); }
.severity-warning .dot { background: var(--vscode-editorWarning-foreground); }
.severity-info .dot { background: var(--vscode-editorInfo-foreground); }
.severity-hint .dot { background: var(--vscode-descriptionForeground); }
.link.severity-error { color: var(--vscode-editorError-foreground); }
.link.severity-warning { color: var(--vscode-editorWarning-foreground); }
.link.severity-info { color: var(--vscode-editorInfo-foreground); }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; font-weight: 600; color: var(--vscode-descriptionForeground); border-bottom: 1px solid var(--vscode-panel-border); padding: 4px 8px 4px 0; }
td { padding: 3px 8px 3px 0; border-bottom: 1px solid var(--vscode-editorGroup-border, transparent); vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.addr { font-family: var(--vscode-editor-font-family); white-space: nowrap; }
tr:hover td { background: var(--vscode-list-hoverBackground); }
`;
