/** How connections ended and how findings weigh: labels, order and icons shared by the views. */
import * as vscode from 'vscode';
import type { ConnectionSummary, Severity } from '../shared/lspProtocol';

export type Outcome = ConnectionSummary['outcome'];

export const OUTCOMES: readonly { outcome: Outcome; label: string; icon: string; color?: string; description: string }[] = [
  { outcome: 'graceful', label: 'Graceful', icon: 'pass', color: 'testing.iconPassed', description: 'Both sides sent a FIN and it was acknowledged' },
  { outcome: 'simultaneous', label: 'Simultaneous', icon: 'arrow-swap', color: 'charts.blue', description: 'Both sides closed at once (through CLOSING)' },
  { outcome: 'reset', label: 'Reset', icon: 'debug-disconnect', color: 'errorForeground', description: 'Ended by a RST' },
  { outcome: 'refused', label: 'Refused', icon: 'circle-slash', color: 'charts.orange', description: 'The SYN was answered by RST: no listener' },
  { outcome: 'half-closed', label: 'Half-closed', icon: 'debug-pause', color: 'editorWarning.foreground', description: 'One side sent a FIN, the other never did' },
  { outcome: 'half-open', label: 'Half-open', icon: 'warning', color: 'charts.purple', description: 'The handshake never completed' },
  { outcome: 'open', label: 'Still open', icon: 'plug', description: 'No FIN or RST by the end of the capture' },
];

export function outcomeInfo(o: Outcome): (typeof OUTCOMES)[number] {
  return OUTCOMES.find((x) => x.outcome === o) ?? OUTCOMES[OUTCOMES.length - 1];
}

export function outcomeIcon(o: Outcome): vscode.ThemeIcon {
  const info = outcomeInfo(o);
  return new vscode.ThemeIcon(info.icon, info.color ? new vscode.ThemeColor(info.color) : undefined);
}

export const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2, hint: 3 };

export function severityIcon(s: Severity): vscode.ThemeIcon {
  switch (s) {
    case 'error':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
    case 'warning':
      return new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    case 'info':
      return new vscode.ThemeIcon('info', new vscode.ThemeColor('problemsInfoIcon.foreground'));
    case 'hint':
      return new vscode.ThemeIcon('lightbulb');
  }
}

export function endpoint(e: { addr: string; port: number }): string {
  return e.addr.includes(':') ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`;
}

export function closedBy(c: ConnectionSummary): string {
  switch (c.closeInitiator) {
    case 'client':
      return 'client';
    case 'server':
      return 'server';
    case 'simultaneous':
      return 'both at once';
    case 'none':
      return '—';
  }
}
