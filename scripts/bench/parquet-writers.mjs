#!/usr/bin/env node
// Parquet writers from npm compared on our own tables: the connections and segments of the bench
// capture (120,005 and 1,199,911 rows), the same column values handed to every writer, in one run.
// How ARCHITECTURE.md's choice of writer was made; not part of `npm run bench`.
//
//   npm install --prefix /tmp/pqw parquet-wasm apache-arrow parquetjs-lite   # the candidates we do not ship
//   node scripts/bench/parquet-writers.mjs --modules /tmp/pqw/node_modules [file] [--rows N]
//
// Needs `npm run compile` (the out/ tree) and .bench/loopback-1m.pcap (npm run bench makes it).
// For each writer: the seconds to write both tables (a writer that takes columns gets row groups of
// 65,536 rows; the time includes whatever conversion it needs from our values), the files'
// bytes, and whether DuckDB reads back the same row counts and column types. References in the
// same run: the same rows as JSON lines (JSON.stringify), and DuckDB's own (C++) writer copying
// those JSON lines to Parquet (its time includes parsing the JSON).
import { createRequire } from 'module';
import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const out = (p) => require(path.join(root, 'out/src', p));
const argv = process.argv.slice(2);
let modules = null;
let file = path.join(root, '.bench/loopback-1m.pcap');
let maxRows = Infinity;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--modules') modules = path.resolve(argv[++i]);
  else if (argv[i] === '--rows') maxRows = Number(argv[++i]);
  else file = path.resolve(argv[i]);
}
const candidate = (name) => {
  for (const base of [modules, path.join(root, 'node_modules')]) {
    if (base === null) continue;
    try {
      return require(require.resolve(name, { paths: [base] }));
    } catch {
      /* next */
    }
  }
  return null;
};

const { loadCapture } = out('node/loadTrace.js');
const { analyze } = out('core/engine/index.js');
const { CONNECTION_COLUMNS, SEGMENT_COLUMNS, ColumnBuffer, connectionRows, segmentRows } =
  out('core/report/columns.js');
const { schemaOf, physical } = out('node/parquet.js');

// ---- the tables, in memory ------------------------------------------------------------------
const t0 = performance.now();
const loaded = loadCapture(file);
const a = analyze(loaded.table);
const conns = new ColumnBuffer(CONNECTION_COLUMNS);
const segs = new ColumnBuffer(SEGMENT_COLUMNS);
const shown = a.connections.slice(0, Math.min(a.connections.length, maxRows));
for (const r of connectionRows(a, shown)) conns.add(r);
for (const r of segmentRows(a, shown)) segs.add(r);
const tables = [
  { name: 'connections', columns: CONNECTION_COLUMNS, rows: conns.rows, values: conns.take() },
  { name: 'segments', columns: SEGMENT_COLUMNS, rows: segs.rows, values: segs.take() },
];
process.stderr.write(
  `[parquet-writers] ${tables[0].rows} connections, ${tables[1].rows} segments in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
);

const dir = fs.mkdtempSync(path.join(root, '.bench', 'pqw-'));
const GROUP = 65536; // the row groups analyze writes
const results = [];
const sizeOf = (f) => fs.statSync(f).size;

async function timed(name, write) {
  global.gc?.();
  const start = performance.now();
  let files;
  try {
    files = await write();
  } catch (e) {
    results.push({ name, error: String(e.message ?? e).slice(0, 200) });
    return;
  }
  const seconds = (performance.now() - start) / 1000;
  results.push({ name, seconds, bytes: files.map(sizeOf), files });
}

// ---- hyparquet-writer (ours) ----------------------------------------------------------------
const hw = candidate('hyparquet-writer');
if (hw)
  await timed('hyparquet-writer', () =>
    tables.map((t) => {
      const f = path.join(dir, `hyparquet-${t.name}.parquet`);
      const schema = [
        { name: 'schema', num_children: t.columns.length },
        ...t.columns.flatMap((c) => schemaOf(c.name, c.type)),
      ];
      const w = new hw.ParquetWriter({ writer: new (class extends hw.ByteWriter {})(), schema });
      for (let s = 0; s < t.rows; s += GROUP) {
        const columnData = t.columns.map((c, j) => ({
          name: c.name,
          data: physical(c.type, t.values[j].slice(s, s + GROUP)),
        }));
        w.write({ columnData, rowGroupSize: GROUP });
      }
      w.finish();
      fs.writeFileSync(f, w.writer.getBytes());
      return f;
    }),
  );

// ---- parquet-wasm (Rust's parquet crate in WebAssembly) fed by apache-arrow -----------------------
const arrow = candidate('apache-arrow');
const pw = candidate('parquet-wasm');
if (arrow && pw)
  await timed('parquet-wasm + apache-arrow', () =>
    tables.map((t) => {
      const f = path.join(dir, `wasm-${t.name}.parquet`);
      const typeOf = (type) =>
        ({
          string: new arrow.Utf8(), // Rust's writer makes the Parquet dictionaries itself
          int32: new arrow.Int32(),
          int64: new arrow.Int64(),
          double: new arrow.Float64(),
          bool: new arrow.Bool(),
          timestamp: new arrow.TimestampMicrosecond('UTC'),
          'string-list': new arrow.List(new arrow.Field('element', new arrow.Utf8(), false)),
        })[type];
      const batches = [];
      for (let s = 0; s < t.rows; s += GROUP) {
        const vectors = {};
        t.columns.forEach((c, j) => {
          let v = t.values[j].slice(s, s + GROUP);
          if (c.type === 'timestamp' && !v.includes(null)) {
            // Arrow's builders take milliseconds: microseconds go straight into the vector's data.
            const data = BigInt64Array.from(v, (x) => BigInt(x));
            vectors[c.name] = arrow.makeVector(arrow.makeData({ type: typeOf(c.type), length: v.length, data }));
            return;
          }
          if (c.type === 'int64') v = v.map((x) => (x === null ? null : BigInt(x)));
          vectors[c.name] = arrow.vectorFromArray(v, typeOf(c.type));
        });
        batches.push(...new arrow.Table(vectors).batches);
      }
      const table = new arrow.Table(batches);
      const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).build();
      fs.writeFileSync(f, pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), props));
      return f;
    }),
  );

// ---- parquetjs-lite (rows as objects) ----------------------------------------------------------
const pj = candidate('parquetjs-lite');
if (pj)
  await timed('parquetjs-lite', async () => {
    const files = [];
    for (const t of tables) {
      const f = path.join(dir, `parquetjs-${t.name}.parquet`);
      const fields = {};
      for (const c of t.columns) {
        const type = {
          string: 'UTF8',
          int32: 'INT32',
          int64: 'INT64',
          double: 'DOUBLE',
          bool: 'BOOLEAN',
          timestamp: 'TIMESTAMP_MICROS',
          'string-list': 'UTF8',
        }[c.type];
        fields[c.name] =
          c.type === 'string-list' ? { type, repeated: true } : { type, optional: true, compression: 'SNAPPY' };
      }
      const w = await pj.ParquetWriter.openFile(new pj.ParquetSchema(fields), f);
      w.setRowGroupSize(GROUP);
      for (let i = 0; i < t.rows; i++) {
        const row = {};
        t.columns.forEach((c, j) => {
          const v = t.values[j][i];
          if (v !== null) row[c.name] = v;
        });
        await w.appendRow(row);
      }
      await w.close();
      files.push(f);
    }
    return files;
  });

// ---- references: JSON lines, and DuckDB copying them to Parquet ---------------------------------
const jsonFiles = tables.map((t) => path.join(dir, `${t.name}.jsonl`));
await timed('JSON lines (JSON.stringify, reference)', () =>
  tables.map((t, k) => {
    const fd = fs.openSync(jsonFiles[k], 'w');
    let buf = '';
    for (let i = 0; i < t.rows; i++) {
      const row = {};
      t.columns.forEach((c, j) => (row[c.name] = t.values[j][i]));
      buf += JSON.stringify(row) + '\n';
      if (buf.length > 1 << 20) {
        fs.writeSync(fd, buf);
        buf = '';
      }
    }
    fs.writeSync(fd, buf);
    fs.closeSync(fd);
    return jsonFiles[k];
  }),
);
const duck = candidate('@duckdb/node-api');
let con = null;
if (duck) {
  const db = await duck.DuckDBInstance.create(':memory:');
  con = await db.connect();
  await con.run('SET threads TO 1');
  await timed('DuckDB COPY from the JSON lines (native, reference)', async () => {
    const files = [];
    for (const [k, t] of tables.entries()) {
      const f = path.join(dir, `duckdb-${t.name}.parquet`);
      await con.run(
        `COPY (SELECT * FROM read_json('${jsonFiles[k]}', format = 'newline_delimited')) TO '${f}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE ${GROUP})`,
      );
      files.push(f);
    }
    return files;
  });
  // Read every Parquet file back: rows and column types.
  for (const r of results) {
    if (!r.files || r.files[0].endsWith('.jsonl')) continue;
    const checks = [];
    for (const [k, f] of r.files.entries()) {
      const n = (await con.runAndReadAll(`SELECT count(*)::INTEGER FROM '${f}'`)).getRows()[0][0];
      const types = (await con.runAndReadAll(`DESCRIBE SELECT * FROM '${f}'`)).getRows().map((x) => `${x[0]}:${x[1]}`);
      checks.push(
        `${n === tables[k].rows ? 'rows ok' : `ROWS ${n}`}; ${types.filter((x) => /time|codes|kind|frame/.test(x)).join(' ')}`,
      );
    }
    r.duckdb = checks;
  }
}

const mb = (n) => (n / 1e6).toFixed(1);
console.log(
  `\n${tables[0].rows} connections / ${tables[1].rows} segments (${path.basename(file)}), row groups of ${GROUP}\n`,
);
console.log('| writer | seconds | connections MB | segments MB |');
console.log('|---|---:|---:|---:|');
for (const r of results) {
  if (r.error) console.log(`| ${r.name} | failed: ${r.error} | | |`);
  else console.log(`| ${r.name} | ${r.seconds.toFixed(2)} | ${mb(r.bytes[0])} | ${mb(r.bytes[1])} |`);
}
for (const r of results) if (r.duckdb) console.log(`\n${r.name}, read back by DuckDB:\n  ${r.duckdb.join('\n  ')}`);
fs.rmSync(dir, { recursive: true, force: true });
