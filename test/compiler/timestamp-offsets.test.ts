// Text with a UTC offset cast to a timestamp (a column `type: timestamp` without unit or format,
// or `cast(x as timestamp)`): the lake stores naive UTC, so `10:15+02:00` is 08:15. DuckDB's
// CAST to TIMESTAMP dropped the offset (10:15) while the Glue job's Spark, with its session time
// zone UTC, converts it: the local run and the cloud disagreed on every such value.
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import type { Expr } from "../../compiler/expr/ast.js";
import { printExpr } from "../../compiler/expr/print.js";

const cast: Expr = { k: "cast", arg: { k: "ref", name: "t" }, to: { kind: "timestamp" } };

const CASES: [string, string | null][] = [
  ["2020-01-01T10:15:00+02:00", "2020-01-01 08:15:00"],
  ["2020-01-01 10:15:00.5-05:30", "2020-01-01 15:45:00.5"],
  ["2020-01-01T10:15:00Z", "2020-01-01 10:15:00"],
  ["2020-01-01T23:30:00-0100", "2020-01-02 00:30:00"],
  ["2020-01-01T10:15:00", "2020-01-01 10:15:00"],
  ["2020-01-01 10:15", "2020-01-01 10:15:00"],
  // A date alone ends in digits after a dash: not an offset.
  ["2020-01-01", "2020-01-01 00:00:00"],
  ["not a time", null],
];

describe("text with a UTC offset becomes naive UTC", () => {
  it.each(["Etc/UTC", "America/New_York", "Asia/Kolkata"])("on DuckDB, whatever the session time zone (%s)", async (tz) => {
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    try {
      await conn.run(`SET TimeZone = '${tz}'`);
      for (const [text, want] of CASES) {
        const sql = `SELECT CAST(${printExpr(cast, "duckdb")} AS VARCHAR) AS v FROM (SELECT '${text}' AS t)`;
        const [row] = (await conn.runAndReadAll(sql)).getRowObjectsJson();
        expect(row!.v, text).toBe(want);
      }
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });

  it("on Spark, a plain try_cast: the Glue job's session time zone is UTC", () => {
    expect(printExpr(cast, "spark")).toBe("try_cast(`t` AS TIMESTAMP)");
  });

  it("on Snowflake, through TIMESTAMP_TZ and CONVERT_TIMEZONE('UTC', …), since a cast to TIMESTAMP_NTZ ignores the offset", () => {
    const sql = printExpr(cast, "snowflake");
    expect(sql).toContain(`CAST(CONVERT_TIMEZONE('UTC', TRY_TO_TIMESTAMP_TZ("T")) AS TIMESTAMP_NTZ)`);
    expect(sql).toContain(`ELSE TRY_CAST("T" AS TIMESTAMP_NTZ)`);
  });
});
