// The Glue compaction job: per source, under the source's exclusive lease, every table partition
// holding more than `aws.glue.compact_above` published Parquet objects is rewritten into at most 2
// packed objects, recording which raw files' rows they hold, so that a later reprocess of one raw
// file (the flatten job, packed-py.ts unpack_input) still replaces exactly its rows. Write first,
// then delete: a reader sees a partition's rows once, or twice for the window between the packed
// object's creation and the old objects' removal, never missing (docs/aws-architecture.md).
import type { PipelineIR, SourceIR } from "../../compiler/ir.js";
import { packedRowsSelect } from "../../compiler/sql/compact.js";
import { generatedBy, pyComment } from "../text-escape.js";
import { PACKED_PREFIX_CLOUD, PROCESSED_PREFIX } from "./layout.js";
import { PY_PACKED } from "./packed-py.js";
import { pyLiteral, type PyValue } from "./python.js";
import { layOutSparkSql } from "./spark-sql-format.js";
import { jobArgsLine, PY_IMPORTS, PY_RUNTIME } from "./runtime.js";

/** One packed object up to this size; above it, two (the "at most 2 files per partition"). */
export const PACKED_OBJECT_BYTES = 512 * 1024 * 1024;

/** The imports of the jobs that use packed-py.ts (time for the lease clock, uuid for run ids). */
export const PY_IMPORTS_PACKED = PY_IMPORTS.replace("import sys\n", "import sys\nimport time\nimport uuid\n");

/** Constants packed-py.ts reads, the same in the flatten and compaction jobs. */
export function packedConstants(ir: PipelineIR): string[] {
  // A holder expires when Glue would have killed its run; a waiter gives up at half of that.
  const hold = ir.aws.glue.timeoutMinutes * 60 + 300;
  return [
    `COMPACTION_PREFIX = ${pyLiteral(PROCESSED_PREFIX.compaction)}`,
    `PACKED_PREFIX = ${pyLiteral(PACKED_PREFIX_CLOUD)}`,
    `PACKED_OBJECT_BYTES = ${PACKED_OBJECT_BYTES}`,
    `PACKED_SQL = ${pyLiteral(layOutSparkSql(packedRowsSelect("spark")))}`,
    `LEASE = ${pyLiteral({ holdSeconds: hold, waitSeconds: Math.floor((ir.aws.glue.timeoutMinutes * 60) / 2) })}`,
  ];
}

function sourceEntry(ir: PipelineIR, source: SourceIR): PyValue {
  return {
    tables: ir.tables.filter((t) => t.source === source.name).map((t) => ({ name: t.name, partition_key: t.partition?.key ?? null })),
  };
}

const COMPACT_MAIN = String.raw`

def compact_partition(spark, s3, bucket, source_name, table, part, folders, manifest, tag):
    """Packs one partition when it holds more than COMPACT_ABOVE live objects. Returns its report."""
    packed = (manifest or {}).get("packed")
    committed = packed["input"] if packed else None
    # Objects the committed folder replaced, left by a run that died before deleting them, and
    # packed folders no manifest commits (a run that died before its commit): none is live.
    absorbed = set((manifest or {}).get("absorbed", []))
    stale = lambda i, k: k in absorbed or (i.startswith(PACKED_PREFIX) and i != committed)
    leftovers = [k for i, keys in folders.items() for k in keys if stale(i, k)]
    live = sorted(k for i, keys in folders.items() for k in keys if not stale(i, k))
    if len(live) <= COMPACT_ABOVE:
        delete_keys(s3, bucket, leftovers)
        return {"objects": len(live), "rewritten": False}
    rows, members, objects = write_packed(spark, s3, bucket, table, part, live, [], tag)
    # Markers first, then the manifest commits the folder, then the old objects go.
    mark_inputs(s3, bucket, source_name, table, part, members)
    commit_packed(s3, bucket, table, part, tag, rows, members, objects, live)
    delete_keys(s3, bucket, live + leftovers)
    return {"objects": len(live), "rewritten": True, "after": len(objects), "rows": rows, "raw_files": len(members)}


def compact_table(spark, s3, bucket, source_name, table, tag):
    report = {"partitions": 0, "rewritten": 0, "objects_before": 0, "objects_after": 0, "max_before": 0, "max_after": 0, "rows": 0}
    for part, folders in sorted(published_objects(s3, bucket, table["name"], table["partition_key"]).items()):
        manifest = get_json(s3, bucket, partition_manifest_key(table["name"], part))
        r = compact_partition(spark, s3, bucket, source_name, table["name"], part, folders, manifest, tag)
        after = r["after"] if r["rewritten"] else r["objects"]
        report["partitions"] += 1
        report["rewritten"] += 1 if r["rewritten"] else 0
        report["objects_before"] += r["objects"]
        report["objects_after"] += after
        report["max_before"] = max(report["max_before"], r["objects"])
        report["max_after"] = max(report["max_after"], after)
        report["rows"] += r.get("rows", 0)
    return report


def start_compaction():
    args = getResolvedOptions(sys.argv, JOB_ARGS)
    glue_context = GlueContext(SparkContext.getOrCreate())
    spark = glue_context.spark_session
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)
    configure(spark)
    return args, spark, job


def main():
    args, spark, job = start_compaction()
    bucket = args["processed_bucket"]
    s3 = boto3.client("s3")
    ddb = boto3.client("dynamodb")
    run_id = uuid.uuid4().hex
    tag = packed_tag(run_id)
    report = {}
    for source_name, source in sorted(SOURCES.items()):
        # Exclusive: no flatten run writes this source's tables while they are packed.
        if not acquire_lease(ddb, args["leases_table"], source_name, run_id, True, LEASE["waitSeconds"]):
            sys.stderr.write("lakec: source %s stayed busy; its tables are compacted by the next run\n" % source_name)
            report[source_name] = "busy"
            continue
        try:
            for table in source["tables"]:
                report[table["name"]] = compact_table(spark, s3, bucket, source_name, table, tag)
        finally:
            release_lease(ddb, args["leases_table"], source_name, run_id)
    print(json.dumps({"pipeline": PIPELINE, "compaction": report}, sort_keys=True))
    job.commit()


if __name__ == "__main__":
    main()
`;

export function compactScript(ir: PipelineIR): string {
  const sources = Object.fromEntries(ir.sources.map((s) => [s.name, sourceEntry(ir, s)]));
  return [
    pyComment(generatedBy(ir.sourceFile)),
    `"""lakec compaction job for pipeline ${ir.name}: each partition's small Parquet objects packed into at most 2."""`,
    // The compaction job builds no column expressions: no pyspark.sql.functions.
    PY_IMPORTS_PACKED.replace("from pyspark.sql import functions as F\n", ""),
    jobArgsLine("compact"),
    `PIPELINE = ${pyLiteral(ir.name)}`,
    ...packedConstants(ir),
    `COMPACT_ABOVE = ${ir.aws.glue.compactAbove}`,
    `SOURCES = ${pyLiteral(sources)}`,
    "",
    "",
    PY_RUNTIME.trimEnd(),
    PY_PACKED.trimEnd(),
    COMPACT_MAIN.trimEnd(),
    "",
  ].join("\n");
}
