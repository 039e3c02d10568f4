/**
 * The Teardown overview page (dist/overview.js): in VS Code, a webview that draws what its host
 * posts and posts back the marks clicked; in `analyze --report`'s standalone HTML file, the same
 * drawing of the overview embedded in the page (a JSON script element), where a click shows a few
 * of the mark's connections and how to list them all.
 */
import { streamFilter, type Overview } from '../../core/report/overview';
import type { FromOverview, OverviewWebviewState, ToOverview } from '../../shared/overviewProtocol';
import { count, renderOverview } from './render';

interface VsCodeApi {
  postMessage(m: FromOverview): void;
  /** Kept by VS Code while the panel lives, across a window reload (the panel's serializer gets it). */
  setState(state: OverviewWebviewState): void;
  getState(): OverviewWebviewState | undefined;
}
declare function acquireVsCodeApi(): VsCodeApi;

const app = document.getElementById('app') as HTMLElement;
const status = document.getElementById('status') as HTMLElement;

/** Redraws when the width changes (once per frame). */
function onResize(redraw: () => void): void {
  let width = app.clientWidth;
  let pending = false;
  new ResizeObserver(() => {
    if (pending || app.clientWidth === width) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      width = app.clientWidth;
      redraw();
    });
  }).observe(app);
}

const embedded = document.getElementById('overview-data');
if (embedded) {
  // The standalone report.
  const o = JSON.parse(embedded.textContent ?? '{}') as Overview;
  const file = document.body.getAttribute('data-file') ?? o.source.name;
  const view = renderOverview(app, o, {
    onMark(key, label, n) {
      const ids = o.samples?.[key] ?? [];
      status.replaceChildren();
      const p = document.createElement('p');
      p.textContent = `${label}: ${n === 1 ? 'one connection' : `${count(n)} connections`}` + (ids.length > 0 ? `, e.g. ${ids.map((i) => `#${i}`).join(', ')}.` : '.');
      status.appendChild(p);
      if (ids.length > 0) {
        const code = document.createElement('code');
        code.textContent = `teardown-tracer analyze ${file} --filter '${streamFilter(ids)}'`;
        const q = document.createElement('p');
        q.append('The first of them: ', code);
        status.appendChild(q);
      }
      status.hidden = false;
    },
  });
  onResize(view.redraw);
} else {
  const vscode = acquireVsCodeApi();
  let view: ReturnType<typeof renderOverview> | null = null;
  let selected: string | undefined;
  const say = (text: string): void => {
    status.textContent = text;
    status.hidden = text === '';
  };
  window.addEventListener('message', (ev: MessageEvent<ToOverview>) => {
    const m = ev.data;
    switch (m.type) {
      case 'overview':
        document.title = m.title;
        say('');
        if (m.uri !== vscode.getState()?.uri) selected = undefined;
        vscode.setState({ uri: m.uri });
        view = renderOverview(app, m.overview, {
          selected,
          onMark(key, label) {
            selected = key;
            vscode.postMessage({ type: 'select', key, label });
          },
        });
        break;
      case 'status':
        if (!view) app.replaceChildren();
        say(m.message);
        break;
      case 'selected':
        selected = m.key;
        view?.select(m.key);
        say(
          `${m.label}: ${m.count === 1 ? 'one connection' : `${count(m.count)} connections`}, listed in the side bar` +
            (m.shown !== null ? `; connection #${m.shown} is in the ladder.` : '.'),
        );
        break;
    }
  });
  onResize(() => view?.redraw());
  vscode.postMessage({ type: 'ready' });
}
