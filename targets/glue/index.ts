// The Glue target: one clean, one flatten and one compaction PySpark script per pipeline, shared by all its
// sources and selected by the `--source` argument (see docs/aws-architecture.md).
import type { EmittedFile, PipelineIR } from "../../compiler/ir.js";
import { cleanScript } from "./clean-script.js";
import { flattenScript } from "./flatten-script.js";
import { compactScript } from "./compact-script.js";
import { scriptKey, type GlueScript } from "./layout.js";

export { PROCESSED_PREFIX, type GlueJobRole, type GlueScript } from "./layout.js";

export function glueScripts(ir: PipelineIR): GlueScript[] {
  const scripts = [
    { role: "clean" as const, contents: cleanScript(ir) },
    { role: "flatten" as const, contents: flattenScript(ir) },
    { role: "compact" as const, contents: compactScript(ir) },
  ];
  return scripts.map((s) => ({ ...s, path: `glue/${s.role}.py`, s3Key: scriptKey(ir, s.role, s.contents) }));
}

export function emitGlueScripts(ir: PipelineIR): EmittedFile[] {
  return glueScripts(ir).map((s) => ({ path: s.path, contents: s.contents }));
}

export const glueTarget = {
  name: "glue",
  description:
    "AWS Glue PySpark jobs: clean (validate, dedupe, quarantine, manifest), flatten (output tables) and compact (small files packed, per-file replace kept)",
  emit: emitGlueScripts,
};
