// lakec show FILE TABLE [--limit N] [--lake DIR] [--format table|csv|json]
import { resolve } from "node:path";
import type { Command } from "commander";
import { didYouMean } from "../compiler/diagnostics.js";
import { quoteIdent } from "../compiler/expr/print.js";
import { warehouseRelations } from "../engine/index.js";
import { ENV_OPTION_HELP, LAKE_OPTION_HELP, UsageError, type CliContext } from "./context.js";
import { addFormatOptions, formatOf, type FormatFlags } from "./json-output.js";
import { FORMATS, pipelineLake, printQuery, type LakeFlags, type OutputFormat } from "./query.js";

const HELP = `
Prints the first rows of a table, view or model of the local warehouse.

Examples:
  $ lakec show pipelines/reviews.yaml product_reviews
  $ lakec show pipelines/reviews.yaml product_daily_ratings --limit 50 --format csv`;

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("show")
    .description("print the first rows of a table or model of the local warehouse")
    .argument("<file>", "pipeline.yaml")
    .argument("<table>", "a table, view or model name")
    .option("--limit <n>", "rows to print", "20")
    .option("--env <name>", ENV_OPTION_HELP)
    .option("--lake <dir>", LAKE_OPTION_HELP);
  addFormatOptions(cmd, FORMATS)
    .addHelpText("after", HELP)
    .action(async (file: string, table: string, opts: FormatFlags & LakeFlags & { limit: string }) => {
      const format = formatOf(opts) as OutputFormat;
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`--limit ${opts.limit}: expected a whole number`);
      const lake = pipelineLake(ctx, file, "show", format, opts);
      if (lake === undefined) return;
      const known = await warehouseRelations(resolve(ctx.io.cwd, lake)).catch((e: unknown) => {
        throw new UsageError(e instanceof Error ? e.message : String(e));
      });
      if (!known.includes(table)) {
        throw new UsageError(
          `no table, view or model named '${table}' in the warehouse; ${didYouMean(table, known) ?? `it has: ${known.join(", ")}`}`,
        );
      }
      await printQuery(ctx, "show", lake, `SELECT * FROM ${quoteIdent("duckdb", table)} LIMIT ${limit}`, format);
    });
}
