// lakec apply FILE|PLAN [--target …] [--allow-destructive] [--yes]
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { hasChanges, summarize, type Plan, type Step } from "../deploy/plan.js";
import type { DeployedSnapshot } from "../deploy/planner.js";
import { appliedLine, renderPlan, renderStep } from "../deploy/render.js";
import { bindingRefusal, readPlanFile, staleReason } from "../deploy/saved-plan.js";
import type { Desired } from "../deploy/desired.js";
import { ENV_OPTION_HELP, LAKE_OPTION_HELP, UsageError, type CliContext } from "./context.js";
import { computePlan, loadDesired, parseTarget, reportFailure, type PlanCliOptions, type RealContext } from "./plan.js";

const HELP = `
Computes the plan (as \`lakec plan\` prints it), asks for confirmation, and executes it:
AWS stack and Glue scripts → Snowflake → the stack parameters that wire Snowflake's IAM user,
external ID and notification queue into AWS → dbt/Airflow files → the local lake. Every step
is idempotent: an interrupted apply is finished by running it again.

Safety:
  - destructive steps (replacing or deleting a bucket, dropping an external table or a mart,
    narrowing a type) are refused unless --allow-destructive is given;
  - on a terminal apply asks for confirmation; elsewhere it needs --yes;
  - \`lakec apply PLAN\` applies a plan saved with \`lakec plan --out PLAN\` without asking
    again, and refuses it if the pipeline or the deployed state changed since.

Examples:
  $ lakec apply pipelines/reviews.yaml                      # the local lake
  $ lakec apply pipelines/reviews.yaml --target all --yes
  $ lakec plan pipelines/reviews.yaml --target all --out reviews.plan && lakec apply reviews.plan

Exit codes: 0 applied (or nothing to do); 1 refused, failed, or pipeline errors; 2 usage error.`;

/** The terminal, separate so tests can answer the confirmation prompt. */
export interface Terminal {
  readonly interactive: boolean;
  ask(question: string): Promise<string>;
}

export const processTerminal: Terminal = {
  get interactive(): boolean {
    return process.stdin.isTTY === true && process.stdout.isTTY === true;
  },
  async ask(question) {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
};

interface ApplyCliOptions extends PlanCliOptions {
  allowDestructive?: boolean;
  yes?: boolean;
}

/**
 * A saved plan is JSON with a `lakec-plan/N` format tag (any N, so an older plan is refused with
 * its reason instead of read as a pipeline); anything else (a pipeline, even in JSON) is a pipeline.
 */
function looksLikeSavedPlan(cwd: string, file: string): boolean {
  try {
    const format = (JSON.parse(readFileSync(resolve(cwd, file), "utf8")) as { format?: unknown }).format;
    return typeof format === "string" && format.startsWith("lakec-plan/");
  } catch {
    return false;
  }
}

interface Prepared {
  readonly plan: Plan;
  readonly desired: Desired;
  readonly snapshot: DeployedSnapshot;
  readonly saved: boolean;
  readonly dctx: RealContext;
}

async function prepare(ctx: CliContext, file: string, opts: ApplyCliOptions, targetGiven: boolean): Promise<Prepared | undefined> {
  if (!looksLikeSavedPlan(ctx.io.cwd, file)) {
    const loaded = await loadDesired(ctx, { cwd: ctx.io.cwd, file, ...(opts.env !== undefined && { env: opts.env }) });
    if (!loaded) return undefined;
    return { ...(await computePlan(ctx, loaded.desired, opts)), desired: loaded.desired, saved: false };
  }
  if (targetGiven) throw new UsageError("a saved plan carries its own targets: drop --target");
  const { plan: saved, binding } = await readPlanFile(resolve(ctx.io.cwd, file));
  const refusal = bindingRefusal(binding, {
    ...(opts.env !== undefined && { environment: opts.env }),
    ...(opts.lake !== undefined && { lake: resolve(ctx.io.cwd, opts.lake) }),
    ...readable(binding.pipelinePath),
  });
  if (refusal) throw new Error(`refusing the saved plan ${file}: ${refusal}. Run \`lakec plan\` again`);
  // The plan is recomputed where it was made: same folder, file, environment and lake.
  const at = { cwd: binding.cwd, file: binding.pipelinePath, ...(binding.environment !== undefined && { env: binding.environment }) };
  const loaded = await loadDesired(ctx, at);
  if (!loaded) return undefined;
  const { desired } = loaded;
  const target = saved.targets.length === 1 && saved.targets[0] !== "dbt" && saved.targets[0] !== "airflow" ? saved.targets[0]! : "all";
  const fresh = await computePlan(ctx, desired, { ...opts, target, lake: binding.lake }, binding.cwd);
  const why = staleReason(saved, fresh.plan);
  if (why) {
    await fresh.dctx.close();
    throw new Error(`refusing the saved plan ${file}: ${why}. Run \`lakec plan\` again`);
  }
  return { ...fresh, desired, saved: true };
}

function readable(path: string): { pipelineBytes?: Uint8Array } {
  try {
    return { pipelineBytes: readFileSync(path) };
  } catch {
    return {};
  }
}

async function confirmed(ctx: CliContext, term: Terminal, opts: ApplyCliOptions): Promise<boolean> {
  if (opts.yes) return true;
  if (!term.interactive) {
    ctx.io.err("lakec: apply needs --yes when it is not run in a terminal (nobody can confirm)\n");
    return false;
  }
  const answer = await term.ask("Apply these changes? Only 'yes' is accepted: ");
  if (answer.trim() === "yes") return true;
  ctx.io.err("lakec: apply cancelled\n");
  return false;
}

async function apply(ctx: CliContext, term: Terminal, file: string, opts: ApplyCliOptions, targetGiven: boolean): Promise<void> {
  parseTarget(opts.target);
  let prepared: Prepared | undefined;
  try {
    prepared = await prepare(ctx, file, opts, targetGiven);
    if (!prepared) return ctx.exit(1);
    const { plan, desired, snapshot } = prepared;
    ctx.io.out(renderPlan(plan, { color: opts.color && ctx.io.colour?.out === true }));
    if (!hasChanges(plan)) return;
    const { applyPlan, checkDestructive } = await import("../deploy/apply.js");
    checkDestructive(plan, opts.allowDestructive === true);
    if (!prepared.saved && !(await confirmed(ctx, term, opts))) return ctx.exit(1);
    const show = (steps: readonly Step[]): void => ctx.io.out(`${steps.flatMap((s) => renderStep(s, { color: false })).join("\n")}\n`);
    const account = process.env.LAKEC_AWS_ACCOUNT_ID;
    const result = await applyPlan(plan, desired, snapshot, prepared.dctx, {
      allowDestructive: opts.allowDestructive === true,
      showChanges: show,
      ...(account ? { awsAccountId: account } : {}),
    });
    for (const p of result.problems) ctx.io.err(`lakec: ${p}\n`);
    const done = summarize(plan.steps.filter((st) => result.applied.includes(st.layer) && st.action !== "noop"));
    ctx.io.out(`\n${appliedLine(result.applied, done)}${result.problems.length ? ` (${result.problems.length} problem(s))` : ""}\n`);
    if (result.problems.length) ctx.exit(1);
  } catch (e) {
    reportFailure(ctx, e);
  } finally {
    await prepared?.dctx.close();
  }
}

export function register(program: Command, ctx: CliContext, term: Terminal = processTerminal): void {
  program
    .command("apply")
    .description("execute the plan: AWS, Snowflake, dbt/Airflow publishing or the local lake")
    .argument("<file>", "pipeline.yaml, or a plan saved with `lakec plan --out`")
    .option("--target <target>", "local | aws | snowflake | all", "local")
    .option("--env <name>", ENV_OPTION_HELP)
    .option("--lake <dir>", `${LAKE_OPTION_HELP} (--target local)`)
    .option("--allow-destructive", "accept destructive steps (bucket replacement, dropped tables or marts, narrowed types)")
    .option("-y, --yes", "do not ask for confirmation (required when not on a terminal)")
    .option("--no-drift", "skip CloudFormation drift detection")
    .option("--no-color", "no ANSI colours (also: NO_COLOR=1)")
    .addHelpText("after", HELP)
    .action((file: string, opts: ApplyCliOptions, cmd: Command) =>
      apply(ctx, term, file, opts, cmd.getOptionValueSource("target") === "cli"),
    );
}
