// Type checking of a mart's `where:` filter. The parser returns every column reference with its
// offset in parse order; walking the tree left to right meets them in the same order, so each
// diagnostic points at the exact column inside the YAML string.
import type { DocPath } from "../diagnostics.js";
import type { Expr, Literal } from "../expr/ast.js";
import { isParseError, parseWhere, type RefAt } from "../expr/parse.js";
import type { Type } from "../ir.js";
import { typeToString } from "../ir.js";
import { isNumeric, isTemporal } from "../types-parse.js";
import { isoDate, isoTimestamp } from "./casting.js";
import { aType, q, type CheckContext } from "./context.js";
import { isResolveError, resolveColumn, type MartScope } from "./mart-scope.js";

/** One side of a comparison: a column (type unknown when it did not resolve), a literal, or a condition. */
type Side = { k: "col"; type?: Type; at: RefAt } | { k: "lit"; value: Literal } | { k: "cond" };

class WhereChecker {
  private next = 0;

  constructor(
    private readonly ctx: CheckContext,
    private readonly path: DocPath,
    private readonly text: string,
    private readonly refs: readonly RefAt[],
    private readonly scope: MartScope,
    private readonly mart: string,
  ) {}

  private report(code: "LK407" | "LK408" | "LK409", at: RefAt | undefined, message: string, hint: string): void {
    this.ctx.errorInScalar(code, this.path, this.text, at?.offset ?? 0, at?.length ?? this.text.length, message, hint);
  }

  /** An expression used as a condition must be boolean. */
  condition(e: Expr): void {
    switch (e.k) {
      case "and":
      case "or":
        return e.args.forEach((a) => this.condition(a));
      case "not":
        return this.condition(e.arg);
      case "cmp": {
        const l = this.side(e.left);
        const r = this.side(e.right);
        return this.compare(l, r, e.op);
      }
      case "isNull":
        this.side(e.arg);
        return;
      case "in": {
        const s = this.side(e.arg);
        for (const v of e.values) this.compare(s, { k: "lit", value: v }, "in");
        return;
      }
      default: {
        const s = this.side(e);
        if (s.k === "cond" || (s.k === "lit" && typeof s.value === "boolean") || (s.k === "col" && (!s.type || s.type.kind === "boolean"))) return;
        const what = s.k === "col" ? `column ${q(s.at.column)} is ${aType(s.type!)}` : `${q(s.value)} is not a condition`;
        this.report("LK408", s.k === "col" ? s.at : undefined, `where of mart ${q(this.mart)} is not a condition: ${what}`, "compare it, e.g. rating >= 4, or use a boolean column");
      }
    }
  }

  private side(e: Expr): Side {
    if (e.k === "lit") return { k: "lit", value: e.value };
    if (e.k !== "ref") {
      this.condition(e);
      return { k: "cond" };
    }
    const at = this.refs[this.next++];
    if (!at) throw new Error(`where checker: reference ${e.name} has no position in '${this.text}'`);
    const r = resolveColumn(this.scope, at.table, at.column, `the where of mart ${q(this.mart)}`);
    if (isResolveError(r)) {
      this.ctx.errorInScalar(r.code, this.path, this.text, at.offset, at.length, r.message, r.hint);
      return { k: "col", at };
    }
    return { k: "col", type: r?.column.type, at };
  }

  private compare(l: Side, r: Side, op: string): void {
    const col = l.k === "col" ? l : r.k === "col" ? r : undefined;
    const other = col === l ? r : l;
    if (other.k === "lit" && other.value === null) {
      const x = col?.at.column ?? "x";
      const fix = op === "in" ? `remove null from the list and add 'or ${x} is null'` : op === "<>" ? `write '${x} is not null'` : `write '${x} is null'`;
      return this.report("LK409", col?.at, `comparing with null is never true in where of mart ${q(this.mart)}`, fix);
    }
    if (!col || !col.type) return;
    const why = mismatch(col.type, other);
    if (why) this.report("LK407", col.at, `cannot compare ${typeToString(col.type)} column ${q(col.at.column)} with ${why} in where of mart ${q(this.mart)}`, hintFor(col.type));
  }
}

/** What is wrong with comparing a column of type `t` to `other`, or undefined when fine. */
function mismatch(t: Type, other: Side): string | undefined {
  if (other.k === "cond") return t.kind === "boolean" ? undefined : "a condition";
  if (other.k === "col") {
    if (!other.type) return undefined;
    const same = t.kind === other.type.kind || (isNumeric(t) && isNumeric(other.type)) || (isTemporal(t) && isTemporal(other.type));
    return same ? undefined : `${typeToString(other.type)} column ${q(other.at.column)}`;
  }
  const v = other.value;
  if (typeof v === "number") return isNumeric(t) ? undefined : `the number ${v}`;
  if (typeof v === "boolean") return t.kind === "boolean" ? undefined : `the boolean ${v}`;
  if (typeof v !== "string") return undefined;
  if (t.kind === "string") return undefined;
  if (t.kind === "date" && isoDate(v)) return undefined;
  if (t.kind === "timestamp" && isoTimestamp(v)) return undefined;
  return `the string ${q(v)}`;
}

function hintFor(t: Type): string {
  if (isNumeric(t)) return "compare numbers with numbers, written without quotes, e.g. rating >= 4";
  if (t.kind === "boolean") return "compare booleans with true or false, e.g. verified = true";
  if (t.kind === "date") return "write dates as ISO strings, e.g. review_date >= '2020-01-31'";
  if (t.kind === "timestamp") return "write timestamps as ISO strings, e.g. reviewed_at >= '2020-01-31T00:00:00'";
  return "compare strings with quoted strings, e.g. city = 'Tucson'";
}

/** Parses the filter; type-checks it when the mart's tables are known (`scope`). */
export function checkWhere(ctx: CheckContext, path: DocPath, text: string, scope: MartScope | undefined, mart: string): void {
  const parsed = parseWhere(text);
  if (isParseError(parsed)) {
    ctx.errorInScalar("LK406", path, text, parsed.offset, 1, `where of mart ${q(mart)} does not parse: ${parsed.message}`, parsed.hint ?? "e.g. where: verified = true and rating >= 4");
    return;
  }
  if (scope) new WhereChecker(ctx, path, text, parsed.refs, scope, mart).condition(parsed.expr);
}
