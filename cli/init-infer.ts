// Infers column types, flattening and a likely key from sample records, for `lakec init`.
// The goal is a pipeline that validates and is a good first draft, not a perfect schema:
// every guess is conservative (anything mixed or unclear stays a string).
import { isReserved } from "../compiler/reserved-words.js";

/** A JSON number whose text has a fraction or exponent, kept so `5.0` is not mistaken for 5. */
export interface DecimalText {
  readonly decimalText: string;
}

export type SampleValue = null | boolean | number | string | DecimalText | SampleValue[] | { [k: string]: SampleValue };

export type Inferred =
  | { kind: "string"; strip?: string; format?: string }
  | { kind: "integer"; strip?: string }
  | { kind: "double" }
  | { kind: "decimal"; precision: number; scale: number }
  | { kind: "boolean" }
  | { kind: "date"; format?: string }
  | { kind: "timestamp"; unit?: "seconds" | "milliseconds" | "microseconds"; format?: string }
  | { kind: "object"; keys: string[] }
  | { kind: "array"; element: Inferred; split?: string; nested?: boolean };

export function isDecimalText(v: unknown): v is DecimalText {
  return typeof v === "object" && v !== null && !Array.isArray(v) && typeof (v as DecimalText).decimalText === "string";
}

const DATE_FORMATS: readonly { re: RegExp; format?: string }[] = [
  { re: /^\d{4}-\d{2}-\d{2}$/ },
  { re: /^\d{4}\/\d{2}\/\d{2}$/, format: "%Y/%m/%d" },
  { re: /^\d{1,2} \d{1,2}, \d{4}$/, format: "%m %d, %Y" },
];
const TIMESTAMP_FORMATS: readonly { re: RegExp; format?: string }[] = [
  { re: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/ },
  { re: /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, format: "%Y-%m-%d %H:%M:%S" },
];

function allMatch(values: readonly string[], re: RegExp): boolean {
  return values.length > 0 && values.every((v) => re.test(v));
}

/**
 * A list written as text (`"Doctors, Health & Medical"`): nearly every value holds the
 * separator, values hold several short items, and the field is not free text.
 */
function delimitedList(texts: readonly string[]): boolean {
  if (texts.length < 5) return false;
  const items = texts.map((t) => t.split(","));
  const listed = items.filter((parts) => parts.length > 1).length;
  const average = items.reduce((n, parts) => n + parts.length, 0) / items.length;
  const short = items.every((parts) => parts.every((p) => p.trim().length <= 40));
  return listed >= 0.8 * texts.length && average >= 2 && short;
}

function inferStrings(values: readonly string[]): Inferred {
  const texts = values.map((v) => v.trim()).filter((v) => v !== "");
  if (texts.length === 0) return { kind: "string" };
  // Dates before lists: "09 4, 2015" holds the separator in every value, but it is one date.
  for (const f of DATE_FORMATS) if (allMatch(texts, f.re)) return { kind: "date", ...(f.format ? { format: f.format } : {}) };
  for (const f of TIMESTAMP_FORMATS) if (allMatch(texts, f.re)) return { kind: "timestamp", ...(f.format ? { format: f.format } : {}) };
  if (delimitedList(texts)) return { kind: "array", element: { kind: "string" }, split: "," };
  if (allMatch(texts, /^(true|false)$/i)) return { kind: "boolean" };
  // A leading zero is part of an identifier (postal codes, SKUs): casting would drop it.
  if (texts.some((t) => /^-?0\d/.test(t))) return { kind: "string" };
  if (allMatch(texts, /^-?\d{1,18}$/)) return { kind: "integer" };
  if (allMatch(texts, /^-?(\d{1,3}(,\d{3})+|\d{1,18})$/)) return { kind: "integer", strip: "," };
  return { kind: "string" };
}

/** Epoch numbers in a field whose name says it is a time: seconds, milliseconds or microseconds. */
function epochUnit(name: string, values: readonly number[]): "seconds" | "milliseconds" | "microseconds" | undefined {
  if (!/time|date|_at$|At$|stamp/i.test(name) || values.length === 0) return undefined;
  const within = (lo: number, hi: number): boolean => values.every((v) => v >= lo && v < hi);
  if (within(1e8, 1e10)) return "seconds";
  if (within(1e11, 1e13)) return "milliseconds";
  if (within(1e14, 1e16)) return "microseconds";
  return undefined;
}

function inferDecimals(texts: readonly string[]): Inferred {
  if (texts.some((t) => /[eE]/.test(t))) return { kind: "double" };
  const scales = texts.map((t) => (t.split(".")[1] ?? "").length);
  const scale = Math.max(...scales);
  // Varying or long fractions are measurements (coordinates); short equal ones are amounts.
  if (scale > 4 || new Set(scales).size > 1) return { kind: "double" };
  const intDigits = Math.max(1, ...texts.map((t) => t.replace(/^-/, "").split(".")[0]!.length));
  return { kind: "decimal", precision: Math.min(38, intDigits + scale + 2), scale };
}

function merge(a: Inferred, b: Inferred): Inferred | undefined {
  if (a.kind === b.kind && JSON.stringify(a) === JSON.stringify(b)) return a;
  if (a.kind === "object" && b.kind === "object") return { kind: "object", keys: [...new Set([...a.keys, ...b.keys])] };
  return undefined;
}

/** Texts that data sets use for "no value"; `null_if` turns them into NULL before the cast. */
const NULL_TEXTS = ["None", "null", "NULL", "N/A"];

/** The NULL_TEXTS that occur among the values. */
export function nullTexts(values: readonly SampleValue[]): string[] {
  return NULL_TEXTS.filter((t) => values.includes(t));
}

/** Infers one field's type from all its sample values that are not null or a null text. */
export function inferValues(name: string, values: readonly SampleValue[]): Inferred {
  const present = values.filter((v) => v !== null && !(typeof v === "string" && NULL_TEXTS.includes(v)));
  if (present.length === 0) return { kind: "string" };
  if (present.every((v) => typeof v === "boolean")) return { kind: "boolean" };
  if (present.every((v) => typeof v === "number" || isDecimalText(v))) {
    const decimals = present.filter(isDecimalText).map((d) => d.decimalText);
    if (decimals.length === 0) {
      const unit = epochUnit(name, present as number[]);
      return unit ? { kind: "timestamp", unit } : { kind: "integer" };
    }
    const ints = present.filter((v): v is number => typeof v === "number").map(String);
    return inferDecimals([...decimals, ...ints]);
  }
  if (present.every((v) => typeof v === "string")) return inferStrings(present as string[]);
  if (present.every((v) => Array.isArray(v))) {
    const elements = (present as SampleValue[][]).flat();
    const element = inferValues(name, elements);
    // Child tables hold scalars: nested elements are kept as JSON text, and marked for review.
    const nested = element.kind === "object" || element.kind === "array";
    return nested ? { kind: "array", element: { kind: "string" }, nested } : { kind: "array", element };
  }
  if (present.every((v) => typeof v === "object" && !Array.isArray(v) && !isDecimalText(v))) {
    const keys = new Set<string>();
    for (const v of present as Record<string, SampleValue>[]) for (const k of Object.keys(v)) keys.add(k);
    return { kind: "object", keys: [...keys] };
  }
  const kinds = present.map((v) => inferValues(name, [v]));
  return kinds.reduce<Inferred | undefined>((acc, k) => (acc ? merge(acc, k) : undefined), kinds[0]) ?? { kind: "string" };
}

/** `reviewerID` → `reviewer_id`, `Scent Name:` → `scent_name`; always a valid lakec name. */
export function snakeName(raw: string, fallback: string): string {
  const s = raw
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  const named = s === "" ? fallback : /^[a-z]/.test(s) ? s : `${fallback}_${s}`;
  return named.slice(0, 63).replace(/_+$/, "");
}

/** Hands out unique, non-reserved names; a reserved word gets a qualifying prefix. */
export class NamePool {
  private readonly used = new Set<string>();

  constructor(private readonly qualifier: string) {}

  take(wanted: string): string {
    let name = isReserved(wanted) ? `${this.qualifier}_${wanted}`.slice(0, 63) : wanted;
    for (let i = 2; this.used.has(name) || isReserved(name); i++) name = `${wanted.slice(0, 58)}_${i}`;
    this.used.add(name);
    return name;
  }

  reserve(name: string): void {
    this.used.add(name);
  }
}

/** `id`, `review_id`, `reviewerID`, `userId`; and `asin`, Amazon's product id. Not `paid`. */
const ID_LIKE = /^(id|ID|Id)$|_(id|ID)$|[a-z0-9](Id|ID)$|^asin$/;

function keyText(record: Record<string, SampleValue>, fields: readonly string[]): string | undefined {
  const parts: string[] = [];
  for (const f of fields) {
    const v = record[f];
    if (v === null || v === undefined || typeof v === "object") return undefined;
    parts.push(String(v));
  }
  return parts.join("\u001f");
}

/** Records whose key repeats an earlier one; undefined when a key field is null or nested. */
function duplicates(records: readonly Record<string, SampleValue>[], fields: readonly string[]): number | undefined {
  const seen = new Set<string>();
  let dups = 0;
  for (const r of records) {
    const k = keyText(r, fields);
    if (k === undefined) return undefined;
    if (seen.has(k)) dups++;
    seen.add(k);
  }
  return dups;
}

/**
 * The field set with the fewest duplicates in the sample, the simplest first: an id-like field
 * alone, two id-like fields, or id-like fields plus a time field (reviewer + product + time is
 * a common key). Duplicates are what lakec drops and counts, so fewest is best.
 */
export function likelyKey(
  records: readonly Record<string, SampleValue>[],
  fields: readonly string[],
  timeFields: readonly string[],
): { fields: string[]; duplicates: number } {
  const ids = fields.filter((f) => ID_LIKE.test(f));
  const candidates: string[][] = [...ids.map((f) => [f])];
  for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) candidates.push([ids[i]!, ids[j]!]);
  for (const c of [...candidates]) for (const t of timeFields) candidates.push([...c, t]);
  if (ids.length >= 2) for (const t of timeFields) candidates.push([...ids.slice(0, 3), t]);
  let best: { fields: string[]; duplicates: number } | undefined;
  for (const c of candidates) {
    const d = duplicates(records, c);
    if (d !== undefined && (!best || d < best.duplicates)) best = { fields: c, duplicates: d };
    if (best?.duplicates === 0) break;
  }
  if (best) return best;
  // No id-like field is always present: the first always-present scalar, flagged for review.
  const present = fields.find((f) => duplicates(records, [f]) !== undefined) ?? fields[0];
  return { fields: present ? [present] : [], duplicates: present ? (duplicates(records, [present]) ?? records.length) : records.length };
}
