/**
 * The grammars agree with the parsers: what the parser reads as a state claim, an event, a
 * segment or a packet, the grammar colours as one (tokenized headlessly, as VS Code does).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';
import { analyze, STATES } from '../../../src/core/engine';
import { parseRfcTrace } from '../../../src/core/text/rfc';
import { toRfcTrace, toTcpdumpText } from '../../../src/core/text/render';
import { parseTcpdump } from '../../../src/core/text/tcpdump';
import { loadCapture } from '../../../src/node/loadTrace';

const ROOT = path.join(__dirname, '../../../..');
const TEXT = path.join(ROOT, 'test/fixtures/text');

type Line = { start: number; end: number; scopes: string[] }[];

async function loadGrammars(): Promise<{ tcpdump: vsctm.IGrammar; trace: vsctm.IGrammar }> {
  const wasm = fs.readFileSync(path.join(ROOT, 'node_modules/vscode-oniguruma/release/onig.wasm'));
  try {
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  } catch {
    // already loaded by another test file of this run
  }
  const files: Record<string, string> = {
    'source.tcpdump-text': path.join(ROOT, 'syntaxes/tcpdump-text.tmLanguage.json'),
    'source.tcp-trace': path.join(ROOT, 'syntaxes/tcp-trace.tmLanguage.json'),
  };
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (s: string[]) => new oniguruma.OnigScanner(s),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) => (files[scopeName] ? vsctm.parseRawGrammar(fs.readFileSync(files[scopeName], 'utf8'), files[scopeName]) : null),
  });
  const tcpdump = await registry.loadGrammar('source.tcpdump-text');
  const trace = await registry.loadGrammar('source.tcp-trace');
  assert.ok(tcpdump && trace);
  return { tcpdump, trace };
}

function tokenize(g: vsctm.IGrammar, text: string): Line[] {
  let stack = vsctm.INITIAL;
  return text.split(/\r?\n/).map((line) => {
    const r = g.tokenizeLine(line, stack, 1000);
    stack = r.ruleStack;
    return r.tokens.map((t) => ({ start: t.startIndex, end: t.endIndex, scopes: t.scopes }));
  });
}

/** Every character of [start, end) carries a scope starting with `scope`. */
function covered(line: Line, start: number, end: number, scope: string): boolean {
  for (let c = start; c < end; c++) {
    const t = line.find((x) => x.start <= c && c < x.end);
    if (t === undefined || !t.scopes.some((s) => s.startsWith(scope))) return false;
  }
  return true;
}

function anyScope(line: Line, scope: string): boolean {
  return line.some((t) => t.scopes.some((s) => s.startsWith(scope)));
}

const RFC_FIGURES: [string, () => string][] = [
  ['normal close fixture', () => fs.readFileSync(path.join(TEXT, 'rfc9293-normal-close.tcptrace'), 'utf8')],
  ['simultaneous close fixture', () => fs.readFileSync(path.join(TEXT, 'rfc9293-simultaneous-close.tcptrace'), 'utf8')],
  ['the whole seed document', () => fs.readFileSync(path.join(TEXT, 'seed-002-tcp-connection-closing.txt'), 'utf8')],
  [
    'a rendered kernel connection',
    () => {
      const cap = loadCapture(path.join(ROOT, 'test/fixtures/kernel/13-ipv6-client-close.pcap')).table;
      const a = analyze(cap);
      const c = a.connections[0];
      return toRfcTrace(cap, c.rows, { a: c.rows.map((r) => STATES[a.clientAfter[r]]), b: c.rows.map((r) => STATES[a.serverAfter[r]]) }, { initial: { a: 'CLOSED', b: 'LISTEN' } });
    },
  ],
  [
    'spellings, directives and times',
    () =>
      [
        '# A = 10.0.0.1:40000',
        '# t0 = 1700000000.25',
        '      TCP A                                       TCP B',
        '  1.  ESTAB                                       syn_rcvd',
        '  2.  FIN_WAIT_1 --> <SEQ=1><ACK=1><CTL=FIN,ACK> ... Close-Wait   @0.5',
        '  3.             ... <SEQ=1><ACK=1><CTL=FIN,ACK> --> CLOSE_WAIT   @+1',
        '  4.  (Close)                                     (2 MSL)',
      ].join('\n'),
  ],
];

describe('grammars agree with the parsers', () => {
  let g: { tcpdump: vsctm.IGrammar; trace: vsctm.IGrammar };
  before(async () => {
    g = await loadGrammars();
  });

  for (const [name, text] of RFC_FIGURES) {
    it(`tcp-trace: ${name}: every claim is a state, every event an event, every segment line has arrows and fields`, () => {
      const src = text();
      const p = parseRfcTrace(src);
      assert.deepStrictEqual(p.errors, [], name);
      const lines = tokenize(g.trace, src);
      let checked = 0;
      for (const s of p.steps!) {
        if (s.kind === 'claim') {
          assert.ok(covered(lines[s.line], s.startCol, s.endCol, 'entity.name.type.state'), `${name}:${s.line + 1} ${s.state}`);
        } else if (s.kind === 'close' || s.kind === 'timeout') {
          assert.ok(covered(lines[s.line], s.startCol, s.endCol, 'meta.annotation.event'), `${name}:${s.line + 1} ${s.kind}`);
        } else {
          const l = lines[s.line];
          assert.ok(anyScope(l, 'keyword.operator.arrow') && anyScope(l, 'meta.segment-field'), `${name}:${s.line + 1}`);
        }
        checked++;
      }
      assert.ok(checked > 0);
    });
  }

  const dumps = fs
    .readdirSync(TEXT)
    .filter((f) => /^(lo|craft)\..*\.txt$/.test(f))
    .sort();
  it(`tcpdump-text: in ${dumps.length} real tcpdump outputs and rendered text, every segment the parser reads has flags, addresses and ports`, () => {
    const texts: [string, string][] = dumps.map((f) => [f, fs.readFileSync(path.join(TEXT, f), 'utf8')]);
    texts.push(['rendered', toTcpdumpText(loadCapture(path.join(TEXT, 'lo.pcap')).table)]);
    for (const [name, src] of texts) {
      const p = parseTcpdump(src);
      const lines = tokenize(g.tcpdump, src);
      const raw = src.split(/\r?\n/);
      for (let r = 0; r < p.table.length; r++) {
        const ln = p.table.line[r];
        const l = lines[ln];
        assert.ok(anyScope(l, 'meta.flags'), `${name}:${ln + 1}`);
        const at = raw[ln].indexOf(' > ');
        const before = raw[ln].slice(0, at);
        const port = before.slice(before.lastIndexOf('.') + 1);
        const portAt = at - port.length;
        if (/^\d+$/.test(port)) assert.ok(covered(l, portAt, at, 'constant.numeric.port'), `${name}:${ln + 1} port`);
        assert.ok(anyScope(l, 'constant.other.address'), `${name}:${ln + 1} address`);
      }
    }
  });
});
