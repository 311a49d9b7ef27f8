// Hostile input: every one must end in a clean diagnostic, quickly, without throwing. The big
// inputs are built here rather than committed. Times are checked loosely (a hang guard), with
// the 2 s budget the issue sets.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { loadPipeline } from "../../cli/pipeline-files.js";
import type { Diagnostic } from "../../compiler/diagnostics.js";
import { compilePipeline } from "../../compiler/index.js";
import { decodeSource, MAX_SOURCE_BYTES } from "../../compiler/load.js";

// A hang guard only (shared CI machines run at load 10 and more); how time grows is checked by
// ratios between two sizes measured back to back, which load affects far less.
const BUDGET_MS = 15_000;
const dir = mkdtempSync(join(tmpdir(), "lakec-hostile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function timed<T>(fn: () => T): { result: T; ms: number } {
  const start = performance.now();
  const result = fn();
  return { result, ms: performance.now() - start };
}

function expectDiagnostic(diagnostics: readonly Diagnostic[], code: string, line?: number): void {
  const d = diagnostics.find((x) => x.code === code);
  expect(
    d,
    `expected ${code}, got ${diagnostics.map((x) => `${x.line}:${x.col} ${x.code} ${x.message}`).join("; ") || "nothing"}`,
  ).toBeDefined();
  expect(d!.severity).toBe("error");
  expect(d!.hint).toBeTruthy();
  if (line !== undefined) expect(d!.line).toBe(line);
}

function compileText(text: string, code: string, line?: number): void {
  const { result, ms } = timed(() => compilePipeline("hostile.yaml", text));
  expect(result.ir).toBeUndefined();
  expectDiagnostic(result.diagnostics, code, line);
  expect(ms).toBeLessThan(BUDGET_MS);
}

function billionLaughs(levels: number): string {
  const lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i < levels; i++)
    lines.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(", ")}]`,
    );
  return `${lines.join("\n")}\n`;
}

describe("hostile pipeline text", () => {
  test("an empty file", () => compileText("", "LK005", 1));
  test("only whitespace and comments", () => compileText("\n   \n# nothing\n", "LK005", 1));
  test("a tab-indented file", () => compileText("version: 1\naws:\n\tregion: eu-west-1\n", "LK003", 3));
  test("duplicate keys", () => compileText("version: 1\nname: a\nname: b\n", "LK002", 3));
  test("a NUL byte", () => compileText("version: 1\nname: a\u0000b\n", "LK007", 2));
  test("binary bytes decoded loosely", () =>
    compileText(new TextDecoder().decode(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])), "LK007"));
  test("a top-level list", () => compileText("- 1\n- 2\n", "LK006", 1));
  test("a top-level scalar", () => compileText("just text\n", "LK006", 1));
  test("a billion-laughs alias bomb", () => compileText(billionLaughs(10), "LK010", 2));
  test("a 20 MB text", () => compileText(`name: x\ndescription: "${"A".repeat(20 * 1024 * 1024)}"\n`, "LK004", 1));
  test("a text over the limit only in UTF-8 bytes", () => {
    const text = `name: x\ndescription: "${"é".repeat(MAX_SOURCE_BYTES / 2 + 10)}"\n`;
    expect(text.length).toBeLessThan(MAX_SOURCE_BYTES);
    compileText(text, "LK004", 1);
  });
  test("100,000 nested flow sequences", () => compileText(`version: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`, "LK009", 1));
  test("an unclosed flow nesting of a million brackets (just under the size limit)", () =>
    compileText(`a: ${"[".repeat(MAX_SOURCE_BYTES - 10)}`, "LK009", 1));
  test("deep block nesting", () => {
    const lines: string[] = [];
    for (let i = 0; i < 600; i++) lines.push(`${" ".repeat(i)}k${i}:`);
    compileText(`${lines.join("\n")} 1\n`, "LK009");
  });
  test("20,000 duplicate keys in one mapping (the check is linear)", () => {
    compileText("k: 1\n".repeat(20_000), "LK002", 2);
    // Ten times the keys: about ten times the time when linear, a hundred when quadratic.
    const best = (n: number): number =>
      Math.min(...[0, 1, 2].map(() => timed(() => compilePipeline("hostile.yaml", "k: 1\n".repeat(n))).ms));
    const small = best(2_000);
    expect(best(20_000) / Math.max(small, 1)).toBeLessThan(35);
  });
  test("a flow sequence just under the size limit", () => {
    // The worst case the size limit admits: the parser's slowest shape. About 1 s on an idle
    // 2-core machine; the bound is only a hang guard, because shared CI machines are slower.
    const { result, ms } = timed(() => compilePipeline("big.yaml", `[${"1,".repeat((MAX_SOURCE_BYTES - 4) / 2)}]\n`));
    expectDiagnostic(result.diagnostics, "LK006", 1);
    expect(ms).toBeLessThan(15_000);
  }, 30_000);
});

describe("hostile pipeline files", () => {
  test("a 20 MB file is refused before it is read", () => {
    const file = join(dir, "huge.yaml");
    writeFileSync(file, Buffer.alloc(20 * 1024 * 1024, 0x61));
    const { result, ms } = timed(() => loadPipeline(dir, "huge.yaml"));
    expectDiagnostic(result.diagnostics, "LK004", 1);
    expect(result.diagnostics[0]!.message).toContain(String(20 * 1024 * 1024));
    expect(ms).toBeLessThan(BUDGET_MS);
  });

  test("invalid UTF-8 points at its line", () => {
    const bytes = Buffer.concat([Buffer.from("version: 1\nname: caf"), Buffer.from([0xe9]), Buffer.from("\n")]);
    const decoded = decodeSource("bad.yaml", bytes);
    expect(decoded.text).toBeUndefined();
    expectDiagnostic(decoded.diagnostics, "LK008", 2);
    expect(decoded.diagnostics[0]!.col).toBe(10);
  });

  test("random binary bytes", () => {
    let seed = 42;
    const bytes = Uint8Array.from({ length: 4096 }, () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff);
    writeFileSync(join(dir, "random.bin"), bytes);
    const { result, ms } = timed(() => loadPipeline(dir, "random.bin"));
    expect(result.diagnostics.some((d) => d.code === "LK008" || d.code === "LK007")).toBe(true);
    expect(ms).toBeLessThan(BUDGET_MS);
  });

  test("anchors, aliases and merge keys within the limit are accepted", () => {
    const text = readFileSync(join(import.meta.dirname, "..", "..", "pipelines", "reviews.yaml"), "utf8")
      .replace(
        "      reviewer_id:   { from: reviewerID, type: string, required: true }",
        "      reviewer_id:   &id_spec { from: reviewerID, type: string, required: true }",
      )
      .replace("      asin:          { from: asin, type: string, required: true }", "      asin:          { <<: *id_spec, from: asin }");
    const result = compilePipeline("anchors.yaml", text);
    expect(result.diagnostics).toEqual([]);
    expect(result.ir!.sources[0]!.columns.find((c) => c.name === "asin")!.path).toEqual(["asin"]);
  });

  test("a byte-order mark is accepted", () => {
    const decoded = decodeSource("bom.yaml", Buffer.from("\uFEFFversion: 1\n"));
    expect(compilePipeline("bom.yaml", decoded.text!).diagnostics.some((d) => d.code.startsWith("LK0"))).toBe(false);
  });
});
