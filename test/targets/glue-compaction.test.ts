// The cloud compaction (issue 16, goal 3): the generated compaction and flatten jobs' own Python,
// run for real under the python3 on PATH against an in-memory S3 and DynamoDB, and the packed
// rows' SQL (compiler/sql/compact.ts) run on DuckDB over real Parquet files.
//
// Spark cannot run here, so write_packed (read objects, PACKED_SQL, write at most 2 objects) is
// replaced in the Python runs by a stand-in that does the same over JSON rows; the SQL itself is
// executed on DuckDB below, and glue.test.ts checks the embedded Spark SQL token for token.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { compilePipeline } from "../../compiler/index.js";
import { DROPPED_INPUTS, PACKED_ROWS, packedRowsSelect } from "../../compiler/sql/compact.js";
import { glueScripts } from "../../targets/glue/index.js";
import { sqlTokens } from "../../targets/glue/spark-sql-format.js";
import { parquetPattern } from "../../targets/snowflake/objects.js";
import { needsPython, python } from "../support/python.js";

const dir = mkdtempSync(join(tmpdir(), "lakec-glue-compact-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
const scripts = glueScripts(ir);
for (const s of scripts) writeFileSync(join(dir, `${s.role}.py`), s.contents);
const table = ir.tables[0]!;

// An in-memory S3 that records every mutation and, after each, what a Snowflake external table
// over the table prefix sees: the rows of the objects its PATTERN admits.
const HARNESS = String.raw`
import importlib.util, io, json, re, sys
sys.path.insert(0, STUBS)

def load(role):
    spec = importlib.util.spec_from_file_location(role, "%s/%s.py" % (DIR, role))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m

class ClientError(Exception):
    def __init__(self, code):
        self.response = {"Error": {"Code": code}}

class FakeS3:
    def __init__(self, table, pattern):
        self.objects, self.log, self.seen = {}, [], []
        self.table, self.pattern = table, re.compile("^(?:%s)$" % pattern)
    def visible(self):
        rows = []
        for k in sorted(self.objects):
            if k.startswith(self.table + "/") and self.pattern.match(k):
                part = "/".join(k.split("/")[1:-2])
                rows.extend((r["_source_file"], r["_source_line"], r["v"], part) for r in json.loads(self.objects[k]))
        return rows
    def _changed(self, op, key):
        self.log.append((op, key))
        self.seen.append(self.visible())
    def list_objects_v2(self, Bucket, Prefix, MaxKeys=1000):
        return {"Contents": [{"Key": k} for k in sorted(self.objects) if k.startswith(Prefix)][:MaxKeys]}
    def get_paginator(self, name):
        s3 = self
        class P:
            def paginate(self, Bucket, Prefix):
                return [{"Contents": [{"Key": k} for k in sorted(s3.objects) if k.startswith(Prefix)]}]
        return P()
    def put_object(self, Bucket, Key, Body, ContentType=None):
        self.objects[Key] = Body if isinstance(Body, bytes) else Body.encode()
        self._changed("put", Key)
    def get_object(self, Bucket, Key):
        return {"Body": io.BytesIO(self.objects[Key])}
    def head_object(self, Bucket, Key):
        return {"ContentLength": len(self.objects[Key])}
    def delete_objects(self, Bucket, Delete):
        for o in Delete["Objects"]:
            self.objects.pop(o["Key"], None)
            self._changed("delete", o["Key"])
    def delete_object(self, Bucket, Key):
        self.objects.pop(Key, None)
        self._changed("delete", Key)

class FakeDynamo:
    """GetItem and PutItem with the two conditions the lease uses."""
    def __init__(self):
        self.items, self.puts, self.conflicts = {}, 0, 0
    def get_item(self, TableName, Key, ConsistentRead):
        item = self.items.get(Key["pk"]["S"])
        return {"Item": json.loads(json.dumps(item))} if item else {}
    def put_item(self, TableName, Item, ConditionExpression, ExpressionAttributeValues=None):
        current = self.items.get(Item["pk"]["S"])
        if ConditionExpression == "attribute_not_exists(pk)":
            ok = current is None
        else:
            ok = current is not None and current["version"]["N"] == ExpressionAttributeValues[":v"]["N"]
        if not ok:
            self.conflicts += 1
            raise ClientError("ConditionalCheckFailedException")
        self.puts += 1
        self.items[Item["pk"]["S"]] = Item

def rows(raw_key, lines, arrival, v="old"):
    return [{"_source_file": raw_key, "_source_line": n, "_arrival_seq": arrival, "v": v} for n in range(1, lines + 1)]

def put_rows(s3, key, rs):
    s3.put_object(Bucket="b", Key=key, Body=json.dumps(rs).encode())

def stand_in_write_packed(job):
    """write_packed without Spark: PACKED_SQL's filter and order over JSON rows, one object."""
    def write_packed(spark, s3, bucket, table, part, keys, dropped, tag):
        read = [r for k in keys for r in json.loads(s3.objects[k])]
        kept = sorted((r for r in read if r["_source_file"] not in dropped), key=lambda r: (r["_arrival_seq"], r["_source_file"], r["_source_line"]))
        if not kept:
            return 0, [], []
        key = job.folder_key(table, part, tag) + "part-00000-%s.c000.snappy.parquet" % tag
        put_rows(s3, key, kept)
        return len(kept), sorted({r["_source_file"] for r in kept}), [key]
    job.write_packed = write_packed
`;

function run(body: string): unknown {
  const prelude = `STUBS = ${JSON.stringify(join(dir, "stubs"))}\nDIR = ${JSON.stringify(dir)}\nTABLE = ${JSON.stringify(table.name)}\nPATTERN = ${JSON.stringify(parquetPattern(table))}\nKEY = ${JSON.stringify(table.partition?.key ?? null)}\n`;
  return JSON.parse(execFileSync(python!.path, ["-c", `${prelude}${HARNESS}\n${body}`], { encoding: "utf8" }));
}

describe.skipIf(!python)(needsPython("the cloud compaction's Python"), () => {
  const part = table.partition ? `${table.partition.key}=2024-03-10` : "";
  const inputs = 10;

  // Ten deliveries touched one partition, one more another; the threshold is COMPACT_ABOVE (8).
  const setup = String.raw`
compact = load("compact")
stand_in_write_packed(compact)
s3 = FakeS3(TABLE, PATTERN)
PART = ${JSON.stringify(part)}
raw = ["reviews/export-%02d.jsonl" % i for i in range(${inputs})]
for i, r in enumerate(raw):
    put_rows(s3, compact.folder_key(TABLE, PART, compact.input_hash(r)) + "part-00000-run%d.c000.snappy.parquet" % i, rows(r, 3, i + 1))
OTHER = PART.replace("2024-03-10", "2024-03-11")
put_rows(s3, compact.folder_key(TABLE, OTHER, compact.input_hash(raw[0])) + "part-00000-x.c000.snappy.parquet", rows(raw[0], 1, 1))
table = {"name": TABLE, "partition_key": KEY}
before = sorted(s3.visible())
s3.seen, s3.log = [], []
report = compact.compact_table(None, s3, "b", "product_reviews", table, "packed-20261204033000-0a1b2c3d")
`;

  it("packs a partition above the threshold into one object, keeps every row once, and leaves a small partition alone", () => {
    const out = run(
      `${setup}
print(json.dumps({
  "report": report,
  "same_rows": sorted(s3.visible()) == before,
  "objects": sorted(k for k in s3.objects if k.startswith(TABLE + "/")),
  "manifest": json.loads(s3.objects[compact.partition_manifest_key(TABLE, PART)]),
  "marker": json.loads(s3.objects[compact.input_marker_key("product_reviews", compact.input_hash(raw[3]))]),
  "above": compact.COMPACT_ABOVE,
}))`,
    ) as {
      report: Record<string, number>;
      same_rows: boolean;
      objects: string[];
      manifest: { packed: { input: string; raw_files: string[]; rows: number; objects: string[] } };
      marker: { tables: Record<string, string[]> };
      above: number;
    };
    expect(out.above).toBe(ir.aws.glue.compactAbove);
    expect(out.report).toEqual({
      partitions: 2,
      rewritten: 1,
      objects_before: inputs + 1,
      objects_after: 2,
      max_before: inputs,
      max_after: 1,
      rows: inputs * 3,
    });
    expect(out.same_rows).toBe(true);
    const prefix = `${table.name}/${part ? `${part}/` : ""}`;
    expect(out.objects.filter((k) => k.startsWith(prefix))).toEqual([
      `${prefix}_input=packed-20261204033000-0a1b2c3d/part-00000-packed-20261204033000-0a1b2c3d.c000.snappy.parquet`,
    ]);
    expect(out.manifest.packed).toMatchObject({ input: "packed-20261204033000-0a1b2c3d", rows: inputs * 3 });
    expect(out.manifest.packed.raw_files).toHaveLength(inputs);
    expect(out.marker.tables).toEqual({ [table.name]: [part] });
  });

  it("writes first, then deletes: a reader never misses a row, and sees duplicates only between the packed object's creation and the last removal", () => {
    const out = run(
      `${setup}
missing = [i for i, seen in enumerate(s3.seen) if set(before) - set(seen)]
dupes = [i for i, seen in enumerate(s3.seen) if len(seen) != len(set(seen))]
first_delete = next(i for i, (op, _) in enumerate(s3.log) if op == "delete")
manifest_put = next(i for i, (op, k) in enumerate(s3.log) if op == "put" and k == compact.partition_manifest_key(TABLE, PART))
packed_put = next(i for i, (op, k) in enumerate(s3.log) if op == "put" and "_input=packed-" in k)
print(json.dumps({"missing": missing, "dupes": dupes, "first_delete": first_delete, "manifest_put": manifest_put, "packed_put": packed_put, "final_dupes": len(s3.seen[-1]) - len(set(s3.seen[-1]))}))`,
    ) as { missing: number[]; dupes: number[]; first_delete: number; manifest_put: number; packed_put: number; final_dupes: number };
    expect(out.missing).toEqual([]);
    expect(out.packed_put).toBeLessThan(out.manifest_put);
    expect(out.manifest_put).toBeLessThan(out.first_delete);
    // The duplicate window: from the packed object's creation until the old objects are gone.
    expect(out.dupes[0]).toBe(out.packed_put);
    expect(out.final_dupes).toBe(0);
  });

  it("a reprocess of a packed raw file replaces exactly its rows: the packed object is rewritten without them, the others' rows stay once", () => {
    const out = run(
      `${setup}
flatten = load("flatten")
stand_in_write_packed(flatten)
r = raw[3]
h = flatten.input_hash(r)
s3.seen = []
# The flatten job's write_table: the reprocessed file's new rows, in its own folder (write first).
put_rows(s3, flatten.folder_key(TABLE, PART, h) + "part-00000-new.c000.snappy.parquet", rows(r, 2, 4, "new"))
n = flatten.unpack_input(None, s3, "b", "product_reviews", r, "feedc0de" * 4)
seen = s3.visible()
manifest = json.loads(s3.objects[flatten.partition_manifest_key(TABLE, PART)])
print(json.dumps({
  "rewritten": n,
  "rows_of_r": sorted(x[:3] for x in seen if x[0] == r and x[3] == PART),
  "others_once": sorted(x for x in seen if x[0] != r) == sorted(x for x in before if x[0] != r and x in before),
  "dupes": len(seen) - len(set(seen)),
  "missing_others": [i for i, snap in enumerate(s3.seen) if {x for x in before if x[0] != r} - set(snap)],
  "raw_files": manifest["packed"]["raw_files"],
  "marker_left": flatten.input_marker_key("product_reviews", h) in s3.objects,
  "packed_folders": sorted({k.split("/")[-2] for k in s3.objects if "_input=packed-" in k}),
}))`,
    ) as {
      rewritten: number;
      rows_of_r: [string, number, string][];
      others_once: boolean;
      dupes: number;
      missing_others: number[];
      raw_files: string[];
      marker_left: boolean;
      packed_folders: string[];
    };
    expect(out.rewritten).toBe(1);
    expect(out.rows_of_r).toEqual([
      ["reviews/export-03.jsonl", 1, "new"],
      ["reviews/export-03.jsonl", 2, "new"],
    ]);
    expect(out.others_once).toBe(true);
    expect(out.dupes).toBe(0);
    expect(out.missing_others).toEqual([]);
    expect(out.raw_files).toHaveLength(inputs - 1);
    expect(out.raw_files).not.toContain("reviews/export-03.jsonl");
    expect(out.marker_left).toBe(false);
    expect(out.packed_folders).toHaveLength(1);
    expect(out.packed_folders[0]).toMatch(/^_input=packed-\d{14}-feedc0de$/);
  });

  it("deletes the leftover of a crashed run (a packed folder no manifest commits) and never counts its rows", () => {
    const out = run(
      `${setup}
stray = compact.folder_key(TABLE, PART, "packed-20250101000000-deadbeef") + "part-00000.parquet"
put_rows(s3, stray, rows(raw[0], 3, 1))
report = compact.compact_table(None, s3, "b", "product_reviews", table, "packed-20261205033000-0a1b2c3d")
print(json.dumps({"stray_left": stray in s3.objects, "same_rows": sorted(s3.visible()) == before, "report": report}))`,
    ) as { stray_left: boolean; same_rows: boolean; report: Record<string, number> };
    expect(out.stray_left).toBe(false);
    expect(out.same_rows).toBe(true);
    expect(out.report.rewritten).toBe(0);
  });

  it("a run that died after its commit, before its deletes: the next run deletes what it replaced and never packs those rows twice", () => {
    const out = run(
      `${setup}
# Put the absorbed objects back, as if the deletes had never happened: the reader sees them twice.
manifest = json.loads(s3.objects[compact.partition_manifest_key(TABLE, PART)])
for i, r in enumerate(raw):
    put_rows(s3, compact.folder_key(TABLE, PART, compact.input_hash(r)) + "part-00000-run%d.c000.snappy.parquet" % i, rows(r, 3, i + 1))
restored = sorted(manifest["absorbed"]) == sorted(k for k in s3.objects if k.startswith(TABLE + "/" + PART + "/_input=") and "packed-" not in k)
report = compact.compact_table(None, s3, "b", "product_reviews", table, "packed-20261205033000-0a1b2c3d")
print(json.dumps({"restored": restored, "same_rows": sorted(s3.visible()) == before, "rewritten": report["rewritten"]}))`,
    ) as { restored: boolean; same_rows: boolean; rewritten: number };
    expect(out).toEqual({ restored: true, same_rows: true, rewritten: 0 });
  });

  it("leases: flatten runs share a source, a compaction holds it alone, an expired holder never blocks, a lost race retries", () => {
    const out = run(`
job = load("compact")
ddb = FakeDynamo()
clock = [1000.0]
now = lambda: clock[0]
def sleep(s):
    clock[0] += s
take = lambda run, exclusive, wait=0: job.acquire_lease(ddb, "t", "src", run, exclusive, wait, clock=now, sleep=sleep)
out = {}
out["shared_a"] = take("a", False)
out["shared_b"] = take("b", False)
out["exclusive_while_shared"] = take("c", True)
job.release_lease(ddb, "t", "src", "a", clock=now)
job.release_lease(ddb, "t", "src", "b", clock=now)
out["exclusive_after_release"] = take("c", True)
out["shared_while_exclusive"] = take("d", False, 30)
out["waited"] = clock[0] - 1000.0 >= 30
clock[0] += job.LEASE["holdSeconds"] + 1
out["after_expiry"] = take("d", False)
# A writer that changes the item between our read and our write: the conditional put fails, we retry.
real_put = ddb.put_item
def racing_put(**kw):
    ddb.put_item = real_put
    item = dict(ddb.items["source#src"])
    item["version"] = {"N": str(int(item["version"]["N"]) + 1)}
    ddb.items["source#src"] = item
    return real_put(**kw)
ddb.put_item = racing_put
out["after_race"] = take("e", False)
out["conflicts"] = ddb.conflicts
out["holders"] = sorted(ddb.items["source#src"]["holders"]["M"])
print(json.dumps(out))`) as Record<string, unknown>;
    expect(out).toEqual({
      shared_a: true,
      shared_b: true,
      exclusive_while_shared: false,
      exclusive_after_release: true,
      shared_while_exclusive: false,
      waited: true,
      after_expiry: true,
      after_race: true,
      conflicts: 1,
      holders: ["d", "e"],
    });
  });

  it("the flatten job takes the lease alone when its raw file was packed, also when the packing happened while it waited", () => {
    const out = run(`
flatten = load("flatten")
ddb = FakeDynamo()
s3 = FakeS3(TABLE, PATTERN)
h = flatten.input_hash("reviews/a.jsonl")
plain = flatten.take_lease(s3, ddb, "b", "t", "product_reviews", h, "run1")
flatten.release_lease(ddb, "t", "product_reviews", "run1")
# The marker appears after the first read, as if a compaction packed the file in between.
real = flatten.get_json
calls = [0]
def get_json(s3_, bucket, key):
    calls[0] += 1
    if calls[0] == 2:
        s3_.put_object(Bucket=bucket, Key=key, Body=b'{"tables": {}}')
    return real(s3_, bucket, key)
flatten.get_json = get_json
late = flatten.take_lease(s3, ddb, "b", "t", "product_reviews", h, "run2")
holders = ddb.items["source#product_reviews"]["holders"]["M"]
print(json.dumps({"plain": plain, "late": late, "exclusive": holders["run2"]["M"]["exclusive"]["BOOL"]}))`) as Record<string, unknown>;
    expect(out).toEqual({ plain: false, late: true, exclusive: true });
  });
});

describe("the packed rows' SQL", () => {
  it("is embedded in both jobs exactly as the shared module prints it for Spark", () => {
    for (const s of scripts.filter((x) => x.role !== "clean")) {
      const literal = /^PACKED_SQL = (\([\s\S]*?\n\)|"[^\n]*")$/m.exec(s.contents)?.[1];
      expect(literal, s.role).toBeDefined();
      const decoded = literal!.startsWith("(")
        ? [...literal!.matchAll(/^ {4}"((?:[^"\\]|\\.)*)"$/gm)].map((m) => JSON.parse(`"${m[1]}"`) as string).join("")
        : (JSON.parse(literal!) as string);
      expect(sqlTokens(decoded)).toBe(sqlTokens(packedRowsSelect("spark")));
    }
  });

  // Run for real over Parquet files shaped like published objects (own columns only).
  it("keeps every row of the raw files not dropped, in the local engine's packed order, on DuckDB", async () => {
    const instance = await DuckDBInstance.create(":memory:");
    const conn = await instance.connect();
    try {
      const files: string[] = [];
      for (const [i, key] of ["reviews/b.jsonl", "reviews/a.jsonl", "reviews/c.jsonl"].entries()) {
        const file = join(dir, `part-${i}.parquet`).split("\\").join("/");
        await conn.run(
          `COPY (SELECT 'r' || n AS review_id, ${3 - i} AS _arrival_seq, '${key}' AS _source_file, n AS _source_line, TIMESTAMP '2024-03-10 00:00:00' AS _ingested_at FROM range(1, 4) AS t(n) ORDER BY n DESC) TO '${file}' (FORMAT parquet)`,
        );
        files.push(file);
      }
      await conn.run(`CREATE TEMP VIEW ${PACKED_ROWS} AS SELECT * FROM read_parquet([${files.map((f) => `'${f}'`).join(", ")}])`);
      await conn.run(`CREATE TEMP TABLE ${DROPPED_INPUTS} (raw_key VARCHAR)`);
      const all = (await conn.runAndReadAll(packedRowsSelect("duckdb"))).getRowObjectsJson() as Record<string, unknown>[];
      expect(all).toHaveLength(9);
      expect(all.map((r) => `${String(r._arrival_seq)}:${String(r._source_file)}:${String(r._source_line)}`)).toEqual([
        "1:reviews/c.jsonl:1",
        "1:reviews/c.jsonl:2",
        "1:reviews/c.jsonl:3",
        "2:reviews/a.jsonl:1",
        "2:reviews/a.jsonl:2",
        "2:reviews/a.jsonl:3",
        "3:reviews/b.jsonl:1",
        "3:reviews/b.jsonl:2",
        "3:reviews/b.jsonl:3",
      ]);
      expect(Object.keys(all[0]!)).toEqual(["review_id", "_arrival_seq", "_source_file", "_source_line", "_ingested_at"]);
      await conn.run(`INSERT INTO ${DROPPED_INPUTS} VALUES ('reviews/a.jsonl')`);
      const kept = (await conn.runAndReadAll(packedRowsSelect("duckdb"))).getRowObjectsJson() as Record<string, unknown>[];
      expect(kept.map((r) => r._source_file)).toEqual([...Array(3).fill("reviews/c.jsonl"), ...Array(3).fill("reviews/b.jsonl")]);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });
});
