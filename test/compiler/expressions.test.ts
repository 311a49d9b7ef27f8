// The expression functions in all three dialects. DuckDB runs each printed expression for real
// over the same rows as the independent model (test/support/independent-expressions.ts); Spark SQL is
// parsed by a real Spark SQL grammar (as in test/targets/spark-sql.test.ts); Snowflake SQL is lexed the
// way test/targets/snowflake.test.ts lexes DDL and may call only the Snowflake functions listed below,
// each checked against the vendor's page.
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { SparkSQL } from "dt-sql-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Expr } from "../../compiler/expr/ast.js";
import { isParseError, parseExpr } from "../../compiler/expr/parse.js";
import { printExpr, type DialectName } from "../../compiler/expr/print.js";
import { typeExpr } from "../../compiler/expr/typecheck.js";
import type { ScalarType } from "../../compiler/ir.js";
import { CASES, ROWS, type V } from "../support/independent-expressions.js";
import { lex } from "../support/snowflake-lex.js";

const COLUMNS: Record<string, ScalarType> = {
  s: { kind: "string" },
  n: { kind: "integer" },
  x: { kind: "decimal", precision: 6, scale: 2 },
  d: { kind: "date" },
  ts: { kind: "timestamp" },
};

function typed(text: string): Expr {
  const p = parseExpr(text);
  if (isParseError(p)) throw new Error(`${text}: ${p.message}`);
  const r = typeExpr(p.expr, {
    text,
    spans: p.spans,
    context: "test",
    conditionCode: "LK333",
    resolve: (_t, c) => (COLUMNS[c] ? { type: COLUMNS[c]!, expr: { k: "ref", name: c } } : { code: "LK226", message: `no ${c}`, hint: "" }),
  });
  if (r.issues.length > 0) throw new Error(`${text}: ${r.issues.map((i) => i.message).join("; ")}`);
  return r.expr;
}

const print = (text: string, d: DialectName): string => printExpr(typed(text), d);

const sqlValue = (v: string | number | null, type: string): string =>
  v === null ? `CAST(NULL AS ${type})` : typeof v === "number" ? `CAST(${v} AS ${type})` : `CAST('${v.replace(/'/g, "''")}' AS ${type})`;

const VALUES = ROWS.map(
  (r) =>
    `(${[sqlValue(r.s, "VARCHAR"), sqlValue(r.n, "BIGINT"), sqlValue(r.x, "DECIMAL(6,2)"), sqlValue(r.d, "DATE"), sqlValue(r.ts, "TIMESTAMP")].join(", ")})`,
).join(", ");

/** DuckDB's JSON rows give dates and timestamps as text, decimals and BIGINTs as text or numbers. */
function normalise(db: unknown, model: V): unknown {
  if (db === null || db === undefined) return null;
  if (typeof model === "number") return Number(db);
  if (typeof model === "string" && /^\d{4}-\d{2}-\d{2}/.test(model)) return String(db).replace("T", " ").slice(0, model.length);
  return db;
}

describe("expressions on DuckDB agree with the independent model", () => {
  let conn: DuckDBConnection;
  beforeAll(async () => {
    conn = await (await DuckDBInstance.create(":memory:")).connect();
  });
  afterAll(() => conn.closeSync());

  for (const c of CASES) {
    it(c.expr, async () => {
      const sql = `SELECT ${print(c.expr, "duckdb")} AS v FROM (VALUES ${VALUES}) AS t(s, n, x, d, ts)`;
      const rows = (await conn.runAndReadAll(sql)).getRowObjectsJson() as { v: unknown }[];
      const got = rows.map((r, i) => normalise(r.v, c.model(ROWS[i]!)));
      const want = ROWS.map((r) => c.model(r));
      expect(got, sql).toEqual(want);
    });
  }

  it("the comparison can fail: a wrong model is caught", async () => {
    const sql = `SELECT ${print("day_of_week(d)", "duckdb")} AS v FROM (VALUES ${VALUES}) AS t(s, n, x, d, ts)`;
    const rows = (await conn.runAndReadAll(sql)).getRowObjectsJson() as { v: unknown }[];
    // Sunday is 7 (ISO), not 0 or 1 as in Spark's dayofweek or JavaScript's getDay.
    expect(Number(rows[0]!.v)).toBe(7);
    expect(Number(rows[0]!.v)).not.toBe(new Date("2016-09-04T00:00:00Z").getUTCDay());
  });
});

describe("expressions printed for Spark parse with a Spark SQL grammar", () => {
  const parser = new SparkSQL();
  for (const c of CASES) {
    it(c.expr, () => {
      expect(parser.validate(`SELECT ${print(c.expr, "spark")} AS v FROM t`)).toEqual([]);
    });
  }
  it("spells out the agreed meaning where Spark differs", () => {
    // weekday(): 0 = Monday … 6 = Sunday (https://spark.apache.org/docs/latest/api/sql/#weekday); ISO wants 1 … 7.
    expect(print("day_of_week(d)", "spark")).toBe("(weekday(CAST(`d` AS DATE)) + 1)");
    // split_part raises on part 0 (https://spark.apache.org/docs/latest/api/python/reference/pyspark.sql/api/pyspark.sql.functions.split_part.html).
    expect(print("split_part(s, '-', n)", "spark")).toBe("CASE WHEN `n` <> 0 THEN split_part(`s`, '-', `n`) END");
    // LIKE's default escape character is the backslash in Spark; ours has none, so it is doubled.
    expect(print("s like 'a\\_%'", "spark")).toBe("(`s` LIKE 'a\\\\\\\\_%')");
    // regexp_extract returns '' when nothing matches; ours is NULL.
    expect(print("regexp_extract(s, 'a(b)', 1)", "spark")).toBe("CASE WHEN `s` RLIKE 'a(b)' THEN regexp_extract(`s`, 'a(b)', 1) END");
  });
});

/**
 * Every function the Snowflake prints may call, with the page that defines the meaning relied on.
 * A print that calls anything else fails the test below.
 */
const SNOWFLAKE_FUNCTIONS: Record<string, string> = {
  LOWER: "https://docs.snowflake.com/en/sql-reference/functions/lower",
  UPPER: "https://docs.snowflake.com/en/sql-reference/functions/upper",
  TRIM: "https://docs.snowflake.com/en/sql-reference/functions/trim",
  CHR: "https://docs.snowflake.com/en/sql-reference/functions/chr",
  LENGTH: "https://docs.snowflake.com/en/sql-reference/functions/length",
  // CONCAT returns NULL when any argument is NULL.
  CONCAT: "https://docs.snowflake.com/en/sql-reference/functions/concat",
  COALESCE: "https://docs.snowflake.com/en/sql-reference/functions/coalesce",
  SUBSTR: "https://docs.snowflake.com/en/sql-reference/functions/substr",
  SPLIT_PART: "https://docs.snowflake.com/en/sql-reference/functions/split_part",
  // REGEXP_SUBSTR(subject, pattern, position, occurrence, 'e', group_num): 'e' extracts a group.
  REGEXP_SUBSTR: "https://docs.snowflake.com/en/sql-reference/functions/regexp_substr",
  REGEXP_INSTR: "https://docs.snowflake.com/en/sql-reference/functions/regexp_instr",
  REPLACE: "https://docs.snowflake.com/en/sql-reference/functions/replace",
  // DATE_TRUNC('WEEK') follows the WEEK_START session parameter, so weeks use DAYOFWEEKISO instead.
  DATE_TRUNC: "https://docs.snowflake.com/en/sql-reference/functions/date_trunc",
  DAYOFWEEKISO: "https://docs.snowflake.com/sql-reference/functions-date-time",
  DATEADD: "https://docs.snowflake.com/en/sql-reference/functions/dateadd",
  DATEDIFF: "https://docs.snowflake.com/en/sql-reference/functions/datediff",
  YEAR: "https://docs.snowflake.com/en/sql-reference/functions/year",
  QUARTER: "https://docs.snowflake.com/en/sql-reference/functions/year",
  MONTH: "https://docs.snowflake.com/en/sql-reference/functions/year",
  DAY: "https://docs.snowflake.com/en/sql-reference/functions/year",
  HOUR: "https://docs.snowflake.com/en/sql-reference/functions/hour-minute-second",
  ROUND: "https://docs.snowflake.com/en/sql-reference/functions/round",
  NULLIF: "https://docs.snowflake.com/en/sql-reference/functions/nullif",
  TO_CHAR: "https://docs.snowflake.com/en/sql-reference/functions/to_char",
  CAST: "https://docs.snowflake.com/en/sql-reference/functions/cast",
  TRY_CAST: "https://docs.snowflake.com/en/sql-reference/functions/try_cast",
  REGEXP_LIKE: "https://docs.snowflake.com/en/sql-reference/functions/regexp_like",
  // Two-argument form: the source's zone comes from a TIMESTAMP_TZ value; returns TIMESTAMP_TZ.
  CONVERT_TIMEZONE: "https://docs.snowflake.com/en/sql-reference/functions/convert_timezone",
  TRY_TO_TIMESTAMP_TZ: "https://docs.snowflake.com/en/sql-reference/functions/try_to_timestamp",
};

const KEYWORDS = new Set([
  "CASE",
  "WHEN",
  "THEN",
  "ELSE",
  "END",
  "AND",
  "OR",
  "NOT",
  "IS",
  "NULL",
  "AS",
  "LIKE",
  "ILIKE",
  "BETWEEN",
  "IN",
  "TRUE",
  "FALSE",
  "DATE",
  "TIMESTAMP_NTZ",
  "VARCHAR",
  "DOUBLE",
  "BIGINT",
  "DECIMAL",
  "NUMBER",
  "BOOLEAN",
]);

describe("expressions printed for Snowflake", () => {
  for (const c of CASES) {
    it(c.expr, () => {
      const tokens = lex(print(c.expr, "snowflake"));
      let depth = 0;
      tokens.forEach((t, i) => {
        if (t.text === "(") depth++;
        if (t.text === ")") depth--;
        expect(depth).toBeGreaterThanOrEqual(0);
        if (t.kind === "word" && tokens[i + 1]?.text === "(" && !KEYWORDS.has(t.text.toUpperCase())) {
          expect(SNOWFLAKE_FUNCTIONS, `${t.text} is not a documented Snowflake function in this list`).toHaveProperty(t.text.toUpperCase());
        }
      });
      expect(depth).toBe(0);
    });
  }
  it("spells out the agreed meaning where Snowflake differs", () => {
    expect(print("day_of_week(d)", "snowflake")).toBe('DAYOFWEEKISO(CAST("D" AS DATE))');
    expect(print("date_trunc('week', d)", "snowflake")).toBe(
      'DATEADD(\'day\', 1 - DAYOFWEEKISO(CAST("D" AS DATE)), CAST(CAST("D" AS DATE) AS DATE))',
    );
    expect(print("n / 0", "snowflake")).toBe('(CAST("N" AS DOUBLE) / nullif(CAST(0 AS DOUBLE), 0))');
    expect(print("regexp_extract(s, 'a(b)', 1)", "snowflake")).toBe(
      `CASE WHEN REGEXP_INSTR("S", 'a(b)') > 0 THEN coalesce(REGEXP_SUBSTR("S", 'a(b)', 1, 1, 'e', 1), '') END`,
    );
  });
  it("the lexer check can fail", () => {
    expect(() => lex("SELECT 'open")).toThrow(/unterminated/);
  });
});
