// Lowers a checked PipelineDoc into the IR. It runs only after checkSemantics found no
// errors, so a failed lookup here is a compiler bug and throws with context.
import type { ColumnDoc, FlattenDoc, FlattenKeyDoc, PipelineDoc, SourceDoc } from "./doc.js";
import { and, lit, or, ref, type Expr } from "./expr/ast.js";
import type {
  AirflowConfig,
  AwsConfig,
  Check,
  ChildExpansion,
  CleanColumn,
  OutputColumn,
  Partition,
  PipelineIR,
  Reference,
  ScalarType,
  SnowflakeConfig,
  SourceIR,
  TableIR,
  Type,
} from "./ir.js";
import { derivedOutput, lowerDerived } from "./lower-derive.js";
import { flattenedColumnName, shapeSource, type ChildShape, type SourceShape } from "./table-shapes.js";
import { lowerMart } from "./lower-marts.js";
import { parseType } from "./types-parse.js";
import { pathsOf, pathsOfColumn, rawOfFirstPresent } from "./lower-messy-feeds.js";
import { childFields, fieldDescription } from "./lower-object-children.js";
import { isWholeRecordKey, keyColumns, RECORD_HASH_COLUMN } from "./whole-record-key.js";

/** 10%: a file with more invalid records than that is a feed problem worth waking someone for. */
export const DEFAULT_QUARANTINE_ALARM_RATIO = 0.1;
/** The compaction job packs a partition holding more than this many files (as `lakec dev --compact-above`). */
export const DEFAULT_COMPACT_ABOVE = 8;
/** Daily at 03:30 UTC: after a night of deliveries, before the morning's dbt runs. */
export const DEFAULT_COMPACT_SCHEDULE = "cron(30 3 * * ? *)";

export function lower(doc: PipelineDoc, file: string): PipelineIR {
  const shapes = new Map(Object.entries(doc.sources).map(([name, s]) => [name, shapeSource(name, s)]));
  const lowered = Object.entries(doc.sources).map(([name, s]) => lowerSource(doc, name, s, shapes.get(name)!));
  const tablesAndSources = lowered.map((s) => tablesOf(doc, s, shapes.get(s.name)!));
  const sources = tablesAndSources.map((x) => x.source);
  const tables = tablesAndSources.flatMap((x) => x.tables);
  const marts = Object.entries(doc.marts ?? {}).map(([name, m]) => lowerMart(name, m, tables));
  return {
    version: 1,
    name: doc.name,
    ...(doc.description !== undefined && { description: doc.description }),
    sourceFile: file,
    aws: awsConfig(doc),
    snowflake: snowflakeConfig(doc),
    airflow: airflowConfig(doc),
    publish: { ...(doc.publish?.dbt && { dbt: doc.publish.dbt }), ...(doc.publish?.airflow && { airflow: doc.publish.airflow }) },
    sources,
    tables,
    marts,
  };
}

function mustType(s: string, where: string): Type {
  const t = parseType(s);
  if (!t) throw new Error(`lower: unparseable type '${s}' at ${where} (the checker should have rejected it)`);
  return t;
}

function asScalar(t: Type): ScalarType | undefined {
  return t.kind === "object" || t.kind === "array" ? undefined : t;
}

/** Cleaning options shared by columns and flattened keys. */
type CleanSpec = Pick<
  ColumnDoc,
  | "required"
  | "default"
  | "trim"
  | "strip"
  | "null_if"
  | "range"
  | "unit"
  | "format"
  | "accepted_values"
  | "split"
  | "description"
  | "on_cast_error"
>;

function textExpr(paths: readonly (readonly string[])[], spec: CleanSpec): Expr {
  let e: Expr = rawOfFirstPresent(paths);
  if (spec.strip) e = { k: "strip", arg: e, chars: spec.strip };
  if (spec.trim) e = { k: "trim", arg: e };
  if (spec.null_if && spec.null_if.length > 0) e = { k: "nullIf", arg: e, values: spec.null_if };
  return e;
}

function valueExpr(name: string, type: Type, spec: CleanSpec): Expr {
  const text = ref(`${name}__text`);
  // A split column stays delimited text; its child table does the splitting.
  const castTo = spec.split !== undefined ? { kind: "string" as const } : type.kind === "array" ? { kind: "array" as const } : type;
  const cast: Expr = {
    k: "cast",
    arg: text,
    to: castTo,
    ...(spec.format !== undefined && { format: spec.format }),
    ...(spec.unit !== undefined && { unit: spec.unit }),
  };
  if (spec.default === undefined) return cast;
  const scalar = asScalar(type);
  const dflt: Expr =
    typeof spec.default === "string" && scalar && scalar.kind !== "string"
      ? { ...cast, arg: lit(spec.default) }
      : lit(spec.default, scalar);
  return { k: "case", whens: [{ when: { k: "isNull", arg: text }, then: dflt }], else: cast };
}

function rangeLit(v: number | string, t: ScalarType): Expr {
  return typeof v === "string" ? lit(v, t) : lit(v);
}

function checksFor(col: CleanColumn, spec: CleanSpec): Check[] {
  const v = ref(col.name);
  const checks: Check[] = [];
  if (col.type.kind !== "string" && spec.split === undefined && col.castNull !== true) {
    checks.push({
      reason: "cast_failed",
      column: col.name,
      fails: and({ k: "isNull", arg: ref(`${col.name}__text`), negate: true }, { k: "isNull", arg: v }),
    });
  }
  if (col.required) checks.push({ reason: "missing_required", column: col.name, fails: { k: "isNull", arg: v } });
  const scalar = asScalar(col.type);
  if (spec.range && scalar) {
    const [lo, hi] = spec.range;
    const parts: Expr[] = [];
    if (lo !== null && lo !== undefined) parts.push({ k: "cmp", op: "<", left: v, right: rangeLit(lo, scalar) });
    if (hi !== null && hi !== undefined) parts.push({ k: "cmp", op: ">", left: v, right: rangeLit(hi, scalar) });
    if (parts.length > 0) checks.push({ reason: "out_of_range", column: col.name, fails: or(...parts) });
  }
  if (spec.accepted_values && spec.accepted_values.length > 0) {
    checks.push({ reason: "not_accepted", column: col.name, fails: { k: "in", arg: v, values: spec.accepted_values, negate: true } });
  }
  return checks;
}

function cleanColumn(
  name: string,
  paths: readonly (readonly string[])[],
  type: Type,
  spec: CleanSpec,
  flattenedFrom?: string,
): CleanColumn {
  const [path, ...alternatives] = paths;
  return {
    name,
    type,
    ...(spec.description !== undefined && { description: spec.description }),
    path: path!,
    ...(alternatives.length > 0 && { alternatives }),
    ...(spec.on_cast_error === "set_null" && { castNull: true as const }),
    text: textExpr(paths, spec),
    value: valueExpr(name, type, spec),
    required: spec.required === true,
    ...(spec.split !== undefined && { split: spec.split }),
    ...(flattenedFrom !== undefined && { flattenedFrom }),
  };
}

function flattenKeyColumns(
  colName: string,
  paths: readonly (readonly string[])[],
  fl: FlattenDoc,
): { col: CleanColumn; spec: CleanSpec }[] {
  return Object.entries(fl.keys ?? {}).map(([key, k]: [string, FlattenKeyDoc]) => {
    const own = typeof k === "string" ? { name: k } : k;
    const spec: CleanSpec = {
      ...(fl.trim !== undefined && { trim: fl.trim }),
      ...(fl.strip !== undefined && { strip: fl.strip }),
      ...(fl.null_if !== undefined && { null_if: fl.null_if }),
      ...own,
    };
    const type = own.type ? mustType(own.type, `flatten.${colName}.keys.${key}`) : ({ kind: "string" } as const);
    return {
      col: cleanColumn(
        flattenedColumnName(colName, fl, own.name),
        paths.map((p) => [...p, key]),
        type,
        spec,
        colName,
      ),
      spec,
    };
  });
}

function lowerSource(doc: PipelineDoc, name: string, s: SourceDoc, shape: SourceShape): SourceIR {
  const columns: CleanColumn[] = [];
  const checks: Check[] = [];
  const references: Reference[] = [];
  for (const [colName, spec] of Object.entries(s.columns)) {
    const paths = pathsOf(colName, spec);
    const col = cleanColumn(colName, paths, mustType(spec.type, `sources.${name}.columns.${colName}`), spec);
    columns.push(col);
    checks.push(...checksFor(col, spec));
    const fl = s.flatten?.[colName];
    if (fl?.into === "columns") {
      for (const k of flattenKeyColumns(colName, paths, fl)) {
        columns.push(k.col);
        checks.push(...checksFor(k.col, k.spec));
      }
    }
    if (spec.references) references.push(resolveReference(doc, colName, spec.references));
  }
  const key = keyColumns(s);
  const keyTypes = key.map((k) => {
    const c = columns.find((x) => x.name === k);
    const t = c && asScalar(c.type);
    if (!t) throw new Error(`lower: key column '${k}' of source '${name}' is missing or not scalar`);
    return { k, t };
  });
  return {
    name,
    ...(s.description !== undefined && { description: s.description }),
    format: s.format ?? "jsonl",
    prefix: s.prefix.endsWith("/") ? s.prefix : `${s.prefix}/`,
    key,
    ...(isWholeRecordKey(s) && { wholeRecordKey: true as const }),
    idColumn: s.id,
    recordId: isWholeRecordKey(s)
      ? ref(RECORD_HASH_COLUMN)
      : { k: "md5Join", args: keyTypes.map(({ k, t }) => ({ k: "canonText", arg: ref(k), type: t })) },
    onInvalid: s.on_invalid ?? "quarantine",
    columns,
    checks,
    ...(shape.partition && { partition: partitionOf(shape) }),
    mainTable: shape.mainTable,
    childTables: shape.children.map((c) => c.name),
    references,
  };
}

/** The partition, keyed as the table shape says; writers compute the key's value from the column. */
function partitionOf(shape: SourceShape): Partition {
  const { column, grain, key } = shape.partition!;
  return { column, grain, key, value: { k: "datePart", arg: ref(column), grain } };
}

/**
 * A partition key that is not a column itself (`tip_date_month`, `reviewed_at_day`) is still a
 * column of the table everywhere it is read: the external tables, the local views, staging and
 * marts parse it from the hive path. Writers compute it (tableSelect) rather than store it.
 */
function partitionKeyColumn(p: Partition | undefined, columns: readonly OutputColumn[]): OutputColumn[] {
  if (!p || p.key === p.column) return [];
  const of = columns.find((c) => c.name === p.column);
  if (!of) throw new Error(`lower: partition column '${p.column}' missing`);
  const type: ScalarType = p.grain === "day" ? { kind: "date" } : { kind: "string" };
  const text = { day: "YYYY-MM-DD", month: "YYYY-MM", year: "YYYY" }[p.grain];
  return [
    {
      name: p.key,
      type,
      nullable: of.nullable,
      description: `Partition key: the ${p.grain} of ${p.column} (${text}), from the file path.`,
      lineage: of.lineage,
    },
  ];
}

function resolveReference(doc: PipelineDoc, column: string, target: string): Reference {
  const [table, col] = target.split(".");
  const src = doc.sources[table!];
  if (!src) throw new Error(`lower: reference '${target}' names no source`);
  return { column, toTable: table!, toColumn: col ?? src.key[0]! };
}

function outputType(t: Type): OutputColumn["type"] {
  return asScalar(t) ?? { kind: "json" };
}

function outColumn(source: string, c: CleanColumn, accepted?: readonly (string | number | boolean)[]): OutputColumn {
  return {
    name: c.name,
    type: c.split !== undefined ? { kind: "string" } : outputType(c.type),
    nullable: !c.required,
    ...(c.description !== undefined && { description: c.description }),
    lineage: { source, paths: pathsOfColumn(c) },
    ...(accepted && accepted.length > 0 && { accepted }),
  };
}

function acceptedOf(s: SourceDoc, c: CleanColumn): readonly (string | number | boolean)[] | undefined {
  const fl = c.flattenedFrom === undefined ? undefined : s.flatten?.[c.flattenedFrom];
  if (c.flattenedFrom !== undefined && fl) {
    const from = c.flattenedFrom;
    const k = Object.values(fl.keys ?? {}).find((x) => typeof x !== "string" && flattenedColumnName(from, fl, x.name) === c.name);
    return typeof k === "object" ? k.accepted_values : undefined;
  }
  return s.columns[c.name]?.accepted_values;
}

/** The source's tables; the source gains its main table's derived columns (the clean stage computes them). */
function tablesOf(doc: PipelineDoc, src: SourceIR, shape: SourceShape): { source: SourceIR; tables: TableIR[] } {
  const s = doc.sources[src.name]!;
  const flattened = new Set(Object.keys(s.flatten ?? {}));
  const idCol: OutputColumn = {
    name: src.idColumn,
    type: { kind: "string" },
    nullable: false,
    description: src.wholeRecordKey
      ? "Record id: md5 of the raw record's text (key: whole_record)."
      : `Record id: md5 of (${src.key.join(", ")}).`,
    lineage: {
      source: src.name,
      paths: src.wholeRecordKey ? src.columns.flatMap(pathsOfColumn) : src.key.map((k) => src.columns.find((c) => c.name === k)!.path),
    },
  };
  const cleanCols = [idCol, ...src.columns.filter((c) => !flattened.has(c.name)).map((c) => outColumn(src.name, c, acceptedOf(s, c)))];
  const derived = lowerDerived(cleanCols, s.derive, `source '${src.name}'`);
  const mainCols = [
    ...cleanCols,
    ...derived.map((d) => derivedOutput(src.name, d, cleanCols)),
    ...partitionKeyColumn(src.partition, cleanCols),
  ];
  const main: TableIR = {
    name: src.mainTable,
    kind: "main",
    source: src.name,
    ...(src.description !== undefined && { description: src.description }),
    columns: mainCols,
    idColumn: src.idColumn,
    rowKey: [src.idColumn],
    ...(src.partition && { partition: src.partition }),
    references: src.references,
  };
  const children = shape.children.map((c) => childTable(src, shape, mainCols, c, s.flatten![c.fromColumn]!));
  return { source: derived.length > 0 ? { ...src, derived } : src, tables: [main, ...children] };
}

function childTable(src: SourceIR, shape: SourceShape, parentCols: readonly OutputColumn[], child: ChildShape, f: FlattenDoc): TableIR {
  const colName = child.fromColumn;
  const col = src.columns.find((c) => c.name === colName);
  if (!col) throw new Error(`lower: flatten of unknown column '${colName}' in source '${src.name}'`);
  const carriedNames = shape.carried.map((c) => c.name);
  const carried = carriedNames.map((n) => {
    const c = parentCols.find((x) => x.name === n);
    if (!c) throw new Error(`lower: carried column '${n}' missing from '${src.mainTable}'`);
    return c;
  });
  const element: ScalarType = f.type
    ? (asScalar(mustType(f.type, `flatten.${colName}.type`)) ?? { kind: "string" })
    : col.type.kind === "array"
      ? (asScalar(col.type.element) ?? { kind: "string" })
      : { kind: "string" };
  const value = child.valueColumn;
  const lineage = { source: src.name, paths: pathsOfColumn(col) };
  let expansion: ChildExpansion;
  let extra: OutputColumn[];
  const fields = childFields(col, f);
  const valueCols: OutputColumn[] = fields
    ? fields.map((x) => ({ name: x.column, type: x.type, nullable: true, ...fieldDescription(f, x.field), lineage }))
    : [{ name: value, type: element, nullable: true, lineage }];
  if (child.mode === "entries") {
    const key = child.keyColumn;
    expansion = { mode: "entries", element, keyColumn: key, valueColumn: value, ...(fields && { fields }) };
    extra = [{ name: key, type: { kind: "string" }, nullable: false, lineage }, ...valueCols];
  } else {
    const index = child.indexColumn;
    expansion =
      col.split !== undefined
        ? { mode: "split", separator: col.split, trim: true, element, indexColumn: index, valueColumn: value }
        : { mode: "array", element, indexColumn: index, valueColumn: value, ...(fields && { fields }) };
    extra = [{ name: index, type: { kind: "integer" }, nullable: false, lineage }, ...valueCols];
  }
  const name = child.name;
  const base = [...carried.map((c) => ({ ...c, nullable: c.name === src.idColumn ? false : c.nullable })), ...extra];
  const derived = lowerDerived(base, f.derive, `child table '${name}'`);
  const rowKeyTail = expansion.mode === "entries" ? expansion.keyColumn : expansion.indexColumn;
  return {
    name,
    kind: "child",
    source: src.name,
    ...(f.description !== undefined && { description: f.description }),
    columns: [...base, ...derived.map((d) => derivedOutput(src.name, d, base)), ...partitionKeyColumn(src.partition, base)],
    idColumn: src.idColumn,
    rowKey: [src.idColumn, rowKeyTail],
    ...(src.partition && { partition: src.partition }),
    child: { parent: src.mainTable, fromColumn: colName, carried: carriedNames, expansion, ...(derived.length > 0 && { derived }) },
    references: [{ column: src.idColumn, toTable: src.mainTable, toColumn: src.idColumn }],
  };
}

export function awsConfig(doc: PipelineDoc): AwsConfig {
  const a = doc.aws;
  const g = a.glue ?? {};
  return {
    region: a.region,
    rawBucket: a.raw_bucket,
    processedBucket: a.processed_bucket,
    artifactsBucket: a.artifacts_bucket ?? a.processed_bucket,
    artifactsPrefix: a.artifacts_bucket ? "lakec/" : "_lakec/",
    glue: {
      version: g.version ?? "5.0",
      workerType: g.worker_type ?? "G.1X",
      workers: g.workers ?? 2,
      timeoutMinutes: g.timeout_minutes ?? 60,
      maxConcurrentRuns: g.max_concurrent_runs ?? 20,
      maxRetries: g.max_retries ?? 0,
      compactAbove: g.compact_above ?? DEFAULT_COMPACT_ABOVE,
      compactSchedule: g.compact_schedule ?? DEFAULT_COMPACT_SCHEDULE,
    },
    logRetentionDays: a.log_retention_days ?? 30,
    ...(a.alarm_email !== undefined && { alarmEmail: a.alarm_email }),
    quarantineAlarmRatio: a.quarantine_alarm_ratio ?? DEFAULT_QUARANTINE_ALARM_RATIO,
    noncurrentVersionDays: a.noncurrent_version_days ?? 90,
  };
}

export function snowflakeConfig(doc: PipelineDoc): SnowflakeConfig {
  const s = doc.snowflake;
  const base = doc.name.toUpperCase();
  return {
    database: s.database,
    schema: s.schema,
    warehouse: s.warehouse,
    storageIntegration: s.storage_integration,
    stage: s.stage ?? `${base}_STAGE`,
    fileFormat: s.file_format ?? `${base}_PARQUET`,
    ...(s.read_role !== undefined && { readRole: s.read_role }),
  };
}

export function airflowConfig(doc: PipelineDoc): AirflowConfig {
  const a = doc.orchestration?.airflow ?? {};
  const schedule = a.schedule ?? "@daily";
  return {
    schedule,
    datasetTriggered: schedule === "dataset",
    retries: a.retries ?? 2,
    retryDelayMinutes: a.retry_delay_minutes ?? 5,
    maxRetryDelayMinutes: a.max_retry_delay_minutes ?? 60,
    airflowVersion: a.airflow_version ?? 2,
    ...(a.mwaa_environment !== undefined && { mwaaEnvironment: a.mwaa_environment }),
    dbtProjectDir: a.dbt_project_dir ?? "/usr/local/airflow/dags/dbt",
    dbtProfilesDir: a.dbt_profiles_dir ?? "/usr/local/airflow/dags/dbt",
    owner: a.owner ?? "data-engineering",
    tags: a.tags ?? ["lakec", doc.name],
  };
}
