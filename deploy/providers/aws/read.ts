// Reads the deployed AWS state: the stack (status, parameters, outputs, template), which Glue
// scripts are already uploaded, and drift. Read-only calls only: `plan` changes nothing.
import {
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackResourceDriftsCommand,
  DescribeStacksCommand,
  DetectStackDriftCommand,
  GetTemplateCommand,
  type Stack,
} from "@aws-sdk/client-cloudformation";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { parseTemplate, type AwsDeployed, type DeployedStack, type DriftedResource, type GlueScriptUpload } from "../../diff-aws.js";
import type { AwsClients } from "./clients.js";

const isMissingStack = (e: unknown): boolean => /does not exist/.test(String((e as Error)?.message ?? ""));

/** A stack CloudFormation shows but that holds nothing deployable yet (created by a change set, or a failed first create). */
const NOT_DEPLOYED = new Set(["REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE", "DELETE_COMPLETE"]);

export async function describeStack(c: AwsClients, name: string): Promise<Stack | undefined> {
  try {
    const r = await c.cfn.send(new DescribeStacksCommand({ StackName: name }));
    return r.Stacks?.[0];
  } catch (e) {
    if (isMissingStack(e)) return undefined;
    throw e;
  }
}

export async function readStack(c: AwsClients, name: string): Promise<DeployedStack | undefined> {
  const s = await describeStack(c, name);
  if (!s || NOT_DEPLOYED.has(s.StackStatus ?? "")) return undefined;
  const t = await c.cfn.send(new GetTemplateCommand({ StackName: name, TemplateStage: "Original" }));
  return {
    stackId: s.StackId ?? "",
    status: s.StackStatus ?? "",
    template: parseTemplate(t.TemplateBody ?? ""),
    parameters: Object.fromEntries((s.Parameters ?? []).map((p) => [p.ParameterKey ?? "", p.ParameterValue ?? ""])),
    tags: Object.fromEntries((s.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])),
    outputs: Object.fromEntries((s.Outputs ?? []).map((o) => [o.OutputKey ?? "", o.OutputValue ?? ""])),
  };
}

async function scriptPresent(c: AwsClients, s: GlueScriptUpload): Promise<boolean> {
  try {
    await c.s3.send(new HeadObjectCommand({ Bucket: s.bucket, Key: s.key }));
    return true;
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    // 404 before the bucket exists too: the first apply creates the bucket, then uploads.
    if (status === 404 || (e as Error).name === "NotFound" || (e as Error).name === "NoSuchBucket") return false;
    throw e;
  }
}

export async function readDrift(c: AwsClients, name: string): Promise<DriftedResource[]> {
  const { StackDriftDetectionId: id } = await c.cfn.send(new DetectStackDriftCommand({ StackName: name }));
  for (;;) {
    const st = await c.cfn.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId: id }));
    if (st.DetectionStatus === "DETECTION_FAILED" && !st.DriftedStackResourceCount) return [];
    if (st.DetectionStatus !== "DETECTION_IN_PROGRESS") break;
    await c.sleep(c.pollMs);
  }
  const r = await c.cfn.send(
    new DescribeStackResourceDriftsCommand({ StackName: name, StackResourceDriftStatusFilters: ["MODIFIED", "DELETED"] }),
  );
  return (r.StackResourceDrifts ?? []).map((d) => ({
    logicalId: d.LogicalResourceId ?? "",
    type: d.ResourceType ?? "",
    status: d.StackResourceDriftStatus ?? "",
    properties: (d.PropertyDifferences ?? []).map((p) => p.PropertyPath ?? "").filter(Boolean),
  }));
}

export async function readAws(
  c: AwsClients,
  name: string,
  scripts: readonly GlueScriptUpload[],
  opts: { drift: boolean },
): Promise<AwsDeployed> {
  const stack = await readStack(c, name);
  const present: string[] = [];
  for (const s of scripts) if (await scriptPresent(c, s)) present.push(s.key);
  const drift = stack && opts.drift ? await readDrift(c, name) : undefined;
  return { ...(stack ? { stack } : {}), presentScripts: present, ...(drift ? { drift } : {}) };
}
