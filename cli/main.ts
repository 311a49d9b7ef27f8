// The lakec command line. Adding a command: write cli/<command>.ts exporting
// `register(program, ctx)`, import it here and add it to COMMANDS.
import { Command, CommanderError } from "commander";
import { UsageError, type CliContext, type CliIO, type RegisterCommand } from "./context.js";
import { register as compile } from "./compile.js";
import { register as init } from "./init.js";
import { register as validate } from "./validate.js";
import { register as graph } from "./graph.js";
import { register as run } from "./run.js";
import { register as query } from "./query.js";
import { register as show } from "./show.js";
import { register as dev } from "./dev.js";
import { register as plan } from "./plan.js";
import { register as apply } from "./apply.js";
import { register as docs } from "./docs.js";

const COMMANDS: readonly RegisterCommand[] = [validate, compile, init, run, query, show, graph, dev, plan, apply, docs];

const processIO: CliIO = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  cwd: process.cwd(),
};

function buildProgram(ctx: CliContext): Command {
  const program = new Command("lakec")
    .description("compile pipeline.yaml into a data lake: AWS, Snowflake, dbt, Airflow, and a local DuckDB engine")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: (t) => ctx.io.out(t), writeErr: (t) => ctx.io.err(t) })
    .exitOverride()
    .addHelpText("after", "\nExamples:\n  $ lakec validate pipelines/reviews.yaml\n  $ lakec compile pipelines/*.yaml\n  $ lakec init --from sample.jsonl --name orders --out pipelines/orders.yaml");
  for (const register of COMMANDS) register(program, ctx);
  // Subcommands inherit the output and exit behaviour, so their usage errors come back here too.
  for (const cmd of program.commands) cmd.exitOverride().configureOutput({ writeOut: (t) => ctx.io.out(t), writeErr: (t) => ctx.io.err(t) });
  return program;
}

/** Runs lakec with `argv` (without node and script) and returns the exit code. Never throws. */
export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  let code = 0;
  const ctx: CliContext = { io, exit: (c) => void (code = Math.max(code, c)) };
  const program = buildProgram(ctx);
  if (argv.length === 0) {
    program.outputHelp();
    return 2;
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      const ok = err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help";
      return ok ? 0 : 2;
    }
    if (err instanceof UsageError) {
      io.err(`lakec: ${err.message}\n`);
      return 2;
    }
    const detail = process.env.LAKEC_DEBUG && err instanceof Error ? `\n${err.stack ?? ""}` : "";
    io.err(`lakec: internal error: ${err instanceof Error ? err.message : String(err)}${detail}\n(this is a bug in lakec; set LAKEC_DEBUG=1 for a stack trace)\n`);
    return 2;
  }
}
