// Reading the deployed AWS state (stack, template, scripts, drift), recovering a failed first
// create, and the replacement table checked against the CloudFormation resource specification.
import { beforeEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackEventsCommand,
  DescribeStackResourceDriftsCommand,
  DescribeStacksCommand,
  DetectStackDriftCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
} from "@aws-sdk/client-cloudformation";
import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { loadAwsServiceSpec } from "@aws-cdk/aws-service-spec";
import { REPLACE_ON_CHANGE } from "../../deploy/aws-replacement.js";
import { desiredState } from "../../deploy/desired.js";
import { diffAws, driftNotes } from "../../deploy/diff-aws.js";
import { awsClients } from "../../deploy/providers/aws/clients.js";
import { deployStack } from "../../deploy/providers/aws/changeset.js";
import { readAws } from "../../deploy/providers/aws/read.js";
import { reviewsIr } from "../support/deploy-helpers.js";

const cfn = mockClient(CloudFormationClient);
const s3 = mockClient(S3Client);
const clients = () => awsClients("eu-west-1", { credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test" } }, async () => {});
const STACK = "lakec-reviews";

beforeEach(() => {
  cfn.reset();
  s3.reset();
});

describe("reading the deployed AWS state", () => {
  it("a missing stack plans every resource and the three scripts (clean, flatten, compact) as creates", async () => {
    cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error(`Stack with id ${STACK} does not exist`), { name: "ValidationError" }));
    s3.on(HeadObjectCommand).rejects(Object.assign(new Error("NotFound"), { name: "NotFound", $metadata: { httpStatusCode: 404 } }));
    const desired = desiredState(reviewsIr()).aws({});
    const deployed = await readAws(clients(), STACK, desired.scripts, { drift: true });
    expect(deployed).toEqual({ presentScripts: [] });
    const steps = diffAws(desired, deployed);
    expect(steps.filter((s) => s.kind === "script")).toHaveLength(3);
    expect(steps.filter((s) => s.kind === "resource").map((s) => s.action)).toEqual(
      Object.keys(desired.template.Resources).map(() => "create"),
    );
    expect(cfn).not.toHaveReceivedCommand(DetectStackDriftCommand);
  });

  it("a deployed stack: template from GetTemplate, parameters, present scripts, and drift as plan notes", async () => {
    const desired = desiredState(reviewsIr()).aws({});
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: STACK,
          StackId: "arn:aws:cloudformation:eu-west-1:123456789012:stack/lakec-reviews/1",
          StackStatus: "UPDATE_COMPLETE",
          CreationTime: new Date(),
          Parameters: [{ ParameterKey: "SnowflakeExternalId", ParameterValue: "X" }],
        },
      ],
    });
    cfn.on(GetTemplateCommand).resolves({ TemplateBody: desired.templateBody });
    s3.on(HeadObjectCommand).resolves({});
    cfn.on(DetectStackDriftCommand).resolves({ StackDriftDetectionId: "d1" });
    cfn
      .on(DescribeStackDriftDetectionStatusCommand)
      .resolvesOnce({ StackId: "s", StackDriftDetectionId: "d1", DetectionStatus: "DETECTION_IN_PROGRESS", Timestamp: new Date() })
      .resolves({
        StackId: "s",
        StackDriftDetectionId: "d1",
        DetectionStatus: "DETECTION_COMPLETE",
        StackDriftStatus: "DRIFTED",
        DriftedStackResourceCount: 1,
        Timestamp: new Date(),
      });
    cfn.on(DescribeStackResourceDriftsCommand).resolves({
      StackResourceDrifts: [
        {
          StackId: "s",
          LogicalResourceId: "RawBucket",
          ResourceType: "AWS::S3::Bucket",
          StackResourceDriftStatus: "MODIFIED",
          Timestamp: new Date(),
          PropertyDifferences: [
            {
              PropertyPath: "/VersioningConfiguration/Status",
              ExpectedValue: "Enabled",
              ActualValue: "Suspended",
              DifferenceType: "NOT_EQUAL",
            },
          ],
        },
      ],
    });
    const deployed = await readAws(clients(), STACK, desired.scripts, { drift: true });
    expect(deployed.stack?.parameters).toEqual({ SnowflakeExternalId: "X" });
    expect(deployed.presentScripts).toEqual(desired.scripts.map((s) => s.key));
    expect(diffAws({ ...desired, parameters: { SnowflakeExternalId: "X" } }, deployed)).toEqual([]);
    expect(driftNotes(deployed)).toEqual([
      "drift: AWS::S3::Bucket RawBucket is MODIFIED (/VersioningConfiguration/Status); changed outside CloudFormation",
    ]);
    expect(cfn).toHaveReceivedCommandWith(DescribeStackResourceDriftsCommand, {
      StackName: STACK,
      StackResourceDriftStatusFilters: ["MODIFIED", "DELETED"],
    });
  });

  it("a stack left in ROLLBACK_COMPLETE by a failed first create is deleted and created again", async () => {
    const stack = (status: "ROLLBACK_COMPLETE" | "DELETE_IN_PROGRESS" | "CREATE_COMPLETE" | "REVIEW_IN_PROGRESS") => ({
      Stacks: [{ StackName: STACK, StackStatus: status, CreationTime: new Date() }],
    });
    cfn
      .on(DescribeStacksCommand)
      .resolvesOnce(stack("ROLLBACK_COMPLETE"))
      .resolvesOnce(stack("DELETE_IN_PROGRESS"))
      .rejectsOnce(Object.assign(new Error(`Stack with id ${STACK} does not exist`), { name: "ValidationError" }))
      .resolves(stack("CREATE_COMPLETE"));
    cfn.on(DeleteStackCommand).resolves({});
    cfn.on(CreateChangeSetCommand).resolves({ Id: "cs" });
    cfn.on(DescribeChangeSetCommand).resolves({ Status: "CREATE_COMPLETE", Changes: [] });
    cfn.on(ExecuteChangeSetCommand).resolves({});
    cfn.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
    const logged: string[] = [];
    const r = await deployStack(clients(), {
      stackName: STACK,
      templateBody: "Resources: {}\n",
      parameters: {},
      allowDestructive: false,
      log: (l) => logged.push(l),
      showChanges: () => {},
    });
    expect(r).toMatchObject({ changed: true, status: "CREATE_COMPLETE" });
    expect(cfn).toHaveReceivedCommandWith(CreateChangeSetCommand, { ChangeSetType: "CREATE" });
    expect(cfn).toHaveReceivedCommandTimes(DeleteStackCommand, 1);
    expect(logged[0]).toMatch(/ROLLBACK_COMPLETE after a failed first create/);
  });
});

describe("re-running an interrupted apply", () => {
  it("waits for the stack operation the killed apply started, then deploys", async () => {
    const at = (status: "UPDATE_IN_PROGRESS" | "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" | "UPDATE_COMPLETE") => ({
      Stacks: [{ StackName: STACK, StackStatus: status, CreationTime: new Date() }],
    });
    cfn
      .on(DescribeStacksCommand)
      .resolvesOnce(at("UPDATE_IN_PROGRESS"))
      .resolvesOnce(at("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"))
      .resolves(at("UPDATE_COMPLETE"));
    cfn.on(CreateChangeSetCommand).resolves({ Id: "cs" });
    cfn.on(DescribeChangeSetCommand).resolves({ Status: "FAILED", StatusReason: "The submitted information didn't contain changes." });
    cfn.on(DeleteChangeSetCommand).resolves({});
    const logged: string[] = [];
    const r = await deployStack(clients(), {
      stackName: STACK,
      templateBody: "Resources: {}\n",
      parameters: {},
      allowDestructive: false,
      log: (l) => logged.push(l),
      showChanges: () => {},
    });
    expect(r).toEqual({ changed: false });
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 3);
    expect(cfn).toHaveReceivedCommandWith(CreateChangeSetCommand, { ChangeSetType: "UPDATE" });
    expect(logged[0]).toBe(`aws: ${STACK} is UPDATE_IN_PROGRESS (an earlier operation); waiting for it to finish`);
  });
});

describe("the replacement table", () => {
  it("matches the CloudFormation spec for every resource type the template emits", async () => {
    const db = await loadAwsServiceSpec();
    const types = new Set(Object.values(desiredState(reviewsIr()).aws({}).template.Resources).map((r) => r.Type));
    for (const type of types) {
      const spec = db.lookup("resource", "cloudFormationType", "equals", type).only();
      const replacing = Object.entries(spec.properties)
        .filter(([, p]) => p.causesReplacement === "yes")
        .map(([k]) => k)
        .sort();
      expect({ type, replacing: [...(REPLACE_ON_CHANGE[type] ?? ["<missing from REPLACE_ON_CHANGE>"])].sort() }).toEqual({
        type,
        replacing,
      });
    }
  }, 30_000);
});
