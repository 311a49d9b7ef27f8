// The generated Glue scripts' own Python, run for real under the python3 on PATH with stand-ins for
// the Glue and Spark modules (neither installs here): key resolution, the input hash shared with
// the local engine, path escaping, the manifest's reconciliation, and stale-partition deletion.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compilePipeline } from "../../compiler/index.js";
import { glueScripts } from "../../targets/glue/index.js";
import { driftOf } from "../../compiler/sql/drift.js";
import { needsPython, python } from "../support/python.js";

const dir = mkdtempSync(join(tmpdir(), "lakec-glue-rt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Just enough of awsglue, pyspark and boto3 for the scripts to import.
const STUBS: Record<string, string> = {
  "awsglue/__init__.py": "",
  "awsglue/context.py": "class GlueContext:\n    def __init__(self, sc):\n        self.spark_session = None\n",
  "awsglue/job.py": "class Job:\n    def __init__(self, ctx):\n        pass\n",
  "awsglue/utils.py": "def getResolvedOptions(argv, names):\n    raise NotImplementedError\n",
  "pyspark/__init__.py": "class StorageLevel:\n    MEMORY_AND_DISK = 'MEMORY_AND_DISK'\n",
  "pyspark/context.py": "class SparkContext:\n    pass\n",
  "pyspark/sql/__init__.py": "",
  "pyspark/sql/functions.py": "",
  "boto3/__init__.py": "def client(name):\n    raise NotImplementedError\n",
};

for (const [path, text] of Object.entries(STUBS)) {
  mkdirSync(dirname(join(dir, "stubs", path)), { recursive: true });
  writeFileSync(join(dir, "stubs", path), text);
}

const ir = compilePipeline("pipelines/reviews.yaml", readFileSync("pipelines/reviews.yaml", "utf8")).ir!;
for (const s of glueScripts(ir)) writeFileSync(join(dir, `${s.role}.py`), s.contents);

/** Imports the generated script as a module and runs `body` with it bound to `job`. */
function run(role: "clean" | "flatten", body: string): unknown {
  const prelude = [
    "import importlib.util, json, sys",
    `sys.path.insert(0, ${JSON.stringify(join(dir, "stubs"))})`,
    `spec = importlib.util.spec_from_file_location("job", ${JSON.stringify(join(dir, `${role}.py`))})`,
    "job = importlib.util.module_from_spec(spec)",
    "spec.loader.exec_module(job)",
    "class FakeS3:",
    "    def __init__(self, keys):",
    "        self.keys, self.deleted = set(keys), []",
    "    def list_objects_v2(self, Bucket, Prefix, MaxKeys):",
    "        return {'Contents': [{'Key': k} for k in sorted(self.keys) if k.startswith(Prefix)][:MaxKeys]}",
    "    def get_paginator(self, name):",
    "        s3 = self",
    "        class P:",
    "            def paginate(self, Bucket, Prefix):",
    "                return [{'Contents': [{'Key': k} for k in sorted(s3.keys) if k.startswith(Prefix)]}]",
    "        return P()",
    "    def delete_objects(self, Bucket, Delete):",
    "        for o in Delete['Objects']:",
    "            self.keys.discard(o['Key']); self.deleted.append(o['Key'])",
    "def attempt(f, *a):",
    "    try:",
    "        return f(*a)",
    "    except Exception as e:",
    "        return type(e).__name__ + ': ' + str(e)",
  ].join("\n");
  return JSON.parse(execFileSync(python!.path, ["-c", `${prelude}\n${body}`], { encoding: "utf8" }));
}

describe.skipIf(!python)(needsPython("the Glue scripts' runtime"), () => {
  // The agreed layout (the local engine names its outputs the same way): sha256 of the key, 16 hex.
  const inputHash = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex").slice(0, 16);

  it("hashes the raw key as the agreed layout says", () => {
    const keys = ["reviews/2026/11/27/export.jsonl", "reviews/a b+c%20é.jsonl"];
    const out = run("clean", `print(json.dumps([job.input_hash(k) for k in ${JSON.stringify(keys)}]))`);
    expect(out).toEqual(keys.map(inputHash));
  });

  it("resolves the event's key: URL-decoded first, then as given, only under the source prefix", () => {
    const out = run(
      "clean",
      [
        "s3 = FakeS3(['reviews/a b.jsonl', 'reviews/c+d.jsonl', 'other/x.jsonl', 'reviews/x y.jsonl', 'reviews/x+y.jsonl'])",
        "print(json.dumps([",
        "    attempt(job.resolve_key, s3, 'raw', 'reviews/a+b.jsonl', 'reviews/'),",
        "    attempt(job.resolve_key, s3, 'raw', 'reviews/a%20b.jsonl', 'reviews/'),",
        "    attempt(job.resolve_key, s3, 'raw', 'reviews/c+d.jsonl', 'reviews/'),",
        "    attempt(job.resolve_key, s3, 'raw', 'other/x.jsonl', 'reviews/'),",
        "    attempt(job.resolve_key, s3, 'raw', 'reviews/missing.jsonl', 'reviews/'),",
        "    attempt(job.resolve_key, s3, 'raw', 'reviews/x+y.jsonl', 'reviews/'),",
        "    attempt(job.resolve_key, s3, 'raw', 'reviews/a', 'reviews/'),",
        "]))",
      ].join("\n"),
    ) as string[];
    expect(out.slice(0, 3)).toEqual(["reviews/a b.jsonl", "reviews/a b.jsonl", "reviews/c+d.jsonl"]);
    expect(out[3]).toMatch(/^ValueError: .*not under this source's prefix/);
    expect(out[4]).toMatch(/^FileNotFoundError: no object s3:\/\/raw\/reviews\/missing\.jsonl/);
    // Both spellings exist: the event is URL-encoded as documented for S3 notifications.
    expect(out[5]).toBe("reviews/x y.jsonl");
    // A key that is only a prefix of an existing one does not exist.
    expect(out[6]).toMatch(/^FileNotFoundError/);
  });

  it("escapes Hadoop glob characters in the input path", () => {
    expect(run("clean", `print(json.dumps(job.hadoop_path('raw', 'reviews/a*b?[c]{d}.jsonl')))`)).toBe(
      "s3://raw/reviews/a\\*b\\?\\[c\\]\\{d\\}.jsonl",
    );
  });

  it("reconciles the manifest and follows on_invalid", () => {
    const out = run(
      "clean",
      [
        "counts = {'records_in': 10, 'clean': 6, 'invalid': 3, 'duplicates': 1}",
        "reasons = [{'reason': 'cast_failed', 'reason_column': 'rating', 'records': 2}, {'reason': 'malformed_json', 'reason_column': None, 'records': 1}]",
        "print(json.dumps([",
        "    job.reconcile(counts, reasons, 'quarantine'),",
        "    job.reconcile(counts, reasons, 'drop'),",
        "    attempt(job.reconcile, counts, reasons, 'fail'),",
        "    job.reconcile(dict(counts, invalid=0, clean=9), [], 'fail')['clean'],",
        "    attempt(job.reconcile, dict(counts, records_in=11), reasons, 'quarantine'),",
        "]))",
      ].join("\n"),
    ) as unknown[];
    expect(out[0]).toEqual({
      records_in: 10,
      clean: 6,
      quarantined: 3,
      dropped_invalid: 0,
      duplicates: 1,
      by_reason: { cast_failed: 2, malformed_json: 1 },
      by_reason_column: { "cast_failed.rating": 2, malformed_json: 1 },
    });
    expect(out[1]).toMatchObject({ quarantined: 0, dropped_invalid: 3 });
    // The class name is what the state machine matches to skip retries (targets/stepfunctions/glue-step.ts).
    expect(out[2]).toMatch(/^LakecDataError: on_invalid is 'fail' and 3 records are invalid/);
    expect(out[3]).toBe(9);
    expect(out[4]).toMatch(/^LakecDataError: counts do not reconcile: records_in 11 != .* = 10/);
  });

  it("counts on_cast_error: set_null values from the castNulls query, and nothing for a source without one", () => {
    const out = run(
      "clean",
      [
        "class Row:",
        "    def asDict(self):",
        "        return {'stars': 2, 'review_count': None}",
        "class Spark:",
        "    def __init__(self):",
        "        self.queries = []",
        "    def sql(self, q):",
        "        self.queries.append(q)",
        "        class Result:",
        "            def first(self):",
        "                return Row()",
        "        return Result()",
        "spark = Spark()",
        "print(json.dumps([job.cast_nulls(spark, {'castNulls': 'SELECT 1'}), job.cast_nulls(spark, {'counts': 'x'}), spark.queries]))",
      ].join("\n"),
    );
    // An all-rejected input sums to NULL in Spark's sum(); the manifest still says 0.
    expect(out).toEqual([{ stars: 2, review_count: 0 }, null, ["SELECT 1"]]);
  });

  it("folds the drift query's tokens into the manifest's drift as the local engine does", () => {
    const tokens: [string, number][] = [
      ["#", 4],
      ["u:b", 1],
      ["u:a", 1],
      ["u:c", 3],
      ["u:d", 1],
      ["u:e", 1],
      ["u:f", 1],
      ["a:x", 4],
      ["a:y", 2],
    ];
    const out = run(
      "clean",
      [
        `rows = [{'token': t, 'records': n} for t, n in ${JSON.stringify(tokens)}]`,
        "class Spark:",
        "    def sql(self, q):",
        "        class Result:",
        "            def collect(self):",
        "                return rows",
        "        return Result()",
        "print(json.dumps([job.schema_drift(Spark(), {'drift': 'SELECT 1'}), job.schema_drift(Spark(), {'counts': 'x'})]))",
      ].join("\n"),
    ) as [unknown, unknown];
    const local = driftOf(new Map(tokens));
    expect(out[0]).toEqual({ unmapped_paths: local.unmappedPaths, unmapped: local.unmapped, absent: local.absent });
    expect(out[0]).toEqual({ unmapped_paths: 6, unmapped: { c: 3, a: 1, b: 1, d: 1, e: 1 }, absent: ["x"] });
    expect(out[1]).toBeNull();
  });

  it("deletes exactly one input's objects under a stale partition", () => {
    const out = run(
      "flatten",
      [
        "s3 = FakeS3(['t/d=1/_input=aa/p0.parquet', 't/d=1/_input=aa/p1.parquet', 't/d=1/_input=bb/p0.parquet', 't/d=2/_input=aa/p0.parquet'])",
        "job.delete_prefix(s3, 'b', 't/d=1/_input=aa/')",
        "print(json.dumps([sorted(s3.deleted), sorted(s3.keys)]))",
      ].join("\n"),
    );
    expect(out).toEqual([
      ["t/d=1/_input=aa/p0.parquet", "t/d=1/_input=aa/p1.parquet"],
      ["t/d=1/_input=bb/p0.parquet", "t/d=2/_input=aa/p0.parquet"],
    ]);
  });
});

describe("the clean job's metrics", () => {
  // PutMetricData: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
  it("publishes the share of invalid records the quarantine alarm watches, and never fails the job for it", () => {
    const out = run(
      "clean",
      [
        "calls = []",
        "class CW:",
        "    def put_metric_data(self, Namespace, MetricData):",
        "        calls.append({'Namespace': Namespace, 'MetricData': MetricData})",
        "job.boto3.client = lambda name: CW() if name == 'cloudwatch' else None",
        "job.publish_metrics({'records_in': 8, 'quarantined': 1, 'dropped_invalid': 1})",
        "job.publish_metrics({'records_in': 0, 'quarantined': 0, 'dropped_invalid': 0})",
        "def broken(name):",
        "    raise RuntimeError('no credentials')",
        "job.boto3.client = broken",
        "job.publish_metrics({'records_in': 1, 'quarantined': 0, 'dropped_invalid': 0})",
        "print(json.dumps(calls))",
      ].join("\n"),
    ) as { Namespace: string; MetricData: { MetricName: string; Value: number; Dimensions: unknown }[] }[];
    expect(out).toHaveLength(2);
    expect(out[0]!.Namespace).toBe("lakec");
    expect(out[0]!.MetricData.map((m) => [m.MetricName, m.Value])).toEqual([
      ["QuarantineRatio", 0.25],
      ["RecordsIn", 8],
      ["RecordsRejected", 2],
    ]);
    expect(out[0]!.MetricData[0]!.Dimensions).toEqual([{ Name: "Pipeline", Value: "reviews" }]);
    expect(out[1]!.MetricData[0]!.Value).toBe(0);
  });
});
