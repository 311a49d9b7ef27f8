// AWS: the compiled template and Glue scripts against the deployed stack (GetTemplate,
// DescribeStacks) and the artifacts bucket (HeadObject). This pure diff is what `plan` shows
// without touching the account; `apply` then asks CloudFormation itself with a change set,
// whose Replacement flags are authoritative, and refuses destructive ones the same way.
import { parse } from "yaml";
import type { BackfillDeployed } from "./diff-backfill.js";
import { canonicalJson, type Step } from "./plan.js";
import { REPLACE_ON_CHANGE, isDestructiveResourceChange } from "./aws-replacement.js";
import { noEchoParameters, parameterChanges } from "./aws-parameters.js";
import { resourceBase } from "../targets/cloudformation/names.js";

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
  readonly Condition?: string;
  readonly DependsOn?: unknown;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export interface CfnTemplate {
  readonly Parameters?: Readonly<Record<string, unknown>>;
  readonly Resources: Readonly<Record<string, CfnResource>>;
}

export function parseTemplate(body: string): CfnTemplate {
  const t = parse(body) as CfnTemplate | null;
  if (!t || typeof t !== "object" || !t.Resources) throw new Error("the template has no Resources section");
  return t;
}

/** `lakec-<pipeline>[-<environment>]`: one stack per pipeline and environment in an account/region. */
export function stackName(pipeline: string, environment?: string): string {
  return resourceBase({ name: pipeline, ...(environment !== undefined && { environment: { name: environment, all: [] } }) });
}

export interface GlueScriptUpload {
  readonly bucket: string;
  readonly key: string;
  readonly body: string;
}

export interface AwsDesired {
  readonly stackName: string;
  readonly templateBody: string;
  readonly template: CfnTemplate;
  /** Parameters whose value lakec knows; the others keep their deployed value or template default. */
  readonly parameters: Readonly<Record<string, string>>;
  readonly scripts: readonly GlueScriptUpload[];
}

export interface DriftedResource {
  readonly logicalId: string;
  readonly type: string;
  readonly status: string;
  readonly properties: readonly string[];
}

export interface DeployedStack {
  readonly stackId: string;
  readonly status: string;
  readonly template: CfnTemplate;
  /** As DescribeStacks shows them: NoEcho values are `****`. */
  readonly parameters: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
  readonly outputs: Readonly<Record<string, string>>;
}

export interface AwsDeployed {
  readonly stack?: DeployedStack;
  /** Script keys already in the artifacts bucket (HeadObject answered 200). */
  readonly presentScripts: readonly string[];
  readonly drift?: readonly DriftedResource[];
  /** Read only when the stack exists: what the last apply recorded, and stale raw objects. */
  readonly backfill?: BackfillDeployed;
}

function show(v: unknown): string {
  const s = v === undefined ? "(absent)" : canonicalJson(v);
  return s.length > 90 ? `${s.slice(0, 87)}...` : s;
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Leaf paths that differ (`Command.ScriptLocation`), so a reviewer sees the change, not two blobs. */
function leafChanges(path: string, a: unknown, b: unknown, out: string[]): void {
  if (canonicalJson(a) === canonicalJson(b)) return;
  if (isMap(a) && isMap(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) leafChanges(`${path}.${k}`, a[k], b[k], out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => leafChanges(`${path}[${i}]`, x, b[i], out));
    return;
  }
  out.push(`~ ${path}: ${show(a)} → ${show(b)}`);
}

const MAX_LEAVES = 6;

function propertyChanges(before: CfnResource, after: CfnResource): { lines: string[]; replacing: string[] } {
  const lines: string[] = [];
  const replacing: string[] = [];
  const a = before.Properties ?? {};
  const b = after.Properties ?? {};
  const immutable = REPLACE_ON_CHANGE[after.Type] ?? [];
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (canonicalJson(a[k]) === canonicalJson(b[k])) continue;
    const leaves: string[] = [];
    leafChanges(k, a[k], b[k], leaves);
    if (immutable.includes(k)) {
      replacing.push(k);
      leaves[0] = `${leaves[0]}  (Replacement: True)`;
    }
    lines.push(...leaves.slice(0, MAX_LEAVES));
    if (leaves.length > MAX_LEAVES) lines.push(`  … and ${leaves.length - MAX_LEAVES} more changes under ${k}`);
  }
  for (const k of ["Condition", "DependsOn", "DeletionPolicy", "UpdateReplacePolicy"] as const) {
    if (canonicalJson(before[k]) !== canonicalJson(after[k])) lines.push(`~ ${k}: ${show(before[k])} → ${show(after[k])}`);
  }
  return { lines, replacing };
}

function resourceSteps(desired: CfnTemplate, deployed: CfnTemplate | undefined): Step[] {
  const steps: Step[] = [];
  const have = deployed?.Resources ?? {};
  for (const [id, r] of Object.entries(desired.Resources)) {
    const old = have[id];
    const resource = `${r.Type} ${id}`;
    const key = { layer: "aws", kind: "resource", name: id } as const;
    if (!old) {
      steps.push({
        ...key,
        action: "create",
        resource,
        details: [],
        destructive: false,
        reason: deployed ? "new resource in the template" : "the stack does not exist yet",
      });
      continue;
    }
    if (old.Type !== r.Type) {
      steps.push({
        ...key,
        action: "replace",
        resource,
        details: [`~ Type: ${old.Type} → ${r.Type}  (Replacement: True)`],
        destructive: isDestructiveResourceChange(old.Type, "replace"),
        reason: "resource type changed",
      });
      continue;
    }
    const { lines, replacing } = propertyChanges(old, r);
    if (!lines.length) continue;
    const action = replacing.length ? "replace" : "update";
    const destructive = action === "replace" && isDestructiveResourceChange(r.Type, "replace");
    const reason = replacing.length
      ? `${replacing.join(", ")} cannot change in place: CloudFormation creates a new ${r.Type}${destructive ? " and the existing one (with its data) leaves the pipeline" : ""}`
      : "properties changed";
    steps.push({ ...key, action, resource, details: lines, destructive, reason });
  }
  for (const [id, old] of Object.entries(have)) {
    if (id in desired.Resources) continue;
    const retained = old.DeletionPolicy === "Retain" ? ["DeletionPolicy Retain: kept in the account, no longer managed"] : [];
    steps.push({
      layer: "aws",
      kind: "resource",
      name: id,
      action: "destroy",
      resource: `${old.Type} ${id}`,
      details: retained,
      destructive: isDestructiveResourceChange(old.Type, "destroy"),
      reason: "no longer in the template",
    });
  }
  return steps;
}

function parameterStep(desired: AwsDesired, stack: DeployedStack | undefined): Step[] {
  if (!stack) return [];
  const lines = parameterChanges(desired.parameters, noEchoParameters(desired.template), stack);
  if (!lines.length) return [];
  return [
    {
      layer: "aws",
      kind: "parameters",
      action: "update",
      resource: `stack parameters of ${desired.stackName}`,
      details: lines,
      destructive: false,
      reason: "stack parameters changed",
    },
  ];
}

export function diffAws(desired: AwsDesired, deployed: AwsDeployed): Step[] {
  const uploads: Step[] = desired.scripts
    .filter((s) => !deployed.presentScripts.includes(s.key))
    .map((s) => ({
      layer: "aws",
      kind: "script",
      name: s.key,
      action: "create",
      resource: `s3://${s.bucket}/${s.key}`,
      details: [],
      destructive: false,
      reason: "Glue script content changed (content-hashed key)",
    }));
  return [...uploads, ...resourceSteps(desired.template, deployed.stack?.template), ...parameterStep(desired, deployed.stack)];
}

/** Plan notes for drifted resources: CloudFormation will not revert them by itself. */
export function driftNotes(deployed: AwsDeployed): string[] {
  return (deployed.drift ?? []).map(
    (d) =>
      `drift: ${d.type} ${d.logicalId} is ${d.status}${d.properties.length ? ` (${d.properties.join(", ")})` : ""}; changed outside CloudFormation`,
  );
}
