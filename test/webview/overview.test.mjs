// The Teardown overview (issue 16) in headless Chromium: the webview page with its real CSP and the
// real bundle (dist/overview.js), drawing overviews made by the real engine from real captures, and
// the standalone `analyze --report` file made by the real CLI (dist/cli.js). Every mark drawn must
// count what the `analyze --json` connections say. Run: node test/webview/run.mjs --grep=overview
import assert from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import { createRequire } from 'module';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, ORIGIN } from './harness.mjs';
import { THEMES } from './themes.mjs';
import * as model from './model.mjs';

const require = createRequire(import.meta.url);
const ROOT = model.ROOT;
const src = (p) => path.join(ROOT, 'src', p);
const { overviewPageHtml } = require(src('shared/overviewPage.ts'));
const { overviewOf, closeKindKey, markKey } = require(src('core/report/overview.ts'));
const { analysisJson } = require(src('core/report/json.ts'));
const { makeNonce } = require(src('extension/diagram/html.ts'));
const KERNEL = path.join(ROOT, 'test/fixtures/kernel');
const CORPUS = path.join(process.env.TT_CORPUS ?? path.resolve(ROOT, '../shared/corpus'), 'captures');
const BENCH = path.join(ROOT, '.bench/loopback-1m.pcap');
const CLI = path.join(ROOT, 'dist/cli.js');
const SHOTS = path.join(ROOT, 'docs/screenshots');

const until = (page, fn, arg) => page.waitForFunction(fn, arg, { timeout: 30_000 });
/** Waits for a condition on the Node side (messages the page posted arrive asynchronously). */
async function eventually(fn) {
  for (let i = 0; i < 300 && !fn(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(fn(), 'timed out');
}

/** The kind key of a JSON connection (the overview's own classification, applied to the document). */
const kindOf = (c) => closeKindKey({ outcome: c.outcome, closeInitiator: c.closeInitiator, reset: c.reset });

/** Per timeline mark key, the connections of the JSON document in it. */
function timelineFromJson(o, conns) {
  const m = new Map();
  for (const c of conns) {
    const t = parseFloat(c.endTime);
    const bin = Number.isNaN(t) ? 0 : Math.min(o.timeline.bins - 1, Math.max(0, Math.floor((t - o.timeline.start) / o.timeline.binSeconds)));
    const key = markKey.timeline(bin, kindOf(c));
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

/** Every mark in the page: key, count, element. */
const marksIn = (page) =>
  page.$$eval('[data-mark]', (els) => els.map((e) => ({ key: e.getAttribute('data-mark'), count: Number(e.getAttribute('data-count')), tag: e.tagName.toLowerCase() })));

async function analyzed(file) {
  const { table } = await model.loadCapture(file);
  const a = model.analyze(table);
  const { overview, builder } = overviewOf(a, { name: path.basename(file), format: 'pcap', packets: table.length, segments: table.length });
  return { a, overview, builder, json: analysisJson(a, { format: 'pcap', packets: table.length, tcpSegments: table.length, warnings: [] }) };
}

/** The overview webview: the extension's page and CSP, a fake acquireVsCodeApi recording what it posts. */
async function openWebview(browser, theme = 'dark', width = 1000) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  const posted = [];
  const html = overviewPageHtml({ nonce: makeNonce(), title: 'Teardown Overview', webview: { scriptUri: `${ORIGIN}/dist/overview.js` } });
  await page.route(`${ORIGIN}/**`, (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/index.html') return route.fulfill({ status: 200, contentType: 'text/html', body: html });
    if (url.pathname === '/dist/overview.js') return route.fulfill({ status: 200, contentType: 'text/javascript', body: fs.readFileSync(path.join(ROOT, 'dist/overview.js')) });
    return route.fulfill({ status: 404, body: '' });
  });
  page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.exposeFunction('__toHost', (m) => posted.push(m));
  await page.exposeFunction('__cspViolation', (v) => problems.push(`CSP: ${v}`));
  await page.addInitScript((t) => {
    // The state VS Code keeps across a reload (and hands to the panel's serializer).
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__toHost(JSON.parse(JSON.stringify(m))),
      getState: () => window.__state,
      setState: (v) => void (window.__state = JSON.parse(JSON.stringify(v))),
    });
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`));
    window.__applyTheme = (th) => {
      for (const [k, v] of Object.entries(th.vars)) document.documentElement.style.setProperty(`--vscode-${k}`, v);
      document.body.className = th.bodyClass;
    };
    document.addEventListener('DOMContentLoaded', () => window.__applyTheme(t));
  }, THEMES[theme]);
  await page.goto(`${ORIGIN}/index.html`);
  const send = (m) => page.evaluate((msg) => window.postMessage(msg, '*'), m);
  return { page, context, problems, posted, send };
}

let browser;
before(async function () {
  if (!fs.existsSync(CHROMIUM) || !fs.existsSync(path.join(ROOT, 'dist/overview.js'))) this.skip();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});
after(async () => {
  await browser?.close();
});

describe('overview webview: marks equal the analysis', function () {
  const captures = [
    ...['02-server-active-close', '04-half-close-lingering', '06-abortive-close-linger0', '08-refused-closed-port', '15-server-fin-then-rst', '17-rst-to-stale-connection'].map((n) => path.join(KERNEL, `${n}.pcap`)),
    ...['ppa__ek_to_cryptowall4.pcapng', 'pcpp__650HttpResponses.pcap', 'sv__decode-teredo-01.pcap'].map((f) => path.join(CORPUS, f)),
  ];
  for (const file of captures)
    it(`${path.basename(file)}: every mark counts the connections behind it, the bars the --json document's`, async function () {
      if (!fs.existsSync(file)) this.skip();
      const { overview, builder, json } = await analyzed(file);
      const w = await openWebview(browser);
      await eventually(() => w.posted.length > 0);
      assert.deepStrictEqual(w.posted, [{ type: 'ready' }]);
      await w.send({ type: 'overview', overview, title: 'x' });
      await until(w.page, () => document.querySelector('section#table') !== null);
      const marks = await marksIn(w.page);
      assert.ok(marks.length > 0);
      for (const m of marks) assert.strictEqual(m.count, builder.select(m.key).length, m.key);
      // The stacked bars: per bin and kind, the JSON's connections.
      const expected = timelineFromJson(overview, json.connections);
      const bars = marks.filter((m) => m.tag === 'rect' && m.key.startsWith('t/'));
      assert.deepStrictEqual(new Map(bars.map((m) => [m.key, m.count])), expected);
      assert.strictEqual(bars.reduce((n, m) => n + m.count, 0), json.summary.connections);
      // Lingering bars: the lingering-half-close findings.
      const lingering = json.connections.filter((c) => c.findings.some((f) => f.code === 'lingering-half-close')).length;
      assert.strictEqual(marks.filter((m) => /^hc\/\d+\/l$/.test(m.key)).reduce((n, m) => n + m.count, 0), lingering);
      // Reset bars by sender: the JSON's resets.
      const resets = json.connections.filter((c) => c.reset !== null).length;
      assert.strictEqual(marks.filter((m) => m.key.startsWith('rs/')).reduce((n, m) => n + m.count, 0), resets);
      assert.deepStrictEqual(w.problems, []);
      await w.context.close();
    });
});

describe('overview webview: clicks, keys, sorting and themes', () => {
  let fx;
  before(async function () {
    const file = path.join(CORPUS, 'ppa__ek_to_cryptowall4.pcapng');
    fx = await analyzed(fs.existsSync(file) ? file : path.join(KERNEL, '06-abortive-close-linger0.pcap'));
  });

  it('a click or Enter on a mark posts its key; the host answer is shown; the mark stays selected', async () => {
    const w = await openWebview(browser);
    assert.strictEqual(await w.page.evaluate(() => window.__state), undefined, 'no state before an overview');
    await w.send({ type: 'overview', overview: fx.overview, title: 'x', uri: 'teardown-capture:/captures/a.pcap?view=all' });
    await until(w.page, () => document.querySelector('rect[data-mark^="t/"]') !== null);
    // The page keeps the trace's URI for the panel's serializer (a window reload draws it again).
    assert.deepStrictEqual(await w.page.evaluate(() => window.__state), { uri: 'teardown-capture:/captures/a.pcap?view=all' });
    const first = w.page.locator('rect[data-mark^="t/"]').first();
    const key = await first.getAttribute('data-mark');
    await first.click();
    await until(w.page, () => document.querySelector('rect.selected') !== null);
    await eventually(() => w.posted.at(-1)?.type === 'select');
    assert.deepStrictEqual(w.posted.at(-1), { type: 'select', key, label: await first.getAttribute('data-label') });
    await w.send({ type: 'selected', key, label: 'some', count: 3, shown: 7 });
    await until(w.page, () => !document.getElementById('status').hidden);
    assert.match(await w.page.locator('#status').textContent(), /3 connections, listed in the side bar; connection #7 is in the ladder/);
    // The keyboard: Enter on a focused mark of another chart.
    const bar = w.page.locator('[data-mark^="ep/"]').first();
    await bar.focus();
    await w.page.keyboard.press('Enter');
    const barKey = await bar.getAttribute('data-mark');
    await eventually(() => w.posted.at(-1)?.key === barKey);
    assert.deepStrictEqual(w.problems, []);
    await w.context.close();
  });

  it('the table sorts by the column clicked, both ways', async () => {
    const w = await openWebview(browser);
    await w.send({ type: 'overview', overview: fx.overview, title: 'x' });
    await until(w.page, () => document.querySelector('table.endpoints') !== null);
    const column = async (i) => w.page.$$eval(`table.endpoints tbody tr td:nth-child(${i})`, (tds) => tds.map((t) => Number(t.textContent.replace(/,/g, ''))));
    await w.page.click('button[data-sort="connections"]');
    const desc = await column(2);
    assert.deepStrictEqual(desc, [...desc].sort((a, b) => b - a));
    await w.page.click('button[data-sort="connections"]');
    const asc = await column(2);
    assert.deepStrictEqual(asc, [...desc].sort((a, b) => a - b));
    await w.context.close();
  });

  it('follows the theme: colours from the --vscode-* variables, re-read when they change; borders in high contrast', async () => {
    const w = await openWebview(browser, 'light');
    await w.send({ type: 'overview', overview: fx.overview, title: 'x' });
    await until(w.page, () => document.querySelector('rect[data-mark^="t/"]') !== null);
    const style = () =>
      w.page.evaluate(() => {
        const r = document.querySelector('rect.k-graceful-server, rect.k-graceful-client, rect[data-mark^="t/"]');
        const cs = getComputedStyle(r);
        return { fill: cs.fill, stroke: cs.stroke, strokeWidth: cs.strokeWidth, text: getComputedStyle(document.querySelector('h1')).color };
      });
    const light = await style();
    await w.page.evaluate((t) => window.__applyTheme(t), THEMES.dark);
    const dark = await style();
    assert.notStrictEqual(light.fill, dark.fill);
    assert.notStrictEqual(light.text, dark.text);
    await w.page.evaluate((t) => window.__applyTheme(t), THEMES.hc);
    const hc = await style();
    assert.notStrictEqual(hc.stroke, 'none');
    assert.deepStrictEqual(w.problems, []);
    await w.context.close();
  });
});

/** Runs the CLI; resolves with its exit code, stdout and stderr. */
function cli(...args) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The standalone report in Chromium (file://, its own CSP meta): marks, a click, light and dark. */
async function openReport(file, scheme, width = 1100) {
  const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('request', (r) => !r.url().startsWith('file://') && problems.push(`loaded ${r.url()}`));
  await page.exposeFunction('__cspViolation', (v) => problems.push(`CSP: ${v}`));
  await page.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) => window.__cspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`)));
  const t0 = Date.now();
  await page.goto(`file://${file}`);
  await until(page, () => document.querySelector('section#table') !== null);
  return { page, context, problems, ms: Date.now() - t0 };
}

/** The connections of a capture as `analyze --format jsonl` writes them (one JSON object a line). */
async function jsonlConnections(file) {
  const child = spawn(process.execPath, [CLI, 'analyze', file, '--format', 'jsonl', '--no-progress'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const conns = [];
  for await (const line of readline.createInterface({ input: child.stdout })) {
    const o = JSON.parse(line);
    if (o.id !== undefined) conns.push({ id: o.id, endTime: o.endTime, outcome: o.outcome, closeInitiator: o.closeInitiator, reset: o.reset, findings: o.findings.map((f) => ({ code: f.code })) });
  }
  return conns;
}

describe('overview report: analyze --report in Chromium', function () {
  let dir;
  before(function () {
    if (!fs.existsSync(CLI)) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'overview-report-'));
  });

  const check = async (capture, name) => {
    const target = path.join(dir, `${name}.html`);
    const r = cli('analyze', capture, '--report', target);
    assert.strictEqual(r.code, 0, r.err);
    const conns = await jsonlConnections(capture);
    const out = {};
    for (const scheme of ['light', 'dark']) {
      const rep = await openReport(target, scheme);
      const o = await rep.page.evaluate(() => JSON.parse(document.getElementById('overview-data').textContent));
      const bars = (await marksIn(rep.page)).filter((m) => m.tag === 'rect' && m.key.startsWith('t/'));
      assert.deepStrictEqual(new Map(bars.map((m) => [m.key, m.count])), timelineFromJson(o, conns), 'bars = the JSON lines');
      const lingering = conns.filter((c) => c.findings.some((f) => f.code === 'lingering-half-close')).length;
      assert.strictEqual((await marksIn(rep.page)).filter((m) => /^hc\/\d+\/l$/.test(m.key)).reduce((n, m) => n + m.count, 0), lingering);
      const bg = await rep.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.strictEqual(bg, scheme === 'light' ? 'rgb(255, 255, 255)' : 'rgb(31, 31, 31)');
      fs.mkdirSync(SHOTS, { recursive: true });
      if (process.env.OVERVIEW_SHOTS && name === 'public') await rep.page.screenshot({ path: path.join(SHOTS, `report-${name}-${scheme}.png`), fullPage: true });
      // A click names the mark's connections and how to list them.
      const first = rep.page.locator('rect[data-mark^="t/"]').first();
      await first.click();
      await until(rep.page, () => !document.getElementById('status').hidden);
      assert.match(await rep.page.locator('#status').textContent(), /connections?.*e\.g\. #\d+.*--filter 'tcp\.stream in \{/s);
      assert.deepStrictEqual(rep.problems, []);
      out[scheme] = rep.ms;
      await rep.context.close();
    }
    return { conns: conns.length, ms: out };
  };

  it('a kernel capture', async () => {
    await check(path.join(KERNEL, '04-half-close-lingering.pcap'), 'kernel-04');
  });

  it('a public capture with resets (skipped without the corpus)', async function () {
    const f = path.join(CORPUS, 'ppa__ek_to_cryptowall4.pcapng');
    if (!fs.existsSync(f)) this.skip();
    await check(f, 'public');
  });

  it('the bench capture, 120,000 connections (skipped unless .bench/loopback-1m.pcap was built)', async function () {
    if (!fs.existsSync(BENCH)) this.skip();
    this.timeout(600_000);
    const r = await check(BENCH, 'bench');
    process.stdout.write(`      (${r.conns} connections; report page drawn in ${r.ms.light} ms light, ${r.ms.dark} ms dark, from navigation)\n`);
    assert.ok(r.conns >= 100_000);
  });
});
