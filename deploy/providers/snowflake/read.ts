// Reads the deployed Snowflake objects with SHOW and DESC, the way a DBA would look.
import { quoteIdent, quoteString } from "../../../compiler/expr/print.js";
import type { SnowflakeObjects } from "../../../targets/snowflake/index.js";
import { qualifiedName } from "../../../targets/snowflake/statements.js";
import type { DeployedColumn, DeployedExternalTable, DeployedIntegration, SnowflakeDeployed } from "../../diff-snowflake.js";
import type { Row, SnowflakeClient } from "./client.js";

const id = (n: string): string => quoteIdent("snowflake", n);
const text = (r: Row, k: string): string => (r[k] === null || r[k] === undefined ? "" : String(r[k]));

async function readIntegration(c: SnowflakeClient, name: string): Promise<DeployedIntegration | undefined> {
  const shown = await c.query(`SHOW STORAGE INTEGRATIONS LIKE ${quoteString("snowflake", name)}`);
  if (!shown.some((r) => text(r, "name").toUpperCase() === name.toUpperCase())) return undefined;
  const props = new Map(
    (await c.query(`DESC STORAGE INTEGRATION ${id(name)}`)).map((r) => [text(r, "property"), text(r, "property_value")]),
  );
  const list = (v: string | undefined): string[] =>
    (v ?? "")
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean);
  return {
    name,
    roleArn: props.get("STORAGE_AWS_ROLE_ARN") ?? "",
    allowedLocations: list(props.get("STORAGE_ALLOWED_LOCATIONS")),
    iamUserArn: props.get("STORAGE_AWS_IAM_USER_ARN") ?? "",
    externalId: props.get("STORAGE_AWS_EXTERNAL_ID") ?? "",
  };
}

function inSchema(rows: Row[], schema: string): Row[] {
  return rows.filter((r) => text(r, "schema_name").toUpperCase() === schema.toUpperCase());
}

async function readColumns(c: SnowflakeClient, qualified: string): Promise<DeployedColumn[]> {
  const rows = await c.query(`DESC EXTERNAL TABLE ${qualified} TYPE = COLUMNS`);
  // VALUE is the raw row (kind COLUMN); the declared columns are virtual. Filtering on the name
  // rather than on `kind` keeps this right whatever the kind column says for them.
  return rows
    .filter(
      (r) =>
        !(text(r, "name") === "VALUE" && text(r, "type").toUpperCase() === "VARIANT") &&
        !text(r, "name").toUpperCase().startsWith("METADATA$"),
    )
    .map((r) => ({ name: text(r, "name"), type: text(r, "type"), partition: /METADATA\$FILENAME/i.test(text(r, "expression")) }));
}

export async function readSnowflake(c: SnowflakeClient, o: SnowflakeObjects): Promise<SnowflakeDeployed> {
  const db = id(o.database);
  const integration = await readIntegration(c, o.integration.name);
  const formats = inSchema(await c.query(`SHOW FILE FORMATS IN DATABASE ${db}`), o.schema);
  const stages = inSchema(await c.query(`SHOW STAGES IN DATABASE ${db}`), o.schema).map((r) => ({
    name: text(r, "name"),
    url: text(r, "url"),
  }));
  const tables: DeployedExternalTable[] = [];
  for (const r of inSchema(await c.query(`SHOW EXTERNAL TABLES IN DATABASE ${db}`), o.schema)) {
    const name = text(r, "name");
    const channel = text(r, "notification_channel");
    tables.push({
      name,
      location: text(r, "location"),
      ...(channel ? { notificationChannel: channel } : {}),
      columns: await readColumns(c, qualifiedName(o, name)),
    });
  }
  return {
    ...(integration ? { integration } : {}),
    fileFormat: formats.some((r) => text(r, "name").toUpperCase() === o.fileFormat.toUpperCase()),
    stages,
    externalTables: tables,
  };
}
