/**
 * `analyze FILE --report out.html`: the file is written, self-contained (no URL it would load, a
 * CSP meta with a nonce that the one style and the one script carry), its embedded overview equals
 * the one made from the `analyze --json` analysis of the same capture, and text from outside (the
 * file name) is escaped. Beside `--json`, `--summary` or `--format jsonl` the report is made in the
 * same streamed run: those outputs are byte for byte what they are alone, and the report is the
 * one made alone, which equals the whole capture's overview (one file, and each capture set of
 * test/fixtures/sets read as one capture). Needs dist/overview.js (`npm run build`): skipped without it.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runAnalyze } from '../../../src/cli/analyze';
import { analyze } from '../../../src/core/engine';
import { SegmentTable } from '../../../src/core/model/segment';
import type { AnalysisJson } from '../../../src/core/report/json';
import { overviewOf, type Overview } from '../../../src/core/report/overview';
import { decodeCaptureSet, expandInputs, fileNames } from '../../../src/node/captureSet';
import { loadTrace } from '../../../src/node/loadTrace';
import { runCli } from '../cliRun';

const REPO = path.resolve(__dirname, '../../../..');
const KERNEL = path.join(REPO, 'test/fixtures/kernel');
const SETS = path.join(REPO, 'test/fixtures/sets');
/** Every kernel capture merged by time: connections finished in the middle of the stream. */
const KERNEL_ALL = path.join(REPO, 'test/integration/fixtures/kernel-all.pcap');

/** The whole-capture overview (as the report keeps it: 8 sample ids per mark), with the report's source. */
function wholeOverview(table: SegmentTable, source: Overview['source'], steps?: Parameters<typeof analyze>[2]): Overview {
  return JSON.parse(JSON.stringify(overviewOf(analyze(table, {}, steps), source, { samples: 8 }).overview)) as Overview;
}
const SCRIPT = path.join(REPO, 'dist/overview.js');

/** The overview embedded in a report page. */
function embedded(html: string): Overview {
  const m = /<script id="overview-data" type="application\/json">([^<]*)<\/script>/.exec(html);
  assert.ok(m, 'the overview as a JSON script element');
  return JSON.parse(m[1]) as Overview;
}

describe('analyze --report: the overview as a self-contained HTML file', function () {
  this.timeout(60_000);
  let dir: string;
  before(function () {
    if (!fs.existsSync(SCRIPT)) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-'));
  });

  it('writes one file with everything inline under a nonce CSP, and the counts of the --json analysis', async () => {
    const file = path.join(KERNEL, '06-abortive-close-linger0.pcap');
    const target = path.join(dir, 'overview.html');
    const r = await runCli(runAnalyze, [file, '--report', target]);
    assert.strictEqual(r.code, 0, r.err);
    assert.match(r.out, /^wrote .*overview\.html: 1 connections?, \d+ findings/);
    const html = fs.readFileSync(target, 'utf8');

    // Self-contained: nothing loaded from anywhere (the SVG namespace is a name, not a load).
    assert.doesNotMatch(html, /\s(src|href)\s*=/i);
    assert.doesNotMatch(html, /sourceMappingURL/);
    assert.deepStrictEqual([...new Set(html.match(/https?:\/\/[^\s"'`)]+/g) ?? [])], ['http://www.w3.org/2000/svg']);
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
    assert.ok(meta, 'a CSP meta');
    const csp = meta[1].replace(/&#39;/g, "'");
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce && nonce.length >= 16, csp);
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.strictEqual((html.match(/<script nonce="/g) ?? []).length, 1);
    assert.ok(html.includes(`<script nonce="${nonce}">`) && html.includes(`<style nonce="${nonce}">`));
    assert.match(html, /prefers-color-scheme: dark/);

    // The counts: the overview of the whole-capture analysis (the one --json writes).
    const loaded = loadTrace(file);
    const a = analyze(loaded.table, {});
    const json = JSON.parse((await runCli(runAnalyze, [file, '--json'])).out) as AnalysisJson;
    const o = embedded(html);
    assert.strictEqual(o.connections, json.summary.connections);
    assert.deepStrictEqual(o.outcomes, json.summary.outcomes);
    const whole = overviewOf(a, o.source, { samples: 8 }).overview;
    assert.deepStrictEqual(o, JSON.parse(JSON.stringify(whole)));
    assert.strictEqual(o.resets.total, 1);
  });

  it('escapes outside text and takes --filter, --linger and --fail-on', async () => {
    const odd = path.join(dir, `a<b>&"c'<script>.pcap`);
    fs.copyFileSync(path.join(KERNEL, '04-half-close-lingering.pcap'), odd);
    const target = path.join(dir, 'odd.html');
    const r = await runCli(runAnalyze, [odd, '--report', target, '--linger', '5', '--fail-on', 'warning']);
    assert.strictEqual(r.code, 1, 'a lingering half-close is a warning');
    const html = fs.readFileSync(target, 'utf8');
    assert.ok(!html.includes('<b>') && !html.includes(`"c'<script>`), 'the name is escaped everywhere');
    assert.ok(html.includes('a&lt;b&gt;&amp;&quot;c&#39;&lt;script&gt;.pcap'), 'in the title and data-file');
    const o = embedded(html);
    assert.strictEqual(o.source.name, `a<b>&"c'<script>.pcap`);
    assert.strictEqual(o.lingerSeconds, 5);
    assert.strictEqual(o.halfClose.lingeringTotal, 1);

    const none = await runCli(runAnalyze, [odd, '--report', path.join(dir, 'none.html'), '--filter', 'tcp.port == 1']);
    assert.strictEqual(none.code, 0);
    assert.strictEqual(embedded(fs.readFileSync(path.join(dir, 'none.html'), 'utf8')).connections, 0);
  });

  it('beside --json, --summary, --format jsonl or zeek-json (also --jobs 2, --filter): those outputs unchanged, the report made alone, the whole capture\'s', async () => {
    const alone = path.join(dir, 'alone.html');
    const r = await runCli(runAnalyze, [KERNEL_ALL, '--report', alone]);
    assert.strictEqual(r.code, 0, r.err);
    const o = embedded(fs.readFileSync(alone, 'utf8'));
    assert.ok(o.connections > 20 && o.timeline.bins > 5, `${o.connections} connections`);
    assert.deepStrictEqual(o, wholeOverview(loadTrace(KERNEL_ALL).table, o.source));
    for (const args of [['--json'], ['--summary'], ['--json', '--summary'], ['--format', 'jsonl'], ['--format', 'zeek-json'], ['--json', '--jobs', '2'], ['--format', 'jsonl', '--filter', 'tcp.flags.reset == 1']]) {
      const target = path.join(dir, 'both.html');
      fs.rmSync(target, { force: true });
      const plain = await runCli(runAnalyze, [KERNEL_ALL, ...args]);
      const both = await runCli(runAnalyze, [KERNEL_ALL, ...args, '--report', target]);
      assert.strictEqual(both.code, 0, both.err);
      assert.strictEqual(both.out, plain.out, `${args.join(' ')}: the output is what it is alone`);
      assert.match(both.err, /^wrote .*both\.html: \d+ connections/m, 'what the report says goes to stderr');
      const filtered = args.includes('--filter') ? await runCli(runAnalyze, [KERNEL_ALL, '--report', alone, '--filter', 'tcp.flags.reset == 1']) : null;
      const expected = filtered ? embedded(fs.readFileSync(alone, 'utf8')) : o;
      assert.deepStrictEqual(embedded(fs.readFileSync(target, 'utf8')), expected, args.join(' '));
    }
  });

  it('a text trace beside --json: the JSON unchanged, the report its whole analysis\'s', async () => {
    const file = path.join(KERNEL, '11-tuple-reuse-time-wait.txt');
    const target = path.join(dir, 'text.html');
    const plain = await runCli(runAnalyze, [file, '--json']);
    const both = await runCli(runAnalyze, [file, '--json', '--report', target]);
    assert.strictEqual(both.code, 0, both.err);
    assert.strictEqual(both.out, plain.out);
    const o = embedded(fs.readFileSync(target, 'utf8'));
    const loaded = loadTrace(file);
    assert.deepStrictEqual(o, wholeOverview(loaded.table, o.source, loaded.steps));
    assert.strictEqual(o.connections, (JSON.parse(plain.out) as AnalysisJson).summary.connections);
  });

  for (const set of fs.existsSync(SETS) ? fs.readdirSync(SETS).filter((d) => fs.statSync(path.join(SETS, d)).isDirectory()) : [])
    it(`the capture set ${set} read as one capture: the whole merged capture's overview, alone and beside --summary`, async () => {
      const files = expandInputs([path.join(SETS, set)]).files;
      const table = new SegmentTable(16, undefined, fileNames(files));
      await decodeCaptureSet(files, (v) => table.append(v));
      const target = path.join(dir, `${set}.html`);
      const alone = await runCli(runAnalyze, [path.join(SETS, set), '--report', target]);
      assert.strictEqual(alone.code, 0, alone.err);
      const o = embedded(fs.readFileSync(target, 'utf8'));
      assert.strictEqual(o.source.name, `${path.basename(files[0])} and ${files.length - 1} more`);
      assert.ok(o.connections > 0);
      assert.deepStrictEqual(o, wholeOverview(table, o.source));
      const both = await runCli(runAnalyze, [...files, '--summary', '--report', target]);
      assert.strictEqual(both.out, (await runCli(runAnalyze, [...files, '--summary'])).out);
      assert.deepStrictEqual(embedded(fs.readFileSync(target, 'utf8')), o);
    });

  it('reports bad arguments and unreadable input with exit 2', async () => {
    const target = path.join(dir, 'x.html');
    assert.strictEqual((await runCli(runAnalyze, [path.join(KERNEL, '01-client-active-close.pcap'), '--report', target, '--with', path.join(KERNEL, '01-client-active-close.pcap')])).code, 2);
    const missing = await runCli(runAnalyze, [path.join(dir, 'missing.pcap'), '--report', target]);
    assert.strictEqual(missing.code, 2);
    assert.match(missing.err, /cannot read/);
    const bad = await runCli(runAnalyze, [path.join(KERNEL, '01-client-active-close.pcap'), '--report', path.join(dir, 'no/such/dir/x.html')]);
    assert.strictEqual(bad.code, 2);
    assert.match(bad.err, /cannot write/);
    const badBeside = await runCli(runAnalyze, [path.join(KERNEL, '01-client-active-close.pcap'), '--json', '--report', path.join(dir, 'no/such/dir/x.html')]);
    assert.strictEqual(badBeside.code, 2);
    assert.match(badBeside.err, /cannot write/);
  });
});
