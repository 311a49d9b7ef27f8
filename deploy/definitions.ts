// What a plan compares attribute by attribute, like Terraform's attribute diffs and SQLMesh's
// model diffs: each source and mart as named things ("column title", "measure max_rating")
// with text attributes. `lakec apply` records them, so the next plan can say
// `~ column title: cleaning … → …` or `+ measure max_rating max(rating)` instead of "changed",
// and classify the change as breaking (consumers of existing columns or rows see something
// else) or non-breaking (only additions).
import type { MartIR, PipelineIR, SourceIR } from "../compiler/ir.js";
import { typeToString } from "../compiler/ir.js";
import { printExpr } from "../compiler/expr/print.js";

/** thing → attribute → value, e.g. {"column title": {type: "string", cleaning: "…"}}. */
export type Definition = Readonly<Record<string, Readonly<Record<string, string>>>>;

export type ChangeKind = "breaking" | "non-breaking";

export function sourceDefinition(s: SourceIR): Definition {
  const out: Record<string, Record<string, string>> = {
    key: { value: s.key.join(", ") },
    on_invalid: { value: JSON.stringify(s.onInvalid) },
  };
  for (const c of s.columns) {
    out[`column ${c.name}`] = {
      type: typeToString(c.type),
      from: c.path.join("."),
      required: String(c.required),
      // The text after strip/trim/null_if, as the engine's SQL computes it.
      cleaning: printExpr(c.text, "duckdb", { rawRoot: "raw" }),
      ...(c.split !== undefined && { split: JSON.stringify(c.split) }),
    };
  }
  for (const check of s.checks) out[`check ${JSON.stringify(check)}`] = { value: "" };
  return out;
}

export function martDefinition(m: MartIR): Definition {
  const out: Record<string, Record<string, string>> = {
    from: {
      value: [
        m.from,
        ...m.joins.map(
          (j) =>
            `join ${j.table} on ${j.on.map((o) => `${o.left.table}.${o.left.column} = ${o.right.table}.${o.right.column}`).join(" and ")}`,
        ),
      ].join(" "),
    },
    grain: { value: m.grain.map((g) => g.name).join(", ") },
  };
  if (m.whereText !== undefined) out["where"] = { value: m.whereText };
  for (const measure of m.measures) out[`measure ${measure.name}`] = { value: measure.text };
  return out;
}

export function pipelineDefinitions(ir: PipelineIR): { sources: Record<string, Definition>; marts: Record<string, Definition> } {
  return {
    sources: Object.fromEntries(ir.sources.map((s) => [s.name, sourceDefinition(s)])),
    marts: Object.fromEntries(ir.marts.map((m) => [m.name, martDefinition(m)])),
  };
}

const shown = (attrs: Readonly<Record<string, string>>): string =>
  Object.entries(attrs)
    .map(([k, v]) => (k === "value" ? v : `${k} ${v}`))
    .filter((t) => t !== "")
    .join(", ");

/**
 * Attribute-level lines from `before` to `after`, and whether the change is breaking: anything
 * but an added thing (a new column, measure or check) changes what existing consumers see.
 */
export function diffDefinition(before: Definition, after: Definition): { lines: string[]; kind: ChangeKind | undefined } {
  const lines: string[] = [];
  let breaking = false;
  for (const [thing, attrs] of Object.entries(after)) {
    const old = before[thing];
    if (old === undefined) {
      lines.push(`+ ${thing}${shown(attrs) ? ` ${shown(attrs)}` : ""}`);
      continue;
    }
    for (const [k, v] of Object.entries(attrs)) {
      if (old[k] === v) continue;
      breaking = true;
      const label = k === "value" ? "" : `${k} `;
      lines.push(old[k] === undefined ? `~ ${thing}: + ${label}${v}` : `~ ${thing}: ${label}${old[k]} → ${v}`);
    }
    for (const [k, v] of Object.entries(old)) {
      if (k in attrs) continue;
      breaking = true;
      lines.push(`~ ${thing}: - ${k === "value" ? "" : `${k} `}${v}`);
    }
  }
  for (const [thing, attrs] of Object.entries(before)) {
    if (thing in after) continue;
    breaking = true;
    lines.push(`- ${thing}${shown(attrs) ? ` ${shown(attrs)}` : ""}`);
  }
  return { lines, kind: lines.length === 0 ? undefined : breaking ? "breaking" : "non-breaking" };
}
