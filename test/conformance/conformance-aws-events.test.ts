// S3, EventBridge, SNS and CloudWatch conformance: the event wiring and the alerts of the
// generated stack, over the reference pipelines and every-option.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { METRICS } from "../../targets/glue/layout.js";
import { physicalNames } from "../../targets/cloudformation/names.js";
import { conformancePipelines } from "../support/conformance-fixtures.js";

type Obj = Record<string, unknown>;
type Resource = { Type: string; Properties: Obj };

describe.each(conformancePipelines())("S3/EventBridge conformance: $file", ({ ir, files }) => {
  const template = parse(files.get(`generated/${ir.name}/cloudformation/template.yaml`)!) as { Resources: Record<string, Resource> };
  const resources = template.Resources;
  const ofType = (t: string) => Object.entries(resources).filter(([, r]) => r.Type === t);
  const names = physicalNames(ir);

  // S3 sends events to EventBridge only when the bucket enables it:
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html
  // "Object Created" events carry bucket.name and object.key under detail:
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
  it("routes the raw bucket's Object Created events of each source prefix to the state machine", () => {
    expect((resources.RawBucket!.Properties.NotificationConfiguration as Obj).EventBridgeConfiguration).toEqual({
      EventBridgeEnabled: true,
    });
    const rules = ofType("AWS::Events::Rule").filter(([id]) => id.endsWith("ObjectCreatedRule"));
    expect(rules).toHaveLength(ir.sources.length);
    for (const [, rule] of rules) {
      expect(rule.Properties.EventPattern).toMatchObject({
        source: ["aws.s3"],
        "detail-type": ["Object Created"],
        detail: { bucket: { name: [ir.aws.rawBucket] } },
      });
      // Undeliverable events go to a dead-letter queue instead of being dropped after 24 hours:
      // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
      expect((rule.Properties.Targets as Obj[])[0]).toMatchObject({
        DeadLetterConfig: { Arn: expect.anything() },
        RetryPolicy: { MaximumEventAgeInSeconds: 86400 },
      });
    }
  });

  // Glue emits "Glue Job State Change" with detail.state TIMEOUT for a run that hit its timeout:
  // https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html
  // An EventBridge rule may publish to an SNS topic only if the topic's access policy allows
  // events.amazonaws.com: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
  it("alerts on Glue runs that reached their timeout, and on failed compaction runs, through a topic policy scoped to those rules", () => {
    const rule = resources.GlueTimeoutRule!;
    expect(rule.Properties.EventPattern).toEqual({
      source: ["aws.glue"],
      "detail-type": ["Glue Job State Change"],
      detail: { jobName: [names.cleanJob, names.flattenJob, names.compactJob], state: ["TIMEOUT"] },
    });
    // No state machine runs the compaction job (its trigger does), so its FAILED/ERROR runs are
    // alerted from the same Glue events; the clean and flatten jobs' are alerted by the state machine.
    // FAILED includes a run refused for exceeding MaxConcurrentRuns, ERROR a trigger that started a
    // deleted job: https://docs.aws.amazon.com/glue/latest/dg/job-run-statuses.html
    const compaction = resources.CompactionFailedRule!;
    expect(compaction.Properties.EventPattern).toEqual({
      source: ["aws.glue"],
      "detail-type": ["Glue Job State Change"],
      detail: { jobName: [names.compactJob], state: ["FAILED", "ERROR"] },
    });
    expect((compaction.Properties.Targets as Obj[])[0]).toMatchObject({ Arn: { Ref: "AlertTopic" } });
    expect((rule.Properties.Targets as Obj[])[0]).toMatchObject({ Arn: { Ref: "AlertTopic" } });
    const policy = resources.AlertTopicPolicy!.Properties;
    expect(policy.Topics).toEqual([{ Ref: "AlertTopic" }]);
    expect((policy.PolicyDocument as { Statement: Obj[] }).Statement).toEqual([
      expect.objectContaining({
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sns:Publish",
        Condition: { ArnEquals: { "aws:SourceArn": { "Fn::GetAtt": ["GlueTimeoutRule", "Arn"] } } },
      }),
      expect.objectContaining({
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sns:Publish",
        Condition: { ArnEquals: { "aws:SourceArn": { "Fn::GetAtt": ["CompactionFailedRule", "Arn"] } } },
      }),
    ]);
  });

  // A CloudWatch alarm watches one metric by namespace, name and dimensions:
  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
  // PutMetricData: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
  it("alarms on the quarantine ratio the clean job publishes, at the pipeline's threshold", () => {
    const alarm = resources.QuarantineRatioAlarm!.Properties;
    expect(alarm).toMatchObject({
      Namespace: METRICS.namespace,
      MetricName: METRICS.quarantineRatio,
      Dimensions: [{ Name: METRICS.dimension, Value: ir.name }],
      Threshold: ir.aws.quarantineAlarmRatio,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      AlarmActions: [{ Ref: "AlertTopic" }],
    });
    const clean = files.get(`generated/${ir.name}/glue/clean.py`)!;
    // test/targets/glue-runtime.test.ts runs publish_metrics itself.
    for (const v of [METRICS.namespace, METRICS.dimension, METRICS.quarantineRatio]) expect(clean).toContain(`"${v}"`);
    expect(clean).toMatch(/boto3\.client\("cloudwatch"\)\.put_metric_data\(Namespace=METRICS\["namespace"\], MetricData=data\)/);
    expect(clean).toMatch(/\n {4}publish_metrics\(manifest\)\n/);
    // The job role may publish to that namespace (PutMetricData has no resource-level permission).
    const glueRole = JSON.stringify(resources.GlueJobRole!.Properties.Policies);
    expect(glueRole).toContain(`"cloudwatch:namespace":["Glue","${METRICS.namespace}"]`);
  });

  it("subscribes the alert e-mail when given", () => {
    const subscriptions = ofType("AWS::SNS::Subscription");
    expect(subscriptions.map(([, s]) => s.Properties)).toEqual(
      ir.aws.alarmEmail ? [{ TopicArn: { Ref: "AlertTopic" }, Protocol: "email", Endpoint: ir.aws.alarmEmail }] : [],
    );
  });
});
