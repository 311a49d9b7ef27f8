// The Glue flatten job: the cleaned Parquet of one raw object in; every output table of its
// source out, hive-partitioned and keyed by `_input=<hash>` so a reprocessed object replaces
// exactly its own files. Table SELECTs come from compiler/sql/clean.ts, shared with DuckDB.
import { tableSelect } from "../../compiler/sql/clean.js";
import type { PipelineIR, SourceIR } from "../../compiler/ir.js";
import { generatedBy, pyComment } from "../text-escape.js";
import { PROCESSED_PREFIX } from "./layout.js";
import { pyLiteral, type PyValue } from "./python.js";
import { layOutSparkSql } from "./spark-sql-format.js";
import { jobArgsLine, PY_RUNTIME } from "./runtime.js";
import { packedConstants, PY_IMPORTS_PACKED } from "./compact-script.js";
import { PY_PACKED } from "./packed-py.js";

function sourceEntry(ir: PipelineIR, source: SourceIR): PyValue {
  const tables = ir.tables.filter((t) => t.source === source.name);
  return {
    prefix: source.prefix,
    tables: tables.map((t) => ({ name: t.name, partition_key: t.partition?.key ?? null, sql: layOutSparkSql(tableSelect(t, "spark")) })),
  };
}

const FLATTEN_MAIN = String.raw`

HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"


def partition_dirs(df, key):
    if key is None:
        return []
    values = [row[0] for row in df.select(key).distinct().collect()]
    return sorted("%s=%s" % (key, HIVE_NULL if v is None else str(v)) for v in values)


def write_table(spark, s3, bucket, table, h, previous_dirs):
    df = spark.sql(table["sql"]).withColumn("_input", F.lit(h)).persist(StorageLevel.MEMORY_AND_DISK)
    key = table["partition_key"]
    columns = [key, "_input"] if key else ["_input"]
    df.write.mode("overwrite").partitionBy(*columns).parquet("s3://%s/%s/" % (bucket, table["name"]))
    dirs = partition_dirs(df, key)
    # Dynamic overwrite replaces the partitions written now; partitions this input wrote in an
    # earlier run but not now (its dates changed, or it has no rows any more) are removed here.
    for stale in sorted(set(previous_dirs) - set(dirs)):
        delete_prefix(s3, bucket, "%s/%s/_input=%s/" % (table["name"], stale, h))
    if key is None and df.isEmpty():
        delete_prefix(s3, bucket, "%s/_input=%s/" % (table["name"], h))
    rows = df.count()
    df.unpersist()
    return {"rows": rows, "partitions": dirs}


def take_lease(s3, ddb, bucket, leases, source_name, h, run_id):
    """The source's lease: shared, or exclusive when this raw file's rows were packed (its
    reprocess rewrites packed objects). The marker is read again once the lease is held: a
    compaction may have packed this file in between. Returns whether it is exclusive."""
    exclusive = get_json(s3, bucket, input_marker_key(source_name, h)) is not None
    while True:
        if not acquire_lease(ddb, leases, source_name, run_id, exclusive, LEASE["waitSeconds"]):
            raise TimeoutError("the %s lease stayed taken (a compaction or a reprocess of packed rows); retried by the state machine" % source_name)
        if exclusive or get_json(s3, bucket, input_marker_key(source_name, h)) is None:
            return exclusive
        release_lease(ddb, leases, source_name, run_id)
        exclusive = True


def main():
    args, spark, job = start_job()
    source_name = args["source"]
    source = SOURCES[source_name]
    bucket = args["processed_bucket"]
    s3 = boto3.client("s3")
    ddb = boto3.client("dynamodb")
    raw_key = resolve_key(s3, args["raw_bucket"], args["raw_key"], source["prefix"])
    h = input_hash(raw_key)
    run_id = uuid.uuid4().hex

    spark.read.parquet("s3://%s/%s%s/_input=%s/" % (bucket, CLEAN_PREFIX, source_name, h)).createOrReplaceTempView("clean")
    outputs_key = "%s%s/%s.outputs.json" % (MANIFEST_PREFIX, source_name, h)
    exclusive = take_lease(s3, ddb, bucket, args["leases_table"], source_name, h, run_id)
    try:
        previous = (get_json(s3, bucket, outputs_key) or {}).get("tables", {})
        tables = {}
        for table in source["tables"]:
            tables[table["name"]] = write_table(spark, s3, bucket, table, h, previous.get(table["name"], {}).get("partitions", []))
        # Its new rows are written: now the packed copies of its old rows go (write first, then delete).
        unpacked = unpack_input(spark, s3, bucket, source_name, raw_key, run_id) if exclusive else 0
        put_json(s3, bucket, outputs_key, {"pipeline": PIPELINE, "source": source_name, "raw_key": raw_key, "input_hash": h, "tables": tables, "packed_partitions_rewritten": unpacked})
    finally:
        release_lease(ddb, args["leases_table"], source_name, run_id)
    job.commit()


if __name__ == "__main__":
    main()
`;

export function flattenScript(ir: PipelineIR): string {
  const sources = Object.fromEntries(ir.sources.map((s) => [s.name, sourceEntry(ir, s)]));
  return [
    pyComment(generatedBy(ir.sourceFile)),
    `"""lakec flatten job for pipeline ${ir.name}: one raw object's cleaned records to its output tables."""`,
    PY_IMPORTS_PACKED,
    jobArgsLine("flatten"),
    `PIPELINE = ${pyLiteral(ir.name)}`,
    `CLEAN_PREFIX = ${pyLiteral(PROCESSED_PREFIX.clean)}`,
    `MANIFEST_PREFIX = ${pyLiteral(PROCESSED_PREFIX.manifests)}`,
    ...packedConstants(ir),
    `SOURCES = ${pyLiteral(sources)}`,
    "",
    "",
    PY_RUNTIME.trimEnd(),
    PY_PACKED.trimEnd(),
    FLATTEN_MAIN.trimEnd(),
    "",
  ].join("\n");
}
