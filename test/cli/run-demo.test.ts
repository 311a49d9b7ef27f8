// `lakec run --demo` picks its sample by the shape of the pipeline's sources (cli/demo.ts), and
// pipelines/orders.yaml runs end to end on its sample: two gzip Firehose files, counted,
// quarantined, deduplicated and drift-reported exactly as an independent reading of the same
// lines says, its derived columns and marts equal to a computation in plain TypeScript, and the
// hand-written model in dbt/models/custom/orders/ built, with its tests, on the generated ones.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chooseDemo, pickDemo } from "../../cli/demo.js";
import type { RunSummary } from "../../engine/index.js";
import { lakec, removeTempDirs, tempDir, warehouseRows } from "../support/engine-fixtures.js";
import { deriveOrder, expectOrders, ORDER_RULES } from "../support/independent-orders.js";
import { cleanFile } from "../support/independent-model.js";
import { normalise, type MartExpectation, type PipelineExpectation } from "../support/independent-pipelines.js";
import { load } from "../support/load.js";

afterAll(removeTempDirs);

const ORDERS = "pipelines/orders.yaml";

describe("--demo picks the sample that fits the pipeline's sources", () => {
  it.each([
    ["pipelines/reviews.yaml", [["demo-reviews.jsonl", "product_reviews"]]],
    ["pipelines/storefront.yaml", [["demo-reviews.jsonl", "store_reviews"]]],
    [
      "pipelines/yelp.yaml",
      [
        ["demo-business.jsonl", "business"],
        ["demo-review.jsonl", "review"],
      ],
    ],
    [
      ORDERS,
      [
        ["demo-orders.jsonl.gz", "orders"],
        ["demo-cart-events.jsonl.gz", "cart_events"],
      ],
    ],
  ])("%s", (file, want) => {
    const choice = pickDemo(load(file))!;
    expect(choice.demo.files.map((f, i) => [f.name, choice.sources[i]])).toEqual(want);
  });

  it("a pipeline of another shape gets a usage error that names the samples, and no lake", async () => {
    expect(pickDemo(load("test/cases/shop-minimal/pipeline.yaml"))).toBeUndefined();
    const lake = join(await tempDir("demo-none"), "lake");
    const r = await lakec("run", "test/cases/shop-minimal/pipeline.yaml", "--demo", "--lake", lake);
    expect(r.code).toBe(2);
    expect(r.err).toContain("--demo: no bundled sample has the shape of this pipeline's sources");
    expect(r.err).toContain("(pipelines/orders.yaml)");
    expect(() => readFileSync(join(lake, "state", "arrivals.json"))).toThrow();
  });

  it("--source narrows the choice: a two-file sample does not fit one source", () => {
    expect(pickDemo(load("pipelines/yelp.yaml"), "review")).toBeUndefined();
    expect(() => chooseDemo(load("pipelines/yelp.yaml"), "review")).toThrow(/shape of source review/);
    expect(pickDemo(load(ORDERS), "orders")).toBeUndefined();
  });
});

/** The demo's two files as the run reads them: gzip on disk, JSON lines inside. */
function demoTexts(): { orders: string; cart: string; gzipped: boolean } {
  const [orders, cart] = pickDemo(load(ORDERS))!.demo.files.map((f) => f.content() as Buffer);
  const gzipped = [orders!, cart!].every((b) => b[0] === 0x1f && b[1] === 0x8b);
  return { orders: gunzipSync(orders!).toString("utf8"), cart: gunzipSync(cart!).toString("utf8"), gzipped };
}

/** Records (JSON objects) carrying each unmapped path of the orders stream, as drift counts them. */
function ordersDrift(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const add = (p: string): void => void (counts[p] = (counts[p] ?? 0) + 1);
  const mapped = new Set(["order_id", "orderId", "customer", "customer_id", "customerEmail", "store_id", "channel"]);
  for (const k of ["placed_at", "createdAt", "currency", "subtotal", "discount", "coupon", "items", "fees", "shipping"]) mapped.add(k);
  for (const line of text.trimEnd().split("\n")) {
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    for (const k of Object.keys(r)) if (!mapped.has(k)) add(k);
    const shipping = r.shipping as Record<string, unknown> | undefined;
    if (shipping) for (const k of Object.keys(shipping)) if (k !== "country" && k !== "postcode") add(`shipping.${k}`);
    const items = (r.items ?? []) as Record<string, unknown>[];
    for (const f of new Set(items.flatMap((e) => Object.keys(e).filter((k) => !["sku", "qty", "unit_price"].includes(k)))))
      add(`items[].${f}`);
    const fees = Object.values((r.fees ?? {}) as Record<string, Record<string, unknown>>);
    for (const f of new Set(fees.flatMap((e) => Object.keys(e).filter((k) => k !== "amount" && k !== "waived")))) add(`fees.*.${f}`);
  }
  return counts;
}

async function checkMart(lake: string, m: MartExpectation): Promise<void> {
  const cols = m.columns.map(([c, k]) => `CAST("${c}" AS ${k === "double" ? "DOUBLE" : "VARCHAR"}) AS "${c}"`);
  const got = await warehouseRows(lake, `SELECT ${cols.join(", ")} FROM "${m.name}"`);
  const rows = got.map((r) => m.columns.map(([c, k]) => normalise(r[c], k)).join(" | ")).sort();
  const have = new Set(rows);
  const want = new Set(m.rows);
  expect({
    mart: m.name,
    rows: rows.length,
    missing: m.rows.filter((r) => !have.has(r)).slice(0, 5),
    unexpected: rows.filter((r) => !want.has(r)).slice(0, 5),
  }).toEqual({ mart: m.name, rows: m.rows.length, missing: [], unexpected: [] });
}

describe("pipelines/orders.yaml on its demo sample", () => {
  let lake: string;
  let run: RunSummary;
  let texts: ReturnType<typeof demoTexts>;
  let want: PipelineExpectation;

  beforeAll(async () => {
    lake = join(await tempDir("orders-demo"), "lake");
    const r = await lakec("run", ORDERS, "--demo", "--lake", lake, "--json");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    run = (JSON.parse(r.out) as { result: RunSummary }).result;
    texts = demoTexts();
    want = expectOrders(texts.orders, texts.cart);
  }, 120_000);

  it("reads two gzip files, and every count reconciles and equals the independent count", () => {
    expect(texts.gzipped).toBe(true);
    // Both files land in the same run; which arrives first depends on their modification times.
    expect(run.files.map((f) => [f.rawKey, f.status]).sort()).toEqual([
      ["firehose/cart-events/demo-cart-events.jsonl.gz", "processed"],
      ["firehose/orders/demo-orders.jsonl.gz", "processed"],
    ]);
    for (const [source, w] of Object.entries(want.sources)) {
      const c = run.files.find((f) => f.source === source)!.counts!;
      expect(c.recordsIn, source).toBe(c.clean + c.invalid + c.duplicates);
      expect({ recordsIn: c.recordsIn, clean: c.clean, duplicates: c.duplicates, byReason: c.byReason, castNulls: c.castNulls }).toEqual({
        recordsIn: w.recordsIn,
        clean: w.clean,
        duplicates: w.duplicates,
        byReason: w.invalidByReason,
        castNulls: w.castNulls,
      });
      // Every kind of mess is in the sample, so each path above is taken.
      expect(c.duplicates * c.invalid * Object.values(c.castNulls).reduce((a, b) => a + b, 0), source).toBeGreaterThan(0);
    }
    const orders = run.files.find((f) => f.source === "orders")!.counts!;
    expect(Object.keys(orders.byReason).sort()).toEqual([
      "cast_failed",
      "malformed_json",
      "missing_required",
      "not_accepted",
      "out_of_range",
    ]);
    expect(orders.quarantined).toBe(orders.invalid);
    const cart = run.files.find((f) => f.source === "cart_events")!.counts!;
    expect({ quarantined: cart.quarantined, dropped: cart.droppedInvalid }).toEqual({ quarantined: 0, dropped: cart.invalid });
    for (const t of run.tables) expect(t.totalRows, t.name).toBe(want.tables[t.name]);
  });

  it("reports the producers' new keys as drift, each with the records that carry it", () => {
    const expected = ordersDrift(texts.orders);
    expect(Object.keys(expected).sort()).toEqual([
      "app_version",
      "fees.*.tax",
      "items[].gift_wrap",
      "loyalty_tier",
      "sent_at",
      "shipping.instructions",
    ]);
    const drift = run.files.find((f) => f.source === "orders")!.counts!.drift!;
    expect(drift.unmappedPaths).toBe(6);
    expect(Object.keys(drift.unmapped)).toHaveLength(5);
    for (const [path, n] of Object.entries(drift.unmapped)) expect(n, path).toBe(expected[path]);
    expect(drift.absent).toEqual([]);
    const cart = run.files.find((f) => f.source === "cart_events")!.counts!.drift!;
    const objects = texts.cart.split("\n").filter((l) => {
      try {
        return "page" in (JSON.parse(l) as object);
      } catch {
        return false;
      }
    });
    expect(cart.unmapped).toEqual({ page: objects.length });
  });

  it("builds the marts as an independent computation over the same lines says", async () => {
    for (const m of want.marts) await checkMart(lake, m);
  });

  it("computes the derived columns the documented way", async () => {
    const rows = await warehouseRows(
      lake,
      `SELECT order_id, order_week::VARCHAR AS order_week, weekday::INTEGER AS weekday, order_hour::INTEGER AS order_hour,
         basket, daypart, email_domain, net_amount::DOUBLE AS net_amount
       FROM stg_orders__orders`,
    );
    const kept = new Map(cleanFile(texts.orders, ORDER_RULES, ["order_id"]).clean.map((r) => [r.order_id as string, deriveOrder(r)]));
    expect(rows.length).toBe(kept.size);
    const day = (d: Date): string => d.toISOString().slice(0, 10);
    for (const r of rows) {
      const k = kept.get(String(r.order_id))!;
      const at = k.placed_at as Date;
      const monday = new Date(at.getTime() - (((k.weekday as number) - 1) * 86_400_000 + (at.getTime() % 86_400_000)));
      const subtotal = k.subtotal as number;
      const hour = at.getUTCHours();
      expect(r, String(r.order_id)).toMatchObject({
        order_week: day(monday),
        weekday: k.weekday,
        order_hour: hour,
        basket: subtotal >= 100 ? "large" : subtotal >= 30 ? "medium" : "small",
        daypart: hour < 12 ? "morning" : hour < 18 ? "afternoon" : "evening",
        email_domain: k.email_domain,
        net_amount: (Math.round(subtotal * 100) - Math.round(((k.discount as number | null) ?? 0) * 100)) / 100,
      });
    }
    expect(new Set(rows.map((r) => r.daypart))).toEqual(new Set(["morning", "afternoon", "evening"]));
  });

  it("builds the hand-written model after the staging model it refs, and its tests and the singular test pass", async () => {
    const order = run.warehouse.models.map((m) => m.name);
    expect(order.indexOf("customer_order_sequence")).toBeGreaterThan(order.indexOf("stg_orders__orders"));
    expect(run.warehouse.models.find((m) => m.name === "customer_order_sequence")?.rows).toBe(want.tables.orders);
    const tests = run.warehouse.tests;
    expect(tests.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        "unique_customer_order_sequence_order_id",
        "relationships_customer_order_sequence_customer_id",
        "not_null_customer_order_sequence_order_number",
        "first_orders_have_no_previous",
      ]),
    );
    expect(tests.filter((t) => t.failures > 0).map((t) => t.name)).toEqual([]);
  });

  it("numbers each customer's orders as an independent sort does", async () => {
    const rows = await warehouseRows(
      lake,
      "SELECT order_id, order_number, days_since_previous, lifetime_net_amount::DOUBLE AS lifetime FROM customer_order_sequence",
    );
    const kept = cleanFile(texts.orders, ORDER_RULES, ["order_id"]).clean.map(deriveOrder);
    const byCustomer = new Map<string, typeof kept>();
    for (const r of kept) byCustomer.set(r.customer_id as string, [...(byCustomer.get(r.customer_id as string) ?? []), r]);
    const expected = new Map<string, [number, number | null, number]>();
    for (const list of byCustomer.values()) {
      list.sort(
        (a, b) => (a.placed_at as Date).getTime() - (b.placed_at as Date).getTime() || (String(a.order_id) < String(b.order_id) ? -1 : 1),
      );
      let cents = 0;
      list.forEach((r, i) => {
        cents += Math.round((r.subtotal as number) * 100) - Math.round(((r.discount as number | null) ?? 0) * 100);
        const previous = i === 0 ? null : ((r.order_date as Date).getTime() - (list[i - 1]!.order_date as Date).getTime()) / 86_400_000;
        expected.set(r.order_id as string, [i + 1, previous, cents / 100]);
      });
    }
    expect([...byCustomer.values()].some((l) => l.length > 2)).toBe(true);
    const got = new Map(
      rows.map((r) => [
        String(r.order_id),
        [Number(r.order_number), r.days_since_previous === null ? null : Number(r.days_since_previous), r.lifetime],
      ]),
    );
    expect(got).toEqual(expected);
  });
});
