// lakec test FILE [--lake DIR] [--select …] [--exclude …]: the dbt tests alone, against the
// local warehouse as the last run left it (read-only: nothing is rebuilt), like `dbt test`.
import { resolve } from "node:path";
import type { Command } from "commander";
import { hasErrors } from "../compiler/diagnostics.js";
import type { StandaloneTestResult } from "../engine/index.js";
import { SelectorError } from "../targets/dbt/select.js";
import { DEFAULT_LAKE, UsageError, UserError, type CliContext } from "./context.js";
import { addSelectOptions, dbtOptions, userProjectDiagnostics, type DbtCliOptions } from "./dbt-project.js";
import { addFormatOptions, formatOf, printJson, type FormatFlags } from "./json-output.js";
import { loadPipeline, reportDiagnostics } from "./pipeline-files.js";

const HELP = `
Runs the dbt tests (the generated ones, your schema .yml tests and singular tests in
dbt/tests/<pipeline>/) against <lake>/warehouse.duckdb as it is: read-only, nothing is rebuilt,
so it can run beside \`lakec query\` and after \`lakec run --select\`.

Examples:
  $ lakec test pipelines/reviews.yaml
  $ lakec test pipelines/reviews.yaml --select product_daily_ratings+
  $ lakec test pipelines/reviews.yaml --select tag:reviews --json

Exit codes: 0 every test with severity error passed; 1 a test failed, a model it reads is not
built, or a pipeline or hand-written dbt file has errors; 2 usage error (a --select that matches
no model).`;

interface TestCliOptions extends FormatFlags, DbtCliOptions {
  lake: string;
}

function describe(r: StandaloneTestResult): string {
  const lines: string[] = [];
  for (const t of r.tests) {
    const status = t.failures === 0 ? "PASS" : t.severity === "warn" ? "WARN" : "FAIL";
    lines.push(`${status} ${t.name}${t.failures > 0 ? `: ${t.failures} failing row(s)` : ""}`);
    for (const row of t.failures > 0 ? t.sample.slice(0, 3) : []) lines.push(`       ${JSON.stringify(row)}`);
  }
  for (const n of r.notBuilt) lines.push(`ERROR ${n.name}: ${n.models.join(", ")} not in the warehouse (run \`lakec run\` first)`);
  const count = (f: (t: StandaloneTestResult["tests"][number]) => boolean): number => r.tests.filter(f).length;
  lines.push(
    `\n${count((t) => t.failures === 0)} passed, ${count((t) => t.failures > 0 && t.severity === "error")} failed, ${count((t) => t.failures > 0 && t.severity === "warn")} warned, ${r.notBuilt.length} not built`,
  );
  return `${lines.join("\n")}\n`;
}

async function test(ctx: CliContext, file: string, opts: TestCliOptions): Promise<void> {
  const json = formatOf(opts) === "json";
  const pipeline = loadPipeline(ctx.io.cwd, file);
  const mine = pipeline.ir && !hasErrors(pipeline.diagnostics) ? await userProjectDiagnostics(ctx, pipeline.ir, opts, false) : [];
  const diagnostics = reportDiagnostics(ctx.io, [pipeline, ...mine], formatOf(opts));
  if (!pipeline.ir || hasErrors(diagnostics)) {
    if (json) printJson(ctx, { command: "test", ok: false, diagnostics });
    return ctx.exit(1);
  }
  // DuckDB loads only when tests run, so `lakec test --help` starts fast.
  const { loadLocalProject, testWarehouse, NoWarehouseError, WarehouseBuildError } = await import("../engine/index.js");
  const project = await loadLocalProject(pipeline.ir, dbtOptions(ctx, opts)).catch((e: unknown) => {
    throw e instanceof SelectorError ? new UsageError(e.message) : e;
  });
  const result = await testWarehouse(resolve(ctx.io.cwd, opts.lake), project.tests).catch((e: unknown) => {
    throw e instanceof NoWarehouseError || e instanceof WarehouseBuildError ? new UserError(e.message) : e;
  });
  const ok = result.notBuilt.length === 0 && result.tests.every((t) => t.failures === 0 || t.severity === "warn");
  if (json) printJson(ctx, { command: "test", ok, diagnostics, result });
  else ctx.io.out(describe(result));
  ctx.exit(ok ? 0 : 1);
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("test")
    .description("run the dbt tests alone against the local warehouse (read-only, nothing rebuilt)")
    .argument("<file>", "pipeline.yaml")
    .option("--lake <dir>", "the local lake folder", DEFAULT_LAKE);
  addFormatOptions(addSelectOptions(cmd), ["text", "json"])
    .addHelpText("after", HELP)
    .action((f: string, opts: TestCliOptions) => test(ctx, f, opts));
}
