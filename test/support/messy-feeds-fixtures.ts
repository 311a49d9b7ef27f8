// A seeded synthetic "places" export in the shapes real feeds mix (legacy Yelp business files
// and their successors): the open flag as `is_open`, `open` or `status.open`; review counts as
// numbers, thousands-separated text, `stats.reviews` or junk; stars and price ranges that
// sometimes do not cast; categories as text or a JSON array under `categories` or `tags`;
// opening hours as a map of objects, and a menu as an array of objects.
// Used with test/cases/messy-feeds/pipeline.yaml, and described independently to
// test/support/independent-model.ts below.
import { Rng } from "../../synthetic/amazon.js";
import type { ColumnRule } from "./independent-model.js";

export const MESSY_PIPELINE = "test/cases/messy-feeds/pipeline.yaml";

/** The case pipeline's business source, written out by hand for the independent model. */
export const MESSY_RULES: readonly ColumnRule[] = [
  { name: "business_id", path: ["business_id"], type: "string", required: true },
  { name: "name", path: ["name"], type: "string", trim: true },
  { name: "is_open", path: ["is_open"], alternatives: [["open"], ["status", "open"]], type: "boolean" },
  { name: "stars", path: ["stars"], type: "decimal", precision: 2, scale: 1, castNull: true, range: [1, 5] },
  {
    name: "review_count",
    path: ["review_count"],
    alternatives: [["stats", "reviews"]],
    type: "integer",
    strip: ",",
    castNull: true,
    default: 0,
  },
  { name: "categories", path: ["categories"], alternatives: [["tags"]], type: "array", split: "," },
  { name: "attributes", path: ["attributes"], type: "object" },
  { name: "attributes_price_range", path: ["attributes", "RestaurantsPriceRange2"], type: "integer", nullIf: ["None"], castNull: true },
  { name: "attributes_wifi", path: ["attributes", "WiFi"], type: "string" },
  { name: "hours", path: ["hours"], type: "object" },
  { name: "menu", path: ["menu"], type: "array" },
];

/** The child rows a kept record gives: one per entry of `hours`, one per element of `menu`. */
export function expectedChildRows(rows: readonly Record<string, unknown>[]): { hours: number; menu: number } {
  let hours = 0;
  let menu = 0;
  for (const r of rows) {
    if (typeof r.hours === "string") hours += Object.keys(JSON.parse(r.hours) as object).length;
    if (typeof r.menu === "string") menu += (JSON.parse(r.menu) as unknown[]).length;
  }
  return { hours, menu };
}

export function generatePlaces(seed: number, n: number): string {
  const rng = new Rng(seed);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = rng.chance(0.05) && i > 0 ? `b${rng.int(0, i - 1)}` : `b${i}`;
    const r: Record<string, unknown> = { business_id: id, name: ` Place ${i} ` };
    const open = rng.pick([0, 1, true, false, "1", null]);
    const where = rng.int(0, 4);
    if (where === 0) r.is_open = open;
    else if (where === 1) r.open = open;
    else if (where === 2) r.status = { open };
    else if (where === 3) Object.assign(r, { is_open: null, open: rng.pick([0, 1]) }); // a JSON null is absent: the next path wins
    r.stars = rng.weighted<unknown>([
      [rng.pick([1, 2.5, 3, 4.5, 5]), 8],
      ["4.0", 2],
      ["n/a", 1],
      ["", 1],
      [null, 1],
      [9, 1],
    ]);
    const count = rng.weighted<unknown>([
      [rng.int(0, 900), 6],
      [`${rng.int(1, 9)},${rng.int(100, 999)}`, 2],
      ["many", 1],
    ]);
    if (rng.chance(0.3)) r.stats = { reviews: count };
    else if (rng.chance(0.9)) r.review_count = count;
    const cats = rng.weighted<unknown>([
      ["Food, Bars", 3],
      [["Food", "Beer, Wine & Spirits"], 2],
      [" Coffee & Tea ", 1],
      [[], 1],
    ]);
    if (rng.chance(0.7)) r.categories = cats;
    else r.tags = cats;
    if (rng.chance(0.85)) {
      r.attributes = {
        ...(rng.chance(0.9) && {
          RestaurantsPriceRange2: rng.weighted<unknown>([
            ["2", 5],
            [3, 3],
            ["None", 2],
            ["cheap", 1],
          ]),
        }),
        ...(rng.chance(0.5) && { WiFi: rng.pick(["free", "no"]) }),
      };
    }
    if (rng.chance(0.7)) {
      const days = ["Monday", "Tuesday", "Sunday"].filter(() => rng.chance(0.7));
      r.hours = Object.fromEntries(
        days.map((d) => [
          d,
          rng.weighted<unknown>([
            [{ open: `0${rng.int(6, 9)}:00`, close: `${rng.int(15, 22)}:00` }, 8],
            [{ open: "10:00" }, 1],
            ["closed", 1],
          ]),
        ]),
      );
    }
    if (rng.chance(0.6)) {
      r.menu = Array.from({ length: rng.int(0, 4) }, (_, k) =>
        rng.weighted<unknown>([
          [{ dish: `Dish ${k}`, price: rng.pick([4.5, "12.00", "free"]), vegan: rng.pick([true, "no", undefined]) }, 9],
          [null, 1],
        ]),
      );
    }
    lines.push(JSON.stringify(r));
  }
  return `${lines.join("\n")}\n`;
}
