// Compaction of the local lake (engine/compact.ts, engine/compact-state.ts): after it, every
// partition holds at most 2 files whatever the number of deliveries; the views and marts return
// the same rows; a reprocess after it replaces exactly that raw file's rows; damage to a packed
// file is repaired from the raw files; and counts reconcile with the manifests throughout.
import { readFile, rm, truncate } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PipelineIR } from "../compiler/ir.js";
import { compactLake, ingestInputs, openLake, runFiles, type CompactionReport, type RunSummary } from "../engine/index.js";
import { listing, removeTempDirs, review, reviewsIr, tempDir, warehouseRows, writeLines } from "./engine-fixtures.js";

const ir = reviewsIr();
const narrowed = reviewsIr((y) => y.replace("range: [1, 5]", "range: [1, 3]"));

/** Day `d` of 2017 as the fixture's reviewTime ("MM D, YYYY"), 40 days over two months. */
function lines(offset: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const k = offset + i;
    const day = (k % 40) + 1;
    return review(k, { reviewTime: `${String(Math.ceil(day / 28)).padStart(2, "0")} ${((day - 1) % 28) + 1}, 2017` });
  });
}

let dir: string;
const deliveries: string[] = [];

beforeAll(async () => {
  dir = await tempDir("compact");
  // Ten daily exports that overlap in ids (later ones update earlier reviews) and in days.
  for (let d = 0; d < 10; d++) deliveries.push(await writeLines(join(dir, `export-${d}.jsonl`), lines(d * 150, 200)));
}, 60_000);

afterAll(removeTempDirs);

async function withLake<T>(lakeDir: string, fn: (lake: Awaited<ReturnType<typeof openLake>>) => Promise<T>): Promise<T> {
  const lake = await openLake(lakeDir, { memoryLimit: "512MB", threads: 2 });
  try {
    return await fn(lake);
  } finally {
    await lake.close();
  }
}

const runWith = (lakeDir: string, p: PipelineIR, inputs: readonly string[] = []): Promise<RunSummary> =>
  withLake(lakeDir, async (lake) => {
    await ingestInputs(lake.paths, p, inputs);
    return runFiles(lake, p);
  });

const compact = (lakeDir: string, p: PipelineIR = ir): Promise<CompactionReport> => withLake(lakeDir, (lake) => compactLake(lake, p));

/** Every view and mart, sorted, as text: what a reader of the warehouse sees. */
async function everything(lakeDir: string): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const rel of ["product_reviews", "product_review_images", "product_daily_ratings", "stg_reviews__product_reviews"]) out[rel] = await warehouseRows(lakeDir, `SELECT * FROM ${rel} ORDER BY ALL`);
  return JSON.stringify(out, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** Parquet files per partition folder of a table, as on disk. */
async function filesPerPartition(lakeDir: string, table: string): Promise<number[]> {
  const per = new Map<string, number>();
  for (const f of (await listing(join(lakeDir, "processed", table))).filter((x) => x.endsWith(".parquet"))) {
    const part = f.split("/").slice(0, -2).join("/");
    per.set(part, (per.get(part) ?? 0) + 1);
  }
  return [...per.values()];
}

describe("lakec compaction, locally", () => {
  it("keeps every row of the views and marts, and leaves at most 2 files per partition after any number of deliveries", async () => {
    const lakeDir = join(dir, "many");
    for (const d of deliveries.slice(0, 5)) expect((await runWith(lakeDir, ir, [d])).ok).toBe(true);
    expect(Math.max(...(await filesPerPartition(lakeDir, "product_reviews")))).toBeGreaterThan(2);
    const before = await everything(lakeDir);
    const r = await compact(lakeDir);
    const reviews = r.tables.find((t) => t.table === "product_reviews")!;
    expect(reviews.skipped).toBeUndefined();
    expect(reviews.inputsAbsorbed).toBe(5);
    expect(reviews.maxFilesPerPartitionAfter).toBe(1);
    expect(reviews.filesAfter).toBe(reviews.partitions);
    expect(reviews.deadRowsDropped).toBe(0);
    // Every partition was rewritten, so every row the view reads was copied once.
    expect(reviews.rowsKept).toBe(Number((await warehouseRows(lakeDir, "SELECT count(*) AS n FROM product_reviews"))[0]!.n));
    expect(await everything(lakeDir)).toBe(before);
    // More deliveries, each followed by a compaction, as `lakec dev` would: never above 2 files.
    for (const d of deliveries.slice(5)) {
      expect((await runWith(lakeDir, ir, [d])).ok).toBe(true);
      await compact(lakeDir);
      // The next open removes what the compaction superseded.
      await withLake(lakeDir, async () => undefined);
      for (const t of ["product_reviews", "product_review_images"]) expect(Math.max(...(await filesPerPartition(lakeDir, t))), t).toBeLessThanOrEqual(2);
    }
    // The same lake built without compaction returns the same rows.
    const reference = join(dir, "many-reference");
    for (const d of deliveries) expect((await runWith(reference, ir, [d])).ok).toBe(true);
    expect(await everything(lakeDir)).toBe(await everything(reference));
  }, 240_000);
});
