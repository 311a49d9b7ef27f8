// Golden cases: every folder test/cases/<name>/ holds a pipeline.yaml and either
//   expected/             the tree `lakec compile` writes for it, relative to the project root
//                         (expected/generated/<pipeline>/… and expected/dbt/… for shared files),
//   expected-errors.txt   one line per diagnostic: `LINE:COL CODE message`.
// LAKEC_UPDATE_GOLDENS=1 (npm run test:update) rewrites the expectations. A case with neither,
// and an expected file that is no longer produced, fail the run.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, test } from "vitest";
import { unifiedDiff } from "../deploy/text-diff.js";
import { compilePipeline } from "../compiler/index.js";
import type { Diagnostic } from "../compiler/diagnostics.js";
import { LOADER_CODES } from "../compiler/load.js";
import { SCHEMA_CODES } from "../compiler/schema-check.js";
import { outputTree } from "../cli/compile.js";

const CASES = join(import.meta.dirname, "cases");
const UPDATE = process.env.LAKEC_UPDATE_GOLDENS === "1";

const caseNames = existsSync(CASES)
  ? readdirSync(CASES)
      .filter((n) => statSync(join(CASES, n)).isDirectory())
      .sort()
  : [];

const diagnosticLine = (d: Diagnostic): string => `${d.line}:${d.col} ${d.code} ${d.message}`;

function listTree(dir: string, prefix = ""): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listTree(join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

/**
 * The files `lakec compile` would write for this case, relative to the project root; or the
 * diagnostics when there are any (a tree case must compile without even a warning).
 */
function producedTree(file: string, text: string): ReadonlyMap<string, string> | Diagnostic[] {
  const result = compilePipeline(file, text);
  if (!result.irs || result.diagnostics.length > 0) return [...result.diagnostics];
  // Every environment, laid out as `lakec compile` lays it out (generated/<p>/<env>/…).
  return outputTree(result.irs, "generated", undefined, ".").files;
}

function writeExpectedTree(dir: string, files: ReadonlyMap<string, string>): void {
  rmSync(dir, { recursive: true, force: true });
  for (const [p, c] of files) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
}

function checkTree(name: string, dir: string, files: ReadonlyMap<string, string>): void {
  const expected = listTree(dir);
  const orphans = expected.filter((p) => !files.has(p));
  expect(orphans, `case ${name}: expected files that are no longer produced (run npm run test:update)`).toEqual([]);
  for (const [p, c] of files) {
    const want = existsSync(join(dir, p)) ? readFileSync(join(dir, p), "utf8") : undefined;
    expect(want, `case ${name}: ${p} is produced but not expected (run npm run test:update)`).toBeDefined();
    if (want !== c)
      expect.fail(`case ${name}: ${p} differs from the golden file\n${unifiedDiff(`expected/${p}`, `produced/${p}`, want ?? "", c)}`);
  }
}

describe("golden cases", () => {
  test("there are cases", () => {
    expect(caseNames.length).toBeGreaterThan(0);
  });

  // LK004 needs a file over the size limit: test/compiler/loader-hostile.test.ts builds one instead.
  test("every loader and schema code has its own case folder", () => {
    const codes = [...Object.keys(LOADER_CODES), ...Object.keys(SCHEMA_CODES)].filter((c) => c !== "LK004");
    const missing = codes.filter((c) => !caseNames.some((n) => n.startsWith(`err-${c.toLowerCase()}-`)));
    expect(missing).toEqual([]);
    for (const c of codes) {
      const name = caseNames.find((n) => n.startsWith(`err-${c.toLowerCase()}-`))!;
      const first = readFileSync(join(CASES, name, "expected-errors.txt"), "utf8").split("\n")[0]!;
      expect(first, `case ${name} must report ${c} first`).toMatch(new RegExp(`^\\d+:\\d+ ${c} `));
    }
  });

  test("docs/language.md has a row for every loader and schema code, with its severity", () => {
    const docs = readFileSync("docs/language.md", "utf8");
    const rows = Object.entries({ ...LOADER_CODES, ...SCHEMA_CODES, LK199: "" }).map(
      ([c, rule]) => `| \`${c}\` | ${rule.startsWith("warning: ") ? "warning" : "error"} | `,
    );
    expect(rows.filter((r) => !docs.includes(r))).toEqual([]);
  });

  test.each(caseNames)("%s", (name) => {
    const caseDir = join(CASES, name);
    const file = `test/cases/${name}/pipeline.yaml`;
    expect(existsSync(join(caseDir, "pipeline.yaml")), `case ${name} has no pipeline.yaml`).toBe(true);
    const text = readFileSync(join(caseDir, "pipeline.yaml"), "utf8");
    const errorsFile = join(caseDir, "expected-errors.txt");
    const treeDir = join(caseDir, "expected");
    const produced = producedTree(file, text);
    // Compiling twice must give byte-identical output.
    expect(producedTree(file, text)).toEqual(produced);
    if (UPDATE) {
      // A case that expects diagnostics stays one, also when they are only warnings.
      if (Array.isArray(produced)) {
        rmSync(treeDir, { recursive: true, force: true });
        writeFileSync(errorsFile, `${produced.map(diagnosticLine).join("\n")}\n`);
      } else {
        rmSync(errorsFile, { force: true });
        writeExpectedTree(treeDir, produced);
      }
      return;
    }
    const hasErrors = existsSync(errorsFile);
    const hasTree = existsSync(treeDir);
    expect(hasErrors || hasTree, `case ${name} has neither expected/ nor expected-errors.txt`).toBe(true);
    expect(hasErrors && hasTree, `case ${name} has both expected/ and expected-errors.txt`).toBe(false);
    if (hasErrors) {
      const want = readFileSync(errorsFile, "utf8").trimEnd().split("\n");
      expect(Array.isArray(produced) ? produced.map(diagnosticLine) : [], `case ${name}`).toEqual(want);
      for (const d of produced as Diagnostic[]) expect(d.hint, `case ${name}: ${d.code} at ${d.line}:${d.col} needs a hint`).toBeTruthy();
      return;
    }
    expect(Array.isArray(produced) ? produced.map(diagnosticLine) : [], `case ${name} should compile`).toEqual([]);
    checkTree(name, treeDir, produced as ReadonlyMap<string, string>);
  });
});
