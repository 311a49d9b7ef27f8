// File pruning for incremental runs. An incremental staging model reads only the source rows of
// file versions it has not merged (its ledger, targets/dbt/staging.ts). Parquet statistics
// cannot tell DuckDB which files those are, and opening every file's footer is the whole lake
// for one new file. Snowflake reads what its external table lists; the local engine does the
// equivalent with what it knows: the incremental form reads each external table from a view in
// ARRIVED_SCHEMA that covers only the `_input=<slot>` folders committed since the last build. A
// new file and a reprocessed one (it flips to its other slot) both have a new slot, so the view
// holds every row the model's ledger would take, and the SQL that runs is still the SQL that
// ships. A reprocess can make an id fall back to a version in an older file, so a source with
// a reprocessed file gets the view over all its slots.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { quoteIdent, quoteString } from "../compiler/expr/print.js";
import type { PipelineIR } from "../compiler/ir.js";
import { inputDirs, type LakePaths } from "./lake.js";
import type { PublishedFile, PublishedState } from "./manifest.js";
import { externalTableSql } from "./warehouse.js";

/** Where the narrowed views live (renderForDuckDB's incrementalSourceSchema). */
export const ARRIVED_SCHEMA = "lakec_arrived";

/** The committed slots per source as the last build saw them (its CURRENT_INPUTS table), if it recorded them. */
export async function slotsOfLastBuild(conn: DuckDBConnection, table: string): Promise<Map<string, Set<string>> | undefined> {
  const exists = await conn.runAndReadAll(
    `SELECT 1 FROM information_schema.tables WHERE table_schema = 'main' AND table_name = ${quoteString("duckdb", table)}`,
  );
  if (exists.getRows().length === 0) return undefined;
  const out = new Map<string, Set<string>>();
  for (const r of (await conn.runAndReadAll(`SELECT source, input FROM ${quoteIdent("duckdb", table)}`)).getRowObjectsJson() as {
    source: string;
    input: string;
  }[]) {
    (out.get(r.source) ?? out.set(r.source, new Set()).get(r.source)!).add(r.input);
  }
  return out;
}

/** `<h>` ↔ `<h>-b` (engine/publish.ts): the slot a reprocess of the same raw file flips from. */
const sibling = (slot: string): string => (slot.endsWith("-b") ? slot.slice(0, -2) : `${slot}-b`);

/** The slots of `source` an incremental run must read: the new ones, or all after a reprocess. */
export function slotsToRead(current: readonly string[], before: ReadonlySet<string> | undefined): string[] {
  if (before === undefined) return [...current];
  const fresh = current.filter((s) => !before.has(s));
  return fresh.some((s) => before.has(sibling(s))) ? [...current] : fresh;
}

/** Creates, for every table, the view the incremental form reads (see the top of this file). */
export async function createArrivedViews(
  conn: DuckDBConnection,
  paths: LakePaths,
  ir: PipelineIR,
  published: PublishedState,
  before: ReadonlyMap<string, ReadonlySet<string>> | undefined,
): Promise<void> {
  await conn.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent("duckdb", ARRIVED_SCHEMA)}`);
  for (const t of ir.tables) {
    const current = published.arrivals.filter((a) => a.source === t.source).map((a) => a.input);
    const slots = slotsToRead(current, before === undefined ? undefined : (before.get(t.source) ?? new Set()));
    const view = `${quoteIdent("duckdb", ARRIVED_SCHEMA)}.${quoteIdent("duckdb", t.name.toUpperCase())}`;
    // Every slot (a first build, or a reprocess): the table's own view, which also reads the rows
    // compaction packed (compact-state.ts); new slots are never packed, so their folders suffice.
    const every = slots.length === current.length;
    // The new slots' folders, from their manifests: scanning every partition of the table for
    // them (lake.ts inputDirs) cost 0.1 s on a 1M-record lake. A listed folder that is gone is
    // skipped, as the scan would skip it.
    const fresh = new Set(slots);
    const prefix = `processed/${t.name}/`;
    // A manifest listing no files (older lakes; a file whose records were all quarantined) is scanned for.
    const dirsOf = async (a: PublishedFile): Promise<string[]> =>
      a.folders.length === 0
        ? inputDirs(paths, t.name, a.input)
        : a.folders
            .filter((f) => f.startsWith(prefix))
            .map((f) => join(paths.root, f))
            .filter((d) => existsSync(d));
    const dirs = every
      ? undefined
      : (await Promise.all(published.arrivals.filter((a) => a.source === t.source && fresh.has(a.input)).map(dirsOf))).flat().sort();
    await conn.run(`CREATE OR REPLACE VIEW ${view} AS ${await externalTableSql(paths, t, dirs)}`);
  }
}
