// lakec query FILE "SQL" [--lake DIR] [--format table|csv|json]
import { resolve } from "node:path";
import type { Command } from "commander";
import { hasErrors } from "../compiler/diagnostics.js";
import { NoWarehouseError, queryWarehouse } from "../engine/index.js";
import { formatRows } from "./format-rows.js";
import { DEFAULT_LAKE, UsageError, type CliContext } from "./context.js";
import { addFormatOptions, formatOf, printJson, type FormatFlags } from "./json-output.js";
import { loadPipeline, reportDiagnostics } from "./pipeline-files.js";
import { rowsJson } from "./rows-json.js";

const HELP = `
Runs one SELECT (DuckDB dialect) against <lake>/warehouse.duckdb, read-only. The pipeline's
tables are views named like the tables; the dbt models are tables of their own names. It may read
any file inside the lake folder and nothing outside it; COPY, INSTALL, ATTACH, SET, CREATE and
other statements that are not a SELECT are refused.

Examples:
  $ lakec query pipelines/reviews.yaml "SELECT asin, sum(reviews) AS n FROM product_daily_ratings GROUP BY 1 ORDER BY 2 DESC LIMIT 5"
  $ lakec query pipelines/reviews.yaml "SELECT * FROM product_reviews" --format csv > reviews.csv`;

export const FORMATS = ["table", "csv", "json"] as const;
export type OutputFormat = (typeof FORMATS)[number];

/** Compiles the pipeline first, so a query never runs against a lake of a broken pipeline by accident. */
export function pipelineOk(ctx: CliContext, file: string, command: string, format: OutputFormat): boolean {
  const loaded = loadPipeline(ctx.io.cwd, file);
  const diagnostics = reportDiagnostics(ctx.io, [loaded], format);
  if (hasErrors(loaded.diagnostics) || !loaded.ir) {
    if (format === "json") printJson(ctx, { command, ok: false, diagnostics });
    ctx.exit(1);
    return false;
  }
  return true;
}

export async function printQuery(ctx: CliContext, command: string, lake: string, sql: string, format: OutputFormat): Promise<void> {
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

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("query")
    .description("run SQL against the local warehouse and print the result")
    .argument("<file>", "pipeline.yaml")
    .argument("<sql>", "one SQL statement")
    .option("--lake <dir>", "the local lake folder", DEFAULT_LAKE);
  addFormatOptions(cmd, FORMATS)
    .addHelpText("after", HELP)
    .action(async (file: string, sql: string, opts: FormatFlags & { lake: string }) => {
      const format = formatOf(opts) as OutputFormat;
      if (pipelineOk(ctx, file, "query", format)) await printQuery(ctx, "query", opts.lake, sql, format);
    });
}
