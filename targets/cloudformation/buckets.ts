// The raw landing zone, the processed lake and the bucket that receives both buckets' access
// logs. Raw and processed are retained on stack deletion and replacement: data outlives stacks.
import type { PipelineIR } from "../../compiler/ir.js";
import { PROCESSED_PREFIX } from "../glue/layout.js";
import { CONDITIONS, LOGICAL, PARAMETERS } from "./names.js";
import { fnIf, getAtt, NO_VALUE, policyDocument, ref, sub, type CfnValue, type Resource, type Resources } from "./intrinsics.js";

const BLOCK_PUBLIC: CfnValue = { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true };

// The AWS-managed aws/s3 key: encrypted with KMS, and every principal of the account that IAM
// lets read the bucket (Glue, the Snowflake role) can decrypt through S3 without key grants.
const SSE_KMS: CfnValue = { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" }, BucketKeyEnabled: true }] };

function lifecycle(days: number, extra: CfnValue[] = []): CfnValue {
  return {
    Rules: [
      { Id: "expire-noncurrent-versions", Status: "Enabled", NoncurrentVersionExpiration: { NoncurrentDays: days } },
      { Id: "abort-incomplete-uploads", Status: "Enabled", AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
      ...extra,
    ],
  };
}

function dataBucket(ir: PipelineIR, name: string, logPrefix: string, notifications: CfnValue, extraLifecycle: CfnValue[] = []): Resource {
  return {
    Type: "AWS::S3::Bucket",
    DeletionPolicy: "Retain",
    UpdateReplacePolicy: "Retain",
    Properties: {
      BucketName: name,
      VersioningConfiguration: { Status: "Enabled" },
      BucketEncryption: SSE_KMS,
      PublicAccessBlockConfiguration: BLOCK_PUBLIC,
      OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
      LifecycleConfiguration: lifecycle(ir.aws.noncurrentVersionDays, extraLifecycle),
      LoggingConfiguration: { DestinationBucketName: ref(LOGICAL.accessLogsBucket), LogFilePrefix: logPrefix },
      NotificationConfiguration: notifications,
    },
  };
}

/** Deny every request that is not over TLS, for the bucket and its objects. */
function tlsOnlyPolicy(bucket: string, extra: CfnValue[] = []): Resource {
  return {
    Type: "AWS::S3::BucketPolicy",
    Properties: {
      Bucket: ref(bucket),
      PolicyDocument: policyDocument([
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: { AWS: "*" },
          Action: "s3:*",
          // Fn::Join rather than Fn::Sub: the form Control Tower's guard rule CT.S3.PR.8 recognises.
          Resource: [getAtt(bucket, "Arn"), { "Fn::Join": ["", [getAtt(bucket, "Arn"), "/*"]] }],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
        ...(extra as never[]),
      ]),
    },
  };
}

/**
 * One S3 → SQS notification per output table, to Snowflake's auto-refresh queue: only when the
 * queue's ARN is known (after the Snowflake integration exists), so a first deploy succeeds.
 */
function snowflakeQueues(ir: PipelineIR): CfnValue {
  const configs: CfnValue[] = ir.tables.map((t) => ({
    Event: "s3:ObjectCreated:*",
    Queue: ref(PARAMETERS.snowflakeQueueArn),
    Filter: { S3Key: { Rules: [{ Name: "prefix", Value: `${t.name}/` }] } },
  }));
  return fnIf(CONDITIONS.hasSnowflakeQueue, configs, NO_VALUE);
}

export function bucketResources(ir: PipelineIR): Resources {
  return {
    [LOGICAL.rawBucket]: dataBucket(ir, ir.aws.rawBucket, "raw/", { EventBridgeConfiguration: { EventBridgeEnabled: true } }),
    [LOGICAL.rawBucketPolicy]: tlsOnlyPolicy(LOGICAL.rawBucket, [
      {
        // Raw data is what every reprocessing starts from: no principal may destroy a version.
        // Lifecycle expiry of noncurrent versions is done by S3 itself and is not affected.
        Sid: "DenyDestroyingRawVersions",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "s3:DeleteObjectVersion",
        Resource: sub(`\${${LOGICAL.rawBucket}.Arn}/*`),
      },
    ]),
    [LOGICAL.processedBucket]: dataBucket(
      ir,
      ir.aws.processedBucket,
      "processed/",
      { EventBridgeConfiguration: { EventBridgeEnabled: true }, QueueConfigurations: snowflakeQueues(ir) },
      // Glue's scratch space; nothing in it outlives a job run.
      [{ Id: "expire-glue-temp", Status: "Enabled", Prefix: PROCESSED_PREFIX.tmp, ExpirationInDays: 7 }],
    ),
    [LOGICAL.processedBucketPolicy]: tlsOnlyPolicy(LOGICAL.processedBucket),
    [LOGICAL.accessLogsBucket]: {
      Type: "AWS::S3::Bucket",
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: {
        // Server access logs can only be delivered to SSE-S3 buckets.
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] },
        VersioningConfiguration: { Status: "Enabled" },
        PublicAccessBlockConfiguration: BLOCK_PUBLIC,
        OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
        LifecycleConfiguration: lifecycle(ir.aws.noncurrentVersionDays, [{ Id: "expire-access-logs", Status: "Enabled", ExpirationInDays: 365 }]),
      },
    },
    [LOGICAL.accessLogsBucketPolicy]: tlsOnlyPolicy(LOGICAL.accessLogsBucket, [
      {
        Sid: "AllowS3ServerAccessLogs",
        Effect: "Allow",
        Principal: { Service: "logging.s3.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: sub(`\${${LOGICAL.accessLogsBucket}.Arn}/*`),
        Condition: {
          ArnLike: { "aws:SourceArn": [sub(`arn:\${AWS::Partition}:s3:::${ir.aws.rawBucket}`), sub(`arn:\${AWS::Partition}:s3:::${ir.aws.processedBucket}`)] },
          StringEquals: { "aws:SourceAccount": ref("AWS::AccountId") },
        },
      },
    ]),
  };
}
