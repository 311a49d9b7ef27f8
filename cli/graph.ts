// lakec graph FILE: prints the pipeline's column lineage (raw JSON path → table column → mart
// column) as a Mermaid graph, for READMEs, reviews and docs.
import { Option, type Command } from "commander";
import { ENV_OPTION_HELP, type CliContext } from "./context.js";
import { loadPipeline, reportDiagnostics } from "./pipeline-files.js";
import { hasErrors } from "../compiler/diagnostics.js";
import { lineageMermaid } from "../targets/lineage/index.js";

const EXAMPLES = `
Examples:
  $ lakec graph pipelines/reviews.yaml
  $ lakec graph --markdown pipelines/yelp.yaml >> README.md

Exit codes: 0 printed, 1 the pipeline has errors, 2 usage or internal error.`;

export function register(program: Command, ctx: CliContext): void {
  program
    .command("graph")
    .description("print column lineage from raw JSON paths to mart columns as a Mermaid graph")
    .argument("<file>", "pipeline.yaml file")
    .addOption(new Option("--markdown", "wrap the graph in a ```mermaid code fence"))
    .option("--env <name>", ENV_OPTION_HELP)
    .addHelpText("after", EXAMPLES)
    .action((file: string, opts: { markdown?: boolean; env?: string }) => {
      const loaded = loadPipeline(ctx.io.cwd, file, opts.env);
      if (hasErrors(loaded.diagnostics) || !loaded.ir) {
        reportDiagnostics(ctx.io, [loaded], "text");
        ctx.exit(1);
        return;
      }
      const graph = lineageMermaid(loaded.ir);
      ctx.io.out(opts.markdown ? `\`\`\`mermaid\n${graph}\`\`\`\n` : graph);
      ctx.exit(0);
    });
}
