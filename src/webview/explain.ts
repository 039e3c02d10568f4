/**
 * The step's explanation: what changed for each endpoint and why (the engine's reasons, which cite
 * RFC 9293), what the segment acknowledges, and its findings. Rendered into an aria-live region so
 * a screen reader reads each step.
 */
import type { LadderSegment } from '../shared/webviewProtocol';
import { html } from './dom';
import { axisTime, duration, segmentSentence, sideLabel, twoSidedWhere } from './format';

export interface ExplainContext {
  total: number;
  relative: boolean;
  span: number;
  /** Two captures merged (issue 15): what the captures are called (first: the capture opened). */
  captures?: [string, string];
  /** A neighbour segment if loaded (for "acknowledges frame N"). */
  segment(index: number): LadderSegment | undefined;
  onShowProblem(index: number): void;
  onGoTo(index: number): void;
}

function stepName(s: LadderSegment | undefined, index: number, captures?: [string, string]): string {
  if (!s) return `step ${index + 1}`;
  if (s.two && captures) return `step ${index + 1} (${s.two.frames.map((f, k) => (f > 0 ? `${captures[k]} frame ${f}` : '')).filter((x) => x !== '').join(', ')})`;
  return s.frame > 0 ? `step ${index + 1} (frame ${s.frame})` : `step ${index + 1}`;
}

export function renderExplanation(target: HTMLElement, s: LadderSegment | undefined, index: number, ctx: ExplainContext): void {
  target.replaceChildren();
  if (index < 0) {
    target.appendChild(html('p', 'hint', 'Select an arrow, or step with the buttons or the keys (↓ ↑, Home End, N for the next finding, Space to play).'));
    return;
  }
  if (!s) {
    target.appendChild(html('p', 'hint', `Loading step ${index + 1}…`));
    return;
  }
  const head = html('h2', 'step-title');
  const when = s.time !== '' ? ` · +${axisTime(s.t, ctx.span)} s` : '';
  // Two captures merged: the step numbers the merge; the frames are each capture's (below).
  const frame = s.frame > 0 && !(s.two && ctx.captures) ? ` · frame ${s.frame}` : '';
  head.textContent = `Step ${index + 1} of ${ctx.total}${frame}${s.line >= 0 ? ` · line ${s.line + 1}` : ''}${when}`;
  target.appendChild(head);
  const arrow = s.dir === 'c2s' ? 'Client → Server' : 'Server → Client';
  target.appendChild(html('p', 'step-segment', `${arrow}: ${segmentSentence(s, ctx.relative)}.`));
  if (s.two && ctx.captures) target.appendChild(html('p', `step-two fate-${s.two.fate}`, `Seen: ${twoSidedWhere(s, ctx.captures)}.`));

  const list = html('ul', 'changes');
  for (const side of ['client', 'server'] as const) {
    const before = side === 'client' ? s.clientBefore : s.serverBefore;
    const after = side === 'client' ? s.clientAfter : s.serverAfter;
    const mine = s.transitions.filter((t) => t.side === side);
    const li = html('li', `change ${side}${mine.length > 0 ? ' changed' : ''}`);
    li.appendChild(html('strong', undefined, `${sideLabel(side)}: `));
    if (mine.length === 0) {
      li.appendChild(document.createTextNode(before === after ? `stays ${after}.` : `${before} → ${after}.`));
    } else {
      for (const t of mine) {
        const p = html('span', 'transition');
        p.appendChild(html('span', 'states', `${t.from} → ${t.to}`));
        p.appendChild(document.createTextNode(`${t.inferred ? ' (inferred)' : ''}: ${t.reason} `));
        li.appendChild(p);
      }
    }
    list.appendChild(li);
  }
  target.appendChild(list);

  const acks: string[] = [];
  if (s.acks >= 0) acks.push(`Acknowledges ${stepName(ctx.segment(s.acks), s.acks, ctx.captures)}.`);
  if (s.ackedBy >= 0) {
    const by = ctx.segment(s.ackedBy);
    const later = by ? ` ${duration(by.t - s.t)} later` : '';
    acks.push(`Acknowledged by ${stepName(by, s.ackedBy, ctx.captures)}${later}.`);
  }
  if (acks.length > 0) {
    const p = html('p', 'acks');
    p.appendChild(document.createTextNode(acks.join(' ') + ' '));
    if (s.acks >= 0) p.appendChild(linkButton(`Go to step ${s.acks + 1}`, () => ctx.onGoTo(s.acks)));
    if (s.ackedBy >= 0) p.appendChild(linkButton(`Go to step ${s.ackedBy + 1}`, () => ctx.onGoTo(s.ackedBy)));
    target.appendChild(p);
  }

  if (s.rst !== null) {
    // Why the RST was sent: the engine's reason code, its confidence and the segments that show it.
    const x = s.rst;
    const effect = x.effect === 'reset' ? 'it ended the connection' : x.effect === 'ignored' ? 'its receiver ignored it' : 'it changed nothing';
    const p = html('p', 'rst-why');
    p.appendChild(html('strong', undefined, 'Why this RST: '));
    p.appendChild(html('code', undefined, x.reason));
    p.appendChild(document.createTextNode(` (${x.confidence}; ${effect}): ${x.message}. `));
    for (const e of x.evidence) if (e >= 0 && e !== s.index) p.appendChild(linkButton(`Evidence: step ${e + 1}`, () => ctx.onGoTo(e)));
    target.appendChild(p);
  }

  for (const f of s.findings) {
    const box = html('div', `finding-box sev-${f.severity}`);
    const title = html('p', 'finding-title');
    title.appendChild(html('span', `sev-badge sev-${f.severity}`, f.severity));
    title.appendChild(html('code', undefined, f.code));
    title.appendChild(document.createTextNode(` ${f.message}`));
    box.appendChild(title);
    if (f.explanation) box.appendChild(html('p', 'finding-expl', f.explanation));
    box.appendChild(linkButton('Show in Problems', () => ctx.onShowProblem(s.index)));
    target.appendChild(box);
  }
}

function linkButton(text: string, run: () => void): HTMLButtonElement {
  const b = html('button', 'link', text);
  b.type = 'button';
  b.addEventListener('click', run);
  return b;
}
