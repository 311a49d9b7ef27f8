// Property test: seeded mutations of the reference pipelines (delete a key, change a scalar's
// type, insert garbage, duplicate a line, truncate, …). Whatever the mutant, compilePipeline
// returns well-formed diagnostics or an IR, and never throws; every target emits from any IR.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { compilePipeline } from "../../compiler/index.js";
import { layoutOutput } from "../../targets/registry.js";
import { mulberry32 } from "../../synthetic/amazon.js";

const ROOT = join(import.meta.dirname, "..", "..");
const SEEDS = 250;
/** Emitting every target costs ~100 ms per IR; a sample of the mutants that compile is enough. */
const EMIT_SAMPLE = 20;

const rng = mulberry32;

type Mutation = (lines: string[], r: () => number) => string[];

const pick = <T>(xs: readonly T[], r: () => number): T => xs[Math.floor(r() * xs.length)]!;
const at = (lines: readonly string[], r: () => number): number => Math.floor(r() * lines.length);
const GARBAGE = [
  "\t",
  "\u0000",
  "\uFFFD",
  "{",
  "}",
  "[",
  "]",
  ":",
  "- ",
  "&a",
  "*a",
  "!!binary",
  '"',
  "'",
  "#",
  "|",
  ">",
  "%",
  "@",
  "`",
  "\r",
  "\u00e9",
  "---",
  "? ",
  ",,",
];
const VALUES = [
  "42",
  "-1",
  "3.5",
  "true",
  "null",
  "~",
  '""',
  "[]",
  "{}",
  "[1, 2]",
  "{ a: 1 }",
  "string",
  '"decimal(99,2)"',
  "array<array<x>>",
  "count(*)",
  "sum(title)",
  "x".repeat(70),
];

const MUTATIONS: Record<string, Mutation> = {
  deleteLine: (ls, r) => ls.filter((_, i) => i !== at(ls, r)),
  deleteKey: (ls, r) => {
    const keyed = ls.map((l, i) => (/^\s*[\w"]+.*:/.test(l) ? i : -1)).filter((i) => i >= 0);
    const victim = keyed.length > 0 ? pick(keyed, r) : -1;
    return ls.filter((_, i) => i !== victim);
  },
  changeScalar: (ls, r) => {
    const i = at(ls, r);
    return ls.map((l, j) => (j === i ? l.replace(/:\s+[^{[#\s][^,}#]*/, `: ${pick(VALUES, r)}`) : l));
  },
  changeFlowValue: (ls, r) => {
    const i = at(ls, r);
    return ls.map((l, j) =>
      j === i ? l.replace(/(\w+): ([^,}]+)([,}])/, (_m, k: string, _v: string, end: string) => `${k}: ${pick(VALUES, r)}${end}`) : l,
    );
  },
  insertGarbage: (ls, r) => {
    const i = at(ls, r);
    return ls.map((l, j) => {
      if (j !== i) return l;
      const pos = Math.floor(r() * (l.length + 1));
      return l.slice(0, pos) + pick(GARBAGE, r) + l.slice(pos);
    });
  },
  duplicateLine: (ls, r) => {
    const i = at(ls, r);
    return [...ls.slice(0, i + 1), ls[i] ?? "", ...ls.slice(i + 1)];
  },
  truncate: (ls, r) => {
    const text = ls.join("\n");
    return text.slice(0, Math.floor(r() * text.length)).split("\n");
  },
  reindent: (ls, r) => {
    const i = at(ls, r);
    return ls.map((l, j) => (j === i ? (r() < 0.5 ? ` ${l}` : l.replace(/^ /, "")) : l));
  },
  renameKey: (ls, r) => {
    const i = at(ls, r);
    return ls.map((l, j) => (j === i ? l.replace(/^(\s*)([a-z_]+):/, (_m, s: string, k: string) => `${s}${k.slice(0, -1) || "x"}:`) : l));
  },
};

function mutate(base: string, seed: number): { text: string; applied: string[] } {
  const r = rng(seed);
  let lines = base.split("\n");
  const applied: string[] = [];
  const count = 1 + Math.floor(r() * 3);
  for (let k = 0; k < count; k++) {
    const name = pick(Object.keys(MUTATIONS), r);
    applied.push(name);
    lines = MUTATIONS[name]!(lines, r);
  }
  return { text: lines.join("\n"), applied };
}

describe.each(["pipelines/reviews.yaml", "pipelines/yelp.yaml"])("mutants of %s", (file) => {
  const base = readFileSync(join(ROOT, file), "utf8");

  test(`${SEEDS} seeded mutants give clean diagnostics or an IR, never a throw`, () => {
    let rejected = 0;
    let emitted = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const { text, applied } = mutate(base, seed);
      const context = `seed ${seed} (${applied.join(", ")})`;
      let result: ReturnType<typeof compilePipeline>;
      try {
        result = compilePipeline(file, text);
      } catch (err) {
        throw new Error(`compilePipeline threw on ${context}: ${err instanceof Error ? err.stack : String(err)}`);
      }
      const errors = result.diagnostics.filter((d) => d.severity === "error");
      expect(result.ir === undefined, `${context}: an IR exactly when there are no errors`).toBe(errors.length > 0);
      for (const d of result.diagnostics) {
        expect(d.code, context).toMatch(/^LK\d{3}$/);
        expect(d.line, context).toBeGreaterThanOrEqual(1);
        expect(d.col, context).toBeGreaterThanOrEqual(1);
        expect(d.message.length, context).toBeGreaterThan(0);
      }
      if (result.ir) {
        if (emitted++ >= EMIT_SAMPLE) continue;
        try {
          layoutOutput(result.ir);
        } catch (err) {
          throw new Error(`a target threw on ${context}: ${err instanceof Error ? err.stack : String(err)}`);
        }
      } else rejected++;
    }
    // Most mutants must be rejected, or the mutations are too weak to test anything.
    expect(rejected).toBeGreaterThan(SEEDS / 4);
  }, 60_000);
});
