// No data lost, none doubled: a run killed with SIGKILL at chosen and random points, then run
// again, ends in exactly the state of an uninterrupted run (listing, rows, quarantine).
// Markers on the child's stdout place each kill inside a phase; the delay within it is random.
import { spawn } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestInputs, openLake, runFiles } from "../../engine/index.js";
import { lakeSnapshot, review, reviewsIr, tempDir, warehouseRows, writeLines, removeTempDirs } from "../support/engine-fixtures.js";

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

/**
 * Spawns the child and SIGKILLs it `delayMs` after `marker` appears on its stdout (never, for
 * marker ""). Also returns when each marker line was seen, in ms since the spawn.
 */
function killAt(
  lakeDir: string,
  marker: string,
  delayMs: number,
): Promise<{ killed: boolean; seen: string[]; at: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [CHILD, lakeDir, "pipelines/reviews.yaml"], { stdio: ["ignore", "pipe", "pipe"] });
    const seen: string[] = [];
    const at: Record<string, number> = {};
    let armed = false;
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      for (const line of d.toString().split("\n").filter(Boolean)) {
        seen.push(line);
        at[line] = performance.now() - t0;
        if (!armed && marker !== "" && line.startsWith(marker)) {
          armed = true;
          setTimeout(() => child.kill("SIGKILL"), delayMs);
        }
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve({ killed: true, seen, at });
      else if (code === 0) resolve({ killed: false, seen, at });
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

beforeAll(async () => {
  await mkdir(join("node_modules", ".cache", "lakec-engine-test"), { recursive: true });
  await build({
    entryPoints: ["test/support/engine-kill-child.ts"],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outfile: CHILD,
    logLevel: "error",
  });
  dir = await tempDir("kill");
  inputs = [await writeLines(join(dir, "a.jsonl"), fileLines(0)), await writeLines(join(dir, "b.jsonl"), fileLines(1000))];
  const refLake = await freshLake("reference");
  await completeRun(refLake);
  reference = await lakeSnapshot(refLake, ir);
  // How long each phase takes on this machine, from an uninterrupted run of the child: kill
  // delays are drawn inside the phase, however fast or slow the engine is.
  timeline = (await killAt(await freshLake("timeline"), "", 0)).at;
}, 60_000);

afterAll(async () => {
  await rm(CHILD, { force: true });
});

let timeline: Record<string, number>;

describe("SIGKILL at any point, then rerun", () => {
  it.each([
    ["while cleaning the first file", "start reviews/a.jsonl", "done reviews/a.jsonl"],
    ["while the second file is written", "done reviews/a.jsonl", "done reviews/b.jsonl"],
    ["while the warehouse is built", "warehouse", "finished"],
  ])(
    "%s ends in the uninterrupted state",
    async (_name, marker, until) => {
      const phaseMs = timeline[until]! - timeline[marker]!;
      // A random point inside the phase; when this run outpaced the measured one and the kill
      // landed after the phase ended, again with the delay halved.
      let delay = Math.floor(Math.random() * phaseMs * 0.8);
      for (let attempt = 1; ; attempt++, delay = Math.floor(delay / 2)) {
        const lakeDir = await freshLake(`killed-${marker.replace(/\W+/g, "-")}-${attempt}`);
        const { killed, seen } = await killAt(lakeDir, marker, delay);
        const inPhase = killed && !seen.includes(until);
        if (!inPhase && attempt < 6) continue;
        expect(
          inPhase,
          `no kill inside the phase: ${delay} ms after "${marker}" (phase measured at ${Math.round(phaseMs)} ms; saw: ${seen.join(", ")})`,
        ).toBe(true);
        await completeRun(lakeDir);
        expect(await lakeSnapshot(lakeDir, ir)).toEqual(reference);
        const [r] = await warehouseRows(lakeDir, "SELECT count(*) AS n, count(DISTINCT review_id) AS d FROM product_reviews");
        expect(r!.n).toBe(r!.d);
        return;
      }
    },
    60_000,
  );
});
