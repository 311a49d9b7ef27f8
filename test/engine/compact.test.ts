// Compaction of the local lake (engine/compact.ts, engine/compact-state.ts): after it, every
// partition holds at most 2 files whatever the number of deliveries; the views and marts return
// the same rows; a reprocess after it replaces exactly that raw file's rows; damage to a packed
// file is repaired from the raw files; and counts reconcile with the manifests throughout.
import { spawn } from "node:child_process";
import { cp, mkdir, readFile, rm, truncate, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PipelineIR } from "../../compiler/ir.js";
import { compactLake, ingestInputs, openLake, runFiles, type CompactionReport, type RunSummary } from "../../engine/index.js";
import { maxFilesPerPartition, partitionsWrittenBy } from "../../engine/compact.js";
import { queryWarehouse } from "../../engine/query.js";
import { listing, removeTempDirs, reviewsIr, reviewsOverDays, tempDir, warehouseRows, writeLines } from "../support/engine-fixtures.js";

const CHILD = join("node_modules", ".cache", "lakec-engine-test", `compact-child-${process.pid}.mjs`);

const ir = reviewsIr();
const narrowed = reviewsIr((y) => y.replace("range: [1, 5]", "range: [1, 3]"));

/** Reviews over 40 days (many partitions), ratings 1–5. */
const lines = (offset: number, n: number): string[] => reviewsOverDays(offset, n, 40);

let dir: string;
const deliveries: string[] = [];

beforeAll(async () => {
  await mkdir(join("node_modules", ".cache", "lakec-engine-test"), { recursive: true });
  await build({
    entryPoints: ["test/support/compact-child.ts"],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outfile: CHILD,
    logLevel: "error",
  });
  dir = await tempDir("compact");
  // Ten daily exports that overlap in ids (later ones update earlier reviews) and in days.
  for (let d = 0; d < 10; d++) deliveries.push(await writeLines(join(dir, `export-${d}.jsonl`), lines(d * 150, 200)));
}, 60_000);

afterAll(async () => {
  await rm(CHILD, { force: true });
  await removeTempDirs();
});

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

/** Every view and mart, sorted, as text: what a reader of the warehouse sees. `_merge_seq` is the
 * models' own clock (when a group was last re-aggregated), so it differs between two lakes that hold
 * the same rows; it is left out. */
async function everything(lakeDir: string): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const rel of ["product_reviews", "product_review_images", "product_daily_ratings", "stg_reviews__product_reviews"])
    out[rel] = await warehouseRows(lakeDir, `SELECT * FROM ${rel} ORDER BY ALL`);
  return JSON.stringify(out, (k, v: unknown) => (k === "_merge_seq" ? undefined : typeof v === "bigint" ? v.toString() : v));
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
      for (const t of ["product_reviews", "product_review_images"])
        expect(Math.max(...(await filesPerPartition(lakeDir, t))), t).toBeLessThanOrEqual(2);
    }
    // The same lake built without compaction returns the same rows.
    const reference = join(dir, "many-reference");
    for (const d of deliveries) expect((await runWith(reference, ir, [d])).ok).toBe(true);
    expect(await everything(lakeDir)).toBe(await everything(reference));
  }, 240_000);

  it("a reprocess after compaction replaces exactly that raw file's rows, and the old ones never come back", async () => {
    const lakeDir = join(dir, "reprocess");
    const reference = join(dir, "reprocess-reference");
    for (const d of deliveries.slice(0, 3)) for (const l of [lakeDir, reference]) expect((await runWith(l, ir, [d])).ok).toBe(true);
    await compact(lakeDir);
    // New content under the same raw key, written identically (same mtime, so `_ingested_at`) in both lakes.
    const rewrite = async (version: number): Promise<void> => {
      for (const l of [lakeDir, reference]) {
        const file = join(l, "raw", "reviews", "export-1.jsonl");
        await writeFile(file, `${lines(150 + version * 7, 120 - version * 30).join("\n")}\n`);
        await utimes(file, 1_700_000_000 + version, 1_700_000_000 + version);
      }
    };
    for (const version of [1, 2, 3]) {
      await rewrite(version);
      for (const l of [lakeDir, reference]) {
        const s = await runWith(l, ir);
        expect(s.files.filter((f) => f.status === "processed").map((f) => f.rawKey)).toEqual(["reviews/export-1.jsonl"]);
      }
      expect(await everything(lakeDir), `version ${version}`).toBe(await everything(reference));
      // The second reprocess writes the slot name the compaction absorbed: its old rows stay dead.
      if (version === 2) {
        const r = await compact(lakeDir);
        const reviews = r.tables.find((t) => t.table === "product_reviews")!;
        expect(reviews.deadRowsDropped).toBeGreaterThan(0);
        expect(await everything(lakeDir)).toBe(await everything(reference));
      }
    }
    // A change of meaning reprocesses every file: all packed rows die, and the next compaction drops them.
    for (const l of [lakeDir, reference]) expect((await runWith(l, narrowed)).ok).toBe(true);
    expect(await everything(lakeDir)).toBe(await everything(reference));
    const r = await compact(lakeDir, narrowed);
    expect(r.tables.find((t) => t.table === "product_reviews")!.inputsAbsorbed).toBe(3);
    expect(await everything(lakeDir)).toBe(await everything(reference));
  }, 240_000);

  it("damage to packed files is repaired from the raw files, and the run says so", async () => {
    const lakeDir = join(dir, "damage");
    for (const d of deliveries.slice(0, 3)) expect((await runWith(lakeDir, ir, [d])).ok).toBe(true);
    await compact(lakeDir);
    await withLake(lakeDir, async () => undefined);
    const good = await everything(lakeDir);
    const packed = (await listing(join(lakeDir, "processed", "product_reviews"))).filter((f) => f.includes("_input=packed-"));
    expect(packed.length).toBeGreaterThan(2);
    const [gone, cut] = [packed[0]!, packed[packed.length - 1]!];
    await rm(join(lakeDir, "processed", "product_reviews", gone));
    await truncate(join(lakeDir, "processed", "product_reviews", cut), 100);
    const s = await runWith(lakeDir, ir);
    expect(s.ok, s.problems.join("\n")).toBe(true);
    expect(s.files.map((f) => f.status)).toEqual(["processed", "processed", "processed"]);
    const notes = s.files.flatMap((f) => f.notes).join("\n");
    expect(notes).toContain(`repaired: processed/product_reviews/${gone} is missing`);
    expect(notes).toContain(`processed/product_reviews/${cut} has 100 bytes, not`);
    expect(await everything(lakeDir)).toBe(good);
    expect((await runWith(lakeDir, ir)).files.map((f) => f.status)).toEqual(["skipped", "skipped", "skipped"]);
    await compact(lakeDir);
    expect(await everything(lakeDir)).toBe(good);
  }, 240_000);

  it("a reader in a loop during compaction sees the same complete tables and marts every time, never an error", async () => {
    const lakeDir = join(dir, "loop");
    for (const d of deliveries.slice(0, 6)) expect((await runWith(lakeDir, ir, [d])).ok).toBe(true);
    const COUNTS =
      "SELECT (SELECT count(*) FROM product_reviews) AS reviews, (SELECT count(*) FROM product_review_images) AS images, (SELECT sum(reviews) FROM product_daily_ratings) AS mart, (SELECT sum(hash(_source_file, _source_line, review_date, helpful_votes)) FROM product_reviews) AS fingerprint";
    const counts = async (): Promise<string> => JSON.stringify((await queryWarehouse(lakeDir, COUNTS)).rows[0]);
    const expected = await counts();
    const pipeline = join(dir, "reviews.yaml");
    await writeFile(pipeline, await readFile("pipelines/reviews.yaml", "utf8"));
    const child = spawn(process.execPath, [CHILD, lakeDir, pipeline], { stdio: ["ignore", "pipe", "pipe"] });
    let childOut = "";
    child.stdout.on("data", (d: Buffer) => (childOut += d.toString()));
    child.stderr.on("data", (d: Buffer) => (childOut += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    let done = false;
    void exited.then(() => (done = true));
    const seen = new Map<string, number>();
    while (!done) {
      const got = await counts().catch((e: unknown) => `error: ${e instanceof Error ? e.message : String(e)}`);
      seen.set(got, (seen.get(got) ?? 0) + 1);
    }
    expect(await exited, childOut).toBe(0);
    expect(childOut).toMatch(/product_reviews [1-9][0-9]* rewritten/);
    expect([...seen.keys()], JSON.stringify([...seen])).toEqual([expected]);
    expect(seen.get(expected)).toBeGreaterThan(3);
    expect((await listing(join(lakeDir, "processed", "product_reviews"))).some((f) => f.includes("_input=packed-"))).toBe(true);
    // And the views now read the packed files: the old folders can go without changing a row.
    await withLake(lakeDir, async () => undefined);
    expect(await counts()).toBe(expected);
  }, 240_000);

  it("leaves files the warehouse has not merged yet in their folders, for the incremental models", async () => {
    const lakeDir = join(dir, "unmerged");
    expect((await runWith(lakeDir, ir, deliveries.slice(0, 2))).ok).toBe(true);
    // A file processed but not yet built into the warehouse: stages 1–2 only.
    await withLake(lakeDir, async (lake) => {
      await ingestInputs(lake.paths, ir, [deliveries[2]!]);
      const { processRawFile } = await import("../../engine/index.js");
      expect((await processRawFile(lake, ir, "reviews/export-2.jsonl")).status).toBe("processed");
    });
    const r = await compact(lakeDir);
    const reviews = r.tables.find((t) => t.table === "product_reviews")!;
    expect(reviews.inputsAbsorbed).toBe(2);
    expect(reviews.notYetMerged).toBe(1);
    const reference = join(dir, "unmerged-reference");
    await cp(join(lakeDir, "raw"), join(reference, "raw"), { recursive: true, preserveTimestamps: true });
    for (const l of [lakeDir, reference]) expect((await runWith(l, ir)).ok).toBe(true);
    expect(await everything(lakeDir)).toBe(await everything(reference));
  }, 240_000);

  it("dev's check after a batch looks only where the batch's files wrote, and finds there what a full listing finds", async () => {
    const lakeDir = join(dir, "touched");
    expect((await runWith(lakeDir, ir, deliveries.slice(0, 3))).ok).toBe(true);
    await withLake(lakeDir, async (lake) => {
      const touched = await partitionsWrittenBy(lake.paths, ir, ["reviews/export-2.jsonl"]);
      expect([...touched.keys()].sort()).toEqual(["product_review_images", "product_reviews"]);
      const days = [...touched.get("product_reviews")!];
      expect(days.length).toBeGreaterThan(5);
      expect(days.every((d) => /^review_date=\d{4}-\d{2}-\d{2}$/.test(d))).toBe(true);
      // export-2 overlaps the days of export-1, so its partitions are the lake's fullest.
      const all = await maxFilesPerPartition(lake.paths, ir);
      expect(all).toBeGreaterThan(1);
      expect(await maxFilesPerPartition(lake.paths, ir, touched)).toBe(all);
      expect(await maxFilesPerPartition(lake.paths, ir, new Map())).toBe(0);
    });
  }, 120_000);
});
