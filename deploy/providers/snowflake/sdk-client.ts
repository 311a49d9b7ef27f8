// SnowflakeClient over snowflake-sdk. The driver's own logging is switched off so that no
// connection option (password, key passphrase) can end up in a log file.
import snowflake from "snowflake-sdk";
import type { SnowflakeCredentials } from "../../credentials.js";
import { CredentialError } from "../../credentials.js";
import type { Row, SnowflakeClient } from "./client.js";

function connectionOptions(c: SnowflakeCredentials, warehouse: string): snowflake.ConnectionOptions {
  const base = {
    account: c.account,
    username: c.username,
    warehouse: c.warehouse ?? warehouse,
    application: "lakec",
    ...(c.role ? { role: c.role } : {}),
  };
  if (c.auth.kind === "password") return { ...base, password: c.auth.password };
  return {
    ...base,
    authenticator: "SNOWFLAKE_JWT",
    privateKeyPath: c.auth.privateKeyPath,
    ...(c.auth.passphrase ? { privateKeyPass: c.auth.passphrase } : {}),
  };
}

/** Authentication failures become a CredentialError; the driver's message never includes secrets. */
function connectionError(e: Error & { code?: number | string }): Error {
  const text = e.message ?? String(e);
  if (/authentic|password|JWT|private key|login/i.test(text)) {
    return new CredentialError(
      `Snowflake rejected the credentials (${text.split("\n")[0]}); check SNOWFLAKE_USER and SNOWFLAKE_PASSWORD or SNOWFLAKE_PRIVATE_KEY_PATH`,
    );
  }
  return new Error(`cannot connect to Snowflake: ${text.split("\n")[0]}`);
}

/** Driver options lakec does not take from the environment: an endpoint override, login retries. */
export interface ConnectTuning {
  /** Overrides the account URL (a private link, or a test server). */
  readonly accessUrl?: string;
  /** The driver retries a failed login 7 times with backoff by default. */
  readonly maxLoginRetries?: number;
}

export async function connectSnowflake(c: SnowflakeCredentials, warehouse: string, tuning: ConnectTuning = {}): Promise<SnowflakeClient> {
  snowflake.configure({ logLevel: "OFF", additionalLogToConsole: false });
  // sfRetryMaxLoginRetries is an "external parameter" the driver reads from the options, untyped.
  const extra = {
    ...(tuning.accessUrl ? { accessUrl: tuning.accessUrl } : {}),
    ...(tuning.maxLoginRetries !== undefined ? { sfRetryMaxLoginRetries: tuning.maxLoginRetries } : {}),
  };
  const conn = snowflake.createConnection({ ...connectionOptions(c, warehouse), ...extra } as snowflake.ConnectionOptions);
  // connectAsync resolves even when the connection fails: wrap the callback form instead.
  await new Promise<void>((resolve, reject) => {
    conn.connect((err) => (err ? reject(connectionError(err)) : resolve()));
  });
  return {
    query: (sql, binds) =>
      new Promise<Row[]>((resolve, reject) => {
        conn.execute({
          sqlText: sql,
          ...(binds ? { binds: [...binds] } : {}),
          complete: (err, _stmt, rows) =>
            err ? reject(new Error(`Snowflake: ${err.message}\n  in: ${sql.split("\n")[0]}`)) : resolve((rows ?? []) as Row[]),
        });
      }),
    close: () => new Promise<void>((resolve) => conn.destroy(() => resolve())),
  };
}
