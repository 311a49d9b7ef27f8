// Executes a plan, layer by layer, in the order one apply needs: AWS (buckets, role, jobs) →
// Snowflake (integration, stages, external tables) → AWS again with Snowflake's IAM user,
// external ID and queue ARN as stack parameters → dbt and Airflow files → the local lake.
// Each layer re-reads what it touches, so a re-run after an interruption converges.
import { holds } from "./aws-parameters.js";
import type { Desired } from "./desired.js";
import { hasChanges, type Layer, type Plan, type Step } from "./plan.js";
import type { DeployContext, DeployedSnapshot } from "./planner.js";
import { publishStore, stackParameters, wiringFrom } from "./planner.js";
import { OUTPUTS } from "../targets/cloudformation/names.js";
import { applyAws, templateUploader } from "./providers/aws/apply.js";
import { startBackfill, writeBackfillState } from "./providers/aws/backfill.js";
import { deployStack } from "./providers/aws/changeset.js";
import { describeStack } from "./providers/aws/read.js";
import { applyLocal, type LocalApplyResult } from "./providers/local/apply.js";
import { publish, publishOwner } from "./providers/publish/publish.js";
import { applySnowflake, refreshExternalTables } from "./providers/snowflake/apply.js";
import { readSnowflake } from "./providers/snowflake/read.js";

export class DestructiveStepsRefused extends Error {
  override readonly name = "DestructiveStepsRefused";
}

export interface ApplyOptions {
  readonly allowDestructive: boolean;
  /** Shows a change set (or any late-known steps) the way plan shows steps. */
  readonly showChanges: (steps: readonly Step[]) => void;
  /** LAKEC_AWS_ACCOUNT_ID, for a Snowflake-only apply that creates the integration. */
  readonly awsAccountId?: string;
}

export interface ApplyResult {
  readonly applied: readonly Layer[];
  readonly local?: LocalApplyResult;
  readonly problems: readonly string[];
}

/** Refuses before anything runs: a destructive step must never be half of an apply. */
export function checkDestructive(plan: Plan, allow: boolean): void {
  const bad = plan.steps.filter((s) => s.destructive);
  if (bad.length && !allow) {
    throw new DestructiveStepsRefused(
      `the plan has ${bad.length} destructive step(s): ${bad.map((s) => `${s.layer} ${s.resource}`).join("; ")}. Re-run with --allow-destructive to accept`,
    );
  }
}

function accountFromStackId(stackId: string | undefined): string | undefined {
  return /^arn:aws[a-z-]*:cloudformation:[^:]+:(\d{12}):/.exec(stackId ?? "")?.[1];
}

async function awsAccountId(plan: Plan, desired: Desired, ctx: DeployContext, o: ApplyOptions): Promise<string | undefined> {
  if (o.awsAccountId) return o.awsAccountId;
  if (!plan.targets.includes("aws")) return undefined;
  return accountFromStackId((await describeStack(ctx.aws(), desired.aws({}).stackName))?.StackId);
}

async function applyWiring(desired: Desired, ctx: DeployContext, o: ApplyOptions): Promise<void> {
  const sf = await readSnowflake(await ctx.snowflake(), desired.snowflake);
  const stack = await describeStack(ctx.aws(), desired.aws({}).stackName);
  const current = Object.fromEntries((stack?.Parameters ?? []).map((p) => [p.ParameterKey ?? "", p.ParameterValue ?? ""]));
  const tags = Object.fromEntries((stack?.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
  const wanted = stackParameters(current, wiringFrom(sf));
  if (!Object.entries(wanted).every(([k, v]) => holds({ parameters: current, tags }, k, v) === true)) {
    ctx.log("aws: wiring Snowflake's IAM user, external ID and queue ARN into the stack parameters");
    const aws = desired.aws(wanted);
    await deployStack(ctx.aws(), {
      stackName: aws.stackName,
      templateBody: aws.templateBody,
      uploadTemplate: templateUploader(ctx.aws(), aws, desired.ir.aws.region),
      parameters: wanted,
      allowDestructive: o.allowDestructive,
      log: ctx.log,
      showChanges: o.showChanges,
    });
  }
  // Always, not only when the wiring changed: an apply interrupted after the wiring must still
  // register the files that landed before the notifications existed.
  await refreshExternalTables(await ctx.snowflake(), desired.snowflake, ctx.log);
}

/** After the new scripts are live: re-run stale raw objects, then record the semantics. */
async function backfill(plan: Plan, desired: Desired, ctx: DeployContext): Promise<void> {
  if (plan.steps.some((s) => s.layer === "aws" && s.kind === "backfill")) {
    const stack = await describeStack(ctx.aws(), desired.aws({}).stackName);
    const arn = stack?.Outputs?.find((x) => x.OutputKey === OUTPUTS.stateMachineArn)?.OutputValue;
    if (!arn) throw new Error(`stack ${desired.aws({}).stackName} has no ${OUTPUTS.stateMachineArn} output to start the backfill with`);
    await startBackfill(ctx.aws(), desired.ir, plan.steps, arn, desired.backfill.semantics, ctx.log);
  }
  await writeBackfillState(ctx.aws(), desired.ir, desired.backfill);
}

async function applyCloud(plan: Plan, desired: Desired, snapshot: DeployedSnapshot, ctx: DeployContext, o: ApplyOptions): Promise<Layer[]> {
  const applied: Layer[] = [];
  const has = (layer: Layer, pred: (s: Step) => boolean = () => true): boolean =>
    plan.steps.some((s) => s.layer === layer && s.action !== "noop" && pred(s));
  if (has("aws", (s) => s.kind !== "wiring")) {
    const bucketInStack = desired.ir.aws.artifactsBucket === desired.ir.aws.processedBucket;
    const aws = desired.aws(stackParameters(snapshot.aws?.stack?.parameters ?? {}, wiringFrom(snapshot.snowflake)));
    await applyAws(ctx.aws(), aws, bucketInStack, {
      allowDestructive: o.allowDestructive,
      log: ctx.log,
      showChanges: o.showChanges,
      region: desired.ir.aws.region,
    });
    await backfill(plan, desired, ctx);
    applied.push("aws");
  }
  if (has("snowflake")) {
    const accountId = await awsAccountId(plan, desired, ctx, o);
    await applySnowflake(plan.steps, {
      client: await ctx.snowflake(),
      objects: desired.snowflake,
      log: ctx.log,
      ...(accountId ? { awsAccountId: accountId } : {}),
    });
    applied.push("snowflake");
  }
  if (
    plan.targets.includes("aws") &&
    plan.targets.includes("snowflake") &&
    (has("snowflake") || has("aws", (s) => s.kind === "wiring" || s.kind === "parameters"))
  ) {
    await applyWiring(desired, ctx, o);
  }
  for (const layer of ["dbt", "airflow"] as const) {
    const destination = desired.ir.publish[layer];
    if (!destination || !has(layer)) continue;
    await publish(
      publishStore(destination, ctx),
      publishOwner(desired.ir),
      plan.steps.filter((s) => s.layer === layer),
      desired[layer],
      ctx.log,
    );
    applied.push(layer);
  }
  return applied;
}

export async function applyPlan(
  plan: Plan,
  desired: Desired,
  snapshot: DeployedSnapshot,
  ctx: DeployContext,
  o: ApplyOptions,
): Promise<ApplyResult> {
  checkDestructive(plan, o.allowDestructive);
  if (!hasChanges(plan)) return { applied: [], problems: [] };
  const applied = await applyCloud(plan, desired, snapshot, ctx, o);
  if (!plan.steps.some((s) => s.layer === "local")) return { applied, problems: [] };
  const local = await applyLocal(ctx.lakeDir, desired.ir, plan.steps, {
    log: ctx.log,
    ...(desired.dbtProject && { dbtProject: desired.dbtProject }),
  });
  return { applied: [...applied, "local"], local, problems: local.problems };
}
