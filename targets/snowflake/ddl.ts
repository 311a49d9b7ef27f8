// Prints the Snowflake objects as DDL files, numbered in the order they must run. Every name
// and literal goes through the Snowflake quoting printers: database, schema and role names come
// straight from the YAML and must not be able to break out of their quotes.
import type { PipelineIR } from "../../compiler/ir.js";
import { quoteIdent, quoteString } from "../../compiler/expr/print.js";
import { generatedBy, sqlComment } from "../text-escape.js";
import type { ExternalTableSpec, SnowflakeObjects } from "./objects.js";
import { AWS_ACCOUNT_ID_VARIABLE } from "./objects.js";

const id = (name: string): string => quoteIdent("snowflake", name);
const str = (s: string): string => quoteString("snowflake", s);

export interface DdlFile {
  readonly name: string;
  readonly statements: readonly string[];
  /** Comment lines printed after the header: why the file looks the way it does. */
  readonly notes: readonly string[];
}

function qualified(o: SnowflakeObjects, name: string): string {
  return `${id(o.database)}.${id(o.schema)}.${id(name)}`;
}

function integrationFile(o: SnowflakeObjects): DdlFile {
  const i = o.integration;
  const locations = i.allowedLocations.map(str).join(",\n    ");
  return {
    name: "01_integration.sql",
    notes: [
      "Never CREATE OR REPLACE: replacing an integration rotates its external ID and silently breaks the IAM trust.",
      "Allowed locations are exactly the table prefixes; `lakec apply` alters them when tables are added.",
      `The role ARN contains the SnowSQL variable &{${AWS_ACCOUNT_ID_VARIABLE}}: run this file with`,
      `  snowsql -o variable_substitution=true -D ${AWS_ACCOUNT_ID_VARIABLE}=<12-digit account id> -f 01_integration.sql`,
      "`lakec apply` substitutes it itself.",
    ],
    statements: [
      [
        `CREATE STORAGE INTEGRATION IF NOT EXISTS ${id(i.name)}`,
        "  TYPE = EXTERNAL_STAGE",
        "  STORAGE_PROVIDER = 'S3'",
        "  ENABLED = TRUE",
        `  STORAGE_AWS_ROLE_ARN = ${str(i.roleArn)}`,
        `  STORAGE_ALLOWED_LOCATIONS = (\n    ${locations}\n  );`,
      ].join("\n"),
    ],
  };
}

function stageFile(o: SnowflakeObjects): DdlFile {
  const format = qualified(o, o.fileFormat);
  const stages = o.stages.map((s) =>
    [
      `CREATE STAGE IF NOT EXISTS ${qualified(o, s.name)}`,
      `  URL = ${str(s.url)}`,
      `  STORAGE_INTEGRATION = ${id(o.integration.name)}`,
      `  FILE_FORMAT = (FORMAT_NAME = ${str(format)});`,
    ].join("\n"),
  );
  return {
    name: "02_file_format_stage.sql",
    notes: ["One stage per table prefix, so no stage can read the Glue scripts under `_lakec/`."],
    statements: [
      `CREATE SCHEMA IF NOT EXISTS ${id(o.database)}.${id(o.schema)};`,
      // Logical types make Parquet TIMESTAMP(micros) and DECIMAL read as timestamps and numbers.
      `CREATE FILE FORMAT IF NOT EXISTS ${format}\n  TYPE = PARQUET\n  USE_LOGICAL_TYPE = TRUE;`,
      ...stages,
    ],
  };
}

function externalTable(o: SnowflakeObjects, t: ExternalTableSpec): string {
  const cols = t.columns.map((c) => `    ${id(c.name)} ${c.type} AS (${c.expr})`).join(",\n");
  const lines = [`CREATE EXTERNAL TABLE IF NOT EXISTS ${qualified(o, t.name)} (\n${cols}\n  )`];
  if (t.partitionBy.length > 0) lines.push(`  PARTITION BY (${t.partitionBy.map(id).join(", ")})`);
  lines.push(
    `  LOCATION = @${qualified(o, t.stage)}`,
    "  REFRESH_ON_CREATE = TRUE",
    "  AUTO_REFRESH = TRUE",
    `  PATTERN = ${str(t.pattern)}`,
    `  FILE_FORMAT = (FORMAT_NAME = ${str(qualified(o, o.fileFormat))})`,
  );
  if (t.comment !== undefined) lines.push(`  COMMENT = ${str(t.comment)}`);
  return `${lines.join("\n")};`;
}

function externalTablesFile(o: SnowflakeObjects): DdlFile {
  return {
    name: "03_external_tables.sql",
    notes: [
      "IF NOT EXISTS keeps re-runs safe; column and partition changes are diffed and applied by `lakec plan/apply`.",
      "Partition columns are parsed from METADATA$FILENAME, matching the hive layout the flatten job writes.",
    ],
    statements: o.externalTables.map((t) => externalTable(o, t)),
  };
}

function grantsFile(o: SnowflakeObjects, role: string): DdlFile {
  const r = id(role);
  return {
    name: "04_grants.sql",
    notes: [
      "Read access for the pipeline's read role: the schema, the file format and stages the external tables read, and the tables.",
      "Querying an external table needs USAGE on its stage and its file format (Snowflake access control privileges).",
    ],
    statements: [
      `GRANT USAGE ON DATABASE ${id(o.database)} TO ROLE ${r};`,
      `GRANT USAGE ON SCHEMA ${id(o.database)}.${id(o.schema)} TO ROLE ${r};`,
      fileFormatGrant(o, role),
      ...o.stages.map((s) => `GRANT USAGE ON STAGE ${qualified(o, s.name)} TO ROLE ${r};`),
      ...o.externalTables.map((t) => `GRANT SELECT ON EXTERNAL TABLE ${qualified(o, t.name)} TO ROLE ${r};`),
    ],
  };
}

function notificationFile(o: SnowflakeObjects): DdlFile {
  const names = o.externalTables.map((t) => str(t.name)).join(", ");
  return {
    name: "05_notification_channels.sql",
    notes: [
      "The SQS queue each external table listens on for auto-refresh. `lakec apply` reads it and wires",
      "it into the processed bucket's event notification.",
    ],
    statements: [
      `SHOW EXTERNAL TABLES IN SCHEMA ${id(o.database)}.${id(o.schema)};`,
      `SELECT "name", "notification_channel"\nFROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))\nWHERE "name" IN (${names})\nORDER BY "name";`,
    ],
  };
}

/** Read role's USAGE on the file format: shared by the grants file and `lakec apply`. */
export function fileFormatGrant(o: SnowflakeObjects, role: string): string {
  return `GRANT USAGE ON FILE FORMAT ${qualified(o, o.fileFormat)} TO ROLE ${id(role)};`;
}

/** `ALTER EXTERNAL TABLE … REFRESH` for one table: shared by the refresh file and `lakec apply`. */
export function refreshStatement(o: SnowflakeObjects, table: string): string {
  return `ALTER EXTERNAL TABLE ${qualified(o, table)} REFRESH;`;
}

function refreshFile(o: SnowflakeObjects): DdlFile {
  return {
    name: "06_refresh.sql",
    notes: [
      "Run once the processed bucket sends its notifications to the channel of 05 (`lakec apply` wires it and then runs this).",
      "Files written after 03 created the tables and before the notifications existed are otherwise never registered;",
      "REFRESH adds them and removes files deleted meanwhile. Auto-refresh keeps the tables current from then on.",
    ],
    statements: o.externalTables.map((t) => refreshStatement(o, t.name)),
  };
}

/** The DDL files in run order. */
export function ddlFiles(o: SnowflakeObjects): DdlFile[] {
  const files = [integrationFile(o), stageFile(o), externalTablesFile(o)];
  if (o.readRole !== undefined) files.push(grantsFile(o, o.readRole));
  files.push(notificationFile(o), refreshFile(o));
  return files;
}

export function renderDdlFile(ir: PipelineIR, f: DdlFile): string {
  const header = sqlComment(generatedBy(ir.sourceFile));
  const notes = f.notes.map((n) => `-- ${n}`);
  return `${[header, ...notes].join("\n")}\n\n${f.statements.join("\n\n")}\n`;
}
