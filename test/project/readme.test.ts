// The README is the user's manual: its lineage graph and its quickstart must stay true.
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compilePipeline } from "../../compiler/index.js";
import { lineageMermaid } from "../../targets/lineage/index.js";

const readme = readFileSync("README.md", "utf8");
const lineageDoc = readFileSync("docs/lineage.md", "utf8");

describe("README", () => {
  it("links to docs/lineage.md, which shows the reference pipeline's current lineage", () => {
    expect(readme).toContain("(docs/lineage.md)");
    const m = /<!-- lineage:reviews:start -->\n```mermaid\n([\s\S]*?)```\n<!-- lineage:reviews:end -->/.exec(lineageDoc);
    expect(m, "lineage markers and a mermaid fence").not.toBeNull();
    const ir = compilePipeline("pipelines/reviews.yaml", readFileSync("pipelines/reviews.yaml", "utf8")).ir!;
    expect(m![1]!.trimEnd()).toBe(lineageMermaid(ir).trimEnd());
  });

  // The README is the entry point, not the manual: detail lives in docs/ (issue 17).
  it("stays short, with every docs/ link resolving to a file", () => {
    expect(readme.split("\n").length).toBeLessThanOrEqual(210);
    for (const [, target] of readme.matchAll(/\]\((docs\/[^)#]+)/g)) expect(existsSync(target!), target).toBe(true);
  });

  it("has the two-command quickstart that .ci/run and package.json implement", () => {
    expect(readme).toContain("npm ci && npm start");
    expect(readme).toMatch(/^npm test\b/m);
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toContain("run pipelines/reviews.yaml --demo");
    expect(readFileSync(".ci/run", "utf8")).toMatch(/^npm test\b/m);
  });
});
