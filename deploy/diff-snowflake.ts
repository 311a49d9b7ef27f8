// Snowflake: the desired objects (from the snowflake target) against what SHOW/DESC report.
// External tables are metadata over Parquet, so changing one means CREATE OR REPLACE: the
// data stays in S3 and REFRESH_ON_CREATE re-registers the files. Dropping one still breaks
// every consumer, so it is destructive.
import type { SnowflakeObjects, VirtualColumn } from "../targets/snowflake/index.js";
import type { Step } from "./plan.js";
import { isNarrowing, normalizeSnowflakeType } from "./snowflake-types.js";

export interface DeployedIntegration {
  readonly name: string;
  readonly roleArn: string;
  readonly allowedLocations: readonly string[];
  readonly iamUserArn: string;
  readonly externalId: string;
}

export interface DeployedColumn {
  readonly name: string;
  readonly type: string;
  readonly partition: boolean;
}

export interface DeployedExternalTable {
  readonly name: string;
  /** The stage URL the table reads (SHOW EXTERNAL TABLES `location`). */
  readonly location: string;
  readonly notificationChannel?: string;
  readonly columns: readonly DeployedColumn[];
}

export interface SnowflakeDeployed {
  readonly integration?: DeployedIntegration;
  readonly fileFormat: boolean;
  readonly stages: readonly { readonly name: string; readonly url: string }[];
  readonly externalTables: readonly DeployedExternalTable[];
}

const ACCOUNT_VARIABLE = /&\{[a-z_]+\}/g;

/** The desired role ARN carries `&{aws_account_id}`; any 12-digit account matches it. */
function roleArnMatches(desired: string, deployed: string): boolean {
  const re = desired
    .split(ACCOUNT_VARIABLE)
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join("[0-9]{12}");
  return new RegExp(`^${re}$`).test(deployed);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && [...sa].every((x) => b.includes(x));
}

function integrationSteps(d: SnowflakeObjects, dep: SnowflakeDeployed): Step[] {
  const i = d.integration;
  const key = { layer: "snowflake", kind: "integration", name: i.name } as const;
  const resource = `storage integration ${i.name}`;
  if (!dep.integration) {
    const details = [`role ${i.roleArn}`, ...i.allowedLocations.map((l) => `+ allowed location ${l}`)];
    return [{ ...key, action: "create", resource, details, destructive: false, reason: "the integration does not exist" }];
  }
  const details: string[] = [];
  const have = dep.integration.allowedLocations;
  for (const l of i.allowedLocations) if (!have.includes(l)) details.push(`+ allowed location ${l}`);
  for (const l of have) if (!i.allowedLocations.includes(l)) details.push(`- allowed location ${l}`);
  if (!roleArnMatches(i.roleArn, dep.integration.roleArn)) details.push(`~ role ${dep.integration.roleArn} → ${i.roleArn}`);
  if (!details.length && sameSet(have, i.allowedLocations)) return [];
  // ALTER, never CREATE OR REPLACE: replacing rotates the external ID and breaks the IAM trust.
  return [
    {
      ...key,
      action: "update",
      resource,
      details,
      destructive: false,
      reason: "allowed locations or role differ (ALTER, keeps the external ID)",
    },
  ];
}

function columnDiff(want: readonly VirtualColumn[], have: readonly DeployedColumn[]): { lines: string[]; narrowing: string[] } {
  const lines: string[] = [];
  const narrowing: string[] = [];
  const byName = new Map(have.map((c) => [c.name.toUpperCase(), c]));
  for (const c of want) {
    const old = byName.get(c.name.toUpperCase());
    const type = normalizeSnowflakeType(c.type);
    if (!old) {
      lines.push(`+ ${c.partition ? "partition" : "column"} ${c.name.toUpperCase()} ${type}`);
      continue;
    }
    const oldType = normalizeSnowflakeType(old.type);
    if (oldType !== type) {
      lines.push(`~ column ${c.name.toUpperCase()} ${oldType} → ${type}`);
      if (isNarrowing(oldType, type)) narrowing.push(`${c.name.toUpperCase()} ${oldType} → ${type}`);
    }
    if (old.partition !== c.partition)
      lines.push(`~ ${c.name.toUpperCase()} ${c.partition ? "becomes a partition column" : "is no longer a partition column"}`);
  }
  const wanted = new Set(want.map((c) => c.name.toUpperCase()));
  for (const c of have)
    if (!wanted.has(c.name.toUpperCase()))
      lines.push(`- ${c.partition ? "partition" : "column"} ${c.name.toUpperCase()} ${normalizeSnowflakeType(c.type)}`);
  return { lines, narrowing };
}

function externalTableSteps(d: SnowflakeObjects, dep: SnowflakeDeployed): Step[] {
  const steps: Step[] = [];
  const stageUrl = new Map(d.stages.map((s) => [s.name, s.url]));
  for (const t of d.externalTables) {
    const key = { layer: "snowflake", kind: "external-table", name: t.name } as const;
    const resource = `external table ${t.name}`;
    const url = stageUrl.get(t.stage) ?? "";
    const old = dep.externalTables.find((x) => x.name.toUpperCase() === t.name.toUpperCase());
    if (!old) {
      const details = [
        `location ${url}`,
        ...t.columns.map((c) => `+ ${c.partition ? "partition" : "column"} ${c.name.toUpperCase()} ${normalizeSnowflakeType(c.type)}`),
      ];
      steps.push({ ...key, action: "create", resource, details, destructive: false, reason: "the external table does not exist" });
      continue;
    }
    const { lines, narrowing } = columnDiff(t.columns, old.columns);
    if (old.location !== url) lines.unshift(`~ location ${old.location} → ${url}`);
    if (!lines.length) continue;
    const reason = narrowing.length
      ? `narrowing ${narrowing.join(", ")}: Parquet values that do not fit the new type can no longer be read`
      : "columns, partitions or location changed: recreated over the same Parquet files";
    steps.push({
      ...key,
      action: "replace",
      resource,
      details: lines,
      destructive: narrowing.length > 0,
      reason,
      impact: { externalTables: [t.name] },
    });
  }
  const wanted = new Set(d.externalTables.map((t) => t.name.toUpperCase()));
  const ours = new Set(d.stages.map((s) => s.url));
  const prefix = commonBucketPrefix(d);
  for (const old of dep.externalTables) {
    if (wanted.has(old.name.toUpperCase()) || !(ours.has(old.location) || old.location.startsWith(prefix))) continue;
    steps.push({
      layer: "snowflake",
      kind: "external-table",
      name: old.name,
      action: "destroy",
      resource: `external table ${old.name}`,
      details: [`location ${old.location}`],
      destructive: true,
      reason: "no longer in the pipeline: queries and models reading it will fail (the Parquet stays in S3)",
    });
  }
  return steps;
}

/** `s3://processed-bucket/`: external tables over it that the pipeline no longer declares are ours to drop. */
function commonBucketPrefix(d: SnowflakeObjects): string {
  const first = d.stages[0]?.url ?? "s3://";
  return first.replace(/^(s3:\/\/[^/]+\/).*$/, "$1");
}

function stageSteps(d: SnowflakeObjects, dep: SnowflakeDeployed): Step[] {
  const steps: Step[] = [];
  for (const s of d.stages) {
    const old = dep.stages.find((x) => x.name.toUpperCase() === s.name.toUpperCase());
    const key = { layer: "snowflake", kind: "stage", name: s.name } as const;
    if (!old)
      steps.push({
        ...key,
        action: "create",
        resource: `stage ${s.name}`,
        details: [`url ${s.url}`],
        destructive: false,
        reason: "the stage does not exist",
      });
    else if (old.url !== s.url)
      steps.push({
        ...key,
        action: "replace",
        resource: `stage ${s.name}`,
        details: [`~ url ${old.url} → ${s.url}`],
        destructive: false,
        reason: "the stage URL changed",
      });
  }
  for (const old of dep.stages) {
    if (d.stages.some((s) => s.name.toUpperCase() === old.name.toUpperCase())) continue;
    if (!old.url.startsWith(commonBucketPrefix(d))) continue;
    steps.push({
      layer: "snowflake",
      kind: "stage",
      name: old.name,
      action: "destroy",
      resource: `stage ${old.name}`,
      details: [`url ${old.url}`],
      destructive: false,
      reason: "no table reads this prefix any more",
    });
  }
  return steps;
}

/** Steps in the order they must run: integration, file format, stages, tables, then drops. */
export function diffSnowflake(desired: SnowflakeObjects, deployed: SnowflakeDeployed): Step[] {
  const steps: Step[] = [...integrationSteps(desired, deployed)];
  if (!deployed.fileFormat) {
    steps.push({
      layer: "snowflake",
      kind: "file-format",
      name: desired.fileFormat,
      action: "create",
      resource: `file format ${desired.fileFormat}`,
      details: ["TYPE = PARQUET"],
      destructive: false,
      reason: "the file format does not exist",
    });
  }
  const stages = stageSteps(desired, deployed);
  const tables = externalTableSteps(desired, deployed);
  const drops = [...tables, ...stages].filter((s) => s.action === "destroy");
  return [...steps, ...stages.filter((s) => s.action !== "destroy"), ...tables.filter((s) => s.action !== "destroy"), ...drops];
}
