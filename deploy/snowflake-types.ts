// Snowflake spells one type many ways: DDL says VARCHAR, DESC answers VARCHAR(16777216); DDL
// says DOUBLE or DECIMAL(2,1), DESC answers FLOAT or NUMBER(2,1). Types are compared in the
// canonical spelling DESC uses, or every plan would show phantom changes.

export function normalizeSnowflakeType(t: string): string {
  const s = t
    .trim()
    .toUpperCase()
    .replace(/\s+/g, " ")
    .replace(/\s*\(\s*/g, "(")
    .replace(/\s*,\s*/g, ",")
    .replace(/\s*\)/g, ")");
  const num = /^(?:NUMBER|DECIMAL|NUMERIC)(?:\((\d+)(?:,(\d+))?\))?$/.exec(s);
  if (num) return `NUMBER(${num[1] ?? "38"},${num[2] ?? "0"})`;
  if (/^(?:INT|INTEGER|BIGINT|SMALLINT|TINYINT|BYTEINT)$/.test(s)) return "NUMBER(38,0)";
  if (/^(?:FLOAT[48]?|DOUBLE|DOUBLE PRECISION|REAL)$/.test(s)) return "FLOAT";
  if (/^(?:VARCHAR|STRING|TEXT|CHAR VARYING|NCHAR VARYING|NVARCHAR2?)$/.test(s)) return "VARCHAR(16777216)";
  const vc = /^(?:VARCHAR|STRING|TEXT)\((\d+)\)$/.exec(s);
  if (vc) return `VARCHAR(${vc[1]})`;
  if (/^(?:TIMESTAMP|TIMESTAMP_NTZ|DATETIME)$/.test(s)) return "TIMESTAMP_NTZ(9)";
  const ts = /^(?:TIMESTAMP|TIMESTAMP_NTZ|DATETIME)\((\d)\)$/.exec(s);
  if (ts) return `TIMESTAMP_NTZ(${ts[1]})`;
  return s;
}

type Kind =
  { k: "number"; p: number; s: number } | { k: "float" } | { k: "text"; n: number } | { k: "ts"; p: number } | { k: "other"; t: string };

function kindOf(t: string): Kind {
  const n = /^NUMBER\((\d+),(\d+)\)$/.exec(t);
  if (n) return { k: "number", p: Number(n[1]), s: Number(n[2]) };
  if (t === "FLOAT") return { k: "float" };
  const v = /^VARCHAR\((\d+)\)$/.exec(t);
  if (v) return { k: "text", n: Number(v[1]) };
  const ts = /^TIMESTAMP_NTZ\((\d)\)$/.exec(t);
  if (ts) return { k: "ts", p: Number(ts[1]) };
  return { k: "other", t };
}

/**
 * True when some value of `from` cannot be represented in `to`: fewer integer digits or
 * fewer decimals, a shorter text, a number to text's inverse, or any cross-family change
 * other than into text. Both arguments are normalized spellings.
 */
export function isNarrowing(from: string, to: string): boolean {
  if (from === to) return false;
  const a = kindOf(from);
  const b = kindOf(to);
  if (b.k === "text") return a.k === "text" ? b.n < a.n : false;
  if (a.k === "number" && b.k === "number") return b.s < a.s || b.p - b.s < a.p - a.s;
  if (a.k === "number" && b.k === "float") return a.p > 15;
  if (a.k === "ts" && b.k === "ts") return b.p < a.p;
  return true;
}
