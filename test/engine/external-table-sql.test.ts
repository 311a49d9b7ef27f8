// The views over processed/ list a table's files with a glob of the lake's fixed layout,
// `[<key>=<v>/]_input=<slot>/part-<n>.parquet`, and fall back to a typed empty relation when
// that glob would match nothing (read_parquet fails on an empty glob; a view must not).
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lakePaths } from "../../engine/lake.js";
import { externalTableSql } from "../../engine/warehouse.js";
import { removeTempDirs, reviewsIr, tempDir } from "../support/engine-fixtures.js";

afterAll(removeTempDirs);

const table = (name: string) => reviewsIr().tables.find((t) => t.name === name)!;

describe("externalTableSql", () => {
  it("is the empty relation when no Parquet file is where the layout puts them, and reads the fixed-depth glob when one is", async () => {
    const paths = lakePaths(await tempDir("external-table-sql"));
    const t = table("product_reviews");
    expect(t.partition).toBeDefined();
    const dir = join(paths.processed, "product_reviews");
    // A file one folder too shallow is not part of the layout: the glob would not match it.
    await mkdir(join(dir, "review_date=2018-01-01"), { recursive: true });
    await writeFile(join(dir, "review_date=2018-01-01", "stray.parquet"), "");
    const empty = await externalTableSql(paths, t);
    expect(empty).toMatch(/WHERE false$/);
    expect(empty).not.toContain("read_parquet");

    await mkdir(join(dir, "review_date=2018-01-01", "_input=abc"), { recursive: true });
    await writeFile(join(dir, "review_date=2018-01-01", "_input=abc", "part-0.parquet"), "");
    const sql = await externalTableSql(paths, t);
    expect(sql).toContain(`read_parquet('${dir.split("\\").join("/")}/*/*/*.parquet'`);
  });
});
