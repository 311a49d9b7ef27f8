// The change-set flow through the real SDK clients: aws-sdk-client-mock answers the commands;
// the throttling test goes one level lower, to the HTTP handler, so the SDK's own retry
// strategy runs.
import { beforeEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  type StackStatus,
} from "@aws-sdk/client-cloudformation";
import { HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { HttpResponse } from "@smithy/protocol-http";
import { ConfiguredRetryStrategy } from "@smithy/core/retry";
import { awsClients } from "../../deploy/providers/aws/clients.js";
import {
  ChangeSetFailedError,
  DestructiveChangeRefused,
  MAX_INLINE_TEMPLATE_BYTES,
  StackRollbackError,
  deployStack,
  type StackDeployment,
} from "../../deploy/providers/aws/changeset.js";
import { describeStack } from "../../deploy/providers/aws/read.js";
import { templateUploader, uploadScripts } from "../../deploy/providers/aws/apply.js";
import { sha256 } from "../../deploy/plan.js";
import type { Step } from "../../deploy/plan.js";

const STACK = "lakec-reviews";
const credentials = { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret" };
const TEMPLATE =
  "Parameters:\n  SnowflakeExternalId: { Type: String, Default: '' }\nResources:\n  RawBucket: { Type: AWS::S3::Bucket, Properties: { BucketName: acme-raw } }\n";
const missing = Object.assign(new Error(`Stack with id ${STACK} does not exist`), { name: "ValidationError" });

const cfn = mockClient(CloudFormationClient);
const s3 = mockClient(S3Client);

function deployment(over: Partial<StackDeployment> = {}): StackDeployment & { logged: string[]; shown: Step[][] } {
  const logged: string[] = [];
  const shown: Step[][] = [];
  return {
    stackName: STACK,
    templateBody: TEMPLATE,
    parameters: { SnowflakeExternalId: "" },
    allowDestructive: false,
    log: (l) => logged.push(l),
    showChanges: (s) => shown.push([...s]),
    logged,
    shown,
    ...over,
  };
}

const clients = () => awsClients("eu-west-1", { credentials }, async () => {});

const stack = (status: StackStatus, extra: object = {}) => ({
  Stacks: [
    {
      StackName: STACK,
      StackId: `arn:aws:cloudformation:eu-west-1:123456789012:stack/${STACK}/x`,
      StackStatus: status,
      CreationTime: new Date(),
      Parameters: [{ ParameterKey: "SnowflakeExternalId", ParameterValue: "" }],
      ...extra,
    },
  ],
});

beforeEach(() => {
  cfn.reset();
  s3.reset();
  cfn.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
});

describe("deployStack", () => {
  it("creates a new stack: CREATE change set, shown, executed, waited for", async () => {
    cfn
      .on(DescribeStacksCommand)
      .rejectsOnce(missing)
      .resolvesOnce(stack("REVIEW_IN_PROGRESS"))
      .resolvesOnce(stack("CREATE_IN_PROGRESS"))
      .resolves(stack("CREATE_COMPLETE", { Outputs: [{ OutputKey: "RawBucketName", OutputValue: "acme-raw" }] }));
    cfn.on(CreateChangeSetCommand).resolves({ Id: "cs" });
    cfn
      .on(DescribeChangeSetCommand)
      .resolvesOnce({ Status: "CREATE_PENDING" })
      .resolves({
        Status: "CREATE_COMPLETE",
        Changes: [{ Type: "Resource", ResourceChange: { Action: "Add", LogicalResourceId: "RawBucket", ResourceType: "AWS::S3::Bucket" } }],
      });
    cfn.on(ExecuteChangeSetCommand).resolves({});
    const d = deployment();
    const r = await deployStack(clients(), d);
    expect(r).toEqual({ changed: true, status: "CREATE_COMPLETE", outputs: { RawBucketName: "acme-raw" } });
    expect(cfn).toHaveReceivedCommandWith(CreateChangeSetCommand, {
      StackName: STACK,
      ChangeSetType: "CREATE",
      TemplateBody: TEMPLATE,
      Capabilities: ["CAPABILITY_NAMED_IAM"],
    });
    expect(cfn).toHaveReceivedCommandTimes(ExecuteChangeSetCommand, 1);
    expect(d.shown[0]!.map((s) => `${s.action} ${s.resource}`)).toEqual(["create AWS::S3::Bucket RawBucket"]);
  });

  it("an update replacing a bucket is refused without --allow-destructive, and runs with it", async () => {
    cfn.on(DescribeStacksCommand).resolves(stack("UPDATE_COMPLETE"));
    cfn.on(CreateChangeSetCommand).resolves({ Id: "cs" });
    cfn.on(DescribeChangeSetCommand).resolves({
      Status: "CREATE_COMPLETE",
      Changes: [
        {
          Type: "Resource",
          ResourceChange: {
            Action: "Modify",
            LogicalResourceId: "RawBucket",
            ResourceType: "AWS::S3::Bucket",
            Replacement: "True",
            Details: [
              { Target: { Attribute: "Properties", Name: "BucketName", RequiresRecreation: "Always" }, ChangeSource: "DirectModification" },
            ],
          },
        },
        {
          Type: "Resource",
          ResourceChange: { Action: "Modify", LogicalResourceId: "CleanJob", ResourceType: "AWS::Glue::Job", Replacement: "Conditional" },
        },
      ],
    });
    cfn.on(DeleteChangeSetCommand).resolves({});
    cfn.on(ExecuteChangeSetCommand).resolves({});
    const refused = deployment();
    await expect(deployStack(clients(), refused)).rejects.toThrow(DestructiveChangeRefused);
    expect(cfn).toHaveReceivedCommandWith(CreateChangeSetCommand, {
      ChangeSetType: "UPDATE",
      Parameters: [{ ParameterKey: "SnowflakeExternalId", ParameterValue: "" }],
    });
    expect(cfn).toHaveReceivedCommandTimes(DeleteChangeSetCommand, 1);
    expect(cfn).not.toHaveReceivedCommand(ExecuteChangeSetCommand);
    const shown = refused.shown[0]!;
    expect(shown[0]).toMatchObject({ action: "replace", destructive: true });
    expect(shown[0]!.details[0]).toBe("Replacement: True");
    expect(shown[1]).toMatchObject({ action: "update", destructive: false, details: ["Replacement: Conditional"] });

    const allowed = await deployStack(clients(), deployment({ allowDestructive: true }));
    expect(allowed).toMatchObject({ changed: true, status: "UPDATE_COMPLETE" });
    expect(cfn).toHaveReceivedCommandTimes(ExecuteChangeSetCommand, 1);
  });

  it("'no changes' is not an error: the empty change set is deleted", async () => {
    cfn.on(DescribeStacksCommand).resolves(stack("UPDATE_COMPLETE"));
    cfn.on(CreateChangeSetCommand).resolves({ Id: "cs" });
    cfn.on(DescribeChangeSetCommand).resolves({
      Status: "FAILED",
      StatusReason: "The submitted information didn't contain changes. Submit different information to create a change set.",
    });
    cfn.on(DeleteChangeSetCommand).resolves({});
    const d = deployment();
    expect(await deployStack(clients(), d)).toEqual({ changed: false });
    expect(cfn).toHaveReceivedCommandTimes(DeleteChangeSetCommand, 1);
    expect(cfn).not.toHaveReceivedCommand(ExecuteChangeSetCommand);
    expect(d.logged).toContain(`aws: ${STACK}: no changes`);
  });

  it("a failed change set surfaces CloudFormation's reason", async () => {
    cfn.on(DescribeStacksCommand).resolves(stack("UPDATE_COMPLETE"));
    cfn.on(CreateChangeSetCommand).resolves({ Id: "cs" });
    cfn.on(DescribeChangeSetCommand).resolves({
      Status: "FAILED",
      StatusReason: "Template format error: Unresolved resource dependencies [GlueJobRole] in the Resources block of the template",
    });
    await expect(deployStack(clients(), deployment())).rejects.toThrow(
      new ChangeSetFailedError(
        `change set for ${STACK} failed: Template format error: Unresolved resource dependencies [GlueJobRole] in the Resources block of the template`,
      ),
    );
  });

  it("a rollback names the failing resource and its reason", async () => {
    cfn
      .on(DescribeStacksCommand)
      .resolvesOnce(stack("UPDATE_COMPLETE"))
      .resolvesOnce(stack("UPDATE_IN_PROGRESS"))
      .resolves(stack("UPDATE_ROLLBACK_COMPLETE"));
    cfn.on(CreateChangeSetCommand).resolves({ Id: "cs" });
    cfn.on(DescribeChangeSetCommand).resolves({
      Status: "CREATE_COMPLETE",
      Changes: [
        {
          Type: "Resource",
          ResourceChange: { Action: "Modify", LogicalResourceId: "CleanJob", ResourceType: "AWS::Glue::Job", Replacement: "False" },
        },
      ],
    });
    cfn.on(ExecuteChangeSetCommand).resolves({});
    const now = new Date(Date.now() + 1000);
    // Newest first, as DescribeStackEvents returns them.
    cfn.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        {
          EventId: "3",
          StackId: "s",
          StackName: STACK,
          LogicalResourceId: STACK,
          ResourceType: "AWS::CloudFormation::Stack",
          ResourceStatus: "UPDATE_ROLLBACK_COMPLETE",
          Timestamp: now,
        },
        {
          EventId: "2",
          StackId: "s",
          StackName: STACK,
          LogicalResourceId: "CleanJob",
          ResourceType: "AWS::Glue::Job",
          ResourceStatus: "UPDATE_FAILED",
          ResourceStatusReason: "Worker type G.9X is not supported (Service: Glue, Status Code: 400)",
          Timestamp: now,
        },
        // Events in the same second can arrive in any order: a cancellation is never the cause.
        {
          EventId: "1",
          StackId: "s",
          StackName: STACK,
          LogicalResourceId: "FlattenJob",
          ResourceType: "AWS::Glue::Job",
          ResourceStatus: "UPDATE_FAILED",
          ResourceStatusReason: "Resource update cancelled",
          Timestamp: now,
        },
      ],
    });
    const d = deployment();
    await expect(deployStack(clients(), d)).rejects.toThrow(
      new StackRollbackError(
        `stack ${STACK} ended in UPDATE_ROLLBACK_COMPLETE: CleanJob (AWS::Glue::Job): Worker type G.9X is not supported (Service: Glue, Status Code: 400)`,
      ),
    );
    expect(d.logged.some((l) => l.includes("CleanJob UPDATE_FAILED"))).toBe(true);
  });
});

describe("Glue script uploads", () => {
  it("uploads only the content-hashed keys that are missing", async () => {
    const notFound = Object.assign(new Error("NotFound"), { name: "NotFound", $metadata: { httpStatusCode: 404 } });
    s3.on(HeadObjectCommand, { Key: "_lakec/scripts/clean-aaa.py" }).resolves({});
    s3.on(HeadObjectCommand, { Key: "_lakec/scripts/flatten-bbb.py" }).rejects(notFound);
    s3.on(PutObjectCommand).resolves({});
    const desired = {
      stackName: STACK,
      templateBody: TEMPLATE,
      template: { Resources: {} },
      parameters: {},
      scripts: [
        { bucket: "art", key: "_lakec/scripts/clean-aaa.py", body: "a" },
        { bucket: "art", key: "_lakec/scripts/flatten-bbb.py", body: "b" },
      ],
    };
    expect(await uploadScripts(clients(), desired, () => {})).toBe(1);
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 1);
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: "art", Key: "_lakec/scripts/flatten-bbb.py", Body: "b" });
  });
});

describe("large templates", () => {
  it("a template over 51,200 bytes is uploaded under a content-hashed key and passed as TemplateURL", async () => {
    const notFound = Object.assign(new Error("NotFound"), { name: "NotFound", $metadata: { httpStatusCode: 404 } });
    s3.on(HeadObjectCommand).rejects(notFound);
    s3.on(PutObjectCommand).resolves({});
    cfn.on(DescribeStacksCommand).resolves(stack("UPDATE_COMPLETE"));
    cfn.on(CreateChangeSetCommand).resolves({ Id: "cs" });
    cfn.on(DescribeChangeSetCommand).resolves({ Status: "FAILED", StatusReason: "No updates are to be performed." });
    cfn.on(DeleteChangeSetCommand).resolves({});
    const big = `${TEMPLATE}Outputs:\n${Array.from({ length: 1200 }, (_, i) => `  Out${i}: { Value: "${"x".repeat(30)}" }`).join("\n")}\n`;
    expect(Buffer.byteLength(big)).toBeGreaterThan(MAX_INLINE_TEMPLATE_BYTES);
    const desired = {
      stackName: STACK,
      templateBody: big,
      template: { Resources: {} },
      parameters: {},
      scripts: [{ bucket: "art", key: "_lakec/scripts/clean-aaa.py", body: "a" }],
    };
    const r = await deployStack(
      clients(),
      deployment({ templateBody: big, uploadTemplate: templateUploader(clients(), desired, "eu-west-1") }),
    );
    expect(r).toEqual({ changed: false });
    const key = `_lakec/templates/${STACK}-${sha256(big).slice(0, 12)}.yaml`;
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: "art", Key: key, Body: big });
    expect(cfn).toHaveReceivedCommandWith(CreateChangeSetCommand, { TemplateURL: `https://art.s3.eu-west-1.amazonaws.com/${key}` });
  });
});

describe("throttling", () => {
  it("the SDK retry strategy retries a throttled DescribeStacks", async () => {
    cfn.restore();
    let calls = 0;
    const body = (xml: string) => new TextEncoder().encode(xml);
    const requestHandler = {
      handle: async () => {
        calls++;
        if (calls <= 2) {
          return {
            response: new HttpResponse({
              statusCode: 400,
              headers: { "content-type": "text/xml" },
              body: body(
                `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r${calls}</RequestId></ErrorResponse>`,
              ),
            }),
          };
        }
        return {
          response: new HttpResponse({
            statusCode: 200,
            headers: { "content-type": "text/xml" },
            body: body(
              `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>${STACK}</StackName><StackId>id</StackId><StackStatus>UPDATE_COMPLETE</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>ok</RequestId></ResponseMetadata></DescribeStacksResponse>`,
            ),
          }),
        };
      },
    };
    const c = awsClients(
      "eu-west-1",
      { credentials, requestHandler, retryStrategy: new ConfiguredRetryStrategy(4, () => 1) },
      async () => {},
    );
    const s = await describeStack(c, STACK);
    expect(s?.StackStatus).toBe("UPDATE_COMPLETE");
    expect(calls).toBe(3);
    const exhausted = awsClients(
      "eu-west-1",
      {
        credentials,
        requestHandler: {
          handle: async () => {
            calls = 0;
            return requestHandler.handle();
          },
        },
        retryStrategy: new ConfiguredRetryStrategy(1, () => 1),
      },
      async () => {},
    );
    await expect(describeStack(exhausted, STACK)).rejects.toThrow(/Rate exceeded/);
  });
});
