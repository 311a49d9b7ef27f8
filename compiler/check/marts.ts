// Mart rules: from and join name connected output tables, grain and measures resolve to
// columns of fitting types, and output column names do not collide.
import { didYouMean } from "../diagnostics.js";
import type { DocPath } from "../diagnostics.js";
import type { MartDoc } from "../doc.js";
import { typeToString } from "../ir.js";
import { isParseError, parseMeasure } from "../expr/parse.js";
import { isNumeric, isScalar } from "../types-parse.js";
import { aType, q, type CheckContext } from "./context.js";
import { canJoin, isResolveError, resolveColumn, type MartScope, type Resolved } from "./mart-scope.js";
import { checkDuplicates } from "./sources.js";
import type { TableInfo } from "./tables.js";
import { checkWhere, martResolver } from "./where.js";
import { typeExpr } from "../expr/typecheck.js";
import type { ParsedMeasure } from "../expr/parse.js";

export function checkMarts(ctx: CheckContext, tables: readonly TableInfo[]): void {
  const byName = new Map(tables.map((t) => [t.name, t]));
  for (const [name, mart] of Object.entries(ctx.doc.marts ?? {})) {
    const scope = martScope(ctx, name, mart, byName);
    const grainNames = checkGrain(ctx, name, mart, scope);
    checkMeasures(ctx, name, mart, scope, grainNames);
    if (typeof mart.where === "string") checkWhere(ctx, ["marts", name, "where"], mart.where, scope, name);
  }
}

/** The mart's tables in join order, or undefined when `from` does not resolve. */
function martScope(ctx: CheckContext, name: string, mart: MartDoc, byName: ReadonlyMap<string, TableInfo>): MartScope | undefined {
  const from = byName.get(mart.from);
  if (!from) {
    const isMart = Object.hasOwn(ctx.doc.marts ?? {}, mart.from);
    const hint = isMart
      ? "a mart reads sources' main and child tables, not other marts"
      : (didYouMean(mart.from, byName.keys()) ?? `tables are: ${[...byName.keys()].join(", ")}`);
    ctx.error("LK211", ["marts", name, "from"], `mart ${q(name)} reads from unknown table ${q(mart.from)}`, hint);
    return undefined;
  }
  const scope = [from];
  const failed = new Set<string>();
  const joins = mart.join ?? [];
  checkDuplicates(ctx, ["marts", name, "join"], joins, `the joins of mart ${q(name)}`);
  joins.forEach((j, i) => {
    const at: DocPath = ["marts", name, "join", i];
    if (j === mart.from) {
      ctx.error("LK223", at, `mart ${q(name)} joins its own from table ${q(j)}`, "remove it from join:");
      return;
    }
    const t = byName.get(j);
    if (!t || scope.includes(t)) failed.add(j);
    if (!t) {
      ctx.error(
        "LK212",
        at,
        `mart ${q(name)} joins unknown table ${q(j)}`,
        didYouMean(j, byName.keys()) ?? `tables are: ${[...byName.keys()].join(", ")}`,
      );
      return;
    }
    if (scope.includes(t)) return;
    if (!canJoin(ctx.doc, scope, t)) {
      failed.add(j);
      ctx.error(
        "LK213",
        at,
        `table ${q(j)} is not linked to ${scope.map((s) => q(s.name)).join(", ")}`,
        `declare references: ${t.source} on a column of a joined table, or first join a table that ${q(j)} is the parent or child of`,
      );
      return;
    }
    scope.push(t);
  });
  const failedTables = [...failed].flatMap((f) => {
    const t = byName.get(f);
    return t && !scope.includes(t) ? [t] : [];
  });
  return { tables: scope, failed, failedTables };
}

/** Checks the grain; returns the output names of the grain columns. */
function checkGrain(ctx: CheckContext, name: string, mart: MartDoc, scope: MartScope | undefined): Set<string> {
  const at: DocPath = ["marts", name, "grain"];
  const grain = mart.grain ?? [];
  checkDuplicates(ctx, at, grain, `the grain of mart ${q(name)}`);
  const out = new Map<string, Resolved>();
  grain.forEach((g, i) => {
    const dot = g.indexOf(".");
    const [table, column] = dot >= 0 ? [g.slice(0, dot), g.slice(dot + 1)] : [undefined, g];
    if (!scope) return;
    const r = resolveColumn(scope, table, column, `the grain of mart ${q(name)}`);
    if (isResolveError(r)) return ctx.error(r.code, [...at, i], r.message, r.hint);
    if (!r) return;
    const t = r.column.type;
    if (t && !isScalar(t))
      ctx.error(
        "LK410",
        [...at, i],
        `grain column ${q(g)} is ${aType(t)}; a mart cannot group by JSON`,
        "flatten the column and group by its parts",
      );
    const prev = out.get(column);
    if (prev && prev.table !== r.table) {
      ctx.error(
        "LK208",
        [...at, i],
        `grain columns ${prev.table.name}.${column} and ${g} both become column ${q(column)} of mart ${q(name)}`,
        "a mart's columns are unique; keep one of them",
      );
    }
    out.set(column, r);
  });
  // Marts are incremental by arrival, not by a date window (docs/warehouse.md), so a lookback
  // window has nothing left to do; old pipelines that set it still compile.
  if (mart.lookback_days !== undefined) {
    ctx.warn(
      "LK490",
      ["marts", name, "lookback_days"],
      `lookback_days is obsolete and ignored: mart ${q(name)} re-aggregates exactly the groups that newly arrived records touch, whatever their dates`,
      "remove lookback_days",
      { key: true },
    );
  }
  return new Set(out.keys());
}

function checkMeasures(ctx: CheckContext, name: string, mart: MartDoc, scope: MartScope | undefined, grainNames: Set<string>): void {
  for (const [mName, text] of Object.entries(mart.measures ?? {})) {
    const at: DocPath = ["marts", name, "measures", mName];
    if (grainNames.has(mName)) {
      ctx.error(
        "LK404",
        at,
        `measure ${q(mName)} has the name of a grain column of mart ${q(name)}`,
        `rename the measure, e.g. ${mName}_total`,
        { key: true },
      );
    }
    if (typeof text !== "string") continue;
    const m = parseMeasure(text);
    if (isParseError(m)) {
      ctx.errorInScalar(
        "LK405",
        at,
        text,
        m.offset,
        1,
        `measure ${q(text)} does not parse: ${m.message}`,
        m.hint ?? "measures are count(*), count(col), count_distinct(col), count_if(col), sum(col), avg(col), min(col), max(col)",
      );
      continue;
    }
    if (!scope) continue;
    if (!m.arg && m.argExpr) {
      checkMeasureExpr(ctx, at, text, m, scope);
      continue;
    }
    if (!m.arg) continue;
    const arg = m.arg;
    const r = resolveColumn(scope, arg.table, arg.column, `measure ${text}`);
    if (isResolveError(r)) {
      ctx.errorInScalar(r.code, at, text, arg.offset, arg.length, r.message, r.hint);
      continue;
    }
    if (!r) continue;
    const t = r.column.type;
    if (!t) continue;
    const fail = (code: "LK401" | "LK402" | "LK403", why: string, hint: string): void =>
      ctx.errorInScalar(code, at, text, arg.offset, arg.length, `${m.fn}(${arg.column}) ${why}`, hint);
    if (!isScalar(t))
      fail(
        "LK403",
        `aggregates ${typeToString(t)} column ${q(arg.column)}, which holds JSON text`,
        "flatten the column and aggregate its parts",
      );
    else if ((m.fn === "sum" || m.fn === "avg") && !isNumeric(t))
      fail(
        "LK401",
        `needs a number, but ${q(arg.column)} is ${aType(t)}`,
        m.fn === "sum" ? "use count(col) to count values" : "use min(col) or max(col), or count the values",
      );
    else if (m.fn === "count_if" && t.kind !== "boolean")
      fail(
        "LK402",
        `needs a boolean, but ${q(arg.column)} is ${aType(t)}`,
        "count_if counts the rows where a boolean column is true; use count(col) to count non-null values",
      );
  }
}

/** An aggregate over an expression, e.g. `sum(case when stars >= 4 then 1 else 0 end)`. */
function checkMeasureExpr(ctx: CheckContext, at: DocPath, text: string, m: ParsedMeasure, scope: MartScope): void {
  const r = typeExpr(m.argExpr!, {
    text,
    spans: m.spans,
    context: `measure ${q(text)}`,
    conditionCode: "LK333",
    resolve: martResolver(scope, `measure ${text}`),
  });
  for (const i of r.issues) ctx.errorInScalar(i.code, at, text, i.offset, i.length, i.message, i.hint);
  const t = r.type;
  if (r.issues.length > 0 || !t || t.kind === "null") return;
  const span = m.spans.get(m.argExpr!) ?? { offset: 0, length: text.length };
  const arg = text.slice(span.offset, span.offset + span.length);
  const fail = (code: "LK401" | "LK402", why: string, hint: string): void =>
    ctx.errorInScalar(code, at, text, span.offset, span.length, `${m.fn}(${arg}) ${why}`, hint);
  if ((m.fn === "sum" || m.fn === "avg") && !isNumeric(t))
    fail(
      "LK401",
      `needs a number, but the expression is ${aType(t)}`,
      "sum or average a numeric expression, e.g. case when stars >= 4 then 1 else 0 end",
    );
  else if (m.fn === "count_if" && t.kind !== "boolean")
    fail(
      "LK402",
      `needs a condition, but the expression is ${aType(t)}`,
      "count_if counts the rows where a condition is true, e.g. count_if(stars >= 4)",
    );
}
