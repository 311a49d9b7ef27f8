// Derived columns, filters and measures over expressions through the local engine for real:
// test/cases/derive-checkins runs on DuckDB over seeded records, and every derived column, the
// child table's derived columns, the partition key and both marts are compared with the
// independent model (test/support/independent-expressions.ts), computed from the raw records.
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { compilePipeline } from "../../compiler/index.js";
import type { PipelineIR } from "../../compiler/ir.js";
import { removeTempDirs, runOneFile, warehouseRows } from "../support/engine-fixtures.js";
import { dateDiff, isoDow, like, regexpExtract, splitPart, substr, trim, truncate } from "../support/independent-expressions.js";

const FILE = "test/cases/derive-checkins/pipeline.yaml";

function ir(): PipelineIR {
  const r = compilePipeline(FILE, readFileSync(FILE, "utf8"));
  if (!r.ir) throw new Error(JSON.stringify(r.diagnostics));
  return r.ir;
}

/** A small seeded generator (mulberry32): every run sees the same records. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Tip {
  tip_id: string;
  city: string | null;
  text: string | null;
  stars: number | null;
  tip_date: string;
  checked_at: string;
  slots?: Record<string, number>;
}

function tips(n: number): Tip[] {
  const r = rng(14);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const pad = (x: number): string => String(x).padStart(2, "0");
  return Array.from({ length: n }, (_, i) => {
    const day = new Date(Date.UTC(2015, 11, 20) + Math.floor(r() * 900) * 86400000);
    const date = day.toISOString().slice(0, 10);
    const later = new Date(day.getTime() + Math.floor(r() * 40 * 86400) * 1000).toISOString().slice(0, 19);
    const slots =
      r() < 0.7
        ? Object.fromEntries(
            Array.from({ length: 1 + Math.floor(r() * 3) }, () => [
              `${Math.floor(r() * 24)}-${Math.floor(r() * 7)}`,
              1 + Math.floor(r() * 5),
            ]),
          )
        : undefined;
    return {
      tip_id: `t${i}`,
      city: pick([" Tucson ", "tucson", "TUCSON", "Phoenix", "Tuc", null]),
      text: pick(["Great place 85701 near", "spam spam", "ok", "Zip 85702 and 85703 here", null]),
      stars: pick([1, 2, 3, 4, 5, null]),
      tip_date: date,
      checked_at: `${later.slice(0, 10)} ${pad(Number(later.slice(11, 13)))}${later.slice(13)}`,
      ...(slots && { slots }),
    };
  });
}

describe("derived columns on the local engine agree with the independent model", () => {
  afterAll(removeTempDirs);
  const records = tips(300);

  it("computes every derived column, the partition key and the child table's derived columns", async () => {
    const { lakeDir, summary } = await runOneFile(
      ir(),
      "tip",
      "tips.jsonl",
      records.map((t) => JSON.stringify(t)).join("\n") + "\n",
      "derive",
    );
    expect(summary.files[0]?.counts?.clean).toBe(records.length);
    const rows = await warehouseRows(
      lakeDir,
      "SELECT tip_id, CAST(tip_month AS VARCHAR) AS tip_month, CAST(tip_week AS VARCHAR) AS tip_week, weekday, city_lower, city_code, label, zip, words, good, days_open, checked_hour, tip_date_month FROM tip ORDER BY tip_id",
    );
    const byId = new Map(rows.map((x) => [x.tip_id, x]));
    for (const t of records) {
      const got = byId.get(t.tip_id)!;
      const city = t.city === null ? null : trim(t.city);
      const code = city === null ? null : substr(trim(city), 1, 3).toUpperCase();
      const want = {
        tip_id: t.tip_id,
        tip_month: truncate("month", t.tip_date),
        tip_week: `${truncate("week", t.checked_at)} 00:00:00`,
        weekday: isoDow(t.checked_at),
        city_lower: city?.toLowerCase() ?? null,
        city_code: code,
        label: code === null || t.stars === null ? null : `${code}-${t.stars}`,
        zip: t.text === null ? null : regexpExtract(t.text, "([0-9]{5})", 1),
        words: t.text === null ? null : t.text.length - t.text.split(" ").join("").length + 1,
        good: t.stars === null ? null : t.stars >= 4 ? "good" : "other",
        days_open: dateDiff("day", t.tip_date, t.checked_at),
        checked_hour: Number(t.checked_at.slice(11, 13)),
        tip_date_month: t.tip_date.slice(0, 7),
      };
      expect({
        ...got,
        weekday: Number(got.weekday),
        words: got.words === null ? null : Number(got.words),
        days_open: Number(got.days_open),
        checked_hour: Number(got.checked_hour),
      }).toEqual(want);
    }
    const slots = await warehouseRows(lakeDir, "SELECT tip_id, slot, slot_hour, slot_weekday, tip_date_month FROM tip_slots");
    const expected = records.flatMap((t) =>
      Object.keys(t.slots ?? {}).map((k) => ({
        tip_id: t.tip_id,
        slot: k,
        slot_hour: Number(splitPart(k, "-", 1)),
        slot_weekday: Number(splitPart(k, "-", 2)),
        tip_date_month: t.tip_date.slice(0, 7),
      })),
    );
    const norm = (xs: readonly Record<string, unknown>[]): Record<string, unknown>[] =>
      xs
        .map((x): Record<string, unknown> => ({ ...x, slot_hour: Number(x.slot_hour), slot_weekday: Number(x.slot_weekday) }))
        .sort((a, b) => `${String(a.tip_id)} ${String(a.slot)}`.localeCompare(`${String(b.tip_id)} ${String(b.slot)}`));
    expect(norm(slots)).toEqual(norm(expected));

    // The mart: a filter with ilike, between, not like and a function; measures over expressions.
    const kept = records.filter(
      (t) =>
        t.city !== null &&
        like(trim(t.city), "tuc%", true) &&
        t.stars !== null &&
        t.stars >= 1 &&
        t.stars <= 5 &&
        t.text !== null &&
        !like(t.text, "%spam%", false) &&
        Number(t.tip_date.slice(0, 4)) >= 2015,
    );
    const groups = new Map<string, { tips: number; good: number }>();
    for (const t of kept) {
      const k = `${truncate("month", t.tip_date)}|${trim(t.city!).toLowerCase()}`;
      const g = groups.get(k) ?? { tips: 0, good: 0 };
      g.tips++;
      if (t.stars! >= 4) g.good++;
      groups.set(k, g);
    }
    const mart = await warehouseRows(
      lakeDir,
      "SELECT CAST(tip_month AS VARCHAR) AS m, city_lower, tips, good_tips, good_count FROM tips_by_month",
    );
    const got = Object.fromEntries(
      mart.map((x) => [`${x.m}|${x.city_lower}`, { tips: Number(x.tips), good: Number(x.good_tips), count_if: Number(x.good_count) }]),
    );
    const want = Object.fromEntries([...groups].map(([k, g]) => [k, { tips: g.tips, good: g.good, count_if: g.good }]));
    expect(Object.keys(want).length).toBeGreaterThan(3);
    expect(got).toEqual(want);

    // A mart grouped by a child's derived column and the month partition key (tip_date_month).
    const visits = new Map<string, number>();
    for (const t of records) {
      for (const [k, v] of Object.entries(t.slots ?? {})) {
        const g = `${splitPart(k, "-", 2)}|${t.tip_date.slice(0, 7)}`;
        visits.set(g, (visits.get(g) ?? 0) + v);
      }
    }
    const byWeekday = await warehouseRows(lakeDir, "SELECT slot_weekday, tip_date_month, visits FROM visits_by_weekday");
    expect(Object.fromEntries(byWeekday.map((x) => [`${String(x.slot_weekday)}|${String(x.tip_date_month)}`, Number(x.visits)]))).toEqual(
      Object.fromEntries(visits),
    );
  });
});
