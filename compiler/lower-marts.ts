// Lowers marts: resolves joins along references and parent/child links, resolves grain and
// measure columns to table-qualified refs, and types every measure.
import type { MartDoc } from "./doc.js";
import { refsOf, type Expr } from "./expr/ast.js";
import { isParseError, parseMeasure, parseWhere, type Spans } from "./expr/parse.js";
import { typeCondition, typeExpr, type TypeEnv } from "./expr/typecheck.js";
import type { ColumnRef, MartIR, MartJoin, Measure, OutputColumn, ScalarType, TableIR } from "./ir.js";
import { joinCondition } from "./table-shapes.js";

type Resolved = ColumnRef & { col: OutputColumn };

function resolver(tables: readonly TableIR[]) {
  return (table: string | undefined, column: string): Resolved => {
    for (const t of tables) {
      if (table !== undefined && t.name !== table) continue;
      const col = t.columns.find((c) => c.name === column);
      if (col) return { table: t.name, column, col };
    }
    throw new Error(`lower: mart column '${table ? `${table}.` : ""}${column}' does not resolve (the checker should have rejected it)`);
  };
}

function measureType(fn: Measure["fn"], t: ScalarType | undefined): ScalarType {
  switch (fn) {
    case "count_star":
    case "count":
    case "count_distinct":
    case "count_if":
      return { kind: "integer" };
    case "avg":
      return { kind: "double" };
    case "sum":
      if (t?.kind === "decimal") return { kind: "decimal", precision: 38, scale: t.scale };
      return t ?? { kind: "integer" };
    default:
      if (!t) throw new Error(`lower: ${fn} needs a typed argument`);
      return t;
  }
}

function scalarOf(c: OutputColumn): ScalarType {
  if (c.type.kind === "json") throw new Error(`lower: column '${c.name}' holds JSON and cannot be aggregated or grouped`);
  return c.type;
}

/** The typed, table-qualified form of an expression the checker accepted. */
function typed(
  kind: "condition" | "value",
  e: Expr,
  text: string,
  spans: Spans,
  resolve: (t: string | undefined, c: string) => Resolved,
  what: string,
): { expr: Expr; type?: ScalarType } {
  const env: TypeEnv = {
    text,
    spans,
    context: what,
    conditionCode: "LK333",
    resolve: (table, column) => {
      const r = resolve(table, column);
      return { type: r.col.type.kind === "json" ? { kind: "object" } : r.col.type, expr: { k: "ref", name: r.column, table: r.table } };
    },
  };
  const r = (kind === "condition" ? typeCondition : typeExpr)(e, env);
  if (r.issues.length > 0) throw new Error(`lower: ${what} does not type (the checker should have rejected it): ${r.issues[0]!.message}`);
  return { expr: r.expr, ...(r.type && r.type.kind !== "null" && { type: r.type }) };
}

export function lowerMart(name: string, m: MartDoc, tables: readonly TableIR[]): MartIR {
  const byName = (n: string): TableIR => {
    const t = tables.find((x) => x.name === n);
    if (!t) throw new Error(`lower: mart '${name}' uses unknown table '${n}'`);
    return t;
  };
  const included = [byName(m.from)];
  const joins: MartJoin[] = [];
  for (const j of m.join ?? []) {
    const next = byName(j);
    const cond = joinCondition(included, next);
    if (!cond) throw new Error(`lower: mart '${name}' cannot join '${j}'`);
    joins.push(cond);
    included.push(next);
  }
  const resolve = resolver(included);
  const grain = m.grain.map((g) => {
    const [t, c] = g.includes(".") ? g.split(".") : [undefined, g];
    const r = resolve(t, c!);
    return { table: r.table, column: r.column, name: r.column, type: scalarOf(r.col), col: r.col };
  });
  const measures: (Measure & { col?: OutputColumn })[] = Object.entries(m.measures).map(([mName, text]) => {
    const pm = parseMeasure(text);
    if (isParseError(pm)) throw new Error(`lower: measure '${mName}' does not parse: ${pm.message}`);
    const r = pm.arg ? resolve(pm.arg.table, pm.arg.column) : undefined;
    const x = !pm.arg && pm.argExpr ? typed("value", pm.argExpr, text, pm.spans, resolve, `measure '${mName}'`) : undefined;
    return {
      name: mName,
      fn: pm.fn,
      ...(r && { arg: { table: r.table, column: r.column } }),
      ...(x && { expr: x.expr }),
      type: measureType(pm.fn, r ? scalarOf(r.col) : x?.type),
      text,
      ...(r && { col: r.col }),
    };
  });
  let where: Expr | undefined;
  if (m.where !== undefined) {
    const pw = parseWhere(m.where);
    if (isParseError(pw)) throw new Error(`lower: where of mart '${name}' does not parse: ${pw.message}`);
    where = typed("condition", pw.expr, m.where, pw.spans, resolve, `where of mart '${name}'`).expr;
  }
  const source = included[0]!.source;
  const columns: OutputColumn[] = [
    // Joins are left joins: a column from a joined table is NULL when no row matched.
    ...grain.map((g) => ({
      name: g.name,
      type: g.type,
      nullable: g.col.nullable || g.table !== m.from,
      ...(g.col.description !== undefined && { description: g.col.description }),
      lineage: g.col.lineage,
    })),
    ...measures.map((ms) => ({
      name: ms.name,
      type: ms.type,
      nullable: !ms.fn.startsWith("count"),
      description: `${ms.text}`,
      lineage: ms.col ? ms.col.lineage : ms.expr ? exprLineage(ms.expr, source, resolve) : { source, paths: [] },
    })),
  ];
  return {
    name,
    ...(m.description !== undefined && { description: m.description }),
    from: m.from,
    joins,
    grain: grain.map(({ table, column, name: n, type }) => ({ table, column, name: n, type })),
    measures: measures.map(({ col: _col, ...ms }) => ms),
    ...(where && { where, whereText: m.where }),
    columns,
  };
}

/** The raw paths an expression's columns come from. */
function exprLineage(e: Expr, source: string, resolve: (t: string | undefined, c: string) => Resolved): OutputColumn["lineage"] {
  return { source, paths: refsOf(e).flatMap((r) => resolve(r.table, r.name).col.lineage.paths) };
}
