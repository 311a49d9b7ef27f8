// Staging models: one per external table, source-aligned. They only normalise types and keep
// the latest record per key across files; there is no business logic here.
import type { PipelineIR, TableIR } from "../../compiler/ir.js";
import { findTable, META_COLUMNS } from "../../compiler/ir.js";
import { HISTORY_MACRO, MERGE_CLOCK, MERGE_COLUMN, REPLACED_AT, STRATEGY } from "./macros.js";
import { historyColumns } from "./marts.js";
import { bare, headerLine, portableType, stagingModel } from "./naming.js";
import { ModelSql } from "./sql-layout.js";

const META_TYPES: Record<(typeof META_COLUMNS)[number], string> = {
  _source_file: "varchar",
  _source_line: "bigint",
  _ingested_at: "timestamp",
  _arrival_seq: "bigint",
};

/** Data columns then meta columns, as `[name, portable type]`: the staging model's output. */
export function stagingColumns(table: TableIR): [string, string][] {
  return [...table.columns.map((c): [string, string] => [c.name, portableType(c.type)]), ...META_COLUMNS.map((m): [string, string] => [m, META_TYPES[m]])];
}

/**
 * Incremental on the record id with the project's lakec_replace strategy (macros.ts): a run reads
 * only the rows of file versions the table has not merged yet, and replaces every id whose
 * current version changes.
 * A full refresh also drops the history of replaced rows, which then describes a table gone.
 */
function config(ir: PipelineIR, table: TableIR, marker: string): string {
  return [
    "{{ config(",
    "    materialized='incremental',",
    `    unique_key='${bare(table.idColumn)}',`,
    `    incremental_strategy='${STRATEGY}',`,
    `    lakec_row_marker='${bare(marker)}',`,
    "    lakec_history=true,",
    `    lakec_history_columns=[${historyColumns(ir, table.name).map((c) => `'${bare(c)}'`).join(", ")}],`,
    "    on_schema_change='fail',",
    `    pre_hook="{% if flags.FULL_REFRESH %}drop table if exists {{ ${HISTORY_MACRO}(this) }}{% endif %}",`,
    `    tags=['${bare(ir.name)}']`,
    ") }}",
  ].join("\n");
}

function castList(table: TableIR, pick: (name: string) => string = (n) => bare(n)): string {
  return stagingColumns(table)
    .map(([name, type]) => `cast(${pick(name)} as ${type}) as ${bare(name)}`)
    .join(",\n");
}

/** The merge clock column, held as Jinja so the formatter never sees the target switch. */
const merged = (m: ModelSql): string => `${m.hold(MERGE_CLOCK)} as ${MERGE_COLUMN}`;

/** The same raw file version: (_source_file, _arrival_seq, _ingested_at), the ledger's key. */
const sameVersion = (a: string, b: string): string => ["_source_file", "_arrival_seq", "_ingested_at"].map((c) => `${a}.${c} = ${b}.${c}`).join(" and ");

/**
 * A main table: a record delivered in several files keeps the version of the latest arrival
 * (docs/language.md, "Arrival order"); within one file the clean stage already kept the first.
 *
 * Incrementally, what was merged is a ledger, not a watermark: the file versions (file, arrival,
 * `_ingested_at`) of the rows the table holds. A run takes exactly the source rows of versions
 * not in it, so a file that became visible late (Snowflake registers files asynchronously: a
 * lower arrival can appear after a higher one was merged) is merged when it appears, and a
 * reprocessed file (same arrival, a new `_ingested_at`) replaces its earlier version. For every
 * id those rows touch, and every id whose current row came from a file that now has another
 * version, the winner is chosen again among the source rows and the current row; only ids
 * whose winner changed are in the batch, and an id with no version left is a placeholder row
 * (NULL `_arrival_seq`), which the strategy deletes. A file none of whose rows ever won is read
 * again by later runs; it loses again, so the result is the same.
 */
function mainModel(ir: PipelineIR, table: TableIR): string {
  const full = new ModelSql();
  const fullSql = `select ${castList(table)},
${merged(full)}
from ${full.source(ir.name, table.name)}
qualify row_number() over (partition by ${bare(table.idColumn)} order by _arrival_seq desc, _source_line) = 1`;
  const m = new ModelSql();
  const id = bare(table.idColumn);
  const src = m.source(ir.name, table.name);
  const self = m.hold("{{ this }}");
  const nulls = stagingColumns(table).map(([name, type]) => (name === table.idColumn ? `lakec_touched.${id}` : `cast(null as ${type}) as ${bare(name)}`));
  // The current rows compete by their ranking and version columns only: a current row that wins
  // is not replaced, so its other columns are never needed, and reading them for every row of
  // the model (no join narrows a scan) cost seconds on a 1M-row table. Only the ids of new rows
  // need theirs (an id touched only because its file was redone has a current row that does not
  // compete), and an inner join on them, not `in (…)`, lets DuckDB hash the few new ids, not the model.
  const rank = ["_source_file", "_arrival_seq", "_ingested_at", "_source_line"];
  const incrementalSql = `with lakec_ledger as (select distinct _source_file, _arrival_seq, _ingested_at from ${self}),
lakec_new as (select ${id}, _source_file, _arrival_seq from ${src} as s where not exists (select 1 from lakec_ledger as l where ${sameVersion("l", "s")})),
lakec_redone as (select distinct _source_file, _arrival_seq from lakec_new),
lakec_touched as (select ${id} from lakec_new
union
select cur.${id} from ${self} as cur inner join lakec_redone as r on cur._source_file = r._source_file and cur._arrival_seq = r._arrival_seq),
lakec_current as (select cur.${id}, ${rank.map((c) => `cur.${c}`).join(", ")} from ${self} as cur inner join (select distinct ${id} from lakec_new) as n on n.${id} = cur.${id}),
lakec_source as (select ${castList(table)} from ${src} where ${id} in (select ${id} from lakec_touched)),
lakec_winners as (select ${id}, ${rank.join(", ")}, lakec_is_current from (select ${id}, ${rank.join(", ")}, false as lakec_is_current from lakec_source
union all
select ${id}, ${rank.join(", ")}, true as lakec_is_current from lakec_current as cur
where not exists (select 1 from lakec_redone as r where r._source_file = cur._source_file and r._arrival_seq = cur._arrival_seq))
-- On a tie (the current row read again from its file) the current row wins: it is not replaced.
qualify row_number() over (partition by ${id} order by _arrival_seq desc, _source_line, lakec_is_current desc) = 1)
select s.*, ${merged(m)}
from lakec_source as s
inner join lakec_winners as w on w.${id} = s.${id} and ${sameVersion("w", "s")} and not w.lakec_is_current
union all
select ${nulls.join(", ")}, ${merged(m)}
from lakec_touched
where lakec_touched.${id} not in (select ${id} from lakec_winners)`;
  return `{% if is_incremental() %}\n${m.render(incrementalSql)}\n{% else %}\n${full.render(fullSql)}\n{% endif %}`;
}

/**
 * A child table: only the rows that came with the parent's winning version (same id, same
 * arrival). Incrementally, every parent the parent model merged after this model's newest row
 * (the merge clock, not the arrival: a late file merges a low arrival) gets its rows replaced;
 * one whose new version has no rows, or that has no version left, gets a placeholder row (NULL
 * marker column) so its old rows are deleted.
 */
function childModel(ir: PipelineIR, table: TableIR, parent: string): string {
  const m = new ModelSql();
  const id = bare(table.idColumn);
  const fromParent = new Set([table.idColumn, "_arrival_seq"]);
  const pick = (n: string): string => `${fromParent.has(n) ? "parent" : "child"}.${bare(n)}`;
  const parentRef = m.ref(stagingModel(ir, parent));
  const parentHistory = m.hold(`{{ ${HISTORY_MACRO}(ref('${stagingModel(ir, parent)}')) }}`);
  const childSource = m.source(ir.name, table.name);
  const full = new ModelSql();
  const fullSql = `select ${castList(table, pick)},
${merged(full)}
from ${full.source(ir.name, table.name)} as child
inner join ${full.ref(stagingModel(ir, parent))} as parent
on parent.${id} = child.${id} and parent._arrival_seq = child._arrival_seq`;
  const nulls = stagingColumns(table).map(([name, type]) => (name === table.idColumn ? `lakec_gone.${id}` : `cast(null as ${type}) as ${bare(name)}`));
  // lakec_gone: not exists, not `not in`: DuckDB hashed the whole parent model for `not in` (0.2 s
  // on a 1M-record lake, with no replaced row at all) and probes it from the few replaced ids with
  // not exists (0.01 s). The id is never NULL (not_null test), so both mean the same.
  const incrementalSql = `with lakec_watermark as (select coalesce(max(${MERGE_COLUMN}), 0) as w from ${m.hold("{{ this }}")}),
parent as (select ${id}, _arrival_seq from ${parentRef} where ${MERGE_COLUMN} > (select w from lakec_watermark)),
lakec_gone as (select distinct replaced.${id} from ${parentHistory} as replaced where replaced.${REPLACED_AT} > (select w from lakec_watermark) and not exists (select 1 from ${parentRef} as kept where kept.${id} = replaced.${id})),
child as (select * from ${childSource} where ${id} in (select ${id} from parent))
select ${castList(table, pick)}, ${merged(m)}
from parent
left join child
on parent.${id} = child.${id} and parent._arrival_seq = child._arrival_seq
union all
select ${nulls.join(", ")}, ${merged(m)}
from lakec_gone`;
  return `{% if is_incremental() %}\n${m.render(incrementalSql)}\n{% else %}\n${full.render(fullSql)}\n{% endif %}`;
}

export function stagingModelSql(ir: PipelineIR, table: TableIR): string {
  const header = headerLine(ir, "--");
  const purpose = table.child
    ? `-- ${table.name}: rows of the winning ${table.child.parent} version only, so a re-delivered record is never counted twice.`
    : `-- ${table.name}: the latest version per ${table.idColumn}: the one of the latest arrival (_arrival_seq).`;
  const parent = table.child ? findTable(ir, table.child.parent).name : undefined;
  const marker = childMarker(table);
  const body = parent ? childModel(ir, table, parent) : mainModel(ir, table);
  return `${header}\n${config(ir, table, marker)}\n${purpose}\n${body}\n`;
}

/** A column that is never NULL in a real row: NULL marks a placeholder (see macros.ts). */
function childMarker(table: TableIR): string {
  const x = table.child?.expansion;
  if (!x) return "_arrival_seq";
  return x.mode === "entries" ? x.keyColumn : x.indexColumn;
}
