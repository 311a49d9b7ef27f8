// The output tables a pipeline will produce, as the checks see them: every main and child table
// with its columns, their types, and where in the YAML each column was named. Built once from
// the document (duplicates kept, so the name checks can report them) and read by the name,
// flatten and mart checks. Which tables there are, their default column names, carried columns
// and partition keys come from the shape lowering uses too (../table-shapes.ts); this adds the
// types the checks can know and the YAML paths to report at.
import type { DocPath } from "../diagnostics.js";
import type { FlattenDoc, PipelineDoc, SourceDoc } from "../doc.js";
import type { Type } from "../ir.js";
import { parseType } from "../types-parse.js";
import { declaredTypes, flattenedColumnName, shapeSource, type CarriedColumn, type ChildShape, type SourceShape } from "../table-shapes.js";
import { derivedColumns } from "./derive.js";
import { fieldColumns } from "./object-children.js";

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

const STRING: Type = { kind: "string" };

/** The name an `into: columns` key gets in the main table, and the path of that name. */
function flattenedColumns(col: string, fl: FlattenDoc, base: DocPath): ColumnInfo[] {
  const out: ColumnInfo[] = [];
  for (const [jsonKey, spec] of Object.entries(fl.keys ?? {})) {
    const name = typeof spec === "string" ? spec : spec.name;
    const typeText = typeof spec === "string" ? undefined : spec.type;
    const path = typeof spec === "string" ? [...base, "keys", jsonKey] : [...base, "keys", jsonKey, "name"];
    out.push({
      name: flattenedColumnName(col, fl, name),
      type: typeText === undefined ? STRING : parseType(typeText),
      origin: "flattened",
      path,
      key: false,
    });
  }
  return out;
}

function mainTable(name: string, src: SourceDoc, shape: SourceShape): TableInfo {
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
  cols.push(...partitionKey(name, shape));
  cols.push(...derivedColumns(cols, src.derive, [...base, "derive"], "the main table").columns);
  return { name: shape.mainTable, kind: "main", source: name, columns: cols, path: ["sources", name], key: true };
}

/** A partition key that is not a column itself (e.g. `tip_date_month`): parsed from the file path. */
function partitionKey(name: string, shape: SourceShape): ColumnInfo[] {
  const p = shape.partition;
  if (p === undefined || p.key === p.column) return [];
  const type: Type = p.grain === "day" ? { kind: "date" } : STRING;
  return [{ name: p.key, type, origin: "partition", path: ["sources", name, "partition_by"], key: false, fromPath: true }];
}

/** The columns a child table carries from its parent, typed as the parent declares them. */
function carriedColumns(srcName: string, src: SourceDoc, carried: readonly CarriedColumn[]): ColumnInfo[] {
  const types = declaredTypes(src);
  return carried.map((c) => {
    const at: DocPath =
      c.from === "id"
        ? ["sources", srcName, "id"]
        : c.from === "key"
          ? ["sources", srcName, "key", c.keyIndex ?? 0]
          : ["sources", srcName, "partition_by"];
    return { name: c.name, type: c.from === "id" ? STRING : types.get(c.name), origin: "carried", path: at, key: false };
  });
}

function childTable(srcName: string, src: SourceDoc, shape: SourceShape, child: ChildShape, colType: Type): TableInfo {
  const fl = src.flatten![child.fromColumn]!;
  const base: DocPath = ["sources", srcName, "flatten", child.fromColumn];
  const at = (opt: "value" | "index" | "key"): { path: DocPath; key: boolean } =>
    fl[opt] !== undefined ? { path: [...base, opt], key: false } : { path: base, key: true };
  const cols = carriedColumns(srcName, src, shape.carried);
  if (child.mode === "array") {
    const element = colType.kind === "array" ? colType.element : STRING;
    cols.push({ name: child.indexColumn, type: { kind: "integer" }, origin: "index", ...at("index") });
    if (fl.fields !== undefined && element.kind === "object") cols.push(...fieldColumns(fl, base));
    else cols.push({ name: child.valueColumn, type: element, origin: "value", ...at("value") });
  } else {
    cols.push({ name: child.keyColumn, type: STRING, origin: "key", ...at("key") });
    const valueType = fl.type === undefined ? STRING : parseType(fl.type);
    if (fl.fields !== undefined && valueType?.kind === "object") cols.push(...fieldColumns(fl, base));
    else cols.push({ name: child.valueColumn, type: valueType, origin: "value", ...at("value") });
  }
  cols.push(...partitionKey(srcName, shape).map((c) => ({ ...c, origin: "carried" as const })));
  cols.push(...derivedColumns(cols, fl.derive, [...base, "derive"], `child table ${child.name}`).columns);
  return {
    name: child.name,
    kind: "child",
    source: srcName,
    fromColumn: child.fromColumn,
    columns: cols,
    path: [...base, "table"],
    key: false,
  };
}

/** Every main and child table of the pipeline, in declaration order. */
export function buildTables(doc: PipelineDoc): TableInfo[] {
  const tables: TableInfo[] = [];
  for (const [name, src] of Object.entries(doc.sources ?? {})) {
    const shape = shapeSource(name, src);
    tables.push(mainTable(name, src, shape));
    const types = declaredTypes(src);
    for (const child of shape.children) tables.push(childTable(name, src, shape, child, types.get(child.fromColumn)!));
  }
  return tables;
}
