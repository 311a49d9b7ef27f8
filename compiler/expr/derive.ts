// Types a `derive:` map in order: each expression reads the table's columns and the derived
// columns above it. Shared by the semantic checks (which report the issues) and lowering
// (which keeps the normalised trees), so both see exactly the same meaning.
import { didYouMean } from "../diagnostics.js";
import type { Type } from "../ir.js";
import type { Expr } from "./ast.js";
import { isParseError, parseExpr, type ParseError } from "./parse.js";
import { typeExpr, type TypeResult } from "./typecheck.js";

export interface DeriveInput {
  readonly name: string;
  readonly type: Type | undefined;
}

export interface TypedDerive {
  readonly name: string;
  readonly text: string;
  /** Set when the text does not parse; `result` is then absent. */
  readonly parseError?: ParseError;
  readonly result?: TypeResult;
}

/**
 * `columns`: what the expressions may read (partition keys excluded: they are computed from
 * the path after deriving). `computed` names columns of the table that exist but cannot be
 * read here, for a sharper hint.
 */
export function typeDerives(
  columns: readonly DeriveInput[],
  derive: Readonly<Record<string, unknown>> | undefined,
  where: string,
  computed: readonly string[] = [],
): TypedDerive[] {
  const out: TypedDerive[] = [];
  const entries = Object.entries(derive ?? {}).filter((e): e is [string, string] => typeof e[1] === "string");
  const done = new Map<string, { type: Type | undefined; expr: Expr }>();
  entries.forEach(([name, text], i) => {
    const parsed = parseExpr(text);
    if (isParseError(parsed)) {
      out.push({ name, text, parseError: parsed });
      done.set(name, { type: undefined, expr: { k: "ref", name } });
      return;
    }
    const later = entries.slice(i).map(([n]) => n);
    const result = typeExpr(parsed.expr, {
      text,
      spans: parsed.spans,
      context: `derived column '${name}'`,
      conditionCode: "LK333",
      resolve: (table, column) => {
        if (table !== undefined) {
          return {
            code: "LK226",
            message: `derived column '${name}' reads ${table}.${column}, but a derived column reads only its own table`,
            hint: `write '${column}' without a table`,
          };
        }
        // A derived column above is inlined: every engine computes the whole SELECT list at once.
        const prev = done.get(column);
        if (prev) return { type: prev.type, expr: prev.expr };
        const c = columns.find((x) => x.name === column);
        if (c) return { type: c.type, expr: { k: "ref", name: column } };
        if (later.includes(column)) {
          const why = column === name ? "itself" : `derived column '${column}', which is defined below it`;
          return {
            code: "LK226",
            message: `derived column '${name}' reads ${why}`,
            hint: "a derived column may use only the columns of its table and the derived columns above it; reorder them",
          };
        }
        if (computed.includes(column)) {
          return {
            code: "LK226",
            message: `derived column '${name}' reads '${column}', which is computed after the derived columns`,
            hint: "partition keys come from the file path; derive from the column itself, e.g. date_trunc('month', col)",
          };
        }
        const names = [...columns.map((x) => x.name), ...done.keys()];
        return {
          code: "LK226",
          message: `unknown column '${column}' in derived column '${name}' of ${where}`,
          hint: didYouMean(column, names) ?? `columns are: ${names.join(", ")}`,
        };
      },
    });
    out.push({ name, text, result });
    const t = result.type;
    done.set(name, { type: t && t.kind !== "null" ? t : undefined, expr: result.expr });
  });
  return out;
}
