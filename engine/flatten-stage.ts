// Stage 2, flatten: staged clean records → one hive-partitioned Snappy Parquet output per
// table, through compiler/sql/clean.ts's tableSelect (the SELECTs the Glue flatten job runs).
//
// Outputs are written into a staging folder; engine/publish.ts renames them into the file's
// next slot (`_input=<h>` or `_input=<h>-b`), so reprocessing a file replaces its rows, never
// adds them, and readers see the old version until the new one is committed.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { quoteIdent, quoteString } from "../compiler/expr/print.js";
import type { PipelineIR, SourceIR, TableIR } from "../compiler/ir.js";
import { tableSelect } from "../compiler/sql/clean.js";
import { inputHash, runPool } from "./lake.js";
import { traced } from "./trace.js";

export function sourceTables(ir: PipelineIR, source: SourceIR): TableIR[] {
  return ir.tables.filter((t) => t.source === source.name);
}

export interface FlattenInput {
  readonly conn: DuckDBConnection;
  /**
   * Connections that write a table's key ranges at the same time (`conn` among them). One
   * partitioned COPY keeps about 1.3 of 2 cores busy, as it finishes each partition's file
   * under one lock; two COPYs over disjoint ranges wrote 960k rows into 5,000 day partitions
   * 0.7 s faster (2.6 s against 3.3 s). Files staged on disk use `conn` alone: there each
   * range sorts its own rows, and two such sorts at once were not tried under small limits.
   */
  readonly writers: readonly DuckDBConnection[];
  readonly ir: PipelineIR;
  readonly source: SourceIR;
  readonly rawKey: string;
  /** The output slot written: the value of the `_input` partition (see engine/publish.ts). */
  readonly slot: string;
  readonly stagedClean: string;
  readonly stagedQuarantine: string;
  /** Empty folder under the lake's tmp/ that receives `<table>/…` and `quarantine.jsonl`. */
  readonly stagingDir: string;
  /** The staged clean rows are on disk (bigger than memory): write partitions in sorted batches. */
  readonly onDisk: boolean;
  /** Most partitions the COPYs in flight may write together (the writer holds memory per partition). */
  readonly partitionsPerWrite: number;
  /** Parquet row-group size in bytes: a writer holds one row group per open partition. */
  readonly rowGroupBytes: number;
}

export interface FlattenResult {
  readonly rowsByTable: Record<string, number>;
  readonly quarantineRows: number;
}

const sqlPath = (p: string): string => quoteString("duckdb", p.split("\\").join("/"));

const SORT_ABOVE_PARTITIONS = 16;

export const parquetCopyOptions = (rowGroupBytes: number): string =>
  `FORMAT parquet, COMPRESSION snappy, FILENAME_PATTERN 'part-{i}', OVERWRITE_OR_IGNORE true, ROW_GROUP_SIZE_BYTES ${rowGroupBytes}`;

/**
 * Writes one table. The input tag is a constant partition column, so DuckDB lays out
 * `<key>=<v>/_input=<h>/part-<n>.parquet` itself and neither the tag nor a day-grain partition
 * column is stored inside the file.
 *
 * Two limits of DuckDB's partitioned COPY shape this:
 * - it holds a writer per open partition, so with many partitions (5,000 days) its input must
 *   come sorted by the key, and partitions then finish one after another;
 * - it holds about 256 KiB per partition of the COPY whatever the flush settings (4,000
 *   partitions ran out of memory at 128 MB even from sorted rows), so the COPYs in flight take
 *   at most `partitionsPerWrite` partitions together: ranges of the key's text, NULL keys on
 *   their own, shared out among the writers.
 * Each range is sorted on its own: staged rows on disk (bigger than memory) cannot be sorted in
 * one piece under small limits (at 64 MB the sort itself ran out of memory), and a sorted copy
 * of rows staged in memory doubled the memory they hold.
 */
async function writeTable(inp: FlattenInput, t: TableIR, dir: string): Promise<number> {
  const conn = inp.conn;
  const view = `flat_${inputHash(inp.rawKey)}`;
  await conn.run(
    `CREATE OR REPLACE VIEW ${view} AS SELECT *, ${quoteString("duckdb", inp.slot)} AS _input FROM (${tableSelect(t, "duckdb", inp.stagedClean)}) AS x`,
  );
  // Rows in a fixed order, so a file holds the same bytes in every run: by the record's line,
  // then the rest of the row key (a child row's index or key; the id is the line's). Unordered,
  // most files differed between two runs of one input (6,608 of 7,373 for 300k records)
  // although their rows were the same. The id is left out: the line already fixes it.
  const rowOrder = ["_source_line", ...t.rowKey.filter((c) => c !== t.idColumn).map((c) => quoteIdent("duckdb", c))].join(", ");
  // A few partitions are written straight from the staged rows. Sorting them costs a copy of
  // the whole table, which a file staged on disk cannot afford (a 68 MB file ran out of memory
  // at 64 MB): such a file's rows keep the order they were staged in, and its bytes may vary.
  const few = (...keys: string[]): string => (inp.onDisk ? view : `(SELECT * FROM ${view} ORDER BY ${[...keys, rowOrder].join(", ")})`);
  // One thread per COPY for files staged in memory (see oneThreadEach). A file staged on disk
  // keeps both threads: its ranges sort their own rows, one range at a time, and one thread
  // made that about 30% slower (flatten of 1M records at 128 MB, alternating runs: 14.0–16.0 s
  // against 11.1–12.5 s). Its bytes may then vary where a partition straddles two chunks.
  const writing = <R>(fn: () => Promise<R>): Promise<R> => (inp.onDisk ? fn() : oneThreadEach(conn, fn));
  try {
    if (!t.partition) return await writing(() => copyPartitioned(conn, inp, few(), dir, ["_input"]));
    const key = quoteIdent("duckdb", t.partition.key);
    const by = [key, "_input"];
    const keys = (
      await traced(`  flatten ${t.name}: distinct keys`, () =>
        conn.runAndReadAll(`SELECT DISTINCT CAST(${key} AS VARCHAR) FROM ${view} ORDER BY 1 NULLS LAST`),
      )
    )
      .getRowsJson()
      .map((r) => r[0] as string | null);
    if (keys.length <= SORT_ABOVE_PARTITIONS) return await writing(() => copyPartitioned(conn, inp, few(key), dir, by));
    const writers = inp.onDisk ? [conn] : inp.writers;
    // At least one range per writer, so that a table with a few hundred partitions uses them all.
    const per = Math.min(Math.floor(inp.partitionsPerWrite / writers.length), Math.ceil(keys.length / writers.length));
    const ranges = keyRanges(key, keys, Math.max(1, per));
    // Each range sorts its own rows, staged in memory or on disk. Sorting the whole table once
    // into a copy, as was done for rows in memory, held a second copy of every row while the
    // staged ones were still held: on 1M records the run's peak RSS went from 1,057 MB after
    // the clean stage to 1,921 MB (issue 16: peak under 1 GB).
    return await traced(`  flatten ${t.name}: copy ${ranges.length} range(s)`, () =>
      writing(() =>
        copyRanges(inp, writers, ranges, (where) => `(SELECT * FROM ${view} WHERE ${where} ORDER BY ${key}, ${rowOrder})`, dir, by),
      ),
    );
  } finally {
    await conn.run(`DROP VIEW IF EXISTS ${view}`);
  }
}

/**
 * Runs `fn`'s COPYs with one DuckDB thread each. With two, the threads scan the sorted rows in
 * chunks and append them to a partition's file in whichever order they finish, so a partition
 * that straddles two chunks got its rows in a different order from run to run (6 of 8,194
 * files for 1M records). One thread per COPY writes each file in the sorted order. The two
 * writers still keep both cores busy: two COPYs at once took 2.5 s with one thread each and
 * 2.6 s with two. `threads` is a setting of the whole database, so it is set back afterwards,
 * also after a failure.
 */
async function oneThreadEach<T>(conn: DuckDBConnection, fn: () => Promise<T>): Promise<T> {
  const threads = Number((await conn.runAndReadAll("SELECT current_setting('threads')")).getRowsJson()[0]![0]);
  await conn.run("SET threads = 1");
  try {
    return await fn();
  } finally {
    await conn.run(`SET threads = ${threads}`);
  }
}

/** Writes each range's rows (`from(where)`), the writers taking the next range as they finish. */
async function copyRanges(
  inp: FlattenInput,
  writers: readonly DuckDBConnection[],
  ranges: readonly string[],
  from: (where: string) => string,
  dir: string,
  by: readonly string[],
): Promise<number> {
  let rows = 0;
  await runPool(writers, ranges, async (where, writer) => {
    const written = await copyPartitioned(writer, inp, from(where), dir, by);
    rows += written;
  });
  return rows;
}

/** WHERE conditions covering `keys` (distinct, sorted, NULL last) in runs of at most `per` partitions. */
function keyRanges(key: string, keys: readonly (string | null)[], per: number): string[] {
  const values = keys.filter((k): k is string => k !== null);
  const ranges: string[] = [];
  for (let i = 0; i < values.length; i += per) {
    const lo = values[i]!;
    const hi = values[Math.min(values.length, i + per) - 1]!;
    ranges.push(`CAST(${key} AS VARCHAR) BETWEEN ${quoteString("duckdb", lo)} AND ${quoteString("duckdb", hi)}`);
  }
  if (values.length < keys.length) ranges.push(`${key} IS NULL`);
  return ranges;
}

async function copyPartitioned(
  conn: DuckDBConnection,
  inp: FlattenInput,
  from: string,
  dir: string,
  by: readonly string[],
): Promise<number> {
  return (await conn.run(`COPY ${from} TO ${sqlPath(dir)} (${parquetCopyOptions(inp.rowGroupBytes)}, PARTITION_BY (${by.join(", ")}))`))
    .rowsChanged;
}

/** Writes every table of the source and the quarantine file into the staging folder. */
export async function runFlattenStage(inp: FlattenInput): Promise<FlattenResult> {
  const rowsByTable: Record<string, number> = {};
  for (const t of sourceTables(inp.ir, inp.source)) {
    const dir = join(inp.stagingDir, t.name);
    await mkdir(dir, { recursive: true });
    rowsByTable[t.name] = await writeTable(inp, t, dir);
  }
  let quarantineRows = 0;
  if (inp.source.onInvalid === "quarantine") {
    const res = await inp.conn.run(
      `COPY (SELECT * FROM ${inp.stagedQuarantine} ORDER BY line_number) TO ${sqlPath(join(inp.stagingDir, "quarantine.jsonl"))} (FORMAT json)`,
    );
    quarantineRows = res.rowsChanged;
  }
  return { rowsByTable, quarantineRows };
}
