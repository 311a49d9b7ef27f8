// Lowering pins the IR shape every target emits from: table layout, child tables, joins.
import { describe, expect, it } from "vitest";
import { load } from "../support/load.js";

describe("lower", () => {
  it("lays out the reference pipeline's tables: flattened object keys replace the object, the array becomes a child table", () => {
    const ir = load("pipelines/reviews.yaml");
    expect(ir.tables.map((t) => [t.name, t.columns.map((c) => c.name)])).toEqual([
      [
        "product_reviews",
        [
          "review_id",
          "reviewer_id",
          "asin",
          "rating",
          "verified",
          "reviewed_at",
          "review_date",
          "helpful_votes",
          "reviewer_name",
          "title",
          "body",
          "style_size",
          "style_color",
          "style_flavor",
          "style_scent",
        ],
      ],
      ["product_review_images", ["review_id", "reviewer_id", "asin", "reviewed_at", "review_date", "position", "image_url"]],
    ]);
    expect(ir.tables[0]!.partition).toMatchObject({ column: "review_date", key: "review_date", grain: "day" });
    const counts = ir.marts.find((m) => m.name === "product_image_counts")!;
    expect(counts.measures.map((m) => [m.name, m.fn, m.type.kind])).toEqual([
      ["images", "count_star", "integer"],
      ["reviews_with_images", "count_distinct", "integer"],
    ]);
  });

  it("lowers yelp: typed object keys, split and entries child tables, joins along references and parent links", () => {
    const ir = load("pipelines/yelp.yaml");
    expect(ir.tables.map((t) => `${t.name}:${t.child?.expansion.mode ?? "main"}`)).toEqual([
      "business:main",
      "business_categories:split",
      "business_hours:entries",
      "review:main",
    ]);
    expect(ir.tables.find((t) => t.name === "review")!.partition).toMatchObject({ key: "reviewed_at_month", grain: "month" });
    const mart = ir.marts.find((m) => m.name === "ratings_by_city_category")!;
    expect(mart.joins).toEqual([
      {
        table: "business",
        on: [{ left: { table: "review", column: "business_id" }, right: { table: "business", column: "business_id" } }],
      },
      {
        table: "business_categories",
        on: [
          {
            left: { table: "business", column: "business_record_id" },
            right: { table: "business_categories", column: "business_record_id" },
          },
        ],
      },
    ]);
    // Left joins: grain columns from joined tables can be NULL.
    expect(mart.columns.filter((c) => c.name === "city" || c.name === "category").map((c) => c.nullable)).toEqual([true, true]);
  });
});
