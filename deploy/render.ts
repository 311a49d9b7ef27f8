// Prints a plan for people: one block per layer, the data impact, the destructive steps again
// at the end (so a long plan cannot bury them), and the one-line summary CI logs grep for.
import { LAYERS, hasChanges, summarize, type Action, type Layer, type Plan, type Step, type Summary } from "./plan.js";

export interface RenderOptions {
  readonly color: boolean;
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

const COLOR: Record<Action, string> = {
  create: "32",
  update: "33",
  replace: "35",
  destroy: "31",
  reprocess: "36",
  rebuild: "36",
  noop: "0",
};

const LAYER_TITLE: Record<Layer, string> = {
  aws: "AWS (CloudFormation stack and Glue scripts)",
  snowflake: "Snowflake (integration, stage, external tables)",
  dbt: "dbt project (published files)",
  airflow: "Airflow DAG (published files)",
  local: "local lake (views, models, processed data)",
};

function paint(on: boolean, code: string, text: string): string {
  return on ? `\u001b[${code}m${text}\u001b[0m` : text;
}

function verb(a: Action): string {
  return a === "reprocess" ? "reprocess " : a === "rebuild" ? "rebuild " : "";
}

export function renderStep(s: Step, o: RenderOptions): string[] {
  const sym = SYMBOL[s.action].padStart(3);
  const flag = s.destructive ? paint(o.color, "1;31", "  (destructive)") : "";
  const head = `  ${paint(o.color, COLOR[s.action], sym)} ${verb(s.action)}${s.resource}${flag}`;
  const max = o.maxDetails ?? 12;
  const shown = s.details.slice(0, max).map((d) => `        ${highlightReplacement(d, o.color)}`);
  if (s.details.length > max) shown.push(`        … and ${s.details.length - max} more`);
  return [head, ...shown, `        ${paint(o.color, "2", `# ${s.reason}`)}`];
}

/** CloudFormation's replacement flags are the line a reviewer must not miss. */
function highlightReplacement(d: string, color: boolean): string {
  return /Replacement: (True|Conditional)/.test(d) ? paint(color, "1;35", d) : d;
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
  const title = paint(o.color, "1;31", `Destructive changes (${bad.length}): apply refuses them without --allow-destructive`);
  return [title, ...bad.map((s) => `  ${SYMBOL[s.action]} [${s.layer}] ${s.resource}: ${s.reason}`), ""];
}

export function renderPlan(plan: Plan, o: RenderOptions): string {
  const out: string[] = [`lakec plan: ${plan.pipeline} (${plan.pipelineFile}) → ${plan.targets.join(", ")}`, ""];
  for (const w of plan.warnings ?? []) out.push(paint(o.color, "33", `warning: ${w}`));
  for (const n of plan.notes) out.push(`note: ${n}`);
  if (plan.notes.length || plan.warnings?.length) out.push("");
  if (!hasChanges(plan)) {
    out.push(`No changes. The deployed state matches ${plan.pipelineFile}.`);
    return `${out.join("\n")}\n`;
  }
  for (const layer of plan.targets) {
    const steps = plan.steps.filter((s) => s.layer === layer && s.action !== "noop");
    out.push(paint(o.color, "1", LAYER_TITLE[layer]));
    if (!steps.length) out.push("  no changes");
    for (const s of steps) out.push(...renderStep(s, o));
    out.push("");
  }
  out.push(...impactBlock(plan.steps), ...destructiveBlock(plan.steps, o), summaryLine(summarize(plan.steps)));
  return `${out.join("\n")}\n`;
}
