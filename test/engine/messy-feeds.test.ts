// Cleaning options for messy feeds (docs/language.md, "Messy feeds"): `from_any` (the first
// present path wins) and `on_cast_error: set_null` (a value that does not cast becomes NULL and
// is counted per column). Run for real on the local engine and checked against the independent
// model; the Spark SQL the Glue job embeds is parsed by a Spark grammar.
import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compilePipeline } from "../../compiler/index.js";
import { cleanStages } from "../../compiler/sql/clean.js";
import { inputHash } from "../../engine/lake.js";
import { formatRunSummary } from "../../cli/summary-format.js";
import { parquetRows, removeTempDirs, runOneFile } from "../support/engine-fixtures.js";
import { cleanFile, type Row } from "../support/independent-model.js";
import { expectedChildRows, generatePlaces, MESSY_PIPELINE, MESSY_RULES } from "../support/messy-feeds-fixtures.js";

afterAll(removeTempDirs);

const ir = compilePipeline(MESSY_PIPELINE, readFileSync(MESSY_PIPELINE, "utf8")).ir!;
const source = ir.sources[0]!;

const line = (o: Record<string, unknown>): string => JSON.stringify({ business_id: "x", ...o });

async function run(lines: readonly string[], tag: string) {
  const { lakeDir, summary } = await runOneFile(ir, "business", "places.jsonl", `${lines.join("\n")}\n`, tag);
  const file = summary.files[0]!;
  const rows = JSON.parse(await parquetRows(lakeDir, "business", "_source_line")) as Record<string, unknown>[];
  return { lakeDir, summary, file, rows };
}

describe("from_any: the first present path wins", () => {
  it("takes is_open, open or status.open, whichever comes first and is not null", async () => {
    const r = await run(
      [
        line({ business_id: "a", is_open: 1, open: 0 }),
        line({ business_id: "b", open: 0 }),
        line({ business_id: "c", status: { open: "yes" } }),
        line({ business_id: "d", is_open: null, open: 1 }),
        line({ business_id: "e" }),
        line({ business_id: "f", is_open: "maybe", open: 1 }), // present wins, then fails its cast
        line({ business_id: "g", stats: { reviews: "1,234" } }),
        line({ business_id: "h", review_count: 5, stats: { reviews: 7 } }),
      ],
      "from-any",
    );
    expect(r.rows.map((x) => [x.business_id, x.is_open, Number(x.review_count)])).toEqual([
      ["a", true, 0],
      ["b", false, 0],
      ["c", true, 0],
      ["d", true, 0],
      ["e", null, 0],
      ["g", null, 1234],
      ["h", null, 5],
    ]);
    expect(r.file.counts).toMatchObject({ recordsIn: 8, clean: 7, invalid: 1, byReason: { cast_failed: 1 } });
    expect(r.file.samples[0]).toMatchObject({ line: 6, reason: "cast_failed", column: "is_open" });
  });

  it("takes a split column's JSON array from the path that won", async () => {
    const r = await run(
      [
        line({ business_id: "a", tags: ["Food", "Beer, Wine"] }),
        line({ business_id: "b", categories: "Bars, Pubs", tags: ["x"] }),
        line({ business_id: "c", categories: null, tags: "Tea" }),
      ],
      "from-any-split",
    );
    const cats = JSON.parse(await parquetRows(r.lakeDir, "business_categories", "business_id, position")) as Record<string, unknown>[];
    expect(cats.map((c) => `${String(c.business_id)}:${String(c.category)}`)).toEqual([
      "a:Food",
      "a:Beer, Wine",
      "b:Bars",
      "b:Pubs",
      "c:Tea",
    ]);
  });
});

describe("on_cast_error: set_null", () => {
  it("keeps the record with NULL, counts the value per column in the summary and the manifest", async () => {
    const r = await run(
      [
        line({ business_id: "a", stars: "n/a", review_count: "many", attributes: { RestaurantsPriceRange2: "cheap" } }),
        line({ business_id: "b", stars: 4.5, review_count: "12", attributes: { RestaurantsPriceRange2: "None" } }),
        line({ business_id: "c", stars: 9 }), // casts, then fails its range: still rejected
        line({ business_id: "a", stars: "bad" }), // a duplicate: its NULL is not counted
        line({ business_id: "d", stars: "" }),
      ],
      "set-null",
    );
    expect(r.rows.map((x) => [x.business_id, x.stars, x.review_count, x.attributes_price_range])).toEqual([
      ["a", null, null, null],
      ["b", "4.5", "12", null],
      ["d", null, "0", null],
    ]);
    expect(r.file.counts).toMatchObject({ recordsIn: 5, clean: 3, invalid: 1, duplicates: 1, byReason: { out_of_range: 1 } });
    expect(r.file.counts!.castNulls).toEqual({ stars: 2, review_count: 1, attributes_price_range: 1 });
    expect(r.file.reconciled).toBe(true);
    const manifest = JSON.parse(
      await readFile(join(r.lakeDir, "state", "manifests", "business", `${inputHash(r.file.rawKey)}.json`), "utf8"),
    ) as { counts: Record<string, unknown> };
    expect(manifest.counts.cast_nulls).toEqual({ stars: 2, review_count: 1, attributes_price_range: 1 });
    expect(formatRunSummary(r.summary)).toContain("set NULL, did not cast: stars 2, review_count 1, attributes_price_range 1");
  });

  it("a source without set_null columns has no cast_nulls in its manifest", () => {
    const plain = compilePipeline("pipelines/reviews.yaml", readFileSync("pipelines/reviews.yaml", "utf8")).ir!;
    expect(cleanStages(plain.sources[0]!, "duckdb").castNulls).toBeUndefined();
  });
});

/** An engine row and a model row in one comparable shape. */
const comparable = (r: Row | Record<string, unknown>): string =>
  JSON.stringify(
    ["business_id", "name", "is_open", "stars", "review_count", "attributes_price_range", "attributes_wifi"].map((c) => {
      const v = r[c];
      return v === null || v === undefined
        ? null
        : typeof v === "boolean"
          ? v
          : c === "business_id" || c === "name" || c === "attributes_wifi"
            ? String(v)
            : Number(v);
    }),
  );

describe("a seeded messy export against the independent model", () => {
  it("agrees on every kept row, every count and every NULL from a failed cast", async () => {
    const text = generatePlaces(14, 600);
    const { lakeDir, summary } = await runOneFile(ir, "business", "places.jsonl", text, "messy-model");
    const want = cleanFile(text, MESSY_RULES, ["business_id"]);
    const c = summary.files[0]!.counts!;
    expect({ in: c.recordsIn, clean: c.clean, dup: c.duplicates, invalid: c.byReason }).toEqual({
      in: want.recordsIn,
      clean: want.clean.length,
      dup: want.duplicates,
      invalid: want.invalidByReason,
    });
    expect(c.castNulls).toEqual(want.castNulls);
    // The generator must exercise what it is for: NULLs from failed casts and every path.
    expect(Object.values(want.castNulls).every((n) => n > 0)).toBe(true);
    const rows = JSON.parse(await parquetRows(lakeDir, "business", "_source_line")) as Record<string, unknown>[];
    expect(rows.map(comparable)).toEqual(want.clean.map(comparable));
    const cats = JSON.parse(await parquetRows(lakeDir, "business_categories", "business_id, position")) as unknown[];
    const elements = (r: Row): number => {
      const items = r._items_categories;
      const parts =
        typeof items === "string" ? (JSON.parse(items) as string[]) : typeof r.categories === "string" ? r.categories.split(",") : [];
      return parts.map((p) => p.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "")).filter((p) => p !== "").length;
    };
    expect(cats.length).toBe(want.clean.reduce((s, r) => s + elements(r), 0));
    const children = expectedChildRows(want.clean);
    expect(children.hours).toBeGreaterThan(0);
    expect(summary.files[0]!.rowsWritten).toMatchObject({ business_hours: children.hours, menu_items: children.menu });
  });
});

describe("child tables over objects (fields:)", () => {
  it("flattens a map of objects and an array of objects into typed columns", async () => {
    const r = await run(
      [
        line({
          business_id: "a",
          hours: { Monday: { open: "06:00", close: "15:00" }, Tuesday: { open: "07:00" }, Sunday: "closed", Friday: null },
          menu: [
            { dish: "Soup", price: "4.50", vegan: true },
            { dish: "Steak", price: 21, vegan: "no", extra: 1 },
            null,
            { price: "free" },
          ],
        }),
        line({ business_id: "b", hours: {}, menu: [] }),
        line({ business_id: "c", hours: "not an object" }), // the parent column fails its cast: the record is rejected
      ],
      "object-children",
    );
    const hours = JSON.parse(await parquetRows(r.lakeDir, "business_hours", "business_id, day")) as Record<string, unknown>[];
    expect(hours.map((h) => [h.business_id, h.day, h.opens_at, h.closes_at])).toEqual([
      ["a", "Friday", null, null],
      ["a", "Monday", "06:00", "15:00"],
      ["a", "Sunday", null, null],
      ["a", "Tuesday", "07:00", null],
    ]);
    const menu = JSON.parse(await parquetRows(r.lakeDir, "menu_items", "business_id, line")) as Record<string, unknown>[];
    expect(menu.map((m) => [Number(m.line), m.dish, m.price, m.vegan])).toEqual([
      [0, "Soup", "4.50", true],
      [1, "Steak", "21.00", false],
      [2, null, null, null],
      [3, null, null, null],
    ]);
    expect(r.file.counts).toMatchObject({ recordsIn: 3, clean: 2, byReason: { cast_failed: 1 } });
    expect(r.file.samples[0]).toMatchObject({ reason: "cast_failed", column: "hours" });
  });

  it("prints each field from the element in Spark SQL too", async () => {
    const { tableSelect } = await import("../../compiler/sql/clean.js");
    const hours = ir.tables.find((t) => t.name === "business_hours")!;
    const menu = ir.tables.find((t) => t.name === "menu_items")!;
    expect(tableSelect(hours, "spark")).toContain("get_json_object(u.`v`, '$[\\'open\\']') AS `opens_at`");
    expect(tableSelect(menu, "spark")).toContain("LATERAL VIEW posexplode(from_json(p.`menu`, 'array<string>')) u AS i, v");
    expect(tableSelect(menu, "duckdb")).toContain(`json_extract_string(CASE WHEN json_valid(p."v") THEN p."v" END, '$."price"')`);
  });
});

// test/targets/spark-sql.test.ts parses every statement of this case with a Spark grammar, and
// test/targets/glue.test.ts runs pyright on its Glue scripts.
describe("the Glue job's SQL for these options", () => {
  it("reads every alternative path and counts each set_null column", () => {
    const st = cleanStages(source, "spark");
    expect(st.checked).toContain("coalesce(_j.`is_open`, _j.`open`, get_json_object(_j.`status`, '$[\\'open\\']'))");
    expect(st.checked).toContain("`is_open` STRING, `open` STRING, `status` STRING");
    expect(st.castNulls).toMatch(/AS `stars`, .* AS `review_count`, .* AS `attributes_price_range` FROM ranked$/);
    // No cast_failed check for a set_null column: the failed value is counted, not rejected.
    expect(source.checks.filter((ch) => ch.reason === "cast_failed").map((ch) => ch.column)).toEqual([
      "is_open",
      "attributes",
      "hours",
      "menu",
    ]);
  });
});
