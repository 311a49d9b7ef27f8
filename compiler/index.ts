// The compiler's one entry point: text in, IR or diagnostics out. Pure: no file system.
import type { PipelineDoc } from "./doc.js";
import { hasErrors, sortDiagnostics, type Diagnostic, type Locator } from "./diagnostics.js";
import type { PipelineIR } from "./ir.js";
import { parseYaml } from "./load.js";
import { checkSchema } from "./schema-check.js";
import { checkSemantics } from "./check/index.js";
import { defaultEnvironment, lowerEnvironments } from "./environments.js";

export interface CompileResult {
  /**
   * The IR of the default environment (the one marked `default: true`, or the only one), or
   * the first when there is no default; the only IR when the pipeline declares no environments.
   * Commands that deploy or run choose an environment with cli/pipeline-files.ts, never by this.
   */
  readonly ir?: PipelineIR;
  /** One IR per environment in declaration order; `[ir]` without environments. Set with `ir`. */
  readonly irs?: readonly PipelineIR[];
  /** The default environment's name, when there is one. */
  readonly defaultEnvironment?: string;
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
  const irs = lowerEnvironments(doc, file);
  const chosen = defaultEnvironment(doc);
  const ir = irs.find((i) => i.environment?.name === chosen) ?? irs[0]!;
  return { ir, irs, ...(chosen !== undefined && { defaultEnvironment: chosen }), diagnostics: all, locate: parsed.locate };
}
