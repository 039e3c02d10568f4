/**
 * The two TextMate grammars (syntaxes/) tokenized headlessly with vscode-textmate and the
 * Oniguruma WASM build, as VS Code does: scopes of real fixture lines, and every line of every
 * fixture tokenizes.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';

const ROOT = path.join(__dirname, '../../../..');
const TCPDUMP = 'source.tcpdump-text';
const TRACE = 'source.tcp-trace';

interface Token {
  text: string;
  start: number;
  scopes: string[];
}

let registry: vsctm.Registry;
const grammars = new Map<string, vsctm.IGrammar>();

function grammarFile(scopeName: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    contributes: { grammars: { scopeName: string; path: string }[] };
  };
  const g = pkg.contributes.grammars.find((x) => x.scopeName === scopeName);
  assert.ok(g, `package.json contributes no grammar ${scopeName}`);
  return path.join(ROOT, g.path);
}

async function grammar(scopeName: string): Promise<vsctm.IGrammar> {
  let g = grammars.get(scopeName);
  if (g === undefined) {
    const loaded = await registry.loadGrammar(scopeName);
    assert.ok(loaded, `grammar ${scopeName} did not load`);
    g = loaded;
    grammars.set(scopeName, g);
  }
  return g;
}

/** Tokens of each line, the rule stack carried from line to line as the editor does. */
function tokenizeLines(g: vsctm.IGrammar, lines: readonly string[]): Token[][] {
  let stack = vsctm.INITIAL;
  return lines.map((line) => {
    const r = g.tokenizeLine(line, stack, 1000);
    assert.ok(!r.stoppedEarly, `tokenizing stopped early on: ${line}`);
    stack = r.ruleStack;
    return r.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), start: t.startIndex, scopes: t.scopes }));
  });
}

async function tokens(scopeName: string, line: string): Promise<Token[]> {
  return tokenizeLines(await grammar(scopeName), [line])[0];
}

/**
 * The scopes of the token that is exactly `text` (the `nth` such token, 0-based), or fails
 * listing the line's tokens.
 */
function scopesOf(toks: Token[], text: string, nth = 0): string[] {
  const hits = toks.filter((t) => t.text === text);
  if (hits.length <= nth) {
    const dump = toks.map((t) => `${JSON.stringify(t.text)} ${t.scopes.slice(1).join(' ')}`).join('\n  ');
    assert.fail(`no token ${JSON.stringify(text)} (#${nth}) in:\n  ${dump}`);
  }
  return hits[nth].scopes;
}

function hasScope(toks: Token[], text: string, scope: string, nth = 0): void {
  const scopes = scopesOf(toks, text, nth);
  assert.ok(
    scopes.some((s) => s === scope || s.startsWith(scope + '.')),
    `${JSON.stringify(text)} has scopes ${scopes.join(' ')}, expected ${scope}`,
  );
}

function lacksScope(toks: Token[], text: string, scope: string, nth = 0): void {
  const scopes = scopesOf(toks, text, nth);
  assert.ok(
    !scopes.some((s) => s === scope || s.startsWith(scope + '.')),
    `${JSON.stringify(text)} should not be ${scope}: ${scopes.join(' ')}`,
  );
}

/** The tokens carrying `scope`, in order. */
function inside(toks: Token[], scope: string): Token[] {
  return toks.filter((t) => t.scopes.some((s) => s === scope || s.startsWith(scope + '.')));
}

function fixtureLine(rel: string, pred: (line: string) => boolean): string {
  const lines = fs.readFileSync(path.join(ROOT, rel), 'utf8').split(/\r?\n/);
  const line = lines.find(pred);
  assert.ok(line !== undefined, `no such line in ${rel}`);
  return line;
}

function fixtures(dir: string, re: RegExp): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir))
    .filter((f) => re.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

before(async () => {
  const wasm = fs.readFileSync(path.join(ROOT, 'node_modules/vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const onigLib: Promise<vsctm.IOnigLib> = Promise.resolve({
    createOnigScanner: (sources: string[]) => new oniguruma.OnigScanner(sources),
    createOnigString: (s: string) => new oniguruma.OnigString(s),
  });
  registry = new vsctm.Registry({
    onigLib,
    loadGrammar: async (scopeName) => {
      if (scopeName !== TCPDUMP && scopeName !== TRACE) return null;
      const file = grammarFile(scopeName);
      return vsctm.parseRawGrammar(fs.readFileSync(file, 'utf8'), file);
    },
  });
});

describe('grammar files', () => {
  for (const [scopeName, file] of [
    [TCPDUMP, 'syntaxes/tcpdump-text.tmLanguage.json'],
    [TRACE, 'syntaxes/tcp-trace.tmLanguage.json'],
  ]) {
    it(`${file} is JSON with scopeName ${scopeName}, as package.json names it`, () => {
      const raw = JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as {
        scopeName: string;
        patterns: unknown[];
        repository: Record<string, unknown>;
      };
      assert.strictEqual(raw.scopeName, scopeName);
      assert.strictEqual(path.resolve(grammarFile(scopeName)), path.resolve(ROOT, file));
      assert.ok(raw.patterns.length > 0);
      // Every include names a repository entry.
      const text = JSON.stringify(raw);
      for (const m of text.matchAll(/"include":"#([^"]+)"/g))
        assert.ok(m[1] in raw.repository, `#${m[1]} is not in the repository`);
    });
  }

  for (const file of ['language-configuration.tcpdump.json', 'language-configuration.tcptrace.json']) {
    it(`${file} parses, with # comments and bracket pairs`, () => {
      const conf = JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as {
        comments: { lineComment: string };
        brackets: string[][];
        wordPattern?: string;
      };
      assert.strictEqual(conf.comments.lineComment, '#');
      assert.ok(conf.brackets.some(([o, c]) => o === '[' && c === ']'));
      assert.ok(conf.brackets.some(([o, c]) => o === '(' && c === ')'));
      if (conf.wordPattern !== undefined) assert.doesNotThrow(() => new RegExp(conf.wordPattern as string));
    });
  }

  it('package.json points the two languages at these configuration files', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      contributes: { languages: { id: string; configuration: string }[] };
    };
    for (const l of pkg.contributes.languages) {
      if (l.id !== 'tcpdump-text' && l.id !== 'tcp-trace') continue;
      assert.ok(fs.existsSync(path.join(ROOT, l.configuration)), `${l.configuration} is missing`);
    }
  });
});

describe('tcpdump-text grammar', () => {
  it('scopes a FIN segment: timestamp, IP, addresses, ports, direction, flags, fields', async () => {
    const line = fixtureLine('test/fixtures/kernel/01-client-active-close.txt', (l) => l.includes('Flags [F.]'));
    const t = await tokens(TCPDUMP, line);
    hasScope(t, line.slice(0, 15), 'constant.numeric.timestamp');
    hasScope(t, 'IP', 'keyword.other.protocol');
    hasScope(t, '10.88.0.1', 'constant.other.address.ipv4');
    hasScope(t, '10.88.0.2', 'constant.other.address.ipv4');
    hasScope(t, '>', 'keyword.operator.direction');
    hasScope(t, 'Flags', 'keyword.other.flags');
    hasScope(t, 'F', 'keyword.control.flag.fin');
    hasScope(t, 'F', 'meta.flags');
    assert.deepStrictEqual(
      inside(t, 'meta.flags').map((x) => [x.text, x.scopes[x.scopes.length - 1]]),
      [
        ['Flags', 'keyword.other.flags.tcpdump-text'],
        [' ', 'meta.flags.tcpdump-text'],
        ['[', 'punctuation.section.brackets.begin.tcpdump-text'],
        ['F', 'keyword.control.flag.fin.tcpdump-text'],
        ['.', 'keyword.control.flag.ack.tcpdump-text'],
        [']', 'punctuation.section.brackets.end.tcpdump-text'],
      ],
    );
    hasScope(t, 'seq', 'keyword.other.field.seq');
    hasScope(t, 'ack', 'keyword.other.field.ack');
    hasScope(t, 'win', 'keyword.other.field.win');
    hasScope(t, 'length', 'keyword.other.field.length');
    hasScope(t, 'options', 'keyword.other.options');
    hasScope(t, 'nop', 'support.constant.option');
    const seq = /seq (\d+)/.exec(line)?.[1] ?? '';
    hasScope(t, seq, 'constant.numeric.integer.seq');
    const port = /> [\d.]+\.(\d+):/.exec(line)?.[1] ?? '';
    hasScope(t, port, 'constant.numeric.port');
  });

  it('scopes RST and SYN flags and a seq range', async () => {
    const rst = await tokens(
      TCPDUMP,
      fixtureLine('test/fixtures/kernel/08-refused-closed-port.txt', (l) => l.includes('Flags [R.]')),
    );
    hasScope(rst, 'R', 'keyword.control.flag.rst');
    lacksScope(rst, 'R', 'keyword.control.flag.fin');
    const syn = await tokens(
      TCPDUMP,
      fixtureLine('test/fixtures/kernel/01-client-active-close.txt', (l) => l.includes('Flags [S]')),
    );
    hasScope(syn, 'S', 'keyword.control.flag.syn');
    hasScope(syn, 'mss', 'support.constant.option');
    const data = await tokens(
      TCPDUMP,
      fixtureLine('test/fixtures/kernel/01-client-active-close.txt', (l) => l.includes('Flags [P.]')),
    );
    hasScope(data, 'P', 'keyword.control.flag.psh');
    hasScope(data, '1', 'constant.numeric.integer.seq');
    hasScope(data, ':', 'punctuation.separator.range');
    hasScope(data, '65', 'constant.numeric.integer.seq');
    hasScope(data, 'HTTP: GET /teardown HTTP/1.1', 'string.unquoted.payload');
  });

  it('scopes ECN and URG letters', async () => {
    const t = await tokens(TCPDUMP, 'IP 10.9.0.1.40003 > 10.9.0.2.80: Flags [SEW], seq 1, win 502, length 0');
    hasScope(t, 'S', 'keyword.control.flag.syn');
    hasScope(t, 'E', 'keyword.control.flag.ece');
    hasScope(t, 'W', 'keyword.control.flag.cwr');
    const u = await tokens(
      TCPDUMP,
      'IP 10.9.0.1.40003 > 10.9.0.2.80: Flags [P.U], seq 1:2, ack 1, win 502, urg 1, length 1',
    );
    hasScope(u, 'U', 'keyword.control.flag.urg');
  });

  it('scopes IPv6 addresses and ports', async () => {
    const t = await tokens(
      TCPDUMP,
      fixtureLine('test/fixtures/kernel/13-ipv6-client-close.txt', (l) => l.includes('Flags [F.]')),
    );
    hasScope(t, 'IP6', 'keyword.other.protocol');
    const addrs = t.filter((x) => x.scopes.some((s) => s.startsWith('constant.other.address.ipv6')));
    assert.deepStrictEqual(addrs.map((x) => x.text).sort(), ['fd88::1', 'fd88::2']);
    hasScope(t, '8080', 'constant.numeric.port');
    hasScope(t, 'F', 'keyword.control.flag.fin');
  });

  it('scopes every timestamp style', async () => {
    const cases: [string, string][] = [
      ['01-client-active-close.default.txt', '14:19:08.685522'],
      ['01-client-active-close.tt.txt', '1796566748.685522'],
      ['01-client-active-close.ttt.txt', '00:00:00.000000'],
      ['01-client-active-close.tttt.txt', '2026-12-06 14:19:08.685522'],
      ['01-client-active-close.ttttt.txt', '00:00:00.000000'],
    ];
    for (const [file, ts] of cases) {
      const line = fixtureLine(`test/fixtures/kernel/text/${file}`, (l) => l.includes('Flags [S]'));
      const t = await tokens(TCPDUMP, line);
      hasScope(t, ts, 'constant.numeric.timestamp');
      hasScope(t, 'S', 'keyword.control.flag.syn');
    }
    const nano = await tokens(
      TCPDUMP,
      fixtureLine('test/fixtures/text/craft.nano.txt', (l) => l.includes('Flags [F.]')),
    );
    assert.ok(
      nano[0].scopes.some((s) => s.startsWith('constant.numeric.timestamp')) && /^\d+\.\d{9}$/.test(nano[0].text),
      nano[0].text,
    );
    // -t: no timestamp, the line starts with IP.
    const none = await tokens(
      TCPDUMP,
      fixtureLine('test/fixtures/kernel/text/01-client-active-close.t.txt', (l) => l.includes('Flags [F.]')),
    );
    hasScope(none, 'IP', 'keyword.other.protocol');
    hasScope(none, 'F', 'keyword.control.flag.fin');
  });

  it('scopes the -v two-line form', async () => {
    const lines = fs
      .readFileSync(path.join(ROOT, 'test/fixtures/kernel/text/03-simultaneous-close.v.txt'), 'utf8')
      .split('\n');
    const i = lines.findIndex((l) => l.includes('Flags [F.]'));
    const [head, body] = tokenizeLines(await grammar(TCPDUMP), [lines[i - 1], lines[i]]);
    hasScope(head, 'IP', 'keyword.other.protocol');
    hasScope(head, 'ttl', 'variable.other.field.ip');
    hasScope(head, '[DF]', 'constant.language.ip-flags');
    hasScope(head, 'TCP', 'support.type.protocol');
    hasScope(body, '10.88.0.1', 'constant.other.address.ipv4');
    hasScope(body, 'F', 'keyword.control.flag.fin');
    hasScope(body, 'cksum', 'keyword.other.field.cksum');
    hasScope(body, 'correct', 'constant.language.checksum');
    const v6 = await tokens(
      TCPDUMP,
      fixtureLine('test/fixtures/kernel/text/13-ipv6-client-close.v.txt', (l) => l.includes('Flags [F.]')),
    );
    hasScope(v6, 'hlim', 'variable.other.field.ip');
    hasScope(v6, 'fd88::1', 'constant.other.address.ipv6');
    hasScope(v6, 'F', 'keyword.control.flag.fin');
  });

  it('scopes the -e link header', async () => {
    const t = await tokens(
      TCPDUMP,
      fixtureLine('test/fixtures/kernel/text/01-client-active-close.e.txt', (l) => l.includes('Flags [F.]')),
    );
    hasScope(t, '02:88:00:00:00:01', 'constant.other.mac-address');
    hasScope(t, 'ethertype', 'keyword.other.field.ethertype');
    hasScope(t, '0x0800', 'constant.numeric.hex');
    hasScope(t, '10.88.0.1', 'constant.other.address.ipv4');
    hasScope(t, 'F', 'keyword.control.flag.fin');
    // The link header's `length 66:` is not followed by payload text.
    lacksScope(t, '10.88.0.1', 'string.unquoted.payload');
  });

  it('scopes -# -X frame numbers and hex dump lines', async () => {
    const lines = fs.readFileSync(path.join(ROOT, 'test/fixtures/text/craft.numbered-hex.txt'), 'utf8').split('\n');
    const [frame, hex] = tokenizeLines(await grammar(TCPDUMP), [lines[0], lines[1]]);
    hasScope(frame, '1', 'constant.numeric.integer.frame');
    hasScope(frame, '22:13:20.001000', 'constant.numeric.timestamp');
    hasScope(hex, '0x0000', 'constant.numeric.offset');
    assert.ok(hex.some((x) => x.scopes.some((s) => s.startsWith('constant.numeric.hex'))));
  });

  it('scopes a capture view: header comment, frame number, relative numbers', async () => {
    const view = [
      '# connection 1: 10.88.0.1:40001 -> 10.88.0.2:8080 · graceful · client closed first · 0 findings',
      '    8  18:09:20.576406 IP 10.88.0.1.40001 > 10.88.0.2.8080: Flags [F.], seq 65, ack 201, win 63, length 0',
      '   10  18:09:20.576450 IP 10.88.0.2.8080 > 10.88.0.1.40001: Flags [R], seq 201, win 0, length 0',
      '# 3 more segments are not shown (setting teardownTracer.maxSegmentsShown = 5); open one connection from the Teardown side bar.',
    ];
    const [header, fin, rst, note] = tokenizeLines(await grammar(TCPDUMP), view);
    hasScope(header, '#', 'comment.line.number-sign');
    hasScope(header, '10.88.0.1', 'constant.other.address.ipv4');
    hasScope(header, '10.88.0.1', 'comment.line.number-sign');
    hasScope(header, '40001', 'constant.numeric.port');
    hasScope(header, '->', 'keyword.operator.direction');
    hasScope(fin, '8', 'constant.numeric.integer.frame');
    hasScope(fin, '18:09:20.576406', 'constant.numeric.timestamp');
    hasScope(fin, 'F', 'keyword.control.flag.fin');
    hasScope(fin, '65', 'constant.numeric.integer.seq');
    hasScope(fin, '201', 'constant.numeric.integer.ack');
    hasScope(fin, '63', 'constant.numeric.integer.win');
    hasScope(fin, '0', 'constant.numeric.integer.length');
    hasScope(rst, '10', 'constant.numeric.integer.frame');
    hasScope(rst, 'R', 'keyword.control.flag.rst');
    assert.ok(note.every((x) => x.scopes.some((s) => s.startsWith('comment.line.number-sign'))));
  });

  it('ends an unclosed Flags [ or options [ with its line', async () => {
    const [cut, next] = tokenizeLines(await grammar(TCPDUMP), [
      'IP 10.0.0.1.1 > 10.0.0.2.2: Flags [S.], seq 1, ack 1, win 5, options [mss 1460,',
      'IP 10.0.0.1.1 > 10.0.0.2.2: Flags [F.], seq 1, ack 1, win 5, length 0',
    ]);
    hasScope(cut, 'mss', 'support.constant.option');
    hasScope(next, 'F', 'keyword.control.flag.fin');
    lacksScope(next, 'IP', 'meta.options');
  });

  it('scopes -i any interface prefixes, ISO times and frames without times', async () => {
    const [any, iso, frame] = tokenizeLines(await grammar(TCPDUMP), [
      '18:09:20.375364 lo    In  IP 127.0.0.1.47798 > 127.0.0.1.18080: Flags [S], seq 1, win 5, length 0',
      '2026-11-21T18:09:20.375364Z IP 10.0.0.1.1 > 10.0.0.2.2: Flags [R], seq 1, win 0, length 0',
      '   12  IP 10.0.0.1.1 > 10.0.0.2.2: Flags [R.], seq 1, ack 1, win 0, length 0',
    ]);
    hasScope(any, 'lo', 'entity.name.tag.interface');
    hasScope(any, 'In', 'keyword.other.direction');
    hasScope(any, '127.0.0.1', 'constant.other.address.ipv4');
    hasScope(iso, '2026-11-21T18:09:20.375364Z', 'constant.numeric.timestamp');
    hasScope(frame, '12', 'constant.numeric.integer.frame');
    hasScope(frame, 'R', 'keyword.control.flag.rst');
  });

  it('leaves payload lines (-A, -v HTTP) plain', async () => {
    const [get, host] = tokenizeLines(await grammar(TCPDUMP), ['\tGET /teardown HTTP/1.1', '\tHost: 10.88.0.2']);
    assert.deepStrictEqual(
      get.map((x) => x.scopes),
      [[TCPDUMP]],
    );
    assert.deepStrictEqual(
      host.map((x) => x.scopes),
      [[TCPDUMP]],
    );
  });
});

describe('tcp-trace grammar', () => {
  const NORMAL = 'test/fixtures/text/rfc9293-normal-close.tcptrace';
  const SIMUL = 'test/fixtures/text/rfc9293-simultaneous-close.tcptrace';

  it('scopes the header, step numbers and states', async () => {
    const t = await tokens(
      TRACE,
      fixtureLine(NORMAL, (l) => l.includes('TCP A')),
    );
    hasScope(t, 'TCP', 'entity.name.section.peer');
    hasScope(t, 'A', 'variable.other.peer');
    hasScope(t, 'B', 'variable.other.peer');
    const s = await tokens(
      TRACE,
      fixtureLine(NORMAL, (l) => /^\s*1\./.test(l)),
    );
    hasScope(s, '1', 'constant.numeric.integer.step');
    hasScope(s, 'ESTABLISHED', 'entity.name.type.state');
    hasScope(s, 'ESTABLISHED', 'entity.name.type.state', 1);
  });

  it('scopes a FIN segment line: arrows, fields, control bits, states', async () => {
    const t = await tokens(
      TRACE,
      fixtureLine(NORMAL, (l) => l.includes('FIN-WAIT-1')),
    );
    hasScope(t, 'FIN-WAIT-1', 'entity.name.type.state');
    hasScope(t, 'CLOSE-WAIT', 'entity.name.type.state');
    hasScope(t, '-->', 'keyword.operator.arrow.right');
    hasScope(t, '-->', 'keyword.operator.arrow.right', 1);
    hasScope(t, 'SEQ', 'keyword.other.field');
    hasScope(t, '100', 'constant.numeric.integer');
    hasScope(t, '100', 'meta.segment-field');
    hasScope(t, 'ACK', 'keyword.other.field');
    hasScope(t, '300', 'constant.numeric.integer');
    hasScope(t, 'CTL', 'keyword.other.field.ctl');
    hasScope(t, 'FIN', 'keyword.control.flag.fin');
    hasScope(t, 'ACK', 'keyword.control.flag.ack', 1);
    hasScope(t, '<', 'punctuation.definition.field.begin');
    hasScope(t, '=', 'keyword.operator.assignment');
    const back = await tokens(
      TRACE,
      fixtureLine(NORMAL, (l) => l.includes('FIN-WAIT-2')),
    );
    hasScope(back, '<--', 'keyword.operator.arrow.left');
    hasScope(back, 'FIN-WAIT-2', 'entity.name.type.state');
  });

  it('scopes in-flight markers and CLOSING', async () => {
    const t = await tokens(
      TRACE,
      fixtureLine(SIMUL, (l) => l.includes('CLOSING')),
    );
    hasScope(t, 'CLOSING', 'entity.name.type.state');
    hasScope(t, '...', 'keyword.operator.arrow.in-flight');
    hasScope(t, '3', 'constant.numeric.integer.step');
  });

  it('scopes (Close) and (2 MSL) annotations', async () => {
    const c = await tokens(
      TRACE,
      fixtureLine(NORMAL, (l) => l.includes('(Close)')),
    );
    hasScope(c, 'Close', 'support.function.event.close');
    hasScope(c, '(', 'punctuation.definition.annotation.begin');
    const m = await tokens(
      TRACE,
      fixtureLine(NORMAL, (l) => l.includes('(2 MSL)')),
    );
    hasScope(m, '2 MSL', 'support.constant.event.timeout');
    const r = await tokens(TRACE, '      CLOSED      (duplicate)');
    hasScope(r, 'duplicate', 'string.unquoted.remark');
    hasScope(r, 'CLOSED', 'entity.name.type.state');
  });

  it('scopes the extensions: endpoints, directives, times, comments, RST, data', async () => {
    const lines = [
      '# t0 = 1700000000.25',
      '# A = 10.0.0.1:40000',
      '# B = [2001:db8::2]:80',
      '# the abortive close',
      '      TCP A (10.0.0.1:40000)                               TCP B (10.0.0.2:80)',
      '  2.  ESTABLISHED --> <SEQ=100><ACK=300><CTL=RST,ACK><DATA=64>  --> CLOSED   @1.250  # reset',
      '  3.  SYN_RCVD    <-- <SEQ=5><CTL=SYN><WND=512> <-- SYN-SENT @+0.2',
    ];
    const [t0, a, b, comment, header, rst, syn] = tokenizeLines(await grammar(TRACE), lines);
    hasScope(t0, 't0', 'keyword.other.directive');
    hasScope(t0, '1700000000.25', 'constant.numeric.timestamp');
    hasScope(a, 'A', 'keyword.other.directive');
    hasScope(a, '10.0.0.1', 'constant.other.address.ipv4');
    hasScope(a, '40000', 'constant.numeric.port');
    hasScope(b, '2001:db8::2', 'constant.other.address.ipv6');
    hasScope(b, '80', 'constant.numeric.port');
    assert.ok(comment.every((x) => x.scopes.some((s) => s.startsWith('comment.line.number-sign'))));
    hasScope(header, '10.0.0.1', 'constant.other.address.ipv4');
    hasScope(header, '10.0.0.2', 'constant.other.address.ipv4');
    hasScope(header, '80', 'constant.numeric.port');
    hasScope(header, 'TCP', 'entity.name.section.peer', 1);
    hasScope(rst, 'RST', 'keyword.control.flag.rst');
    hasScope(rst, 'DATA', 'keyword.other.field');
    hasScope(rst, '64', 'constant.numeric.integer');
    hasScope(rst, '1.250', 'constant.numeric.timestamp');
    hasScope(rst, '@', 'punctuation.definition.time');
    hasScope(rst, '#', 'punctuation.definition.comment');
    hasScope(rst, ' reset', 'comment.line.number-sign');
    hasScope(syn, 'SYN_RCVD', 'entity.name.type.state');
    hasScope(syn, 'SYN-SENT', 'entity.name.type.state');
    hasScope(syn, 'SYN', 'keyword.control.flag.syn');
    hasScope(syn, 'WND', 'keyword.other.field');
    hasScope(syn, '+', 'keyword.operator.relative');
  });

  it('scopes per-field keys and numbers, and ends an unclosed <CTL= with its line', async () => {
    const [seg, next] = tokenizeLines(await grammar(TRACE), [
      '  4.  ESTABLISHED--> <SEQ=5><ACK=7><CTL=SYN',
      '  5.  CLOSED',
    ]);
    hasScope(seg, 'ESTABLISHED', 'entity.name.type.state');
    hasScope(seg, 'SEQ', 'keyword.other.field.seq');
    hasScope(seg, '5', 'constant.numeric.integer.seq');
    hasScope(seg, 'ACK', 'keyword.other.field.ack');
    hasScope(seg, '7', 'constant.numeric.integer.ack');
    hasScope(seg, 'SYN', 'keyword.control.flag.syn');
    hasScope(next, '5', 'constant.numeric.integer.step');
    hasScope(next, 'CLOSED', 'entity.name.type.state');
  });

  it('does not take parts of words for states', async () => {
    const t = await tokens(TRACE, 'A CLOSED-LOOP controller, PRECLOSING');
    assert.ok(!t.some((x) => x.scopes.some((s) => s.startsWith('entity.name.type.state'))), JSON.stringify(t));
  });
});

describe('every fixture line tokenizes', () => {
  const sets: [string, string[]][] = [
    [
      TCPDUMP,
      [
        ...fixtures('test/fixtures/kernel', /\.txt$/),
        ...fixtures('test/fixtures/kernel/text', /\.txt$/),
        ...fixtures('test/fixtures/text', /\.txt$/),
      ],
    ],
    [TRACE, fixtures('test/fixtures/text', /\.tcptrace$/)],
  ];
  for (const [scopeName, files] of sets) {
    it(`${scopeName}: ${files.length} files`, async () => {
      assert.ok(files.length > 0);
      const g = await grammar(scopeName);
      let packets = 0;
      for (const f of files) {
        const lines = fs.readFileSync(path.join(ROOT, f), 'utf8').split(/\r?\n/);
        const all = tokenizeLines(g, lines);
        all.forEach((toks, i) => {
          // Tokens cover the line exactly.
          assert.strictEqual(toks.map((x) => x.text).join(''), lines[i] === '' ? '' : lines[i], `${f}:${i + 1}`);
          if (scopeName === TCPDUMP && /Flags \[/.test(lines[i])) {
            packets++;
            assert.ok(
              toks.some((x) => x.scopes.some((s) => s.startsWith('meta.flags'))),
              `${f}:${i + 1}: no flags scope in ${lines[i]}`,
            );
          }
        });
      }
      if (scopeName === TCPDUMP) assert.ok(packets > 1000, `${packets} packet lines`);
    });
  }
});
