// The model behind the fake host: real captures through the real engine, answered with the pure
// ladder model (src/core/report/ladderModel.ts) exactly as the language server answers
// `teardown/segments`.
import './tsHook.mjs';
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import { fileURLToPath } from 'url';
import { readPcap } from './miniPcap.mjs';

const require = createRequire(import.meta.url);
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const src = (p) => path.join(ROOT, 'src', p);
const { SegmentTable, SegmentView, ACK, FIN, PSH, SYN } = require(src('core/model/segment.ts'));
export const { analyze } = require(src('core/engine/index.ts'));
export const { ladderWindow, ladderSummary } = require(src('core/report/ladderModel.ts'));

const { mergeTraces } = require(src('node/mergeTraces.ts'));
const { filterConnectionIds } = require(src('server/filter.ts'));
const { twoSidedDoc, twoSidedWindow } = require(src('server/twoSided.ts'));

/**
 * Two captures of the same connections merged as the language server merges them ("Add the
 * other side's capture"): the merged analysis and the server's two-sided context.
 */
export async function twoCaptures(file0, file1, keep1 = () => true) {
  const loaded = [];
  for (const f of [file0, file1]) {
    let { table } = await loadCapture(f);
    if (f === file1) {
      // `keep1(row)`: the rows of the second capture kept (a capture started late, say).
      const kept = new SegmentTable(table.length);
      const v = new SegmentView();
      for (let r = 0; r < table.length; r++) {
        table.fillView(r, v);
        if (keep1(r)) kept.append(v);
      }
      table = kept;
    }
    loaded.push({ format: 'pcap', table, input: { format: 'pcap', packets: table.length, tcpSegments: table.length, warnings: [] }, parseErrors: [], steps: undefined, error: null });
  }
  const mt = mergeTraces(loaded, {});
  return { analysis: mt.m.analysis, two: twoSidedDoc(mt, [file0, file1]) };
}

/** Decodes a capture with the project's decoder when it exists, else with the test reader. */
export async function loadCapture(file) {
  const decoder = src('node/captureFile.ts');
  if (fs.existsSync(decoder)) {
    try {
      const { decodeFile } = require(decoder);
      const table = new SegmentTable(64);
      await decodeFile(file, (v) => {
        table.append(v);
      });
      if (table.length > 0) return { table, via: 'src/node/captureFile.ts decodeFile' };
    } catch (e) {
      process.stderr.write(`(decodeFile failed, using the test reader: ${e && e.message})\n`);
    }
  }
  return { table: readPcap(file, SegmentTable, SegmentView), via: 'test/webview/miniPcap.mjs' };
}

/**
 * Appends one segment between 192.0.2.10:`clientPort` and 198.51.100.20:`serverPort` to `table`
 * through the reused `v`, at time `t` (seconds since the epoch).
 */
function appendSegment(table, v, frame, t, c2s, clientPort, serverPort, flags, seq, ack, len) {
  v.frame = frame;
  v.tsSec = Math.floor(t);
  v.tsNsec = Math.round((t - Math.floor(t)) * 1e9) % 1e9;
  v.ipVersion = 4;
  v.src.set(c2s ? [192, 0, 2, 10] : [198, 51, 100, 20]);
  v.dst.set(c2s ? [198, 51, 100, 20] : [192, 0, 2, 10]);
  v.sport = c2s ? clientPort : serverPort;
  v.dport = c2s ? serverPort : clientPort;
  v.seq = seq >>> 0;
  v.ack = ack >>> 0;
  v.flags = flags;
  v.len = len;
  v.win = 502;
  table.append(v);
}

/**
 * A long connection built through the engine: a handshake, `n - 7` data and ACK segments with an
 * idle keepalive gap every 5,000 segments, and a four-way close.
 */
export function longConnection(n) {
  const table = new SegmentTable(n + 16);
  const v = new SegmentView();
  const C = 0xfffff000;
  const S = 0x7fff0000;
  let t = 1_800_000_000;
  let frame = 0;
  let cseq = C;
  let sseq = S;
  const put = (c2s, flags, seq, ack, len, dt) => {
    t += dt;
    appendSegment(table, v, ++frame, t, c2s, 51000, 443, flags, seq, ack, len);
  };
  put(true, SYN, cseq, 0, 0, 0);
  put(false, SYN | ACK, sseq, cseq + 1, 0, 0.0002);
  cseq += 1;
  sseq += 1;
  put(true, ACK, cseq, sseq, 0, 0.0002);
  const body = n - 7;
  for (let i = 0; i < body; i += 2) {
    const idle = i > 0 && i % 5000 === 0 ? 45 : 0.01;
    put(true, PSH | ACK, cseq, sseq, 100, idle);
    cseq = (cseq + 100) >>> 0;
    if (i + 1 < body) put(false, ACK, sseq, cseq, 0, 0.0003);
  }
  put(true, FIN | ACK, cseq, sseq, 0, 0.5);
  put(false, ACK, sseq, cseq + 1, 0, 0.0003);
  put(false, FIN | ACK, sseq, cseq + 1, 0, 0.002);
  put(true, ACK, cseq + 1, sseq + 1, 0, 0.0003);
  while (table.length > n) table.length--;
  return table;
}

/**
 * `n` short connections (handshake, FIN from the client, its ACK, FIN from the server, its ACK),
 * one after the other, each from its own client port: a trace whose picker needs pages.
 */
export function manyConnections(n) {
  const table = new SegmentTable(n * 7 + 16);
  const v = new SegmentView();
  let t = 1_800_000_000;
  let frame = 0;
  for (let i = 0; i < n; i++) {
    const port = 10000 + i;
    const C = (0x10000000 + i * 7919) >>> 0;
    const S = (0x70000000 + i * 104729) >>> 0;
    const put = (c2s, flags, seq, ack) => {
      t += 0.001;
      appendSegment(table, v, ++frame, t, c2s, port, 80, flags, seq, ack, 0);
    };
    put(true, SYN, C, 0);
    put(false, SYN | ACK, S, C + 1);
    put(true, ACK, C + 1, S + 1);
    put(true, FIN | ACK, C + 1, S + 1);
    put(false, ACK, S + 1, C + 2);
    put(false, FIN | ACK, S + 1, C + 2);
    put(true, ACK, C + 2, S + 2);
  }
  return table;
}

/**
 * A fake language server over one analysis: the requests the diagram host sends. Document lines
 * are faked as "one line per segment, in table order" (the capture view's layout).
 */
export function fakeServer(analyses, twoSided = new Map()) {
  const lineOf = (row) => row;
  return {
    calls: [],
    async request(type, params) {
      this.calls.push({ method: type.method, params });
      const a = analyses.get(params.uri);
      if (!a) throw new Error(`unknown document ${params.uri}`);
      switch (type.method) {
        case 'teardown/segments': {
          const w = ladderWindow(a, params.connection, params.start, params.count, lineOf);
          // Two captures merged: what the server adds (src/server/twoSided.ts).
          const two = twoSided.get(params.uri);
          return two ? twoSidedWindow(two, w) : w;
        }
        case 'teardown/connections': {
          // The paging of the real server, and its display filter (no counts: the diagram needs none).
          let conns = a.connections;
          const filterErrors = [];
          if (params.filter) {
            const f = filterConnectionIds(a, params.filter);
            if (f.ids) conns = conns.filter((c) => f.ids.has(c.id));
            else filterErrors.push(...f.errors);
          }
          if (params.withFindings) conns = conns.filter((c) => c.findings.length > 0);
          if (params.ids) conns = conns.filter((c) => params.ids.includes(c.id));
          const offset = Math.min(conns.length, params.offset ?? 0);
          const end = Math.min(conns.length, offset + (params.limit ?? conns.length));
          return {
            input: { format: 'pcap', packets: a.table.length, tcpSegments: a.table.length, warnings: [] },
            connections: conns.slice(offset, end).map((c) => ladderSummary(a, c, lineOf, params.includeExplanations === true)),
            total: conns.length,
            offset,
            filterErrors,
          };
        }
        case 'teardown/export':
          return { text: `${params.kind} of #${params.connection}` };
        default:
          throw new Error(`unexpected request ${type.method}`);
      }
    },
  };
}
