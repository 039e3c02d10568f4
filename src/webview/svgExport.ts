/**
 * The ladder as a standalone SVG document: the diagram is drawn off screen (every segment up to a
 * limit, not just the window in view), then copied with the theme's computed colours written as
 * presentation attributes, so the file looks the same outside VS Code.
 */
import { SVG_NS, svg, svgText } from './dom';

/** Segments drawn in an export; longer connections export their first rows and say so. */
export const EXPORT_MAX_SEGMENTS = 2000;

const PROPS = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-opacity',
  'stroke-dasharray',
  'opacity',
  'font-family',
  'font-size',
  'font-weight',
  'font-style',
] as const;

/** Copies computed styles of `live` (in the document) onto `copy` (its clone), element by element. */
function inline(live: Element, copy: Element): void {
  const cs = getComputedStyle(live);
  if (cs.display === 'none' || cs.visibility === 'hidden') {
    copy.setAttribute('display', 'none');
  } else {
    for (const p of PROPS) {
      const v = cs.getPropertyValue(p);
      if (v !== '' && v !== 'normal' && !(p === 'stroke-dasharray' && v === 'none')) copy.setAttribute(p, v);
    }
  }
  copy.removeAttribute('class');
  copy.removeAttribute('role');
  copy.removeAttribute('aria-selected');
  copy.removeAttribute('aria-label');
  copy.removeAttribute('id');
  const a = live.children;
  const b = copy.children;
  for (let i = 0; i < a.length && i < b.length; i++) inline(a[i], b[i]);
}

export interface ExportHeader {
  title: string;
  /** How the connection ended (and, for long ones, how much is drawn). */
  note: string;
  client: string;
  server: string;
}

/**
 * Serializes a drawn ladder (`ladderSvg`, already in the document) under a header. The caller
 * removes `stage` afterwards.
 */
export function serializeLadder(stage: HTMLElement, ladderSvg: SVGSVGElement, header: ExportHeader, clientX: number, serverX: number): string {
  const width = Number(ladderSvg.getAttribute('width'));
  const height = Number(ladderSvg.getAttribute('height'));
  const headH = 76;
  const root = svg('svg', { xmlns: SVG_NS, width, height: height + headH, viewBox: `0 0 ${width} ${height + headH}` }, 'export-root');
  root.appendChild(svg('rect', { x: 0, y: 0, width, height: height + headH }, 'export-bg'));
  root.appendChild(svgText(8, 16, header.title, 'export-title'));
  root.appendChild(svgText(8, 32, header.note, 'export-note'));
  root.appendChild(svgText(clientX, 52, header.client, 'export-head', 'start'));
  root.appendChild(svgText(serverX, 68, header.server, 'export-head', 'end'));
  ladderSvg.setAttribute('y', String(headH));
  root.appendChild(ladderSvg);
  stage.appendChild(root);
  const copy = root.cloneNode(true) as SVGSVGElement;
  inline(root, copy);
  copy.setAttribute('xmlns', SVG_NS);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}\n`;
}
