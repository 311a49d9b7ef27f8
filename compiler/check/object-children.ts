// Child tables over objects (docs/language.md, "Flatten"): `into: table` with `fields:` when each
// array element, or each value of an object with `type: object`, is itself an object. The fields
// become typed columns of the child table in place of `value`.
import type { DocPath } from "../diagnostics.js";
import type { FlattenDoc, FlattenFieldDoc } from "../doc.js";
import type { Type } from "../ir.js";
import { typeToString } from "../ir.js";
import { isScalar, parseType } from "../types-parse.js";
import { checkType } from "./columns.js";
import { q, type CheckContext } from "./context.js";
import type { ColumnInfo } from "./tables.js";

const STRING: Type = { kind: "string" };

const fieldName = (spec: FlattenFieldDoc): string => (typeof spec === "string" ? spec : spec.name);

/** The child-table columns `fields:` declares, where each name is written. */
export function fieldColumns(fl: FlattenDoc, base: DocPath): ColumnInfo[] {
  return Object.entries(fl.fields ?? {}).map(([field, spec]) => ({
    name: fieldName(spec),
    type: typeof spec === "string" || spec.type === undefined ? STRING : parseType(spec.type),
    origin: "value" as const,
    path: typeof spec === "string" ? [...base, "fields", field] : [...base, "fields", field, "name"],
    key: false,
  }));
}

/**
 * The rules for one table flatten whose elements or values (`valueType`) may be objects. Returns
 * whether it reported the element type itself (so the caller does not report LK321 again).
 */
export function checkObjectChildren(
  ctx: CheckContext,
  at: DocPath,
  col: string,
  fl: FlattenDoc,
  valueType: Type | undefined,
  noun: "element" | "value",
): boolean {
  if (valueType === undefined) return false;
  const objects = valueType.kind === "object";
  if (fl.fields === undefined) {
    if (!objects) return false;
    const what = fl.type !== undefined ? [...at, "type"] : at;
    ctx.error(
      "LK321",
      what,
      `each ${noun} of ${q(col)} is an object; a child table needs its fields listed`,
      "list the fields to keep as columns, e.g. fields: { open: opens_at, close: closes_at }",
      { key: fl.type === undefined },
    );
    return true;
  }
  if (!objects) {
    ctx.error(
      "LK319",
      [...at, "fields"],
      `fields does not apply: ${q(col)} holds ${typeToString(valueType)} values, not objects`,
      "fields needs array<object>, or type: object for the values of an object",
      { key: true },
    );
    return true;
  }
  if (fl.value !== undefined) {
    ctx.error(
      "LK319",
      [...at, "value"],
      "value does not apply with fields: the fields are the child table's value columns",
      "remove value",
      { key: true },
    );
  }
  for (const [field, spec] of Object.entries(fl.fields)) {
    if (typeof spec === "string" || spec.type === undefined) continue;
    const t = checkType(ctx, [...at, "fields", field, "type"], spec.type);
    if (t && !isScalar(t))
      ctx.error(
        "LK321",
        [...at, "fields", field, "type"],
        `field ${q(field)} of ${q(col)} cannot be ${typeToString(t)}; child table columns are scalars`,
        "use a scalar type, or flatten that field in another pipeline step",
      );
  }
  return true;
}
