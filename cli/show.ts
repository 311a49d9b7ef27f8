// lakec show FILE TABLE [--limit N] [--lake DIR] [--format table|csv|json]
import { resolve } from "node:path";
import type { Command } from "commander";
import { didYouMean } from "../compiler/diagnostics.js";
import { quoteIdent } from "../compiler/expr/print.js";
import { warehouseRelations } from "../engine/query.js";
import { DEFAULT_LAKE, UsageError, type CliContext } from "./context.js";
import { checkFormat, pipelineOk, printQuery } from "./query.js";

const HELP = `
Prints the first rows of a table, view or model of the local warehouse.

Examples:
  $ lakec show pipelines/reviews.yaml product_reviews
  $ lakec show pipelines/reviews.yaml product_daily_ratings --limit 50 --format csv`;

export function register(program: Command, ctx: CliContext): void {
  program
    .command("show")
    .description("print the first rows of a table or model of the local warehouse")
    .argument("<file>", "pipeline.yaml")
    .argument("<table>", "a table, view or model name")
    .option("--limit <n>", "rows to print", "20")
    .option("--lake <dir>", "the local lake folder", DEFAULT_LAKE)
    .option("--format <format>", "table, csv or json", "table")
    .addHelpText("after", HELP)
    .action(async (file: string, table: string, opts: { limit: string; lake: string; format: string }) => {
      const format = checkFormat(opts.format);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`--limit ${opts.limit}: expected a whole number`);
      if (!pipelineOk(ctx, file)) return;
      const known = await warehouseRelations(resolve(ctx.io.cwd, opts.lake)).catch((e: unknown) => {
        throw new UsageError(e instanceof Error ? e.message : String(e));
      });
      if (!known.includes(table)) {
        throw new UsageError(`no table, view or model named '${table}' in the warehouse; ${didYouMean(table, known) ?? `it has: ${known.join(", ")}`}`);
      }
      await printQuery(ctx, opts.lake, `SELECT * FROM ${quoteIdent("duckdb", table)} LIMIT ${limit}`, format);
    });
}
