// An independent implementation of the documented cleaning semantics (docs/language.md), in
// plain TypeScript over JSON lines, used to check what the engine computes. It deliberately
// shares nothing with compiler/ or engine/: no IR, no expression tree, no SQL. Pipelines are
// described to it by hand in independent-pipelines.ts.

export type CastType = "string" | "integer" | "double" | "decimal" | "boolean" | "date" | "timestamp" | "object" | "array";

export interface ColumnRule {
  readonly name: string;
  readonly path: readonly string[];
  readonly type: CastType;
  /** decimal scale and precision. */
  readonly scale?: number;
  readonly precision?: number;
  readonly required?: boolean;
  readonly default?: string | number | boolean;
  readonly trim?: boolean;
  readonly strip?: string;
  readonly nullIf?: readonly string[];
  readonly range?: readonly [number | null, number | null];
  readonly unit?: "seconds" | "milliseconds";
  readonly format?: string;
  readonly accepted?: readonly (string | number)[];
  /** array<T> from a delimited string: the value stays text, no cast check. */
  readonly split?: string;
  /** from_any: further paths tried in order when `path` is absent or null. */
  readonly alternatives?: readonly (readonly string[])[];
  /** on_cast_error: set_null: a present value that does not cast becomes null, counted per column. */
  readonly castNull?: boolean;
}

/** A cleaned value: text, number (integers, doubles, decimals), boolean, Date (dates and timestamps, UTC), or null. */
export type Value = string | number | boolean | Date | null;
export type Row = Record<string, Value>;

export interface SourceOutcome {
  readonly recordsIn: number;
  readonly clean: Row[];
  readonly invalidByReason: Record<string, number>;
  readonly duplicates: number;
  /** castNull columns → values set null in the kept records (each column listed, 0 included). */
  readonly castNulls: Record<string, number>;
}

/**
 * The raw text of each top-level member, as written: numbers keep their spelling (`5.0`), which
 * JSON.parse would lose. Called only on lines JSON.parse accepted as an object.
 */
export function topLevelTexts(line: string): Map<string, string | null> {
  const out = new Map<string, string | null>();
  let i = line.indexOf("{") + 1;
  const ws = (): void => {
    while (i < line.length && " \t\r\n".includes(line[i]!)) i++;
  };
  const skipString = (): void => {
    i++;
    while (line[i] !== '"') i += line[i] === "\\" ? 2 : 1;
    i++;
  };
  for (;;) {
    ws();
    if (line[i] === "}") return out;
    const k0 = i;
    skipString();
    const key = JSON.parse(line.slice(k0, i)) as string;
    ws();
    i++; // colon
    ws();
    const v0 = i;
    if (line[i] === '"') skipString();
    else {
      let depth = 0;
      while (i < line.length) {
        const c = line[i]!;
        if (c === '"') {
          skipString();
          continue;
        }
        if (c === "{" || c === "[") depth++;
        else if (c === "}" || c === "]") {
          if (depth === 0) break;
          depth--;
        } else if (c === "," && depth === 0) break;
        i++;
      }
    }
    const raw = line.slice(v0, i).trim();
    out.set(key, raw === "null" ? null : raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
    ws();
    if (line[i] === ",") i++;
  }
}

/** The JSON text of a nested value: strings unquoted, everything else as JSON. */
function nestedText(objText: string, key: string): string | null {
  const o = JSON.parse(objText) as unknown;
  if (o === null || typeof o !== "object" || Array.isArray(o)) return null;
  const v = (o as Record<string, unknown>)[key];
  if (v === undefined || v === null) return null;
  return typeof v === "string" ? v : JSON.stringify(v);
}

const ASCII_WS = /^[ \t\r\n]+|[ \t\r\n]+$/g;

function cleanText(raw: string | null, r: ColumnRule): string | null {
  if (raw === null) return null;
  let t = raw;
  if (r.strip) for (const ch of r.strip) t = t.split(ch).join("");
  if (r.trim) t = t.replace(ASCII_WS, "");
  if (r.nullIf?.includes(t)) return null;
  return t;
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/** strptime for the documented codes used in the pipelines: %Y %m %d %H %M %S %b, literals. */
export function strptime(text: string, fmt: string): Date | null {
  const parts: Record<string, number> = { Y: 1970, m: 1, d: 1, H: 0, M: 0, S: 0 };
  let i = 0;
  for (let f = 0; f < fmt.length; f++) {
    if (fmt[f] !== "%") {
      if (text[i] !== fmt[f]) return null;
      i++;
      continue;
    }
    const code = fmt[++f]!;
    if (code === "b") {
      const m = MONTHS.indexOf(text.slice(i, i + 3).toLowerCase());
      if (m < 0) return null;
      parts.m = m + 1;
      i += 3;
      continue;
    }
    const digits = /^\d+/.exec(text.slice(i, i + (code === "Y" ? 4 : 2)))?.[0];
    if (!digits) return null;
    parts[code] = Number(digits);
    i += digits.length;
  }
  if (i !== text.length) return null;
  const { Y, m, d, H, M, S } = parts as Record<"Y" | "m" | "d" | "H" | "M" | "S", number>;
  const date = new Date(Date.UTC(Y, m - 1, d, H, M, S));
  date.setUTCFullYear(Y);
  if (date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d || H > 23 || M > 59 || S > 59) return null;
  return date;
}

/**
 * ISO 8601 without a format: `YYYY-MM-DD`, then optionally `T` or a space, `HH:MM[:SS[.fff]]`,
 * and `Z`. A zone offset is not read here: no pipeline's data has one.
 */
function isoTimestamp(t: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?Z?$/.exec(t);
  if (!m) return null;
  const date = strptime(`${m[1]}-${m[2]}-${m[3]} ${m[4] ?? "00"}:${m[5] ?? "00"}:${m[6] ?? "00"}`, "%Y-%m-%d %H:%M:%S");
  return date && new Date(date.getTime() + Number((m[7] ?? "").padEnd(3, "0").slice(0, 3)));
}

/** Decimal cast: round half away from zero to `scale`, fail beyond `precision` digits. */
function castDecimal(t: string, precision: number, scale: number): number | null {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return null;
  const n = Number(t);
  const f = 10 ** scale;
  const units = Math.sign(n) * Math.round(Math.abs(n) * f + 1e-9);
  if (Math.abs(units) >= 10 ** precision) return null;
  return units / f;
}

function cast(t: string, r: ColumnRule): Value {
  switch (r.type) {
    case "string":
      return t;
    case "integer":
      return /^[+-]?\d+$/.test(t) && Math.abs(Number(t)) < 2 ** 63 ? Number(t) : null;
    case "double":
      return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : null;
    case "decimal":
      return castDecimal(t, r.precision!, r.scale!);
    case "boolean": {
      const l = t.toLowerCase();
      return ["true", "1", "yes", "t", "y"].includes(l) ? true : ["false", "0", "no", "f", "n"].includes(l) ? false : null;
    }
    case "date":
      return r.format ? strptime(t, r.format) : strptime(t, "%Y-%m-%d");
    case "timestamp": {
      if (!r.unit) return r.format ? strptime(t, r.format) : isoTimestamp(t);
      if (!/^[+-]?\d+$/.test(t)) return null;
      const ms = r.unit === "seconds" ? Number(t) * 1000 : Number(t);
      return ms >= -62135596800000 && ms <= 253402300799999 ? new Date(ms) : null;
    }
    case "object":
    case "array": {
      try {
        const v = JSON.parse(t) as unknown;
        const ok = r.type === "array" ? Array.isArray(v) : v !== null && typeof v === "object" && !Array.isArray(v);
        return ok ? t : null;
      } catch {
        return null;
      }
    }
  }
}

function compare(v: Value, x: number | string): number {
  if (v instanceof Date) return v.getTime() - new Date(x).getTime();
  return typeof v === "number" ? v - Number(x) : String(v) < String(x) ? -1 : String(v) > String(x) ? 1 : 0;
}

/** The raw value at a path of the parsed record, or undefined. */
function rawAt(record: unknown, path: readonly string[]): unknown {
  let v = record;
  for (const k of path) v = v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** The first of the rule's paths whose value is present (not absent, not null); else its first. */
function presentPath(record: unknown, r: ColumnRule): readonly string[] {
  const paths = [r.path, ...(r.alternatives ?? [])];
  return paths.find((p) => rawAt(record, p) !== undefined && rawAt(record, p) !== null) ?? r.path;
}

/**
 * A split column whose raw value is a JSON array keeps its elements (as text; nulls skipped), in
 * the row under `_items_<name>` as JSON, for its child table. Only a string is split
 * (docs/language.md).
 */
function splitArray(record: unknown, r: ColumnRule, row: Row): boolean {
  const v = rawAt(record, presentPath(record, r));
  if (!Array.isArray(v)) return false;
  const items = v.filter((x) => x !== null).map((x) => (typeof x === "string" ? x : JSON.stringify(x)));
  row[`_items_${r.name}`] = JSON.stringify(items);
  row[r.name] = JSON.stringify(v);
  return true;
}

/** The first failing check in column order (cast, required, range, accepted), or a cleaned row. */
function cleanRecord(
  texts: Map<string, string | null>,
  rules: readonly ColumnRule[],
  record: unknown,
): { row: Row; nulled: string[] } | { reason: string } {
  const row: Row = {};
  const nulled: string[] = [];
  for (const r of rules) {
    if (r.split !== undefined && splitArray(record, r, row)) continue;
    const path = presentPath(record, r);
    const top = texts.get(path[0]!) ?? null;
    const raw = path.length === 1 || top === null ? top : nestedText(top, path[1]!);
    const text = cleanText(raw, r);
    let v: Value;
    if (text === null) v = r.default === undefined ? null : typeof r.default === "string" ? cast(r.default, r) : r.default;
    else v = r.split !== undefined ? text : cast(text, r);
    if (text !== null && v === null && r.type !== "string" && r.split === undefined) {
      if (!r.castNull) return { reason: "cast_failed" };
      nulled.push(r.name);
    }
    if (r.required && v === null) return { reason: "missing_required" };
    if (
      v !== null &&
      r.range &&
      ((r.range[0] !== null && compare(v, r.range[0]) < 0) || (r.range[1] !== null && compare(v, r.range[1]) > 0))
    )
      return { reason: "out_of_range" };
    if (v !== null && r.accepted && !r.accepted.some((a) => compare(v, a) === 0)) return { reason: "not_accepted" };
    row[r.name] = v;
  }
  return { row, nulled };
}

/**
 * Classifies every line of one raw file and keeps the first clean record per key. With
 * `whole_record`, the key is the line itself: only byte-identical records are duplicates.
 */
export function cleanFile(text: string, rules: readonly ColumnRule[], key: readonly string[] | "whole_record"): SourceOutcome {
  const invalidByReason: Record<string, number> = {};
  const seen = new Set<string>();
  const clean: Row[] = [];
  let recordsIn = 0;
  let duplicates = 0;
  const castNulls: Record<string, number> = Object.fromEntries(rules.filter((r) => r.castNull).map((r) => [r.name, 0]));
  const reject = (reason: string): void => {
    invalidByReason[reason] = (invalidByReason[reason] ?? 0) + 1;
  };
  for (const line of text.split("\n")) {
    if (line === "") continue;
    recordsIn++;
    if (!line.trimStart().startsWith("{")) {
      reject("not_an_object");
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      reject("malformed_json");
      continue;
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      reject("malformed_json");
      continue;
    }
    const r = cleanRecord(topLevelTexts(line), rules, parsed);
    if ("reason" in r) {
      reject(r.reason);
      continue;
    }
    const k = key === "whole_record" ? line.replace(/\r$/, "") : key.map((c) => canonical(r.row[c]!)).join("\u001f");
    if (seen.has(k)) duplicates++;
    else {
      seen.add(k);
      clean.push(r.row);
      for (const c of r.nulled) castNulls[c]! += 1;
    }
  }
  return { recordsIn, clean, invalidByReason, duplicates, castNulls };
}

/** Canonical text of a key value; the pipelines' keys are strings and timestamps (epoch microseconds). */
export function canonical(v: Value): string {
  if (v instanceof Date) return String(v.getTime() * 1000);
  return String(v);
}
