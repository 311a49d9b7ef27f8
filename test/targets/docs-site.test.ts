// The docs site target as a pure function: every source, column, table and mart of the reference
// pipelines is on its page with its rules, tests and names; user text is escaped; nothing is
// loaded from the network; output is deterministic. test/cli/docs-browser.test.ts renders it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { compilePipeline } from "../../compiler/index.js";
import type { PipelineIR } from "../../compiler/ir.js";
import { typeToString } from "../../compiler/ir.js";
import { artifactsOf, layoutAssets } from "../../cli/docs.js";
import { emitDocsSite, esc, scriptJson, type DocsInput } from "../../targets/docs-site/index.js";
import { highlightLines, languageOf, tokenize } from "../../targets/docs-site/highlight.js";
import { columnRules } from "../../targets/docs-site/rules.js";
import { referenceIr, ROOT } from "../support/docs-fixtures.js";

const irs = [referenceIr("reviews"), referenceIr("yelp")];
const input: DocsInput = { pipelines: irs.map((ir) => ({ ir, artifacts: artifactsOf(ir) })), assets: layoutAssets() };
const files = new Map(emitDocsSite(input).map((f) => [f.path, f.contents]));
const page = (path: string): string => {
  const html = files.get(path);
  if (html === undefined) throw new Error(`no page ${path}`);
  return html;
};

describe("docs site content", () => {
  test.each(irs.map((ir) => [ir.name, ir] as const))("%s: every source, table and mart has a page listing all its columns", (_name, ir) => {
    const index = page("index.html");
    for (const s of ir.sources) {
      const html = page(`p/${ir.name}/source-${s.name}.html`);
      expect(index).toContain(`>${s.name}</a>`);
      expect(html).toContain(esc(`s3://${ir.aws.rawBucket}/${s.prefix}`));
      for (const k of s.key) expect(html).toContain(`<code>${k}</code>`);
      expect(html).toContain(`<code>${s.idColumn}</code>`);
      for (const c of s.columns) {
        expect(html).toContain(`<td><code>${c.name}</code></td>`);
        expect(html).toContain(esc(typeToString(c.type)));
      }
    }
    for (const t of ir.tables) {
      const html = page(`p/${ir.name}/table-${t.name}.html`);
      expect(index).toContain(`>${t.name}</a>`);
      for (const c of t.columns) expect(html).toContain(`<td><code>${c.name}</code></td>`);
      expect(html).toContain(
        esc(`"${ir.snowflake.database.toUpperCase()}"."${ir.snowflake.schema.toUpperCase()}"."${t.name.toUpperCase()}"`),
      );
      expect(html).toContain(`stg_${ir.name}__${t.name}`);
    }
    for (const m of ir.marts) {
      const html = page(`p/${ir.name}/mart-${m.name}.html`);
      expect(index).toContain(`>${m.name}</a>`);
      for (const c of m.columns) expect(html).toContain(`<td><code>${c.name}</code></td>`);
      for (const x of m.measures) expect(html).toContain(esc(x.text));
      if (m.whereText) expect(html).toContain(esc(m.whereText));
    }
  });

  test("cleaning rules are read back from the IR's expressions, in the order they apply", () => {
    const [reviews, yelp] = irs as [PipelineIR, PipelineIR];
    const rules = (ir: PipelineIR, source: string, col: string) => {
      const s = ir.sources.find((x) => x.name === source)!;
      return columnRules(
        s,
        s.columns.find((c) => c.name === col)!,
      ).map((r) => `${r.name} ${r.value}`);
    };
    expect(rules(reviews, "product_reviews", "reviewer_name")).toEqual(["trim true", 'null_if ["", "Amazon Customer"]']);
    expect(rules(reviews, "product_reviews", "rating")).toEqual(["type must parse as decimal(2,1)", "required true", "range [1, 5]"]);
    expect(rules(reviews, "product_reviews", "helpful_votes")).toEqual(['strip ","', "default 0", "type must parse as integer"]);
    expect(rules(reviews, "product_reviews", "review_date")).toEqual(['format "%m %d, %Y"', "type must parse as date"]);
    expect(rules(reviews, "product_reviews", "reviewed_at")).toEqual(["unit seconds", "type must parse as timestamp", "required true"]);
    expect(rules(yelp, "business", "attributes_wifi")).toEqual([
      'strip "u\'"',
      'null_if ["None"]',
      'accepted_values ["free", "no", "paid"]',
    ]);
    expect(rules(yelp, "business", "review_count")).toEqual(["default 0", "type must parse as integer", "range [0, null]"]);
    expect(rules(yelp, "business", "categories")).toEqual(['split ","']);
    const html = page("p/reviews/source-product_reviews.html");
    expect(html).toContain(`<b>null_if</b> ${esc('["", "Amazon Customer"]')}`);
    expect(html).toContain("<h2>Flatten rules</h2>");
  });

  test("table and mart pages show the dbt tests the generated YAML declares", () => {
    const t = page("p/reviews/table-product_reviews.html");
    expect(t).toMatch(/<td><code>review_id<\/code><\/td>.*<span class="chip test">not_null<\/span> <span class="chip test">unique<\/span>/);
    const child = page("p/reviews/table-product_review_images.html");
    expect(child).toContain("unique (cast(review_id as varchar) || &#39;|&#39; || cast(position as varchar))");
    const review = page("p/yelp/table-review.html");
    expect(review).toContain(esc("relationships → ref('stg_yelp__business').business_id (warn)"));
    expect(page("p/yelp/mart-business_ratings.html")).toContain('<span class="chip test">unique</span>');
  });

  test("every generated file has a highlighted page, and object pages link to the line that names them", () => {
    for (const ir of irs) {
      for (const a of artifactsOf(ir)) expect(files.has(`p/${ir.name}/a/${a.path}.html`), a.path).toBe(!a.path.endsWith("/ir/ir.json"));
    }
    const mart = page("p/reviews/mart-product_daily_ratings.html");
    // The model's SQL never names itself: it is linked because it is named for the mart.
    expect(mart).toContain('href="a/dbt/models/marts/reviews/product_daily_ratings.sql.html#L1"');
    const yml = readFileSync(join(ROOT, "dbt/models/marts/reviews/_models.yml"), "utf8");
    const line = yml.split("\n").findIndex((l) => /\bproduct_daily_ratings\b/.test(l)) + 1;
    expect(mart).toContain(`href="a/dbt/models/marts/reviews/_models.yml.html#L${line}"`);
    const table = page("p/reviews/table-product_reviews.html");
    expect(table).toContain('href="a/dbt/models/staging/reviews/stg_reviews__product_reviews.sql.html#L1"');
    const ddl3 = readFileSync(join(ROOT, "generated/reviews/snowflake/03_external_tables.sql"), "utf8");
    const ddlLine = ddl3.split("\n").findIndex((l) => /"PRODUCT_REVIEWS"/.test(l)) + 1;
    expect(table).toContain(`href="a/generated/reviews/snowflake/03_external_tables.sql.html#L${ddlLine}"`);
    const ddl = page("p/reviews/a/generated/reviews/snowflake/03_external_tables.sql.html");
    expect(ddl).toContain('<span class="kw">CREATE</span>');
    expect(ddl).toMatch(/<span class="line" id="L5">/);
  });

  test("nothing is loaded from the network: every src and href is relative", () => {
    for (const [path, html] of files) {
      if (!path.endsWith(".html")) continue;
      for (const m of html.matchAll(/\b(?:src|href)="([^"]*)"/g)) expect(m[1], `${path}: ${m[1]}`).not.toMatch(/^(?:[a-z]+:)?\/\//i);
    }
    expect(files.get("assets/dagre.min.js")).not.toMatch(/sourceMappingURL/);
    expect(files.get("assets/dagre.min.js")).toContain("Copyright (c) 2012-2014 Chris Pettitt");
  });

  test("the same input gives byte-identical output", () => {
    const again = emitDocsSite(input);
    expect(again.map((f) => [f.path, f.contents])).toEqual([...files]);
  });
});

describe("local lake stats", () => {
  const lake = (freshness: Record<string, string>): DocsInput["lake"] => ({
    dir: ".lake",
    readAt: "2026-12-04T12:00:00.000Z",
    pipelines: {
      reviews: {
        files: [
          {
            rawKey: "reviews/a.jsonl",
            source: "product_reviews",
            status: "ok",
            bytes: 10,
            recordsIn: 10,
            clean: 7,
            quarantined: 2,
            droppedInvalid: 0,
            duplicates: 1,
            byReason: { out_of_range: 2 },
            rowsWritten: {},
          },
          {
            rawKey: "reviews/b.jsonl",
            source: "product_reviews",
            status: "ok",
            bytes: 10,
            recordsIn: 10,
            clean: 7,
            quarantined: 2,
            droppedInvalid: 0,
            duplicates: 0,
            byReason: { out_of_range: 2 },
            rowsWritten: {},
          },
        ],
        rows: { product_reviews: 14, product_daily_ratings: 3 },
        freshness,
        samples: {
          product_reviews: [
            { rawKey: "reviews/a.jsonl", line: 4, reason: "out_of_range", detail: "rating", record: '{"overall": 9, "x": "</script>"}' },
          ],
        },
        notes: [],
      },
    },
  });

  test("reconciliation per raw file, reasons, samples, rows, and freshness judged by the dbt source's thresholds", () => {
    const reviews = irs[0]!;
    const site = new Map(
      emitDocsSite({
        ...input,
        pipelines: [input.pipelines[0]!],
        lake: lake({ product_reviews: "2026-12-03T10:00:00Z", product_review_images: "2026-12-04T11:00:00Z" }),
      }).map((f) => [f.path, f.contents]),
    );
    const html = site.get("p/reviews/lake.html")!;
    expect(reviews.name).toBe("reviews");
    expect(html).toMatch(/<td><code>reviews\/a\.jsonl<\/code><\/td>.*<span class="good">✓<\/span>/);
    expect(html).toMatch(/<td><code>reviews\/b\.jsonl<\/code><\/td>.*<span class="bad">✗<\/span>/);
    expect(html).toContain('<span class="bad">1 do not reconcile or failed</span>');
    expect(html).toContain("<td><code>out_of_range</code></td><td>4</td>");
    expect(html).toContain(esc('{"overall": 9, "x": "</script>"}'));
    expect(site.get("p/reviews/table-product_reviews.html")).toContain(
      '2026-12-03T10:00:00Z, 26 h old when read: dbt source freshness <span class="bad">warn</span> (warn after 24 hour, error after 48 hour)',
    );
    expect(site.get("p/reviews/table-product_review_images.html")).toContain(
      '60 min old when read: dbt source freshness <span class="good">pass</span>',
    );
    expect(site.get("p/reviews/mart-product_daily_ratings.html")).toMatch(/rows in the local lake<\/dt><dd>3<\/dd>/);
    const stale = new Map(
      emitDocsSite({ ...input, pipelines: [input.pipelines[0]!], lake: lake({ product_reviews: "2026-11-30T12:00:00Z" }) }).map((f) => [
        f.path,
        f.contents,
      ]),
    );
    expect(stale.get("p/reviews/table-product_reviews.html")).toContain(
      '4 days old when read: dbt source freshness <span class="bad">error</span>',
    );
  });
});

describe("escaping", () => {
  test("scriptJson cannot close its script element and parses back to the same value", () => {
    const value = { a: "</script><script>alert(1)</script>", b: "<!-- x -->", c: "\u2028&\u2029" };
    const text = scriptJson(value);
    expect(text).not.toMatch(/[<>]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  test("user text in a pipeline reaches the pages escaped", () => {
    const yaml = readFileSync(join(ROOT, "pipelines/reviews.yaml"), "utf8")
      .replace(
        "description: Storefront product reviews, cleaned, flattened and modelled for BI.",
        'description: "</script><script>window.__pwned=1</script><img src=x onerror=alert(1)>"',
      )
      .replace("description: Rating trend per product and day.", 'description: "\'><svg onload=alert(2)>"')
      .replace('null_if: ["", "Amazon Customer"]', 'null_if: ["", "</script><b>x"]');
    const ir = compilePipeline("pipelines/hostile.yaml", yaml).ir!;
    const site = emitDocsSite({ pipelines: [{ ir, artifacts: artifactsOf(ir) }], assets: layoutAssets() });
    for (const f of site.filter((x) => x.path.endsWith(".html"))) {
      expect(f.contents, f.path).not.toContain("<script>window.__pwned");
      expect(f.contents, f.path).not.toContain("<img src=x");
      expect(f.contents, f.path).not.toContain("<svg onload");
      expect(f.contents, f.path).not.toContain("</script><b>");
    }
    expect(site.find((f) => f.path === "index.html")!.contents).toContain("&lt;/script&gt;&lt;script&gt;window.__pwned=1&lt;/script&gt;");
  });
});

describe("highlighter", () => {
  test("tokens give back the text exactly, for every generated file", () => {
    for (const ir of irs) {
      for (const a of artifactsOf(ir)) {
        const lang = languageOf(a.path);
        expect(
          tokenize(a.contents, lang)
            .map((t) => t.text)
            .join(""),
          a.path,
        ).toBe(a.contents);
        expect(highlightLines(a.contents, lang).length, a.path).toBe(a.contents.replace(/\n$/, "").split("\n").length);
      }
    }
  });

  test("classifies keywords, strings, comments, Jinja and YAML keys", () => {
    const cls = (text: string, lang: Parameters<typeof tokenize>[1]) =>
      tokenize(text, lang)
        .filter((t) => t.cls)
        .map((t) => `${t.cls}:${t.text}`);
    expect(cls("select 'a''b' -- note\n{{ ref('x') }}", "sql")).toEqual(["kw:select", "str:'a''b'", "com:-- note", "tpl:{{ ref('x') }}"]);
    expect(cls('def f():\n    return """doc"""  # c', "python")).toEqual(["kw:def", "kw:return", 'str:"""doc"""', "com:# c"]);
    expect(cls("key: 'v' # c\n- name: x", "yaml")).toEqual(["key:key", "str:'v'", "com:# c", "key:- name"]);
    expect(cls('{"a": 1, "b": "c"}', "json")).toEqual(['key:"a"', "num:1", 'key:"b"', 'str:"c"']);
    expect(highlightLines("x = '<b>'", "python")).toEqual(['x = <span class="str">&#39;&lt;b&gt;&#39;</span>']);
  });
});
