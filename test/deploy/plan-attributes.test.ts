// Plans say what changed, attribute by attribute (like Terraform and SQLMesh), with the model SQL
// diff, and classify each change: breaking when existing columns or rows change, non-breaking
// when something is only added.
import { describe, expect, it } from "vitest";
import { diffDefinition } from "../../deploy/definitions.js";
import { diffLocal, type DeployedRecord, type LocalDesired } from "../../deploy/diff-local.js";
import { stepKey, type Step } from "../../deploy/plan.js";
import { localDesired } from "../../deploy/providers/local/desired.js";
import { renderStep } from "../../deploy/render.js";
import { EDITS, editYaml, reviewsIr } from "../support/deploy-helpers.js";

const SOURCE = "product_reviews";

function recordOf(d: LocalDesired, withDefinitions = true): DeployedRecord {
  return {
    version: 1,
    pipeline: "reviews",
    semantics: d.semantics,
    columnTypes: d.columnTypes,
    views: d.views,
    models: Object.fromEntries(d.models.map((m) => [m.name, { hash: m.hash, mart: m.mart, ...(withDefinitions && { sql: m.sql }) }])),
    ...(withDefinitions && { definitions: d.definitions }),
  };
}

/** The plan's local steps after `edit`, against a lake applied from the unedited pipeline with one processed raw file. */
function planAfter(edit: (t: string) => string, withDefinitions = true): Step[] {
  const before = localDesired(reviewsIr());
  const files = [{ rawKey: "reviews/day1.jsonl", source: SOURCE, semantics: before.semantics[SOURCE]!, ok: true }];
  return diffLocal(localDesired(reviewsIr(edit)), { files, record: recordOf(before, withDefinitions) });
}

const nullIfTitle = (t: string): string =>
  editYaml(
    t,
    "title:         { from: summary, type: string, trim: true }",
    'title:         { from: summary, type: string, trim: true, null_if: [""] }',
  );

describe("attribute-level plans", () => {
  it("a new measure is a non-breaking mart change, shown as `+ measure` with the model's SQL diff", () => {
    const mart = planAfter(EDITS.martMeasure).find((s) => stepKey(s) === "local:mart:product_daily_ratings")!;
    expect(mart.change).toBe("non-breaking");
    expect(mart.details[0]).toBe("+ measure max_rating max(rating)");
    expect(mart.details).toContain("SQL of product_daily_ratings:");
    expect(mart.details.some((l) => /^ {2}\+ .*max\(.*rating.*\).*max_rating/.test(l))).toBe(true);
    expect(renderStep(mart, { color: false })[0]).toBe("   <= rebuild mart product_daily_ratings  [non-breaking]");
  });

  it("a cleaning change on a column is breaking, named column and attribute, before the files to reprocess", () => {
    const source = planAfter(nullIfTitle).find((s) => stepKey(s) === `local:source:${SOURCE}`)!;
    expect(source.change).toBe("breaking");
    expect(source.details[0]).toMatch(/^~ column title: cleaning .*trim.* → .*(nullif|NULLIF|IN|in).*''/);
    expect(source.details.at(-1)).toBe("reprocess reviews/day1.jsonl");
    expect(source.details).toHaveLength(2);
  });

  it("a record from before attribute-level plans still plans, saying only what changed", () => {
    const mart = planAfter(EDITS.martMeasure, false).find((s) => stepKey(s) === "local:mart:product_daily_ratings")!;
    expect(mart.change).toBeUndefined();
    expect(mart.details).toEqual([]);
    expect(mart.reason).toBe("mart definition changed (grain, measures or filter)");
  });

  it("classifies: additions only are non-breaking; a removal, an edited attribute or a dropped attribute are breaking", () => {
    const base = { "column a": { type: "string", cleaning: "x" }, "measure n": { value: "count(*)" } };
    expect(diffDefinition(base, base)).toEqual({ lines: [], kind: undefined });
    expect(diffDefinition(base, { ...base, "measure m": { value: "max(r)" } })).toEqual({
      lines: ["+ measure m max(r)"],
      kind: "non-breaking",
    });
    expect(diffDefinition(base, { "column a": base["column a"] })).toEqual({ lines: ["- measure n count(*)"], kind: "breaking" });
    expect(diffDefinition(base, { ...base, "column a": { type: "integer", cleaning: "x" } })).toEqual({
      lines: ["~ column a: type string → integer"],
      kind: "breaking",
    });
    expect(diffDefinition(base, { ...base, "column a": { type: "string", cleaning: "x", split: '","' } })).toEqual({
      lines: ['~ column a: + split ","'],
      kind: "breaking",
    });
    expect(diffDefinition(base, { ...base, "column a": { type: "string" } })).toEqual({
      lines: ["~ column a: - cleaning x"],
      kind: "breaking",
    });
  });
});
