// The DeployContext the CLI uses: real AWS clients (default credential chain), a Snowflake
// connection from environment variables, opened only when a selected layer needs them.
import { S3Client } from "@aws-sdk/client-s3";
import { snowflakeCredentialsFromEnv } from "./credentials.js";
import type { DeployContext } from "./planner.js";
import { awsClients, quietSdkNodeWarning, type AwsClients } from "./providers/aws/clients.js";
import type { SnowflakeClient } from "./providers/snowflake/client.js";

export interface RealContextOptions {
  readonly cwd: string;
  readonly lakeDir: string;
  readonly region: string;
  readonly warehouse: string;
  readonly drift: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly log: (line: string) => void;
}

export function realContext(o: RealContextOptions): DeployContext & { close(): Promise<void> } {
  let aws: AwsClients | undefined;
  let s3: S3Client | undefined;
  let snowflake: Promise<SnowflakeClient> | undefined;
  return {
    cwd: o.cwd,
    lakeDir: o.lakeDir,
    drift: o.drift,
    log: o.log,
    aws: () => (aws ??= awsClients(o.region)),
    publishS3: () => {
      quietSdkNodeWarning();
      return (s3 ??= new S3Client({ region: o.region }));
    },
    // snowflake-sdk takes over a second to load: only commands that reach Snowflake pay for it.
    snowflake: () =>
      (snowflake ??= Promise.resolve().then(async () => {
        const credentials = snowflakeCredentialsFromEnv(o.env);
        const { connectSnowflake } = await import("./providers/snowflake/sdk-client.js");
        return connectSnowflake(credentials, o.warehouse);
      })),
    close: async () => {
      if (snowflake) await (await snowflake.catch(() => undefined))?.close();
      aws?.cfn.destroy();
      aws?.s3.destroy();
      s3?.destroy();
    },
  };
}
