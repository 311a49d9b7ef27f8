// The Glue clean job: one raw JSON-lines object in; cleaned Parquet, quarantine and a run
// manifest out. Its SQL is printed by compiler/sql/clean.ts, the same module the local DuckDB
// engine uses, so the two classify, deduplicate and count records identically.
import { cleanStages } from "../../compiler/sql/clean.js";
import { DRIFT_EXAMPLES, driftSql } from "../../compiler/sql/drift.js";
import type { PipelineIR, SourceIR } from "../../compiler/ir.js";
import { generatedBy, pyComment } from "../text-escape.js";
import { METRICS, metricPipeline, PROCESSED_PREFIX } from "./layout.js";
import { pyLiteral, type PyValue } from "./python.js";
import { layOutSparkSql } from "./spark-sql-format.js";
import { PY_JSON_VALUES } from "./json-values-py.js";
import { jobArgsLine, PY_IMPORTS, PY_RUNTIME } from "./runtime.js";
import { DATA_ERROR_CLASS } from "../stepfunctions/glue-step.js";

function sourceEntry(ir: PipelineIR, source: SourceIR, withFormat: boolean): PyValue {
  const drift = driftSql(
    source,
    ir.tables.filter((t) => t.source === source.name),
    "spark",
  );
  const sql = { ...cleanStages(source, "spark"), ...(drift !== undefined && { drift }) };
  return {
    prefix: source.prefix,
    ...(withFormat && { format: source.format }),
    on_invalid: source.onInvalid,
    sql: Object.fromEntries(Object.entries(sql).map(([stage, text]) => [stage, layOutSparkSql(text)])),
  };
}

// Line numbers come from the JVM: spark_partition_id() and the low 33 bits of
// monotonically_increasing_id() give each line's partition and position in it, and a small
// per-partition count turns them into exact 1-based line numbers. textFile().zipWithIndex()
// would do the same through Python workers, which is what "no Python on the hot path" forbids.
// `metricValue`: the Python expression of the metrics' Pipeline dimension (see metricPipeline).
const cleanMain = (metricValue: string): string => String.raw`

def read_lines(spark, bucket, raw_key, event_time, arrival_seq):
    # A key ending in .gz is decompressed by Hadoop's codec (chosen by that suffix), as the
    # local engine does by the same rule. Lines end at LF only, as in the local engine: Spark's
    # default separator also splits at a lone CR, which would number lines differently (a CRLF
    # line's CR is dropped in split_not_utf8).
    raw = (
        spark.read.option("lineSep", "\n").text(hadoop_path(bucket, raw_key))
        .select(
            F.col("value").alias("line"),
            F.spark_partition_id().alias("_pid"),
            F.monotonically_increasing_id().bitwiseAND((1 << 33) - 1).alias("_pos"),
        )
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    counts = sorted((row["_pid"], row["count"]) for row in raw.groupBy("_pid").count().collect())
    offsets, seen = {}, 0
    for pid, count in counts:
        offsets[pid] = seen
        seen += count
    # An empty object has no partitions with lines: a typed constant instead of an empty map,
    # whose key type Spark could not match against the partition id.
    start = F.lit(0).cast("bigint")
    if offsets:
        entries = [x for pid, first in offsets.items() for x in (F.lit(pid), F.lit(first).cast("bigint"))]
        start = F.create_map(*entries)[F.col("_pid")]
    return raw.select(
        (start + F.col("_pos") + 1).cast("bigint").alias("line_no"),
        F.col("line"),
        F.lit(raw_key).alias("_source_file"),
        F.lit(event_time).cast("timestamp").alias("_ingested_at"),
        # The object version's place in the pipeline's arrival order (the state machine's
        # RecordArrival state): "latest wins" compares it, never file names or times.
        F.lit(int(arrival_seq)).cast("bigint").alias("_arrival_seq"),
    )


def split_not_utf8(lines):
    """Lines that are not UTF-8 never reach the SQL: like the local engine, they are records
    rejected as invalid_utf8. Spark keeps a line's bytes as read, and re-encoding it through a
    Java string replaces malformed UTF-8 with U+FFFD, so the two differ exactly for such lines."""
    valid = F.col("line").cast("binary") == F.encode(F.col("line"), "UTF-8")
    rejected = lines.filter(~valid).select(
        without_cr(F.decode(F.col("line").cast("binary"), "UTF-8")).alias("raw_record"),
        F.lit("invalid_utf8").alias("reason"),
        F.lit(None).cast("string").alias("reason_column"),
        F.col("_source_file").alias("source_key"),
        F.col("line_no").alias("line_number"),
    )
    return lines.filter(valid).withColumn("line", without_cr(F.col("line"))), rejected, rejected.count()


def without_cr(text):
    """A line without the CR of its CRLF ending (on text known to be UTF-8)."""
    return F.when(text.endswith("\r"), text.substr(F.lit(1), F.length(text) - 1)).otherwise(text)


def reconcile(counts, reasons, on_invalid):
    invalid = counts["invalid"]
    manifest = {
        "records_in": counts["records_in"],
        "clean": counts["clean"],
        "quarantined": invalid if on_invalid == "quarantine" else 0,
        "dropped_invalid": invalid if on_invalid == "drop" else 0,
        "duplicates": counts["duplicates"],
        "by_reason": {},
        "by_reason_column": {},
    }
    for row in reasons:
        manifest["by_reason"][row["reason"]] = manifest["by_reason"].get(row["reason"], 0) + row["records"]
        label = "%s.%s" % (row["reason"], row["reason_column"]) if row["reason_column"] else row["reason"]
        manifest["by_reason_column"][label] = row["records"]
    if on_invalid == "fail" and invalid > 0:
        raise ${DATA_ERROR_CLASS}("on_invalid is 'fail' and %d records are invalid %s; nothing was published" % (invalid, manifest["by_reason"]))
    accounted = manifest["clean"] + manifest["quarantined"] + manifest["dropped_invalid"] + manifest["duplicates"]
    if manifest["records_in"] != accounted:
        raise ${DATA_ERROR_CLASS}("counts do not reconcile: records_in %d != clean + quarantined + dropped_invalid + duplicates = %d" % (manifest["records_in"], accounted))
    return manifest


def cast_nulls(spark, sql):
    """on_cast_error: set_null columns -> values set NULL in kept records because they did not
    cast, as the local engine's manifest counts them. None for a source without such columns."""
    if "castNulls" not in sql:
        return None
    row = spark.sql(sql["castNulls"]).first().asDict()
    return {column: int(count or 0) for column, count in row.items()}


def schema_drift(spark, sql):
    """Schema drift, as the local engine's manifest reports it (compiler/sql/drift.ts): raw key
    paths no column maps, the first few with the records that carry them, and mapped paths no
    record has. Over the lines, so records that are not JSON objects are not counted."""
    if "drift" not in sql:
        return None
    tokens = {row["token"]: int(row["records"]) for row in spark.sql(sql["drift"]).collect()}
    records = tokens.get("#", 0)
    unmapped = sorted(((t[2:], n) for t, n in tokens.items() if t.startswith("u:")), key=lambda x: (-x[1], x[0]))
    absent = sorted(t[2:] for t, n in tokens.items() if t.startswith("a:") and records > 0 and n == records)
    return {"unmapped_paths": len(unmapped), "unmapped": dict(unmapped[:DRIFT_EXAMPLES]), "absent": absent}


def publish_metrics(manifest):
    """The input's share of invalid records (quarantined or dropped), which the stack alarms on.
    A failure to publish is logged, not raised: the outputs and the manifest are already written."""
    rejected = manifest["quarantined"] + manifest["dropped_invalid"]
    ratio = float(rejected) / manifest["records_in"] if manifest["records_in"] else 0.0
    dims = [{"Name": METRICS["dimension"], "Value": ${metricValue}}]
    data = [
        {"MetricName": METRICS["quarantineRatio"], "Dimensions": dims, "Value": ratio, "Unit": "None"},
        {"MetricName": METRICS["recordsIn"], "Dimensions": dims, "Value": manifest["records_in"], "Unit": "Count"},
        {"MetricName": METRICS["recordsRejected"], "Dimensions": dims, "Value": rejected, "Unit": "Count"},
    ]
    try:
        boto3.client("cloudwatch").put_metric_data(Namespace=METRICS["namespace"], MetricData=data)
    except Exception as e:
        sys.stderr.write("lakec: could not publish metrics: %s\n" % e)


def main():
    args, spark, job = start_job()
    source_name = args["source"]
    source = SOURCES[source_name]
    bucket = args["processed_bucket"]
    s3 = boto3.client("s3")
    raw_key = resolve_key(s3, args["raw_bucket"], args["raw_key"], source["prefix"])
    h = input_hash(raw_key)
    sql = source["sql"]

    lines, not_utf8, not_utf8_count = split_not_utf8(READ_RAW(spark, args["raw_bucket"], raw_key, args["event_time"], args["arrival_seq"]))
    lines.createOrReplaceTempView("lines")
    spark.sql(sql["checked"]).createOrReplaceTempView("checked")
    ranked = spark.sql(sql["ranked"]).persist(StorageLevel.MEMORY_AND_DISK)
    ranked.createOrReplaceTempView("ranked")

    counts = spark.sql(sql["counts"]).first().asDict()
    reasons = [row.asDict() for row in spark.sql(sql["reasons"]).collect()]
    if not_utf8_count:
        counts["records_in"] += not_utf8_count
        counts["invalid"] += not_utf8_count
        reasons.append({"reason": "invalid_utf8", "reason_column": None, "records": not_utf8_count})
    manifest = reconcile(counts, reasons, source["on_invalid"])
    nulled = cast_nulls(spark, sql)
    if nulled is not None:
        manifest["cast_nulls"] = nulled
    drift = schema_drift(spark, sql)
    if drift is not None:
        manifest["drift"] = drift

    clean_path = "s3://%s/%s%s/_input=%s/" % (bucket, CLEAN_PREFIX, source_name, h)
    spark.sql(sql["clean"]).write.mode("overwrite").parquet(clean_path)
    quarantine_prefix = "%s%s/_input=%s/" % (QUARANTINE_PREFIX, source_name, h)
    if source["on_invalid"] != "quarantine":
        # A quarantine left by an earlier run under another on_invalid would contradict the manifest.
        delete_prefix(s3, bucket, quarantine_prefix)
    else:
        (
            spark.sql(sql["quarantine"])
            .unionByName(not_utf8)
            .repartition(1)
            .sortWithinPartitions("line_number")
            .write.mode("overwrite")
            .option("ignoreNullFields", "false")
            .json("s3://%s/%s" % (bucket, quarantine_prefix))
        )
    manifest.update(
        {
            "pipeline": PIPELINE,
            "source": source_name,
            "raw_bucket": args["raw_bucket"],
            "raw_key": raw_key,
            "input_hash": h,
            "event_id": args["event_id"],
            "event_time": args["event_time"],
            "arrival_seq": int(args["arrival_seq"]),
            "on_invalid": source["on_invalid"],
        }
    )
    # Written last: a manifest means the clean stage of this input is complete.
    put_json(s3, bucket, "%s%s/%s.json" % (MANIFEST_PREFIX, source_name, h), manifest)
    publish_metrics(manifest)
    ranked.unpersist()
    job.commit()


if __name__ == "__main__":
    main()
`;

/**
 * How main() reads the raw object (the Python expression that replaces READ_RAW): lines, or,
 * for `format: json` sources, records split out of one JSON document. The JSON splitter and its
 * imports are emitted only where a source needs them, so a JSON Lines pipeline's job holds no
 * code it never runs.
 */
function rawReader(ir: PipelineIR): { readonly imports: string; readonly code?: string; readonly reader: string } {
  if (!ir.sources.some((s) => s.format === "json")) return { imports: PY_IMPORTS, reader: "read_lines" };
  return {
    imports: PY_IMPORTS.replace("import hashlib\n", "import gzip\nimport hashlib\n").replace("import json\n", "import json\nimport re\n"),
    code: PY_JSON_VALUES.trimEnd(),
    reader: '(read_json_records if source["format"] == "json" else read_lines)',
  };
}

export function cleanScript(ir: PipelineIR): string {
  const reader = rawReader(ir);
  const sources = Object.fromEntries(ir.sources.map((s) => [s.name, sourceEntry(ir, s, reader.code !== undefined)]));
  return [
    pyComment(generatedBy(ir.sourceFile)),
    `"""lakec clean job for pipeline ${ir.name}: one raw object to cleaned Parquet, quarantine and a manifest."""`,
    reader.imports,
    jobArgsLine("clean"),
    `PIPELINE = ${pyLiteral(ir.name)}`,
    `CLEAN_PREFIX = ${pyLiteral(PROCESSED_PREFIX.clean)}`,
    `QUARANTINE_PREFIX = ${pyLiteral(PROCESSED_PREFIX.quarantine)}`,
    `MANIFEST_PREFIX = ${pyLiteral(PROCESSED_PREFIX.manifests)}`,
    `SOURCES = ${pyLiteral(sources)}`,
    `DRIFT_EXAMPLES = ${DRIFT_EXAMPLES}`,
    // An environment's metrics carry its name in the dimension value (metricPipeline).
    `METRICS = ${pyLiteral({ ...METRICS, ...(ir.environment && { pipeline: metricPipeline(ir) }) })}`,
    "",
    "",
    PY_RUNTIME.trimEnd(),
    ...(reader.code !== undefined ? [reader.code] : []),
    cleanMain(ir.environment ? 'METRICS["pipeline"]' : "PIPELINE")
      .replace("READ_RAW(", `${reader.reader}(`)
      .trimEnd(),
    "",
  ].join("\n");
}
