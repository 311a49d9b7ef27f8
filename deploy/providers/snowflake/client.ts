// The one way lakec talks to Snowflake. Narrow on purpose: the real implementation wraps
// snowflake-sdk, the tests use an in-memory fake that answers SHOW/DESC like Snowflake does.

/** A result row keyed by column name exactly as Snowflake returns it (SHOW output is lower case). */
export type Row = Readonly<Record<string, unknown>>;

export interface SnowflakeClient {
  query(sql: string, binds?: readonly (string | number | boolean | null)[]): Promise<Row[]>;
  close(): Promise<void>;
}
