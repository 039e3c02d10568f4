#!/usr/bin/env node
// Runs SQL with the DuckDB the tests use (@duckdb/node-api, a devDependency) and prints the result
// as a table: for trying queries on `analyze --format parquet` output without the DuckDB CLI.
//   node scripts/duckdb.mjs "SELECT outcome, count(*) FROM 'out/connections.parquet' GROUP BY ALL"
import { DuckDBInstance } from '@duckdb/node-api';

const sql = process.argv.slice(2).join(' ');
if (sql.trim() === '') {
  console.error('usage: node scripts/duckdb.mjs "SQL"');
  process.exit(2);
}
const con = await (await DuckDBInstance.create(':memory:')).connect();
const reader = await con.runAndReadAll(sql);
const head = reader.columnNames();
const rows = reader
  .getRowsJson()
  .map((r) => r.map((v) => (v === null ? 'NULL' : typeof v === 'string' ? v : JSON.stringify(v))));
const width = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
const line = (cells) =>
  cells
    .map((c, j) => c.padEnd(width[j]))
    .join(' | ')
    .trimEnd();
console.log(line(head));
console.log(width.map((w) => '-'.repeat(w)).join('-|-'));
for (const r of rows) console.log(line(r));
