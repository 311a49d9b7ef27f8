// Schema drift (docs/language.md, "Schema drift"): each file counts the raw keys the pipeline
// does not map, per path with the records that carry it, and the mapped paths no record has.
// Run for real on the local engine (manifest, summary, --format json); the Spark query the Glue
// clean job runs is parsed by a Spark grammar and embedded in the job.
import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { compilePipeline } from "../../compiler/index.js";
import { driftOf, driftSql } from "../../compiler/sql/drift.js";
import { lakePaths, manifestFile } from "../../engine/lake.js";
import { formatRunSummary } from "../../cli/summary-format.js";
import { glueScripts } from "../../targets/glue/index.js";
import { removeTempDirs, runOneFile } from "../support/engine-fixtures.js";
import { MESSY_PIPELINE } from "../support/messy-feeds-fixtures.js";

afterAll(removeTempDirs);

const ir = compilePipeline(MESSY_PIPELINE, readFileSync(MESSY_PIPELINE, "utf8")).ir!;
const source = ir.sources[0]!;
const tables = ir.tables.filter((t) => t.source === source.name);

const line = (o: Record<string, unknown>): string =>
  JSON.stringify({
    business_id: "x",
    name: "n",
    is_open: 1,
    stars: 4,
    review_count: 1,
    categories: "a",
    attributes: {},
    hours: {},
    menu: [],
    ...o,
  });

describe("schema drift on the local engine", () => {
  it("counts unmapped keys at every level, and mapped paths absent from every record", async () => {
    const lines = [
      line({ business_id: "a", shippingCountry: "DE" }),
      line({ business_id: "b", shippingCountry: "FR", attributes: { WiFi: "no", NewAttr: 1 } }),
      line({ business_id: "c", status: { open: true, closed_on: "Mon" }, hours: { Monday: { open: "9", close: "5", note: "x" } } }),
      line({
        business_id: "d",
        menu: [
          { dish: "soup", price: 3, spicy: true },
          { dish: "tea", spicy: false },
        ],
      }),
      // A JSON null is present; a line that is not an object is not counted.
      line({ business_id: "e", extra: null, stats: { reviews: 2, likes: 1 } }),
      "not json",
    ];
    const { lakeDir, summary } = await runOneFile(ir, "business", "drift.jsonl", `${lines.join("\n")}\n`, "drift");
    const f = summary.files[0]!;
    expect(f.counts?.drift).toEqual({
      unmappedPaths: 7,
      // Most records first, then by path; five examples at most.
      unmapped: { shippingCountry: 2, "attributes.NewAttr": 1, extra: 1, "hours.*.note": 1, "menu[].spicy": 1 },
      // vegan is a field of the menu objects that no element has; the price key no attributes object has.
      absent: ["attributes.RestaurantsPriceRange2", "menu[].vegan"],
    });
    const manifest = JSON.parse(await readFile(manifestFile(lakePaths(lakeDir), "business", f.rawKey), "utf8"));
    expect(manifest.drift).toEqual({
      unmapped_paths: 7,
      unmapped: f.counts!.drift!.unmapped,
      absent: ["attributes.RestaurantsPriceRange2", "menu[].vegan"],
    });
    const text = formatRunSummary(summary);
    expect(text).toContain(
      "drift: 7 unmapped key path(s), records: shippingCountry (2), attributes.NewAttr (1), extra (1), hours.*.note (1), menu[].spicy (1), and 2 more",
    );
    expect(text).toContain("drift: mapped but absent in every record: attributes.RestaurantsPriceRange2, menu[].vegan");
  });

  it('names a mapped path that no record has (the keys: {"Monday.open"} mistake) and a new key of a mapped object', async () => {
    const yaml = readFileSync(MESSY_PIPELINE, "utf8").replace("WiFi: wifi", 'WiFi: wifi\n          "Monday.open": monday_open');
    const ir2 = compilePipeline(MESSY_PIPELINE, yaml).ir!;
    const { summary } = await runOneFile(
      ir2,
      "business",
      "drift2.jsonl",
      `${[line({ attributes: { WiFi: "no", Monday: { open: "9" } } })].join("\n")}\n`,
      "drift2",
    );
    expect(summary.files[0]!.counts?.drift).toEqual({
      unmappedPaths: 1,
      unmapped: { "attributes.Monday": 1 },
      absent: [
        "attributes.Monday.open",
        "attributes.RestaurantsPriceRange2",
        "hours.*.close",
        "hours.*.open",
        "menu[].dish",
        "menu[].price",
        "menu[].vegan",
      ],
    });
  });

  it("reports nothing for a file that matches the pipeline", async () => {
    const { summary } = await runOneFile(
      ir,
      "business",
      "clean.jsonl",
      `${line({ status: { open: 1 }, stats: { reviews: 1 }, tags: "x", attributes: { WiFi: "no", RestaurantsPriceRange2: 2 }, menu: [{ dish: "a", price: 1, vegan: true }], hours: { Mon: { open: "1", close: "2" } } })}\n`,
      "nodrift",
    );
    expect(summary.files[0]!.counts?.drift).toEqual({ unmappedPaths: 0, unmapped: {}, absent: [] });
    expect(formatRunSummary(summary)).not.toContain("drift:");
  });
});

describe("schema drift in the Glue clean job", () => {
  it("embeds the same query in Spark SQL and adds drift to the manifest", () => {
    const clean = glueScripts(ir).find((s) => s.role === "clean")!.contents;
    expect(driftSql(source, tables, "spark")).toContain("json_object_keys(line)");
    expect(clean).toContain('"drift": (');
    expect(clean).toContain("json_object_keys(line)");
    expect(clean).toContain('manifest["drift"] = drift');
  });

  it("folds token counts the same way for both engines", () => {
    expect(
      driftOf(
        new Map([
          ["#", 3],
          ["u:b", 1],
          ["u:a", 1],
          ["u:c", 2],
          ["a:x", 3],
          ["a:y", 2],
        ]),
      ),
    ).toEqual({ unmappedPaths: 3, unmapped: { c: 2, a: 1, b: 1 }, absent: ["x"] });
  });
});
