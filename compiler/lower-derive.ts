// Lowers `derive:` maps into typed DerivedColumns and their output columns. Runs only on valid
// pipelines (the checks ran the same typing, compiler/expr/derive.ts), so a problem here is a
// compiler bug and throws.
import { refsOf } from "./expr/ast.js";
import { typeDerives } from "./expr/derive.js";
import type { DerivedColumn, OutputColumn, ScalarType } from "./ir.js";

export function lowerDerived(
  columns: readonly OutputColumn[],
  derive: Readonly<Record<string, string>> | undefined,
  where: string,
): DerivedColumn[] {
  const inputs = columns.map((c) => ({ name: c.name, type: c.type.kind === "json" ? ({ kind: "object" } as const) : c.type }));
  return typeDerives(inputs, derive, where).map((d) => {
    const r = d.result;
    if (!r || r.issues.length > 0 || !r.type || r.type.kind === "null") {
      throw new Error(
        `lower: derived column '${d.name}' of ${where} does not type (the checker should have rejected it): ${d.parseError?.message ?? r?.issues[0]?.message ?? "no type"}`,
      );
    }
    return { name: d.name, type: r.type as ScalarType, expr: r.expr, text: d.text };
  });
}

/** The output column of a derived column: nullable, with the lineage of the columns it reads. */
export function derivedOutput(source: string, d: DerivedColumn, columns: readonly OutputColumn[]): OutputColumn {
  const paths = refsOf(d.expr).flatMap((r) => columns.find((c) => c.name === r.name)?.lineage.paths ?? []);
  return { name: d.name, type: d.type, nullable: true, description: `Derived: ${d.text}`, lineage: { source, paths } };
}
