// The local lake: which raw files must be reprocessed (their manifest was written under other
// cleaning/flatten semantics), which views and models changed, which marts must be rebuilt.
// Raw files are immutable, so reprocessing is always possible: this is the backfill.
import { classifyCleaning, type CleaningCounts, type CleaningImpact } from "./cleaning-changes.js";
import { diffDefinition, type ChangeKind, type Definition } from "./definitions.js";
import type { Step } from "./plan.js";
import { lineDiff } from "./text-diff.js";

export interface LocalModelSpec {
  readonly name: string;
  readonly hash: string;
  readonly mart: boolean;
  readonly dependsOn: readonly string[];
  /** The model's SQL as the local engine runs it: the plan shows its diff. */
  readonly sql: string;
}

/** Sources and marts as attributes (deploy/definitions.ts), for attribute-level plans. */
export interface Definitions {
  readonly sources: Readonly<Record<string, Definition>>;
  readonly marts: Readonly<Record<string, Definition>>;
}

/** What `apply` would build now: computed from the IR and the dbt target's models. */
export interface LocalDesired {
  /** Per source: the engine's semantics fingerprint. */
  readonly semantics: Readonly<Record<string, string>>;
  /** Per source: column name → type, to tell a narrowing reprocess from a harmless one. */
  readonly columnTypes: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Per output table: hash of the view's shape (columns, types, partition key). */
  readonly views: Readonly<Record<string, string>>;
  /** Models in dependency order; `dependsOn` names models and `source:<table>` views. */
  readonly models: readonly LocalModelSpec[];
  /** Per output table: the source it comes from. */
  readonly tableSource: Readonly<Record<string, string>>;
  /** Per source: its main table, whose published rows a cleaning change moves. */
  readonly mainTables: Readonly<Record<string, string>>;
  readonly definitions: Definitions;
}

/** `.lake/state/deployed.json`: what the last apply built. */
export interface DeployedRecord {
  readonly version: 1;
  readonly pipeline: string;
  readonly semantics: Readonly<Record<string, string>>;
  readonly columnTypes: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly views: Readonly<Record<string, string>>;
  readonly models: Readonly<Record<string, { readonly hash: string; readonly mart: boolean; readonly sql?: string }>>;
  /** Absent in records written before attribute-level plans: those plans say only what changed. */
  readonly definitions?: Definitions;
}

export interface RawFileState {
  readonly rawKey: string;
  readonly source: string;
  /** Semantics fingerprint from the file's manifest; undefined when it was never processed. */
  readonly semantics?: string;
  readonly ok: boolean;
}

export interface LocalDeployed {
  readonly files: readonly RawFileState[];
  readonly record?: DeployedRecord;
  /** Per source whose recorded definition differs: rows the change moves or deletes, measured read-only on the lake. */
  readonly cleaning?: Readonly<Record<string, CleaningCounts>>;
}

/** True when some value of type `from` may not survive a cast to `to` (IR type spellings). */
export function narrows(from: string, to: string): boolean {
  if (from === to || to === "string") return false;
  const dec = (t: string): { p: number; s: number } | undefined => {
    if (t === "integer") return { p: 19, s: 0 };
    const m = /^decimal\((\d+),(\d+)\)$/.exec(t);
    return m ? { p: Number(m[1]), s: Number(m[2]) } : undefined;
  };
  const a = dec(from);
  const b = dec(to);
  if (a && b) return b.s < a.s || b.p - b.s < a.p - a.s;
  if (a && to === "double") return a.p > 15;
  return true;
}

export function typeChanges(
  before: Readonly<Record<string, string>> | undefined,
  after: Readonly<Record<string, string>>,
): { lines: string[]; narrowing: string[] } {
  const lines: string[] = [];
  const narrowing: string[] = [];
  if (!before) return { lines, narrowing };
  for (const [col, t] of Object.entries(after)) {
    const old = before[col];
    if (old === undefined) lines.push(`+ column ${col} ${t}`);
    else if (old !== t) {
      lines.push(`~ column ${col} ${old} → ${t}`);
      if (narrows(old, t)) narrowing.push(`${col} ${old} → ${t}`);
    }
  }
  for (const [col, t] of Object.entries(before)) if (!(col in after)) lines.push(`- column ${col} ${t}`);
  return { lines, narrowing };
}

/** The counted rows of a cleaning change, as the step's data impact. */
export function rowCounts(c: CleaningImpact | undefined): { rowsToQuarantine?: number; rowsDeleted?: number; quarantineDeleted?: number } {
  if (!c) return {};
  return {
    ...(c.rowsToQuarantine !== undefined && { rowsToQuarantine: c.rowsToQuarantine }),
    ...(c.rowsDeleted !== undefined && { rowsDeleted: c.rowsDeleted }),
    ...(c.quarantineDeleted !== undefined && { quarantineDeleted: c.quarantineDeleted }),
  };
}

function reprocessSteps(d: LocalDesired, dep: LocalDeployed): Step[] {
  const steps: Step[] = [];
  for (const [source, semantics] of Object.entries(d.semantics)) {
    const files = dep.files.filter((f) => f.source === source);
    const stale = files.filter((f) => f.semantics !== undefined && f.ok && f.semantics !== semantics).map((f) => f.rawKey);
    const fresh = files.filter((f) => f.semantics === undefined || !f.ok).map((f) => f.rawKey);
    if (!stale.length && !fresh.length) continue;
    const types = typeChanges(dep.record?.columnTypes[source], d.columnTypes[source] ?? {});
    const { narrowing } = types;
    const before = dep.record?.definitions?.sources[source];
    const after = d.definitions.sources[source] ?? {};
    const attrs = before && stale.length ? diffDefinition(before, after) : undefined;
    const cleaning =
      before && stale.length
        ? classifyCleaning({
            source,
            table: d.mainTables[source] ?? source,
            before,
            after,
            ...(dep.cleaning?.[source] && { counts: dep.cleaning[source] }),
            noCounts: "the lake was not measured",
          })
        : undefined;
    const lines = attrs ? attrs.lines : types.lines;
    const reason = narrowing.length
      ? `narrowing ${narrowing.join(", ")}: values that fitted the old type become cast_failed and are quarantined`
      : cleaning?.destructive.length
        ? "cleaning change deletes published data: outputs are recomputed from the immutable raw files"
        : cleaning?.breaking.length
          ? "cleaning change moves published rows: outputs are recomputed from the immutable raw files"
          : stale.length
            ? "cleaning or flatten semantics changed: outputs are recomputed from the immutable raw files"
            : "raw files not processed yet (or their last run failed)";
    const details = [
      ...lines,
      ...(cleaning ? [...cleaning.destructive, ...cleaning.breaking] : []),
      ...stale.map((k) => `reprocess ${k}`),
      ...fresh.map((k) => `process ${k}`),
    ];
    const change =
      cleaning && (cleaning.destructive.length || cleaning.breaking.length)
        ? { change: "breaking" as const }
        : attrs?.kind
          ? { change: attrs.kind }
          : {};
    const destructive = narrowing.length > 0 || (cleaning?.destructive.length ?? 0) > 0;
    steps.push({
      layer: "local",
      kind: "source",
      name: source,
      action: "reprocess",
      resource: `source ${source} (${stale.length + fresh.length} raw file${stale.length + fresh.length === 1 ? "" : "s"})`,
      details,
      destructive,
      reason,
      impact: { rawFiles: [...stale, ...fresh], ...rowCounts(cleaning) },
      ...change,
    });
  }
  return steps;
}

function viewSteps(d: LocalDesired, dep: LocalDeployed): Step[] {
  const steps: Step[] = [];
  const had = dep.record?.views ?? {};
  for (const [table, hash] of Object.entries(d.views)) {
    const key = { layer: "local", kind: "view", name: table } as const;
    const resource = `view ${table}`;
    if (!dep.record)
      steps.push({
        ...key,
        action: "update",
        resource,
        details: [],
        destructive: false,
        reason: "no record of a previous apply: rebuilt to be sure",
      });
    else if (had[table] === undefined)
      steps.push({ ...key, action: "create", resource, details: [], destructive: false, reason: "new output table" });
    else if (had[table] !== hash)
      steps.push({ ...key, action: "update", resource, details: [], destructive: false, reason: "columns, types or partition changed" });
  }
  for (const table of Object.keys(had)) {
    if (table in d.views) continue;
    steps.push({
      layer: "local",
      kind: "view",
      name: table,
      action: "destroy",
      resource: `view ${table}`,
      details: [],
      destructive: true,
      reason: "no longer in the pipeline: queries reading it will fail (processed files stay on disk)",
    });
  }
  return steps;
}

/**
 * What changed in a model: the mart's attributes when both definitions are known, then the SQL
 * diff. Without attributes, removed SQL lines make the change breaking, added ones only do not.
 */
function modelChange(
  m: LocalModelSpec,
  oldSql: string | undefined,
  before: Definition | undefined,
  after: Definition | undefined,
): { details: string[]; reason: string; change?: ChangeKind } {
  const attrs = before && after ? diffDefinition(before, after) : undefined;
  const sql = oldSql === undefined ? [] : lineDiff(oldSql, m.sql);
  const kind = attrs?.kind ?? (oldSql === undefined ? undefined : sql.some((l) => l.startsWith("- ")) ? "breaking" : "non-breaking");
  const details = [...(attrs?.lines ?? []), ...(sql.length ? [`SQL of ${m.name}:`, ...sql.map((l) => `  ${l}`)] : [])];
  return {
    details,
    reason: m.mart ? "mart definition changed (grain, measures or filter)" : "model SQL changed",
    ...(kind && { change: kind }),
  };
}

/** Models downstream of any of `roots` (model names or `source:<table>`), in dependency order. */
function downstream(models: readonly LocalModelSpec[], roots: ReadonlySet<string>): Set<string> {
  const hit = new Set<string>();
  for (const m of models) if (m.dependsOn.some((x) => roots.has(x) || hit.has(x))) hit.add(m.name);
  return hit;
}

function modelSteps(d: LocalDesired, dep: LocalDeployed, reprocessed: ReadonlySet<string>): Step[] {
  const steps: Step[] = [];
  const had = dep.record?.models ?? {};
  const changedTables = Object.entries(d.tableSource)
    .filter(([, s]) => reprocessed.has(s))
    .map(([t]) => `source:${t}`);
  const fed = downstream(d.models, new Set(changedTables));
  for (const m of d.models) {
    const resource = `${m.mart ? "mart" : "model"} ${m.name}`;
    const impact = m.mart ? { marts: [m.name] } : undefined;
    const old = had[m.name];
    const base = {
      layer: "local" as const,
      kind: m.mart ? ("mart" as const) : ("model" as const),
      name: m.name,
      resource,
      details: [] as string[],
      destructive: false,
      ...(impact ? { impact } : {}),
    };
    if (!dep.record)
      steps.push({ ...base, action: m.mart ? "rebuild" : "update", reason: "no record of a previous apply: rebuilt to be sure" });
    else if (!old) steps.push({ ...base, action: "create", reason: m.mart ? "new mart" : "new model" });
    else if (old.hash !== m.hash)
      steps.push({
        ...base,
        action: m.mart ? "rebuild" : "update",
        ...modelChange(m, old.sql, dep.record?.definitions?.marts[m.name], d.definitions.marts[m.name]),
      });
    else if (m.mart && fed.has(m.name)) steps.push({ ...base, action: "rebuild", reason: "its inputs are reprocessed" });
  }
  for (const [name, old] of Object.entries(had)) {
    if (d.models.some((m) => m.name === name)) continue;
    steps.push({
      layer: "local",
      kind: old.mart ? "mart" : "model",
      name,
      action: "destroy",
      resource: `${old.mart ? "mart" : "model"} ${name}`,
      details: [],
      destructive: old.mart,
      reason: old.mart ? "mart removed from the pipeline: its table is dropped" : "model no longer emitted",
    });
  }
  return steps;
}

export function diffLocal(desired: LocalDesired, deployed: LocalDeployed): Step[] {
  const reprocess = reprocessSteps(desired, deployed);
  const sources = new Set(reprocess.flatMap((s) => ("name" in s ? [s.name] : [])));
  return [...reprocess, ...viewSteps(desired, deployed), ...modelSteps(desired, deployed, sources)];
}
