/**
 * The Mermaid sequenceDiagram export: participants, one message per segment, `Note over` lines for
 * every state change (both sides at once spanning both), findings as notes, text Mermaid keeps.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analyze, type Analysis } from '../../../src/core/engine';
import { mermaidSequence, mermaidText } from '../../../src/core/report/mermaid';
import { loadTrace } from '../../../src/node/loadTrace';

const ROOT = path.resolve(__dirname, '../../../..');
const KERNEL = path.join(ROOT, 'test/fixtures/kernel');

function load(file: string, languageId?: string): Analysis {
  const l = languageId ? loadTrace({ text: fs.readFileSync(file, 'utf8'), languageId }) : loadTrace(file);
  assert.strictEqual(l.error, null);
  return analyze(l.table, {}, l.steps);
}

describe('Mermaid sequence diagram', () => {
  it('draws the client-initiated close with a note for every state change (kernel capture 01)', () => {
    const a = load(path.join(KERNEL, '01-client-active-close.pcap'));
    const lines = mermaidSequence(a, a.connections[0]).trimEnd().split('\n');
    assert.strictEqual(lines[0], 'sequenceDiagram');
    assert.strictEqual(lines[1], '    participant C as client 10.88.0.1.40001');
    assert.strictEqual(lines[2], '    participant S as server 10.88.0.2.8080');
    const fin = lines.indexOf('    C->>S: frame 8 FIN,ACK seq=65 ack=201');
    assert.ok(fin > 0);
    assert.deepStrictEqual(lines.slice(fin, fin + 3), ['    C->>S: frame 8 FIN,ACK seq=65 ack=201', '    Note over C: FIN-WAIT-1', '    Note over S: CLOSE-WAIT']);
    assert.ok(lines.includes('    Note over C: TIME-WAIT (2 MSL = 60 s)'));
    assert.strictEqual(lines[lines.length - 1], '    Note over S: CLOSED');
    assert.strictEqual(lines.filter((l) => /->>/.test(l)).length, a.connections[0].rows.length);
  });

  it('spans both participants when both change to the same state, and notes findings (simultaneous close)', () => {
    const a = load(path.join(ROOT, 'test/unit/server/fixtures/simultaneous-close.tcptrace'), 'tcp-trace');
    const text = mermaidSequence(a, a.connections[0], { relative: false });
    assert.match(text, /Note over C,S: CLOSING\n/);
    assert.match(text, /Note over C,S: simultaneous-close\n/);
    assert.match(text, /C->>S: line 6 FIN,ACK seq=100 ack=300\n/);
  });

  it('keeps labels free of Mermaid syntax', () => {
    assert.strictEqual(mermaidText('fd88::1.40013; #x <y>'), 'fd88\uA789\uA7891.40013 x y');
    const a = load(path.join(KERNEL, '13-ipv6-client-close.pcap'));
    const text = mermaidSequence(a, a.connections[0]);
    for (const line of text.split('\n').slice(1)) {
      const body = line.replace(/^ {4}(participant \w as |Note over [CS,]+: |[CS]->>[CS]: )/, '');
      assert.ok(!/[;#<>:]/.test(body), `no Mermaid syntax characters in "${line}"`);
    }
  });
});
