// One `apply --target all` on an empty account: the stack is created with empty Snowflake
// parameters, Snowflake gets the integration (with the account id from the stack ARN) and the
// external tables, then the stack is updated with the integration's IAM user ARN, external ID
// and the tables' notification channel. CloudFormation is a small stateful mock behind the real
// SDK client; Snowflake is the in-memory fake.
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
  type Parameter,
  type Tag,
  type StackStatus,
} from "@aws-sdk/client-cloudformation";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { applyPlan } from "../../deploy/apply.js";
import { sha256 } from "../../deploy/plan.js";
import { desiredState } from "../../deploy/desired.js";
import { makePlan, type DeployContext } from "../../deploy/planner.js";
import { awsClients } from "../../deploy/providers/aws/clients.js";
import { FakeSnowflake } from "../support/deploy-fake-snowflake.js";
import { reviewsIr } from "../support/deploy-helpers.js";

const ACCOUNT = "210987654321";
const STACK_ID = `arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack/lakec-reviews/abc`;
const cfn = mockClient(CloudFormationClient);
const s3 = mockClient(S3Client);
/** Objects put to S3: the scripts, the semantics, and a template too large to pass inline. */
const uploaded = new Map<string, string>();

/** Just enough CloudFormation: one stack, change sets that apply their parameters and template. */
function statefulStack(onChangeSet: (n: number) => void = () => {}): { changeSets: Parameter[][] } {
  let status: StackStatus | undefined;
  let parameters: Parameter[] = [];
  let tags: Tag[] = [];
  let template = "";
  let pending: { parameters: Parameter[]; template: string; tags?: Tag[] } | undefined;
  const changeSets: Parameter[][] = [];
  cfn.on(DescribeStacksCommand).callsFake(() => {
    if (!status) throw Object.assign(new Error("Stack with id lakec-reviews does not exist"), { name: "ValidationError" });
    // Like CloudFormation: the NoEcho external ID is never shown.
    const shown = parameters.map((p) => (p.ParameterKey === "SnowflakeExternalId" ? { ...p, ParameterValue: "****" } : p));
    return {
      Stacks: [
        { StackName: "lakec-reviews", StackId: STACK_ID, StackStatus: status, CreationTime: new Date(), Parameters: shown, Tags: tags },
      ],
    };
  });
  cfn.on(GetTemplateCommand).callsFake(() => ({ TemplateBody: template }));
  cfn
    .on(CreateChangeSetCommand)
    .callsFake((input: { Parameters?: Parameter[]; TemplateBody?: string; TemplateURL?: string; ChangeSetType?: string; Tags?: Tag[] }) => {
      if (input.ChangeSetType === "CREATE") status = "REVIEW_IN_PROGRESS";
      const resolved = (input.Parameters ?? []).map((p) =>
        p.UsePreviousValue ? parameters.find((x) => x.ParameterKey === p.ParameterKey)! : p,
      );
      changeSets.push(resolved);
      onChangeSet(changeSets.length);
      if (resolved.some((p) => p.ParameterValue === "****")) throw new Error("a masked value was sent back as a parameter value");
      const body =
        input.TemplateBody ?? (input.TemplateURL === undefined ? undefined : uploaded.get(new URL(input.TemplateURL).pathname.slice(1)));
      pending = { parameters: resolved, template: body ?? template, ...(input.Tags ? { tags: input.Tags } : {}) };
      return { Id: "cs" };
    });
  cfn.on(DescribeChangeSetCommand).callsFake(() => ({
    Status: "CREATE_COMPLETE",
    Changes: [
      {
        Type: "Resource",
        ResourceChange: {
          Action: "Modify",
          LogicalResourceId: "SnowflakeStorageRole",
          ResourceType: "AWS::IAM::Role",
          Replacement: "False",
        },
      },
    ],
  }));
  cfn.on(ExecuteChangeSetCommand).callsFake(() => {
    status = status === "REVIEW_IN_PROGRESS" ? "CREATE_COMPLETE" : "UPDATE_COMPLETE";
    parameters = pending!.parameters;
    template = pending!.template;
    tags = pending!.tags ?? tags;
    return {};
  });
  cfn.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
  return { changeSets };
}

beforeEach(() => {
  cfn.reset();
  s3.reset();
  uploaded.clear();
  const notFound = () => Object.assign(new Error("NotFound"), { name: "NotFound", $metadata: { httpStatusCode: 404 } });
  s3.on(HeadObjectCommand).callsFake((input: { Key: string }) => {
    if (!uploaded.has(input.Key)) throw notFound();
    return {};
  });
  s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const body = uploaded.get(input.Key);
    if (body === undefined) throw notFound();
    return { Body: { transformToString: async () => body } };
  });
  s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => {
    uploaded.set(input.Key, input.Body);
    return {};
  });
});

describe("apply --target all wires Snowflake into the stack in one run", () => {
  it("aws → snowflake → aws parameter update, then nothing left to do", async () => {
    const fake = new FakeSnowflake(["ANALYTICS"]);
    // The flatten job publishes files after the tables exist but before the bucket notifies
    // Snowflake (the second change set wires it), plus Spark's uncommitted output beside them.
    const table = "s3://acme-reviews-processed/product_reviews/";
    const published = `${table}review_date=2016-09-01/_input=0123456789abcdef/part-00000-a.snappy.parquet`;
    const { changeSets } = statefulStack((n) => {
      if (n === 2)
        fake.files.push(
          published,
          `${table}_temporary/0/_temporary/attempt_1/review_date=2016-09-01/_input=0123456789abcdef/part-00000-a.snappy.parquet`,
          `${table}.spark-staging-1/review_date=2016-09-01/_input=0123456789abcdef/part-00000-a.snappy.parquet`,
        );
    });
    const logged: string[] = [];
    const ctx: DeployContext = {
      cwd: "/nonexistent",
      lakeDir: "/nonexistent/.lake",
      drift: false,
      aws: () => clients,
      snowflake: async () => fake,
      publishS3: () => {
        throw new Error("no publish locations in this pipeline");
      },
      log: (l) => logged.push(l),
    };
    const clients = awsClients("eu-west-1", { credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test" } }, async () => {});
    const desired = desiredState(reviewsIr());
    const { plan, snapshot } = await makePlan(desired, ["aws", "snowflake"], ctx);
    expect(plan.steps.at(-1)).toMatchObject({ layer: "aws", kind: "wiring" });
    const snowflakeAt = plan.steps.findIndex((s) => s.layer === "snowflake");
    expect(plan.steps.slice(0, snowflakeAt).every((s) => s.layer === "aws")).toBe(true);

    await applyPlan(plan, desired, snapshot, ctx, { allowDestructive: false, showChanges: () => {} });

    expect(changeSets).toHaveLength(2);
    const value = (ps: Parameter[], k: string): string | undefined => ps.find((p) => p.ParameterKey === k)?.ParameterValue;
    // Not known yet: left out, so the new stack takes the template default ("").
    expect(value(changeSets[0]!, "SnowflakeExternalId")).toBeUndefined();
    expect(value(changeSets[1]!, "SnowflakeIamUserArn")).toBe(fake.iamUserArn);
    expect(value(changeSets[1]!, "SnowflakeExternalId")).toBe(fake.integrations.get("LAKE_S3")!.externalId);
    expect(value(changeSets[1]!, "SnowflakeNotificationQueueArn")).toBe(fake.queueArn);
    // The integration's role lives in the stack's account, read from the stack ARN.
    expect(fake.integrations.get("LAKE_S3")!.roleArn).toContain(`arn:aws:iam::${ACCOUNT}:role/`);
    // The template (over CreateChangeSet's 51,200-byte TemplateBody limit since the compaction
    // resources, so uploaded and passed as TemplateURL), the three Glue scripts, then the semantics
    // the stack now runs with (for the next backfill).
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key)).toEqual([
      expect.stringMatching(/^_lakec\/templates\/lakec-reviews-[0-9a-f]+\.yaml$/),
      expect.stringMatching(/scripts\/lakec-reviews-clean-/),
      expect.stringMatching(/scripts\/lakec-reviews-flatten-/),
      expect.stringMatching(/scripts\/lakec-reviews-compact-/),
      "_lakec/state/reviews-semantics.json",
    ]);
    expect(cfn).toHaveReceivedNthCommandWith(CreateChangeSetCommand, 2, {
      Tags: [{ Key: "lakec:sha256:SnowflakeExternalId", Value: sha256(fake.integrations.get("LAKE_S3")!.externalId) }],
    });
    const order = logged.map((l) => l.split(":")[0]);
    expect(order.indexOf("snowflake")).toBeGreaterThan(order.indexOf("aws"));
    // The auto-refresh guide's last step, after the notification is wired: one REFRESH per table.
    // https://docs.snowflake.com/en/user-guide/tables-external-s3
    const wiring = logged.findIndex((l) => l.startsWith("aws: wiring"));
    const refreshes = logged.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith("snowflake: refresh external table"));
    expect(wiring).toBeGreaterThan(order.indexOf("snowflake"));
    expect(refreshes.map(([l]) => l)).toEqual(desired.snowflake.externalTables.map((t) => `snowflake: refresh external table ${t.name}`));
    expect(refreshes.every(([, i]) => i > wiring)).toBe(true);
    expect(fake.registeredFiles("PRODUCT_REVIEWS")).toEqual([published]);

    const again = await makePlan(desired, ["aws", "snowflake"], ctx);
    expect(again.plan.steps).toEqual([]);
  });
});
