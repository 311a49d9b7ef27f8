// The output tables a pipeline will produce, as the checks see them: every main and child table
// with its columns, their types, and where in the YAML each column was named. Built once from
// the document (duplicates kept, so the name checks can report them) and read by the name,
// flatten and mart checks.
import type { DocPath } from "../diagnostics.js";
import type { FlattenDoc, PipelineDoc, SourceDoc } from "../doc.js";
import type { Type } from "../ir.js";
import { parseType } from "../types-parse.js";
import { derivedColumns } from "./derive.js";
import { fieldColumns } from "./object-children.js";
import { keyColumns } from "../whole-record-key.js";

export type ColumnOrigin = "id" | "column" | "flattened" | "partition" | "carried" | "index" | "key" | "value" | "derived";

export interface ColumnInfo {
  readonly name: string;
  /** Undefined when the type string does not parse (already reported as LK301). */
  readonly type: Type | undefined;
  readonly origin: ColumnOrigin;
  /** Where the name is written; `key: true` means the mapping key at that path. */
  readonly path: DocPath;
  readonly key: boolean;
  /** A partition key parsed from the file path: readable by marts, not by derived columns. */
  readonly fromPath?: boolean;
}

export interface TableInfo {
  readonly name: string;
  readonly kind: "main" | "child";
  readonly source: string;
  /** For a child table: the flattened column of the parent source. */
  readonly fromColumn?: string;
  readonly columns: readonly ColumnInfo[];
  readonly path: DocPath;
  readonly key: boolean;
}

const DEFAULT_VALUE_COLUMN = "value";
const DEFAULT_INDEX_COLUMN = "position";
const DEFAULT_KEY_COLUMN = "key";
const STRING: Type = { kind: "string" };

/** The declared columns of a source with their parsed types. */
export function declaredTypes(src: SourceDoc): Map<string, Type | undefined> {
  const m = new Map<string, Type | undefined>();
  for (const [name, c] of Object.entries(src.columns ?? {})) m.set(name, typeof c.type === "string" ? parseType(c.type) : undefined);
  return m;
}

/** The name an `into: columns` key gets in the main table, and the path of that name. */
function flattenedColumns(col: string, fl: FlattenDoc, base: DocPath): ColumnInfo[] {
  const out: ColumnInfo[] = [];
  for (const [jsonKey, spec] of Object.entries(fl.keys ?? {})) {
    const name = typeof spec === "string" ? spec : spec.name;
    const typeText = typeof spec === "string" ? undefined : spec.type;
    const path = typeof spec === "string" ? [...base, "keys", jsonKey] : [...base, "keys", jsonKey, "name"];
    const full = fl.prefix !== undefined ? `${fl.prefix}${name}` : `${col}_${name}`;
    out.push({ name: full, type: typeText === undefined ? STRING : parseType(typeText), origin: "flattened", path, key: false });
  }
  return out;
}

function mainTable(name: string, src: SourceDoc): TableInfo {
  const base: DocPath = ["sources", name];
  const types = declaredTypes(src);
  const flatten = src.flatten ?? {};
  const cols: ColumnInfo[] = [{ name: src.id, type: STRING, origin: "id", path: [...base, "id"], key: false }];
  for (const col of Object.keys(src.columns ?? {})) {
    // A flattened column's data moves into its new columns or its child table.
    const kind = types.get(col)?.kind;
    if (flatten[col] && (kind === "object" || kind === "array")) continue;
    cols.push({ name: col, type: types.get(col), origin: "column", path: [...base, "columns", col], key: true });
  }
  for (const [col, fl] of Object.entries(flatten)) {
    if (fl.into === "columns" && types.get(col)?.kind === "object") cols.push(...flattenedColumns(col, fl, [...base, "flatten", col]));
  }
  cols.push(...partitionKey(name, src));
  cols.push(...derivedColumns(cols, src.derive, [...base, "derive"], "the main table").columns);
  return { name, kind: "main", source: name, columns: cols, path: ["sources", name], key: true };
}

/** A partition key that is not a column itself (see lower.ts partitionOf), e.g. `tip_date_month`. */
function partitionKey(name: string, src: SourceDoc): ColumnInfo[] {
  const grain = src.partition_grain ?? "day";
  const types = declaredTypes(src);
  // Only a date partitioned by day keeps its own name as the hive key.
  if (src.partition_by === undefined || (grain === "day" && types.get(src.partition_by)?.kind !== "timestamp")) return [];
  const type: Type = grain === "day" ? { kind: "date" } : STRING;
  return [{ name: `${src.partition_by}_${grain}`, type, origin: "partition", path: ["sources", name, "partition_by"], key: false, fromPath: true }];
}

/**
 * The columns a child table carries from its parent: the id, the key columns, and the partition
 * column (so the child is partitioned like its parent).
 */
function carriedColumns(srcName: string, src: SourceDoc): ColumnInfo[] {
  const types = declaredTypes(src);
  const out: ColumnInfo[] = [{ name: src.id, type: STRING, origin: "carried", path: ["sources", srcName, "id"], key: false }];
  keyColumns(src).forEach((k, i) => out.push({ name: k, type: types.get(k), origin: "carried", path: ["sources", srcName, "key", i], key: false }));
  const p = src.partition_by;
  if (p !== undefined && types.has(p) && !out.some((c) => c.name === p)) {
    out.push({ name: p, type: types.get(p), origin: "carried", path: ["sources", srcName, "partition_by"], key: false });
  }
  return out;
}

function childTable(srcName: string, src: SourceDoc, col: string, fl: FlattenDoc, colType: Type): TableInfo | undefined {
  if (fl.into !== "table" || fl.table === undefined) return undefined;
  const base: DocPath = ["sources", srcName, "flatten", col];
  const at = (opt: "value" | "index" | "key"): { path: DocPath; key: boolean } =>
    fl[opt] !== undefined ? { path: [...base, opt], key: false } : { path: base, key: true };
  const cols = carriedColumns(srcName, src);
  if (colType.kind === "array") {
    cols.push({ name: fl.index ?? DEFAULT_INDEX_COLUMN, type: { kind: "integer" }, origin: "index", ...at("index") });
    if (fl.fields !== undefined && colType.element.kind === "object") cols.push(...fieldColumns(fl, base));
    else cols.push({ name: fl.value ?? DEFAULT_VALUE_COLUMN, type: colType.element, origin: "value", ...at("value") });
  } else if (colType.kind === "object") {
    cols.push({ name: fl.key ?? DEFAULT_KEY_COLUMN, type: STRING, origin: "key", ...at("key") });
    const valueType = fl.type === undefined ? STRING : parseType(fl.type);
    if (fl.fields !== undefined && valueType?.kind === "object") cols.push(...fieldColumns(fl, base));
    else cols.push({ name: fl.value ?? DEFAULT_VALUE_COLUMN, type: valueType, origin: "value", ...at("value") });
  } else {
    return undefined;
  }
  cols.push(...partitionKey(srcName, src).map((c) => ({ ...c, origin: "carried" as const })));
  cols.push(...derivedColumns(cols, fl.derive, [...base, "derive"], `child table ${fl.table}`).columns);
  return { name: fl.table, kind: "child", source: srcName, fromColumn: col, columns: cols, path: [...base, "table"], key: false };
}

/** Every main and child table of the pipeline, in declaration order. */
export function buildTables(doc: PipelineDoc): TableInfo[] {
  const tables: TableInfo[] = [];
  for (const [name, src] of Object.entries(doc.sources ?? {})) {
    tables.push(mainTable(name, src));
    const types = declaredTypes(src);
    for (const [col, fl] of Object.entries(src.flatten ?? {})) {
      const t = types.get(col);
      const child = t ? childTable(name, src, col, fl, t) : undefined;
      if (child) tables.push(child);
    }
  }
  return tables;
}
