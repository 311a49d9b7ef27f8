// Column lineage as a Mermaid `graph LR`: raw JSON paths → output table columns → mart columns.
// Built from the IR's lineage only, so the picture is exactly what the compiler derived.
import type { MartIR, PipelineIR, TableIR } from "../../compiler/ir.js";
import { findTable } from "../../compiler/ir.js";
import { mermaidLabel } from "../text-escape.js";

const label = mermaidLabel;

/** `$.a.b` for plain keys, `$.a["Size:"]` for keys that are not identifiers. */
export function jsonPathText(path: readonly string[]): string {
  return `$${path.map((k) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`)).join("")}`;
}

class Graph {
  private readonly ids = new Map<string, string>();
  readonly edges: string[] = [];

  /** Stable ids in first-use order, so the output is deterministic. */
  id(key: string): string {
    let id = this.ids.get(key);
    if (!id) {
      id = `n${this.ids.size}`;
      this.ids.set(key, id);
    }
    return id;
  }

  edge(from: string, to: string, dotted = false): void {
    const line = `  ${this.id(from)} ${dotted ? "-.->" : "-->"} ${this.id(to)}`;
    if (!this.edges.includes(line)) this.edges.push(line);
  }
}

const rawKey = (source: string, path: readonly string[]) => `raw:${source}:${JSON.stringify(path)}`;
const colKey = (table: string, column: string) => `table:${table}:${column}`;
const martKey = (mart: string, column: string) => `mart:${mart}:${column}`;

function rawSubgraphs(ir: PipelineIR, g: Graph): string[] {
  const out: string[] = [];
  for (const s of ir.sources) {
    const paths = new Map<string, readonly string[]>();
    for (const t of ir.tables.filter((x) => x.source === s.name)) {
      for (const c of t.columns) for (const p of c.lineage.paths) paths.set(JSON.stringify(p), p);
    }
    out.push(`  subgraph ${g.id(`raw:${s.name}`)}[${label(`raw ${s.name}: ${s.prefix}`)}]`);
    for (const p of paths.values()) out.push(`    ${g.id(rawKey(s.name, p))}[${label(jsonPathText(p))}]`);
    out.push("  end");
  }
  return out;
}

function tableSubgraph(t: TableIR, g: Graph): string[] {
  const out = [`  subgraph ${g.id(`table:${t.name}`)}[${label(`table ${t.name}`)}]`];
  for (const c of t.columns) {
    out.push(`    ${g.id(colKey(t.name, c.name))}[${label(c.name)}]`);
    // A child's carried columns come from its parent's row, not again from the raw record.
    if (t.child?.carried.includes(c.name)) g.edge(colKey(t.child.parent, c.name), colKey(t.name, c.name));
    else for (const p of c.lineage.paths) g.edge(rawKey(t.source, p), colKey(t.name, c.name));
  }
  out.push("  end");
  return out;
}

function martSubgraph(ir: PipelineIR, m: MartIR, g: Graph): string[] {
  const title = m.whereText ? `mart ${m.name} where ${m.whereText}` : `mart ${m.name}`;
  const out = [`  subgraph ${g.id(`mart:${m.name}`)}[${label(title)}]`];
  for (const c of m.columns) out.push(`    ${g.id(martKey(m.name, c.name))}[${label(c.name)}]`);
  out.push("  end");
  for (const x of m.grain) g.edge(colKey(x.table, x.column), martKey(m.name, x.name));
  for (const x of m.measures) {
    if (x.arg) g.edge(colKey(x.arg.table, x.arg.column), martKey(m.name, x.name));
    // count(*) reads no column: a dotted edge from the rows it counts (the id of the mart's first table).
    else g.edge(colKey(m.from, findTable(ir, m.from).idColumn), martKey(m.name, x.name), true);
  }
  return out;
}

/** The lineage graph of one pipeline, as Mermaid source (no surrounding code fence). */
export function lineageMermaid(ir: PipelineIR): string {
  const g = new Graph();
  const lines = ["graph LR", ...rawSubgraphs(ir, g)];
  for (const t of ir.tables) lines.push(...tableSubgraph(t, g));
  for (const m of ir.marts) lines.push(...martSubgraph(ir, m, g));
  return `${[...lines, ...g.edges].join("\n")}\n`;
}
