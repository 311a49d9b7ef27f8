// Executes the AWS layer: upload missing Glue scripts (content-hashed keys, so an upload never
// overwrites a script a running job uses), then deploy the stack through a change set.
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { AwsDesired } from "../../diff-aws.js";
import { sha256, type Step } from "../../plan.js";
import { deployStack, type StackResult } from "./changeset.js";
import type { AwsClients } from "./clients.js";
import { describeStack } from "./read.js";

export interface AwsApplyOptions {
  readonly allowDestructive: boolean;
  readonly log: (line: string) => void;
  readonly showChanges: (steps: readonly Step[]) => void;
}

async function present(c: AwsClients, bucket: string, key: string): Promise<boolean> {
  try {
    await c.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (e) {
    if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404 || (e as Error).name === "NotFound")
      return false;
    throw e;
  }
}

/** Uploads the scripts the artifacts bucket lacks; a key present means the same bytes (the key is their hash). */
export async function uploadScripts(c: AwsClients, desired: AwsDesired, log: (line: string) => void): Promise<number> {
  let uploaded = 0;
  for (const s of desired.scripts) {
    if (await present(c, s.bucket, s.key)) continue;
    await c.s3.send(new PutObjectCommand({ Bucket: s.bucket, Key: s.key, Body: s.body, ContentType: "text/x-python" }));
    log(`aws: uploaded s3://${s.bucket}/${s.key}`);
    uploaded++;
  }
  return uploaded;
}

/**
 * Scripts go first, so a job never points at a missing key. The exception is the first deploy
 * when the artifacts bucket is the stack's own processed bucket (`_lakec/` prefix): the bucket
 * must exist before anything can be uploaded, and no job runs before a raw file arrives.
 */
/** Large templates go next to the scripts, under a content-hashed key, and are read from there. */
export function templateUploader(c: AwsClients, desired: AwsDesired, region: string): (body: string) => Promise<string> {
  return async (body) => {
    const bucket = desired.scripts[0]?.bucket;
    if (!bucket) throw new Error("no artifacts bucket to upload the template to");
    const key = desired.scripts[0]!.key.replace(/scripts\/[^/]*$/, `templates/${desired.stackName}-${sha256(body).slice(0, 12)}.yaml`);
    if (!(await present(c, bucket, key)))
      await c.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "text/yaml" }));
    return `https://${bucket}.s3.${region}.amazonaws.com/${key}`;
  };
}

export async function applyAws(
  c: AwsClients,
  desired: AwsDesired,
  bucketInStack: boolean,
  o: AwsApplyOptions & { region: string },
): Promise<StackResult> {
  const deploy = (): Promise<StackResult> =>
    deployStack(c, {
      stackName: desired.stackName,
      templateBody: desired.templateBody,
      uploadTemplate: templateUploader(c, desired, o.region),
      parameters: desired.parameters,
      allowDestructive: o.allowDestructive,
      log: o.log,
      showChanges: o.showChanges,
    });
  const deployed = await describeStack(c, desired.stackName);
  if (bucketInStack && (!deployed || deployed.StackStatus === "REVIEW_IN_PROGRESS" || deployed.StackStatus === "ROLLBACK_COMPLETE")) {
    const r = await deploy();
    await uploadScripts(c, desired, o.log);
    return r;
  }
  await uploadScripts(c, desired, o.log);
  return deploy();
}
