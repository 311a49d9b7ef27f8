// Per-source rules: column options, the key, the id, partitioning and references.
import { didYouMean } from "../diagnostics.js";
import type { DocPath } from "../diagnostics.js";
import type { PipelineDoc, SourceDoc } from "../doc.js";
import type { Type } from "../ir.js";
import { typeToString } from "../ir.js";
import { isTemporal } from "../types-parse.js";
import { checkColumnSpec } from "./columns.js";
import { isWholeRecordKey, keyColumns } from "../whole-record-key.js";
import { aType, q, type CheckContext } from "./context.js";
import { declaredTypes } from "../table-shapes.js";

export function checkSources(ctx: CheckContext): void {
  for (const [name, src] of Object.entries(ctx.doc.sources ?? {})) {
    const types = new Map<string, Type | undefined>();
    for (const [col, spec] of Object.entries(src.columns ?? {})) {
      types.set(col, checkColumnSpec(ctx, ["sources", name, "columns", col], spec));
    }
    checkKey(ctx, name, src, types);
    checkId(ctx, name, src);
    checkPartition(ctx, name, src, types);
    checkReferences(ctx, name, src, types);
  }
  checkPrefixes(ctx);
}

/**
 * Each raw file belongs to one source, found by its prefix; a prefix inside another source's
 * prefix would send the same file to both sources.
 */
function checkPrefixes(ctx: CheckContext): void {
  const seen: { name: string; prefix: string }[] = [];
  for (const [name, src] of Object.entries(ctx.doc.sources ?? {})) {
    if (typeof src.prefix !== "string") continue;
    // The local engine joins the prefix to <lake>/raw/, and S3 keys with `..` are folders named
    // `..` there but parent folders here: `run --input` copied files out of the lake.
    const bad = src.prefix
      .replace(/\/$/, "")
      .split("/")
      .find((seg) => seg === ".." || seg === "." || seg === "");
    if (bad !== undefined) {
      const what = bad === "" ? "an empty folder name (//)" : `a ${q(bad)} folder`;
      ctx.error(
        "LK225",
        ["sources", name, "prefix"],
        `prefix ${q(src.prefix)} of source ${q(name)} has ${what}: its files would land outside the raw folder`,
        `name the raw-bucket folder itself, e.g. prefix: ${name}/`,
      );
      continue;
    }
    const prefix = src.prefix.endsWith("/") ? src.prefix : `${src.prefix}/`;
    const other = seen.find((o) => o.prefix.startsWith(prefix) || prefix.startsWith(o.prefix));
    if (other) {
      const same = other.prefix === prefix;
      ctx.error(
        "LK224",
        ["sources", name, "prefix"],
        `prefix ${q(src.prefix)} of source ${q(name)} ${same ? "is also the prefix of" : "overlaps the prefix of"} source ${q(other.name)} (${q(other.prefix)}): its files would be read by both`,
        "give each source its own raw-bucket folder, e.g. prefix: " + `${name}/`,
      );
    }
    seen.push({ name, prefix });
  }
}

/** Reports names listed twice in a list (key, grain, join); returns the distinct ones. */
export function checkDuplicates(ctx: CheckContext, path: DocPath, items: readonly string[], what: string): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item)) ctx.error("LK219", [...path, i], `${q(item)} is listed twice in ${what}`, "remove the repeated entry");
    seen.add(item);
  });
}

function checkKey(ctx: CheckContext, name: string, src: SourceDoc, types: Map<string, Type | undefined>): void {
  const at: DocPath = ["sources", name, "key"];
  if (isWholeRecordKey(src)) return;
  const key = keyColumns(src);
  if (key.length === 0) {
    ctx.error("LK221", at, `source ${q(name)} has an empty key`, "list the columns that identify a record, e.g. key: [order_id]");
    return;
  }
  checkDuplicates(ctx, at, key, `the key of source ${q(name)}`);
  key.forEach((k, i) => {
    if (!types.has(k)) {
      ctx.error(
        "LK205",
        [...at, i],
        `unknown column ${q(k)} in the key of source ${q(name)}`,
        didYouMean(k, types.keys()) ?? "key columns must be declared under columns:",
      );
      return;
    }
    const t = types.get(k);
    if (t && (t.kind === "object" || t.kind === "array")) {
      ctx.error(
        "LK222",
        [...at, i],
        `key column ${q(k)} is ${aType(t)}; a key must be scalar`,
        "use a scalar column, or flatten the object and key on its parts",
      );
    }
    if (src.columns[k]?.required !== true) {
      ctx.error(
        "LK220",
        [...at, i],
        `key column ${q(k)} is not required: a NULL key cannot be deduplicated`,
        `add required: true to column ${q(k)}`,
      );
    }
  });
}

function checkId(ctx: CheckContext, name: string, src: SourceDoc): void {
  if (src.id !== undefined && Object.hasOwn(src.columns ?? {}, src.id)) {
    ctx.error(
      "LK209",
      ["sources", name, "id"],
      `id column ${q(src.id)} has the name of a declared column`,
      `the id holds a hash of the key, not a declared value; rename it, e.g. id: ${name}_record_id`,
    );
  }
}

function checkPartition(ctx: CheckContext, name: string, src: SourceDoc, types: Map<string, Type | undefined>): void {
  const col = src.partition_by;
  if (col === undefined) return;
  const at: DocPath = ["sources", name, "partition_by"];
  if (!types.has(col)) {
    ctx.error(
      "LK206",
      at,
      `unknown column ${q(col)} in partition_by of source ${q(name)}`,
      didYouMean(col, types.keys()) ?? "partition_by must name a declared date or timestamp column",
    );
    return;
  }
  const t = types.get(col);
  if (t && !isTemporal(t)) {
    const temporal = [...types].filter(([, ty]) => ty && isTemporal(ty)).map(([c]) => c);
    const hint =
      temporal.length > 0
        ? `partition by a date or timestamp column: ${temporal.join(", ")}`
        : "partition_by needs a date or timestamp column";
    ctx.error("LK317", at, `partition_by column ${q(col)} is ${aType(t)}, not a date or timestamp`, hint);
  }
}

/** Resolves `source` or `source.column` to the referenced source and its single key column. */
function checkReferences(ctx: CheckContext, name: string, src: SourceDoc, types: Map<string, Type | undefined>): void {
  for (const [col, spec] of Object.entries(src.columns ?? {})) {
    if (spec.references === undefined) continue;
    checkReference(ctx, ctx.doc, ["sources", name, "columns", col, "references"], spec.references, types.get(col));
  }
}

function checkReference(ctx: CheckContext, doc: PipelineDoc, at: DocPath, ref: string, colType: Type | undefined): void {
  const [target, column, ...extra] = ref.split(".");
  const sources = doc.sources ?? {};
  const targetSrc = target !== undefined ? sources[target] : undefined;
  if (!targetSrc || !Object.hasOwn(sources, target!)) {
    ctx.error(
      "LK215",
      at,
      `references unknown source ${q(target)}`,
      didYouMean(target ?? "", Object.keys(sources)) ?? `sources are: ${Object.keys(sources).join(", ")}`,
    );
    return;
  }
  const key = keyColumns(targetSrc);
  if (key.length !== 1) {
    const has = isWholeRecordKey(targetSrc) ? "the whole-record key" : `a ${key.length}-column key [${key.join(", ")}]`;
    ctx.error(
      "LK216",
      at,
      `source ${q(target)} has ${has}; references needs a single-column key`,
      "reference a source whose key is one column",
    );
    return;
  }
  const keyCol = key[0]!;
  if (extra.length > 0 || (column !== undefined && column !== keyCol)) {
    ctx.error(
      "LK216",
      at,
      `${q(ref)} is not the key of source ${q(target)}, which is ${q(keyCol)}`,
      `write references: ${target} or ${target}.${keyCol}`,
    );
    return;
  }
  const keyType = declaredTypes(targetSrc).get(keyCol);
  if (colType && keyType && typeToString(colType) !== typeToString(keyType)) {
    ctx.error(
      "LK217",
      at,
      `column type ${typeToString(colType)} differs from the type of ${target}.${keyCol}, ${typeToString(keyType)}`,
      `declare the column as type: ${typeToString(keyType)}`,
    );
  }
}
