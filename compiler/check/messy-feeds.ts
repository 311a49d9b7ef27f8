// Checks of the options for messy feeds (docs/language.md, "Messy feeds"): alternative paths
// (`from_any`) and `on_cast_error: set_null`. Kept apart from columns.ts so each option's rules
// live in one place.
import type { DocPath } from "../diagnostics.js";
import type { ColumnDoc } from "../doc.js";
import type { Type } from "../ir.js";
import { aType, q, type CheckContext } from "./context.js";

type MessyOptions = Pick<ColumnDoc, "from" | "from_any" | "on_cast_error" | "required" | "split">;

/** Whether a present value of this column can fail its cast (only then does on_cast_error matter). */
export function castCanFail(type: Type, split: string | undefined): boolean {
  return type.kind !== "string" && split === undefined;
}

export function checkMessyOptions(ctx: CheckContext, path: DocPath, spec: MessyOptions, type: Type): void {
  if (spec.from_any !== undefined && spec.from !== undefined) {
    ctx.error(
      "LK322",
      [...path, "from_any"],
      "from and from_any are both set: a column reads one path or a list of alternatives",
      "move the from path to the front of from_any, and remove from",
      { key: true },
    );
  }
  if (spec.from_any !== undefined) {
    const seen = new Set<string>();
    spec.from_any.forEach((p, i) => {
      const key = JSON.stringify(Array.isArray(p) ? p : p.split("."));
      if (seen.has(key))
        ctx.error(
          "LK322",
          [...path, "from_any", i],
          `from_any lists the path ${q(Array.isArray(p) ? p.join(".") : p)} twice`,
          "list each alternative once, in the order they are tried",
        );
      seen.add(key);
    });
  }
  if (spec.on_cast_error !== "set_null") return;
  if (!castCanFail(type, spec.split)) {
    const why =
      type.kind === "string" ? "every value is a string, so no cast can fail" : "a split value is kept as text, so no cast can fail";
    ctx.error(
      "LK323",
      [...path, "on_cast_error"],
      `on_cast_error does not apply to ${aType(type)} column: ${why}`,
      "remove on_cast_error",
      { key: true },
    );
  } else if (spec.required === true) {
    ctx.error(
      "LK323",
      [...path, "on_cast_error"],
      "on_cast_error: set_null on a required column: the NULL would make the record invalid anyway (missing_required)",
      `remove required to keep such records with a NULL, or remove on_cast_error to reject them as cast_failed`,
      { key: true },
    );
  }
}
