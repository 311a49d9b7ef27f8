// Throughput benchmark: `lakec run` (the engine API) on the reference pipeline over one large
// synthetic export, then baseline (a), the hand-written DuckDB SQL, in the same process and on
// the same file. Peak RSS is read right after the engine run, before the baseline starts, so it
// is the engine's own (maxRSS only ever grows). Baseline (b), pandas, runs as its own process.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compilePipeline } from "../compiler/index.js";
import { ingestInputs, openLake, runFiles } from "../engine/index.js";
import { runDuckdbBaseline, type BaselineResult } from "./baseline-duckdb.js";

export interface EngineThroughput {
  readonly records: number;
  readonly clean: number;
  readonly invalid: number;
  readonly duplicates: number;
  readonly reconciled: boolean;
  readonly status: string;
  readonly reason?: string;
  /** Stages 1–2 (clean, dedupe, flatten, Parquet): the work the baselines also do. */
  readonly processSeconds: number;
  /** Stages 3–5 (views, dbt models, dbt tests), which the baselines do not do. */
  readonly warehouseSeconds: number;
  readonly peakRssMb: number;
  readonly testsFailed: number;
}

export interface ThroughputResult {
  readonly engine: EngineThroughput;
  readonly duckdb: BaselineResult;
}

export interface PandasResult {
  readonly records: number;
  readonly clean: number;
  readonly invalid: number;
  readonly duplicates: number;
  readonly image_rows: number;
  readonly seconds: number;
  readonly peak_rss_mb: number;
}

const PIPELINE = "pipelines/reviews.yaml";

async function runEngineOnce(input: string, lakeDir: string, memoryLimit: string): Promise<EngineThroughput> {
  const r = compilePipeline(PIPELINE, readFileSync(PIPELINE, "utf8"));
  if (!r.ir) throw new Error(`${PIPELINE} does not compile`);
  const lake = await openLake(lakeDir, { threads: 2, memoryLimit });
  try {
    // A hard link: getting the file into raw/ is an upload, not part of processing.
    await ingestInputs(lake.paths, r.ir, [input], { source: "product_reviews", link: true });
    const s = await runFiles(lake, r.ir);
    const f = s.files[0]!;
    const c = f.counts;
    return {
      records: c?.recordsIn ?? 0,
      clean: c?.clean ?? 0,
      invalid: c?.invalid ?? 0,
      duplicates: c?.duplicates ?? 0,
      reconciled: f.reconciled,
      status: f.status,
      ...(f.reason !== undefined && { reason: f.reason }),
      processSeconds: s.timingsMs.files / 1000,
      warehouseSeconds: s.timingsMs.warehouse / 1000,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      testsFailed: s.warehouse.tests.filter((t) => t.failures > 0 && t.severity === "error").length,
    };
  } finally {
    await lake.close();
  }
}

/**
 * Flushes dirty pages before a timed run. Without it the first run pays for writing back the
 * input just generated (490 MB) or the previous run's output while it creates its own
 * thousands of files: flatten times varied from 5.8 s to 7.9 s between identical runs.
 */
export function settleDisk(): void {
  spawnSync("sync", { stdio: "ignore" });
}

/** The engine, then baseline (a), in this process. */
export async function benchThroughput(input: string, workDir: string, memoryLimit = "2GB"): Promise<ThroughputResult> {
  settleDisk();
  const engine = await runEngineOnce(input, join(workDir, "lake"), memoryLimit);
  settleDisk();
  const duckdb = await runDuckdbBaseline(input, join(workDir, "duckdb-baseline"), 2, memoryLimit);
  return { engine, duckdb };
}

/** Baseline (b): bench/baseline_pandas.py under Debian's python3 (which has python3-pandas). */
export function benchPandas(input: string, outDir: string, python = "/usr/bin/python3"): Promise<PandasResult> {
  settleDisk();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(python, ["bench/baseline_pandas.py", input, outDir], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`pandas baseline exited with ${code}: ${err.trim().split("\n").slice(-3).join(" | ")}`));
      resolvePromise(JSON.parse(out.trim().split("\n").pop()!) as PandasResult);
    });
  });
}
