// The dbt project options shared by validate, run, dev and test: where the user's own dbt files
// are (`--dbt-dir`, default `dbt/`, where `lakec compile` writes the project), and dbt's
// `--select`/`--exclude`. Hand-written files are checked like a pipeline: every problem is a
// diagnostic with file:line:col, printed with the pipeline's.
import { resolve } from "node:path";
import type { Command } from "commander";
import type { PipelineIR } from "../compiler/ir.js";
import type { DbtProjectOptions } from "../engine/index.js";
import { emitDbt, renderForDuckDB, UserProjectError } from "../targets/dbt/index.js";
import { projectNameClashes } from "../targets/dbt/user-project.js";
import { selectModels, SelectorError } from "../targets/dbt/select.js";
import { UsageError, type CliContext } from "./context.js";
import type { LoadedPipeline } from "./pipeline-files.js";

export interface DbtCliOptions {
  /** Default `dbt`. */
  dbtDir?: string;
  select?: string[];
  exclude?: string[];
}

const DEFAULT_DBT_DIR = "dbt";

export function addDbtDirOption(cmd: Command): Command {
  return cmd.option(
    "--dbt-dir <dir>",
    "the dbt project with your own models (models/custom/<pipeline>/) and tests (tests/<pipeline>/)",
    DEFAULT_DBT_DIR,
  );
}

export function addSelectOptions(cmd: Command): Command {
  return addDbtDirOption(cmd)
    .option(
      "--select <selectors...>",
      "only these models and their tests, as dbt: name, name+, +name, 2+name, @name, tag:<tag>, a,b (both)",
    )
    .option("--exclude <selectors...>", "leave these models out (same syntax)");
}

export function dbtOptions(ctx: CliContext, opts: DbtCliOptions): DbtProjectOptions {
  return {
    dbtDir: resolve(ctx.io.cwd, opts.dbtDir ?? DEFAULT_DBT_DIR),
    cwd: ctx.io.cwd,
    ...(opts.select && { select: opts.select }),
    ...(opts.exclude && { exclude: opts.exclude }),
  };
}

/**
 * The hand-written files' diagnostics as entries reportDiagnostics prints with their source
 * lines: rendering and refs, then (with `bind`) each model and test bound on DuckDB.
 */
export async function userProjectDiagnostics(
  ctx: CliContext,
  ir: PipelineIR,
  opts: DbtCliOptions,
  bind: boolean,
): Promise<LoadedPipeline[]> {
  // The engine (and DuckDB with it) loads only when needed: validate stays fast without a dbt/.
  const { hasUserFiles, readUserDbtFiles, checkUserProject } = await import("../engine/index.js");
  const user = await readUserDbtFiles(resolve(ctx.io.cwd, opts.dbtDir ?? DEFAULT_DBT_DIR), ir.name, ctx.io.cwd);
  if (!hasUserFiles(user)) return [];
  let diagnostics;
  if (bind) {
    diagnostics = await checkUserProject(ir, user);
  } else {
    try {
      renderForDuckDB(ir, emitDbt(ir), {}, user);
      diagnostics = [];
    } catch (e) {
      if (!(e instanceof UserProjectError)) throw e;
      diagnostics = e.diagnostics;
    }
  }
  const files = [...user.models, ...user.properties, ...user.tests, ...user.macros];
  return files.flatMap((f) => {
    const mine = diagnostics.filter((d) => d.file === f.path);
    return mine.length === 0 ? [] : [{ file: f.path, text: f.text, diagnostics: mine }];
  });
}

/** validate of several pipelines: hand-written model names that clash across the shared dbt project (LK605). */
export async function projectClashDiagnostics(ctx: CliContext, irs: readonly PipelineIR[], opts: DbtCliOptions): Promise<LoadedPipeline[]> {
  if (irs.length < 2) return [];
  const { readUserDbtFiles } = await import("../engine/index.js");
  const pipelines = [];
  for (const ir of irs)
    pipelines.push({ ir, files: await readUserDbtFiles(resolve(ctx.io.cwd, opts.dbtDir ?? DEFAULT_DBT_DIR), ir.name, ctx.io.cwd) });
  const diagnostics = projectNameClashes(pipelines);
  return pipelines.flatMap((p) =>
    p.files.models.flatMap((f) => {
      const mine = diagnostics.filter((d) => d.file === f.path);
      return mine.length === 0 ? [] : [{ file: f.path, text: f.text, diagnostics: mine }];
    }),
  );
}

/** Checks `--select`/`--exclude` before anything runs: a selector that matches nothing is a usage error. */
export async function checkSelection(ctx: CliContext, ir: PipelineIR, opts: DbtCliOptions): Promise<void> {
  if (!opts.select && !opts.exclude) return;
  const { readUserDbtFiles } = await import("../engine/index.js");
  const user = await readUserDbtFiles(resolve(ctx.io.cwd, opts.dbtDir ?? DEFAULT_DBT_DIR), ir.name, ctx.io.cwd);
  const project = renderForDuckDB(ir, emitDbt(ir), {}, user);
  try {
    const chosen = selectModels(project.models, opts.select, opts.exclude);
    if (chosen && chosen.size === 0) throw new UsageError("--select and --exclude leave no model to run");
  } catch (e) {
    throw e instanceof SelectorError ? new UsageError(e.message) : e;
  }
}
