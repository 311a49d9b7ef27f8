// Names and types shared by the dbt models, their YAML and the DuckDB renderer: one place, so
// a ref() in a model, the model's file name and the local engine's table name cannot drift.
import type { OutputColumn, PipelineIR, ScalarType } from "../../compiler/ir.js";
import { quoteIdent } from "../../compiler/expr/print.js";
import { generatedBy, sqlComment } from "../text-escape.js";
import { yamlComment } from "../yaml-text.js";

/** dbt convention `stg_<source>__<entity>`; the pipeline is the source, so names are unique project-wide. */
export function stagingModel(ir: PipelineIR, table: string): string {
  return `stg_${ir.name}__${table}`;
}

export function stagingDir(ir: PipelineIR): string {
  return `dbt/models/staging/${ir.name}`;
}

export function martsDir(ir: PipelineIR): string {
  return `dbt/models/marts/${ir.name}`;
}

/** Names are validated by the compiler; a bare name keeps models portable (Snowflake upper-cases it). */
export function bare(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`IR invariant: '${name}' is not a validated lower-case name`);
  return name;
}

/** Type names that mean the same in Snowflake and DuckDB. */
export function portableType(t: ScalarType | OutputColumn["type"]): string {
  switch (t.kind) {
    case "string":
    case "json":
      return "varchar";
    case "integer":
      return "bigint";
    case "decimal":
      return `decimal(${t.precision},${t.scale})`;
    default:
      return t.kind;
  }
}

/**
 * How Snowflake spells the database/schema the DDL created: quoted, upper-cased, `"` doubled.
 * dbt quotes source names verbatim (quoting: true), so the doubled quote keeps it one identifier.
 */
export function snowflakeName(name: string): string {
  return name.toUpperCase().replace(/"/g, '""');
}

/** The relation the local engine exposes each external table as (a view over the Parquet). */
export function duckdbSourceRelation(ir: PipelineIR, table: string): string {
  return `${quoteIdent("duckdb", duckdbSourceSchema(ir))}.${quoteIdent("duckdb", table.toUpperCase())}`;
}

/** DuckDB schema of the external-table views: the Snowflake schema name, upper-cased like the DDL's. */
export function duckdbSourceSchema(ir: PipelineIR): string {
  return ir.snowflake.schema.toUpperCase();
}

export { jinjaSafe, jinjaString } from "../text-escape.js";

/** The one-line header of every generated file, in the file's comment syntax. */
export function headerLine(ir: PipelineIR, comment: "--" | "#"): string {
  return comment === "--" ? sqlComment(generatedBy(ir.sourceFile)) : yamlComment(generatedBy(ir.sourceFile));
}
