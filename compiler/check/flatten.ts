// Flatten rules: the flattened column exists and has the right kind for the mode, the mode's
// required options are there and no option of the other mode is, and child element types are
// scalars (a child table row holds one typed value).
import { didYouMean } from "../diagnostics.js";
import type { DocPath } from "../diagnostics.js";
import type { FlattenDoc } from "../doc.js";
import type { Type } from "../ir.js";
import { typeToString } from "../ir.js";
import { isScalar } from "../types-parse.js";
import { checkColumnSpec, checkType } from "./columns.js";
import { aType, q, type CheckContext } from "./context.js";
import { declaredTypes } from "../table-shapes.js";
import { checkObjectChildren } from "./object-children.js";

/** Options that belong to one mode only; the other mode must not carry them. */
const COLUMNS_ONLY = ["keys", "prefix"] as const;
const TABLE_ONLY = ["table", "value", "index", "key", "type", "fields"] as const;

export function checkFlattens(ctx: CheckContext): void {
  for (const [name, src] of Object.entries(ctx.doc.sources ?? {})) {
    const types = declaredTypes(src);
    for (const [col, fl] of Object.entries(src.flatten ?? {})) {
      const at: DocPath = ["sources", name, "flatten", col];
      if (!types.has(col)) {
        ctx.error(
          "LK207",
          at,
          `flatten names unknown column ${q(col)} of source ${q(name)}`,
          didYouMean(col, types.keys()) ?? "flatten an object or array column declared under columns:",
          { key: true },
        );
        continue;
      }
      const t = types.get(col);
      if (t) checkOne(ctx, at, col, fl, t);
    }
  }
}

function checkOne(ctx: CheckContext, at: DocPath, col: string, fl: FlattenDoc, t: Type): void {
  if (fl.into === "columns") {
    if (t.kind !== "object") {
      ctx.error(
        "LK311",
        [...at, "into"],
        `into: columns needs an object column, but ${q(col)} is ${aType(t)}`,
        t.kind === "array" ? "flatten arrays with into: table" : "only object columns can be flattened",
      );
      return;
    }
    notApplicable(ctx, at, fl, TABLE_ONLY, "into: columns");
    if (fl.keys === undefined || Object.keys(fl.keys).length === 0) {
      ctx.error("LK312", at, `into: columns on ${q(col)} lists no keys`, 'list the object keys to keep, e.g. keys: { "Size:": size }', {
        key: true,
      });
      return;
    }
    for (const [jsonKey, spec] of Object.entries(fl.keys)) {
      if (typeof spec === "string") continue;
      const kt = checkColumnSpec(ctx, [...at, "keys", jsonKey], spec);
      if (kt && !isScalar(kt))
        ctx.error(
          "LK321",
          [...at, "keys", jsonKey, "type"],
          `flattened key ${q(jsonKey)} has type ${typeToString(kt)}; flattened keys are scalars`,
          "use a scalar type, or keep the object as a column",
        );
    }
    return;
  }
  if (t.kind !== "object" && t.kind !== "array") {
    ctx.error(
      "LK310",
      [...at, "into"],
      `into: table needs an array or object column, but ${q(col)} is ${aType(t)}`,
      'for a delimited string, declare type: "array<string>" with split: ","',
    );
    return;
  }
  notApplicable(ctx, at, fl, COLUMNS_ONLY, "into: table");
  if (t.kind === "array") {
    if (fl.key !== undefined)
      ctx.error(
        "LK319",
        [...at, "key"],
        "key does not apply to an array: array elements have an index, not a key",
        "use index: to name the position column",
        { key: true },
      );
    if (fl.type !== undefined)
      ctx.error(
        "LK319",
        [...at, "type"],
        "type does not apply to an array flatten: the element type comes from the column's array<T>",
        `change the column type instead, e.g. "array<integer>"`,
        { key: true },
      );
    if (!checkObjectChildren(ctx, at, col, fl, t.element, "element") && !isScalar(t.element))
      ctx.error(
        "LK321",
        at,
        `each element of ${q(col)} is ${aType(t.element)}; child table values must be scalars`,
        "use array<T> of a scalar type",
        { key: true },
      );
  } else {
    if (fl.index !== undefined)
      ctx.error(
        "LK319",
        [...at, "index"],
        "index does not apply to an object: its entries have a key, not a position",
        "use key: to name the key column",
        { key: true },
      );
    const vt = fl.type !== undefined ? checkType(ctx, [...at, "type"], fl.type) : { kind: "string" as const };
    if (!checkObjectChildren(ctx, at, col, fl, vt, "value") && fl.type !== undefined) {
      if (vt && !isScalar(vt))
        ctx.error(
          "LK321",
          [...at, "type"],
          `child table values of ${q(col)} cannot be ${typeToString(vt)}; they must be scalars`,
          "use a scalar type such as string",
        );
    }
  }
  if (fl.table === undefined) {
    ctx.error("LK313", at, `into: table on ${q(col)} has no table name`, `name the child table, e.g. table: ${String(at[1])}_${col}`, {
      key: true,
    });
  }
}

function notApplicable(ctx: CheckContext, at: DocPath, fl: FlattenDoc, opts: readonly (keyof FlattenDoc)[], mode: string): void {
  for (const opt of opts) {
    if (fl[opt] === undefined) continue;
    ctx.error(
      "LK319",
      [...at, opt],
      `${opt} does not apply to ${mode}`,
      mode === "into: columns"
        ? "table, value, index, key, type and fields belong to into: table"
        : "keys and prefix belong to into: columns",
      { key: true },
    );
  }
}
