#!/usr/bin/env node
// The diagram and overview webviews in a real headless Chromium: `node test/webview/run.mjs`.
// Builds dist/webview.js and dist/overview.js (production, as shipped) unless --no-build, then runs
// the mocha suites in diagram.test.mjs and overview.test.mjs (the report tests need dist/cli.js). Screenshots go to docs/diagram/ (with --screenshots, or always in CI=false).
import { spawnSync } from 'child_process';
import * as path from 'path';
import { fileURLToPath } from 'url';
import Mocha from 'mocha';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const args = process.argv.slice(2);

if (!args.includes('--no-build')) {
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules/webpack-cli/bin/cli.js'), '--mode', 'production', '--config-name', 'webview'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    process.stderr.write('building dist/webview.js failed\n');
    process.exit(1);
  }
}

const grep = args.find((a) => a.startsWith('--grep='));
const mocha = new Mocha({ timeout: 120_000, reporter: 'spec', ...(grep ? { grep: grep.slice(7) } : {}) });
mocha.addFile(path.join(here, 'diagram.test.mjs'));
mocha.addFile(path.join(here, 'overview.test.mjs'));
mocha.addFile(path.join(here, 'twoSided.test.mjs'));
await mocha.loadFilesAsync();
mocha.run((failures) => {
  process.exitCode = failures > 0 ? 1 : 0;
});
