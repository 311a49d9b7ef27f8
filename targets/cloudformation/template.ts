// The whole stack of one pipeline: parameters for the Snowflake wiring that only exists after a
// first deploy, the resources, and the outputs `lakec plan/apply` and the Snowflake DDL read.
import type { PipelineIR } from "../../compiler/ir.js";
import type { GlueScript } from "../glue/index.js";
import { alertResources } from "./alerts.js";
import { bucketResources } from "./buckets.js";
import { computeResources } from "./compute.js";
import { eventResources } from "./events.js";
import { iamResources } from "./iam.js";
import { and, getAtt, notEmpty, ref, type CfnValue, type Resources } from "./intrinsics.js";
import { CONDITIONS, LOGICAL, OUTPUTS, PARAMETERS } from "./names.js";

export interface Template {
  readonly AWSTemplateFormatVersion: "2010-09-09";
  readonly Description: string;
  readonly Parameters: Record<string, CfnValue>;
  readonly Conditions: Record<string, CfnValue>;
  readonly Resources: Resources;
  readonly Outputs: Record<string, { Description: string; Value: CfnValue }>;
}

const parameters = (): Record<string, CfnValue> => ({
  [PARAMETERS.snowflakeIamUserArn]: {
    Type: "String",
    Default: "",
    AllowedPattern: "^$|^arn:aws[a-z-]*:iam::[0-9]{12}:user/\\S+$",
    Description: "STORAGE_AWS_IAM_USER_ARN of the Snowflake storage integration (DESC INTEGRATION); empty until it exists",
  },
  [PARAMETERS.snowflakeExternalId]: {
    Type: "String",
    Default: "",
    NoEcho: true,
    Description: "STORAGE_AWS_EXTERNAL_ID of the Snowflake storage integration; empty until it exists",
  },
  [PARAMETERS.snowflakeQueueArn]: {
    Type: "String",
    Default: "",
    AllowedPattern: "^$|^arn:aws[a-z-]*:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$",
    Description: "notification_channel of the Snowflake external tables (SHOW EXTERNAL TABLES); empty until they exist",
  },
});

const conditions = (): Record<string, CfnValue> => ({
  [CONDITIONS.hasSnowflakeQueue]: notEmpty(PARAMETERS.snowflakeQueueArn),
  [CONDITIONS.hasSnowflakeIamUser]: notEmpty(PARAMETERS.snowflakeIamUserArn),
  [CONDITIONS.hasSnowflakeExternalId]: notEmpty(PARAMETERS.snowflakeExternalId),
  [CONDITIONS.snowflakeTrustConfigured]: and(CONDITIONS.hasSnowflakeIamUser, CONDITIONS.hasSnowflakeExternalId),
});

function outputs(ir: PipelineIR, scripts: readonly GlueScript[]): Template["Outputs"] {
  const key = (role: string): string => scripts.find((s) => s.role === role)!.s3Key;
  const o = (Description: string, Value: CfnValue) => ({ Description, Value });
  return {
    [OUTPUTS.rawBucketName]: o("Raw landing bucket", ref(LOGICAL.rawBucket)),
    [OUTPUTS.rawBucketArn]: o("Raw landing bucket ARN", getAtt(LOGICAL.rawBucket, "Arn")),
    [OUTPUTS.processedBucketName]: o("Processed (Parquet) bucket, the Snowflake stage location", ref(LOGICAL.processedBucket)),
    [OUTPUTS.processedBucketArn]: o("Processed bucket ARN", getAtt(LOGICAL.processedBucket, "Arn")),
    [OUTPUTS.accessLogsBucketName]: o("S3 server access logs of the raw and processed buckets", ref(LOGICAL.accessLogsBucket)),
    [OUTPUTS.artifactsBucketName]: o("Bucket the Glue scripts are uploaded to", ir.aws.artifactsBucket),
    [OUTPUTS.artifactsPrefix]: o("Key prefix of lakec artifacts in that bucket", ir.aws.artifactsPrefix),
    [OUTPUTS.cleanScriptKey]: o("Key the clean script must be uploaded to before the job runs", key("clean")),
    [OUTPUTS.flattenScriptKey]: o("Key the flatten script must be uploaded to before the job runs", key("flatten")),
    [OUTPUTS.compactScriptKey]: o("Key the compaction script must be uploaded to before the job runs", key("compact")),
    [OUTPUTS.cleanJobName]: o("Glue clean job", ref(LOGICAL.cleanJob)),
    [OUTPUTS.flattenJobName]: o("Glue flatten job", ref(LOGICAL.flattenJob)),
    [OUTPUTS.compactJobName]: o("Glue compaction job (scheduled by CompactTrigger)", ref(LOGICAL.compactJob)),
    [OUTPUTS.glueJobRoleArn]: o("Role of the Glue jobs", getAtt(LOGICAL.glueRole, "Arn")),
    [OUTPUTS.stateMachineArn]: o("State machine processing each raw object", ref(LOGICAL.stateMachine)),
    [OUTPUTS.stateMachineName]: o("State machine name", getAtt(LOGICAL.stateMachine, "Name")),
    [OUTPUTS.alertTopicArn]: o("SNS topic for processing failures and alarms", ref(LOGICAL.alertTopic)),
    [OUTPUTS.eventsDeadLetterQueueUrl]: o("S3 events that could not start the state machine", ref(LOGICAL.eventsDeadLetterQueue)),
    [OUTPUTS.snowflakeRoleArn]: o("STORAGE_AWS_ROLE_ARN for the Snowflake storage integration", getAtt(LOGICAL.snowflakeRole, "Arn")),
    [OUTPUTS.snowflakeRoleName]: o("Name of the Snowflake storage integration role", ref(LOGICAL.snowflakeRole)),
  };
}

export function buildTemplate(ir: PipelineIR, scripts: readonly GlueScript[]): Template {
  const resources: Resources = {
    ...bucketResources(ir),
    ...eventResources(ir),
    ...computeResources(ir, scripts),
    ...iamResources(ir),
    ...alertResources(ir),
  };
  return {
    AWSTemplateFormatVersion: "2010-09-09",
    Description: `lakec pipeline ${ir.name}: S3 raw → EventBridge → Step Functions → Glue clean/flatten → Parquet for Snowflake, compacted on a schedule (generated from ${ir.sourceFile})`,
    Parameters: parameters(),
    Conditions: conditions(),
    Resources: resources,
    Outputs: outputs(ir, scripts),
  };
}
