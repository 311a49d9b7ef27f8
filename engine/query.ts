// Reading the warehouse for `lakec query` and `lakec show`: read-only, so it never blocks or
// changes a run, and results printed as an aligned table, CSV or JSON.
import { sep } from "node:path";
import type { DuckDBConnection, DuckDBType } from "@duckdb/node-api";
import { duckdb } from "./duckdb.js";
import { quoteIdent, quoteString } from "../compiler/expr/print.js";
import { exists, lakePaths } from "./lake.js";

export interface QueryResult {
  readonly columns: readonly string[];
  /** JSON-safe values: BIGINT and DECIMAL come back as strings, dates as ISO text. */
  readonly rows: readonly (readonly unknown[])[];
  /** Each column's DuckDB type, for output that keeps numbers and times typed (cli/rows-json.ts). */
  readonly types: readonly DuckDBType[];
}

export class NoWarehouseError extends Error {
  override readonly name = "NoWarehouseError";
}

/** The statement is not one SELECT: `lakec query` reads, it never writes, loads or attaches. */
export class NotReadOnlyError extends Error {
  override readonly name = "NotReadOnlyError";
}

/**
 * Confines the connection to reading the lake. The database is opened READ_ONLY, which stops
 * writes to its tables but not `COPY … TO` or `ATTACH`; with external access off, DuckDB
 * touches no file outside `allowed_directories` (no `/etc/passwd`, no URL, no extension
 * download), and the setting cannot be turned back on in this session. Files inside the lake
 * could still be written by COPY, so the statement type is checked as well (onlySelect).
 */
async function confine(conn: DuckDBConnection, lakeDir: string): Promise<void> {
  const root = lakeDir.endsWith(sep) ? lakeDir : `${lakeDir}${sep}`;
  await conn.run(`SET allowed_directories = [${quoteString("duckdb", root)}]`);
  await conn.run("SET enable_external_access = false");
  await conn.run("SET lock_configuration = true");
}

/**
 * One statement, of type SELECT (which covers FROM-first queries, WITH, DESCRIBE, SHOW,
 * SUMMARIZE and PRAGMAs that DuckDB rewrites into SELECTs). EXPLAIN is refused too:
 * `EXPLAIN ANALYZE` runs the statement it explains, whatever that is.
 */
async function onlySelect(conn: DuckDBConnection, sql: string): Promise<void> {
  const extracted = await conn.extractStatements(sql);
  if (extracted.count !== 1) {
    const hint =
      extracted.count > 1 ? ": lakec query runs one statement per call, never only the first of several; run each on its own" : "";
    throw new NotReadOnlyError(`expected one SQL statement, got ${extracted.count}${hint}`);
  }
  const type = (await extracted.prepare(0)).statementType;
  const { StatementType } = await duckdb();
  if (type !== StatementType.SELECT) {
    const name = (StatementType as unknown as Record<number, string>)[type] ?? String(type);
    throw new NotReadOnlyError(`lakec query runs SELECT statements only, not ${name}: it never writes, installs, loads or attaches`);
  }
}

/**
 * A lake copied or moved elsewhere keeps views naming the old folder's Parquet files (a view
 * stores its path when it is created, at the last run). Read-only, they cannot be replaced in
 * the warehouse, so each table's view is shadowed for this session by a temporary view over
 * the same files in this lake. The next `lakec run` recreates the views in place.
 */
async function relocate(conn: DuckDBConnection, lakeDir: string): Promise<void> {
  const views = (
    await conn.runAndReadAll(
      "SELECT schema_name, view_name, sql FROM duckdb_views() WHERE NOT internal AND database_name = current_database()",
    )
  ).getRowObjectsJson() as { schema_name: string; view_name: string; sql: string }[];
  const here = `${lakeDir.split("\\").join("/")}/processed/`;
  const bySource = new Map(views.map((v) => [`${v.schema_name}.${v.view_name}`, v.sql]));
  for (const v of views.filter((x) => x.schema_name === "main")) {
    // main.<table> is `SELECT * FROM "<SCHEMA>"."<TABLE>"`; the source view holds the path.
    const src = /^CREATE VIEW [^\n]*? AS SELECT \* FROM "?([^".;]+)"?\."?([^".;]+)"?;?$/.exec(v.sql.trim());
    const def = src ? bySource.get(`${src[1]}.${src[2]}`) : undefined;
    const old = def ? /read_parquet\('((?:[^']|'')*?)\/processed\//.exec(def)?.[1] : undefined;
    if (def === undefined || old === undefined || `${old.replace(/''/g, "'")}/processed/` === here) continue;
    const body = def
      .trim()
      .replace(/^CREATE VIEW [^\n]*? AS /, "")
      .replace(/;$/, "");
    const moved = body.split(`'${old}/processed/`).join(quoteString("duckdb", here).slice(0, -1));
    await conn.run(`CREATE TEMP VIEW ${quoteIdent("duckdb", v.view_name)} AS ${moved}`);
  }
}

/** Runs `read` on the lake's warehouse opened read-only and confined to the lake (also for `lakec test`). */
export async function readWarehouse<T>(lakeDir: string, read: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const file = lakePaths(lakeDir).warehouse;
  if (!(await exists(file))) throw new NoWarehouseError(`no warehouse at ${file}: run \`lakec run\` first`);
  const { DuckDBInstance } = await duckdb();
  const instance = await DuckDBInstance.create(file, {
    access_mode: "READ_ONLY",
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
  });
  const conn = await instance.connect();
  try {
    await confine(conn, lakeDir);
    await relocate(conn, lakeDir);
    return await read(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

export function queryWarehouse(lakeDir: string, sql: string): Promise<QueryResult> {
  return readWarehouse(lakeDir, async (conn) => {
    await onlySelect(conn, sql);
    const r = await conn.runAndReadAll(sql);
    return { columns: r.columnNames(), rows: r.getRowsJson() as unknown[][], types: r.columnTypes() };
  });
}

export async function warehouseRelations(lakeDir: string): Promise<string[]> {
  const r = await queryWarehouse(
    lakeDir,
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name",
  );
  return r.rows.map((row) => String(row[0]));
}
