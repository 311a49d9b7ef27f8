// Parser for the type strings users write in pipeline.yaml (`decimal(2,1)`, `array<string>`).
// The semantic checks use the detailed form to explain a bad type; lowering uses `parseType`.
import type { ScalarType, Type } from "./ir.js";

/** Largest precision every target supports (Snowflake NUMBER, Spark and DuckDB DECIMAL). */
export const MAX_DECIMAL_PRECISION = 38;

export const TYPE_SYNTAX = "string, integer, double, decimal(p,s), boolean, date, timestamp, object, array<T>";

const SIMPLE: Readonly<Record<string, Type>> = {
  string: { kind: "string" },
  integer: { kind: "integer" },
  double: { kind: "double" },
  boolean: { kind: "boolean" },
  date: { kind: "date" },
  timestamp: { kind: "timestamp" },
  object: { kind: "object" },
};

export type TypeParse = { readonly type: Type } | { readonly error: string };

/** Parses a type string, explaining what is wrong when it does not parse. */
export function parseTypeDetailed(src: string): TypeParse {
  const s = src.trim();
  const simple = SIMPLE[s];
  if (simple) return { type: simple };
  const dec = /^decimal\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(s);
  if (dec) {
    const precision = Number(dec[1]);
    const scale = Number(dec[2]);
    if (precision < 1 || precision > MAX_DECIMAL_PRECISION) {
      return { error: `decimal precision must be between 1 and ${MAX_DECIMAL_PRECISION}, got ${precision}` };
    }
    if (scale > precision) return { error: `decimal scale ${scale} is larger than its precision ${precision}` };
    return { type: { kind: "decimal", precision, scale } };
  }
  if (/^decimal\b/.test(s)) return { error: `'${s}' is not a decimal type; write decimal(p,s), for example decimal(10,2)` };
  const arr = /^array\s*<(.*)>$/.exec(s);
  if (arr) {
    const inner = parseTypeDetailed(arr[1]!);
    if ("error" in inner) return inner;
    return { type: { kind: "array", element: inner.type } };
  }
  if (/^array\b/.test(s)) return { error: `'${s}' is not an array type; write array<T>, for example array<string>` };
  return { error: `unknown type '${s}'` };
}

/** The IR type of a type string, or undefined when it does not parse (the checker reports why). */
export function parseType(s: string): Type | undefined {
  const r = parseTypeDetailed(s);
  return "type" in r ? r.type : undefined;
}

export function isScalar(t: Type): t is ScalarType {
  return t.kind !== "object" && t.kind !== "array";
}

export function isNumeric(t: Type): boolean {
  return t.kind === "integer" || t.kind === "double" || t.kind === "decimal";
}

export function isTemporal(t: Type): boolean {
  return t.kind === "date" || t.kind === "timestamp";
}
