// The pipelines every conformance test (test/conformance/*.test.ts) runs over: every reference
// pipeline in pipelines/ without environments (a new one is covered by being there) and
// test/cases/every-option, which uses every option of the language. Each is compiled in memory
// into the tree `lakec compile` would write, relative to the project root.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compilePipeline } from "../../compiler/index.js";
import type { PipelineIR } from "../../compiler/ir.js";
import { layoutOutput } from "../../targets/registry.js";

const ROOT = join(import.meta.dirname, "..", "..");

/** The reference pipelines, `pipelines/<name>.yaml`, sorted. */
export const REFERENCE_PIPELINES: readonly string[] = readdirSync(join(ROOT, "pipelines"))
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((f) => `pipelines/${f}`);

/**
 * A pipeline with `environments:` compiles to a tree per environment, which these tests do not
 * lay out; test/cli/environments-cli.test.ts and test/deploy/ cover storefront.yaml's.
 */
const hasEnvironments = (file: string): boolean => /^environments:/m.test(readFileSync(join(ROOT, file), "utf8"));

export const CONFORMANCE_PIPELINES: readonly string[] = [
  ...REFERENCE_PIPELINES.filter((f) => !hasEnvironments(f)),
  "test/cases/every-option/pipeline.yaml",
];

export interface CompiledPipeline {
  readonly file: string;
  readonly ir: PipelineIR;
  /** Path relative to the project root (`generated/<name>/…`, `dbt/…`) to contents. */
  readonly files: ReadonlyMap<string, string>;
}

export function compileForConformance(file: string): CompiledPipeline {
  const result = compilePipeline(file, readFileSync(join(ROOT, file), "utf8"));
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (!result.ir || errors.length > 0) throw new Error(`${file} does not compile: ${errors.map((d) => d.message).join("; ")}`);
  const layout = layoutOutput(result.ir);
  const files = new Map<string, string>();
  for (const [p, c] of layout.pipelineFiles) files.set(`generated/${result.ir.name}/${p}`, c);
  for (const [p, c] of layout.projectFiles) files.set(p, c);
  return { file, ir: result.ir, files };
}

export const conformancePipelines = (): CompiledPipeline[] => CONFORMANCE_PIPELINES.map(compileForConformance);
