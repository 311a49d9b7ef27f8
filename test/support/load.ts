// The one way tests turn a pipeline file into IR: through compilePipeline, as `lakec compile`
// does, so a test never sees IR that validation would have refused. A pipeline that does not
// compile fails the test with its diagnostics.
import { readFileSync } from "node:fs";
import { compilePipeline } from "../../compiler/index.js";
import type { PipelineIR } from "../../compiler/ir.js";

/** The IR of `file` (its default environment), or of `text` read as if it were `file`. */
export function load(file: string, text: string = readFileSync(file, "utf8")): PipelineIR {
  const result = compilePipeline(file, text);
  if (!result.ir)
    throw new Error(`${file} does not compile:\n${result.diagnostics.map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`).join("\n")}`);
  return result.ir;
}
