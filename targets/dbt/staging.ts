// Staging models: one per external table, source-aligned. They only normalise types and keep
// the latest record per key across files; there is no business logic here.
import type { PipelineIR, TableIR } from "../../compiler/ir.js";
import { findTable, META_COLUMNS } from "../../compiler/ir.js";
import { bare, headerLine, portableType, stagingModel } from "./naming.js";
import { ModelSql } from "./sql-layout.js";

const META_TYPES: Record<(typeof META_COLUMNS)[number], string> = {
  _source_file: "varchar",
  _source_line: "bigint",
  _ingested_at: "timestamp",
};

/** Data columns then meta columns, as `[name, portable type]`: the staging model's output. */
export function stagingColumns(table: TableIR): [string, string][] {
  return [...table.columns.map((c): [string, string] => [c.name, portableType(c.type)]), ...META_COLUMNS.map((m): [string, string] => [m, META_TYPES[m]])];
}

function config(ir: PipelineIR): string {
  return `{{ config(materialized='view', tags=['${bare(ir.name)}']) }}`;
}

function castList(table: TableIR, alias?: string): string {
  const q = alias ? `${alias}.` : "";
  return stagingColumns(table)
    .map(([name, type]) => `cast(${q}${bare(name)} as ${type}) as ${bare(name)}`)
    .join(",\n");
}

/** A main table: re-delivered records appear in several files; the latest file's copy wins. */
function mainModel(ir: PipelineIR, table: TableIR): string {
  const m = new ModelSql();
  const sql = `select ${castList(table)}
from ${m.source(ir.name, table.name)}
qualify row_number() over (partition by ${bare(table.idColumn)} order by _ingested_at desc, _source_file desc, _source_line) = 1`;
  return m.render(sql);
}

/** A child table: only the rows that came with the parent's winning record (same id, same file). */
function childModel(ir: PipelineIR, table: TableIR, parent: string): string {
  const m = new ModelSql();
  const id = bare(table.idColumn);
  const sql = `select ${castList(table, "child")}
from ${m.source(ir.name, table.name)} as child
inner join ${m.ref(stagingModel(ir, parent))} as parent
on parent.${id} = child.${id} and parent._source_file = child._source_file`;
  return m.render(sql);
}

export function stagingModelSql(ir: PipelineIR, table: TableIR): string {
  const header = headerLine(ir, "--");
  const purpose = table.child
    ? `-- ${table.name}: rows of the winning ${table.child.parent} record only, so a re-delivered record is never counted twice.`
    : `-- ${table.name}: the latest record per ${table.idColumn} across files (newest _ingested_at wins).`;
  const parent = table.child ? findTable(ir, table.child.parent).name : undefined;
  const body = parent ? childModel(ir, table, parent) : mainModel(ir, table);
  return `${header}\n${config(ir)}\n${purpose}\n${body}\n`;
}
