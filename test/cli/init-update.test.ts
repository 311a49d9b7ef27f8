// lakec init --update PIPELINE --from SAMPLE: the sample's unmapped keys (the schema drift a run
// reports) proposed as new entries with init's inferred types, as a unified diff; --write applies
// it, keeping the file's comments and layout.
import { readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyPatch } from "diff";
import { compilePipeline } from "../../compiler/index.js";
import { driftSchema, unmappedPathsOf } from "../../compiler/sql/drift.js";
import { proposeUpdate } from "../../cli/init-update.js";
import type { SampleValue } from "../../cli/init-infer.js";
import { lakecIn, removeTempDirs, tempDir } from "../support/engine-fixtures.js";
import { MESSY_PIPELINE } from "../support/messy-feeds-fixtures.js";

afterAll(removeTempDirs);

const yaml = readFileSync(MESSY_PIPELINE, "utf8");
const sample: Record<string, SampleValue>[] = [
  {
    business_id: "a",
    shippingCountry: "DE",
    attributes: { WiFi: "no", Parking: true },
    hours: { Mon: { open: "9", close: "5", note: "x" } },
    menu: [{ dish: "a", price: 1.5, spicy: true }],
    status: { open: 1, since: "2020-01-02" },
  },
  { business_id: "b", shippingCountry: "FR", rating_count: 12 },
];
const jsonl = `${sample.map((r) => JSON.stringify(r)).join("\n")}\n`;

describe("init --update", () => {
  it("proposes only the unmapped keys, each where it belongs, with inferred types", () => {
    const p = proposeUpdate("pipeline.yaml", yaml, sample);
    expect(p.added).toEqual([
      "shippingCountry → column shipping_country",
      "attributes.Parking → attributes key parking",
      "hours.*.note → note",
      "menu[].spicy → spicy",
      "status.since → column status_since",
      "rating_count → column rating_count",
    ]);
    expect(p.text).toContain("      shipping_country: { from: shippingCountry, type: string }\n");
    expect(p.text).toContain("      status_since: { from: status.since, type: date }\n");
    expect(p.text).toContain("      rating_count: { type: integer }\n");
    expect(p.text).toContain("          Parking: { name: parking, type: boolean }\n");
    expect(p.text).toContain("fields: { open: opens_at, close: closes_at, note: { name: note, type: string } }");
    expect(p.text).toContain("          spicy: { name: spicy, type: boolean }\n");
    // Nothing else changed: every line of the original is still there, in order.
    const kept = p.text.split("\n").filter((l) => yaml.split("\n").includes(l) || l.includes("note: { name: note"));
    expect(kept.filter((l) => !l.includes("note: { name: note"))).toEqual(
      yaml.split("\n").filter((l) => !l.includes("fields: { open: opens_at, close: closes_at }")),
    );
    // The updated pipeline maps the whole sample: no drift left.
    const ir = compilePipeline("pipeline.yaml", p.text).ir!;
    const schema = driftSchema(ir.sources[0]!, ir.tables);
    expect(sample.flatMap((r) => unmappedPathsOf(schema, r))).toEqual([]);
  });

  it("proposes nothing for a sample the pipeline maps", () => {
    expect(proposeUpdate("pipeline.yaml", yaml, [{ business_id: "a", name: "n", attributes: { WiFi: "x" } }])).toEqual({
      text: yaml,
      added: [],
      skipped: [],
    });
  });

  it("prints a unified diff, and --write applies it keeping comments", async () => {
    const dir = await tempDir("init-update");
    await writeFile(join(dir, "pipeline.yaml"), yaml);
    await writeFile(join(dir, "new.jsonl"), jsonl);
    const diff = await lakecIn(dir, "init", "--update", "pipeline.yaml", "--from", "new.jsonl");
    expect(diff.code).toBe(0);
    expect(diff.out).toMatch(/^--- a\/pipeline\.yaml\n\+\+\+ b\/pipeline\.yaml\n@@ /);
    expect(diff.out).toContain("+      shipping_country: { from: shippingCountry, type: string }");
    expect(diff.err).toContain("rerun with --write");
    expect(await readFile(join(dir, "pipeline.yaml"), "utf8")).toBe(yaml);
    const written = await lakecIn(dir, "init", "--update", "pipeline.yaml", "--from", "new.jsonl", "--write");
    expect(written.code).toBe(0);
    const after = await readFile(join(dir, "pipeline.yaml"), "utf8");
    expect(after).toBe(applyPatch(yaml, diff.out));
    expect(after.startsWith("# Options for messy feeds")).toBe(true);
    const again = await lakecIn(dir, "init", "--update", "pipeline.yaml", "--from", "new.jsonl");
    expect(again.out).toBe("");
    expect(again.err).toContain("nothing to add");
    expect((await lakecIn(dir, "validate", "pipeline.yaml")).code).toBe(0);
  });
});
