// No data lost, none doubled: a run killed with SIGKILL at chosen and random points, then run
// again, ends in exactly the state of an uninterrupted run (listing, rows, quarantine).
// Markers on the child's stdout place each kill inside a phase; the delay within it is random.
import { spawn } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestInputs, openLake, runFiles } from "../engine/index.js";
import { lakeSnapshot, review, reviewsIr, tempDir, warehouseRows, writeLines, removeTempDirs } from "./engine-fixtures.js";

afterAll(removeTempDirs);

const ir = reviewsIr();
const CHILD = join("node_modules", ".cache", "lakec-engine-test", `kill-child-${process.pid}.mjs`);
let dir: string;
let inputs: string[];
let reference: Record<string, string | string[]>;

/** Two files over many days (many partitions), with duplicates and invalid lines. */
function fileLines(offset: number): string[] {
  return Array.from({ length: 300 }, (_, i) => {
    const n = offset + i;
    const day = (n % 40) + 1;
    const line = review(n, { reviewTime: `${String(Math.ceil(day / 28)).padStart(2, "0")} ${((day - 1) % 28) + 1}, 2017` });
    return n % 50 === 7 ? line.slice(0, 25) : line;
  }).concat([review(offset + 1)]);
}

async function freshLake(name: string): Promise<string> {
  const lakeDir = join(dir, name);
  const lake = await openLake(lakeDir, { memoryLimit: "512MB" });
  await ingestInputs(lake.paths, ir, inputs);
  await lake.close();
  return lakeDir;
}

async function completeRun(lakeDir: string): Promise<void> {
  const lake = await openLake(lakeDir, { memoryLimit: "512MB", threads: 2 });
  try {
    const s = await runFiles(lake, ir);
    expect(s.problems).toEqual([]);
  } finally {
    await lake.close();
  }
}

/** Spawns the child and SIGKILLs it `delayMs` after `marker` appears on its stdout. */
function killAt(lakeDir: string, marker: string, delayMs: number): Promise<{ killed: boolean; seen: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, lakeDir, "pipelines/reviews.yaml"], { stdio: ["ignore", "pipe", "pipe"] });
    const seen: string[] = [];
    let armed = false;
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      for (const line of d.toString().split("\n").filter(Boolean)) {
        seen.push(line);
        if (!armed && line.startsWith(marker)) {
          armed = true;
          setTimeout(() => child.kill("SIGKILL"), delayMs);
        }
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve({ killed: true, seen });
      else if (code === 0) resolve({ killed: false, seen });
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

beforeAll(async () => {
  await mkdir(join("node_modules", ".cache", "lakec-engine-test"), { recursive: true });
  await build({ entryPoints: ["test/engine-kill-child.ts"], bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", outfile: CHILD, logLevel: "error" });
  dir = await tempDir("kill");
  inputs = [await writeLines(join(dir, "a.jsonl"), fileLines(0)), await writeLines(join(dir, "b.jsonl"), fileLines(1000))];
  const refLake = await freshLake("reference");
  await completeRun(refLake);
  reference = await lakeSnapshot(refLake, ir);
}, 60_000);

afterAll(async () => {
  await rm(CHILD, { force: true });
});

const jitter = (max: number): number => Math.floor(Math.random() * max);

describe("SIGKILL at any point, then rerun", () => {
  it.each([
    ["while cleaning the first file", "start reviews/a.jsonl", jitter(150)],
    ["while the second file is written", "done reviews/a.jsonl", 100 + jitter(300)],
    ["while the warehouse is built", "warehouse", jitter(120)],
  ])("%s ends in the uninterrupted state", async (_name, marker, delay) => {
    const lakeDir = await freshLake(`killed-${marker.replace(/\W+/g, "-")}-${delay}`);
    const { killed, seen } = await killAt(lakeDir, marker, delay);
    expect(killed, `child finished before the kill (saw: ${seen.join(", ")})`).toBe(true);
    await completeRun(lakeDir);
    expect(await lakeSnapshot(lakeDir, ir)).toEqual(reference);
    const [r] = await warehouseRows(lakeDir, "SELECT count(*) AS n, count(DISTINCT review_id) AS d FROM product_reviews");
    expect(r!.n).toBe(r!.d);
  }, 30_000);
});
