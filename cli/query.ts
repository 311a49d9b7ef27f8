// lakec query FILE "SQL"|- [--lake DIR] [--format table|csv|json]
import { resolve } from "node:path";
import type { Command } from "commander";
import { hasErrors } from "../compiler/diagnostics.js";
import { NoWarehouseError, queryWarehouse } from "../engine/index.js";
import { formatRows } from "./format-rows.js";
import { ENV_OPTION_HELP, LAKE_OPTION_HELP, lakeFolder, UsageError, type CliContext } from "./context.js";
import { addFormatOptions, formatOf, printJson, type FormatFlags } from "./json-output.js";
import { loadPipeline, reportDiagnostics } from "./pipeline-files.js";

const HELP = `
Runs one SELECT (DuckDB dialect) against <lake>/warehouse.duckdb, read-only. The pipeline's
tables are views named like the tables; the dbt models are tables of their own names. It may read
any file inside the lake folder and nothing outside it; COPY, INSTALL, ATTACH, SET, CREATE and
other statements that are not a SELECT are refused, and so is more than one statement. With
- as the SQL, it is read from standard input.

Examples:
  $ lakec query pipelines/reviews.yaml "SELECT asin, sum(reviews) AS n FROM product_daily_ratings GROUP BY 1 ORDER BY 2 DESC LIMIT 5"
  $ lakec query pipelines/reviews.yaml "SELECT * FROM product_reviews" --format csv > reviews.csv
  $ lakec query pipelines/reviews.yaml - < report.sql`;

export const FORMATS = ["table", "csv", "json"] as const;
export type OutputFormat = (typeof FORMATS)[number];

/** Compiles the pipeline first, so a query never runs against a lake of a broken pipeline by accident. */
/** The lake to read (`--lake`, else the environment's), or undefined after reporting the pipeline's errors. */
export function pipelineLake(ctx: CliContext, file: string, command: string, format: OutputFormat, opts: LakeFlags): string | undefined {
  const loaded = loadPipeline(ctx.io.cwd, file, opts.env);
  const diagnostics = reportDiagnostics(ctx.io, [loaded], format);
  if (hasErrors(loaded.diagnostics) || !loaded.ir) {
    if (format === "json") printJson(ctx, { command, ok: false, diagnostics });
    ctx.exit(1);
    return undefined;
  }
  return lakeFolder(opts.lake, loaded.ir.environment?.name);
}

export interface LakeFlags {
  lake?: string;
  env?: string;
}

export async function printQuery(ctx: CliContext, command: string, lake: string, sql: string, format: OutputFormat): Promise<void> {
  // Loaded here, not at start-up: its DuckDB type ids bring in DuckDB (engine/duckdb.ts).
  const { rowsJson } = await import("./rows-json.js");
  try {
    const r = await queryWarehouse(resolve(ctx.io.cwd, lake), sql);
    if (format !== "json") return ctx.io.out(formatRows(r, format));
    const result = `{\n    "columns": ${JSON.stringify(r.columns)},\n    "types": ${JSON.stringify(r.types.map(String))},\n    "rows": ${rowsJson(r.columns, r.types, r.rows, "    ")}\n  }`;
    printJson(ctx, { command, ok: true, diagnostics: [] }, result);
  } catch (e) {
    if (e instanceof NoWarehouseError) throw new UsageError(e.message);
    // A SQL mistake is the user's: DuckDB's message says what and where.
    const message = e instanceof Error ? e.message : String(e);
    if (format === "json") printJson(ctx, { command, ok: false, diagnostics: [], error: { kind: "failure", message } });
    else ctx.io.err(`lakec: ${message}\n`);
    ctx.exit(1);
  }
}

async function processStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The SQL argument, or standard input for `-`. */
export async function sqlArgument(ctx: CliContext, sql: string): Promise<string> {
  if (sql !== "-") return sql;
  const text = await (ctx.io.readStdin ?? processStdin)();
  if (text.trim() === "") throw new UsageError("no SQL on standard input (the SQL argument was -)");
  return text;
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("query")
    .description("run SQL against the local warehouse and print the result")
    .argument("<file>", "pipeline.yaml")
    .argument("<sql>", "one SQL statement, or - to read it from standard input")
    .option("--env <name>", ENV_OPTION_HELP)
    .option("--lake <dir>", LAKE_OPTION_HELP);
  addFormatOptions(cmd, FORMATS)
    .addHelpText("after", HELP)
    .action(async (file: string, sql: string, opts: FormatFlags & LakeFlags) => {
      const format = formatOf(opts) as OutputFormat;
      const lake = pipelineLake(ctx, file, "query", format, opts);
      if (lake !== undefined) await printQuery(ctx, "query", lake, await sqlArgument(ctx, sql), format);
    });
}
