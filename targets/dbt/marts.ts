// Mart models: the YAML's grain and measures over the staging models, incremental by merge.
// A full build aggregates everything. An incremental run re-aggregates exactly the groups that
// staging rows merged since the mart's watermark (the newest merge clock, `_merge_seq`, it holds)
// can have changed: the groups those rows are in now, and the groups their previous versions were
// in, found in the staging state as of the watermark (current rows merged by then, plus the
// replaced rows that were still current then). Those groups are deleted and re-inserted by the
// lakec_replace strategy (macros.ts); a group that became empty comes as a placeholder row with a
// NULL `_arrival_seq`, so it is deleted and not re-inserted. This holds for every measure and any
// grain, dated or not, joins included: no date window decides what is re-read. The merge clock,
// not the arrival, is the watermark: a file registered late merges a low arrival after a high one.
// Expressions are printed from the IR's one expression tree for Snowflake and for DuckDB; where
// the two prints differ, the model dispatches on target.type.
import type { Expr } from "../../compiler/expr/ast.js";
import { printExpr } from "../../compiler/expr/print.js";
import { findTable, type MartIR, type Measure, type PipelineIR } from "../../compiler/ir.js";
import { HISTORY_MACRO, MERGE_COLUMN, REPLACED_AT, STRATEGY } from "./macros.js";
import { bare, headerLine, portableType, stagingModel } from "./naming.js";
import { ModelSql } from "./sql-layout.js";
import { jinjaText } from "../text-escape.js";

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
  const arg: Expr | undefined = x.expr ?? (x.arg ? { k: "ref", name: x.arg.column, table: x.arg.table } : undefined);
  const agg: Expr = arg ? { k: "agg", fn: x.fn, arg } : { k: "agg", fn: x.fn };
  // Explicit casts give both engines the contract's types (count(*) is NUMBER(18,0) in Snowflake, sum of BIGINT is HUGEINT in DuckDB).
  return `cast(${portable(m, agg)} as ${portableType(x.type)}) as ${bare(x.name)}`;
}

/** NULL-safe and unambiguous: each part is 'v'||text or 'n', joined by U+001F, so (a, NULL) ≠ (NULL, a). */
function grainKeyExpr(mart: MartIR): string {
  const parts = mart.grain.map((g) => `coalesce('v' || cast(${bare(g.table)}.${bare(g.column)} as varchar), 'n')`);
  return `md5(${parts.join(" || chr(31) || ")})`;
}

const tablesOf = (mart: MartIR): string[] => [mart.from, ...mart.joins.map((j) => j.table)];

/** The newest `column` among a joined row's tables (a left-joined table may be missing: 0). */
function newestOf(mart: MartIR, column: string): string {
  const parts = tablesOf(mart).map((t, i) => (i === 0 ? `${bare(t)}.${column}` : `coalesce(${bare(t)}.${column}, 0)`));
  return parts.length === 1 ? parts[0]! : `greatest(${parts.join(", ")})`;
}

/** `from a left join b on …`, each table read from `relation(table)`, then `extraJoins`. */
function fromClause(mart: MartIR, relation: (table: string) => string, extraJoins: readonly string[] = []): string {
  const lines = [`from ${relation(mart.from)} as ${bare(mart.from)}`];
  for (const j of mart.joins) {
    const on = j.on.map((p) => `${bare(p.left.table)}.${bare(p.left.column)} = ${bare(p.right.table)}.${bare(p.right.column)}`).join(" and ");
    lines.push(`left join ${relation(j.table)} as ${bare(j.table)} on ${on}`);
  }
  return [...lines, ...extraJoins].join("\n");
}

const grainValue = (g: MartIR["grain"][number]): string => `cast(${bare(g.table)}.${bare(g.column)} as ${portableType(g.type)})`;

const groupBy = (mart: MartIR): string => mart.grain.map((g) => `${bare(g.table)}.${bare(g.column)}`).join(", ");

/** The aggregation itself, over `relation(table)` for every table, with extra row conditions. */
function aggregate(m: ModelSql, mart: MartIR, relation: (table: string) => string, extraJoins: readonly string[] = []): string {
  const select = [
    `${grainKeyExpr(mart)} as grain_key`,
    ...mart.grain.map((g) => `${grainValue(g)} as ${bare(g.name)}`),
    ...mart.measures.map((x) => measureSql(m, x)),
    `max(${newestOf(mart, "_arrival_seq")}) as _arrival_seq`,
    `max(${newestOf(mart, MERGE_COLUMN)}) as ${MERGE_COLUMN}`,
  ];
  const where = mart.where ? `\nwhere ${portable(m, mart.where)}` : "";
  return `select ${select.join(",\n")}\n${fromClause(mart, relation, extraJoins)}${where}\ngroup by ${groupBy(mart)}`;
}

const W = "(select w from lakec_watermark)";
const cte = (name: string): string => `lakec_${name}`;

/**
 * A joined row is touched when a row of one of its tables arrived or was replaced after the
 * watermark. For a joined table the test is on the join columns, so a row that joined nothing
 * before and matches a new row now (or the reverse) counts too.
 */
function touchedCondition(mart: MartIR, idOf: (table: string) => string): string {
  const from = `${bare(mart.from)}.${bare(idOf(mart.from))} in (select ${bare(idOf(mart.from))} from ${cte(`touched_${mart.from}`)})`;
  const joins = mart.joins.map((j) => {
    const on = j.on.map((p) => `t.${bare(p.right.column)} = ${bare(p.left.table)}.${bare(p.left.column)}`).join(" and ");
    return `exists (select 1 from ${cte(`touched_${j.table}`)} as t where ${on})`;
  });
  return [from, ...joins].length === 1 ? from : `(${[from, ...joins].join("\nor ")})`;
}

/**
 * The columns of `table` that decide which group a joined row is in: its id, its join columns and
 * its grain columns. Only these are read from the states before and after, so adding a column
 * to a source does not change the mart's SQL.
 */
function keyColumns(ir: PipelineIR, mart: MartIR, table: string): string[] {
  const cols = [findTable(ir, table).idColumn];
  const add = (t: string, c: string): void => {
    if (t === table && !cols.includes(c)) cols.push(c);
  };
  for (const p of mart.joins.flatMap((j) => j.on)) {
    add(p.left.table, p.left.column);
    add(p.right.table, p.right.column);
  }
  for (const g of mart.grain) add(g.table, g.column);
  return cols;
}

/**
 * The columns of `<staging model of table>__replaced` that the generated models read: the id,
 * every mart's key columns for this table (keyColumns) and the merge clock; `_replaced_at` is
 * added by the strategy. Replaced rows are only ever looked up for which groups and parents
 * they belonged to, so copying the other columns was work (every column of the replaced rows,
 * read through a join that narrows no scan) that nothing used.
 */
export function historyColumns(ir: PipelineIR, table: string): string[] {
  const cols = [findTable(ir, table).idColumn];
  for (const mart of ir.marts) {
    if (!tablesOf(mart).includes(table)) continue;
    for (const c of keyColumns(ir, mart, table)) if (!cols.includes(c)) cols.push(c);
  }
  return [...cols, MERGE_COLUMN];
}

const overOneTable = (mart: MartIR): boolean => mart.joins.length === 0;

/**
 * The grain keys of the groups to re-aggregate: those of the touched rows now, and as they were
 * at the watermark. The strategy replaces all of an id's rows at once and stamps them with a new
 * merge clock, so a staging row merged by the watermark has not been replaced since. For a mart
 * over one table that makes "rows whose id was touched" the rows merged after the watermark, and
 * "their versions then" the replaced rows that were current then: two reads the merge clock
 * prunes, where the general form scans the whole staging model twice (0.1 s per mart on a
 * 1M-row model). A join needs the general form: an untouched row of one table can join a
 * touched row of the other.
 */
function affectedKeys(mart: MartIR, current: ReadonlyMap<string, string>, idOf: (table: string) => string, values: string): string {
  const select = `select ${grainKeyExpr(mart)} as grain_key, ${values}`;
  if (overOneTable(mart)) {
    const now = `${select}\n${fromClause(mart, (t) => current.get(t)!)}\nwhere ${bare(mart.from)}.${MERGE_COLUMN} > ${W}`;
    return `${now}\nunion\n${select}\n${fromClause(mart, (t) => cte(`then_${t}`))}`;
  }
  const touched = touchedCondition(mart, idOf);
  const keys = (relation: (t: string) => string): string => `${select}\n${fromClause(mart, relation)}\nwhere ${touched}`;
  return `${keys((t) => current.get(t)!)}\nunion\n${keys((t) => cte(`then_${t}`))}`;
}

function incrementalSql(ir: PipelineIR, mart: MartIR): string {
  const m = new ModelSql();
  const tables = tablesOf(mart);
  const current = new Map(tables.map((t) => [t, m.ref(stagingModel(ir, t))]));
  const replaced = new Map(tables.map((t) => [t, m.hold(`{{ ${HISTORY_MACRO}(ref('${stagingModel(ir, t)}')) }}`)]));
  const idOf = (t: string): string => findTable(ir, t).idColumn;
  const ctes: string[] = [`lakec_watermark as (select coalesce(max(${MERGE_COLUMN}), 0) as w from ${m.hold("{{ this }}")})`];
  for (const t of tables) {
    const cols = keyColumns(ir, mart, t).map(bare).join(", ");
    const replacedThen = `select ${cols} from ${replaced.get(t)} where ${MERGE_COLUMN} <= ${W} and ${REPLACED_AT} > ${W}`;
    if (overOneTable(mart)) {
      ctes.push(`${cte(`then_${t}`)} as (${replacedThen})`);
      continue;
    }
    // The table as it was when the mart last ran: what had been merged by then and was not yet replaced.
    ctes.push(`${cte(`then_${t}`)} as (select ${cols} from ${current.get(t)} where ${MERGE_COLUMN} <= ${W}\nunion all\n${replacedThen})`);
    ctes.push(`${cte(`touched_${t}`)} as (select ${cols} from ${current.get(t)} where ${MERGE_COLUMN} > ${W}\nunion all\nselect ${cols} from ${replaced.get(t)} where ${REPLACED_AT} > ${W})`);
  }
  const values = mart.grain.map((g) => `${grainValue(g)} as ${bare(g.name)}`).join(", ");
  ctes.push(`lakec_affected as (${affectedKeys(mart, current, idOf, values)})`);
  // Joined on the grain values (NULL-safe), not on grain_key: a hash join, with no md5 of every staging row.
  const onAffected = mart.grain.map((g) => `lakec_affected.${bare(g.name)} is not distinct from ${grainValue(g)}`).join(" and ");
  ctes.push(`lakec_groups as (${aggregate(m, mart, (t) => current.get(t)!, [`inner join lakec_affected on ${onAffected}`])})`);
  const nulls = [...mart.grain.map((g) => `cast(null as ${portableType(g.type)}) as ${bare(g.name)}`), ...mart.measures.map((x) => `cast(null as ${portableType(x.type)}) as ${bare(x.name)}`)];
  const placeholders = `select lakec_affected.grain_key, ${nulls.join(", ")}, cast(null as bigint) as _arrival_seq, cast(null as bigint) as ${MERGE_COLUMN}\nfrom lakec_affected\nwhere lakec_affected.grain_key not in (select grain_key from lakec_groups)`;
  const sql = `with ${ctes.join(",\n")}\nselect * from lakec_groups\nunion all\n${placeholders}`;
  return m.render(sql);
}

function config(ir: PipelineIR): string {
  return [
    "{{ config(",
    "    materialized='incremental',",
    "    unique_key='grain_key',",
    `    incremental_strategy='${STRATEGY}',`,
    "    lakec_row_marker='_arrival_seq',",
    "    on_schema_change='fail',",
    `    tags=['${bare(ir.name)}']`,
    ") }}",
  ].join("\n");
}

export function martModelSql(ir: PipelineIR, mart: MartIR): string {
  const full = new ModelSql();
  const fullSql = full.render(aggregate(full, mart, (t) => full.ref(stagingModel(ir, t))));
  const why = "-- Incremental by merge: re-aggregates the groups that staging rows merged since the last run touch, now and before (see docs/warehouse.md).";
  return `${headerLine(ir, "--")}\n${config(ir)}\n${why}\n{% if is_incremental() %}\n${incrementalSql(ir, mart)}\n{% else %}\n${fullSql}\n{% endif %}\n`;
}
