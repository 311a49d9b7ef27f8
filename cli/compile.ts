// lakec compile FILE… [--out generated] [--check] [--target NAME…]
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { Command } from "commander";
import { hasErrors } from "../compiler/diagnostics.js";
import type { PipelineIR } from "../compiler/ir.js";
import { didYouMean } from "../compiler/diagnostics.js";
import { findTarget, layoutOutput, targets, type Target } from "../targets/registry.js";
import { UsageError, type CliContext } from "./context.js";
import { addFormatOptions, formatOf, printJson, type FormatFlags } from "./json-output.js";
import { loadProject, reportDiagnostics, type LoadedPipeline } from "./pipeline-files.js";
import { projectClashDiagnostics, userProjectDiagnostics } from "./dbt-project.js";
import { paintDiff, paintFor } from "./style.js";
import { diffTree, foreignFiles, formatChanges, writeTree, type FileChange, type OutputTree } from "./write-tree.js";

const EXAMPLES = `
Examples:
  $ lakec compile pipelines/reviews.yaml              # writes generated/reviews/…
  $ lakec compile pipelines/*.yaml --check            # CI: exit 1 with a diff when generated/ is stale
  $ lakec compile pipelines/reviews.yaml --target ir-json --out /tmp/out

Files go to <out>/<pipeline>/<target>/…, or <out>/<pipeline>/<environment>/<target>/… for a
pipeline with environments: (every environment unless --env names one). The shared dbt project
goes to dbt/ beside <out> when <out> is a folder below the current one (the default,
generated/), else to <out>/dbt/: nothing is written outside the current folder or <out>.
Hand-written dbt models and tests (dbt/models/custom/<pipeline>/, dbt/tests/<pipeline>/) are
never written, and are checked as \`lakec validate\` checks them: a compile that would break one
fails. A compile writes every file or none, and
removes files that are no longer generated, but only files with lakec's "do not edit" header:
your own files in those folders are kept.
Targets: ${targets.map((t) => t.name).join(", ")}.
Exit codes: 0 ok, 1 a pipeline has errors or (with --check) the output is stale, 2 usage or internal error.`;

interface CompileOptions extends FormatFlags {
  out: string;
  env?: string;
  check?: boolean;
  target?: string[];
}

function selectTargets(names: readonly string[] | undefined): Target[] | undefined {
  if (!names) return undefined;
  return names.map((n) => {
    const t = findTarget(n);
    if (!t)
      throw new UsageError(
        `unknown target '${n}'; ${
          didYouMean(
            n,
            targets.map((x) => x.name),
          ) ?? `targets are ${targets.map((x) => x.name).join(", ")}`
        }`,
      );
    return t;
  });
}

/**
 * Where the shared dbt/ project goes: beside `out` when that is inside `cwd` (`generated/` → `./dbt`),
 * else inside `out`, so that `--out .` or `--out /tmp/x` never writes into a parent folder.
 */
export function projectRoot(out: string, cwd: string): string {
  const parent = relative(cwd, dirname(out));
  return parent === "" || (!parent.startsWith("..") && !isAbsolute(parent)) ? dirname(out) : out;
}

/** Joins every pipeline's layout with real folders: `<out>/<pipeline>/` and the project root. */
export function outputTree(irs: readonly PipelineIR[], out: string, selected: Target[] | undefined, root = dirname(out)): OutputTree {
  const files = new Map<string, string>();
  const ownedDirs: string[] = [];
  for (const ir of irs) {
    const layout = layoutOutput(ir, selected);
    // Each environment has its own folder, so a review shows what differs between them.
    const base = ir.environment ? join(out, ir.name, ir.environment.name) : join(out, ir.name);
    const everyEnvironment = ir.environment && irs.filter((i) => i.name === ir.name).length === ir.environment.all.length;
    // With every environment compiled, the pipeline's whole folder is owned: a removed environment's files go.
    if (everyEnvironment && !selected) ownedDirs.push(join(out, ir.name));
    for (const [p, c] of layout.pipelineFiles) files.set(join(base, p), c);
    for (const [p, c] of layout.projectFiles) {
      const at = join(root, p);
      if (files.has(at) && files.get(at) !== c) throw new Error(`pipelines emit different contents for the shared file ${p}`);
      files.set(at, c);
    }
    ownedDirs.push(...layout.pipelineDirs.map((d) => join(base, d)), ...layout.projectDirs.map((d) => join(root, d)));
  }
  return { files, ownedDirs };
}

function summary(changes: readonly FileChange[]): string {
  const count = (k: FileChange["kind"]): number => changes.filter((c) => c.kind === k).length;
  return `${count("added")} added, ${count("modified")} modified, ${count("removed")} removed`;
}

/**
 * The hand-written dbt files in the project compile writes (dbt/models/custom/<pipeline>/ …),
 * checked like validate checks them, so a pipeline edit that breaks one fails here, not in dbt.
 */
async function handWritten(
  ctx: CliContext,
  pipelines: readonly LoadedPipeline[],
  root: string,
  selected: Target[] | undefined,
): Promise<LoadedPipeline[]> {
  if (pipelines.some((l) => hasErrors(l.diagnostics) || !l.ir) || (selected && !selected.some((t) => t.name === "dbt"))) return [];
  const dbt = { dbtDir: join(root, "dbt") };
  const mine: LoadedPipeline[] = [];
  for (const l of pipelines) mine.push(...(await userProjectDiagnostics(ctx, l.ir!, dbt, true)));
  return [
    ...mine,
    ...(await projectClashDiagnostics(
      ctx,
      pipelines.map((l) => l.ir!),
      dbt,
    )),
  ];
}

async function run(ctx: CliContext, files: string[], opts: CompileOptions): Promise<void> {
  const format = formatOf(opts);
  const selected = selectTargets(opts.target);
  const pipelines = loadProject(ctx.io.cwd, files, opts.env);
  const out = resolve(ctx.io.cwd, opts.out);
  const root = projectRoot(out, resolve(ctx.io.cwd));
  const mine = await handWritten(ctx, pipelines, root, selected);
  const loaded = [...pipelines, ...mine];
  const diagnostics = reportDiagnostics(ctx.io, loaded, format);
  const shown = (p: string): string => relative(root, p).split(sep).join("/");
  const done = (ok: boolean, changes: readonly FileChange[], text: string, kept: readonly string[] = []): void => {
    const listed = changes.map((c) => ({ path: shown(c.path), kind: c.kind }));
    if (format === "json")
      printJson(ctx, {
        command: "compile",
        ok,
        diagnostics,
        result: {
          check: opts.check === true,
          pipelines: pipelines.flatMap((l) => (l.ir ? [l.ir.name] : [])),
          changes: listed,
          kept: kept.map(shown),
        },
      });
    else ctx.io.out(text);
    ctx.exit(ok ? 0 : 1);
  };
  if (pipelines.some((l) => hasErrors(l.diagnostics) || !l.ir) || hasErrors(diagnostics)) return done(false, [], "");
  const irs = pipelines.flatMap((l) => l.irs ?? [l.ir!]);
  const tree = outputTree(irs, out, selected, root);
  const names = [...new Set(irs.map((i) => (i.environment ? `${i.name} (${i.environment.name})` : i.name)))].join(", ");
  if (opts.check) {
    const changes = diffTree(tree);
    if (changes.length === 0) return done(true, [], `up to date: ${names}\n`);
    const again = [
      "lakec compile",
      ...files,
      ...(opts.out === "generated" ? [] : ["--out", opts.out]),
      ...(opts.env ? ["--env", opts.env] : []),
      ...(opts.target ? ["--target", ...opts.target] : []),
    ];
    ctx.io.err(`generated output is stale (${summary(changes)}); run: ${again.join(" ")}\n`);
    return done(false, changes, paintDiff(formatChanges(changes, root), paintFor(ctx.io.colour?.out === true)));
  }
  let changes: FileChange[];
  try {
    changes = writeTree(tree);
  } catch (err) {
    // The file system said no (permissions, a file where a folder must go): not a lakec bug.
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const kept = changes.length === 0 ? [] : foreignFiles(tree);
  const keptLine = kept.length > 0 ? `kept ${kept.length} file(s) without lakec's header: ${kept.map(shown).join(", ")}\n` : "";
  done(true, changes, (changes.length === 0 ? `up to date: ${names}\n` : `compiled ${names}: ${summary(changes)}\n`) + keptLine, kept);
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("compile")
    .description("compile pipelines into generated/<pipeline>/ (all targets) and the shared dbt/ project")
    .argument("<files...>", "pipeline.yaml files")
    .option("--out <dir>", "output folder for pipeline files", "generated")
    .option("--check", "write nothing; exit 1 with a unified diff when the output on disk is stale")
    .option("--env <name>", "compile only this environment of pipelines with environments: (default: every environment)")
    .option("--target <names...>", "compile only these targets");
  addFormatOptions(cmd, ["text", "json"])
    .addHelpText("after", EXAMPLES)
    .action((files: string[], opts: CompileOptions) => run(ctx, files, opts));
}
