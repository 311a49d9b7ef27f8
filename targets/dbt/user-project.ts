// The users' own dbt files beside the generated ones, rendered for DuckDB and checked against
// the IR: hand-written models in `dbt/models/custom/<pipeline>/` (with schema .yml files
// holding their descriptions and generic tests) and singular tests in `dbt/tests/<pipeline>/`.
// `lakec compile` never writes those folders. Every problem is a diagnostic with the file's
// line and column (LK6xx), all at once; a renamed column is found by binding the rendered SQL
// on DuckDB (engine/user-models-bind.ts), which this pure stage cannot do.
import { didYouMean, type Diagnostic } from "../../compiler/diagnostics.js";
import type { PipelineIR } from "../../compiler/ir.js";
import { parseAsDbt } from "../yaml-text.js";
import { stagingModel } from "./naming.js";
import { DbtRenderError, Relation, renderErrorDetail, type ConfigValues, type DbtJinja } from "./jinja.js";
import { testsOfModel, type ModelProps } from "./local-tests.js";
import { inDependencyOrder, modelName, renderModel, type LocalModel, type LocalTest, type ModelScope, type RenderOptions } from "./render-local.js";

/** The diagnostics of hand-written dbt files; docs/language.md has a row for each. */
export const DBT_PROJECT_CODES = {
  LK601: "a hand-written model or test refs a model the pipeline does not have",
  LK602: "a hand-written model or test reads a column its inputs do not have (renamed or removed in the pipeline)",
  LK603: "a hand-written file's Jinja does not parse or render (syntax, an undefined name, a var without default)",
  LK604: "source() names a table the pipeline does not have",
  LK605: "a hand-written model has the name of a generated model or of another hand-written model",
  LK606: "hand-written models ref each other in a cycle",
  LK607: "a schema .yml or singular test lakec cannot run: properties of a model that is not hand-written here, a generic test other than not_null, unique, accepted_values, relationships, a singular test without ref()",
  LK608: "a hand-written model or test does not parse or bind on DuckDB (syntax, an unknown function, a type error found at bind time)",
} as const;

export interface UserDbtFile {
  /** The path as diagnostics show it (relative to the working folder). */
  readonly path: string;
  /** The path inside the dbt project, with `/`: `models/custom/reviews/top_products.sql`. */
  readonly rel: string;
  readonly text: string;
}

export interface UserDbtFiles {
  readonly models: readonly UserDbtFile[];
  /** Schema .yml files beside the models. */
  readonly properties: readonly UserDbtFile[];
  /** Singular tests: a SELECT that returns the failing rows. */
  readonly tests: readonly UserDbtFile[];
  /** The user's own macros in dbt/macros/ (files lakec did not generate). */
  readonly macros: readonly UserDbtFile[];
}

/** The folders, inside the dbt project, that hold a pipeline's hand-written files. */
export const userModelsDir = (pipeline: string): string => `models/custom/${pipeline}`;
export const userTestsDir = (pipeline: string): string => `tests/${pipeline}`;

export class UserProjectError extends Error {
  override readonly name = "UserProjectError";
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    super(diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.code}: ${d.message}`).join("\n"));
  }
}

export interface Position {
  readonly line: number;
  readonly col: number;
  readonly endCol?: number;
}

/** The first match of `re` in `text` (outside nothing in particular), as line and column; line 1 col 1 when none. */
export function positionOf(text: string, re: RegExp, group = 0): Position {
  const m = re.exec(text);
  if (!m) return { line: 1, col: 1 };
  const offset = m.index + (group === 0 ? 0 : m[0].indexOf(m[group]!));
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const col = offset - before.lastIndexOf("\n");
  const len = (group === 0 ? m[0] : m[group]!).length;
  return { line, col, endCol: col + Math.max(1, len) };
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export function diagnostic(file: UserDbtFile, at: Position, code: string, message: string, hint?: string, severity: Diagnostic["severity"] = "error"): Diagnostic {
  return { file: file.path, line: at.line, col: at.col, ...(at.endCol !== undefined && { endLine: at.line, endCol: at.endCol }), severity, code, message, ...(hint !== undefined && { hint }) };
}

export interface UserScope {
  readonly ir: PipelineIR;
  readonly sources: ReadonlySet<string>;
  readonly opts: RenderOptions;
  readonly generated: readonly LocalModel[];
}

export interface UserProject {
  readonly models: readonly LocalModel[];
  readonly tests: readonly LocalTest[];
  readonly diagnostics: readonly Diagnostic[];
}

const refAt = (name: string): RegExp => new RegExp(`\\bref\\s*\\([^)]*?['"](${escapeRe(name)})['"]`);

/** A render failure as a diagnostic: an unknown source, a Jinja syntax error, an undefined name. */
function renderFailure(file: UserDbtFile, e: unknown, ir: PipelineIR): Diagnostic {
  const detail = renderErrorDetail(e);
  const src = /source\('([^']*)', '([^']*)'\)/.exec(detail.message);
  if (src) {
    const tables = ir.tables.map((t) => t.name);
    const at = positionOf(file.text, new RegExp(`\\bsource\\s*\\([^)]*?['"](${escapeRe(src[2]!)})['"]`), 1);
    return diagnostic(file, at, "LK604", detail.message, `sources of pipeline ${ir.name}: ${tables.join(", ")}; ${didYouMean(src[2]!, tables) ?? "or ref() a staging model"}`);
  }
  const at = detail.line !== undefined ? { line: detail.line, col: detail.col ?? 1 } : { line: 1, col: 1 };
  const hint = /undefined value|undefined/.test(detail.message) ? "a name the template uses is not defined: dbt's context here is ref, source, config, var, env_var, is_incremental, this, target, flags and the project's macros" : "see docs/local-engine.md (Jinja) for what nunjucks reads differently from Jinja2";
  return diagnostic(file, at, "LK603", `Jinja: ${detail.message}`, hint);
}

function renderModels(jinja: DbtJinja, scope: UserScope, files: UserDbtFiles, diagnostics: Diagnostic[]): LocalModel[] {
  const generatedNames = new Set(scope.generated.map((m) => m.name));
  const userNames = new Map<string, UserDbtFile>();
  for (const f of files.models) {
    const name = modelName(f.rel);
    const other = userNames.get(name);
    if (generatedNames.has(name) || other) {
      diagnostics.push(diagnostic(f, { line: 1, col: 1 }, "LK605", `model name '${name}' is taken by ${other ? `hand-written ${other.path}` : "a generated model"}`, "dbt needs unique model names across the project: rename the file"));
      continue;
    }
    userNames.set(name, f);
  }
  const known = [...generatedNames, ...userNames.keys()];
  const models: LocalModel[] = [];
  for (const [name, f] of userNames) {
    const refScope: ModelScope = {
      ...scope,
      checkRef: (m) => {
        if (known.includes(m)) return;
        const staged = scope.ir.tables.some((t) => `stg_${scope.ir.name}__${t.name}` === m);
        diagnostics.push(diagnostic(f, positionOf(f.text, refAt(m), 1), "LK601", `ref('${m}') names no model of pipeline ${scope.ir.name}`, didYouMean(m, known) ?? (staged ? undefined : `models: ${known.join(", ")}`)));
      },
    };
    try {
      models.push({ ...renderModel(jinja, refScope, name, f.rel, f.text, "view"), userFile: f.rel });
    } catch (e) {
      diagnostics.push(renderFailure(f, e, scope.ir));
    }
  }
  try {
    inDependencyOrder([...scope.generated, ...models.filter((m) => m.dependsOn.every((d) => known.includes(d)))]);
  } catch (e) {
    const cycle = /cycle: (.*)$/.exec(e instanceof Error ? e.message : "");
    const first = cycle ? userNames.get(cycle[1]!.split(" -> ")[0]!) : undefined;
    if (first) diagnostics.push(diagnostic(first, positionOf(first.text, /\bref\s*\(/), "LK606", `hand-written models ref each other in a cycle: ${cycle![1]}`, "dbt builds models in ref() order, so a cycle cannot be built"));
    else throw e;
  }
  return models;
}

function singularTest(jinja: DbtJinja, scope: UserScope, known: readonly string[], f: UserDbtFile, diagnostics: Diagnostic[]): LocalTest | undefined {
  const refs: string[] = [];
  const config: ConfigValues = {};
  const ref = (m: string): Relation => {
    if (!known.includes(m)) diagnostics.push(diagnostic(f, positionOf(f.text, refAt(m), 1), "LK601", `ref('${m}') names no model of pipeline ${scope.ir.name}`, didYouMean(m, known)));
    if (!refs.includes(m)) refs.push(m);
    return new Relation(m);
  };
  const fail = (): never => {
    throw new DbtRenderError("a singular test reads models with ref(), not sources");
  };
  try {
    const sql = jinja.render(f.rel, f.text, { ref, source: fail, self: new Relation(modelName(f.rel)), incremental: false, fullRefresh: false, config }).trim().replace(/;\s*$/, "");
    const severity = String(config.severity ?? "error").toLowerCase() === "warn" ? "warn" : "error";
    if (refs.length === 0) {
      diagnostics.push(diagnostic(f, { line: 1, col: 1 }, "LK607", "a singular test must ref() the model it tests", "select the failing rows from {{ ref('<model>') }}"));
      return undefined;
    }
    return { name: modelName(f.rel), sql, model: refs[0]!, models: refs, severity, userFile: f.rel };
  } catch (e) {
    diagnostics.push(renderFailure(f, e, scope.ir));
    return undefined;
  }
}

function propertiesTests(jinja: DbtJinja, userModels: ReadonlySet<string>, generated: ReadonlySet<string>, f: UserDbtFile, diagnostics: Diagnostic[]): LocalTest[] {
  let doc: { models?: ModelProps[] };
  try {
    doc = (parseAsDbt(f.text) ?? {}) as { models?: ModelProps[] };
  } catch (e) {
    diagnostics.push(diagnostic(f, { line: 1, col: 1 }, "LK607", `not valid YAML: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`));
    return [];
  }
  const tests: LocalTest[] = [];
  for (const m of doc.models ?? []) {
    const at = positionOf(f.text, new RegExp(`name:\\s*['"]?(${escapeRe(String(m.name))})['"]?\\s*$`, "m"), 1);
    if (!userModels.has(m.name)) {
      const why = generated.has(m.name) ? "a generated model: its properties are lakec's (_models.yml), and dbt allows one properties entry per model" : `no hand-written model in this folder is called ${m.name}`;
      diagnostics.push(diagnostic(f, at, "LK607", `properties for model '${m.name}': ${why}`, didYouMean(m.name, userModels)));
      continue;
    }
    try {
      tests.push(...testsOfModel(jinja, m).map((t) => ({ ...t, userFile: f.rel })));
    } catch (e) {
      const detail = renderErrorDetail(e);
      const kind = /test '([^']+)'/.exec(detail.message)?.[1];
      diagnostics.push(diagnostic(f, kind ? positionOf(f.text, new RegExp(`\\b(${escapeRe(kind)})\\b`), 1) : at, "LK607", detail.message));
    }
  }
  return tests;
}

/** The hand-written models and tests of one pipeline, and everything wrong with them. */
export function renderUserProject(jinja: DbtJinja, scope: UserScope, files: UserDbtFiles): UserProject {
  const diagnostics: Diagnostic[] = [];
  const models = renderModels(jinja, scope, files, diagnostics);
  const userModels = new Set(models.map((m) => m.name));
  const generated = new Set(scope.generated.map((m) => m.name));
  const known = [...generated, ...userModels];
  const tests = [
    ...files.properties.flatMap((f) => propertiesTests(jinja, userModels, generated, f, diagnostics)),
    ...files.tests.flatMap((f) => singularTest(jinja, scope, known, f, diagnostics) ?? []),
  ];
  return { models, tests, diagnostics };
}

/**
 * One dbt project holds every pipeline's models: a hand-written model may not take the name of
 * another pipeline's model, generated or hand-written (dbt refuses two models of one name).
 */
export function projectNameClashes(pipelines: readonly { ir: PipelineIR; files: UserDbtFiles }[]): Diagnostic[] {
  const owner = new Map<string, string>();
  for (const { ir } of pipelines) for (const name of [...ir.tables.map((t) => stagingModel(ir, t.name)), ...ir.marts.map((m) => m.name)]) owner.set(name, `a generated model of pipeline ${ir.name}`);
  const out: Diagnostic[] = [];
  for (const { ir, files } of pipelines) {
    for (const f of files.models) {
      const name = modelName(f.rel);
      const other = owner.get(name);
      if (other !== undefined && !other.endsWith(`pipeline ${ir.name}`) && !other.includes(`models/custom/${ir.name}/`)) out.push(diagnostic(f, { line: 1, col: 1 }, "LK605", `model name '${name}' is taken by ${other}`, "the pipelines share one dbt project, whose model names are unique: rename the file"));
      else if (other === undefined) owner.set(name, `hand-written ${f.path}`);
    }
  }
  return out;
}

/** Where a column name appears first in a file, outside `{{ }}` and `{% %}`: for a diagnostic from DuckDB's binder. */
export function columnPosition(file: UserDbtFile, column: string): Position {
  const blanked = file.text.replace(/\{[{%#][\s\S]*?[}%#]\}/g, (m) => m.replace(/[^\n]/g, " "));
  return positionOf(blanked, new RegExp(`(?<![A-Za-z0-9_])(${escapeRe(column)})(?![A-Za-z0-9_])`, "i"), 1);
}
