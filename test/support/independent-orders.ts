// pipelines/orders.yaml restated by hand for the independent model: both sources (alternative
// paths, set_null, a whole-record key), the two child tables of objects, the derived columns
// the marts use, and the three marts with their filters and measures over expressions.
import { cleanFile, type ColumnRule, type Row } from "./independent-model.js";
import { aggregate, mart, summary, type PipelineExpectation } from "./independent-pipelines.js";

const money = (name: string, path: string, rest: Partial<ColumnRule> = {}): ColumnRule => ({
  name,
  path: [path],
  type: "decimal",
  precision: 10,
  scale: 2,
  ...rest,
});

export const ORDER_RULES: readonly ColumnRule[] = [
  { name: "order_id", path: ["order_id"], alternatives: [["orderId"]], type: "string", required: true },
  { name: "customer_id", path: ["customer", "id"], alternatives: [["customer_id"]], type: "string", required: true },
  { name: "customer_email", path: ["customer", "email"], alternatives: [["customerEmail"]], type: "string", trim: true, nullIf: [""] },
  { name: "store_id", path: ["store_id"], type: "string", required: true },
  { name: "channel", path: ["channel"], type: "string", trim: true },
  { name: "placed_at", path: ["placed_at"], alternatives: [["createdAt"]], type: "timestamp", required: true },
  { name: "currency", path: ["currency"], type: "string", default: "EUR", accepted: ["EUR", "GBP", "USD"] },
  money("subtotal", "subtotal", { required: true, range: [0, null] }),
  money("discount", "discount", { castNull: true, default: 0 }),
  { name: "coupon_code", path: ["coupon"], type: "string", trim: true, nullIf: ["", "NONE"] },
  { name: "items", path: ["items"], type: "array" },
  { name: "fees", path: ["fees"], type: "object" },
  { name: "shipping_country", path: ["shipping", "country"], type: "string", trim: true },
];

export const CART_RULES: readonly ColumnRule[] = [
  { name: "customer_id", path: ["customer_id"], alternatives: [["customer", "id"]], type: "string", required: true },
  { name: "session_id", path: ["session"], type: "string" },
  { name: "action", path: ["type"], type: "string", required: true, accepted: ["view", "add_to_cart", "remove_from_cart", "checkout"] },
  { name: "sku", path: ["sku"], type: "string" },
  { name: "quantity", path: ["qty"], type: "integer", default: 1, castNull: true },
  { name: "event_at", path: ["ts"], type: "timestamp", unit: "milliseconds", required: true },
];

/** The UTC day of a moment, as a Date at midnight. */
const dayOf = (d: Date): Date => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
/** ISO weekday: Monday 1 … Sunday 7. */
const isoWeekday = (d: Date): number => ((d.getUTCDay() + 6) % 7) + 1;
/** Money as whole cents, so sums are exact. */
const cents = (v: unknown): number => Math.round(Number(v) * 100);
/** A field of a child object as the engine casts it: a string or a JSON number, else NULL. */
const fieldText = (o: unknown, k: string): string | null => {
  if (o === null || typeof o !== "object" || Array.isArray(o)) return null;
  const v = (o as Record<string, unknown>)[k];
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : null;
};
const intOf = (t: string | null): number | null => (t !== null && /^[+-]?\d+$/.test(t) ? Number(t) : null);

/** The derived columns of an order that the marts read (docs/language.md, "Functions"). */
export function deriveOrder(r: Row): Row {
  const at = r.placed_at as Date;
  const email = r.customer_email as string | null;
  return {
    ...r,
    order_date: dayOf(at),
    weekday: isoWeekday(at),
    order_hour: at.getUTCHours(),
    channel_name: r.channel === null ? null : (r.channel as string).toLowerCase(),
    email_domain: email === null ? null : (email.split("@")[1] ?? "").toLowerCase(),
  };
}

/** What pipelines/orders.yaml must produce from one orders file and one cart-events file (decompressed). */
export function expectOrders(ordersText: string, cartText: string): PipelineExpectation {
  const o = cleanFile(ordersText, ORDER_RULES, ["order_id"]);
  const c = cleanFile(cartText, CART_RULES, "whole_record");
  const orders = o.clean.map(deriveOrder);
  const items: Row[] = [];
  let fees = 0;
  for (const r of orders) {
    const list = r.items === null ? [] : (JSON.parse(r.items as string) as unknown[]);
    for (const e of list) {
      const quantity = intOf(fieldText(e, "qty"));
      const price = fieldText(e, "unit_price");
      items.push({
        order_id: r.order_id!,
        sku: fieldText(e, "sku"),
        quantity,
        line_cents: quantity === null || price === null ? null : quantity * cents(price),
      });
    }
    if (r.fees !== null) fees += Object.keys(JSON.parse(r.fees as string) as object).length;
  }
  const sold = orders
    .filter((r) => !String(r.coupon_code ?? "").startsWith("STAFF"))
    .filter((r) => (r.subtotal as number) >= 1 && (r.subtotal as number) <= 5000)
    .filter((r) => !String(r.email_domain ?? "").endsWith(".test"))
    .map((r) => ({
      ...r,
      net_cents: cents(r.subtotal) - cents(r.discount ?? 0),
      discounted: r.discount !== null && (r.discount as number) > 0,
      weekend: (r.weekday as number) >= 6,
    }));
  const daily = aggregate(sold, ["order_date", "channel_name"], {
    orders: ["count"],
    customers: ["count_distinct", "customer_id"],
    net_cents: ["sum", "net_cents"],
    avg_basket: ["avg", "subtotal"],
    discounted_orders: ["count_if", "discounted"],
    weekend_orders: ["count_if", "weekend"],
  }).map((r) => ({ ...r, revenue: (r.net_cents as number) / 100 }));
  const skus = aggregate(items, ["sku"], {
    units: ["sum", "quantity"],
    line_cents: ["sum", "line_cents"],
    orders: ["count_distinct", "order_id"],
  }).map((r) => ({ ...r, revenue: r.line_cents === null ? null : (r.line_cents as number) / 100 }));
  const clicks = c.clean
    .filter((r) => r.sku !== null && (r.action === "view" || r.action === "add_to_cart"))
    .map((r) => ({
      ...r,
      event_date: dayOf(r.event_at as Date),
      viewed: r.action === "view",
      added: r.action === "add_to_cart",
      added_units: r.action === "add_to_cart" ? r.quantity! : 0,
    }));
  return {
    sources: { orders: summary(o), cart_events: summary(c) },
    tables: { orders: orders.length, order_items: items.length, order_fees: fees, cart_events: c.clean.length },
    marts: [
      mart("daily_channel_sales", daily, [
        ["order_date", "date"],
        ["channel_name", "text"],
        ["orders", "int"],
        ["customers", "int"],
        ["revenue", "double"],
        ["avg_basket", "double"],
        ["discounted_orders", "int"],
        ["weekend_orders", "int"],
      ]),
      mart("sku_sales", skus, [
        ["sku", "text"],
        ["units", "int"],
        ["revenue", "double"],
        ["orders", "int"],
      ]),
      mart(
        "cart_funnel",
        aggregate(clicks, ["sku", "event_date"], {
          views: ["count_if", "viewed"],
          adds: ["count_if", "added"],
          units_added: ["sum", "added_units"],
        }),
        [
          ["sku", "text"],
          ["event_date", "date"],
          ["views", "int"],
          ["adds", "int"],
          ["units_added", "int"],
        ],
      ),
    ],
  };
}
