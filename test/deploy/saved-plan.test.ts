// Saved plans hold typed steps (layer, kind, name): they round-trip through the file, and a
// plan from the string-keyed format, or with a step naming no known object, is refused.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLAN_FORMAT, stepKey, type Plan, type Step } from "../../deploy/plan.js";
import { readPlanFile, writePlanFile, type PlanBinding } from "../../deploy/saved-plan.js";

let dir = "";
beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), "lakec-saved-plan-"))));
afterAll(() => rm(dir, { recursive: true, force: true }));

const change = { action: "create", resource: "r", details: [], destructive: false, reason: "why" } as const;
const steps: Step[] = [
  { layer: "aws", kind: "resource", name: "RawBucket", ...change },
  { layer: "aws", kind: "wiring", ...change, action: "update" },
  {
    layer: "snowflake",
    kind: "external-table",
    name: "PRODUCT_REVIEWS",
    ...change,
    action: "replace",
    impact: { externalTables: ["PRODUCT_REVIEWS"] },
  },
  { layer: "dbt", kind: "file", name: "models/a.sql", ...change },
  { layer: "local", kind: "mart", name: "daily", ...change, action: "rebuild", change: "breaking" },
];
const plan: Plan = {
  format: PLAN_FORMAT,
  pipeline: "reviews",
  pipelineFile: "reviews.yaml",
  targets: ["aws", "snowflake", "dbt", "local"],
  desired: "d",
  deployed: {},
  notes: [],
  steps,
};
const binding: PlanBinding = { pipelinePath: "/p/reviews.yaml", pipelineSha256: "h", cwd: "/p", lake: "/p/lake" };

describe("saved plans", () => {
  it("round-trip typed steps", async () => {
    const file = join(dir, "ok.plan");
    await writePlanFile(file, plan, binding);
    expect(await readPlanFile(file)).toEqual({ plan, binding });
  });

  it("print a step's object in one form", () => {
    expect(steps.map(stepKey)).toEqual([
      "aws:resource:RawBucket",
      "aws:wiring",
      "snowflake:external-table:PRODUCT_REVIEWS",
      "dbt:file:models/a.sql",
      "local:mart:daily",
    ]);
  });

  it("refuse a plan of the string-keyed format with what to do", async () => {
    const file = join(dir, "old.plan");
    const old = { ...plan, format: "lakec-plan/1", steps: [{ id: "aws:wiring", layer: "aws", ...change }], binding };
    await writeFile(file, JSON.stringify(old));
    await expect(readPlanFile(file)).rejects.toThrow(/made by an older lakec \(format lakec-plan\/1.*run `lakec plan --out` again/);
  });

  it.each([
    ["an unknown kind", { layer: "aws", kind: "bucket", name: "x" }],
    ["a kind of another layer", { layer: "local", kind: "stage", name: "x" }],
    ["a named kind without a name", { layer: "snowflake", kind: "stage" }],
    ["a name on an unnamed kind", { layer: "aws", kind: "parameters", name: "x" }],
  ])("refuse a step with %s", async (_, object) => {
    const file = join(dir, "bad.plan");
    await writeFile(file, JSON.stringify({ ...plan, steps: [steps[0], { ...change, ...object }], binding }));
    await expect(readPlanFile(file)).rejects.toThrow(/step 2 does not say which layer, kind and object/);
  });

  it("refuse JSON that is not an object", async () => {
    const file = join(dir, "null.plan");
    await writeFile(file, "null");
    await expect(readPlanFile(file)).rejects.toThrow(/not a saved lakec plan/);
  });
});
