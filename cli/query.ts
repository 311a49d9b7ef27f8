// lakec query FILE "SQL" [--lake DIR] [--format table|csv|json]
import { resolve } from "node:path";
import type { Command } from "commander";
import { hasErrors } from "../compiler/diagnostics.js";
import { formatRows, NoWarehouseError, queryWarehouse, type RowFormat } from "../engine/query.js";
import { DEFAULT_LAKE, UsageError, type CliContext } from "./context.js";
import { loadPipeline, reportDiagnostics } from "./pipeline-files.js";

const HELP = `
Runs one SELECT (DuckDB dialect) against <lake>/warehouse.duckdb, read-only. The pipeline's
tables are views named like the tables; the dbt models are tables of their own names. It may read
any file inside the lake folder and nothing outside it; COPY, INSTALL, ATTACH, SET, CREATE and
other statements that are not a SELECT are refused.

Examples:
  $ lakec query pipelines/reviews.yaml "SELECT asin, sum(reviews) AS n FROM product_daily_ratings GROUP BY 1 ORDER BY 2 DESC LIMIT 5"
  $ lakec query pipelines/reviews.yaml "SELECT * FROM product_reviews" --format csv > reviews.csv`;

export const FORMATS: readonly RowFormat[] = ["table", "csv", "json"];

export function checkFormat(format: string): RowFormat {
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format ${format}: expected one of ${FORMATS.join(", ")}`);
  return format as RowFormat;
}

/** Compiles the pipeline first, so a query never runs against a lake of a broken pipeline by accident. */
export function pipelineOk(ctx: CliContext, file: string): boolean {
  const loaded = loadPipeline(ctx.io.cwd, file);
  reportDiagnostics(ctx.io, [loaded], "text");
  if (hasErrors(loaded.diagnostics) || !loaded.ir) {
    ctx.exit(1);
    return false;
  }
  return true;
}

export async function printQuery(ctx: CliContext, lake: string, sql: string, format: RowFormat): Promise<void> {
  try {
    ctx.io.out(formatRows(await queryWarehouse(resolve(ctx.io.cwd, lake), sql), format));
  } catch (e) {
    if (e instanceof NoWarehouseError) throw new UsageError(e.message);
    // A SQL mistake is the user's: DuckDB's message says what and where.
    ctx.io.err(`lakec: ${e instanceof Error ? e.message : String(e)}\n`);
    ctx.exit(1);
  }
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command("query")
    .description("run SQL against the local warehouse and print the result")
    .argument("<file>", "pipeline.yaml")
    .argument("<sql>", "one SQL statement")
    .option("--lake <dir>", "the local lake folder", DEFAULT_LAKE)
    .option("--format <format>", "table, csv or json", "table")
    .addHelpText("after", HELP)
    .action(async (file: string, sql: string, opts: { lake: string; format: string }) => {
      const format = checkFormat(opts.format);
      if (pipelineOk(ctx, file)) await printQuery(ctx, opts.lake, sql, format);
    });
}
