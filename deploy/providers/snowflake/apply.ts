// Executes Snowflake steps with the statements the snowflake target emits, built by the same
// statement builder, so what `apply` runs is byte for byte what `lakec compile` shows in review,
// plus the few statements only a diff can know (ALTER of the integration, OR REPLACE of a
// changed table, DROP of a removed one), asked of the builder by kind and mode.
import type { SnowflakeObjects } from "../../../targets/snowflake/index.js";
import { containerGrants, statementSql, type SnowflakeStatement } from "../../../targets/snowflake/statements.js";
import { stepKey, type Step } from "../../plan.js";
import type { SnowflakeClient } from "./client.js";

export interface SnowflakeApplyContext {
  readonly client: SnowflakeClient;
  readonly objects: SnowflakeObjects;
  /** Needed only to create or alter the integration: its role lives in that AWS account. */
  readonly awsAccountId?: string;
  readonly log: (line: string) => void;
}

function needAccount(ctx: SnowflakeApplyContext): string {
  if (!ctx.awsAccountId)
    throw new Error("the storage integration's role ARN needs the AWS account id: apply the aws target first, or set LAKEC_AWS_ACCOUNT_ID");
  return ctx.awsAccountId;
}

function readGrant(o: SnowflakeObjects, object: "STAGE" | "EXTERNAL TABLE", name: string): SnowflakeStatement[] {
  return o.readRole === undefined ? [] : [{ kind: "grant", on: { object, name }, role: o.readRole }];
}

/** The typed statements one step runs, in order. */
function stepPlan(step: Step, ctx: SnowflakeApplyContext): SnowflakeStatement[] {
  if (step.layer !== "snowflake") throw new Error(`not a Snowflake step: ${stepKey(step)}`);
  const o = ctx.objects;
  const { kind, name } = step;
  const schema: SnowflakeStatement = { kind: "create-schema" };
  switch (`${kind}/${step.action}`) {
    case "integration/create":
      return [{ kind: "create-integration", accountId: needAccount(ctx) }];
    case "integration/update":
      return [{ kind: "alter-integration", accountId: needAccount(ctx) }];
    case "file-format/create":
      return [schema, { kind: "create-file-format" }];
    case "stage/create":
      return [schema, { kind: "create-stage", name, mode: "if-not-exists" }, ...readGrant(o, "STAGE", name)];
    case "stage/replace":
      return [{ kind: "create-stage", name, mode: "or-replace" }, ...readGrant(o, "STAGE", name)];
    case "stage/destroy":
      return [{ kind: "drop", object: "STAGE", name }];
    case "external-table/create":
      return [{ kind: "create-external-table", name, mode: "if-not-exists" }, ...readGrant(o, "EXTERNAL TABLE", name)];
    case "external-table/replace":
      return [{ kind: "create-external-table", name, mode: "or-replace" }, ...readGrant(o, "EXTERNAL TABLE", name)];
    case "external-table/destroy":
      return [{ kind: "drop", object: "EXTERNAL TABLE", name }];
    default:
      throw new Error(`no Snowflake statements for step ${stepKey(step)} (${step.action})`);
  }
}

/** The statements one step runs, in order. Pure, so tests can read them. */
export function stepStatements(step: Step, ctx: SnowflakeApplyContext): string[] {
  return stepPlan(step, ctx).map((st) => statementSql(ctx.objects, st));
}

/** Database, schema and file format usage for the read role; GRANT is idempotent, so it is safe to repeat. */
function usageGrants(o: SnowflakeObjects): string[] {
  return o.readRole === undefined ? [] : containerGrants(o.readRole).map((st) => statementSql(o, st));
}

/**
 * The auto-refresh guide's last step, once the bucket notifies the tables' channel: files that
 * landed before (between CREATE and the wiring) are registered, deleted ones dropped.
 * https://docs.snowflake.com/en/user-guide/tables-external-s3
 */
export async function refreshExternalTables(client: SnowflakeClient, o: SnowflakeObjects, log: (line: string) => void): Promise<void> {
  for (const t of o.externalTables) {
    log(`snowflake: refresh external table ${t.name}`);
    await client.query(statementSql(o, { kind: "refresh-external-table", name: t.name }));
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
