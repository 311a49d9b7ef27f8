// File pruning for incremental runs. An incremental staging model reads only source rows whose
// `_arrival_seq` is above its table's newest one. Parquet statistics would let DuckDB skip the
// others, but only after opening every file's footer: thousands of files, the whole lake, for
// one new file. Snowflake prunes on partition columns without opening files; the local engine
// does the equivalent with what its manifests know: the incremental form reads each external
// table from a view in ARRIVED_SCHEMA that covers only the committed `_input=<slot>` folders of raw files
// whose arrival is above that table's watermark. It holds every row the model's filter keeps, so
// the SQL that runs is still the SQL that ships.
import type { DuckDBConnection } from "@duckdb/node-api";
import { quoteIdent, quoteString } from "../compiler/expr/print.js";
import type { PipelineIR } from "../compiler/ir.js";
import { stagingModel } from "../targets/dbt/index.js";
import { inputDirs, type LakePaths } from "./lake.js";
import type { PublishedState } from "./manifest.js";
import { externalTableSql } from "./warehouse.js";

async function watermark(conn: DuckDBConnection, model: string): Promise<number | undefined> {
  const exists = await conn.runAndReadAll(`SELECT 1 FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE' AND table_name = ${quoteString("duckdb", model)}`);
  if (exists.getRows().length === 0) return undefined;
  const r = await conn.runAndReadAll(`SELECT coalesce(max(_arrival_seq), 0) AS w FROM ${quoteIdent("duckdb", model)}`);
  return Number((r.getRowObjectsJson()[0] as { w: string }).w);
}

/** Where the narrowed views live (renderForDuckDB's incrementalSourceSchema). */
export const ARRIVED_SCHEMA = "lakec_arrived";

/**
 * Creates, for every table, the view the incremental form reads: the folders of raw files that
 * arrived after its staging model's watermark. A table whose staging model does not exist yet
 * is built in full from the real view, and gets an empty one here.
 */
export async function createArrivedViews(conn: DuckDBConnection, paths: LakePaths, ir: PipelineIR, published: PublishedState): Promise<void> {
  await conn.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent("duckdb", ARRIVED_SCHEMA)}`);
  for (const t of ir.tables) {
    const w = await watermark(conn, stagingModel(ir, t.name));
    const slots = w === undefined ? [] : published.arrivals.filter((a) => a.source === t.source && a.arrival > w).map((a) => a.input);
    const dirs = (await Promise.all(slots.map((slot) => inputDirs(paths, t.name, slot)))).flat();
    const view = `${quoteIdent("duckdb", ARRIVED_SCHEMA)}.${quoteIdent("duckdb", t.name.toUpperCase())}`;
    await conn.run(`CREATE OR REPLACE VIEW ${view} AS ${await externalTableSql(paths, t, dirs)}`);
  }
}
