// One expression tree for cleaning rules, record ids, partitions, mart filters and measures.
// Every target prints SQL through a dialect printer of this tree, so Spark (Glue), DuckDB
// (local engine) and Snowflake (dbt) cannot drift apart in meaning.
import type { AggregateFn, ScalarType } from "../ir.js";

export type Literal = string | number | boolean | null;

export type CompareOp = "=" | "<>" | "<" | "<=" | ">" | ">=";

export type Expr =
  /** JSON text of a raw field: strings unquoted, numbers/booleans as written, objects/arrays as JSON, NULL when absent or null. */
  | { readonly k: "raw"; readonly path: readonly string[] }
  /** A column of the relation being computed (optionally qualified by table). */
  | { readonly k: "ref"; readonly name: string; readonly table?: string }
  | { readonly k: "lit"; readonly value: Literal; readonly type?: ScalarType }
  /** Delete every occurrence of each character in `chars`. */
  | { readonly k: "strip"; readonly arg: Expr; readonly chars: string }
  /** Remove leading and trailing ASCII whitespace: space, tab, CR, LF. */
  | { readonly k: "trim"; readonly arg: Expr }
  | { readonly k: "nullIf"; readonly arg: Expr; readonly values: readonly string[] }
  /** Text to typed value; NULL when the text does not parse. See docs/language.md "Casting". */
  | {
      readonly k: "cast";
      readonly arg: Expr;
      readonly to: ScalarType | { readonly kind: "object" | "array" };
      readonly format?: string;
      readonly unit?: TimeUnit;
    }
  | { readonly k: "coalesce"; readonly args: readonly Expr[] }
  | { readonly k: "isNull"; readonly arg: Expr; readonly negate?: boolean }
  | { readonly k: "and" | "or"; readonly args: readonly Expr[] }
  | { readonly k: "not"; readonly arg: Expr }
  | { readonly k: "cmp"; readonly op: CompareOp; readonly left: Expr; readonly right: Expr }
  | { readonly k: "in"; readonly arg: Expr; readonly values: readonly Literal[]; readonly negate?: boolean }
  /** Canonical text of a typed value, identical in every dialect (used for record ids). */
  | { readonly k: "canonText"; readonly arg: Expr; readonly type: ScalarType }
  /** md5 hex of the arguments joined with U+001F. */
  | { readonly k: "md5Join"; readonly args: readonly Expr[] }
  /** Partition text of a date/timestamp: `YYYY-MM-DD`, `YYYY-MM` or `YYYY`. */
  | { readonly k: "datePart"; readonly arg: Expr; readonly grain: "day" | "month" | "year" }
  | { readonly k: "agg"; readonly fn: AggregateFn; readonly arg?: Expr }
  | { readonly k: "case"; readonly whens: readonly { readonly when: Expr; readonly then: Expr }[]; readonly else?: Expr }
  /**
   * A function of the expression language (compiler/expr/functions.ts), arithmetic and
   * like/ilike/between included. Arguments are already typed and converted by
   * compiler/expr/typecheck.ts, so each dialect printer sees the argument types it expects.
   */
  | { readonly k: "fn"; readonly name: string; readonly args: readonly Expr[] }
  /** A plain SQL CAST between typed values, only where every engine agrees (typecheck.ts decides). */
  | { readonly k: "convert"; readonly arg: Expr; readonly from: ScalarType; readonly to: ScalarType };

export type TimeUnit = "seconds" | "milliseconds" | "microseconds";

export const ref = (name: string, table?: string): Expr => (table ? { k: "ref", name, table } : { k: "ref", name });
export const lit = (value: Literal, type?: ScalarType): Expr => (type ? { k: "lit", value, type } : { k: "lit", value });
export const and = (...args: Expr[]): Expr => (args.length === 1 ? args[0]! : { k: "and", args });
export const or = (...args: Expr[]): Expr => (args.length === 1 ? args[0]! : { k: "or", args });

/** Every column name an expression refers to, in first-use order. */
export function refsOf(e: Expr, out: { name: string; table?: string }[] = []): { name: string; table?: string }[] {
  switch (e.k) {
    case "ref":
      if (!out.some((r) => r.name === e.name && r.table === e.table))
        out.push(e.table ? { name: e.name, table: e.table } : { name: e.name });
      break;
    case "raw":
    case "lit":
      break;
    case "strip":
    case "trim":
    case "nullIf":
    case "cast":
    case "isNull":
    case "not":
    case "in":
    case "canonText":
    case "datePart":
    case "convert":
      refsOf(e.arg, out);
      break;
    case "coalesce":
    case "and":
    case "or":
    case "md5Join":
    case "fn":
      for (const a of e.args) refsOf(a, out);
      break;
    case "cmp":
      refsOf(e.left, out);
      refsOf(e.right, out);
      break;
    case "agg":
      if (e.arg) refsOf(e.arg, out);
      break;
    case "case":
      for (const w of e.whens) {
        refsOf(w.when, out);
        refsOf(w.then, out);
      }
      if (e.else) refsOf(e.else, out);
      break;
  }
  return out;
}
