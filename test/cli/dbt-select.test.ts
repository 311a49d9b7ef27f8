// dbt's node selection on the model graph (targets/dbt/select.ts), as
// https://docs.getdbt.com/reference/node-selection/graph-operators and set-operators define it.
import { describe, expect, it } from "vitest";
import { selectModels, SelectorError, testSelected } from "../../targets/dbt/select.js";

// stg_a → mart_x → custom_top → custom_report; stg_b → mart_y; custom_report also refs mart_y.
const models = [
  { name: "stg_a", dependsOn: [], tags: ["p"] },
  { name: "stg_b", dependsOn: [], tags: ["p"] },
  { name: "mart_x", dependsOn: ["stg_a"], tags: ["p"] },
  { name: "mart_y", dependsOn: ["stg_b"], tags: ["p"] },
  { name: "custom_top", dependsOn: ["mart_x"], tags: ["custom"] },
  { name: "custom_report", dependsOn: ["custom_top", "mart_y"] },
];

const sel = (select: string[], exclude?: string[]): string[] => [...(selectModels(models, select, exclude) ?? [])].sort();

describe("--select and --exclude", () => {
  it("selects nothing special without flags", () => {
    expect(selectModels(models, undefined, undefined)).toBeUndefined();
    expect(selectModels(models, [], [])).toBeUndefined();
  });

  it("name, name+, +name, +name+ and depth limits", () => {
    expect(sel(["mart_x"])).toEqual(["mart_x"]);
    expect(sel(["mart_x+"])).toEqual(["custom_report", "custom_top", "mart_x"]);
    expect(sel(["+custom_top"])).toEqual(["custom_top", "mart_x", "stg_a"]);
    expect(sel(["+mart_x+"])).toEqual(["custom_report", "custom_top", "mart_x", "stg_a"]);
    expect(sel(["mart_x+1"])).toEqual(["custom_top", "mart_x"]);
    expect(sel(["1+custom_report"])).toEqual(["custom_report", "custom_top", "mart_y"]);
  });

  it("@name: descendants and all their ancestors", () => {
    expect(sel(["@custom_top"])).toEqual(["custom_report", "custom_top", "mart_x", "mart_y", "stg_a", "stg_b"]);
  });

  it("tag:, globs, unions (words) and intersections (commas), and --exclude", () => {
    expect(sel(["tag:custom"])).toEqual(["custom_top"]);
    expect(sel(["stg_*"])).toEqual(["stg_a", "stg_b"]);
    expect(sel(["stg_a", "stg_b"])).toEqual(["stg_a", "stg_b"]);
    expect(sel(["stg_a stg_b"])).toEqual(["stg_a", "stg_b"]);
    expect(sel(["tag:p,stg_a+"])).toEqual(["mart_x", "stg_a"]);
    expect(sel(["stg_a+"], ["custom_report"])).toEqual(["custom_top", "mart_x", "stg_a"]);
    expect(sel([], ["tag:p"])).toEqual(["custom_report", "custom_top"]);
  });

  it("a selector that matches no model is an error with a suggestion, not an empty run", () => {
    expect(() => sel(["mart_z+"])).toThrow(SelectorError);
    expect(() => sel(["mart_z+"])).toThrow(/--select 'mart_z\+' matches no model; did you mean 'mart_x'\?/);
    expect(() => sel(["tag:custon"])).toThrow(/did you mean 'custom'/);
    expect(() => sel([], ["nope"])).toThrow(/--exclude 'nope'/);
    expect(() => sel(["a+b+c"])).toThrow(/not a selector/);
  });

  it("a test runs when any model it reads is selected (dbt's eager indirect selection)", () => {
    const selected = new Set(["mart_y"]);
    expect(testSelected({ model: "custom_report", models: ["custom_report", "mart_y"] }, selected)).toBe(true);
    expect(testSelected({ model: "mart_x" }, selected)).toBe(false);
    expect(testSelected({ model: "mart_x" }, undefined)).toBe(true);
  });
});
