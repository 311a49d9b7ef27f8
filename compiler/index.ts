// The compiler's one entry point: text in, IR or diagnostics out. Pure: no file system.
import type { PipelineDoc } from "./doc.js";
import { hasErrors, sortDiagnostics, type Diagnostic, type Locator } from "./diagnostics.js";
import type { PipelineIR } from "./ir.js";
import { parseYaml } from "./load.js";
import { checkSchema } from "./schema-check.js";
import { checkSemantics } from "./check/index.js";
import { lower } from "./lower.js";

export interface CompileResult {
  readonly ir?: PipelineIR;
  readonly diagnostics: readonly Diagnostic[];
  /** Positions in this file's text, for checks across files (compiler/check/project.ts); set with `ir`. */
  readonly locate?: Locator;
}

/** `file` is the path as the user gave it; it is used in diagnostics and generated headers. */
export function compilePipeline(file: string, text: string): CompileResult {
  const parsed = parseYaml(file, text);
  if (hasErrors(parsed.diagnostics) || parsed.value === undefined) return { diagnostics: sortDiagnostics(parsed.diagnostics) };
  const schemaDiags = checkSchema(file, parsed.value, parsed.locate);
  if (hasErrors(schemaDiags)) return { diagnostics: sortDiagnostics([...parsed.diagnostics, ...schemaDiags]) };
  const doc = parsed.value as PipelineDoc;
  const semantic = checkSemantics(file, doc, parsed.locate);
  const all = sortDiagnostics([...parsed.diagnostics, ...schemaDiags, ...semantic]);
  if (hasErrors(all)) return { diagnostics: all };
  return { ir: lower(doc, file), diagnostics: all, locate: parsed.locate };
}
