// The reference pipelines' IRs, shared by the docs site tests.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compilePipeline } from "../compiler/index.js";
import type { PipelineIR } from "../compiler/ir.js";

export const ROOT = join(import.meta.dirname, "..");

export function referenceIr(name: string): PipelineIR {
  const file = `pipelines/${name}.yaml`;
  const r = compilePipeline(file, readFileSync(join(ROOT, file), "utf8"));
  if (!r.ir) throw new Error(`${file} does not compile`);
  return r.ir;
}
