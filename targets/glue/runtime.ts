// Python shared by the clean and flatten scripts: Spark settings, locating the exact raw object
// named by the event, and the per-input hash that names every output of one raw object.
import { DATA_ERROR_CLASS } from "../stepfunctions/glue-step.js";

export const PY_IMPORTS = String.raw`import hashlib
import json
import sys
from urllib.parse import unquote_plus

import boto3
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark import StorageLevel
from pyspark.context import SparkContext
from pyspark.sql import functions as F
`;

/** The arguments each job resolves (`JOB_ARGS`): the state machine passes the per-object ones, the job's defaults the rest. */
export const JOB_ARGS = {
  clean: ["JOB_NAME", "source", "raw_bucket", "raw_key", "event_time", "event_id", "arrival_seq", "processed_bucket"],
  flatten: ["JOB_NAME", "source", "raw_bucket", "raw_key", "event_time", "event_id", "arrival_seq", "processed_bucket", "leases_table"],
  compact: ["JOB_NAME", "processed_bucket", "leases_table"],
} as const;

/** The `JOB_ARGS = [...]` line of a script (one line: the stack's tests read it). */
export const jobArgsLine = (role: keyof typeof JOB_ARGS): string =>
  `JOB_ARGS = [${JOB_ARGS[role].map((a) => JSON.stringify(a)).join(", ")}]`;

export const PY_RUNTIME = String.raw`class ${DATA_ERROR_CLASS}(RuntimeError):
    """A deterministic data failure (on_invalid is 'fail', counts that do not reconcile). Its
    class name reaches the job run's error message, and the state machine does not retry it."""


def configure(spark):
    conf = spark.conf
    # The generated SQL relies on failed casts and unparseable dates being NULL (non-ANSI
    # casts, CORRECTED parser), exactly like the DuckDB twin of this job.
    conf.set("spark.sql.ansi.enabled", "false")
    conf.set("spark.sql.legacy.timeParserPolicy", "CORRECTED")
    conf.set("spark.sql.session.timeZone", "UTC")
    conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    conf.set("spark.sql.parquet.compression.codec", "snappy")
    # Reprocessing one raw object replaces exactly the partitions it writes.
    conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
    # No _SUCCESS markers: external tables over the table prefixes must see only Parquet.
    spark.sparkContext._jsc.hadoopConfiguration().set("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")


def object_exists(s3, bucket, key):
    # A LIST with the key as prefix rather than HEAD: on the raw bucket the role may list only its
    # source prefixes, and without bucket-wide s3:ListBucket S3 answers HEAD on a missing key
    # with 403, not 404.
    page = s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
    return any(item["Key"] == key for item in page.get("Contents", []))


def resolve_key(s3, bucket, event_key, prefix):
    """The raw object's exact key. S3 notifications URL-encode keys (space as '+'); whether the
    EventBridge copy does is undocumented, so try the decoded key, then the key as given."""
    for key in dict.fromkeys([unquote_plus(event_key), event_key]):
        if not key.startswith(prefix):
            continue
        if object_exists(s3, bucket, key):
            return key
    if not event_key.startswith(prefix) and not unquote_plus(event_key).startswith(prefix):
        raise ValueError("s3://%s/%s is not under this source's prefix %r" % (bucket, event_key, prefix))
    raise FileNotFoundError("no object s3://%s/%s (nor its URL-decoded form)" % (bucket, event_key))


def input_hash(raw_key):
    """Names every output of one raw object: first 16 hex chars of sha256 of its key."""
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()[:16]


def hadoop_path(bucket, key):
    # Hadoop expands glob characters in input paths; escape them so the key is read literally.
    escaped = "".join("\\" + c if c in "*?[]{}\\" else c for c in key)
    return "s3://%s/%s" % (bucket, escaped)


def put_json(s3, bucket, key, document):
    body = json.dumps(document, indent=2, sort_keys=True, default=str).encode("utf-8")
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")


def get_json(s3, bucket, key):
    if not object_exists(s3, bucket, key):
        return None
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def delete_prefix(s3, bucket, prefix):
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})


def start_job():
    args = getResolvedOptions(sys.argv, JOB_ARGS)
    if args["source"] not in SOURCES:
        raise ValueError("unknown source %r; this pipeline has %s" % (args["source"], sorted(SOURCES)))
    glue_context = GlueContext(SparkContext.getOrCreate())
    spark = glue_context.spark_session
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)
    configure(spark)
    return args, spark, job
`;
