// The reserved-word lists are copied from documentation; these tests re-derive the two that an
// installed engine can report (DuckDB's catalog, Python's keyword module) so a version bump that
// adds a keyword fails here instead of in a customer's warehouse.
import { execFileSync } from "node:child_process";
import { DuckDBInstance } from "@duckdb/node-api";
import { expect, test } from "vitest";
import { DUCKDB_RESERVED, PYTHON_RESERVED, SNOWFLAKE_RESERVED, SPARK_RESERVED, reservedIn } from "../../compiler/reserved-words.js";
import { python } from "../support/python.js";

// Glue 5.0 runs Python 3.11; another version has other soft keywords (3.12 adds "type").
const PY311 = python?.version === "3.11" ? python.path : undefined;

test("DUCKDB_RESERVED is exactly the keywords DuckDB rejects as a column or table name", async () => {
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  const rows = (
    await con.runAndReadAll(
      "select keyword_name as k from duckdb_keywords() where keyword_category in ('reserved', 'type_function', 'column_name')",
    )
  ).getRowObjectsJson();
  const rejected: string[] = [];
  for (const { k } of rows as { k: string }[]) {
    for (const sql of [
      `create or replace temp table probe(${k} integer)`,
      `create or replace temp table ${k}(x integer)`,
      `select x.${k} from (select 1 as "${k}") x`,
    ]) {
      try {
        await con.run(sql);
      } catch {
        rejected.push(k.toUpperCase());
        break;
      }
    }
  }
  con.closeSync();
  expect([...DUCKDB_RESERVED].sort()).toEqual([...new Set(rejected)].sort());
}, 30_000);

const python311Test = `PYTHON_RESERVED holds every lower-case keyword and soft keyword of the Glue Python (3.11)${PY311 ? "" : ` [skipped: the python3 on PATH is ${python?.version ?? "missing"}, not 3.11]`}`;
test.skipIf(!PY311)(python311Test, () => {
  const out = execFileSync(PY311!, ["-c", "import keyword, json; print(json.dumps(keyword.kwlist + keyword.softkwlist))"], {
    encoding: "utf8",
  });
  const words = (JSON.parse(out) as string[]).filter((w) => w === w.toLowerCase());
  expect([...PYTHON_RESERVED].sort()).toEqual(words.sort());
});

test("the lists are upper-case SQL words and the lookup names each engine", () => {
  for (const set of [SNOWFLAKE_RESERVED, SPARK_RESERVED, DUCKDB_RESERVED]) for (const w of set) expect(w).toMatch(/^[A-Z_]+$/);
  expect(reservedIn("select")).toEqual(["Snowflake", "Spark SQL", "DuckDB"]);
  expect(reservedIn("qualify")).toEqual(["Snowflake", "DuckDB"]);
  expect(reservedIn("lambda")).toEqual(["DuckDB", "Python"]);
  expect(reservedIn("yield")).toEqual(["Python"]);
  expect(reservedIn("rating")).toEqual([]);
});
