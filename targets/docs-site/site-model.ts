// What the pages of one pipeline share: site paths, lineage node ids, the dbt tests read from the
// generated dbt YAML, and an index of which generated file first mentions which name.
import { parse } from "yaml";
import type { PipelineIR } from "../../compiler/ir.js";
import { lineageGraph, type LineageEdge, type LineageGraph, type LineageGroup } from "../lineage/graph.js";
import { snowflakeObjects, type ExternalTableSpec } from "../snowflake/index.js";
import type { ClientGraph } from "./client.js";
import type { Artifact, LakePipelineStats } from "./input.js";

/** The layers in the order a reader meets them, by the folder their files live in. */
export const LAYERS = ["cloudformation", "stepfunctions", "glue", "snowflake", "dbt", "airflow", "lineage", "ir"] as const;

export function layerOf(path: string): string {
  const parts = path.split("/");
  return parts[0] === "dbt" ? "dbt" : (parts[2] ?? parts[0]!);
}

export interface Mention {
  readonly artifact: Artifact;
  readonly line: number;
}

export type ObjectKind = "source" | "table" | "mart";

export interface PipelineSite {
  readonly ir: PipelineIR;
  readonly artifacts: readonly Artifact[];
  readonly lake?: LakePipelineStats;
  /** When the lake was read (ISO, UTC). */
  readonly lakeReadAt?: string;
  readonly graph: LineageGraph;
  /** Lineage node and group keys → short ids (`n3`, `g1`), in the graph's fixed order. */
  readonly ids: ReadonlyMap<string, string>;
  /** dbt model → its tests: `""` holds the model-level ones, otherwise per column. */
  readonly dbtTests: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
  readonly mentions: ReadonlyMap<string, readonly Mention[]>;
  /** Lineage edges by node key, downstream and upstream. */
  readonly next: readonly [ReadonlyMap<string, readonly string[]>, ReadonlyMap<string, readonly string[]>];
  /** Each lineage node's place in the graph's order, and its group. */
  readonly nodeIndex: ReadonlyMap<string, { readonly order: number; readonly label: string; readonly group: LineageGroup }>;
  readonly edgesFrom: ReadonlyMap<string, readonly LineageEdge[]>;
  /** Artifacts by lower-cased file name without extensions (a dbt model's SQL is named for it). */
  readonly byStem: ReadonlyMap<string, readonly Artifact[]>;
  /** The dbt source freshness thresholds the generated sources YAML sets, if any. */
  readonly freshnessRule?: FreshnessRule;
  /** The Snowflake external tables, by upper-case name (computed once: it walks every table). */
  readonly externalTables: ReadonlyMap<string, ExternalTableSpec>;
}

export const pipelineDir = (ir: PipelineIR): string => `p/${ir.name}`;
export const objectPage = (ir: PipelineIR, kind: ObjectKind, name: string): string => `${pipelineDir(ir)}/${kind}-${name}.html`;
/** An object page's link from another page of the same pipeline folder. */
export const sibling = (kind: ObjectKind, name: string): string => `${kind}-${name}.html`;
export const artifactPage = (ir: PipelineIR, a: Artifact): string => `${pipelineDir(ir)}/a/${a.path}.html`;

/** Artifacts sorted by layer, then path. */
export function byLayer(artifacts: readonly Artifact[]): Artifact[] {
  const rank = (a: Artifact) => {
    const i = (LAYERS as readonly string[]).indexOf(layerOf(a.path));
    return i < 0 ? LAYERS.length : i;
  };
  return [...artifacts].sort((a, b) => rank(a) - rank(b) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function testText(t: unknown): string {
  if (typeof t === "string") return t;
  if (t === null || typeof t !== "object") return String(t);
  const [name, args] = Object.entries(t as Record<string, unknown>)[0] ?? ["?", undefined];
  const a = (args ?? {}) as Record<string, unknown>;
  if (name === "accepted_values" && Array.isArray(a.values)) return `accepted_values [${a.values.map(String).join(", ")}]`;
  if (name === "relationships") {
    const sev = (a.config as { severity?: string } | undefined)?.severity;
    return `relationships → ${String(a.to)}.${String(a.field)}${sev ? ` (${sev})` : ""}`;
  }
  if (name === "unique" && typeof a.column_name === "string") return `unique (${a.column_name})`;
  return `${name} ${JSON.stringify(args)}`;
}

export interface FreshnessRule {
  readonly warnMs?: number;
  readonly errorMs?: number;
  readonly text: string;
}

const PERIOD_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** `loaded_at_field` freshness of the pipeline's dbt source, read from the generated YAML. */
function readFreshness(artifacts: readonly Artifact[]): FreshnessRule | undefined {
  type After = { count?: number; period?: string } | undefined;
  for (const a of artifacts) {
    if (!/^dbt\/models\/.*_sources\.yml$/.test(a.path)) continue;
    const doc = parse(a.contents) as { sources?: { freshness?: { warn_after?: After; error_after?: After } }[] } | null;
    const f = doc?.sources?.[0]?.freshness;
    if (!f) continue;
    const ms = (x: After) => (x?.count !== undefined && x.period && PERIOD_MS[x.period] ? x.count * PERIOD_MS[x.period]! : undefined);
    const says = (label: string, x: After) => (x?.count !== undefined ? [`${label} after ${x.count} ${x.period ?? ""}`.trim()] : []);
    const warnMs = ms(f.warn_after);
    const errorMs = ms(f.error_after);
    return {
      ...(warnMs !== undefined && { warnMs }),
      ...(errorMs !== undefined && { errorMs }),
      text: [...says("warn", f.warn_after), ...says("error", f.error_after)].join(", "),
    };
  }
  return undefined;
}

/** The tests the generated dbt properties files declare, so the site shows exactly what ships. */
function readDbtTests(artifacts: readonly Artifact[]): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  for (const a of artifacts) {
    if (!/^dbt\/models\/.*\.yml$/.test(a.path)) continue;
    const doc = parse(a.contents) as {
      models?: { name: string; data_tests?: unknown[]; columns?: { name: string; data_tests?: unknown[] }[] }[];
    } | null;
    for (const m of doc?.models ?? []) {
      const tests = new Map<string, string[]>([["", (m.data_tests ?? []).map(testText)]]);
      for (const c of m.columns ?? []) tests.set(c.name, (c.data_tests ?? []).map(testText));
      out.set(m.name, tests);
    }
  }
  return out;
}

/** Lower-cased word → the first line mentioning it in each artifact (not the lineage page, which names everything). */
function indexMentions(artifacts: readonly Artifact[]): Map<string, Mention[]> {
  const index = new Map<string, Mention[]>();
  for (const artifact of byLayer(artifacts)) {
    if (layerOf(artifact.path) === "lineage") continue;
    const seen = new Set<string>();
    artifact.contents.split("\n").forEach((text, i) => {
      for (const w of text.toLowerCase().match(/[a-z0-9_]+/g) ?? []) {
        if (seen.has(w)) continue;
        seen.add(w);
        const list = index.get(w) ?? [];
        list.push({ artifact, line: i + 1 });
        index.set(w, list);
      }
    });
  }
  return index;
}

/** The IR dump is what this site renders; as a page it would be the largest by far (8 MB at 50 sources). */
export const shownArtifact = (a: Artifact): boolean => layerOf(a.path) !== "ir";

const push = <K, V>(map: Map<K, V[]>, key: K, value: V): void => {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
};

export function pipelineSite(ir: PipelineIR, all: readonly Artifact[], lake?: LakePipelineStats, lakeReadAt?: string): PipelineSite {
  const artifacts = all.filter(shownArtifact);
  const graph = lineageGraph(ir);
  const ids = new Map<string, string>();
  const nodeIndex = new Map<string, { order: number; label: string; group: LineageGroup }>();
  graph.groups.forEach((g, gi) => {
    ids.set(g.key, `g${gi}`);
    for (const n of g.nodes) {
      ids.set(n.key, `n${nodeIndex.size}`);
      nodeIndex.set(n.key, { order: nodeIndex.size, label: n.label, group: g });
    }
  });
  const down = new Map<string, string[]>();
  const up = new Map<string, string[]>();
  const edgesFrom = new Map<string, LineageEdge[]>();
  for (const e of graph.edges) {
    push(down, e.from, e.to);
    push(up, e.to, e.from);
    push(edgesFrom, e.from, e);
  }
  const byStem = new Map<string, Artifact[]>();
  for (const a of artifacts) push(byStem, a.path.split("/").pop()!.replace(/\..*$/, "").toLowerCase(), a);
  const externalTables = new Map(snowflakeObjects(ir).externalTables.map((t) => [t.name, t]));
  const freshnessRule = readFreshness(artifacts);
  return {
    ir,
    artifacts,
    ...(lake && { lake }),
    ...(lake && lakeReadAt !== undefined && { lakeReadAt }),
    graph,
    ids,
    dbtTests: readDbtTests(artifacts),
    mentions: indexMentions(artifacts),
    next: [down, up],
    nodeIndex,
    edgesFrom,
    byStem,
    ...(freshnessRule && { freshnessRule }),
    externalTables,
  };
}

/**
 * Generated files named for one of `names` (a dbt model's SQL: from line 1) or mentioning one
 * (whole words, any case: Snowflake upper-cases), at the first line that does, in layer order.
 */
export function mentionsOf(site: PipelineSite, names: readonly string[]): Mention[] {
  const first = new Map<Artifact, number>();
  for (const n of names) for (const a of site.byStem.get(n.toLowerCase()) ?? []) first.set(a, 1);
  for (const n of names)
    for (const m of site.mentions.get(n.toLowerCase()) ?? []) first.set(m.artifact, Math.min(first.get(m.artifact) ?? m.line, m.line));
  return byLayer([...first.keys()]).map((artifact) => ({ artifact, line: first.get(artifact)! }));
}

function groupHref(g: LineageGraph["groups"][number]): string {
  return sibling(g.kind === "raw" ? "source" : g.kind, g.name);
}

function groupTitle(g: LineageGraph["groups"][number]): string {
  if (g.kind === "raw") return `raw ${g.name}: ${g.prefix}`;
  if (g.kind === "mart" && g.where !== undefined) return `mart ${g.name} where ${g.where}`;
  return `${g.kind} ${g.name}`;
}

/**
 * The lineage of the columns in `focus` (node keys): everything upstream and downstream of them.
 * Without focus, the whole pipeline. Hrefs are relative to the pipeline's folder.
 */
/**
 * Above this many columns a whole pipeline's graph is drawn only on request: dagre's layout of a
 * compound graph grows much faster than linearly (bench/RESULTS.md: 360 columns 3 s, 720 about
 * 10 s, 1,800 over a minute, on the shared 2-core machine).
 */
export const DRAW_ALL_UP_TO = 400;

export function clientGraph(site: PipelineSite, focus?: readonly string[], bigAt = DRAW_ALL_UP_TO): ClientGraph {
  const id = (key: string) => site.ids.get(key)!;
  let keys: string[];
  if (focus) {
    const keep = new Set(focus);
    for (const next of site.next) {
      const stack: string[] = [...focus];
      while (stack.length > 0) {
        for (const to of next.get(stack.pop()!) ?? []) {
          if (keep.has(to)) continue;
          keep.add(to);
          stack.push(to);
        }
      }
    }
    // Only the kept part is walked: a page of a 200-source pipeline must not cost the whole graph.
    keys = [...keep].sort((a, b) => site.nodeIndex.get(a)!.order - site.nodeIndex.get(b)!.order);
  } else {
    keys = [...site.nodeIndex.keys()];
  }
  const kept = new Set(keys);
  const groups = new Map<string, LineageGroup>();
  const nodes = keys.map((k) => {
    const n = site.nodeIndex.get(k)!;
    groups.set(n.group.key, n.group);
    return [id(k), n.label, id(n.group.key)] as const;
  });
  const edges = keys.flatMap((k) =>
    (site.edgesFrom.get(k) ?? []).filter((e) => kept.has(e.to)).map((e) => [id(e.from), id(e.to), e.rowsOnly ? 1 : 0] as const),
  );
  return {
    groups: [...groups.values()].map((g) => ({ id: id(g.key), kind: g.kind, title: groupTitle(g), href: groupHref(g) })),
    nodes,
    edges,
    bigAt,
  };
}
