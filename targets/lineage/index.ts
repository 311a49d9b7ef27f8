// The lineage target: a Markdown page with the pipeline's column lineage as a Mermaid graph
// (GitHub renders it); `lakec graph FILE` prints the same graph.
import type { EmittedFile, PipelineIR } from "../../compiler/ir.js";
import { generatedBy, mdComment } from "../text-escape.js";
import { lineageMermaid } from "./mermaid.js";

export { lineageMermaid, jsonPathText, type ExtraModel } from "./mermaid.js";

export function emitLineage(ir: PipelineIR): EmittedFile[] {
  const body = [
    mdComment(generatedBy(ir.sourceFile)),
    `# Column lineage: ${ir.name}`,
    "",
    "Raw JSON paths → output table columns → mart columns.",
    "",
    "```mermaid",
    lineageMermaid(ir).trimEnd(),
    "```",
    "",
  ];
  return [{ path: "lineage/lineage.md", contents: body.join("\n") }];
}

export const lineageTarget = {
  name: "lineage",
  description: "column lineage from raw JSON paths to mart columns, as a Mermaid graph (lineage/lineage.md)",
  emit: emitLineage,
};
