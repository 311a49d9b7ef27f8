// The lakec command line. Adding a command: write cli/<command>.ts exporting
// `register(program, ctx)`, import it here and add it to COMMANDS.
import { Command, CommanderError } from "commander";
import { LakeBusyError } from "../engine/index.js";
import { UsageError, UserError, type CliContext, type CliIO, type RegisterCommand } from "./context.js";
import { register as compile } from "./compile.js";
import { register as init } from "./init.js";
import { register as validate } from "./validate.js";
import { register as graph } from "./graph.js";
import { register as run } from "./run.js";
import { register as query } from "./query.js";
import { register as show } from "./show.js";
import { register as dev } from "./dev.js";
import { register as compact } from "./compact.js";
import { register as plan } from "./plan.js";
import { register as apply } from "./apply.js";
import { register as docs } from "./docs.js";
import { register as test } from "./test.js";
import { register as completion } from "./completion.js";
import { argvWantsJson, jsonDocument, type JsonDocument } from "./json-output.js";
import { wantsColour } from "./style.js";
import { VERSION } from "./version.js";

const COMMANDS: readonly RegisterCommand[] = [
  validate,
  compile,
  init,
  run,
  test,
  query,
  show,
  graph,
  dev,
  compact,
  plan,
  apply,
  docs,
  completion,
];

const processIO: CliIO = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  cwd: process.cwd(),
  colour: { out: wantsColour(process.stdout.isTTY), err: wantsColour(process.stderr.isTTY) },
  outIsTTY: process.stdout.isTTY === true,
};

function buildProgram(ctx: CliContext): Command {
  const program = new Command("lakec")
    .description("compile pipeline.yaml into a data lake: AWS, Snowflake, dbt, Airflow, and a local DuckDB engine")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: (t) => ctx.io.out(t), writeErr: (t) => ctx.io.err(t) })
    .exitOverride()
    .version(VERSION, "-V, --version", "print lakec's version")
    .addHelpText(
      "after",
      "\nExamples:\n  $ lakec validate pipelines/reviews.yaml\n  $ lakec compile pipelines/*.yaml\n  $ lakec init --from sample.jsonl --name orders --out pipelines/orders.yaml",
    );
  for (const register of COMMANDS) register(program, ctx);
  // Subcommands inherit the output and exit behaviour, so their usage errors come back here too.
  for (const cmd of program.commands)
    cmd.exitOverride().configureOutput({ writeOut: (t) => ctx.io.out(t), writeErr: (t) => ctx.io.err(t) });
  return program;
}

/** Errno codes of a file system or machine that said no: the user's to fix, not a lakec bug. */
const ENVIRONMENT_CODES: Record<string, string> = {
  ENOSPC: "the disk is full: free some space and run again",
  EDQUOT: "the disk quota is used up: free some space and run again",
  EROFS: "the file system is read-only: use a writable folder",
  EACCES: "permission denied: check the folder's permissions",
  EPERM: "operation not permitted: check the folder's permissions",
  EMFILE: "too many open files: raise the limit (ulimit -n) and run again",
  ENFILE: "too many open files on this machine: run again later",
};

/** The one-line message of an error the user caused or can fix, or undefined for a lakec bug. */
function userCaused(err: unknown): string | undefined {
  if (err instanceof UserError || err instanceof LakeBusyError) return err.message;
  if (!(err instanceof Error)) return undefined;
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined && code in ENVIRONMENT_CODES) return `${err.message} (${ENVIRONMENT_CODES[code]})`;
  // DuckDB reports the same conditions as IO errors with the system's text.
  if (/No space left on device|Disk quota exceeded/.test(err.message)) return `${err.message} (${ENVIRONMENT_CODES.ENOSPC})`;
  if (/Read-only file system/.test(err.message)) return `${err.message} (${ENVIRONMENT_CODES.EROFS})`;
  return undefined;
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
  // 2 means "changes" under --detailed-exitcode: an error there must not look like one.
  const errorCode = argv.includes("--detailed-exitcode") ? 1 : 2;
  const json = argvWantsJson(argv);
  const command = argv.find((a) => !a.startsWith("-")) ?? "lakec";
  const failed = (error: NonNullable<JsonDocument["error"]>): number => {
    if (json) io.out(jsonDocument({ command, ok: false, diagnostics: [], error }));
    return errorCode;
  };
  try {
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      const ok = err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help";
      return ok ? 0 : failed({ kind: "usage", message: err.message.replace(/^error: /, "") });
    }
    if (err instanceof UsageError) {
      io.err(`lakec: ${err.message}\n`);
      return failed({ kind: "usage", message: err.message });
    }
    const mine = userCaused(err);
    if (mine !== undefined) {
      io.err(`lakec: ${mine}\n`);
      if (json) io.out(jsonDocument({ command, ok: false, diagnostics: [], error: { kind: "failure", message: mine } }));
      return 1;
    }
    const message = err instanceof Error ? err.message : String(err);
    const detail = process.env.LAKEC_DEBUG && err instanceof Error ? `\n${err.stack ?? ""}` : "";
    io.err(`lakec: internal error: ${message}${detail}\n(this is a bug in lakec; set LAKEC_DEBUG=1 for a stack trace)\n`);
    return failed({ kind: "internal", message });
  }
}
