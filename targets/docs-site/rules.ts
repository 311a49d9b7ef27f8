// The cleaning rules of a source column, read back from the IR's expression trees: the text
// expression (strip, trim, null_if over the raw path), the value expression (cast with
// format/unit, default) and the column's checks (required, cast, range, accepted values).
// Reading them from the IR rather than the YAML shows what the compiler actually built.
import type { Check, CleanColumn, ReasonCode, SourceIR } from "../../compiler/ir.js";
import { typeToString } from "../../compiler/ir.js";
import type { Expr, Literal } from "../../compiler/expr/ast.js";
import { printExpr } from "../../compiler/expr/print.js";

export interface Rule {
  /** The pipeline.yaml option it comes from, e.g. `null_if`. */
  readonly name: string;
  /** Its value as the user would write it. */
  readonly value: string;
  /** The quarantine reason a failing record gets, for checks. */
  readonly reason?: ReasonCode;
}

const lit = (v: Literal): string => (typeof v === "string" ? JSON.stringify(v) : String(v));
const list = (vs: readonly Literal[]): string => `[${vs.map(lit).join(", ")}]`;
/** Fallback for a shape this reader does not know: the expression as DuckDB SQL. */
const sql = (e: Expr): string => printExpr(e, "duckdb", { rawRoot: "raw" });

function textRules(e: Expr): Rule[] {
  switch (e.k) {
    case "raw":
      return [];
    case "strip":
      return [...textRules(e.arg), { name: "strip", value: JSON.stringify(e.chars) }];
    case "trim":
      return [...textRules(e.arg), { name: "trim", value: "true" }];
    case "nullIf":
      return [...textRules(e.arg), { name: "null_if", value: list(e.values) }];
    default:
      return [{ name: "text", value: sql(e) }];
  }
}

function castRules(e: Expr): Rule[] {
  if (e.k !== "cast") return [{ name: "value", value: sql(e) }];
  return [
    ...(e.format !== undefined ? [{ name: "format", value: JSON.stringify(e.format) }] : []),
    ...(e.unit !== undefined ? [{ name: "unit", value: e.unit }] : []),
  ];
}

function valueRules(e: Expr): Rule[] {
  // `default` is lowered to CASE WHEN text IS NULL THEN <default> ELSE <cast> END.
  if (e.k === "case" && e.whens.length === 1 && e.else && e.whens[0]!.when.k === "isNull") {
    const then = e.whens[0]!.then;
    const dflt = then.k === "lit" ? lit(then.value) : then.k === "cast" && then.arg.k === "lit" ? lit(then.arg.value) : sql(then);
    return [...castRules(e.else), { name: "default", value: dflt }];
  }
  return castRules(e);
}

function rangeBound(e: Expr | undefined): string {
  return e?.k === "lit" ? lit(e.value) : e ? sql(e) : "null";
}

function checkRule(c: Check, col: CleanColumn): Rule | undefined {
  const f = c.fails;
  switch (c.reason) {
    case "missing_required":
      return { name: "required", value: "true", reason: c.reason };
    case "cast_failed":
      return { name: "type", value: `must parse as ${typeToString(col.type)}`, reason: c.reason };
    case "out_of_range": {
      const parts = f.k === "or" ? f.args : [f];
      const lo = parts.find((p) => p.k === "cmp" && p.op === "<");
      const hi = parts.find((p) => p.k === "cmp" && p.op === ">");
      const bound = (p: Expr | undefined) => (p?.k === "cmp" ? rangeBound(p.right) : "null");
      return { name: "range", value: `[${bound(lo)}, ${bound(hi)}]`, reason: c.reason };
    }
    case "not_accepted":
      return { name: "accepted_values", value: f.k === "in" ? list(f.values) : sql(f), reason: c.reason };
    default:
      return { name: "check", value: sql(f), reason: c.reason };
  }
}

/** Every rule of one cleaned column, in the order they apply. */
export function columnRules(src: SourceIR, col: CleanColumn): Rule[] {
  const checks = src.checks.filter((c) => c.column === col.name);
  return [
    ...textRules(col.text),
    ...(col.split !== undefined ? [{ name: "split", value: JSON.stringify(col.split) }] : []),
    ...valueRules(col.value),
    ...checks.flatMap((c) => checkRule(c, col) ?? []),
  ];
}
