// lakec validate FILE…: every diagnostic of every file, at once; nothing is written.
import type { Command } from "commander";
import type { CliContext } from "./context.js";
import { addFormatOptions, formatOf, printJson, type FormatFlags } from "./json-output.js";
import { loadProject, reportDiagnostics } from "./pipeline-files.js";
import { hasErrors } from "../compiler/diagnostics.js";
import { addDbtDirOption, projectClashDiagnostics, userProjectDiagnostics, type DbtCliOptions } from "./dbt-project.js";

const EXAMPLES = `
Examples:
  $ lakec validate pipelines/reviews.yaml
  $ lakec validate pipelines/*.yaml
  $ lakec validate --format json pipelines/reviews.yaml > diagnostics.json

A pipeline with environments: is checked in every environment at once (no --env): each
problem points at the environment's own line when the environment set the value.

Hand-written dbt models and tests (dbt/models/custom/<pipeline>/, dbt/tests/<pipeline>/) are
checked too: their ref()s, their Jinja, and their SQL bound on DuckDB against the columns the
pipeline compiles to, so a renamed column fails here.

Exit codes: 0 valid, 1 a pipeline or a hand-written dbt file has errors, 2 usage or internal error.`;

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("validate")
    .description("check pipeline files and report every error with its line and column")
    .argument("<files...>", "pipeline.yaml files");
  addFormatOptions(addDbtDirOption(cmd), ["text", "json"])
    .addHelpText("after", EXAMPLES)
    .action(async (files: string[], opts: FormatFlags & DbtCliOptions) => {
      const format = formatOf(opts);
      const pipelines = loadProject(ctx.io.cwd, files);
      const mine = [];
      for (const l of pipelines) if (l.ir && !hasErrors(l.diagnostics)) mine.push(...(await userProjectDiagnostics(ctx, l.ir, opts, true)));
      mine.push(
        ...(await projectClashDiagnostics(
          ctx,
          pipelines.flatMap((l) => (l.ir && !hasErrors(l.diagnostics) ? [l.ir] : [])),
          opts,
        )),
      );
      const loaded = [...pipelines, ...mine];
      const diagnostics = reportDiagnostics(ctx.io, loaded, format);
      const ok = !loaded.some((l) => hasErrors(l.diagnostics));
      if (format === "json")
        printJson(ctx, {
          command: "validate",
          ok,
          diagnostics,
          result: {
            files: pipelines.map((l) => ({ file: l.file, ok: !hasErrors(l.diagnostics) })),
            dbtFiles: mine.map((l) => ({ file: l.file, ok: !hasErrors(l.diagnostics) })),
          },
        });
      else for (const l of pipelines) if (!hasErrors(l.diagnostics)) ctx.io.out(`${l.file}: ok\n`);
      ctx.exit(ok ? 0 : 1);
    });
}
