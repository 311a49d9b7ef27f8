// Schema drift, reported as dlt and Airbyte do: for one raw file, the raw keys the pipeline does
// not map (with how many records carry each) and the mapped paths that no record has. The local
// engine and the Glue clean job run this same query, so a file reports the same drift in both.
//
// The pipeline's raw schema is a tree of the paths its columns read. A key is unmapped when it
// is not in the tree under an object the pipeline reads into: a new top-level key
// (`shippingCountry`), a new key of a mapped object (`style.Color:`), or a new field of the
// objects a child table expands with `fields:` (`items[].sku`, `hours.*.note` for the values
// of a map). A column kept whole (an object or array kept as JSON text, or a child table of
// scalars) maps everything under it. Keys of a map (entries) are data, not schema.
//
// The query reads only the line text (relation `lines`, column `line`), one pass: each record
// gives a list of tokens, `u:<path>` for each unmapped path it has, `a:<path>` for each mapped
// path it lacks, and `#` once; one GROUP BY counts them. A path absent in every record has as
// many `a:` tokens as there are `#`. Records that are not JSON objects are not counted: the
// clean stage already rejects them.
import { quoteString } from "../expr/print.js";
import type { SourceIR, TableIR } from "../ir.js";
import { pathsOfColumn } from "../lower-messy-feeds.js";
import type { SqlDialect } from "./clean.js";

interface Node {
  readonly children: Map<string, Node>;
  /** Kept whole: nothing under it is unmapped. */
  opaque: boolean;
  /** Expanded by a child table whose elements (array) or entry values (entries) are objects with these fields. */
  elements?: { readonly mode: "array" | "entries"; readonly fields: readonly string[] };
}

const node = (): Node => ({ children: new Map(), opaque: false });

/** One mapped thing that may be absent: a column (any of its alternatives) or a field of a child table's objects. */
interface Mapped {
  readonly label: string;
  /** Present when any of these is present. */
  readonly paths: readonly (readonly string[])[];
  /** For a `fields:` field: the path of the array or map, the mode and the field. */
  readonly element?: { readonly path: readonly string[]; readonly mode: "array" | "entries"; readonly field: string };
}

export interface DriftSchema {
  readonly root: Node;
  readonly mapped: readonly Mapped[];
}

const samePath = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((k, i) => k === b[i]);
const label = (path: readonly string[]): string => path.join(".");
const elementLabel = (path: readonly string[], mode: "array" | "entries", field: string): string =>
  `${label(path)}${mode === "array" ? "[]" : ".*"}.${field}`;

/** The raw schema a source maps: its columns' paths, and the fields of the child tables that expand objects. */
export function driftSchema(src: SourceIR, tables: readonly TableIR[]): DriftSchema {
  const root = node();
  const mapped: Mapped[] = [];
  const flattenedInto = new Set(src.columns.flatMap((c) => (c.flattenedFrom !== undefined ? [c.flattenedFrom] : [])));
  for (const c of src.columns) {
    const paths = pathsOfColumn(c);
    const child = tables.find((t) => t.source === src.name && t.child?.fromColumn === c.name)?.child?.expansion;
    const fields = child !== undefined && child.mode !== "split" ? child.fields : undefined;
    for (const path of paths) {
      let n = root;
      for (const key of path) {
        let next = n.children.get(key);
        if (next === undefined) n.children.set(key, (next = node()));
        n = next;
      }
      if (fields !== undefined && (child!.mode === "array" || child!.mode === "entries")) {
        n.elements = { mode: child!.mode, fields: fields.map((f) => f.field) };
        for (const f of fields)
          mapped.push({ label: elementLabel(path, child!.mode, f.field), paths: [], element: { path, mode: child!.mode, field: f.field } });
      } else if (!flattenedInto.has(c.name)) {
        n.opaque = true;
      }
    }
    // An object flattened into columns is mapped by those columns, not by itself.
    if (!flattenedInto.has(c.name)) mapped.push({ label: paths.map(label).join(" | "), paths });
  }
  return { root, mapped };
}

/** Object nodes the pipeline reads into (not kept whole), with their paths: the root first. */
function objectNodes(n: Node, path: readonly string[] = []): { path: readonly string[]; node: Node }[] {
  if (n.opaque || n.elements !== undefined || n.children.size === 0) return [];
  return [{ path, node: n }, ...[...n.children].flatMap(([k, c]) => objectNodes(c, [...path, k]))];
}

function elementNodes(
  n: Node,
  path: readonly string[] = [],
): { path: readonly string[]; mode: "array" | "entries"; fields: readonly string[] }[] {
  if (n.opaque) return [];
  const own = n.elements !== undefined ? [{ path, ...n.elements }] : [];
  return [...own, ...[...n.children].flatMap(([k, c]) => elementNodes(c, [...path, k]))];
}

/** DuckDB's JSONPath for a key path: `$."a"."b"`. */
const duckPath = (path: readonly string[]): string => `$${path.map((k) => `."${k.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join("")}`;
/** Spark's get_json_object path: `$['a']['b']`. */
const sparkPath = (path: readonly string[]): string =>
  `$${path.map((k) => `['${k.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}']`).join("")}`;

/**
 * The drift query over `lines` (a relation with a `line` column): rows `token, records`, where a
 * token is `#` (records counted), `u:<path>` (records with that unmapped path) or `a:<label>`
 * (records without that mapped column or field). Undefined for a source that maps nothing.
 */
export function driftSql(src: SourceIR, tables: readonly TableIR[], d: SqlDialect, lines = "lines"): string | undefined {
  const schema = driftSchema(src, tables);
  if (schema.mapped.length === 0) return undefined;
  const s = (x: string): string => quoteString(d, x);
  const list = (xs: readonly string[]): string => (d === "duckdb" ? `[${xs.map(s).join(", ")}]` : `array(${xs.map(s).join(", ")})`);
  const empty = d === "duckdb" ? "CAST([] AS VARCHAR[])" : "CAST(array() AS ARRAY<STRING>)";
  const objects = objectNodes(schema.root);
  const elements = elementNodes(schema.root);
  // Every object whose keys are read: the ones read into, and the parents of mapped paths (a
  // column may read a key of an object that another column keeps whole).
  const keyPaths: (readonly string[])[] = objects.map((o) => o.path);
  for (const m of schema.mapped)
    for (const p of m.paths) if (!keyPaths.some((k) => samePath(k, p.slice(0, -1)))) keyPaths.push(p.slice(0, -1));
  // The keys of the object at each path the pipeline reads into (NULL when absent or not an object).
  const keysAt = (path: readonly string[]): string => {
    if (d === "duckdb") {
      return `_k[${keyPaths.findIndex((k) => samePath(k, path)) + 1}]`;
    }
    return path.length === 0 ? "json_object_keys(line)" : `json_object_keys(get_json_object(line, ${s(sparkPath(path))}))`;
  };
  // The objects of an array, or the values of a map, at a path, as JSON texts.
  const elementsAt = (path: readonly string[], mode: "array" | "entries"): string => {
    if (d === "duckdb") return `json_extract(line, ${s(`${duckPath(path)}${mode === "array" ? "[*]" : ".*"}`)})`;
    const text = `get_json_object(line, ${s(sparkPath(path))})`;
    return mode === "array" ? `from_json(${text}, 'array<string>')` : `map_values(from_json(${text}, 'map<string,string>'))`;
  };
  const keysOf = (json: string): string => (d === "duckdb" ? `json_keys(${json})` : `json_object_keys(${json})`);
  const nn = (x: string): string => `coalesce(${x}, ${empty})`;
  const concat = (xs: readonly string[]): string =>
    xs.length === 1 ? xs[0]! : d === "duckdb" ? xs.reduce((a, b) => `list_concat(${a}, ${b})`) : `concat(${xs.join(", ")})`;
  const filter = (xs: string, lambda: string): string => `${d === "duckdb" ? "list_filter" : "filter"}(${xs}, k -> ${lambda})`;
  const transform = (xs: string, lambda: string): string => `${d === "duckdb" ? "list_transform" : "transform"}(${xs}, k -> ${lambda})`;
  const contains = (xs: string, x: string): string => `${d === "duckdb" ? "list_contains" : "array_contains"}(${xs}, ${x})`;
  const flattenList = (xs: string): string => `flatten(${xs})`;
  const tokens: string[] = [list(["#"])];
  for (const o of objects) {
    const known = [...o.node.children.keys()];
    const prefix = o.path.length === 0 ? "u:" : `u:${label(o.path)}.`;
    tokens.push(
      nn(
        transform(
          filter(keysAt(o.path), `NOT ${contains(list(known), "k")}`),
          d === "duckdb" ? `${s(prefix)} || k` : `concat(${s(prefix)}, k)`,
        ),
      ),
    );
  }
  const elementKeys = (path: readonly string[], mode: "array" | "entries"): string =>
    nn(flattenList(transform(nn(elementsAt(path, mode)), nn(keysOf("k")))));
  for (const e of elements) {
    const prefix = `u:${elementLabel(e.path, e.mode, "")}`;
    const keys = elementKeys(e.path, e.mode);
    tokens.push(
      transform(filter(keys, `NOT ${contains(list(e.fields), "k")}`), d === "duckdb" ? `${s(prefix)} || k` : `concat(${s(prefix)}, k)`),
    );
  }
  // A mapped path is present when its key is among its parent object's keys (a JSON null is present).
  const present = (path: readonly string[]): string => contains(nn(keysAt(path.slice(0, -1))), s(path[path.length - 1]!));
  const has = schema.mapped.map((m) =>
    m.element !== undefined ? contains(elementKeys(m.element.path, m.element.mode), s(m.element.field)) : m.paths.map(present).join(" OR "),
  );
  if (d === "duckdb") {
    // Each line is parsed once (every object's keys in one json_keys call) into a small
    // materialized row: its unmapped paths and a flag per mapped path. The counts of `#` and of
    // the absent paths are one aggregate row, unpivoted; only unmapped paths are unnested. The
    // same tokens as the Spark query, at a fraction of the cost of unnesting a token per record.
    const parents = keyPaths.map((p) => s(duckPath(p)));
    const unmapped = tokens.length === 1 ? empty : `list_distinct(${concat(tokens.slice(1))})`;
    const flags = has.map((h, i) => `coalesce(${h}, false) AS _p${i}`);
    const parsed = `SELECT line, json_keys(line, [${parents.join(", ")}]) AS _k FROM ${lines} WHERE line <> '' AND starts_with(ltrim(line), '{') AND json_valid(line)`;
    const rows = `SELECT ${[`${unmapped} AS _u`, ...flags].join(", ")} FROM (${parsed}) AS p`;
    const labels = list(["#", ...schema.mapped.map((m) => `a:${m.label}`)]);
    const counts = `[${["count(*)", ...has.map((_, i) => `count_if(NOT _p${i})`)].join(", ")}]`;
    return (
      `WITH r AS MATERIALIZED (${rows}) ` +
      `SELECT unnest(_t) AS token, unnest(_n) AS records FROM (SELECT ${labels} AS _t, ${counts} AS _n FROM r) AS a ` +
      `UNION ALL SELECT t AS token, count(*) AS records FROM (SELECT unnest(_u) AS t FROM r) AS u GROUP BY t`
    );
  }
  for (const [i, m] of schema.mapped.entries()) tokens.push(`CASE WHEN ${has[i]!} THEN ${empty} ELSE ${list([`a:${m.label}`])} END`);
  const all = `array_distinct(${concat(tokens)})`;
  const records = `SELECT line FROM ${lines} WHERE ltrim(line) LIKE '{%' AND json_object_keys(line) IS NOT NULL`;
  return `SELECT t AS token, count(*) AS records FROM (SELECT explode(${all}) AS t FROM (${records}) AS r) AS u GROUP BY t`;
}

/** What a file's drift tokens say: unmapped paths by records (most first), and mapped paths absent from every record. */
export interface Drift {
  /** Distinct unmapped paths. */
  readonly unmappedPaths: number;
  /** The first few unmapped paths (most records first) with their record counts. */
  readonly unmapped: Record<string, number>;
  readonly absent: readonly string[];
}

export const DRIFT_EXAMPLES = 5;

/** Folds token counts (summed over slices) into a Drift. */
export function driftOf(tokens: ReadonlyMap<string, number>): Drift {
  const records = tokens.get("#") ?? 0;
  const unmapped = [...tokens].filter(([t]) => t.startsWith("u:")).map(([t, n]) => [t.slice(2), n] as const);
  unmapped.sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  const absent =
    records === 0
      ? []
      : [...tokens]
          .filter(([t, n]) => t.startsWith("a:") && n === records)
          .map(([t]) => t.slice(2))
          .sort();
  return { unmappedPaths: unmapped.length, unmapped: Object.fromEntries(unmapped.slice(0, DRIFT_EXAMPLES)), absent };
}

/** One unmapped path of a parsed record, as `init --update` proposes it: a key of an object, or a field of a child table's objects. */
export type UnmappedPath =
  | { readonly kind: "key"; readonly path: readonly string[] }
  | { readonly kind: "field"; readonly path: readonly string[]; readonly mode: "array" | "entries"; readonly field: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The unmapped paths of one parsed record, by the rules the drift query counts them with. */
export function unmappedPathsOf(schema: DriftSchema, record: Record<string, unknown>): UnmappedPath[] {
  const out: UnmappedPath[] = [];
  const walk = (n: Node, value: unknown, path: readonly string[]): void => {
    if (n.opaque) return;
    if (n.elements !== undefined) {
      const els = n.elements.mode === "array" ? (Array.isArray(value) ? value : []) : isObject(value) ? Object.values(value) : [];
      for (const e of els)
        if (isObject(e))
          for (const k of Object.keys(e))
            if (!n.elements.fields.includes(k)) out.push({ kind: "field", path, mode: n.elements.mode, field: k });
      return;
    }
    if (!isObject(value) || n.children.size === 0) return;
    for (const [k, v] of Object.entries(value)) {
      const child = n.children.get(k);
      if (child === undefined) out.push({ kind: "key", path: [...path, k] });
      else walk(child, v, [...path, k]);
    }
  };
  walk(schema.root, record, []);
  return out;
}
