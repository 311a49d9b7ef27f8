// The cloud backfill's I/O: the recorded semantics (a small JSON file next to the Glue scripts),
// the raw objects under a source's prefix, and one state-machine execution per object, started
// with the same input EventBridge would send. Execution names are derived from the object and
// the semantics, so re-running an interrupted backfill starts nothing twice.
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { PipelineIR } from "../../../compiler/ir.js";
import { staleSources, type BackfillDeployed, type BackfillDesired, type BackfillState } from "../../diff-backfill.js";
import { sha256, type Step } from "../../plan.js";
import type { AwsClients } from "./clients.js";

export function stateKey(ir: PipelineIR): string {
  return `${ir.aws.artifactsPrefix}state/${ir.name}-semantics.json`;
}

async function readState(c: AwsClients, ir: PipelineIR): Promise<BackfillState | undefined> {
  try {
    const r = await c.s3.send(new GetObjectCommand({ Bucket: ir.aws.artifactsBucket, Key: stateKey(ir) }));
    const text = await r.Body?.transformToString("utf-8");
    if (text === undefined) return undefined;
    const state = JSON.parse(text) as BackfillState;
    if (state.version !== 1) throw new Error(`s3://${ir.aws.artifactsBucket}/${stateKey(ir)} has an unknown version`);
    return state;
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || (e as Error).name === "NoSuchKey" || (e as Error).name === "NoSuchBucket") return undefined;
    throw e;
  }
}

export async function listRawObjects(c: AwsClients, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const r = await c.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    for (const o of r.Contents ?? []) if (o.Key && !o.Key.endsWith("/")) keys.push(o.Key);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

export async function readBackfill(c: AwsClients, ir: PipelineIR, desired: BackfillDesired): Promise<BackfillDeployed> {
  const state = await readState(c, ir);
  const rawKeys: Record<string, string[]> = {};
  for (const source of staleSources(desired, state)) {
    rawKeys[source] = await listRawObjects(c, ir.aws.rawBucket, ir.sources.find((s) => s.name === source)!.prefix);
  }
  return { ...(state ? { state } : {}), rawKeys };
}

/** The state machine's input: an EventBridge "Object Created" event for the object. */
export function objectCreatedEvent(ir: PipelineIR, key: string, etag: string, id: string, time: string): string {
  return JSON.stringify({
    version: "0",
    id,
    "detail-type": "Object Created",
    source: "aws.s3",
    time,
    region: ir.aws.region,
    resources: [`arn:aws:s3:::${ir.aws.rawBucket}`],
    detail: { version: "0", bucket: { name: ir.aws.rawBucket }, object: { key, etag }, reason: "lakec backfill" },
  });
}

export async function startBackfill(
  c: AwsClients,
  ir: PipelineIR,
  steps: readonly Step[],
  stateMachineArn: string,
  semantics: Readonly<Record<string, string>>,
  log: (l: string) => void,
): Promise<number> {
  let started = 0;
  const time = new Date().toISOString();
  for (const step of steps) {
    if (step.layer !== "aws" || step.kind !== "backfill") continue;
    const source = step.name;
    const prefix = `s3://${ir.aws.rawBucket}/`;
    for (const url of step.impact?.rawFiles ?? []) {
      const key = url.slice(prefix.length);
      const name = `lakec-backfill-${sha256(`${key}\u0000${semantics[source] ?? ""}`).slice(0, 48)}`;
      try {
        // The ETag names the object version in the arrival order: a reprocess keeps the arrival
        // its version got when it first landed (S3 returns the ETag quoted, events carry it bare).
        const head = await c.s3.send(new HeadObjectCommand({ Bucket: ir.aws.rawBucket, Key: key }));
        const etag = (head.ETag ?? "").replace(/^"|"$/g, "");
        await c.sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: objectCreatedEvent(ir, key, etag, name, time) }));
        started++;
      } catch (e) {
        // Started by an earlier, interrupted apply: same object, same semantics, same name.
        if ((e as Error).name !== "ExecutionAlreadyExists") throw e;
      }
    }
    log(`aws: backfill of ${source}: ${step.impact?.rawFiles?.length ?? 0} raw objects submitted to the state machine`);
  }
  return started;
}

/** Recorded after the executions are started, so an interrupted apply plans the backfill again. */
export async function writeBackfillState(c: AwsClients, ir: PipelineIR, desired: BackfillDesired): Promise<void> {
  const state: BackfillState = {
    version: 1,
    pipeline: ir.name,
    semantics: desired.semantics,
    columnTypes: desired.columnTypes,
    definitions: desired.definitions,
  };
  await c.s3.send(
    new PutObjectCommand({
      Bucket: ir.aws.artifactsBucket,
      Key: stateKey(ir),
      Body: `${JSON.stringify(state, null, 2)}\n`,
      ContentType: "application/json",
    }),
  );
}
