// The warehouse copy a build works on is made while the files run (publish.ts
// startWarehouseCopy), and retired warehouses are unlinked in the background (lake.ts
// removeLater). Neither may change what a build sees or leave files behind.
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { duckdb } from "../../engine/duckdb.js";
import { ingestInputs, openLake, runFiles } from "../../engine/index.js";
import { lakePaths, removeLater, settleRemovals } from "../../engine/lake.js";
import { buildBeside, startWarehouseCopy } from "../../engine/publish.js";
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

async function addTable(file: string, name: string): Promise<void> {
  const { DuckDBInstance } = await duckdb();
  const db = await DuckDBInstance.create(file);
  const conn = await db.connect();
  await conn.run(`CREATE TABLE ${name} AS SELECT 1 AS x`);
  conn.closeSync();
  db.closeSync();
}

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
