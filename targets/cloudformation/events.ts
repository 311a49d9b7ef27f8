// S3 → EventBridge → Step Functions: one rule per source prefix, and a dead-letter queue for
// events EventBridge could not deliver (e.g. StartExecution throttled past its retry window).
import type { PipelineIR, SourceIR } from "../../compiler/ir.js";
import { prefixVariants } from "../stepfunctions/index.js";
import { LOGICAL, sourceRuleIds } from "./names.js";
import { fromEventBridgeRules, getAtt, policyDocument, ref, type Resource, type Resources } from "./intrinsics.js";

function rule(ir: PipelineIR, source: SourceIR): Resource {
  return {
    Type: "AWS::Events::Rule",
    Properties: {
      Description: `lakec ${ir.name}: objects created under s3://${ir.aws.rawBucket}/${source.prefix} (source ${source.name})`,
      State: "ENABLED",
      EventPattern: {
        source: ["aws.s3"],
        "detail-type": ["Object Created"],
        detail: {
          bucket: { name: [ir.aws.rawBucket] },
          object: { key: prefixVariants(source.prefix).map((p) => ({ prefix: p })) },
        },
      },
      Targets: [
        {
          Id: "StateMachine",
          Arn: ref(LOGICAL.stateMachine),
          RoleArn: getAtt(LOGICAL.eventsRole, "Arn"),
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
          DeadLetterConfig: { Arn: getAtt(LOGICAL.eventsDeadLetterQueue, "Arn") },
        },
      ],
    },
  };
}

export function eventResources(ir: PipelineIR): Resources {
  const ids = sourceRuleIds(ir);
  const rules = Object.fromEntries(ir.sources.map((s) => [ids.get(s.name)!, rule(ir, s)]));
  return {
    ...rules,
    [LOGICAL.eventsDeadLetterQueue]: {
      Type: "AWS::SQS::Queue",
      Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 },
    },
    [LOGICAL.eventsDeadLetterQueuePolicy]: {
      Type: "AWS::SQS::QueuePolicy",
      Properties: {
        Queues: [ref(LOGICAL.eventsDeadLetterQueue)],
        PolicyDocument: policyDocument([
          fromEventBridgeRules(
            "EventBridgeDeadLetters",
            "sqs:SendMessage",
            getAtt(LOGICAL.eventsDeadLetterQueue, "Arn"),
            [...ids.values()].map((id) => getAtt(id, "Arn")),
          ),
        ]),
      },
    },
  };
}
