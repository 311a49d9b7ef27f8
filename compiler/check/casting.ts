// Compile-time twin of the casting rules in docs/language.md ("Casting"): decides whether a
// value written in the YAML (a default, an accepted value, a range bound, a where literal)
// would cast to a column's type at run time, so the mistake surfaces before any data flows.
import type { Scalar } from "../doc.js";
import type { ScalarType } from "../ir.js";
import { typeToString } from "../ir.js";

export interface CastOptions {
  readonly format?: string;
  readonly unit?: string;
}

const BOOLEAN_WORDS = new Set(["true", "false", "1", "0", "yes", "no", "t", "f", "y", "n"]);
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const INT64_MAX = 9223372036854775807n;
const MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

/** The raw text of a YAML value, as the runtime would see the same JSON value. */
export function rawText(v: Scalar): string {
  return String(v);
}

/** Why `text` does not cast to `type`, or undefined when it does. */
export function castError(text: string, type: ScalarType, opts: CastOptions = {}): string | undefined {
  switch (type.kind) {
    case "string":
      return undefined;
    case "integer":
      return integerError(text);
    case "double":
      return NUMBER.test(text) ? undefined : `'${text}' is not a number`;
    case "decimal":
      return decimalError(text, type.precision, type.scale);
    case "boolean":
      return BOOLEAN_WORDS.has(text.toLowerCase()) ? undefined : `'${text}' is not a boolean (true/false, 1/0, yes/no, t/f, y/n)`;
    case "date":
      if (opts.format !== undefined)
        return matchesFormat(text, opts.format) ? undefined : `'${text}' does not match the format '${opts.format}'`;
      return isoDate(text) ? undefined : `'${text}' is not an ISO date (YYYY-MM-DD)`;
    case "timestamp":
      if (opts.unit !== undefined) return NUMBER.test(text) ? undefined : `'${text}' is not an epoch number of ${opts.unit}`;
      if (opts.format !== undefined)
        return matchesFormat(text, opts.format) ? undefined : `'${text}' does not match the format '${opts.format}'`;
      return isoTimestamp(text) ? undefined : `'${text}' is not an ISO 8601 timestamp`;
  }
}

function integerError(text: string): string | undefined {
  if (!/^[+-]?\d+$/.test(text)) return `'${text}' is not an integer (optional sign and digits only)`;
  const n = BigInt(text);
  return n > INT64_MAX || n < -INT64_MAX - 1n ? `'${text}' does not fit a 64-bit integer` : undefined;
}

function decimalError(text: string, precision: number, scale: number): string | undefined {
  if (!NUMBER.test(text)) return `'${text}' is not a number`;
  const rounded = Math.abs(Number(text)).toFixed(scale);
  const intDigits = rounded.split(".")[0]!.replace(/^0+/, "").length;
  if (intDigits > precision - scale) return `'${text}' overflows ${typeToString({ kind: "decimal", precision, scale })}`;
  return undefined;
}

function validDate(y: number, m: number, d: number): boolean {
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

export function isoDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  return m !== null && validDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

export function isoTimestamp(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text);
  if (!m || !validDate(Number(m[1]), Number(m[2]), Number(m[3]))) return false;
  return m[4] === undefined || (Number(m[4]) < 24 && Number(m[5]) < 60 && Number(m[6] ?? 0) < 60);
}

/** Milliseconds since the epoch of an ISO date or timestamp, for ordering range bounds. */
export function isoMillis(text: string): number {
  return Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text.replace(" ", "T"));
}

const FORMAT_PIECES: Readonly<Record<string, string>> = {
  Y: "\\d{4}",
  m: "\\d{1,2}",
  d: "\\d{1,2}",
  H: "\\d{1,2}",
  I: "\\d{1,2}",
  M: "\\d{1,2}",
  S: "\\d{1,2}",
  f: "\\d{1,9}",
  b: `(?:${MONTHS.map((m) => m.slice(0, 3)).join("|")})`,
  B: `(?:${MONTHS.join("|")})`,
  p: "(?:am|pm)",
  "%": "%",
};

/** Whether text has the shape of a strftime-style format (fields are not range-checked). */
export function matchesFormat(text: string, format: string): boolean {
  let re = "";
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    const piece = ch === "%" ? FORMAT_PIECES[format[i + 1] ?? ""] : undefined;
    if (piece !== undefined) {
      re += piece;
      i++;
    } else {
      re += ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${re}$`, "i").test(text);
}
