// Parser for the expressions users write as strings: derived columns
// (`date_trunc('month', tip_date)`), measures (`sum(case when stars >= 4 then 1 else 0 end)`)
// and mart filters (`verified = true and city ilike 'tuc%'`). Errors carry a character offset
// so the caller can point at the exact column in the YAML file; every node's span is kept
// beside the tree (not in it: the tree goes into the IR) for the type checker's diagnostics.
import type { AggregateFn } from "../ir.js";
import type { CompareOp, Expr, Literal } from "./ast.js";

export interface ParseError {
  readonly offset: number;
  readonly message: string;
  readonly hint?: string;
}

/** A column reference as written, with its offset in the expression text. */
export interface RefAt {
  readonly table?: string;
  readonly column: string;
  readonly offset: number;
  readonly length: number;
}

/** Where each node of a parsed tree is written in the expression text. */
export type Spans = ReadonlyMap<Expr, { readonly offset: number; readonly length: number }>;

export interface ParsedMeasure {
  readonly fn: AggregateFn;
  /** Set when the argument is a bare column. */
  readonly arg?: RefAt;
  /** The argument expression (absent for count(*)). */
  readonly argExpr?: Expr;
  readonly refs: readonly RefAt[];
  readonly spans: Spans;
}

/** Words with a meaning in the grammar: never column or function names. */
const KEYWORDS = new Set([
  "and",
  "or",
  "not",
  "is",
  "in",
  "like",
  "ilike",
  "between",
  "case",
  "when",
  "then",
  "else",
  "end",
  "null",
  "true",
  "false",
  "as",
]);

type Tok =
  | { t: "ident"; v: string; o: number; len: number }
  | { t: "num"; v: number; o: number; len: number }
  | { t: "str"; v: string; o: number; len: number }
  | { t: "op"; v: string; o: number; len: number }
  | { t: "end"; o: number; len: number };

const AGGREGATES: Record<string, AggregateFn> = {
  count: "count",
  count_distinct: "count_distinct",
  count_if: "count_if",
  sum: "sum",
  avg: "avg",
  min: "min",
  max: "max",
};

function tokenize(src: string): Tok[] | ParseError {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = src.slice(i);
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (ident) {
      toks.push({ t: "ident", v: ident[0], o: i, len: ident[0].length });
      i += ident[0].length;
      continue;
    }
    // A minus sign is always an operator; the parser folds `-5` into a literal.
    const num = /^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(rest);
    if (num) {
      toks.push({ t: "num", v: Number(num[0]), o: i, len: num[0].length });
      i += num[0].length;
      continue;
    }
    if (c === "'") {
      let j = i + 1;
      let v = "";
      for (;;) {
        if (j >= src.length)
          return { offset: i, message: "unterminated string literal", hint: "close it with a single quote; write '' for a quote inside" };
        if (src[j] === "'") {
          if (src[j + 1] === "'") {
            v += "'";
            j += 2;
            continue;
          }
          break;
        }
        v += src[j];
        j++;
      }
      toks.push({ t: "str", v, o: i, len: j + 1 - i });
      i = j + 1;
      continue;
    }
    const op = /^(<=|>=|<>|!=|=|<|>|\(|\)|,|\*|\.|\+|-|\/)/.exec(rest);
    if (op) {
      toks.push({ t: "op", v: op[0], o: i, len: op[0].length });
      i += op[0].length;
      continue;
    }
    return { offset: i, message: `unexpected character '${c}'` };
  }
  toks.push({ t: "end", o: src.length, len: 0 });
  return toks;
}

class Parser {
  private i = 0;
  readonly refs: RefAt[] = [];
  readonly spans = new Map<Expr, { offset: number; length: number }>();
  constructor(private readonly toks: Tok[]) {}

  peek(): Tok {
    return this.toks[this.i]!;
  }
  next(): Tok {
    return this.toks[this.i++]!;
  }
  isOp(v: string): boolean {
    const t = this.peek();
    return t.t === "op" && t.v === v;
  }
  isWord(v: string): boolean {
    const t = this.peek();
    return t.t === "ident" && t.v.toLowerCase() === v;
  }
  expectOp(v: string): void {
    const t = this.peek();
    if (t.t !== "op" || t.v !== v) throw err(t, `expected '${v}'`);
    this.i++;
  }
  expectWord(v: string): void {
    if (!this.isWord(v)) throw err(this.peek(), `expected '${v}'`);
    this.i++;
  }
  /** Records that `e` spans from token `from` to the last token read. */
  at<E extends Expr>(e: E, from: number): E {
    const first = this.toks[from]!;
    const last = this.toks[Math.max(from, this.i - 1)]!;
    if (!this.spans.has(e)) this.spans.set(e, { offset: first.o, length: last.o + last.len - first.o });
    return e;
  }

  ref(): RefAt {
    const t = this.next();
    if (t.t !== "ident" || KEYWORDS.has(t.v.toLowerCase())) throw err(t, "expected a column name");
    if (this.isOp(".")) {
      this.i++;
      const c = this.next();
      if (c.t !== "ident") throw err(c, "expected a column name after '.'");
      const r = { table: t.v, column: c.v, offset: t.o, length: c.o + c.len - t.o };
      this.refs.push(r);
      return r;
    }
    const r = { column: t.v, offset: t.o, length: t.len };
    this.refs.push(r);
    return r;
  }

  // expr := or ; or := and ('or' and)* ; and := not ('and' not)* ; not := 'not' not | predicate
  or(): Expr {
    const from = this.i;
    const args = [this.and()];
    while (this.isWord("or")) {
      this.i++;
      args.push(this.and());
    }
    return args.length === 1 ? args[0]! : this.at({ k: "or", args }, from);
  }
  and(): Expr {
    const from = this.i;
    const args = [this.not()];
    while (this.isWord("and")) {
      this.i++;
      args.push(this.not());
    }
    return args.length === 1 ? args[0]! : this.at({ k: "and", args }, from);
  }
  not(): Expr {
    const from = this.i;
    if (this.isWord("not")) {
      this.i++;
      return this.at({ k: "not", arg: this.not() }, from);
    }
    return this.predicate();
  }
  // predicate := sum [cmp sum | is [not] null | [not] in (…) | [not] like|ilike sum | [not] between sum and sum]
  predicate(): Expr {
    const from = this.i;
    const left = this.sum();
    const t = this.peek();
    if (t.t === "op" && ["=", "<>", "!=", "<", "<=", ">", ">="].includes(t.v)) {
      this.i++;
      const op = (t.v === "!=" ? "<>" : t.v) as CompareOp;
      return this.at({ k: "cmp", op, left, right: this.sum() }, from);
    }
    if (this.isWord("is")) {
      this.i++;
      const negate = this.isWord("not");
      if (negate) this.i++;
      if (!this.isWord("null")) throw err(this.peek(), "expected 'null' after 'is'");
      this.i++;
      return this.at({ k: "isNull", arg: left, negate }, from);
    }
    const negate = this.isWord("not");
    if (negate) this.i++;
    if (this.isWord("in")) {
      this.i++;
      this.expectOp("(");
      const values: Literal[] = [];
      for (;;) {
        const v = this.literal();
        if (v === undefined) throw err(this.peek(), "expected a literal in the 'in' list");
        values.push(v);
        if (this.isOp(",")) {
          this.i++;
          continue;
        }
        break;
      }
      this.expectOp(")");
      return this.at({ k: "in", arg: left, values, negate }, from);
    }
    let e: Expr | undefined;
    if (this.isWord("like") || this.isWord("ilike")) {
      const name = (this.next() as { v: string }).v.toLowerCase();
      e = { k: "fn", name, args: [left, this.sum()] };
    } else if (this.isWord("between")) {
      this.i++;
      const lo = this.sum();
      this.expectWord("and");
      e = { k: "fn", name: "between", args: [left, lo, this.sum()] };
    }
    if (e) return this.at(negate ? { k: "not", arg: this.at(e, from) } : e, from);
    if (negate) throw err(this.peek(), "expected 'in', 'like', 'ilike' or 'between' after 'not'");
    return left;
  }
  // sum := product (('+'|'-') product)* ; product := unary (('*'|'/') unary)*
  sum(): Expr {
    const from = this.i;
    let e = this.product();
    while (this.isOp("+") || this.isOp("-")) {
      const op = (this.next() as { v: string }).v;
      e = this.at({ k: "fn", name: op === "+" ? "add" : "subtract", args: [e, this.product()] }, from);
    }
    return e;
  }
  product(): Expr {
    const from = this.i;
    let e = this.unary();
    while (this.isOp("*") || this.isOp("/")) {
      const op = (this.next() as { v: string }).v;
      e = this.at({ k: "fn", name: op === "*" ? "multiply" : "divide", args: [e, this.unary()] }, from);
    }
    return e;
  }
  unary(): Expr {
    const from = this.i;
    if (this.isOp("-")) {
      this.i++;
      const t = this.peek();
      if (t.t === "num") {
        this.i++;
        return this.at({ k: "lit", value: -t.v }, from);
      }
      return this.at({ k: "fn", name: "negate", args: [this.unary()] }, from);
    }
    return this.primary();
  }
  literal(): Literal | undefined {
    const t = this.peek();
    if (t.t === "op" && t.v === "-" && this.toks[this.i + 1]?.t === "num") {
      this.i += 2;
      return -(this.toks[this.i - 1] as { v: number }).v;
    }
    if (t.t === "num" || t.t === "str") {
      this.i++;
      return t.v;
    }
    if (t.t === "ident" && ["true", "false", "null"].includes(t.v.toLowerCase())) {
      this.i++;
      const w = t.v.toLowerCase();
      return w === "null" ? null : w === "true";
    }
    return undefined;
  }
  primary(): Expr {
    const from = this.i;
    if (this.isOp("(")) {
      this.i++;
      const e = this.or();
      this.expectOp(")");
      return e;
    }
    const lit = this.literal();
    if (lit !== undefined) return this.at({ k: "lit", value: lit }, from);
    if (this.isWord("case")) return this.caseExpr();
    const t = this.peek();
    const callee =
      t.t === "ident" &&
      !KEYWORDS.has(t.v.toLowerCase()) &&
      this.toks[this.i + 1]?.t === "op" &&
      (this.toks[this.i + 1] as { v: string }).v === "(";
    if (callee && t.v.toLowerCase() === "cast") return this.castExpr();
    if (callee) return this.call();
    const r = this.ref();
    return this.at(r.table ? { k: "ref", name: r.column, table: r.table } : { k: "ref", name: r.column }, from);
  }
  call(): Expr {
    const from = this.i;
    const name = (this.next() as { v: string }).v.toLowerCase();
    this.expectOp("(");
    const args: Expr[] = [];
    if (!this.isOp(")")) {
      for (;;) {
        args.push(this.or());
        if (!this.isOp(",")) break;
        this.i++;
      }
    }
    this.expectOp(")");
    return this.at({ k: "fn", name, args }, from);
  }
  caseExpr(): Expr {
    const from = this.i;
    this.i++;
    const whens: { when: Expr; then: Expr }[] = [];
    while (this.isWord("when")) {
      this.i++;
      const when = this.or();
      this.expectWord("then");
      whens.push({ when, then: this.or() });
    }
    if (whens.length === 0) throw err(this.peek(), "expected 'when' after 'case'");
    let otherwise: Expr | undefined;
    if (this.isWord("else")) {
      this.i++;
      otherwise = this.or();
    }
    this.expectWord("end");
    return this.at(otherwise ? { k: "case", whens, else: otherwise } : { k: "case", whens }, from);
  }
  /** `cast(x as type)`: the type is kept as text in a string literal; the type checker parses it. */
  castExpr(): Expr {
    const from = this.i;
    this.i += 2;
    const arg = this.or();
    this.expectWord("as");
    const typeFrom = this.i;
    const t = this.next();
    if (t.t !== "ident") throw err(t, "expected a type such as integer or decimal(10,2)");
    let text = t.v.toLowerCase();
    if (this.isOp("(")) {
      while (!this.isOp(")") && this.peek().t !== "end") this.i++;
      this.expectOp(")");
      text = this.toks
        .slice(typeFrom, this.i)
        .map((x) => ("v" in x ? String(x.v) : ""))
        .join("")
        .toLowerCase();
    }
    const type = this.at({ k: "lit", value: text } as Expr, typeFrom);
    this.expectOp(")");
    return this.at({ k: "fn", name: "cast", args: [arg, type] }, from);
  }
}

class ParseFailure extends Error {
  constructor(readonly pe: ParseError) {
    super(pe.message);
  }
}

function err(t: Tok, message: string): ParseFailure {
  const found = t.t === "end" ? "end of expression" : `'${"v" in t ? String(t.v) : ""}'`;
  return new ParseFailure({ offset: t.o, message: `${message}, found ${found}` });
}

function run<T>(src: string, f: (p: Parser) => T): { value: T; refs: RefAt[]; spans: Spans } | ParseError {
  const toks = tokenize(src);
  if (!Array.isArray(toks)) return toks;
  const p = new Parser(toks);
  try {
    const value = f(p);
    if (p.peek().t !== "end") throw err(p.peek(), "unexpected trailing input");
    return { value, refs: p.refs, spans: p.spans };
  } catch (e) {
    if (e instanceof ParseFailure) return e.pe;
    throw e;
  }
}

export function isParseError(x: unknown): x is ParseError {
  return typeof x === "object" && x !== null && "message" in x && "offset" in x && !("value" in x);
}

/** `count(*)`, or an aggregate of a column or an expression: `sum(case when stars >= 4 then 1 else 0 end)`. */
export function parseMeasure(src: string): ParsedMeasure | ParseError {
  const r = run(src, (p): Omit<ParsedMeasure, "refs" | "spans"> => {
    const name = p.next();
    if (name.t !== "ident") throw err(name, "expected an aggregate such as count(*) or avg(col)");
    const fn = AGGREGATES[name.v.toLowerCase()];
    if (!fn) {
      throw new ParseFailure({
        offset: name.o,
        message: `unknown aggregate '${name.v}'`,
        hint: `use one of count(*), ${Object.keys(AGGREGATES)
          .map((a) => `${a}(col)`)
          .join(", ")}; the argument may be an expression`,
      });
    }
    p.expectOp("(");
    if (fn === "count" && p.isOp("*")) {
      p.next();
      p.expectOp(")");
      return { fn: "count_star" };
    }
    const refsBefore = p.refs.length;
    const argExpr = p.or();
    p.expectOp(")");
    const bare = argExpr.k === "ref" && p.refs.length === refsBefore + 1 ? p.refs[refsBefore] : undefined;
    return { fn, argExpr, ...(bare && { arg: bare }) };
  });
  return "value" in r ? { ...r.value, refs: r.refs, spans: r.spans } : r;
}

/** A boolean filter; returns the expression, every column reference and every node's span. */
export function parseWhere(src: string): { expr: Expr; refs: RefAt[]; spans: Spans } | ParseError {
  return parseExpr(src);
}

/** Any expression (a derived column, a filter). */
export function parseExpr(src: string): { expr: Expr; refs: RefAt[]; spans: Spans } | ParseError {
  const r = run(src, (p) => p.or());
  return "value" in r ? { expr: r.value, refs: r.refs, spans: r.spans } : r;
}
