// Superseded output slots are removed while the lake stays open (a `lakec dev` session), but
// only once no reader holds a warehouse that reads them (engine/retired-warehouses.ts).
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestInputs, openLake, runFiles, type Lake } from "../../engine/index.js";
import { queryWarehouse } from "../../engine/query.js";
import { collectRetired } from "../../engine/retired-warehouses.js";
import { generateAmazonReviews } from "../../synthetic/amazon.js";
import { editYaml, reviewsIr } from "../support/deploy-helpers.js";
import { holdOpen } from "../support/warehouse-reader.js";

let dir = "";
let lake: Lake;
const later = (): number => Date.now() + 60_000;

/** The slots (`_input=` folder names) product_reviews has on disk, in any partition. */
async function slotsOnDisk(): Promise<string[]> {
  const root = join(dir, "lake", "processed", "product_reviews");
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return [...new Set(entries.filter((e) => e.isDirectory() && e.name.startsWith("_input=")).map((e) => e.name))].sort();
}

const supersededLog = (): Promise<string> => readFile(join(dir, "lake", "state", "superseded.jsonl"), "utf8");

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "lakec-retired-"));
  const input = join(dir, "export.jsonl");
  await writeFile(input, generateAmazonReviews({ seed: 3, records: 300 }));
  lake = await openLake(join(dir, "lake"));
  await ingestInputs(lake.paths, reviewsIr(), [input], { source: "product_reviews" });
  await runFiles(lake, reviewsIr());
}, 60_000);

afterAll(async () => {
  await lake?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("superseded slots in a lake that stays open", { timeout: 60_000 }, () => {
  it("are kept while a reader holds the old warehouse, and removed once it is gone", async () => {
    const [first] = await slotsOnDisk();
    expect(first).toMatch(/^_input=[0-9a-f]+$/);
    const published = Number((await queryWarehouse(lake.paths.root, "SELECT count(*) FROM product_reviews")).rows[0]![0]);
    const reader = await holdOpen(lake.paths.warehouse);
    try {
      expect(await reader.count("product_reviews")).toBe(published);
      // A reprocess (here: a narrower range) publishes into the other slot and rebuilds the warehouse.
      await runFiles(
        lake,
        reviewsIr((t) => editYaml(t, "range: [1, 5]", "range: [2, 5]")),
      );
      expect(await slotsOnDisk()).toEqual([first, `${first}-b`]);
      expect(await collectRetired(lake.paths, later())).toBe(0);
      expect(await slotsOnDisk()).toEqual([first, `${first}-b`]);
      // The reader still sees the old version, whole: no file it reads was removed.
      expect(await reader.count("product_reviews")).toBe(published);
    } finally {
      await reader.close();
    }
    const removed = await collectRetired(lake.paths, later());
    expect(removed).toBeGreaterThan(0);
    expect(await slotsOnDisk()).toEqual([`${first}-b`]);
    expect(await supersededLog()).toBe("");
    // The current warehouse reads only the current slots: still whole.
    const now = Number((await queryWarehouse(lake.paths.root, "SELECT count(*) FROM product_reviews")).rows[0]![0]);
    expect(now).toBeGreaterThan(0);
    expect(now).toBeLessThan(published);
  });

  it("a later build removes them by itself once the retired warehouse is free and old enough", async () => {
    const [current] = await slotsOnDisk();
    await runFiles(lake, reviewsIr());
    expect((await slotsOnDisk()).length).toBe(2);
    expect(await supersededLog()).toContain(current!.slice("_input=".length));
    // MIN_AGE_MS: a reader may be between opening the file and taking its lock.
    await new Promise((r) => setTimeout(r, 2_100));
    await runFiles(lake, reviewsIr());
    expect(await slotsOnDisk()).toEqual([current!.replace(/-b$/, "")]);
    expect(await supersededLog()).toBe("");
  });
});
