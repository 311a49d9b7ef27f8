// Executes Snowflake steps with the DDL the snowflake target emits, so what `apply` runs is
// byte for byte what `lakec compile` shows in review, plus the few statements only a diff can
// know (ALTER of the integration, OR REPLACE of a changed table, DROP of a removed one).
import { quoteIdent, quoteString } from "../../../compiler/expr/print.js";
import type { SnowflakeObjects } from "../../../targets/snowflake/index.js";
import { substituteAccountId } from "../../../targets/snowflake/index.js";
import { ddlFiles, fileFormatGrant, refreshStatement } from "../../../targets/snowflake/ddl.js";
import { stepKey, type Step } from "../../plan.js";
import type { SnowflakeClient } from "./client.js";

const id = (n: string): string => quoteIdent("snowflake", n);
const str = (s: string): string => quoteString("snowflake", s);

export interface SnowflakeApplyContext {
  readonly client: SnowflakeClient;
  readonly objects: SnowflakeObjects;
  /** Needed only to create or alter the integration: its role lives in that AWS account. */
  readonly awsAccountId?: string;
  readonly log: (line: string) => void;
}

function statements(o: SnowflakeObjects): string[] {
  return ddlFiles(o).flatMap((f) => [...f.statements]);
}

function qualified(o: SnowflakeObjects, name: string): string {
  return `${id(o.database)}.${id(o.schema)}.${id(name)}`;
}

function find(o: SnowflakeObjects, head: string): string {
  const s = statements(o).find((x) => x.startsWith(head));
  if (!s) throw new Error(`snowflake target emitted no statement starting with '${head}'`);
  return s;
}

function needAccount(ctx: SnowflakeApplyContext): string {
  if (!ctx.awsAccountId) throw new Error("the storage integration's role ARN needs the AWS account id: apply the aws target first, or set LAKEC_AWS_ACCOUNT_ID");
  return ctx.awsAccountId;
}

function integrationAlter(ctx: SnowflakeApplyContext): string {
  const i = ctx.objects.integration;
  const role = substituteAccountId(i.roleArn, needAccount(ctx));
  return `ALTER STORAGE INTEGRATION ${id(i.name)} SET STORAGE_AWS_ROLE_ARN = ${str(role)} STORAGE_ALLOWED_LOCATIONS = (${i.allowedLocations.map(str).join(", ")});`;
}

function grantsFor(o: SnowflakeObjects, kind: "STAGE" | "EXTERNAL TABLE", name: string): string[] {
  if (o.readRole === undefined) return [];
  return [`GRANT ${kind === "STAGE" ? "USAGE" : "SELECT"} ON ${kind} ${qualified(o, name)} TO ROLE ${id(o.readRole)};`];
}

/** The statements one step runs, in order. Pure, so tests can read them. */
export function stepStatements(step: Step, ctx: SnowflakeApplyContext): string[] {
  const o = ctx.objects;
  if (step.layer !== "snowflake") throw new Error(`not a Snowflake step: ${stepKey(step)}`);
  const { kind, name } = step;
  const schema = `CREATE SCHEMA IF NOT EXISTS ${id(o.database)}.${id(o.schema)};`;
  switch (`${kind}/${step.action}`) {
    case "integration/create":
      return [substituteAccountId(find(o, `CREATE STORAGE INTEGRATION IF NOT EXISTS ${id(name)}`), needAccount(ctx))];
    case "integration/update":
      return [integrationAlter(ctx)];
    case "file-format/create":
      return [schema, find(o, `CREATE FILE FORMAT IF NOT EXISTS ${qualified(o, name)}`)];
    case "stage/create":
      return [schema, find(o, `CREATE STAGE IF NOT EXISTS ${qualified(o, name)}\n`), ...grantsFor(o, "STAGE", name)];
    case "stage/replace":
      return [find(o, `CREATE STAGE IF NOT EXISTS ${qualified(o, name)}\n`).replace("CREATE STAGE IF NOT EXISTS", "CREATE OR REPLACE STAGE"), ...grantsFor(o, "STAGE", name)];
    case "stage/destroy":
      return [`DROP STAGE IF EXISTS ${qualified(o, name)};`];
    case "external-table/create":
      return [find(o, `CREATE EXTERNAL TABLE IF NOT EXISTS ${qualified(o, name)} (`), ...grantsFor(o, "EXTERNAL TABLE", name)];
    case "external-table/replace":
      return [
        find(o, `CREATE EXTERNAL TABLE IF NOT EXISTS ${qualified(o, name)} (`).replace("CREATE EXTERNAL TABLE IF NOT EXISTS", "CREATE OR REPLACE EXTERNAL TABLE"),
        ...grantsFor(o, "EXTERNAL TABLE", name),
      ];
    case "external-table/destroy":
      return [`DROP EXTERNAL TABLE IF EXISTS ${qualified(o, name)};`];
    default:
      throw new Error(`no Snowflake statements for step ${stepKey(step)} (${step.action})`);
  }
}

/** Database and schema usage for the read role; GRANT is idempotent, so it is safe to repeat. */
function usageGrants(o: SnowflakeObjects): string[] {
  if (o.readRole === undefined) return [];
  const r = id(o.readRole);
  return [`GRANT USAGE ON DATABASE ${id(o.database)} TO ROLE ${r};`, `GRANT USAGE ON SCHEMA ${id(o.database)}.${id(o.schema)} TO ROLE ${r};`, fileFormatGrant(o, o.readRole)];
}

/**
 * The auto-refresh guide's last step, once the bucket notifies the tables' channel: files that
 * landed before (between CREATE and the wiring) are registered, deleted ones dropped.
 * https://docs.snowflake.com/en/user-guide/tables-external-s3
 */
export async function refreshExternalTables(client: SnowflakeClient, o: SnowflakeObjects, log: (line: string) => void): Promise<void> {
  for (const t of o.externalTables) {
    log(`snowflake: refresh external table ${t.name}`);
    await client.query(refreshStatement(o, t.name));
  }
}

export async function applySnowflake(steps: readonly Step[], ctx: SnowflakeApplyContext): Promise<void> {
  const mine = steps.filter((s) => s.layer === "snowflake" && s.action !== "noop");
  for (const step of mine) {
    ctx.log(`snowflake: ${step.action} ${step.resource}`);
    for (const sql of stepStatements(step, ctx)) await ctx.client.query(sql);
  }
  if (mine.length) for (const sql of usageGrants(ctx.objects)) await ctx.client.query(sql);
}
