// Issue: a `split` column whose raw value is already a JSON array was split as text, so
// ["Food","Restaurants"] gave the categories `["Food"` and `"Restaurants"]`, with every record
// reported clean. A JSON array is taken as an array; only a string is split (docs/language.md).
import { readFileSync } from "node:fs";
import { SparkSQL } from "dt-sql-parser";
import { afterAll, describe, expect, it } from "vitest";
import { compilePipeline } from "../../compiler/index.js";
import { cleanStages, tableSelect } from "../../compiler/sql/clean.js";
import { generateYelp } from "../../synthetic/yelp.js";
import { parquetRows, removeTempDirs, runOneFile } from "../support/engine-fixtures.js";
import { expectYelp } from "../support/independent-yelp.js";

afterAll(removeTempDirs);

const YELP = "pipelines/yelp.yaml";
const ir = compilePipeline(YELP, readFileSync(YELP, "utf8")).ir!;

const business = (id: string, categories: string): string =>
  `{"business_id":"${id}","name":"N ${id}","city":"Tucson","state":"AZ","stars":4.0,"review_count":3,"is_open":1,"categories":${categories}}`;

async function runBusinesses(lines: readonly string[]): Promise<{ lakeDir: string; clean: number; invalid: number }> {
  const { lakeDir, summary } = await runOneFile(ir, "business", "business.json", `${lines.join("\n")}\n`, "split-array");
  const c = summary.files[0]!.counts!;
  return { lakeDir, clean: c.clean, invalid: c.invalid };
}

describe("split on a value that is already a JSON array", () => {
  it("takes a JSON array's elements as they are and splits only strings, in one file", async () => {
    const run = await runBusinesses([
      business("a", '"Food, Restaurants"'),
      business("b", '["Food","Restaurants"]'),
      business("c", '["Bars", "Beer, Wine & Spirits", " Coffee & Tea ", "", null]'),
      business("d", '"[\\"x\\", \\"y\\"]"'), // a string that reads like an array is still a string
      business("e", "[]"),
      business("f", "null"),
    ]);
    expect({ clean: run.clean, invalid: run.invalid }).toEqual({ clean: 6, invalid: 0 });
    const rows = JSON.parse(await parquetRows(run.lakeDir, "business_categories", "business_id, position")) as Record<string, unknown>[];
    expect(rows.map((r) => `${String(r.business_id)}:${String(r.position)}:${String(r.category)}`)).toEqual([
      "a:0:Food",
      "a:1:Restaurants",
      "b:0:Food",
      "b:1:Restaurants",
      "c:0:Bars",
      "c:1:Beer, Wine & Spirits",
      "c:2:Coffee & Tea",
      'd:0:["x"',
      'd:1:"y"]',
    ]);
  });

  it("a generated export mixing both shapes matches the independent model", async () => {
    const y = generateYelp({ seed: 7, businesses: 400, reviews: 0, messiness: { arrayCategories: 0.4 } });
    expect(y.business).toContain('"categories":["');
    expect(y.business).toContain('"categories":"');
    const run = await runBusinesses(y.business.trimEnd().split("\n"));
    const want = expectYelp(y.business, "");
    const rows = JSON.parse(await parquetRows(run.lakeDir, "business_categories", "business_id, position")) as unknown[];
    expect(rows.length).toBe(want.tables.business_categories);
    expect(run.clean).toBe(want.sources.business!.clean);
  });

  it("the Spark SQL (Glue) takes the array from the record line and parses", () => {
    const src = ir.sources.find((s) => s.name === "business")!;
    const stages = cleanStages(src, "spark");
    // Spark cannot run here: the statements are checked against Spark's grammar, and the array
    // branch is asserted in the form the Glue job runs.
    expect(stages.checked).toContain("from_json(line, '`categories` ARRAY<STRING>').`categories`");
    expect(stages.clean).toContain("`_items_categories`");
    const child = tableSelect(
      ir.tables.find((t) => t.name === "business_categories")!,
      "spark",
    );
    expect(child).toContain("coalesce(p.`_items_categories`, split(p.`categories`, ','))");
    const parser = new SparkSQL();
    for (const sql of [stages.checked, stages.clean, child]) expect(parser.validate(sql)).toEqual([]);
  });
});
