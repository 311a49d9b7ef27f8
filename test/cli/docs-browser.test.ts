// The docs site in a real browser (Debian's headless Chromium, driven by playwright-core): every
// source, column, table and mart of the reference pipelines is in the DOM, the lineage SVG is
// drawn with one node per column, a click highlights exactly a column's path, local lake stats
// render, hostile text stays text, and nothing but the site's own files is requested.
// Screenshots go to test/output/docs-site/ (not committed).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { lakecIn, referenceIr, ROOT } from "../support/docs-fixtures.js";
import { syntheticPipeline } from "../../bench/compile.js";
import { DRAW_ALL_UP_TO } from "../../targets/docs-site/site-model.js";

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = join(ROOT, "test", "output", "docs-site");
const HAVE_CHROMIUM = existsSync(CHROMIUM);
// Flags that work on a machine with a closed network (see .ci/run): no background requests at all.
const FLAGS = [
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let browser: Browser;
let work = "";
let site = "";

/** Opens a page of the site; fails the test on a script error or any request outside the site. */
async function open(path: string, root = site): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => void (m.type() === "error" && problems.push(`console error: ${m.text()}`)));
  page.on("request", (r) => void (!r.url().startsWith(pathToFileURL(root).href) && problems.push(`request outside the site: ${r.url()}`)));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  await page.goto(pathToFileURL(join(root, path)).href, { waitUntil: "load" });
  (page as Page & { problems: string[] }).problems = problems;
  return page;
}

const problemsOf = (page: Page): string[] => (page as Page & { problems: string[] }).problems;

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

const nodeLabels = (page: Page, selector: string): Promise<string[]> => page.$$eval(selector, (els) => els.map((e) => e.textContent ?? ""));

describe.skipIf(!HAVE_CHROMIUM)(
  `docs site in headless Chromium (skipped: no ${CHROMIUM}; npm test installs Debian's chromium when run as root, else apt-get install chromium)`,
  () => {
    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), "lakec-docs-browser-"));
      site = join(work, "site");
      const lake = join(work, "lake");
      const run = await lakecIn(ROOT, "run", "pipelines/reviews.yaml", "--demo", "--lake", lake);
      expect(run.code, run.err).toBe(0);
      const r = await lakecIn(ROOT, "docs", "pipelines/reviews.yaml", "pipelines/yelp.yaml", "--out", site, "--lake", lake);
      expect(r.code, r.err).toBe(0);
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, chromiumSandbox: false, args: FLAGS });
    });
    afterAll(async () => {
      await browser?.close();
      rmSync(work, { recursive: true, force: true });
    });

    test.each(["reviews", "yelp"])("%s: every source, table and mart page shows all its columns and draws its lineage", async (name) => {
      const ir = referenceIr(name);
      const index = await open("index.html");
      const listed = await nodeLabels(index, "table.objects td a");
      for (const n of [...ir.sources, ...ir.tables, ...ir.marts].map((x) => x.name)) expect(listed).toContain(n);
      await index.close();
      const pages = [
        ...ir.sources.map((s) => ({ path: `source-${s.name}`, columns: s.columns.map((c) => c.name) })),
        ...ir.tables.map((t) => ({ path: `table-${t.name}`, columns: t.columns.map((c) => c.name) })),
        ...ir.marts.map((m) => ({ path: `mart-${m.name}`, columns: m.columns.map((c) => c.name) })),
      ];
      for (const p of pages) {
        const page = await open(`p/${name}/${p.path}.html`);
        const columns = await nodeLabels(page, "table.columns tbody td:first-child code");
        expect(columns, p.path).toEqual(p.columns);
        await page.waitForSelector("#lineage svg.lineage-svg g.node");
        const expected = Number(await page.getAttribute("#lineage", "data-nodes"));
        expect(await page.locator("#lineage g.node").count(), p.path).toBe(expected);
        expect(await page.locator("#lineage path.edge").count(), p.path).toBeGreaterThan(0);
        expect(problemsOf(page), p.path).toEqual([]);
        await page.close();
      }
    });

    test("clicking a raw path highlights its whole path, and only it; clicking a column row does the same", async () => {
      const page = await open("p/reviews/source-product_reviews.html");
      await page.waitForSelector("#lineage g.node");
      await page.locator("#lineage g.node", { hasText: "$.overall" }).click();
      const lit = await nodeLabels(page, "#lineage g.node.hl text");
      // $.overall → product_reviews.rating → avg_rating of both marts that average it.
      expect(lit.sort()).toEqual(["$.overall", "avg_rating", "avg_rating", "rating"]);
      expect(await page.locator("#lineage path.edge.hl").count()).toBe(3);
      expect(await page.locator("svg.lineage-svg.has-selection").count()).toBe(1);
      expect(await nodeLabels(page, "table.columns tr.hl td:first-child code")).toEqual(["rating"]);
      await shot(page, "source-click-overall");
      await page.locator("table.columns tr", { hasText: "$.reviewerID" }).locator("td").first().click();
      expect((await nodeLabels(page, "#lineage g.node.hl text")).sort()).toEqual(
        [
          "$.reviewerID",
          "reviewer_id",
          "reviewer_id",
          "reviewer_id",
          "review_id",
          "review_id",
          "reviews",
          "reviews",
          "reviews_with_images",
          "images",
        ].sort(),
      );
      await page.locator("#lineage svg").click({ position: { x: 2, y: 2 } });
      expect(await page.locator("#lineage g.node.hl").count()).toBe(0);
      await page.locator("#lineage g.node", { hasText: "$.summary" }).focus();
      await page.keyboard.press("Enter");
      expect((await nodeLabels(page, "#lineage g.node.hl text")).sort()).toEqual(["$.summary", "title"]);
      expect(problemsOf(page)).toEqual([]);
      await page.close();
    });

    test("the pipeline lineage page draws every column, and a scope draws one object's path", async () => {
      const page = await open("p/yelp/lineage.html");
      await page.waitForSelector("#lineage g.node");
      const total = Number(await page.getAttribute("#lineage", "data-nodes"));
      expect(await page.locator("#lineage g.node").count()).toBe(total);
      await shot(page, "yelp-lineage");
      await page.selectOption("#lineage-scope", { label: "mart open_businesses_by_state" });
      const scoped = await nodeLabels(page, "#lineage g.node text");
      expect(scoped).toContain("accepting_credit_cards");
      expect(scoped).toContain("$.attributes.BusinessAcceptsCreditCards");
      expect(scoped).not.toContain("$.text");
      expect(scoped.length).toBeLessThan(total);
      expect(problemsOf(page)).toEqual([]);
      await page.close();
    });

    test("a graph above DRAW_ALL_UP_TO columns waits to be asked, and one picked source draws at once", async () => {
      writeFileSync(join(work, "big.yaml"), syntheticPipeline(12));
      const r = await lakecIn(work, "docs", "big.yaml", "--out", "big-site");
      expect(r.code, r.err).toBe(0);
      const root = join(work, "big-site");
      const page = await open("p/bench/lineage.html", root);
      const total = Number(await page.getAttribute("#lineage", "data-nodes"));
      expect(total).toBeGreaterThan(DRAW_ALL_UP_TO);
      await page.waitForSelector("#lineage button");
      expect(await page.locator("#lineage g.node").count()).toBe(0);
      await page.selectOption("#lineage-scope", { label: "source s003_reviews" });
      const drawn = await nodeLabels(page, "#lineage g.node text");
      expect(drawn).toContain("$.reviewerID");
      expect(drawn.length).toBeLessThan(total / 6);
      expect(problemsOf(page)).toEqual([]);
      await page.close();
    });

    test("the lake page shows each raw file's reconciliation and quarantine samples from the run", async () => {
      const page = await open("p/reviews/lake.html");
      const cells = await nodeLabels(page, "table.files tbody tr:first-child td");
      expect(cells[0]).toBe("reviews/demo-reviews.jsonl");
      const [recordsIn, clean, quarantined, dropped, duplicates] = cells.slice(3, 8).map((c) => Number(c.replace(/,/g, "")));
      expect(recordsIn).toBe(clean! + quarantined! + dropped! + duplicates!);
      expect(quarantined).toBeGreaterThan(0);
      expect(cells[8]).toBe("✓");
      expect(await page.locator("table.samples tbody tr").count()).toBeGreaterThan(0);
      const tableRows = await page.locator("table.grid tr", { hasText: "product_daily_ratings" }).locator("td").nth(2).textContent();
      expect(Number((tableRows ?? "").replace(/,/g, ""))).toBeGreaterThan(0);
      await shot(page, "reviews-lake");
      expect(problemsOf(page)).toEqual([]);
      await page.close();
    });

    test("generated files are highlighted, and the object's link lands on its line", async () => {
      const mart = await open("p/reviews/table-product_reviews.html");
      await mart.locator("ul.artifacts a", { hasText: "03_external_tables.sql" }).click();
      await mart.waitForLoadState("load");
      expect(mart.url()).toMatch(/03_external_tables\.sql\.html#L\d+$/);
      const target = await mart.locator(".line:target").textContent();
      expect(target).toMatch(/"PRODUCT_REVIEWS"/);
      expect(await mart.locator("pre.code span.kw").count()).toBeGreaterThan(10);
      await shot(mart, "artifact-external-tables");
      expect(problemsOf(mart)).toEqual([]);
      await mart.close();
      const index = await open("index.html");
      await index.fill("#filter", "rating trend");
      expect(await nodeLabels(index, "table.objects tbody tr:not([hidden]) td:nth-child(3)")).toEqual(["product_daily_ratings"]);
      await shot(index, "index-filtered");
      await index.close();
    });

    test("hostile names and descriptions stay text in the browser", async () => {
      const yaml = readFileSync(join(ROOT, "pipelines/reviews.yaml"), "utf8")
        .replace(
          "description: Storefront product reviews, cleaned, flattened and modelled for BI.",
          'description: "</script><script>window.__pwned=1</script><img src=x onerror=window.__pwned=2>"',
        )
        .replace("description: Rating trend per product and day.", 'description: "\'><svg onload=window.__pwned=3>"')
        .replace("{ from: overall,", '{ from: "</script><b id=pwn>x</b>",');
      mkdirSync(join(work, "pipelines"), { recursive: true });
      writeFileSync(join(work, "pipelines", "reviews.yaml"), yaml);
      const r = await lakecIn(work, "docs", "pipelines/reviews.yaml", "--out", "hostile");
      expect(r.code, r.err).toBe(0);
      const root = join(work, "hostile");
      for (const path of ["index.html", "p/reviews/mart-product_daily_ratings.html", "p/reviews/source-product_reviews.html"]) {
        const page = await open(path, root);
        await page.waitForTimeout(50);
        expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
        expect(await page.locator("main img, main svg[onload], main script:not(#lineage-data), #pwn").count()).toBe(0);
        expect(problemsOf(page), path).toEqual([]);
        if (path.startsWith("p/reviews/source")) {
          await page.waitForSelector("#lineage g.node");
          expect(await nodeLabels(page, "#lineage g.node text")).toContain('$["</script><b id=pwn>x</b>"]');
        }
        await page.close();
      }
    });
  },
);
