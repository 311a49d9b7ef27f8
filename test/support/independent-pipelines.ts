// pipelines/reviews.yaml and pipelines/yelp.yaml restated by hand for the independent model,
// with their child tables and marts computed in plain TypeScript (left joins, group by, the
// documented measure semantics). Used to check the engine's output on real and synthetic data.
import { canonical, cleanFile, type ColumnRule, type Row, type SourceOutcome, type Value } from "./independent-model.js";

/** How a mart column is compared: text and integers exactly, doubles to 12 digits, times as text. */
export type Kind = "text" | "int" | "double" | "date" | "timestamp";

export interface MartExpectation {
  readonly name: string;
  readonly columns: readonly (readonly [string, Kind])[];
  /** Rows as normalised text (see `normalise`), sorted. */
  readonly rows: readonly string[];
}

export interface PipelineExpectation {
  readonly sources: Record<string, Omit<SourceOutcome, "clean"> & { readonly clean: number }>;
  /** Row count of every output table, main and child. */
  readonly tables: Record<string, number>;
  readonly marts: readonly MartExpectation[];
}

type Agg = readonly ["count"] | readonly ["count_if" | "sum" | "avg" | "min" | "max" | "count_distinct", string];

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

/** One value as comparable text; the test normalises the engine's values the same way. */
export function normalise(v: unknown, kind: Kind): string {
  if (v === null || v === undefined) return "NULL";
  if (v instanceof Date) {
    const d = `${pad(v.getUTCFullYear(), 4)}-${pad(v.getUTCMonth() + 1)}-${pad(v.getUTCDate())}`;
    return kind === "date" ? d : `${d} ${pad(v.getUTCHours())}:${pad(v.getUTCMinutes())}:${pad(v.getUTCSeconds())}`;
  }
  // 12 significant digits: averages of one-decimal ratings over fewer than 10^6 rows never sit on a
  // rounding boundary there, so float noise between engines cannot flip the last digit.
  if (kind === "double") return Number(v).toPrecision(12);
  if (kind === "int") return BigInt(String(v)).toString();
  return String(v);
}

export function aggregate(rows: readonly Row[], grain: readonly string[], measures: Record<string, Agg>): Row[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const k = grain.map((g) => (r[g] === null || r[g] === undefined ? "\u0000" : canonical(r[g]!))).join("\u001f");
    (groups.get(k) ?? groups.set(k, []).get(k)!).push(r);
  }
  return [...groups.values()].map((g) => {
    // A mart's grain column is named after the column, without its table.
    const out: Row = Object.fromEntries(grain.map((c) => [c.split(".").pop()!, g[0]![c] ?? null]));
    for (const [name, agg] of Object.entries(measures)) out[name] = measure(g, agg);
    return out;
  });
}

function measure(g: readonly Row[], agg: Agg): Value {
  if (agg[0] === "count") return g.length;
  const vals = g.map((r) => r[agg[1]] ?? null).filter((v): v is Exclude<Value, null> => v !== null);
  switch (agg[0]) {
    case "count_if":
      return vals.filter((v) => v === true).length;
    case "count_distinct":
      return new Set(vals.map(canonical)).size;
    case "sum":
      return vals.length === 0 ? null : vals.reduce<number>((s, v) => s + Number(v), 0);
    case "avg":
      return vals.length === 0 ? null : vals.reduce<number>((s, v) => s + Number(v), 0) / vals.length;
    case "min":
    case "max": {
      if (vals.length === 0) return null;
      const num = (v: Value): number => (v instanceof Date ? v.getTime() : Number(v));
      return vals.reduce((a, b) => ((agg[0] === "min" ? num(b) < num(a) : num(b) > num(a)) ? b : a));
    }
  }
}

export function mart(name: string, rows: Row[], columns: MartExpectation["columns"]): MartExpectation {
  return { name, columns, rows: rows.map((r) => columns.map(([c, k]) => normalise(r[c], k)).join(" | ")).sort() };
}

export const summary = (o: SourceOutcome): PipelineExpectation["sources"][string] => ({ ...o, clean: o.clean.length });

export const REVIEWS_RULES: readonly ColumnRule[] = [
  { name: "reviewer_id", path: ["reviewerID"], type: "string", required: true },
  { name: "asin", path: ["asin"], type: "string", required: true },
  { name: "rating", path: ["overall"], type: "decimal", precision: 2, scale: 1, required: true, range: [1, 5] },
  { name: "verified", path: ["verified"], type: "boolean", default: false },
  { name: "reviewed_at", path: ["unixReviewTime"], type: "timestamp", unit: "seconds", required: true },
  { name: "review_date", path: ["reviewTime"], type: "date", format: "%m %d, %Y" },
  { name: "helpful_votes", path: ["vote"], type: "integer", strip: ",", default: 0 },
  { name: "reviewer_name", path: ["reviewerName"], type: "string", trim: true, nullIf: ["", "Amazon Customer"] },
  { name: "title", path: ["summary"], type: "string", trim: true },
  { name: "body", path: ["reviewText"], type: "string" },
  { name: "style", path: ["style"], type: "object" },
  ...(["Size:/size", "Color:/color", "Flavor:/flavor", "Scent Name:/scent"] as const).map((s) => {
    const [key, name] = s.split("/") as [string, string];
    return { name: `style_${name}`, path: ["style", key], type: "string", trim: true } as const;
  }),
  { name: "images", path: ["image"], type: "array" },
];

/** What pipelines/reviews.yaml must produce from one raw file of product reviews. */
export function expectReviews(text: string): PipelineExpectation {
  const o = cleanFile(text, REVIEWS_RULES, ["reviewer_id", "asin", "reviewed_at"]);
  const images: Row[] = [];
  for (const r of o.clean) {
    if (r.images === null) continue;
    const urls = JSON.parse(r.images as string) as unknown[];
    urls.forEach((u, i) =>
      images.push({
        asin: r.asin!,
        review_key: [r.reviewer_id, r.asin, r.reviewed_at].map((v) => canonical(v!)).join("|"),
        position: i,
        image_url: u === null ? null : String(u),
      }),
    );
  }
  return {
    sources: { product_reviews: summary(o) },
    tables: { product_reviews: o.clean.length, product_review_images: images.length },
    marts: [
      mart(
        "product_daily_ratings",
        aggregate(o.clean, ["asin", "review_date"], {
          reviews: ["count"],
          avg_rating: ["avg", "rating"],
          verified_reviews: ["count_if", "verified"],
          helpful_votes: ["sum", "helpful_votes"],
        }),
        [
          ["asin", "text"],
          ["review_date", "date"],
          ["reviews", "int"],
          ["avg_rating", "double"],
          ["verified_reviews", "int"],
          ["helpful_votes", "int"],
        ],
      ),
      mart(
        "reviewer_activity",
        aggregate(o.clean, ["reviewer_id"], {
          reviews: ["count"],
          first_review_at: ["min", "reviewed_at"],
          last_review_at: ["max", "reviewed_at"],
          avg_rating: ["avg", "rating"],
        }),
        [
          ["reviewer_id", "text"],
          ["reviews", "int"],
          ["first_review_at", "timestamp"],
          ["last_review_at", "timestamp"],
          ["avg_rating", "double"],
        ],
      ),
      mart(
        "product_image_counts",
        aggregate(images, ["asin"], { images: ["count"], reviews_with_images: ["count_distinct", "review_key"] }),
        [
          ["asin", "text"],
          ["images", "int"],
          ["reviews_with_images", "int"],
        ],
      ),
    ],
  };
}
