// Derived columns (`derive:` on a source and on an `into: table` flatten): each expression
// parses, names only columns its table has, calls known functions with fitting arguments, and
// has a type. Their names are checked with every other column name (names.ts: LK201, LK202,
// LK208), since tables.ts lists them as columns of their table.
import type { DocPath } from "../diagnostics.js";
import { typeDerives, type TypedDerive } from "../expr/derive.js";
import { q, type CheckContext } from "./context.js";
import type { ColumnInfo, TableInfo } from "./tables.js";

/** The derived columns of a table, typed (type undefined where the expression has a problem). */
export function derivedColumns(
  base: readonly ColumnInfo[],
  derive: Readonly<Record<string, unknown>> | undefined,
  path: DocPath,
  where: string,
): { columns: ColumnInfo[]; typed: TypedDerive[] } {
  const readable = base.filter((c) => !c.fromPath);
  const computed = base.filter((c) => c.fromPath).map((c) => c.name);
  const typed = typeDerives(readable, derive, where, computed);
  const columns = typed.map((d): ColumnInfo => {
    const t = d.result?.issues.length === 0 ? d.result.type : undefined;
    return { name: d.name, type: t && t.kind !== "null" ? t : undefined, origin: "derived", path: [...path, d.name], key: true };
  });
  return { columns, typed };
}

function report(ctx: CheckContext, path: DocPath, typed: readonly TypedDerive[]): void {
  for (const d of typed) {
    const at: DocPath = [...path, d.name];
    if (d.parseError) {
      const pe = d.parseError;
      ctx.errorInScalar(
        "LK330",
        at,
        d.text,
        pe.offset,
        1,
        `derived column ${q(d.name)} does not parse: ${pe.message}`,
        pe.hint ?? "e.g. lower(city), date_trunc('month', tip_date) or case when stars >= 4 then 'good' else 'other' end",
      );
      continue;
    }
    const r = d.result!;
    for (const i of r.issues) ctx.errorInScalar(i.code, at, d.text, i.offset, i.length, i.message, i.hint);
    if (r.issues.length === 0 && r.type?.kind === "null") {
      ctx.error(
        "LK335",
        at,
        `derived column ${q(d.name)} is always null, so it has no type`,
        "cast it to the type you want: cast(null as string)",
      );
    }
  }
}

export function checkDerives(ctx: CheckContext, tables: readonly TableInfo[]): void {
  for (const [s, src] of Object.entries(ctx.doc.sources ?? {})) {
    for (const [col, fl] of Object.entries(src.flatten ?? {})) {
      if (fl.derive !== undefined && fl.into !== "table") {
        ctx.error(
          "LK335",
          ["sources", s, "flatten", col, "derive"],
          `derive on flatten ${q(col)} needs into: table: the columns of into: columns are the main table's`,
          "move the expressions to the source's derive:",
          { key: true },
        );
      }
    }
  }
  for (const t of tables) {
    const src = ctx.doc.sources?.[t.source];
    const derive = t.kind === "main" ? src?.derive : t.fromColumn !== undefined ? src?.flatten?.[t.fromColumn]?.derive : undefined;
    if (!derive) continue;
    const base = t.columns.filter((c) => c.origin !== "derived");
    const path: DocPath = t.kind === "main" ? ["sources", t.source, "derive"] : ["sources", t.source, "flatten", t.fromColumn!, "derive"];
    report(
      ctx,
      path,
      derivedColumns(base, derive, path, t.kind === "main" ? `the main table of ${q(t.source)}` : `child table ${q(t.name)}`).typed,
    );
  }
}
