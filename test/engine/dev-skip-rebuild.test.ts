// `lakec dev` skips the warehouse build (models, marts, tests) when a batch changes nothing: a
// touched or re-saved raw file under the same pipeline. A new file or a changed mart rebuilds.
import { mkdir, rm, stat, writeFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunSummary } from "../../engine/index.js";
import { engineRunner, type DevRunner } from "../../engine/watch.js";
import { generateAmazonReviews } from "../../synthetic/amazon.js";
import { EDITS, reviewsIr } from "../support/deploy-helpers.js";

let dir = "";
let runner: DevRunner;
const KEY = "reviews/export.jsonl";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "lakec-dev-skip-"));
  await mkdir(join(dir, "lake", "raw", "reviews"), { recursive: true });
  await writeFile(join(dir, "lake", "raw", KEY), generateAmazonReviews({ seed: 5, records: 200 }));
  runner = await engineRunner(join(dir, "lake"), { memoryLimit: "512MB", threads: 1 });
}, 60_000);

afterAll(async () => {
  await runner?.close();
  await rm(dir, { recursive: true, force: true });
});

const warehouseIno = async (): Promise<number> => (await stat(join(dir, "lake", "warehouse.duckdb"))).ino;
const batch = async (edit?: (t: string) => string): Promise<RunSummary> =>
  (await runner.runBatch(reviewsIr(edit), [KEY])).result as RunSummary;

describe("dev: mart rebuilds only when something changed", { timeout: 60_000 }, () => {
  it("a batch of unchanged files under the same pipeline keeps the last build", async () => {
    const first = await batch();
    expect(first.warehouse.reused).toBeUndefined();
    expect(first.warehouse.models.length).toBeGreaterThan(0);
    const built = await warehouseIno();
    const again = await batch();
    expect(again.files.map((f) => f.status)).toEqual(["skipped"]);
    expect(again.warehouse.reused).toBe(true);
    expect(again.warehouse.models).toEqual(first.warehouse.models);
    // Not rebuilt: a build replaces warehouse.duckdb by a rename, which gives it a new inode.
    expect(await warehouseIno()).toBe(built);
  });

  it("a changed mart rebuilds even though no file changed", async () => {
    const built = await warehouseIno();
    const changed = await batch(EDITS.martMeasure);
    expect(changed.files.map((f) => f.status)).toEqual(["skipped"]);
    expect(changed.warehouse.reused).toBeUndefined();
    expect(await warehouseIno()).not.toBe(built);
  });
});
