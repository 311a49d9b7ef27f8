// Which property changes make CloudFormation replace a resource, for the resource types the
// cloudformation target emits. Taken from the CloudFormation resource specification
// (`causesReplacement: yes`); test/deploy/deploy-aws-read.test.ts checks this table against
// @aws-cdk/aws-service-spec for every type in the compiled template, so it cannot go stale.
// The plan uses it offline; at apply time the change set's own Replacement flags decide.

export const REPLACE_ON_CHANGE: Readonly<Record<string, readonly string[]>> = {
  "AWS::S3::Bucket": ["BucketName", "BucketNamePrefix", "BucketNamespace", "ObjectLockEnabled"],
  "AWS::S3::BucketPolicy": ["Bucket"],
  "AWS::IAM::Role": ["Path", "RoleName"],
  "AWS::IAM::Policy": [],
  "AWS::IAM::ManagedPolicy": ["Description", "ManagedPolicyName", "Path"],
  "AWS::Glue::Job": ["Name"],
  "AWS::Glue::Trigger": ["Name", "Type", "WorkflowName"],
  "AWS::StepFunctions::StateMachine": ["StateMachineName", "StateMachineType"],
  "AWS::Logs::LogGroup": ["LogGroupName"],
  "AWS::SNS::Topic": ["FifoTopic", "TopicName"],
  "AWS::SNS::Subscription": ["Endpoint", "Protocol", "TopicArn"],
  "AWS::SNS::TopicPolicy": [],
  "AWS::SQS::Queue": ["FifoQueue", "QueueName"],
  "AWS::SQS::QueuePolicy": [],
  "AWS::Events::Rule": ["EventBusName", "Name"],
  "AWS::CloudWatch::Alarm": ["AlarmName"],
  "AWS::DynamoDB::Table": ["ImportSourceSpecification", "KeySchema", "TableName"],
};

/**
 * Replacing or deleting a bucket takes the data out of the pipeline (a new empty bucket, or a
 * retained one nobody writes to): destructive. So is a new arrivals table: its counter would start
 * again, and reprocessed files would outrank newer ones (docs/language.md, "Arrival order").
 * Other resources are configuration, recreated from the template.
 */
const STATEFUL = new Set(["AWS::S3::Bucket", "AWS::DynamoDB::Table"]);

export function isDestructiveResourceChange(type: string, action: "replace" | "destroy" | "conditional"): boolean {
  return STATEFUL.has(type) && (action === "replace" || action === "destroy" || action === "conditional");
}
