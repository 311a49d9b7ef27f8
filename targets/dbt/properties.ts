// dbt properties YAML: the sources (the Snowflake external tables), and the staging and mart
// models with their generated tests. Only dbt's built-in generic tests are used, so the project
// needs no packages.
import type { EnvironmentIR, MartIR, OutputColumn, PipelineIR, TableIR } from "../../compiler/ir.js";
import { headerLine, jinjaSafe, jinjaString, portableType, snowflakeName, stagingModel } from "./naming.js";
import { stagingColumns } from "./staging.js";
import { MERGE_COLUMN } from "./macros.js";

const MERGE_DESCRIPTION = "When the row was merged: the merging run's clock, epoch microseconds. Downstream models take what was merged after their own newest value.";
import { yamlText } from "../yaml-text.js";

type Test = string | Record<string, Record<string, unknown>>;

interface ColumnProps {
  name: string;
  description?: string;
  data_type?: string;
  data_tests?: Test[];
}

function yamlFile(ir: PipelineIR, body: object): string {
  return yamlText(body, { header: [headerLine(ir, "#")] });
}

function describe(props: ColumnProps, description: string | undefined): ColumnProps {
  return description === undefined ? props : { ...props, description: jinjaSafe(description) };
}

/** Freshness on the load time the flatten job stamps on every row. */
const FRESHNESS = { warn_after: { count: 24, period: "hour" }, error_after: { count: 48, period: "hour" } };

/**
 * A Jinja expression choosing one environment's value. The dbt project is one for every
 * environment, so the environment is the LAKEC_ENV variable or else the dbt target's name
 * (profiles.yml.example has one target per environment). An unknown one renders a name that
 * says so, which the warehouse then reports as a missing database or schema.
 */
function perEnvironment(ir: PipelineIR, pick: (e: EnvironmentIR["all"][number]) => string): string {
  const env = "env_var('LAKEC_ENV', target.name)";
  const values = ir.environment!.all.map((e) => `${jinjaString(e.name)}: ${jinjaString(snowflakeName(pick(e)))}`).join(", ");
  return `{${values}}.get(${env}, 'NO_LAKEC_ENVIRONMENT_' ~ ${env})`;
}

/** The database and schema of the external tables: fixed, or chosen per environment when they differ. */
function sourceLocation(ir: PipelineIR): { database: string; schema: string } {
  const sf = ir.snowflake;
  const varies = (pick: (e: EnvironmentIR["all"][number]) => string): boolean => new Set(ir.environment?.all.map(pick) ?? []).size > 1;
  const database = varies((e) => e.database) ? perEnvironment(ir, (e) => e.database) : jinjaString(snowflakeName(sf.database));
  const schema = varies((e) => e.schema) ? `{{ ${perEnvironment(ir, (e) => e.schema)} }}` : jinjaSafe(snowflakeName(sf.schema));
  // Locally (dbt-duckdb) the views live in the warehouse file's own database.
  return { database: `{{ target.database if target.type == 'duckdb' else ${database} }}`, schema };
}

export function sourcesYaml(ir: PipelineIR): string {
  const source = {
    name: ir.name,
    description: jinjaSafe(ir.description ?? `External tables of the ${ir.name} pipeline.`),
    ...sourceLocation(ir),
    // The DDL quotes every name; quoting here makes dbt refer to exactly those objects.
    quoting: { database: true, schema: true, identifier: true },
    loaded_at_field: "_ingested_at",
    freshness: FRESHNESS,
    tables: ir.tables.map((t) => ({
      name: t.name,
      identifier: t.name.toUpperCase(),
      ...(t.description === undefined ? {} : { description: jinjaSafe(t.description) }),
      columns: stagingColumns(t).map(([name, type]) => ({ name, data_type: type })),
    })),
  };
  return yamlFile(ir, { version: 2, sources: [source] });
}

function acceptedValues(c: OutputColumn): Test | undefined {
  if (!c.accepted || c.accepted.length === 0) return undefined;
  const quote = c.type.kind === "string" || c.type.kind === "json";
  return { accepted_values: { values: c.accepted.map((v) => jinjaSafe(String(v))), quote } };
}

function stagingColumnTests(ir: PipelineIR, table: TableIR, c: OutputColumn): Test[] {
  const tests: Test[] = [];
  if (!c.nullable || table.rowKey.includes(c.name)) tests.push("not_null");
  if (table.kind === "main" && c.name === table.idColumn) tests.push("unique");
  const accepted = acceptedValues(c);
  if (accepted) tests.push(accepted);
  for (const r of table.references.filter((x) => x.column === c.name)) {
    // A child row without its parent is a bug; a dangling declared reference can be data arriving
    // out of order across sources, so it warns.
    const toParent = table.child?.parent === r.toTable;
    tests.push({
      relationships: {
        to: `ref('${stagingModel(ir, r.toTable)}')`,
        field: r.toColumn,
        ...(toParent ? {} : { config: { severity: "warn" } }),
      },
    });
  }
  return tests;
}

/** `a || '|' || cast(b as varchar)`: a composite key as one expression for the built-in unique test. */
export function rowKeyExpression(table: TableIR): string {
  return table.rowKey.map((k) => `cast(${k} as varchar)`).join(" || '|' || ");
}

function stagingModelProps(ir: PipelineIR, table: TableIR): object {
  const columns = table.columns.map((c) => {
    const tests = stagingColumnTests(ir, table, c);
    return describe({ name: c.name, data_type: portableType(c.type), ...(tests.length ? { data_tests: tests } : {}) }, c.description);
  });
  const meta: ColumnProps[] = [
    { name: "_source_file", data_type: "varchar", description: "Raw object key the row was read from.", data_tests: ["not_null"] },
    { name: "_source_line", data_type: "bigint", description: "Line number of the record in the raw object.", data_tests: ["not_null"] },
    { name: "_ingested_at", data_type: "timestamp", description: "When the raw object landed in the raw bucket: the S3 event's time (UTC); the raw file's modification time locally.", data_tests: ["not_null"] },
    { name: "_arrival_seq", data_type: "bigint", description: "The raw object's place in the pipeline's arrival order; the latest arrival's version of a record wins.", data_tests: ["not_null"] },
    { name: MERGE_COLUMN, data_type: "bigint", description: MERGE_DESCRIPTION },
  ];
  const props = {
    name: stagingModel(ir, table.name),
    description: jinjaSafe(table.description ?? `Rows of ${table.name}, latest file wins.`),
    columns: [...columns, ...meta],
  };
  if (table.rowKey.length < 2) return props;
  return { ...props, data_tests: [{ unique: { column_name: rowKeyExpression(table) } }] };
}

export function stagingModelsYaml(ir: PipelineIR): string {
  return yamlFile(ir, { version: 2, models: ir.tables.map((t) => stagingModelProps(ir, t)) });
}

/** not_null on grain columns that cannot be NULL: a column of a left-joined table can be, whatever its source says. */
function martColumnTests(m: MartIR, c: OutputColumn): Test[] {
  const g = m.grain.find((x) => x.name === c.name);
  return g && !c.nullable && g.table === m.from ? ["not_null"] : [];
}

function martModelProps(m: MartIR): object {
  const grain = m.grain.map((g) => g.name).join(", ");
  const columns: ColumnProps[] = [
    { name: "grain_key", data_type: "varchar", description: `md5 of the grain (${grain}); the merge key.`, data_tests: ["not_null", "unique"] },
    ...m.columns.map((c) => {
      const tests = martColumnTests(m, c);
      return describe({ name: c.name, data_type: portableType(c.type), ...(tests.length ? { data_tests: tests } : {}) }, c.description);
    }),
    { name: "_arrival_seq", data_type: "bigint", description: "The newest arrival among the group's rows.", data_tests: ["not_null"] },
    { name: MERGE_COLUMN, data_type: "bigint", description: `${MERGE_DESCRIPTION} For a group: the newest among its rows; the mart's incremental watermark is its maximum.` },
  ];
  return {
    name: m.name,
    description: jinjaSafe(m.description ?? `Mart ${m.name}, one row per ${grain}.`),
    config: { contract: { enforced: true } },
    columns,
  };
}

export function martModelsYaml(ir: PipelineIR): string {
  return yamlFile(ir, { version: 2, models: ir.marts.map(martModelProps) });
}
