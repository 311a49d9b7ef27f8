// generated/ and dbt/ are the golden output of the two reference pipelines: reviewers read them
// in pull requests, so `npm test` fails when they are stale (CI also runs `compile --check`).
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { outputTree } from "../../cli/compile.js";
import { diffTree } from "../../cli/write-tree.js";
import { compilePipeline } from "../../compiler/index.js";

const files = readdirSync("pipelines")
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => `pipelines/${f}`);

describe("committed compiler output", () => {
  it("covers both reference pipelines", () => {
    expect(files).toEqual(expect.arrayContaining(["pipelines/reviews.yaml", "pipelines/yelp.yaml"]));
  });

  it("generated/ and dbt/ are exactly what lakec compile writes (no stale, missing or orphan files)", () => {
    const irs = files.map((f) => {
      const r = compilePipeline(f, readFileSync(f, "utf8"));
      expect(
        r.diagnostics.filter((d) => d.severity === "error"),
        f,
      ).toEqual([]);
      return r.ir!;
    });
    const changes = diffTree(outputTree(irs, resolve("generated"), undefined));
    expect(changes.map((c) => `${c.kind} ${c.path}`)).toEqual([]);
  });
});
