/**
 * `analyze --format parquet --out DIR`: the connections and segments tables (core/report/columns.ts)
 * written as Parquet files with hyparquet-writer (pure JavaScript; see ARCHITECTURE.md for why).
 *
 * Each table is written as it is made, in parts of at most `rowsPerFile` rows: rows are gathered
 * into row groups, a part file is closed once it holds `rowsPerFile` rows and the next one begun
 * (DIR/connections/part-00000.parquet, part-00001.parquet, ...). So memory holds one row group per
 * table, whatever the capture's size. A table that fits in one part ends up as one file
 * (DIR/connections.parquet) instead of a directory of one part.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ByteWriter, ParquetWriter, type ColumnSource, type SchemaElement } from 'hyparquet-writer';
import {
  CONNECTION_COLUMNS,
  ColumnBuffer,
  SEGMENT_COLUMNS,
  connectionRows,
  segmentRows,
  type ColumnSpec,
  type ColumnType,
  type ColumnValue,
  type ConnectionRow,
  type SegmentRow,
} from '../core/report/columns';
import type { Analysis, Connection } from '../core/engine';

export interface ParquetOptions {
  /** Rows per file at most (default 1,048,576). */
  rowsPerFile?: number;
  /** Rows per row group at most (default 65,536, or rowsPerFile when smaller). */
  rowGroupRows?: number;
  /** The file metadata's created_by. */
  createdBy?: string;
}

/** hyparquet-writer's byte writer, written out to a file each time it holds a mebibyte. */
class FileByteWriter extends ByteWriter {
  private readonly fd: number;

  constructor(file: string) {
    super(1 << 21);
    this.fd = fs.openSync(file, 'w');
  }

  override ensure(size: number): void {
    if (this.index >= 1 << 20) this.writeOut();
    super.ensure(size);
  }

  override finish(): void {
    this.writeOut();
    fs.closeSync(this.fd);
  }

  private writeOut(): void {
    const bytes = new Uint8Array(this.buffer, 0, this.index);
    for (let done = 0; done < bytes.length;) done += fs.writeSync(this.fd, bytes, done);
    this.index = 0;
  }
}

/**
 * Columns with min/max statistics, which let DuckDB and Spark skip row groups: numbers and times.
 * Strings and lists go without: statistics on every column took 8% of the CPU time of a run (a
 * profile of the bench capture's first half), and a state or an outcome is spread over every row
 * group anyway, so its min/max would skip nothing.
 */
const STATISTICS: ReadonlySet<ColumnType> = new Set<ColumnType>(['int32', 'int64', 'double', 'timestamp', 'bool']);

const PART_DIGITS = 5;
const partName = (i: number): string => `part-${String(i).padStart(PART_DIGITS, '0')}.parquet`;

/** The Parquet schema element(s) of a column. */
export function schemaOf(name: string, type: ColumnType): SchemaElement[] {
  switch (type) {
    case 'string':
      return [
        {
          name,
          type: 'BYTE_ARRAY',
          converted_type: 'UTF8',
          logical_type: { type: 'STRING' },
          repetition_type: 'OPTIONAL',
        },
      ];
    case 'int32':
      return [{ name, type: 'INT32', repetition_type: 'OPTIONAL' }];
    case 'int64':
      return [{ name, type: 'INT64', repetition_type: 'OPTIONAL' }];
    case 'double':
      return [{ name, type: 'DOUBLE', repetition_type: 'OPTIONAL' }];
    case 'bool':
      return [{ name, type: 'BOOLEAN', repetition_type: 'OPTIONAL' }];
    case 'timestamp':
      // Microseconds, UTC: the finest unit Spark reads (it refuses TIMESTAMP(NANOS)); DuckDB reads it as TIMESTAMP WITH TIME ZONE.
      return [
        {
          name,
          type: 'INT64',
          converted_type: 'TIMESTAMP_MICROS',
          logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
          repetition_type: 'OPTIONAL',
        },
      ];
    case 'string-list':
      // The standard three-level LIST (parquet-format LogicalTypes.md), as Spark and DuckDB write it.
      return [
        { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', logical_type: { type: 'LIST' }, num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        {
          name: 'element',
          type: 'BYTE_ARRAY',
          converted_type: 'UTF8',
          logical_type: { type: 'STRING' },
          repetition_type: 'REQUIRED',
        },
      ];
  }
}

/** A column's values in the form the writer takes (INT64 as bigints). */
export function physical(type: ColumnType, values: ColumnValue[]): ColumnSource['data'] {
  if (type !== 'int64') return values as ColumnSource['data'];
  const out = new Array<bigint | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === null ? null : BigInt(v as number);
  }
  return out as unknown as ColumnSource['data'];
}

/** One table written in parts of a bounded number of rows, row group by row group. */
export class PartitionedParquetTable<R> {
  private readonly buffer: ColumnBuffer<R>;
  private readonly schema: SchemaElement[];
  private readonly rowsPerFile: number;
  private readonly groupRows: number;
  private writer: ParquetWriter | null = null;
  private rowsInPart = 0;
  /** Files written, in order. */
  readonly files: string[] = [];
  rows = 0;

  constructor(
    private readonly dir: string,
    readonly name: string,
    private readonly columns: readonly ColumnSpec<R>[],
    private readonly opts: ParquetOptions,
  ) {
    this.buffer = new ColumnBuffer(columns);
    this.schema = [
      { name: 'schema', num_children: columns.length },
      ...columns.flatMap((c) => schemaOf(c.name, c.type)),
    ];
    this.rowsPerFile = Math.max(1, opts.rowsPerFile ?? 1 << 20);
    this.groupRows = Math.max(1, Math.min(this.rowsPerFile, opts.rowGroupRows ?? 1 << 16));
  }

  add(row: R): void {
    this.buffer.add(row);
    this.rows++;
    if (this.buffer.rows >= this.groupRows || this.rowsInPart + this.buffer.rows >= this.rowsPerFile) this.flush();
  }

  /** Writes the gathered rows as a row group of the current part (begun if need be); closes a full part. */
  private flush(): void {
    const n = this.buffer.rows;
    if (n === 0) return;
    if (this.writer === null) {
      const file = path.join(this.dir, this.name, partName(this.files.length));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      this.files.push(file);
      this.writer = new ParquetWriter({
        writer: new FileByteWriter(file),
        schema: this.schema,
        createdBy: this.opts.createdBy,
        kvMetadata: [{ key: 'teardown-tracer.table', value: this.name }],
      });
      this.rowsInPart = 0;
    }
    const values = this.buffer.take();
    const columnData: ColumnSource[] = this.columns.map((c, j) => ({
      name: c.name,
      data: physical(c.type, values[j]),
      statistics: STATISTICS.has(c.type),
    }));
    void this.writer.write({ columnData, rowGroupSize: n });
    this.rowsInPart += n;
    if (this.rowsInPart >= this.rowsPerFile) this.closePart();
  }

  private closePart(): void {
    if (this.writer === null) return;
    void this.writer.finish();
    this.writer = null;
  }

  /**
   * Writes what is left and closes the last part. A table of one part becomes DIR/NAME.parquet;
   * an empty table is one file with no rows (readers still see its columns).
   */
  finish(): string[] {
    this.flush();
    if (this.files.length === 0) {
      // Begin and close a part of no rows, so that the table exists with its schema.
      const file = path.join(this.dir, this.name, partName(0));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      this.files.push(file);
      const w = new ParquetWriter({
        writer: new FileByteWriter(file),
        schema: this.schema,
        createdBy: this.opts.createdBy,
      });
      void w.finish();
    } else this.closePart();
    if (this.files.length === 1) {
      const single = path.join(this.dir, `${this.name}.parquet`);
      fs.renameSync(this.files[0], single);
      fs.rmdirSync(path.dirname(this.files[0]));
      this.files[0] = single;
    }
    return this.files;
  }
}

/**
 * Removes what an earlier run left in DIR for a table (NAME.parquet, NAME/part-*.parquet), so that
 * a reader of the directory never mixes two runs. Other files are left alone.
 */
function clearTable(dir: string, name: string): void {
  fs.rmSync(path.join(dir, `${name}.parquet`), { force: true });
  const sub = path.join(dir, name);
  let entries: string[];
  try {
    entries = fs.readdirSync(sub);
  } catch {
    return;
  }
  for (const e of entries) if (/^part-\d+\.parquet$/.test(e)) fs.rmSync(path.join(sub, e), { force: true });
  if (fs.readdirSync(sub).length === 0) fs.rmdirSync(sub);
}

/** The two tables of an analysis, fed batch by batch (each batch: an analysis and the connections to write). */
export class ParquetSink {
  readonly connections: PartitionedParquetTable<ConnectionRow>;
  readonly segments: PartitionedParquetTable<SegmentRow>;

  constructor(
    readonly dir: string,
    opts: ParquetOptions = {},
  ) {
    fs.mkdirSync(dir, { recursive: true });
    clearTable(dir, 'connections');
    clearTable(dir, 'segments');
    this.connections = new PartitionedParquetTable(dir, 'connections', CONNECTION_COLUMNS, opts);
    this.segments = new PartitionedParquetTable(dir, 'segments', SEGMENT_COLUMNS, opts);
  }

  /** `a` is the batch's whole analysis; `shown` the connections of it to write (all, or those a filter kept). */
  add(a: Analysis, shown: readonly Connection[]): void {
    if (shown.length === 0) return;
    for (const row of connectionRows(a, shown)) this.connections.add(row);
    for (const row of segmentRows(a, shown)) this.segments.add(row);
  }

  finish(): { connections: string[]; segments: string[] } {
    return { connections: this.connections.finish(), segments: this.segments.finish() };
  }
}
