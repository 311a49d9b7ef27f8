// The shape of a source's output tables, worked out once from the document: the main table, the
// child tables with their default index/key/value column names, the columns a child carries
// from its parent, the partition key, and how two tables join. The checks (check/tables.ts,
// check/mart-scope.ts) and lowering (lower.ts, lower-marts.ts) both read it, so a checked
// pipeline lowers to the tables the checks saw. Pure, and tolerant of an invalid document: a
// check reports the problem, the shape just leaves out what it cannot work out.
import type { FlattenDoc, SourceDoc } from "./doc.js";
import type { MartJoin, Reference, Type } from "./ir.js";
import { parseType } from "./types-parse.js";
import { keyColumns } from "./whole-record-key.js";

const DEFAULT_INDEX_COLUMN = "position";
const DEFAULT_KEY_COLUMN = "key";
const DEFAULT_VALUE_COLUMN = "value";

export type Grain = "day" | "month" | "year";

export interface PartitionShape {
  /** The column `partition_by` names. */
  readonly column: string;
  readonly grain: Grain;
  /**
   * The hive key. A date partitioned by day is its own key (`review_date=2016-09-01`) and lives
   * only in the path; any other grain, and a timestamp by day, gets a derived key
   * (`reviewed_at_day`), so the data column keeps its full value in the file.
   */
  readonly key: string;
}

/** A column a child table carries from its parent, and why. */
export interface CarriedColumn {
  readonly name: string;
  /** `key` columns carry their position in the source's `key:` list. */
  readonly from: "id" | "key" | "partition";
  readonly keyIndex?: number;
}

interface ChildCommon {
  readonly name: string;
  /** The flattened column of the parent source. */
  readonly fromColumn: string;
  readonly valueColumn: string;
}

/** One row per array element (or per part of a split string), or per entry of an object. */
export type ChildShape =
  | (ChildCommon & { readonly mode: "array"; readonly indexColumn: string })
  | (ChildCommon & { readonly mode: "entries"; readonly keyColumn: string });

export interface SourceShape {
  readonly source: string;
  /** The main table is named after its source. */
  readonly mainTable: string;
  readonly partition?: PartitionShape;
  /** What every child carries: the id, the key columns, the partition column (so it is partitioned like its parent). */
  readonly carried: readonly CarriedColumn[];
  /** `into: table` flattens of an array or object column that name their table, in declaration order. */
  readonly children: readonly ChildShape[];
}

/** The declared columns of a source with their parsed types (undefined when a type does not parse). */
export function declaredTypes(src: SourceDoc): Map<string, Type | undefined> {
  const m = new Map<string, Type | undefined>();
  for (const [name, c] of Object.entries(src.columns ?? {})) m.set(name, typeof c.type === "string" ? parseType(c.type) : undefined);
  return m;
}

/** The main-table column an `into: columns` key becomes: `prefix` + name, by default `<column>_<name>`. */
export function flattenedColumnName(column: string, fl: Pick<FlattenDoc, "prefix">, name: string): string {
  return `${fl.prefix ?? `${column}_`}${name}`;
}

function partitionShape(src: SourceDoc, types: ReadonlyMap<string, Type | undefined>): PartitionShape | undefined {
  const column = src.partition_by;
  if (column === undefined) return undefined;
  const grain = src.partition_grain ?? "day";
  // Checked pipelines partition by a date or a timestamp (LK317): only a date by day is its own key.
  const key = grain === "day" && types.get(column)?.kind !== "timestamp" ? column : `${column}_${grain}`;
  return { column, grain, key };
}

function carriedColumns(src: SourceDoc, types: ReadonlyMap<string, Type | undefined>): CarriedColumn[] {
  const out: CarriedColumn[] = [{ name: src.id, from: "id" }];
  keyColumns(src).forEach((name, keyIndex) => out.push({ name, from: "key", keyIndex }));
  const p = src.partition_by;
  if (p !== undefined && types.has(p) && !out.some((c) => c.name === p)) out.push({ name: p, from: "partition" });
  return out;
}

function childShape(column: string, fl: FlattenDoc, type: Type | undefined): ChildShape | undefined {
  if (fl.into !== "table" || fl.table === undefined) return undefined;
  const common = { name: fl.table, fromColumn: column, valueColumn: fl.value ?? DEFAULT_VALUE_COLUMN };
  if (type?.kind === "array") return { ...common, mode: "array", indexColumn: fl.index ?? DEFAULT_INDEX_COLUMN };
  if (type?.kind === "object") return { ...common, mode: "entries", keyColumn: fl.key ?? DEFAULT_KEY_COLUMN };
  return undefined;
}

export function shapeSource(name: string, src: SourceDoc): SourceShape {
  const types = declaredTypes(src);
  const partition = partitionShape(src, types);
  const children = Object.entries(src.flatten ?? {}).flatMap(([col, fl]) => childShape(col, fl, types.get(col)) ?? []);
  return { source: name, mainTable: name, ...(partition && { partition }), carried: carriedColumns(src, types), children };
}

/** What a join needs to know of a table: TableIR has it, and the checks build it from the document. */
export interface JoinableTable {
  readonly name: string;
  readonly kind: "main" | "child";
  readonly idColumn: string;
  readonly references: readonly Reference[];
  readonly child?: { readonly parent: string };
}

/**
 * How `next` joins onto the tables already in a mart: along a `references:` column (either
 * way), or a parent/child link on the record id. Undefined when nothing links them (LK213).
 */
export function joinCondition(included: readonly JoinableTable[], next: JoinableTable): MartJoin | undefined {
  for (const t of included) {
    const fwd = t.references.find((r) => r.toTable === next.name && t.kind === "main");
    if (fwd)
      return { table: next.name, on: [{ left: { table: t.name, column: fwd.column }, right: { table: next.name, column: fwd.toColumn } }] };
    const back = next.kind === "main" ? next.references.find((r) => r.toTable === t.name) : undefined;
    if (back)
      return {
        table: next.name,
        on: [{ left: { table: t.name, column: back.toColumn }, right: { table: next.name, column: back.column } }],
      };
    if (next.child?.parent === t.name || t.child?.parent === next.name) {
      return {
        table: next.name,
        on: [{ left: { table: t.name, column: t.idColumn }, right: { table: next.name, column: next.idColumn } }],
      };
    }
  }
  return undefined;
}
