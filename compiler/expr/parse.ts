// Parser for the two small grammars users write as strings: measures (`avg(rating)`) and
// mart filters (`verified = true and rating >= 4`). Errors carry a character offset so the
// caller can point at the exact column in the YAML file.
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

export interface ParsedMeasure {
  readonly fn: AggregateFn;
  readonly arg?: RefAt;
}

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
    const num = /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(rest);
    if (num && (c !== "-" || toks.length === 0 || toks[toks.length - 1]!.t === "op")) {
      toks.push({ t: "num", v: Number(num[0]), o: i, len: num[0].length });
      i += num[0].length;
      continue;
    }
    if (c === "'") {
      let j = i + 1;
      let v = "";
      for (;;) {
        if (j >= src.length) return { offset: i, message: "unterminated string literal", hint: "close it with a single quote; write '' for a quote inside" };
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
    const op = /^(<=|>=|<>|!=|=|<|>|\(|\)|,|\*|\.)/.exec(rest);
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

  ref(): RefAt {
    const t = this.next();
    if (t.t !== "ident") throw err(t, "expected a column name");
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

  // where := or ; or := and ('or' and)* ; and := not ('and' not)* ; not := 'not' not | cmp
  or(): Expr {
    const args = [this.and()];
    while (this.isWord("or")) {
      this.i++;
      args.push(this.and());
    }
    return args.length === 1 ? args[0]! : { k: "or", args };
  }
  and(): Expr {
    const args = [this.not()];
    while (this.isWord("and")) {
      this.i++;
      args.push(this.not());
    }
    return args.length === 1 ? args[0]! : { k: "and", args };
  }
  not(): Expr {
    if (this.isWord("not")) {
      this.i++;
      return { k: "not", arg: this.not() };
    }
    return this.cmp();
  }
  cmp(): Expr {
    const left = this.operand();
    const t = this.peek();
    if (t.t === "op" && ["=", "<>", "!=", "<", "<=", ">", ">="].includes(t.v)) {
      this.i++;
      const op = (t.v === "!=" ? "<>" : t.v) as CompareOp;
      return { k: "cmp", op, left, right: this.operand() };
    }
    if (this.isWord("is")) {
      this.i++;
      const negate = this.isWord("not");
      if (negate) this.i++;
      if (!this.isWord("null")) throw err(this.peek(), "expected 'null' after 'is'");
      this.i++;
      return { k: "isNull", arg: left, negate };
    }
    const negIn = this.isWord("not");
    if (negIn || this.isWord("in")) {
      if (negIn) this.i++;
      if (!this.isWord("in")) throw err(this.peek(), "expected 'in'");
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
      return { k: "in", arg: left, values, negate: negIn };
    }
    return left;
  }
  literal(): Literal | undefined {
    const t = this.peek();
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
  operand(): Expr {
    if (this.isOp("(")) {
      this.i++;
      const e = this.or();
      this.expectOp(")");
      return e;
    }
    const lit = this.literal();
    if (lit !== undefined) return { k: "lit", value: lit };
    const r = this.ref();
    return r.table ? { k: "ref", name: r.column, table: r.table } : { k: "ref", name: r.column };
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

function run<T>(src: string, f: (p: Parser) => T): { value: T; refs: RefAt[] } | ParseError {
  const toks = tokenize(src);
  if (!Array.isArray(toks)) return toks;
  const p = new Parser(toks);
  try {
    const value = f(p);
    if (p.peek().t !== "end") throw err(p.peek(), "unexpected trailing input");
    return { value, refs: p.refs };
  } catch (e) {
    if (e instanceof ParseFailure) return e.pe;
    throw e;
  }
}

export function isParseError(x: unknown): x is ParseError {
  return typeof x === "object" && x !== null && "message" in x && "offset" in x && !("value" in x);
}

/** `count(*)`, `count(col)`, `count_distinct(t.col)`, `count_if(col)`, `sum|avg|min|max(col)`. */
export function parseMeasure(src: string): ParsedMeasure | ParseError {
  const r = run(src, (p): ParsedMeasure => {
    const name = p.next();
    if (name.t !== "ident") throw err(name, "expected an aggregate such as count(*) or avg(col)");
    const fn = AGGREGATES[name.v.toLowerCase()];
    if (!fn) {
      throw new ParseFailure({
        offset: name.o,
        message: `unknown aggregate '${name.v}'`,
        hint: `use one of count(*), ${Object.keys(AGGREGATES).map((a) => `${a}(col)`).join(", ")}`,
      });
    }
    p.expectOp("(");
    if (fn === "count" && p.isOp("*")) {
      p.next();
      p.expectOp(")");
      return { fn: "count_star" };
    }
    const arg = p.ref();
    p.expectOp(")");
    return { fn, arg };
  });
  return "value" in r ? r.value : r;
}

/** A boolean filter; returns the expression and every column reference with its offset. */
export function parseWhere(src: string): { expr: Expr; refs: RefAt[] } | ParseError {
  const r = run(src, (p) => p.or());
  return "value" in r ? { expr: r.value, refs: r.refs } : r;
}
