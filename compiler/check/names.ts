// Name rules: every name the pipeline creates is a portable identifier (valid everywhere
// unquoted, not reserved by any engine), output tables are unique across the pipeline, and
// columns are unique within each output table once flattening has added its columns.
import type { DocPath } from "../diagnostics.js";
import { META_COLUMNS } from "../ir.js";
import { reservedIn } from "../reserved-words.js";
import { listAnd, q, type CheckContext } from "./context.js";
import type { ColumnInfo, ColumnOrigin, TableInfo } from "./tables.js";

const NAME_PATTERN = /^[a-z][a-z0-9_]*$/;
const MAX_NAME_LENGTH = 63;

interface NameAt {
  readonly name: string;
  readonly what: string;
  readonly path: DocPath;
  readonly key: boolean;
  readonly reservedOk?: boolean;
  /** For a column: the JSON field it reads, so a rename can keep reading it. */
  readonly field?: string;
}

/**
 * Validity and reserved words, for one name: the names the user writes (the schema leaves their
 * pattern to these checks, for sharper messages) and the ones lakec derives from them,
 * `<column>_<key>` of flattened keys and `<column>_month` partition keys.
 */
function checkName(ctx: CheckContext, n: NameAt): void {
  const opts = { key: n.key };
  if (n.name.startsWith("_")) {
    const meta = (META_COLUMNS as readonly string[]).includes(n.name) ? `${q(n.name)} is one of` : "names starting with '_' are kept for";
    ctx.error(
      "LK210",
      n.path,
      `${n.what} ${q(n.name)} starts with '_': ${meta} lakec's meta columns (${META_COLUMNS.join(", ")})`,
      `rename it, e.g. ${q(n.name.replace(/^_+/, "") || "value")}, and read the field with from: if needed`,
      opts,
    );
    return;
  }
  if (!NAME_PATTERN.test(n.name) || n.name.length > MAX_NAME_LENGTH) {
    if (n.name.length > MAX_NAME_LENGTH) {
      const shorten =
        n.what === "flattened column" ? "use a shorter name, or a shorter prefix: on the flatten entry" : "use a shorter name";
      ctx.error("LK201", n.path, `${n.what} ${q(n.name)} is ${n.name.length} characters long (at most ${MAX_NAME_LENGTH})`, shorten, opts);
    } else {
      ctx.error(
        "LK201",
        n.path,
        `${n.what} ${q(n.name)} is not a valid name`,
        "names match ^[a-z][a-z0-9_]*$: lower-case letters, digits and '_', starting with a letter",
        opts,
      );
    }
    return;
  }
  if (n.reservedOk) return;
  const engines = reservedIn(n.name);
  if (engines.length > 0) {
    const hint =
      n.field !== undefined
        ? `rename the column and keep reading the field with from:, e.g. ${n.name}_value: { from: ${n.field}, … }`
        : `choose another name, e.g. ${q(`${n.name}_value`)}`;
    ctx.error("LK202", n.path, `${n.what} ${q(n.name)} is a reserved word in ${listAnd(engines)}`, hint, opts);
  }
}

/** Every name the user writes that becomes an identifier somewhere. */
function declaredNames(ctx: CheckContext, tables: readonly TableInfo[]): NameAt[] {
  const doc = ctx.doc;
  const names: NameAt[] = [];
  if (typeof doc.name === "string") names.push({ name: doc.name, what: "pipeline name", path: ["name"], key: false, reservedOk: true });
  for (const [s, src] of Object.entries(doc.sources ?? {})) {
    names.push({ name: s, what: "source", path: ["sources", s], key: true });
    for (const [c, spec] of Object.entries(src.columns ?? {})) {
      const field = typeof spec.from === "string" ? spec.from : Array.isArray(spec.from) ? JSON.stringify(spec.from) : c;
      names.push({ name: c, what: "column", path: ["sources", s, "columns", c], key: true, field });
    }
    if (typeof src.id === "string") names.push({ name: src.id, what: "id column", path: ["sources", s, "id"], key: false });
  }
  const derived: Partial<Record<ColumnOrigin, string>> = {
    flattened: "flattened column",
    partition: "partition key",
    index: "index column",
    key: "key column",
    value: "value column",
    derived: "derived column",
  };
  for (const t of tables) {
    if (t.kind === "child") names.push({ name: t.name, what: "child table", path: t.path, key: t.key });
    for (const c of t.columns) {
      const what = derived[c.origin];
      if (what) names.push({ name: c.name, what, path: c.path, key: c.key });
    }
  }
  for (const [m, mart] of Object.entries(doc.marts ?? {})) {
    names.push({ name: m, what: "mart", path: ["marts", m], key: true });
    for (const ms of Object.keys(mart.measures ?? {}))
      names.push({ name: ms, what: "measure", path: ["marts", m, "measures", ms], key: true });
  }
  return names;
}

function describeTable(t: { kind: string; source: string; name: string }): string {
  if (t.kind === "main") return `the main table of source ${q(t.source)}`;
  if (t.kind === "child") return `a child table of source ${q(t.source)}`;
  return `mart ${q(t.name)}`;
}

function checkTableNames(ctx: CheckContext, tables: readonly TableInfo[]): void {
  const all: { name: string; kind: string; source: string; path: DocPath; key: boolean }[] = [...tables];
  for (const m of Object.keys(ctx.doc.marts ?? {})) all.push({ name: m, kind: "mart", source: "", path: ["marts", m], key: true });
  const first = new Map<string, (typeof all)[number]>();
  for (const t of all) {
    const prev = first.get(t.name);
    if (!prev) {
      first.set(t.name, t);
      continue;
    }
    ctx.error(
      "LK203",
      t.path,
      `output table ${q(t.name)} is defined twice: as ${describeTable(prev)} and as ${describeTable(t)}`,
      "table names are unique across sources, child tables and marts; rename one",
      { key: t.key },
    );
  }
}

const ORIGIN_TEXT: Record<ColumnOrigin, string> = {
  id: "the id column",
  column: "a declared column",
  flattened: "a flattened column",
  partition: "the partition key",
  carried: "a column carried from the parent",
  index: "the index column",
  key: "the key column",
  value: "the value column",
  derived: "a derived column",
};

function checkColumnNames(ctx: CheckContext, t: TableInfo): void {
  const first = new Map<string, ColumnInfo>();
  for (const c of t.columns) {
    const prev = first.get(c.name);
    if (!prev) {
      first.set(c.name, c);
      continue;
    }
    // id vs declared column is LK209, reported by the source checks.
    if (prev.origin === "id" && c.origin === "column") continue;
    if (prev.origin === "carried" && (c.origin === "index" || c.origin === "key" || c.origin === "value")) {
      ctx.error(
        "LK218",
        c.path,
        `${ORIGIN_TEXT[c.origin]} ${q(c.name)} of child table ${q(t.name)} has the name of ${ORIGIN_TEXT.carried}`,
        `child tables carry the parent's id, key and partition columns; name the ${c.origin} column differently, e.g. ${c.origin}: ${t.fromColumn ?? "item"}_${c.origin}`,
        { key: c.key },
      );
      continue;
    }
    if (prev.origin === "carried" && c.origin === "carried") continue;
    ctx.error(
      "LK208",
      c.path,
      `column ${q(c.name)} of table ${q(t.name)} is defined twice: as ${ORIGIN_TEXT[prev.origin]} and as ${ORIGIN_TEXT[c.origin]}`,
      "column names are unique within an output table, flattened columns included",
      { key: c.key },
    );
  }
}

export function checkNames(ctx: CheckContext, tables: readonly TableInfo[]): void {
  for (const n of declaredNames(ctx, tables)) checkName(ctx, n);
  checkTableNames(ctx, tables);
  for (const t of tables) checkColumnNames(ctx, t);
}
