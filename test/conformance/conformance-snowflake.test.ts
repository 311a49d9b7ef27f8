// Snowflake conformance: what Snowflake's documentation requires of external tables on S3 with
// auto-refresh, checked on the generated files of the reference pipelines and of every-option.
// Guide: https://docs.snowflake.com/en/user-guide/tables-external-s3
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { TableIR } from "../../compiler/ir.js";
import { snowflakeObjects, substituteAccountId } from "../../targets/snowflake/index.js";
import { conformancePipelines } from "../support/conformance-fixtures.js";
import { FakeSnowflake, splitTop } from "../support/deploy-fake-snowflake.js";

type Obj = Record<string, unknown>;

/** The hive folder the flatten job writes a row of 2024-03-10 to. */
const partitionFolder = (t: TableIR): string =>
  t.partition ? `${t.partition.key}=${{ day: "2024-03-10", month: "2024-03", year: "2024" }[t.partition.grain]}/` : "";

/** The statements of a generated .sql file, as a client would send them (comment lines dropped). */
const statements = (sql: string): string[] =>
  splitTop(
    sql
      .split("\n")
      .filter((l) => !l.startsWith("--"))
      .join("\n"),
    ";",
  );

const ddl = (files: ReadonlyMap<string, string>, name: string): [string, string][] =>
  [...files].filter(([p]) => p.startsWith(`generated/${name}/snowflake/`)).sort(([a], [b]) => a.localeCompare(b));

describe.each(conformancePipelines())("Snowflake conformance: $file", ({ ir, files }) => {
  const objects = snowflakeObjects(ir);
  const template = parse(files.get(`generated/${ir.name}/cloudformation/template.yaml`)!) as {
    Resources: Record<string, { Properties: Obj }>;
  };
  const processed = template.Resources.ProcessedBucket!.Properties;

  // "External tables don't support storage versioning (S3 versioning, …)": tables-external-s3.
  it("the processed bucket the external tables read is not versioned", () => {
    expect(processed.VersioningConfiguration).toEqual({ Status: "Suspended" });
    expect(template.Resources.RawBucket!.Properties.VersioningConfiguration).toEqual({ Status: "Enabled" });
  });

  // The guide's event notification: Snowflake's SQS queue, for the objects created AND removed
  // under each table path ("Files no longer in the path are removed from the table metadata").
  it("notifies the auto-refresh queue of created and removed objects under every table prefix", () => {
    const queues = (processed.NotificationConfiguration as Obj).QueueConfigurations as { "Fn::If": [string, Obj[], unknown] };
    const configs = queues["Fn::If"][1];
    for (const t of ir.tables) {
      const events = configs.filter((c) => JSON.stringify(c.Filter).includes(`"Value":"${t.name}/"`)).map((c) => c.Event);
      expect(events.sort(), t.name).toEqual(["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]);
    }
  });

  // PATTERN is matched against the whole file path:
  // https://docs.snowflake.com/en/sql-reference/sql/create-external-table (PATTERN = 'regex_pattern').
  // Spark's committers write attempts under _temporary/ and, with dynamic partition overwrite,
  // under .spark-staging-<job id>/ before moving them into place; those must never be registered.
  it("PATTERN admits the published Parquet files and none of Spark's uncommitted output", () => {
    for (const t of ir.tables) {
      const spec = objects.externalTables.find((x) => x.name === t.name.toUpperCase())!;
      const re = new RegExp(`^(?:${spec.pattern})$`);
      const partition = partitionFolder(t);
      const file = `${partition}_input=0123456789abcdef/part-00000-1b2c.c000.snappy.parquet`;
      for (const published of [file, `${t.name}/${file}`]) expect(re.test(published), `${t.name}: ${published}`).toBe(true);
      if (t.partition) expect(re.test(`${t.partition.key}=__HIVE_DEFAULT_PARTITION__/_input=0123456789abcdef/part-0.parquet`)).toBe(true);
      for (const scratch of [
        `_temporary/0/_temporary/attempt_202403101200_0001_m_000000_1/${file}`,
        `${t.name}/_temporary/0/_temporary/attempt_1/${file}`,
        `.spark-staging-7d9c1f0e-5b8e-4a57-9d1c-2f6a0b3c4d5e/${file}`,
        `${t.name}/.spark-staging-7d9c1f0e/${file}`,
        `${partition}_input=0123456789abcdef/_SUCCESS`,
        `${partition}_input=0123456789abcdef/part-0.parquet.crc`,
        `_lakec/clean/x/_input=0123456789abcdef/part-0.parquet`,
      ]) {
        expect(re.test(scratch), `${t.name}: ${scratch}`).toBe(false);
      }
    }
  });

  // The compaction job (issue 16) deletes the small objects it packed. An external table learns
  // of a deletion only from the bucket's event notification: "Files no longer in the path are
  // removed from the table metadata", with s3:ObjectRemoved events sent to the table's queue
  // (https://docs.snowflake.com/en/user-guide/tables-external-s3). So every key the compaction
  // writes or deletes must be one the PATTERN registers AND one the notification filters cover;
  // otherwise Snowflake keeps listing deleted files (errors, or rows counted twice).
  it("registers packed objects, and hears of every object compaction creates or removes", () => {
    const queues = (processed.NotificationConfiguration as Obj).QueueConfigurations as { "Fn::If": [string, Obj[], unknown] };
    const configs = queues["Fn::If"][1] as { Event: string; Filter: { S3Key: { Rules: { Name: string; Value: string }[] } } }[];
    const notified = (event: string, key: string): boolean =>
      configs.some(
        (c) =>
          c.Event === event && c.Filter.S3Key.Rules.every((r) => (r.Name === "prefix" ? key.startsWith(r.Value) : key.endsWith(r.Value))),
      );
    for (const t of ir.tables) {
      const re = new RegExp(`^(?:${objects.externalTables.find((x) => x.name === t.name.toUpperCase())!.pattern})$`);
      const partition = partitionFolder(t);
      const packed = `${t.name}/${partition}_input=packed-20261204033000-0a1b2c3d/part-00000-5e6f.c000.snappy.parquet`;
      const absorbed = `${t.name}/${partition}_input=0123456789abcdef/part-00000-1b2c.c000.snappy.parquet`;
      for (const key of [packed, absorbed]) {
        expect(re.test(key), key).toBe(true);
        expect(notified("s3:ObjectCreated:*", key), `created ${key}`).toBe(true);
        expect(notified("s3:ObjectRemoved:*", key), `removed ${key}`).toBe(true);
      }
      // The local engine's packed folders read the same way (lakec run and the cloud agree).
      expect(re.test(`${partition}_input=packed-3-0/part-0.parquet`)).toBe(true);
      expect(re.test(`${t.name}/${partition}_input=packed-20261204033000-0a1b2c3d/_temporary/0/part-0.parquet`)).toBe(false);
    }
    // Compaction's own records are never table files, and no table queue hears of them.
    expect(notified("s3:ObjectRemoved:*", "_lakec/compaction/x/_.json")).toBe(false);
  });

  // Querying an external table needs USAGE on its database, schema, stage and file format, and
  // SELECT on the table: https://docs.snowflake.com/en/user-guide/security-access-control-privileges
  it.skipIf(ir.snowflake.readRole === undefined)(
    `grants the read role every privilege a query needs${ir.snowflake.readRole === undefined ? " [skipped: this pipeline sets no snowflake.read_role]" : ""}`,
    () => {
      const grants = statements(files.get(`generated/${ir.name}/snowflake/04_grants.sql`) ?? "");
      const role = `TO ROLE "${ir.snowflake.readRole!.toUpperCase()}"`;
      const q = (n: string) => `"${objects.database}"."${objects.schema}"."${n}"`;
      expect(grants).toEqual(
        expect.arrayContaining([
          `GRANT USAGE ON DATABASE "${objects.database}" ${role}`,
          `GRANT USAGE ON SCHEMA "${objects.database}"."${objects.schema}" ${role}`,
          `GRANT USAGE ON FILE FORMAT ${q(objects.fileFormat)} ${role}`,
          ...objects.stages.map((s) => `GRANT USAGE ON STAGE ${q(s.name)} ${role}`),
          ...objects.externalTables.map((t) => `GRANT SELECT ON EXTERNAL TABLE ${q(t.name)} ${role}`),
        ]),
      );
    },
  );

  // The guide's order: integration, stage, external tables (AUTO_REFRESH), read the
  // notification_channel, configure the bucket's notification, then "manually refresh the
  // external table metadata once" with ALTER EXTERNAL TABLE … REFRESH.
  it("runs straight through in the documented order, files written before the wiring included", async () => {
    const fake = new FakeSnowflake([objects.database]);
    const run = async (sql: string) => {
      for (const s of statements(sql)) await fake.query(s);
    };
    const sql = ddl(files, ir.name);
    expect(sql.map(([p]) => p.split("/").pop())).toEqual([
      "01_integration.sql",
      "02_file_format_stage.sql",
      "03_external_tables.sql",
      ...(ir.snowflake.readRole ? ["04_grants.sql"] : []),
      "05_notification_channels.sql",
      "06_refresh.sql",
    ]);
    for (const [path, text] of sql.slice(0, -1))
      await run(path.endsWith("01_integration.sql") ? substituteAccountId(text, "123456789012") : text);
    const channels = await fake.query(statements(sql.find(([p]) => p.endsWith("05_notification_channels.sql"))![1]).at(-1)!);
    expect(channels.map((r) => r.name)).toEqual(objects.externalTables.map((t) => t.name).sort());
    expect(channels.every((r) => r.notification_channel === fake.queueArn)).toBe(true);
    // Between CREATE and the wiring the flatten job publishes a file: only the refresh registers it.
    const t = ir.tables[0]!;
    const file = `s3://${ir.aws.processedBucket}/${t.name}/${partitionFolder(t)}_input=0123456789abcdef/part-00000.snappy.parquet`;
    fake.files.push(file);
    expect(fake.registeredFiles(t.name.toUpperCase())).toEqual([]);
    await run(sql.at(-1)![1]);
    expect(fake.registeredFiles(t.name.toUpperCase())).toEqual([file]);
  });

  // Spark writes TIMESTAMP_MICROS adjusted to UTC (spark.sql.session.timeZone=UTC), which
  // Snowflake reads as an instant (TIMESTAMP_LTZ); a cast to TIMESTAMP_NTZ takes the wall clock of
  // the session TIMEZONE, America/Los_Angeles unless set:
  // https://docs.snowflake.com/en/sql-reference/parameters#timezone and
  // https://docs.snowflake.com/en/sql-reference/data-types-datetime#timestamp-ltz-timestamp-ntz-timestamp-tz
  it("reads a known instant back unchanged whatever the session TIMEZONE", () => {
    const instant = Date.UTC(2024, 2, 10, 10, 30, 0); // the morning US clocks go forward
    const timestamps = objects.externalTables.flatMap((t) => t.columns).filter((c) => c.type === "TIMESTAMP_NTZ");
    expect(timestamps.length).toBeGreaterThan(0);
    for (const zone of ["America/Los_Angeles", "UTC", "Asia/Tokyo", "Pacific/Chatham"]) {
      for (const c of timestamps) expect(evaluateTimestamp(c.expr, instant, zone), `${c.name} in ${zone}`).toBe("2024-03-10 10:30:00");
    }
  });
});

/** Offset of `zone` from UTC at `epochMs`, in minutes. */
function offsetMinutes(epochMs: number, zone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(new Date(epochMs))
      .map((p) => [p.type, p.value]),
  );
  const wall = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return (wall - epochMs) / 60000;
}

/**
 * Snowflake's documented timestamp semantics for the two expression shapes a column can have,
 * applied to a Parquet value that is an instant (TIMESTAMP_LTZ):
 * - `VALUE:"c"::TIMESTAMP_NTZ`: LTZ → NTZ keeps the wall clock in the session time zone;
 * - `CONVERT_TIMEZONE('UTC', VALUE:"c"::TIMESTAMP_TZ)::TIMESTAMP_NTZ`: the instant in UTC, whose
 *   wall clock TZ → NTZ keeps.
 * Anything else is not understood, so a new shape must be added here deliberately.
 */
function evaluateTimestamp(expr: string, epochMs: number, sessionZone: string): string {
  const wall = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 19);
  if (/^VALUE:"[^"]+"::TIMESTAMP_NTZ$/.test(expr)) return wall(epochMs + offsetMinutes(epochMs, sessionZone) * 60000);
  if (/^CONVERT_TIMEZONE\('UTC', VALUE:"[^"]+"::TIMESTAMP_TZ\)::TIMESTAMP_NTZ$/.test(expr)) return wall(epochMs);
  throw new Error(`no model of Snowflake semantics for ${expr}`);
}
