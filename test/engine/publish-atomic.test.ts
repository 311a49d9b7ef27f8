// Nothing lost while a raw file is reprocessed (engine/publish.ts):
// - a reader querying in a loop during the reprocess sees the old counts or the new ones, never
//   a mix, never an error (on main it saw partial tables, then DuckDB's lock during stage 3);
// - a reprocess that fails leaves the previous version published, quarantine and marts too;
// - a published file deleted or cut behind lakec's back is noticed on the next run and
//   rebuilt from the raw file, and the run says so.
import { spawn } from "node:child_process";
import { cp, mkdir, readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PipelineIR } from "../../compiler/ir.js";
import { ingestInputs, openLake, type RunSummary } from "../../engine/index.js";
import { queryWarehouse } from "../../engine/query.js";
import { listing, removeTempDirs, reviewsIr, reviewsOverDays, tempDir, writeLines, runLake } from "../support/engine-fixtures.js";

const CHILD = join("node_modules", ".cache", "lakec-engine-test", `publish-child-${process.pid}.mjs`);
const before = reviewsIr();
/** Narrower range: records rated 4 or 5 become invalid, so the reprocess changes every count. */
const narrowed = (y: string): string => y.replace("range: [1, 5]", "range: [1, 3]");
const after = reviewsIr(narrowed);

/** Reviews over 60 days (many partitions), ratings 1–5. */
const lines = (offset: number, n: number): string[] => reviewsOverDays(offset, n, 60);

let dir: string;
let inputs: string[];

const run = (lakeDir: string, ir: PipelineIR, memoryLimit = "512MB"): Promise<RunSummary> => runLake(lakeDir, ir, inputs, memoryLimit);

const COUNTS =
  "SELECT (SELECT count(*) FROM product_reviews) AS reviews, (SELECT count(*) FROM product_review_images) AS images, (SELECT sum(reviews) FROM product_daily_ratings) AS mart";
const counts = async (lakeDir: string): Promise<string> => JSON.stringify((await queryWarehouse(lakeDir, COUNTS)).rows[0]);

beforeAll(async () => {
  await mkdir(join("node_modules", ".cache", "lakec-engine-test"), { recursive: true });
  await build({
    entryPoints: ["test/support/publish-child.ts"],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outfile: CHILD,
    logLevel: "error",
  });
  dir = await tempDir("publish");
  inputs = [await writeLines(join(dir, "a.jsonl"), lines(0, 1500)), await writeLines(join(dir, "b.jsonl"), lines(5000, 1500))];
}, 60_000);

afterAll(async () => {
  await rm(CHILD, { force: true });
  await removeTempDirs();
});

describe("publishing a reprocessed raw file", () => {
  it("a reader in a loop during the reprocess sees the old counts or the new ones, never a mix or an error", async () => {
    const lakeDir = join(dir, "loop");
    expect((await run(lakeDir, before)).ok).toBe(true);
    const oldCounts = await counts(lakeDir);
    const reference = join(dir, "loop-reference");
    await cp(lakeDir, reference, { recursive: true });
    expect((await run(reference, after)).ok).toBe(true);
    const newCounts = await counts(reference);
    expect(newCounts).not.toBe(oldCounts);

    const pipeline = join(dir, "narrowed.yaml");
    await writeFile(pipeline, narrowed(await readFile("pipelines/reviews.yaml", "utf8")));
    const child = spawn(process.execPath, [CHILD, lakeDir, pipeline], { stdio: ["ignore", "pipe", "pipe"] });
    let childOut = "";
    child.stdout.on("data", (d: Buffer) => (childOut += d.toString()));
    child.stderr.on("data", (d: Buffer) => (childOut += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    let done = false;
    void exited.then(() => (done = true));
    const seen = new Map<string, number>();
    while (!done) {
      const got = await counts(lakeDir).catch((e: unknown) => `error: ${e instanceof Error ? e.message : String(e)}`);
      seen.set(got, (seen.get(got) ?? 0) + 1);
    }
    expect(await exited, childOut).toBe(0);
    expect(childOut).toContain("reviews/a.jsonl processed");
    const observed = [...seen.keys()];
    expect(
      observed.filter((c) => c !== oldCounts && c !== newCounts),
      `seen: ${JSON.stringify([...seen])}`,
    ).toEqual([]);
    expect(seen.get(oldCounts) ?? 0, "the reader ran while the old version was published").toBeGreaterThan(3);
    expect(await counts(lakeDir)).toBe(newCounts);
  }, 120_000);

  it("a reprocess that fails keeps the previous version published: rows, quarantine and marts", async () => {
    const lakeDir = join(dir, "fail");
    const withBad = [...inputs, await writeLines(join(dir, "c.jsonl"), [...lines(9000, 50), "{not json"])];
    const lake = await openLake(lakeDir, { memoryLimit: "512MB" });
    await ingestInputs(lake.paths, before, withBad);
    await lake.close();
    expect((await run(lakeDir, before)).ok).toBe(true);
    const oldCounts = await counts(lakeDir);
    const quarantine = await listing(join(lakeDir, "quarantine"));
    expect(quarantine.length).toBe(1);
    const quarantineText = await readFile(join(lakeDir, "quarantine", quarantine[0]!), "utf8");
    // The new version fails: a memory limit DuckDB cannot clean under.
    const failed = await run(lakeDir, after, "4MB");
    expect(failed.files.map((f) => f.status)).toEqual(["failed", "failed", "failed"]);
    expect(await counts(lakeDir)).toBe(oldCounts);
    expect(await readFile(join(lakeDir, "quarantine", quarantine[0]!), "utf8")).toBe(quarantineText);
    // And under on_invalid: fail, a new version with invalid records keeps the old one too.
    const strict = reviewsIr((y) => narrowed(y).replace("on_invalid: quarantine", "on_invalid: fail"));
    const invalid = await run(lakeDir, strict);
    expect(invalid.files.map((f) => f.status)).toEqual(["failed", "failed", "failed"]);
    expect(await counts(lakeDir)).toBe(oldCounts);
    // Once the cause is fixed, the rerun publishes the new version.
    expect((await run(lakeDir, after)).files.map((f) => f.status)).toEqual(["processed", "processed", "processed"]);
    expect(await counts(lakeDir)).not.toBe(oldCounts);
  }, 120_000);

  it("a published file deleted or cut behind lakec's back is repaired from the raw file on the next run, which says so", async () => {
    const lakeDir = join(dir, "damage");
    expect((await run(lakeDir, before)).ok).toBe(true);
    const good = await counts(lakeDir);
    const files = (await listing(join(lakeDir, "processed"))).filter((f) => f.startsWith("product_reviews/"));
    const [gone, cut] = [files[0]!, files[files.length - 1]!];
    await rm(join(lakeDir, "processed", gone));
    await truncate(join(lakeDir, "processed", cut), 100);
    const s = await run(lakeDir, before);
    expect(s.ok).toBe(true);
    expect(s.files.map((f) => f.status).sort()).toEqual(["processed", "processed"]);
    const notes = s.files.flatMap((f) => f.notes).join("\n");
    expect(notes).toContain(`repaired: processed/${gone} is missing`);
    expect(notes).toContain(`processed/${cut} has 100 bytes, not`);
    expect(await counts(lakeDir)).toBe(good);
    // Undamaged now: the next run skips both files again.
    expect((await run(lakeDir, before)).files.map((f) => f.status)).toEqual(["skipped", "skipped"]);
    expect((await readdir(join(lakeDir, "processed"))).sort()).toEqual(["product_review_images", "product_reviews"]);
  }, 120_000);
});
