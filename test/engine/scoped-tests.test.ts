// A dbt test of a model built incrementally runs over the rows the build wrote when it passed on
// the previous build (engine/dbt-tests.ts); otherwise, and for relationships, over the whole
// model. Scoped or not, the failure count must be the whole test's.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { duckdb } from "../../engine/duckdb.js";
import { runTests } from "../../engine/dbt-tests.js";
import { DbtJinja } from "../../targets/dbt/jinja.js";
import { testsOf } from "../../targets/dbt/local-tests.js";

let db: DuckDBInstance;
let conn: DuckDBConnection;

const tests = (): ReturnType<typeof testsOf> => [
  ...testsOf(new DbtJinja([]), "stg", "id", ["unique", "not_null"]),
  ...testsOf(new DbtJinja([]), "stg", "colour", [{ accepted_values: { values: ["red", "blue"] } }]),
  ...testsOf(new DbtJinja([]), "stg", "parent_id", [{ relationships: { to: "ref('parent')", field: "id" } }]),
];

/** The build wrote `rows` (appended to stg, and kept as the written rows of this build). */
async function write(rows: string): Promise<void> {
  await conn.run(`INSERT INTO stg VALUES ${rows}`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE stg__lakec_written AS SELECT * FROM (VALUES ${rows}) AS t(id, colour, parent_id)`);
}

const failures = async (incremental: boolean): Promise<Record<string, [number, string]>> =>
  Object.fromEntries(
    (await runTests(conn, tests(), { incremental: new Set(incremental ? ["stg"] : []) })).map((t) => [
      t.name.replace(/_stg_.*/, ""),
      [t.failures, t.scope ?? "whole model"],
    ]),
  );

beforeEach(async () => {
  const { DuckDBInstance } = await duckdb();
  db = await DuckDBInstance.create(":memory:");
  conn = await db.connect();
  await conn.run("CREATE TABLE parent AS SELECT * FROM (VALUES (1), (2)) AS t(id)");
  await conn.run("CREATE TABLE stg (id INTEGER, colour VARCHAR, parent_id INTEGER)");
  await write("(1, 'red', 1), (2, 'blue', 2), (3, 'red', 1)");
});

afterEach(() => {
  conn.closeSync();
  db.closeSync();
});

describe("dbt tests after an incremental build", () => {
  it("the first build has no verdicts: every test reads the whole model", async () => {
    const r = await failures(true);
    expect(Object.values(r).every(([n, scope]) => n === 0 && scope === "whole model")).toBe(true);
  });

  it("after a passing build, the written rows alone are tested, and a duplicate of an old row is still found", async () => {
    await failures(false);
    await write("(3, 'green', 1), (4, NULL, 2)");
    expect(await failures(true)).toEqual({
      unique: [1, "written rows"],
      not_null: [0, "written rows"],
      accepted_values: [1, "written rows"],
      relationships: [0, "whole model"],
    });
  });

  it("a test that failed on the previous build reads the whole model again, so an old failure stays counted", async () => {
    await write("(5, 'green', 1)");
    await failures(false);
    await write("(6, 'red', 2)");
    expect((await failures(true)).accepted_values).toEqual([1, "whole model"]);
  });

  it("a model not built incrementally now is tested whole, and a changed test does not trust the old verdict", async () => {
    await failures(false);
    await write("(7, 'red', 1)");
    expect((await failures(false)).unique).toEqual([0, "whole model"]);
    await conn.run("UPDATE lakec_test_state SET sql_hash = 'other'");
    await write("(8, 'red', 1)");
    expect((await failures(true)).unique).toEqual([0, "whole model"]);
  });

  it("relationships always reads the whole model: a deleted parent fails rows the build did not write", async () => {
    await failures(false);
    await conn.run("DELETE FROM parent WHERE id = 2");
    await write("(9, 'red', 1)");
    expect((await failures(true)).relationships).toEqual([1, "whole model"]);
  });
});
