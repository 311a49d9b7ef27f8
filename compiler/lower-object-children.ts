// Lowering of `fields:` on a child table whose elements (array<object>) or entry values
// (`type: object`) are objects: each field becomes a typed column of the child table.
import type { CleanColumn, ChildField, ScalarType } from "./ir.js";
import type { FlattenDoc } from "./doc.js";
import { parseType } from "./types-parse.js";

/** The fields of a table flatten over objects, or undefined when its values are scalars. */
export function childFields(col: CleanColumn, f: FlattenDoc): ChildField[] | undefined {
  if (f.fields === undefined) return undefined;
  const valuesAreObjects =
    col.type.kind === "array" ? col.type.element.kind === "object" : f.type !== undefined && parseType(f.type)?.kind === "object";
  if (!valuesAreObjects)
    throw new Error(`lower: fields on '${col.name}' whose values are not objects (the checker should have rejected it)`);
  return Object.entries(f.fields).map(([field, spec]) => {
    const name = typeof spec === "string" ? spec : spec.name;
    const typeText = typeof spec === "string" ? undefined : spec.type;
    const t = typeText === undefined ? ({ kind: "string" } as const) : parseType(typeText);
    if (!t || t.kind === "object" || t.kind === "array") throw new Error(`lower: field '${field}' of '${col.name}' has no scalar type`);
    return { field, column: name, type: t as ScalarType };
  });
}

export function fieldDescription(f: FlattenDoc, field: string): { description?: string } {
  const spec = f.fields?.[field];
  return typeof spec === "object" && spec.description !== undefined ? { description: spec.description } : {};
}
