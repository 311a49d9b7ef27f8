// Operators hear about failures: an SNS topic (optionally mailed), alarms on failed executions,
// on events that never reached the state machine and on files with many invalid records, and an
// EventBridge rule that forwards Glue job runs that hit their timeout.
import type { PipelineIR } from "../../compiler/ir.js";
import { METRICS, metricPipeline } from "../glue/layout.js";
import { LOGICAL, physicalNames } from "./names.js";
import { fromEventBridgeRules, getAtt, policyDocument, ref, type Resources } from "./intrinsics.js";

export function alertResources(ir: PipelineIR): Resources {
  const names = physicalNames(ir);
  const common = {
    Statistic: "Sum",
    Period: 300,
    EvaluationPeriods: 1,
    Threshold: 1,
    ComparisonOperator: "GreaterThanOrEqualToThreshold",
    TreatMissingData: "notBreaching",
    ActionsEnabled: true,
    AlarmActions: [ref(LOGICAL.alertTopic)],
  };
  const resources: Resources = {
    [LOGICAL.alertTopic]: {
      Type: "AWS::SNS::Topic",
      Properties: {
        TopicName: names.alertTopic,
        DisplayName: `lakec ${ir.name}${ir.environment ? ` (${ir.environment.name})` : ""} alerts`,
      },
    },
    [LOGICAL.failedExecutionsAlarm]: {
      Type: "AWS::CloudWatch::Alarm",
      Properties: {
        AlarmDescription: `lakec ${ir.name}: a raw object failed processing; see the alert topic and the state machine's execution history`,
        Namespace: "AWS/States",
        MetricName: "ExecutionsFailed",
        Dimensions: [{ Name: "StateMachineArn", Value: ref(LOGICAL.stateMachine) }],
        ...common,
      },
    },
    [LOGICAL.deadLetterAlarm]: {
      Type: "AWS::CloudWatch::Alarm",
      Properties: {
        AlarmDescription: `lakec ${ir.name}: S3 events could not start the state machine; replay them from the dead-letter queue`,
        Namespace: "AWS/SQS",
        MetricName: "ApproximateNumberOfMessagesVisible",
        Dimensions: [{ Name: "QueueName", Value: getAtt(LOGICAL.eventsDeadLetterQueue, "QueueName") }],
        ...common,
        Statistic: "Maximum",
      },
    },
  };
  resources[LOGICAL.quarantineRatioAlarm] = {
    Type: "AWS::CloudWatch::Alarm",
    Properties: {
      AlarmDescription: `lakec ${ir.name}: a raw file had ${Math.round(ir.aws.quarantineAlarmRatio * 1000) / 10}% or more invalid records (aws.quarantine_alarm_ratio); see its quarantine under _lakec/quarantine/`,
      Namespace: METRICS.namespace,
      MetricName: METRICS.quarantineRatio,
      Dimensions: [{ Name: METRICS.dimension, Value: metricPipeline(ir) }],
      ...common,
      Statistic: "Maximum",
      Threshold: ir.aws.quarantineAlarmRatio,
    },
  };
  // Glue reports a run that reached its timeout as a "Glue Job State Change" event with state
  // TIMEOUT: https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html
  resources[LOGICAL.glueTimeoutRule] = {
    Type: "AWS::Events::Rule",
    Properties: {
      Description: `lakec ${ir.name}: a Glue job run reached its timeout (aws.glue.timeout_minutes)`,
      EventPattern: {
        source: ["aws.glue"],
        "detail-type": ["Glue Job State Change"],
        detail: { jobName: [names.cleanJob, names.flattenJob, names.compactJob], state: ["TIMEOUT"] },
      },
      State: "ENABLED",
      Targets: [
        {
          Id: "AlertTopic",
          Arn: ref(LOGICAL.alertTopic),
          InputTransformer: {
            InputPathsMap: { job: "$.detail.jobName", run: "$.detail.jobRunId", message: "$.detail.message" },
            InputTemplate: `"lakec ${ir.name}: Glue job <job> run <run> reached its timeout of ${ir.aws.glue.timeoutMinutes} minutes: <message>"`,
          },
        },
      ],
    },
  };
  // The state machine alerts on clean and flatten failures; nothing runs the compaction job but
  // its trigger, so its failed runs reach the topic through the same Glue events. FAILED also
  // covers a run refused because the previous one still runs (MaxConcurrentRuns 1), ERROR a
  // trigger starting a deleted job: https://docs.aws.amazon.com/glue/latest/dg/job-run-statuses.html
  resources[LOGICAL.compactionFailedRule] = {
    Type: "AWS::Events::Rule",
    Properties: {
      Description: `lakec ${ir.name}: a run of the compaction job failed`,
      EventPattern: {
        source: ["aws.glue"],
        "detail-type": ["Glue Job State Change"],
        detail: { jobName: [names.compactJob], state: ["FAILED", "ERROR"] },
      },
      State: "ENABLED",
      Targets: [
        {
          Id: "AlertTopic",
          Arn: ref(LOGICAL.alertTopic),
          InputTransformer: {
            InputPathsMap: { run: "$.detail.jobRunId", state: "$.detail.state", message: "$.detail.message" },
            InputTemplate: `"lakec ${ir.name}: compaction job run <run> ended <state>: <message>. Partitions it had not committed keep their objects; the next scheduled run retries them."`,
          },
        },
      ],
    },
  };
  // EventBridge publishes to the topic only if the topic policy lets it, for these rules alone.
  resources[LOGICAL.alertTopicPolicy] = {
    Type: "AWS::SNS::TopicPolicy",
    Properties: {
      Topics: [ref(LOGICAL.alertTopic)],
      PolicyDocument: policyDocument([
        fromEventBridgeRules("GlueTimeoutEvents", "sns:Publish", ref(LOGICAL.alertTopic), getAtt(LOGICAL.glueTimeoutRule, "Arn")),
        fromEventBridgeRules("CompactionFailedEvents", "sns:Publish", ref(LOGICAL.alertTopic), getAtt(LOGICAL.compactionFailedRule, "Arn")),
      ]),
    },
  };
  if (ir.aws.alarmEmail) {
    resources[LOGICAL.alertEmailSubscription] = {
      Type: "AWS::SNS::Subscription",
      Properties: { TopicArn: ref(LOGICAL.alertTopic), Protocol: "email", Endpoint: ir.aws.alarmEmail },
    };
  }
  return resources;
}
