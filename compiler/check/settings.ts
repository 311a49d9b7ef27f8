// Deployment settings that the JSON Schema can only shape-check: S3 bucket names, the AWS
// region, Snowflake identifiers and the Airflow schedule. A bad value here would otherwise
// surface only at deploy time, minutes into a CloudFormation run.
import { didYouMean } from "../diagnostics.js";
import type { DocPath } from "../diagnostics.js";
import { SNOWFLAKE_RESERVED } from "../reserved-words.js";
import { q, type CheckContext } from "./context.js";
import { AIRFLOW_PRESETS, scheduleError } from "./schedule.js";

const REGION =
  /^(us|eu|ap|sa|ca|me|af|il|mx|cn)(-gov|-iso|-isob|-isoe|-isof)?-(north|south|east|west|central|northeast|southeast|northwest|southwest)-\d{1,2}$/;
const BUCKET_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"];
const BUCKET_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];
/** Why a name is not a valid general-purpose S3 bucket name, or undefined. */
export function bucketNameError(b: string): string | undefined {
  if (b.length < 3 || b.length > 63) return `is ${b.length} characters long (3 to 63)`;
  if (!/^[a-z0-9.-]+$/.test(b)) return "may contain only lower-case letters, digits, '.' and '-'";
  if (!/^[a-z0-9]/.test(b) || !/[a-z0-9]$/.test(b)) return "must begin and end with a letter or digit";
  if (b.includes("..")) return "must not contain two adjacent periods";
  if (/^\d+\.\d+\.\d+\.\d+$/.test(b)) return "must not look like an IP address";
  const pre = BUCKET_PREFIXES.find((p) => b.startsWith(p));
  if (pre) return `must not begin with '${pre}' (reserved by AWS)`;
  const suf = BUCKET_SUFFIXES.find((s) => b.endsWith(s));
  if (suf) return `must not end with '${suf}' (reserved by AWS)`;
  return undefined;
}

function checkBuckets(ctx: CheckContext): void {
  const aws = ctx.doc.aws;
  if (!aws) return;
  for (const k of ["raw_bucket", "processed_bucket", "artifacts_bucket"] as const) {
    const b = aws[k];
    if (typeof b !== "string") continue;
    const why = bucketNameError(b);
    if (why)
      ctx.error(
        "LK350",
        ["aws", k],
        `${k} ${q(b)} is not a valid S3 bucket name: it ${why}`,
        "bucket names are 3-63 lower-case letters, digits, '.' and '-', e.g. acme-reviews-raw",
      );
  }
  for (const k of ["processed_bucket", "artifacts_bucket"] as const) {
    if (aws[k] !== undefined && aws[k] === aws.raw_bucket) {
      ctx.error(
        "LK354",
        ["aws", k],
        `${k} is the raw bucket ${q(aws.raw_bucket)}: writes there would trigger the pipeline on its own output`,
        `use a separate bucket for ${k.replace("_bucket", "")} data`,
      );
    }
  }
  if (typeof aws.region === "string" && !REGION.test(aws.region)) {
    ctx.error("LK351", ["aws", "region"], `${q(aws.region)} is not an AWS region name`, "regions look like eu-west-1 or us-east-2");
  }
}

/**
 * Worker types Glue accepts only for some jobs: G.025X runs streaming jobs only (lakec's jobs
 * are batch ETL), and G.4X/G.8X need Glue 3.0 or later.
 */
function checkGlue(ctx: CheckContext): void {
  const glue = ctx.doc.aws?.glue;
  const wt = glue?.worker_type;
  if (typeof wt !== "string") return;
  const at: DocPath = ["aws", "glue", "worker_type"];
  if (wt === "G.025X") {
    ctx.error(
      "LK355",
      at,
      "worker_type G.025X is for Glue streaming jobs; lakec's clean and flatten jobs are batch ETL jobs",
      "use G.1X, the smallest batch worker",
    );
  } else if ((wt === "G.4X" || wt === "G.8X") && typeof glue?.version === "string" && Number(glue.version) < 3) {
    ctx.error(
      "LK355",
      at,
      `worker_type ${wt} needs Glue 3.0 or later, but glue version is ${glue.version}`,
      'use version: "5.0", or worker_type G.1X or G.2X',
    );
  }
}

/** `publish.dbt` / `publish.airflow` may be s3:// URLs; their bucket part must be a bucket name. */
function checkPublish(ctx: CheckContext): void {
  for (const k of ["dbt", "airflow"] as const) {
    const url = ctx.doc.publish?.[k];
    if (typeof url !== "string" || !url.startsWith("s3://")) continue;
    const bucket = url.slice("s3://".length).split("/")[0]!;
    const why = bucketNameError(bucket);
    if (why)
      ctx.error(
        "LK350",
        ["publish", k],
        `publish.${k} bucket ${q(bucket)} is not a valid S3 bucket name: it ${why}`,
        "write s3://bucket/prefix/ with a valid bucket name, or a local folder",
      );
  }
}

function checkSnowflake(ctx: CheckContext): void {
  const sf = ctx.doc.snowflake;
  if (!sf) return;
  for (const k of ["database", "schema", "warehouse", "storage_integration", "stage", "file_format", "read_role"] as const) {
    const v = sf[k];
    if (typeof v !== "string") continue;
    const at: DocPath = ["snowflake", k];
    if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(v) || v.length > 255) {
      ctx.error(
        "LK352",
        at,
        `snowflake ${k} ${q(v)} is not a valid unquoted Snowflake identifier`,
        "identifiers start with a letter or '_' and contain letters, digits, '_' and '$', e.g. ANALYTICS",
      );
    } else if (SNOWFLAKE_RESERVED.has(v.toUpperCase())) {
      ctx.error("LK352", at, `snowflake ${k} ${q(v)} is a reserved word in Snowflake`, `choose another name, e.g. ${v.toUpperCase()}_DB`);
    }
  }
}

function checkSchedule(ctx: CheckContext): void {
  const s = ctx.doc.orchestration?.airflow?.schedule;
  if (typeof s !== "string") return;
  const why = scheduleError(s);
  if (!why) return;
  const hint = s.startsWith("@")
    ? (didYouMean(s, AIRFLOW_PRESETS) ?? `presets are ${AIRFLOW_PRESETS.join(", ")}`)
    : 'use a preset such as "@daily", a cron expression such as "0 3 * * *", or dataset';
  ctx.error("LK353", ["orchestration", "airflow", "schedule"], `schedule ${q(s)} is not valid: ${why}`, hint);
}

/** A DAG scheduled on datasets runs only if something emits their events: the stack does, given MWAA. */
function checkDatasetEmitter(ctx: CheckContext): void {
  const a = ctx.doc.orchestration?.airflow;
  if (a?.schedule !== "dataset" || a.mwaa_environment !== undefined) return;
  ctx.warn(
    "LK357",
    ["orchestration", "airflow", "schedule"],
    "schedule: dataset, but nothing will emit the tables' dataset events: the DAG would never run",
    "set orchestration.airflow.mwaa_environment so the state machine posts them, or post them yourself (docs/warehouse.md)",
  );
}

/** The quarantine alarm watches invalid records; with on_invalid: fail everywhere there are none. */
function checkQuarantineAlarm(ctx: CheckContext): void {
  if (ctx.doc.aws?.quarantine_alarm_ratio === undefined) return;
  const sources = Object.values(ctx.doc.sources ?? {});
  if (sources.length === 0 || sources.some((s) => s?.on_invalid !== "fail")) return;
  ctx.warn(
    "LK356",
    ["aws", "quarantine_alarm_ratio"],
    "quarantine_alarm_ratio has no effect: every source has on_invalid: fail, so no record is ever quarantined or dropped",
    "remove quarantine_alarm_ratio; a file with invalid records fails its execution, which alerts",
    { key: true },
  );
}

export function checkSettings(ctx: CheckContext): void {
  checkQuarantineAlarm(ctx);
  checkDatasetEmitter(ctx);
  checkBuckets(ctx);
  checkGlue(ctx);
  checkPublish(ctx);
  checkSnowflake(ctx);
  checkSchedule(ctx);
}
