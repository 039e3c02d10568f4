/**
 * Draws a Teardown overview (src/core/report/overview.ts) as SVG and a table: the one renderer of
 * the VS Code panel and of `analyze --report`'s HTML file. Plain DOM calls, no library: every
 * element is made with createElement(NS), every text (endpoints come from the capture) goes in
 * through textContent, and colours are CSS classes over the theme's --vscode-* variables, so the
 * drawing follows a theme change by itself. The marks are a few hundred whatever the number of
 * connections (the server sends counts and bins), so a full redraw on resize is cheap.
 *
 * Every mark carries `data-mark` (its key, src/core/report/overview.ts `markKey`) and
 * `data-count` (the connections it stands for); activating one (click, Enter, Space) calls `onMark`.
 */
import { DRAWN_STATES, markKey, type EndpointOverview, type Overview } from '../../core/report/overview';

export interface RenderOptions {
  /** A mark was activated. */
  onMark(key: string, label: string, count: number): void;
  /** The key of the mark last selected (kept highlighted across redraws). */
  selected?: string;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

type Attrs = Record<string, string | number>;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

function html<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, parent?: Element, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  parent?.appendChild(e);
  return e;
}

function svgText(parent: Element, x: number, y: number, text: string, attrs: Attrs = {}): SVGTextElement {
  const t = svg('text', { x, y, ...attrs }, parent);
  t.textContent = text;
  return t;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** A duration in the unit that reads best. */
export function duration(s: number): string {
  if (!Number.isFinite(s)) return '–';
  const a = Math.abs(s);
  const fix = (v: number, unit: string): string => `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1).replace(/\.0$/, '') : v.toFixed(2).replace(/\.?0+$/, '')} ${unit}`;
  if (a === 0) return '0 s';
  if (a < 1e-3) return fix(s * 1e6, 'µs');
  if (a < 1) return fix(s * 1e3, 'ms');
  if (a < 120) return fix(s, 's');
  if (a < 7200) return fix(s / 60, 'min');
  return fix(s / 3600, 'h');
}

/** A power of ten of seconds on a log axis: µs and ms below a second, then seconds (1,000 s, not 16.7 min). */
function axisSeconds(s: number): string {
  return s < 1 ? duration(s) : `${count(s)} s`;
}

/** A clock time (UTC) for an axis: with milliseconds when the bins are shorter than a second. */
function clock(epoch: number, step: number): string {
  const d = new Date(epoch * 1000);
  const iso = d.toISOString(); // 2026-12-06T13:44:47.123Z
  return step < 1 ? iso.slice(11, 23) : iso.slice(11, 19);
}

/** Up to `n` round tick values from 0 to max. */
function ticks(max: number, n = 4): number[] {
  if (max <= 0) return [0];
  const raw = max / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) out.push(v);
  return out;
}

/** Makes an SVG element a mark: key, count, label (tooltip and accessible name), keyboard focus. */
function mark(e: SVGElement, key: string, n: number, label: string, selected: string | undefined): void {
  e.setAttribute('data-mark', key);
  e.setAttribute('data-count', String(n));
  e.setAttribute('data-label', label);
  e.setAttribute('tabindex', '0');
  e.setAttribute('role', 'button');
  e.setAttribute('aria-label', `${label}: ${plural(n, 'connection')}`);
  e.classList.add('mark');
  if (key === selected) e.classList.add('selected');
  const title = svg('title', {}, e);
  title.textContent = `${label}\n${plural(n, 'connection')}`;
}

function section(root: HTMLElement, id: string, title: string, note: string): HTMLElement {
  const s = html('section', 'chart', root);
  s.id = id;
  html('h2', '', s, title);
  if (note) html('p', 'note', s, note);
  return s;
}

function legend(parent: HTMLElement, items: { cls: string; label: string; key?: string; n?: number }[], selected: string | undefined): void {
  const ul = html('ul', 'legend', parent);
  for (const it of items) {
    const li = html('li', '', ul);
    const sw = svg('svg', { width: 12, height: 12, class: 'swatch' }, li);
    svg('rect', { x: 0.5, y: 0.5, width: 11, height: 11, class: it.cls }, sw);
    html('span', '', li, it.n === undefined ? it.label : `${it.label} (${count(it.n)})`);
    if (it.key !== undefined) {
      li.setAttribute('data-mark', it.key);
      li.setAttribute('data-count', String(it.n ?? 0));
      li.setAttribute('data-label', it.label);
      li.setAttribute('tabindex', '0');
      li.setAttribute('role', 'button');
      li.classList.add('mark');
      if (it.key === selected) li.classList.add('selected');
    }
  }
}

/** Shortens capture text for a label (the whole text is in the tooltip). */
function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

// ---------------------------------------------------------------------------------------- charts

function timelineChart(root: HTMLElement, o: Overview, width: number, sel: string | undefined): void {
  const tl = o.timeline;
  const s = section(
    root,
    'timeline',
    'How connections ended, over time',
    tl.timestamps
      ? `Connections by the time of their last segment, ${duration(tl.binSeconds)} per bar (UTC), stacked by how they ended.`
      : 'The trace has no timestamps: one bar.',
  );
  const H = 220;
  const m = { l: 52, r: 10, t: 10, b: 30 };
  const pw = Math.max(50, width - m.l - m.r);
  const ph = H - m.t - m.b;
  const totals = tl.counts.map((row) => row.reduce((x, y) => x + y, 0));
  const max = Math.max(1, ...totals);
  const yt = ticks(max);
  const yMax = Math.max(max, yt[yt.length - 1]);
  const g = svg('svg', { width, height: H, class: 'plot', role: 'img', 'aria-label': 'close kinds over time' }, s);
  const y = (v: number): number => m.t + ph - (v / yMax) * ph;
  for (const v of yt) {
    svg('line', { x1: m.l, x2: m.l + pw, y1: y(v), y2: y(v), class: 'grid' }, g);
    svgText(g, m.l - 6, y(v) + 4, count(v), { class: 'tick', 'text-anchor': 'end' });
  }
  const bw = pw / tl.bins;
  const gap = bw > 6 ? 1 : 0;
  for (let b = 0; b < tl.bins; b++) {
    let acc = 0;
    const t0 = tl.start + b * tl.binSeconds;
    for (let k = 0; k < o.kinds.length; k++) {
      const n = tl.counts[b][k];
      if (n === 0) continue;
      const kind = o.kinds[k];
      const r = svg('rect', { x: m.l + b * bw + gap / 2, y: y(acc + n), width: Math.max(0.5, bw - gap), height: Math.max(0.5, y(acc) - y(acc + n)), class: `k-${kind.key}` }, g);
      const when = tl.timestamps ? `${clock(t0, tl.binSeconds)}–${clock(t0 + tl.binSeconds, tl.binSeconds)} UTC` : 'all';
      mark(r, markKey.timeline(b, kind.key), n, `${kind.label}, ${when}`, sel);
      acc += n;
    }
  }
  svg('line', { x1: m.l, x2: m.l + pw, y1: m.t + ph, y2: m.t + ph, class: 'axis' }, g);
  if (tl.timestamps) {
    // Labels about 7 px a character apart, with room between them.
    const labelW = clock(tl.start, tl.binSeconds).length * 7 + 24;
    const every = Math.max(1, Math.ceil(tl.bins / Math.max(1, Math.floor(pw / labelW))));
    for (let b = 0; b <= tl.bins; b += every) {
      const x = m.l + b * bw;
      svg('line', { x1: x, x2: x, y1: m.t + ph, y2: m.t + ph + 4, class: 'axis' }, g);
      const anchor = b === 0 ? 'start' : x > m.l + pw - labelW / 2 ? 'end' : 'middle';
      svgText(g, x, H - 10, clock(tl.start + b * tl.binSeconds, tl.binSeconds), { class: 'tick', 'text-anchor': anchor });
    }
  }
  const kindTotals = o.kinds.map((_, k) => tl.counts.reduce((a, row) => a + row[k], 0));
  legend(
    s,
    o.kinds.map((k, i) => ({ cls: `k-${k.key}`, label: k.label, key: markKey.kind(k.key), n: kindTotals[i] })),
    sel,
  );
}

function histogram(parent: HTMLElement, o: Overview, which: 'halfClose' | 'closeWait', title: string, width: number, sel: string | undefined): void {
  const h = o[which];
  const box = html('div', 'histogram', parent);
  box.setAttribute('data-chart', which);
  html('h3', '', box, `${title}: ${plural(h.total, 'connection')}, ${count(h.lingeringTotal)} lingering`);
  if (h.total === 0) {
    html('p', 'note empty', box, which === 'halfClose' ? 'No half-close was measured.' : 'No endpoint was in CLOSE-WAIT.');
    return;
  }
  const H = 190;
  const m = { l: 52, r: 12, t: 18, b: 30 };
  const pw = Math.max(50, width - m.l - m.r);
  const ph = H - m.t - m.b;
  const e = h.edges;
  const lo = Math.log10(e[0]);
  const hi = Math.log10(e[e.length - 1]);
  const x = (v: number): number => m.l + ((Math.log10(v) - lo) / (hi - lo)) * pw;
  const max = Math.max(1, ...h.counts);
  // Counts on a log scale too: one lingering connection beside a hundred thousand quick closes shows.
  const yMaxLog = Math.log10(1 + max);
  const y = (v: number): number => m.t + ph - (Math.log10(1 + v) / yMaxLog) * ph;
  const g = svg('svg', { width, height: H, class: 'plot', role: 'img', 'aria-label': title }, box);
  const yTicks: number[] = [];
  for (let p = 1; p <= max; p *= 10) yTicks.push(p);
  if (max / yTicks[yTicks.length - 1] >= 2) yTicks.push(max);
  for (const p of yTicks) {
    svg('line', { x1: m.l, x2: m.l + pw, y1: y(p), y2: y(p), class: 'grid' }, g);
    svgText(g, m.l - 6, y(p) + 4, count(p), { class: 'tick', 'text-anchor': 'end' });
  }
  for (let b = 0; b < h.counts.length; b++) {
    const n = h.counts[b];
    if (n === 0) continue;
    const x0 = x(e[b]) + 0.5;
    const w = Math.max(1, x(e[b + 1]) - x(e[b]) - 1);
    const ling = h.lingering[b];
    const other = n - ling;
    const range = b === 0 ? `under ${duration(e[1])}` : b === h.counts.length - 1 ? `${duration(e[b])} or more` : `${duration(e[b])} to ${duration(e[b + 1])}`;
    // The quick ones at the bottom, the lingering ones (a finding) stacked on top.
    if (other > 0) {
      const r = svg('rect', { x: x0, y: y(other), width: w, height: y(0) - y(other), class: 'dur' }, g);
      mark(r, markKey[which](b, false), other, `${title}, ${range}`, sel);
    }
    if (ling > 0) {
      const r = svg('rect', { x: x0, y: y(n), width: w, height: Math.max(1, y(other) - y(n)), class: 'dur lingering' }, g);
      mark(r, markKey[which](b, true), ling, `${title}, ${range}, lingering`, sel);
    }
  }
  svg('line', { x1: m.l, x2: m.l + pw, y1: m.t + ph, y2: m.t + ph, class: 'axis' }, g);
  for (let p = Math.ceil(lo); p <= Math.floor(hi); p++) {
    const xv = x(10 ** p);
    svg('line', { x1: xv, x2: xv, y1: m.t + ph, y2: m.t + ph + 4, class: 'axis' }, g);
    svgText(g, xv, H - 10, axisSeconds(10 ** p), { class: 'tick', 'text-anchor': 'middle' });
  }
  if (o.lingerSeconds > 0 && o.lingerSeconds >= e[0] && o.lingerSeconds <= e[e.length - 1]) {
    const xt = x(o.lingerSeconds);
    svg('line', { x1: xt, x2: xt, y1: m.t - 6, y2: m.t + ph, class: 'threshold' }, g);
    const right = xt > m.l + pw * 0.7;
    svgText(g, right ? xt - 4 : xt + 4, m.t - 6, `linger threshold ${duration(o.lingerSeconds)}`, { class: 'tick threshold-label', 'text-anchor': right ? 'end' : 'start' });
  }
}

function durationCharts(root: HTMLElement, o: Overview, width: number, sel: string | undefined): void {
  const s = section(
    root,
    'durations',
    'Half-closes and CLOSE-WAIT',
    `How long after the first FIN the peer sent its own (or until the capture ends), and how long an endpoint stayed in CLOSE-WAIT; log scales. Lingering (a finding): still open at the end, or ${duration(o.lingerSeconds)} or more.`,
  );
  const row = html('div', 'pair', s);
  const w = width >= 760 ? Math.floor((width - 16) / 2) : width;
  histogram(row, o, 'halfClose', 'Half-close duration', w, sel);
  histogram(row, o, 'closeWait', 'Time in CLOSE-WAIT', w, sel);
  legend(
    s,
    [
      { cls: 'dur', label: 'no finding' },
      { cls: 'dur lingering', label: 'lingering-half-close finding' },
    ],
    sel,
  );
}

/** Horizontal stacked bars: one row per label, one segment per reason. */
function barRows(
  parent: HTMLElement,
  rows: { label: string; counts: number[]; key: (reason: string) => string; what: string }[],
  o: Overview,
  width: number,
  sel: string | undefined,
): void {
  const labelW = Math.min(220, Math.max(120, Math.floor(width * 0.3)));
  const rowH = 22;
  const H = rows.length * rowH + 6;
  const pw = Math.max(40, width - labelW - 70);
  const max = Math.max(1, ...rows.map((r) => r.counts.reduce((a, b) => a + b, 0)));
  const g = svg('svg', { width, height: H, class: 'plot bars', role: 'img' }, parent);
  rows.forEach((row, i) => {
    const y0 = 3 + i * rowH;
    const t = svgText(g, labelW - 8, y0 + 15, clip(row.label, 30), { class: 'label', 'text-anchor': 'end' });
    svg('title', {}, t).textContent = row.label;
    let acc = 0;
    row.counts.forEach((n, j) => {
      if (n === 0) return;
      const reason = o.resets.reasons[j];
      const r = svg('rect', { x: labelW + (acc / max) * pw, y: y0 + 2, width: Math.max(1, (n / max) * pw), height: rowH - 6, class: `r-${reason.key}` }, g);
      mark(r, row.key(reason.key), n, `${row.what}: ${reason.label}`, sel);
      acc += n;
    });
    svgText(g, labelW + (acc / max) * pw + 6, y0 + 15, count(acc), { class: 'tick' });
  });
}

function resetCharts(root: HTMLElement, o: Overview, width: number, sel: string | undefined): void {
  const r = o.resets;
  const s = section(root, 'resets', 'Resets: why, who sent them, and where', r.total === 0 ? '' : `${plural(r.total, 'connection')} ended by a RST, by the reason the analysis gives.`);
  if (r.total === 0) {
    html('p', 'note empty', s, 'No connection was reset.');
    return;
  }
  html('h3', '', s, 'By sender');
  barRows(
    s,
    (['client', 'server'] as const).map((sender) => ({
      label: `sent by the ${sender}`,
      counts: r.bySender[sender],
      key: (reason: string) => markKey.resetSender(sender, reason),
      what: `RST sent by the ${sender}`,
    })),
    o,
    width,
    sel,
  );
  html('h3', '', s, `By server endpoint${r.byEndpoint.length < o.endpointCount ? ` (the ${r.byEndpoint.length} with most)` : ''}`);
  barRows(
    s,
    r.byEndpoint.map((e) => ({ label: e.endpoint, counts: e.counts, key: (reason: string) => markKey.resetEndpoint(e.endpoint, reason), what: `RST on ${e.endpoint}` })),
    o,
    width,
    sel,
  );
  legend(
    s,
    r.reasons.map((x, j) => ({ cls: `r-${x.key}`, label: x.label, n: r.bySender.client[j] + r.bySender.server[j] })),
    sel,
  );
}

function endpointChart(root: HTMLElement, o: Overview, width: number, sel: string | undefined): void {
  const eps = [...o.endpoints].sort((a, b) => b.connections - a.connections).slice(0, 15);
  const s = section(
    root,
    'endpoints',
    'Server endpoints: connection duration and time in each state',
    `The ${eps.length === o.endpointCount ? '' : `${eps.length} busiest of ${count(o.endpointCount)} `}server endpoints. Left: connection durations (first to last segment; line min–max, box median–90th percentile, log scale). Right: the share of time the server's sockets spent in each state.`,
  );
  if (eps.length === 0) return;
  const labelW = Math.min(220, Math.max(120, Math.floor(width * 0.26)));
  const rest = Math.max(120, width - labelW - 20);
  const durW = Math.floor(rest * 0.42);
  const stW = rest - durW - 24;
  const rowH = 24;
  const top = 22;
  const H = top + eps.length * rowH + 8;
  const g = svg('svg', { width, height: H, class: 'plot', role: 'img' }, s);
  let lo = Infinity;
  let hi = 0;
  for (const e of eps) {
    if (e.duration.count === 0) continue;
    lo = Math.min(lo, Math.max(1e-6, e.duration.min));
    hi = Math.max(hi, e.duration.max);
  }
  const llo = Math.floor(Math.log10(lo === Infinity ? 1e-3 : lo));
  const lhi = Math.max(llo + 1, Math.ceil(Math.log10(Math.max(hi, 1e-6))));
  const dx0 = labelW;
  const x = (v: number): number => dx0 + ((Math.log10(Math.max(v, 10 ** llo)) - llo) / (lhi - llo)) * durW;
  const labelEvery = Math.max(1, Math.ceil((lhi - llo) / Math.max(1, Math.floor(durW / 60))));
  for (let p = llo; p <= lhi; p++) {
    svg('line', { x1: x(10 ** p), x2: x(10 ** p), y1: top - 4, y2: H - 6, class: 'grid' }, g);
    if ((p - llo) % labelEvery === 0) svgText(g, x(10 ** p), top - 8, axisSeconds(10 ** p), { class: 'tick', 'text-anchor': p === llo ? 'start' : p === lhi ? 'end' : 'middle' });
  }
  const sx0 = labelW + durW + 24;
  svgText(g, sx0, top - 8, 'server state, share of time', { class: 'tick' });
  const states = o.states;
  eps.forEach((e, i) => {
    const y0 = top + i * rowH;
    const label = svgText(g, labelW - 8, y0 + 15, clip(e.endpoint, 30), { class: 'label', 'text-anchor': 'end' });
    mark(label, markKey.endpoint(e.endpoint), e.connections, `all connections to ${e.endpoint}`, sel);
    const d = e.duration;
    if (d.count > 0) {
      const cy = y0 + 11;
      svg('line', { x1: x(d.min), x2: x(d.max), y1: cy, y2: cy, class: 'whisker' }, g);
      const b = svg('rect', { x: x(d.p50), y: cy - 6, width: Math.max(2, x(d.p90) - x(d.p50)), height: 12, class: 'box' }, g);
      mark(b, markKey.endpoint(e.endpoint), e.connections, `${e.endpoint}: durations min ${duration(d.min)}, median ${duration(d.p50)}, 90% ${duration(d.p90)}, max ${duration(d.max)}`, sel);
      svg('line', { x1: x(d.p50), x2: x(d.p50), y1: cy - 7, y2: cy + 7, class: 'median' }, g);
    }
    const total = DRAWN_STATES.reduce((a, st) => a + e.stateSeconds[states.indexOf(st)], 0);
    let acc = 0;
    for (const st of DRAWN_STATES) {
      const j = states.indexOf(st);
      const secs = e.stateSeconds[j];
      if (!(total > 0) || e.stateConnections[j] === 0) continue;
      const w = (secs / total) * stW;
      const r = svg('rect', { x: sx0 + acc, y: y0 + 4, width: Math.max(1, w), height: rowH - 8, class: `st st-${st}` }, g);
      mark(r, markKey.state(e.endpoint, st), e.stateConnections[j], `${e.endpoint}: server in ${st}, ${duration(secs)} in all (${((100 * secs) / total).toFixed(1)}%)`, sel);
      acc += w;
    }
  });
  const used = DRAWN_STATES.filter((st) => eps.some((e) => e.stateConnections[states.indexOf(st)] > 0));
  legend(
    s,
    used.map((st) => ({ cls: `st st-${st}`, label: st })),
    sel,
  );
}

type SortKey = 'endpoint' | 'connections' | 'withFindings' | 'error' | 'warning' | 'resets' | 'refused' | 'lingering' | 'p50';
const COLUMNS: { key: SortKey; title: string; value: (e: EndpointOverview) => number | string; text?: (e: EndpointOverview) => string }[] = [
  { key: 'endpoint', title: 'Server endpoint', value: (e) => e.endpoint },
  { key: 'connections', title: 'Connections', value: (e) => e.connections },
  { key: 'withFindings', title: 'With findings', value: (e) => e.withFindings },
  { key: 'error', title: 'Errors', value: (e) => e.bySeverity.error },
  { key: 'warning', title: 'Warnings', value: (e) => e.bySeverity.warning },
  { key: 'resets', title: 'Resets', value: (e) => e.resets },
  { key: 'refused', title: 'Refused', value: (e) => e.refused },
  { key: 'lingering', title: 'Lingering', value: (e) => e.lingering },
  { key: 'p50', title: 'Median duration', value: (e) => e.duration.p50, text: (e) => duration(e.duration.p50) },
];

function endpointTable(root: HTMLElement, o: Overview, sort: { key: SortKey; desc: boolean }, sel: string | undefined, resort: (key: SortKey) => void): void {
  const s = section(root, 'table', 'Top server endpoints by findings', 'Click a column to sort, a row to list its connections with findings.');
  const col = COLUMNS.find((c) => c.key === sort.key)!;
  const rows = [...o.endpoints].sort((a, b) => {
    const va = col.value(a);
    const vb = col.value(b);
    const d = typeof va === 'string' ? va.localeCompare(vb as string) : (Number.isNaN(va) ? -Infinity : va) - (Number.isNaN(vb as number) ? -Infinity : (vb as number));
    return (sort.desc ? -d : d) || b.withFindings - a.withFindings || a.endpoint.localeCompare(b.endpoint);
  });
  const table = html('table', 'endpoints', s);
  const head = html('tr', '', html('thead', '', table));
  for (const c of COLUMNS) {
    const th = html('th', c.key === 'endpoint' ? '' : 'num', head);
    const b = html('button', 'sort', th, c.title + (c.key === sort.key ? (sort.desc ? ' ▼' : ' ▲') : ''));
    b.type = 'button';
    b.setAttribute('data-sort', c.key);
    b.setAttribute('aria-sort', c.key === sort.key ? (sort.desc ? 'descending' : 'ascending') : 'none');
    b.addEventListener('click', () => resort(c.key));
  }
  const body = html('tbody', '', table);
  for (const e of rows) {
    const tr = html('tr', '', body);
    const key = e.withFindings > 0 ? markKey.endpointFindings(e.endpoint) : markKey.endpoint(e.endpoint);
    const n = e.withFindings > 0 ? e.withFindings : e.connections;
    const label = e.withFindings > 0 ? `connections to ${e.endpoint} with findings` : `all connections to ${e.endpoint}`;
    tr.setAttribute('data-mark', key);
    tr.setAttribute('data-count', String(n));
    tr.setAttribute('data-label', label);
    tr.setAttribute('tabindex', '0');
    tr.classList.add('mark');
    if (key === sel) tr.classList.add('selected');
    for (const c of COLUMNS) {
      const v = c.value(e);
      html('td', c.key === 'endpoint' ? 'ep' : 'num', tr, c.text ? c.text(e) : typeof v === 'number' ? count(v) : v);
    }
  }
}

function header(root: HTMLElement, o: Overview): void {
  const h = html('header', '', root);
  html('h1', '', h, `Teardown overview: ${o.source.name}`);
  const outcomes = Object.entries(o.outcomes)
    .map(([k, n]) => `${k} ${count(n)}`)
    .join(' · ');
  html(
    'p',
    'summary',
    h,
    `${plural(o.connections, 'connection')} (${plural(o.source.segments, 'TCP segment')}, ${o.source.format}), ${plural(o.findings, 'finding')} on ${count(o.withFindings)}; ${plural(o.endpointCount, 'server endpoint')}. ${outcomes}`,
  );
}

/** Draws the whole overview into `root` (replacing what was there); returns a redraw for a new width or sort. */
export function renderOverview(root: HTMLElement, o: Overview, opts: RenderOptions): { redraw(): void; select(key: string | undefined): void } {
  let sort: { key: SortKey; desc: boolean } = { key: 'withFindings', desc: true };
  let selected = opts.selected;
  const draw = (): void => {
    const width = Math.max(360, Math.floor(root.clientWidth || 900) - 2);
    root.replaceChildren();
    header(root, o);
    timelineChart(root, o, width, selected);
    durationCharts(root, o, width, selected);
    resetCharts(root, o, width, selected);
    endpointChart(root, o, width, selected);
    endpointTable(root, o, sort, selected, (key) => {
      sort = { key, desc: sort.key === key ? !sort.desc : key !== 'endpoint' };
      draw();
      (root.querySelector(`button[data-sort="${key}"]`) as HTMLElement | null)?.focus();
    });
  };
  const activate = (ev: Event): void => {
    const target = (ev.target as Element | null)?.closest('[data-mark]');
    if (!target || !root.contains(target)) return;
    const key = target.getAttribute('data-mark')!;
    for (const e of root.querySelectorAll('.mark.selected')) e.classList.remove('selected');
    for (const e of root.querySelectorAll('[data-mark]')) if (e.getAttribute('data-mark') === key) e.classList.add('selected');
    selected = key;
    opts.onMark(key, target.getAttribute('data-label') ?? key, Number(target.getAttribute('data-count') ?? '0'));
  };
  root.onclick = activate;
  root.onkeydown = (ev: KeyboardEvent) => {
    if ((ev.key === 'Enter' || ev.key === ' ') && (ev.target as Element | null)?.closest('[data-mark]')) {
      ev.preventDefault();
      activate(ev);
    }
  };
  draw();
  return {
    redraw: draw,
    select(key) {
      selected = key;
      for (const e of root.querySelectorAll('[data-mark]')) e.classList.toggle('selected', key !== undefined && e.getAttribute('data-mark') === key);
    },
  };
}
