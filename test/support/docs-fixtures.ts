// The reference pipelines' IRs, shared by the docs site tests.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compilePipeline } from "../../compiler/index.js";
import type { PipelineIR } from "../../compiler/ir.js";
import { main } from "../../cli/main.js";

export const ROOT = join(import.meta.dirname, "..", "..");

export function referenceIr(name: string): PipelineIR {
  const file = `pipelines/${name}.yaml`;
  const r = compilePipeline(file, readFileSync(join(ROOT, file), "utf8"));
  if (!r.ir) throw new Error(`${file} does not compile`);
  return r.ir;
}

/** Runs lakec in-process in `cwd` and collects what it printed. */
export async function lakecIn(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const printed = { out: "", err: "" };
  const code = await main(argv, { out: (t) => void (printed.out += t), err: (t) => void (printed.err += t), cwd });
  return { code, ...printed };
}
