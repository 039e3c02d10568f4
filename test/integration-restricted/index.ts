/**
 * The Restricted Mode suite's entry point: the same harness as test/integration, but VS Code runs with
 * workspace trust enabled and the workspace not trusted (`run-tests.mjs --restricted`, see
 * test/vscode-harness/README.md). A handful of tests: that the extension's features work there.
 */
import * as fs from 'fs';
import Mocha from 'mocha';
import * as path from 'path';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  const grep = process.env.TT_INTEGRATION_GREP;
  if (grep) mocha.grep(grep);
  const files = fs
    .readdirSync(__dirname)
    .filter((n) => n.endsWith('.test.js'))
    .sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    mocha.run((failures) =>
      failures > 0 ? reject(new Error(`${failures} restricted-mode test(s) failed`)) : resolve(),
    );
  });
}
