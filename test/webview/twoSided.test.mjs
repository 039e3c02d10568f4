// The ladder of two captures merged (issue 15, "Add the other side's capture") in headless
// Chromium: the kernel-made two-ended fixtures (test/fixtures/twoends) merged as the language
// server merges them, answered through the real host session. Run: node test/webview/run.mjs
import assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { openDiagram, sharedBrowser } from './harness.mjs';
import * as model from './model.mjs';

const SHOTS = path.join(model.ROOT, 'docs/diagram');
const TWO = path.join(model.ROOT, 'test/fixtures/twoends');
const until = (page, fn, arg) => page.waitForFunction(fn, arg, { timeout: 15_000 });
const CLEAN = { csp: [], console: [], pageErrors: [], failed: [] };

async function loadPair(scenario, server = 'server+3.5s', keep1 = undefined) {
  const first = path.join(TWO, `${scenario}.client.pcap`);
  const { analysis, two } = await model.twoCaptures(first, path.join(TWO, `${scenario}.${server}.pcap`), keep1);
  const uri = `file://${first}`;
  const conn = analysis.connections[0];
  const win = model.ladderWindow(analysis, conn.id, 0, conn.rows.length, (r) => r);
  // What the server answers (the two-sided facts added), for the expectations.
  const server0 = model.fakeServer(new Map([[uri, analysis]]), new Map([[uri, two]]));
  const full = await server0.request({ method: 'teardown/segments' }, { uri, connection: conn.id, start: 0, count: conn.rows.length });
  return { uri, analysis, conn, win, full, server: model.fakeServer(new Map([[uri, analysis]]), new Map([[uri, two]])) };
}

/** Each drawn arrow: its tail, its head's tip (null: none), its lost mark's centre. */
const geometry = (page) =>
  page.$$eval('.row.seg', (gs) =>
    gs.map((g) => {
      const line = g.querySelector('.arrow');
      const tip = /^M(-?[\d.]+) (-?[\d.]+)/.exec(g.querySelector('.head')?.getAttribute('d') ?? '');
      const mark = /^M(-?[\d.]+) (-?[\d.]+)/.exec(g.querySelector('.lost-mark')?.getAttribute('d') ?? '');
      return {
        index: Number(g.getAttribute('data-index')),
        cls: g.getAttribute('class'),
        x1: Number(line.getAttribute('x1')),
        y1: Number(line.getAttribute('y1')),
        tip: tip ? [Number(tip[1]), Number(tip[2])] : null,
        mark: mark ? [Number(mark[1]) + 5, Number(mark[2]) + 5] : null,
      };
    }),
  );

const browser = sharedBrowser();

describe('diagram webview: two captures merged (twoends)', () => {
  it('draws sloped arrows from the sender’s capture time to the receiver’s, the lost ACK vanishing between the lifelines (01-lost-final-ack)', async () => {
    const fx = await loadPair('01-lost-final-ack');
    const d = await openDiagram(browser(), { server: fx.server, width: 560, height: 1180, scale: 2 });
    const { page } = d;
    await d.session.show(fx.uri, fx.conn.id);
    const n = fx.conn.rows.length;
    await until(page, (n) => document.querySelectorAll('.row.seg.two').length === n, n);
    const rowHeight = await page.evaluate(() => {
      const ys = [...document.querySelectorAll('.row.seg .arrow')].map((l) => Number(l.getAttribute('y1')));
      return ys[1] - ys[0];
    });
    const geo = await geometry(page);
    const lifelines = await page.$$eval('.lifeline', (ls) => ls.map((l) => Number(l.getAttribute('x1'))));
    for (const s of fx.full.segments) {
      const g = geo.find((x) => x.index === s.index);
      assert.match(g.cls, new RegExp(`\\bfate-${s.two.fate}\\b`));
      if (s.two.fate === 'both') {
        // Lands on the receiver's lifeline, lower by the transit placed between the rows around it.
        assert.ok(g.tip, `segment ${s.index} has a head`);
        assert.ok(Math.abs(g.tip[1] - g.y1 - (s.two.land - s.index) * rowHeight) < 0.01, `segment ${s.index}: ${g.tip[1] - g.y1} px`);
        assert.ok(g.tip[1] > g.y1, `segment ${s.index} slopes down`);
        assert.ok(lifelines.includes(g.tip[0]) && lifelines.includes(g.x1) && g.tip[0] !== g.x1);
      }
    }
    const lost = fx.full.segments.filter((s) => s.two.fate === 'lost');
    assert.deepStrictEqual(lost.map((s) => [s.index, s.two.frames]), [[10, [11, 0]]]);
    const lg = geo.find((x) => x.index === 10);
    assert.strictEqual(lg.tip, null, 'no head: it never arrived');
    assert.ok(lg.mark, 'crossed out');
    assert.ok(Math.abs(lg.mark[0] - (lifelines[0] + lifelines[1]) / 2) < 0.01, 'vanished between the capture points');
    assert.ok(lg.mark[1] > lg.y1, 'on its way down');
    // The server's CLOSE-WAIT band begins where the client's FIN landed on its lifeline.
    const fin = fx.full.segments.find((s) => s.dir === 'c2s' && s.flagText.includes('FIN'));
    const finTip = geo.find((x) => x.index === fin.index).tip[1];
    const bandTop = await page.$eval('.band[data-side="server"][data-state="CLOSE-WAIT"] .band-fill', (r) => Number(r.getAttribute('y')));
    assert.ok(Math.abs(bandTop - finTip) < 0.01, `CLOSE-WAIT at ${bandTop}, FIN lands at ${finTip}`);
    // Header: the pair and the clock offset; each lifeline names its capture.
    const head = await page.locator('.two-sided-head').textContent();
    assert.match(head, /^Two captures · clock offset server − client: \+3\.49\d+ s \(3\.4\d+ to 3\.5\d+ s\) · 12 seen at both points, 1 lost between them, 0 outside the other capture/);
    const heads = await page.locator('.lifeheads').textContent();
    assert.match(heads, /client capture: 01-lost-final-ack\.client\.pcap/);
    assert.match(heads, /server capture: 01-lost-final-ack\.server\+3\.5s\.pcap/);
    // The step's explanation and the hover give both frame numbers.
    d.session.select(fx.uri, fx.conn.id, 10);
    await until(page, () => /lost between the capture points/.test(document.querySelector('.explain .step-two')?.textContent ?? ''));
    assert.strictEqual(await page.locator('.explain .step-two').textContent(), 'Seen: client frame 11 · lost between the capture points (the server capture never saw it).');
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'ladder-two-captures-01-lost-final-ack-dark.png') });
    await page.focus('.scroller');
    await page.hover('.hit[data-index="11"]', { position: { x: 20, y: 8 } });
    await until(page, () => document.querySelector('.tooltip .tt-two'));
    assert.match(await page.locator('.tooltip .tt-title').textContent(), /^Step 12 · \d+\.\d+$/, 'no merged step passed off as a frame');
    assert.match(await page.locator('.tooltip .tt-two').textContent(), /^server frame 11 → client frame 12 · 1\d\.\d ms in flight$/);
    assert.deepStrictEqual(d.problems, CLEAN);
    await d.close();
  });

  it('crossing FINs cross in flight: each left before the other arrived (04-crossing-fins, 20 ms each way)', async () => {
    const fx = await loadPair('04-crossing-fins');
    const fins = fx.full.segments.filter((s) => s.flagText.includes('FIN') && !s.kinds.includes('retransmission'));
    assert.strictEqual(fins.length, 2);
    const [a, b] = fins;
    assert.ok(a.dir !== b.dir && a.two.land > b.index && b.two.land > a.index, JSON.stringify(fins.map((s) => [s.index, s.two.land])));
    const d = await openDiagram(browser(), { server: fx.server, theme: 'light', width: 560, height: 760 });
    const { page } = d;
    await d.session.show(fx.uri, fx.conn.id);
    await until(page, (n) => document.querySelectorAll('.row.seg.two').length === n, fx.conn.rows.length);
    const geo = await geometry(page);
    const ga = geo.find((x) => x.index === a.index);
    const gb = geo.find((x) => x.index === b.index);
    // Two segments between the lifelines cross when their vertical order flips from tail to tip.
    assert.ok(ga.y1 < gb.y1, 'the first FIN leaves first');
    const at = (g, x) => g.y1 + ((g.tip[1] - g.y1) * (x - g.x1)) / (g.tip[0] - g.x1);
    const xs = [ga.x1, gb.x1];
    assert.ok(Math.sign(at(ga, xs[0]) - at(gb, xs[0])) !== Math.sign(at(ga, xs[1]) - at(gb, xs[1])), 'the two FINs cross');
    await page.screenshot({ path: path.join(SHOTS, 'ladder-two-captures-04-crossing-fins-light.png') });
    assert.deepStrictEqual(d.problems, CLEAN);
    await d.close();
  });

  it('segments outside the other capture’s time span are dotted with an open head, never crossed out (02-lost-fin, the server capture started late)', async () => {
    // The server's capture lost its first 3 frames (the handshake): those segments are seen at the client only.
    const fx = await loadPair('02-lost-fin', 'server', (r) => r >= 3);
    const outside = fx.full.segments.filter((s) => s.two.fate === 'outside');
    assert.ok(outside.length >= 3, JSON.stringify(fx.full.segments.map((s) => s.two.fate)));
    const lost = fx.full.segments.filter((s) => s.two.fate === 'lost');
    assert.deepStrictEqual(lost.map((s) => s.two.frames[0]), [8], 'the lost FIN is still lost');
    const d = await openDiagram(browser(), { server: fx.server, width: 560, height: 900 });
    const { page } = d;
    await d.session.show(fx.uri, fx.conn.id);
    await until(page, (n) => document.querySelectorAll('.row.seg.two').length === n, fx.conn.rows.length);
    const geo = await geometry(page);
    for (const s of outside) {
      const g = geo.find((x) => x.index === s.index);
      assert.match(g.cls, /\bfate-outside\b/);
      assert.doesNotMatch(g.cls, /\blost\b/);
      assert.ok(g.tip && !g.mark, `segment ${s.index}: an arrow with a head, no cross`);
      const style = await page.$eval(`.row.seg[data-index="${s.index}"]`, (el) => ({
        dash: getComputedStyle(el.querySelector('.arrow')).strokeDasharray,
        head: getComputedStyle(el.querySelector('.head')).fill,
        line: getComputedStyle(el.querySelector('.arrow')).stroke,
      }));
      assert.notStrictEqual(style.dash, 'none', 'dotted');
      assert.notStrictEqual(style.head, style.line, 'an open head (filled with the background, not the arrow’s colour)');
    }
    const both = fx.full.segments.find((s) => s.two.fate === 'both' && s.kinds.length === 0);
    const solid = await page.$eval(`.row.seg[data-index="${both.index}"]`, (el) => ({
      dash: getComputedStyle(el.querySelector('.arrow')).strokeDasharray,
      head: getComputedStyle(el.querySelector('.head')).fill,
      line: getComputedStyle(el.querySelector('.arrow')).stroke,
    }));
    assert.deepStrictEqual([solid.dash, solid.head], ['none', solid.line], 'seen at both points: solid, a filled head');
    assert.deepStrictEqual(d.problems, CLEAN);
    await d.close();
  });

  it('a one-capture ladder is unchanged: no two-sided classes or header', async () => {
    const file = path.join(TWO, '01-lost-final-ack.client.pcap');
    const { table } = await model.loadCapture(file);
    const analysis = model.analyze(table);
    const uri = `file://${file}`;
    const d = await openDiagram(browser(), { server: model.fakeServer(new Map([[uri, analysis]])) });
    await d.session.show(uri, 1);
    await until(d.page, (n) => document.querySelectorAll('.row.seg').length === n, analysis.connections[0].rows.length);
    assert.strictEqual(await d.page.locator('.row.two').count(), 0);
    assert.strictEqual(await d.page.locator('.two-sided-head').isHidden(), true);
    assert.strictEqual(await d.page.locator('.lifehead .capture').count(), 0);
    assert.deepStrictEqual(d.problems, CLEAN);
    await d.close();
  });
});
