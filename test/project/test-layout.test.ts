// test/ mirrors the source tree (README, Layout): a test file sits in the folder of the layer it
// tests, helpers sit in test/support/, and only the golden runner sits at the top beside cases/.
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";

const LAYERS = ["cli", "compiler", "conformance", "deploy", "engine", "project", "support", "targets"];

describe("test/ layout", () => {
  it("keeps test files in the layer folders and helpers in test/support", () => {
    const top = readdirSync("test", { withFileTypes: true });
    expect(top.filter((e) => e.isFile()).map((e) => e.name)).toEqual(["golden.test.ts"]);
    expect(
      top
        .filter((e) => e.isDirectory() && !["cases", "output"].includes(e.name))
        .map((e) => e.name)
        .sort(),
    ).toEqual(LAYERS);
    for (const layer of LAYERS.filter((l) => l !== "support")) {
      const helpers = readdirSync(`test/${layer}`).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
      expect({ layer, helpers }).toEqual({ layer, helpers: [] });
    }
    expect(readdirSync("test/support").filter((f) => f.endsWith(".test.ts"))).toEqual([]);
  });
});
