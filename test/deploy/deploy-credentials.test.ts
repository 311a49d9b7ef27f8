// Credentials: read from the environment (Snowflake) or the default chain (AWS), a missing one
// is a single line naming what to set, and no value ever appears in a message.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CredentialError, explainAwsCredentialError, snowflakeCredentialsFromEnv } from "../../deploy/credentials.js";
import { awsClients } from "../../deploy/providers/aws/clients.js";
import { describeStack } from "../../deploy/providers/aws/read.js";
import { connectSnowflake } from "../../deploy/providers/snowflake/sdk-client.js";

describe("Snowflake credentials from the environment", () => {
  it("names every missing variable in one line", () => {
    expect(() => snowflakeCredentialsFromEnv({})).toThrow(CredentialError);
    try {
      snowflakeCredentialsFromEnv({ SNOWFLAKE_USER: "loader" });
    } catch (e) {
      expect((e as Error).message).toMatch(
        /^Snowflake credentials missing: set SNOWFLAKE_ACCOUNT, SNOWFLAKE_PASSWORD or SNOWFLAKE_PRIVATE_KEY_PATH \(/,
      );
      expect((e as Error).message).not.toContain("\n");
    }
  });

  it("password and key-pair authentication", async () => {
    expect(
      snowflakeCredentialsFromEnv({
        SNOWFLAKE_ACCOUNT: "xy12345",
        SNOWFLAKE_USER: "loader",
        SNOWFLAKE_PASSWORD: "pw-91c3",
        SNOWFLAKE_ROLE: "LOADER",
      }),
    ).toEqual({
      account: "xy12345",
      username: "loader",
      role: "LOADER",
      auth: { kind: "password", password: "pw-91c3" },
    });
    const dir = await mkdtemp(join(tmpdir(), "lakec-key-"));
    try {
      const key = join(dir, "rsa_key.p8");
      await writeFile(key, "-----BEGIN ENCRYPTED PRIVATE KEY-----\n");
      const env = {
        SNOWFLAKE_ACCOUNT: "xy12345",
        SNOWFLAKE_USER: "loader",
        SNOWFLAKE_PRIVATE_KEY_PATH: key,
        SNOWFLAKE_PRIVATE_KEY_PASSPHRASE: "pass-77",
      };
      expect(snowflakeCredentialsFromEnv(env).auth).toEqual({ kind: "keypair", privateKeyPath: key, passphrase: "pass-77" });
      expect(() => snowflakeCredentialsFromEnv({ ...env, SNOWFLAKE_PRIVATE_KEY_PATH: join(dir, "missing.p8") })).toThrow(
        /SNOWFLAKE_PRIVATE_KEY_PATH points at a file that does not exist/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a failed connection rejects (connect(cb), not connectAsync) without echoing the password", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const creds = snowflakeCredentialsFromEnv({
      SNOWFLAKE_ACCOUNT: "xy12345",
      SNOWFLAKE_USER: "loader",
      SNOWFLAKE_PASSWORD: "pw-secret-5150",
    });
    const err = await connectSnowflake(creds, "TRANSFORMING", { accessUrl: `http://127.0.0.1:${port}`, maxLoginRetries: 0 }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/^cannot connect to Snowflake: .*(ECONNREFUSED|Network error)/i);
    expect(err?.message).not.toContain("pw-secret-5150");
  }, 60_000);
});

describe("AWS credentials", () => {
  it("an empty default chain becomes one line naming what to set", async () => {
    const saved = { ...process.env };
    for (const k of Object.keys(process.env))
      if (k.startsWith("AWS_") && k !== "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED") delete process.env[k];
    Object.assign(process.env, {
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_CONFIG_FILE: "/nonexistent/config",
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials",
    });
    try {
      const err = await describeStack(awsClients("eu-west-1"), "lakec-reviews").then(
        () => undefined,
        (e: unknown) => explainAwsCredentialError(e),
      );
      expect(err).toBeInstanceOf(CredentialError);
      expect((err as Error).message).toMatch(/^AWS credentials missing or expired: set AWS_PROFILE/);
    } finally {
      process.env = saved;
    }
  }, 30_000);

  it("other errors pass through unchanged", () => {
    const e = new Error("Rate exceeded");
    expect(explainAwsCredentialError(e)).toBe(e);
  });
});
