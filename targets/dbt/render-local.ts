// Renders the dbt project for DuckDB, so the local engine runs the very models, tests and
// incremental strategy that ship: the generated models and the users' own (user-project.ts).
// Every model is rendered with real Jinja (nunjucks, jinja.ts) twice: its full form
// (`is_incremental()` false) and its incremental form (`is_incremental()` true, `{{ this }}`
// the model, sources narrowed to newly arrived files). The lakec_replace strategy is the
// project's macro, rendered per call; a full refresh's pre_hook renders with
// `flags.FULL_REFRESH` true.
import type { EmittedFile, PipelineIR } from "../../compiler/ir.js";
import { quoteIdent } from "../../compiler/expr/print.js";
import { STRATEGY } from "./macros.js";
import { duckdbSourceRelation } from "./naming.js";
import { DbtJinja, DbtRenderError, Relation, type ConfigValues } from "./jinja.js";
import { declaredSources, testsOfProperties } from "./local-tests.js";
import { renderUserProject, UserProjectError, type UserDbtFiles } from "./user-project.js";

export interface LocalModel {
  readonly name: string;
  /** The full-refresh SELECT for DuckDB; create it as a view or table named `name`. */
  readonly sql: string;
  readonly materialized: "view" | "table" | "incremental";
  /** For incremental models: the SELECT of an incremental run (`is_incremental()` true, `{{ this }}` bound). */
  readonly incrementalSql?: string;
  readonly uniqueKey?: string;
  /** The strategy's config: the column that is NULL in placeholder rows, and whether replaced rows are kept. */
  readonly rowMarker?: string;
  readonly history?: boolean;
  /** The columns of replaced rows the history keeps (`lakec_history_columns`); all when absent. */
  readonly historyColumns?: readonly string[];
  /** The model's pre_hook as it renders on a full refresh (`flags.FULL_REFRESH` true), if any. */
  readonly fullRefreshPreHook?: string;
  readonly dependsOn: readonly string[];
  /** The model's tags (config `tags`), for `--select tag:…`. */
  readonly tags?: readonly string[];
  /** A hand-written model: its file, relative to the dbt project (`models/custom/<pipeline>/x.sql`). */
  readonly userFile?: string;
}

export interface LocalTest {
  readonly name: string;
  /** Returns the failing rows; zero rows means the test passed. */
  readonly sql: string;
  /**
   * The same test over the rows an incremental build wrote (`<model>__lakec_written`): what the
   * engine runs when the model was built incrementally and the test passed on the previous build.
   */
  readonly scopedSql?: string;
  readonly model: string;
  readonly column?: string;
  readonly severity: "error" | "warn";
  /** The models a singular test refs (a generic test tests `model` alone). */
  readonly models?: readonly string[];
  /** A hand-written test: the file it comes from, relative to the dbt project. */
  readonly userFile?: string;
}

/** What the lakec_replace strategy is called with (dbt's arg_dict and the model's config). */
export interface StrategyCall {
  readonly model: LocalModel;
  /** The relation holding the incremental run's SELECT result. */
  readonly batch: string;
  readonly columns: readonly string[];
}

export interface LocalProject {
  /** In dependency order. */
  readonly models: readonly LocalModel[];
  readonly tests: readonly LocalTest[];
  /** The statements the lakec_replace macro renders to for one call, DuckDB branch. */
  readonly strategySql: (call: StrategyCall) => string[];
}

const q = (name: string): string => quoteIdent("duckdb", name);

export interface RenderOptions {
  /**
   * The schema whose views the incremental form reads the external tables from (same names):
   * the local engine narrows them to newly arrived files (engine/incremental-sources.ts).
   */
  readonly incrementalSourceSchema?: string;
  /** `var()` values. */
  readonly vars?: Readonly<Record<string, unknown>>;
}

/** How one model file's references resolve; `depend` records a ref. */
export interface ModelScope {
  readonly ir: PipelineIR;
  readonly sources: ReadonlySet<string>;
  readonly opts: RenderOptions;
  /** Throws DbtRenderError for a ref to a model that does not exist. */
  readonly checkRef: (model: string) => void;
}

function sourceRelation(scope: ModelScope, arrived: boolean): (src: string, table: string) => string {
  return (src, table) => {
    if (src !== scope.ir.name || !scope.sources.has(table)) throw new DbtRenderError(`source('${src}', '${table}') is not a table of pipeline ${scope.ir.name}`);
    const schema = scope.opts.incrementalSourceSchema;
    return arrived && schema !== undefined ? `${q(schema)}.${q(table.toUpperCase())}` : duckdbSourceRelation(scope.ir, table);
  };
}

const stringConfig = (cfg: ConfigValues, key: string): string | undefined => (typeof cfg[key] === "string" ? (cfg[key] as string) : undefined);

/**
 * One model file, rendered in both forms. `defaultMaterialized` is what dbt_project.yml gives
 * the folder (dbt's own default is a view).
 */
export function renderModel(jinja: DbtJinja, scope: ModelScope, name: string, path: string, text: string, defaultMaterialized: string): LocalModel {
  const dependsOn: string[] = [];
  const ref = (model: string): Relation => {
    scope.checkRef(model);
    if (!dependsOn.includes(model)) dependsOn.push(model);
    return new Relation(model);
  };
  const self = new Relation(name);
  const config: ConfigValues = {};
  const full = jinja.render(path, text, { ref, source: sourceRelation(scope, false), self, incremental: false, fullRefresh: true, config, ...(scope.opts.vars && { vars: scope.opts.vars }) }).trim();
  const kind = stringConfig(config, "materialized") ?? defaultMaterialized;
  const tags = config.tags === undefined ? [] : Array.isArray(config.tags) ? config.tags.map(String) : [String(config.tags)];
  const base = { name, sql: full, dependsOn, ...(tags.length > 0 && { tags }) };
  const preHook = config.pre_hook === undefined ? undefined : [config.pre_hook].flat().map((h) => jinja.render(`${path}#pre_hook`, String(h), { ref, source: sourceRelation(scope, false), self, incremental: false, fullRefresh: true, config: { ...config } }).trim()).filter((h) => h !== "").join(";\n");
  const hook = preHook !== undefined && preHook !== "" ? { fullRefreshPreHook: preHook } : {};
  if (kind !== "incremental") return { ...base, materialized: kind === "view" ? "view" : "table", ...hook };
  const strategy = stringConfig(config, "incremental_strategy");
  const uniqueKey = stringConfig(config, "unique_key");
  const rowMarker = stringConfig(config, "lakec_row_marker");
  // Only lakec_replace runs incrementally here; another strategy's model is rebuilt in full on
  // every run, which gives the rows a full refresh would.
  if (strategy !== STRATEGY) return { ...base, materialized: "table", ...hook };
  if (!uniqueKey || !rowMarker) throw new DbtRenderError(`an incremental model with incremental_strategy='${STRATEGY}' needs unique_key and lakec_row_marker`);
  const incremental = jinja.render(path, text, { ref, source: sourceRelation(scope, true), self, incremental: true, fullRefresh: false, config: {}, ...(scope.opts.vars && { vars: scope.opts.vars }) }).trim();
  const historyColumns = Array.isArray(config.lakec_history_columns) ? config.lakec_history_columns.map(String) : undefined;
  return { ...base, materialized: "incremental", incrementalSql: incremental, uniqueKey, rowMarker, history: config.lakec_history === true, ...(historyColumns && { historyColumns }), ...hook };
}

/** The strategy macro, called as dbt calls it: arg_dict and the model's config. Statements in the macro's order. */
function strategyRenderer(jinja: DbtJinja): (call: StrategyCall) => string[] {
  return (call) => {
    const m = call.model;
    const config: ConfigValues = { unique_key: m.uniqueKey, lakec_row_marker: m.rowMarker, lakec_history: m.history === true, ...(m.historyColumns && { lakec_history_columns: [...m.historyColumns] }), incremental_strategy: STRATEGY };
    const argDict = { target_relation: new Relation(m.name), temp_relation: { toString: () => call.batch }, unique_key: m.uniqueKey, dest_columns: call.columns.map((name) => ({ name })), incremental_predicates: [] };
    const fail = (): never => {
      throw new DbtRenderError(`${STRATEGY}: the strategy macro refs a model`);
    };
    const text = jinja.render(`dbt/macros/${STRATEGY}.sql#call`, `{{ get_incremental_${STRATEGY}_sql(arg_dict) }}`, { ref: fail, source: fail, self: new Relation(m.name), incremental: true, fullRefresh: false, config }, { arg_dict: argDict });
    return text
      .split(";")
      .map((x) => x.trim())
      .filter((x) => x !== "");
  };
}

/** Models in dependency order (refs before the models that use them). */
export function inDependencyOrder(models: readonly LocalModel[]): LocalModel[] {
  const byName = new Map(models.map((m) => [m.name, m]));
  const done = new Set<string>();
  const out: LocalModel[] = [];
  const visit = (m: LocalModel, path: string[]): void => {
    if (done.has(m.name)) return;
    if (path.includes(m.name)) throw new DbtRenderError(`dbt models form a cycle: ${[...path, m.name].join(" -> ")}`);
    for (const dep of m.dependsOn) {
      const d = byName.get(dep);
      if (!d) throw new DbtRenderError(`model ${m.name}: ref('${dep}') does not name a model of this project`);
      visit(d, [...path, m.name]);
    }
    done.add(m.name);
    out.push(m);
  };
  for (const m of models) visit(m, []);
  return out;
}

/** The macro files of the project: the generated strategy and any the user keeps in dbt/macros/. */
function macroFiles(emitted: readonly EmittedFile[], user: UserDbtFiles | undefined): { path: string; contents: string }[] {
  const shipped = emitted.filter((f) => f.path.startsWith("dbt/macros/") && f.path.endsWith(".sql"));
  if (!shipped.some((f) => f.path === `dbt/macros/${STRATEGY}.sql`)) throw new Error(`the dbt target emitted no dbt/macros/${STRATEGY}.sql`);
  const mine = (user?.macros ?? []).filter((f) => !shipped.some((s) => s.path === `dbt/${f.rel}`));
  return [...shipped, ...mine.map((f) => ({ path: f.path, contents: f.text }))];
}

/**
 * The pipeline's models (Jinja rendered, dependency order), tests and incremental strategy,
 * for DuckDB: the generated ones, and the hand-written ones in `user` (models/custom/<pipeline>/,
 * tests/<pipeline>/). Throws UserProjectError with diagnostics when a hand-written file is wrong.
 */
export function renderForDuckDB(ir: PipelineIR, emittedDbtFiles: readonly EmittedFile[], opts: RenderOptions = {}, user?: UserDbtFiles): LocalProject {
  const jinja = new DbtJinja(macroFiles(emittedDbtFiles, user));
  const sources = declaredSources(emittedDbtFiles);
  const modelFiles = emittedDbtFiles.filter((f) => f.path.startsWith("dbt/models/") && f.path.endsWith(".sql"));
  const generatedNames = new Set(modelFiles.map((f) => modelName(f.path)));
  const generatedScope: ModelScope = {
    ir,
    sources,
    opts,
    checkRef: (m) => {
      if (!generatedNames.has(m)) throw new DbtRenderError(`ref('${m}') does not name a generated model`);
    },
  };
  const generated = modelFiles.map((f) => {
    try {
      return renderModel(jinja, generatedScope, modelName(f.path), f.path, f.contents, "view");
    } catch (e) {
      throw new Error(`${f.path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  const tests = testsOfProperties(jinja, emittedDbtFiles.filter((f) => f.path.startsWith("dbt/models/") && f.path.endsWith("/_models.yml")));
  const mine = user ? renderUserProject(jinja, { ir, sources, opts, generated }, user) : undefined;
  if (mine && mine.diagnostics.some((d) => d.severity === "error")) throw new UserProjectError(mine.diagnostics);
  return {
    models: inDependencyOrder([...generated, ...(mine?.models ?? [])]),
    tests: [...tests, ...(mine?.tests ?? [])],
    strategySql: strategyRenderer(jinja),
  };
}

export const modelName = (path: string): string => path.slice(path.lastIndexOf("/") + 1, -".sql".length);
