// The site's only script, written as one self-contained function that runs in the browser: the
// emitter inlines `clientMain.toString()` into assets/site.js. It draws the lineage graph with the
// bundled dagre layout (window.dagre), highlights a column's whole path (everything upstream and
// downstream) on a click in the graph or in a column table, and filters the index.
// It must not refer to anything outside itself: no imports, no closures over module values.

/** The lineage data a page embeds in `<script type="application/json" id="lineage-data">`. */
export interface ClientGraph {
  readonly groups: readonly {
    readonly id: string;
    readonly kind: "raw" | "table" | "mart";
    readonly title: string;
    readonly href?: string;
  }[];
  /** [id, label, group id]. */
  readonly nodes: readonly (readonly [string, string, string])[];
  /** [from, to, rowsOnly (count(*)) ? 1 : 0]. */
  readonly edges: readonly (readonly [string, string, 0 | 1])[];
  /** Above this many nodes the page asks before laying the whole graph out. */
  readonly bigAt: number;
}

export function clientMain(win: Window): void {
  const doc = win.document;
  const SVG = "http://www.w3.org/2000/svg";
  const CHAR_W = 7.2;

  function el<K extends keyof SVGElementTagNameMap>(
    name: K,
    attrs: Record<string, string | number>,
    parent?: Element,
  ): SVGElementTagNameMap[K] {
    const e = doc.createElementNS(SVG, name);
    for (const k of Object.keys(attrs)) e.setAttribute(k, String(attrs[k]));
    if (parent) parent.appendChild(e);
    return e;
  }

  type Adjacency = { up: Map<string, string[]>; down: Map<string, string[]> };

  function adjacency(edges: ClientGraph["edges"]): Adjacency {
    const up = new Map<string, string[]>();
    const down = new Map<string, string[]>();
    for (const [a, b] of edges) {
      down.set(a, [...(down.get(a) ?? []), b]);
      up.set(b, [...(up.get(b) ?? []), a]);
    }
    return { up, down };
  }

  /** The start columns with everything upstream and everything downstream of them: their path. */
  function closure(starts: readonly string[], adj: Adjacency): Set<string> {
    const seen = new Set(starts);
    for (const next of [adj.up, adj.down]) {
      const stack = [...starts];
      while (stack.length > 0) {
        for (const m of next.get(stack.pop()!) ?? []) {
          if (!seen.has(m)) {
            seen.add(m);
            stack.push(m);
          }
        }
      }
    }
    return seen;
  }

  function filterIndex(): void {
    const input = doc.getElementById("filter") as HTMLInputElement | null;
    if (!input) return;
    const rows = Array.from(doc.querySelectorAll<HTMLElement>("[data-search]"));
    input.addEventListener("input", () => {
      const q = input.value.trim().toLowerCase();
      for (const r of rows) r.hidden = q !== "" && !(r.dataset.search ?? "").includes(q);
    });
  }

  function layout(data: ClientGraph, nodes: ClientGraph["nodes"], edges: ClientGraph["edges"], groups: Set<string>) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const dagre = (win as any).dagre;
    const g = new dagre.graphlib.Graph({ compound: true });
    // Cluster borders are spaced by edgesep (dagre treats them as dummy nodes): room for the group titles.
    g.setGraph({ rankdir: "LR", nodesep: 6, edgesep: 24, ranksep: 70, marginx: 8, marginy: 24 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const grp of data.groups) if (groups.has(grp.id)) g.setNode(grp.id, {});
    for (const [id, label, grp] of nodes) {
      g.setNode(id, { width: Math.max(60, label.length * CHAR_W + 16), height: 22 });
      g.setParent(id, grp);
    }
    for (const [a, b] of edges) g.setEdge(a, b);
    dagre.layout(g);
    return g;
  }

  function draw(host: HTMLElement, data: ClientGraph, only?: Set<string>): void {
    host.textContent = "";
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    if (!(win as any).dagre) {
      host.textContent = "The layout library (assets/dagre.min.js) did not load.";
      return;
    }
    const nodes = data.nodes.filter((n) => !only || only.has(n[0]));
    const keep = new Set(nodes.map((n) => n[0]));
    const edges = data.edges.filter((e) => keep.has(e[0]) && keep.has(e[1]));
    const used = new Set(nodes.map((n) => n[2]));
    const g = layout(data, nodes, edges, used);
    // A group's title may be wider than its columns: widen the drawing so it is not cut off.
    const titleEnd = (grp: ClientGraph["groups"][number]) => g.node(grp.id).x - g.node(grp.id).width / 2 + 16 + grp.title.length * CHAR_W;
    const w = Math.ceil(Math.max(g.graph().width, ...data.groups.filter((x) => used.has(x.id)).map(titleEnd)));
    const h = Math.ceil(g.graph().height);
    const svg = el("svg", { class: "lineage-svg", width: w, height: h, viewBox: `0 0 ${w} ${h}` }, host);
    const groupLayer = el("g", { class: "groups" }, svg);
    for (const grp of data.groups) {
      if (!used.has(grp.id)) continue;
      const b = g.node(grp.id);
      const top = b.y - b.height / 2 - 14;
      const gg = el("g", { class: `group group-${grp.kind}` }, groupLayer);
      el("rect", { x: b.x - b.width / 2, y: top, width: b.width, height: b.height + 14, rx: 6 }, gg);
      const parent = grp.href ? el("a", { href: grp.href }, gg) : gg;
      el("text", { x: b.x - b.width / 2 + 8, y: top + 14, class: "group-title" }, parent).textContent = grp.title;
    }
    const edgeLayer = el("g", { class: "edges" }, svg);
    const edgeEls: [string, string, SVGPathElement][] = [];
    for (const [a, b, rowsOnly] of edges) {
      const pts: { x: number; y: number }[] = g.edge(a, b).points;
      const d = pts.map((p, i) => `${i === 0 ? "M" : "L"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
      edgeEls.push([a, b, el("path", { d, class: rowsOnly ? "edge rows-only" : "edge" }, edgeLayer)]);
    }
    const nodeLayer = el("g", { class: "nodes" }, svg);
    const nodeEls = new Map<string, SVGGElement>();
    const kinds = new Map(data.groups.map((x) => [x.id, x.kind]));
    for (const [id, label, grp] of nodes) {
      const b = g.node(id);
      const ng = el("g", { class: `node node-${kinds.get(grp) ?? "table"}`, "data-node": id, tabindex: 0 }, nodeLayer);
      el("rect", { x: b.x - b.width / 2, y: b.y - b.height / 2, width: b.width, height: b.height, rx: 4 }, ng);
      el("text", { x: b.x, y: b.y + 4, "text-anchor": "middle" }, ng).textContent = label;
      nodeEls.set(id, ng);
    }
    const adj = adjacency(edges);
    const rows = Array.from(doc.querySelectorAll<HTMLElement>("tr[data-node]"));
    const select = (id: string | undefined): void => {
      svg.classList.toggle("has-selection", id !== undefined);
      const on = id === undefined ? new Set<string>() : closure([id], adj);
      for (const [nid, ng] of nodeEls) {
        ng.classList.toggle("hl", on.has(nid));
        ng.classList.toggle("selected", nid === id);
      }
      for (const [a, b, p] of edgeEls) p.classList.toggle("hl", on.has(a) && on.has(b));
      for (const row of rows) row.classList.toggle("hl", on.has(row.dataset.node ?? ""));
    };
    svg.addEventListener("click", (ev) => {
      const hit = (ev.target as Element).closest("[data-node]");
      select(hit ? (hit.getAttribute("data-node") ?? undefined) : undefined);
    });
    // Nodes are focusable (tabindex), so Enter or Space selects the focused one.
    svg.addEventListener("keydown", (ev) => {
      const hit = (ev.target as Element).closest("[data-node]");
      if (!hit || (ev.key !== "Enter" && ev.key !== " ")) return;
      ev.preventDefault();
      select(hit.getAttribute("data-node") ?? undefined);
    });
    for (const row of rows) {
      row.addEventListener("click", (ev) => {
        const id = row.dataset.node;
        if ((ev.target as Element).closest("a") || id === undefined || !nodeEls.has(id)) return;
        select(id);
        nodeEls.get(id)!.scrollIntoView({ block: "nearest", inline: "center" });
      });
    }
    const fromHash = /^#node=(.+)$/.exec(win.location.hash);
    if (fromHash && nodeEls.has(decodeURIComponent(fromHash[1]!))) select(decodeURIComponent(fromHash[1]!));
    host.dataset.drawn = String(nodes.length);
  }

  function lineage(): void {
    const host = doc.getElementById("lineage");
    const json = doc.getElementById("lineage-data");
    if (!host || !json) return;
    const data = JSON.parse(json.textContent ?? "{}") as ClientGraph;
    const adj = adjacency(data.edges);
    // A scope is a group's columns with everything upstream and downstream of them.
    const pick = doc.getElementById("lineage-scope") as HTMLSelectElement | null;
    const scoped = (): Set<string> | undefined =>
      !pick || pick.value === ""
        ? undefined
        : closure(
            data.nodes.filter((n) => n[2] === pick.value).map((n) => n[0]),
            adj,
          );
    if (pick) pick.addEventListener("change", () => draw(host, data, scoped()));
    const fromHash = /^#node=(.+)$/.exec(win.location.hash);
    const wanted = fromHash ? decodeURIComponent(fromHash[1]!) : undefined;
    if (data.nodes.length <= data.bigAt) return draw(host, data, scoped());
    if (wanted !== undefined && data.nodes.some((n) => n[0] === wanted)) return draw(host, data, closure([wanted], adj));
    host.textContent = `This graph has ${data.nodes.length} columns, too many to lay out at once quickly. Pick a source, table or mart above to draw its lineage, or `;
    const all = doc.createElement("button");
    all.textContent = "draw everything (may take minutes)";
    all.addEventListener("click", () => draw(host, data));
    host.appendChild(all);
  }

  filterIndex();
  lineage();
}
