// Child-table expansion is linear in the array's length. The lateral unnest copied the parent
// row, array included, into every element's row: a 5,000-element array ran out of memory at
// 512 MB (10,000 at 2 GB in the issue). Here 200,000 elements in one record under 256 MB; the
// 1M-element case is measured in docs/local-engine.md (about 10 s, 0.85 GB peak RSS at 2 GB).
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ingestInputs, openLake, runFiles } from "../../engine/index.js";
import { removeTempDirs, review, reviewsIr, tempDir, warehouseRows, writeLines } from "../support/engine-fixtures.js";

afterAll(removeTempDirs);

describe("a record with a large array", () => {
  it("expands 200,000 elements into the child table under a 256 MB memory limit, in order", async () => {
    const n = 200_000;
    const dir = await tempDir("big-array");
    const images = Array.from({ length: n }, (_, i) => `http://img/${i}/abcdefghijklmnopqrstuvwxyz`);
    const input = await writeLines(join(dir, "a.jsonl"), [review(1, { image: images }), review(2)]);
    const lake = await openLake(join(dir, "lake"), { memoryLimit: "256MB", threads: 2 });
    try {
      await ingestInputs(lake.paths, reviewsIr(), [input]);
      const s = await runFiles(lake, reviewsIr());
      expect(s.problems).toEqual([]);
      expect(s.tables.map((t) => [t.name, t.totalRows])).toEqual([
        ["product_reviews", 2],
        ["product_review_images", n],
      ]);
    } finally {
      await lake.close();
    }
    const [r] = await warehouseRows(
      join(dir, "lake"),
      "SELECT count(*) AS n, min(position) AS lo, max(position) AS hi, count(*) FILTER (WHERE image_url <> 'http://img/' || position || '/abcdefghijklmnopqrstuvwxyz') AS misplaced FROM product_review_images",
    );
    expect(r).toEqual({ n: String(n), lo: "0", hi: String(n - 1), misplaced: "0" });
  }, 120_000);
});
