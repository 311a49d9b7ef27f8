// Column lineage as a Mermaid `graph LR`: raw JSON paths → output table columns → mart columns,
// printed from the lineage graph (graph.ts).
import type { PipelineIR } from "../../compiler/ir.js";
import { mermaidLabel } from "../text-escape.js";
import { stagingModel } from "../dbt/naming.js";
import { lineageGraph, type LineageGroup } from "./graph.js";

export { jsonPathText } from "./graph.js";

const label = mermaidLabel;

/** Stable ids in first-use order, so the output is deterministic. */
class Ids {
  private readonly ids = new Map<string, string>();

  id(key: string): string {
    let id = this.ids.get(key);
    if (!id) {
      id = `n${this.ids.size}`;
      this.ids.set(key, id);
    }
    return id;
  }
}

function title(g: LineageGroup): string {
  if (g.kind === "raw") return `raw ${g.name}: ${g.prefix}`;
  if (g.kind === "table") return `table ${g.name}`;
  return g.where !== undefined ? `mart ${g.name} where ${g.where}` : `mart ${g.name}`;
}

/** A hand-written dbt model: a node after the models it refs (model-level lineage, not columns). */
export interface ExtraModel {
  readonly name: string;
  readonly dependsOn: readonly string[];
}

/** The group a dbt model stands for: a mart, a staging model's table, or another hand-written model. */
function modelGroup(ir: PipelineIR, model: string): string {
  if (ir.marts.some((m) => m.name === model)) return `mart:${model}`;
  const table = ir.tables.find((t) => stagingModel(ir, t.name) === model);
  return table ? `table:${table.name}` : `model:${model}`;
}

/** The lineage graph of one pipeline, as Mermaid source (no surrounding code fence); `extra` adds hand-written models. */
export function lineageMermaid(ir: PipelineIR, extra: readonly ExtraModel[] = []): string {
  const graph = lineageGraph(ir);
  const ids = new Ids();
  const lines = ["graph LR"];
  for (const g of graph.groups) {
    lines.push(`  subgraph ${ids.id(g.key)}[${label(title(g))}]`);
    for (const n of g.nodes) lines.push(`    ${ids.id(n.key)}[${label(n.label)}]`);
    lines.push("  end");
  }
  for (const e of graph.edges) lines.push(`  ${ids.id(e.from)} ${e.rowsOnly ? "-.->" : "-->"} ${ids.id(e.to)}`);
  for (const m of extra) lines.push(`  ${ids.id(`model:${m.name}`)}[${label(`model ${m.name} (hand-written)`)}]`);
  for (const m of extra) for (const d of m.dependsOn) lines.push(`  ${ids.id(modelGroup(ir, d))} ==> ${ids.id(`model:${m.name}`)}`);
  return `${lines.join("\n")}\n`;
}
