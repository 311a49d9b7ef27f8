// Credentials are read from the environment (Snowflake) or the AWS default provider chain, held
// in memory only, and never printed, logged or written: plans and errors carry names of
// variables, never their values.
import { existsSync } from "node:fs";

/** A missing or unusable credential. The CLI prints the message alone, as one line. */
export class CredentialError extends Error {
  override readonly name = "CredentialError";
}

export interface SnowflakeCredentials {
  readonly account: string;
  readonly username: string;
  readonly role?: string;
  readonly warehouse?: string;
  readonly auth:
    | { readonly kind: "password"; readonly password: string }
    | { readonly kind: "keypair"; readonly privateKeyPath: string; readonly passphrase?: string };
}

const SNOWFLAKE_ENV_HELP =
  "key-pair authentication: SNOWFLAKE_PRIVATE_KEY_PATH, plus SNOWFLAKE_PRIVATE_KEY_PASSPHRASE for an encrypted key; optional: SNOWFLAKE_ROLE, SNOWFLAKE_WAREHOUSE";

export function snowflakeCredentialsFromEnv(env: NodeJS.ProcessEnv = process.env): SnowflakeCredentials {
  const missing = ["SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER"].filter((k) => !env[k]);
  const keyPath = env.SNOWFLAKE_PRIVATE_KEY_PATH;
  const password = env.SNOWFLAKE_PASSWORD;
  if (!keyPath && !password) missing.push("SNOWFLAKE_PASSWORD or SNOWFLAKE_PRIVATE_KEY_PATH");
  if (missing.length) throw new CredentialError(`Snowflake credentials missing: set ${missing.join(", ")} (${SNOWFLAKE_ENV_HELP})`);
  if (keyPath && !existsSync(keyPath))
    throw new CredentialError(`SNOWFLAKE_PRIVATE_KEY_PATH points at a file that does not exist; set it to your PKCS#8 private key file`);
  const auth: SnowflakeCredentials["auth"] = keyPath
    ? {
        kind: "keypair",
        privateKeyPath: keyPath,
        ...(env.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE ? { passphrase: env.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE } : {}),
      }
    : { kind: "password", password: password! };
  return {
    account: env.SNOWFLAKE_ACCOUNT!,
    username: env.SNOWFLAKE_USER!,
    ...(env.SNOWFLAKE_ROLE ? { role: env.SNOWFLAKE_ROLE } : {}),
    ...(env.SNOWFLAKE_WAREHOUSE ? { warehouse: env.SNOWFLAKE_WAREHOUSE } : {}),
    auth,
  };
}

/**
 * The AWS SDK reports an empty default chain as `CredentialsProviderError`; turn it into the
 * one-line instruction. Any other error passes through unchanged.
 */
export function explainAwsCredentialError(e: unknown): unknown {
  const name = (e as { name?: string } | null)?.name;
  if (name === "CredentialsProviderError" || name === "ExpiredTokenException" || name === "ExpiredToken") {
    return new CredentialError(
      "AWS credentials missing or expired: set AWS_PROFILE (and run `aws sso login`), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an instance/container role is available",
    );
  }
  return e;
}
