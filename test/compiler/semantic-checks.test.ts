// The semantic checks: every code in SEMANTIC_CODES has a golden folder
// test/cases/err-<code>-<slug>/ (compared line by line by test/golden.test.ts), the reference
// pipelines check clean, and diagnostics are complete and exactly placed. Cases run through the
// loader, the schema (which must accept them) and checkSemantics, independent of lowering.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { checkSemantics, SEMANTIC_CODES } from "../../compiler/check/index.js";
import { sortDiagnostics, type Diagnostic } from "../../compiler/diagnostics.js";
import type { PipelineDoc } from "../../compiler/doc.js";
import { parseYaml } from "../../compiler/load.js";
import { checkSchema } from "../../compiler/schema-check.js";
import { REFERENCE_PIPELINES } from "../support/conformance-fixtures.js";

const CASES = join(import.meta.dirname, "..", "cases");

function check(file: string, text: string): Diagnostic[] {
  const parsed = parseYaml(file, text);
  expect(parsed.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  // A case must pass the schema, or the full compiler would stop before the semantic checks.
  expect(checkSchema(file, parsed.value, parsed.locate).map(line)).toEqual([]);
  return sortDiagnostics(checkSemantics(file, parsed.value as PipelineDoc, parsed.locate));
}

const line = (d: Diagnostic): string => `${d.line}:${d.col} ${d.code} ${d.message}`;

const semanticCases = existsSync(CASES)
  ? readdirSync(CASES).filter((n) => /^err-lk[2-4]\d\d-/.test(n) && existsSync(join(CASES, n, "expected-errors.txt")))
  : [];

describe("semantic golden cases", () => {
  // test/golden.test.ts compares each case's diagnostics with expected-errors.txt; here each case
  // must pass the schema and be about its own code, so no code is covered only by accident.
  test.each(semanticCases)("%s reports its own code", (name) => {
    const text = readFileSync(join(CASES, name, "pipeline.yaml"), "utf8");
    const expected = readFileSync(join(CASES, name, "expected-errors.txt"), "utf8");
    const code = name.slice(4, 9).toUpperCase();
    const got = check(`test/cases/${name}/pipeline.yaml`, text);
    expect(
      got.map((d) => d.code),
      `case ${name} must report ${code}`,
    ).toContain(code);
    expect(expected).toMatch(new RegExp(`^\\d+:\\d+ ${code} `, "m"));
  });

  test("docs/language.md lists every semantic code with its rule", () => {
    const docs = readFileSync(join(import.meta.dirname, "..", "..", "docs", "language.md"), "utf8");
    const missing = Object.entries(SEMANTIC_CODES).filter(
      ([c, s]) => !docs.includes(`| \`${c}\` | `) || !docs.includes(s.replace(/^warning: /, "")),
    );
    expect(missing).toEqual([]);
  });

  test("every semantic code has its own case folder", () => {
    const missing = Object.keys(SEMANTIC_CODES).filter((c) => !semanticCases.some((n) => n.startsWith(`err-${c.toLowerCase()}-`)));
    expect(missing).toEqual([]);
  });
});

describe("reference pipelines", () => {
  test.each(REFERENCE_PIPELINES)("%s has no semantic errors or warnings", (file) => {
    const text = readFileSync(join(import.meta.dirname, "..", "..", file), "utf8");
    expect(check(file, text).map(line)).toEqual([]);
  });
});

describe("reporting", () => {
  const base = readFileSync(join(CASES, "err-lk204-unknown-measure-column", "pipeline.yaml"), "utf8").replace("sum(amout)", "sum(amount)");

  test("the base of the cases is itself clean", () => {
    expect(check("base.yaml", base)).toEqual([]);
  });

  test("a pipeline with many mistakes reports every one of them at once", () => {
    const text = base
      .replace("region: eu-west-1", "region: moon-1")
      .replace("key: [order_id]", "key: [order_id, amount]")
      .replace("partition_by: ordered_at", "partition_by: paid")
      .replace('type: "decimal(10,2)", range: [0, null]', 'type: "decimal(10,2)", range: [10, 1], default: "ten"')
      .replace("grain: [customer_id]", "grain: [customer]")
      .replace("sum(amount)", "sum(paid)");
    const got = check("many.yaml", text);
    expect(got.map((d) => `${d.line}:${d.col} ${d.code}`)).toEqual([
      "4:11 LK351",
      "16:21 LK220",
      "21:52 LK303",
      "21:70 LK315",
      "24:19 LK317",
      "28:13 LK204",
      "31:20 LK401",
    ]);
  });

  test("where diagnostics point at the exact column, through nesting and quoting", () => {
    const where = `"(paid = true or amount > 5) and customer_id in ('a', 1) and not amount = 'x'"`;
    const text = base.replace("    grain:", `    where: ${where}\n    grain:`);
    const col = (sub: string, nth = 0): number => {
      let at = -1;
      for (let i = 0; i <= nth; i++) at = where.indexOf(sub, at + 1);
      return "    where: ".length + at + 1;
    };
    expect(check("where.yaml", text).map((d) => `${d.line}:${d.col} ${d.code}`)).toEqual([
      `28:${col("customer_id")} LK407`,
      `28:${col("amount", 1)} LK407`,
    ]);
  });

  test("publish s3:// URLs need a valid bucket; local folders are fine", () => {
    const text = `${base}publish:\n  dbt: s3://Bad_Bucket/dbt/\n  airflow: ./dags\n`;
    expect(check("publish.yaml", text).map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`)).toEqual([
      "33:8 LK350 publish.dbt bucket 'Bad_Bucket' is not a valid S3 bucket name: it may contain only lower-case letters, digits, '.' and '-'",
    ]);
  });

  test.each([
    ["plain", "customer_id = 'a' and amout > 3"],
    ["single-quoted, with '' escapes", "'customer_id = ''a'' and amout > 3'"],
    ["double-quoted, with escapes", "\"customer_id = '\\\\' and amout > 3\""],
  ])("where positions survive %s scalars", (_style, where) => {
    const src = `    where: ${where}`;
    const got = check("w.yaml", base.replace("    grain:", `${src}\n    grain:`));
    expect(got.map((d) => `${d.line}:${d.col} ${d.code}`)).toEqual([`28:${src.indexOf("amout") + 1} LK204`]);
  });

  test("G.025X workers are refused whatever the Glue version; G.8X is fine on Glue 5.0", () => {
    const glue = (g: string): string =>
      base.replace("  processed_bucket: acme-shop-processed\n", `  processed_bucket: acme-shop-processed\n  glue: ${g}\n`);
    expect(check("g.yaml", glue('{ version: "5.0", worker_type: G.025X }')).map((d) => `${d.line}:${d.col} ${d.code}`)).toEqual([
      "7:40 LK355",
    ]);
    expect(check("g.yaml", glue('{ version: "5.0", worker_type: G.8X }'))).toEqual([]);
  });

  test("names the user writes are checked here, the schema defers their pattern", () => {
    const text = base
      .replace("name: shop", "name: Shop")
      .replace("      paid: ", "      Paid-Flag: ")
      .replace("id: order_record_id", `id: ${"x".repeat(64)}`)
      .replace("  customer_sales:", "  customer sales:")
      .replace("      revenue:", "      _revenue:");
    expect(check("names.yaml", text).map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`)).toEqual([
      "2:7 LK201 pipeline name 'Shop' is not a valid name",
      "17:9 LK201 id column 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' is 64 characters long (at most 63)",
      "22:7 LK201 column 'Paid-Flag' is not a valid name",
      "26:3 LK201 mart 'customer sales' is not a valid name",
      "31:7 LK210 measure '_revenue' starts with '_': names starting with '_' are kept for lakec's meta columns (_source_file, _source_line, _ingested_at, _arrival_seq)",
    ]);
  });

  test("a failed join is reported once, not again for every column of that table", () => {
    const text = readFileSync(join(CASES, "err-lk213-unlinked-join", "pipeline.yaml"), "utf8").replace(
      "count(*)",
      "count(customers.email)",
    );
    expect(check("join.yaml", text).map((d) => d.code)).toEqual(["LK213"]);
  });

  test("yelp.yaml mistakes are found across joined tables", () => {
    const yelp = readFileSync(join(import.meta.dirname, "..", "..", "pipelines", "yelp.yaml"), "utf8");
    const text = yelp
      .replace("avg(review.stars)", "avg(review.starz)")
      .replace("grain: [state]", "grain: [stat]")
      .replace("sum(useful)", "sum(business_id)");
    const got = check("yelp.yaml", text);
    expect(got.map((d) => `${d.code} ${d.message} / ${d.hint}`)).toEqual([
      "LK204 unknown column 'starz' of table 'review' in measure avg(review.starz) / did you mean 'stars'?",
      "LK214 column 'business_id' in measure sum(business_id) is ambiguous: it is in 3 tables / qualify it as review.business_id or business.business_id or business_categories.business_id",
      "LK204 unknown column 'stat' in the grain of mart 'open_businesses_by_state' / did you mean 'state'?",
    ]);
  });
});
