// The whole job a user waits for (issue 16): `lakec run` as a process, from spawn to exit, on
// one large export into an empty lake, against the hand-written DuckDB script that does the
// same cleaning, dedupe, Parquet and quarantine plus the reference pipeline's three marts, also
// as a process. They alternate `repeat` times, each in a fresh folder; each side's peak RSS comes
// from bench/rss-hook.ts. Both must agree on every count and on the marts' row counts, or the
// comparison is void (reported, not hidden).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BaselineResult } from "./baseline-duckdb.js";
import { settleDisk } from "./throughput.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const ROOT = join(here, "..", "..");

interface Measured<T> {
  readonly seconds: number;
  readonly peakRssMb: number;
  /** CPU time of the process, user and system, all threads: the work done, whatever the cores. */
  readonly cpuSeconds: number;
  readonly result: T;
}

/** What the whole-run table needs from `lakec run --json`. */
export interface LakecRun {
  readonly counts: { recordsIn: number; clean: number; invalid: number; duplicates: number };
  readonly reconciled: boolean;
  readonly ok: boolean;
  /** Stage times inside the process: files = stages 1–2; refresh, models, tests = stages 3–5. */
  readonly stagesMs: { files: number; refresh: number; models: number; tests: number };
  readonly martRows: Readonly<Record<string, number>>;
}

export interface WholeRunResult {
  readonly lakec: readonly Measured<LakecRun>[];
  readonly baseline: readonly Measured<BaselineResult>[];
  /** The same script writing also the staging tables lakec keeps for incremental runs (not a goal's baseline). */
  readonly stateful: readonly Measured<BaselineResult>[];
  /** Empty when both sides agree on records in, clean, invalid, duplicates and mart rows. */
  readonly disagreements: readonly string[];
}

function measure(args: readonly string[]): Promise<Measured<string>> {
  return new Promise((resolvePromise, reject) => {
    const hook = pathToFileURL(join(here, "rss-hook.js")).href;
    const t0 = performance.now();
    const p = spawn(process.execPath, ["--import", hook, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let rss = "";
    p.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    (p.stdio[3] as NodeJS.ReadableStream).on("data", (d: Buffer) => (rss += d.toString()));
    p.on("error", reject);
    p.on("close", (code) => {
      const seconds = (performance.now() - t0) / 1000;
      if (code !== 0)
        return reject(new Error(`${args.slice(0, 2).join(" ")} exited with ${code}: ${err.trim().split("\n").slice(-3).join(" | ")}`));
      const usage = rss ? (JSON.parse(rss.trim().split("\n").pop()!) as { maxRssKb: number; cpuUs: number }) : undefined;
      resolvePromise({ seconds, peakRssMb: usage ? usage.maxRssKb / 1024 : NaN, cpuSeconds: usage ? usage.cpuUs / 1e6 : NaN, result: out });
    });
  });
}

interface RunJson {
  ok: boolean;
  result: {
    files: { counts?: LakecRun["counts"]; reconciled: boolean }[];
    timingsMs: { files: number };
    warehouse: { timingsMs: { refresh: number; models: number; tests: number }; models: { name: string; rows: number }[] };
  };
}

const MARTS = ["product_daily_ratings", "reviewer_activity", "product_image_counts"];

async function runLakec(input: string, lakeDir: string, memoryLimit: string): Promise<Measured<LakecRun>> {
  const m = await measure([
    join(ROOT, "bin/lakec.js"),
    "run",
    "pipelines/reviews.yaml",
    "--lake",
    lakeDir,
    "--input",
    input,
    "--link",
    "--source",
    "product_reviews",
    "--memory-limit",
    memoryLimit,
    "--threads",
    "2",
    "--json",
  ]);
  const doc = JSON.parse(m.result) as RunJson;
  const f = doc.result.files[0]!;
  const w = doc.result.warehouse;
  return {
    ...m,
    result: {
      counts: f.counts!,
      reconciled: f.reconciled,
      ok: doc.ok,
      stagesMs: { files: doc.result.timingsMs.files, ...w.timingsMs },
      martRows: Object.fromEntries(w.models.filter((x) => MARTS.includes(x.name)).map((x) => [x.name, x.rows])),
    },
  };
}

async function runBaseline(input: string, outDir: string, memoryLimit: string, keepState = false): Promise<Measured<BaselineResult>> {
  const m = await measure([join(here, "baseline-script.js"), input, outDir, memoryLimit, "2", ...(keepState ? ["keep-state"] : [])]);
  return { ...m, result: JSON.parse(m.result.trim().split("\n").pop()!) as BaselineResult };
}

function disagreements(l: LakecRun, b: BaselineResult): string[] {
  const pairs: [string, number, number | undefined][] = [
    ["records in", l.counts.recordsIn, b.records],
    ["clean", l.counts.clean, b.clean],
    ["invalid", l.counts.invalid, b.invalid],
    ["duplicates", l.counts.duplicates, b.duplicates],
    ...MARTS.map((name): [string, number, number | undefined] => [`${name} rows`, l.martRows[name] ?? NaN, b.martRows?.[name]]),
  ];
  return pairs.filter(([, x, y]) => x !== y).map(([what, x, y]) => `${what}: lakec ${x}, script ${String(y)}`);
}

export async function benchWholeRun(input: string, workDir: string, memoryLimit = "2GB", repeat = 3): Promise<WholeRunResult> {
  const lakec: Measured<LakecRun>[] = [];
  const baseline: Measured<BaselineResult>[] = [];
  const stateful: Measured<BaselineResult>[] = [];
  for (let i = 0; i < repeat; i++) {
    settleDisk();
    lakec.push(await runLakec(input, join(workDir, `lake-${i}`), memoryLimit));
    settleDisk();
    baseline.push(await runBaseline(input, join(workDir, `script-${i}`), memoryLimit));
    settleDisk();
    stateful.push(await runBaseline(input, join(workDir, `stateful-${i}`), memoryLimit, true));
  }
  const problems = new Set<string>();
  for (const l of lakec) {
    if (!l.result.ok || !l.result.reconciled) problems.add("lakec run did not end ok and reconciled");
    for (const p of disagreements(l.result, baseline[0]!.result)) problems.add(p);
    for (const p of disagreements(l.result, stateful[0]!.result)) problems.add(`keeping state: ${p}`);
  }
  return { lakec, baseline, stateful, disagreements: [...problems] };
}
