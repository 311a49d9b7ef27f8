// Types an expression tree and normalises it for printing: column references resolve (and get
// their table), implicit conversions become explicit `convert` nodes, and `cast(x as T)` becomes
// either the cleaning cast (text to T, NULL when it does not parse) or a plain conversion.
// It is pure: problems come back as data with their offsets in the expression text, so the
// semantic checks report them at line:col and lowering (which runs only on valid pipelines)
// can use the normalised tree.
import { didYouMean } from "../diagnostics.js";
import type { ScalarType, Type } from "../ir.js";
import { typeToString } from "../ir.js";
import { parseType } from "../types-parse.js";
import type { Expr, Literal } from "./ast.js";
import { DATE_UNITS, FUNCTIONS, isNumericArg, visibleFunctions, type ArgKind, type ArgType } from "./functions.js";
import type { Spans } from "./parse.js";
import { regexProblem } from "./regex-subset.js";

export type ExprCode = "LK204" | "LK214" | "LK223" | "LK226" | "LK331" | "LK332" | "LK333" | "LK334" | "LK407" | "LK408" | "LK409";

export interface TypeIssue {
  readonly code: ExprCode;
  readonly offset: number;
  readonly length: number;
  readonly message: string;
  readonly hint: string;
}

/** A column as the environment resolves it: its type and the reference to print. */
export type Resolution =
  | { readonly type: Type | undefined; readonly expr: Expr }
  | { readonly code: ExprCode; readonly message: string; readonly hint: string }
  | undefined;

export interface TypeEnv {
  /** The expression as written (for spans and snippets in messages). */
  readonly text: string;
  readonly spans: Spans;
  /** Where the expression is, for messages: `where of mart 'm'`, `derived column 'x'`. */
  readonly context: string;
  /** The code for a non-boolean condition: LK408 in a mart's where, LK333 elsewhere. */
  readonly conditionCode: "LK408" | "LK333";
  /** Undefined: the name belongs to something already reported; type it as unknown. */
  resolve(table: string | undefined, column: string): Resolution;
}

/** Undefined type: unknown, because a problem was already reported. */
interface Typed {
  readonly expr: Expr;
  readonly type?: ArgType;
}

export interface TypeResult {
  readonly expr: Expr;
  readonly type?: ArgType;
  readonly issues: readonly TypeIssue[];
}

const q = (s: unknown): string => `'${String(s)}'`;
const STRING: ScalarType = { kind: "string" };
const BOOLEAN: ScalarType = { kind: "boolean" };

const isTemporal = (t: ArgType): boolean => t.kind === "date" || t.kind === "timestamp";
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/;

function aType(t: ArgType): string {
  if (t.kind === "null") return "null";
  const s = typeToString(t);
  return /^[aeiou]/.test(s) ? `an ${s}` : `a ${s}`;
}

function hintFor(t: ArgType): string {
  if (isNumericArg(t)) return "compare numbers with numbers, written without quotes, e.g. rating >= 4";
  if (t.kind === "boolean") return "compare booleans with true or false, e.g. verified = true";
  if (t.kind === "date") return "write dates as ISO strings, e.g. review_date >= '2020-01-31'";
  if (t.kind === "timestamp") return "write timestamps as ISO strings, e.g. reviewed_at >= '2020-01-31T00:00:00'";
  return "compare strings with quoted strings, e.g. city = 'Tucson'";
}

/** The common type of branches or coalesce arguments, or undefined when they do not mix. */
export function unify(types: readonly ArgType[]): ArgType | undefined {
  const known = types.filter((t) => t.kind !== "null") as ScalarType[];
  if (known.length === 0) return { kind: "null" };
  if (known.every((t) => isNumericArg(t))) {
    if (known.some((t) => t.kind === "double")) return { kind: "double" };
    const decimals = known.filter((t) => t.kind === "decimal") as Extract<ScalarType, { kind: "decimal" }>[];
    if (decimals.length === 0) return { kind: "integer" };
    const scale = Math.max(...decimals.map((d) => d.scale));
    const whole = Math.max(...decimals.map((d) => d.precision - d.scale), known.some((t) => t.kind === "integer") ? 19 : 0);
    return { kind: "decimal", precision: Math.min(38, whole + scale), scale };
  }
  if (known.every(isTemporal)) return known.some((t) => t.kind === "timestamp") ? { kind: "timestamp" } : { kind: "date" };
  return known.every((t) => t.kind === known[0]!.kind) ? known[0] : undefined;
}

class Typer {
  readonly issues: TypeIssue[] = [];
  constructor(private readonly env: TypeEnv) {}

  private span(e: Expr): { offset: number; length: number } {
    return this.env.spans.get(e) ?? { offset: 0, length: this.env.text.length };
  }
  private snippet(e: Expr): string {
    const s = this.span(e);
    return this.env.text.slice(s.offset, s.offset + s.length);
  }
  private report(code: ExprCode, at: Expr | undefined, message: string, hint: string): void {
    const s = at ? this.span(at) : { offset: 0, length: this.env.text.length };
    this.issues.push({ code, ...s, message, hint });
  }
  /** `decimal(10,2) column 'amount'`, `the string 'abc'`, `integer expression 'year(x)'`. */
  private describe(x: Typed, original: Expr): string {
    if (original.k === "lit") {
      const v = original.value;
      return typeof v === "number"
        ? `the number ${v}`
        : typeof v === "boolean"
          ? `the boolean ${v}`
          : v === null
            ? "null"
            : `the string ${q(v)}`;
    }
    if (!x.type) return `${q(this.snippet(original))}`;
    if (original.k === "ref") return `${typeToString(x.type as ScalarType)} column ${q(original.name)}`;
    if (x.type.kind === "boolean") return "a condition";
    return `${x.type.kind === "null" ? "null" : typeToString(x.type)} expression ${q(this.snippet(original))}`;
  }

  /** An expression used as a condition must be boolean. */
  condition(e: Expr): Typed {
    const x = this.type(e);
    if (!x.type || x.type.kind === "boolean") return x;
    const what =
      e.k === "ref"
        ? `column ${q(e.name)} is ${aType(x.type)}`
        : e.k === "lit"
          ? `${q(e.value)} is not a condition`
          : `${q(this.snippet(e))} is ${aType(x.type)}`;
    this.report(
      this.env.conditionCode,
      e.k === "lit" ? undefined : e,
      `${this.env.context} is not a condition: ${what}`,
      "compare it, e.g. rating >= 4, or use a boolean column",
    );
    return { expr: x.expr };
  }

  type(e: Expr): Typed {
    switch (e.k) {
      case "lit":
        return { expr: e, type: litType(e.value) };
      case "ref":
        return this.ref(e);
      case "and":
      case "or":
        return { expr: { ...e, args: e.args.map((a) => this.condition(a).expr) }, type: BOOLEAN };
      case "not":
        return { expr: { ...e, arg: this.condition(e.arg).expr }, type: BOOLEAN };
      case "isNull":
        return { expr: { ...e, arg: this.type(e.arg).expr }, type: BOOLEAN };
      case "cmp": {
        const l = this.type(e.left);
        const r = this.type(e.right);
        this.compare(l, e.left, r, e.right, e.op);
        return { expr: { ...e, left: l.expr, right: r.expr }, type: BOOLEAN };
      }
      case "in": {
        const x = this.type(e.arg);
        for (const v of e.values) {
          const lit: Expr = { k: "lit", value: v };
          this.compare(x, e.arg, { expr: lit, type: litType(v) }, lit, "in");
        }
        return { expr: { ...e, arg: x.expr }, type: BOOLEAN };
      }
      case "case":
        return this.caseExpr(e);
      case "fn":
        return e.name === "cast" ? this.cast(e) : this.call(e);
      default:
        // Cleaning nodes (raw, strip, cast, …) never come from the parser.
        throw new Error(`typeExpr: unexpected ${e.k} node`);
    }
  }

  private ref(e: Extract<Expr, { k: "ref" }>): Typed {
    const r = this.env.resolve(e.table, e.name);
    if (!r) return { expr: e };
    if ("code" in r) {
      this.report(r.code, e, r.message, r.hint);
      return { expr: e };
    }
    if (r.type && (r.type.kind === "object" || r.type.kind === "array")) {
      this.report(
        "LK333",
        e,
        `column ${q(e.name)} in ${this.env.context} is ${typeToString(r.type)}, which holds JSON text`,
        "flatten the column and use its parts",
      );
      return { expr: r.expr };
    }
    return { expr: r.expr, ...(r.type && { type: r.type as ScalarType }) };
  }

  private compare(l: Typed, le: Expr, r: Typed, re: Expr, op: string): void {
    const [col, colE, other, otherE] = le.k !== "ref" && re.k === "ref" ? [r, re, l, le] : [l, le, r, re];
    if (otherE.k === "lit" && otherE.value === null) {
      const x = colE.k === "ref" ? colE.name : "x";
      const fix =
        op === "in"
          ? `remove null from the list and add 'or ${x} is null'`
          : op === "<>"
            ? `write '${x} is not null'`
            : `write '${x} is null'`;
      this.report("LK409", colE.k === "ref" ? colE : undefined, `comparing with null is never true in ${this.env.context}`, fix);
      return;
    }
    if (!col.type || !other.type || col.type.kind === "null" || other.type.kind === "null") return;
    if (compatible(col.type, other.type, otherE) || (colE.k === "lit" && compatible(other.type, col.type, colE))) return;
    this.report(
      "LK407",
      colE,
      `cannot compare ${this.describe(col, colE)} with ${this.describe(other, otherE)} in ${this.env.context}`,
      hintFor(col.type),
    );
  }

  private caseExpr(e: Extract<Expr, { k: "case" }>): Typed {
    const whens = e.whens.map((w) => ({ when: this.condition(w.when).expr, then: this.type(w.then) }));
    const otherwise = e.else ? this.type(e.else) : undefined;
    const branches = [...whens.map((w) => w.then), ...(otherwise ? [otherwise] : [])];
    const expr: Expr = { ...e, whens: whens.map((w) => ({ when: w.when, then: w.then.expr })), ...(otherwise && { else: otherwise.expr }) };
    if (branches.some((b) => !b.type)) return { expr };
    const type = unify(branches.map((b) => b.type!));
    if (!type) {
      const kinds = [...new Set(branches.map((b) => typeToString(b.type as ScalarType)))].join(", ");
      this.report(
        "LK333",
        e,
        `the branches of case in ${this.env.context} have different types (${kinds})`,
        "make every then and else the same type, e.g. with cast(x as string)",
      );
      return { expr };
    }
    return { expr, type };
  }

  private cast(e: Extract<Expr, { k: "fn" }>): Typed {
    const [argE, typeE] = e.args as [Expr, Expr];
    const x = this.type(argE);
    const text = typeE.k === "lit" ? String(typeE.value) : "";
    const to = parseType(text);
    if (!to || to.kind === "object" || to.kind === "array") {
      this.report(
        "LK334",
        typeE,
        `cannot cast to ${q(text)} in ${this.env.context}`,
        "cast to string, integer, double, decimal(p,s), boolean, date or timestamp",
      );
      return { expr: x.expr };
    }
    if (!x.type) return { expr: x.expr, type: to };
    const from = x.type;
    if (from.kind === "null") return { expr: { k: "convert", arg: x.expr, from: to, to }, type: to };
    // Text is cast like raw text when cleaning: one documented meaning per type (docs/language.md "Casting").
    if (from.kind === "string" && to.kind !== "string") return { expr: { k: "cast", arg: x.expr, to }, type: to };
    const ok =
      from.kind === to.kind ||
      (isNumericArg(from) && isNumericArg(to)) ||
      (isTemporal(from) && isTemporal(to)) ||
      (to.kind === "string" && from.kind !== "double");
    if (!ok) {
      const hint =
        from.kind === "double"
          ? "round it first, or cast it to decimal(p,s): a double's text differs between engines"
          : "cast between numbers, between dates and timestamps, from text, or to string";
      this.report("LK333", e, `cannot cast ${aType(from)} to ${typeToString(to)} in ${this.env.context}`, hint);
      return { expr: x.expr, type: to };
    }
    if (from.kind === to.kind && from.kind !== "decimal") return { expr: x.expr, type: to };
    return { expr: { k: "convert", arg: x.expr, from, to }, type: to };
  }

  private call(e: Extract<Expr, { k: "fn" }>): Typed {
    const f = FUNCTIONS[e.name];
    const args = e.args.map((a) => this.type(a));
    const rebuilt = (xs: readonly Typed[]): Expr => ({ ...e, args: xs.map((a) => a.expr) });
    if (!f) {
      const names = visibleFunctions();
      this.report(
        "LK331",
        e,
        `unknown function ${q(e.name)} in ${this.env.context}`,
        didYouMean(e.name, names) ?? `functions are: ${names.join(", ")}`,
      );
      return { expr: rebuilt(args) };
    }
    if (e.args.length < f.minArgs || e.args.length > f.maxArgs) {
      const n = f.minArgs === f.maxArgs ? `${f.minArgs}` : f.maxArgs > 10 ? `at least ${f.minArgs}` : `${f.minArgs} to ${f.maxArgs}`;
      this.report(
        "LK332",
        e,
        `${e.name} takes ${n} argument${n === "1" ? "" : "s"}, got ${e.args.length}, in ${this.env.context}`,
        `write ${f.signature}`,
      );
      return { expr: rebuilt(args) };
    }
    const out: Typed[] = [];
    let failed = false;
    args.forEach((a, i) => {
      const kind = f.args[Math.min(i, f.args.length - 1)]!;
      const x = this.argument(e, f.signature, kind, a, e.args[i]!);
      if (!x) failed = true;
      out.push(x ?? a);
    });
    if (failed || out.some((a) => !a.type)) return { expr: rebuilt(out) };
    const types = out.map((a) => a.type!);
    if (e.name === "coalesce" || e.name === "between") {
      if (!this.sameFamily(e, types, out)) return { expr: rebuilt(out) };
    }
    if (e.name === "regexp_extract" && out[2]) this.regexGroup(e, out[1]!.expr, e.args[2]!);
    if (e.name === "split_part") this.nonZero(e.args[2]!, "split_part counts parts from 1 (or from the end when negative)");
    const type = e.name === "coalesce" ? unify(types) : f.result(types);
    return { expr: rebuilt(out), ...(type && { type }) };
  }

  private sameFamily(e: Extract<Expr, { k: "fn" }>, types: readonly ArgType[], args: readonly Typed[]): boolean {
    if (e.name === "between") {
      this.compare(args[0]!, e.args[0]!, args[1]!, e.args[1]!, "between");
      this.compare(args[0]!, e.args[0]!, args[2]!, e.args[2]!, "between");
      return true;
    }
    if (unify(types)) return true;
    const kinds = [...new Set(types.filter((t) => t.kind !== "null").map((t) => typeToString(t as ScalarType)))].join(", ");
    this.report(
      "LK333",
      e,
      `the arguments of ${e.name} in ${this.env.context} have different types (${kinds})`,
      "make them the same type, e.g. with cast(x as string)",
    );
    return false;
  }

  /** Checks one argument against its kind; returns it converted, or undefined when reported. */
  private argument(call: Extract<Expr, { k: "fn" }>, signature: string, kind: ArgKind, a: Typed, written: Expr): Typed | undefined {
    const t = a.type;
    const bad = (needs: string, hint: string): undefined => {
      this.report(
        "LK333",
        written,
        `${call.name} needs ${needs}, but ${q(this.snippet(written))} is ${t ? aType(t) : "unknown"} (in ${this.env.context})`,
        hint,
      );
      return undefined;
    };
    const literal = (what: string, ok: (v: string) => string | undefined): Typed | undefined => {
      if (written.k !== "lit" || typeof written.value !== "string") {
        this.report(
          "LK334",
          written,
          `the ${what} of ${call.name} must be a quoted string literal (in ${this.env.context})`,
          `write ${signature}`,
        );
        return undefined;
      }
      const problem = ok(written.value);
      if (problem) {
        this.report("LK334", written, `${problem} (in ${this.env.context})`, `write ${signature}`);
        return undefined;
      }
      return a;
    };
    if (!t) return a;
    switch (kind) {
      case "unit":
        return literal("unit", (v) =>
          (DATE_UNITS as readonly string[]).includes(v.toLowerCase())
            ? undefined
            : `unknown date unit ${q(v)} of ${call.name}: use ${DATE_UNITS.map((u) => `'${u}'`).join(", ")}`,
        );
      case "pattern":
        return literal(call.name === "split_part" ? "delimiter" : call.name === "replace" ? "search text" : "pattern", (v) => {
          if (call.name === "regexp_extract") return regexProblem(v);
          if ((call.name === "split_part" || call.name === "replace") && v === "")
            return `the ${call.name === "replace" ? "search text" : "delimiter"} of ${call.name} is empty`;
          return undefined;
        });
      case "string":
        return t.kind === "string" || t.kind === "null" ? a : bad("a string", `cast it first: cast(${this.snippet(written)} as string)`);
      case "text":
        if (t.kind === "string" || t.kind === "null") return a;
        if (t.kind === "double")
          return bad("text, a number or a date", "round it or cast it to decimal(p,s) first: a double's text differs between engines");
        return { expr: { k: "convert", arg: a.expr, from: t, to: STRING }, type: STRING };
      case "number":
        return isNumericArg(t) || t.kind === "null"
          ? a
          : bad(
              "a number",
              t.kind === "date" || t.kind === "timestamp"
                ? "use date_diff('day', start, end) for the days between two dates"
                : `cast it first: cast(${this.snippet(written)} as double)`,
            );
      case "integer":
        return t.kind === "integer" || t.kind === "null" ? a : bad("an integer", "write a whole number, or round(x) it");
      case "temporal":
        if (t.kind === "null") return a;
        if (!isTemporal(t))
          return bad(
            "a date or a timestamp",
            t.kind === "string" ? `cast the text first: cast(${this.snippet(written)} as date)` : "use a date or timestamp column",
          );
        // Printers tell dates from timestamps by this wrapper (functions.ts, exprTypeHint).
        return { expr: { k: "convert", arg: a.expr, from: t, to: t }, type: t };
      case "timestamp":
        return t.kind === "timestamp" || t.kind === "null" ? a : bad("a timestamp", "a date has no hour; use a timestamp column");
      case "boolean":
        return t.kind === "boolean" || t.kind === "null" ? a : bad("a boolean", "compare it, e.g. x > 0");
      case "any":
        return a;
    }
  }

  private regexGroup(call: Expr, pattern: Expr, group: Expr): void {
    if (group.k !== "lit" || typeof group.value !== "number" || !Number.isInteger(group.value) || group.value < 0) {
      this.report(
        "LK334",
        group,
        `the group of regexp_extract must be a whole number literal, 0 or more (in ${this.env.context})`,
        "0 is the whole match, 1 the first parenthesised group",
      );
      return;
    }
    const groups = pattern.k === "lit" && typeof pattern.value === "string" ? countGroups(pattern.value) : 0;
    if (group.value > groups)
      this.report(
        "LK334",
        group,
        `regexp_extract asks for group ${group.value} of a pattern with ${groups} group${groups === 1 ? "" : "s"} (in ${this.env.context})`,
        "count the parenthesised groups of the pattern",
      );
    void call;
  }

  private nonZero(e: Expr, hint: string): void {
    if (e.k === "lit" && e.value === 0) this.report("LK334", e, `part 0 does not exist (in ${this.env.context})`, hint);
  }
}

function litType(v: Literal): ArgType {
  if (v === null) return { kind: "null" };
  if (typeof v === "boolean") return BOOLEAN;
  if (typeof v === "number") {
    if (Number.isInteger(v)) return { kind: "integer" };
    // 1.2 is a decimal literal in all three engines; only exponent notation is a double.
    const text = String(Math.abs(v));
    if (/e/i.test(text)) return { kind: "double" };
    const [whole, frac = ""] = text.split(".");
    return { kind: "decimal", precision: Math.min(38, whole!.replace(/^0+/, "").length + frac.length || 1), scale: frac.length };
  }
  return STRING;
}

/** May a value of type `t` be compared with `other` (written as `otherE`)? */
function compatible(t: ArgType, other: ArgType, otherE: Expr): boolean {
  if (t.kind === other.kind) return true;
  if (isNumericArg(t) && isNumericArg(other)) return true;
  if (isTemporal(t) && isTemporal(other)) return true;
  // An ISO string literal reads as a date or timestamp in every engine.
  if (otherE.k === "lit" && typeof otherE.value === "string") {
    if (t.kind === "date") return ISO_DATE.test(otherE.value);
    if (t.kind === "timestamp") return ISO_TIMESTAMP.test(otherE.value);
  }
  return false;
}

/** Capturing groups: `(` not escaped, not in a class, not `(?`. */
export function countGroups(re: string): number {
  let n = 0;
  let inClass = false;
  for (let i = 0; i < re.length; i++) {
    const c = re[i];
    if (c === "\\") i++;
    else if (inClass) inClass = c !== "]";
    else if (c === "[") inClass = true;
    else if (c === "(" && re[i + 1] !== "?") n++;
  }
  return n;
}

export function typeExpr(e: Expr, env: TypeEnv): TypeResult {
  const t = new Typer(env);
  const x = t.type(e);
  return { expr: x.expr, ...(x.type && { type: x.type }), issues: t.issues };
}

/** A filter: the expression must be a boolean condition. */
export function typeCondition(e: Expr, env: TypeEnv): TypeResult {
  const t = new Typer(env);
  const x = t.condition(e);
  return { expr: x.expr, ...(x.type && { type: x.type }), issues: t.issues };
}
