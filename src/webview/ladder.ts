/**
 * The ladder: two lifelines, one arrow per segment, each side's state as a band between arrows,
 * time running down. Virtualized: rows have a fixed height, a spacer gives the scroller its full
 * height, and only the rows in view ± a margin are drawn (and pulled from the host).
 */
import type { ConnectionSummary, LadderSegment, TimeWaitInfo } from '../shared/webviewProtocol';
import { svg, svgText } from './dom';
import { IDLE_BREAK_SECONDS, arrowKind, arrowLabel, axisTime, duration, segmentSentence, stateClass } from './format';
import type { SegmentCache } from './segmentCache';

/** Height of one segment row (px). Fixed: it is what makes the scroll virtual. */
export const ROW_HEIGHT = 40;
/** Where the arrow runs inside its row, and where states change. */
const ARROW_Y = 27;
/** Rows drawn above and below the visible ones. */
export const MARGIN_ROWS = 24;
/** Rows after the last segment: the end of the capture, final states, TIME-WAIT timers. */
export const TAIL_ROWS = 2;

export interface Layout {
  width: number;
  timeX: number;
  /** Client state column [c0, c1], server state column [s0, s1]; lifelines at c1 and s0. */
  c0: number;
  c1: number;
  s0: number;
  s1: number;
  compact: boolean;
  showTime: boolean;
}

export function computeLayout(width: number, showTime: boolean): Layout {
  const w = Math.max(240, width);
  const timeW = showTime ? (w < 360 ? 58 : 70) : 4;
  const band = Math.round(Math.min(120, Math.max(76, w * 0.2)));
  const c0 = timeW;
  const c1 = c0 + band;
  const s1 = w - 6;
  const s0 = s1 - band;
  return { width: w, timeX: timeW - 6, c0, c1, s0, s1, compact: s0 - c1 < 230, showTime };
}

export interface LadderHooks {
  /** The user clicked a row. */
  onActivate(index: number): void;
  /** The user clicked a finding marker. */
  onShowProblem(index: number): void;
  /** The pointer is over a row (-1: none): the tooltip. */
  onHover(index: number, x: number, y: number): void;
}

export interface DrawOptions {
  relative: boolean;
  selected: number;
  hovered: number;
  interactive: boolean;
}

/** Text measurer for labels (a canvas context: no layout). */
let measureCtx: CanvasRenderingContext2D | null = null;
function textWidth(s: string, font: string): number {
  measureCtx ??= document.createElement('canvas').getContext('2d');
  if (!measureCtx) return s.length * 6.5;
  measureCtx.font = font;
  return measureCtx.measureText(s).width;
}

export class Ladder {
  readonly svgEl: SVGSVGElement;
  private summary: ConnectionSummary | null = null;
  private timeWait: TimeWaitInfo = { client: null, server: null, durationSeconds: 60 };
  private total = 0;
  private drawnFrom = -1;
  private drawnTo = -1;
  private dirty = true;
  private frame = 0;
  layout: Layout = computeLayout(400, true);
  opts: DrawOptions = { relative: true, selected: -1, hovered: -1, interactive: true };
  /** Row height in px. */
  readonly rowHeight = ROW_HEIGHT;
  labelFont = '11px monospace';
  breakFont = '10px monospace';

  constructor(
    private readonly scroller: HTMLElement,
    private readonly spacer: HTMLElement,
    private readonly cache: SegmentCache,
    private readonly hooks: LadderHooks,
  ) {
    this.svgEl = svg('svg', { class: 'ladder', 'aria-hidden': 'false', role: 'presentation' });
    spacer.appendChild(this.svgEl);
    scroller.addEventListener('scroll', () => this.schedule(), { passive: true });
    // On press, not on click: a redraw between press and release (a hover, segments arriving)
    // replaces the row's elements, and the browser then sends the click to no row at all.
    this.svgEl.addEventListener('pointerdown', (e) => {
      if (e.button === 0) this.click(e);
    });
    this.svgEl.addEventListener('pointermove', (e) => this.pointer(e));
    this.svgEl.addEventListener('pointerleave', () => this.hooks.onHover(-1, 0, 0));
    new ResizeObserver(() => {
      this.dirty = true;
      this.schedule();
    }).observe(scroller);
  }

  setConnection(summary: ConnectionSummary | null, total: number, timeWait: TimeWaitInfo): void {
    this.summary = summary;
    this.total = total;
    this.timeWait = timeWait;
    this.spacer.style.height = `${(total + (summary ? TAIL_ROWS : 0)) * this.rowHeight}px`;
    this.invalidate();
  }

  invalidate(): void {
    this.dirty = true;
    this.schedule();
  }

  schedule(): void {
    if (this.frame !== 0) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.update();
    });
  }

  /** Draws now (tests and export call it; the scroll path goes through schedule()). */
  flush(): void {
    if (this.frame !== 0) {
      cancelAnimationFrame(this.frame);
      this.frame = 0;
    }
    this.update();
  }

  /** The first and last rows in view. */
  visibleRange(): { first: number; last: number } {
    const h = this.rowHeight;
    const first = Math.floor(this.scroller.scrollTop / h);
    const last = Math.ceil((this.scroller.scrollTop + this.scroller.clientHeight) / h) - 1;
    return { first: Math.max(0, first), last: Math.min(this.total - 1, last) };
  }

  scrollToIndex(index: number, mode: 'center' | 'nearest' | 'top'): void {
    const h = this.rowHeight;
    const top = index * h;
    const view = this.scroller.clientHeight;
    const cur = this.scroller.scrollTop;
    if (mode === 'top') this.scroller.scrollTop = top;
    else if (mode === 'center') this.scroller.scrollTop = Math.max(0, top - (view - h) / 2);
    else if (top < cur + h) this.scroller.scrollTop = Math.max(0, top - h);
    else if (top + 2 * h > cur + view) this.scroller.scrollTop = top + 2 * h - view;
    this.schedule();
  }

  private update(): void {
    const width = this.scroller.clientWidth;
    const layout = computeLayout(width, this.hasTime());
    if (layout.width !== this.layout.width || layout.showTime !== this.layout.showTime) this.dirty = true;
    this.layout = layout;
    const h = this.rowHeight;
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / h) - MARGIN_ROWS);
    const visible = Math.ceil(this.scroller.clientHeight / h) + 1;
    const last = Math.min(this.total + (this.summary ? TAIL_ROWS : 0), first + visible + 2 * MARGIN_ROWS);
    // Pull what is in view (the cache fetches only missing pages, and redraws when they arrive).
    void this.cache.ensure(first, Math.min(this.total, last));
    if (!this.dirty && first === this.drawnFrom && last === this.drawnTo) return;
    if (this.dirty) {
      // Label widths are measured in the editor font the CSS uses (it changes with the settings).
      const family = getComputedStyle(document.documentElement).getPropertyValue('--vscode-editor-font-family').trim() || 'monospace';
      this.labelFont = `11px ${family}`;
      this.breakFont = `10px ${family}`;
    }
    this.dirty = false;
    this.drawnFrom = first;
    this.drawnTo = last;
    this.draw(this.svgEl, first, last, this.opts);
    this.svgEl.style.top = `${first * h}px`;
  }

  private hasTime(): boolean {
    const s = this.cache.get(0) ?? this.cache.get(this.visibleRange().first);
    return s === undefined || s.time !== '';
  }

  /**
   * Draws rows [from, to) into `target` (the live ladder, or an export copy). Coordinates are local
   * to the window: row `from` starts at y = 0.
   */
  draw(target: SVGSVGElement, from: number, to: number, opts: DrawOptions): void {
    const L = this.layout;
    const h = this.rowHeight;
    const height = Math.max(0, to - from) * h;
    target.setAttribute('width', String(L.width));
    target.setAttribute('height', String(height));
    target.setAttribute('viewBox', `0 0 ${L.width} ${height}`);
    while (target.firstChild) target.removeChild(target.firstChild);
    // Layers, bottom up: row backgrounds (hover, selection; they take the clicks), the state bands
    // (see-through to clicks), lifelines, idle breaks, arrows and labels, acknowledgment links.
    const hits = svg('g', {}, 'hits');
    const bands = svg('g', {}, 'bands');
    const axis = svg('g', {}, 'axis');
    const rows = svg('g', {}, 'rows');
    const links = svg('g', {}, 'links');
    const breaks = svg('g', {}, 'breaks');
    target.append(hits, bands, axis, breaks, rows, links);
    if (!this.summary) return;

    // Lifelines.
    axis.appendChild(svg('line', { x1: L.c1, y1: 0, x2: L.c1, y2: height }, 'lifeline'));
    axis.appendChild(svg('line', { x1: L.s0, y1: 0, x2: L.s0, y2: height }, 'lifeline'));

    this.drawBands(bands, from, to);
    const span = this.summary.endTime - this.summary.startTime;
    const segEnd = Math.min(to, this.total);
    for (let i = from; i < segEnd; i++) {
      const y0 = (i - from) * h;
      const s = this.cache.get(i);
      if (!s) {
        const g = svg('g', { 'data-index': i }, 'row loading');
        g.appendChild(svg('line', { x1: L.c1, y1: y0 + ARROW_Y, x2: L.s0, y2: y0 + ARROW_Y }, 'placeholder'));
        rows.appendChild(g);
        continue;
      }
      const prev = i > 0 ? this.cache.get(i - 1) : undefined;
      if (prev && s.t - prev.t >= IDLE_BREAK_SECONDS) this.drawBreak(breaks, y0, s.t - prev.t);
      rows.appendChild(this.drawRow(s, y0, span, opts, hits));
    }
    if (to > this.total) this.drawTail(rows, (this.total - from) * h);
    if (opts.hovered >= 0) this.drawAckLinks(links, from, to, opts.hovered);
  }

  private drawRow(s: LadderSegment, y0: number, span: number, opts: DrawOptions, hits: SVGGElement): SVGGElement {
    const L = this.layout;
    const kind = arrowKind(s);
    const sev = worstSeverity(s);
    let cls = `row seg kind-${kind}`;
    if (s.index === opts.selected) cls += ' sel';
    if (s.index === opts.hovered) cls += ' hover';
    let hitCls = 'hit';
    if (s.index === opts.selected) hitCls += ' sel';
    if (s.index === opts.hovered) hitCls += ' hover';
    if (opts.hovered >= 0 && s.index !== opts.hovered) {
      const hs = this.cache.get(opts.hovered);
      if (hs && (hs.acks === s.index || hs.ackedBy === s.index)) {
        cls += ' linked';
        hitCls += ' linked';
      }
    }
    if (sev) cls += ` has-finding sev-${sev}`;
    const g = svg('g', { 'data-index': s.index }, cls);
    if (opts.interactive) {
      g.setAttribute('id', `seg-${s.index}`);
      g.setAttribute('role', 'option');
      g.setAttribute('aria-selected', s.index === opts.selected ? 'true' : 'false');
      g.setAttribute('aria-label', rowAria(s, opts.relative));
    }
    hits.appendChild(svg('rect', { x: 0, y: y0, width: L.width, height: this.rowHeight, 'data-index': s.index }, hitCls));
    if (L.showTime) {
      g.appendChild(svgText(L.timeX, y0 + ARROW_Y + 4, axisTime(s.t, span), 'time', 'end'));
      g.appendChild(svg('line', { x1: L.timeX + 2, y1: y0 + ARROW_Y, x2: L.c0, y2: y0 + ARROW_Y }, 'tick'));
    }
    const toServer = s.dir === 'c2s';
    const xFrom = toServer ? L.c1 : L.s0;
    const d = toServer ? 1 : -1;
    const y = y0 + ARROW_Y;
    const head = 8;
    if (s.two) {
      // Two captures merged: a real arrow in flight (see drawTwoSided); the one-capture shapes below stay as they were.
      this.drawTwoSided(g, s, xFrom, toServer ? L.s0 : L.c1, y);
    } else if (s.arrival < 0) {
      // Never received (as far as the capture shows): the arrow stops short of the receiver, crossed out.
      g.classList.add('lost');
      const xEnd = xFrom + d * (L.s0 - L.c1) * 0.7;
      lostArrow(g, xFrom, y, xEnd, y);
    } else {
      // In flight until a later segment (crossing FINs): the arrow lands on that segment's row.
      const xTo = toServer ? L.s0 : L.c1;
      const yTo = y + Math.max(0, s.arrival - s.index) * this.rowHeight;
      if (yTo > y) g.classList.add('in-flight');
      headedArrow(g, xFrom, y, xTo, yTo, head);
    }
    g.appendChild(svg('circle', { cx: xFrom, cy: y, r: 2.5 }, 'tail'));
    const mid = (L.c1 + L.s0) / 2;
    const room = L.s0 - L.c1 - 12;
    let label = arrowLabel(s, opts.relative, L.compact);
    if (textWidth(label, this.labelFont) > room) label = arrowLabel(s, opts.relative, true);
    g.appendChild(svgText(mid, y - 7, label, 'label', 'middle'));
    if (sev) {
      const fx = toServer ? L.s0 - 30 : L.c1 + 30;
      const m = svg('g', { 'data-finding': s.index, transform: `translate(${fx} ${y})` }, `finding sev-${sev}`);
      if (opts.interactive) {
        m.setAttribute('role', 'button');
        m.setAttribute('aria-label', `Finding: ${s.findings.map((f) => f.message).join(' ')} Show in Problems.`);
      }
      m.appendChild(svg('circle', { cx: 0, cy: 0, r: 7.5 }, 'finding-bg'));
      m.appendChild(svg('path', { d: 'M-1.2 -4.5h2.4l-0.5 5.5h-1.4z M-1.2 2.2h2.4v2.4h-2.4z' }, 'finding-mark'));
      g.appendChild(m);
    }
    return g;
  }

  /**
   * Two captures merged (issue 15): each lifeline stands at its capture point. The arrow leaves at
   * the sender's capture time (this row) and lands at the receiver's capture time (`two.land`,
   * offset-corrected, placed between the rows around it by time), as RFC 9293's figures draw
   * segments in flight. A lost segment runs halfway to where it would have landed and is crossed
   * out there (it vanished between the capture points); one seen at one point only (outside the
   * other capture) is dotted, with an open head; one seen only where it arrived has a dotted tail.
   */
  private drawTwoSided(g: SVGGElement, s: LadderSegment, xFrom: number, xTo: number, y: number): void {
    const two = s.two!;
    const h = this.rowHeight;
    const head = 8;
    g.classList.add('two', `fate-${two.fate}`);
    if (two.fate === 'lost') {
      const yExp = y + Math.max(0, (two.expected ?? s.index + 0.5) - s.index) * h;
      const xEnd = (xFrom + xTo) / 2;
      const yEnd = (y + yExp) / 2;
      g.classList.add('lost');
      lostArrow(g, xFrom, y, xEnd, yEnd);
      return;
    }
    // Seen arriving: where it landed; else (outside the other capture) where the engine took it as processed.
    const land = two.land ?? (s.arrival >= 0 ? s.arrival : s.index);
    const yTo = y + Math.max(0, land - s.index) * h;
    headedArrow(g, xFrom, y, xTo, yTo, head);
  }

  /** Each side's state as bands: before a row's arrow its `before` state, after it its `after` state. */
  private drawBands(layer: SVGGElement, from: number, to: number): void {
    const L = this.layout;
    const h = this.rowHeight;
    const segEnd = Math.min(to, this.total);
    const end = (to - from) * h;
    for (const side of ['client', 'server'] as const) {
      const x = side === 'client' ? L.c0 : L.s0;
      const w = L.c1 - L.c0;
      let cur: string | null = null;
      let y = 0;
      let startT = NaN;
      /** The band starts with a change no segment shows (a side that gave up): its reason. */
      let gaveUp: string | undefined;
      const flush = (yEnd: number, endT: number): void => {
        if (cur === null || yEnd <= y) return;
        this.band(layer, side, x, w, y, yEnd, cur, endT - startT, gaveUp);
      };
      for (let i = from; i < segEnd; i++) {
        const s = this.cache.get(i);
        const y0 = (i - from) * h;
        if (!s) {
          flush(y0, NaN);
          cur = null;
          continue;
        }
        const before = side === 'client' ? s.clientBefore : s.serverBefore;
        const after = side === 'client' ? s.clientAfter : s.serverAfter;
        if (cur !== before) {
          flush(y0, s.t);
          cur = before;
          y = y0;
          gaveUp = undefined;
          // Known start time only at the connection's start (else the band began above the window,
          // or between two segments, e.g. a TIME-WAIT timer running out).
          startT = i === 0 ? 0 : NaN;
        }
        const mine = s.two ? s.two.changes.filter((x) => x.side === side) : [];
        if (mine.length > 0) {
          // Two captures merged: each change is drawn where (and when) the segment that made it landed.
          for (const x of mine) {
            const yc = y0 + ARROW_Y + Math.max(0, x.at - i) * h;
            flush(yc, x.t);
            cur = x.to;
            y = yc;
            startT = x.t;
          }
        } else if (after !== before) {
          flush(y0 + ARROW_Y, s.t);
          cur = after;
          y = y0 + ARROW_Y;
          startT = s.t;
          gaveUp = givenUp(s, side);
        }
      }
      if (to > this.total && this.summary) {
        // The tail: the final state runs to the end of the drawing; its length is up to the capture's end.
        flush(end, this.summary.endTime - this.summary.startTime);
      } else flush(end, NaN);
    }
  }

  private band(layer: SVGGElement, side: 'client' | 'server', x: number, w: number, y1: number, y2: number, state: string, dur: number, gaveUp?: string): void {
    const g = svg('g', { 'data-side': side, 'data-state': state }, `band ${stateClass(state)}${gaveUp !== undefined ? ' inferred' : ''}`);
    if (gaveUp !== undefined) {
      // No segment shows this change: the reason (capture-derived text) as the band's tooltip.
      const title = svg('title', {});
      title.textContent = `${state} (inferred): ${gaveUp}`;
      g.appendChild(title);
    }
    g.appendChild(svg('rect', { x: x + 1, y: y1, width: w - 2, height: y2 - y1 }, 'band-fill'));
    g.appendChild(svg('line', { x1: x + 1, y1, x2: x + w - 1, y2: y1 }, 'band-edge'));
    if (y2 - y1 >= 12) {
      const inner = side === 'client' ? x + w - 6 : x + 6;
      const anchor = side === 'client' ? 'end' : 'start';
      g.appendChild(svgText(inner, y1 + 12, state, 'band-label', anchor));
      let note = '';
      // A listening socket listened before the capture began: no length for it.
      if (Number.isFinite(dur) && dur > 0 && state !== 'CLOSED' && state !== 'LISTEN') note = duration(dur);
      if (state === 'TIME-WAIT') note = `2MSL ${duration(this.timeWait.durationSeconds)}`;
      if (gaveUp !== undefined) note = 'inferred';
      if (note && y2 - y1 >= 26) g.appendChild(svgText(inner, y1 + 24, note, 'band-note', anchor));
    }
    layer.appendChild(g);
  }

  /** An axis break: the idle time between two segments is not drawn to scale. */
  private drawBreak(layer: SVGGElement, y0: number, idle: number): void {
    const L = this.layout;
    const y = y0 + 7;
    let d = `M0 ${y}`;
    for (let x = 0, k = 0; x <= L.width; x += 6, k++) d += ` L${x} ${y + (k % 2 === 0 ? -2.5 : 2.5)}`;
    const g = svg('g', {}, 'idle-break');
    g.appendChild(svg('path', { d }, 'break-gap'));
    g.appendChild(svg('path', { d }, 'break-line'));
    // The idle time sits on the time axis (the arrow region above the next label stays clear).
    const label = `${duration(idle)} idle`;
    const w = textWidth(label, this.breakFont) + 10;
    const x = L.showTime ? Math.max(w / 2 + 1, L.c0 - w / 2 - 2) : (L.c1 + L.s0) / 2;
    g.appendChild(svg('rect', { x: x - w / 2, y: y - 6.5, width: w, height: 13, rx: 6.5 }, 'break-pill'));
    g.appendChild(svgText(x, y + 3.5, label, 'break-label', 'middle'));
    layer.appendChild(g);
  }

  /** After the last segment: the end of the capture and the TIME-WAIT timers. */
  private drawTail(layer: SVGGElement, y0: number): void {
    const L = this.layout;
    const sum = this.summary;
    if (!sum) return;
    const g = svg('g', {}, 'tail-row');
    g.appendChild(svg('line', { x1: L.c0, y1: y0 + 8, x2: L.s1, y2: y0 + 8 }, 'end-line'));
    const span = sum.endTime - sum.startTime;
    g.appendChild(svgText((L.c1 + L.s0) / 2, y0 + 22, `end of capture · ${duration(span) || '0 s'}`, 'end-label', 'middle'));
    const tw = this.timeWait;
    for (const side of ['client', 'server'] as const) {
      const since = tw[side];
      if (since === null) continue;
      const elapsed = Math.max(0, span - since);
      const frac = Math.min(1, elapsed / tw.durationSeconds);
      const x = side === 'client' ? L.c0 + 4 : L.s0 + 4;
      const w = L.c1 - L.c0 - 8;
      const tg = svg('g', { 'data-side': side }, 'timer');
      tg.appendChild(svg('rect', { x, y: y0 + 34, width: w, height: 8, rx: 2 }, 'timer-track'));
      tg.appendChild(svg('rect', { x, y: y0 + 34, width: Math.max(1, w * frac), height: 8, rx: 2 }, 'timer-fill'));
      // The words go beside the bar, in the free space right of the lifeline (client) or left of it (server).
      const text = frac >= 1 ? `TIME-WAIT: 2MSL expired` : `TIME-WAIT: ${duration(elapsed)} of 2MSL ${duration(tw.durationSeconds)}`;
      // Both sides in TIME-WAIT (a simultaneous close): the server's words go a line lower.
      const ty = side === 'server' && tw.client !== null ? y0 + 58 : y0 + 42;
      tg.appendChild(side === 'client' ? svgText(L.c1 + 6, ty, text, 'timer-label', 'start') : svgText(L.s0 - 6, ty, text, 'timer-label', 'end'));
      const title = svg('title');
      title.textContent = `${side} entered TIME-WAIT at +${duration(since)}; 2 MSL = ${duration(tw.durationSeconds)}; ${frac >= 1 ? 'the timer expired before the capture ended' : `the capture ends ${duration(elapsed)} into it`}`;
      tg.appendChild(title);
      g.appendChild(tg);
    }
    layer.appendChild(g);
  }

  /** The hovered arrow and the segments it acknowledges / is acknowledged by, joined on the receiver's lifeline. */
  private drawAckLinks(layer: SVGGElement, from: number, to: number, hovered: number): void {
    const s = this.cache.get(hovered);
    if (!s) return;
    const L = this.layout;
    const h = this.rowHeight;
    const link = (a: LadderSegment, b: LadderSegment): void => {
      // a is acknowledged by b: b's sender is a's receiver; join a's head and b's tail.
      if (a.index < from || a.index >= to || b.index < from || b.index >= to) return;
      const x = a.dir === 'c2s' ? L.s0 : L.c1;
      const bulge = a.dir === 'c2s' ? -28 : 28;
      const ya = (a.index - from) * h + ARROW_Y;
      const yb = (b.index - from) * h + ARROW_Y;
      layer.appendChild(svg('path', { d: `M${x} ${ya} C${x + bulge} ${ya} ${x + bulge} ${yb} ${x} ${yb}` }, 'ack-link'));
    };
    const acked = s.acks >= 0 ? this.cache.get(s.acks) : undefined;
    if (acked) link(acked, s);
    const by = s.ackedBy >= 0 ? this.cache.get(s.ackedBy) : undefined;
    if (by) link(s, by);
  }

  private indexAt(e: Event): number {
    const el = (e.target as Element | null)?.closest('[data-index]');
    if (!el) return -1;
    const i = Number(el.getAttribute('data-index'));
    return Number.isInteger(i) && i < this.total ? i : -1;
  }

  private click(e: MouseEvent): void {
    const f = (e.target as Element | null)?.closest('[data-finding]');
    if (f) {
      this.hooks.onShowProblem(Number(f.getAttribute('data-finding')));
      return;
    }
    const i = this.indexAt(e);
    if (i >= 0) this.hooks.onActivate(i);
  }

  private pointer(e: PointerEvent): void {
    const i = this.indexAt(e);
    this.hooks.onHover(i, e.clientX, e.clientY);
  }

  /** Rows currently in the DOM (tests: virtualization keeps this small). */
  get drawnRange(): { from: number; to: number } {
    return { from: this.drawnFrom, to: this.drawnTo };
  }
}

export function worstSeverity(s: LadderSegment): 'error' | 'warning' | 'info' | null {
  let best: 'error' | 'warning' | 'info' | null = null;
  for (const f of s.findings) {
    if (f.severity === 'error') return 'error';
    if (f.severity === 'warning') best = 'warning';
    else if (best === null) best = 'info';
  }
  return best;
}

function rowAria(s: LadderSegment, relative: boolean): string {
  let out = `Segment ${s.index + 1}${s.frame > 0 ? `, frame ${s.frame}` : ''}: ${segmentSentence(s, relative)}. Client ${s.clientAfter}, server ${s.serverAfter}.`;
  if (s.findings.length > 0) out += ` ${s.findings.length} finding${s.findings.length > 1 ? 's' : ''}.`;
  return out;
}

/** States a side leaves for CLOSED with no segment when it gives up (core/report/ladder.ts gaveUpAt). */
const GIVES_UP_FROM = new Set(['SYN-SENT', 'FIN-WAIT-1', 'CLOSING', 'LAST-ACK']);

/** The reason of the change to `side`'s state after segment s that no segment shows (it gave up), if any. */
function givenUp(s: LadderSegment, side: 'client' | 'server'): string | undefined {
  return s.transitions.find((t) => t.side === side && t.inferred && t.to === 'CLOSED' && GIVES_UP_FROM.has(t.from))?.reason;
}

/** An arrow from (x0, y0) to (x1, y1), sloped or level, its head `head` long ending at (x1, y1). */
function headedArrow(g: SVGGElement, x0: number, y0: number, x1: number, y1: number, head: number): void {
  const len = Math.hypot(x1 - x0, y1 - y0);
  const ux = (x1 - x0) / len;
  const uy = (y1 - y0) / len;
  const bx = x1 - ux * head;
  const by = y1 - uy * head;
  g.appendChild(svg('line', { x1: x0, y1: y0, x2: bx, y2: by }, 'arrow'));
  g.appendChild(svg('path', { d: `M${x1} ${y1} L${bx - uy * 4.5} ${by + ux * 4.5} L${bx + uy * 4.5} ${by - ux * 4.5} Z` }, 'head'));
}

/** A segment that vanished: its line stops at (x1, y1), crossed out there. */
function lostArrow(g: SVGGElement, x0: number, y0: number, x1: number, y1: number): void {
  g.appendChild(svg('line', { x1: x0, y1: y0, x2: x1, y2: y1 }, 'arrow'));
  g.appendChild(svg('path', { d: `M${x1 - 5} ${y1 - 5} L${x1 + 5} ${y1 + 5} M${x1 - 5} ${y1 + 5} L${x1 + 5} ${y1 - 5}` }, 'lost-mark'));
}
