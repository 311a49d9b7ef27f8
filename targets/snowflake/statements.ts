// The one Snowflake statement builder: typed statements in, SQL text out. The DDL files
// (ddl.ts) and `lakec apply` (deploy/providers/snowflake/apply.ts) both print through it, so
// what apply runs is what `lakec compile` shows in review, and neither finds statements by
// prefix or rewrites their text. Every name and literal goes through the Snowflake quoting
// printers: database, schema and role names come straight from the YAML and must not be able
// to break out of their quotes.
import { quoteIdent, quoteString } from "../../compiler/expr/print.js";
import type { ExternalTableSpec, SnowflakeObjects, StageSpec } from "./objects.js";
import { substituteAccountId } from "./objects.js";

const id = (name: string): string => quoteIdent("snowflake", name);
const str = (s: string): string => quoteString("snowflake", s);

/**
 * How a CREATE treats an existing object: the DDL files never replace (re-runs are safe), apply
 * replaces a stage or external table whose definition changed (over the same files).
 */
export type CreateMode = "if-not-exists" | "or-replace";

/** What a GRANT is on: the schema's containers, or one named object in the schema. */
export type GrantOn =
  { readonly object: "DATABASE" | "SCHEMA" | "FILE FORMAT" } | { readonly object: "STAGE" | "EXTERNAL TABLE"; readonly name: string };

export type SnowflakeStatement =
  /** Never OR REPLACE: replacing an integration rotates its external ID and breaks the IAM trust. */
  | { readonly kind: "create-integration"; readonly accountId?: string }
  /** What apply runs instead of replacing: the role and the allowed locations, in place. */
  | { readonly kind: "alter-integration"; readonly accountId: string }
  | { readonly kind: "create-schema" }
  | { readonly kind: "create-file-format" }
  | { readonly kind: "create-stage"; readonly name: string; readonly mode: CreateMode }
  | { readonly kind: "create-external-table"; readonly name: string; readonly mode: CreateMode }
  | { readonly kind: "drop"; readonly object: "STAGE" | "EXTERNAL TABLE"; readonly name: string }
  | { readonly kind: "grant"; readonly on: GrantOn; readonly role: string }
  | { readonly kind: "refresh-external-table"; readonly name: string }
  | { readonly kind: "show-external-tables" }
  | { readonly kind: "select-notification-channels" };

/** `"DB"."SCHEMA"`: the schema every object of the pipeline lives in. */
export function schemaName(o: SnowflakeObjects): string {
  return `${id(o.database)}.${id(o.schema)}`;
}

/** `"DB"."SCHEMA"."NAME"` for an object of the pipeline's schema. */
export function qualifiedName(o: SnowflakeObjects, name: string): string {
  return `${schemaName(o)}.${id(name)}`;
}

/** The desired spec by name (the name a step carries): exact first, then as Snowflake folds it. */
function spec<T extends { readonly name: string }>(all: readonly T[], name: string, what: string): T {
  const found = all.find((x) => x.name === name) ?? all.find((x) => x.name.toUpperCase() === name.toUpperCase());
  if (!found) throw new Error(`the pipeline declares no Snowflake ${what} ${name}`);
  return found;
}

function createIntegration(o: SnowflakeObjects, accountId: string | undefined): string {
  const i = o.integration;
  const role = accountId === undefined ? i.roleArn : substituteAccountId(i.roleArn, accountId);
  return [
    `CREATE STORAGE INTEGRATION IF NOT EXISTS ${id(i.name)}`,
    "  TYPE = EXTERNAL_STAGE",
    "  STORAGE_PROVIDER = 'S3'",
    "  ENABLED = TRUE",
    `  STORAGE_AWS_ROLE_ARN = ${str(role)}`,
    `  STORAGE_ALLOWED_LOCATIONS = (\n    ${i.allowedLocations.map(str).join(",\n    ")}\n  );`,
  ].join("\n");
}

function alterIntegration(o: SnowflakeObjects, accountId: string): string {
  const i = o.integration;
  const role = substituteAccountId(i.roleArn, accountId);
  return `ALTER STORAGE INTEGRATION ${id(i.name)} SET STORAGE_AWS_ROLE_ARN = ${str(role)} STORAGE_ALLOWED_LOCATIONS = (${i.allowedLocations.map(str).join(", ")});`;
}

function create(mode: CreateMode, object: string): string {
  return mode === "or-replace" ? `CREATE OR REPLACE ${object}` : `CREATE ${object} IF NOT EXISTS`;
}

function createStage(o: SnowflakeObjects, s: StageSpec, mode: CreateMode): string {
  return [
    `${create(mode, "STAGE")} ${qualifiedName(o, s.name)}`,
    `  URL = ${str(s.url)}`,
    `  STORAGE_INTEGRATION = ${id(o.integration.name)}`,
    `  FILE_FORMAT = (FORMAT_NAME = ${str(qualifiedName(o, o.fileFormat))});`,
  ].join("\n");
}

function createExternalTable(o: SnowflakeObjects, t: ExternalTableSpec, mode: CreateMode): string {
  const cols = t.columns.map((c) => `    ${id(c.name)} ${c.type} AS (${c.expr})`).join(",\n");
  const lines = [`${create(mode, "EXTERNAL TABLE")} ${qualifiedName(o, t.name)} (\n${cols}\n  )`];
  if (t.partitionBy.length > 0) lines.push(`  PARTITION BY (${t.partitionBy.map(id).join(", ")})`);
  lines.push(
    `  LOCATION = @${qualifiedName(o, t.stage)}`,
    "  REFRESH_ON_CREATE = TRUE",
    "  AUTO_REFRESH = TRUE",
    `  PATTERN = ${str(t.pattern)}`,
    `  FILE_FORMAT = (FORMAT_NAME = ${str(qualifiedName(o, o.fileFormat))})`,
  );
  if (t.comment !== undefined) lines.push(`  COMMENT = ${str(t.comment)}`);
  return `${lines.join("\n")};`;
}

function grant(o: SnowflakeObjects, on: GrantOn, role: string): string {
  const privilege = on.object === "EXTERNAL TABLE" ? "SELECT" : "USAGE";
  const target =
    "name" in on
      ? qualifiedName(o, on.name)
      : on.object === "DATABASE"
        ? id(o.database)
        : on.object === "SCHEMA"
          ? schemaName(o)
          : qualifiedName(o, o.fileFormat);
  return `GRANT ${privilege} ON ${on.object} ${target} TO ROLE ${id(role)};`;
}

/** The SQL text of one statement over the pipeline's objects. */
export function statementSql(o: SnowflakeObjects, s: SnowflakeStatement): string {
  switch (s.kind) {
    case "create-integration":
      return createIntegration(o, s.accountId);
    case "alter-integration":
      return alterIntegration(o, s.accountId);
    case "create-schema":
      return `CREATE SCHEMA IF NOT EXISTS ${schemaName(o)};`;
    case "create-file-format":
      // Logical types make Parquet TIMESTAMP(micros) and DECIMAL read as timestamps and numbers.
      return `CREATE FILE FORMAT IF NOT EXISTS ${qualifiedName(o, o.fileFormat)}\n  TYPE = PARQUET\n  USE_LOGICAL_TYPE = TRUE;`;
    case "create-stage":
      return createStage(o, spec(o.stages, s.name, "stage"), s.mode);
    case "create-external-table":
      return createExternalTable(o, spec(o.externalTables, s.name, "external table"), s.mode);
    case "drop":
      return `DROP ${s.object} IF EXISTS ${qualifiedName(o, s.name)};`;
    case "grant":
      return grant(o, s.on, s.role);
    case "refresh-external-table":
      return `ALTER EXTERNAL TABLE ${qualifiedName(o, s.name)} REFRESH;`;
    case "show-external-tables":
      return `SHOW EXTERNAL TABLES IN SCHEMA ${schemaName(o)};`;
    case "select-notification-channels": {
      const names = o.externalTables.map((t) => str(t.name)).join(", ");
      return `SELECT "name", "notification_channel"\nFROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))\nWHERE "name" IN (${names})\nORDER BY "name";`;
    }
  }
}

/** The read role's grants on the schema's containers: the database, the schema and the file format. */
export function containerGrants(role: string): SnowflakeStatement[] {
  return (["DATABASE", "SCHEMA", "FILE FORMAT"] as const).map((object) => ({ kind: "grant", on: { object }, role }));
}
