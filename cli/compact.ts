// lakec compact FILE [--lake DIR] [--table T...] [--above N]: small files under control.
import { resolve } from "node:path";
import type { Command } from "commander";
import { didYouMean, hasErrors } from "../compiler/diagnostics.js";
import { compactLake, openLake, type CompactionReport, type TableCompactionReport } from "../engine/index.js";
import { DEFAULT_LAKE, UsageError, type CliContext } from "./context.js";
import { addFormatOptions, formatOf, printJson, type FormatFlags } from "./json-output.js";
import { loadPipeline, reportDiagnostics } from "./pipeline-files.js";
import { lakeOptions } from "./run.js";

const HELP = `
Rewrites each partition's small Parquet files (one per raw file that touched it, see
docs/local-engine.md) into one file per partition, like OPTIMIZE in Delta or Iceberg's
rewrite_data_files. Every row keeps its raw file: reprocessing a raw file later still replaces
exactly its rows. Only files the last warehouse build merged are packed; files processed since
keep their own folders until the next build. Readers see the lake before or after, never a mix;
the superseded files are removed when the lake is next opened (run, dev or compact).
lakec dev compacts by itself when a partition holds more than --compact-above files.

Examples:
  $ lakec compact pipelines/reviews.yaml
  $ lakec compact pipelines/reviews.yaml --table product_reviews --lake /tmp/lake
  $ lakec compact pipelines/reviews.yaml --above 8 --json

Exit codes: 0 ok (also when there was nothing to do); 1 the pipeline has errors or the lake is
in use; 2 usage error.`;

interface CompactCliOptions extends FormatFlags {
  lake: string;
  table?: string[];
  above?: string;
  memoryLimit: string;
  threads?: string;
}

const n = (x: number): string => x.toLocaleString("en-US");

function describeTable(r: TableCompactionReport): string {
  const before = `${n(r.filesBefore)} files in ${n(r.partitions)} partitions (at most ${n(r.maxFilesPerPartitionBefore)} per partition)`;
  if (r.skipped !== undefined) return `${r.table}: ${before}; nothing to do: ${r.skipped}\n`;
  const after = `${n(r.filesAfter)} files (at most ${n(r.maxFilesPerPartitionAfter)} per partition)`;
  const left = r.notYetMerged > 0 ? `; ${n(r.notYetMerged)} raw file(s) not merged by a warehouse build yet keep their folders` : "";
  return `${r.table}: ${before} → ${after}; ${n(r.partitionsRewritten)} partitions rewritten, ${n(r.inputsAbsorbed)} raw files packed, ${n(r.rowsKept)} rows kept, ${n(r.deadRowsDropped)} dead rows dropped${left}\n`;
}

/** The text `lakec compact` prints; `lakec dev` prints the same after an automatic compaction. */
export function formatCompaction(r: CompactionReport): string {
  const lines = r.tables.map(describeTable).join("");
  const did = r.tables.some((t) => t.skipped === undefined);
  return `${lines}${did ? `compacted in ${(r.ms / 1000).toFixed(2)}s; superseded files are removed when the lake is next opened\n` : ""}`;
}

async function compact(ctx: CliContext, file: string, opts: CompactCliOptions): Promise<void> {
  const json = formatOf(opts) === "json";
  const loaded = loadPipeline(ctx.io.cwd, file);
  const diagnostics = reportDiagnostics(ctx.io, [loaded], formatOf(opts));
  if (hasErrors(loaded.diagnostics) || !loaded.ir) {
    if (json) printJson(ctx, { command: "compact", ok: false, diagnostics });
    return ctx.exit(1);
  }
  const ir = loaded.ir;
  const known = ir.tables.map((t) => t.name);
  for (const t of opts.table ?? [])
    if (!known.includes(t))
      throw new UsageError(`--table ${t}: no such table; ${didYouMean(t, known) ?? `the pipeline has: ${known.join(", ")}`}`);
  const above = opts.above === undefined ? undefined : Number(opts.above);
  if (above !== undefined && (!Number.isInteger(above) || above < 1))
    throw new UsageError(`--above ${opts.above}: expected a whole number of files, at least 1`);
  const lake = await openLake(resolve(ctx.io.cwd, opts.lake), lakeOptions(opts));
  try {
    const report = await compactLake(lake, ir, { ...(opts.table && { tables: opts.table }), ...(above !== undefined && { above }) });
    if (json) printJson(ctx, { command: "compact", ok: true, diagnostics, result: report });
    else ctx.io.out(formatCompaction(report));
  } finally {
    await lake.close();
  }
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("compact")
    .description("rewrite the local lake's small Parquet files into one per partition, keeping per-file replace")
    .argument("<file>", "pipeline.yaml")
    .option("--lake <dir>", "the local lake folder", DEFAULT_LAKE)
    .option("--table <names...>", "only these tables (default: all)")
    .option("--above <n>", "only compact a table when one of its partitions holds more than n files")
    .option("--memory-limit <size>", "DuckDB memory limit", "2GB")
    .option("--threads <n>", "DuckDB threads (default: all cores)");
  addFormatOptions(cmd, ["text", "json"])
    .addHelpText("after", HELP)
    .action((f: string, opts: CompactCliOptions) => compact(ctx, f, opts));
}
