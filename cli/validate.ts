// lakec validate FILE…: every diagnostic of every file, at once; nothing is written.
import { Option, type Command } from "commander";
import type { CliContext } from "./context.js";
import { loadProject, reportDiagnostics } from "./pipeline-files.js";
import { hasErrors } from "../compiler/diagnostics.js";

const EXAMPLES = `
Examples:
  $ lakec validate pipelines/reviews.yaml
  $ lakec validate pipelines/*.yaml
  $ lakec validate --format json pipelines/reviews.yaml > diagnostics.json

Exit codes: 0 valid, 1 a pipeline has errors, 2 usage or internal error.`;

export function register(program: Command, ctx: CliContext): void {
  program
    .command("validate")
    .description("check pipeline files and report every error with its line and column")
    .argument("<files...>", "pipeline.yaml files")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText("after", EXAMPLES)
    .action((files: string[], opts: { format: "text" | "json" }) => {
      const loaded = loadProject(ctx.io.cwd, files);
      reportDiagnostics(ctx.io, loaded, opts.format);
      if (opts.format === "text") for (const l of loaded) if (!hasErrors(l.diagnostics)) ctx.io.out(`${l.file}: ok\n`);
      ctx.exit(loaded.some((l) => hasErrors(l.diagnostics)) ? 1 : 0);
    });
}
