// Query results as JSON for machines: numbers as JSON numbers with every digit DuckDB gave
// (a BIGINT, HUGEINT or DECIMAL is written as its exact decimal text, never rounded through a
// double), timestamps in ISO 8601, nested lists and structs converted the same way inside.
import { DuckDBTypeId, type DuckDBType } from "@duckdb/node-api";

const EXACT_NUMBERS = new Set<DuckDBTypeId>([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.DECIMAL,
  DuckDBTypeId.FLOAT,
  DuckDBTypeId.DOUBLE,
]);
const TIMESTAMPS = new Set<DuckDBTypeId>([
  DuckDBTypeId.TIMESTAMP,
  DuckDBTypeId.TIMESTAMP_S,
  DuckDBTypeId.TIMESTAMP_MS,
  DuckDBTypeId.TIMESTAMP_NS,
  DuckDBTypeId.TIMESTAMP_TZ,
]);
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** "2018-09-01 10:00:00.123" → "2018-09-01T10:00:00.123"; a "+00" or "+02" offset → "Z" or "+02:00". */
export function isoTimestamp(text: string): string {
  const m = /^(-?\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d)?(?::?(\d\d))?$/.exec(text);
  if (!m) return text; // infinity, -infinity
  const [, date, time, hours, minutes] = m;
  const offset = hours === undefined ? "" : hours === "+00" && (minutes ?? "00") === "00" ? "Z" : `${hours}:${minutes ?? "00"}`;
  return `${date}T${time}${offset}`;
}

/** One value (as DuckDB's JSON conversion gives it) as JSON text, guided by its column type. */
export function jsonValue(value: unknown, type: DuckDBType): string {
  if (value === null || value === undefined) return "null";
  // NaN and Infinity have no JSON number: they stay the strings DuckDB gives.
  if (EXACT_NUMBERS.has(type.typeId) && (typeof value === "number" || (typeof value === "string" && JSON_NUMBER.test(value))))
    return String(value);
  if (TIMESTAMPS.has(type.typeId) && typeof value === "string") return JSON.stringify(isoTimestamp(value));
  if ((type.typeId === DuckDBTypeId.LIST || type.typeId === DuckDBTypeId.ARRAY) && Array.isArray(value))
    return `[${value.map((v) => jsonValue(v, type.valueType)).join(",")}]`;
  if (type.typeId === DuckDBTypeId.STRUCT && typeof value === "object") {
    const entries = type.entryNames.map(
      (name, i) => `${JSON.stringify(name)}:${jsonValue((value as Record<string, unknown>)[name], type.entryTypes[i]!)}`,
    );
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Rows as a JSON array of objects keyed by column name, one row per line. */
export function rowsJson(
  columns: readonly string[],
  types: readonly DuckDBType[],
  rows: readonly (readonly unknown[])[],
  indent = "",
): string {
  if (rows.length === 0) return "[]";
  const row = (r: readonly unknown[]): string =>
    `{${columns.map((c, i) => `${JSON.stringify(c)}: ${jsonValue(r[i], types[i]!)}`).join(", ")}}`;
  return `[\n${rows.map((r) => `${indent}  ${row(r)}`).join(",\n")}\n${indent}]`;
}
