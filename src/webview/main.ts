/**
 * The diagram webview (issue 6): says Ready, receives a connection, pulls the segments in view,
 * draws the ladder, steps through it and keeps the editor in sync. See src/shared/webviewProtocol.ts
 * for the conversation.
 */
import {
  FromWebview,
  RequestChannel,
  ToWebview,
  assertNever,
  type ConnectionSummary,
  type DiagramPlace,
  type DiagramSettings,
  type ExportFormat,
  type FromWebviewMessage,
  type HostReplyMessage,
  type LoadMessage,
  type StepKind,
  type TimeWaitInfo,
  type ToWebviewMessage,
  type WebviewRequestReplies,
} from '../shared/webviewProtocol';
import { ICONS, html, icon, svg } from './dom';
import { renderExplanation } from './explain';
import { ARROW_KINDS, duration, offsetWords, segmentSentence, stateClass, twoSidedWhere } from './format';
import { Ladder, TAIL_ROWS } from './ladder';
import { SegmentCache } from './segmentCache';
import { EXPORT_MAX_SEGMENTS, serializeLadder } from './svgExport';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

interface SavedState {
  place: DiagramPlace | null;
}

const vscode = acquireVsCodeApi();
const PLAY_INTERVAL_MS = 700;

function post(m: FromWebviewMessage): void {
  vscode.postMessage(m);
}
const channel = new RequestChannel<FromWebviewMessage, WebviewRequestReplies, HostReplyMessage>(post);

// ---------------------------------------------------------------------------------------------
// State

let uri = '';
let connectionId = 0;
let summary: ConnectionSummary | null = null;
let total = 0;
let timeWait: TimeWaitInfo = { client: null, server: null, durationSeconds: 60 };
let settings: DiagramSettings = { relativeSequenceNumbers: true };
let title = '';
let selected = -1;
let findingIndices: number[] = [];
let playTimer: ReturnType<typeof setInterval> | undefined;
let hovered = -1;

// ---------------------------------------------------------------------------------------------
// The page

const app = document.getElementById('app') ?? document.body.appendChild(html('div'));
app.replaceChildren();
app.classList.add('diagram');

const toolbar = html('div', 'toolbar');
toolbar.setAttribute('role', 'toolbar');
toolbar.setAttribute('aria-label', 'Step through the segments');

const picker = html('select', 'picker');
picker.setAttribute('aria-label', 'Connection');
picker.addEventListener('change', () => {
  const v = picker.value;
  if (v.startsWith('page:')) {
    void refreshPicker(Number(v.slice(5)));
    return;
  }
  const id = Number(v);
  if (id > 0 && id !== connectionId) post({ type: FromWebview.PickConnection, uri, connection: id });
});

function toolButton(kind: StepKind, label: string, keys: string, d: string): HTMLButtonElement {
  const b = html('button', `tool step-${kind}`);
  b.type = 'button';
  b.title = `${label} (${keys})`;
  b.setAttribute('aria-label', label);
  b.setAttribute('aria-keyshortcuts', keys);
  b.appendChild(icon(d));
  b.addEventListener('click', () => step(kind));
  return b;
}
const playButton = toolButton('play', 'Play', 'Space', ICONS.play);
playButton.setAttribute('aria-pressed', 'false');
const steps = html('div', 'steps');
steps.append(
  toolButton('first', 'First segment', 'Home', ICONS.first),
  toolButton('previousFinding', 'Previous finding', 'Shift+N', ICONS.previousFinding),
  toolButton('previous', 'Previous segment', 'ArrowUp', ICONS.previous),
  playButton,
  toolButton('next', 'Next segment', 'ArrowDown', ICONS.next),
  toolButton('nextFinding', 'Next finding', 'N', ICONS.nextFinding),
  toolButton('last', 'Last segment', 'End', ICONS.last),
);

const exportGroup = html('div', 'exports');
exportGroup.setAttribute('role', 'group');
exportGroup.setAttribute('aria-label', 'Export');
for (const [fmt, text, label] of [
  ['svg', 'SVG', 'Export the diagram as SVG'],
  ['mermaid', 'Mermaid', 'Export as a Mermaid sequence diagram'],
  ['state-table', 'Table', 'Export the per-step state table as Markdown'],
] as [ExportFormat, string, string][]) {
  const b = html('button', `export export-${fmt}`, text);
  b.type = 'button';
  b.title = label;
  b.setAttribute('aria-label', label);
  b.addEventListener('click', () => void exportAs(fmt));
  exportGroup.appendChild(b);
}
toolbar.append(picker, steps, exportGroup);

const header = html('div', 'summary');
const headTitle = html('div', 'conn-title');
const headVerdict = html('div', 'conn-verdict');
header.append(headTitle, headVerdict);

const legend = html('div', 'legend');
legend.setAttribute('aria-hidden', 'true');
for (const k of ARROW_KINDS) {
  const item = html('span', `legend-item kind-${k.kind}`);
  const sw = svg('svg', { width: 18, height: 8, viewBox: '0 0 18 8' }, 'swatch');
  sw.appendChild(svg('line', { x1: 0, y1: 4, x2: 18, y2: 4 }, 'arrow'));
  item.append(sw, document.createTextNode(k.label));
  legend.appendChild(item);
}

const headTwo = html('div', 'two-sided-head');
headTwo.hidden = true;
header.appendChild(headTwo);

const lifeheads = html('div', 'lifeheads');
const headClient = html('div', 'lifehead client');
const headServer = html('div', 'lifehead server');
const headTime = html('div', 'lifehead time', 't (s)');
lifeheads.append(headTime, headClient, headServer);

const scroller = html('div', 'scroller');
scroller.tabIndex = 0;
scroller.setAttribute('role', 'listbox');
scroller.setAttribute('aria-label', 'Segments');
const spacer = html('div', 'spacer');
scroller.appendChild(spacer);

const explain = html('section', 'explain');
explain.setAttribute('aria-live', 'polite');
explain.setAttribute('aria-atomic', 'true');
explain.setAttribute('aria-label', 'What this step changed');

const empty = html('div', 'empty');
empty.setAttribute('role', 'status');
const tooltip = html('div', 'tooltip');
tooltip.setAttribute('role', 'tooltip');
tooltip.hidden = true;
const stage = html('div', 'export-stage');
stage.setAttribute('aria-hidden', 'true');

app.append(toolbar, header, legend, lifeheads, scroller, explain, empty, tooltip, stage);

const cache = new SegmentCache(
  (start, count) => channel.request(FromWebview.GetSegments, { uri, connection: connectionId, start, count }),
  () => {
    ladder.invalidate();
    refreshSelectionView();
  },
);

const ladder = new Ladder(scroller, spacer, cache, {
  onActivate: (i) => select(i, { post: true, scroll: 'nearest' }),
  onShowProblem: (i) => showProblem(i),
  onHover: (i, x, y) => hover(i, x, y),
});

// ---------------------------------------------------------------------------------------------
// Loading

function showEmpty(reason: string): void {
  summary = null;
  total = 0;
  stopPlay();
  cache.reset(0);
  ladder.setConnection(null, 0, timeWait);
  app.classList.add('is-empty');
  empty.textContent = reason;
  explain.replaceChildren();
  headTitle.textContent = '';
  headVerdict.textContent = '';
}

function load(m: LoadMessage): void {
  stopPlay();
  uri = m.uri;
  connectionId = m.connection.id;
  summary = m.connection;
  total = m.total;
  timeWait = m.timeWait;
  settings = m.settings;
  title = m.title;
  findingIndices = [...new Set(m.connection.findings.map((f) => f.index).filter((i) => i >= 0))].sort((a, b) => a - b);
  app.classList.remove('is-empty');
  empty.textContent = '';
  cache.reset(m.total);
  selected = m.index >= 0 && m.index < total ? m.index : -1;
  ladder.opts = { ...ladder.opts, selected, hovered: -1, relative: settings.relativeSequenceNumbers };
  ladder.setConnection(summary, total, timeWait);
  renderHeader();
  const top = m.topIndex >= 0 ? m.topIndex : selected >= 0 ? selected : 0;
  ladder.scrollToIndex(top, m.topIndex >= 0 ? 'top' : selected >= 0 ? 'center' : 'top');
  ladder.flush();
  refreshSelectionView();
  saveState();
  void refreshPicker();
}

const OUTCOME: Record<ConnectionSummary['outcome'], string> = {
  graceful: 'closed gracefully',
  simultaneous: 'closed simultaneously',
  reset: 'reset',
  refused: 'refused',
  'half-closed': 'half-closed',
  'half-open': 'handshake never completed',
  open: 'still open at the end of the capture',
};

/**
 * Two captures merged (issue 15): each lifeline is a capture point, named by its file, and the
 * header says the clock offset and how the arrows are drawn.
 */
function renderTwoSided(c: ConnectionSummary): void {
  const two = c.two;
  headTwo.replaceChildren();
  headTwo.hidden = !two;
  document.body.classList.toggle('two-sided', two !== undefined);
  if (!two) return;
  for (const [el, side] of [
    [headClient, 'client'],
    [headServer, 'server'],
  ] as const) {
    const k = two.names[0] === side ? 0 : 1;
    el.appendChild(html('span', 'capture', `${side} capture: ${two.files[k]}`));
  }
  const counts = `${two.counts.both} seen at both points, ${two.counts.lost} lost between them, ${two.counts.outside} outside the other capture`;
  headTwo.appendChild(html('div', 'two-line', `Two captures · clock offset ${two.names[1]} − ${two.names[0]}: ${offsetWords(two.offset, two.bounds)} · ${counts}`));
  headTwo.appendChild(
    html('div', 'two-line muted', 'Each arrow leaves at its sender’s capture time and lands at its receiver’s (offset-corrected); ✕ lost between the capture points; dotted: seen at one point only.'),
  );
}

function renderHeader(): void {
  const c = summary;
  if (!c) return;
  headTitle.textContent = `#${c.id}  ${c.client.addr}:${c.client.port} → ${c.server.addr}:${c.server.port}`;
  const parts = [OUTCOME[c.outcome]];
  if (c.closeInitiator === 'client' || c.closeInitiator === 'server') parts.push(`${c.closeInitiator} closed first`);
  if (c.closeInitiator === 'simultaneous') parts.push('both closed at once');
  parts.push(`${c.segments} segment${c.segments === 1 ? '' : 's'}`);
  parts.push(`${c.findings.length} finding${c.findings.length === 1 ? '' : 's'}`);
  if (c.endTime > c.startTime) parts.push(duration(c.endTime - c.startTime));
  headVerdict.textContent = parts.join(' · ');
  scroller.setAttribute('aria-label', `Segments of connection ${c.id}, ${c.client.addr} port ${c.client.port} to ${c.server.addr} port ${c.server.port}`);
  for (const [el, side] of [
    [headClient, 'client'],
    [headServer, 'server'],
  ] as const) {
    el.replaceChildren();
    const ep = c[side];
    const role = html('span', 'role', side === 'client' ? 'client' : 'server');
    el.appendChild(role);
    if (c.closeInitiator === side) el.appendChild(html('span', 'closed-first', 'closed first'));
    el.appendChild(html('span', 'addr', `${ep.addr}:${ep.port}`));
    el.appendChild(html('span', 'now-state'));
  }
  if (c.rolesInferred) headClient.appendChild(html('span', 'inferred', 'roles inferred'));
  renderTwoSided(c);
  positionHeads();
}

/** Lifeline heads sit over their lifelines; they show each side's state at the top of the view. */
function positionHeads(): void {
  const L = ladder.layout;
  headTime.style.width = `${L.c0}px`;
  headTime.hidden = !L.showTime;
  headClient.style.left = `${L.c0}px`;
  headClient.style.width = `${Math.max(L.c1 - L.c0, (L.s1 - L.c0) / 2 - 4)}px`;
  headServer.style.right = `${Math.max(0, L.width - L.s1)}px`;
  headServer.style.width = `${Math.max(L.s1 - L.s0, (L.s1 - L.c0) / 2 - 4)}px`;
  const top = cache.get(ladder.visibleRange().first);
  for (const [el, side] of [
    [headClient, 'client'],
    [headServer, 'server'],
  ] as const) {
    const now = el.querySelector('.now-state');
    if (!now) continue;
    const st = top ? (side === 'client' ? top.clientBefore : top.serverBefore) : '';
    now.textContent = st;
    now.className = `now-state ${st ? stateClass(st) : ''}`;
  }
}
scroller.addEventListener('scroll', () => {
  positionHeads();
  scheduleSave();
});
new ResizeObserver(() => requestAnimationFrame(positionHeads)).observe(scroller);

/** Connections the picker lists at a time: a capture may have 100,000 of them. */
const PICKER_PAGE = 200;
let pickerRequest = 0;
/** The side bar's filter the last page was restricted by (its name), and that page's offset. */
let pickerFilter: string | undefined;
let pickerOffset = 0;

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * The picker: a page of the trace's connections (by default the page holding the shown one, ids
 * being positions in id order), with entries leading to the previous and next pages. When the side
 * bar is filtered (an overview mark clicked, a display filter) it lists only the connections the
 * filter selects, named in a first entry; by default it then stays on the page it was on.
 */
async function refreshPicker(offset = pickerFilter !== undefined ? pickerOffset : Math.floor(Math.max(0, connectionId - 1) / PICKER_PAGE) * PICKER_PAGE): Promise<void> {
  const req = ++pickerRequest;
  try {
    const page = await channel.request(FromWebview.GetConnections, { uri, offset, limit: PICKER_PAGE });
    if (req !== pickerRequest) return;
    const { connections, total } = page;
    const first = page.offset;
    const end = first + connections.length;
    pickerFilter = page.filter;
    pickerOffset = first;
    picker.replaceChildren();
    const option = (value: string, text: string): HTMLOptionElement => {
      const o = html('option', undefined, text);
      o.value = value;
      picker.appendChild(o);
      return o;
    };
    const named = page.filter !== undefined ? `${page.filter}: ` : '';
    if (!connections.some((c) => c.id === connectionId)) {
      const here = option('', `${named}${named === '' ? 'C' : 'c'}onnections ${count(first + 1)}–${count(end)} of ${count(total)}`);
      here.selected = true;
    } else if (named !== '') {
      // What the list is: the shown connection stays selected below it.
      option('', `${named}${count(total)} connection${total === 1 ? '' : 's'}`).disabled = true;
    }
    if (first > 0) {
      const prev = Math.max(0, first - PICKER_PAGE);
      option(`page:${prev}`, `‹ Connections ${count(prev + 1)}–${count(first)}`);
    }
    for (const c of connections) {
      const o = option(String(c.id), `${c.label}${c.findings > 0 ? ` (${c.findings} finding${c.findings === 1 ? '' : 's'})` : ''}`);
      if (c.id === connectionId) o.selected = true;
    }
    if (end < total) option(`page:${end}`, `Connections ${count(end + 1)}–${count(Math.min(total, end + PICKER_PAGE))} of ${count(total)} ›`);
    picker.hidden = total <= 1 && page.filter === undefined;
  } catch {
    if (req === pickerRequest) picker.hidden = true;
  }
}

// ---------------------------------------------------------------------------------------------
// Selection and stepping

interface SelectOptions {
  /** Tell the host (editor cursor follows). False when the host asked. */
  post: boolean;
  scroll: 'nearest' | 'center';
}

function select(index: number, o: SelectOptions): void {
  if (!summary || total === 0) return;
  const i = Math.max(0, Math.min(total - 1, index));
  selected = i;
  ladder.opts = { ...ladder.opts, selected: i };
  ladder.scrollToIndex(i, o.scroll);
  ladder.invalidate();
  ladder.flush();
  refreshSelectionView();
  saveState();
  if (o.post) {
    const at = uri;
    const conn = connectionId;
    void cache.ensure(i, i + 1).then(() => {
      const s = cache.get(i);
      if (s && at === uri && conn === connectionId && selected === i) post({ type: FromWebview.Selected, uri, connection: conn, index: i, line: s.line });
    });
  }
}

let explained = -2;
let explainedLoaded = false;
/** Set when the explanation must be redrawn for the same step (settings changed). */
let hasStale = false;
/** Updates what depends on the selected segment being loaded: the explanation, aria-activedescendant. */
function refreshSelectionView(): void {
  const s = selected >= 0 ? cache.get(selected) : undefined;
  if (explained !== selected || explainedLoaded !== (s !== undefined) || (s && hasStale)) {
    explained = selected;
    explainedLoaded = s !== undefined;
    hasStale = false;
    renderExplanation(explain, s, selected, {
      total,
      relative: settings.relativeSequenceNumbers,
      span: summary ? summary.endTime - summary.startTime : 0,
      ...(summary?.two ? { captures: summary.two.names } : {}),
      segment: (k) => cache.get(k),
      onShowProblem: showProblem,
      onGoTo: (k) => select(k, { post: true, scroll: 'center' }),
    });
  }
  const el = selected >= 0 ? document.getElementById(`seg-${selected}`) : null;
  if (el) scroller.setAttribute('aria-activedescendant', el.id);
  else scroller.removeAttribute('aria-activedescendant');
  positionHeads();
}

function step(kind: StepKind): void {
  if (!summary || total === 0) return;
  if (kind !== 'play') stopPlay();
  const cur = selected >= 0 ? selected : -1;
  switch (kind) {
    case 'next':
      select(cur < 0 ? ladder.visibleRange().first : cur + 1, { post: true, scroll: 'nearest' });
      break;
    case 'previous':
      select(cur < 0 ? ladder.visibleRange().first : cur - 1, { post: true, scroll: 'nearest' });
      break;
    case 'first':
      select(0, { post: true, scroll: 'nearest' });
      break;
    case 'last':
      select(total - 1, { post: true, scroll: 'nearest' });
      break;
    case 'nextFinding': {
      const next = findingIndices.find((k) => k > cur);
      if (next !== undefined) select(next, { post: true, scroll: 'center' });
      else announce('No later finding in this connection.');
      break;
    }
    case 'previousFinding': {
      let prev: number | undefined;
      for (const k of findingIndices) if (k < cur || cur < 0) prev = k;
      if (prev !== undefined) select(prev, { post: true, scroll: 'center' });
      else announce('No earlier finding in this connection.');
      break;
    }
    case 'play':
      togglePlay();
      break;
    default:
      assertNever(kind, 'step');
  }
}

function announce(text: string): void {
  let n = explain.querySelector('.notice');
  if (!n) {
    n = html('p', 'notice');
    explain.prepend(n);
  }
  n.textContent = text;
}

function togglePlay(): void {
  if (playTimer !== undefined) {
    stopPlay();
    return;
  }
  if (selected >= total - 1 || selected < 0) select(0, { post: true, scroll: 'nearest' });
  playTimer = setInterval(() => {
    if (selected >= total - 1) {
      stopPlay();
      return;
    }
    select(selected + 1, { post: true, scroll: 'nearest' });
  }, PLAY_INTERVAL_MS);
  playButton.setAttribute('aria-pressed', 'true');
  playButton.setAttribute('aria-label', 'Pause');
  playButton.title = 'Pause (Space)';
  playButton.replaceChildren(icon(ICONS.pause));
}

function stopPlay(): void {
  if (playTimer === undefined) return;
  clearInterval(playTimer);
  playTimer = undefined;
  playButton.setAttribute('aria-pressed', 'false');
  playButton.setAttribute('aria-label', 'Play');
  playButton.title = 'Play (Space)';
  playButton.replaceChildren(icon(ICONS.play));
}

function showProblem(index: number): void {
  const s = cache.get(index);
  post({ type: FromWebview.ShowProblem, uri, connection: connectionId, index, line: s ? s.line : -1 });
}

document.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement | null;
  if (t && (t.tagName === 'SELECT' || t.tagName === 'INPUT' || t.tagName === 'TEXTAREA')) return;
  const onButton = t?.tagName === 'BUTTON';
  if (e.altKey || e.ctrlKey || e.metaKey) return;
  let kind: StepKind | null = null;
  switch (e.key) {
    case 'ArrowDown':
    case 'j':
      kind = 'next';
      break;
    case 'ArrowUp':
    case 'k':
      kind = 'previous';
      break;
    case 'Home':
      kind = 'first';
      break;
    case 'End':
      kind = 'last';
      break;
    case 'n':
    case 'F8':
      kind = e.shiftKey ? 'previousFinding' : 'nextFinding';
      break;
    case 'N':
      kind = 'previousFinding';
      break;
    case ' ':
    case 'p':
      if (onButton && e.key === ' ') return;
      kind = 'play';
      break;
    case 'PageDown':
    case 'PageUp': {
      const rows = Math.max(1, Math.floor(scroller.clientHeight / ladder.rowHeight) - 1);
      const cur = selected >= 0 ? selected : ladder.visibleRange().first;
      stopPlay();
      select(cur + (e.key === 'PageDown' ? rows : -rows), { post: true, scroll: 'nearest' });
      e.preventDefault();
      return;
    }
    case 'Enter':
      if (onButton || selected < 0) return;
      select(selected, { post: true, scroll: 'nearest' });
      e.preventDefault();
      return;
    case 'Escape':
      stopPlay();
      hover(-1, 0, 0);
      return;
    default:
      return;
  }
  e.preventDefault();
  step(kind);
  if (document.activeElement === document.body) scroller.focus();
});

// ---------------------------------------------------------------------------------------------
// Hover: tooltip and acknowledgment links

function hover(index: number, x: number, y: number): void {
  if (index !== hovered) {
    hovered = index;
    ladder.opts = { ...ladder.opts, hovered: index };
    ladder.invalidate();
  }
  const s = index >= 0 ? cache.get(index) : undefined;
  if (!s) {
    tooltip.hidden = true;
    return;
  }
  tooltip.replaceChildren();
  // Two captures merged: the frames are each capture's (the tt-two line), not the merged step.
  const frame = s.frame > 0 && !s.two ? ` · frame ${s.frame}` : '';
  tooltip.appendChild(html('div', 'tt-title', `Step ${s.index + 1}${frame}${s.time ? ` · ${s.time}` : ''}`));
  tooltip.appendChild(html('div', 'tt-line', segmentSentence(s, settings.relativeSequenceNumbers)));
  if (s.two && summary?.two) tooltip.appendChild(html('div', 'tt-line tt-two', twoSidedWhere(s, summary.two.names)));
  tooltip.appendChild(html('div', 'tt-line', `client ${s.clientBefore}${s.clientAfter !== s.clientBefore ? ` → ${s.clientAfter}` : ''}; server ${s.serverBefore}${s.serverAfter !== s.serverBefore ? ` → ${s.serverAfter}` : ''}`));
  if (s.acks >= 0) tooltip.appendChild(html('div', 'tt-line', `acknowledges step ${s.acks + 1}`));
  if (s.ackedBy >= 0) tooltip.appendChild(html('div', 'tt-line', `acknowledged by step ${s.ackedBy + 1}`));
  for (const f of s.findings) tooltip.appendChild(html('div', `tt-finding sev-${f.severity}`, `${f.code}: ${f.message}`));
  tooltip.hidden = false;
  const w = tooltip.offsetWidth;
  const h = tooltip.offsetHeight;
  tooltip.style.left = `${Math.max(4, Math.min(window.innerWidth - w - 4, x + 12))}px`;
  // Above the pointer when there is room: what a segment is acknowledged by comes later (below).
  tooltip.style.top = `${y - h - 14 >= 4 ? y - h - 14 : Math.min(window.innerHeight - h - 4, y + 18)}px`;
}

// ---------------------------------------------------------------------------------------------
// State across hide/show (no retainContextWhenHidden)

function place(): DiagramPlace | null {
  if (!summary) return null;
  return { uri, connection: connectionId, index: selected, topIndex: ladder.visibleRange().first };
}
function saveState(): void {
  const s: SavedState = { place: place() };
  vscode.setState(s);
}
let saveTimer: ReturnType<typeof setTimeout> | undefined;
function scheduleSave(): void {
  if (saveTimer !== undefined) return;
  saveTimer = setTimeout(() => {
    saveTimer = undefined;
    saveState();
  }, 200);
}

// ---------------------------------------------------------------------------------------------
// Export

async function drawnSvg(): Promise<string | null> {
  if (!summary) return null;
  const n = Math.min(total, EXPORT_MAX_SEGMENTS);
  await cache.ensure(0, n);
  const out = svg('svg', {}, 'ladder export');
  const to = n === total ? n + TAIL_ROWS : n;
  ladder.draw(out, 0, to, { relative: settings.relativeSequenceNumbers, selected: -1, hovered: -1, interactive: false });
  const c = summary;
  const L = ladder.layout;
  try {
    return serializeLadder(
      stage,
      out,
      {
        title: `${title} · connection #${c.id}`,
        note: `${headVerdict.textContent ?? ''}${n < total ? ` · the first ${n} segments` : ''}`,
        client: `client ${c.client.addr}:${c.client.port}${c.closeInitiator === 'client' ? ' (closed first)' : ''}`,
        server: `server ${c.server.addr}:${c.server.port}${c.closeInitiator === 'server' ? ' (closed first)' : ''}`,
      },
      L.c0,
      L.s1,
    );
  } finally {
    stage.replaceChildren();
    ladder.invalidate();
  }
}

async function exportAs(format: ExportFormat): Promise<void> {
  if (!summary) return;
  if (format === 'svg') {
    const doc = await drawnSvg();
    if (doc !== null) post({ type: FromWebview.Export, format, uri, connection: connectionId, svg: doc });
  } else post({ type: FromWebview.Export, format, uri, connection: connectionId });
}

// ---------------------------------------------------------------------------------------------
// Messages from the host

window.addEventListener('message', (e: MessageEvent) => {
  const m = e.data as ToWebviewMessage;
  if (!m || typeof m !== 'object' || typeof m.type !== 'string') return;
  switch (m.type) {
    case ToWebview.Load:
      load(m);
      break;
    case ToWebview.Empty:
      showEmpty(m.reason);
      break;
    case ToWebview.Select:
      if (m.uri === uri && m.connection === connectionId && m.index !== selected) select(m.index, { post: false, scroll: 'center' });
      break;
    case ToWebview.Step:
      step(m.kind);
      break;
    case ToWebview.Settings:
      settings = m.settings;
      ladder.opts = { ...ladder.opts, relative: settings.relativeSequenceNumbers };
      hasStale = true;
      ladder.invalidate();
      refreshSelectionView();
      break;
    case ToWebview.Picker:
      pickerOffset = 0;
      if (summary) void refreshPicker(0);
      break;
    case ToWebview.GetSvg:
      drawnSvg().then(
        (doc) => post({ type: FromWebview.Reply, messageId: m.messageId, body: { svg: doc } }),
        (err: unknown) => post({ type: FromWebview.Reply, messageId: m.messageId, body: null, error: String(err) }),
      );
      break;
    case ToWebview.Reply:
      channel.handleReply(m);
      break;
    default:
      assertNever(m);
  }
});

// Theme changes: colours come from CSS variables, but label widths depend on the font.
new MutationObserver(() => ladder.invalidate()).observe(document.body, { attributes: true, attributeFilter: ['class'] });

// A hook for the browser tests (read-only numbers; no capture text).
(window as unknown as { __ladderDebug: unknown }).__ladderDebug = {
  drawn: () => ladder.drawnRange,
  held: () => cache.held,
  requests: () => cache.requests,
  selected: () => selected,
  flush: () => ladder.flush(),
};

showEmpty('Loading…');
renderExplanation(explain, undefined, -1, { total: 0, relative: true, span: 0, segment: () => undefined, onShowProblem: () => undefined, onGoTo: () => undefined });
const saved = vscode.getState() as SavedState | undefined;
post({ type: FromWebview.Ready, place: saved?.place ?? null });
