/**
 * DOM helpers. Every piece of text derived from a capture goes in through `textContent` (HTML) or
 * an SVG text node; attributes are set one by one; styles only through classes or the CSSOM (the
 * CSP has no 'unsafe-inline', so `style="..."` attributes would be refused).
 */
export const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, cls?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const k in attrs) el.setAttribute(k, String(attrs[k]));
  if (cls) el.setAttribute('class', cls);
  return el;
}

export function svgText(x: number, y: number, text: string, cls: string, anchor: 'start' | 'middle' | 'end' = 'start'): SVGTextElement {
  const t = svg('text', { x, y, 'text-anchor': anchor }, cls);
  t.textContent = text;
  return t;
}

export function html<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A 16×16 icon drawn from path data (no icon font: the CSP allows no font source). */
export function icon(d: string): SVGSVGElement {
  const s = svg('svg', { viewBox: '0 0 16 16', width: 16, height: 16, 'aria-hidden': 'true', focusable: 'false' }, 'icon');
  s.appendChild(svg('path', { d }));
  return s;
}

export const ICONS = {
  first: 'M3 3h2v10H3z M13 3v10L6 8z',
  previous: 'M11 3v10L4 8z',
  next: 'M5 3v10l7-5z',
  last: 'M11 3h2v10h-2z M3 3v10l7-5z',
  previousFinding: 'M9 3v10L2 8z M12.5 4l2 4-2 4-2-4z',
  nextFinding: 'M7 3v10l7-5z M3.5 4l2 4-2 4-2-4z',
  play: 'M4 2.5v11l9.5-5.5z',
  pause: 'M4 3h3v10H4z M9 3h3v10H9z',
};
