// Stages 3–5 on warehouse.duckdb: refresh the external tables (views over the Parquet globs:
// metadata only, like Snowflake's external tables), build the dbt models (model-stage.ts: full
// or incremental, as dbt would), run the dbt tests.
// The models and tests are the dbt target's own files, rendered for DuckDB by
// targets/dbt/render-local.ts, so what runs here is what ships.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { duckdb } from "./duckdb.js";
import { quoteIdent, quoteString, sqlType } from "../compiler/expr/print.js";
import { META_COLUMNS, type OutputColumn, type PipelineIR, type TableIR } from "../compiler/ir.js";
import { duckdbSourceRelation, duckdbSourceSchema } from "../targets/dbt/index.js";
import { loadLocalProject, type DbtProjectOptions } from "./dbt-project.js";
import { runTests } from "./dbt-tests.js";
import { tableDir, type LakePaths } from "./lake.js";
import { publishedState } from "./manifest.js";
import { currentSlots } from "./publish.js";
import { isCompacted, liveRowsWhere, recordLiveRows } from "./compact-state.js";
import { ARRIVED_SCHEMA, createArrivedViews, slotsOfLastBuild } from "./incremental-sources.js";
import { buildModels, type ModelOutcome, type ModelStageOptions } from "./model-stage.js";
import { traced } from "./trace.js";

const q = (n: string): string => quoteIdent("duckdb", n);

export interface TestOutcome {
  readonly name: string;
  readonly model: string;
  readonly column?: string;
  readonly severity: "error" | "warn";
  readonly failures: number;
  /** Up to five failing rows, as JSON-safe objects. */
  readonly sample: readonly Record<string, unknown>[];
  /** How long the test's query took (printed per test, as dbt does; never in a golden file). */
  readonly ms: number;
  /** Run over the rows the build wrote, because the rest passed before (engine/dbt-tests.ts). */
  readonly scope?: "written rows";
}

/** Stages 3–5 could not finish (a model or test query failed, DuckDB ran out of memory, …). */
export class WarehouseBuildError extends Error {
  override readonly name = "WarehouseBuildError";
}

export interface WarehouseResult {
  readonly views: readonly string[];
  /** Raw keys still published in the lake although their raw file was deleted. */
  readonly orphans: readonly string[];
  /** Rows each external table holds now, over every file processed so far (from the manifests). */
  readonly tableRows: Record<string, number>;
  readonly models: readonly ModelOutcome[];
  readonly tests: readonly TestOutcome[];
  readonly timingsMs: { refresh: number; models: number; tests: number };
  /** Why stages 3–5 stopped, when they did (see WarehouseBuildError); views, models and tests are then empty. */
  readonly error?: string;
  /** Why warehouse.duckdb was rebuilt from the lake instead of updated (it could not be opened). */
  readonly rebuilt?: string;
  /** The previous build's result, kept because nothing it depends on changed (dev, engine/watch.ts). */
  readonly reused?: true;
}

function columnType(c: OutputColumn): string {
  return c.type.kind === "json" ? "VARCHAR" : sqlType("duckdb", c.type);
}

const META_TYPES: Record<(typeof META_COLUMNS)[number], string> = {
  _source_file: "VARCHAR",
  _source_line: "BIGINT",
  _ingested_at: "TIMESTAMP",
  _arrival_seq: "BIGINT",
};

/**
 * True at the first Parquet file `depth` folders down (a full recursive listing of a big table
 * took 0.7 s): where tableGlob looks, so that a view never reads a glob that matches nothing.
 */
async function hasParquet(dir: string, depth: number): Promise<boolean> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  if (depth === 0) return entries.some((e) => e.isFile() && e.name.endsWith(".parquet"));
  for (const e of entries) if (e.isDirectory() && (await hasParquet(join(dir, e.name), depth - 1))) return true;
  return false;
}

function viewColumns(t: TableIR): { name: string; type: string }[] {
  return [...t.columns.map((c) => ({ name: c.name, type: columnType(c) })), ...META_COLUMNS.map((m) => ({ name: m, type: META_TYPES[m] }))];
}

/** The table's columns and types over no rows: read_parquet fails on an empty glob, a view must not. */
function emptyTableSql(t: TableIR): string {
  return `SELECT ${viewColumns(t)
    .map((c) => `CAST(NULL AS ${c.type}) AS ${q(c.name)}`)
    .join(", ")} WHERE false`;
}

/**
 * The files of a table: `[<key>=<v>/]_input=<slot>/part-<n>.parquet`, packed files included
 * (engine/compact.ts writes `_input=packed-…`). A glob of that fixed depth lists the same files
 * as `**` in two-thirds of the time (0.25 s against 0.37 s over 5,021 day partitions), and
 * every query of the view lists them again.
 */
function tableGlob(t: TableIR): string {
  return `${"*/".repeat(globDepth(t))}*.parquet`;
}

const globDepth = (t: TableIR): number => (t.partition ? 2 : 1);

/**
 * The view of one table: the exact IR types over whatever Parquet exists, and a typed empty
 * relation when nothing does. With `inputDirs`, only those `_input=<h>` folders (see
 * incremental-sources.ts).
 */
export async function externalTableSql(paths: LakePaths, t: TableIR, inputDirs?: readonly string[]): Promise<string> {
  const cols = viewColumns(t);
  const dir = tableDir(paths, t.name);
  if (inputDirs ? inputDirs.length === 0 : !(await hasParquet(dir, globDepth(t)))) return emptyTableSql(t);
  const hiveTypes: string[] = [`${quoteString("duckdb", "_input")}: VARCHAR`];
  if (t.partition) {
    const keyIsColumn = t.partition.key === t.partition.column;
    const keyType = keyIsColumn ? cols.find((c) => c.name === t.partition!.column)!.type : t.partition.grain === "day" ? "DATE" : "VARCHAR";
    hiveTypes.unshift(`${quoteString("duckdb", t.partition.key)}: ${keyType}`);
  }
  const globs = (inputDirs ?? [dir]).map((d) =>
    quoteString("duckdb", `${d.split("\\").join("/")}/${inputDirs ? "*.parquet" : tableGlob(t)}`),
  );
  const glob = globs.length === 1 ? globs[0]! : `[${globs.join(", ")}]`;
  const select = cols.map((c) => `CAST(${q(c.name)} AS ${c.type}) AS ${q(c.name)}`).join(", ");
  const from = `read_parquet(${glob}, hive_partitioning = true, hive_types = {${hiveTypes.join(", ")}})`;
  // Named folders are committed slots already. The whole table holds, for a while, the slot a
  // reprocess superseded too (engine/publish.ts): only the committed slot of each raw file is
  // read, listed in a table so that the view's text stays the same from run to run (creating a
  // view binds its glob: about a second per table on a 100k-record lake).
  if (inputDirs) return `SELECT ${select} FROM ${from}`;
  // A compacted table holds packed files too: rows are read by (folder, raw file), compact-state.ts.
  if (await isCompacted(paths, t.name)) return `SELECT ${select} FROM ${from} WHERE ${liveRowsWhere(t.name)}`;
  return `SELECT ${select} FROM ${from} WHERE _input IN (SELECT input FROM ${CURRENT_INPUTS} WHERE source = ${quoteString("duckdb", t.source)})`;
}

/**
 * True when both views of `table` exist and were created from `sql` (DuckDB keeps a view's SQL
 * normalised, so the text we created it from is kept next to it, in VIEW_STATE).
 */
async function sameView(conn: DuckDBConnection, ir: PipelineIR, table: string, sql: string): Promise<boolean> {
  await conn.run(`CREATE TABLE IF NOT EXISTS ${VIEW_STATE} (view_name VARCHAR PRIMARY KEY, sql VARCHAR)`);
  const views = await rowsOf(
    conn,
    `SELECT count(*) AS n FROM duckdb_views() WHERE NOT internal AND ((schema_name = ${quoteString("duckdb", duckdbSourceSchema(ir))} AND view_name = ${quoteString("duckdb", table.toUpperCase())}) OR (schema_name = 'main' AND view_name = ${quoteString("duckdb", table)}))`,
  );
  const [kept] = await rowsOf(conn, `SELECT sql FROM ${VIEW_STATE} WHERE view_name = ${quoteString("duckdb", table)}`);
  return Number(views[0]!.n) === 2 && kept?.sql === sql;
}

const VIEW_STATE = "lakec_view_state";

/** The committed `_input` slot of every published raw file, per source: what the views read. */
const CURRENT_INPUTS = "lakec_current_inputs";

async function recordCurrentInputs(conn: DuckDBConnection, paths: LakePaths, ir: PipelineIR): Promise<void> {
  await conn.run(`CREATE TABLE IF NOT EXISTS ${CURRENT_INPUTS} (source VARCHAR, input VARCHAR)`);
  await conn.run(`DELETE FROM ${CURRENT_INPUTS} WHERE source IN (${ir.sources.map((s) => quoteString("duckdb", s.name)).join(", ")})`);
  for (const s of ir.sources) {
    const slots = await currentSlots(paths, s.name);
    if (slots.length > 0)
      await conn.run(
        `INSERT INTO ${CURRENT_INPUTS} VALUES ${slots.map((x) => `(${quoteString("duckdb", s.name)}, ${quoteString("duckdb", x)})`).join(", ")}`,
      );
  }
}

/**
 * `recordInputs: false` leaves CURRENT_INPUTS as the last model build recorded it: compaction
 * rebuilds views without running the models, and a file they have not merged yet must stay "new"
 * for the next build's incremental read (incremental-sources.ts).
 */
export async function refreshViews(
  conn: DuckDBConnection,
  paths: LakePaths,
  ir: PipelineIR,
  opts: { recordInputs?: boolean } = {},
): Promise<string[]> {
  await conn.run(`CREATE SCHEMA IF NOT EXISTS ${q(duckdbSourceSchema(ir))}`);
  if (opts.recordInputs !== false) await recordCurrentInputs(conn, paths, ir);
  await recordLiveRows(conn, paths, ir);
  const views: string[] = [];
  for (const t of ir.tables) {
    const rel = duckdbSourceRelation(ir, t.name);
    const sql = await externalTableSql(paths, t);
    // A view is bound again at every query, so it sees new files by itself; re-creating one
    // binds its glob now, which took about a second per table on a 100k-record lake.
    if (!(await sameView(conn, ir, t.name, sql))) {
      // The same table under its pipeline name, for `lakec query` and `lakec show`. Creating a
      // view binds it, and binding one over `rel` lists rel's files again: it is made over the
      // empty relation of the same columns and types instead, so the files are listed once.
      // Queries bind `rel` again, and see it as it is now. Both run on the build's copy
      // (buildBeside): a failure in between is never seen by a reader.
      await conn.run(`CREATE OR REPLACE VIEW ${rel} AS ${emptyTableSql(t)}`);
      await conn.run(`CREATE OR REPLACE VIEW main.${q(t.name)} AS SELECT * FROM ${rel}`);
      await conn.run(`CREATE OR REPLACE VIEW ${rel} AS ${sql}`);
      await conn.run(`INSERT OR REPLACE INTO ${VIEW_STATE} VALUES (${quoteString("duckdb", t.name)}, ${quoteString("duckdb", sql)})`);
    }
    views.push(t.name);
  }
  return views;
}

async function rowsOf(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

/**
 * A `lakec query` holds a read lock on the file while it runs; wait for it briefly instead of
 * failing the run (DuckDB says "Could not set lock on file").
 */
async function openWarehouse(file: string, settings: Record<string, string>): Promise<DuckDBInstance> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { DuckDBInstance } = await duckdb();
      return await DuckDBInstance.create(file, settings);
    } catch (e) {
      if (attempt >= 20 || !(e instanceof Error) || !e.message.includes("Could not set lock")) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Refresh, models, tests. Opens warehouse.duckdb only for this, so `lakec query` can use it in between. */
export async function buildWarehouse(
  paths: LakePaths,
  ir: PipelineIR,
  settings: Record<string, string>,
  opts: ModelStageOptions = {},
  dbt: DbtProjectOptions = {},
): Promise<WarehouseResult> {
  const project = await loadLocalProject(ir, dbt, ARRIVED_SCHEMA).catch((e: unknown) => {
    throw new WarehouseBuildError(`rendering the dbt project: ${e instanceof Error ? e.message : String(e)}`);
  });
  const instance = await traced("warehouse: open", () => openWarehouse(paths.warehouse, settings));
  const conn = await instance.connect();
  try {
    await conn.run("SET parquet_metadata_cache = true");
    let t0 = performance.now();
    // Read before refreshViews records this build's slots: what the last build's models saw.
    const before = await slotsOfLastBuild(conn, CURRENT_INPUTS);
    const views = await traced("warehouse: refresh views", () => refreshViews(conn, paths, ir)).catch((e: unknown) => {
      throw new WarehouseBuildError(`refreshing the external-table views on DuckDB: ${e instanceof Error ? e.message : String(e)}`);
    });
    const published = await traced("warehouse: published state", () => publishedState(paths, ir));
    const refresh = performance.now() - t0;
    t0 = performance.now();
    // Only files committed since the last build can hold rows an incremental run reads: its views
    // skip the rest. Made before the first incremental model only: a first build or a full
    // refresh reads none, and binding them over every file cost 0.6 s on a 1M-record lake.
    const arrived = (): Promise<void> => traced("warehouse: arrived views", () => createArrivedViews(conn, paths, ir, published, before));
    const models = await buildModels(
      conn,
      project,
      opts,
      (model, e) => new WarehouseBuildError(`building dbt model ${model} on DuckDB: ${e instanceof Error ? e.message : String(e)}`),
      arrived,
    );
    const modelsMs = performance.now() - t0;
    t0 = performance.now();
    const tests = await traced("warehouse: tests", () =>
      runTests(conn, project.tests, { incremental: new Set(models.filter((m) => m.incremental).map((m) => m.name)) }),
    );
    return {
      views,
      orphans: published.orphans,
      tableRows: published.rowsByTable,
      models,
      tests,
      timingsMs: { refresh, models: modelsMs, tests: performance.now() - t0 },
    };
  } finally {
    await traced("warehouse: close", async () => {
      conn.closeSync();
      instance.closeSync();
    });
  }
}
