import { describe, expect, it } from "vitest";
import type { Layer, Plan, Step, StepChange } from "../../deploy/plan.js";
import { summarize } from "../../deploy/plan.js";
import { renderPlan, summaryLine } from "../../deploy/render.js";

// Rendering reads only the change and the layer: the object a step names may be any placeholder.
const step = (over: Partial<StepChange> & { layer?: Layer; kind?: string; name?: string }): Step =>
  ({
    layer: "aws",
    kind: "resource",
    name: "x",
    action: "update",
    resource: "r",
    details: [],
    destructive: false,
    reason: "why",
    ...over,
  }) as Step;
const plan = (steps: Step[]): Plan => ({
  format: "lakec-plan/2",
  pipeline: "reviews",
  pipelineFile: "pipelines/reviews.yaml",
  targets: ["aws", "snowflake"],
  desired: "d",
  deployed: {},
  notes: [],
  steps,
});

describe("renderPlan", () => {
  const steps = [
    step({
      name: "RawBucket",
      action: "replace",
      resource: "AWS::S3::Bucket RawBucket",
      details: ["Replacement: True"],
      destructive: true,
      reason: "BucketName changed",
    }),
    step({ name: "CleanJob", resource: "AWS::Glue::Job CleanJob", details: Array.from({ length: 15 }, (_, i) => `~ p${i}`) }),
    step({
      layer: "snowflake",
      kind: "external-table",
      name: "T",
      action: "destroy",
      resource: "external table T",
      destructive: true,
      reason: "gone",
    }),
  ];

  it("prints symbols per layer, truncates long details, and repeats destructive steps last", () => {
    const text = renderPlan(plan(steps), { color: false });
    expect(text).toContain("  -/+ AWS::S3::Bucket RawBucket  (destructive)\n        Replacement: True\n        # BucketName changed\n");
    expect(text).toContain("        ~ p11\n        … and 3 more\n");
    expect(text).toContain("    - external table T  (destructive)");
    const tail = text.slice(text.indexOf("Destructive changes (2)"));
    expect(tail).toBe(
      "Destructive changes (2): apply refuses them without --allow-destructive\n  -/+ [aws] AWS::S3::Bucket RawBucket: BucketName changed\n  - [snowflake] external table T: gone\n\nPlan: 0 to add, 1 to change, 1 to replace, 1 to destroy\n",
    );
    expect(text).not.toContain("\u001b[");
  });

  it("highlights Replacement: True/Conditional when colour is on", () => {
    const text = renderPlan(plan([step({ details: ["Replacement: Conditional"] }), step({ details: ["Replacement: False"] })]), {
      color: true,
    });
    expect(text).toContain("\u001b[1m\u001b[35mReplacement: Conditional\u001b[39m\u001b[22m");
    expect(text).toContain("        Replacement: False\n");
  });

  it("the summary counts data impact once per file, mart and table", () => {
    const s = summarize([
      step({ layer: "local", action: "reprocess", impact: { rawFiles: ["a", "b"] } }),
      step({ layer: "local", action: "rebuild", impact: { marts: ["m"] } }),
      step({ layer: "local", action: "rebuild", impact: { marts: ["m"] } }),
      step({ layer: "snowflake", action: "replace", impact: { externalTables: ["T"] } }),
    ]);
    expect(summaryLine(s)).toBe(
      "Plan: 0 to add, 0 to change, 1 to replace, 0 to destroy; 2 raw files to reprocess; 1 mart to rebuild; 1 external table to recreate",
    );
  });

  it("shows the Airflow schedule and its next run in UTC, croniter's L, # and W included", () => {
    const now = new Date("2026-12-04T08:00:00Z");
    const head = (schedule: string | undefined): string =>
      renderPlan({ ...plan([]), ...(schedule !== undefined && { schedule }) }, { color: false, now }).split("\n")[1]!;
    expect(head("0 3 * * *")).toBe("Airflow schedule: 0 3 * * * (UTC), next run 2026-12-05 03:00 UTC");
    expect(head("0 3 * * L5")).toBe("Airflow schedule: 0 3 * * L5 (UTC), next run 2026-12-25 03:00 UTC");
    expect(head("@hourly")).toBe("Airflow schedule: @hourly (UTC), next run 2026-12-04 09:00 UTC");
    expect(head("@once")).toBe("Airflow schedule: @once");
    expect(head("dataset")).toBe("Airflow schedule: dataset (runs when the Glue jobs update a processed table)");
    expect(head(undefined)).toBe("");
  });
});

describe("alert warnings", () => {
  // Amazon SNS delivers a message only to the topic's confirmed subscriptions:
  // https://docs.aws.amazon.com/sns/latest/dg/sns-create-subscribe-endpoint-to-topic.html
  it("warns when the alert topic has no subscriber in the stack, and says how to fix it", async () => {
    const { reviewsIr } = await import("../support/deploy-helpers.js");
    const { alertWarnings } = await import("../../deploy/planner.js");
    const ir = reviewsIr();
    expect(ir.aws.alarmEmail).toBeUndefined();
    const [warning] = alertWarnings(ir);
    expect(warning).toContain("lakec-reviews-alerts has no subscription");
    expect(warning).toContain("aws.alarm_email");
    expect(alertWarnings({ ...ir, aws: { ...ir.aws, alarmEmail: "oncall@example.com" } })).toEqual([]);
    const text = renderPlan({ ...plan([]), warnings: [warning!], notes: ["drift: x"] }, { color: false });
    expect(text.split("\n").slice(2, 4)).toEqual([`warning: ${warning}`, "note: drift: x"]);
  });
});
