// The independent model is the oracle of the real-data tests, so it is tested on its own:
// against hand-derived expectations and against the synthetic generator's ground truth.
import { describe, expect, it } from "vitest";
import { writeAmazonReviews, generateAmazonReviews } from "../../synthetic/amazon.js";
import { generateYelp } from "../../synthetic/yelp.js";
import { cleanFile, strptime, topLevelTexts } from "../support/independent-model.js";
import { expectReviews, REVIEWS_RULES } from "../support/independent-pipelines.js";
import { expectYelp } from "../support/independent-yelp.js";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const LINES = [
  `{"overall": 5.0, "verified": true, "reviewTime": "09 1, 2016", "reviewerID": "A1", "asin": "B1", "style": {"Size:": " 7.0 oz", "Flavor:": " Classic"}, "reviewerName": " Amazon Customer ", "summary": " Great ", "unixReviewTime": 1472688000, "vote": "1,234", "image": ["u1", "u2"]}`,
  `{"overall": 4.0, "reviewTime": "09 1, 2016", "reviewerID": "A1", "asin": "B1", "unixReviewTime": 1472688000}`,
  `{"overall": 9.0, "reviewerID": "A2", "asin": "B1", "unixReviewTime": 1472688000}`,
  `{"overall": "abc", "reviewerID": "A3", "asin": "B1", "unixReviewTime": 1472688000}`,
  `{"overall": 3.0, "asin": "B1", "unixReviewTime": 1472688000}`,
  `{"overall": 3.0, "reviewerID": "A4", "asin": "B2", "unixReviewTime": 1472688000`,
  `[1, 2]`,
  ``,
  `{"overall": 2.0, "verified": "false", "reviewerID": "A5", "asin": "B2", "unixReviewTime": "1472774400", "reviewTime": "9 02, 2016", "vote": "7"}`,
].join("\n");

describe("independent model", () => {
  it("keeps numbers as written and decodes strings", () => {
    const t = topLevelTexts(`{"a": 5.0, "b": "x\\"y", "c": {"k": [1, "}"]}, "d": null, "e": true}`);
    expect([...t.entries()]).toEqual([
      ["a", "5.0"],
      ["b", 'x"y'],
      ["c", '{"k": [1, "}"]}'],
      ["d", null],
      ["e", "true"],
    ]);
  });

  it("parses the documented strftime codes strictly", () => {
    expect(strptime("09 1, 2016", "%m %d, %Y")?.toISOString()).toBe("2016-09-01T00:00:00.000Z");
    expect(strptime("9 02, 2016", "%m %d, %Y")?.toISOString()).toBe("2016-09-02T00:00:00.000Z");
    expect(strptime("02 30, 2016", "%m %d, %Y")).toBeNull();
    expect(strptime("09 1 2016", "%m %d, %Y")).toBeNull();
  });

  it("classifies the lines the shared SQL test uses exactly as that test expects", () => {
    const o = cleanFile(LINES, REVIEWS_RULES, ["reviewer_id", "asin", "reviewed_at"]);
    expect({ recordsIn: o.recordsIn, clean: o.clean.length, duplicates: o.duplicates }).toEqual({ recordsIn: 8, clean: 2, duplicates: 1 });
    expect(o.invalidByReason).toEqual({ out_of_range: 1, cast_failed: 1, missing_required: 1, malformed_json: 1, not_an_object: 1 });
    const a1 = o.clean[0]!;
    expect([a1.rating, a1.helpful_votes, a1.reviewer_name, a1.title, a1.style_size, a1.style_flavor]).toEqual([
      5,
      1234,
      null,
      "Great",
      "7.0 oz",
      "Classic",
    ]);
    const a5 = o.clean[1]!;
    expect([a5.verified, a5.helpful_votes, (a5.review_date as Date).toISOString().slice(0, 10)]).toEqual([false, 7, "2016-09-02"]);
  });

  it("agrees with the amazon generator's ground truth", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lakec-model-"));
    try {
      const file = join(dir, "r.jsonl");
      const stats = await writeAmazonReviews(file, { seed: 2018, records: 20_000 });
      const e = expectReviews(readFileSync(file, "utf8"));
      const s = e.sources.product_reviews!;
      expect(s.recordsIn).toBe(stats.lines);
      expect(s.duplicates).toBe(stats.exactDuplicates + stats.keyDuplicates);
      expect(Object.values(s.invalidByReason).reduce((a, b) => a + b, 0)).toBe(stats.missingKey + stats.malformed + stats.outOfRange);
      expect(s.invalidByReason.malformed_json).toBe(stats.malformed);
      expect(s.invalidByReason.out_of_range).toBe(stats.outOfRange);
      expect(s.clean).toBe(stats.clean);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("computes the reviews marts from clean records only", () => {
    const e = expectReviews(LINES);
    const daily = e.marts.find((m) => m.name === "product_daily_ratings")!;
    expect(daily.rows).toEqual(["B1 | 2016-09-01 | 1 | 5.00000000000 | 1 | 1234", "B2 | 2016-09-02 | 1 | 2.00000000000 | 0 | 7"]);
    expect(e.marts.find((m) => m.name === "product_image_counts")!.rows).toEqual(["B1 | 2 | 1"]);
    expect(e.tables.product_review_images).toBe(2);
  });

  it("computes the yelp child tables and left-joined marts", () => {
    const business = [
      `{"business_id":"b1","name":"A","city":"Tucson","state":"AZ","stars":4.5,"is_open":1,"attributes":{"BusinessAcceptsCreditCards":"True","WiFi":"u'free'","RestaurantsPriceRange2":"None"},"categories":"Food, Bars,","hours":{"Monday":"8:0-18:0"}}`,
      `{"business_id":"b2","name":"B","city":"Tucson","state":"AZ","stars":3.0,"is_open":0,"attributes":{"WiFi":"'no'"},"categories":"Food","hours":null}`,
      `{"business_id":"b3","name":"C","state":"AZ","stars":3.3}`,
    ].join("\n");
    const review = [
      `{"review_id":"r1","user_id":"u","business_id":"b1","stars":5,"useful":2,"date":1531001351000}`,
      `{"review_id":"r2","user_id":"u","business_id":"b2","stars":3,"date":1531001351000}`,
      `{"review_id":"r3","user_id":"u","business_id":"zz","stars":4,"useful":1,"date":1531001351000}`,
      `{"review_id":"r4","user_id":"u","business_id":"b1","stars":6,"date":1531001351000}`,
    ].join("\n");
    const e = expectYelp(business, review);
    expect(e.sources.business!.invalidByReason).toEqual({ not_accepted: 1 });
    expect(e.sources.review!.invalidByReason).toEqual({ not_accepted: 1 });
    expect(e.tables).toMatchObject({ business_categories: 3, business_hours: 1, orphan_reviews: 1 });
    const byCity = e.marts.find((m) => m.name === "ratings_by_city_category")!;
    expect(byCity.rows).toEqual([
      "NULL | NULL | 1 | 0 | 4.00000000000 | 1",
      "Tucson | Bars | 1 | 1 | 5.00000000000 | 2",
      "Tucson | Food | 2 | 2 | 4.00000000000 | 2",
    ]);
    expect(e.marts.find((m) => m.name === "business_ratings")!.rows).toEqual([
      "b1 | A | 1 | 5.00000000000 | 4.50000000000 | 2018-07-07 22:09:11 | 2018-07-07 22:09:11",
    ]);
    expect(e.marts.find((m) => m.name === "open_businesses_by_state")!.rows).toEqual(["AZ | 2 | 1 | 1"]);
  });

  it("finds the yelp generator's messiness", () => {
    const y = generateYelp({ seed: 9, businesses: 200, reviews: 3000, messiness: { orphanReview: 0.05, malformed: 0.01 } });
    const e = expectYelp(y.business, y.review);
    expect(e.sources.business!.invalidByReason).toEqual({});
    expect(e.sources.review!.invalidByReason.malformed_json).toBeGreaterThan(10);
    expect(e.tables.orphan_reviews).toBeGreaterThan(100);
    expect(generateAmazonReviews({ seed: 1, records: 0 })).toBe("");
  });
});
