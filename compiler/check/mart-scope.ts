// Which tables a mart reads, and how a column name written in a mart (`rating`,
// `business.city`) resolves among them. Shared by the grain, measure and where checks.
import { didYouMean } from "../diagnostics.js";
import type { PipelineDoc } from "../doc.js";
import type { Reference } from "../ir.js";
import { joinCondition, type JoinableTable } from "../table-shapes.js";
import { keyColumns } from "../whole-record-key.js";
import type { SemanticCode } from "./codes.js";
import { q } from "./context.js";
import type { ColumnInfo, TableInfo } from "./tables.js";

export interface Resolved {
  readonly table: TableInfo;
  readonly column: ColumnInfo;
}

export interface ResolveError {
  readonly code: SemanticCode;
  readonly message: string;
  readonly hint?: string;
}

/** Columns a mart can read: all of them, partition keys (`tip_date_month`) included. */
function readable(t: TableInfo): readonly ColumnInfo[] {
  return t.columns;
}

/** The tables a mart reads, and the ones it failed to join (already reported). */
export interface MartScope {
  readonly tables: readonly TableInfo[];
  /** Join entries that did not resolve or link; names from them are not reported again. */
  readonly failed: ReadonlySet<string>;
  /** Existing tables among the failed joins, to recognise their columns. */
  readonly failedTables: readonly TableInfo[];
}

/**
 * Resolves `column` or `table.column` against the mart's tables; `where` says where it is
 * written. Undefined means it names a table whose join already failed: nothing more to report.
 */
export function resolveColumn(
  ms: MartScope,
  table: string | undefined,
  column: string,
  where: string,
): Resolved | ResolveError | undefined {
  const scope = ms.tables;
  const names = scope.map((t) => t.name);
  if (table !== undefined && ms.failed.has(table)) return undefined;
  if (table !== undefined) {
    const t = scope.find((x) => x.name === table);
    if (!t) {
      return {
        code: "LK223",
        message: `table ${q(table)} in ${where} is not one of this mart's tables (${names.join(", ")})`,
        hint: didYouMean(table, names) ?? "add the table to join:, or qualify with a table the mart reads",
      };
    }
    const c = readable(t).find((x) => x.name === column);
    if (c) return { table: t, column: c };
    return {
      code: "LK204",
      message: `unknown column ${q(column)} of table ${q(table)} in ${where}`,
      hint:
        didYouMean(
          column,
          readable(t).map((x) => x.name),
        ) ??
        `columns of ${table}: ${readable(t)
          .map((x) => x.name)
          .join(", ")}`,
    };
  }
  const hits: Resolved[] = [];
  for (const t of scope) {
    const c = readable(t).find((x) => x.name === column);
    if (c) hits.push({ table: t, column: c });
  }
  if (hits.length === 1) return hits[0]!;
  if (hits.length > 1) {
    const options = hits.map((h) => `${h.table.name}.${column}`);
    return {
      code: "LK214",
      message: `column ${q(column)} in ${where} is ambiguous: it is in ${options.length} tables`,
      hint: `qualify it as ${options.join(" or ")}`,
    };
  }
  if (ms.failedTables.some((t) => readable(t).some((c) => c.name === column))) return undefined;
  const all = scope.flatMap((t) => readable(t).map((c) => c.name));
  return {
    code: "LK204",
    message: `unknown column ${q(column)} in ${where}`,
    hint: didYouMean(column, all) ?? `none of the mart's tables (${names.join(", ")}) has it; join the table that does`,
  };
}

export function isResolveError(r: Resolved | ResolveError | undefined): r is ResolveError {
  return r !== undefined && "code" in r;
}

/**
 * The references a main table's columns declare (`references:`), as lowering resolves them.
 * Child tables link only to their parent: lowering joins them on the record id.
 */
function referencesOf(doc: PipelineDoc, t: TableInfo): Reference[] {
  const src = doc.sources?.[t.source];
  if (!src || t.kind !== "main") return [];
  return t.columns.flatMap((c) => {
    const ref = c.origin === "column" ? src.columns?.[c.name]?.references : undefined;
    if (typeof ref !== "string") return [];
    const [toTable, toColumn] = ref.split(".");
    return [{ column: c.name, toTable: toTable!, toColumn: toColumn ?? keyColumns(doc.sources?.[toTable!] ?? { key: [] })[0] ?? "" }];
  });
}

/** A checked table as a join sees it, so the checks join exactly as lowering does. */
function joinable(doc: PipelineDoc, t: TableInfo): JoinableTable {
  const idColumn = doc.sources?.[t.source]?.id ?? "";
  return {
    name: t.name,
    kind: t.kind,
    idColumn,
    references: referencesOf(doc, t),
    ...(t.kind === "child" && { child: { parent: t.source } }),
  };
}

/** True when `next` can join the tables already in the mart (joinCondition, as lowering uses it). */
export function canJoin(doc: PipelineDoc, included: readonly TableInfo[], next: TableInfo): boolean {
  return (
    joinCondition(
      included.map((t) => joinable(doc, t)),
      joinable(doc, next),
    ) !== undefined
  );
}
