// Throughput benchmark: `lakec run` (the engine API) on the reference pipeline over one large
// synthetic export, then baseline (a), the hand-written DuckDB SQL, in the same process and on
// the same file. Peak RSS is read right after the engine run, before the baseline starts, so it
// is the engine's own (maxRSS only ever grows). Baseline (b), pandas, runs as its own process.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
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
  /** Parquet files under processed/, and the `_input=<h>` folders holding more than one. */
  readonly parquetFiles: number;
  readonly foldersWithSeveralFiles: number;
}

export interface ThroughputResult {
  /** The engine run with the median stages 1–2 time; its peakRssMb is the first run's (see below). */
  readonly engine: EngineThroughput;
  /** The baseline run with the median time. */
  readonly duckdb: BaselineResult;
  /** Every run's seconds, in the order they ran (engine and baseline alternate). */
  readonly engineSeconds: readonly number[];
  readonly duckdbSeconds: readonly number[];
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
    const layout = await parquetLayout(lake.paths.processed);
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
      ...layout,
    };
  } finally {
    await lake.close();
  }
}

/**
 * Counts the Parquet files and the output folders with more than one. One file per folder is
 * what the engine aims for; DuckDB's default open-file limit gave 20–31 folders two files at
 * this size and none in the test suite's smaller inputs, so the benchmark is where it shows.
 */
async function parquetLayout(processed: string): Promise<{ parquetFiles: number; foldersWithSeveralFiles: number }> {
  const perFolder = new Map<string, number>();
  for (const e of await readdir(processed, { recursive: true, withFileTypes: true })) {
    if (e.isFile() && e.name.endsWith(".parquet")) perFolder.set(e.parentPath, (perFolder.get(e.parentPath) ?? 0) + 1);
  }
  const counts = [...perFolder.values()];
  return { parquetFiles: counts.reduce((a, b) => a + b, 0), foldersWithSeveralFiles: counts.filter((x) => x > 1).length };
}

/**
 * Flushes dirty pages before a timed run. Without it the first run pays for writing back the
 * input just generated (490 MB) or the previous run's output while it creates its own
 * thousands of files: flatten times varied from 5.8 s to 7.9 s between identical runs.
 */
export function settleDisk(): void {
  spawnSync("sync", { stdio: "ignore" });
}

function median<T>(runs: readonly T[], seconds: (r: T) => number): T {
  return [...runs].sort((a, b) => seconds(a) - seconds(b))[Math.floor((runs.length - 1) / 2)]!;
}

/**
 * The engine and baseline (a) in this process, alternating `repeat` times, each run in a fresh
 * folder. One pair was not enough: on this VM's disk (ext4 without a journal, see
 * bench/RESULTS.md) the same run took 10.7 s or 13.2 s depending on what the file system was
 * still doing, and whichever ran first paid for it. The report uses each side's median.
 */
export async function benchThroughput(input: string, workDir: string, memoryLimit = "2GB", repeat = 1): Promise<ThroughputResult> {
  const engines: EngineThroughput[] = [];
  const baselines: BaselineResult[] = [];
  for (let i = 0; i < repeat; i++) {
    settleDisk();
    engines.push(await runEngineOnce(input, join(workDir, `lake-${i}`), memoryLimit));
    settleDisk();
    baselines.push(await runDuckdbBaseline(input, join(workDir, `duckdb-baseline-${i}`), 2, memoryLimit));
  }
  // maxRSS only grows: the first engine run's figure is the only one read before a baseline ran.
  const engine = { ...median(engines, (e) => (e.status === "processed" ? e.processSeconds : Infinity)), peakRssMb: engines[0]!.peakRssMb };
  return {
    engine,
    duckdb: median(baselines, (b) => b.seconds),
    engineSeconds: engines.map((e) => e.processSeconds),
    duckdbSeconds: baselines.map((b) => b.seconds),
  };
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
