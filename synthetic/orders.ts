// Seeded generator of the Firehose feeds pipelines/orders.yaml reads: checkout orders and
// storefront cart events, one JSON object per line, gzip-compressed when asked (Firehose's
// default). The mess is the kind such feeds have: two app generations that name fields
// differently (`order_id`/`orderId`, `customer.id`/`customer_id`, `placed_at`/`createdAt`),
// money as numbers or strings, a free-text discount that is sometimes "N/A", re-deliveries of
// the same bytes, producer retries with a new `sent_at`, partial writes, and keys the pipeline
// does not map (what a run reports as schema drift).
//
// Lines are compact JSON.stringify output, as a Node producer writes them.
import { gzipSync } from "node:zlib";
import { Recent, Rng } from "./amazon.js";

/** Rates are per generated line, in [0, 1]. */
export interface OrdersMessiness {
  /** Firehose delivered an earlier line again, byte for byte. */
  readonly exactDuplicate: number;
  /** The producer sent an earlier order again: same order id, a later `sent_at`. */
  readonly retry: number;
  /** Neither `order_id` nor `orderId` is there. */
  readonly missingId: number;
  /** The line is cut short (a partial write), so it is not JSON. */
  readonly malformed: number;
  /** The order time is text no cast reads. */
  readonly badTimestamp: number;
  /** The subtotal is negative (a refund sent to the wrong stream). */
  readonly negativeSubtotal: number;
  /** The currency is not one the shop sells in. */
  readonly unknownCurrency: number;
  /** The discount is free text ("N/A", "10%") that does not cast: the order is kept, its discount NULL. */
  readonly junkDiscount: number;
}

export const DEFAULT_ORDERS_MESSINESS: OrdersMessiness = {
  exactDuplicate: 0.03,
  retry: 0.02,
  missingId: 0.005,
  malformed: 0.004,
  badTimestamp: 0.005,
  negativeSubtotal: 0.004,
  unknownCurrency: 0.004,
  junkDiscount: 0.03,
};

export interface CartMessiness {
  /** Firehose delivered an earlier event again, byte for byte. */
  readonly exactDuplicate: number;
  /** The event has no customer id under either name. */
  readonly missingCustomer: number;
  /** The event type is one the pipeline does not accept. */
  readonly unknownAction: number;
  /** The line is cut short. */
  readonly malformed: number;
  /** An add or remove event's quantity is text ("two"): the event is kept, its quantity NULL. */
  readonly junkQuantity: number;
}

export const DEFAULT_CART_MESSINESS: CartMessiness = {
  exactDuplicate: 0.03,
  missingCustomer: 0.005,
  unknownAction: 0.005,
  malformed: 0.003,
  junkQuantity: 0.02,
};

export interface OrdersOptions {
  readonly seed: number;
  readonly orders: number;
  readonly cartEvents: number;
  /** First and last day of the export, inclusive ISO days (default: the week of 2024-06-03). */
  readonly days?: readonly [string, string];
  readonly messiness?: Partial<OrdersMessiness>;
  readonly cartMessiness?: Partial<CartMessiness>;
}

export type OrderLineKind =
  "clean" | "exactDuplicate" | "retry" | "missingId" | "malformed" | "badTimestamp" | "negativeSubtotal" | "unknownCurrency";
export type CartLineKind = "clean" | "exactDuplicate" | "missingCustomer" | "unknownAction" | "malformed";

/** Both streams, one record per line, newline-terminated. */
export interface OrdersExport {
  readonly orders: string;
  readonly cartEvents: string;
}

const ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";
const STORES: readonly (readonly [store: string, currency: string, country: string, postcodes: readonly string[]])[] = [
  ["berlin-01", "EUR", "DE", ["10115", "10243", "12047"]],
  ["paris-02", "EUR", "FR", ["75011", "75004"]],
  ["london-03", "GBP", "GB", ["E1 6AN", "SW1A 1AA", "N1 9GU"]],
  ["austin-04", "USD", "US", ["78701", "78704"]],
];
const CHANNELS: readonly (readonly [string, number])[] = [
  ["web", 30],
  ["Web", 10],
  [" web ", 2],
  ["iOS", 20],
  ["ios", 5],
  ["ANDROID", 8],
  ["android", 20],
];
const DOMAINS: readonly (readonly [string, number])[] = [
  ["gmail.com", 40],
  ["outlook.com", 15],
  ["posteo.de", 8],
  ["example.org", 10],
  ["Web.DE", 5],
  ["qa.shop.test", 3],
];
const COUPONS = ["SUMMER10", "WELCOME5", "FREESHIP", "STAFF-20", "", "NONE"];
const INSTRUCTIONS = ["leave at the door", "ring twice", "neighbour at no. 4", "  call on arrival  "];
const TIERS = ["bronze", "silver", "gold"];
const PAGES = ["/", "/search", "/p/", "/cart", "/checkout"];
const ACTIONS: readonly (readonly [string, number])[] = [
  ["view", 70],
  ["add_to_cart", 18],
  ["remove_from_cart", 4],
  ["checkout", 8],
];

const DAY_MS = 86_400_000;
/** More orders in the evening, few at night. */
const HOUR_WEIGHTS: readonly (readonly [number, number])[] = Array.from({ length: 24 }, (_, h) => [
  h,
  h < 7 ? 1 : h < 17 ? 4 : h < 22 ? 8 : 3,
]);

function dayRangeMs(days: readonly [string, string] | undefined): readonly [number, number] {
  const [a, b] = days ?? ["2024-06-03", "2024-06-09"];
  const ms = (iso: string): number => {
    const t = Date.parse(`${iso}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(iso) || Number.isNaN(t)) throw new Error(`synthetic: day '${iso}' is not YYYY-MM-DD`);
    return t;
  };
  const [lo, hi] = [ms(a), ms(b)];
  if (lo > hi) throw new Error(`synthetic: days ${a}..${b} is empty`);
  return [lo, hi];
}

/** A moment in the range: a day, an hour by weight, minutes, seconds and milliseconds. */
function momentMs(rng: Rng, range: readonly [number, number]): number {
  const day = range[0] + rng.int(0, (range[1] - range[0]) / DAY_MS) * DAY_MS;
  return day + rng.weighted(HOUR_WEIGHTS) * 3_600_000 + rng.int(0, 3_599_999);
}

/** App 3.x: `2024-06-03T18:04:05Z`; app 4.x: `2024-06-03 18:04:05.123` (both UTC). */
const iso3 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const iso4 = (ms: number): string => new Date(ms).toISOString().replace("T", " ").replace(/Z$/, "");

/** Cents as the app writes money: a JSON number, or a string with two decimals. */
function money(rng: Rng, cents: number, asString: boolean): unknown {
  const text = (cents / 100).toFixed(2);
  return asString ? text : rng.chance(0.5) ? Number(text) : text;
}

interface Catalog {
  readonly skus: readonly (readonly [sku: string, cents: number])[];
  readonly customers: readonly string[];
}

function catalog(rng: Rng, orders: number): Catalog {
  const skus = Array.from({ length: 40 }, () => [`SKU-${rng.chars(ALNUM.toUpperCase(), 5)}`, rng.int(199, 8999)] as const);
  const customers = Array.from({ length: Math.max(10, Math.ceil(orders / 3)) }, (_, i) => `C${String(100_000 + i * 7).padStart(7, "0")}`);
  return { skus, customers };
}

/** One valid order in the shape of app 3.x or 4.x; the caller breaks it for an invalid kind. */
function order(rng: Rng, cat: Catalog, range: readonly [number, number], m: OrdersMessiness): Record<string, unknown> {
  const v4 = rng.chance(0.35);
  const [store, currency, country, postcodes] = rng.pick(STORES);
  const customer = rng.pick(cat.customers);
  const email = rng.chance(0.05) ? "" : `${customer.toLowerCase()}@${rng.weighted(DOMAINS)}`;
  const at = momentMs(rng, range);
  const items = Array.from(
    {
      length: rng.weighted([
        [1, 50],
        [2, 30],
        [3, 15],
        [4, 5],
      ] as const),
    },
    () => {
      const [sku, cents] = rng.pick(cat.skus);
      const qty = rng.weighted([
        [1, 70],
        [2, 22],
        [3, 8],
      ] as const);
      return { sku, qty, cents, giftWrap: rng.chance(0.05) };
    },
  );
  const subtotal = items.reduce((s, i) => s + i.qty * i.cents, 0);
  const discount = rng.chance(m.junkDiscount)
    ? rng.pick(["N/A", "10%", "-"])
    : rng.chance(0.25)
      ? money(rng, Math.min(subtotal - 1, rng.pick([300, 500, 1000, Math.round(subtotal / 10)])), v4)
      : undefined;
  const fees: Record<string, unknown> = {};
  if (rng.chance(0.9)) fees.delivery = { amount: money(rng, rng.pick([0, 249, 499]), v4), waived: subtotal >= 5000 };
  if (rng.chance(0.6)) fees.service = { amount: money(rng, 99, v4), waived: false, ...(rng.chance(0.3) && { tax: "0.19" }) };
  if (subtotal < 1500 && rng.chance(0.5)) fees.small_order = { amount: money(rng, 150, v4), waived: rng.chance(0.2) };
  const shipping = {
    country: rng.chance(0.05) ? ` ${country.toLowerCase()} ` : country,
    postcode: rng.pick(postcodes),
    ...(rng.chance(0.15) && { instructions: rng.pick(INSTRUCTIONS) }),
  };
  const lines = items.map((i) => ({
    sku: i.sku,
    qty: v4 && rng.chance(0.2) ? String(i.qty) : i.qty,
    unit_price: money(rng, i.cents, v4),
    ...(i.giftWrap && { gift_wrap: true }),
  }));
  const id = `ord_${rng.chars(ALNUM, 12)}`;
  const coupon = rng.chance(0.3) ? rng.pick(COUPONS) : undefined;
  const common = {
    store_id: store,
    channel: rng.weighted(CHANNELS),
    ...(!(v4 && rng.chance(0.2)) && { currency }),
  };
  const rest = {
    subtotal: money(rng, subtotal, v4),
    ...(discount !== undefined && { discount }),
    ...(coupon !== undefined && { coupon }),
    items: lines,
    ...(Object.keys(fees).length > 0 || rng.chance(0.5) ? { fees } : {}),
    shipping,
    app_version: v4 ? `4.${rng.int(0, 3)}.${rng.int(0, 9)}` : `3.${rng.int(8, 9)}.${rng.int(0, 9)}`,
  };
  return v4
    ? {
        orderId: id,
        customer_id: customer,
        ...(email !== "" && { customerEmail: email }),
        ...common,
        createdAt: iso4(at),
        ...rest,
        ...(rng.chance(0.4) && { loyalty_tier: rng.pick(TIERS) }),
        sent_at: iso3(at + rng.int(50, 4000)),
      }
    : {
        order_id: id,
        customer: { id: customer, email },
        ...common,
        placed_at: iso3(at),
        ...rest,
        sent_at: iso3(at + rng.int(50, 4000)),
      };
}

function pickKind<K extends string>(rng: Rng, rates: Readonly<Record<K, number>>, kinds: readonly K[]): K | "clean" {
  const r = rng.next();
  let edge = 0;
  for (const k of kinds) {
    edge += rates[k];
    if (r < edge) return k;
  }
  return "clean";
}

const ORDER_FAULTS = ["exactDuplicate", "retry", "missingId", "malformed", "badTimestamp", "negativeSubtotal", "unknownCurrency"] as const;

/**
 * The orders stream, `[line, kind]` one at a time. Only valid orders are repeated, so every kind
 * has one outcome: duplicates for exactDuplicate and retry, a quarantined record for the rest.
 */
export function* orderLines(opts: OrdersOptions): Generator<readonly [string, OrderLineKind]> {
  const m = { ...DEFAULT_ORDERS_MESSINESS, ...opts.messiness };
  const rng = new Rng(opts.seed);
  const cat = catalog(rng, opts.orders);
  const range = dayRangeMs(opts.days);
  const lines = new Recent<string>(256);
  const sent = new Recent<Record<string, unknown>>(256);
  for (let i = 0; i < opts.orders; i++) {
    let kind: OrderLineKind = pickKind(rng, m, ORDER_FAULTS);
    if (kind === "exactDuplicate") {
      const prev = lines.pick(rng);
      if (prev !== undefined) {
        yield [prev, kind];
        continue;
      }
      kind = "clean";
    }
    if (kind === "retry") {
      const prev = sent.pick(rng);
      if (prev !== undefined) {
        const again = { ...prev, sent_at: iso3(Date.parse(String(prev.sent_at)) + rng.int(1000, 120_000)) };
        const line = JSON.stringify(again);
        lines.add(line);
        yield [line, kind];
        continue;
      }
      kind = "clean";
    }
    const o = order(rng, cat, range, m);
    const time = "placed_at" in o ? "placed_at" : "createdAt";
    if (kind === "missingId") delete o["order_id" in o ? "order_id" : "orderId"];
    if (kind === "badTimestamp") o[time] = rng.pick(["unknown", "2024-13-45T99:00:00Z", "03/06/2024 18:04"]);
    if (kind === "negativeSubtotal") o.subtotal = -Number(o.subtotal);
    if (kind === "unknownCurrency") o.currency = rng.pick(["BTC", "eur", "XXX"]);
    let line = JSON.stringify(o);
    if (kind === "malformed") line = line.slice(0, rng.int(1, line.length - 2));
    if (kind === "clean") {
      lines.add(line);
      sent.add(o);
    }
    yield [line, kind];
  }
}

const CART_FAULTS = ["exactDuplicate", "missingCustomer", "unknownAction", "malformed"] as const;

/** The cart-event stream: clicks of the same customers on the same products as the orders. */
export function* cartEventLines(opts: OrdersOptions): Generator<readonly [string, CartLineKind]> {
  const m = { ...DEFAULT_CART_MESSINESS, ...opts.cartMessiness };
  // Its own stream of numbers, so the orders stay the same whatever the number of events.
  const rng = new Rng(opts.seed ^ 0x5eed);
  const cat = catalog(new Rng(opts.seed), opts.orders);
  const range = dayRangeMs(opts.days);
  const lines = new Recent<string>(256);
  for (let i = 0; i < opts.cartEvents; i++) {
    let kind: CartLineKind = pickKind(rng, m, CART_FAULTS);
    if (kind === "exactDuplicate") {
      const prev = lines.pick(rng);
      if (prev !== undefined) {
        yield [prev, kind];
        continue;
      }
      kind = "clean";
    }
    const action = kind === "unknownAction" ? rng.pick(["wishlist", "VIEW"]) : rng.weighted(ACTIONS);
    const [sku] = rng.pick(cat.skus);
    const customer = rng.pick(cat.customers);
    const qty =
      action === "add_to_cart" || action === "remove_from_cart" ? (rng.chance(m.junkQuantity) ? "two" : rng.int(1, 3)) : undefined;
    const who = kind === "missingCustomer" ? {} : rng.chance(0.3) ? { customer: { id: customer } } : { customer_id: customer };
    const e = {
      type: action,
      ...who,
      session: `s_${rng.chars(ALNUM, 10)}`,
      ...(action !== "checkout" && { sku }),
      ...(qty !== undefined && { qty }),
      ts: momentMs(rng, range),
      page: action === "checkout" ? "/checkout" : `${rng.pick(PAGES)}${action === "view" ? sku.toLowerCase() : ""}`,
    };
    let line = JSON.stringify(e);
    if (kind === "malformed") line = line.slice(0, rng.int(1, line.length - 2));
    if (kind === "clean") lines.add(line);
    yield [line, kind];
  }
}

const text = (lines: Iterable<readonly [string, string]>): string => {
  const out: string[] = [];
  for (const [line] of lines) out.push(line);
  return out.length === 0 ? "" : out.join("\n") + "\n";
};

/** Both streams as text. */
export function generateOrders(opts: OrdersOptions): OrdersExport {
  return { orders: text(orderLines(opts)), cartEvents: text(cartEventLines(opts)) };
}

/**
 * gzip as Firehose writes it. zlib puts no file name and a zero time in the header, so the
 * bytes depend on the text alone: the same seed gives the same `.gz` file.
 */
export function gzipText(s: string): Buffer {
  return gzipSync(Buffer.from(s, "utf8"), { level: 6 });
}

/** What was generated, by kind, per stream. */
export function orderStats(opts: OrdersOptions): { orders: Record<OrderLineKind, number>; cartEvents: Record<CartLineKind, number> } {
  const orders = Object.fromEntries(["clean", ...ORDER_FAULTS].map((k) => [k, 0])) as Record<OrderLineKind, number>;
  const cartEvents = Object.fromEntries(["clean", ...CART_FAULTS].map((k) => [k, 0])) as Record<CartLineKind, number>;
  for (const [, k] of orderLines(opts)) orders[k]++;
  for (const [, k] of cartEventLines(opts)) cartEvents[k]++;
  return { orders, cartEvents };
}
