// Operators hear about failures: an SNS topic (optionally mailed), an alarm on failed
// executions, and an alarm on events that never reached the state machine.
import type { PipelineIR } from "../../compiler/ir.js";
import { LOGICAL, physicalNames } from "./names.js";
import { getAtt, ref, type Resources } from "./intrinsics.js";

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
    [LOGICAL.alertTopic]: { Type: "AWS::SNS::Topic", Properties: { TopicName: names.alertTopic, DisplayName: `lakec ${ir.name} alerts` } },
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
  if (ir.aws.alarmEmail) {
    resources[LOGICAL.alertEmailSubscription] = {
      Type: "AWS::SNS::Subscription",
      Properties: { TopicArn: ref(LOGICAL.alertTopic), Protocol: "email", Endpoint: ir.aws.alarmEmail },
    };
  }
  return resources;
}
