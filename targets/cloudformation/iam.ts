// Roles, each allowed exactly what its service does and nothing else. No statement allows a
// wildcard action; the few `Resource: "*"` statements are for APIs that have no resource-level
// permissions (CloudWatch metrics, log delivery), and each says so.
import type { PipelineIR } from "../../compiler/ir.js";
import { PROCESSED_PREFIX } from "../glue/layout.js";
import { CONDITIONS, LOGICAL, PARAMETERS, physicalNames } from "./names.js";
import { claimDeliveryStatement } from "./deliveries.js";
import { METRICS } from "../glue/layout.js";
import {
  escapeSub,
  fnIf,
  getAtt,
  policyDocument,
  ref,
  sub,
  type CfnValue,
  type PolicyStatement,
  type Resource,
  type Resources,
} from "./intrinsics.js";

const ACCOUNT_SOURCE: CfnValue = { StringEquals: { "aws:SourceAccount": ref("AWS::AccountId") } };

const assumedBy = (service: string): CfnValue =>
  policyDocument([{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole", Condition: ACCOUNT_SOURCE }]);

function role(name: string | undefined, trust: CfnValue, policyName: string, statements: PolicyStatement[], description: string): Resource {
  return {
    Type: "AWS::IAM::Role",
    Properties: {
      ...(name ? { RoleName: name } : {}),
      Description: description,
      AssumeRolePolicyDocument: trust,
      Policies: [{ PolicyName: policyName, PolicyDocument: policyDocument(statements) }],
    },
  };
}

/** `s3:prefix` values that let a principal list exactly these prefixes (and their children). */
const listPrefixes = (prefixes: string[]): string[] => prefixes.flatMap((p) => [p, `${p}*`]);
const objectArns = (bucket: string, prefixes: string[]): CfnValue[] => prefixes.map((p) => sub(`\${${bucket}.Arn}/${escapeSub(p)}*`));

/** The artifacts bucket is the processed bucket by default; it may also be one outside the stack. */
export function artifactsObjectArn(ir: PipelineIR, path: string): CfnValue {
  if (ir.aws.artifactsBucket === ir.aws.processedBucket) return sub(`\${${LOGICAL.processedBucket}.Arn}/${escapeSub(path)}`);
  if (ir.aws.artifactsBucket === ir.aws.rawBucket) return sub(`\${${LOGICAL.rawBucket}.Arn}/${escapeSub(path)}`);
  return sub(`arn:\${AWS::Partition}:s3:::${ir.aws.artifactsBucket}/${escapeSub(path)}`);
}

function logGroupArn(name: string): CfnValue {
  return sub(`arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:${name}:*`);
}

function glueJobArn(name: string): CfnValue {
  return sub(`arn:\${AWS::Partition}:glue:\${AWS::Region}:\${AWS::AccountId}:job/${name}`);
}

function glueStatements(ir: PipelineIR): PolicyStatement[] {
  const names = physicalNames(ir);
  const raw = ir.sources.map((s) => s.prefix);
  // _lakec/compaction/: the flatten job reads the compaction records and rewrites packed objects.
  const written = [
    ...ir.tables.map((t) => `${t.name}/`),
    PROCESSED_PREFIX.clean,
    PROCESSED_PREFIX.quarantine,
    PROCESSED_PREFIX.manifests,
    PROCESSED_PREFIX.compaction,
    PROCESSED_PREFIX.tmp,
  ];
  return [
    {
      Sid: "ReadRawObjects",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: objectArns(LOGICAL.rawBucket, raw),
    },
    {
      Sid: "ListRawPrefixes",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: getAtt(LOGICAL.rawBucket, "Arn"),
      Condition: { StringLike: { "s3:prefix": listPrefixes(raw) } },
    },
    {
      Sid: "WriteProcessedPrefixes",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
      // `<dir>*` rather than `<dir>/*`: Hadoop file systems also write `<dir>_$folder$` markers.
      Resource: written.map((p) => sub(`\${${LOGICAL.processedBucket}.Arn}/${escapeSub(p.replace(/\/$/, ""))}*`)),
    },
    {
      Sid: "ListProcessedBucket",
      Effect: "Allow",
      Action: ["s3:ListBucket", "s3:ListBucketMultipartUploads"],
      // Not narrowed by s3:prefix: Spark probes output paths that do not exist yet with HEAD, and
      // S3 answers a HEAD on a missing key with 403 instead of 404 unless the caller may list the
      // bucket. Listing shows key names only; reading and writing stay prefix-scoped above.
      Resource: getAtt(LOGICAL.processedBucket, "Arn"),
    },
    {
      Sid: "BucketLocations",
      Effect: "Allow",
      Action: "s3:GetBucketLocation",
      Resource: [getAtt(LOGICAL.rawBucket, "Arn"), getAtt(LOGICAL.processedBucket, "Arn")],
    },
    { Sid: "ReadScripts", Effect: "Allow", Action: "s3:GetObject", Resource: artifactsObjectArn(ir, `${ir.aws.artifactsPrefix}scripts/*`) },
    leaseStatement(),
    {
      Sid: "WriteJobLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: [logGroupArn(`${names.glueLogGroupPrefix}/error`), logGroupArn(`${names.glueLogGroupPrefix}/output`)],
    },
    {
      Sid: "PublishJobMetrics",
      Effect: "Allow",
      Action: "cloudwatch:PutMetricData",
      // PutMetricData has no resource-level permissions; the namespace condition scopes it.
      Resource: "*",
      // Glue's own job metrics, and the clean job's quarantine metrics (the alarm reads them).
      Condition: { StringEquals: { "cloudwatch:namespace": ["Glue", METRICS.namespace] } },
    },
  ];
}

/** The per-source leases (targets/glue/packed-py.ts): read and conditionally replace an item, on that table only. */
const leaseStatement = (): PolicyStatement => ({
  Sid: "HoldSourceLeases",
  Effect: "Allow",
  Action: ["dynamodb:GetItem", "dynamodb:PutItem"],
  Resource: getAtt(LOGICAL.leasesTable, "Arn"),
});

/**
 * The compaction job's own role: the table prefixes and its records in the processed bucket, its
 * own script, its logs and the leases. No raw bucket, no clean output, no manifests of inputs.
 */
function compactStatements(ir: PipelineIR): PolicyStatement[] {
  const names = physicalNames(ir);
  const written = [...ir.tables.map((t) => `${t.name}/`), PROCESSED_PREFIX.compaction, PROCESSED_PREFIX.tmp];
  return [
    {
      Sid: "RewriteTableObjects",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
      Resource: written.map((p) => sub(`\${${LOGICAL.processedBucket}.Arn}/${escapeSub(p.replace(/\/$/, ""))}*`)),
    },
    {
      Sid: "ListProcessedBucket",
      Effect: "Allow",
      Action: ["s3:ListBucket", "s3:ListBucketMultipartUploads"],
      // As for the other jobs: Spark's HEAD probes need it (see glueStatements).
      Resource: getAtt(LOGICAL.processedBucket, "Arn"),
    },
    { Sid: "BucketLocation", Effect: "Allow", Action: "s3:GetBucketLocation", Resource: getAtt(LOGICAL.processedBucket, "Arn") },
    {
      Sid: "ReadCompactionScript",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: artifactsObjectArn(ir, `${ir.aws.artifactsPrefix}scripts/lakec-${ir.name}-compact-*`),
    },
    leaseStatement(),
    {
      Sid: "WriteJobLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: [logGroupArn(`${names.glueLogGroupPrefix}/error`), logGroupArn(`${names.glueLogGroupPrefix}/output`)],
    },
    {
      Sid: "PublishJobMetrics",
      Effect: "Allow",
      Action: "cloudwatch:PutMetricData",
      // PutMetricData has no resource-level permissions; Glue's own job metrics only.
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": "Glue" } },
    },
  ];
}

/**
 * MWAA's InvokeRestApi, as the Airflow role that may post dataset/asset events (Op), on the one
 * environment: https://docs.aws.amazon.com/mwaa/latest/userguide/access-mwaa-apache-airflow-rest-api.html
 */
function airflowEventsStatements(ir: PipelineIR): PolicyStatement[] {
  const env = ir.airflow.mwaaEnvironment;
  if (!ir.airflow.datasetTriggered || env === undefined) return [];
  return [
    {
      Sid: "PostAirflowEvents",
      Effect: "Allow",
      Action: "airflow:InvokeRestApi",
      Resource: sub(`arn:\${AWS::Partition}:airflow:\${AWS::Region}:\${AWS::AccountId}:role/${escapeSub(env)}/Op`),
    },
  ];
}

function stateMachineStatements(ir: PipelineIR): PolicyStatement[] {
  const names = physicalNames(ir);
  return [
    {
      Sid: "RunGlueJobs",
      Effect: "Allow",
      Action: ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"],
      Resource: [glueJobArn(names.cleanJob), glueJobArn(names.flattenJob)],
    },
    { Sid: "PublishAlerts", Effect: "Allow", Action: "sns:Publish", Resource: ref(LOGICAL.alertTopic) },
    claimDeliveryStatement(),
    // NextArrival and RecordArrival: UpdateItem only, on the arrivals table only.
    { Sid: "AssignArrivals", Effect: "Allow", Action: "dynamodb:UpdateItem", Resource: getAtt(LOGICAL.arrivalsTable, "Arn") },
    ...airflowEventsStatements(ir),
    {
      Sid: "DeliverExecutionLogs",
      Effect: "Allow",
      Action: [
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
      ],
      // CloudWatch Logs vended-log delivery APIs do not support resource-level permissions.
      Resource: "*",
    },
    {
      Sid: "SendTraces",
      Effect: "Allow",
      Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"],
      // X-Ray's write APIs have no resource-level permissions either.
      Resource: "*",
    },
  ];
}

function snowflakeStatements(ir: PipelineIR): PolicyStatement[] {
  const tables = ir.tables.map((t) => `${t.name}/`);
  return [
    {
      Sid: "ReadOutputTables",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: objectArns(LOGICAL.processedBucket, tables),
    },
    {
      Sid: "ListOutputTables",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: getAtt(LOGICAL.processedBucket, "Arn"),
      Condition: { StringLike: { "s3:prefix": listPrefixes(tables) } },
    },
    { Sid: "BucketLocation", Effect: "Allow", Action: "s3:GetBucketLocation", Resource: getAtt(LOGICAL.processedBucket, "Arn") },
  ];
}

/**
 * Trusts Snowflake's IAM user with its external ID once both parameters are set. Until then
 * (first deploy, before the storage integration exists) it trusts only this account's own
 * principals, with a placeholder external ID: Snowflake's documented bootstrap, because the role
 * must exist under its final name before `CREATE STORAGE INTEGRATION` can name it.
 */
function snowflakeTrust(): CfnValue {
  return policyDocument([
    {
      Effect: "Allow",
      Principal: {
        AWS: fnIf(
          CONDITIONS.snowflakeTrustConfigured,
          ref(PARAMETERS.snowflakeIamUserArn),
          sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root"),
        ),
      },
      Action: "sts:AssumeRole",
      Condition: {
        StringEquals: {
          "sts:ExternalId": fnIf(
            CONDITIONS.snowflakeTrustConfigured,
            ref(PARAMETERS.snowflakeExternalId),
            sub("lakec-pending-${AWS::StackName}"),
          ),
        },
      },
    },
  ]);
}

export function iamResources(ir: PipelineIR): Resources {
  const names = physicalNames(ir);
  return {
    [LOGICAL.glueRole]: role(
      undefined,
      assumedBy("glue.amazonaws.com"),
      "lakec-glue-jobs",
      glueStatements(ir),
      `lakec ${ir.name}: Glue clean and flatten jobs`,
    ),
    [LOGICAL.compactRole]: role(
      undefined,
      assumedBy("glue.amazonaws.com"),
      "lakec-glue-compact",
      compactStatements(ir),
      `lakec ${ir.name}: Glue compaction job`,
    ),
    [LOGICAL.stateMachineRole]: role(
      undefined,
      assumedBy("states.amazonaws.com"),
      "lakec-state-machine",
      stateMachineStatements(ir),
      `lakec ${ir.name}: the processing state machine`,
    ),
    [LOGICAL.eventsRole]: role(
      undefined,
      assumedBy("events.amazonaws.com"),
      "lakec-start-state-machine",
      [{ Sid: "StartProcessing", Effect: "Allow", Action: "states:StartExecution", Resource: ref(LOGICAL.stateMachine) }],
      `lakec ${ir.name}: EventBridge rules start the state machine`,
    ),
    [LOGICAL.snowflakeRole]: role(
      names.snowflakeRole,
      snowflakeTrust(),
      "lakec-snowflake-read",
      snowflakeStatements(ir),
      `lakec ${ir.name}: Snowflake storage integration reads the output tables`,
    ),
  };
}
