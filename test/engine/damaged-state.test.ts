// Damaged state is rebuilt and reported, never a permanent "internal error": a warehouse.duckdb
// of random bytes, a manifest holding `null`, a truncated state/deployed.json, and a lock file
// naming a live process that is not the lakec that took it. Each gave "internal error" on every
// later run before.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processStart } from "../../engine/open-lake.js";
import { removeTempDirs, review, tempDir, writeLines, lakec } from "../support/engine-fixtures.js";

afterAll(removeTempDirs);

let dir: string;
let input: string;
beforeAll(async () => {
  dir = await tempDir("damaged");
  input = await writeLines(join(dir, "day1.jsonl"), [review(1), review(2), review(3)]);
});

async function freshLake(name: string): Promise<string> {
  const lake = join(dir, name);
  const r = await lakec("run", "pipelines/reviews.yaml", "--lake", lake, "--input", input, "--memory-limit", "512MB");
  expect(r.code).toBe(0);
  return lake;
}

const count = async (lake: string): Promise<string> =>
  (await lakec("query", "pipelines/reviews.yaml", "SELECT count(*) AS n FROM product_reviews", "--lake", lake, "--format", "csv")).out;

describe("damaged state", () => {
  it("a warehouse.duckdb of random bytes is rebuilt from the lake, and the run says so", async () => {
    const lake = await freshLake("warehouse");
    await writeFile(join(lake, "warehouse.duckdb"), randomBytes(64 * 1024));
    const r = await lakec("run", "pipelines/reviews.yaml", "--lake", lake, "--memory-limit", "512MB");
    expect(r.err).not.toContain("internal error");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/note: rebuilt warehouse\.duckdb from the lake: the old file could not be opened \(/);
    expect(await count(lake)).toBe("n\n3\n");
  });

  it("a manifest holding null is rebuilt by reprocessing the raw file, and the run says so", async () => {
    const lake = await freshLake("manifest");
    const dirOf = join(lake, "state", "manifests", "product_reviews");
    const [name] = await readdir(dirOf);
    await writeFile(join(dirOf, name!), "null\n");
    const r = await lakec("run", "pipelines/reviews.yaml", "--lake", lake, "--memory-limit", "512MB");
    expect(r.err).not.toContain("internal error");
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      `note: rebuilt: its manifest state/manifests/product_reviews/${name} was damaged; reprocessed from the raw file`,
    );
    expect(JSON.parse(await readFile(join(dirOf, name!), "utf8"))).toMatchObject({ status: "ok", raw_key: "reviews/day1.jsonl" });
    expect(await count(lake)).toBe("n\n3\n");
  });

  it("a truncated state/deployed.json is set aside, reported and written again", async () => {
    const lake = await freshLake("deployed");
    const file = join(lake, "state", "deployed.json");
    const text = await readFile(file, "utf8");
    await writeFile(file, text.slice(0, 40));
    const r = await lakec("run", "pipelines/reviews.yaml", "--lake", lake, "--memory-limit", "512MB");
    expect(r.code).toBe(0);
    expect(r.err).toContain("deployed.json was damaged; kept as deployed.json.damaged and treated as absent; recorded again from this run");
    expect(await readFile(file, "utf8")).toBe(text);
    const plan = await lakec("plan", "pipelines/reviews.yaml", "--lake", lake);
    expect(plan.err).not.toContain("internal error");
  });

  it("a lock naming a live process that is not the lakec that took it is stale; one naming a live lakec is not", async () => {
    const lake = await freshLake("lock");
    const lock = join(lake, "state", "lake.lock");
    // This test's parent is alive but is not lakec: an old-style lock with its pid, and a lock
    // whose start time is not the process's (its pid was reused).
    for (const stale of [String(process.ppid), JSON.stringify({ pid: process.ppid, start: "1" })]) {
      await writeFile(lock, stale);
      const r = await lakec("run", "pipelines/reviews.yaml", "--lake", lake, "--memory-limit", "512MB");
      expect({ stale, code: r.code, err: r.err }).toEqual({ stale, code: 0, err: "" });
    }
    const holder = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      await writeFile(lock, JSON.stringify({ pid: holder.pid, start: processStart(holder.pid!) }));
      const busy = await lakec("run", "pipelines/reviews.yaml", "--lake", lake, "--memory-limit", "512MB");
      expect(busy.code).toBe(1);
      expect(busy.err).toContain(`is in use by process ${holder.pid}`);
    } finally {
      holder.kill();
    }
  });
});
