// Opens the real webview bundle (dist/webview.js) in headless Chromium, in a page with the same
// HTML and CSP as the extension's webview (src/extension/diagram/html.ts), a fake
// acquireVsCodeApi, and the REAL host session (src/extension/diagram/session.ts) on the Node side,
// whose language-server requests are answered from a real engine analysis.
import { createRequire } from 'module';
import * as fs from 'fs';
import * as path from 'path';
import { chromium } from 'playwright-core';
import { THEMES } from './themes.mjs';

import './tsHook.mjs';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const { diagramHtml, makeNonce } = require(path.join(ROOT, 'src/extension/diagram/html.ts'));
const { DiagramSession } = require(path.join(ROOT, 'src/extension/diagram/session.ts'));

export const ORIGIN = 'https://webview.test';
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const FILES = {
  '/dist/webview.js': ['dist/webview.js', 'text/javascript'],
  '/media/webview/diagram.css': ['media/webview/diagram.css', 'text/css'],
};

/**
 * One headless Chromium for a test file's suites (they are skipped without it), closed after them;
 * tests call `browser()` for it.
 */
export function sharedBrowser() {
  let b;
  before(async function () {
    if (!fs.existsSync(CHROMIUM)) this.skip();
    b = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await b?.close();
  });
  return () => b;
}

/**
 * @param browser a playwright Browser
 * @param o { server, place?, theme?, width?, height?, relative?, scale? }
 */
export async function openDiagram(browser, o) {
  const context = await browser.newContext({ viewport: { width: o.width ?? 420, height: o.height ?? 760 }, deviceScaleFactor: o.scale ?? 1 });
  const page = await context.newPage();
  const problems = { csp: [], console: [], pageErrors: [], failed: [] };
  const fromWebview = [];
  const effects = { selected: [], problems: [], exports: [], logs: [] };
  let saved = o.savedState ?? null;
  const nonce = makeNonce();
  const html = diagramHtml({ cspSource: ORIGIN, nonce, scriptUri: `${ORIGIN}/dist/webview.js`, styleUri: `${ORIGIN}/media/webview/diagram.css`, kind: 'view' });

  await page.route(`${ORIGIN}/**`, (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/index.html') return route.fulfill({ status: 200, contentType: 'text/html', body: html });
    const f = FILES[url.pathname];
    if (f) return route.fulfill({ status: 200, contentType: f[1], body: fs.readFileSync(path.join(ROOT, f[0])) });
    return route.fulfill({ status: 404, body: '' });
  });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.console.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.pageErrors.push(String(e.stack || e)));
  page.on('requestfailed', (r) => problems.failed.push(r.url()));

  let session;
  let relative = o.relative ?? true;
  /** The side bar's filter, as the extension's tree gives it (setFilter below). */
  let filter;
  const host = {
    connectionFilter: () => filter,
    request: (type, params) => o.server.request(type, params),
    settings: () => ({ relativeSequenceNumbers: relative }),
    title: (uri) => path.posix.basename(new URL(uri).pathname),
    selected: (sel) => effects.selected.push(sel),
    showProblem: (sel) => effects.problems.push(sel),
    export: (format, uri, connection, svg) => effects.exports.push({ format, uri, connection, svg }),
    placeChanged: () => undefined,
    log: (m) => effects.logs.push(m),
  };
  const post = (m) => page.evaluate((msg) => window.postMessage(msg, '*'), m).catch(() => undefined);
  session = new DiagramSession(post, host, o.place ?? null);

  await page.exposeFunction('__toHost', (m) => {
    fromWebview.push(m);
    session.receive(m);
  });
  await page.exposeFunction('__setState', (s) => {
    saved = s;
  });
  await page.exposeFunction('__cspViolation', (v) => problems.csp.push(v));
  const theme = THEMES[o.theme ?? 'dark'];
  await page.addInitScript(
    ({ state, theme }) => {
      let current = state;
      window.acquireVsCodeApi = () => ({
        postMessage: (m) => window.__toHost(JSON.parse(JSON.stringify(m))),
        getState: () => current,
        setState: (s) => {
          current = s;
          window.__setState(JSON.parse(JSON.stringify(s)));
        },
      });
      document.addEventListener('securitypolicyviolation', (e) =>
        window.__cspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`),
      );
      window.__applyTheme = (t) => {
        for (const [k, v] of Object.entries(t.vars)) document.documentElement.style.setProperty(`--vscode-${k}`, v);
        document.body.className = t.bodyClass;
      };
      document.addEventListener('DOMContentLoaded', () => window.__applyTheme(theme));
    },
    { state: saved, theme },
  );
  await page.goto(`${ORIGIN}/index.html`);

  return {
    page,
    context,
    session,
    problems,
    fromWebview,
    effects,
    get saved() {
      return saved;
    },
    /** The user flipped the setting: the host tells the webview. */
    /** The side bar filtered (an overview mark clicked): `{ filter, label }`, or undefined to clear. */
    setFilter(f) {
      filter = f;
      session.filterChanged();
    },
    setRelative(v) {
      relative = v;
      session.settingsChanged();
    },
    async theme(name) {
      await page.evaluate((t) => window.__applyTheme(t), THEMES[name]);
    },
    async close() {
      session.dispose();
      await context.close();
    },
  };
}
