// Shared by the engine tests: the reference pipeline (optionally edited), small hand-written
// review lines, and ways to snapshot a lake's outputs for equality checks.
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { main } from "../../cli/main.js";
import { compilePipeline } from "../../compiler/index.js";
import type { PipelineIR } from "../../compiler/ir.js";
import { ingestInputs, openLake, runFiles, type RunSummary } from "../../engine/index.js";

export function reviewsIr(edit: (yaml: string) => string = (y) => y): PipelineIR {
  const text = edit(readFileSync("pipelines/reviews.yaml", "utf8"));
  const r = compilePipeline("pipelines/reviews.yaml", text);
  if (!r.ir) throw new Error(`reviews.yaml does not compile: ${JSON.stringify(r.diagnostics)}`);
  return r.ir;
}

export function review(i: number, over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    overall: (i % 5) + 1,
    verified: i % 2 === 0,
    reviewTime: `09 ${(i % 3) + 1}, 2016`,
    reviewerID: `R${i}`,
    asin: `B${i % 4}`,
    reviewerName: i % 3 === 0 ? "Amazon Customer" : ` Name ${i} `,
    summary: ` Summary ${i} `,
    reviewText: `Text ${i}`,
    unixReviewTime: 1472688000 + i,
    vote: i % 2 === 0 ? "1,234" : "7",
    style: { "Size:": ` ${i} oz` },
    ...(i % 4 === 0 && { image: [`http://img/${i}/a`, `http://img/${i}/b`] }),
    ...over,
  });
}

/** `n` reviews from id `offset`, dated over `days` days of 2017 (one partition each), ratings 1–5. */
export function reviewsOverDays(offset: number, n: number, days: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const k = offset + i;
    const day = (k % days) + 1;
    return review(k, { reviewTime: `${String(Math.ceil(day / 28)).padStart(2, "0")} ${((day - 1) % 28) + 1}, 2017` });
  });
}

/** 20 good records, 1 exact duplicate, 1 key duplicate, and one record of each invalid reason. */
export const MIXED_LINES: readonly string[] = [
  ...Array.from({ length: 20 }, (_, i) => review(i)),
  review(3),
  review(5, { summary: "same key, other text" }),
  review(100, { overall: 9 }),
  review(101, { overall: "abc" }),
  review(102, { reviewerID: null }),
  '{"overall": 5.0, "reviewerID": "X"',
  "[1, 2]",
  "",
];

const created: string[] = [];

/** A fresh folder under the OS temp dir; removeTempDirs() (in afterAll) deletes them all. */
export async function tempDir(tag: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `lakec-${tag}-`));
  created.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  for (const d of created.splice(0)) await rm(d, { recursive: true, force: true });
}

export async function writeLines(file: string, lines: readonly string[], trailingNewline = true): Promise<string> {
  await writeFile(file, lines.join("\n") + (trailingNewline ? "\n" : ""));
  return file;
}

/** Every file under a folder, relative, sorted (the processed/ and quarantine/ layout). */
export async function listing(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** A table's rows read straight from the Parquet files, sorted, as JSON text (no warehouse involved). */
export async function parquetRows(lakeDir: string, table: string, orderBy: string): Promise<string> {
  const files = (await listing(join(lakeDir, "processed", table))).filter((f) => f.endsWith(".parquet"));
  if (files.length === 0) return "[]";
  const inst = await DuckDBInstance.create(":memory:");
  const conn = await inst.connect();
  try {
    const glob = `${join(lakeDir, "processed", table)}/**/*.parquet`;
    // Arrivals as their rank: an interrupted execution may skip a counter value (docs/language.md,
    // "Arrival order"), which changes no order and so no result.
    const rows = `SELECT * FROM read_parquet('${glob}', hive_partitioning = true, hive_types = {'_input': VARCHAR})`;
    const r = await conn.runAndReadAll(
      `SELECT * REPLACE (dense_rank() OVER (ORDER BY _arrival_seq) AS _arrival_seq) FROM (${rows}) ORDER BY ${orderBy}`,
    );
    return JSON.stringify(r.getRowObjectsJson());
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

/** Everything a run leaves that must be deterministic: file listing, table rows, quarantine text. */
export async function lakeSnapshot(lakeDir: string, ir: PipelineIR): Promise<Record<string, string | string[]>> {
  const snap: Record<string, string | string[]> = {
    processed: await listing(join(lakeDir, "processed")),
    quarantine: await listing(join(lakeDir, "quarantine")),
  };
  for (const t of ir.tables) snap[t.name] = await parquetRows(lakeDir, t.name, t.rowKey.join(", "));
  for (const f of snap.quarantine as string[]) snap[`q:${f}`] = await readFile(join(lakeDir, "quarantine", f), "utf8");
  return snap;
}

export async function warehouseRows(lakeDir: string, sql: string): Promise<Record<string, unknown>[]> {
  const inst = await DuckDBInstance.create(join(lakeDir, "warehouse.duckdb"), { access_mode: "READ_ONLY" });
  const conn = await inst.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

/** `lakec …` in-process, run in `cwd`: its exit code and what it printed. */
export async function lakecIn(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t), cwd });
  return { code, out, err };
}

/** `lakec …` in-process, in the repository folder. */
export const lakec = (...argv: string[]): Promise<{ code: number; out: string; err: string }> => lakecIn(process.cwd(), ...argv);

/** Opens the lake, copies `inputs` into raw/, runs every raw file and the warehouse, closes. */
export async function runLake(lakeDir: string, ir: PipelineIR, inputs: readonly string[] = [], memoryLimit = "512MB"): Promise<RunSummary> {
  const lake = await openLake(lakeDir, { memoryLimit, threads: 2 });
  try {
    await ingestInputs(lake.paths, ir, inputs);
    return await runFiles(lake, ir);
  } finally {
    await lake.close();
  }
}

/** Writes one raw file (`name`, `bytes`) of `source` into a fresh lake and runs the pipeline over it. */
export async function runOneFile(
  ir: PipelineIR,
  source: string,
  name: string,
  bytes: Buffer | string,
  tag = "one-file",
): Promise<{ lakeDir: string; summary: RunSummary }> {
  const lakeDir = await tempDir(tag);
  const file = join(lakeDir, name);
  await writeFile(file, bytes);
  const lake = await openLake(lakeDir, { threads: 2, memoryLimit: "1GB" });
  try {
    await ingestInputs(lake.paths, ir, [file], { source });
    return { lakeDir, summary: await runFiles(lake, ir) };
  } finally {
    await lake.close();
  }
}
