// lakec validate FILE…: every diagnostic of every file, at once; nothing is written.
import type { Command } from "commander";
import type { CliContext } from "./context.js";
import { addFormatOptions, formatOf, printJson, type FormatFlags } from "./json-output.js";
import { loadProject, reportDiagnostics } from "./pipeline-files.js";
import { hasErrors } from "../compiler/diagnostics.js";

const EXAMPLES = `
Examples:
  $ lakec validate pipelines/reviews.yaml
  $ lakec validate pipelines/*.yaml
  $ lakec validate --format json pipelines/reviews.yaml > diagnostics.json

A pipeline with environments: is checked in every environment at once (no --env): each
problem points at the environment's own line when the environment set the value.
Exit codes: 0 valid, 1 a pipeline has errors, 2 usage or internal error.`;

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("validate")
    .description("check pipeline files and report every error with its line and column")
    .argument("<files...>", "pipeline.yaml files");
  addFormatOptions(cmd, ["text", "json"])
    .addHelpText("after", EXAMPLES)
    .action((files: string[], opts: FormatFlags) => {
      const format = formatOf(opts);
      const loaded = loadProject(ctx.io.cwd, files);
      const diagnostics = reportDiagnostics(ctx.io, loaded, format);
      const ok = !loaded.some((l) => hasErrors(l.diagnostics));
      if (format === "json") printJson(ctx, { command: "validate", ok, diagnostics, result: { files: loaded.map((l) => ({ file: l.file, ok: !hasErrors(l.diagnostics) })) } });
      else for (const l of loaded) if (!hasErrors(l.diagnostics)) ctx.io.out(`${l.file}: ok\n`);
      ctx.exit(ok ? 0 : 1);
    });
}
