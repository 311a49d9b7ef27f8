// The cleaning, dedupe and flatten stages as SQL, for Spark (the Glue jobs) and DuckDB (the
// local engine). Both targets print these exact relations, so records are classified,
// deduplicated and flattened identically in the cloud and on a laptop.
//
// Input contract: a relation `lines(line_no BIGINT, line VARCHAR, _source_file VARCHAR,
// _ingested_at TIMESTAMP, _arrival_seq BIGINT)`, one row per physical line of one raw file (1-based line_no).
// Empty lines are not records. A line is `not_an_object` unless it starts with `{` after
// leading spaces; one that does but does not parse is `malformed_json`.
import { printExpr, quoteIdent, quoteString, type PrintOptions } from "../expr/print.js";
import type { Expr } from "../expr/ast.js";
import type { CleanColumn, ScalarType, SourceIR, TableIR } from "../ir.js";
import { derivedItems } from "./derive.js";
import { pathsOfColumn } from "../lower-messy-feeds.js";
import { castNullFlags, castNullsSql } from "./cast-nulls.js";
import { RECORD_HASH_COLUMN } from "../whole-record-key.js";

export type SqlDialect = "duckdb" | "spark";

/** Each entry is one SELECT; relations are named by their key and read the previous ones. */
export interface CleanStages {
  /** Over `lines`: typed columns, record id, `_reason`, `_reason_column`. */
  readonly checked: string;
  /** Over `checked`: adds `_dup_rank` (1 = first record with that id, by line). */
  readonly ranked: string;
  /** Over `ranked`: the clean records, one per id, with meta columns. */
  readonly clean: string;
  /** Over `ranked`: rejected records with reason, column, file and line. */
  readonly quarantine: string;
  /** Over `ranked`: one row `records_in, clean, invalid, duplicates`. */
  readonly counts: string;
  /** Over `ranked`: `reason, reason_column, records` for rejected records. */
  readonly reasons: string;
  /** Over `ranked`, for sources with `on_cast_error: set_null` columns: their counts of NULLs from failed casts (cast-nulls.ts). */
  readonly castNulls?: string;
}

const CORRUPT = "_lakec_corrupt";

function topLevelFields(src: SourceIR): string[] {
  const seen: string[] = [];
  for (const c of src.columns) for (const p of pathsOfColumn(c)) if (!seen.includes(p[0]!)) seen.push(p[0]!);
  return seen;
}

function parseRecord(src: SourceIR, d: SqlDialect): string {
  const fields = topLevelFields(src);
  if (d === "duckdb") {
    const structure = JSON.stringify(Object.fromEntries(fields.map((f) => [f, "VARCHAR"])));
    return `CASE WHEN _is_object AND json_valid(line) THEN from_json(line, ${quoteString("duckdb", structure)}) END`;
  }
  const ddl = [...fields, CORRUPT].map((f) => `${quoteIdent("spark", f)} STRING`).join(", ");
  return `CASE WHEN _is_object THEN from_json(line, ${quoteString("spark", ddl)}, map('columnNameOfCorruptRecord', '${CORRUPT}')) END`;
}

function jsonOk(d: SqlDialect): string {
  return d === "duckdb" ? "(_j IS NOT NULL)" : `(_j IS NOT NULL AND _j.${quoteIdent("spark", CORRUPT)} IS NULL)`;
}

const q = (d: SqlDialect, n: string): string => quoteIdent(d, n);
const textName = (c: CleanColumn): string => `${c.name}__text`;
/** Names starting with `_` are kept from users (LK210), so this cannot collide with a column. */
const itemsName = (column: string): string => `_items_${column}`;

/**
 * A `split` column whose raw value is already a JSON array: its elements, as a list of text.
 * NULL when the raw value is a string (then the child table splits it) or absent. The parse is
 * from the record line, not from the column's text: a string value that reads `["a"]` and an
 * array value give the same text, and only the line tells them apart. It runs only for values
 * whose text starts with `[`, so a feed of delimited strings pays nothing for it. It reads `line`,
 * so it is computed with the parse (the local engine drops `line` once `parsed` is built).
 */
function splitItems(c: CleanColumn, d: SqlDialect): string {
  const paths = pathsOfColumn(c);
  if (paths.length === 1) return splitItemsAt(c.path, d);
  // from_any: the elements of the path the column's value came from (the first present one).
  const raw = (path: readonly string[]): string => printExpr({ k: "raw", path }, d, { rawRoot: "_j" });
  return `CASE ${paths.map((p) => `WHEN ${raw(p)} IS NOT NULL THEN ${splitItemsAt(p, d)}`).join(" ")} END`;
}

function splitItemsAt(path: readonly string[], d: SqlDialect): string {
  const raw = printExpr({ k: "raw", path }, d, { rawRoot: "_j" });
  if (d === "duckdb") {
    const structure = path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), "VARCHAR[]");
    const access = path.reduce(
      (e, key) => `struct_extract(${e}, ${quoteString(d, key)})`,
      `from_json(line, ${quoteString(d, JSON.stringify(structure))})`,
    );
    return `CASE WHEN starts_with(ltrim(${raw}), '[') THEN ${access} END`;
  }
  const [head, ...rest] = path.map((k) => q(d, k));
  const ddl = `${head!} ${rest.reduceRight((inner, key) => `STRUCT<${key}: ${inner}>`, "ARRAY<STRING>")}`;
  return `CASE WHEN ltrim(${raw}) LIKE '[%' THEN from_json(line, ${quoteString(d, ddl)}).${path.map((k) => q(d, k)).join(".")} END`;
}

function reasonCase(src: SourceIR, d: SqlDialect, pick: "reason" | "column"): string {
  const opts: PrintOptions = {};
  const whens = [
    `WHEN NOT _is_object THEN ${pick === "reason" ? "'not_an_object'" : "NULL"}`,
    `WHEN NOT ${jsonOk(d)} THEN ${pick === "reason" ? "'malformed_json'" : "NULL"}`,
    ...src.checks.map(
      (ch) => `WHEN ${printExpr(ch.fails, d, opts)} THEN ${pick === "reason" ? quoteString(d, ch.reason) : quoteString(d, ch.column)}`,
    ),
  ];
  return `CASE ${whens.join(" ")} END`;
}

/** The innermost SELECTs: each line, whether it looks like an object, and its parsed fields `_j`. */
function parsedSql(src: SourceIR, d: SqlDialect): string {
  // key: whole_record hashes the line here: the local engine drops `line` once `parsed` is built.
  const hash = src.wholeRecordKey ? `, md5(line) AS ${RECORD_HASH_COLUMN}` : "";
  const parsed = `SELECT line_no, line, _source_file, _ingested_at, _arrival_seq, ${d === "duckdb" ? "starts_with(ltrim(line), '{')" : "(ltrim(line) LIKE '{%')"} AS _is_object${hash} FROM lines WHERE line <> ''`;
  const withJ = `SELECT *, ${parseRecord(src, d)} AS _j FROM (${parsed}) AS p0`;
  const items = splitItemColumns(src, d);
  return items.length === 0 ? withJ : `SELECT *, ${items.join(", ")} FROM (${withJ}) AS pj`;
}

/** For each split column, its JSON-array elements (see splitItems); read while `line` is at hand. */
function splitItemColumns(src: SourceIR, d: SqlDialect): string[] {
  return src.columns.filter((c) => c.split !== undefined).map((c) => `${splitItems(c, d)} AS ${q(d, itemsName(c.name))}`);
}

/** The outer SELECTs over the parsed relation (`from`, a FROM item aliased p1). */
function checkedFrom(src: SourceIR, d: SqlDialect, from: string): string {
  const texts = src.columns.map((c) => `${printExpr(c.text, d, { rawRoot: "_j" })} AS ${q(d, textName(c))}`);
  const items = src.columns.filter((c) => c.split !== undefined).map((c) => q(d, itemsName(c.name)));
  const hash = src.wholeRecordKey ? [RECORD_HASH_COLUMN] : [];
  const withTexts = `SELECT line_no, line, _source_file, _ingested_at, _arrival_seq, _is_object, _j, ${[...hash, ...items, ...texts].join(", ")} FROM ${from}`;
  // Values are computed in dependency-free order: each reads only its own text column.
  const values = src.columns.map((c) => `${printExpr(c.value, d)} AS ${q(d, c.name)}`);
  const typed = `SELECT *, ${values.join(", ")} FROM (${withTexts}) AS p2`;
  const id = printExpr(src.recordId, d);
  const flags = castNullFlags(src, d)
    .map((f) => `, ${f}`)
    .join("");
  return `SELECT *, ${reasonCase(src, d, "reason")} AS _reason, ${reasonCase(src, d, "column")} AS _reason_column, CASE WHEN ${"_is_object"} THEN ${id} END AS ${q(d, src.idColumn)}${flags} FROM (${typed}) AS p3`;
}

/** The four nested SELECTs that turn lines into typed, checked records. */
function checkedSql(src: SourceIR, d: SqlDialect): string {
  return checkedFrom(src, d, `(${parsedSql(src, d)}) AS p1`);
}

/**
 * `checked` in two steps, for engines that materialize the parse once (DuckDB re-evaluates
 * `from_json` per reference when the subquery is inlined): `parsed` over `lines`, then
 * `checkedFromParsed` over a relation named `parsed`. Inlining `parsed` gives `checked`'s text.
 * Kept out of CleanStages, whose every entry the Glue clean job embeds.
 */
export function checkedInTwoSteps(src: SourceIR, d: SqlDialect): { readonly parsed: string; readonly checkedFromParsed: string } {
  return { parsed: parsedSql(src, d), checkedFromParsed: checkedFrom(src, d, "parsed AS p1") };
}

/**
 * `ranked` in two steps, for engines that materialize it. DuckDB's window copies every column
 * of its input, and `checked` has about twenty: ranking the ids alone and correcting the few
 * duplicates afterwards took 0.32 s against 0.46 s per 250k lines. `provisional` is `ranked`
 * with every valid record first (`_dup_rank` 1); `laterDuplicates` lists the `line_no` of the
 * valid records that another valid record with the same id precedes, which `ranked` ranks 2
 * or more. Setting their `_dup_rank` to 2 gives `ranked`'s first records, duplicates and
 * counts; the rank of a third copy is 2 rather than 3, which nothing reads. Kept out of
 * CleanStages, whose every entry the Glue clean job embeds.
 */
export function rankedInTwoSteps(
  src: SourceIR,
  d: SqlDialect,
  ranked = "ranked",
): { readonly provisional: string; readonly laterDuplicates: string } {
  const id = q(d, src.idColumn);
  return {
    provisional: "SELECT *, CASE WHEN _reason IS NULL THEN 1 END AS _dup_rank FROM checked",
    laterDuplicates: `SELECT line_no FROM (SELECT line_no, row_number() OVER (PARTITION BY ${id} ORDER BY line_no) AS _n FROM ${ranked} WHERE _reason IS NULL) AS d WHERE _n > 1`,
  };
}

/** `ranked` names the relation the last four stages read (the local engine keeps one per slice). */
export function cleanStages(src: SourceIR, d: SqlDialect, ranked = "ranked"): CleanStages {
  const id = q(d, src.idColumn);
  const items = src.columns.filter((c) => c.split !== undefined).map((c) => q(d, itemsName(c.name)));
  const cols = [
    id,
    ...src.columns.map((c) => q(d, c.name)),
    ...derivedItems(src.derived, d),
    ...items,
    "_source_file",
    "line_no AS _source_line",
    "_ingested_at",
    "_arrival_seq",
  ];
  const castNulls = castNullsSql(src, d, ranked);
  return {
    checked: checkedSql(src, d),
    ranked: `SELECT *, CASE WHEN _reason IS NULL THEN row_number() OVER (PARTITION BY _reason IS NULL, ${id} ORDER BY line_no) END AS _dup_rank FROM checked`,
    clean: `SELECT ${cols.join(", ")} FROM ${ranked} WHERE _reason IS NULL AND _dup_rank = 1`,
    quarantine: `SELECT line AS raw_record, _reason AS reason, _reason_column AS reason_column, _source_file AS source_key, line_no AS line_number FROM ${ranked} WHERE _reason IS NOT NULL`,
    counts:
      "SELECT count(*) AS records_in, " +
      "coalesce(sum(CASE WHEN _reason IS NULL AND _dup_rank = 1 THEN 1 ELSE 0 END), 0) AS clean, " +
      "coalesce(sum(CASE WHEN _reason IS NOT NULL THEN 1 ELSE 0 END), 0) AS invalid, " +
      `coalesce(sum(CASE WHEN _reason IS NULL AND _dup_rank > 1 THEN 1 ELSE 0 END), 0) AS duplicates FROM ${ranked}`,
    reasons: `SELECT _reason AS reason, _reason_column AS reason_column, count(*) AS records FROM ${ranked} WHERE _reason IS NOT NULL GROUP BY _reason, _reason_column`,
    ...(castNulls !== undefined && { castNulls }),
  };
}

function elementCast(d: SqlDialect, element: ScalarType, text: Expr): string {
  return printExpr({ k: "cast", arg: text, to: element }, d);
}

/**
 * A child row's value columns, from the element or entry value `v` of the relation `alias`: the
 * value cast to its type, or, with `fields`, each field of the object `v` cast to its own type
 * (an absent field, a JSON null and a value that does not cast are NULL, as for scalar values).
 */
function childValueColumns(x: Exclude<TableIR["child"], undefined>["expansion"], d: SqlDialect, alias: string): string[] {
  const fields = x.mode === "split" ? undefined : x.fields;
  if (fields === undefined) return [`${elementCast(d, x.element, { k: "ref", name: "v", table: alias })} AS ${q(d, x.valueColumn)}`];
  return fields.map(
    (f) => `${printExpr({ k: "cast", arg: { k: "raw", path: ["v", f.field] }, to: f.type }, d, { rawRoot: alias })} AS ${q(d, f.column)}`,
  );
}

function partitionExtra(t: TableIR, d: SqlDialect, alias: string): string[] {
  const p = t.partition;
  if (!p || p.key === p.column) return [];
  return [`${printExpr(p.value, d, { refPrefix: alias })} AS ${q(d, p.key)}`];
}

const META = ["_source_file", "_source_line", "_ingested_at", "_arrival_seq"];

/**
 * One output table as a SELECT over the clean relation (named `clean`): a main table picks its
 * columns; a child table expands its parent's array, delimited string or object.
 */
export function tableSelect(t: TableIR, d: SqlDialect, cleanRelation = "clean"): string {
  const expanded = expandedSelect(t, d, cleanRelation);
  const derived = derivedItems(t.child?.derived, d, { refPrefix: "c" });
  if (derived.length === 0) return expanded;
  // A child's derived columns read its expanded rows (the cast value, the key or index).
  const names = new Set(t.child!.derived!.map((x) => x.name));
  const own = storedColumns(t)
    .filter((c) => !names.has(c.name))
    .map((c) => `c.${q(d, c.name)}`);
  const tail = [
    ...META.map((m) => `c.${m}`),
    ...(t.partition && t.partition.key !== t.partition.column ? [`c.${q(d, t.partition.key)}`] : []),
  ];
  return `SELECT ${[...own, ...derived, ...tail].join(", ")} FROM (${expanded}) AS c`;
}

/** The table's columns without a partition key that only the path holds (partitionExtra computes it). */
function storedColumns(t: TableIR): TableIR["columns"] {
  const p = t.partition;
  return p && p.key !== p.column ? t.columns.filter((c) => c.name !== p.key) : t.columns;
}

function expandedSelect(t: TableIR, d: SqlDialect, cleanRelation: string): string {
  const meta = META.map((m) => `p.${m}`);
  if (!t.child) {
    const cols = storedColumns(t).map((c) => `p.${q(d, c.name)}`);
    return `SELECT ${[...cols, ...meta, ...partitionExtra(t, d, "p")].join(", ")} FROM ${cleanRelation} AS p`;
  }
  const carried = t.child.carried.map((c) => `p.${q(d, c)}`);
  const from = `p.${q(d, t.child.fromColumn)}`;
  const x = t.child.expansion;
  const ws = d === "duckdb" ? "chr(32) || chr(9) || chr(10) || chr(13)" : "concat(chr(32), chr(9), chr(10), chr(13))";
  const tail = [...meta, ...partitionExtra(t, d, "p")];
  if (x.mode === "entries") {
    const cols = [...carried, `u.k AS ${q(d, x.keyColumn)}`, ...childValueColumns(x, d, "u"), ...tail];
    if (d === "duckdb") {
      const entries = `unnest(map_entries(from_json(${from}, '"MAP(VARCHAR, VARCHAR)"'))) AS t(e)`;
      return `SELECT ${cols.join(", ")} FROM ${cleanRelation} AS p, LATERAL (SELECT e.key AS k, e.value AS v FROM ${entries}) AS u`;
    }
    return `SELECT ${cols.join(", ")} FROM ${cleanRelation} AS p LATERAL VIEW explode(from_json(${from}, 'map<string,string>')) u AS k, v`;
  }
  const cols = [...carried, `u.i AS ${q(d, x.indexColumn)}`, ...childValueColumns(x, d, "u"), ...tail];
  let list: string;
  if (x.mode === "array") {
    list = d === "duckdb" ? `from_json(${from}, '["VARCHAR"]')` : `from_json(${from}, 'array<string>')`;
  } else if (d === "duckdb") {
    // A JSON array is taken as it is (its elements may hold the separator); only text is split.
    const elements = `coalesce(p.${q(d, itemsName(t.child.fromColumn))}, string_split(${from}, ${quoteString(d, x.separator)}))`;
    list = `list_filter(list_transform(${elements}, x -> trim(x, ${ws})), x -> x <> '')`;
  } else {
    const re = x.separator.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const elements = `coalesce(p.${q(d, itemsName(t.child.fromColumn))}, split(${from}, ${quoteString(d, re)}))`;
    list = `filter(transform(${elements}, x -> trim(BOTH ${ws} FROM x)), x -> x <> '')`;
  }
  if (d === "duckdb") {
    // The list is parsed once per record, in a subquery, and unnested in the SELECT list beside
    // generate_subscripts, over only the columns the rows need. A lateral join
    // (`FROM p, unnest(…) WITH ORDINALITY`) copied the parent row, array text included, into
    // every element's row: memory grew with the square of the array (5,000 elements ran out of
    // memory at 512 MB). With the list expression inside unnest() it was parsed again for
    // every chunk of output rows (1M elements: 13 s, against 0.1 s parsed once). Positions in
    // the lake are 0-based like JSON arrays.
    const needed = [...new Set([...t.child.carried, ...META, ...(t.partition ? [t.partition.column] : [])])].map((c) => `p.${q(d, c)}`);
    const parsed = `SELECT ${needed.join(", ")}, ${list} AS _elements FROM ${cleanRelation} AS p`;
    const expanded = `SELECT ${needed.join(", ")}, unnest(p._elements) AS v, generate_subscripts(p._elements, 1) - 1 AS i FROM (${parsed}) AS p`;
    const inP = [...carried, `p.i AS ${q(d, x.indexColumn)}`, ...childValueColumns(x, d, "p"), ...tail];
    return `SELECT ${inP.join(", ")} FROM (${expanded}) AS p`;
  }
  return `SELECT ${cols.join(", ")} FROM ${cleanRelation} AS p LATERAL VIEW posexplode(${list}) u AS i, v`;
}
