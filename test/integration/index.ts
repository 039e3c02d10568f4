/**
 * The integration suite's entry point: VS Code (desktop through @vscode/test-electron, or the
 * offline harness in test/vscode-harness) loads this file in the extension host and awaits `run`.
 */
import * as fs from 'fs';
import Mocha from 'mocha';
import * as path from 'path';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  const grep = process.env.TT_INTEGRATION_GREP;
  if (grep) mocha.grep(grep);
  // The million-packet suite last: its capture view stays open in the extension host (and in the
  // server) after its editor closes, and would slow every later suite down.
  const heavy = (n: string): number => (n === 'million.test.js' || n === 'bigCapture.test.js' ? 1 : 0);
  // TT_INTEGRATION_FILE: only the test files whose name contains one of its comma-separated parts
  // (a suite or two while iterating).
  const only = process.env.TT_INTEGRATION_FILE?.split(',').filter((x) => x !== '');
  const files = fs
    .readdirSync(__dirname)
    .filter((n) => n.endsWith('.test.js') && (!only || only.some((x) => n.includes(x))))
    .sort((a, b) => heavy(a) - heavy(b) || a.localeCompare(b));
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} integration test(s) failed`)) : resolve()));
  });
}
