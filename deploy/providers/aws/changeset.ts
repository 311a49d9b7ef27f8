// Deploys the stack the reviewable way: create a change set, wait, show it resource by resource
// (Replacement: True/Conditional highlighted), refuse destructive changes unless allowed,
// execute, and follow the stack events until it settles. "No changes" is a normal outcome; a
// rollback is reported with the first resource that failed and CloudFormation's reason.
import {
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  ExecuteChangeSetCommand,
  type Change,
  type Parameter,
  type Stack,
  type StackEvent,
} from "@aws-sdk/client-cloudformation";
import { hashTags, noEchoParameters } from "../../aws-parameters.js";
import { isDestructiveResourceChange } from "../../aws-replacement.js";
import type { Step } from "../../plan.js";
import type { AwsClients } from "./clients.js";
import { parseTemplate } from "../../diff-aws.js";
import { describeStack } from "./read.js";

export interface StackDeployment {
  readonly stackName: string;
  readonly templateBody: string;
  /** Where a template too large to send inline (over 51,200 bytes) is uploaded; returns its URL. */
  readonly uploadTemplate?: (body: string) => Promise<string>;
  /** Values to set; a template parameter left out keeps its deployed value (or its default). */
  readonly parameters: Readonly<Record<string, string>>;
  readonly allowDestructive: boolean;
  readonly log: (line: string) => void;
  readonly showChanges: (steps: readonly Step[]) => void;
}

export type StackResult =
  { readonly changed: false } | { readonly changed: true; readonly status: string; readonly outputs: Readonly<Record<string, string>> };

export class ChangeSetFailedError extends Error {
  override readonly name = "ChangeSetFailedError";
}
export class StackRollbackError extends Error {
  override readonly name = "StackRollbackError";
}
export class DestructiveChangeRefused extends Error {
  override readonly name = "DestructiveChangeRefused";
}

const NO_CHANGES = /didn't contain changes|No updates are to be performed/i;

/** Change set resource changes as plan steps, so apply shows them like plan does. */
export function changeSetSteps(changes: readonly Change[]): Step[] {
  return changes.flatMap((c) => {
    const r = c.ResourceChange;
    if (!r) return [];
    const type = r.ResourceType ?? "";
    const replacement = r.Replacement ?? "False";
    const action = r.Action === "Add" ? "create" : r.Action === "Remove" ? "destroy" : replacement === "True" ? "replace" : "update";
    const details = [
      ...(r.Action === "Modify" ? [`Replacement: ${replacement}`] : []),
      ...(r.Details ?? []).map(
        (d) =>
          `~ ${d.Target?.Name ?? d.Target?.Attribute ?? "?"} (${d.Target?.RequiresRecreation ?? "Never"} recreation, ${d.ChangeSource ?? "direct"})`,
      ),
    ];
    const kind =
      action === "destroy" ? "destroy" : replacement === "True" ? "replace" : replacement === "Conditional" ? "conditional" : undefined;
    const destructive = kind !== undefined && r.Action !== "Add" && isDestructiveResourceChange(type, kind);
    return [
      {
        layer: "aws",
        kind: "resource",
        name: r.LogicalResourceId ?? "",
        action,
        resource: `${type} ${r.LogicalResourceId}`,
        details,
        destructive,
        reason: `change set: ${r.Action}`,
      } satisfies Step,
    ];
  });
}

function parameterList(
  deployment: StackDeployment,
  templateParams: readonly string[],
  existing: boolean,
  deployedParams: readonly string[],
): Parameter[] {
  return templateParams.flatMap((k): Parameter[] => {
    const v = deployment.parameters[k];
    if (v !== undefined) return [{ ParameterKey: k, ParameterValue: v }];
    return existing && deployedParams.includes(k) ? [{ ParameterKey: k, UsePreviousValue: true }] : [];
  });
}

async function waitChangeSet(c: AwsClients, stackName: string, name: string): Promise<{ changes: Change[]; noChanges: boolean }> {
  for (;;) {
    const d = await c.cfn.send(new DescribeChangeSetCommand({ StackName: stackName, ChangeSetName: name }));
    if (d.Status === "FAILED") {
      if (NO_CHANGES.test(d.StatusReason ?? "")) return { changes: [], noChanges: true };
      throw new ChangeSetFailedError(`change set for ${stackName} failed: ${d.StatusReason ?? "no reason given"}`);
    }
    if (d.Status === "CREATE_COMPLETE") {
      const changes = [...(d.Changes ?? [])];
      let token = d.NextToken;
      while (token) {
        const more = await c.cfn.send(new DescribeChangeSetCommand({ StackName: stackName, ChangeSetName: name, NextToken: token }));
        changes.push(...(more.Changes ?? []));
        token = more.NextToken;
      }
      return { changes, noChanges: false };
    }
    await c.sleep(c.pollMs);
  }
}

/** A first create that rolled back leaves a stack that can only be deleted; it holds no resources. */
async function clearFailedCreate(c: AwsClients, d: StackDeployment): Promise<void> {
  d.log(`aws: ${d.stackName} is ROLLBACK_COMPLETE after a failed first create; deleting it before creating again`);
  await c.cfn.send(new DeleteStackCommand({ StackName: d.stackName }));
  for (;;) {
    const s = await describeStack(c, d.stackName);
    if (!s || s.StackStatus === "DELETE_COMPLETE") return;
    if (s.StackStatus === "DELETE_FAILED")
      throw new StackRollbackError(`cannot delete ${d.stackName}: ${s.StackStatusReason ?? "DELETE_FAILED"}`);
    await c.sleep(c.pollMs);
  }
}

async function newEvents(c: AwsClients, stackName: string, since: Date, seen: Set<string>): Promise<StackEvent[]> {
  const r = await c.cfn.send(new DescribeStackEventsCommand({ StackName: stackName }));
  const fresh = (r.StackEvents ?? []).filter((e) => e.EventId && !seen.has(e.EventId) && (!e.Timestamp || e.Timestamp >= since));
  for (const e of fresh) seen.add(e.EventId!);
  return fresh.reverse();
}

function rollbackReason(events: readonly StackEvent[]): string {
  const failed = events.filter((e) => e.ResourceStatus?.endsWith("_FAILED") && e.LogicalResourceId !== undefined);
  const first = failed.find((e) => !/cancelled/i.test(e.ResourceStatusReason ?? "")) ?? failed[0];
  return first
    ? `${first.LogicalResourceId} (${first.ResourceType}): ${first.ResourceStatusReason ?? first.ResourceStatus}`
    : "no failed resource reported";
}

async function execute(c: AwsClients, d: StackDeployment, changeSet: string): Promise<StackResult> {
  const started = new Date(Date.now() - 1000);
  await c.cfn.send(new ExecuteChangeSetCommand({ StackName: d.stackName, ChangeSetName: changeSet }));
  const seen = new Set<string>();
  const all: StackEvent[] = [];
  for (;;) {
    const events = await newEvents(c, d.stackName, started, seen);
    all.push(...events);
    for (const e of events)
      d.log(`aws: ${e.LogicalResourceId} ${e.ResourceStatus}${e.ResourceStatusReason ? `: ${e.ResourceStatusReason}` : ""}`);
    const s = await describeStack(c, d.stackName);
    const status = s?.StackStatus ?? "DELETE_COMPLETE";
    if (!status.endsWith("_IN_PROGRESS")) {
      if (status === "CREATE_COMPLETE" || status === "UPDATE_COMPLETE") {
        return {
          changed: true,
          status,
          outputs: Object.fromEntries((s?.Outputs ?? []).map((o) => [o.OutputKey ?? "", o.OutputValue ?? ""])),
        };
      }
      all.push(...(await newEvents(c, d.stackName, started, seen)));
      throw new StackRollbackError(`stack ${d.stackName} ended in ${status}: ${rollbackReason(all)}`);
    }
    await c.sleep(c.pollMs);
  }
}

/** CloudFormation's limit for TemplateBody; larger templates must come from S3. */
export const MAX_INLINE_TEMPLATE_BYTES = 51_200;

async function templateSource(d: StackDeployment): Promise<{ TemplateBody: string } | { TemplateURL: string }> {
  if (Buffer.byteLength(d.templateBody) <= MAX_INLINE_TEMPLATE_BYTES) return { TemplateBody: d.templateBody };
  if (!d.uploadTemplate)
    throw new Error(
      `the template is ${Buffer.byteLength(d.templateBody)} bytes, over CloudFormation's inline limit, and there is nowhere to upload it`,
    );
  return { TemplateURL: await d.uploadTemplate(d.templateBody) };
}

/**
 * A previous apply killed mid-deploy leaves CloudFormation still working: wait for the stack to
 * settle instead of failing, so running apply again is how an interrupted apply is finished.
 */
async function settled(c: AwsClients, d: StackDeployment): Promise<Stack | undefined> {
  let logged = false;
  for (;;) {
    const s = await describeStack(c, d.stackName);
    const status = s?.StackStatus ?? "";
    if (!status.endsWith("_IN_PROGRESS") || status === "REVIEW_IN_PROGRESS") return s;
    if (!logged) d.log(`aws: ${d.stackName} is ${status} (an earlier operation); waiting for it to finish`);
    logged = true;
    await c.sleep(c.pollMs);
  }
}

export async function deployStack(c: AwsClients, d: StackDeployment): Promise<StackResult> {
  let existing = await settled(c, d);
  if (existing?.StackStatus === "ROLLBACK_COMPLETE") {
    await clearFailedCreate(c, d);
    existing = undefined;
  }
  const isUpdate = existing !== undefined && existing.StackStatus !== "REVIEW_IN_PROGRESS";
  const template = parseTemplate(d.templateBody);
  const noEcho = noEchoParameters(template);
  const existingTags = Object.fromEntries((existing?.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
  const tags = noEcho.some((k) => d.parameters[k] !== undefined) ? hashTags(existingTags, d.parameters, noEcho) : undefined;
  const name = `lakec-${Date.now()}`;
  await c.cfn.send(
    new CreateChangeSetCommand({
      StackName: d.stackName,
      ChangeSetName: name,
      ChangeSetType: isUpdate ? "UPDATE" : "CREATE",
      ...(await templateSource(d)),
      Parameters: parameterList(
        d,
        Object.keys(template.Parameters ?? {}),
        isUpdate,
        (existing?.Parameters ?? []).map((p) => p.ParameterKey ?? ""),
      ),
      Capabilities: ["CAPABILITY_NAMED_IAM"],
      Description: "lakec apply",
      ...(tags ? { Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) } : {}),
    }),
  );
  const { changes, noChanges } = await waitChangeSet(c, d.stackName, name);
  if (noChanges) {
    await c.cfn.send(new DeleteChangeSetCommand({ StackName: d.stackName, ChangeSetName: name }));
    d.log(`aws: ${d.stackName}: no changes`);
    return { changed: false };
  }
  const steps = changeSetSteps(changes);
  d.showChanges(steps);
  const refused = steps.filter((s) => s.destructive);
  if (refused.length && !d.allowDestructive) {
    await c.cfn.send(new DeleteChangeSetCommand({ StackName: d.stackName, ChangeSetName: name }));
    throw new DestructiveChangeRefused(
      `the change set replaces or removes ${refused.map((s) => s.resource).join(", ")}; re-run with --allow-destructive to accept`,
    );
  }
  return execute(c, d, name);
}
