// `lakec init --from`: what it infers from a synthetic sample, and that its draft validates,
// also for the real data sets in ../shared/data when they are present (never copied here).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { main } from "../../cli/main.js";
import { compilePipeline } from "../../compiler/index.js";
import { DATA_DIR, shared } from "../support/shared-data.js";

const dir = mkdtempSync(join(tmpdir(), "lakec-init-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function init(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["init", ...argv], { out: (t) => void (out += t), err: (t) => void (err += t), cwd: dir });
  return { code, out, err };
}

function expectValid(file: string, text: string): void {
  const result = compilePipeline(file, text);
  expect(result.diagnostics.map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`)).toEqual([]);
  expect(result.ir).toBeDefined();
}

function order(i: number): Record<string, unknown> {
  return {
    orderId: `o-${i}`,
    customerID: `c-${i % 7}`,
    createdAt: 1_700_000_000_000 + i * 60_000,
    orderDate: `2024-03-${String(1 + (i % 28)).padStart(2, "0")}`,
    shippedAt: `2024-03-01T10:${String(i % 60).padStart(2, "0")}:00Z`,
    total: i % 2 === 0 ? "12.50" : "7.25",
    quantity: i,
    paid: i % 3 !== 0,
    giftWrap: i % 2 === 0 ? "True" : "False",
    notes: i % 5 === 0 ? null : `note ${i}`,
    address: { City: "Lyon", "Postal Code": i % 2 === 0 ? "69001" : "01000", floor: String(i % 4) },
    tags: ["a", "b"].slice(0, i % 3),
    class: "standard",
    labels: i % 10 === 0 ? "gift" : "gift, fragile, express",
    comment: i % 10 === 0 ? "late, but fine" : "ok",
    lines: [{ sku: `s${i}`, qty: 1 }],
  };
}

describe("lakec init on a synthetic sample", () => {
  const sample = join(dir, "orders.jsonl");
  // Written as text so `total` keeps its two decimals in one field and JSON numbers elsewhere.
  writeFileSync(
    sample,
    `${Array.from({ length: 40 }, (_, i) => JSON.stringify(order(i)).replace(/"total":"([\d.]+)"/, '"total":$1')).join("\n")}\n`,
  );

  test("infers types, flattening, a key and names, and the draft validates", async () => {
    const r = await init("--from", "orders.jsonl", "--name", "shop", "--out", "shop.yaml");
    expect(r.code).toBe(0);
    const text = readFileSync(join(dir, "shop.yaml"), "utf8");
    expectValid("shop.yaml", text);
    expect(text).toContain("name: shop\n");
    expect(text).toContain("    key: [order_id]   # unique in the sample\n");
    expect(text).toContain("\n    format: jsonl\n");
    expect(text).toContain("      order_id: { from: orderId, type: string, required: true }\n");
    expect(text).toContain("      customer_id: { from: customerID, type: string }\n");
    expect(text).toContain("      created_at: { from: createdAt, type: timestamp, unit: milliseconds }\n");
    expect(text).toContain("      order_date: { from: orderDate, type: date }\n");
    expect(text).toContain("      shipped_at: { from: shippedAt, type: timestamp }\n");
    expect(text).toContain('      total: { type: "decimal(6,2)" }\n');
    expect(text).toContain("      gift_wrap: { from: giftWrap, type: boolean }\n");
    expect(text).toContain('      tags: { type: "array<string>" }\n');
    // `class` is a reserved word in Python: it is qualified with the source name.
    expect(text).toContain("      order_class: { from: class, type: string }\n");
    // Leading zeros make a text an identifier, not a number.
    expect(text).toContain('          "Postal Code": postal_code\n');
    expect(text).toContain("          floor: { name: floor, type: integer }\n");
    expect(text).toMatch(/ {6}tags:\n {8}into: table[^\n]*\n {8}table: orders_tags\n/);
    expect(text).toContain("    partition_by: order_date\n");
    // A comma-separated list becomes an array split into a child table; free text does not.
    expect(text).toContain('      labels: { type: "array<string>", split: "," }\n');
    expect(text).toMatch(/ {6}labels:\n {8}into: table[^\n]*\n {8}table: orders_labels\n/);
    expect(text).toContain("      comment: { type: string }\n");
    expect(text).toMatch(
      / {6}lines:\n {8}into: table[^\n]*\n {8}# its elements are objects or lists: each value is kept as JSON text\n {8}table: orders_lines\n/,
    );
    expect(text).toContain("# PLACEHOLDER: your AWS region and bucket names.");
  });

  test("prints to standard output without --out, and reads a JSON array", async () => {
    writeFileSync(join(dir, "array.json"), JSON.stringify([order(1), order(2)]));
    const r = await init("--from", "array.json");
    expect(r.code).toBe(0);
    // `array` is reserved in DuckDB: the source (and by default the pipeline) gets a qualified name.
    expect(r.out).toContain("name: source_array\n");
    expect(r.out).toContain("\n  source_array:\n");
    // The pipeline reads such files as one document, not line by line.
    expect(r.out).toContain("\n    format: json\n");
    expectValid("array.yaml", r.out);
  });

  /** Writes `records` as a JSON Lines file, drafts a pipeline from it, and checks the draft validates. */
  async function draftFrom(file: string, name: string, records: readonly object[]): Promise<string> {
    writeFileSync(join(dir, file), `${records.map((r) => JSON.stringify(r)).join("\n")}\n`);
    const r = await init("--from", file, "--name", name);
    expect(r.code).toBe(0);
    expectValid(`${name}.yaml`, r.out);
    return r.out;
  }

  test('takes dates written as text with a comma ("09 4, 2015") as dates, not as lists split on the comma', async () => {
    const out = await draftFrom(
      "review-times.jsonl",
      "review_times",
      Array.from({ length: 20 }, (_, i) => ({
        reviewerID: `r${i}`,
        reviewTime: `${String(1 + (i % 12)).padStart(2, "0")} ${1 + (i % 28)}, 2015`,
      })),
    );
    expect(out).toMatch(/review_time: \{ from: reviewTime, type: date, format: "%m %d, %Y"/);
    expect(out).not.toContain("split");
  });

  test("chooses the whole-record key when no id-like key is unique in the sample (tips: two by one user, one business, one day)", async () => {
    const out = await draftFrom(
      "tips.jsonl",
      "tips",
      Array.from({ length: 30 }, (_, i) => ({
        user_id: `u${i % 5}`,
        business_id: `b${i % 5}`,
        text: `tip ${i}`,
        date: "2016-03-05 10:00:00",
      })),
    );
    expect(out).toMatch(
      /\n {4}key: whole_record {3}# no field combination is unique in the sample \(\[[a-z_, ]+\] repeats in 25 of 30 records\)/,
    );
    expect(out).not.toContain("required: true");
  });

  test("reads a small file whole: a key that repeats only after record 5,000 is not taken as unique", async () => {
    const out = await draftFrom(
      "events.jsonl",
      "events",
      Array.from({ length: 6000 }, (_, i) => ({ event_id: `e${i < 5500 ? i : i - 5500}`, value: i })),
    );
    expect(out).toContain("[event_id] repeats in 500 of 6000 records");
  });

  test("keeps child-table names short for a source named after a long file name", async () => {
    const out = await draftFrom(
      "yelp_academic_dataset_business.jsonl",
      "yelp",
      Array.from({ length: 5 }, (_, i) => ({ business_id: `b${i}`, categories: ["Food", "Bars"] })),
    );
    expect(out).toContain("        table: business_categories\n");
  });

  test("reads CRLF lines after a byte-order mark", async () => {
    writeFileSync(join(dir, "windows.jsonl"), `\uFEFF${[order(1), order(2), order(3)].map((o) => JSON.stringify(o)).join("\r\n")}\r\n`);
    const r = await init("--from", "windows.jsonl");
    expect(r).toMatchObject({ code: 0, err: "" });
    expect(r.out).toContain("    key: [order_id]   # unique in the sample\n");
  });

  test("refuses to overwrite without --force", async () => {
    writeFileSync(join(dir, "exists.yaml"), "mine\n");
    const r = await init("--from", "orders.jsonl", "--out", "exists.yaml");
    expect(r).toMatchObject({ code: 2, err: "lakec: exists.yaml already exists; pass --force to replace it\n" });
    expect(readFileSync(join(dir, "exists.yaml"), "utf8")).toBe("mine\n");
  });

  test("a sample without JSON objects is a usage error", async () => {
    writeFileSync(join(dir, "junk.txt"), "not json\n[1, 2]\n");
    const r = await init("--from", "junk.txt");
    expect(r.code).toBe(2);
    expect(r.err).toBe("lakec: junk.txt holds no JSON objects (expected JSON Lines or a JSON array of objects)\n");
  });

  test("a bad --name is a usage error", async () => {
    const r = await init("--from", "orders.jsonl", "--name", "My Shop");
    expect(r.code).toBe(2);
    expect(r.err).toContain("is not a valid name");
  });
});

describe("lakec init on the shared data sets", () => {
  const samples = [
    "amazon2018_all_beauty/All_Beauty_5.json",
    "yelp_2022/yelp_academic_dataset_business.json",
    "yelp_2022/yelp_academic_dataset_review.json",
    "yelp_2022_origfmt_1k/yelp_academic_dataset_business.json",
  ];
  for (const sample of samples) {
    const path = join(DATA_DIR, sample);
    const data = shared(path);
    test.skipIf(!data.present)(
      `${sample} gives a draft that validates${data.skipNote}`,
      async () => {
        const out = join(dir, `${sample.replace(/\W/g, "_")}.yaml`);
        const r = await init("--from", path, "--out", out);
        expect(r.code, r.err).toBe(0);
        expectValid(out, readFileSync(out, "utf8"));
      },
      30_000,
    );
  }
});
