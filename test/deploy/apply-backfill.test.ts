// The cloud backfill: after a cleaning-rule change, plan lists every raw object of the source
// (the S3 listing is paged), apply deploys the new scripts, starts one state-machine execution
// per object with an EventBridge-shaped input, tolerates executions an interrupted apply
// already started, and records the new semantics so the next plan is empty.
import { beforeEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
  type StackStatus,
} from "@aws-sdk/client-cloudformation";
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { applyPlan } from "../../deploy/apply.js";
import { desiredState } from "../../deploy/desired.js";
import { makePlan, type DeployContext } from "../../deploy/planner.js";
import { awsClients } from "../../deploy/providers/aws/clients.js";
import { stateKey } from "../../deploy/providers/aws/backfill.js";
import { EDITS, reviewsIr } from "../support/deploy-helpers.js";

const cfn = mockClient(CloudFormationClient);
const s3 = mockClient(S3Client);
const sfn = mockClient(SFNClient);
const ARN = "arn:aws:states:eu-west-1:123456789012:stateMachine:lakec-reviews";
const RAW = ["reviews/2024-06-01.jsonl", "reviews/2024-06-02.jsonl", "reviews/a b+c.jsonl"];

function deployedAs(base: ReturnType<typeof desiredState>): Map<string, string> {
  let status: StackStatus = "UPDATE_COMPLETE";
  const objects = new Map<string, string>(base.aws({}).scripts.map((s) => [s.key, s.body]));
  objects.set(
    stateKey(base.ir),
    JSON.stringify({ version: 1, pipeline: "reviews", semantics: base.backfill.semantics, columnTypes: base.backfill.columnTypes }),
  );
  const notFound = () => Object.assign(new Error("NotFound"), { name: "NotFound", $metadata: { httpStatusCode: 404 } });
  cfn.on(DescribeStacksCommand).callsFake(() => ({
    Stacks: [
      {
        StackName: "lakec-reviews",
        StackId: "arn:aws:cloudformation:eu-west-1:123456789012:stack/lakec-reviews/1",
        StackStatus: status,
        CreationTime: new Date(),
        Parameters: [],
        Outputs: [{ OutputKey: "StateMachineArn", OutputValue: ARN }],
      },
    ],
  }));
  let template = base.aws({}).templateBody;
  let pending = template;
  cfn.on(GetTemplateCommand).callsFake(() => ({ TemplateBody: template }));
  cfn.on(CreateChangeSetCommand).callsFake((i: { TemplateBody?: string; TemplateURL?: string }) => {
    // A template over 51,200 bytes is uploaded and passed by URL (deploy/providers/aws/changeset.ts).
    pending = i.TemplateBody ?? objects.get(new URL(i.TemplateURL!).pathname.slice(1))!;
    return { Id: "cs" };
  });
  cfn.on(DescribeChangeSetCommand).resolves({
    Status: "CREATE_COMPLETE",
    Changes: [
      {
        Type: "Resource",
        ResourceChange: { Action: "Modify", LogicalResourceId: "CleanJob", ResourceType: "AWS::Glue::Job", Replacement: "False" },
      },
    ],
  });
  cfn.on(ExecuteChangeSetCommand).callsFake(() => {
    status = "UPDATE_COMPLETE";
    template = pending;
    return {};
  });
  cfn.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
  s3.on(HeadObjectCommand).callsFake((i: { Bucket: string; Key: string }) => {
    // S3 returns the ETag quoted; the event carries it bare, as EventBridge does.
    if (i.Bucket === "acme-reviews-raw" && RAW.includes(i.Key)) return { ETag: `"etag-${i.Key.length}"` };
    if (!objects.has(i.Key)) throw notFound();
    return {};
  });
  s3.on(GetObjectCommand).callsFake((i: { Key: string }) => {
    const body = objects.get(i.Key);
    if (body === undefined) throw Object.assign(new Error("NoSuchKey"), { name: "NoSuchKey", $metadata: { httpStatusCode: 404 } });
    return { Body: { transformToString: async () => body } };
  });
  s3.on(PutObjectCommand).callsFake((i: { Key: string; Body: string }) => {
    objects.set(i.Key, i.Body);
    return {};
  });
  s3.on(ListObjectsV2Command, { Bucket: "acme-reviews-raw", Prefix: "reviews/" })
    .resolvesOnce({ Contents: [{ Key: RAW[0] }, { Key: "reviews/" }], IsTruncated: true, NextContinuationToken: "t1" })
    .resolves({ Contents: [{ Key: RAW[1] }, { Key: RAW[2] }], IsTruncated: false });
  return objects;
}

beforeEach(() => {
  cfn.reset();
  s3.reset();
  sfn.reset();
});

describe("the cloud backfill", () => {
  it("a cleaning-rule change re-runs every raw object through the state machine, once", async () => {
    const objects = deployedAs(desiredState(reviewsIr()));
    const clients = awsClients("eu-west-1", { credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test" } }, async () => {});
    const ctx: DeployContext = {
      cwd: "/",
      lakeDir: "/.lake",
      drift: false,
      aws: () => clients,
      snowflake: () => Promise.reject(new Error("unused")),
      publishS3: () => clients.s3,
      log: () => {},
    };
    const desired = desiredState(reviewsIr(EDITS.cleaningRule));
    const { plan, snapshot } = await makePlan(desired, ["aws"], ctx);
    const step = plan.steps.find((s) => s.action === "reprocess")!;
    expect(step).toMatchObject({
      layer: "aws",
      kind: "backfill",
      name: "product_reviews",
      resource: "source product_reviews (3 raw objects)",
      destructive: false,
    });
    expect(step.impact?.rawFiles).toEqual(RAW.map((k) => `s3://acme-reviews-raw/${k}`).sort());

    const already = Object.assign(new Error("Execution Already Exists"), { name: "ExecutionAlreadyExists" });
    sfn
      .on(StartExecutionCommand)
      .resolvesOnce({ executionArn: "e1", startDate: new Date() })
      .rejectsOnce(already)
      .resolves({ executionArn: "e3", startDate: new Date() });
    await applyPlan(plan, desired, snapshot, ctx, { allowDestructive: false, showChanges: () => {} });

    const calls = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(3);
    expect(new Set(calls.map((c) => c.name)).size).toBe(3);
    for (const c of calls) {
      expect(c.stateMachineArn).toBe(ARN);
      expect(c.name).toMatch(/^lakec-backfill-[0-9a-f]{48}$/);
      const event = JSON.parse(c.input!) as {
        id: string;
        time: string;
        "detail-type": string;
        detail: { bucket: { name: string }; object: { key: string; etag: string } };
      };
      // The object version's ETag keys its arrival: a reprocess keeps the arrival it first got.
      expect(event.detail.object.etag).toBe(`etag-${event.detail.object.key.length}`);
      expect(event).toMatchObject({ "detail-type": "Object Created", id: c.name, detail: { bucket: { name: "acme-reviews-raw" } } });
      expect(RAW).toContain(event.detail.object.key);
    }
    // The scripts were deployed before the executions started (the change set ran first).
    expect(cfn).toHaveReceivedCommand(ExecuteChangeSetCommand);
    expect(JSON.parse(objects.get(stateKey(desired.ir))!).semantics).toEqual(desired.backfill.semantics);

    const again = await makePlan(desired, ["aws"], ctx);
    expect(again.plan.steps).toEqual([]);
  });
});
