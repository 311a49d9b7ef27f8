// Compaction benchmark (issue 16, goal 3): files per partition and the time of what reads them
// (the external-table views, then every dbt staging model and mart rebuilt in full from
// processed/), after N daily exports, on a lake as it is and on a copy compacted by
// `compactLake`. The two lakes are measured alternately in this process; medians, every run
// listed, and the machine's load when it started and ended.
//
//   npm run bench:compaction -- [--exports 10] [--records 20000] [--repeat 3] [--keep]
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { compilePipeline } from "../compiler/index.js";
import { compactLake, ingestInputs, openLake, refreshWarehouse, runFiles, type CompactionReport } from "../engine/index.js";
import { generateAmazonReviews } from "../synthetic/amazon.js";

const PIPELINE = "pipelines/reviews.yaml";
const LAKE_OPTIONS = { threads: 2, memoryLimit: "2GB" };

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Parquet files per partition folder of a table, as on disk. */
function partitionFiles(lakeDir: string, table: string): { files: number; partitions: number; max: number } {
  const root = join(lakeDir, "processed", table);
  const per = new Map<string, number>();
  for (const e of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !e.name.endsWith(".parquet")) continue;
    const part = relative(root, e.parentPath).split("/").slice(0, -1).join("/");
    per.set(part, (per.get(part) ?? 0) + 1);
  }
  const counts = [...per.values()];
  return { files: counts.reduce((a, b) => a + b, 0), partitions: counts.length, max: Math.max(...counts) };
}

/** The views and every model rebuilt in full: what reads processed/ for the marts. */
async function readAll(
  lakeDir: string,
  ir: NonNullable<ReturnType<typeof compilePipeline>["ir"]>,
): Promise<{ ms: number; refreshMs: number; modelsMs: number; rows: number }> {
  const lake = await openLake(lakeDir, LAKE_OPTIONS);
  try {
    const t0 = performance.now();
    const w = await refreshWarehouse(lake, ir, { fullRefresh: true });
    return {
      ms: performance.now() - t0,
      refreshMs: w.timingsMs.refresh,
      modelsMs: w.timingsMs.models,
      rows: w.models.reduce((a, m) => a + m.rows, 0),
    };
  } finally {
    await lake.close();
  }
}

async function main(): Promise<void> {
  const exports = arg("exports", 10);
  const records = arg("records", 20_000);
  const repeat = arg("repeat", 3);
  const keep = process.argv.includes("--keep");
  const load = [loadavg()[0]!];
  const ir = compilePipeline(PIPELINE, readFileSync(PIPELINE, "utf8")).ir!;
  const dir = mkdtempSync(join(tmpdir(), "lakec-bench-compaction-"));
  try {
    const plain = join(dir, "plain");
    const t0 = performance.now();
    for (let d = 0; d < exports; d++) {
      const file = join(dir, `export-${d}.jsonl`);
      writeFileSync(file, generateAmazonReviews({ seed: 1000 + d, records }));
      const lake = await openLake(plain, LAKE_OPTIONS);
      try {
        await ingestInputs(lake.paths, ir, [file]);
        const s = await runFiles(lake, ir);
        if (!s.ok) throw new Error(`export ${d}: ${s.problems.join("; ")}`);
      } finally {
        await lake.close();
      }
    }
    const buildSeconds = (performance.now() - t0) / 1000;
    const compacted = join(dir, "compacted");
    cpSync(plain, compacted, { recursive: true });
    let report: CompactionReport;
    {
      const lake = await openLake(compacted, LAKE_OPTIONS);
      try {
        report = await compactLake(lake, ir);
      } finally {
        await lake.close();
      }
      // The next open removes the superseded files: the layout readers are left with.
      await (await openLake(compacted, LAKE_OPTIONS)).close();
    }
    const runs: Record<"plain" | "compacted", { ms: number; refreshMs: number; modelsMs: number; rows: number }[]> = {
      plain: [],
      compacted: [],
    };
    for (let i = 0; i < repeat; i++) {
      runs.plain.push(await readAll(plain, ir));
      runs.compacted.push(await readAll(compacted, ir));
    }
    load.push(loadavg()[0]!);
    if (runs.plain.some((r, i) => r.rows !== runs.compacted[i]!.rows))
      throw new Error("the compacted lake's models hold other row counts: the comparison is void");
    const lines: string[] = [];
    lines.push(
      `### Compaction: ${exports} daily exports of ${records.toLocaleString("en-US")} synthetic reviews (lake built in ${buildSeconds.toFixed(1)} s), 1-minute load ${load.map((l) => l.toFixed(2)).join(" → ")} on ${cpus().length} cores`,
    );
    lines.push("");
    lines.push(
      "| table | files before | partitions | max files/partition before | files after | max after | rows kept | dead rows dropped | compaction s |",
    );
    lines.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const t of report.tables) {
      const after = partitionFiles(compacted, t.table);
      lines.push(
        `| ${t.table} | ${t.filesBefore.toLocaleString("en-US")} | ${t.partitions.toLocaleString("en-US")} | ${t.maxFilesPerPartitionBefore} | ${after.files.toLocaleString("en-US")} | ${after.max} | ${t.rowsKept.toLocaleString("en-US")} | ${t.deadRowsDropped} | ${(report.ms / 1000).toFixed(2)} |`,
      );
    }
    lines.push("");
    lines.push(
      "Reading the marts' inputs: views refreshed, then every staging model and mart rebuilt in full (`refreshWarehouse --full-refresh`), alternating the two lakes:",
    );
    lines.push("");
    lines.push("| lake | median s | refresh (views) s | models s | every run, s |");
    lines.push("|---|---:|---:|---:|---|");
    for (const k of ["plain", "compacted"] as const) {
      const r = runs[k];
      lines.push(
        `| ${k} | ${(median(r.map((x) => x.ms)) / 1000).toFixed(2)} | ${(median(r.map((x) => x.refreshMs)) / 1000).toFixed(2)} | ${(median(r.map((x) => x.modelsMs)) / 1000).toFixed(2)} | ${r.map((x) => (x.ms / 1000).toFixed(2)).join(", ")} |`,
      );
    }
    const ratio = median(runs.plain.map((x) => x.ms)) / median(runs.compacted.map((x) => x.ms));
    lines.push("");
    lines.push(`The compacted lake is read ${ratio.toFixed(2)}× as fast; every model holds the same row count in both.`);
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    if (keep) process.stdout.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
