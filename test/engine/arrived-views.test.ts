// The views an incremental model reads its new rows from (engine/incremental-sources.ts): made
// only when a model runs incrementally, and covering only the files committed since the last
// build. A first build reads none, and binding them over every file of a big lake cost 0.6 s.
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { reviewsIr, review, removeTempDirs, runLake, tempDir, warehouseRows, writeLines } from "../support/engine-fixtures.js";

afterAll(removeTempDirs);

const arrivedViews = (lakeDir: string): Promise<Record<string, unknown>[]> =>
  warehouseRows(lakeDir, "SELECT view_name FROM duckdb_views() WHERE schema_name = 'lakec_arrived' ORDER BY 1");

describe("the arrived-files views", () => {
  it("are not made by a first build, and cover only the new file's rows on the next", async () => {
    const dir = await tempDir("arrived");
    const lakeDir = join(dir, "lake");
    const ir = reviewsIr();
    const first = await runLake(lakeDir, ir, [
      await writeLines(
        join(dir, "a.jsonl"),
        [1, 2, 3].map((i) => review(i)),
      ),
    ]);
    expect(first.warehouse.models.some((m) => m.materialized === "incremental (full build)")).toBe(true);
    expect(await arrivedViews(lakeDir)).toEqual([]);

    const second = await runLake(lakeDir, ir, [
      await writeLines(
        join(dir, "b.jsonl"),
        [4, 5].map((i) => review(i)),
      ),
    ]);
    expect(second.warehouse.models.find((m) => m.name === "stg_reviews__product_reviews")?.materialized).toBe("incremental (2 ids)");
    expect((await arrivedViews(lakeDir)).map((r) => r.view_name)).toEqual(["PRODUCT_REVIEWS", "PRODUCT_REVIEW_IMAGES"].sort());
    const [n] = await warehouseRows(lakeDir, "SELECT count(*) AS n, min(_source_file) AS f FROM lakec_arrived.PRODUCT_REVIEWS");
    expect({ n: Number(n!.n), f: n!.f }).toEqual({ n: 2, f: expect.stringContaining("reviews/b.jsonl") });
  }, 60_000);
});
