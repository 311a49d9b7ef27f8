// The local engine end to end on real DuckDB in temp folders: counts and reconciliation, the
// S3-shaped layout, quarantine rows with line numbers, typed views, idempotent reruns,
// reprocessing on a semantics change, and on_invalid drop/fail.
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  type FileSummary,
  ingestInputs,
  inputHash,
  lakePaths,
  openLake,
  processRawFile,
  readManifest,
  manifestFile,
  runFiles,
  type RunSummary,
} from "../../engine/index.js";
import type { PipelineIR } from "../../compiler/ir.js";
import { checkedInTwoSteps, cleanStages } from "../../compiler/sql/clean.js";
import {
  lakeSnapshot,
  listing,
  MIXED_LINES,
  review,
  reviewsIr,
  tempDir,
  warehouseRows,
  writeLines,
  removeTempDirs,
  runLake,
} from "../support/engine-fixtures.js";
import { formatRunSummary } from "../../cli/summary-format.js";

afterAll(removeTempDirs);

const runOnce = runLake;

describe("lakec run on a mixed file", () => {
  const ir = reviewsIr();
  let dir: string;
  let lakeDir: string;
  let first: RunSummary;

  it("processes the file through every stage and reconciles", async () => {
    dir = await tempDir("run");
    lakeDir = join(dir, ".lake");
    first = await runOnce(lakeDir, ir, [await writeLines(join(dir, "2024-06-01.jsonl"), MIXED_LINES)]);
    expect(first.problems).toEqual([]);
    const [f] = first.files;
    expect(f).toMatchObject({ rawKey: "reviews/2024-06-01.jsonl", source: "product_reviews", status: "processed", reconciled: true });
    expect(f!.counts).toEqual({
      recordsIn: 27,
      clean: 20,
      invalid: 5,
      quarantined: 5,
      droppedInvalid: 0,
      duplicates: 2,
      byReason: { out_of_range: 1, cast_failed: 1, missing_required: 1, malformed_json: 1, not_an_object: 1 },
      castNulls: {},
      // The mixed file never has these style keys: drift reports them as mapped but absent.
      drift: { absent: ["style.Color:", "style.Flavor:", "style.Scent Name:"], unmapped: {}, unmappedPaths: 0 },
    });
    expect(f!.rowsWritten).toEqual({ product_reviews: 20, product_review_images: 10 });
    expect(Object.keys(f!.timingsMs)).toEqual(expect.arrayContaining(["clean", "flatten", "publish"]));
    expect(first.tables.map((t) => [t.name, t.rowsWritten, t.totalRows])).toEqual([
      ["product_reviews", 20, 20],
      ["product_review_images", 10, 10],
    ]);
  });

  it("lays the lake out like the buckets: hive day partitions, one _input folder per raw file", async () => {
    const h = inputHash("reviews/2024-06-01.jsonl");
    expect(await listing(join(lakeDir, "processed"))).toEqual(
      ["product_review_images", "product_reviews"].flatMap((t) =>
        ["2016-09-01", "2016-09-02", "2016-09-03"].map((d) => `${t}/review_date=${d}/_input=${h}/part-0.parquet`),
      ),
    );
    expect(await listing(join(lakeDir, "quarantine"))).toEqual([`product_reviews/_input=${h}.jsonl`]);
    expect((await stat(join(lakeDir, "raw", "reviews", "2024-06-01.jsonl"))).isFile()).toBe(true);
  });

  it("quarantines each rejected record with reason, column, file and line", async () => {
    const text = await readFile(
      join(lakeDir, "quarantine", "product_reviews", `_input=${inputHash("reviews/2024-06-01.jsonl")}.jsonl`),
      "utf8",
    );
    const rows = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => [r.line_number, r.reason, r.reason_column, r.source_key])).toEqual([
      [23, "out_of_range", "rating", "reviews/2024-06-01.jsonl"],
      [24, "cast_failed", "rating", "reviews/2024-06-01.jsonl"],
      [25, "missing_required", "reviewer_id", "reviews/2024-06-01.jsonl"],
      [26, "malformed_json", null, "reviews/2024-06-01.jsonl"],
      [27, "not_an_object", null, "reviews/2024-06-01.jsonl"],
    ]);
    expect(rows[4]!.raw_record).toBe("[1, 2]");
    expect(Object.keys(rows[0]!)).toEqual(["raw_record", "reason", "reason_column", "source_key", "line_number"]);
  });

  it("gives the warehouse views the exact IR types, models and passing tests", async () => {
    const cols = await warehouseRows(
      lakeDir,
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'REVIEWS' AND table_name = 'PRODUCT_REVIEWS' ORDER BY ordinal_position",
    );
    expect(cols.slice(0, 8)).toEqual([
      { column_name: "review_id", data_type: "VARCHAR" },
      { column_name: "reviewer_id", data_type: "VARCHAR" },
      { column_name: "asin", data_type: "VARCHAR" },
      { column_name: "rating", data_type: "DECIMAL(2,1)" },
      { column_name: "verified", data_type: "BOOLEAN" },
      { column_name: "reviewed_at", data_type: "TIMESTAMP" },
      { column_name: "review_date", data_type: "DATE" },
      { column_name: "helpful_votes", data_type: "BIGINT" },
    ]);
    expect(cols.slice(-4).map((c) => c.column_name)).toEqual(["_source_file", "_source_line", "_ingested_at", "_arrival_seq"]);
    const [r] = await warehouseRows(
      lakeDir,
      "SELECT reviewer_name, title, helpful_votes, style_size, _source_line FROM product_reviews WHERE reviewer_id = 'R2'",
    );
    expect(r).toEqual({ reviewer_name: "Name 2", title: "Summary 2", helpful_votes: "1234", style_size: "2 oz", _source_line: "3" });
    // `_ingested_at` is the event time, as in the Glue job: the raw file's mtime in whole seconds.
    const mtime = (await stat(join(lakeDir, "raw", "reviews", "2024-06-01.jsonl"))).mtimeMs;
    const ingested = await warehouseRows(lakeDir, "SELECT DISTINCT epoch_ms(_ingested_at) AS ms FROM product_reviews");
    expect(ingested).toEqual([{ ms: String(Math.floor(mtime / 1000) * 1000) }]);
    expect(first.warehouse.models.map((m) => m.name)).toContain("product_daily_ratings");
    const [m] = await warehouseRows(lakeDir, "SELECT sum(reviews) AS n FROM product_daily_ratings");
    expect(m!.n).toBe("20");
    expect(first.warehouse.tests.length).toBeGreaterThan(10);
    expect(first.warehouse.tests.filter((t) => t.failures > 0)).toEqual([]);
  });

  it("writes a manifest with hash, counts, rows and the semantics fingerprint", async () => {
    const file = manifestFile(lakePaths(lakeDir), "product_reviews", "reviews/2024-06-01.jsonl");
    expect(file).toBe(join(lakeDir, "state", "manifests", "product_reviews", `${inputHash("reviews/2024-06-01.jsonl")}.json`));
    const real = await readManifest(file);
    expect(real).toMatchObject({
      status: "ok",
      raw_key: "reviews/2024-06-01.jsonl",
      counts: { records_in: 27, clean: 20, duplicates: 2 },
      rows_written: { product_reviews: 20 },
    });
    // A new file is hashed while the clean stage reads it: the hash must still be the file's.
    expect(real!.content_sha256).toBe(
      createHash("sha256")
        .update(await readFile(join(lakeDir, "raw", "reviews", "2024-06-01.jsonl")))
        .digest("hex"),
    );
    expect(real!.semantics).toMatch(/^[0-9a-f]{64}$/);
  });

  it("leaves identical tables when run again, skipping the file", async () => {
    const before = await lakeSnapshot(lakeDir, ir);
    const again = await runOnce(lakeDir, ir, [join(dir, "2024-06-01.jsonl")]);
    expect(again.files.map((f) => f.status)).toEqual(["skipped"]);
    expect(await lakeSnapshot(lakeDir, ir)).toEqual(before);
    expect(again.tables.map((t) => t.totalRows)).toEqual([20, 10]);
  });

  it("names a processed raw file that was deleted from raw/ as still published", async () => {
    const { copyFile, rm } = await import("node:fs/promises");
    const raw = join(lakeDir, "raw", "reviews", "2024-06-01.jsonl");
    await copyFile(raw, join(dir, "saved.jsonl"));
    await rm(raw);
    const s = await runOnce(lakeDir, ir);
    expect(s.warehouse.orphans).toEqual(["reviews/2024-06-01.jsonl"]);
    expect(formatRunSummary(s)).toContain(
      "note: 1 raw file(s) are gone from raw/ but their rows are still published: reviews/2024-06-01.jsonl",
    );
    await copyFile(join(dir, "saved.jsonl"), raw);
    expect((await runOnce(lakeDir, ir)).warehouse.orphans).toEqual([]);
  });

  it("reprocesses after a semantics change and replaces the file's rows instead of adding", async () => {
    const changed = reviewsIr((y) => y.replace('null_if: ["", "Amazon Customer"]', 'null_if: ["", "Amazon Customer", "Name 2"]'));
    const s = await runOnce(lakeDir, changed);
    expect(s.files.map((f) => f.status)).toEqual(["processed"]);
    expect(s.tables.map((t) => t.totalRows)).toEqual([20, 10]);
    const [r] = await warehouseRows(lakeDir, "SELECT reviewer_name FROM product_reviews WHERE reviewer_id = 'R2'");
    expect(r!.reviewer_name).toBeNull();
  });
});

describe("a second raw file into tables that already have rows", () => {
  it("adds its own _input folder next to the first file's in each shared partition, and reprocessing it replaces only those (in the other slot)", async () => {
    const ir = reviewsIr();
    const dir = await tempDir("second");
    const lakeDir = join(dir, ".lake");
    await runOnce(lakeDir, ir, [await writeLines(join(dir, "a.jsonl"), [review(1), review(2), review(4)])]);
    const b = await writeLines(join(dir, "b.jsonl"), [review(10), review(11), review(12)]);
    const s = await runOnce(lakeDir, ir, [b]);
    expect(s.tables.map((t) => [t.name, t.totalRows])).toEqual([
      ["product_reviews", 6],
      ["product_review_images", 4],
    ]);
    const [ha, hb] = [inputHash("reviews/a.jsonl"), inputHash("reviews/b.jsonl")];
    // review(i) is dated 2016-09-0<i % 3 + 1> and has images when i % 4 is 0.
    const files = await listing(join(lakeDir, "processed"));
    expect(files).toEqual(
      [
        `product_review_images/review_date=2016-09-01/_input=${hb}/part-0.parquet`,
        `product_review_images/review_date=2016-09-02/_input=${ha}/part-0.parquet`,
        `product_reviews/review_date=2016-09-01/_input=${hb}/part-0.parquet`,
        `product_reviews/review_date=2016-09-02/_input=${ha}/part-0.parquet`,
        `product_reviews/review_date=2016-09-02/_input=${hb}/part-0.parquet`,
        `product_reviews/review_date=2016-09-03/_input=${ha}/part-0.parquet`,
        `product_reviews/review_date=2016-09-03/_input=${hb}/part-0.parquet`,
      ].sort(),
    );
    const changed = reviewsIr((y) => y.replace('null_if: ["", "Amazon Customer"]', 'null_if: ["", "Amazon Customer", "Name 2"]'));
    const again = await runOnce(lakeDir, changed);
    expect(again.files.map((f) => f.status)).toEqual(["processed", "processed"]);
    expect(again.tables.map((t) => t.totalRows)).toEqual([6, 4]);
    // The new version is in the `-b` slot; the old one stays until the lake is next opened.
    const inB = files.map((f) => f.replace(/_input=([0-9a-f]+)\//, "_input=$1-b/"));
    expect(await listing(join(lakeDir, "processed"))).toEqual([...files, ...inB].sort());
    await runOnce(lakeDir, changed);
    expect(await listing(join(lakeDir, "processed"))).toEqual(inB.sort());
  });
});

describe("a table with no rows yet", () => {
  it("is a typed empty view, and the models over it build", async () => {
    const ir = reviewsIr();
    const dir = await tempDir("empty");
    const s = await runOnce(join(dir, ".lake"), ir, [await writeLines(join(dir, "a.jsonl"), [review(1), review(2)])]);
    expect(s.tables.map((t) => [t.name, t.totalRows])).toEqual([
      ["product_reviews", 2],
      ["product_review_images", 0],
    ]);
    const cols = await warehouseRows(
      join(dir, ".lake"),
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'product_review_images' AND table_schema = 'main' ORDER BY ordinal_position",
    );
    expect(cols.map((c) => `${String(c.column_name)} ${String(c.data_type)}`)).toEqual([
      "review_id VARCHAR",
      "reviewer_id VARCHAR",
      "asin VARCHAR",
      "reviewed_at TIMESTAMP",
      "review_date DATE",
      "position BIGINT",
      "image_url VARCHAR",
      "_source_file VARCHAR",
      "_source_line BIGINT",
      "_ingested_at TIMESTAMP",
      "_arrival_seq BIGINT",
    ]);
    expect(s.warehouse.models.find((m) => m.name === "product_image_counts")).toMatchObject({ rows: 0 });
    expect(s.ok).toBe(true);
  });
});

describe("slices", () => {
  it("a file read in many small slices gives the same rows, counts and quarantine as in one", async () => {
    const ir = reviewsIr();
    const dir = await tempDir("slices");
    // Duplicates far from their first occurrence, so they land in later slices.
    const lines = [...MIXED_LINES, review(1), review(2, { summary: "later key duplicate" }), review(200)];
    const input = await writeLines(join(dir, "a.jsonl"), lines);
    const results: RunSummary[] = [];
    // "on-disk" stages each slice's rows as Parquet instead of keeping them in tables.
    for (const [name, sliceBytes, inMemoryFileBytes] of [
      ["one", 1 << 20, undefined],
      ["many", 700, undefined],
      ["on-disk", 700, 0],
    ] as const) {
      const lake = await openLake(join(dir, name), {
        memoryLimit: "512MB",
        sliceBytes,
        ...(inMemoryFileBytes !== undefined && { inMemoryFileBytes }),
      });
      await ingestInputs(lake.paths, ir, [input]);
      results.push(await runFiles(lake, ir));
      await lake.close();
    }
    expect(results[1]!.files[0]!.counts).toEqual(results[0]!.files[0]!.counts);
    expect(results[2]!.files[0]!.counts).toEqual(results[0]!.files[0]!.counts);
    expect(results[0]!.files[0]!.counts).toMatchObject({ recordsIn: 30, clean: 21, duplicates: 4 });
    expect(await lakeSnapshot(join(dir, "many"), ir)).toEqual(await lakeSnapshot(join(dir, "one"), ir));
    expect(await lakeSnapshot(join(dir, "on-disk"), ir)).toEqual(await lakeSnapshot(join(dir, "one"), ir));
    const sha = createHash("sha256")
      .update(await readFile(input))
      .digest("hex");
    for (const name of ["one", "many", "on-disk"]) {
      expect((await readManifest(manifestFile(lakePaths(join(dir, name)), "product_reviews", "reviews/a.jsonl")))!.content_sha256).toBe(
        sha,
      );
    }
  });
});

describe("memory", () => {
  it("stages 1–2 of a file bigger than the DuckDB memory limit complete and reconcile", async () => {
    const ir = reviewsIr();
    const dir = await tempDir("memory");
    const body = "lorem ipsum dolor sit amet ".repeat(40);
    const lines = Array.from({ length: 64_000 }, (_, i) => review(i, { reviewText: `${body}${i}` }));
    const input = await writeLines(join(dir, "big.jsonl"), lines);
    expect((await stat(input)).size).toBeGreaterThan(64 * 1024 * 1024);
    const lake = await openLake(join(dir, ".lake"), { memoryLimit: "64MB", threads: 2 });
    try {
      await ingestInputs(lake.paths, ir, [input]);
      const f = await processRawFile(lake, ir, "reviews/big.jsonl");
      expect(f).toMatchObject({
        status: "processed",
        reconciled: true,
        counts: { recordsIn: 64_000, clean: 64_000 },
        rowsWritten: { product_reviews: 64_000 },
      });
    } finally {
      await lake.close();
    }
  }, 60_000);
});

/** Stages 1–2 for one input file in its own lake under `memoryLimit`. */
async function processAlone(lakeDir: string, ir: PipelineIR, input: string, memoryLimit: string): Promise<FileSummary> {
  const lake = await openLake(lakeDir, { memoryLimit, threads: 2 });
  try {
    const [ingested] = await ingestInputs(lake.paths, ir, [input]);
    return await processRawFile(lake, ir, ingested!.rawKey);
  } finally {
    await lake.close();
  }
}

/** The Amazon `reviewTime` text ("MM DD, YYYY") of day `k` counted from January 1st of `year`. */
function reviewTimeOfDay(year: number, k: number): string {
  const d = new Date(Date.UTC(year, 0, 1 + k));
  return `${String(d.getUTCMonth() + 1).padStart(2, "0")} ${String(d.getUTCDate()).padStart(2, "0")}, ${d.getUTCFullYear()}`;
}

describe("many partitions", () => {
  // Two ways to write 400 day partitions: sorted once in memory, or (staged rows bigger than a
  // quarter of the limit) in sorted batches of key ranges. Both must write the same rows.
  it("the batched path under a small limit and the in-memory path write the same partitions and rows; the same path twice, the same bytes", async () => {
    const ir = reviewsIr();
    const dir = await tempDir("partitions");
    const body = "lorem ipsum dolor sit amet ".repeat(30);
    const lines = Array.from({ length: 24_000 }, (_, i) =>
      review(i, { reviewText: `${body}${i}`, reviewTime: reviewTimeOfDay(2015, (i * 7) % 400) }),
    );
    const input = await writeLines(join(dir, "days.jsonl"), lines);
    expect((await stat(input)).size).toBeGreaterThan((64 * 1024 * 1024) / 4);
    const snaps = [];
    // The in-memory path twice: its two writers and DuckDB's sort must not change a byte.
    for (const [i, limit] of ["64MB", "512MB", "512MB"].entries()) {
      const lakeDir = join(dir, `lake-${i}-${limit}`);
      const f = await processAlone(lakeDir, ir, input, limit);
      expect(f).toMatchObject({
        status: "processed",
        reconciled: true,
        rowsWritten: { product_reviews: 24_000, product_review_images: 12_000 },
      });
      const snap = await lakeSnapshot(lakeDir, ir);
      const files = snap.processed as string[];
      // One file per partition, and the same listing from both paths, file names included.
      // (Two files in a partition were seen only at 1M records, 20–31 of 5,021 partitions, until
      // a COPY kept all its partitions' files open: see open-lake.ts. Too slow for this suite.)
      expect(files.filter((f) => !f.endsWith("/part-0.parquet"))).toEqual([]);
      const bytes = await Promise.all(
        files.map(async (f) =>
          createHash("sha256")
            .update(await readFile(join(lakeDir, "processed", f)))
            .digest("hex"),
        ),
      );
      snaps.push({ files, bytes, reviews: snap.product_reviews, images: snap.product_review_images });
    }
    expect(snaps[0]!.files.filter((p) => p.startsWith("product_reviews/"))).toHaveLength(400);
    expect(snaps[2], "the in-memory path twice, byte for byte").toEqual(snaps[1]);
    // Across memory limits the writer's settings differ (row-group size, flush threshold), so
    // the rows and the listing must agree, not the bytes.
    expect({ ...snaps[1], bytes: [] }).toEqual({ ...snaps[0], bytes: [] });
  }, 60_000);

  // DuckDB's partitioned writer holds about 256 KiB per partition of a COPY, whatever the
  // flush settings: 4,000 partitions in one COPY ran out of memory at 128 MB even from sorted
  // rows. A small file staged in memory must be written in batches of partitions too.
  it("a small file spread over 2,000 days completes under 128 MB", async () => {
    const ir = reviewsIr();
    const dir = await tempDir("small-many");
    const input = await writeLines(
      join(dir, "spread.jsonl"),
      Array.from({ length: 6_000 }, (_, i) => review(i, { reviewTime: reviewTimeOfDay(2010, i % 2_000) })),
    );
    const f = await processAlone(join(dir, ".lake"), ir, input, "128MB");
    expect(f).toMatchObject({
      status: "processed",
      reconciled: true,
      rowsWritten: { product_reviews: 6_000, product_review_images: 3_000 },
    });
    const days = new Set((await listing(join(dir, ".lake", "processed", "product_reviews"))).map((f) => f.split("/")[0]));
    expect(days.size).toBe(2_000);
  }, 60_000);
});

describe("the two-step clean SQL the engine runs", () => {
  it("is the shared `checked` SELECT with the parse materialized, nothing else", () => {
    for (const src of reviewsIr().sources) {
      const two = checkedInTwoSteps(src, "duckdb");
      expect(two.checkedFromParsed.replace("FROM parsed AS p1", `FROM (${two.parsed}) AS p1`)).toBe(cleanStages(src, "duckdb").checked);
    }
  });
});

describe("on_invalid", () => {
  it("drop: counts invalid records and writes no quarantine", async () => {
    const ir = reviewsIr((y) => y.replace("on_invalid: quarantine", "on_invalid: drop"));
    const dir = await tempDir("drop");
    const s = await runOnce(join(dir, ".lake"), ir, [await writeLines(join(dir, "a.jsonl"), MIXED_LINES)]);
    expect(s.files[0]!.counts).toMatchObject({ recordsIn: 27, clean: 20, invalid: 5, quarantined: 0, droppedInvalid: 5 });
    expect(s.ok).toBe(true);
    expect(await listing(join(dir, ".lake", "quarantine"))).toEqual([]);
  });

  it("fail: publishes nothing of a file with an invalid record, reports why, and processes the others", async () => {
    const ir = reviewsIr((y) => y.replace("on_invalid: quarantine", "on_invalid: fail"));
    const dir = await tempDir("fail");
    const bad = await writeLines(join(dir, "a-bad.jsonl"), MIXED_LINES);
    const good = await writeLines(join(dir, "b-good.jsonl"), [review(1), review(2)]);
    const s = await runOnce(join(dir, ".lake"), ir, [bad, good]);
    expect(s.files.map((f) => [f.rawKey, f.status])).toEqual([
      ["reviews/a-bad.jsonl", "failed"],
      ["reviews/b-good.jsonl", "processed"],
    ]);
    expect(s.files[0]!.reason).toContain("5 invalid record(s) and on_invalid is fail (first: line 23, out_of_range in rating)");
    expect(s.ok).toBe(false);
    expect(s.problems[0]).toContain("reviews/a-bad.jsonl: failed");
    expect(s.tables[0]!.totalRows).toBe(2);
    const files = await listing(join(dir, ".lake", "processed"));
    expect(files.every((f) => f.includes(`_input=${inputHash("reviews/b-good.jsonl")}`))).toBe(true);
    const alerts = (await readFile(join(dir, ".lake", "state", "alerts.jsonl"), "utf8")).trim().split("\n");
    expect(alerts).toHaveLength(1);
    expect(JSON.parse(alerts[0]!)).toMatchObject({ TopicArn: "${AlertTopicArn}", Message: { step: "clean", key: "reviews/a-bad.jsonl" } });
  });
});
