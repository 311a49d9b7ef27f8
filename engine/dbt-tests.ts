// Running the dbt tests on DuckDB: each test's query returns the failing rows; zero rows pass.
// Shared by the warehouse build (stage 5 of `lakec run`) and `lakec test`, which runs them
// alone against the warehouse as it is, read-only.
import { performance } from "node:perf_hooks";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { LocalTest } from "../targets/dbt/index.js";
import { readWarehouse } from "./query.js";
import { WarehouseBuildError, type TestOutcome } from "./warehouse.js";

async function rowsOf(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

/** Each test's failing-row count and up to five of the rows. A query that cannot run is a WarehouseBuildError. */
export async function runTests(conn: DuckDBConnection, tests: readonly LocalTest[]): Promise<TestOutcome[]> {
  const out: TestOutcome[] = [];
  for (const t of tests) {
    const started = performance.now();
    const [c] = await rowsOf(conn, `SELECT count(*) AS n FROM (${t.sql}) AS failing`).catch((e: unknown) => {
      throw new WarehouseBuildError(
        `running dbt test ${t.name}${t.userFile ? ` (${t.userFile})` : ""} on DuckDB: ${e instanceof Error ? e.message : String(e)}`,
      );
    });
    const failures = Number(c!.n);
    const sample = failures > 0 ? await rowsOf(conn, `SELECT * FROM (${t.sql}) AS failing LIMIT 5`) : [];
    out.push({
      name: t.name,
      model: t.model,
      ...(t.column !== undefined && { column: t.column }),
      severity: t.severity,
      failures,
      sample,
      ms: Math.round(performance.now() - started),
    });
  }
  return out;
}

export interface StandaloneTestResult {
  readonly tests: readonly TestOutcome[];
  /** Tests not run because a model they read is not in the warehouse (never built, or built before it existed). */
  readonly notBuilt: readonly { readonly name: string; readonly models: readonly string[] }[];
}

/** `lakec test`: the tests against the warehouse as it is, read-only; nothing is rebuilt. */
export async function testWarehouse(lakeDir: string, tests: readonly LocalTest[]): Promise<StandaloneTestResult> {
  return readWarehouse(lakeDir, async (conn) => {
    const present = new Set(
      (await rowsOf(conn, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")).map((r) => String(r.table_name)),
    );
    const notBuilt = tests.flatMap((t) => {
      const missing = (t.models ?? [t.model]).filter((m) => !present.has(m));
      return missing.length === 0 ? [] : [{ name: t.name, models: missing }];
    });
    const runnable = tests.filter((t) => !notBuilt.some((n) => n.name === t.name));
    return { tests: await runTests(conn, runnable), notBuilt };
  });
}
