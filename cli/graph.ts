// lakec graph FILE: prints the pipeline's column lineage (raw JSON path → table column → mart
// column) as a Mermaid graph, for READMEs, reviews and docs.
import { Option, type Command } from "commander";
import { ENV_OPTION_HELP, type CliContext } from "./context.js";
import { loadPipeline, reportDiagnostics } from "./pipeline-files.js";
import { hasErrors } from "../compiler/diagnostics.js";
import { lineageMermaid } from "../targets/lineage/index.js";
import { addDbtDirOption, dbtOptions, userProjectDiagnostics } from "./dbt-project.js";

const EXAMPLES = `
Examples:
  $ lakec graph pipelines/reviews.yaml
  $ lakec graph --markdown pipelines/yelp.yaml >> README.md

Exit codes: 0 printed, 1 the pipeline has errors, 2 usage or internal error.`;

export function register(program: Command, ctx: CliContext): void {
  addDbtDirOption(program.command("graph"))
    .description("print column lineage from raw JSON paths to mart columns as a Mermaid graph")
    .argument("<file>", "pipeline.yaml file")
    .addOption(new Option("--markdown", "wrap the graph in a ```mermaid code fence"))
    .option("--env <name>", ENV_OPTION_HELP)
    .addHelpText("after", EXAMPLES)
    .action(async (file: string, opts: { markdown?: boolean; env?: string; dbtDir?: string }) => {
      const loaded = loadPipeline(ctx.io.cwd, file, opts.env);
      const mine = loaded.ir && !hasErrors(loaded.diagnostics) ? await userProjectDiagnostics(ctx, loaded.ir, opts, false) : [];
      if (hasErrors([...loaded.diagnostics, ...mine.flatMap((l) => l.diagnostics)]) || !loaded.ir) {
        reportDiagnostics(ctx.io, [loaded, ...mine], "text");
        ctx.exit(1);
        return;
      }
      // Hand-written dbt models are drawn after the models they ref.
      const { loadLocalProject } = await import("../engine/index.js");
      const project = await loadLocalProject(loaded.ir, dbtOptions(ctx, opts));
      const graph = lineageMermaid(
        loaded.ir,
        project.models.filter((m) => m.userFile !== undefined),
      );
      ctx.io.out(opts.markdown ? `\`\`\`mermaid\n${graph}\`\`\`\n` : graph);
      ctx.exit(0);
    });
}
