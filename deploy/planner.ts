// Makes a plan: read the deployed state of each selected layer through its provider, diff it
// against the desired state, and order the steps the way apply runs them. The cross-system
// wiring lives here: Snowflake's IAM user, external ID and queue ARN become stack parameters.
import type { S3Client } from "@aws-sdk/client-s3";
import type { Desired, SnowflakeWiring } from "./desired.js";
import { WIRING_PARAMETERS, wiringParameters } from "./desired.js";
import { MASKED } from "./aws-parameters.js";
import { diffAws, driftNotes, type AwsDeployed } from "./diff-aws.js";
import { diffBackfill } from "./diff-backfill.js";
import { diffLocal, type LocalDeployed } from "./diff-local.js";
import { diffPublish, type PublishDeployed } from "./diff-publish.js";
import { diffSnowflake, type SnowflakeDeployed } from "./diff-snowflake.js";
import { fingerprint, PLAN_FORMAT, type Layer, type Plan, type Step, type Target } from "./plan.js";
import type { AwsClients } from "./providers/aws/clients.js";
import { readBackfill } from "./providers/aws/backfill.js";
import { readAws } from "./providers/aws/read.js";
import { readLocal } from "./providers/local/state.js";
import { publishOwner, readPublished } from "./providers/publish/publish.js";
import { FolderStore, S3Store, parseS3Url, type PublishStore } from "./providers/publish/store.js";
import type { SnowflakeClient } from "./providers/snowflake/client.js";
import type { PipelineIR } from "../compiler/ir.js";
import { physicalNames } from "../targets/cloudformation/names.js";
import { readSnowflake } from "./providers/snowflake/read.js";

/** How deploy reaches the world. The CLI builds the real one; tests pass fakes and mocks. */
export interface DeployContext {
  readonly cwd: string;
  readonly lakeDir: string;
  /** Run CloudFormation drift detection while planning (slow on big stacks). */
  readonly drift: boolean;
  aws(): AwsClients;
  snowflake(): Promise<SnowflakeClient>;
  publishS3(): S3Client;
  readonly log: (line: string) => void;
}

export interface DeployedSnapshot {
  readonly aws?: AwsDeployed;
  readonly snowflake?: SnowflakeDeployed;
  readonly dbt?: PublishDeployed;
  readonly airflow?: PublishDeployed;
  readonly local?: LocalDeployed;
}

export function layersFor(target: Target, desired: Desired): Layer[] {
  if (target === "all") {
    const publish: Layer[] = [];
    if (desired.ir.publish.dbt) publish.push("dbt");
    if (desired.ir.publish.airflow) publish.push("airflow");
    return ["aws", "snowflake", ...publish];
  }
  return [target];
}

export function publishStore(destination: string, ctx: DeployContext): PublishStore {
  const s3 = parseS3Url(destination);
  return s3 ? new S3Store(ctx.publishS3(), s3.bucket, s3.prefix) : new FolderStore(destination, ctx.cwd);
}

/** Snowflake's side of the wiring, once the integration and the tables exist. */
export function wiringFrom(sf: SnowflakeDeployed | undefined): Partial<SnowflakeWiring> {
  const channel = sf?.externalTables.find((t) => t.notificationChannel)?.notificationChannel;
  return {
    ...(sf?.integration?.iamUserArn ? { iamUserArn: sf.integration.iamUserArn } : {}),
    ...(sf?.integration?.externalId ? { externalId: sf.integration.externalId } : {}),
    ...(channel ? { queueArn: channel } : {}),
  };
}

/**
 * The wiring values to send: Snowflake's when known, else the stack's current value (never a
 * masked `****`: those are left out, and the change set keeps the previous value).
 */
export function stackParameters(current: Readonly<Record<string, string>>, known: Partial<SnowflakeWiring>): Record<string, string> {
  const fromSnowflake = wiringParameters({
    iamUserArn: known.iamUserArn ?? "",
    externalId: known.externalId ?? "",
    queueArn: known.queueArn ?? "",
  });
  const out: Record<string, string> = {};
  for (const k of WIRING_PARAMETERS) {
    const value = fromSnowflake[k] || current[k];
    if (value !== undefined && value !== MASKED) out[k] = value;
  }
  return out;
}

async function readLayer(layer: Layer, desired: Desired, ctx: DeployContext): Promise<Partial<DeployedSnapshot>> {
  switch (layer) {
    case "aws": {
      const aws = await readAws(ctx.aws(), desired.aws({}).stackName, desired.aws({}).scripts, { drift: ctx.drift });
      return { aws: aws.stack ? { ...aws, backfill: await readBackfill(ctx.aws(), desired.ir, desired.backfill) } : aws };
    }
    case "snowflake":
      return { snowflake: await readSnowflake(await ctx.snowflake(), desired.snowflake) };
    case "dbt":
    case "airflow": {
      const destination = desired.ir.publish[layer];
      if (!destination) return {};
      return { [layer]: await readPublished(publishStore(destination, ctx), publishOwner(desired.ir), desired[layer]) };
    }
    case "local":
      return { local: await readLocal(ctx.lakeDir, desired.ir) };
  }
}

export async function readDeployed(layers: readonly Layer[], desired: Desired, ctx: DeployContext): Promise<DeployedSnapshot> {
  let snapshot: DeployedSnapshot = {};
  for (const layer of layers) snapshot = { ...snapshot, ...(await readLayer(layer, desired, ctx)) };
  return snapshot;
}

/** Per-layer hash of what the plan was computed against. Drift is excluded: it is re-detected, not planned. */
export function deployedFingerprints(layers: readonly Layer[], s: DeployedSnapshot): Partial<Record<Layer, string>> {
  const view: Record<Layer, unknown> = {
    aws: s.aws ? { stack: s.aws.stack ?? null, presentScripts: s.aws.presentScripts, backfill: s.aws.backfill ?? null } : null,
    snowflake: s.snowflake ?? null,
    dbt: s.dbt ? Object.entries(s.dbt.files).map(([p, f]) => [p, f.sha256]) : null,
    airflow: s.airflow ? Object.entries(s.airflow.files).map(([p, f]) => [p, f.sha256]) : null,
    local: s.local ?? null,
  };
  return Object.fromEntries(layers.map((l) => [l, fingerprint(view[l])]));
}

function wiringStep(snowflakeSteps: readonly Step[], known: Partial<SnowflakeWiring>): Step[] {
  const pending = snowflakeSteps.some((s) => s.action === "create" && (s.kind === "integration" || s.kind === "external-table"));
  if (!pending && known.iamUserArn && known.externalId && known.queueArn) return [];
  return [
    {
      layer: "aws",
      kind: "wiring",
      action: "update",
      resource: "stack parameters SnowflakeIamUserArn, SnowflakeExternalId, SnowflakeNotificationQueueArn",
      details: ["(known after the Snowflake steps: read from DESC STORAGE INTEGRATION and SHOW EXTERNAL TABLES)"],
      destructive: false,
      reason: "completes the IAM trust and the auto-refresh notification in the same apply",
    },
  ];
}

/** An alert topic nobody subscribes to: every alarm and failed execution goes unheard. */
export function alertWarnings(ir: PipelineIR): string[] {
  if (ir.aws.alarmEmail) return [];
  const topic = physicalNames(ir).alertTopic;
  return [
    `alerts reach nobody: the SNS topic ${topic} has no subscription in the stack (aws.alarm_email is not set). ` +
      "Set aws.alarm_email, or subscribe your on-call tooling to the topic (stack output AlertTopicArn) outside lakec.",
  ];
}

export function planFrom(desired: Desired, layers: readonly Layer[], snapshot: DeployedSnapshot): Plan {
  const known = layers.includes("snowflake") ? wiringFrom(snapshot.snowflake) : {};
  const steps: Step[] = [];
  const notes: string[] = [];
  if (layers.includes("aws") && snapshot.aws) {
    steps.push(...diffAws(desired.aws(stackParameters(snapshot.aws.stack?.parameters ?? {}, known)), snapshot.aws));
    steps.push(...diffBackfill(desired.backfill, snapshot.aws.backfill ?? { rawKeys: {} }));
    notes.push(...driftNotes(snapshot.aws));
  }
  if (layers.includes("snowflake") && snapshot.snowflake) {
    const sf = diffSnowflake(desired.snowflake, snapshot.snowflake);
    steps.push(...sf);
    if (layers.includes("aws")) steps.push(...wiringStep(sf, known));
  }
  for (const layer of ["dbt", "airflow"] as const) {
    const destination = desired.ir.publish[layer];
    if (layers.includes(layer) && destination && snapshot[layer])
      steps.push(...diffPublish(layer, destination, desired[layer], snapshot[layer]));
  }
  if (layers.includes("local") && snapshot.local) steps.push(...diffLocal(desired.local, snapshot.local));
  return {
    format: PLAN_FORMAT,
    ...(layers.includes("aws") ? { warnings: alertWarnings(desired.ir) } : {}),
    pipeline: desired.ir.name,
    pipelineFile: desired.ir.sourceFile,
    ...(desired.ir.environment && { environment: desired.ir.environment.name }),
    targets: layers,
    desired: desired.hash,
    deployed: deployedFingerprints(layers, snapshot),
    notes,
    steps,
    schedule: desired.ir.airflow.schedule,
  };
}

export async function makePlan(
  desired: Desired,
  layers: readonly Layer[],
  ctx: DeployContext,
): Promise<{ plan: Plan; snapshot: DeployedSnapshot }> {
  const snapshot = await readDeployed(layers, desired, ctx);
  return { plan: planFrom(desired, layers, snapshot), snapshot };
}
