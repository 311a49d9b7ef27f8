// Does each cleaning option fit its column's type? Runs on declared columns and on the typed
// keys of `flatten: into: columns`, which take the same options.
import type { DocPath } from "../diagnostics.js";
import type { ColumnDoc } from "../doc.js";
import type { ScalarType, Type } from "../ir.js";
import { typeToString } from "../ir.js";
import { SUPPORTED_CODES, unsupportedCode } from "../expr/datetime-format.js";
import { TYPE_SYNTAX, isNumeric, isScalar, isTemporal, parseTypeDetailed } from "../types-parse.js";
import { castError, isoDate, isoMillis, isoTimestamp, rawText } from "./casting.js";
import { aType, q, type CheckContext } from "./context.js";
import { checkMessyOptions } from "./messy-feeds.js";

/** The options a column spec may carry; flatten key specs carry a subset. */
type ColumnLike = Omit<ColumnDoc, "type"> & { type?: string };

const FORMAT_CODES_HINT = `supported codes: ${Object.keys(SUPPORTED_CODES)
  .map((c) => `%${c}`)
  .join(" ")}`;

/** Parses a type string at `path`, reporting LK301 when it does not parse. */
export function checkType(ctx: CheckContext, path: DocPath, text: string): Type | undefined {
  const r = parseTypeDetailed(text);
  if ("type" in r) return r.type;
  ctx.error("LK301", path, `invalid type '${text}': ${r.error}`, `types are ${TYPE_SYNTAX}`);
  return undefined;
}

/** Checks every option of one column spec; returns its type when it parses. */
export function checkColumnSpec(ctx: CheckContext, path: DocPath, spec: ColumnLike): Type | undefined {
  const type = checkType(ctx, spec.type === undefined ? path : [...path, "type"], spec.type ?? "string");
  if (!type) return undefined;
  checkRange(ctx, path, spec, type);
  checkFormatAndUnit(ctx, path, spec, type);
  checkTextOptions(ctx, path, spec, type);
  checkValues(ctx, path, spec, type);
  checkMessyOptions(ctx, path, spec, type);
  if (spec.required === true && spec.default !== undefined) {
    ctx.warn(
      "LK390",
      [...path, "required"],
      "required: true has no effect: the column has a default, so it is never NULL",
      "remove required, or remove the default to reject records without a value",
      { key: true },
    );
  }
  return type;
}

function checkRange(ctx: CheckContext, path: DocPath, spec: ColumnLike, type: Type): void {
  if (spec.range === undefined) return;
  const at = [...path, "range"];
  if (!isNumeric(type) && !isTemporal(type)) {
    ctx.error(
      "LK302",
      at,
      `range does not apply to ${aType(type)} column`,
      "range applies to integer, double, decimal, date and timestamp columns; use accepted_values to restrict other values",
      { key: true },
    );
    return;
  }
  const bounds: (number | undefined)[] = spec.range.map((b, i) => rangeBound(ctx, [...at, i], b, type));
  const [lo, hi] = bounds;
  if (lo !== undefined && hi !== undefined && lo > hi) {
    ctx.error(
      "LK303",
      at,
      `range minimum ${String(spec.range[0])} is greater than its maximum ${String(spec.range[1])}`,
      "write range: [min, max]",
    );
  }
}

/** A bound as a comparable number, or undefined when null or wrong (then reported). */
function rangeBound(ctx: CheckContext, path: DocPath, b: number | string | null, type: Type): number | undefined {
  if (b === null) return undefined;
  if (isNumeric(type)) {
    if (typeof b === "number") return b;
    ctx.error(
      "LK304",
      path,
      `range bound ${q(b)} is not a number, but the column is ${aType(type)}`,
      "write the bound as a number, or null for no bound",
    );
    return undefined;
  }
  const ok = typeof b === "string" && (type.kind === "date" ? isoDate(b) : isoTimestamp(b));
  if (!ok) {
    const want = type.kind === "date" ? "an ISO date such as 2020-01-31" : "an ISO timestamp such as 2020-01-31T12:00:00";
    ctx.error("LK304", path, `range bound ${q(b)} is not a ${type.kind}`, `write ${want} (ranges are ISO, whatever the column's format)`);
    return undefined;
  }
  return isoMillis(b as string);
}

function checkFormatAndUnit(ctx: CheckContext, path: DocPath, spec: ColumnLike, type: Type): void {
  if (spec.format !== undefined) {
    if (!isTemporal(type)) {
      ctx.error(
        "LK305",
        [...path, "format"],
        `format does not apply to ${aType(type)} column`,
        "format parses dates and timestamps; use type: date or type: timestamp",
        { key: true },
      );
    } else {
      checkFormatString(ctx, [...path, "format"], spec.format);
    }
  }
  if (spec.unit !== undefined) {
    if (type.kind !== "timestamp") {
      ctx.error(
        "LK307",
        [...path, "unit"],
        `unit does not apply to ${aType(type)} column`,
        "unit reads an epoch number into a timestamp; use type: timestamp",
        { key: true },
      );
    } else if (spec.format !== undefined) {
      ctx.error(
        "LK308",
        [...path, "unit"],
        "unit and format cannot both be set: a value is either an epoch number or formatted text",
        "keep unit for epoch numbers, or format for text",
        { key: true },
      );
    }
  }
}

/** Reports unsupported strftime codes at their column, and %I/%p used alone. */
function checkFormatString(ctx: CheckContext, path: DocPath, fmt: string): void {
  let rest = fmt;
  let base = 0;
  for (;;) {
    const bad = unsupportedCode(rest);
    if (bad === undefined) break;
    const at = findCode(rest, bad);
    ctx.errorInScalar("LK306", path, fmt, base + at, bad.length, `unsupported format code '${bad}' in '${fmt}'`, FORMAT_CODES_HINT);
    base += at + Math.max(bad.length, 1);
    rest = fmt.slice(base);
  }
  const codes = new Set<string>();
  for (let i = 0; i < fmt.length; i++) if (fmt[i] === "%") codes.add(fmt[++i] ?? "");
  if (codes.has("I") !== codes.has("p")) {
    const [has, lacks] = codes.has("I") ? ["%I", "%p"] : ["%p", "%I"];
    ctx.error(
      "LK316",
      path,
      `format '${fmt}' uses ${has} without ${lacks}`,
      "12-hour times need both %I (hour 1-12) and %p (AM/PM); use %H for 24-hour times",
    );
  }
}

/** Offset of the first occurrence of an unsupported code, skipping `%%` escapes. */
function findCode(fmt: string, code: string): number {
  for (let i = 0; i < fmt.length; i++) {
    if (fmt[i] !== "%") continue;
    if (fmt.slice(i, i + code.length) === code && (code !== "%" || i === fmt.length - 1)) return i;
    i++;
  }
  return 0;
}

function checkTextOptions(ctx: CheckContext, path: DocPath, spec: ColumnLike, type: Type): void {
  if (spec.split !== undefined && (type.kind !== "array" || !isScalar(type.element))) {
    ctx.error(
      "LK309",
      [...path, "split"],
      `split does not apply to ${aType(type)} column`,
      'split turns a delimited string into array<T> of scalars; use type: "array<string>"',
      { key: true },
    );
  }
  const jsonText = type.kind === "object" || (type.kind === "array" && spec.split === undefined);
  if (!jsonText) return;
  for (const opt of ["trim", "strip"] as const) {
    if (spec[opt] === undefined || spec[opt] === false) continue;
    ctx.error(
      "LK318",
      [...path, opt],
      `${opt} does not apply to ${aType(type)} column: it would edit the JSON text`,
      "trim and strip apply to scalar text; set them on the flattened keys instead",
      { key: true },
    );
  }
}

function checkValues(ctx: CheckContext, path: DocPath, spec: ColumnLike, type: Type): void {
  const opts = { format: spec.format, unit: spec.unit };
  for (const opt of ["default", "accepted_values", "references"] as const) {
    if (spec[opt] === undefined || isScalar(type)) continue;
    ctx.error(
      "LK320",
      [...path, opt],
      `${opt} does not apply to ${aType(type)} column`,
      "only scalar columns take a default, accepted_values or references; flatten the column first",
      { key: true },
    );
  }
  if (!isScalar(type)) return;
  if (spec.default !== undefined) {
    const why = castError(rawText(spec.default), type, opts);
    if (why) ctx.error("LK315", [...path, "default"], `default cannot be cast to ${typeToString(type)}: ${why}`, castHint(type));
  }
  (spec.accepted_values ?? []).forEach((v, i) => {
    const why = castError(rawText(v), type, opts);
    if (why)
      ctx.error("LK314", [...path, "accepted_values", i], `accepted value cannot be cast to ${typeToString(type)}: ${why}`, castHint(type));
  });
}

function castHint(type: ScalarType): string {
  switch (type.kind) {
    case "integer":
      return "integers are an optional sign and digits, e.g. 0 or -12";
    case "double":
    case "decimal":
      return "write a number, e.g. 4.5";
    case "boolean":
      return "write true or false";
    case "date":
      return "write an ISO date such as 2020-01-31, or text matching the column's format";
    case "timestamp":
      return "write an ISO timestamp such as 2020-01-31T12:00:00, or a value matching the column's unit or format";
    default:
      return "";
  }
}
