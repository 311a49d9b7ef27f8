// compiler/expr/parse.ts on its own: the tree each construct parses to, operator precedence and
// associativity, column references and node spans with their offsets, and errors that point at
// the character where the expression goes wrong.
import { describe, expect, it } from "vitest";
import { lit, ref, type Expr } from "../../compiler/expr/ast.js";
import { isParseError, parseExpr, parseMeasure, type ParseError } from "../../compiler/expr/parse.js";

function tree(text: string): Expr {
  const p = parseExpr(text);
  if (isParseError(p)) throw new Error(`${text}: ${p.message}`);
  return p.expr;
}

function error(text: string): ParseError {
  const p = parseExpr(text);
  if (!isParseError(p)) throw new Error(`${text} parsed`);
  return p;
}

const fn = (name: string, ...args: Expr[]): Expr => ({ k: "fn", name, args });
const cmp = (op: "=" | "<>" | "<" | ">", left: Expr, right: Expr): Expr => ({ k: "cmp", op, left, right });

describe("parseExpr: precedence and associativity", () => {
  it("binds * and / tighter than + and -, and both to the left", () => {
    expect(tree("a + b * c")).toEqual(fn("add", ref("a"), fn("multiply", ref("b"), ref("c"))));
    expect(tree("(a + b) * c")).toEqual(fn("multiply", fn("add", ref("a"), ref("b")), ref("c")));
    expect(tree("a - b - c")).toEqual(fn("subtract", fn("subtract", ref("a"), ref("b")), ref("c")));
    expect(tree("a / b / c")).toEqual(fn("divide", fn("divide", ref("a"), ref("b")), ref("c")));
  });

  it("binds comparison over arithmetic, not over comparison, and over and over or", () => {
    expect(tree("a + 1 > b")).toEqual(cmp(">", fn("add", ref("a"), lit(1)), ref("b")));
    expect(tree("not a = 1 and b or c")).toEqual({
      k: "or",
      args: [{ k: "and", args: [{ k: "not", arg: cmp("=", ref("a"), lit(1)) }, ref("b")] }, ref("c")],
    });
    expect(tree("a or b and c")).toEqual({ k: "or", args: [ref("a"), { k: "and", args: [ref("b"), ref("c")] }] });
    expect(tree("a and b and c")).toEqual({ k: "and", args: [ref("a"), ref("b"), ref("c")] });
    expect(tree("not not a")).toEqual({ k: "not", arg: { k: "not", arg: ref("a") } });
  });

  it("folds a minus before a number into the literal, and negates anything else", () => {
    expect(tree("-5")).toEqual(lit(-5));
    expect(tree("-a")).toEqual(fn("negate", ref("a")));
    expect(tree("a - -1.5e2")).toEqual(fn("subtract", ref("a"), lit(-150)));
    expect(tree("-(a)")).toEqual(fn("negate", ref("a")));
  });
});

describe("parseExpr: constructs", () => {
  it("reads literals: quotes doubled inside strings, exponents, and keywords in any case", () => {
    expect(tree("'it''s'")).toEqual(lit("it's"));
    expect(tree("''")).toEqual(lit(""));
    expect(tree("1.25")).toEqual(lit(1.25));
    expect([tree("TRUE"), tree("false"), tree("Null")]).toEqual([lit(true), lit(false), lit(null)]);
  });

  it("reads predicates: != as <>, is [not] null, [not] in, [not] like/ilike, [not] between", () => {
    expect(tree("a != 1")).toEqual(cmp("<>", ref("a"), lit(1)));
    expect(tree("a is not null")).toEqual({ k: "isNull", arg: ref("a"), negate: true });
    expect(tree("a IS NULL")).toEqual({ k: "isNull", arg: ref("a"), negate: false });
    expect(tree("a not in (1, -2, 'x', null)")).toEqual({ k: "in", arg: ref("a"), values: [1, -2, "x", null], negate: true });
    expect(tree("a ilike 'x%'")).toEqual(fn("ilike", ref("a"), lit("x%")));
    expect(tree("a not like 'x%'")).toEqual({ k: "not", arg: fn("like", ref("a"), lit("x%")) });
    expect(tree("a between 1 and b + 1")).toEqual(fn("between", ref("a"), lit(1), fn("add", ref("b"), lit(1))));
  });

  it("reads calls (names lower-cased), casts with their type as text, case, and qualified columns", () => {
    expect(tree("COALESCE(a, 'x')")).toEqual(fn("coalesce", ref("a"), lit("x")));
    expect(tree("now()")).toEqual(fn("now"));
    expect(tree("cast(a as Decimal(10, 2))")).toEqual(fn("cast", ref("a"), lit("decimal(10,2)")));
    expect(tree("case when a > 1 then 'x' when a > 0 then 'y' end")).toEqual({
      k: "case",
      whens: [
        { when: cmp(">", ref("a"), lit(1)), then: lit("x") },
        { when: cmp(">", ref("a"), lit(0)), then: lit("y") },
      ],
    });
    expect(tree("case when a then 1 else 0 end")).toEqual({ k: "case", whens: [{ when: ref("a"), then: lit(1) }], else: lit(0) });
    expect(tree("business.city")).toEqual(ref("city", "business"));
  });
});

describe("parseExpr: positions", () => {
  it("lists every column reference with its offset and length", () => {
    const p = parseExpr("lower(b.city) = x");
    if (isParseError(p)) throw new Error(p.message);
    expect(p.refs).toEqual([
      { table: "b", column: "city", offset: 6, length: 6 },
      { column: "x", offset: 16, length: 1 },
    ]);
  });

  it("keeps each node's span beside the tree", () => {
    const text = "a + (b * 2) > 3";
    const p = parseExpr(text);
    if (isParseError(p)) throw new Error(p.message);
    const spanned = (e: Expr): string => {
      const s = p.spans.get(e)!;
      return text.slice(s.offset, s.offset + s.length);
    };
    const top = p.expr as Extract<Expr, { k: "cmp" }>;
    const sum = top.left as Extract<Expr, { k: "fn" }>;
    expect([spanned(top), spanned(sum), spanned(sum.args[1]!), spanned(top.right)]).toEqual([text, "a + (b * 2)", "b * 2", "3"]);
  });

  it.each([
    ["a = 'open", 4, /unterminated string literal/],
    ["a # 1", 2, /unexpected character '#'/],
    ["a b", 2, /unexpected trailing input, found 'b'/],
    ["a is 1", 5, /expected 'null' after 'is', found '1'/],
    ["a not 1", 6, /expected 'in', 'like', 'ilike' or 'between' after 'not'/],
    ["a in ()", 6, /expected a literal in the 'in' list, found '\)'/],
    ["a in (b)", 6, /expected a literal in the 'in' list, found 'b'/],
    ["case else 1 end", 5, /expected 'when' after 'case'/],
    ["case when a then 1", 18, /expected 'end', found end of expression/],
    ["a between 1 or 2", 12, /expected 'and', found 'or'/],
    ["(a + 1", 6, /expected '\)', found end of expression/],
    ["a and or", 6, /expected a column name, found 'or'/],
    ["t. = 1", 3, /expected a column name after '\.'/],
    ["cast(a as 1)", 10, /expected a type/],
    ["", 0, /expected a column name, found end of expression/],
  ])("%j fails at offset %i", (text, offset, message) => {
    const e = error(text);
    expect(e.message).toMatch(message);
    expect(e.offset).toBe(offset);
  });
});

describe("parseMeasure", () => {
  it("reads count(*), an aggregate of a bare column, and an aggregate of an expression", () => {
    expect(parseMeasure("count(*)")).toMatchObject({ fn: "count_star", refs: [] });
    expect(parseMeasure("AVG(stars)")).toMatchObject({ fn: "avg", arg: { column: "stars", offset: 4, length: 5 }, argExpr: ref("stars") });
    const m = parseMeasure("sum(case when stars >= 4 then 1 else 0 end)");
    expect(m).toMatchObject({ fn: "sum", refs: [{ column: "stars", offset: 14 }] });
    expect(m).not.toHaveProperty("arg");
  });

  it("names the aggregates it knows when one is unknown, and points at it", () => {
    expect(parseMeasure("  median(x)")).toMatchObject({
      offset: 2,
      message: "unknown aggregate 'median'",
      hint: expect.stringContaining("count(*), count(col)"),
    });
    expect(parseMeasure("sum(x) + 1")).toMatchObject({ offset: 7, message: expect.stringMatching(/unexpected trailing input/) });
    expect(parseMeasure("sum(*)")).toMatchObject({ offset: 4 });
  });
});
