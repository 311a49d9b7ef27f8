// Semantic checks: everything the JSON Schema cannot say about a pipeline. The document has
// the right shape when these run; they check meaning (names resolve, options fit types, marts
// type-check) and report every problem at once, each at its exact line and column.
import type { Diagnostic, Locator } from "../diagnostics.js";
import type { PipelineDoc } from "../doc.js";
import { CheckContext } from "./context.js";
import { checkDerives } from "./derive.js";
import { checkFlattens } from "./flatten.js";
import { checkMarts } from "./marts.js";
import { checkNames } from "./names.js";
import { checkSettings } from "./settings.js";
import { checkSources } from "./sources.js";
import { buildTables } from "./tables.js";
import { checkEnvironments } from "../environments.js";

export { SEMANTIC_CODES, type SemanticCode } from "./codes.js";

export function checkSemantics(file: string, doc: PipelineDoc, locate: Locator): Diagnostic[] {
  const ctx = new CheckContext(file, doc, locate);
  const tables = buildTables(doc);
  checkSettings(ctx);
  checkSources(ctx);
  checkFlattens(ctx);
  checkNames(ctx, tables);
  checkDerives(ctx, tables);
  checkMarts(ctx, tables);
  // Last: an environment's settings problem that the top level already has is not repeated.
  return [...ctx.diagnostics, ...checkEnvironments(file, doc, locate, ctx.diagnostics)];
}
