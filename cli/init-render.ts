// Turns sample records into the text of a first pipeline.yaml, in the style of the reference
// pipeline: one flow-style line per column, placeholders clearly marked.
import { SNOWFLAKE_RESERVED } from "../compiler/reserved-words.js";
import { yamlComment } from "../targets/yaml-text.js";
import { inferValues, likelyKey, NamePool, nullTexts, snakeName, type Inferred, type SampleValue } from "./init-infer.js";

/** Objects with more distinct keys than this are data, not fields: a key/value child table. */
const MAX_COLUMN_KEYS = 50;

export interface InitOptions {
  readonly pipelineName: string;
  readonly sourceName: string;
  readonly sampleName: string;
  /** Path of the JSON Schema relative to the written file, for the editor comment. */
  readonly schemaPath: string;
  /** `json` when the sample is one JSON array, else `jsonl`. */
  readonly format: "jsonl" | "json";
}

/** Double-quoted JSON strings are valid YAML; plain text is used only where it cannot be misread. */
export function q(text: string): string {
  const plain = /^[A-Za-z_][A-Za-z0-9_./-]*$/.test(text) && !/^(true|false|null|yes|no|on|off|y|n)$/i.test(text);
  return plain ? text : JSON.stringify(text);
}

function typeText(t: Inferred): string {
  switch (t.kind) {
    case "decimal":
      return `decimal(${t.precision},${t.scale})`;
    case "array":
      return `array<${typeText(t.element)}>`;
    default:
      return t.kind;
  }
}

export function typeOptions(t: Inferred): string[] {
  const opts = [`type: ${q(typeText(t))}`];
  if ("unit" in t && t.unit) opts.push(`unit: ${t.unit}`);
  if ("format" in t && t.format) opts.push(`format: ${q(t.format)}`);
  if ("strip" in t && t.strip) opts.push(`strip: ${q(t.strip)}`);
  if ("split" in t && t.split) opts.push(`split: ${q(t.split)}`);
  return opts;
}

interface ColumnPlan {
  readonly field: string;
  readonly name: string;
  readonly type: Inferred;
  readonly lines: string[];
}

/** Longer child-table names than this are shortened: they are typed in every query and mart. */
const SHORT_TABLE_NAME = 24;

/**
 * `<source>_<column>`, or, when that is long (a source named after its file,
 * `yelp_academic_dataset_business`), the source's last word and the column: `business_categories`.
 */
export function childTableName(source: string, column: string): string {
  const full = `${source}_${column}`;
  if (full.length <= SHORT_TABLE_NAME) return full;
  const last =
    source
      .split("_")
      .filter((w) => w !== "")
      .pop() ?? source;
  return `${last}_${column}`;
}

/** Names for a child table's own columns, clear of reserved words and of the carried id and key. */
function childColumns(c: ColumnPlan, carried: readonly string[], wanted: readonly string[]): string[] {
  const pool = new NamePool(c.name);
  for (const n of carried) pool.reserve(n);
  return wanted.map((w) => pool.take(w));
}

function flattenObject(
  records: readonly Record<string, SampleValue>[],
  c: ColumnPlan,
  source: string,
  tables: NamePool,
  carried: readonly string[],
): string[] {
  const values = records
    .map((r) => r[c.field])
    .filter((v): v is Record<string, SampleValue> => typeof v === "object" && v !== null && !Array.isArray(v));
  const keys = c.type.kind === "object" ? c.type.keys : [];
  if (keys.length === 0 || keys.length > MAX_COLUMN_KEYS) {
    const valueType = inferValues(
      c.field,
      values.flatMap((v) => Object.values(v)),
    );
    const scalar = valueType.kind === "object" || valueType.kind === "array" ? { kind: "string" as const } : valueType;
    const [key, value] = childColumns(c, carried, ["key", "value"]);
    const lines = [
      `    ${c.name}:`,
      "      into: table                 # its keys are data: one row per key",
      `      table: ${tables.take(childTableName(source, c.name))}`,
      `      key: ${key}`,
      `      value: ${value}`,
    ];
    if (scalar.kind !== "string") lines.push(`      type: ${q(typeText(scalar))}`);
    return lines;
  }
  const names = new NamePool(c.name);
  const padded = values.some((v) => Object.values(v).some((x) => typeof x === "string" && x !== x.trim()));
  const lines = [`    ${c.name}:`, `      into: columns               # one column per key, named ${c.name}_<name>`, "      keys:"];
  for (const key of keys) {
    const name = names.take(snakeName(key, "key"));
    const t = inferValues(
      key,
      values.map((v) => v[key] ?? null),
    );
    const scalar = t.kind === "object" || t.kind === "array" || (t.kind === "string" && !t.strip) ? undefined : t;
    lines.push(scalar ? `        ${q(key)}: { name: ${name}, ${typeOptions(scalar).join(", ")} }` : `        ${q(key)}: ${name}`);
  }
  if (padded) lines.push("      trim: true");
  const nulls = nullTexts(values.flatMap((v) => Object.values(v)));
  if (nulls.length > 0) lines.push(`      null_if: [${nulls.map(q).join(", ")}]`);
  return lines;
}

function flattenArray(c: ColumnPlan, source: string, tables: NamePool, carried: readonly string[]): string[] {
  const [index, value] = childColumns(c, carried, ["position", "value"]);
  const nested =
    c.type.kind === "array" && c.type.nested ? ["      # its elements are objects or lists: each value is kept as JSON text"] : [];
  return [
    `    ${c.name}:`,
    "      into: table                 # one row per element, with the parent's id and key",
    ...nested,
    `      table: ${tables.take(childTableName(source, c.name))}`,
    `      index: ${index}`,
    `      value: ${value}`,
  ];
}

function planColumns(records: readonly Record<string, SampleValue>[], fields: readonly string[], source: string): ColumnPlan[] {
  const pool = new NamePool(source.replace(/s$/, ""));
  return fields.map((field) => {
    const name = pool.take(snakeName(field, "field"));
    return {
      field,
      name,
      type: inferValues(
        field,
        records.map((r) => r[field] ?? null),
      ),
      lines: [],
    };
  });
}

function columnLine(records: readonly Record<string, SampleValue>[], c: ColumnPlan, key: ReadonlySet<string>): string {
  const opts = [...(c.field === c.name ? [] : [`from: ${q(c.field)}`]), ...typeOptions(c.type)];
  const nulls = c.type.kind === "object" || c.type.kind === "array" ? [] : nullTexts(records.map((r) => r[c.field] ?? null));
  if (nulls.length > 0) opts.push(`null_if: [${nulls.map(q).join(", ")}]`);
  if (key.has(c.field)) opts.push("required: true");
  return `      ${c.name}: { ${opts.join(", ")} }`;
}

/** The pipeline's name in capitals, unless Snowflake reserves that word (ORDER, SAMPLE, TABLE). */
function schemaName(pipelineName: string): string {
  const upper = pipelineName.toUpperCase();
  return SNOWFLAKE_RESERVED.has(upper) ? `${upper}_DATA` : upper;
}

function header(o: InitOptions, count: number): string[] {
  return [
    `# yaml-language-server: $schema=${o.schemaPath}`,
    yamlComment(`A first draft inferred by \`lakec init\` from ${count} records of ${o.sampleName}.`),
    "# Review the types, the key and the placeholders below; see docs/language.md.",
    "version: 1",
    `name: ${o.pipelineName}`,
    `description: ${q(`Records from ${o.sampleName}.`)}`,
    "",
    "# PLACEHOLDER: your AWS region and bucket names.",
    "aws:",
    "  region: eu-west-1",
    `  raw_bucket: ${o.pipelineName.replace(/_/g, "-")}-raw`,
    `  processed_bucket: ${o.pipelineName.replace(/_/g, "-")}-processed`,
    "",
    "# PLACEHOLDER: your Snowflake database, schema, warehouse and storage integration.",
    "snowflake:",
    "  database: ANALYTICS",
    `  schema: ${schemaName(o.pipelineName)}`,
    "  warehouse: TRANSFORMING",
    "  storage_integration: LAKE_S3",
    "",
  ];
}

function partitionColumn(records: readonly Record<string, SampleValue>[], columns: readonly ColumnPlan[]): string | undefined {
  const always = columns.filter((c) => records.every((r) => r[c.field] !== null && r[c.field] !== undefined));
  return (always.find((c) => c.type.kind === "date") ?? always.find((c) => c.type.kind === "timestamp"))?.name;
}

/** The text of a pipeline.yaml for the sample records. */
export function renderPipeline(records: readonly Record<string, SampleValue>[], o: InitOptions): string {
  // A field named "" cannot be addressed by `from`; the draft says it was left out.
  const all = [...new Set(records.flatMap((r) => Object.keys(r)))];
  const fields = all.filter((f) => f !== "");
  const skipped = all.length > fields.length ? ['# Left out: a field with an empty name (""), which `from` cannot address.'] : [];
  const columns = planColumns(records, fields, o.sourceName);
  const times = columns.filter((c) => c.type.kind === "timestamp" || c.type.kind === "date").map((c) => c.field);
  const scalarFields = columns.filter((c) => c.type.kind !== "object" && c.type.kind !== "array").map((c) => c.field);
  const guessed = likelyKey(records, scalarFields, times);
  // A guessed key that repeats in the sample would drop distinct records as duplicates (the
  // legacy Yelp tips: one user, one business, one day, two tips): each record is its own key.
  const wholeRecord = guessed.duplicates > 0 || guessed.fields.length === 0;
  const key = wholeRecord ? { fields: [], duplicates: 0 } : guessed;
  const keySet = new Set(key.fields);
  const byField = new Map(columns.map((c) => [c.field, c.name]));
  const idName = ["record_id", `${o.sourceName}_record_id`].find((n) => !columns.some((c) => c.name === n))!;
  const tables = new NamePool(o.sourceName);
  tables.reserve(o.sourceName);
  const carried = [idName, ...key.fields.map((f) => byField.get(f)!)];
  const flatten = columns.flatMap((c) =>
    c.type.kind === "object"
      ? flattenObject(records, c, o.sourceName, tables, carried)
      : c.type.kind === "array"
        ? flattenArray(c, o.sourceName, tables, carried)
        : [],
  );
  const partition = partitionColumn(records, columns);
  const keyLine = wholeRecord
    ? `    key: whole_record   # no field${guessed.fields.length > 0 ? ` combination is unique in the sample ([${guessed.fields.map((f) => byField.get(f)!).join(", ")}] repeats in ${guessed.duplicates} of ${records.length} records)` : " can identify a record"}: only identical records are duplicates`
    : `    key: [${key.fields.map((f) => byField.get(f)!).join(", ")}]   # unique in the sample`;
  return [
    ...header(o, records.length),
    ...skipped,
    "sources:",
    `  ${o.sourceName}:`,
    `    format: ${o.format}`,
    `    prefix: ${o.sourceName}/`,
    keyLine,
    `    id: ${idName}`,
    "    on_invalid: quarantine",
    "    columns:",
    ...columns.map((c) => columnLine(records, c, keySet)),
    ...(flatten.length > 0 ? ["    flatten:", ...flatten.map((l) => `  ${l}`)] : []),
    ...(partition ? [`    partition_by: ${partition}`] : []),
    "",
    "# Marts aggregate the output tables, for example:",
    "# marts:",
    `#   ${o.sourceName}_daily:`,
    `#     from: ${o.sourceName}`,
    `#     grain: [${partition ?? key.fields.map((f) => byField.get(f)!)[0] ?? columns.find((c) => c.type.kind !== "object" && c.type.kind !== "array")?.name ?? "<column>"}]`,
    "#     measures:",
    "#       records: count(*)",
    "",
  ].join("\n");
}
