// Debug target: the IR as JSON, so a reviewer can see exactly what every other target reads.
import { generatedBy } from "../text-escape.js";
import type { EmittedFile, PipelineIR } from "../../compiler/ir.js";

/** Recursively sorts object keys so the text depends only on the IR's content. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

export function emitIrJson(ir: PipelineIR): EmittedFile[] {
  // JSON has no comments, so the do-not-edit header is the first key.
  const body = { _generated: generatedBy(ir.sourceFile), ...(sortKeys(ir) as object) };
  return [{ path: "ir/ir.json", contents: `${JSON.stringify(body, null, 2)}\n` }];
}
