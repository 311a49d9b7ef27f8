// compiler/expr/print.ts on its own: parse → print → parse round trips, the dialects' quoting,
// types and spellings, and the print options (ref prefixes, table aliases, raw records).
// Whether the printed SQL means the same on each engine is tested in expressions.test.ts.
import { describe, expect, it } from "vitest";
import { lit, ref, type Expr } from "../../compiler/expr/ast.js";
import { isParseError, parseExpr } from "../../compiler/expr/parse.js";
import { printExpr, quoteIdent, quoteString, sqlType, type DialectName } from "../../compiler/expr/print.js";
import type { ScalarType } from "../../compiler/ir.js";

function tree(text: string): Expr {
  const p = parseExpr(text);
  if (isParseError(p)) throw new Error(`${text}: ${p.message}`);
  return p.expr;
}

const DIALECTS: DialectName[] = ["duckdb", "spark", "snowflake"];
/** Bare names, so the printed SQL is in the expression language again. */
const bare = { columnName: (n: string) => n, tableAlias: (t: string) => t };

describe("parse → print → parse", () => {
  // Operators and functions the printer spells as the user wrote them; division, casts and
  // date functions are typed first and printed with their agreed meaning, so they do not round-trip.
  const ROUND_TRIP = [
    "a + b * c",
    "(a + b) * c",
    "a - (b - c)",
    "-a + -5",
    "not a = 1 and b or c",
    "a between 1 and 2",
    "a not like 'x%'",
    "a in (1, -2, 'x', null, true)",
    "a not in ('b')",
    "a is not null",
    "t.a != 3",
    "case when a > 1 then 'it''s' when a < 0 then null else 'y' end",
    "coalesce(a, b, 'z')",
    "lower(s) = 'x'",
  ];
  it.each(ROUND_TRIP.flatMap((text) => (["duckdb", "snowflake"] as const).map((d) => [d, text] as const)))("%s: %s", (dialect, text) => {
    const e = tree(text);
    expect(tree(printExpr(e, dialect, bare))).toEqual(e);
  });

  it("spark escapes quotes with a backslash, so its strings do not re-read as the expression language", () => {
    expect(printExpr(tree("s = 'it''s'"), "spark", bare)).toBe("(s = 'it\\'s')");
  });

  it("prints every operator in parentheses, so precedence never depends on the engine", () => {
    expect(printExpr(tree("a + b * c > 1 or not d"), "duckdb", bare)).toBe("(((a + (b * c)) > 1) OR (NOT d))");
  });
});

describe("quoting and types per dialect", () => {
  it("quotes identifiers: DuckDB and Snowflake double quotes (Snowflake upper-cased), Spark backticks", () => {
    expect(DIALECTS.map((d) => quoteIdent(d, 'we"ird`name'))).toEqual(['"we""ird`name"', '`we"ird``name`', '"WE""IRD`NAME"']);
  });

  it("quotes strings so no value breaks out: doubled quotes, and backslashes where the dialect escapes", () => {
    expect(DIALECTS.map((d) => quoteString(d, "a'b\\c"))).toEqual(["'a''b\\c'", "'a\\'b\\\\c'", "'a''b\\\\c'"]);
  });

  it("names the scalar types in each dialect", () => {
    const types: ScalarType[] = [
      { kind: "string" },
      { kind: "integer" },
      { kind: "double" },
      { kind: "boolean" },
      { kind: "date" },
      { kind: "timestamp" },
      { kind: "decimal", precision: 10, scale: 2 },
    ];
    expect(DIALECTS.map((d) => types.map((t) => sqlType(d, t)))).toEqual([
      ["VARCHAR", "BIGINT", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP", "DECIMAL(10,2)"],
      ["STRING", "BIGINT", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP", "DECIMAL(10,2)"],
      ["VARCHAR", "NUMBER(38,0)", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP_NTZ", "DECIMAL(10,2)"],
    ]);
  });

  it("prints typed literals as casts of their text, untyped ones as they are", () => {
    expect(DIALECTS.map((d) => printExpr(lit("2020-01-01", { kind: "date" }), d))).toEqual([
      "CAST('2020-01-01' AS DATE)",
      "CAST('2020-01-01' AS DATE)",
      "CAST('2020-01-01' AS DATE)",
    ]);
    expect([lit(null), lit(true), lit(2.5), lit("x", { kind: "string" })].map((e) => printExpr(e, "duckdb"))).toEqual([
      "NULL",
      "TRUE",
      "2.5",
      "'x'",
    ]);
  });

  it("spells the dialect-specific parts: date parts, count_if, averages as doubles", () => {
    const month: Expr = { k: "datePart", arg: ref("d"), grain: "month" };
    expect(DIALECTS.map((d) => printExpr(month, d))).toEqual([
      "strftime(\"d\", '%Y-%m')",
      "date_format(`d`, 'yyyy-MM')",
      "TO_CHAR(\"D\", 'YYYY-MM')",
    ]);
    const countIf: Expr = { k: "agg", fn: "count_if", arg: ref("ok") };
    expect(DIALECTS.map((d) => printExpr(countIf, d, bare))).toEqual(["count_if(ok)", "count_if(ok)", "COUNT_IF(ok)"]);
    expect(printExpr({ k: "agg", fn: "avg", arg: ref("x") }, "spark", bare)).toBe("avg(CAST(x AS DOUBLE))");
    expect(printExpr({ k: "agg", fn: "count_star" }, "snowflake")).toBe("count(*)");
  });
});

describe("print options", () => {
  it("qualifies refs: a table alias for qualified ones, a prefix for the others", () => {
    const e = tree("b.city = name");
    expect(printExpr(e, "duckdb")).toBe('("b"."city" = "name")');
    expect(printExpr(e, "duckdb", { tableAlias: (t) => `t_${t}`, refPrefix: "src" })).toBe('(t_b."city" = src."name")');
  });

  it("reads a raw record's nested keys as JSON text under the raw root, and needs that root", () => {
    const raw: Expr = { k: "raw", path: ["style", "Size:"] };
    expect(printExpr(raw, "spark", { rawRoot: "r" })).toBe("get_json_object(r.`style`, '$[\\'Size:\\']')");
    expect(printExpr(raw, "snowflake", { rawRoot: "r" })).toBe('PARSE_JSON(r."STYLE"):"size:"::VARCHAR');
    expect(() => printExpr(raw, "duckdb")).toThrow(/needs PrintOptions.rawRoot/);
  });

  it("refuses a function the checker would have rejected", () => {
    expect(() => printExpr(tree("nosuch(a)"), "duckdb")).toThrow(/unknown function 'nosuch'/);
  });
});
