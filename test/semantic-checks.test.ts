// The semantic checks, case by case: every code in SEMANTIC_CODES has a golden folder
// test/cases/err-<code>-<slug>/ whose expected-errors.txt lists `LINE:COL CODE message`, and the
// reference pipelines check clean. Cases run through the YAML loader and checkSemantics only, so
// they stay independent of the schema and lowering stages.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { checkSemantics, SEMANTIC_CODES } from "../compiler/check/index.js";
import { sortDiagnostics, type Diagnostic } from "../compiler/diagnostics.js";
import type { PipelineDoc } from "../compiler/doc.js";
import { parseYaml } from "../compiler/load.js";

const CASES = join(import.meta.dirname, "cases");

function check(file: string, text: string): Diagnostic[] {
  const parsed = parseYaml(file, text);
  expect(parsed.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return sortDiagnostics(checkSemantics(file, parsed.value as PipelineDoc, parsed.locate));
}

const line = (d: Diagnostic): string => `${d.line}:${d.col} ${d.code} ${d.message}`;

const semanticCases = existsSync(CASES)
  ? readdirSync(CASES).filter((n) => /^err-lk[2-4]\d\d-/.test(n) && existsSync(join(CASES, n, "expected-errors.txt")))
  : [];

describe("semantic golden cases", () => {
  test.each(semanticCases)("%s", (name) => {
    const text = readFileSync(join(CASES, name, "pipeline.yaml"), "utf8");
    const expected = readFileSync(join(CASES, name, "expected-errors.txt"), "utf8").trimEnd().split("\n");
    const got = check(`test/cases/${name}/pipeline.yaml`, text);
    expect(got.map(line)).toEqual(expected);
    const code = name.slice(4, 9).toUpperCase();
    expect(got.some((d) => d.code === code), `case ${name} must report ${code}`).toBe(true);
    for (const d of got) expect(d.hint, `${d.code} at ${d.line}:${d.col} needs a hint`).toBeTruthy();
  });

  test("every semantic code has its own case folder", () => {
    const missing = Object.keys(SEMANTIC_CODES).filter((c) => !semanticCases.some((n) => n.startsWith(`err-${c.toLowerCase()}-`)));
    expect(missing).toEqual([]);
  });
});

describe("reference pipelines", () => {
  test.each(["pipelines/reviews.yaml", "pipelines/yelp.yaml"])("%s has no semantic errors or warnings", (file) => {
    const text = readFileSync(join(import.meta.dirname, "..", file), "utf8");
    expect(check(file, text).map(line)).toEqual([]);
  });
});
