// Robustness: the checks run on any document that passed the JSON Schema, however odd. This
// mutates the reference pipelines (swap names, retype columns, drop optional keys), keeps the
// mutants the schema accepts, and requires checkSemantics to return diagnostics, never throw,
// with every diagnostic located inside the file; the mutants it passes must lower cleanly.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { parseDocument } from "yaml";
import { checkSemantics } from "../../compiler/check/index.js";
import type { PipelineDoc } from "../../compiler/doc.js";
import { hasErrors } from "../../compiler/diagnostics.js";
import { compilePipeline } from "../../compiler/index.js";
import { parseYaml } from "../../compiler/load.js";
import { checkSchema } from "../../compiler/schema-check.js";

/** A small deterministic PRNG so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

type Path = (string | number)[];

function leaves(v: unknown, path: Path = [], out: { path: Path; value: unknown }[] = []): { path: Path; value: unknown }[] {
  if (v !== null && typeof v === "object") {
    for (const [k, c] of Object.entries(v)) leaves(c, [...path, Array.isArray(v) ? Number(k) : k], out);
  }
  out.push({ path, value: v });
  return out;
}

const TYPES = [
  "string",
  "integer",
  "double",
  "decimal(2,1)",
  "decimal(40,50)",
  "boolean",
  "date",
  "timestamp",
  "object",
  "array<string>",
  "array<object>",
];

function mutate(text: string, random: () => number): string {
  const doc = parseDocument(text);
  const all = leaves(doc.toJS());
  const strings = all.filter((l) => typeof l.value === "string").map((l) => l.value as string);
  for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
    const target = all[Math.floor(random() * all.length)]!;
    if (target.path.length === 0) continue;
    const r = random();
    // An earlier step may have removed this path's parent; then the step is simply skipped.
    if (!doc.hasIn(target.path.slice(0, -1)) && target.path.length > 1) continue;
    try {
      if (r < 0.3) doc.deleteIn(target.path);
      else if (target.path[target.path.length - 1] === "type" || r < 0.45)
        doc.setIn(target.path, TYPES[Math.floor(random() * TYPES.length)]);
      else if (typeof target.value === "string") doc.setIn(target.path, strings[Math.floor(random() * strings.length)]);
      else doc.setIn(target.path, random() < 0.5 ? 0 : "x");
    } catch {
      continue;
    }
  }
  return doc.toString();
}

test.each(["pipelines/reviews.yaml", "pipelines/yelp.yaml"])(
  "schema-valid mutants of %s never crash the checks",
  (file) => {
    const text = readFileSync(join(import.meta.dirname, "..", "..", file), "utf8");
    const random = rng(42);
    let checked = 0;
    let clean = 0;
    for (let i = 0; i < 150; i++) {
      const mutant = mutate(text, random);
      const parsed = parseYaml("m.yaml", mutant);
      if (parsed.value === undefined || hasErrors(checkSchema("m.yaml", parsed.value, parsed.locate))) continue;
      checked++;
      const lines = mutant.split("\n").length;
      let ds: ReturnType<typeof checkSemantics> = [];
      expect(() => (ds = checkSemantics("m.yaml", parsed.value as PipelineDoc, parsed.locate)), mutant).not.toThrow();
      for (const d of ds) {
        expect(d.line, `${d.code} ${d.message}`).toBeGreaterThanOrEqual(1);
        expect(d.line).toBeLessThanOrEqual(lines);
        expect(d.hint, `${d.code} ${d.message}`).toBeTruthy();
      }
      // Lowering trusts the checks: whatever they pass must lower without an invariant error.
      if (!hasErrors(ds)) {
        clean++;
        expect(() => compilePipeline("m.yaml", mutant), mutant).not.toThrow();
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect(clean).toBeGreaterThan(5);
  },
  30_000,
);
