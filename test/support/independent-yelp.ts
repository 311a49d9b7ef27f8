// pipelines/yelp.yaml restated by hand for the independent model: both sources, the split and
// key/value child tables, and the three marts with their left joins and filter.
import { cleanFile, type ColumnRule, type Row } from "./independent-model.js";
import { aggregate, mart, summary, type PipelineExpectation } from "./independent-pipelines.js";

const BOOL_ATTRIBUTES: readonly (readonly [string, string])[] = [
  ["BusinessAcceptsCreditCards", "accepts_credit_cards"],
  ["BikeParking", "bike_parking"],
];
const LATER_BOOL_ATTRIBUTES: readonly (readonly [string, string])[] = [
  ["RestaurantsTakeOut", "take_out"],
  ["RestaurantsDelivery", "delivery"],
  ["GoodForKids", "good_for_kids"],
  ["OutdoorSeating", "outdoor_seating"],
  ["ByAppointmentOnly", "by_appointment_only"],
];

const attr = (key: string, name: string, rest: Partial<ColumnRule> = {}): ColumnRule => ({
  name: `attributes_${name}`,
  path: ["attributes", key],
  type: "boolean",
  nullIf: ["None"],
  ...rest,
});

export const BUSINESS_RULES: readonly ColumnRule[] = [
  { name: "business_id", path: ["business_id"], type: "string", required: true },
  { name: "name", path: ["name"], type: "string", trim: true, required: true },
  { name: "address", path: ["address"], type: "string", trim: true, nullIf: [""] },
  { name: "city", path: ["city"], type: "string", trim: true },
  { name: "state", path: ["state"], type: "string", trim: true },
  { name: "postal_code", path: ["postal_code"], type: "string", trim: true, nullIf: [""] },
  { name: "latitude", path: ["latitude"], type: "double", range: [-90, 90] },
  { name: "longitude", path: ["longitude"], type: "double", range: [-180, 180] },
  { name: "stars", path: ["stars"], type: "decimal", precision: 2, scale: 1, accepted: [1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5] },
  { name: "review_count", path: ["review_count"], type: "integer", range: [0, null], default: 0 },
  { name: "is_open", path: ["is_open"], type: "boolean" },
  { name: "attributes", path: ["attributes"], type: "object" },
  ...BOOL_ATTRIBUTES.map(([k, n]) => attr(k, n)),
  attr("RestaurantsPriceRange2", "price_range", { type: "integer", range: [1, 4] }),
  ...LATER_BOOL_ATTRIBUTES.map(([k, n]) => attr(k, n)),
  attr("WiFi", "wifi", { type: "string", strip: "u'", accepted: ["free", "no", "paid"] }),
  { name: "categories", path: ["categories"], type: "array", split: "," },
  { name: "hours", path: ["hours"], type: "object" },
];

export const REVIEW_RULES: readonly ColumnRule[] = [
  { name: "review_id", path: ["review_id"], type: "string", required: true },
  { name: "user_id", path: ["user_id"], type: "string", required: true },
  { name: "business_id", path: ["business_id"], type: "string", required: true },
  { name: "stars", path: ["stars"], type: "decimal", precision: 2, scale: 1, required: true, accepted: [1, 2, 3, 4, 5] },
  ...["useful", "funny", "cool"].map((c): ColumnRule => ({ name: c, path: [c], type: "integer", default: 0, range: [0, null] })),
  { name: "body", path: ["text"], type: "string" },
  { name: "reviewed_at", path: ["date"], type: "timestamp", unit: "milliseconds", required: true },
];

/** A JSON array's elements, or the text split on the separator; trim ASCII whitespace, drop empty elements. */
function categoriesOf(b: Row): string[] {
  if (b.categories === null || b.categories === undefined) return [];
  const items = b._items_categories;
  return (typeof items === "string" ? (JSON.parse(items) as string[]) : String(b.categories).split(","))
    .map((c) => c.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, ""))
    .filter((c) => c !== "");
}

function hoursOf(b: Row): [string, string | null][] {
  if (b.hours === null || b.hours === undefined) return [];
  return Object.entries(JSON.parse(String(b.hours)) as Record<string, unknown>).map(([k, v]) => [
    k,
    v === null ? null : typeof v === "string" ? v : JSON.stringify(v),
  ]);
}

/** Joined rows of review ⟕ business ⟕ business_categories, columns qualified as `table.column`. */
function joinReviews(reviews: readonly Row[], businesses: readonly Row[], withCategories: boolean): Row[] {
  const byId = new Map(businesses.map((b) => [String(b.business_id), b]));
  const out: Row[] = [];
  for (const r of reviews) {
    const b = byId.get(String(r.business_id));
    const base: Row = {};
    for (const [k, v] of Object.entries(r)) base[`review.${k}`] = v;
    for (const c of BUSINESS_RULES) base[`business.${c.name}`] = b ? (b[c.name] ?? null) : null;
    const cats = withCategories && b ? categoriesOf(b) : [];
    if (cats.length === 0) out.push({ ...base, "business_categories.category": null });
    for (const c of cats) out.push({ ...base, "business_categories.category": c });
  }
  return out;
}

/** What pipelines/yelp.yaml must produce from one business file and one review file. */
export function expectYelp(businessText: string, reviewText: string): PipelineExpectation {
  const b = cleanFile(businessText, BUSINESS_RULES, ["business_id"]);
  const r = cleanFile(reviewText, REVIEW_RULES, ["review_id"]);
  const byCity = joinReviews(r.clean, b.clean, true);
  const open = joinReviews(r.clean, b.clean, false).filter((x) => x["business.is_open"] === true);
  const known = new Set(b.clean.map((x) => String(x.business_id)));
  return {
    sources: { business: summary(b), review: summary(r) },
    tables: {
      business: b.clean.length,
      business_categories: b.clean.reduce((n, x) => n + categoriesOf(x).length, 0),
      business_hours: b.clean.reduce((n, x) => n + hoursOf(x).length, 0),
      review: r.clean.length,
      orphan_reviews: r.clean.filter((x) => !known.has(String(x.business_id))).length,
    },
    marts: [
      mart(
        "ratings_by_city_category",
        aggregate(byCity, ["business.city", "business_categories.category"], {
          reviews: ["count"],
          businesses: ["count_distinct", "business.business_id"],
          avg_stars: ["avg", "review.stars"],
          useful_votes: ["sum", "review.useful"],
        }),
        [
          ["city", "text"],
          ["category", "text"],
          ["reviews", "int"],
          ["businesses", "int"],
          ["avg_stars", "double"],
          ["useful_votes", "int"],
        ],
      ),
      mart(
        "business_ratings",
        aggregate(open, ["business.business_id", "business.name"], {
          reviews: ["count"],
          avg_review_stars: ["avg", "review.stars"],
          listed_stars: ["max", "business.stars"],
          first_review_at: ["min", "review.reviewed_at"],
          last_review_at: ["max", "review.reviewed_at"],
        }),
        [
          ["business_id", "text"],
          ["name", "text"],
          ["reviews", "int"],
          ["avg_review_stars", "double"],
          ["listed_stars", "double"],
          ["first_review_at", "timestamp"],
          ["last_review_at", "timestamp"],
        ],
      ),
      mart(
        "open_businesses_by_state",
        aggregate(b.clean, ["state"], {
          businesses: ["count"],
          open_businesses: ["count_if", "is_open"],
          accepting_credit_cards: ["count_if", "attributes_accepts_credit_cards"],
        }),
        [
          ["state", "text"],
          ["businesses", "int"],
          ["open_businesses", "int"],
          ["accepting_credit_cards", "int"],
        ],
      ),
    ],
  };
}
