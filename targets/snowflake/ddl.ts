// Prints the Snowflake objects as DDL files, numbered in the order they must run: which
// statements go in which file, with the notes that explain it. The SQL text of each statement
// comes from the one statement builder (statements.ts) that `lakec apply` uses too.
import type { PipelineIR } from "../../compiler/ir.js";
import { generatedBy, sqlComment } from "../text-escape.js";
import type { SnowflakeObjects } from "./objects.js";
import { AWS_ACCOUNT_ID_VARIABLE } from "./objects.js";
import { containerGrants, statementSql, type SnowflakeStatement } from "./statements.js";

export interface DdlFile {
  readonly name: string;
  readonly statements: readonly string[];
  /** Comment lines printed after the header: why the file looks the way it does. */
  readonly notes: readonly string[];
}

function file(o: SnowflakeObjects, name: string, notes: readonly string[], statements: readonly SnowflakeStatement[]): DdlFile {
  return { name, notes, statements: statements.map((st) => statementSql(o, st)) };
}

function integrationFile(o: SnowflakeObjects): DdlFile {
  const notes = [
    "Never CREATE OR REPLACE: replacing an integration rotates its external ID and silently breaks the IAM trust.",
    "Allowed locations are exactly the table prefixes; `lakec apply` alters them when tables are added.",
    `The role ARN contains the SnowSQL variable &{${AWS_ACCOUNT_ID_VARIABLE}}: run this file with`,
    `  snowsql -o variable_substitution=true -D ${AWS_ACCOUNT_ID_VARIABLE}=<12-digit account id> -f 01_integration.sql`,
    "`lakec apply` substitutes it itself.",
  ];
  return file(o, "01_integration.sql", notes, [{ kind: "create-integration" }]);
}

function stageFile(o: SnowflakeObjects): DdlFile {
  const notes = ["One stage per table prefix, so no stage can read the Glue scripts under `_lakec/`."];
  const stages = o.stages.map((st): SnowflakeStatement => ({ kind: "create-stage", name: st.name, mode: "if-not-exists" }));
  return file(o, "02_file_format_stage.sql", notes, [{ kind: "create-schema" }, { kind: "create-file-format" }, ...stages]);
}

function externalTablesFile(o: SnowflakeObjects): DdlFile {
  const notes = [
    "IF NOT EXISTS keeps re-runs safe; column and partition changes are diffed and applied by `lakec plan/apply`.",
    "Partition columns are parsed from METADATA$FILENAME, matching the hive layout the flatten job writes.",
  ];
  return file(
    o,
    "03_external_tables.sql",
    notes,
    o.externalTables.map((t) => ({ kind: "create-external-table", name: t.name, mode: "if-not-exists" })),
  );
}

function grantsFile(o: SnowflakeObjects, role: string): DdlFile {
  const notes = [
    "Read access for the pipeline's read role: the schema, the file format and stages the external tables read, and the tables.",
    "Querying an external table needs USAGE on its stage and its file format (Snowflake access control privileges).",
  ];
  return file(o, "04_grants.sql", notes, [
    ...containerGrants(role),
    ...o.stages.map((st): SnowflakeStatement => ({ kind: "grant", on: { object: "STAGE", name: st.name }, role })),
    ...o.externalTables.map((t): SnowflakeStatement => ({ kind: "grant", on: { object: "EXTERNAL TABLE", name: t.name }, role })),
  ]);
}

function notificationFile(o: SnowflakeObjects): DdlFile {
  const notes = [
    "The SQS queue each external table listens on for auto-refresh. `lakec apply` reads it and wires",
    "it into the processed bucket's event notification.",
  ];
  return file(o, "05_notification_channels.sql", notes, [{ kind: "show-external-tables" }, { kind: "select-notification-channels" }]);
}

function refreshFile(o: SnowflakeObjects): DdlFile {
  const notes = [
    "Run once the processed bucket sends its notifications to the channel of 05 (`lakec apply` wires it and then runs this).",
    "Files written after 03 created the tables and before the notifications existed are otherwise never registered;",
    "REFRESH adds them and removes files deleted meanwhile. Auto-refresh keeps the tables current from then on.",
  ];
  return file(
    o,
    "06_refresh.sql",
    notes,
    o.externalTables.map((t) => ({ kind: "refresh-external-table", name: t.name })),
  );
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
