// TypeScript shape of a pipeline.yaml after schema validation (docs/language.md).
// Only the loader, the semantic checks and the lowering see this; targets see the IR.

export type Scalar = string | number | boolean;

export interface ColumnDoc {
  from?: string | string[];
  /** Alternative paths, the first present wins (instead of `from`). */
  from_any?: (string | string[])[];
  type: string;
  required?: boolean;
  default?: Scalar;
  trim?: boolean;
  strip?: string;
  null_if?: string[];
  range?: [number | string | null, number | string | null];
  unit?: "seconds" | "milliseconds" | "microseconds";
  format?: string;
  accepted_values?: Scalar[];
  references?: string;
  split?: string;
  description?: string;
  on_cast_error?: "reject" | "set_null";
}

/** A key of an `into: columns` flatten: a bare output name, or a column spec with `name`. */
export type FlattenKeyDoc =
  string | (Omit<ColumnDoc, "from" | "from_any" | "type" | "split" | "references"> & { name: string; type?: string });

/** A field of the objects a child table expands: a bare column name, or a name with a type. */
export type FlattenFieldDoc = string | { name: string; type?: string; description?: string };

export interface FlattenDoc {
  into: "columns" | "table";
  /** `into: table` over objects (array<object>, or `type: object` values): field → column. */
  fields?: Record<string, FlattenFieldDoc>;
  keys?: Record<string, FlattenKeyDoc>;
  prefix?: string;
  trim?: boolean;
  strip?: string;
  null_if?: string[];
  table?: string;
  value?: string;
  index?: string;
  key?: string;
  type?: string;
  description?: string;
  /** Derived columns of the child table (`into: table`): name → expression. */
  derive?: Record<string, string>;
}

export interface SourceDoc {
  description?: string;
  format: "jsonl" | "json";
  prefix: string;
  /** Key columns, or `whole_record`: the raw record is its own key (see keyColumns). */
  key: string[] | "whole_record";
  id: string;
  on_invalid?: "quarantine" | "drop" | "fail";
  columns: Record<string, ColumnDoc>;
  flatten?: Record<string, FlattenDoc>;
  partition_by?: string;
  partition_grain?: "day" | "month" | "year";
  /** Derived columns of the main table: name → expression, computed after cleaning. */
  derive?: Record<string, string>;
}

export interface MartDoc {
  description?: string;
  from: string;
  join?: string[];
  grain: string[];
  measures: Record<string, string>;
  where?: string;
  lookback_days?: number;
}

export interface PipelineDoc {
  version: 1;
  name: string;
  description?: string;
  aws: {
    region: string;
    raw_bucket: string;
    processed_bucket: string;
    artifacts_bucket?: string;
    glue?: {
      version?: string;
      worker_type?: string;
      workers?: number;
      timeout_minutes?: number;
      max_concurrent_runs?: number;
      max_retries?: number;
      compact_above?: number;
      compact_schedule?: string;
    };
    log_retention_days?: number;
    alarm_email?: string;
    quarantine_alarm_ratio?: number;
    noncurrent_version_days?: number;
  };
  snowflake: {
    database: string;
    schema: string;
    warehouse: string;
    storage_integration: string;
    stage?: string;
    file_format?: string;
    read_role?: string;
  };
  sources: Record<string, SourceDoc>;
  marts?: Record<string, MartDoc>;
  orchestration?: {
    airflow?: {
      schedule?: string;
      retries?: number;
      retry_delay_minutes?: number;
      max_retry_delay_minutes?: number;
      airflow_version?: 2 | 3;
      mwaa_environment?: string;
      dbt_project_dir?: string;
      dbt_profiles_dir?: string;
      owner?: string;
      tags?: string[];
    };
  };
  publish?: { dbt?: string; airflow?: string };
  environments?: Record<string, EnvironmentDoc>;
}

/** The blocks an environment may override, each a partial copy of the top-level one. */
export type EnvironmentBlock = "aws" | "snowflake" | "orchestration" | "publish";
export const ENVIRONMENT_BLOCKS: readonly EnvironmentBlock[] = ["aws", "snowflake", "orchestration", "publish"];

type Partial2<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? Partial2<T[K]> : T[K] };

export type EnvironmentDoc = {
  description?: string;
  default?: boolean;
} & { [K in EnvironmentBlock]?: Partial2<NonNullable<PipelineDoc[K]>> };
