// Stage 4 on DuckDB: the dbt models, materialized as dbt would. A model's first build, or any
// build when a full refresh is asked for, runs its full form; later builds run the incremental
// form (the SELECT with `is_incremental()` true and `{{ this }}` bound) into a batch table and
// apply it with the project's lakec_replace strategy, rendered from the macro that ships. A model whose SQL changed since its last build is rebuilt in full with everything
// downstream of it, as `dbt run --full-refresh` would have to be run after such a change.
import { createHash } from "node:crypto";
import type { DuckDBConnection } from "@duckdb/node-api";
import { quoteIdent, quoteString } from "../compiler/expr/print.js";
import type { LocalModel, LocalProject } from "../targets/dbt/index.js";
import { traced } from "./trace.js";

const q = (n: string): string => quoteIdent("duckdb", n);

/** Where each model's SQL fingerprint is kept, to know when a model must be rebuilt in full. */
const STATE_TABLE = "lakec_model_state";

export interface ModelOutcome {
  readonly name: string;
  readonly rows: number;
  /** What ran: `table`, `incremental (full build)`, `incremental (12 groups)`, `incremental (3 ids)`. */
  readonly materialized: string;
  readonly ms: number;
}

export interface ModelStageOptions {
  /** Rebuild every model in full (`--full-refresh`, or inputs whose earlier rows were rewritten). */
  readonly fullRefresh?: boolean;
}

async function rowsOf(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

async function relationType(conn: DuckDBConnection, name: string): Promise<string | undefined> {
  const [r] = await rowsOf(conn, `SELECT table_type FROM information_schema.tables WHERE table_schema = 'main' AND table_name = ${quoteString("duckdb", name)}`);
  return r ? String(r.table_type) : undefined;
}

/** A model may change from view to table between runs; DROP VIEW on a table is an error. */
async function dropRelation(conn: DuckDBConnection, name: string): Promise<void> {
  const type = await relationType(conn, name);
  if (type !== undefined) await conn.run(`DROP ${type === "VIEW" ? "VIEW" : "TABLE"} ${q(name)}`);
}

/**
 * What decides a full rebuild. The history's columns are in it: a history table created with
 * fewer columns than the models now look up (a mart added on another key) cannot take the
 * strategy's insert, and a full refresh drops it (the staging model's pre_hook).
 */
const fingerprint = (m: LocalModel): string => createHash("sha256").update(JSON.stringify([m.sql, m.incrementalSql ?? null, m.materialized, m.uniqueKey ?? null, ...(m.historyColumns ? [m.historyColumns] : [])])).digest("hex");

/** Batch keys that are placeholders (an emptied group, a parent with no rows left) count too. */
function unitOf(m: LocalModel): string {
  return m.uniqueKey === "grain_key" ? "groups" : "ids";
}

async function buildFull(conn: DuckDBConnection, m: LocalModel): Promise<string> {
  if (m.fullRefreshPreHook !== undefined) await conn.run(m.fullRefreshPreHook);
  await dropRelation(conn, m.name);
  // Tables even where dbt makes views: a view over thousands of day-partition files would be
  // re-read by every test and every downstream model. The rows are the same either way.
  await conn.run(`CREATE TABLE ${q(m.name)} AS ${m.sql}`);
  return m.materialized === "incremental" ? "incremental (full build)" : m.materialized;
}

async function buildIncremental(conn: DuckDBConnection, project: LocalProject, m: LocalModel): Promise<string> {
  const batch = q(`${m.name}__lakec_batch`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${batch} AS ${m.incrementalSql!}`);
  const [k] = await rowsOf(conn, `SELECT count(DISTINCT ${q(m.uniqueKey!)}) AS n FROM ${batch}`);
  const columns = (await rowsOf(conn, `SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ${quoteString("duckdb", m.name)} ORDER BY ordinal_position`)).map((r) => String(r.column_name));
  try {
    for (const statement of project.strategySql({ model: m, batch, columns })) await traced(`  ${m.name}: ${statement.slice(0, 40).replace(/\s+/g, " ")}`, () => conn.run(statement));
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${batch}`);
  }
  return `incremental (${Number(k!.n)} ${unitOf(m)})`;
}

/**
 * Builds the project's models in dependency order, all in one transaction: a reader sees every
 * model of the previous build or every model of this one, and a model that fails leaves all of
 * them as they were. (One commit, too: a commit per statement cost a WAL sync each.)
 */
export async function buildModels(conn: DuckDBConnection, project: LocalProject, opts: ModelStageOptions = {}, onError: (model: string, e: unknown) => Error = (_m, e) => e as Error): Promise<ModelOutcome[]> {
  await conn.run("BEGIN TRANSACTION");
  try {
    const out = await buildAll(conn, project, opts, onError);
    await conn.run("COMMIT");
    return out;
  } catch (e) {
    await conn.run("ROLLBACK");
    throw e;
  }
}

async function buildAll(conn: DuckDBConnection, project: LocalProject, opts: ModelStageOptions, onError: (model: string, e: unknown) => Error): Promise<ModelOutcome[]> {
  await conn.run(`CREATE TABLE IF NOT EXISTS ${STATE_TABLE} (model VARCHAR PRIMARY KEY, fingerprint VARCHAR)`);
  const known = new Map((await rowsOf(conn, `SELECT model, fingerprint FROM ${STATE_TABLE}`)).map((r) => [String(r.model), String(r.fingerprint)]));
  const rebuilt = new Set<string>();
  const out: ModelOutcome[] = [];
  for (const m of project.models) {
    const t0 = performance.now();
    const print = fingerprint(m);
    const full =
      opts.fullRefresh === true ||
      m.materialized !== "incremental" ||
      known.get(m.name) !== print ||
      m.dependsOn.some((d) => rebuilt.has(d)) ||
      (await relationType(conn, m.name)) !== "BASE TABLE";
    let materialized: string;
    try {
      materialized = await traced(`model ${m.name} ${full ? "full" : "incremental"}`, () => (full ? buildFull(conn, m) : buildIncremental(conn, project, m)));
    } catch (e) {
      throw onError(m.name, e);
    }
    if (full) rebuilt.add(m.name);
    await conn.run(`INSERT OR REPLACE INTO ${STATE_TABLE} VALUES (${quoteString("duckdb", m.name)}, ${quoteString("duckdb", print)})`);
    const [r] = await rowsOf(conn, `SELECT count(*) AS n FROM ${q(m.name)}`);
    out.push({ name: m.name, rows: Number(r!.n), materialized, ms: Math.round(performance.now() - t0) });
  }
  return out;
}
