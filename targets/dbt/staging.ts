// Staging models: one per external table, source-aligned. They only normalise types and keep
// the latest record per key across files; there is no business logic here.
import type { PipelineIR, TableIR } from "../../compiler/ir.js";
import { findTable, META_COLUMNS } from "../../compiler/ir.js";
import { HISTORY_MACRO, STRATEGY } from "./macros.js";
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
 * only rows that arrived after the newest one the table holds, and replaces every id it touches.
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

/** `_arrival_seq` above the table's newest: the rows of files that arrived since the last run. */
const NEWER_THAN_THIS = "_arrival_seq > (select coalesce(max(_arrival_seq), 0) from {{ this }})";

const FILTER_MARKER = "lakec_incremental_filter";
const INCREMENTAL_FILTER = new Map([[FILTER_MARKER, (indent: string) => `${indent}{% if is_incremental() %}\n${indent}where ${NEWER_THAN_THIS}\n${indent}{% endif %}`]]);

/**
 * A main table: a record delivered in several files keeps the version of the latest arrival
 * (docs/language.md, "Arrival order"); within one file the clean stage already kept the first.
 */
function mainModel(ir: PipelineIR, table: TableIR): string {
  const m = new ModelSql();
  const sql = `select ${castList(table)}
from ${m.source(ir.name, table.name)}
where ${FILTER_MARKER}
qualify row_number() over (partition by ${bare(table.idColumn)} order by _arrival_seq desc, _source_line) = 1`;
  return m.render(sql, INCREMENTAL_FILTER);
}

/**
 * A child table: only the rows that came with the parent's winning version (same id, same
 * arrival). Incrementally, every parent that changed gets its rows replaced; one whose new
 * version has no rows gets a placeholder row (NULL marker column) so its old rows are deleted.
 */
function childModel(ir: PipelineIR, table: TableIR, parent: string): string {
  const m = new ModelSql();
  const id = bare(table.idColumn);
  const fromParent = new Set([table.idColumn, "_arrival_seq"]);
  const pick = (n: string): string => `${fromParent.has(n) ? "parent" : "child"}.${bare(n)}`;
  const parentRef = m.ref(stagingModel(ir, parent));
  const childSource = m.source(ir.name, table.name);
  const full = new ModelSql();
  const fullSql = `select ${castList(table, pick)}
from ${full.source(ir.name, table.name)} as child
inner join ${full.ref(stagingModel(ir, parent))} as parent
on parent.${id} = child.${id} and parent._arrival_seq = child._arrival_seq`;
  const incrementalSql = `with lakec_watermark as (select coalesce(max(_arrival_seq), 0) as w from ${m.hold("{{ this }}")}),
parent as (select ${id}, _arrival_seq from ${parentRef} where _arrival_seq > (select w from lakec_watermark)),
child as (select * from ${childSource} where _arrival_seq > (select w from lakec_watermark))
select ${castList(table, pick)}
from parent
left join child
on parent.${id} = child.${id} and parent._arrival_seq = child._arrival_seq`;
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
