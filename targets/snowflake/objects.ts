// The Snowflake objects a pipeline needs, as data. The DDL printer renders them, and plan/apply
// diffs them against SHOW/DESC output, so both read the same desired state.
import type { OutputColumn, PipelineIR, ScalarType, TableIR } from "../../compiler/ir.js";
import { META_COLUMNS } from "../../compiler/ir.js";
import { sqlType } from "../../compiler/expr/print.js";
import { physicalNames } from "../cloudformation/names.js";
import { PACKED_INPUT_PATTERN } from "../glue/layout.js";

/** SnowSQL variable holding the AWS account id; `lakec apply` substitutes it itself. */
export const AWS_ACCOUNT_ID_VARIABLE = "aws_account_id";

export interface VirtualColumn {
  /** Column name as in the Parquet file (lower case); Snowflake sees it upper-cased. */
  readonly name: string;
  readonly type: string;
  /** The column's defining expression, over VALUE or METADATA$FILENAME. */
  readonly expr: string;
  readonly partition: boolean;
}

export interface StageSpec {
  readonly name: string;
  /** One stage per table prefix: the integration allows only table prefixes, never `_lakec/`. */
  readonly url: string;
}

export interface ExternalTableSpec {
  readonly name: string;
  readonly stage: string;
  readonly columns: readonly VirtualColumn[];
  readonly partitionBy: readonly string[];
  readonly pattern: string;
  readonly comment?: string;
}

export interface SnowflakeObjects {
  readonly database: string;
  readonly schema: string;
  readonly integration: {
    readonly name: string;
    /** Contains `&{aws_account_id}`: the role is created by the CloudFormation stack. */
    readonly roleArn: string;
    readonly allowedLocations: readonly string[];
  };
  readonly fileFormat: string;
  readonly stages: readonly StageSpec[];
  readonly externalTables: readonly ExternalTableSpec[];
  readonly readRole?: string;
}

/** Name of the IAM role the CloudFormation target creates for the storage integration: one source of truth. */
export function integrationRoleName(ir: PipelineIR): string {
  return physicalNames(ir).snowflakeRole;
}

export function tablePrefixUrl(ir: PipelineIR, table: string): string {
  return `s3://${ir.aws.processedBucket}/${table}/`;
}

export function stageName(ir: PipelineIR, table: string): string {
  return `${ir.snowflake.stage}_${table.toUpperCase()}`;
}

const META_TYPES: Record<(typeof META_COLUMNS)[number], ScalarType> = {
  _source_file: { kind: "string" },
  _source_line: { kind: "integer" },
  _ingested_at: { kind: "timestamp" },
  _arrival_seq: { kind: "integer" },
};

function columnType(t: OutputColumn["type"]): string {
  // JSON that was not flattened is stored as text in Parquet.
  return t.kind === "json" ? sqlType("snowflake", { kind: "string" }) : sqlType("snowflake", t);
}

/**
 * `VALUE:"col"::TYPE`: element names are case-sensitive and match the Parquet field.
 * Timestamps: Spark writes TIMESTAMP_MICROS adjusted to UTC, which Snowflake reads as an instant
 * (TIMESTAMP_LTZ); a plain `::TIMESTAMP_NTZ` would turn it into wall-clock time in the session's
 * TIMEZONE (America/Los_Angeles by default). Converting to UTC first makes the column read the
 * instant the lake stores, whatever the session.
 */
function valueExpr(name: string, type: string): string {
  const value = `VALUE:"${name.replace(/"/g, '""')}"`;
  if (type === "TIMESTAMP_NTZ") return `CONVERT_TIMEZONE('UTC', ${value}::TIMESTAMP_TZ)::TIMESTAMP_NTZ`;
  return `${value}::${type}`;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const PARTITION_VALUE = { day: "[0-9]{4}-[0-9]{2}-[0-9]{2}", month: "[0-9]{4}-[0-9]{2}", year: "[0-9]{4}" } as const;

/** What Spark names the folder of rows whose partition value is NULL. */
const HIVE_NULL = "__HIVE_DEFAULT_PARTITION__";

/** The hive segment `<key>=<value>/` of the file path; NULL when absent or not parseable. */
function partitionExpr(key: string, grain: "day" | "month" | "year"): { type: string; expr: string } {
  const re = `(^|/)${escapeRegex(key)}=(${PARTITION_VALUE[grain]})/`;
  const extract = `REGEXP_SUBSTR(METADATA$FILENAME, '${re.replace(/\\/g, "\\\\").replace(/'/g, "''")}', 1, 1, 'e', 2)`;
  return grain === "day" ? { type: "DATE", expr: `TRY_TO_DATE(${extract}, 'YYYY-MM-DD')` } : { type: "VARCHAR", expr: extract };
}

function externalTableColumns(table: TableIR): VirtualColumn[] {
  const p = table.partition;
  const cols: VirtualColumn[] = [];
  for (const c of table.columns) {
    // A column named like the partition key lives only in the hive path (a `day` partition of a date).
    if (p && c.name === p.key) {
      cols.push({ name: c.name, partition: true, ...partitionExpr(p.key, p.grain) });
      continue;
    }
    const type = columnType(c.type);
    cols.push({ name: c.name, type, expr: valueExpr(c.name, type), partition: false });
  }
  if (p && !table.columns.some((c) => c.name === p.key)) cols.push({ name: p.key, partition: true, ...partitionExpr(p.key, p.grain) });
  for (const m of META_COLUMNS) {
    const type = sqlType("snowflake", META_TYPES[m]);
    cols.push({ name: m, type, expr: valueExpr(m, type), partition: false });
  }
  return cols;
}

/**
 * Only the files the flatten job publishes, `[<table>/][<key>=<value>/]_input=<16 hex>/part-*.parquet`,
 * and the packed objects of the compaction job, `…/_input=packed-<stamp>-<run>/part-*.parquet`.
 * Snowflake matches PATTERN against the whole path, so it is anchored at both ends by
 * construction. The table folder is optional because the path may be given relative to the
 * stage (which is the table prefix) or to the bucket. Spark's uncommitted output under
 * `_temporary/…` and `.spark-staging-<id>/…` never matches: the first folder must be the
 * partition or the `_input=` folder.
 */
export function parquetPattern(table: TableIR): string {
  const p = table.partition;
  const partition = p ? `${escapeRegex(p.key)}=(${PARTITION_VALUE[p.grain]}|${HIVE_NULL})/` : "";
  return `(${escapeRegex(table.name)}/)?${partition}_input=([0-9a-f]{16}|${PACKED_INPUT_PATTERN})/part-[^/]*[.]parquet`;
}

export function snowflakeObjects(ir: PipelineIR): SnowflakeObjects {
  const sf = ir.snowflake;
  const stages = ir.tables.map((t) => ({ name: stageName(ir, t.name), url: tablePrefixUrl(ir, t.name) }));
  const externalTables = ir.tables.map((t): ExternalTableSpec => {
    const columns = externalTableColumns(t);
    const spec = {
      name: t.name.toUpperCase(),
      stage: stageName(ir, t.name),
      columns,
      partitionBy: columns.filter((c) => c.partition).map((c) => c.name),
      pattern: parquetPattern(t),
    };
    return t.description === undefined ? spec : { ...spec, comment: t.description };
  });
  const objects = {
    database: sf.database,
    schema: sf.schema,
    integration: {
      name: sf.storageIntegration,
      roleArn: `arn:aws:iam::&{${AWS_ACCOUNT_ID_VARIABLE}}:role/${integrationRoleName(ir)}`,
      allowedLocations: stages.map((s) => s.url),
    },
    fileFormat: sf.fileFormat,
    stages,
    externalTables,
  };
  return sf.readRole === undefined ? objects : { ...objects, readRole: sf.readRole };
}

/**
 * Replaces the `&{aws_account_id}` variable the way `snowsql -o variable_substitution=true -D
 * aws_account_id=…` does. The account id is checked so that it cannot inject SQL.
 */
export function substituteAccountId(sql: string, accountId: string): string {
  if (!/^[0-9]{12}$/.test(accountId)) throw new Error(`AWS account id must be 12 digits, got '${accountId}'`);
  return sql.split(`&{${AWS_ACCOUNT_ID_VARIABLE}}`).join(accountId);
}
