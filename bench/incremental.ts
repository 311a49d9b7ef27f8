// Incremental benchmark: what one new 10,000-record file costs on lakes that already hold 0,
// 100k or 1M records: the whole job a user waits for (`runFiles` of that file: stages 1–5, the
// models incremental), and the `lakec dev` latency (file renamed into raw/ → marts updated).
// Goal: on the 1M lake at most 1.5× the time on the empty lake, and dev latency under 2 s.
//
//   npm run bench:incremental -- [--lakes 0,100000,1000000] [--repeat 3] [--keep] [--cache DIR] [--no-warmup]
//
// --cache DIR keeps each built lake in DIR/lake-N (built once, marked by DIR/lake-N.built) and
// copies it into the work folder for each measurement, so a rerun skips the lake build.
// Each lake first takes one untimed file (see measure); --no-warmup times that one too.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { PipelineDoc } from "../compiler/doc.js";
import { lower } from "../compiler/lower.js";
import { openLake, runFiles, type RunSummary } from "../engine/index.js";
import { generateAmazonReviews, writeAmazonReviews } from "../synthetic/amazon.js";
import { startDev, type DevEvent } from "../engine/index.js";

const PIPELINE = "pipelines/reviews.yaml";
const FILE_RECORDS = 10_000;
const LAKE_OPTIONS = { threads: 2, memoryLimit: "2GB" };

interface Point {
  readonly lakeRecords: number;
  /** Seconds to build the lake itself (not part of the measurement). */
  readonly buildSeconds: number;
  /** Each repeat's whole job for one new file, and its models stage, in ms. */
  readonly runMs: readonly number[];
  readonly modelsMs: readonly number[];
  readonly materialized: string;
  readonly devMs: readonly number[];
  /** From starting lakec dev to the end of its first pass over the files already in raw/. */
  readonly devStartMs: number;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Nightly exports: reviews dated within the three days before `day`, a fresh seed per file. */
function newFile(dir: string, name: string, seed: number, day: number): string {
  const date = (offset: number): string => new Date(Date.UTC(2018, 8, 1 + day + offset)).toISOString().slice(0, 10);
  const file = join(dir, name);
  writeFileSync(file, generateAmazonReviews({ seed, records: FILE_RECORDS, dateRange: [date(-2), date(0)] }));
  return file;
}

async function runOne(lakeDir: string, key: string): Promise<RunSummary> {
  const ir = lower(parse(readFileSync(PIPELINE, "utf8")) as PipelineDoc, PIPELINE);
  const lake = await openLake(lakeDir, LAKE_OPTIONS);
  try {
    return await runFiles(lake, ir, key === "" ? undefined : [key]);
  } finally {
    await lake.close();
  }
}

/**
 * Builds the lake of `records`: a lake whose build failed (before 2026-12-04 16:20, a 1M-record
 * file's flatten timed out under load) is an empty lake, and every figure measured on it is void.
 */
async function buildLake(lakeDir: string, records: number): Promise<void> {
  await writeAmazonReviews(join(lakeDir, "raw", "reviews", "history.jsonl"), { seed: 2018, records });
  const s = await runOne(lakeDir, "");
  if (!s.ok || s.files.some((f) => f.status !== "processed"))
    throw new Error(`building the ${records}-record lake failed: ${s.problems.join("; ")}`);
}

function waitForBatch(events: DevEvent[], key: string): Promise<void> {
  return new Promise((res, rej) => {
    const poll = (): void => {
      if (events.some((x) => x.kind === "batch" && x.rawKeys.includes(key))) return res();
      if (events.some((x) => x.kind === "batch-failed" && x.rawKeys.includes(key))) return rej(new Error(`dev batch failed for ${key}`));
      setTimeout(poll, 5);
    };
    poll();
  });
}

async function measure(work: string, lakeRecords: number, repeat: number, cache: string | undefined, warmup: boolean): Promise<Point> {
  const lakeDir = join(work, `lake-${lakeRecords}`);
  const raw = join(lakeDir, "raw", "reviews");
  let t0 = performance.now();
  const cached = cache === undefined ? undefined : join(cache, `lake-${lakeRecords}`);
  if (cached !== undefined && lakeRecords > 0) {
    if (!existsSync(`${cached}.built`)) {
      rmSync(cached, { recursive: true, force: true });
      mkdirSync(join(cached, "raw", "reviews"), { recursive: true });
      await buildLake(cached, lakeRecords);
      writeFileSync(`${cached}.built`, new Date().toISOString());
    }
    execFileSync("cp", ["-a", cached, lakeDir]);
    execFileSync("sync");
  } else {
    mkdirSync(raw, { recursive: true });
    if (lakeRecords > 0) {
      await buildLake(lakeDir, lakeRecords);
    }
  }
  const buildSeconds = (performance.now() - t0) / 1000;
  // One untimed file first. On a copied lake it re-creates the views (their globs name the lake's
  // folder: 1.7-2.1 s on the 1M lake), and on the empty lake it creates the warehouse: costs of
  // moving or starting a lake, paid once, that are not what one more file costs.
  if (warmup) {
    renameSync(newFile(work, "warm-up.jsonl", 8999, 9), join(raw, "warm-up.jsonl"));
    const s = await runOne(lakeDir, "reviews/warm-up.jsonl");
    if (!s.ok) throw new Error(`the warm-up run on the ${lakeRecords}-record lake failed: ${s.problems.join("; ")}`);
    process.stderr.write(`  ${lakeRecords}: warm-up run done (untimed)\n`);
  }
  const runMs: number[] = [];
  const modelsMs: number[] = [];
  let materialized = "";
  for (let i = 0; i < repeat; i++) {
    const name = `run-${i}.jsonl`;
    renameSync(newFile(work, name, 9000 + i, 10 + i), join(raw, name));
    t0 = performance.now();
    const s = await runOne(lakeDir, `reviews/${name}`);
    runMs.push(performance.now() - t0);
    const w = s.warehouse;
    process.stderr.write(
      `  ${lakeRecords}: run ${Math.round(runMs.at(-1)!)} ms = files ${Math.round(s.timingsMs.files)} + refresh ${Math.round(w.timingsMs.refresh)} + models ${Math.round(w.timingsMs.models)} [${w.models.map((m) => `${m.name} ${m.ms}`).join(", ")}] + tests ${Math.round(w.timingsMs.tests)}\n`,
    );
    modelsMs.push(s.warehouse.timingsMs.models);
    materialized = s.warehouse.models.find((m) => m.name === "product_daily_ratings")?.materialized ?? "";
    if (!s.ok) throw new Error(`run on the ${lakeRecords}-record lake failed: ${s.problems.join("; ")}`);
  }
  const events: DevEvent[] = [];
  t0 = performance.now();
  const dev = await startDev({ pipelineFile: PIPELINE, lakeDir, lakeOptions: LAKE_OPTIONS, onEvent: (e) => events.push(e) });
  const devMs: number[] = [];
  let devStartMs = 0;
  try {
    // lakec dev first passes over every raw file already there (checks them, builds, lists every
    // partition for compaction). A user drops files after that; a drop during it waits for it.
    // Timed apart, so the drops measure what one more file costs.
    await waitForBatch(events, "reviews/run-0.jsonl");
    devStartMs = performance.now() - t0;
    process.stderr.write(`  ${lakeRecords}: dev start-up pass ${Math.round(devStartMs)} ms\n`);
    for (let i = 0; i < repeat; i++) {
      const name = `dev-${i}.jsonl`;
      const staged = newFile(work, name, 9500 + i, 20 + i);
      t0 = performance.now();
      renameSync(staged, join(raw, name));
      await waitForBatch(events, `reviews/${name}`);
      devMs.push(performance.now() - t0);
      const batch = events.find(
        (x): x is Extract<DevEvent, { kind: "batch" }> => x.kind === "batch" && x.rawKeys.includes(`reviews/${name}`),
      )!;
      const r = batch.report.result as RunSummary;
      process.stderr.write(
        `  ${lakeRecords}: dev ${Math.round(devMs.at(-1)!)} ms, batch of ${batch.rawKeys.length} file(s) ${Math.round(batch.ms)} ms = files ${Math.round(r.timingsMs.files)} + warehouse ${Math.round(r.timingsMs.warehouse)} (refresh ${Math.round(r.warehouse.timingsMs.refresh)}, models ${Math.round(r.warehouse.timingsMs.models)}, tests ${Math.round(r.warehouse.timingsMs.tests)})\n`,
      );
    }
  } finally {
    await dev.close();
  }
  return { lakeRecords, buildSeconds, runMs, modelsMs, materialized, devMs, devStartMs };
}

function report(points: readonly Point[]): string {
  const base = points.find((p) => p.lakeRecords === 0);
  const rows = points.map((p) => {
    const ratio = base ? `${(median(p.runMs) / median(base.runMs)).toFixed(2)}×` : "";
    const list = (xs: readonly number[]): string => xs.map((x) => (x / 1000).toFixed(2)).join(", ");
    return `| ${p.lakeRecords.toLocaleString("en")} | ${(median(p.runMs) / 1000).toFixed(2)} (${list(p.runMs)}) | ${ratio} | ${(median(p.modelsMs) / 1000).toFixed(2)} | ${p.materialized} | ${(median(p.devMs) / 1000).toFixed(2)} (${list(p.devMs)}) | ${(p.devStartMs / 1000).toFixed(2)} |`;
  });
  return [
    `| records already in the lake | new 10,000-record file: whole run, s (median; all) | vs empty lake | models stage, s | product_daily_ratings ran | lakec dev latency, s (median; all) | dev start-up pass, s |`,
    "|---:|---:|---:|---:|---|---:|---:|",
    ...rows,
  ].join("\n");
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const lakes = (arg("--lakes") ?? "0,100000,1000000").split(",").map(Number);
  const repeat = Number(arg("--repeat") ?? "3");
  const cache = arg("--cache");
  const work = mkdtempSync(join(tmpdir(), "lakec-bench-incremental-"));
  try {
    const points: Point[] = [];
    for (const n of lakes) {
      points.push(await measure(work, n, repeat, cache, !argv.includes("--no-warmup")));
      process.stderr.write(`lake of ${n} records: done (built in ${points.at(-1)!.buildSeconds.toFixed(1)} s)\n`);
    }
    process.stdout.write(`${report(points)}\n`);
  } finally {
    if (!argv.includes("--keep")) rmSync(work, { recursive: true, force: true });
  }
}

await main();
