// Type checking of a mart's `where:` filter: the shared expression type checker
// (compiler/expr/typecheck.ts) in condition mode, with the mart's tables as its columns. Each
// diagnostic points at the exact part of the YAML string.
import type { DocPath } from "../diagnostics.js";
import type { Expr } from "../expr/ast.js";
import { isParseError, parseWhere } from "../expr/parse.js";
import { typeCondition, type Resolution, type TypeEnv } from "../expr/typecheck.js";
import { q, type CheckContext } from "./context.js";
import { isResolveError, resolveColumn, type MartScope } from "./mart-scope.js";

/** Resolves a column written in a mart's where or measure, as the type checker wants it. */
export function martResolver(scope: MartScope, where: string): TypeEnv["resolve"] {
  return (table, column): Resolution => {
    const r = resolveColumn(scope, table, column, where);
    if (r === undefined) return undefined;
    if (isResolveError(r)) return { code: r.code as "LK204", message: r.message, hint: r.hint ?? "" };
    const expr: Expr = { k: "ref", name: column, table: r.table.name };
    return { type: r.column.type, expr };
  };
}

/** Parses the filter; type-checks it when the mart's tables are known (`scope`). */
export function checkWhere(ctx: CheckContext, path: DocPath, text: string, scope: MartScope | undefined, mart: string): void {
  const parsed = parseWhere(text);
  if (isParseError(parsed)) {
    ctx.errorInScalar(
      "LK406",
      path,
      text,
      parsed.offset,
      1,
      `where of mart ${q(mart)} does not parse: ${parsed.message}`,
      parsed.hint ?? "e.g. where: verified = true and rating >= 4",
    );
    return;
  }
  if (!scope) return;
  const context = `where of mart ${q(mart)}`;
  const r = typeCondition(parsed.expr, {
    text,
    spans: parsed.spans,
    context,
    conditionCode: "LK408",
    resolve: martResolver(scope, `the ${context}`),
  });
  for (const i of r.issues) ctx.errorInScalar(i.code, path, text, i.offset, i.length, i.message, i.hint);
}
