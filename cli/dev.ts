// lakec dev FILE [--lake DIR]: watch mode. Prints what the watcher does; stops on Ctrl-C.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { formatDiagnostic } from "../compiler/diagnostics.js";
import { paintFor } from "./style.js";
import type { RunSummary } from "../engine/index.js";
import { DEFAULT_COMPACT_ABOVE, startDev, type DevEvent } from "../engine/index.js";
import { ENV_OPTION_HELP, LAKE_OPTION_HELP, lakeFolder, UsageError, type CliContext, type CliIO } from "./context.js";
import { displayPath, loadPipeline } from "./pipeline-files.js";
import { hasErrors } from "../compiler/diagnostics.js";
import { lakeOptions } from "./run.js";
import { addSelectOptions, checkSelection, dbtOptions, type DbtCliOptions } from "./dbt-project.js";
import { formatCompaction } from "./compact.js";

const HELP = `
Watches <lake>/raw/ and the pipeline file, like S3 → EventBridge → Step Functions in the cloud:
  - each new file under raw/<prefix>/ runs the pipeline for that file (clean, flatten to Parquet),
    then the external tables, dbt models and dbt tests are refreshed. Files arriving together
    are queued and each is processed once; a file is picked up when it stops growing.
  - saving the pipeline file recompiles it. Errors print with line:col and the watcher keeps
    running; new files wait in the queue until the pipeline compiles again. If the fix changes
    what the pipeline means, every raw file is re-checked (unchanged outputs are kept).
Raw files present at start are processed too, unless their outputs are already current.

Examples:
  $ lakec dev pipelines/reviews.yaml
  $ cp exports/2024-06-01.jsonl .lake/raw/reviews/        # in another terminal
  $ lakec dev pipelines/yelp.yaml --lake /tmp/yelp-lake --poll

Hand-written dbt models (dbt/models/custom/<pipeline>/) and tests are read again for every batch;
--select and --exclude narrow what each batch builds and tests, as in \`lakec run\`.

Stop with Ctrl-C. Exit codes: 0 stopped; 2 usage error.`;

export interface DevCliOptions extends DbtCliOptions {
  lake?: string;
  env?: string;
  memoryLimit: string;
  threads?: string;
  poll?: boolean;
  compactAbove?: string;
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(2)}s`;

function describeBatch(e: Extract<DevEvent, { kind: "batch" }>): string {
  const s = e.report.result as RunSummary;
  const lines = s.files.map((f) => {
    const c = f.counts;
    const counts = c
      ? `: ${c.recordsIn} in, ${c.clean} clean, ${c.invalid} invalid, ${c.duplicates} duplicates${f.reconciled ? "" : " (COUNTS DO NOT RECONCILE)"}`
      : "";
    return `  ${f.rawKey} ${f.status}${counts}${f.reason && f.status !== "processed" ? ` (${f.reason})` : ""}`;
  });
  const failed = s.warehouse.tests.filter((t) => t.failures > 0);
  const tests = `${s.warehouse.tests.length - failed.length}/${s.warehouse.tests.length} dbt tests pass`;
  if (s.warehouse.error !== undefined) lines.push(`  warehouse not built: ${s.warehouse.error}`);
  else lines.push(`  marts updated in ${secs(e.ms)} (${tests})`);
  for (const t of failed) lines.push(`  ${t.severity === "error" ? "FAIL" : "warn"} ${t.name}: ${t.failures} row(s)`);
  if (e.report.compaction)
    lines.push(
      ...formatCompaction(e.report.compaction)
        .trimEnd()
        .split("\n")
        .map((l) => `  compacted ${l}`),
    );
  return `${lines.join("\n")}\n`;
}

/** Prints one watcher event; exported for tests. */
export function printEvent(io: CliIO, e: DevEvent): void {
  switch (e.kind) {
    case "ready":
      return io.out("watching for raw files and pipeline edits (Ctrl-C to stop)\n");
    case "compiled":
      return io.out(`compiled pipeline ${e.pipeline}${e.changed ? ": its meaning changed, re-checking every raw file" : ""}\n`);
    case "diagnostics": {
      for (const d of e.diagnostics) io.err(`${formatDiagnostic(d, e.text, paintFor(io.colour?.err === true))}\n`);
      const errors = e.diagnostics.filter((d) => d.severity === "error").length;
      if (errors > 0) io.err(`${errors} error${errors === 1 ? "" : "s"}: new raw files wait until the pipeline compiles\n`);
      return;
    }
    case "queued":
      return io.out(`+ raw/${e.rawKey}\n`);
    case "batch":
      return io.out(describeBatch(e));
    case "batch-failed":
      return io.err(`run failed for ${e.rawKeys.join(", ")}: ${e.error}\n`);
    case "watch-error":
      return io.err(`watch: ${e.message}\n`);
  }
}

/** Runs dev mode until `until` resolves (the CLI passes Ctrl-C; tests pass their own). */
export async function runDev(ctx: CliContext, file: string, opts: DevCliOptions, until: Promise<unknown>): Promise<void> {
  if (!existsSync(resolve(ctx.io.cwd, file))) throw new UsageError(`cannot read ${displayPath(ctx.io.cwd, file)}: no such file`);
  const lakeOptionValues = lakeOptions(opts);
  // The environment (and so the lake) is chosen once, from the pipeline as it is now.
  const loaded = loadPipeline(ctx.io.cwd, file, opts.env);
  const environment = loaded.ir?.environment?.name ?? opts.env;
  if (loaded.ir && !hasErrors(loaded.diagnostics)) await checkSelection(ctx, loaded.ir, opts);
  const compactAbove = Number(opts.compactAbove ?? DEFAULT_COMPACT_ABOVE);
  if (!Number.isInteger(compactAbove) || compactAbove < 0)
    throw new UsageError(`--compact-above ${opts.compactAbove}: expected a whole number of files (0: never compact)`);
  const watcher = await startDev({
    pipelineFile: resolve(ctx.io.cwd, file),
    displayName: displayPath(ctx.io.cwd, file),
    lakeDir: resolve(ctx.io.cwd, lakeFolder(opts.lake, environment)),
    ...(environment !== undefined && { environment }),
    lakeOptions: lakeOptionValues,
    usePolling: opts.poll === true,
    dbt: dbtOptions(ctx, opts),
    compactAbove,
    onEvent: (e) => printEvent(ctx.io, e),
  });
  await until;
  ctx.io.out("stopping: finishing the running batch\n");
  await watcher.close();
}

/** Resolves on Ctrl-C or SIGTERM (also used by `lakec docs --serve`). */
export function interrupted(): Promise<void> {
  return new Promise((res) => {
    const stop = (): void => {
      process.off("SIGINT", stop).off("SIGTERM", stop);
      res();
    };
    process.on("SIGINT", stop).on("SIGTERM", stop);
  });
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("dev")
    .description("watch mode: run the pipeline for each new raw file, recompile on pipeline edits")
    .argument("<file>", "pipeline.yaml")
    .option("--env <name>", ENV_OPTION_HELP)
    .option("--lake <dir>", LAKE_OPTION_HELP)
    .option("--memory-limit <size>", "DuckDB memory limit", "2GB")
    .option("--threads <n>", "DuckDB threads (default: all cores)")
    .option("--poll", "poll the file system instead of native events (network drives, some containers)")
    .option(
      "--compact-above <n>",
      "compact the lake (see lakec compact) after a batch leaves more than n files in a partition; 0: never",
      String(DEFAULT_COMPACT_ABOVE),
    );
  addSelectOptions(cmd)
    .addHelpText("after", HELP)
    .action((f: string, opts: DevCliOptions) => runDev(ctx, f, opts, interrupted()));
}
