// The warehouse copy a build works on is made while the files run (publish.ts
// startWarehouseCopy), and retired warehouses are unlinked in the background (lake.ts
// removeLater). Neither may change what a build sees or leave files behind.
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { duckdb } from "../../engine/duckdb.js";
import { ingestInputs, openLake, runFiles } from "../../engine/index.js";
import { lakePaths, removeLater, settleRemovals } from "../../engine/lake.js";
import { buildBeside, startWarehouseCopy } from "../../engine/publish.js";
import { inspectWarehouse, worthCompacting } from "../../engine/warehouse-file.js";
import { generateAmazonReviews } from "../../synthetic/amazon.js";
import { reviewsIr } from "../support/deploy-helpers.js";

let dir = "";

async function tablesIn(file: string): Promise<string[]> {
  const { DuckDBInstance } = await duckdb();
  const db = await DuckDBInstance.create(file);
  try {
    const conn = await db.connect();
    const rows = (await conn.runAndReadAll("SELECT table_name FROM duckdb_tables() ORDER BY 1")).getRowObjectsJson();
    conn.closeSync();
    return rows.map((r) => String(r.table_name));
  } finally {
    db.closeSync();
  }
}

async function onWarehouse(file: string, ...sql: string[]): Promise<Record<string, unknown>[]> {
  const { DuckDBInstance } = await duckdb();
  const db = await DuckDBInstance.create(file);
  try {
    const conn = await db.connect();
    let rows: Record<string, unknown>[] = [];
    for (const q of sql) rows = (await conn.runAndReadAll(q)).getRowObjectsJson() as Record<string, unknown>[];
    conn.closeSync();
    return rows;
  } finally {
    db.closeSync();
  }
}

const addTable = (file: string, name: string): Promise<unknown> => onWarehouse(file, `CREATE TABLE ${name} AS SELECT 1 AS x`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "lakec-wcopy-"));
  const input = join(dir, "export.jsonl");
  await writeFile(input, generateAmazonReviews({ seed: 5, records: 200 }));
  const lake = await openLake(join(dir, "lake"));
  try {
    await ingestInputs(lake.paths, reviewsIr(), [input], { source: "product_reviews" });
    expect((await runFiles(lake, reviewsIr())).ok).toBe(true);
  } finally {
    await lake.close();
  }
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the warehouse copy made ahead of the build", () => {
  it("is used when the warehouse did not change since", async () => {
    const paths = lakePaths(join(dir, "lake"));
    const copy = startWarehouseCopy(paths);
    expect(await copy.ready).toBeDefined();
    const seen = await buildBeside(paths, async (next) => tablesIn(next.warehouse), undefined, copy);
    expect(seen).toContain("product_daily_ratings");
  });

  it("is made again when the warehouse changed after it was copied, so the build sees the change", async () => {
    const paths = lakePaths(join(dir, "lake"));
    const copy = startWarehouseCopy(paths);
    await copy.ready;
    await addTable(paths.warehouse, "changed_after_copy");
    const seen = await buildBeside(paths, async (next) => tablesIn(next.warehouse), undefined, copy);
    expect(seen).toContain("changed_after_copy");
    expect(await tablesIn(paths.warehouse)).toContain("changed_after_copy");
  });

  it("a run leaves no copy and no trash in tmp/ once the lake is closed", async () => {
    const lake = await openLake(join(dir, "lake"));
    try {
      const input = join(dir, "second.jsonl");
      await writeFile(input, generateAmazonReviews({ seed: 6, records: 100 }));
      await ingestInputs(lake.paths, reviewsIr(), [input], { source: "product_reviews" });
      expect((await runFiles(lake, reviewsIr())).ok).toBe(true);
    } finally {
      await lake.close();
    }
    expect(await readdir(join(dir, "lake", "tmp"))).toEqual([]);
  });
});

describe("a warehouse file that is mostly free space (a table rebuilt in full leaves its old blocks free)", () => {
  it("is compacted on the build's copy: every table, view, row and constraint kept, the file smaller, the next run incremental", async () => {
    const paths = lakePaths(join(dir, "lake"));
    // 40 MB of incompressible text written and dropped: free blocks the file never gives back.
    await onWarehouse(
      paths.warehouse,
      "CREATE TABLE lakec_test_junk AS SELECT md5(range::VARCHAR) || md5((range + 1)::VARCHAR) AS x FROM range(600000)",
      "CHECKPOINT",
      "DROP TABLE lakec_test_junk",
      "CHECKPOINT",
    );
    const before = await inspectWarehouse(paths.warehouse);
    if ("error" in before) throw new Error(before.error);
    expect(worthCompacting(before, 0)).toBe(true);
    expect(worthCompacting(before)).toBe(false); // below the 64 MB a rewrite must save
    const content = `SELECT (SELECT count(*) FROM product_daily_ratings) AS marts, (SELECT count(*) FROM reviews.PRODUCT_REVIEWS) AS view_rows,
      (SELECT count(*) FROM lakec_model_state) AS states, (SELECT string_agg(table_name, ',' ORDER BY table_name) FROM duckdb_tables()) AS tables,
      (SELECT string_agg(schema_name || '.' || view_name, ',' ORDER BY view_name) FROM duckdb_views() WHERE NOT internal) AS views`;
    const [expected] = await onWarehouse(paths.warehouse, content);
    const sizeBefore = (await stat(paths.warehouse)).size;
    const seen = await buildBeside(paths, async (next) => onWarehouse(next.warehouse, content), undefined, undefined, 0);
    expect(seen[0]).toEqual(expected);
    const after = await inspectWarehouse(paths.warehouse);
    if ("error" in after) throw new Error(after.error);
    expect(after.freeBytes).toBeLessThan(after.usedBytes);
    expect((await stat(paths.warehouse)).size).toBeLessThan(sizeBefore);
    // Constraints came along: the model state's primary key still refuses a second row per model.
    await expect(onWarehouse(paths.warehouse, "INSERT INTO lakec_model_state SELECT * FROM lakec_model_state LIMIT 1")).rejects.toThrow(
      /constraint/i,
    );

    const lake = await openLake(join(dir, "lake"));
    try {
      const input = join(dir, "after-compaction.jsonl");
      await writeFile(input, generateAmazonReviews({ seed: 8, records: 50 }));
      await ingestInputs(lake.paths, reviewsIr(), [input], { source: "product_reviews" });
      const s = await runFiles(lake, reviewsIr());
      expect(s.ok).toBe(true);
      expect(s.warehouse.models.map((m) => m.materialized).filter((m) => m.includes("full"))).toEqual([]);
    } finally {
      await lake.close();
    }
  }, 60_000);
});

describe("a run that keeps the last build", () => {
  it("removes the copy it started, so no 300 MB file waits in tmp/ for the next run", async () => {
    const lake = await openLake(join(dir, "lake"));
    try {
      const first = await runFiles(lake, reviewsIr());
      const again = await runFiles(lake, reviewsIr(), undefined, { reuseWarehouse: first.warehouse });
      expect(again.warehouse.reused).toBe(true);
      expect((await readdir(lake.paths.tmp)).filter((n) => n.includes("warehouse"))).toEqual([]);
    } finally {
      await lake.close();
    }
  });
});

describe("removeLater", () => {
  it("takes the path away at once and removes it by settleRemovals", async () => {
    const paths = lakePaths(join(dir, "lake"));
    const victim = join(dir, "lake", "state", "victim");
    await writeFile(victim, "x".repeat(1 << 20));
    await removeLater(paths, victim);
    await expect(readdir(join(dir, "lake", "state"))).resolves.not.toContain("victim");
    await settleRemovals();
    expect((await readdir(paths.tmp)).filter((n) => n.includes("trash"))).toEqual([]);
    await expect(removeLater(paths, victim)).resolves.toBeUndefined();
  });
});
