// A lake copied or moved elsewhere reads its own files. Views stored absolute paths, so a
// copied lake silently read the original's Parquet files (or failed once they were gone).
import { cp, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs, review, tempDir, writeLines, lakec } from "../support/engine-fixtures.js";

afterAll(removeTempDirs);

const COUNTS = "SELECT (SELECT count(*) FROM product_reviews) AS reviews, (SELECT count(*) FROM product_review_images) AS images";

describe("a relocatable lake", () => {
  it("a copy reads its own files, not the original's, also after the original changed or is gone", async () => {
    const dir = await tempDir("relocate");
    const original = join(dir, "original");
    const run = await lakec(
      "run",
      "pipelines/reviews.yaml",
      "--lake",
      original,
      "--input",
      await writeLines(join(dir, "a.jsonl"), [review(4), review(8)]),
      "--memory-limit",
      "512MB",
    );
    expect(run.code).toBe(0);
    const copy = join(dir, "copy 'quoted'");
    await cp(original, copy, { recursive: true });
    // The original gets more rows: the copy must not see them.
    expect(
      (
        await lakec(
          "run",
          "pipelines/reviews.yaml",
          "--lake",
          original,
          "--input",
          await writeLines(join(dir, "b.jsonl"), [review(12)]),
          "--memory-limit",
          "512MB",
        )
      ).code,
    ).toBe(0);
    const query = (lake: string) => lakec("query", "pipelines/reviews.yaml", COUNTS, "--lake", lake, "--format", "csv");
    expect((await query(original)).out).toBe("reviews,images\n3,6\n");
    expect(await query(copy)).toEqual({ code: 0, out: "reviews,images\n2,4\n", err: "" });
    await rm(original, { recursive: true });
    expect(await query(copy)).toEqual({ code: 0, out: "reviews,images\n2,4\n", err: "" });
    const show = await lakec("show", "pipelines/reviews.yaml", "product_review_images", "--lake", copy, "--format", "json");
    expect(show.code).toBe(0);
    expect((JSON.parse(show.out) as { result: { rows: unknown[] } }).result.rows.length).toBe(4);
    // A run in the copy recreates its views in place.
    expect((await lakec("run", "pipelines/reviews.yaml", "--lake", copy, "--memory-limit", "512MB")).code).toBe(0);
    expect(await query(copy)).toEqual({ code: 0, out: "reviews,images\n2,4\n", err: "" });
  }, 60_000);
});
