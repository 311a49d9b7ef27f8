// The state machine that processes one raw object: route the EventBridge event to its source,
// run the Glue clean job, then the flatten job, and on any failure publish an alert and fail.
// `${...}` placeholders are filled by CloudFormation's DefinitionSubstitutions.
import type { PipelineIR, SourceIR } from "../../compiler/ir.js";
import { generatedBy } from "../text-escape.js";
import { airflowEventsState, AIRFLOW_STATE } from "./airflow-events.js";
import { dedupeStates, DEDUPE_STATE } from "./dedupe.js";
import { glueStep } from "./glue-step.js";
import type { Json, State } from "./asl-types.js";

/** State names: the local engine overrides the Task states (`…Task`, notifyFailure) by these names. */
export const STATE = {
  checkEvent: "CheckEvent",
  invalidEvent: "InvalidEvent",
  route: "RouteBySource",
  unknownPrefix: "UnknownPrefix",
  nextArrival: "NextArrival",
  recordArrival: "RecordArrival",
  clean: "Clean",
  cleanTask: "Run clean job",
  flatten: "Flatten",
  flattenTask: "Run flatten job",
  published: "Published",
  done: "Done",
  claimFailed: "ClaimFailed",
  arrivalFailed: "ArrivalFailed",
  cleanFailed: "CleanFailed",
  flattenFailed: "FlattenFailed",
  airflowFailed: "AirflowFailed",
  notifyFailure: "NotifyFailure",
  failed: "Failed",
} as const;

export const sourceStateName = (source: SourceIR): string => `Source ${source.name}`;

/** Placeholders in the definition, each bound by the template's DefinitionSubstitutions. */
export const SUBSTITUTIONS = {
  cleanJobName: "CleanJobName",
  flattenJobName: "FlattenJobName",
  alertTopicArn: "AlertTopicArn",
  deliveriesTableName: "DeliveriesTableName",
  arrivalsTableName: "ArrivalsTableName",
} as const;

const placeholder = (name: string): string => `\${${name}}`;

const SNS_PUBLISH = "arn:aws:states:::sns:publish";
const DYNAMODB_UPDATE = "arn:aws:states:::dynamodb:updateItem";

/** The arrivals table's items: one counter per pipeline, one item per raw object version. */
export const ARRIVALS = {
  partitionKey: "pk",
  counterKey: "counter",
  counterAttribute: "next_seq",
  arrivalAttribute: "arrival_seq",
} as const;

// Throttling and transient DynamoDB errors; a lost update is impossible (ADD and if_not_exists
// are atomic), so retrying only costs a skipped counter value.
const DYNAMODB_RETRY: Json = [
  {
    ErrorEquals: [
      "DynamoDB.ProvisionedThroughputExceededException",
      "DynamoDB.ThrottlingException",
      "DynamoDB.RequestLimitExceeded",
      "DynamoDB.InternalServerErrorException",
      "DynamoDB.AmazonDynamoDBException",
      "States.Timeout",
    ],
    IntervalSeconds: 1,
    MaxAttempts: 6,
    BackoffRate: 2,
    MaxDelaySeconds: 30,
    JitterStrategy: "FULL",
  },
];

/**
 * The arrival order (docs/language.md, "Arrival order"): NextArrival takes the next value of the
 * pipeline's counter (an atomic ADD), RecordArrival keeps it for this object version unless the
 * version already has one (`if_not_exists`), so a reprocessed or twice-delivered object keeps its
 * first arrival and a new upload to the same key gets a new one. The value reaches the Glue jobs
 * as `--arrival_seq` and every row as `_arrival_seq`. Documented at
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html (optimized UpdateItem).
 */
function arrivalStates(): Record<string, State> {
  const table = placeholder(SUBSTITUTIONS.arrivalsTableName);
  return {
    [STATE.nextArrival]: {
      Type: "Task",
      Resource: DYNAMODB_UPDATE,
      Parameters: {
        TableName: table,
        Key: { [ARRIVALS.partitionKey]: { S: ARRIVALS.counterKey } },
        UpdateExpression: `ADD ${ARRIVALS.counterAttribute} :one`,
        ExpressionAttributeValues: { ":one": { N: "1" } },
        ReturnValues: "UPDATED_NEW",
      },
      ResultSelector: { [`seq.$`]: `$.Attributes.${ARRIVALS.counterAttribute}.N` },
      ResultPath: "$.counter",
      Retry: DYNAMODB_RETRY,
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: STATE.arrivalFailed }],
      Next: STATE.recordArrival,
    },
    [STATE.recordArrival]: {
      Type: "Task",
      Resource: DYNAMODB_UPDATE,
      Parameters: {
        TableName: table,
        Key: { [ARRIVALS.partitionKey]: { "S.$": "States.Format('object#{}#{}', $.detail.object.key, $.detail.object.etag)" } },
        UpdateExpression: `SET ${ARRIVALS.arrivalAttribute} = if_not_exists(${ARRIVALS.arrivalAttribute}, :seq)`,
        ExpressionAttributeValues: { ":seq": { "N.$": "$.counter.seq" } },
        ReturnValues: "ALL_NEW",
      },
      ResultSelector: { [`seq.$`]: `$.Attributes.${ARRIVALS.arrivalAttribute}.N` },
      ResultPath: "$.arrival",
      Retry: DYNAMODB_RETRY,
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: STATE.arrivalFailed }],
      Next: STATE.clean,
    },
  };
}

/** `StringMatches` treats `*` as a wildcard and `\` as its escape. */
export function matchPattern(prefix: string): string {
  return `${prefix.replace(/[\\*]/g, (c) => `\\${c}`)}*`;
}

/**
 * S3 event notifications carry the key form-URL-encoded (space as `+`, `/` kept). Whether the
 * EventBridge copy does is not documented, so a prefix with characters that encoding changes is
 * matched in both spellings. The Glue job resolves the exact key (see targets/glue).
 */
export function prefixVariants(prefix: string): string[] {
  const encoded = prefix
    .split("/")
    .map((part) => encodeURIComponent(part).replace(/%20/g, "+"))
    .join("/");
  return encoded === prefix ? [prefix] : [prefix, encoded];
}

function routeState(ir: PipelineIR): State {
  // Longest prefix first, so `yelp/business/` wins over a hypothetical `yelp/`.
  const sources = [...ir.sources].sort((a, b) => b.prefix.length - a.prefix.length || a.name.localeCompare(b.name));
  const choices: Json[] = sources.flatMap((s) =>
    prefixVariants(s.prefix).map((p) => ({ Variable: "$.detail.object.key", StringMatches: matchPattern(p), Next: sourceStateName(s) })),
  );
  return { Type: "Choice", Choices: choices, Default: STATE.unknownPrefix };
}

function sourceState(ir: PipelineIR, source: SourceIR): State {
  const tables = ir.tables.filter((t) => t.source === source.name).map((t) => `s3://${ir.aws.processedBucket}/${t.name}/`);
  return {
    Type: "Pass",
    Comment: `Objects under s3://${ir.aws.rawBucket}/${source.prefix}`,
    Result: { source: source.name, outputs: tables },
    ResultPath: "$.lakec",
    Next: DEDUPE_STATE.identify,
  };
}

const GLUE_ARGUMENTS = {
  "--source.$": "$.lakec.source",
  "--raw_bucket.$": "$.detail.bucket.name",
  "--raw_key.$": "$.detail.object.key",
  "--event_time.$": "$.time",
  "--event_id.$": "$.id",
  "--arrival_seq.$": "$.arrival.seq",
} as const;

/** Where a failure state finds the event's fields: the execution input, or the Published output. */
const EVENT_PATHS = { source: "$.lakec.source", bucket: "$.detail.bucket.name", key: "$.detail.object.key", eventId: "$.id" };
const PUBLISHED_PATHS = { source: "$.source", bucket: "$.bucket", key: "$.key", eventId: "$.eventId" };

function failureState(ir: PipelineIR, step: "deduplicate" | "arrival" | "clean" | "flatten" | "airflow", at = EVENT_PATHS): State {
  return {
    Type: "Pass",
    Comment: `Describe a failed ${step} step for the alert and the execution's cause`,
    Parameters: {
      pipeline: ir.name,
      // Environments may alert the same people: say whose failure it is.
      ...(ir.environment && { environment: ir.environment.name }),
      step,
      "source.$": at.source,
      "bucket.$": at.bucket,
      "key.$": at.key,
      "eventId.$": at.eventId,
      "error.$": "$.error.Error",
      "cause.$": "$.error.Cause",
      "summary.$": `States.Format('lakec pipeline ${ir.name}: ${step} failed for s3://{}/{} ({}): {}', ${at.bucket}, ${at.key}, $.error.Error, $.error.Cause)`,
    },
    ResultPath: "$.alert",
    Next: STATE.notifyFailure,
  };
}

function notifyState(ir: PipelineIR): State {
  return {
    Type: "Task",
    Resource: SNS_PUBLISH,
    Parameters: {
      TopicArn: placeholder(SUBSTITUTIONS.alertTopicArn),
      Subject: `lakec ${ir.name}${ir.environment ? ` (${ir.environment.name})` : ""}: processing failed`.slice(0, 100),
      // Step Functions serialises an object Message to JSON text. (States.JsonToString would do
      // too, but aws-local-stepfunctions strips its backslashes, which the local engine would inherit.)
      "Message.$": "$.alert",
    },
    ResultPath: null,
    Retry: [
      {
        ErrorEquals: ["States.TaskFailed"],
        IntervalSeconds: 2,
        MaxAttempts: 3,
        BackoffRate: 2,
        MaxDelaySeconds: 30,
        JitterStrategy: "FULL",
      },
    ],
    // An alert that cannot be sent must not hide the original failure.
    Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.notifyError", Next: STATE.failed }],
    Next: STATE.failed,
  };
}

export function buildDefinition(ir: PipelineIR): { readonly [key: string]: Json } {
  const airflow = airflowEventsState(ir, STATE.done, STATE.airflowFailed);
  const prefixes = ir.sources.map((s) => s.prefix).join(", ");
  const states: Record<string, State> = {
    [STATE.checkEvent]: {
      Type: "Choice",
      // Written with `IsPresent: true` (not `Or` of `IsPresent: false`): same meaning, and the
      // local engine's aws-local-stepfunctions 3.0 never matches `IsPresent: false`.
      Choices: [
        {
          And: ["$.detail.bucket.name", "$.detail.object.key", "$.detail.object.etag", "$.time", "$.id"].map((v) => ({
            Variable: v,
            IsPresent: true,
          })),
          Next: STATE.route,
        },
      ],
      Default: STATE.invalidEvent,
    },
    [STATE.invalidEvent]: {
      Type: "Fail",
      Error: "lakec.InvalidEvent",
      Cause:
        "The input is not an EventBridge 'Object Created' event: detail.bucket.name, detail.object.key, detail.object.etag, time or id is missing.",
    },
    [STATE.route]: routeState(ir),
    [STATE.unknownPrefix]: {
      Type: "Fail",
      Error: "lakec.UnknownPrefix",
      Cause: `The object key is under no source prefix of pipeline ${ir.name} (${prefixes}).`,
    },
    ...Object.fromEntries(ir.sources.map((s) => [sourceStateName(s), sourceState(ir, s)])),
    ...dedupeStates(placeholder(SUBSTITUTIONS.deliveriesTableName), STATE.nextArrival, STATE.claimFailed),
    ...arrivalStates(),
    [STATE.clean]: glueStep(
      { step: STATE.clean, task: STATE.cleanTask },
      placeholder(SUBSTITUTIONS.cleanJobName),
      GLUE_ARGUMENTS,
      "$.clean",
      STATE.cleanFailed,
      STATE.flatten,
    ),
    [STATE.flatten]: glueStep(
      { step: STATE.flatten, task: STATE.flattenTask },
      placeholder(SUBSTITUTIONS.flattenJobName),
      GLUE_ARGUMENTS,
      "$.flatten",
      STATE.flattenFailed,
      STATE.published,
    ),
    [STATE.published]: {
      Type: "Pass",
      Comment: "Snowflake auto-refresh picks the new files up from the processed bucket's S3 notifications.",
      Parameters: {
        "source.$": "$.lakec.source",
        "bucket.$": "$.detail.bucket.name",
        "key.$": "$.detail.object.key",
        "eventId.$": "$.id",
        "outputs.$": "$.lakec.outputs",
        "cleanJobRunId.$": "$.clean.JobRunId",
        "flattenJobRunId.$": "$.flatten.JobRunId",
      },
      Next: airflow ? AIRFLOW_STATE.notify : STATE.done,
    },
    ...(airflow ? { [AIRFLOW_STATE.notify]: airflow, [STATE.airflowFailed]: failureState(ir, "airflow", PUBLISHED_PATHS) } : {}),
    [STATE.done]: { Type: "Succeed" },
    [STATE.claimFailed]: failureState(ir, "deduplicate"),
    [STATE.arrivalFailed]: failureState(ir, "arrival"),
    [STATE.cleanFailed]: failureState(ir, "clean"),
    [STATE.flattenFailed]: failureState(ir, "flatten"),
    [STATE.notifyFailure]: notifyState(ir),
    [STATE.failed]: { Type: "Fail", ErrorPath: "$.alert.error", CausePath: "$.alert.summary" },
  };
  return {
    Comment: `${generatedBy(ir.sourceFile)}. Processes one raw object of pipeline ${ir.name}.`,
    StartAt: STATE.checkEvent,
    States: states,
  };
}
