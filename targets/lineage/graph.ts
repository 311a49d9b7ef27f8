// Column lineage as plain data: raw JSON paths → output table columns → mart columns. Built from
// the IR's lineage only, so every picture of it (the Mermaid page, the docs site) shows exactly
// what the compiler derived. Groups, nodes and edges come in one fixed order (sources, tables,
// marts; declaration order inside each), so printers that number them are deterministic.
import { refsOf } from "../../compiler/expr/ast.js";
import type { MartIR, PipelineIR, TableIR } from "../../compiler/ir.js";
import { findTable } from "../../compiler/ir.js";

export interface LineageNode {
  /** Unique within the pipeline, e.g. `table:product_reviews:asin`. */
  readonly key: string;
  readonly label: string;
  /** The raw JSON path, for raw nodes. */
  readonly path?: readonly string[];
}

export type LineageGroup =
  | { readonly kind: "raw"; readonly key: string; readonly name: string; readonly prefix: string; readonly nodes: readonly LineageNode[] }
  | { readonly kind: "table"; readonly key: string; readonly name: string; readonly nodes: readonly LineageNode[] }
  | { readonly kind: "mart"; readonly key: string; readonly name: string; readonly where?: string; readonly nodes: readonly LineageNode[] };

export interface LineageEdge {
  readonly from: string;
  readonly to: string;
  /** `count(*)` reads no column: the edge comes from the rows it counts (the first table's id). */
  readonly rowsOnly: boolean;
}

export interface LineageGraph {
  readonly groups: readonly LineageGroup[];
  readonly edges: readonly LineageEdge[];
}

export const rawKey = (source: string, path: readonly string[]): string => `raw:${source}:${JSON.stringify(path)}`;
export const colKey = (table: string, column: string): string => `table:${table}:${column}`;
export const martKey = (mart: string, column: string): string => `mart:${mart}:${column}`;

/** `$.a.b` for plain keys, `$.a["Size:"]` for keys that are not identifiers. */
export function jsonPathText(path: readonly string[]): string {
  return `$${path.map((k) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`)).join("")}`;
}

class Edges {
  readonly list: LineageEdge[] = [];
  private readonly seen = new Set<string>();

  add(from: string, to: string, rowsOnly = false): void {
    const k = JSON.stringify([from, to, rowsOnly]);
    if (this.seen.has(k)) return;
    this.seen.add(k);
    this.list.push({ from, to, rowsOnly });
  }
}

function rawGroups(ir: PipelineIR): LineageGroup[] {
  return ir.sources.map((s) => {
    const paths = new Map<string, readonly string[]>();
    for (const t of ir.tables.filter((x) => x.source === s.name)) {
      for (const c of t.columns) for (const p of c.lineage.paths) paths.set(JSON.stringify(p), p);
    }
    const nodes = [...paths.values()].map((p) => ({ key: rawKey(s.name, p), label: jsonPathText(p), path: p }));
    return { kind: "raw", key: `raw:${s.name}`, name: s.name, prefix: s.prefix, nodes };
  });
}

function tableGroup(t: TableIR, edges: Edges): LineageGroup {
  for (const c of t.columns) {
    // A child's carried columns come from its parent's row, not again from the raw record.
    if (t.child?.carried.includes(c.name)) edges.add(colKey(t.child.parent, c.name), colKey(t.name, c.name));
    else for (const p of c.lineage.paths) edges.add(rawKey(t.source, p), colKey(t.name, c.name));
  }
  return {
    kind: "table",
    key: `table:${t.name}`,
    name: t.name,
    nodes: t.columns.map((c) => ({ key: colKey(t.name, c.name), label: c.name })),
  };
}

function martGroup(ir: PipelineIR, m: MartIR, edges: Edges): LineageGroup {
  for (const x of m.grain) edges.add(colKey(x.table, x.column), martKey(m.name, x.name));
  for (const x of m.measures) {
    if (x.arg) edges.add(colKey(x.arg.table, x.arg.column), martKey(m.name, x.name));
    else if (x.expr) for (const r of refsOf(x.expr)) edges.add(colKey(r.table!, r.name), martKey(m.name, x.name));
    else edges.add(colKey(m.from, findTable(ir, m.from).idColumn), martKey(m.name, x.name), true);
  }
  const nodes = m.columns.map((c) => ({ key: martKey(m.name, c.name), label: c.name }));
  return { kind: "mart", key: `mart:${m.name}`, name: m.name, ...(m.whereText !== undefined && { where: m.whereText }), nodes };
}

export function lineageGraph(ir: PipelineIR): LineageGraph {
  const edges = new Edges();
  const groups = [...rawGroups(ir), ...ir.tables.map((t) => tableGroup(t, edges)), ...ir.marts.map((m) => martGroup(ir, m, edges))];
  return { groups, edges: edges.list };
}
