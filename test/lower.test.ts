import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { PipelineDoc } from "../compiler/doc.js";
import { lower } from "../compiler/lower.js";
import { printExpr } from "../compiler/expr/print.js";

describe("lower", () => {
  it("lowers the reference pipeline", () => {
    const doc = parse(readFileSync("pipelines/reviews.yaml", "utf8")) as PipelineDoc;
    const ir = lower(doc, "pipelines/reviews.yaml");
    console.log(JSON.stringify(ir.tables.map((t) => [t.name, t.columns.map((c) => c.name)])));
    console.log(ir.sources[0]!.columns.map((c) => `${c.name}: ${printExpr(c.value, "duckdb")} <= ${printExpr(c.text, "duckdb", { rawRoot: "j" })}`).join("\n"));
    console.log(JSON.stringify(ir.marts[2]));
    expect(ir.tables.map((t) => t.name)).toEqual(["product_reviews", "product_review_images"]);
  });
  it("lowers yelp", () => {
    const doc = parse(readFileSync("pipelines/yelp.yaml", "utf8")) as PipelineDoc;
    const ir = lower(doc, "pipelines/yelp.yaml");
    console.log(JSON.stringify(ir.tables.map((t) => [t.name, t.columns.map((c) => c.name)])));
    console.log(JSON.stringify(ir.marts[0]?.joins));
  });
});
