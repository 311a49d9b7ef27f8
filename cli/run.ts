// lakec run FILE [--input PATH…] [--lake DIR] [--format text|json] [--demo]
import { resolve } from "node:path";
import type { Command } from "commander";
import { Listr, ProcessOutput } from "listr2";
import { hasErrors } from "../compiler/diagnostics.js";
import { quoteIdent } from "../compiler/expr/print.js";
import type { PipelineIR } from "../compiler/ir.js";
import {
  inArrivalOrder,
  ingestInputs,
  IngestError,
  listRawKeys,
  openLake,
  parseByteSize,
  processRawFile,
  refreshWarehouseForRun,
  summarizeRun,
  type FileSummary,
  type Lake,
  type RunSummary,
} from "../engine/index.js";
import { queryWarehouse } from "../engine/index.js";
import { formatRows } from "./format-rows.js";
import { formatRunSummary } from "./summary-format.js";
import { localDesired } from "../deploy/providers/local/desired.js";
import { readDeployedRecord, writeDeployedRecord } from "../deploy/providers/local/state.js";
import { chooseDemo, writeDemo, type DemoInputs } from "./demo.js";
import { ENV_OPTION_HELP, LAKE_OPTION_HELP, lakeFolder, UsageError, UserError, type CliContext } from "./context.js";
import { addFormatOptions, formatOf, printJson, type FormatFlags } from "./json-output.js";
import { loadPipeline, reportDiagnostics } from "./pipeline-files.js";
import { addSelectOptions, checkSelection, dbtOptions, userProjectDiagnostics, type DbtCliOptions } from "./dbt-project.js";
import { readUserDbtFiles, type DbtProjectOptions } from "../engine/index.js";

const HELP = `
Runs the pipeline locally on DuckDB, with the cloud's semantics: each new raw file goes through
the compiled state machine (clean, then flatten to Parquet), then the external tables are
refreshed, the dbt models built and the dbt tests run, in <lake>/warehouse.duckdb.

Inputs: --input copies each file (or hard-links it, with --link) into <lake>/raw/<prefix>/ of
  - the source named by --source, or
  - the source whose prefix it is already under, when the path is inside <lake>/raw/, or
  - the only source, when the pipeline has one.
Then every raw file that is new or changed since its last run is processed; files whose content
and pipeline semantics are unchanged are skipped, so running twice changes nothing.

Examples:
  $ lakec run pipelines/reviews.yaml --demo                  # bundled synthetic sample
  $ lakec run pipelines/orders.yaml --demo                   # gzip Firehose files, drift reported
  $ lakec run pipelines/reviews.yaml --input exports/2024-06-01.jsonl
  $ lakec run pipelines/yelp.yaml --input business.json --source business --json

--demo picks the sample by the raw keys the sources read: 2,000 Amazon-style reviews
(reviews.yaml, storefront.yaml), 200 Yelp businesses and 2,000 reviews (yelp.yaml), or 2,000
orders and 4,000 cart events as gzip Firehose files (orders.yaml). Each is seeded, so it is the
same every time; a pipeline no sample fits is a usage error (use --input).

Your own dbt models in dbt/models/custom/<pipeline>/ (and their tests, and singular tests in
dbt/tests/<pipeline>/) are built and tested with the generated ones, in ref() order.
--select builds and tests only the chosen models, as dbt does: the others keep their last build.
  $ lakec run pipelines/reviews.yaml --select product_daily_ratings+
  $ lakec run pipelines/reviews.yaml --select tag:reviews --exclude top_products

Exit codes: 0 ok; 1 a file failed, counts did not reconcile, a dbt test failed, or a
hand-written dbt file has errors; 2 usage error (a --select that matches no model).`;

interface RunCliOptions extends FormatFlags, DbtCliOptions {
  input?: string[];
  source?: string;
  link?: boolean;
  lake?: string;
  env?: string;
  demo?: boolean;
  fullRefresh?: boolean;
  memoryLimit: string;
  threads?: string;
}

/** DuckDB cannot run the stages in less (it failed to start at a few MB). */
const MIN_MEMORY_BYTES = 16 * 1024 ** 2;

/** --memory-limit and --threads of `run` and `dev`, checked before a lake is opened. */
export function lakeOptions(opts: { memoryLimit: string; threads?: string }): { memoryLimit: string; threads?: number } {
  const bytes = parseByteSize(opts.memoryLimit);
  if (bytes === undefined) throw new UserError(`--memory-limit ${opts.memoryLimit}: expected a size with a unit, like 2GB or 512MB`);
  if (bytes < MIN_MEMORY_BYTES) throw new UserError(`--memory-limit ${opts.memoryLimit}: at least 16MB`);
  if (opts.threads === undefined) return { memoryLimit: opts.memoryLimit };
  const threads = Number(opts.threads);
  if (!Number.isInteger(threads) || threads < 1) throw new UsageError(`--threads ${opts.threads}: expected a positive integer`);
  return { memoryLimit: opts.memoryLimit, threads };
}

/**
 * Where the task list goes: stdout when it is a terminal showing text, else stderr when that is a
 * terminal (stdout is redirected or carries JSON), else nowhere.
 */
function progressStream(ctx: CliContext, json: boolean): NodeJS.WriteStream | undefined {
  if (ctx.io.outIsTTY && !json) return process.stdout;
  return process.stderr.isTTY ? process.stderr : undefined;
}

/** Files one by one (a task list on a terminal), then the warehouse stages. */
async function runWithProgress(
  lake: Lake,
  ir: PipelineIR,
  keys: readonly string[],
  stream: NodeJS.WriteStream | undefined,
  fullRefresh: boolean,
  dbt: DbtProjectOptions,
): Promise<RunSummary> {
  const t0 = performance.now();
  const files: FileSummary[] = [];
  const renderer = !stream ? "silent" : stream.rows ? "default" : "simple";
  const fileTasks = keys.map((key) => ({
    title: key,
    task: async (_: unknown, task: { title: string }) => {
      const s = await processRawFile(lake, ir, key);
      files.push(s);
      task.title = `${key}: ${s.status}${s.counts ? ` (${s.counts.recordsIn} in, ${s.counts.clean} clean)` : ""}`;
    },
  }));
  let t1 = 0;
  let warehouse: Awaited<ReturnType<typeof refreshWarehouseForRun>> | undefined;
  const list = new Listr(
    [
      ...fileTasks,
      {
        title: "refresh external tables, build dbt models, run dbt tests",
        task: async () => {
          t1 = performance.now();
          warehouse = await refreshWarehouseForRun(lake, ir, { files, fullRefresh, dbt });
        },
      },
    ],
    { renderer, exitOnError: true, ...(stream && { processOutput: new ProcessOutput(stream, stream) }) },
  );
  await list.run();
  const t2 = performance.now();
  return summarizeRun(lake, ir, files, warehouse!, { files: t1 - t0, warehouse: t2 - t1, total: t2 - t0 });
}

/** A path as one shell word: quoted when it holds anything but safe characters. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

async function showMartTop(ctx: CliContext, lakeDir: string, lakeOption: string | undefined, ir: PipelineIR): Promise<void> {
  const mart = ir.marts[0];
  if (!mart) return;
  // Biggest first by the first measure; the grain breaks ties, so the demo prints the same rows every time.
  const order = [
    ...(mart.measures[0] ? [`${quoteIdent("duckdb", mart.measures[0].name)} DESC`] : []),
    ...mart.grain.map((g) => quoteIdent("duckdb", g.name)),
  ];
  const cols = [...mart.grain.map((g) => g.name), ...mart.measures.map((m) => m.name)].map((c) => quoteIdent("duckdb", c));
  const sql = `SELECT ${cols.join(", ")} FROM ${quoteIdent("duckdb", mart.name)} ORDER BY ${order.join(", ")} LIMIT 10`;
  ctx.io.out(`\ntop rows of ${mart.name}:\n${formatRows(await queryWarehouse(lakeDir, sql), "table")}`);
  // The command must work when pasted: it names the lake unless it is the default one.
  const lakeFlag = lakeOption === undefined ? "" : ` --lake ${shellWord(lakeOption)}`;
  const envFlag = ir.environment ? ` --env ${ir.environment.name}` : "";
  ctx.io.out(`\nlook further: lakec query ${ir.sourceFile}${envFlag}${lakeFlag} "SELECT * FROM ${mart.name} LIMIT 20"\n`);
}

async function run(ctx: CliContext, file: string, opts: RunCliOptions): Promise<void> {
  const json = formatOf(opts) === "json";
  const pipeline = loadPipeline(ctx.io.cwd, file, opts.env);
  // Hand-written dbt files are checked before any raw file is processed, like the pipeline.
  const mine = pipeline.ir && !hasErrors(pipeline.diagnostics) ? await userProjectDiagnostics(ctx, pipeline.ir, opts, true) : [];
  const loaded = { ...pipeline, diagnostics: [...pipeline.diagnostics, ...mine.flatMap((l) => l.diagnostics)] };
  const diagnostics = reportDiagnostics(ctx.io, [pipeline, ...mine], formatOf(opts));
  if (hasErrors(loaded.diagnostics) || !loaded.ir) {
    if (json) printJson(ctx, { command: "run", ok: false, diagnostics });
    return ctx.exit(1);
  }
  const ir = loaded.ir;
  await checkSelection(ctx, ir, opts);
  const sample = opts.demo ? chooseDemo(ir, opts.source) : undefined;
  const lakeDir = resolve(ctx.io.cwd, lakeFolder(opts.lake, ir.environment?.name));
  const lake = await openLake(lakeDir, lakeOptions(opts));
  let demo: DemoInputs | undefined;
  try {
    if (sample) demo = await writeDemo(sample);
    const ingest = (inputs: string[], source: string | undefined) =>
      ingestInputs(lake.paths, ir, inputs, { ...(source !== undefined && { source }), link: opts.link === true }).catch((e: unknown) => {
        throw e instanceof IngestError ? new UsageError(e.message) : e;
      });
    await ingest(
      (opts.input ?? []).map((i) => resolve(ctx.io.cwd, i)),
      opts.source,
    );
    for (const f of demo?.files ?? []) await ingest([f.file], f.source);
    const keys = await inArrivalOrder(lake.paths, await listRawKeys(lake.paths));
    const summary = await runWithProgress(lake, ir, keys, progressStream(ctx, json), opts.fullRefresh === true, dbtOptions(ctx, opts));
    if (json) printJson(ctx, { command: "run", ok: summary.ok, diagnostics, result: summary });
    else ctx.io.out(formatRunSummary(summary));
    // A first run builds exactly what `apply` would, so it records the deployment; later runs
    // leave the record to `apply`, which also drops what a pipeline edit removed.
    const damaged = (message: string): void => ctx.io.err(`lakec: note: ${message}; recorded again from this run\n`);
    if (
      summary.ok &&
      opts.select === undefined &&
      opts.exclude === undefined &&
      (await readDeployedRecord(lakeDir, damaged)) === undefined
    ) {
      await writeDeployedRecord(lakeDir, ir, localDesired(ir, await readUserDbtFiles(dbtOptions(ctx, opts).dbtDir!, ir.name, ctx.io.cwd)));
    }
    if (demo && !json && summary.warehouse.error === undefined) await showMartTop(ctx, lakeDir, opts.lake, ir);
    if (!summary.ok) ctx.exit(1);
  } finally {
    await demo?.cleanup();
    await lake.close();
  }
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("run")
    .description("run the pipeline locally on DuckDB: raw files → Parquet lake → warehouse, models and tests")
    .argument("<file>", "pipeline.yaml")
    .option("--input <paths...>", "files to copy into the lake's raw/ before running")
    .option("--source <name>", "the source the --input files belong to")
    .option("--link", "hard-link inputs into raw/ instead of copying them (then never edit an input in place: it is the raw file)")
    .option("--env <name>", ENV_OPTION_HELP)
    .option("--lake <dir>", LAKE_OPTION_HELP)
    .option("--demo", "first add to raw/ the bundled synthetic sample that fits the pipeline's sources (below)")
    .option("--full-refresh", "rebuild every dbt model in full instead of incrementally (like dbt run --full-refresh)")
    .option("--memory-limit <size>", "DuckDB memory limit", "2GB")
    .option("--threads <n>", "DuckDB threads (default: all cores)");
  addFormatOptions(addSelectOptions(cmd), ["text", "json"])
    .addHelpText("after", HELP)
    .action((f: string, opts: RunCliOptions) => run(ctx, f, opts));
}
