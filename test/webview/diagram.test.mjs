// The diagram webview in headless Chromium against real engine output. Run: node test/webview/run.mjs
import assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { openDiagram, sharedBrowser } from './harness.mjs';

import * as model from './model.mjs';
const ROOT = model.ROOT;
const SHOTS = path.join(ROOT, 'docs/diagram');
const FIXTURES = path.join(ROOT, 'test/fixtures/kernel');

/** Waits for a condition in the page (never sleeps). */
const until = (page, fn, arg) => page.waitForFunction(fn, arg, { timeout: 15_000 });

/** Runs of equal states on one side: what the ladder must draw as bands. */
function stateRuns(segments, side) {
  const seq = [];
  for (const s of segments) seq.push(s[`${side}Before`], s[`${side}After`]);
  return seq.filter((st, i) => i === 0 || st !== seq[i - 1]);
}

async function loadFixture(name) {
  const file = path.join(FIXTURES, `${name}.pcap`);
  const { table, via } = await model.loadCapture(file);
  const analysis = model.analyze(table);
  const uri = `file://${file}`;
  return { uri, analysis, via, server: model.fakeServer(new Map([[uri, analysis]])) };
}

/** Opens the diagram on a trace and waits until `rows` arrows are drawn. */
async function open(b, fx, o = {}) {
  const d = await openDiagram(b, { server: fx.server, ...o });
  if (!o.savedState) await d.session.show(fx.uri, o.connection);
  return d;
}

const selectedIndex = (page) => page.evaluate(() => window.__ladderDebug.selected());
const selectedRow = (page) => page.evaluate(() => document.querySelector('.row.sel')?.getAttribute('data-index') ?? null);

const browser = sharedBrowser();

describe('diagram webview on a kernel capture (04-half-close-lingering)', () => {
  let fx;
  let conn;
  let window;
  before(async () => {
    fx = await loadFixture('04-half-close-lingering');
    conn = fx.analysis.connections.find((c) => c.findings.length > 0) ?? fx.analysis.connections[0];
    window = model.ladderWindow(fx.analysis, conn.id, 0, conn.rows.length, (r) => r);
    process.stdout.write(`      (capture decoded by ${fx.via}: ${fx.analysis.table.length} segments, ${fx.analysis.connections.length} connection(s))\n`);
  });

  it('draws one arrow per segment, one band per state run on each side, and marks findings', async () => {
    const d = await open(browser(), fx);
    const { page } = d;
    const n = window.segments.length;
    await until(page, (n) => document.querySelectorAll('.row.seg').length === n, n);
    assert.strictEqual(await page.locator('.row.seg').count(), n);
    for (const side of ['client', 'server']) {
      const runs = stateRuns(window.segments, side);
      const drawn = await page.$$eval(`.band[data-side="${side}"]`, (els) => els.map((e) => e.getAttribute('data-state')));
      assert.deepStrictEqual(drawn, runs, `${side} bands`);
    }
    // The server lingers in CLOSE-WAIT: its band is labelled and runs to the end of the capture.
    assert.ok(await page.locator('.band[data-side="server"][data-state="CLOSE-WAIT"] .band-label').count() >= 1);
    const withFindings = window.segments.filter((s) => s.findings.length > 0).length;
    assert.ok(withFindings > 0);
    assert.strictEqual(await page.locator('.row.seg .finding').count(), withFindings);
    // Colours by kind: the SYN, the FIN and data each get their class.
    for (const k of ['syn', 'fin', 'data', 'ack']) assert.ok((await page.locator(`.row.kind-${k}`).count()) > 0, `kind-${k}`);
    // Lifeline heads: addresses, and who closed first.
    const heads = await page.locator('.lifeheads').textContent();
    assert.match(heads, new RegExp(`${conn.client.addr}:${conn.client.port}`));
    assert.match(heads, /closed first/);
    assert.deepStrictEqual(d.problems, { csp: [], console: [], pageErrors: [], failed: [] });
    await d.close();
  });

  it('steps with buttons and keys, explains with RFC reasons in an aria-live region, and moves the editor', async () => {
    const d = await open(browser(), fx);
    const { page } = d;
    const n = window.segments.length;
    await until(page, (n) => document.querySelectorAll('.row.seg').length === n, n);
    await page.click('button.step-next');
    assert.strictEqual(await selectedIndex(page), 0);
    await page.focus('.scroller');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.strictEqual(await selectedIndex(page), 2);
    assert.strictEqual(await selectedRow(page), '2');
    assert.strictEqual(await page.getAttribute('.scroller', 'aria-activedescendant'), 'seg-2');
    // Step 3 completes the handshake on the server: the explanation says so, citing the RFC.
    const text = await page.locator('.explain').textContent();
    assert.match(text, /Step 3 of 9/);
    assert.match(text, /SYN-RECEIVED → ESTABLISHED/);
    assert.match(text, /RFC 9293/);
    assert.strictEqual(await page.getAttribute('.explain', 'aria-live'), 'polite');
    await page.keyboard.press('End');
    assert.strictEqual(await selectedIndex(page), n - 1);
    await page.keyboard.press('Home');
    assert.strictEqual(await selectedIndex(page), 0);
    const firstFinding = window.segments.findIndex((s) => s.findings.length > 0);
    await page.keyboard.press('n');
    assert.strictEqual(await selectedIndex(page), firstFinding);
    assert.match(await page.locator('.explain').textContent(), new RegExp(window.segments[firstFinding].findings[0].code));
    await page.keyboard.press('Shift+N');
    assert.strictEqual(await selectedIndex(page), firstFinding, 'no earlier finding: stays');
    await page.click('button.step-previous');
    assert.strictEqual(await selectedIndex(page), firstFinding - 1);
    // Play runs to the end by itself, then stops.
    await page.click('button.step-last');
    await page.click('button.step-previous');
    await page.click('button.step-play');
    assert.strictEqual(await page.getAttribute('button.step-play', 'aria-pressed'), 'true');
    await until(page, (n) => window.__ladderDebug.selected() === n - 1 && document.querySelector('button.step-play').getAttribute('aria-pressed') === 'false', n);
    // Clicking an arrow selects it.
    await page.click('.row.seg[data-index="4"] .label');
    assert.strictEqual(await selectedIndex(page), 4);
    await page.click('.hit[data-index="3"]', { position: { x: 20, y: 10 } });
    assert.strictEqual(await selectedIndex(page), 3);
    await page.click('.hit[data-index="4"]', { position: { x: 20, y: 10 } });
    assert.strictEqual(await selectedIndex(page), 4);
    // Every step was posted to the host with the segment's document line (→ onDidSelect + revealSegment).
    await until(page, () => true);
    const last = d.effects.selected.at(-1);
    assert.deepStrictEqual(last, { uri: fx.uri, connection: conn.id, index: 4, line: conn.rows[4] });
    assert.ok(d.effects.selected.length >= 8);
    // The finding's "Show in Problems" link.
    await page.keyboard.press('n');
    await page.click('.finding-box button.link');
    assert.strictEqual(d.effects.problems.at(-1).index, firstFinding);
    assert.deepStrictEqual(d.problems, { csp: [], console: [], pageErrors: [], failed: [] });
    await d.close();
  });

  it('follows the host: select() highlights the arrow and does not echo back', async () => {
    const d = await open(browser(), fx);
    const { page } = d;
    await until(page, () => document.querySelectorAll('.row.seg').length > 0);
    const before = d.effects.selected.length;
    d.session.select(fx.uri, conn.id, 6);
    await until(page, () => document.querySelector('.row.sel')?.getAttribute('data-index') === '6');
    assert.strictEqual(await page.getAttribute('.scroller', 'aria-activedescendant'), 'seg-6');
    assert.match(await page.locator('.explain').textContent(), /Step 7 of 9/);
    d.session.select(fx.uri, conn.id, 1);
    await until(page, () => document.querySelector('.row.sel')?.getAttribute('data-index') === '1');
    assert.strictEqual(d.effects.selected.length, before, 'no selection echoed to the host');
    await until(page, () => document.querySelector('.row.sel')?.getAttribute('data-index') === '1');
    // The editor's late echo of steps taken in the diagram does not pull the highlight back.
    await page.focus('.scroller');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await until(page, () => window.__ladderDebug.selected() === 4);
    await until(page, () => true);
    for (const sel of d.effects.selected.slice(-3)) d.session.select(sel.uri, sel.connection, sel.index);
    await until(page, () => true);
    assert.strictEqual(await selectedIndex(page), 4);
    // Step commands from the extension (keybindings) arrive as messages.
    d.session.step('next');
    await until(page, () => window.__ladderDebug.selected() === 5);
    d.session.step('last');
    await until(page, () => window.__ladderDebug.selected() === 8);
    // Relative / absolute sequence numbers follow the setting.
    const syn = window.segments[0];
    assert.match(await page.locator('.row.seg[data-index="0"] .label').textContent(), /SYN 0\b/);
    d.setRelative(false);
    await until(page, (seq) => document.querySelector('.row.seg[data-index="0"] .label').textContent.includes(String(seq)), syn.seq);
    await d.close();
  });

  it('links an arrow and the segment it acknowledges on hover; the tooltip shows the finding', async () => {
    const d = await open(browser(), fx);
    const { page } = d;
    await until(page, () => document.querySelectorAll('.row.seg').length > 0);
    const data = window.segments.find((s) => s.len > 0 && s.ackedBy >= 0);
    await page.hover(`.hit[data-index="${data.index}"]`, { position: { x: 20, y: 8 } });
    await until(page, () => document.querySelectorAll('.ack-link').length === 1);
    const linked = await page.$$eval('.row.linked', (els) => els.map((e) => Number(e.getAttribute('data-index'))));
    assert.ok(linked.includes(data.ackedBy), `row ${data.ackedBy} linked (${linked})`);
    assert.match(await page.locator('.tooltip').textContent(), new RegExp(`acknowledged by step ${data.ackedBy + 1}`));
    const f = window.segments.find((s) => s.findings.length > 0);
    await page.hover(`.hit[data-index="${f.index}"]`, { position: { x: 20, y: 8 } });
    await until(page, (msg) => document.querySelector('.tooltip')?.textContent.includes(msg), f.findings[0].message);
    await d.close();
  });

  it('remembers its place when hidden and restored (getState/setState), and from a panel serializer', async () => {
    const d = await open(browser(), fx);
    await until(d.page, () => document.querySelectorAll('.row.seg').length > 0);
    d.session.select(fx.uri, conn.id, 5);
    await until(d.page, () => window.__ladderDebug.selected() === 5);
    await until(d.page, () => true);
    const state = d.saved;
    assert.deepStrictEqual({ uri: state.place.uri, connection: state.place.connection, index: state.place.index }, { uri: fx.uri, connection: conn.id, index: 5 });
    await d.close();
    // A new webview (the view shown again, or a panel restored after a reload) with that state and
    // a host that knows nothing: the webview's Ready carries its place.
    const r = await openDiagram(browser(), { server: fx.server, savedState: state });
    await until(r.page, () => document.querySelector('.row.sel')?.getAttribute('data-index') === '5');
    assert.strictEqual(await selectedIndex(r.page), 5);
    await r.close();
    // The serializer path: the session starts from the place VS Code stored.
    const p = await openDiagram(browser(), { server: fx.server, place: state.place });
    await until(p.page, () => window.__ladderDebug.selected() === 5);
    await p.close();
  });

  it('exports the diagram as SVG with the theme colours inlined; Mermaid and the table go to the server', async () => {
    const d = await open(browser(), fx, { theme: 'light' });
    const { page } = d;
    await until(page, () => document.querySelectorAll('.row.seg').length > 0);
    const svg = await d.session.exportSvg();
    assert.ok(svg.startsWith('<?xml'));
    assert.match(svg, /<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.doesNotMatch(svg, /var\(--/);
    assert.doesNotMatch(svg, /class="/);
    assert.match(svg, /CLOSE-WAIT/);
    assert.match(svg, /fill="rgb\(/);
    assert.strictEqual((svg.match(/<text[^>]*>FIN,ACK/g) ?? []).length, window.segments.filter((s) => s.flagText === 'FIN,ACK').length);
    fs.mkdirSync(SHOTS, { recursive: true });
    fs.writeFileSync(path.join(SHOTS, 'ladder-04-half-close-lingering.svg'), svg);
    await page.click('button.export-mermaid');
    await page.click('button.export-state-table');
    await page.click('button.export-svg');
    await until(page, () => true);
    const formats = d.effects.exports.map((e) => e.format);
    assert.deepStrictEqual(formats, ['mermaid', 'state-table', 'svg']);
    assert.ok(d.effects.exports[2].svg.includes('<svg'));
    assert.deepStrictEqual(d.problems, { csp: [], console: [], pageErrors: [], failed: [] });
    await d.close();
  });

  it('refuses inline script and inline style (the CSP is really in force)', async () => {
    const d = await open(browser(), fx);
    const { page } = d;
    await until(page, () => document.querySelectorAll('.row.seg').length > 0);
    const ran = await page.evaluate(async () => {
      window.__inline = false;
      const s = document.createElement('script');
      s.textContent = 'window.__inline = true';
      document.body.appendChild(s);
      const div = document.createElement('div');
      div.setAttribute('style', 'color: red');
      document.body.appendChild(div);
      await new Promise((r) => setTimeout(r, 0));
      return { script: window.__inline, style: getComputedStyle(div).color };
    });
    assert.strictEqual(ran.script, false);
    assert.notStrictEqual(ran.style, 'rgb(255, 0, 0)');
    await until(page, () => true);
    assert.ok(d.problems.csp.length >= 2, `violations reported: ${d.problems.csp}`);
    await d.close();
  });
});

describe('diagram webview: connections, safety checks', () => {
  it('picks another connection of the trace from the picker (11-tuple-reuse-time-wait)', async () => {
    const fx = await loadFixture('11-tuple-reuse-time-wait');
    const conns = fx.analysis.connections;
    assert.ok(conns.length >= 2, `${conns.length} connections`);
    const d = await open(browser(), fx, { connection: conns[0].id });
    const { page } = d;
    await until(page, (n) => document.querySelectorAll('.row.seg').length === n, conns[0].rows.length);
    await until(page, (n) => document.querySelectorAll('.picker option').length === n, conns.length);
    assert.strictEqual(await page.isVisible('.picker'), true);
    await page.selectOption('.picker', String(conns[1].id));
    await until(page, (id) => document.querySelector('.conn-title').textContent.startsWith(`#${id} `), conns[1].id);
    await until(page, (n) => document.querySelectorAll('.row.seg').length === n, conns[1].rows.length);
    assert.deepStrictEqual(d.session.place, { uri: fx.uri, connection: conns[1].id });
    assert.deepStrictEqual(d.problems, { csp: [], console: [], pageErrors: [], failed: [] });
    await d.close();
  });

  it('lists only the connections the side bar is filtered to (an overview mark clicked), named, until the filter is cleared', async () => {
    const analysis = model.analyze(model.manyConnections(450));
    const uri = 'file:///synthetic/many.pcap';
    const fx = { uri, analysis, server: model.fakeServer(new Map([[uri, analysis]])) };
    const d = await open(browser(), fx);
    const { page } = d;
    const options = () => page.evaluate(() => [...document.querySelectorAll('.picker option')].map((o) => [o.value, o.textContent, o.selected, o.disabled]));
    await until(page, () => document.querySelectorAll('.picker option').length === 201);
    // The overview's selection arrives as the side bar's filter: a display filter naming ids.
    // tcp.stream counts from 0, as in Wireshark: connections #3, #7, #300.
    d.setFilter({ filter: 'tcp.stream in {2 6 299}', label: 'reset: abort' });
    await until(page, () => document.querySelectorAll('.picker option').length === 4);
    let opts = await options();
    assert.deepStrictEqual(
      opts.map((o) => o.slice(0, 3)),
      [
        ['', 'reset: abort: connections 1–3 of 3', true],
        ['3', opts[1][1], false],
        ['7', opts[2][1], false],
        ['300', opts[3][1], false],
      ],
    );
    assert.ok(opts[2][1].startsWith('#7 '), opts[2][1]);
    // Picking one shows it; the list stays the filtered one, named above the shown connection.
    await page.selectOption('.picker', '7');
    await until(page, () => document.querySelector('.conn-title').textContent.startsWith('#7 '));
    await until(page, () => document.querySelector('.picker').value === '7');
    opts = await options();
    assert.deepStrictEqual(
      opts.map((o) => [o[0], o[2], o[3]]),
      [
        ['', false, true],
        ['3', false, false],
        ['7', true, false],
        ['300', false, false],
      ],
    );
    assert.strictEqual(opts[0][1], 'reset: abort: 3 connections');
    const asked = fx.server.calls.filter((c) => c.method === 'teardown/connections').map((c) => c.params);
    assert.ok(asked.some((p) => p.filter === 'tcp.stream in {2 6 299}'), 'the page was asked for with the filter');
    // Cleared: every connection again, the page holding the shown one.
    d.setFilter(undefined);
    await until(page, () => document.querySelectorAll('.picker option').length === 201);
    opts = await options();
    assert.deepStrictEqual([opts[0][0], opts[199][0], opts[200][0]], ['1', '200', 'page:200']);
    assert.deepStrictEqual(opts.filter((o) => o[2]).map((o) => o[0]), ['7']);
    assert.deepStrictEqual(d.problems, { csp: [], console: [], pageErrors: [], failed: [] });
    await d.close();
  });

  it('lists a trace of 450 connections a page of 200 at a time, never asking for all of them', async () => {
    const analysis = model.analyze(model.manyConnections(450));
    assert.strictEqual(analysis.connections.length, 450);
    const uri = 'file:///synthetic/many.pcap';
    const fx = { uri, analysis, server: model.fakeServer(new Map([[uri, analysis]])) };
    const d = await open(browser(), fx);
    const { page } = d;
    const options = () => page.evaluate(() => [...document.querySelectorAll('.picker option')].map((o) => [o.value, o.textContent, o.selected]));
    // The default connection (none has a finding: the first), its page, and the way to the next one.
    await until(page, () => document.querySelectorAll('.picker option').length > 0);
    let opts = await options();
    assert.deepStrictEqual(opts.map((o) => o[0]).slice(0, 2), ['1', '2']);
    assert.strictEqual(opts.length, 201);
    assert.deepStrictEqual(opts[200], ['page:200', 'Connections 201–400 of 450 ›', false]);
    assert.deepStrictEqual(opts.filter((o) => o[2]).map((o) => o[0]), ['1'], 'the shown connection is selected');
    // The next page: a heading for the page (the shown connection is not on it), back, 200, forward.
    await page.selectOption('.picker', 'page:200');
    await until(page, () => document.querySelector('.picker option')?.value === '');
    opts = await options();
    assert.deepStrictEqual(opts.slice(0, 2).map((o) => o.slice(0, 2)), [['', 'Connections 201–400 of 450'], ['page:0', '‹ Connections 1–200']]);
    assert.deepStrictEqual([opts[2][0], opts[201][0], opts[202][0], opts.length], ['201', '400', 'page:400', 203]);
    // Picking a connection there shows it; the picker then lists the page holding it.
    await page.selectOption('.picker', '250');
    await until(page, () => document.querySelector('.conn-title').textContent.startsWith('#250 '));
    assert.deepStrictEqual(d.session.place, { uri, connection: 250 });
    await until(page, () => document.querySelector('.picker').value === '250' && document.querySelector('.picker option').value === 'page:0');
    // The last page holds the rest.
    await page.selectOption('.picker', 'page:400');
    await until(page, () => document.querySelectorAll('.picker option').length === 52);
    opts = await options();
    assert.deepStrictEqual([opts[0][0], opts[1][0], opts[2][0], opts[51][0]], ['', 'page:200', '401', '450']);
    const asked = fx.server.calls.filter((c) => c.method === 'teardown/connections').map((c) => c.params);
    assert.ok(asked.length >= 4, `${asked.length} requests`);
    assert.ok(
      asked.every((p) => typeof p.limit === 'number' && p.limit <= 200),
      `every request is a page: ${JSON.stringify(asked.map((p) => [p.offset, p.limit]))}`,
    );
    assert.deepStrictEqual(d.problems, { csp: [], console: [], pageErrors: [], failed: [] });
    await d.close();
  });

  it('shows a sentence, not an error, for a trace without connections', async () => {
    const fx = await loadFixture('04-half-close-lingering');
    const empty = { request: async (type) => (type.method === 'teardown/connections' ? { input: {}, connections: [], filterErrors: [] } : fx.server.request(type, {})) };
    const d = await openDiagram(browser(), { server: empty });
    await d.session.show('file:///empty.txt');
    await until(d.page, () => /no TCP connections/.test(document.querySelector('.empty').textContent));
    assert.strictEqual(await d.page.isVisible('.scroller'), false);
    await d.close();
  });

  it('makes nonces with crypto and the CSP the brief asks for; never retains a hidden context', async () => {
    const { createRequire } = await import('module');
    const require = createRequire(import.meta.url);
    const html = require(path.join(ROOT, 'src/extension/diagram/html.ts'));
    const a = html.makeNonce();
    const b = html.makeNonce();
    assert.notStrictEqual(a, b);
    assert.strictEqual(Buffer.from(a, 'base64').length, 18);
    assert.strictEqual(
      html.contentSecurityPolicy('https://x.vscode-cdn.net', 'N0nce'),
      "default-src 'none'; img-src https://x.vscode-cdn.net data:; style-src https://x.vscode-cdn.net; script-src 'nonce-N0nce'",
    );
    for (const f of ['index.ts', 'html.ts', 'session.ts']) {
      const src = fs.readFileSync(path.join(ROOT, 'src/extension/diagram', f), 'utf8');
      assert.doesNotMatch(src, /retainContextWhenHidden\s*:/);
      assert.doesNotMatch(src, /Math\.random\(/);
    }
    for (const f of fs.readdirSync(path.join(ROOT, 'src/webview'), { recursive: true }).filter((f) => f.endsWith('.ts'))) {
      const src = fs.readFileSync(path.join(ROOT, 'src/webview', f), 'utf8');
      assert.doesNotMatch(src, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, f);
      assert.doesNotMatch(src, /setAttribute\(\s*'style'/, f);
    }
  });
});

describe('diagram webview: segments in flight and lost', () => {
  const tailAndTip = (page, index) =>
    page.evaluate((i) => {
      const g = document.querySelector(`.row.seg[data-index="${i}"]`);
      const line = g.querySelector('.arrow');
      const headPath = g.querySelector('.head')?.getAttribute('d') ?? '';
      const tip = /^M(-?[\d.]+) (-?[\d.]+)/.exec(headPath);
      return {
        cls: g.getAttribute('class'),
        y1: Number(line.getAttribute('y1')),
        tipY: tip ? Number(tip[2]) : null,
        lost: g.querySelectorAll('.lost-mark').length,
      };
    }, index);

  it('crossing FINs land on the row after which each was processed (03-simultaneous-close)', async () => {
    const fx = await loadFixture('03-simultaneous-close');
    const conn = fx.analysis.connections[0];
    const win = model.ladderWindow(fx.analysis, conn.id, 0, conn.rows.length, (r) => r);
    const inFlight = win.segments.filter((s) => s.arrival > s.index);
    // The client's FIN and its retransmission, each sent before the server had processed either:
    // both arrive after step 11. The server's first FIN (step 9) never counted: the client took
    // the FIN with its retransmission (step 11), as the kernel's own trace shows (CLOSING there).
    assert.deepStrictEqual(
      inFlight.map((s) => [s.index, s.flagText, s.arrival]),
      [
        [7, 'FIN,ACK', 10],
        [9, 'FIN,ACK', 10],
      ],
    );
    assert.strictEqual(win.segments[8].arrival, -1, 'the server\'s first FIN is drawn as lost');
    const d = await open(browser(), fx, { width: 520, height: 900 });
    const { page } = d;
    await until(page, (n) => document.querySelectorAll('.row.seg').length === n, conn.rows.length);
    const rowHeight = await page.evaluate(() => {
      const a = document.querySelector('.row.seg[data-index="0"] .arrow');
      const b = document.querySelector('.row.seg[data-index="1"] .arrow');
      return Number(b.getAttribute('y1')) - Number(a.getAttribute('y1'));
    });
    assert.ok(rowHeight > 0);
    for (const s of inFlight) {
      const a = await tailAndTip(page, s.index);
      assert.match(a.cls, /\bin-flight\b/);
      assert.strictEqual(a.tipY - a.y1, (s.arrival - s.index) * rowHeight, `segment ${s.index}`);
    }
    // Segments received on arrival stay level.
    const level = await tailAndTip(page, 6);
    assert.strictEqual(level.tipY, level.y1);
    assert.doesNotMatch(level.cls, /in-flight|lost/);
    // The explanation says so.
    d.session.select(fx.uri, conn.id, 7);
    await until(page, () => /in flight until after step 11/.test(document.querySelector('.explain')?.textContent ?? ''));
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'ladder-03-simultaneous-close-dark.png') });
    assert.deepStrictEqual(d.problems, { csp: [], console: [], pageErrors: [], failed: [] });
    await d.close();
  });

  it('SYN-ACKs that never reached the client stop short, crossed out (14-half-open)', async () => {
    const fx = await loadFixture('14-half-open');
    const conn = fx.analysis.connections[0];
    const win = model.ladderWindow(fx.analysis, conn.id, 0, conn.rows.length, (r) => r);
    const lost = win.segments.filter((s) => s.arrival === -1);
    assert.ok(lost.length >= 2 && lost.every((s) => s.flagText === 'SYN,ACK'), JSON.stringify(lost.map((s) => s.flagText)));
    const d = await open(browser(), fx, { width: 520, height: 700 });
    const { page } = d;
    await until(page, (n) => document.querySelectorAll('.row.seg').length === n, conn.rows.length);
    for (const s of lost) {
      const a = await tailAndTip(page, s.index);
      assert.match(a.cls, /\blost\b/);
      assert.strictEqual(a.lost, 1);
      assert.strictEqual(a.tipY, null, 'no arrow head: it never arrives');
    }
    assert.strictEqual(await page.locator('.row.seg.lost').count(), lost.length);
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'ladder-14-half-open-dark.png') });
    assert.deepStrictEqual(d.problems, { csp: [], console: [], pageErrors: [], failed: [] });
    await d.close();
  });
});

describe('diagram webview: what the engine made of a segment, in its label', () => {
  it('keepalive probes nobody answers are labelled, then the RST (18-keepalive-timeout)', async () => {
    const fx = await loadFixture('18-keepalive-timeout');
    const conn = fx.analysis.connections[0];
    const win = model.ladderWindow(fx.analysis, conn.id, 0, conn.rows.length, (r) => r);
    const probes = win.segments.filter((s) => s.kinds.includes('keepalive'));
    assert.strictEqual(probes.length, 3);
    const d = await open(browser(), fx, { width: 900, height: 700 });
    const { page } = d;
    await until(page, (n) => document.querySelectorAll('.row.seg').length === n, conn.rows.length);
    for (const s of probes) assert.match(await page.locator(`.row.seg[data-index="${s.index}"] .label`).textContent(), /^ACK seq=\d+ ack=\d+ len=0 \(keepalive\)$/);
    const others = win.segments.filter((s) => !s.kinds.includes('keepalive') && !s.kinds.includes('retransmission'));
    for (const s of others) assert.doesNotMatch(await page.locator(`.row.seg[data-index="${s.index}"] .label`).textContent(), /\(/);
    assert.deepStrictEqual(d.problems, { csp: [], console: [], pageErrors: [], failed: [] });
    await d.close();
  });
  it('explains why each RST was sent, with its evidence as steps to go to (20-injected-rst)', async () => {
    const fx = await loadFixture('20-injected-rst');
    const conn = fx.analysis.connections[0];
    const win = model.ladderWindow(fx.analysis, conn.id, 0, conn.rows.length, (r) => r);
    const rst = win.segments.find((s) => s.rst !== null);
    assert.ok(rst && rst.rst.reason === 'injected', 'the engine calls the RST injected');
    const d = await open(browser(), fx, { width: 900, height: 700 });
    const { page } = d;
    await until(page, (n) => document.querySelectorAll('.row.seg').length === n, conn.rows.length);
    await page.click(`.row.seg[data-index="${rst.index}"]`);
    const text = await page.locator('.explain .rst-why').textContent();
    assert.match(text, /^Why this RST: injected \(likely; its receiver ignored it\): suspected injection: the client went on sending/);
    // The evidence other than the RST itself: the client's next segment, one step later.
    await page.click('.explain .rst-why button.link');
    assert.strictEqual(await selectedIndex(page), rst.index + 1);
    assert.deepStrictEqual(d.problems, { csp: [], console: [], pageErrors: [], failed: [] });
    await d.close();
  });
});

describe('diagram webview: a change no segment shows is marked inferred', () => {
  for (const [name, port, side, reason] of [
    ['27-syn-black-hole', 40027, 'client', /^CLOSED \(inferred\): No answer came to the client's SYN/],
    ['38-orphan-gives-up', 40038, 'client', /^CLOSED \(inferred\): No ACK came for the client's FIN/],
  ]) {
    it(`the band after the give-up says "inferred", with the reason as its tooltip (${name})`, async () => {
      const fx = await loadFixture(name);
      const conn = fx.analysis.connections.find((c) => c.client.port === port);
      const d = await open(browser(), fx, { width: 700, height: 900, connection: conn.id });
      const { page } = d;
      await until(page, (n) => document.querySelectorAll('.row.seg').length === n, conn.rows.length);
      const bands = page.locator(`.band.inferred[data-side="${side}"]`);
      assert.strictEqual(await bands.count(), 1);
      assert.strictEqual(await bands.getAttribute('data-state'), 'CLOSED');
      assert.match(await bands.locator('title').textContent(), reason);
      assert.strictEqual(await bands.locator('.band-note').textContent(), 'inferred');
      // Only that band: every other band shows a state the segments show.
      assert.strictEqual(await page.locator('.band.inferred').count(), 1);
      await page.screenshot({ path: path.join(process.env.TMPDIR ?? '/tmp', `ladder-inferred-${name}.png`) });
      assert.deepStrictEqual(d.problems, { csp: [], console: [], pageErrors: [], failed: [] });
      await d.close();
    });
  }
});

describe('diagram webview screenshots (docs/diagram/)', () => {
  for (const [name, index, hoverIndex] of [
    ['04-half-close-lingering', 7, 3],
    ['09-lost-final-ack', 11, 3],
  ]) {
    for (const theme of name.startsWith('09') ? ['light', 'dark', 'hc'] : ['light', 'dark']) {
      it(`${name} in ${theme}`, async () => {
        const fx = await loadFixture(name);
        const d = await open(browser(), fx, { theme, width: 460, height: 1100, scale: 2 });
        const { page } = d;
        const conn = fx.analysis.connections[0];
        await until(page, (n) => document.querySelectorAll('.row.seg').length === n, conn.rows.length);
        d.session.select(fx.uri, conn.id, index);
        await until(page, (i) => window.__ladderDebug.selected() === i && document.querySelector('.explain h2'), index);
        await page.focus('.scroller');
        await page.hover(`.hit[data-index="${hoverIndex}"]`, { position: { x: 20, y: 8 } });
        await until(page, () => document.querySelector('.tooltip') && !document.querySelector('.tooltip').hidden);
        fs.mkdirSync(SHOTS, { recursive: true });
        await page.screenshot({ path: path.join(SHOTS, `ladder-${name}-${theme}.png`) });
        assert.deepStrictEqual(d.problems, { csp: [], console: [], pageErrors: [], failed: [] });
        await d.close();
      });
    }
  }
});

describe('diagram webview with 100,000 engine-produced segments', () => {
  let fx;
  before(() => {
    const table = model.longConnection(100_000);
    const analysis = model.analyze(table);
    const uri = 'file:///synthetic/long-keepalive.pcap';
    fx = { uri, analysis, server: model.fakeServer(new Map([[uri, analysis]])) };
  });

  it('draws and pulls only the window in view, and scrolls and steps without stalls', async () => {
    const d = await open(browser(), fx, { width: 460, height: 900 });
    const { page } = d;
    await until(page, () => document.querySelectorAll('.row.seg').length > 0);
    const total = fx.analysis.connections[0].rows.length;
    assert.strictEqual(total, 100_000);
    const dom = async () => page.evaluate(() => ({ rows: document.querySelectorAll('.row').length, nodes: document.querySelectorAll('*').length }));
    let sizes = await dom();
    assert.ok(sizes.rows < 120, `rows in the DOM: ${sizes.rows}`);
    assert.ok(sizes.nodes < 3000, `elements in the DOM: ${sizes.nodes}`);
    // Scroll through the whole connection in big jumps: every frame draws only its window.
    // (Frame times are reported, not asserted: speed is measured in benchmarks, never in tests.)
    const frames = await page.evaluate(async () => {
      const sc = document.querySelector('.scroller');
      const out = [];
      for (let k = 1; k <= 40; k++) {
        const t0 = performance.now();
        sc.scrollTop = (sc.scrollHeight * k) / 41;
        window.__ladderDebug.flush();
        out.push({ ms: performance.now() - t0, rows: document.querySelectorAll('.row').length });
      }
      return out;
    });
    const worstRows = Math.max(...frames.map((f) => f.rows));
    assert.ok(worstRows < 120, `rows in the DOM while scrolling: ${worstRows}`);
    const worstScroll = Math.max(...frames.map((f) => f.ms));
    // Jump to the end and step back 200 times through the keyboard.
    await page.focus('.scroller');
    await page.keyboard.press('End');
    await until(page, (n) => window.__ladderDebug.selected() === n - 1 && document.querySelector(`#seg-${n - 1}`), total);
    const t0 = Date.now();
    for (let i = 0; i < 200; i++) await page.keyboard.press('ArrowUp');
    const perStep = (Date.now() - t0) / 200;
    assert.strictEqual(await selectedIndex(page), total - 201);

    await until(page, (i) => document.querySelector(`.row.sel`)?.getAttribute('data-index') === String(i), total - 201);
    sizes = await dom();
    assert.ok(sizes.rows < 120, `rows in the DOM after stepping: ${sizes.rows}`);
    const held = await page.evaluate(() => window.__ladderDebug.held());
    const requests = await page.evaluate(() => window.__ladderDebug.requests());
    assert.ok(held <= 8000, `segments held: ${held}`);
    const pulled = fx.server.calls.filter((c) => c.method === 'teardown/segments').reduce((n, c) => n + c.params.count, 0);
    assert.ok(pulled < 20_000, `segments pulled: ${pulled} in ${requests} requests`);
    // Idle gaps are compressed with a visible break.
    await page.evaluate(() => {
      const sc = document.querySelector('.scroller');
      sc.scrollTop = 4990 * 40;
      window.__ladderDebug.flush();
    });
    await until(page, () => document.querySelectorAll('.idle-break').length > 0);
    assert.match(await page.locator('.idle-break .break-label').first().textContent(), /45 s idle/);
    process.stdout.write(`      (worst scroll frame ${worstScroll.toFixed(1)} ms, ${perStep.toFixed(1)} ms per key step, ${pulled} of ${total} segments pulled, ${sizes.rows} rows in the DOM)\n`);
    await page.screenshot({ path: path.join(SHOTS, 'ladder-100k-dark.png') });
    assert.deepStrictEqual(d.problems, { csp: [], console: [], pageErrors: [], failed: [] });
    await d.close();
  });
});
