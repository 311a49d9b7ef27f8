// Path traversal: a source `prefix: "../../…/"` used to validate, and `run --input` then
// copied the input outside the lake and reported "No raw files". Validation now rejects it
// (LK225, golden case test/cases/err-lk225-prefix-climbs-out), and every path the engine builds
// from a prefix, key or name is checked to stay inside the lake.
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";
import { ingestInputs, lakePaths, manifestFile, quarantineFile } from "../../engine/index.js";
import { LakePathError, rawFile, tableDir } from "../../engine/lake.js";
import { MIXED_LINES, removeTempDirs, reviewsIr, tempDir, writeLines } from "../support/engine-fixtures.js";

afterAll(removeTempDirs);

describe("paths stay inside the lake", () => {
  it("lakec run refuses a pipeline whose prefix climbs out, with file:line:col and a hint, and writes nothing", async () => {
    const dir = await tempDir("traversal");
    const work = join(dir, "a", "b");
    await mkdir(join(work, "pipelines"), { recursive: true });
    const text = (await readFile("pipelines/reviews.yaml", "utf8")).replace("prefix: reviews/", "prefix: ../../../escaped/");
    await writeFile(join(work, "pipelines", "p.yaml"), text);
    const input = await writeLines(join(dir, "day1.jsonl"), MIXED_LINES);
    let err = "";
    const code = await main(["run", "pipelines/p.yaml", "--input", input], {
      out: () => undefined,
      err: (t) => void (err += t),
      cwd: work,
    });
    expect(code).toBe(1);
    expect(err).toMatch(
      /^pipelines\/p\.yaml:\d+:13 error LK225: prefix '\.\.\/\.\.\/\.\.\/escaped\/' of source 'product_reviews' has a '\.\.' folder/m,
    );
    expect(err).toContain("hint: name the raw-bucket folder itself, e.g. prefix: product_reviews/");
    expect((await readdir(dir)).sort()).toEqual(["a", "day1.jsonl"]);
    expect(await readdir(work)).toEqual(["pipelines"]);
  });

  it.each(["a//b/", "./reviews/", "reviews/../../x/"])("validation rejects the prefix %s", async (prefix) => {
    const dir = await tempDir("traversal");
    await mkdir(join(dir, "pipelines"));
    await writeFile(
      join(dir, "pipelines", "p.yaml"),
      (await readFile("pipelines/reviews.yaml", "utf8")).replace("prefix: reviews/", `prefix: ${prefix}`),
    );
    let err = "";
    expect(await main(["validate", "pipelines/p.yaml"], { out: (t) => void (err += t), err: (t) => void (err += t), cwd: dir })).toBe(1);
    expect(err).toContain("LK225");
  });

  it("the engine refuses a path outside the lake even when an IR gets past validation", async () => {
    const dir = await tempDir("traversal");
    const paths = lakePaths(join(dir, "lake"));
    const base = reviewsIr();
    const ir = { ...base, sources: base.sources.map((s) => ({ ...s, prefix: "../../escaped/" })) };
    const input = await writeLines(join(dir, "day1.jsonl"), MIXED_LINES);
    await expect(ingestInputs(paths, ir, [input], { source: "product_reviews" })).rejects.toThrow(LakePathError);
    expect((await readdir(dir)).sort()).toEqual(["day1.jsonl"]);
    expect(() => rawFile(paths, "../x.jsonl")).toThrow(LakePathError);
    expect(() => tableDir(paths, "..")).toThrow(LakePathError);
    expect(() => tableDir(paths, "../raw")).toThrow(LakePathError);
    expect(() => manifestFile(paths, "../../..", "k")).toThrow(LakePathError);
    expect(() => quarantineFile(paths, "/etc", "k")).not.toThrow();
    expect(() => quarantineFile(paths, "../..", "k")).toThrow(LakePathError);
    expect(rawFile(paths, "reviews/day1.jsonl")).toBe(join(paths.raw, "reviews", "day1.jsonl"));
  });
});
