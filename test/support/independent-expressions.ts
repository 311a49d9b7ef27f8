// An independent model of the expression functions, written from docs/language.md
// ("Functions") in plain TypeScript: no parser, no type checker, no SQL. test/compiler/expressions.test.ts
// runs each case's printed DuckDB SQL for real and compares it with this model, row by row.

export type V = string | number | boolean | null;

/** The input rows every case runs over: s text, n integer, x decimal(6,2), d date, ts timestamp. */
export interface InputRow {
  readonly s: string | null;
  readonly n: number | null;
  readonly x: number | null;
  /** `YYYY-MM-DD`. */
  readonly d: string | null;
  /** `YYYY-MM-DD HH:MM:SS`, UTC. */
  readonly ts: string | null;
}

export const ROWS: readonly InputRow[] = [
  { s: "  Tucson  ", n: 4, x: 12.5, d: "2016-09-04", ts: "2016-09-04 23:59:59" }, // a Sunday
  { s: "9-0", n: 0, x: 0, d: "2016-09-05", ts: "2016-09-05 00:00:00" }, // a Monday
  { s: "Zip 85701 and 85702", n: -3, x: -1.25, d: "2020-02-29", ts: "2021-01-01 07:30:00" },
  { s: "a_b%c\\d", n: 5, x: 99.99, d: "2019-12-31", ts: "2019-12-30 12:00:00" },
  { s: "", n: 1, x: 3, d: "2021-01-03", ts: "2021-01-03 18:15:00" }, // a Sunday in ISO week 53 of 2020
  { s: null, n: null, x: null, d: null, ts: null },
];

const pad = (v: number, w = 2): string => String(v).padStart(w, "0");
const day = (iso: string): Date => new Date(`${iso.slice(0, 10)}T00:00:00Z`);
const isoDate = (t: Date): string => `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
/** ISO day of week: Monday 1 … Sunday 7. */
export const isoDow = (iso: string): number => ((day(iso).getUTCDay() + 6) % 7) + 1;
const monday = (iso: string): string => isoDate(new Date(day(iso).getTime() - (isoDow(iso) - 1) * 86400000));
const daysBetween = (a: string, b: string): number => Math.round((day(b).getTime() - day(a).getTime()) / 86400000);
const ymd = (iso: string): [number, number, number] => [Number(iso.slice(0, 4)), Number(iso.slice(5, 7)), Number(iso.slice(8, 10))];

export function truncate(unit: string, iso: string): string {
  const [y, m] = ymd(iso);
  switch (unit) {
    case "day":
      return iso.slice(0, 10);
    case "week":
      return monday(iso);
    case "month":
      return `${y}-${pad(m)}-01`;
    case "quarter":
      return `${y}-${pad(Math.floor((m - 1) / 3) * 3 + 1)}-01`;
    default:
      return `${y}-01-01`;
  }
}

export function dateDiff(unit: string, a: string, b: string): number {
  const [ya, ma] = ymd(a);
  const [yb, mb] = ymd(b);
  switch (unit) {
    case "day":
      return daysBetween(a, b);
    case "week":
      return daysBetween(monday(a), monday(b)) / 7;
    case "month":
      return yb * 12 + mb - (ya * 12 + ma);
    case "quarter":
      return yb * 4 + Math.ceil(mb / 3) - (ya * 4 + Math.ceil(ma / 3));
    default:
      return yb - ya;
  }
}

/** 1-based; 0 means 1; negative counts from the end; a negative length is ''. */
export function substr(s: string, start: number, len?: number): string {
  const chars = [...s];
  const from = start === 0 ? 0 : start > 0 ? start - 1 : Math.max(chars.length + start, 0);
  if (start < 0 && chars.length + start < 0 && len !== undefined) {
    // Starting before the first character still counts those positions.
    const end = chars.length + start + Math.max(len, 0);
    return chars.slice(0, Math.max(end, 0)).join("");
  }
  return chars.slice(from, len === undefined ? undefined : from + Math.max(len, 0)).join("");
}

export function splitPart(s: string, delim: string, n: number): string | null {
  if (n === 0) return null;
  const parts = s.split(delim);
  const i = n > 0 ? n - 1 : parts.length + n;
  return parts[i] ?? "";
}

export function regexpExtract(s: string, re: string, group = 0): string | null {
  const m = new RegExp(re).exec(s);
  if (!m) return null;
  return m[group] ?? "";
}

/** LIKE with % and _ and no escape character. */
export function like(s: string, pattern: string, ci: boolean): boolean {
  const re = [...pattern].map((c) => (c === "%" ? ".*" : c === "_" ? "." : c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("");
  return new RegExp(`^${re}$`, ci ? "si" : "s").test(s);
}

export const trim = (s: string): string => s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");

type Model = (r: InputRow) => V;

/** NULL in, NULL out: `f` sees only non-NULL arguments. */
const nn =
  <A extends unknown[]>(f: (...a: A) => V) =>
  (...a: { [K in keyof A]: A[K] | null }): V =>
    a.some((x) => x === null) ? null : f(...(a as A));

/** Each case: an expression over the row's columns and its documented result. */
export const CASES: readonly { readonly expr: string; readonly model: Model }[] = [
  { expr: "lower(s)", model: (r) => nn((s: string) => s.toLowerCase())(r.s) },
  { expr: "upper(trim(s))", model: (r) => nn((s: string) => trim(s).toUpperCase())(r.s) },
  { expr: "length(s)", model: (r) => nn((s: string) => [...s].length)(r.s) },
  { expr: "concat(s, '-', n)", model: (r) => nn((s: string, n: number) => `${s}-${n}`)(r.s, r.n) },
  { expr: "concat('day ', d)", model: (r) => nn((d: string) => `day ${d}`)(r.d) },
  // Hostile text in a literal: a quote, backslashes, Jinja and a line break stay data in every dialect.
  { expr: "concat(s, 'it''s \\\\ {{ 7*7 }}\n')", model: (r) => nn((s: string) => `${s}it's \\\\ {{ 7*7 }}\n`)(r.s) },
  { expr: "coalesce(s, 'none')", model: (r) => r.s ?? "none" },
  { expr: "substr(s, 3, 4)", model: (r) => nn((s: string) => substr(s, 3, 4))(r.s) },
  { expr: "substr(s, 0, 2)", model: (r) => nn((s: string) => substr(s, 0, 2))(r.s) },
  { expr: "substr(s, -3)", model: (r) => nn((s: string) => substr(s, -3))(r.s) },
  { expr: "substr(s, 2)", model: (r) => nn((s: string) => substr(s, 2))(r.s) },
  { expr: "substr(s, 2, -1)", model: (r) => nn((s: string) => substr(s, 2, -1))(r.s) },
  { expr: "split_part(s, '-', 1)", model: (r) => nn((s: string) => splitPart(s, "-", 1))(r.s) },
  { expr: "split_part(s, '-', 2)", model: (r) => nn((s: string) => splitPart(s, "-", 2))(r.s) },
  { expr: "split_part(s, ' ', -1)", model: (r) => nn((s: string) => splitPart(s, " ", -1))(r.s) },
  { expr: "split_part(s, '-', 5)", model: (r) => nn((s: string) => splitPart(s, "-", 5))(r.s) },
  { expr: "split_part(s, '-', n)", model: (r) => nn((s: string, n: number) => splitPart(s, "-", n))(r.s, r.n) },
  { expr: "regexp_extract(s, '[0-9]{5}')", model: (r) => nn((s: string) => regexpExtract(s, "[0-9]{5}"))(r.s) },
  {
    expr: "regexp_extract(s, '([A-Z])[a-z]+ ([0-9]+)', 2)",
    model: (r) => nn((s: string) => regexpExtract(s, "([A-Z])[a-z]+ ([0-9]+)", 2))(r.s),
  },
  { expr: "regexp_extract(s, '(x)?([0-9])', 1)", model: (r) => nn((s: string) => regexpExtract(s, "(x)?([0-9])", 1))(r.s) },
  { expr: "regexp_extract(s, '\\d+\\s\\w+')", model: (r) => nn((s: string) => regexpExtract(s, "\\d+\\s\\w+"))(r.s) },
  { expr: "replace(s, ' ', '')", model: (r) => nn((s: string) => s.split(" ").join(""))(r.s) },
  { expr: "date_trunc('day', ts)", model: (r) => nn((t: string) => `${truncate("day", t)} 00:00:00`)(r.ts) },
  ...["week", "month", "quarter", "year"].flatMap((u) => [
    { expr: `date_trunc('${u}', d)`, model: (r: InputRow) => nn((d: string) => truncate(u, d))(r.d) },
    { expr: `date_trunc('${u}', ts)`, model: (r: InputRow) => nn((t: string) => `${truncate(u, t)} 00:00:00`)(r.ts) },
    { expr: `date_diff('${u}', d, ts)`, model: (r: InputRow) => nn((d: string, t: string) => dateDiff(u, d, t))(r.d, r.ts) },
  ]),
  { expr: "date_diff('day', ts, d)", model: (r) => nn((t: string, d: string) => dateDiff("day", t, d))(r.ts, r.d) },
  { expr: "year(d)", model: (r) => nn((d: string) => ymd(d)[0])(r.d) },
  { expr: "quarter(ts)", model: (r) => nn((t: string) => Math.ceil(ymd(t)[1] / 3))(r.ts) },
  { expr: "month(ts)", model: (r) => nn((t: string) => ymd(t)[1])(r.ts) },
  { expr: "day(d)", model: (r) => nn((d: string) => ymd(d)[2])(r.d) },
  { expr: "day_of_week(d)", model: (r) => nn((d: string) => isoDow(d))(r.d) },
  { expr: "day_of_week(ts)", model: (r) => nn((t: string) => isoDow(t))(r.ts) },
  { expr: "hour(ts)", model: (r) => nn((t: string) => Number(t.slice(11, 13)))(r.ts) },
  { expr: "n + 1", model: (r) => nn((n: number) => n + 1)(r.n) },
  { expr: "n * x", model: (r) => nn((n: number, x: number) => Math.round(n * x * 100) / 100)(r.n, r.x) },
  { expr: "x - 0.5", model: (r) => nn((x: number) => x - 0.5)(r.x) },
  { expr: "7 / 2", model: () => 3.5 },
  { expr: "n / 0", model: () => null },
  { expr: "x / n", model: (r) => nn((x: number, n: number) => (n === 0 ? null : x / n))(r.x, r.n) },
  { expr: "-n", model: (r) => nn((n: number) => 0 - n)(r.n) },
  { expr: "round(x)", model: (r) => nn((x: number) => Math.sign(x) * Math.round(Math.abs(x)))(r.x) },
  { expr: "cast(x as integer)", model: (r) => nn((x: number) => Math.sign(x) * Math.round(Math.abs(x)))(r.x) },
  { expr: "cast(n as string)", model: (r) => nn((n: number) => String(n))(r.n) },
  { expr: "cast(d as string)", model: (r) => r.d },
  { expr: "cast(ts as string)", model: (r) => r.ts },
  { expr: "cast(ts as date)", model: (r) => nn((t: string) => t.slice(0, 10))(r.ts) },
  {
    expr: "cast(split_part(s, '-', 1) as integer)",
    model: (r) => nn((s: string) => (/^[+-]?[0-9]+$/.test(splitPart(s, "-", 1)!) ? Number(splitPart(s, "-", 1)) : null))(r.s),
  },
  { expr: "cast(n > 1 as string)", model: (r) => nn((n: number) => String(n > 1))(r.n) },
  {
    expr: "case when n >= 4 then 'good' when n is null then 'none' else 'other' end",
    model: (r) => (r.n === null ? "none" : r.n >= 4 ? "good" : "other"),
  },
  { expr: "s like '%_b\\%%'", model: (r) => nn((s: string) => like(s, "%_b\\%%", false))(r.s) },
  { expr: "s like 'a\\_%'", model: (r) => nn((s: string) => like(s, "a\\_%", false))(r.s) },
  { expr: "s ilike '%TUC%'", model: (r) => nn((s: string) => like(s, "%TUC%", true))(r.s) },
  { expr: "s not like '%9%'", model: (r) => nn((s: string) => !like(s, "%9%", false))(r.s) },
  { expr: "n between 0 and 4", model: (r) => nn((n: number) => n >= 0 && n <= 4)(r.n) },
  { expr: "d between '2016-09-05' and '2020-12-31'", model: (r) => nn((d: string) => d >= "2016-09-05" && d <= "2020-12-31")(r.d) },
];
