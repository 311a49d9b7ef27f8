// The functions of the expression language (derived columns, filters, measure arguments): their
// signatures, result types and one print per dialect. Each function has ONE meaning, defined in
// docs/language.md ("Functions"); where DuckDB, Spark SQL and Snowflake disagree (day-of-week
// numbering, week start, regex no-match, substr at 0, NULLs in concat, integer division) the
// printers below spell out the agreed meaning instead of relying on an engine's default.
import type { ScalarType } from "../ir.js";
import type { Expr } from "./ast.js";
import type { DialectName } from "./print.js";

/** A typed argument as the type checker sees it. `null` is an untyped NULL literal. */
export type ArgType = ScalarType | { readonly kind: "null" };

export const DATE_UNITS = ["day", "week", "month", "quarter", "year"] as const;
export type DateUnit = (typeof DATE_UNITS)[number];

/** What a printer gets besides the printed arguments. */
export interface PrintHelp {
  readonly exprs: readonly Expr[];
  str(s: string): string;
  /** The cleaning trim (ASCII whitespace) in this dialect. */
  trim(e: string): string;
}

type Printer = (d: DialectName, a: readonly string[], h: PrintHelp) => string;

/** Argument kinds a signature accepts; `any` is any scalar, the checker adds the rest. */
export type ArgKind = "string" | "number" | "integer" | "temporal" | "timestamp" | "boolean" | "any" | "unit" | "pattern" | "text";

export interface FunctionSpec {
  /** As shown in docs and hints, e.g. `substr(s, start[, length])`. */
  readonly signature: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  /** Kind of each argument (the last one repeats for variadic functions). */
  readonly args: readonly ArgKind[];
  /** Result type from the argument types (after the checker converted them). */
  result(types: readonly ArgType[]): ScalarType | { readonly kind: "null" };
  print: Printer;
  /** Shown in the user-facing list of functions. */
  readonly visible: boolean;
}

const STRING: ScalarType = { kind: "string" };
const INTEGER: ScalarType = { kind: "integer" };
const DOUBLE: ScalarType = { kind: "double" };
const BOOLEAN: ScalarType = { kind: "boolean" };

const same = (d: DialectName, duck: string, spark: string, sf: string): string => (d === "duckdb" ? duck : d === "spark" ? spark : sf);

/** The unit literal of a date function, validated by the checker. */
const unitOf = (h: PrintHelp): DateUnit => {
  const u = h.exprs[0];
  if (u?.k !== "lit" || typeof u.value !== "string") throw new Error("date unit must be a string literal (the checker ensures it)");
  return u.value.toLowerCase() as DateUnit;
};

const isDate = (h: PrintHelp, i: number): boolean => exprTypeHint(h.exprs[i]) === "date";

/**
 * The checker wraps every date/timestamp argument of a date function in a `convert` to its own
 * type, so printers can tell a DATE from a TIMESTAMP without a type environment.
 */
function exprTypeHint(e: Expr | undefined): string | undefined {
  return e?.k === "convert" ? e.to.kind : undefined;
}

/** The Monday on or before a date (ISO weeks), whatever the session's WEEK_START. */
function monday(d: DialectName, x: string): string {
  return same(
    d,
    `CAST(date_trunc('week', CAST(${x} AS DATE)) AS DATE)`,
    `CAST(date_trunc('WEEK', CAST(${x} AS DATE)) AS DATE)`,
    `DATEADD('day', 1 - DAYOFWEEKISO(${x}), CAST(${x} AS DATE))`,
  );
}

function daysBetween(d: DialectName, a: string, b: string): string {
  return same(
    d,
    `date_diff('day', CAST(${a} AS DATE), CAST(${b} AS DATE))`,
    `datediff(CAST(${b} AS DATE), CAST(${a} AS DATE))`,
    `DATEDIFF('day', CAST(${a} AS DATE), CAST(${b} AS DATE))`,
  );
}

function dateTrunc(d: DialectName, unit: DateUnit, x: string, date: boolean): string {
  if (unit === "week") {
    if (date) return monday(d, x);
    // A timestamp's Monday at midnight.
    return same(
      d,
      `date_trunc('week', ${x})`,
      `date_trunc('WEEK', ${x})`,
      `DATEADD('day', 1 - DAYOFWEEKISO(${x}), DATE_TRUNC('DAY', ${x}))`,
    );
  }
  if (d === "snowflake") return `DATE_TRUNC('${unit.toUpperCase()}', ${x})`;
  const t = `date_trunc('${d === "spark" ? unit.toUpperCase() : unit}', ${x})`;
  return date ? `CAST(${t} AS DATE)` : t;
}

/** Boundaries crossed from a to b (DATEDIFF's meaning), computed the same way everywhere. */
function dateDiff(d: DialectName, unit: DateUnit, a: string, b: string): string {
  const ym = (x: string, per: number, part: string): string => `(year(${x}) * ${per} + ${part}(${x}))`;
  switch (unit) {
    case "day":
      return daysBetween(d, a, b);
    case "week":
      return `CAST(${daysBetween(d, monday(d, a), monday(d, b))} / 7 AS BIGINT)`;
    case "month":
      return `(${ym(b, 12, "month")} - ${ym(a, 12, "month")})`;
    case "quarter":
      return `(${ym(b, 4, "quarter")} - ${ym(a, 4, "quarter")})`;
    case "year":
      return `(year(${b}) - year(${a}))`;
  }
}

/** Spark's LIKE treats backslash as its escape character; ours has none (docs/language.md). */
function likePattern(d: DialectName, h: PrintHelp, printed: string): string {
  const p = h.exprs[1];
  if (d !== "spark" || p?.k !== "lit" || typeof p.value !== "string" || !p.value.includes("\\")) return printed;
  return h.str(p.value.replace(/\\/g, "\\\\"));
}

const numeric = (t: ArgType): boolean => t.kind === "integer" || t.kind === "double" || t.kind === "decimal";

/** Result type of + - *: integers stay integers, any double makes a double, else decimal(38, s). */
function arithmetic(op: "add" | "subtract" | "multiply") {
  return (types: readonly ArgType[]): ScalarType => {
    const [l, r] = types as ScalarType[];
    if (!l || !r || l.kind === "double" || r.kind === "double") return DOUBLE;
    if (l.kind === "integer" && r.kind === "integer") return INTEGER;
    const s = (t: ScalarType): number => (t.kind === "decimal" ? t.scale : 0);
    const scale = op === "multiply" ? s(l) + s(r) : Math.max(s(l), s(r));
    // Snowflake keeps at most max(s1, s2, 12) digits of a product's scale: beyond 12 the engines would round differently.
    return scale > 12 ? DOUBLE : { kind: "decimal", precision: 38, scale };
  };
}

const firstNonNull = (types: readonly ArgType[]): ScalarType | { kind: "null" } => types.find((t) => t.kind !== "null") ?? { kind: "null" };

const fixed = (t: ScalarType) => (): ScalarType => t;

export const FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  lower: {
    signature: "lower(s)",
    minArgs: 1,
    maxArgs: 1,
    args: ["string"],
    result: fixed(STRING),
    visible: true,
    print: (_d, a) => `lower(${a[0]})`,
  },
  upper: {
    signature: "upper(s)",
    minArgs: 1,
    maxArgs: 1,
    args: ["string"],
    result: fixed(STRING),
    visible: true,
    print: (_d, a) => `upper(${a[0]})`,
  },
  trim: {
    signature: "trim(s)",
    minArgs: 1,
    maxArgs: 1,
    args: ["string"],
    result: fixed(STRING),
    visible: true,
    print: (_d, a, h) => h.trim(a[0]!),
  },
  length: {
    signature: "length(s)",
    minArgs: 1,
    maxArgs: 1,
    args: ["string"],
    result: fixed(INTEGER),
    visible: true,
    print: (_d, a) => `length(${a[0]})`,
  },
  concat: {
    signature: "concat(a, b, …)",
    minArgs: 2,
    maxArgs: 64,
    args: ["text"],
    result: fixed(STRING),
    visible: true,
    // NULL when any argument is NULL: DuckDB's concat() skips NULLs, its || operator does not.
    print: (d, a) => (d === "duckdb" ? `(${a.join(" || ")})` : `concat(${a.join(", ")})`),
  },
  coalesce: {
    signature: "coalesce(a, b, …)",
    minArgs: 2,
    maxArgs: 64,
    args: ["any"],
    result: firstNonNull,
    visible: true,
    print: (_d, a) => `coalesce(${a.join(", ")})`,
  },
  substr: {
    signature: "substr(s, start[, length])",
    minArgs: 2,
    maxArgs: 3,
    args: ["string", "integer", "integer"],
    result: fixed(STRING),
    visible: true,
    print: (d, a) => {
      // 1-based; 0 means 1 (DuckDB would start before the first character); a negative length is ''.
      const start = `CASE WHEN ${a[1]} = 0 THEN 1 ELSE ${a[1]} END`;
      const len = a[2] === undefined ? "" : `, CASE WHEN ${a[2]} < 0 THEN 0 ELSE ${a[2]} END`;
      return `${d === "snowflake" ? "SUBSTR" : "substring"}(${a[0]}, ${start}${len})`;
    },
  },
  split_part: {
    signature: "split_part(s, delimiter, n)",
    minArgs: 3,
    maxArgs: 3,
    args: ["string", "pattern", "integer"],
    result: fixed(STRING),
    visible: true,
    // Spark raises on part 0 (split_part, Spark 3.3+); ours is NULL there.
    print: (_d, a) => `CASE WHEN ${a[2]} <> 0 THEN split_part(${a[0]}, ${a[1]}, ${a[2]}) END`,
  },
  regexp_extract: {
    signature: "regexp_extract(s, pattern[, group])",
    minArgs: 2,
    maxArgs: 3,
    args: ["string", "pattern", "integer"],
    result: fixed(STRING),
    visible: true,
    print: (d, a) => {
      const g = a[2] ?? "0";
      // NULL when nothing matches (DuckDB and Spark give ''); '' for a group that took no part.
      if (d === "duckdb") return `CASE WHEN regexp_matches(${a[0]}, ${a[1]}) THEN regexp_extract(${a[0]}, ${a[1]}, ${g}) END`;
      if (d === "spark") return `CASE WHEN ${a[0]} RLIKE ${a[1]} THEN regexp_extract(${a[0]}, ${a[1]}, ${g}) END`;
      const sub = g === "0" ? `REGEXP_SUBSTR(${a[0]}, ${a[1]})` : `REGEXP_SUBSTR(${a[0]}, ${a[1]}, 1, 1, 'e', ${g})`;
      return `CASE WHEN REGEXP_INSTR(${a[0]}, ${a[1]}) > 0 THEN coalesce(${sub}, '') END`;
    },
  },
  replace: {
    signature: "replace(s, search, replacement)",
    minArgs: 3,
    maxArgs: 3,
    args: ["string", "pattern", "string"],
    result: fixed(STRING),
    visible: true,
    print: (_d, a) => `replace(${a[0]}, ${a[1]}, ${a[2]})`,
  },
  date_trunc: {
    signature: "date_trunc('day'|'week'|'month'|'quarter'|'year', x)",
    minArgs: 2,
    maxArgs: 2,
    args: ["unit", "temporal"],
    result: (t) => t[1] ?? { kind: "null" },
    visible: true,
    print: (d, a, h) => dateTrunc(d, unitOf(h), a[1]!, isDate(h, 1)),
  },
  date_diff: {
    signature: "date_diff('day'|'week'|'month'|'quarter'|'year', start, end)",
    minArgs: 3,
    maxArgs: 3,
    args: ["unit", "temporal", "temporal"],
    result: fixed(INTEGER),
    visible: true,
    print: (d, a, h) => dateDiff(d, unitOf(h), a[1]!, a[2]!),
  },
  year: {
    signature: "year(x)",
    minArgs: 1,
    maxArgs: 1,
    args: ["temporal"],
    result: fixed(INTEGER),
    visible: true,
    print: (_d, a) => `year(${a[0]})`,
  },
  quarter: {
    signature: "quarter(x)",
    minArgs: 1,
    maxArgs: 1,
    args: ["temporal"],
    result: fixed(INTEGER),
    visible: true,
    print: (_d, a) => `quarter(${a[0]})`,
  },
  month: {
    signature: "month(x)",
    minArgs: 1,
    maxArgs: 1,
    args: ["temporal"],
    result: fixed(INTEGER),
    visible: true,
    print: (_d, a) => `month(${a[0]})`,
  },
  day: {
    signature: "day(x)",
    minArgs: 1,
    maxArgs: 1,
    args: ["temporal"],
    result: fixed(INTEGER),
    visible: true,
    print: (d, a) => `${d === "spark" ? "dayofmonth" : "day"}(${a[0]})`,
  },
  day_of_week: {
    signature: "day_of_week(x)",
    minArgs: 1,
    maxArgs: 1,
    args: ["temporal"],
    result: fixed(INTEGER),
    visible: true,
    // ISO: Monday 1 … Sunday 7. Spark's dayofweek starts on Sunday; its weekday() is Monday 0.
    print: (d, a) => same(d, `isodow(${a[0]})`, `(weekday(${a[0]}) + 1)`, `DAYOFWEEKISO(${a[0]})`),
  },
  hour: {
    signature: "hour(x)",
    minArgs: 1,
    maxArgs: 1,
    args: ["timestamp"],
    result: fixed(INTEGER),
    visible: true,
    print: (_d, a) => `hour(${a[0]})`,
  },
  round: {
    signature: "round(x[, digits])",
    minArgs: 1,
    maxArgs: 2,
    args: ["number", "integer"],
    result: (t) => (t[0]?.kind === "integer" ? INTEGER : (t[0] ?? DOUBLE)),
    visible: true,
    // Half away from zero in all three (Spark's round is HALF_UP).
    print: (_d, a) => `round(${a.join(", ")})`,
  },
  like: {
    signature: "s like pattern",
    minArgs: 2,
    maxArgs: 2,
    args: ["string", "pattern"],
    result: fixed(BOOLEAN),
    visible: false,
    print: (d, a, h) => `(${a[0]} LIKE ${likePattern(d, h, a[1]!)})`,
  },
  ilike: {
    signature: "s ilike pattern",
    minArgs: 2,
    maxArgs: 2,
    args: ["string", "pattern"],
    result: fixed(BOOLEAN),
    visible: false,
    print: (d, a, h) => `(${a[0]} ILIKE ${likePattern(d, h, a[1]!)})`,
  },
  between: {
    signature: "x between low and high",
    minArgs: 3,
    maxArgs: 3,
    args: ["any"],
    result: fixed(BOOLEAN),
    visible: false,
    print: (_d, a) => `(${a[0]} BETWEEN ${a[1]} AND ${a[2]})`,
  },
  add: {
    signature: "a + b",
    minArgs: 2,
    maxArgs: 2,
    args: ["number"],
    result: arithmetic("add"),
    visible: false,
    print: (_d, a) => `(${a[0]} + ${a[1]})`,
  },
  subtract: {
    signature: "a - b",
    minArgs: 2,
    maxArgs: 2,
    args: ["number"],
    result: arithmetic("subtract"),
    visible: false,
    print: (_d, a) => `(${a[0]} - ${a[1]})`,
  },
  multiply: {
    signature: "a * b",
    minArgs: 2,
    maxArgs: 2,
    args: ["number"],
    result: arithmetic("multiply"),
    visible: false,
    print: (_d, a) => `(${a[0]} * ${a[1]})`,
  },
  divide: {
    signature: "a / b",
    minArgs: 2,
    maxArgs: 2,
    args: ["number"],
    result: fixed(DOUBLE),
    visible: false,
    // Always a double, NULL for a zero divisor: Snowflake's / gives a NUMBER and raises on zero.
    print: (_d, a) => `(CAST(${a[0]} AS DOUBLE) / nullif(CAST(${a[1]} AS DOUBLE), 0))`,
  },
  negate: {
    signature: "-x",
    minArgs: 1,
    maxArgs: 1,
    args: ["number"],
    result: (t) => t[0] ?? INTEGER,
    visible: false,
    print: (_d, a) => `(- ${a[0]})`,
  },
};

export function isNumericArg(t: ArgType): boolean {
  return numeric(t);
}

/** The functions users can call by name, for hints and docs. */
export function visibleFunctions(): string[] {
  return [
    ...Object.entries(FUNCTIONS)
      .filter(([, f]) => f.visible)
      .map(([n]) => n),
    "cast",
  ];
}

export function printFunction(name: string, d: DialectName, args: readonly string[], help: PrintHelp): string {
  const f = FUNCTIONS[name];
  if (!f) throw new Error(`printExpr: unknown function '${name}' (the checker should have rejected it)`);
  return f.print(d, args, help);
}
