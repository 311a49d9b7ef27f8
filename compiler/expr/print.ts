// Prints the expression tree as SQL for one dialect. The dialect tables below are the only
// place where DuckDB, Spark SQL and Snowflake differ; everything else is shared, which is
// what keeps the local engine, the Glue jobs and the dbt models equivalent.
import type { ScalarType } from "../ir.js";
import type { Expr, Literal, TimeUnit } from "./ast.js";
import { strftimeToJava, strftimeToSnowflake } from "./datetime-format.js";
import { printFunction } from "./functions.js";

export type DialectName = "duckdb" | "spark" | "snowflake";

export interface PrintOptions {
  /** SQL expression of the struct that holds the raw record's top-level fields as JSON text. */
  readonly rawRoot?: string;
  /** Qualifier for unqualified refs (e.g. a table alias). */
  readonly refPrefix?: string;
  /** Maps a table name in qualified refs to the alias used in the FROM clause. */
  readonly tableAlias?: (table: string) => string;
  /** Prints column names of refs; default: the dialect's quoting. dbt models use bare validated names. */
  readonly columnName?: (name: string) => string;
}

interface Dialect {
  ident(name: string): string;
  str(s: string): string;
  whitespace: string;
  sqlType(t: ScalarType): string;
  tryCast(e: string, type: string): string;
  fullMatch(e: string, re: string): string;
  jsonField(json: string, key: string): string;
  parseFormatted(text: string, fmt: string, to: "date" | "timestamp"): string;
  /** Text to a naive UTC timestamp: an explicit offset (`Z`, `+02:00`) converts to UTC, text without one is UTC already. */
  parseTimestamp(text: string): string;
  fromEpoch(intText: string, unit: TimeUnit): string;
  isJson(text: string, kind: "object" | "array"): string;
  canonTimestamp(e: string): string;
  formatDate(e: string, grain: "day" | "month" | "year"): string;
  /** `YYYY-MM-DD HH:MM:SS` (seconds, no fraction) of a timestamp. */
  formatTimestamp(e: string): string;
  trim(e: string): string;
  countIf(e: string): string;
}

/** A time of day followed by a UTC offset: `…T10:15Z`, `… 10:15:00.5+02:00`, `…10:15-0530`. */
const WITH_OFFSET = ".*[0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)? ?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)";

const EPOCH_LIMIT: Record<TimeUnit, [string, string]> = {
  // Years 0001..9999, so an absurd epoch value is a cast failure rather than an engine error.
  seconds: ["-62135596800", "253402300799"],
  milliseconds: ["-62135596800000", "253402300799999"],
  microseconds: ["-62135596800000000", "253402300799999999"],
};

const ansiType = (t: ScalarType, names: Record<string, string>): string =>
  t.kind === "decimal" ? `DECIMAL(${t.precision},${t.scale})` : names[t.kind]!;

const duckdb: Dialect = {
  ident: (n) => `"${n.replace(/"/g, '""')}"`,
  str: (s) => `'${s.replace(/'/g, "''")}'`,
  whitespace: "chr(32) || chr(9) || chr(10) || chr(13)",
  sqlType: (t) =>
    ansiType(t, { string: "VARCHAR", integer: "BIGINT", double: "DOUBLE", boolean: "BOOLEAN", date: "DATE", timestamp: "TIMESTAMP" }),
  tryCast: (e, type) => `TRY_CAST(${e} AS ${type})`,
  fullMatch: (e, re) => `regexp_full_match(${e}, '${re}')`,
  // json_extract_string raises on text that is not JSON; the guard turns that into NULL, as in Spark.
  jsonField: (json, key) =>
    `json_extract_string(CASE WHEN json_valid(${json}) THEN ${json} END, '$."${key.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/'/g, "''")}"')`,
  parseFormatted: (text, fmt, to) =>
    to === "date" ? `CAST(try_strptime(${text}, ${duckdb.str(fmt)}) AS DATE)` : `try_strptime(${text}, ${duckdb.str(fmt)})`,
  // CAST to TIMESTAMP drops an offset (10:15+02:00 became 10:15, where Spark gives 08:15): text
  // with one goes through TIMESTAMPTZ and back to UTC, whatever the session's time zone.
  parseTimestamp: (t) =>
    `CASE WHEN ${duckdb.fullMatch(t, WITH_OFFSET)} THEN CAST(timezone('UTC', TRY_CAST(${t} AS TIMESTAMPTZ)) AS TIMESTAMP) ELSE TRY_CAST(${t} AS TIMESTAMP) END`,
  fromEpoch: (i, unit) => {
    const fn = { seconds: "to_timestamp", milliseconds: "epoch_ms", microseconds: "make_timestamp" }[unit];
    // to_timestamp returns TIMESTAMPTZ; the lake stores naive UTC timestamps.
    return unit === "seconds" ? `make_timestamp(CAST(${i} AS BIGINT) * 1000000)` : `${fn}(CAST(${i} AS BIGINT))`;
  },
  isJson: (t, kind) => `(json_valid(${t}) AND json_type(${t}) = '${kind === "object" ? "OBJECT" : "ARRAY"}')`,
  canonTimestamp: (e) => `CAST(epoch_us(${e}) AS VARCHAR)`,
  formatDate: (e, g) => `strftime(${e}, '${{ day: "%Y-%m-%d", month: "%Y-%m", year: "%Y" }[g]}')`,
  formatTimestamp: (e) => `strftime(${e}, '%Y-%m-%d %H:%M:%S')`,
  trim: (e) => `trim(${e}, ${duckdb.whitespace})`,
  countIf: (e) => `count_if(${e})`,
};

const spark: Dialect = {
  ident: (n) => `\`${n.replace(/`/g, "``")}\``,
  // Spark SQL treats backslash as an escape inside literals.
  str: (s) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`,
  whitespace: "concat(chr(32), chr(9), chr(10), chr(13))",
  sqlType: (t) =>
    ansiType(t, { string: "STRING", integer: "BIGINT", double: "DOUBLE", boolean: "BOOLEAN", date: "DATE", timestamp: "TIMESTAMP" }),
  // With ANSI mode off (Glue's default) a failed CAST is NULL, like TRY_CAST; try_cast makes it explicit.
  tryCast: (e, type) => `try_cast(${e} AS ${type})`,
  // The Glue job's session time zone is UTC (targets/glue/runtime.ts): an offset converts to UTC.
  parseTimestamp: (t) => `try_cast(${t} AS TIMESTAMP)`,
  fullMatch: (e, re) => `(${e} RLIKE '^${re}$')`,
  jsonField: (json, key) => `get_json_object(${json}, ${spark.str(`$['${key.replace(/'/g, "\\'")}']`)})`,
  parseFormatted: (text, fmt, to) =>
    to === "date" ? `to_date(${text}, ${spark.str(strftimeToJava(fmt))})` : `to_timestamp(${text}, ${spark.str(strftimeToJava(fmt))})`,
  fromEpoch: (i, unit) =>
    `${{ seconds: "timestamp_seconds", milliseconds: "timestamp_millis", microseconds: "timestamp_micros" }[unit]}(CAST(${i} AS BIGINT))`,
  isJson: (t, kind) => `(from_json(${t}, '${kind === "object" ? "map<string,string>" : "array<string>"}') IS NOT NULL)`,
  canonTimestamp: (e) => `CAST(unix_micros(${e}) AS STRING)`,
  formatDate: (e, g) => `date_format(${e}, '${{ day: "yyyy-MM-dd", month: "yyyy-MM", year: "yyyy" }[g]}')`,
  formatTimestamp: (e) => `date_format(${e}, 'yyyy-MM-dd HH:mm:ss')`,
  trim: (e) => `trim(BOTH ${spark.whitespace} FROM ${e})`,
  countIf: (e) => `count_if(${e})`,
};

const snowflake: Dialect = {
  // Names are validated lower-case identifiers; quoting them upper-case keeps them equal to the
  // unquoted form users type, while still making injection impossible.
  ident: (n) => `"${n.toUpperCase().replace(/"/g, '""')}"`,
  str: (s) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`,
  whitespace: "CHR(32) || CHR(9) || CHR(10) || CHR(13)",
  sqlType: (t) =>
    ansiType(t, {
      string: "VARCHAR",
      integer: "NUMBER(38,0)",
      double: "DOUBLE",
      boolean: "BOOLEAN",
      date: "DATE",
      timestamp: "TIMESTAMP_NTZ",
    }),
  tryCast: (e, type) => `TRY_CAST(${e} AS ${type})`,
  fullMatch: (e, re) => `REGEXP_LIKE(${e}, '${re}')`,
  jsonField: (json, key) => `PARSE_JSON(${json}):${snowflake.ident(key).toLowerCase()}::VARCHAR`,
  parseFormatted: (text, fmt, to) =>
    `TRY_TO_${to === "date" ? "DATE" : "TIMESTAMP_NTZ"}(${text}, ${snowflake.str(strftimeToSnowflake(fmt))})`,
  // A cast to TIMESTAMP_NTZ ignores an offset; CONVERT_TIMEZONE's two-argument form takes it from a TIMESTAMP_TZ.
  parseTimestamp: (t) =>
    `CASE WHEN ${snowflake.fullMatch(t, WITH_OFFSET)} THEN CAST(CONVERT_TIMEZONE('UTC', TRY_TO_TIMESTAMP_TZ(${t})) AS TIMESTAMP_NTZ) ELSE TRY_CAST(${t} AS TIMESTAMP_NTZ) END`,
  fromEpoch: (i, unit) => `TO_TIMESTAMP_NTZ(CAST(${i} AS NUMBER), ${{ seconds: 0, milliseconds: 3, microseconds: 6 }[unit]})`,
  isJson: (t, kind) => `(TYPEOF(TRY_PARSE_JSON(${t})) = '${kind === "object" ? "OBJECT" : "ARRAY"}')`,
  canonTimestamp: (e) => `CAST(DATE_PART(EPOCH_MICROSECOND, ${e}) AS VARCHAR)`,
  formatDate: (e, g) => `TO_CHAR(${e}, '${{ day: "YYYY-MM-DD", month: "YYYY-MM", year: "YYYY" }[g]}')`,
  formatTimestamp: (e) => `TO_CHAR(${e}, 'YYYY-MM-DD HH24:MI:SS')`,
  trim: (e) => `TRIM(${e}, ${snowflake.whitespace})`,
  countIf: (e) => `COUNT_IF(${e})`,
};

const DIALECTS: Record<DialectName, Dialect> = { duckdb, spark, snowflake };

export function quoteIdent(dialect: DialectName, name: string): string {
  return DIALECTS[dialect].ident(name);
}

export function quoteString(dialect: DialectName, s: string): string {
  return DIALECTS[dialect].str(s);
}

export function sqlType(dialect: DialectName, t: ScalarType): string {
  return DIALECTS[dialect].sqlType(t);
}

function literal(d: Dialect, v: Literal, type?: ScalarType): string {
  if (v === null) return "NULL";
  if (typeof v === "boolean") return v ? "TRUE" : "FALSE";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(v);
  if (type && type.kind !== "string") return `CAST(${d.str(v)} AS ${d.sqlType(type)})`;
  return d.str(v);
}

const BOOL_TRUE = ["true", "1", "yes", "t", "y"];
const BOOL_FALSE = ["false", "0", "no", "f", "n"];

function castText(d: Dialect, t: string, to: Extract<Expr, { k: "cast" }>): string {
  const target = to.to;
  switch (target.kind) {
    case "string":
      return t;
    case "integer":
      return `CASE WHEN ${d.fullMatch(t, "[+-]?[0-9]+")} THEN ${d.tryCast(t, d.sqlType(target))} END`;
    case "double":
    case "decimal":
      return d.tryCast(t, d.sqlType(target));
    case "boolean": {
      const list = (xs: string[]) => xs.map((x) => d.str(x)).join(", ");
      return `CASE WHEN lower(${t}) IN (${list(BOOL_TRUE)}) THEN TRUE WHEN lower(${t}) IN (${list(BOOL_FALSE)}) THEN FALSE END`;
    }
    case "date":
      return to.format ? d.parseFormatted(t, to.format, "date") : d.tryCast(t, d.sqlType(target));
    case "timestamp": {
      if (to.unit) {
        const [lo, hi] = EPOCH_LIMIT[to.unit];
        const asInt = d.tryCast(t, d.sqlType({ kind: "integer" }));
        return `CASE WHEN ${d.fullMatch(t, "[+-]?[0-9]+")} AND ${asInt} BETWEEN ${lo} AND ${hi} THEN ${d.fromEpoch(t, to.unit)} END`;
      }
      return to.format ? d.parseFormatted(t, to.format, "timestamp") : d.parseTimestamp(t);
    }
    case "object":
    case "array":
      return `CASE WHEN ${d.isJson(t, target.kind)} THEN ${t} END`;
  }
}

function canon(d: Dialect, e: string, t: ScalarType): string {
  switch (t.kind) {
    case "string":
      return e;
    case "boolean":
      return `CASE WHEN ${e} THEN 'true' WHEN NOT ${e} THEN 'false' END`;
    case "date":
      return d.formatDate(e, "day");
    case "timestamp":
      return d.canonTimestamp(e);
    default:
      return `CAST(${e} AS ${d.sqlType({ kind: "string" })})`;
  }
}

export function printExpr(e: Expr, dialect: DialectName, opts: PrintOptions = {}): string {
  const d = DIALECTS[dialect];
  const p = (x: Expr): string => printExpr(x, dialect, opts);
  switch (e.k) {
    case "raw": {
      if (!opts.rawRoot) throw new Error("printExpr: a raw() expression needs PrintOptions.rawRoot");
      const [head, ...rest] = e.path;
      let out = `${opts.rawRoot}.${d.ident(head!)}`;
      for (const key of rest) out = d.jsonField(out, key);
      return out;
    }
    case "ref": {
      const col = opts.columnName ? opts.columnName(e.name) : d.ident(e.name);
      if (e.table) return `${opts.tableAlias ? opts.tableAlias(e.table) : d.ident(e.table)}.${col}`;
      return opts.refPrefix ? `${opts.refPrefix}.${col}` : col;
    }
    case "lit":
      return literal(d, e.value, e.type);
    case "strip":
      return `translate(${p(e.arg)}, ${d.str(e.chars)}, '')`;
    case "trim":
      return d.trim(p(e.arg));
    case "nullIf":
      return `CASE WHEN ${p(e.arg)} IN (${e.values.map((v) => d.str(v)).join(", ")}) THEN NULL ELSE ${p(e.arg)} END`;
    case "cast":
      return castText(d, p(e.arg), e);
    case "coalesce":
      return `coalesce(${e.args.map(p).join(", ")})`;
    case "isNull":
      return `(${p(e.arg)} IS ${e.negate ? "NOT " : ""}NULL)`;
    case "and":
    case "or":
      return `(${e.args.map(p).join(` ${e.k.toUpperCase()} `)})`;
    case "not":
      return `(NOT ${p(e.arg)})`;
    case "cmp":
      return `(${p(e.left)} ${e.op} ${p(e.right)})`;
    case "in":
      return `(${p(e.arg)} ${e.negate ? "NOT " : ""}IN (${e.values.map((v) => literal(d, v)).join(", ")}))`;
    case "canonText":
      return canon(d, p(e.arg), e.type);
    case "md5Join":
      return `md5(concat_ws(chr(31), ${e.args.map(p).join(", ")}))`;
    case "datePart":
      return d.formatDate(p(e.arg), e.grain);
    case "agg":
      return printAgg(d, e, p);
    case "case": {
      const whens = e.whens.map((w) => `WHEN ${p(w.when)} THEN ${p(w.then)}`).join(" ");
      return `CASE ${whens}${e.else ? ` ELSE ${p(e.else)}` : ""} END`;
    }
    case "fn":
      return printFunction(e.name, dialect, e.args.map(p), { exprs: e.args, str: d.str, trim: d.trim });
    case "convert":
      return convert(d, p(e.arg), e.from, e.to);
  }
}

/**
 * A SQL CAST with one meaning everywhere: numbers to integers round half away from zero (Spark
 * would truncate), and dates, timestamps and booleans become the same text in every engine
 * (Snowflake's would follow the session's output formats).
 */
function convert(d: Dialect, e: string, from: ScalarType, to: ScalarType): string {
  if (to.kind === "string") {
    if (from.kind === "date") return d.formatDate(e, "day");
    if (from.kind === "timestamp") return d.formatTimestamp(e);
    if (from.kind === "boolean" || from.kind === "string") return canon(d, e, from);
  }
  if (to.kind === "integer" && (from.kind === "double" || from.kind === "decimal")) return `CAST(round(${e}) AS ${d.sqlType(to)})`;
  return `CAST(${e} AS ${d.sqlType(to)})`;
}

function printAgg(d: Dialect, e: Extract<Expr, { k: "agg" }>, p: (x: Expr) => string): string {
  const a = e.arg ? p(e.arg) : "";
  switch (e.fn) {
    case "count_star":
      return "count(*)";
    case "count":
      return `count(${a})`;
    case "count_distinct":
      return `count(DISTINCT ${a})`;
    case "count_if":
      return d.countIf(a);
    case "avg":
      // Averages are doubles everywhere: decimal averages differ in scale between engines.
      return `avg(CAST(${a} AS DOUBLE))`;
    default:
      return `${e.fn}(${a})`;
  }
}
