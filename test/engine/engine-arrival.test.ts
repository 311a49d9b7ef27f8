// The arrival order end to end on the local engine: raw files processed through the state
// machine get their arrival from the NextArrival/RecordArrival states (the local twin of the
// DynamoDB table), every row carries it, "latest wins" follows it, and the models run
// incrementally after the first build, rebuilt in full only when published rows were replaced.
import { utimes } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ingestInputs, openLake, readManifest, manifestFile, runFiles, type RunSummary } from "../../engine/index.js";
import type { PipelineIR } from "../../compiler/ir.js";
import { review, reviewsIr, tempDir, warehouseRows, writeLines, removeTempDirs } from "../support/engine-fixtures.js";

afterAll(removeTempDirs);

async function run(lakeDir: string, ir: PipelineIR, inputs: string[] = [], fullRefresh?: boolean): Promise<RunSummary> {
  const lake = await openLake(lakeDir, { memoryLimit: "512MB", threads: 2 });
  try {
    await ingestInputs(lake.paths, ir, inputs);
    return await runFiles(lake, ir, undefined, fullRefresh === undefined ? {} : { fullRefresh });
  } finally {
    await lake.close();
  }
}

const materialized = (s: RunSummary, model: string): string | undefined => s.warehouse.models.find((m) => m.name === model)?.materialized;

describe("the arrival order on the local engine", () => {
  it("files that landed in the same second arrive in natural key order: export-10 beats export-9", async () => {
    const ir = reviewsIr();
    const dir = await tempDir("arrival-natural");
    const lakeDir = join(dir, ".lake");
    const nine = await writeLines(join(dir, "export-9.jsonl"), [review(1, { overall: 2 })]);
    const ten = await writeLines(join(dir, "export-10.jsonl"), [review(1, { overall: 5 })]);
    const same = new Date("2026-01-01T00:00:00Z");
    const lake = await openLake(lakeDir, { memoryLimit: "512MB", threads: 2 });
    await ingestInputs(lake.paths, ir, [nine, ten]);
    for (const k of ["export-9.jsonl", "export-10.jsonl"]) await utimes(join(lakeDir, "raw", "reviews", k), same, same);
    const s = await runFiles(lake, ir);
    await lake.close();
    expect(s.files.map((f) => f.rawKey)).toEqual(["reviews/export-9.jsonl", "reviews/export-10.jsonl"]);
    expect(
      await warehouseRows(
        lakeDir,
        "SELECT _source_file, _arrival_seq, cast(rating AS VARCHAR) AS rating FROM stg_reviews__product_reviews",
      ),
    ).toEqual([{ _source_file: "reviews/export-10.jsonl", _arrival_seq: "2", rating: "5.0" }]);
    const manifest = await readManifest(manifestFile(lake.paths, "product_reviews", "reviews/export-10.jsonl"));
    expect(manifest?.arrival_seq).toBe(2);
  });

  it("runs the models incrementally after the first build; a reprocess keeps its arrival and is merged incrementally as a new version", async () => {
    const ir = reviewsIr();
    const dir = await tempDir("arrival-incremental");
    const lakeDir = join(dir, ".lake");
    const first = await run(lakeDir, ir, [await writeLines(join(dir, "a.jsonl"), [review(1), review(2), review(4)])]);
    expect(materialized(first, "product_daily_ratings")).toBe("incremental (full build)");
    // A new file: only the groups it touches are re-aggregated.
    const second = await run(lakeDir, ir, [await writeLines(join(dir, "b.jsonl"), [review(2, { overall: 1 }), review(8)])]);
    expect(materialized(second, "stg_reviews__product_reviews")).toBe("incremental (2 ids)");
    expect(materialized(second, "reviewer_activity")).toBe("incremental (2 groups)");
    expect(second.ok).toBe(true);
    // What the incremental run left (read through the narrowed views) is what a full refresh builds.
    const marts = async (): Promise<unknown[]> =>
      // Without the merge clock, which says when a group was merged, not what it holds.
      Promise.all(
        ir.marts.map((m) =>
          warehouseRows(lakeDir, `SELECT * EXCLUDE (avg_rating, _merge_seq) FROM ${m.name} ORDER BY grain_key`).catch(() =>
            warehouseRows(lakeDir, `SELECT * EXCLUDE (_merge_seq) FROM ${m.name} ORDER BY grain_key`),
          ),
        ),
      );
    const incrementally = await marts();
    expect(materialized(await run(lakeDir, ir, [], true), "reviewer_activity")).toBe("incremental (full build)");
    expect(await marts()).toEqual(incrementally);
    // Nothing new: every model still runs its incremental form, on nothing.
    const idle = await run(lakeDir, ir);
    expect(materialized(idle, "product_daily_ratings")).toBe("incremental (0 groups)");
    // A cleaning change reprocesses both files: their rows change under the arrivals they kept,
    // as new versions of the files (a later _ingested_at), which the incremental models merge.
    const ingested = async (): Promise<unknown[]> =>
      warehouseRows(lakeDir, "SELECT _source_file, min(_ingested_at)::VARCHAR AS at FROM product_reviews GROUP BY 1 ORDER BY 1");
    const firstVersions = await ingested();
    const changed = reviewsIr((y) => y.replace('null_if: ["", "Amazon Customer"]', 'null_if: ["", "Amazon Customer", "Name 2"]'));
    const again = await run(lakeDir, changed);
    expect(again.files.map((f) => [f.rawKey, f.status, f.replacedOutputs])).toEqual([
      ["reviews/a.jsonl", "processed", true],
      ["reviews/b.jsonl", "processed", true],
    ]);
    expect(materialized(again, "stg_reviews__product_reviews")).toBe("incremental (4 ids)");
    expect(materialized(again, "product_daily_ratings")).toMatch(/^incremental \(\d+ groups\)$/);
    expect(await ingested()).not.toEqual(firstVersions);
    // The name the new rule nulls is gone from staging, and the marts equal a full rebuild.
    expect(await warehouseRows(lakeDir, "SELECT count(*) AS n FROM stg_reviews__product_reviews WHERE reviewer_name = 'Name 2'")).toEqual([
      { n: "0" },
    ]);
    const reprocessed = await marts();
    expect(materialized(await run(lakeDir, changed, [], true), "reviewer_activity")).toBe("incremental (full build)");
    expect(await marts()).toEqual(reprocessed);
    expect(
      await warehouseRows(
        lakeDir,
        "SELECT _source_file, min(_arrival_seq) AS lo, max(_arrival_seq) AS hi FROM product_reviews GROUP BY 1 ORDER BY 1",
      ),
    ).toEqual([
      { _source_file: "reviews/a.jsonl", lo: "1", hi: "1" },
      { _source_file: "reviews/b.jsonl", lo: "2", hi: "2" },
    ]);
    // review(2) of b.jsonl (arrival 2) still wins over a.jsonl's.
    expect(await warehouseRows(lakeDir, "SELECT _source_file FROM stg_reviews__product_reviews WHERE reviewer_id = 'R2'")).toEqual([
      { _source_file: "reviews/b.jsonl" },
    ]);
  });

  it("new content under a key it already processed is a new arrival", async () => {
    const ir = reviewsIr();
    const dir = await tempDir("arrival-overwrite");
    const lakeDir = join(dir, ".lake");
    await run(lakeDir, ir, [await writeLines(join(dir, "a.jsonl"), [review(1)])]);
    await run(lakeDir, ir, [await writeLines(join(dir, "b.jsonl"), [review(1, { overall: 3 })])]);
    // a.jsonl is uploaded again with other content (as to S3; `lakec run --input` refuses to
    // replace a raw file): it is now the latest delivery of review 1.
    await writeLines(join(lakeDir, "raw", "reviews", "a.jsonl"), [review(1, { overall: 4 })]);
    const s = await run(lakeDir, ir);
    expect(s.files.find((f) => f.rawKey === "reviews/a.jsonl")).toMatchObject({ status: "processed", replacedOutputs: true });
    expect(
      await warehouseRows(
        lakeDir,
        "SELECT _source_file, _arrival_seq, cast(rating AS VARCHAR) AS rating FROM stg_reviews__product_reviews",
      ),
    ).toEqual([{ _source_file: "reviews/a.jsonl", _arrival_seq: "3", rating: "4.0" }]);
  });
});
