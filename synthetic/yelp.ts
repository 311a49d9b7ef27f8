// Seeded generator of Yelp-Open-Dataset-shaped exports (businesses and reviews) for tests of
// pipelines/yelp.yaml. It mimics the re-serialised 2022 files: compact JSON, "/" written as
// "\/", non-ASCII as \uXXXX, review dates as epoch milliseconds, attributes as Python-ish
// strings ("True", "None", "u'free'"), categories as one comma-separated string (or, when asked,
// a JSON array as in the legacy export), hours as an object whose keys are weekdays.
import { Rng, pyString } from "./amazon.js";

export interface YelpMessiness {
  /** A business's attributes / hours / categories are null. */
  readonly nullObjects: number;
  /** A review points at a business_id that is not in the business file. */
  readonly orphanReview: number;
  /** A review line is cut short (not JSON). */
  readonly malformed: number;
  /** A review's stars are outside 1..5. */
  readonly badStars: number;
  /** A review line repeats an earlier one exactly. */
  readonly duplicate: number;
  /**
   * A business's categories are a JSON array (the legacy export's shape) instead of one
   * comma-separated string; elements may hold the separator ("Beer, Wine & Spirits").
   */
  readonly arrayCategories: number;
}

export const DEFAULT_YELP_MESSINESS: YelpMessiness = {
  nullObjects: 0.1,
  orphanReview: 0,
  malformed: 0.002,
  badStars: 0.002,
  duplicate: 0.005,
  arrayCategories: 0,
};

export interface YelpOptions {
  readonly seed: number;
  readonly businesses: number;
  readonly reviews: number;
  readonly messiness?: Partial<YelpMessiness>;
}

export interface YelpExport {
  /** yelp_academic_dataset_business.json */
  readonly business: string;
  /** yelp_academic_dataset_review.json */
  readonly review: string;
}

const ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const CITIES: readonly (readonly [string, string, number, number])[] = [
  ["Santa Barbara", "CA", 34.42, -119.7],
  ["Tucson", "AZ", 32.22, -110.88],
  ["Philadelphia", "PA", 39.95, -75.16],
  ["New Orleans", "LA", 29.95, -90.07],
  ["Nashville", "TN", 36.16, -86.78],
  ["Saint Louis", "MO", 38.63, -90.2],
];
const CATEGORIES = [
  "Restaurants",
  "Food",
  "Nightlife",
  "Bars",
  "Coffee & Tea",
  "Doctors",
  "Health & Medical",
  "Naturopathic/Holistic",
  "Shopping",
  "Beauty & Spas",
  "Auto Repair",
  "Caf\u00e9s",
];
const NAMES = [
  "The UPS Store",
  "Target",
  "St Honore Pastries",
  "Perkiomen Valley Brewery",
  "Sonic Drive-In",
  "Caf\u00e9 Olé",
  "Abby Rappoport, LAC, CMQ",
  "Joe's Pizza",
];
const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const BOOL_ATTRS = [
  "BusinessAcceptsCreditCards",
  "BikeParking",
  "RestaurantsTakeOut",
  "RestaurantsDelivery",
  "GoodForKids",
  "OutdoorSeating",
  "ByAppointmentOnly",
  "Caters",
];
const WIFI = ["u'free'", "u'no'", "'free'", "'no'", "u'paid'", "None"];
const TEXT = "great food friendly staff slow service will come back again best coffee in town parking was hard to find prices fair".split(
  " ",
);

/** pandas to_json escaping: "/" as "\/", non-ASCII as \uXXXX. */
const js = (s: string): string => pyString(s).replace(/\//g, "\\/");
const obj = (pairs: readonly (readonly [string, string])[]): string => `{${pairs.map(([k, v]) => `${js(k)}:${v}`).join(",")}}`;

function attributes(rng: Rng): string {
  const pairs: [string, string][] = [];
  for (const a of BOOL_ATTRS)
    if (rng.chance(0.5))
      pairs.push([
        a,
        js(
          rng.weighted([
            ["True", 80],
            ["False", 19],
            ["None", 1],
          ] as const),
        ),
      ]);
  if (rng.chance(0.6))
    pairs.push([
      "RestaurantsPriceRange2",
      js(
        rng.weighted([
          ["1", 30],
          ["2", 50],
          ["3", 12],
          ["4", 3],
          ["None", 1],
        ] as const),
      ),
    ]);
  if (rng.chance(0.4)) pairs.push(["WiFi", js(rng.pick(WIFI))]);
  if (rng.chance(0.3))
    pairs.push([
      "BusinessParking",
      js(`{'garage': False, 'street': ${rng.chance(0.5) ? "True" : "False"}, 'validated': False, 'lot': True, 'valet': False}`),
    ]);
  return obj(pairs);
}

function hours(rng: Rng): string {
  const open = rng.int(6, 11);
  const close = rng.int(17, 23);
  return obj(
    DAYS.filter(() => rng.chance(0.85)).map(
      (d) => [d, js(rng.chance(0.05) ? "0:0-0:0" : `${open}:0-${close}:${rng.pick(["0", "30"])}`)] as const,
    ),
  );
}

function categories(rng: Rng, m: YelpMessiness): string {
  const n = rng.int(1, 4);
  const picked = new Set<string>();
  while (picked.size < n) picked.add(rng.pick(CATEGORIES));
  // Only drawn when asked for, so the default exports stay byte-identical.
  if (m.arrayCategories > 0 && rng.chance(m.arrayCategories)) {
    const items = [...picked, ...(rng.chance(0.5) ? ["Beer, Wine & Spirits"] : []), ...(rng.chance(0.1) ? [" "] : [])];
    return `[${items.map(js).join(",")}]`;
  }
  const text = [...picked].join(", ");
  // A trailing separator now and then: the empty element must not become a category.
  return js(rng.chance(0.03) ? `${text}, ` : text);
}

function businessLine(rng: Rng, id: string, m: YelpMessiness): string {
  const [city, state, lat, lon] = rng.pick(CITIES);
  const stars = rng.int(2, 10) / 2;
  const nullOr = (f: () => string): string => (rng.chance(m.nullObjects) ? "null" : f());
  return obj([
    ["business_id", js(id)],
    ["name", js(rng.pick(NAMES))],
    ["address", js(rng.chance(0.04) ? "" : `${rng.int(1, 9999)} ${rng.pick(["Chapala St", "E Broadway Blvd", "Grasso Plaza"])}`)],
    ["city", js(city)],
    ["state", js(state)],
    ["postal_code", js(String(rng.int(10000, 99999)))],
    ["latitude", (lat + rng.next() / 10).toFixed(7)],
    ["longitude", (lon + rng.next() / 10).toFixed(7)],
    ["stars", stars.toFixed(1)],
    ["review_count", String(rng.int(5, 900))],
    ["is_open", rng.chance(0.8) ? "1" : "0"],
    ["attributes", nullOr(() => attributes(rng))],
    ["categories", rng.chance(0.002) ? "null" : categories(rng, m)],
    ["hours", nullOr(() => hours(rng))],
  ]);
}

function reviewLine(rng: Rng, businessIds: readonly string[], m: YelpMessiness): string {
  const stars = rng.chance(m.badStars)
    ? rng.pick([0, 6])
    : rng.weighted([
        [5, 44],
        [4, 25],
        [3, 12],
        [2, 8],
        [1, 11],
      ] as const);
  const business = rng.chance(m.orphanReview) ? rng.chars(ID_CHARS, 22) : rng.pick(businessIds);
  const text = Array.from({ length: rng.int(5, 60) }, () => rng.pick(TEXT)).join(" ");
  const line = obj([
    ["review_id", js(rng.chars(ID_CHARS, 22))],
    ["user_id", js(rng.chars(ID_CHARS, 22))],
    ["business_id", js(business)],
    ["stars", String(stars)],
    ["useful", String(rng.int(0, 12))],
    ["funny", String(rng.int(0, 5))],
    ["cool", String(rng.int(0, 5))],
    ["text", js(`${text[0]!.toUpperCase()}${text.slice(1)}.\n\nWould visit again/maybe.`)],
    // 2005-01-01 .. 2022-01-19 in whole seconds, as epoch milliseconds.
    ["date", String(rng.int(1_104_537_600, 1_642_550_400) * 1000)],
  ]);
  return rng.chance(m.malformed) ? line.slice(0, rng.int(1, line.length - 2)) : line;
}

/** Both files, newline-terminated. Reviews reference generated businesses unless orphaned. */
export function generateYelp(opts: YelpOptions): YelpExport {
  const m = { ...DEFAULT_YELP_MESSINESS, ...opts.messiness };
  const rng = new Rng(opts.seed);
  const ids = Array.from({ length: opts.businesses }, () => rng.chars(ID_CHARS, 22));
  const business = ids.map((id) => businessLine(rng, id, m));
  const review: string[] = [];
  for (let i = 0; i < opts.reviews; i++) {
    const prev = review.length > 0 && rng.chance(m.duplicate) ? rng.pick(review) : undefined;
    review.push(prev !== undefined && prev.endsWith("}") ? prev : reviewLine(rng, ids, m));
  }
  const text = (xs: string[]): string => (xs.length === 0 ? "" : xs.join("\n") + "\n");
  return { business: text(business), review: text(review) };
}
