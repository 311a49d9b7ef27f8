// Mart models: the YAML's grain and measures over the staging models, merged incrementally on a
// surrogate grain key. Expressions are printed from the IR's one expression tree for Snowflake
// and for DuckDB; where the two prints differ, the model dispatches on target.type.
import type { Expr } from "../../compiler/expr/ast.js";
import { printExpr } from "../../compiler/expr/print.js";
import type { MartIR, Measure, PipelineIR } from "../../compiler/ir.js";
import { bare, headerLine, portableType, stagingModel } from "./naming.js";
import { ModelSql } from "./sql-layout.js";
import { jinjaText } from "../text-escape.js";

const WINDOW_MARKER = "lakec_incremental_window";

/** One SQL text for both engines when possible; otherwise a Jinja switch on the adapter. */
function portable(m: ModelSql, e: Expr): string {
  const opts = { tableAlias: bare, columnName: bare };
  // Literals in the expression are user text: Jinja must print them, not evaluate them.
  const sf = jinjaText(printExpr(e, "snowflake", opts));
  const duck = jinjaText(printExpr(e, "duckdb", opts));
  if (sf.toLowerCase() === duck.toLowerCase()) return duck;
  return m.hold(`{% if target.type == 'snowflake' %}${sf}{% else %}${duck}{% endif %}`);
}

function measureSql(m: ModelSql, x: Measure): string {
  const arg: Expr | undefined = x.arg ? { k: "ref", name: x.arg.column, table: x.arg.table } : undefined;
  const agg: Expr = arg ? { k: "agg", fn: x.fn, arg } : { k: "agg", fn: x.fn };
  // Explicit casts give both engines the contract's types (count(*) is NUMBER(18,0) in Snowflake, sum of BIGINT is HUGEINT in DuckDB).
  return `cast(${portable(m, agg)} as ${portableType(x.type)}) as ${bare(x.name)}`;
}

/** NULL-safe and unambiguous: each part is 'v'||text or 'n', joined by U+001F, so (a, NULL) ≠ (NULL, a). */
function grainKey(mart: MartIR): string {
  const parts = mart.grain.map((g) => `coalesce('v' || cast(${bare(g.table)}.${bare(g.column)} as varchar), 'n')`);
  return `md5(${parts.join(" || chr(31) || ")}) as grain_key`;
}

function fromClause(ir: PipelineIR, m: ModelSql, mart: MartIR): string {
  const lines = [`from ${m.ref(stagingModel(ir, mart.from))} as ${bare(mart.from)}`];
  for (const j of mart.joins) {
    const on = j.on.map((p) => `${bare(p.left.table)}.${bare(p.left.column)} = ${bare(p.right.table)}.${bare(p.right.column)}`).join(" and ");
    lines.push(`left join ${m.ref(stagingModel(ir, j.table))} as ${bare(j.table)} on ${on}`);
  }
  return lines.join("\n");
}

/** Re-aggregates only grain rows in the lookback window (and the NULL-date group, which has no window). */
function windowBlock(mart: MartIR, column: string): (indent: string, lead: string) => string {
  const g = mart.grain.find((x) => x.name === column);
  if (!g) throw new Error(`IR invariant: incremental column '${column}' of mart '${mart.name}' is not in its grain`);
  const col = `${bare(g.table)}.${bare(g.column)}`;
  const cond = `(${col} >= (select max(${bare(g.name)}) from {{ this }}) - interval '${mart.lookbackDays} days' or ${col} is null)`;
  return (indent, lead) => {
    const word = lead.trim() === "" ? "where" : lead.trim();
    return `${indent}{% if is_incremental() %}\n${indent}${word} ${cond}\n${indent}{% endif %}`;
  };
}

function config(ir: PipelineIR, mart: MartIR): string {
  const tag = `tags=['${bare(ir.name)}']`;
  if (!mart.incrementalColumn) return `{{ config(materialized='table', ${tag}) }}`;
  return [
    "{{ config(",
    "    materialized='incremental',",
    "    unique_key='grain_key',",
    "    incremental_strategy=('merge' if target.type == 'snowflake' else 'delete+insert'),",
    "    on_schema_change='fail',",
    `    ${tag}`,
    ") }}",
  ].join("\n");
}

export function martModelSql(ir: PipelineIR, mart: MartIR): string {
  const m = new ModelSql();
  const select = [grainKey(mart), ...mart.grain.map((g) => `cast(${bare(g.table)}.${bare(g.column)} as ${portableType(g.type)}) as ${bare(g.name)}`), ...mart.measures.map((x) => measureSql(m, x))];
  const filters = mart.where ? [portable(m, mart.where)] : [];
  if (mart.incrementalColumn) filters.push(WINDOW_MARKER);
  const where = filters.length ? `\nwhere ${filters.join("\nand ")}` : "";
  const groupBy = mart.grain.map((g) => `${bare(g.table)}.${bare(g.column)}`).join(", ");
  const sql = `select ${select.join(",\n")}\n${fromClause(ir, m, mart)}${where}\ngroup by ${groupBy}`;
  const lines = new Map<string, (indent: string, lead: string) => string>();
  if (mart.incrementalColumn) lines.set(WINDOW_MARKER, windowBlock(mart, mart.incrementalColumn));
  const why = mart.incrementalColumn
    ? `-- Incremental: merged on grain_key; re-aggregates the last ${mart.lookbackDays} days of ${mart.incrementalColumn} to catch late files.`
    : "-- No date column in the grain bounds a window, so the mart is rebuilt in full on every run.";
  return `${headerLine(ir, "--")}\n${config(ir, mart)}\n${why}\n${m.render(sql, lines)}\n`;
}
