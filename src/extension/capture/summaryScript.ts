/**
 * The script of a capture's summary tab. It is serialized with Function#toString into the page
 * (under the page's script nonce), so it must stay SELF-CONTAINED: no imports at run time, no
 * reference to anything outside its own body except the browser's globals. Capture-derived text
 * reaches the DOM only through `textContent` (and `title`), never as HTML.
 *
 * The extension's tsconfig has no DOM library, so the few browser APIs used are declared here.
 */
import type { FromSummary, SummaryData, ToSummary } from './summaryProtocol';

interface El {
  textContent: string | null;
  className: string;
  title: string;
  hidden: boolean;
  append(...nodes: (El | string)[]): void;
  replaceChildren(...nodes: (El | string)[]): void;
  setAttribute(name: string, value: string): void;
  addEventListener(type: string, listener: () => void): void;
}
interface Doc {
  createElement(tag: string): El;
  getElementById(id: string): El | null;
}
interface Win {
  addEventListener(type: 'message', listener: (e: { data: ToSummary }) => void): void;
}
declare const document: Doc;
declare const window: Win;
declare function acquireVsCodeApi(): { postMessage(m: FromSummary): void };

export function summaryScript(): void {
  const vscode = acquireVsCodeApi();
  const root = document.getElementById('summary');
  if (!root) return;
  const post = (m: FromSummary): void => vscode.postMessage(m);

  const el = (tag: string, className?: string, text?: string): El => {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const button = (label: string, title: string, onClick: () => void, className = 'button'): El => {
    const b = el('button', className, label);
    b.title = title;
    b.setAttribute('type', 'button');
    b.addEventListener('click', onClick);
    return b;
  };
  const n = (x: number): string => x.toLocaleString('en-US');
  const plural = (x: number, one: string, many: string): string => `${n(x)} ${x === 1 ? one : many}`;

  const render = (d: SummaryData): void => {
    const parts: El[] = [];

    const head = el('header');
    head.append(el('h1', undefined, d.file));
    const facts = [
      d.input.format,
      plural(d.input.packets, 'packet', 'packets'),
      plural(d.input.tcpSegments, 'TCP segment', 'TCP segments'),
      plural(d.totalConnections, 'connection', 'connections'),
    ];
    head.append(el('p', 'facts', facts.join(' · ')));
    parts.push(head);

    if (d.view?.error) parts.push(el('p', 'banner error', d.view.error));
    if (d.view?.truncated)
      parts.push(
        el(
          'p',
          'banner',
          `The text view shows the first ${n(d.view.shownSegments)} of ${n(d.view.totalSegments)} segments ` +
            `(setting teardownTracer.maxSegmentsShown). Open a connection below to see all of its segments.`,
        ),
      );
    for (const w of d.input.warnings) parts.push(el('p', 'banner warning', w));

    const actions = el('div', 'actions');
    actions.append(
      button('Open as Text', 'Show the decoded segments with hovers and diagnostics', () => post({ type: 'action', action: 'openText' }), 'button primary'),
      button('Ladder Diagram', 'Show the ladder diagram of the first connection', () => post({ type: 'action', action: 'showDiagram' })),
      button('Overview', 'Plot how all the connections ended: close kinds over time, half-closes, resets, endpoints', () => post({ type: 'action', action: 'showOverview' })),
      button('Side Bar', 'Show the connections in the Teardown side bar', () => post({ type: 'action', action: 'openSideBar' })),
      button('Export JSON…', 'Export the analysis as JSON (analyze --json)', () => post({ type: 'action', action: 'exportAnalysis' })),
      button('State Table…', 'Export the per-step state table as Markdown', () => post({ type: 'action', action: 'exportStateTable' })),
      button('To .tcptrace', 'Convert the capture to RFC figure notation', () => post({ type: 'action', action: 'convertToTcptrace' })),
      button('To tcpdump Text', 'Convert the capture to tcpdump text', () => post({ type: 'action', action: 'convertToTcpdump' })),
    );
    parts.push(actions);

    const outcomes = el('section');
    outcomes.append(el('h2', undefined, 'How the connections ended'));
    const chips = el('div', 'chips');
    for (const o of d.outcomes) {
      const chip = el('span', `chip outcome-${o.outcome}${o.count === 0 ? ' zero' : ''}`);
      chip.append(el('span', 'dot'), el('span', 'chip-label', o.label), el('span', 'count', n(o.count)));
      chips.append(chip);
    }
    outcomes.append(chips);
    parts.push(outcomes);

    const findings = el('section');
    findings.append(el('h2', undefined, 'Findings'));
    if (d.findingsByCode.length === 0) findings.append(el('p', 'muted', 'No findings: every connection closed cleanly.'));
    else {
      const chipsF = el('div', 'chips');
      for (const f of d.findingsByCode) {
        const chip = el('span', `chip severity-${f.severity}`);
        chip.title = `${f.severity}: ${f.code}`;
        chip.append(el('span', 'dot'), el('span', 'chip-label', f.code), el('span', 'count', n(f.count)));
        chipsF.append(chip);
      }
      findings.append(chipsF);
    }
    parts.push(findings);

    const conns = el('section');
    conns.append(el('h2', undefined, 'Connections'));
    if (d.connections.length < d.totalConnections)
      conns.append(el('p', 'muted', `The first ${n(d.connections.length)} of ${n(d.totalConnections)}; filter them in the side bar.`));
    const table = el('table');
    const thead = el('tr');
    for (const h of ['#', 'Client', 'Server', 'Outcome', 'Closed by', 'Segments', 'Findings', '']) thead.append(el('th', undefined, h));
    table.append(thead);
    for (const c of d.connections) {
      const tr = el('tr');
      tr.append(
        el('td', 'num', String(c.id)),
        el('td', 'addr', c.client),
        el('td', 'addr', c.server),
        el('td', `outcome-text outcome-${c.outcome}`, c.outcome),
        el('td', undefined, c.closedBy),
        el('td', 'num', n(c.segments)),
      );
      const tdF = el('td', 'findings');
      for (const f of c.findings) {
        const link = button(f.code, f.message, () => post({ type: 'revealFinding', connection: c.id, index: f.index, line: f.line }), `link severity-${f.severity}`);
        tdF.append(link);
      }
      tr.append(tdF);
      const tdA = el('td', 'row-actions');
      tdA.append(
        button('Segments', `Open connection #${c.id}'s segments`, () => post({ type: 'openConnection', connection: c.id }), 'link'),
        button('Ladder', `Show connection #${c.id} in the ladder diagram`, () => post({ type: 'connectionDiagram', connection: c.id }), 'link'),
      );
      tr.append(tdA);
      table.append(tr);
    }
    conns.append(table);
    parts.push(conns);

    root.replaceChildren(...parts);
  };

  window.addEventListener('message', (e) => {
    const m = e.data;
    switch (m.type) {
      case 'data':
        render(m.data);
        break;
      case 'loading':
        root.replaceChildren(el('p', 'muted', m.message));
        break;
      case 'error':
        root.replaceChildren(el('p', 'banner error', m.message));
        break;
    }
  });
  post({ type: 'ready' });
}
