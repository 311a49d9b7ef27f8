// The AWS clients plan/apply use. Credentials come from the SDK's default provider chain
// (environment, shared config/SSO, container and instance roles); lakec never reads or stores
// them itself. Tests inject credentials, a request handler or a fast retry strategy here.
import { CloudFormationClient, type CloudFormationClientConfig } from "@aws-sdk/client-cloudformation";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { SFNClient, type SFNClientConfig } from "@aws-sdk/client-sfn";

export interface AwsClients {
  readonly cfn: CloudFormationClient;
  readonly s3: S3Client;
  /** Starts state-machine executions for the backfill. */
  readonly sfn: SFNClient;
  /** Waits between polls of long-running operations; tests make it instant. */
  readonly sleep: (ms: number) => Promise<void>;
  readonly pollMs: number;
}

export type AwsClientOverrides = Partial<CloudFormationClientConfig & S3ClientConfig>;

/** The SDK warns on Node 20 about future releases; lakec pins its SDK versions, so users need not see it. */
export function quietSdkNodeWarning(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
}

export function awsClients(region: string, overrides: AwsClientOverrides = {}, sleep?: (ms: number) => Promise<void>): AwsClients {
  quietSdkNodeWarning();
  // CloudFormation throttles Describe* calls under polling; the standard strategy backs off.
  const base = { region, maxAttempts: 8, ...overrides };
  return {
    cfn: new CloudFormationClient(base as CloudFormationClientConfig),
    s3: new S3Client(base as S3ClientConfig),
    sfn: new SFNClient(base as SFNClientConfig),
    sleep: sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    pollMs: sleep ? 0 : 5000,
  };
}
