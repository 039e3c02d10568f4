/**
 * The per-step state table (Markdown) on kernel-made captures and on the RFC 9293 figures: the
 * columns the literature prints, each side's state before and after every segment, the segment in
 * RFC notation with relative or absolute numbers.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analyze, type Analysis } from '../../../src/core/engine';
import { stateTableMarkdown } from '../../../src/core/report/stateTable';
import { loadTrace } from '../../../src/node/loadTrace';
import { ACK, FIN, PSH, SYN } from '../../../src/core/model/segment';
import { run } from '../engine/scenario';

const ROOT = path.resolve(__dirname, '../../../..');
const KERNEL = path.join(ROOT, 'test/fixtures/kernel');
const FIGURES = path.join(ROOT, 'test/unit/server/fixtures');

function load(file: string, languageId?: string): Analysis {
  const l = languageId ? loadTrace({ text: fs.readFileSync(file, 'utf8'), languageId }) : loadTrace(file);
  assert.strictEqual(l.error, null);
  assert.deepStrictEqual(l.parseErrors, []);
  return analyze(l.table, {}, l.steps);
}

/** The table's body rows as cells (header, separator and start row dropped). */
function rows(md: string): string[][] {
  return md
    .split('\n')
    .filter((l) => /^\| \d+ \| \d+ \|/.test(l))
    .map((l) => l.slice(2, -2).split(' | '));
}

describe('state table (Markdown)', () => {
  it('has the columns Step | Frame | Client from | Client to | Segment | Server from | Server to', () => {
    const a = load(path.join(KERNEL, '01-client-active-close.pcap'));
    const md = stateTableMarkdown(a, a.connections[0]);
    const lines = md.split('\n');
    assert.strictEqual(lines[0], '### Connection 1: client 10.88.0.1:40001 → server 10.88.0.2:8080');
    assert.strictEqual(lines[2], '| Step | Frame | Client from | Client to | Segment | Server from | Server to |');
    assert.strictEqual(lines[3], '|---:|---:|---|---|---|---|---|');
    assert.strictEqual(lines[4], '| 0 | | | CLOSED | *(start)* | | LISTEN |');
  });

  it('prints the client-initiated close step by step, with relative numbers (kernel capture 01)', () => {
    const a = load(path.join(KERNEL, '01-client-active-close.pcap'));
    const body = rows(stateTableMarkdown(a, a.connections[0]));
    assert.strictEqual(body.length, a.connections[0].rows.length);
    const close = body.slice(-4);
    assert.deepStrictEqual(close, [
      ['8', '8', 'ESTABLISHED', 'FIN-WAIT-1', '→ `<SEQ=65><ACK=201><CTL=FIN,ACK>`', 'ESTABLISHED', 'CLOSE-WAIT'],
      ['9', '9', 'FIN-WAIT-1', 'FIN-WAIT-2', '← `<SEQ=201><ACK=66><CTL=ACK>`', 'CLOSE-WAIT', ''],
      ['10', '10', 'FIN-WAIT-2', 'TIME-WAIT', '← `<SEQ=201><ACK=66><CTL=FIN,ACK>`', 'CLOSE-WAIT', 'LAST-ACK'],
      ['11', '11', 'TIME-WAIT', '', '→ `<SEQ=66><ACK=202><CTL=ACK>`', 'LAST-ACK', 'CLOSED'],
    ]);
    assert.match(stateTableMarkdown(a, a.connections[0]), /\nFinal: client TIME-WAIT \(CLOSED after 2 MSL = 60 s\), server CLOSED\.\n$/);
  });

  it('prints absolute numbers when asked', () => {
    const a = load(path.join(KERNEL, '01-client-active-close.pcap'));
    const c = a.connections[0];
    const fin = c.rows.find((r) => a.table.flags[r] & FIN && a.rowDir[r] === 0)!;
    const md = stateTableMarkdown(a, c, { relative: false });
    assert.ok(md.includes(`<SEQ=${a.table.seq[fin]}><ACK=${a.table.ack[fin]}><CTL=FIN,ACK>`));
    assert.ok(!md.includes('<SEQ=65><ACK=201><CTL=FIN,ACK>'));
  });

  it('numbers lines for RFC figures and shows the normal close as RFC 9293 draws it', () => {
    const a = load(path.join(FIGURES, 'normal-close.tcptrace'), 'tcp-trace');
    const body = rows(stateTableMarkdown(a, a.connections[0], { relative: false }));
    assert.ok(stateTableMarkdown(a, a.connections[0]).includes('| Step | Line |'));
    assert.deepStrictEqual(
      body.map((r) => [r[2], r[3], r[4], r[5], r[6]]),
      [
        ['FIN-WAIT-1', '', '→ `<SEQ=100><ACK=300><CTL=FIN,ACK>`', 'ESTABLISHED', 'CLOSE-WAIT'],
        ['FIN-WAIT-1', 'FIN-WAIT-2', '← `<SEQ=300><ACK=101><CTL=ACK>`', 'CLOSE-WAIT', ''],
        ['FIN-WAIT-2', 'TIME-WAIT', '← `<SEQ=300><ACK=101><CTL=FIN,ACK>`', 'LAST-ACK', ''],
        ['TIME-WAIT', '', '→ `<SEQ=101><ACK=301><CTL=ACK>`', 'LAST-ACK', 'CLOSED'],
      ],
    );
    assert.deepStrictEqual(body.map((r) => r[1]), ['6', '8', '11', '13']);
  });

  it('shows data and flags of an engine scenario across the sequence-number wrap', () => {
    const a = run([
      { dir: 'c>s', flags: SYN, seq: 0, t: 0 },
      { dir: 's>c', flags: SYN | ACK, seq: 0, ack: 1, t: 0.001 },
      { dir: 'c>s', flags: ACK, seq: 1, ack: 1, t: 0.002 },
      { dir: 'c>s', flags: PSH | ACK, seq: 1, ack: 1, len: 100, t: 0.003 },
      { dir: 's>c', flags: FIN | ACK, seq: 1, ack: 101, t: 0.004 },
    ]);
    const md = stateTableMarkdown(a, a.connections[0]);
    const body = rows(md);
    assert.strictEqual(body[3][4], '→ `<SEQ=1><ACK=1><CTL=PSH,ACK><DATA=100>`');
    assert.deepStrictEqual([body[4][5], body[4][6]], ['ESTABLISHED', 'FIN-WAIT-1']);
    // Nothing shows the client receiving the FIN (no ACK of it): its CLOSE-WAIT is inferred, and marked.
    assert.deepStrictEqual([body[4][2], body[4][3]], ['ESTABLISHED', 'CLOSE-WAIT *']);
    assert.match(md, /\\\* inferred from later segments/);
  });
});
