// `lakec docs` in-process: writes the whole site through the one writer, is idempotent, removes
// pages of objects that are gone, refuses to replace a folder it did not write, and reports bad
// pipelines and bad flags without writing anything.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { lakecIn, ROOT } from "../support/docs-fixtures.js";

let cwd = "";

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), "lakec-docs-cli-"));
  cpSync(join(ROOT, "pipelines"), join(cwd, "pipelines"), { recursive: true });
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

const lakec = (...argv: string[]) => lakecIn(cwd, ...argv);

describe("lakec docs", () => {
  test("writes the site, then changes nothing when run again; a removed mart's page goes", async () => {
    const first = await lakec("docs", "pipelines/reviews.yaml", "pipelines/yelp.yaml", "--out", "site");
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/^docs for reviews, yelp: \d+ added, 0 modified, 0 removed; open site\/index.html\n$/);
    expect(existsSync(join(cwd, "site/p/yelp/mart-business_ratings.html"))).toBe(true);
    const again = await lakec("docs", "pipelines/reviews.yaml", "pipelines/yelp.yaml", "--out", "site");
    expect(again.out).toContain(": 0 added, 0 modified, 0 removed;");
    const yaml = readFileSync(join(cwd, "pipelines/reviews.yaml"), "utf8");
    writeFileSync(join(cwd, "pipelines/reviews.yaml"), yaml.replace(/\n {2}product_image_counts:[\s\S]*?(?=\norchestration:)/, "\n"));
    const third = await lakec("docs", "pipelines/reviews.yaml", "--out", "site");
    expect(third.code, third.err).toBe(0);
    expect(existsSync(join(cwd, "site/p/reviews/mart-product_image_counts.html"))).toBe(false);
    expect(existsSync(join(cwd, "site/p/yelp"))).toBe(false);
  });

  test("refuses to replace a folder that is not empty and holds no earlier site", async () => {
    mkdirSync(join(cwd, "notes"));
    writeFileSync(join(cwd, "notes", "keep.md"), "mine\n");
    const r = await lakec("docs", "pipelines/reviews.yaml", "--out", "notes");
    expect(r.code).toBe(2);
    expect(r.err).toContain("--out notes is not empty and holds no lakec-docs.json");
    expect(readdirSync(join(cwd, "notes"))).toEqual(["keep.md"]);
  });

  test("a pipeline with errors gets its diagnostics and exit code 1, and nothing is written", async () => {
    writeFileSync(
      join(cwd, "pipelines/bad.yaml"),
      readFileSync(join(cwd, "pipelines/reviews.yaml"), "utf8").replace("trim: true, null_if", "trimm: true, null_if"),
    );
    const r = await lakec("docs", "pipelines/bad.yaml", "--out", "site");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/pipelines\/bad\.yaml:\d+:\d+ error LK101: unknown key 'trimm'/);
    expect(existsSync(join(cwd, "site"))).toBe(false);
  });

  test("usage mistakes: no --out, a missing --lake folder", async () => {
    const noOut = await lakec("docs", "pipelines/reviews.yaml");
    expect(noOut.code).toBe(2);
    expect(noOut.err).toContain("required option '--out <dir>' not specified");
    const noLake = await lakec("docs", "pipelines/reviews.yaml", "--out", "site", "--lake", "nowhere");
    expect(noLake.code).toBe(2);
    expect(noLake.err).toContain("--lake nowhere: no such folder");
    expect(existsSync(join(cwd, "site"))).toBe(false);
  });

  test("a lake without a warehouse yet: the lake page says why rows and freshness are missing", async () => {
    mkdirSync(join(cwd, "lake"));
    const r = await lakec("docs", "pipelines/reviews.yaml", "--out", "site", "--lake", "lake");
    expect(r.code, r.err).toBe(0);
    const html = readFileSync(join(cwd, "site/p/reviews/lake.html"), "utf8");
    expect(html).toContain("The warehouse could not be read (no warehouse at");
    expect(html).toContain("No raw file has been processed.");
  });
});
