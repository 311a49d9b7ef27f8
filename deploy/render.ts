// Prints a plan for people: one block per layer, the data impact, the destructive steps again
// at the end (so a long plan cannot bury them), and the one-line summary CI logs grep for.
import { styleText } from "node:util";
import { nextScheduledRun } from "../compiler/check/schedule.js";
import { LAYERS, hasChanges, summarize, type Action, type Layer, type Plan, type Step, type Summary } from "./plan.js";

export interface RenderOptions {
  readonly color: boolean;
  /** The time the schedule's next run is counted from (default: now). */
  readonly now?: Date;
  /** Detail lines shown per step before "… and N more". */
  readonly maxDetails?: number;
}

const SYMBOL: Record<Action, string> = {
  create: "+",
  update: "~",
  replace: "-/+",
  destroy: "-",
  reprocess: "<=",
  rebuild: "<=",
  noop: " ",
};

type Format = Parameters<typeof styleText>[0];

const COLOR: Record<Action, Format> = {
  create: "green",
  update: "yellow",
  replace: "magenta",
  destroy: "red",
  reprocess: "cyan",
  rebuild: "cyan",
  noop: "reset",
};

const LAYER_TITLE: Record<Layer, string> = {
  aws: "AWS (CloudFormation stack and Glue scripts)",
  snowflake: "Snowflake (integration, stage, external tables)",
  dbt: "dbt project (published files)",
  airflow: "Airflow DAG (published files)",
  local: "local lake (views, models, processed data)",
};

/** The caller decides whether colour is on (NO_COLOR, FORCE_COLOR, a terminal), not Node. */
function paint(on: boolean, format: Format, text: string): string {
  return on ? styleText(format, text, { validateStream: false }) : text;
}

function verb(a: Action): string {
  return a === "reprocess" ? "reprocess " : a === "rebuild" ? "rebuild " : "";
}

export function renderStep(s: Step, o: RenderOptions): string[] {
  const sym = SYMBOL[s.action].padStart(3);
  const flag = s.destructive ? paint(o.color, ["bold", "red"], "  (destructive)") : "";
  const kind = s.change ? paint(o.color, s.change === "breaking" ? "yellow" : "green", `  [${s.change}]`) : "";
  const head = `  ${paint(o.color, COLOR[s.action], sym)} ${verb(s.action)}${s.resource}${kind}${flag}`;
  // Attribute lines and a model's SQL diff are the point of the step: show more of them.
  const max = o.maxDetails ?? (s.change ? 40 : 12);
  const shown = s.details.slice(0, max).map((d) => `        ${highlightReplacement(d, o.color)}`);
  if (s.details.length > max) shown.push(`        … and ${s.details.length - max} more`);
  return [head, ...shown, `        ${paint(o.color, "dim", `# ${s.reason}`)}`];
}

/** CloudFormation's replacement flags are the line a reviewer must not miss. */
function highlightReplacement(d: string, color: boolean): string {
  return /Replacement: (True|Conditional)/.test(d) ? paint(color, ["bold", "magenta"], d) : d;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function summaryLine(s: Summary): string {
  const head = `Plan: ${s.add} to add, ${s.change} to change, ${s.replace} to replace, ${s.destroy} to destroy`;
  const impact = [
    s.rawFiles ? `${plural(s.rawFiles, "raw file", "raw files")} to reprocess` : "",
    s.marts ? `${plural(s.marts, "mart", "marts")} to rebuild` : "",
    s.externalTables ? `${plural(s.externalTables, "external table", "external tables")} to recreate` : "",
  ].filter(Boolean);
  return impact.length ? `${head}; ${impact.join("; ")}` : head;
}

/** The line `apply` ends with, like Terraform's "Apply complete! Resources: …": what was done. */
export function appliedLine(layers: readonly string[], s: Summary): string {
  if (layers.length === 0) return "Apply complete: nothing to do";
  const done = [
    s.rawFiles ? `${plural(s.rawFiles, "raw file", "raw files")} reprocessed` : "",
    s.marts ? `${plural(s.marts, "mart", "marts")} rebuilt` : "",
    s.externalTables ? `${plural(s.externalTables, "external table", "external tables")} recreated` : "",
  ].filter(Boolean);
  return `Apply complete: ${layers.join(", ")}: ${s.add} added, ${s.change} changed, ${s.replace} replaced, ${s.destroy} destroyed${done.length ? `; ${done.join("; ")}` : ""}`;
}

function impactBlock(steps: readonly Step[]): string[] {
  const rows: string[] = [];
  for (const layer of LAYERS) {
    const mine = steps.filter((s) => s.layer === layer && s.impact);
    const files = mine.flatMap((s) => s.impact!.rawFiles ?? []);
    const marts = mine.flatMap((s) => s.impact!.marts ?? []);
    const tables = mine.flatMap((s) => s.impact!.externalTables ?? []);
    if (files.length) rows.push(`  ${layer}: ${plural(files.length, "raw file", "raw files")} to reprocess`);
    if (marts.length) rows.push(`  ${layer}: marts to rebuild: ${[...new Set(marts)].join(", ")}`);
    if (tables.length) rows.push(`  ${layer}: external tables recreated: ${[...new Set(tables)].join(", ")}`);
  }
  return rows.length ? ["Data impact:", ...rows, ""] : [];
}

function destructiveBlock(steps: readonly Step[], o: RenderOptions): string[] {
  const bad = steps.filter((s) => s.destructive);
  if (!bad.length) return [];
  const title = paint(o.color, ["bold", "red"], `Destructive changes (${bad.length}): apply refuses them without --allow-destructive`);
  return [title, ...bad.map((s) => `  ${SYMBOL[s.action]} [${s.layer}] ${s.resource}: ${s.reason}`), ""];
}

/** "Airflow schedule: 0 3 * * * (UTC), next run 2026-12-05 03:00 UTC", or nothing without a schedule. */
export function scheduleLine(schedule: string | undefined, now: Date): string[] {
  if (schedule === undefined) return [];
  if (schedule === "dataset") return ["Airflow schedule: dataset (runs when the Glue jobs update a processed table)"];
  const next = nextScheduledRun(schedule, now);
  const when = next ? `, next run ${next.toISOString().slice(0, 16).replace("T", " ")} UTC` : "";
  return [`Airflow schedule: ${schedule}${/^@(once|continuous)$/.test(schedule) ? "" : " (UTC)"}${when}`];
}

export function renderPlan(plan: Plan, o: RenderOptions): string {
  const env = plan.environment === undefined ? "" : ` [environment ${plan.environment}]`;
  const out: string[] = [
    `lakec plan: ${plan.pipeline}${env} (${plan.pipelineFile}) → ${plan.targets.join(", ")}`,
    ...scheduleLine(plan.schedule, o.now ?? new Date()),
    "",
  ];
  for (const w of plan.warnings ?? []) out.push(paint(o.color, "yellow", `warning: ${w}`));
  for (const n of plan.notes) out.push(`note: ${n}`);
  if (plan.notes.length || plan.warnings?.length) out.push("");
  if (!hasChanges(plan)) {
    out.push(`No changes. The deployed state matches ${plan.pipelineFile}.`);
    return `${out.join("\n")}\n`;
  }
  for (const layer of plan.targets) {
    const steps = plan.steps.filter((s) => s.layer === layer && s.action !== "noop");
    out.push(paint(o.color, "bold", LAYER_TITLE[layer]));
    if (!steps.length) out.push("  no changes");
    for (const s of steps) out.push(...renderStep(s, o));
    out.push("");
  }
  out.push(...impactBlock(plan.steps), ...destructiveBlock(plan.steps, o), summaryLine(summarize(plan.steps)));
  return `${out.join("\n")}\n`;
}
