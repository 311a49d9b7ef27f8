// The synthetic generators: deterministic, shaped like the real exports, messy at the rates
// asked for, and the committed demo sample is exactly what the generator produces.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { amazonReviewTime, amazonReviewLines, generateAmazonReviews, withThousands, writeAmazonReviews } from "../../synthetic/amazon.js";
import { generateOrders, gzipText, orderLines, orderStats } from "../../synthetic/orders.js";
import { generateYelp } from "../../synthetic/yelp.js";
import { cleanFile } from "../support/independent-model.js";
import { CART_RULES, ORDER_RULES } from "../support/independent-orders.js";

export const SAMPLE_PATH = "pipelines/samples/reviews.sample.jsonl";
export const SAMPLE_OPTIONS = { seed: 2018, records: 2000 } as const;

const parse = (l: string): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(l) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};

describe("amazon generator", () => {
  it("is deterministic per seed and differs across seeds", () => {
    const a = generateAmazonReviews({ seed: 7, records: 500 });
    expect(generateAmazonReviews({ seed: 7, records: 500 })).toBe(a);
    expect(generateAmazonReviews({ seed: 8, records: 500 })).not.toBe(a);
    expect(a.split("\n")).toHaveLength(501);
  });

  it("writes lines the way the 2018 export does", () => {
    const text = generateAmazonReviews({ seed: 1, records: 3000 });
    expect(text).toMatch(/^\{"overall": [1-5]\.0, /);
    expect(text).toMatch(/"vote": "\d{1,2},\d{3}"/);
    expect(text).toMatch(/"style": \{"Size:": " [^"]+"/);
    expect(text).toContain('"reviewerName": "Amazon Customer"');
    expect(text).toMatch(/"image": \["https:\/\/images-na[^"]+\.jpg"/);
    expect(text).toMatch(/\\u00e9/);
    expect([...text].every((c) => c.charCodeAt(0) < 128)).toBe(true);
    for (const line of text.trimEnd().split("\n")) {
      const r = parse(line);
      if (r === undefined || typeof r.unixReviewTime !== "number" || r.reviewTime === undefined) continue;
      expect(r.reviewTime).toBe(amazonReviewTime(r.unixReviewTime));
    }
  });

  it("keeps review dates inside a requested range", () => {
    const days = new Set<string>();
    for (const [line] of amazonReviewLines({ seed: 4, records: 2000, dateRange: ["2018-09-28", "2018-09-30"] })) {
      const m = /"reviewTime": "([^"]+)"/.exec(line);
      if (m) days.add(m[1]!);
    }
    expect([...days].sort()).toEqual(["09 28, 2018", "09 29, 2018", "09 30, 2018"]);
    expect(() => generateAmazonReviews({ seed: 1, records: 1, dateRange: ["2018-09-30", "2018-09-28"] })).toThrow(/empty/);
  });

  it("formats review dates and votes like the export", () => {
    expect(amazonReviewTime(1472688000)).toBe("09 1, 2016");
    expect(amazonReviewTime(1384387200)).toBe("11 14, 2013");
    expect(withThousands(1234)).toBe("1,234");
    expect(withThousands(25000)).toBe("25,000");
    expect(withThousands(999)).toBe("999");
  });

  it("produces each kind of mess at about the requested rate, and each kind as described", () => {
    const messiness = { missingKey: 0.02, exactDuplicate: 0.03, keyDuplicate: 0.04, malformed: 0.01, outOfRange: 0.05 };
    const n = 20_000;
    const counts: Record<string, number> = {};
    const seenLines = new Set<string>();
    const seenKeys = new Set<string>();
    for (const [line, kind] of amazonReviewLines({ seed: 3, records: n, messiness })) {
      counts[kind] = (counts[kind] ?? 0) + 1;
      const r = parse(line);
      if (kind === "malformed") expect(r).toBeUndefined();
      else expect(r).toBeDefined();
      const key = r ? `${String(r.reviewerID)}|${String(r.asin)}|${String(r.unixReviewTime)}` : "";
      if (kind === "exactDuplicate") expect(seenLines.has(line)).toBe(true);
      if (kind === "keyDuplicate") expect(seenKeys.has(key) && !seenLines.has(line)).toBe(true);
      if (kind === "missingKey") expect(["reviewerID", "asin", "overall", "unixReviewTime"].some((k) => !(k in r!))).toBe(true);
      if (kind === "outOfRange") expect([0, 6]).toContain(r!.overall);
      if (kind === "clean" || kind === "keyDuplicate") {
        seenLines.add(line);
        seenKeys.add(key);
      }
    }
    for (const [k, rate] of Object.entries(messiness)) expect(Math.abs(counts[k]! / n - rate)).toBeLessThan(rate * 0.25);
  });

  it("streams to a file with the same bytes as the in-memory export", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lakec-synth-"));
    try {
      const file = join(dir, "r.jsonl");
      const opts = { seed: 11, records: 6000 };
      const stats = await writeAmazonReviews(file, opts);
      const text = generateAmazonReviews(opts);
      expect(readFileSync(file, "utf8")).toBe(text);
      expect(stats.bytes).toBe(statSync(file).size);
      expect(stats.lines).toBe(6000);
      expect(stats.clean + stats.exactDuplicates + stats.keyDuplicates + stats.missingKey + stats.malformed + stats.outOfRange).toBe(6000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("streams: writing a 240 MB export never holds more than a fraction of it on the heap", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lakec-synth-"));
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 2);
    try {
      const stats = await writeAmazonReviews(join(dir, "big.jsonl"), { seed: 12, records: 20_000, bodyWords: 2000 });
      expect(stats.bytes).toBeGreaterThan(200e6);
      expect(peak - before).toBeLessThan(stats.bytes / 2);
    } finally {
      clearInterval(sampler);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("the bundled demo sample is the generator's output for its fixed seed", () => {
    const expected = generateAmazonReviews(SAMPLE_OPTIONS);
    if (process.env.LAKEC_UPDATE_GOLDENS === "1") writeFileSync(SAMPLE_PATH, expected);
    expect(readFileSync(SAMPLE_PATH, "utf8")).toBe(expected);
  });
});

describe("yelp generator", () => {
  it("writes both files in the re-serialised 2022 shape", () => {
    const { business, review } = generateYelp({ seed: 5, businesses: 300, reviews: 2000 });
    expect(generateYelp({ seed: 5, businesses: 300, reviews: 2000 }).review).toBe(review);
    const bs = business
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(bs).toHaveLength(300);
    expect(business).toMatch(/"attributes":\{[^}]*"BusinessAcceptsCreditCards":"(True|False|None)"/);
    expect(business).toMatch(/"WiFi":"u'(free|no|paid)'"/);
    expect(business).toMatch(/"categories":"[^"]+, [^"]+"/);
    expect(business).toMatch(/"hours":\{"Monday":"\d+:\d+-\d+:\d+"/);
    expect(business).toMatch(/"hours":null/);
    expect(business).toContain("\\/");
    const ids = new Set(bs.map((b) => b.business_id));
    const rs = review.trimEnd().split("\n").map(parse);
    expect(rs.filter((r) => r === undefined).length).toBeGreaterThan(0);
    for (const r of rs) {
      if (!r) continue;
      expect(ids.has(r.business_id)).toBe(true);
      expect(typeof r.date === "number" && r.date % 1000 === 0 && r.date > 1.1e12).toBe(true);
    }
  });
});

describe("orders generator (pipelines/orders.yaml)", () => {
  const opts = { seed: 9, orders: 3000, cartEvents: 3000 };

  it("is deterministic per seed, text and gzip bytes alike, and differs across seeds", () => {
    const a = generateOrders(opts);
    const b = generateOrders(opts);
    expect(b).toEqual(a);
    expect(gzipText(b.orders).equals(gzipText(a.orders))).toBe(true);
    expect(gunzipSync(gzipText(a.cartEvents)).toString("utf8")).toBe(a.cartEvents);
    expect(generateOrders({ ...opts, seed: 10 }).orders).not.toBe(a.orders);
    expect(a.orders.split("\n")).toHaveLength(3001);
    // The cart events draw their own numbers: asking for more of them leaves the orders as they were.
    expect(generateOrders({ ...opts, cartEvents: 10 }).orders).toBe(a.orders);
  });

  it("writes both app generations' shapes, money as numbers and strings, and maps of objects", () => {
    const { orders, cartEvents } = generateOrders(opts);
    expect(orders).toMatch(/^\{"order_id":"ord_[a-z0-9]{12}","customer":\{"id":"C\d{7}","email":"[^"]*"\}/m);
    expect(orders).toMatch(/^\{"orderId":"ord_[a-z0-9]{12}","customer_id":"C\d{7}"/m);
    expect(orders).toMatch(/"placed_at":"2024-06-0\dT\d\d:\d\d:\d\dZ"/);
    expect(orders).toMatch(/"createdAt":"2024-06-0\d \d\d:\d\d:\d\d\.\d{3}"/);
    expect(orders).toMatch(/"subtotal":"\d+\.\d\d"/);
    expect(orders).toMatch(/"subtotal":\d+(\.\d+)?,/);
    expect(orders).toMatch(/"discount":"(N\/A|10%|-)"/);
    expect(orders).toMatch(/"fees":\{"delivery":\{"amount":[^}]+,"waived":(true|false)\}/);
    expect(orders).toMatch(/"items":\[\{"sku":"SKU-[A-Z0-9]{5}","qty":"?\d"?,"unit_price":/);
    expect(cartEvents).toMatch(/^\{"type":"view","customer_id":"C\d{7}","session":"s_[a-z0-9]{10}","sku":"SKU-/m);
    expect(cartEvents).toMatch(/"customer":\{"id":"C\d{7}"\}/);
    expect(cartEvents).toMatch(/"qty":"two"/);
  });

  it("produces each kind of mess as described, and the pipeline's rules, applied independently, count them exactly", () => {
    const seenLines = new Set<string>();
    const seenIds = new Set<string>();
    const kinds: Record<string, number> = {};
    for (const [line, kind] of orderLines(opts)) {
      kinds[kind] = (kinds[kind] ?? 0) + 1;
      const r = parse(line);
      if (kind === "malformed") expect(r).toBeUndefined();
      else expect(r).toBeDefined();
      const id = r && String(r.order_id ?? r.orderId);
      if (kind === "exactDuplicate") expect(seenLines.has(line)).toBe(true);
      if (kind === "retry") expect(seenIds.has(id!) && !seenLines.has(line)).toBe(true);
      if (kind === "missingId") expect(r!.order_id ?? r!.orderId).toBeUndefined();
      if (kind === "badTimestamp") expect(String(r!.placed_at ?? r!.createdAt)).not.toMatch(/^2024-06-\d\d[T ]\d\d:\d\d:\d\d/);
      if (kind === "negativeSubtotal") expect(Number(r!.subtotal)).toBeLessThan(0);
      if (kind === "unknownCurrency") expect(["EUR", "GBP", "USD"]).not.toContain(r!.currency);
      if (kind === "clean" || kind === "retry") {
        seenLines.add(line);
        seenIds.add(id!);
      }
    }
    const { orders, cartEvents } = generateOrders(opts);
    const o = cleanFile(orders, ORDER_RULES, ["order_id"]);
    expect({ clean: o.clean.length, duplicates: o.duplicates, invalid: o.invalidByReason }).toEqual({
      clean: kinds.clean,
      duplicates: kinds.exactDuplicate! + kinds.retry!,
      invalid: {
        missing_required: kinds.missingId,
        malformed_json: kinds.malformed,
        cast_failed: kinds.badTimestamp,
        out_of_range: kinds.negativeSubtotal,
        not_accepted: kinds.unknownCurrency,
      },
    });
    expect(o.castNulls.discount).toBeGreaterThan(0);
    const stats = orderStats(opts);
    expect(stats.orders).toEqual(kinds);
    const c = cleanFile(cartEvents, CART_RULES, "whole_record");
    expect({ clean: c.clean.length, duplicates: c.duplicates, invalid: c.invalidByReason }).toEqual({
      clean: stats.cartEvents.clean,
      duplicates: stats.cartEvents.exactDuplicate,
      invalid: {
        missing_required: stats.cartEvents.missingCustomer,
        not_accepted: stats.cartEvents.unknownAction,
        malformed_json: stats.cartEvents.malformed,
      },
    });
    expect(c.castNulls.quantity).toBeGreaterThan(0);
  });

  it("produces each kind of order at about the requested rate", () => {
    const messiness = {
      exactDuplicate: 0.04,
      retry: 0.03,
      missingId: 0.02,
      malformed: 0.02,
      badTimestamp: 0.02,
      negativeSubtotal: 0.02,
      unknownCurrency: 0.02,
    };
    const n = 20_000;
    const counts: Record<string, number> = {};
    for (const [, kind] of orderLines({ seed: 3, orders: n, cartEvents: 0, messiness })) counts[kind] = (counts[kind] ?? 0) + 1;
    for (const [k, rate] of Object.entries(messiness)) expect(Math.abs(counts[k]! / n - rate), k).toBeLessThan(rate * 0.25);
  });
});
