// The raw landing zone, the processed lake and the bucket that receives both buckets' access
// logs. Raw and processed are retained on stack deletion and replacement: data outlives stacks.
import type { PipelineIR } from "../../compiler/ir.js";
import { PROCESSED_PREFIX } from "../glue/layout.js";
import { CONDITIONS, LOGICAL, PARAMETERS } from "./names.js";
import { fnIf, getAtt, NO_VALUE, policyDocument, ref, sub, type CfnValue, type Resource, type Resources } from "./intrinsics.js";

const BLOCK_PUBLIC: CfnValue = { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true };

// The AWS-managed aws/s3 key: encrypted with KMS, and every principal of the account that IAM
// lets read the bucket (Glue, the Snowflake role) can decrypt through S3 without key grants.
const SSE_KMS: CfnValue = {
  ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" }, BucketKeyEnabled: true }],
};

function lifecycle(days: number, extra: CfnValue[] = []): CfnValue {
  return {
    Rules: [
      { Id: "expire-noncurrent-versions", Status: "Enabled", NoncurrentVersionExpiration: { NoncurrentDays: days } },
      { Id: "abort-incomplete-uploads", Status: "Enabled", AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
      ...extra,
    ],
  };
}

interface DataBucket {
  readonly logPrefix: string;
  readonly notifications: CfnValue;
  readonly versioning: "Enabled" | "Suspended";
  readonly lifecycle: CfnValue;
}

function dataBucket(name: string, b: DataBucket): Resource {
  return {
    Type: "AWS::S3::Bucket",
    DeletionPolicy: "Retain",
    UpdateReplacePolicy: "Retain",
    Properties: {
      BucketName: name,
      VersioningConfiguration: { Status: b.versioning },
      BucketEncryption: SSE_KMS,
      PublicAccessBlockConfiguration: BLOCK_PUBLIC,
      OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
      LifecycleConfiguration: b.lifecycle,
      LoggingConfiguration: { DestinationBucketName: ref(LOGICAL.accessLogsBucket), LogFilePrefix: b.logPrefix },
      NotificationConfiguration: b.notifications,
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
 * S3 → SQS notifications per output table to Snowflake's auto-refresh queue, only when the
 * queue's ARN is known (after the Snowflake integration exists), so a first deploy succeeds.
 * Created and removed events both: a reprocessed input deletes and rewrites its `_input=` folder,
 * and Snowflake must hear of the deletions. Only `.parquet` objects: Snowflake recommends sending
 * only the events the tables need (https://docs.snowflake.com/en/user-guide/tables-external-s3).
 */
export const SNOWFLAKE_NOTIFICATION_EVENTS = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"] as const;

function snowflakeQueues(ir: PipelineIR): CfnValue {
  const configs: CfnValue[] = ir.tables.flatMap((t) =>
    SNOWFLAKE_NOTIFICATION_EVENTS.map((event) => ({
      Event: event,
      Queue: ref(PARAMETERS.snowflakeQueueArn),
      Filter: {
        S3Key: {
          Rules: [
            { Name: "prefix", Value: `${t.name}/` },
            { Name: "suffix", Value: ".parquet" },
          ],
        },
      },
    })),
  );
  return fnIf(CONDITIONS.hasSnowflakeQueue, configs, NO_VALUE);
}

/**
 * The processed bucket is not versioned. Snowflake external tables do not support S3 versioning
 * (https://docs.snowflake.com/en/user-guide/tables-external-s3), and every file in it can be
 * rebuilt by reprocessing the raw bucket, which is versioned and keeps every version. `Suspended`
 * rather than leaving versioning out: a bucket that was ever versioned (stacks deployed before)
 * can only be suspended, and CloudFormation then states the same on new and old stacks. The
 * versions from before and the delete markers a suspended bucket writes are expired by lifecycle.
 */
const PROCESSED_VERSIONING = "Suspended";

function processedLifecycle(): CfnValue {
  return {
    Rules: [
      { Id: "expire-noncurrent-versions", Status: "Enabled", NoncurrentVersionExpiration: { NoncurrentDays: 1 } },
      { Id: "remove-expired-delete-markers", Status: "Enabled", ExpiredObjectDeleteMarker: true },
      { Id: "abort-incomplete-uploads", Status: "Enabled", AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
      // Glue's scratch space; nothing in it outlives a job run.
      { Id: "expire-glue-temp", Status: "Enabled", Prefix: PROCESSED_PREFIX.tmp, ExpirationInDays: 7 },
    ],
  };
}

export function bucketResources(ir: PipelineIR): Resources {
  return {
    [LOGICAL.rawBucket]: dataBucket(ir.aws.rawBucket, {
      logPrefix: "raw/",
      notifications: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      versioning: "Enabled",
      lifecycle: lifecycle(ir.aws.noncurrentVersionDays),
    }),
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
    [LOGICAL.processedBucket]: dataBucket(ir.aws.processedBucket, {
      logPrefix: "processed/",
      notifications: { EventBridgeConfiguration: { EventBridgeEnabled: true }, QueueConfigurations: snowflakeQueues(ir) },
      versioning: PROCESSED_VERSIONING,
      lifecycle: processedLifecycle(),
    }),
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
        LifecycleConfiguration: lifecycle(ir.aws.noncurrentVersionDays, [
          { Id: "expire-access-logs", Status: "Enabled", ExpirationInDays: 365 },
        ]),
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
          ArnLike: {
            "aws:SourceArn": [
              sub(`arn:\${AWS::Partition}:s3:::${ir.aws.rawBucket}`),
              sub(`arn:\${AWS::Partition}:s3:::${ir.aws.processedBucket}`),
            ],
          },
          StringEquals: { "aws:SourceAccount": ref("AWS::AccountId") },
        },
      },
    ]),
  };
}
