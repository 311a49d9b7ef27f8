// Lowering of the options for messy feeds: a column's raw paths (`from`, or the alternatives of
// `from_any`) and the raw value they give. Pure; used by lower.ts.
import type { ColumnDoc } from "./doc.js";
import type { Expr } from "./expr/ast.js";
import type { CleanColumn } from "./ir.js";

const splitPath = (p: string | readonly string[]): string[] => (typeof p === "string" ? p.split(".") : [...p]);

/** The raw paths a column reads, in the order they are tried: `from_any`, else `from`, else its name. */
export function pathsOf(name: string, spec: Pick<ColumnDoc, "from" | "from_any">): string[][] {
  if (spec.from_any !== undefined) return spec.from_any.map(splitPath);
  return [spec.from === undefined ? [name] : splitPath(spec.from)];
}

/** Every raw path a cleaned column reads (lineage, drift): its path, then its alternatives. */
export function pathsOfColumn(c: Pick<CleanColumn, "path" | "alternatives">): readonly (readonly string[])[] {
  return [c.path, ...(c.alternatives ?? [])];
}

/**
 * The raw JSON text of the first path that is present: `raw` is NULL for an absent key and for
 * a JSON null, so a coalesce is exactly "the first present wins". A present but empty or
 * unparseable value still wins (it is then cleaned, and maybe rejected, like any value).
 */
export function rawOfFirstPresent(paths: readonly (readonly string[])[]): Expr {
  const raws: Expr[] = paths.map((path) => ({ k: "raw", path }));
  return raws.length === 1 ? raws[0]! : { k: "coalesce", args: raws };
}
