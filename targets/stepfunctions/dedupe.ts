// At-least-once delivery, made exactly-once processing. EventBridge may deliver one S3 event
// twice, and S3 may emit one notification twice; each delivery starts an execution, and two
// executions of one object race on the same `_input=` folder. So the first Task of every
// execution claims the delivery in DynamoDB with a conditional put: the second delivery of the
// same object version fails the condition and ends in Succeed without running a job.
// - Delivery key: bucket, key and `version-id` (the raw bucket is versioned, so every PUT has
//   one); without a version, the event's `sequencer` (the same for duplicates of one event);
//   without either (a `lakec apply` backfill, a hand-started execution), the event id, which is
//   unique per backfill request, so reprocessing on purpose is never swallowed.
// DynamoDB integration and its error names: https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html
// Conditional writes: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
import type { State } from "./asl-types.js";

export const DEDUPE_STATE = {
  identify: "IdentifyDelivery",
  byVersion: "DeliveryByVersion",
  bySequencer: "DeliveryBySequencer",
  byEventId: "DeliveryByEventId",
  claim: "ClaimDelivery",
  duplicate: "AlreadyDelivered",
} as const;

/** The partition key attribute of the deliveries table (CloudFormation defines the table). */
export const DELIVERY_KEY_ATTRIBUTE = "delivery";

const CONDITION_FAILED = "DynamoDB.ConditionalCheckFailedException";

function deliveryId(format: string, extra: string): State {
  return {
    Type: "Pass",
    Parameters: { "id.$": `States.Format('${format}', $.detail.bucket.name, $.detail.object.key, ${extra})` },
    ResultPath: "$.delivery",
    Next: DEDUPE_STATE.claim,
  };
}

/**
 * The dedupe states; `next` runs for a first delivery, `onError` (with `$.error`) when the claim
 * itself cannot be made after retries.
 */
export function dedupeStates(tableName: string, next: string, onError: string): Record<string, State> {
  return {
    [DEDUPE_STATE.identify]: {
      Type: "Choice",
      Choices: [
        { Variable: "$.detail.object.version-id", IsPresent: true, Next: DEDUPE_STATE.byVersion },
        { Variable: "$.detail.object.sequencer", IsPresent: true, Next: DEDUPE_STATE.bySequencer },
      ],
      Default: DEDUPE_STATE.byEventId,
    },
    [DEDUPE_STATE.byVersion]: deliveryId("s3://{}/{}?versionId={}", "$.detail.object.version-id"),
    [DEDUPE_STATE.bySequencer]: deliveryId("s3://{}/{}#sequencer={}", "$.detail.object.sequencer"),
    [DEDUPE_STATE.byEventId]: deliveryId("s3://{}/{}#event={}", "$.id"),
    [DEDUPE_STATE.claim]: {
      Type: "Task",
      Resource: "arn:aws:states:::dynamodb:putItem",
      Parameters: {
        TableName: tableName,
        Item: {
          [DELIVERY_KEY_ATTRIBUTE]: { "S.$": "$.delivery.id" },
          // Which event claimed it, for an operator wondering why a delivery was skipped.
          eventId: { "S.$": "$.id" },
          eventTime: { "S.$": "$.time" },
        },
        ConditionExpression: "attribute_not_exists(#d)",
        ExpressionAttributeNames: { "#d": DELIVERY_KEY_ATTRIBUTE },
      },
      ResultPath: null,
      Retry: [
        {
          ErrorEquals: [
            "DynamoDB.ProvisionedThroughputExceededException",
            "DynamoDB.ThrottlingException",
            "DynamoDB.InternalServerErrorException",
            "DynamoDB.RequestLimitExceeded",
          ],
          IntervalSeconds: 2,
          MaxAttempts: 6,
          BackoffRate: 2,
          MaxDelaySeconds: 60,
          JitterStrategy: "FULL",
        },
      ],
      Catch: [
        { ErrorEquals: [CONDITION_FAILED], ResultPath: null, Next: DEDUPE_STATE.duplicate },
        { ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: onError },
      ],
      Next: next,
    },
    [DEDUPE_STATE.duplicate]: { Type: "Succeed", Comment: "Another execution already processes this delivery of the object." },
  };
}
