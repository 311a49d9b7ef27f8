// The IR is the contract between the compiler and every target. It is plain, readonly,
// JSON-serialisable data: targets may read it but never reach back into YAML.
import type { Expr } from "./expr/ast.js";

export type ScalarType =
  | { readonly kind: "string" }
  | { readonly kind: "integer" }
  | { readonly kind: "double" }
  | { readonly kind: "decimal"; readonly precision: number; readonly scale: number }
  | { readonly kind: "boolean" }
  | { readonly kind: "date" }
  | { readonly kind: "timestamp" };

/** `object` and `array<T>` are carried as JSON text until flattened. */
export type Type = ScalarType | { readonly kind: "object" } | { readonly kind: "array"; readonly element: Type };

export type OnInvalid = "quarantine" | "drop" | "fail";

/** Reason codes written next to every quarantined record. Stable: users filter on them. */
export type ReasonCode =
  "malformed_json" | "not_an_object" | "invalid_utf8" | "missing_required" | "cast_failed" | "out_of_range" | "not_accepted";

/** One cleaned column of a source, computed from the raw record. */
export interface CleanColumn {
  readonly name: string;
  readonly type: Type;
  readonly description?: string;
  /** JSON path in the raw record, e.g. ["style", "Size:"]. */
  readonly path: readonly string[];
  /** `from_any`: further paths, tried in order when `path` is absent or null (the first present wins). */
  readonly alternatives?: readonly (readonly string[])[];
  /** `on_cast_error: set_null`: a present value that does not cast becomes NULL and is counted, not rejected. */
  readonly castNull?: true;
  /** Text after strip/trim/null_if, before the cast: NULL when absent. */
  readonly text: Expr;
  /** The typed value (cast, then default). NULL when the cast failed. */
  readonly value: Expr;
  readonly required: boolean;
  /** For `array<T>` columns whose raw value is delimited text: the separator. The value stays text. */
  readonly split?: string;
  /** Set for columns produced by `flatten: into: columns`; names the object column. */
  readonly flattenedFrom?: string;
}

/** A validation rule, evaluated in order; the first failing one names the reason. */
export interface Check {
  readonly reason: ReasonCode;
  readonly column: string;
  /** True when the record FAILS this check. Written over cleaned columns (ref) and texts (ref `<col>__text`). */
  readonly fails: Expr;
}

export interface Partition {
  /** Cleaned date/timestamp column the partition is derived from. */
  readonly column: string;
  readonly grain: "day" | "month" | "year";
  /** Name of the hive partition key in paths and in external tables, e.g. `review_date`. */
  readonly key: string;
  /** Partition value as text (`2016-09-01`, `2016-09`, `2016`) computed from the column. */
  readonly value: Expr;
}

export interface Reference {
  readonly column: string;
  readonly toTable: string;
  readonly toColumn: string;
}

/**
 * A column computed from the other columns of its table after cleaning (`derive:`). `expr` reads
 * the table's columns by name (derived columns above it are inlined) and is typed: printers cast
 * it to `type`, so every engine stores the same type.
 */
export interface DerivedColumn {
  readonly name: string;
  readonly type: ScalarType;
  readonly expr: Expr;
  /** The expression as written, for docs. */
  readonly text: string;
}

export interface SourceIR {
  readonly name: string;
  readonly description?: string;
  /** `jsonl`: a record per line; `json`: the values of one document (engine/json-values.ts). */
  readonly format: "jsonl" | "json";
  /** Raw-bucket prefix, always ending with `/`. */
  readonly prefix: string;
  /** Key columns; empty with `wholeRecordKey`. */
  readonly key: readonly string[];
  /** `key: whole_record`: the record id is the MD5 of the raw record's text (compiler/whole-record-key.ts). */
  readonly wholeRecordKey?: true;
  /** Name of the record-id column: md5 of the key columns' canonical text, see `recordId`. */
  readonly idColumn: string;
  readonly recordId: Expr;
  readonly onInvalid: OnInvalid;
  /** Every cleaned column, including the ones flattened out of objects, in declaration order. */
  readonly columns: readonly CleanColumn[];
  readonly checks: readonly Check[];
  readonly partition?: Partition;
  readonly mainTable: string;
  readonly childTables: readonly string[];
  readonly references: readonly Reference[];
  /** The main table's derived columns, computed by the clean stage after the checks. */
  readonly derived?: readonly DerivedColumn[];
}

/** Lineage of one output column: the raw JSON path(s) it is derived from. */
export interface ColumnLineage {
  readonly source: string;
  readonly paths: readonly (readonly string[])[];
}

export interface OutputColumn {
  readonly name: string;
  readonly type: ScalarType | { readonly kind: "json" };
  readonly nullable: boolean;
  readonly description?: string;
  readonly lineage: ColumnLineage;
  /** Values the column may take (`accepted_values` tests). */
  readonly accepted?: readonly (string | number | boolean)[];
}

/** A field of the objects a child table expands (`fields:`): the JSON key, its column and type. */
export interface ChildField {
  readonly field: string;
  readonly column: string;
  readonly type: ScalarType;
}

/**
 * How a child table's rows come out of its parent's cleaned column. With `fields`, each element
 * (or entry value) is an object and the fields are the row's value columns; `valueColumn` is unused.
 */
export type ChildExpansion =
  | {
      readonly mode: "array";
      readonly element: ScalarType;
      readonly indexColumn: string;
      readonly valueColumn: string;
      readonly fields?: readonly ChildField[];
    }
  | {
      readonly mode: "split";
      readonly separator: string;
      readonly trim: boolean;
      readonly element: ScalarType;
      readonly indexColumn: string;
      readonly valueColumn: string;
    }
  | {
      readonly mode: "entries";
      readonly element: ScalarType;
      readonly keyColumn: string;
      readonly valueColumn: string;
      readonly fields?: readonly ChildField[];
    };

/**
 * Columns every output table carries so reprocessing and "latest record wins" are possible.
 * `_arrival_seq` is the raw file's place in the pipeline's arrival order (see docs/language.md,
 * "Arrival order"): the order in which "latest wins" and every incremental model work.
 * `_ingested_at` is when the raw file landed in the raw bucket (the S3 event's time).
 */
export const META_COLUMNS = ["_source_file", "_source_line", "_ingested_at", "_arrival_seq"] as const;

export interface TableIR {
  readonly name: string;
  readonly kind: "main" | "child";
  readonly source: string;
  readonly description?: string;
  /**
   * Data columns in output order (id, keys, values), excluding META_COLUMNS. A `day`-grain partition
   * column is listed here too although writers keep it only in the hive path; `partition.key`
   * tells which column comes from the path.
   */
  readonly columns: readonly OutputColumn[];
  readonly idColumn: string;
  /** Columns that identify a row: the id for a main table; id + index/key for a child. */
  readonly rowKey: readonly string[];
  readonly partition?: Partition;
  /** For child tables: the parent table, the cleaned column expanded, and how. */
  readonly child?: {
    readonly parent: string;
    readonly fromColumn: string;
    readonly carried: readonly string[];
    readonly expansion: ChildExpansion;
    /** Computed over the expanded rows, after the value cast. */
    readonly derived?: readonly DerivedColumn[];
  };
  readonly references: readonly Reference[];
}

export type AggregateFn = "count_star" | "count" | "count_distinct" | "count_if" | "sum" | "avg" | "min" | "max";

export interface ColumnRef {
  readonly table: string;
  readonly column: string;
}

export interface Measure {
  readonly name: string;
  readonly fn: AggregateFn;
  readonly arg?: ColumnRef;
  /** The argument when it is an expression rather than a column (refs carry `table`). */
  readonly expr?: Expr;
  readonly type: ScalarType;
  /** The measure as written, for docs and diagnostics. */
  readonly text: string;
}

export interface MartJoin {
  readonly table: string;
  /** Equality pairs: left is an already-joined table's column. */
  readonly on: readonly { readonly left: ColumnRef; readonly right: ColumnRef }[];
}

export interface MartIR {
  readonly name: string;
  readonly description?: string;
  readonly from: string;
  readonly joins: readonly MartJoin[];
  readonly grain: readonly (ColumnRef & { readonly name: string; readonly type: ScalarType })[];
  readonly measures: readonly Measure[];
  /** Row filter over the joined tables; refs carry `table`. */
  readonly where?: Expr;
  readonly whereText?: string;
  readonly columns: readonly OutputColumn[];
}

export interface AwsConfig {
  readonly region: string;
  readonly rawBucket: string;
  readonly processedBucket: string;
  /** Bucket for Glue scripts and temp files; defaults to the processed bucket under `_lakec/`. */
  readonly artifactsBucket: string;
  readonly artifactsPrefix: string;
  readonly glue: {
    readonly version: string;
    readonly workerType: string;
    readonly workers: number;
    readonly timeoutMinutes: number;
    readonly maxConcurrentRuns: number;
    readonly maxRetries: number;
    /** The compaction job packs a table partition holding more than this many Parquet files. */
    readonly compactAbove: number;
    /** When the compaction job runs: a Glue trigger's `cron(…)` expression (UTC). */
    readonly compactSchedule: string;
  };
  readonly logRetentionDays: number;
  readonly alarmEmail?: string;
  /** Alarm when a file's rejected records (quarantined or dropped) reach this share of its records. */
  readonly quarantineAlarmRatio: number;
  readonly noncurrentVersionDays: number;
}

export interface SnowflakeConfig {
  readonly database: string;
  readonly schema: string;
  readonly warehouse: string;
  readonly storageIntegration: string;
  readonly stage: string;
  readonly fileFormat: string;
  readonly readRole?: string;
}

export interface AirflowConfig {
  /** Cron, preset (`@hourly`), or `dataset` for data-aware scheduling on the processed layer. */
  readonly schedule: string;
  readonly datasetTriggered: boolean;
  readonly retries: number;
  readonly retryDelayMinutes: number;
  readonly maxRetryDelayMinutes: number;
  readonly airflowVersion: 2 | 3;
  /** MWAA environment the state machine sends dataset/asset events to (schedule: dataset). */
  readonly mwaaEnvironment?: string;
  readonly dbtProjectDir: string;
  readonly dbtProfilesDir: string;
  readonly owner: string;
  readonly tags: readonly string[];
}

export interface PublishConfig {
  /** Where `apply` publishes the dbt project and DAG: `s3://bucket/prefix/` or a local folder. */
  readonly dbt?: string;
  readonly airflow?: string;
}

/**
 * The environment an IR was compiled for (`environments:` in the pipeline). Absent when the
 * pipeline declares none: then every name is what it always was.
 */
export interface EnvironmentIR {
  readonly name: string;
  readonly description?: string;
  /**
   * Every environment of the pipeline and where its external tables live, in declaration order:
   * the dbt project is one for all environments, so its sources choose among them at run time.
   */
  readonly all: readonly { readonly name: string; readonly database: string; readonly schema: string }[];
  /** The environment commands use without --env, when there is one. */
  readonly default?: string;
}

export interface PipelineIR {
  readonly version: 1;
  readonly name: string;
  readonly description?: string;
  /** Path of the pipeline file as given, relative to the working directory, for headers. */
  readonly sourceFile: string;
  readonly aws: AwsConfig;
  readonly snowflake: SnowflakeConfig;
  readonly airflow: AirflowConfig;
  readonly publish: PublishConfig;
  readonly sources: readonly SourceIR[];
  readonly tables: readonly TableIR[];
  readonly marts: readonly MartIR[];
  readonly environment?: EnvironmentIR;
}

/**
 * One file a target emits. Paths use `/`. By default (`scope: "pipeline"`) the path is relative to
 * the pipeline's output folder `generated/<pipeline>/`; with `scope: "project"` it is relative to
 * the project root (the dbt project at `dbt/` is shared by all pipelines). See targets/registry.ts.
 */
export interface EmittedFile {
  readonly path: string;
  readonly contents: string;
  readonly scope?: "pipeline" | "project";
}

export function findSource(ir: PipelineIR, name: string): SourceIR {
  const s = ir.sources.find((x) => x.name === name);
  if (!s) throw new Error(`IR invariant: no source named '${name}' in pipeline '${ir.name}'`);
  return s;
}

export function findTable(ir: PipelineIR, name: string): TableIR {
  const t = ir.tables.find((x) => x.name === name);
  if (!t) throw new Error(`IR invariant: no table named '${name}' in pipeline '${ir.name}'`);
  return t;
}

export function typeToString(t: Type | OutputColumn["type"]): string {
  switch (t.kind) {
    case "decimal":
      return `decimal(${t.precision},${t.scale})`;
    case "array":
      return `array<${typeToString(t.element)}>`;
    default:
      return t.kind;
  }
}
