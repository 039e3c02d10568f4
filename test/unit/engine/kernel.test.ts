/**
 * The engine against the Linux kernel: every capture in test/fixtures/kernel was made by the real
 * stack between two network namespaces (test/fixtures/kernel/generate.py), with `ss` recording each
 * socket's final state. For every connection the engine's answer must equal the kernel's.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analyze, type Analysis, type Connection } from '../../../src/core/engine';
import { loadTrace } from '../../../src/node/loadTrace';

const DIR = path.join(__dirname, '../../../../test/fixtures/kernel');

interface TruthConnection {
  id: string;
  four_tuple: { client_addr: string; client_port: number; server_addr: string; server_port: number };
  instance_of_tuple?: number;
  who_closed_first: string;
  rst: { occurred: boolean; sent_by: string[] };
  final_state: { client: { rfc9293: string }; server: { rfc9293: string } };
  findings: { required: string[]; acceptable: string[] };
}

function fixtures(): string[] {
  if (!fs.existsSync(DIR)) return [];
  return fs
    .readdirSync(DIR)
    .filter((f) => /^\d\d-.*\.json$/.test(f))
    .sort();
}

function find(a: Analysis, t: TruthConnection): Connection | undefined {
  const ft = t.four_tuple;
  const same = a.connections.filter(
    (c) =>
      c.client.addr === ft.client_addr &&
      c.client.port === ft.client_port &&
      c.server.addr === ft.server_addr &&
      c.server.port === ft.server_port,
  );
  return same[(t.instance_of_tuple ?? 1) - 1];
}

function analyzeFile(file: string): Analysis {
  const loaded = loadTrace(file);
  assert.strictEqual(loaded.error, null, `${file}: ${loaded.error}`);
  return analyze(loaded.table);
}

describe('engine equals the Linux kernel on the project fixtures', () => {
  const names = fixtures();
  it('has kernel fixtures', () => {
    assert.ok(names.length >= 10, `expected at least 10 kernel fixtures in ${DIR}, found ${names.length}`);
  });
  for (const name of names) {
    const truth = JSON.parse(fs.readFileSync(path.join(DIR, name), 'utf8')) as { connections: TruthConnection[] };
    const base = name.replace(/\.json$/, '');
    for (const variant of ['.pcap', '.pcapng', '-nsec.pcap', '.txt']) {
      const file = path.join(DIR, base + variant);
      if (!fs.existsSync(file)) continue;
      it(`${base}${variant}`, () => {
        const a = analyzeFile(file);
        assert.strictEqual(a.connections.length, truth.connections.length, 'number of connections');
        for (const t of truth.connections) {
          const c = find(a, t);
          assert.ok(c, `connection ${t.id} found`);
          assert.deepStrictEqual(
            c.finalState,
            { client: t.final_state.client.rfc9293, server: t.final_state.server.rfc9293 },
            `${t.id}: final states as ss reported them`,
          );
          assert.strictEqual(c.closeInitiator, t.who_closed_first, `${t.id}: who closed first`);
          assert.strictEqual(c.reset?.by ?? null, t.rst.occurred ? t.rst.sent_by[0] : null, `${t.id}: reset by`);
          const codes: string[] = [...new Set(c.findings.map((f) => f.code as string))].sort();
          for (const req of t.findings.required) assert.ok(codes.includes(req), `${t.id}: required finding ${req} in ${codes}`);
          const allowed = new Set<string>([...t.findings.required, ...t.findings.acceptable]);
          for (const code of codes) assert.ok(allowed.has(code), `${t.id}: unexpected finding ${code}`);
        }
      });
    }
  }
});
