// lakec plan FILE [--target local|aws|snowflake|all] [--format text|json] [--out PLAN] [--detailed-exitcode] [--fail-on destructive]
import { resolve } from "node:path";
import type { Command } from "commander";
import { hasErrors } from "../compiler/diagnostics.js";
import { CredentialError, explainAwsCredentialError } from "../deploy/credentials.js";
import { desiredState, type Desired } from "../deploy/desired.js";
import type { Plan, Target } from "../deploy/plan.js";
import { hasChanges } from "../deploy/plan.js";
import type { DeployedSnapshot } from "../deploy/planner.js";
import type { realContext } from "../deploy/real-context.js";
import { renderPlan } from "../deploy/render.js";
import { sha256Hex, writePlanFile } from "../deploy/saved-plan.js";
import { ENV_OPTION_HELP, LAKE_OPTION_HELP, lakeFolder, UsageError, type CliContext } from "./context.js";
import { addFormatOptions, formatOf, printJson, type FormatFlags } from "./json-output.js";
import { loadPipeline, reportDiagnostics } from "./pipeline-files.js";
import { userProjectDiagnostics } from "./dbt-project.js";
import { hasUserFiles, readUserDbtFiles } from "../engine/index.js";

const HELP = `
Compares the pipeline's compiled output with what is deployed and prints the steps that
\`lakec apply\` would run, layer by layer: + create, ~ update, -/+ replace, - destroy, <= data
to reprocess or rebuild. Destructive steps are repeated at the end. Nothing is changed.

Targets: local (the --lake folder), aws (CloudFormation stack and Glue scripts), snowflake
(integration, stages, external tables), all (aws, snowflake, and the dbt/Airflow publish
locations of the pipeline's \`publish:\` section). AWS credentials come from the default chain
(AWS_PROFILE, SSO, environment, instance role); Snowflake's from SNOWFLAKE_ACCOUNT,
SNOWFLAKE_USER and SNOWFLAKE_PASSWORD or SNOWFLAKE_PRIVATE_KEY_PATH.

Examples:
  $ lakec plan pipelines/reviews.yaml                       # the local lake
  $ lakec plan pipelines/reviews.yaml --target all --out reviews.plan
  $ lakec plan pipelines/reviews.yaml --target aws --detailed-exitcode --fail-on destructive

Exit codes: 0 ok (with --detailed-exitcode: no changes); 2 changes (with --detailed-exitcode);
1 an error, pipeline errors, or destructive steps with --fail-on destructive.`;

export interface PlanCliOptions {
  target: string;
  lake?: string;
  env?: string;
  drift: boolean;
  color: boolean;
}

export const TARGETS: readonly Target[] = ["local", "aws", "snowflake", "all"];

export function parseTarget(t: string): Target {
  if (!(TARGETS as readonly string[]).includes(t)) throw new UsageError(`--target ${t}: expected one of ${TARGETS.join(", ")}`);
  return t as Target;
}

/** Where a plan is made: the folder pipeline paths are shown relative to (the command's, or a saved plan's). */
export interface PlanPlace {
  readonly cwd: string;
  readonly file: string;
  readonly env?: string;
}

/**
 * Compiles the pipeline for its environment; undefined when it has errors, after printing its
 * diagnostics (as the command's JSON document when `json` names the command). `text` is the
 * file as compiled, which a saved plan is bound to.
 */
export async function loadDesired(
  ctx: CliContext,
  at: PlanPlace,
  json?: { command: string },
  dbtDir = "dbt",
): Promise<{ desired: Desired; text: string } | undefined> {
  const loaded = loadPipeline(at.cwd, at.file, at.env);
  // Hand-written dbt models are part of what is planned (local layer) and published (dbt).
  const dir = resolve(at.cwd, dbtDir);
  const mine = loaded.ir && !hasErrors(loaded.diagnostics) ? await userProjectDiagnostics(ctx, loaded.ir, { dbtDir: dir }, false) : [];
  const diagnostics = reportDiagnostics(ctx.io, [loaded, ...mine], json ? "json" : "text");
  if (hasErrors(diagnostics) || !loaded.ir || loaded.text === undefined) {
    if (json) printJson(ctx, { command: json.command, ok: false, diagnostics });
    return undefined;
  }
  const files = await readUserDbtFiles(dir, loaded.ir.name, at.cwd);
  return { desired: desiredState(loaded.ir, hasUserFiles(files) ? { dir, files } : undefined), text: loaded.text };
}

/** The lake folder of a plan: `--lake`, else the environment's own (`.lake/<env>`). */
export function planLake(cwd: string, desired: Desired, opts: PlanCliOptions): string {
  return resolve(cwd, lakeFolder(opts.lake, desired.ir.environment?.name));
}

export type RealContext = ReturnType<typeof realContext>;

/** The AWS SDK and the planner load only when a plan is made: other commands start faster. */
export async function contextFor(ctx: CliContext, desired: Desired, opts: PlanCliOptions, cwd = ctx.io.cwd): Promise<RealContext> {
  const { realContext } = await import("../deploy/real-context.js");
  return realContext({
    cwd,
    lakeDir: planLake(cwd, desired, opts),
    region: desired.ir.aws.region,
    warehouse: desired.ir.snowflake.warehouse,
    drift: opts.drift,
    env: process.env,
    log: (l) => ctx.io.err(`${l}\n`),
  });
}

/** Every failure of plan/apply is exit code 1 (`--detailed-exitcode` reserves 2 for changes). */
export function reportFailure(ctx: CliContext, e: unknown, json?: { command: string }): void {
  const err = explainAwsCredentialError(e);
  if (err instanceof UsageError) throw err;
  const message =
    err instanceof CredentialError
      ? err.message
      : err instanceof Error
        ? `${err.name === "Error" ? "" : `${err.name}: `}${err.message}`
        : String(err);
  ctx.io.err(`lakec: ${message.split("\n")[0]}\n`);
  if (json)
    printJson(ctx, { command: json.command, ok: false, diagnostics: [], error: { kind: "failure", message: message.split("\n")[0]! } });
  ctx.exit(1);
}

/** The plan and the context it was read through; the caller closes `dctx` (apply reuses it). */
export async function computePlan(
  ctx: CliContext,
  desired: Desired,
  opts: PlanCliOptions,
  cwd = ctx.io.cwd,
): Promise<{ plan: Plan; snapshot: DeployedSnapshot; dctx: RealContext }> {
  const dctx = await contextFor(ctx, desired, opts, cwd);
  try {
    const { layersFor, makePlan } = await import("../deploy/planner.js");
    const { plan, snapshot } = await makePlan(desired, layersFor(parseTarget(opts.target), desired), dctx);
    return { plan, snapshot, dctx };
  } catch (e) {
    await dctx.close();
    throw e;
  }
}

interface PlanOnlyOptions extends PlanCliOptions, FormatFlags {
  out?: string;
  detailedExitcode?: boolean;
  failOn?: string;
}

async function plan(ctx: CliContext, file: string, opts: PlanOnlyOptions): Promise<void> {
  try {
    await planOrThrow(ctx, file, opts);
  } catch (e) {
    // --detailed-exitcode keeps 2 for "changes": a usage error must not look like one.
    if (e instanceof UsageError && !opts.detailedExitcode) throw e;
    reportFailure(ctx, e instanceof UsageError ? new Error(e.message) : e, formatOf(opts) === "json" ? { command: "plan" } : undefined);
  }
}

async function planOrThrow(ctx: CliContext, file: string, opts: PlanOnlyOptions): Promise<void> {
  if (opts.failOn !== undefined && opts.failOn !== "destructive")
    throw new UsageError(`--fail-on ${opts.failOn}: the only value is 'destructive'`);
  parseTarget(opts.target);
  const json = formatOf(opts) === "json";
  const cwd = ctx.io.cwd;
  const loaded = await loadDesired(
    ctx,
    { cwd, file, ...(opts.env !== undefined && { env: opts.env }) },
    json ? { command: "plan" } : undefined,
  );
  if (!loaded) return ctx.exit(1);
  const { desired } = loaded;
  const { plan: p, dctx } = await computePlan(ctx, desired, opts);
  await dctx.close();
  if (opts.out) {
    const environment = desired.ir.environment?.name;
    const binding = {
      ...(environment !== undefined && { environment }),
      pipelinePath: resolve(cwd, file),
      pipelineSha256: sha256Hex(loaded.text),
      cwd: resolve(cwd),
      lake: planLake(cwd, desired, opts),
    };
    await writePlanFile(resolve(cwd, opts.out), p, binding);
  }
  if (json) printJson(ctx, { command: "plan", ok: true, diagnostics: [], result: p });
  else ctx.io.out(renderPlan(p, { color: opts.color && ctx.io.colour?.out === true }));
  if (opts.out && !json) ctx.io.out(`\nSaved the plan to ${opts.out}. Apply exactly it with: lakec apply ${opts.out}\n`);
  const destructive = p.steps.filter((s) => s.destructive).length;
  if (opts.failOn === "destructive" && destructive > 0) {
    ctx.io.err(`lakec: the plan has ${destructive} destructive step(s) and --fail-on destructive is set\n`);
    return ctx.exit(1);
  }
  if (opts.detailedExitcode && hasChanges(p)) ctx.exit(2);
}

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("plan")
    .description("show what `lakec apply` would change in AWS, Snowflake, dbt/Airflow or the local lake")
    .argument("<file>", "pipeline.yaml")
    .option("--target <target>", "local | aws | snowflake | all", "local")
    .option("--env <name>", ENV_OPTION_HELP)
    .option("--lake <dir>", `${LAKE_OPTION_HELP} (--target local)`)
    .option("--out <file>", "save the plan, to apply exactly it later with `lakec apply <file>`")
    .option("--detailed-exitcode", "exit 0 when there are no changes, 2 when there are, 1 on error")
    .option("--fail-on <kind>", "exit 1 when the plan has steps of this kind (destructive)")
    .option("--no-drift", "skip CloudFormation drift detection")
    .option("--no-color", "no ANSI colours (also: NO_COLOR=1)");
  addFormatOptions(cmd, ["text", "json"])
    .addHelpText("after", HELP)
    .action((file: string, opts: PlanOnlyOptions) => plan(ctx, file, opts));
}
