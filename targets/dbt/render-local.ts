// Renders the emitted dbt project for DuckDB, so the local engine runs the very models, tests
// and incremental strategy that ship. Only the small Jinja subset the dbt target itself writes
// is understood: config(), ref(), source(), `{{ this }}`, the history relation macro,
// `{% if is_incremental() %}…[{% else %}…]{% endif %}` (both forms are kept: the full refresh and
// the incremental run), `{% if target.type == 'snowflake' %}…{% else %}…{% endif %}` (the DuckDB
// branch), and the lakec_replace strategy macro (rendered per call by `strategySql`). Anything
// else is an error, so a change in the emitted Jinja cannot silently run the wrong SQL.
import { parseAsDbt } from "../yaml-text.js";
import type { EmittedFile, PipelineIR } from "../../compiler/ir.js";
import { quoteIdent, quoteString } from "../../compiler/expr/print.js";
import { HISTORY_MACRO, HISTORY_SUFFIX, STRATEGY, STRATEGY_BINDINGS } from "./macros.js";
import { duckdbSourceRelation } from "./naming.js";
import { JINJA_CHAR, jinjaSafeValue, jinjaTextValue } from "../text-escape.js";

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
  /** The model's pre_hook as it renders on a full refresh (`flags.FULL_REFRESH` true), if any. */
  readonly fullRefreshPreHook?: string;
  readonly dependsOn: readonly string[];
}

export interface LocalTest {
  readonly name: string;
  /** Returns the failing rows; zero rows means the test passed. */
  readonly sql: string;
  readonly model: string;
  readonly column?: string;
  readonly severity: "error" | "warn";
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

const configString = (cfg: string, key: string): string | undefined => new RegExp(`\\b${key}='([^']*)'`).exec(cfg)?.[1];

/** Splits `{% if is_incremental() %}A[{% else %}B]{% endif %}` blocks into the two forms. */
function incrementalForms(name: string, sql: string): { full: string; incremental: string } {
  const open = /[ \t]*\{% if is_incremental\(\) %\}\n?/g;
  let full = "";
  let incremental = "";
  let at = 0;
  for (let m = open.exec(sql); m; m = open.exec(sql)) {
    full += sql.slice(at, m.index);
    incremental += sql.slice(at, m.index);
    const rest = sql.slice(m.index + m[0].length);
    const end = /[ \t]*\{% (else|endif) %\}\n?/.exec(rest);
    if (!end) throw new Error(`model ${name}: {% if is_incremental() %} without {% endif %}`);
    incremental += rest.slice(0, end.index);
    let after = end.index + end[0].length;
    if (end[1] === "else") {
      const endif = /[ \t]*\{% endif %\}\n?/.exec(rest.slice(after));
      if (!endif) throw new Error(`model ${name}: {% else %} of is_incremental() without {% endif %}`);
      full += rest.slice(after, after + endif.index);
      after += endif.index + endif[0].length;
    }
    at = m.index + m[0].length + after;
    open.lastIndex = at;
  }
  return { full: full + sql.slice(at), incremental: incremental + sql.slice(at) };
}

export interface RenderOptions {
  /**
   * The schema whose views the incremental form reads the external tables from (same names):
   * the local engine narrows them to newly arrived files (engine/incremental-sources.ts).
   */
  readonly incrementalSourceSchema?: string;
}

function renderModel(ir: PipelineIR, name: string, text: string, sources: ReadonlySet<string>, opts: RenderOptions): LocalModel {
  // A multi-line config ends on its own `) }}` line (its pre_hook holds `) }}` too).
  const cfgMatch = /\{\{ config\(\n([\s\S]*?)\n\) \}\}\n?/.exec(text) ?? /\{\{\s*config\(([^\n]*?)\)\s*\}\}\n?/.exec(text);
  const cfg = cfgMatch?.[1] ?? "";
  const kind = configString(cfg, "materialized");
  let sql = cfgMatch ? text.replace(cfgMatch[0], "") : text;
  // Engine switches first, so the incremental block's `{% endif %}` is the next one after it.
  sql = sql.replace(/\{% if target\.type == 'snowflake' %\}[\s\S]*?\{% else %\}([\s\S]*?)\{% endif %\}/g, (_m, duck: string) => duck);
  const dependsOn: string[] = [];
  const depend = (model: string): void => {
    if (!dependsOn.includes(model)) dependsOn.push(model);
  };
  sql = sql.replace(new RegExp(`\\{\\{ ${HISTORY_MACRO}\\(ref\\('([a-z0-9_]+)'\\)\\) \\}\\}`, "g"), (_m, model: string) => (depend(model), q(`${model}${HISTORY_SUFFIX}`)));
  sql = sql.replace(/\{\{ ref\('([a-z0-9_]+)'\) \}\}/g, (_m, model: string) => (depend(model), q(model)));
  const source = (text: string, relation: (table: string) => string): string =>
    text.replace(/\{\{ source\('([a-z0-9_]+)', '([a-z0-9_]+)'\) \}\}/g, (_m, src: string, table: string) => {
      if (src !== ir.name || !sources.has(table)) throw new Error(`model ${name}: source('${src}', '${table}') is not declared in _sources.yml`);
      return relation(table);
    });
  const forms = incrementalForms(name, sql);
  const full = source(forms.full, (t) => duckdbSourceRelation(ir, t));
  const arrived = opts.incrementalSourceSchema;
  const incremental = source(forms.incremental, (t) => (arrived === undefined ? duckdbSourceRelation(ir, t) : `${q(arrived)}.${q(t.toUpperCase())}`)).replace(/\{\{ this \}\}/g, q(name));
  // User text went through jinjaText: its tag-forming characters are JINJA_CHAR expressions.
  for (const [form, text2] of [["full", full], ["incremental", incremental]] as const) {
    if (/\{\{|\{%|\{#/.test(text2.replace(JINJA_CHAR, ""))) throw new Error(`model ${name}: Jinja the local renderer does not know is left in its ${form} form:\n${text2}`);
  }
  const [fullSql, incrementalSql] = [jinjaTextValue(full).trim(), jinjaTextValue(incremental).trim()];
  if (kind !== "incremental") return { name, sql: fullSql, materialized: kind === "view" ? "view" : "table", dependsOn };
  const strategy = configString(cfg, "incremental_strategy");
  const uniqueKey = configString(cfg, "unique_key");
  const rowMarker = configString(cfg, "lakec_row_marker");
  if (strategy !== STRATEGY || !uniqueKey || !rowMarker) throw new Error(`model ${name}: an incremental model must use incremental_strategy='${STRATEGY}' with unique_key and lakec_row_marker`);
  const preHook = /pre_hook="\{% if flags\.FULL_REFRESH %\}drop table if exists \{\{ ([a-z_]+)\(this\) \}\}\{% endif %\}"/.exec(cfg);
  if (/pre_hook=/.test(cfg) && (!preHook || preHook[1] !== HISTORY_MACRO)) throw new Error(`model ${name}: a pre_hook the local renderer does not know`);
  return {
    name,
    sql: fullSql,
    materialized: "incremental",
    incrementalSql,
    uniqueKey,
    rowMarker,
    history: /\blakec_history=true\b/.test(cfg),
    ...(preHook && { fullRefreshPreHook: `drop table if exists ${q(`${name}${HISTORY_SUFFIX}`)}` }),
    dependsOn,
  };
}

/**
 * The strategy macro's body for one call, DuckDB branch: its `{%- set … -%}` lines bind the names
 * in STRATEGY_BINDINGS, `{% if history %}` and the target switch are decided here, and every
 * `{{ name }}` is substituted. The statements come out in the macro's order.
 */
function strategyRenderer(macroFile: string): (call: StrategyCall) => string[] {
  const body = new RegExp(`\\{% macro get_incremental_${STRATEGY}_sql\\(arg_dict\\) -%\\}([\\s\\S]*?)\\{%- endmacro %\\}`).exec(macroFile)?.[1];
  if (body === undefined) throw new Error(`dbt/macros: no get_incremental_${STRATEGY}_sql macro`);
  const sets = [...body.matchAll(/\{%- set ([a-z_]+) = [^%]*-%\}\n?/g)].map((m) => m[1]!);
  if (sets.join(",") !== STRATEGY_BINDINGS.join(",")) throw new Error(`dbt/macros: the ${STRATEGY} macro binds ${sets.join(", ")}, not ${STRATEGY_BINDINGS.join(", ")}`);
  const template = body.replace(/\{%- set ([a-z_]+) = [^%]*-%\}\n?/g, "");
  return (call) => {
    const m = call.model;
    const values: Record<(typeof STRATEGY_BINDINGS)[number], string> = {
      target_rel: q(m.name),
      batch: call.batch,
      key: m.uniqueKey!,
      cols: call.columns.map(q).join(", "),
      marker: m.rowMarker!,
      history: String(m.history === true),
      history_rel: q(`${m.name}${HISTORY_SUFFIX}`),
    };
    let text = template.replace(/\{% if target\.type == 'snowflake' %\}[\s\S]*?\{% endif %\}\n?/g, "");
    text = text.replace(/\{% if history %\}([\s\S]*?)\{% endif %\}\n?/g, (_m, inner: string) => (m.history === true ? inner : ""));
    text = text.replace(/\{\{ ([a-z_]+) \}\}/g, (whole, v: string) => (v in values ? values[v as keyof typeof values] : whole));
    if (/\{\{|\{%|\{#/.test(text)) throw new Error(`dbt/macros: Jinja the local renderer does not know is left in ${STRATEGY}:\n${text}`);
    return text
      .split(";")
      .map((x) => x.trim())
      .filter((x) => x !== "");
  };
}

function inDependencyOrder(models: readonly LocalModel[]): LocalModel[] {
  const byName = new Map(models.map((m) => [m.name, m]));
  const done = new Set<string>();
  const out: LocalModel[] = [];
  const visit = (m: LocalModel, path: string[]): void => {
    if (done.has(m.name)) return;
    if (path.includes(m.name)) throw new Error(`dbt models form a cycle: ${[...path, m.name].join(" -> ")}`);
    for (const dep of m.dependsOn) {
      const d = byName.get(dep);
      if (!d) throw new Error(`model ${m.name}: ref('${dep}') does not name a model of this project`);
      visit(d, [...path, m.name]);
    }
    done.add(m.name);
    out.push(m);
  };
  for (const m of models) visit(m, []);
  return out;
}

type TestSpec = string | Record<string, Record<string, unknown>>;

const LITERAL = /^(-?[0-9]+(\.[0-9]+)?|true|false)$/;

function testSql(model: string, column: string, kind: string, args: Record<string, unknown>): string {
  const m = q(model);
  switch (kind) {
    case "not_null":
      return `select * from ${m} where ${column} is null`;
    case "unique":
      return `select ${column} as unique_field, count(*) as n_records from ${m} where ${column} is not null group by ${column} having count(*) > 1`;
    case "accepted_values": {
      const values = (args["values"] as unknown[]).map((v) => {
        const s = jinjaSafeValue(String(v));
        if (args["quote"] !== false) return quoteString("duckdb", s);
        if (!LITERAL.test(s)) throw new Error(`accepted_values on ${model}.${column}: unquoted value '${s}' is not a literal`);
        return s;
      });
      return `select ${column} as value_field, count(*) as n_records from ${m} where ${column} is not null and ${column} not in (${values.join(", ")}) group by ${column}`;
    }
    case "relationships": {
      const to = /^ref\('([a-z0-9_]+)'\)$/.exec(String(args["to"]));
      if (!to) throw new Error(`relationships on ${model}.${column}: unsupported 'to' ${String(args["to"])}`);
      const field = String(args["field"]);
      return `select child.${column} from ${m} as child left join ${q(to[1]!)} as parent on child.${column} = parent.${field} where child.${column} is not null and parent.${field} is null`;
    }
    default:
      throw new Error(`model ${model}: test '${kind}' is not one the dbt target generates`);
  }
}

function toTests(model: string, column: string | undefined, specs: readonly TestSpec[]): LocalTest[] {
  return specs.map((spec) => {
    const [kind, args] = typeof spec === "string" ? [spec, {}] : Object.entries(spec)[0]!;
    const target = column ?? String(args["column_name"]);
    const severity = (args["config"] as { severity?: string } | undefined)?.severity === "warn" ? "warn" : "error";
    const name = `${kind}_${model}_${(column ?? target).replace(/[^a-z0-9_]+/g, "_").replace(/^_+|_+$/g, "")}`;
    const test: LocalTest = { name, sql: testSql(model, target, kind, args), model, severity };
    return column === undefined ? test : { ...test, column };
  });
}

interface ModelProps {
  name: string;
  columns?: { name: string; data_tests?: TestSpec[] }[];
  data_tests?: TestSpec[];
}

function testsOf(propsFiles: readonly EmittedFile[]): LocalTest[] {
  const tests: LocalTest[] = [];
  for (const f of propsFiles) {
    const doc = parseAsDbt(f.contents) as { models?: ModelProps[] };
    for (const m of doc.models ?? []) {
      for (const c of m.columns ?? []) tests.push(...toTests(m.name, c.name, c.data_tests ?? []));
      tests.push(...toTests(m.name, undefined, m.data_tests ?? []));
    }
  }
  return tests;
}

function declaredSources(files: readonly EmittedFile[]): Set<string> {
  const tables = new Set<string>();
  for (const f of files.filter((x) => x.path.endsWith("/_sources.yml"))) {
    const doc = parseAsDbt(f.contents) as { sources?: { tables?: { name: string }[] }[] };
    for (const s of doc.sources ?? []) for (const t of s.tables ?? []) tables.add(t.name);
  }
  return tables;
}

/** The pipeline's models (jinja resolved, dependency order), tests and incremental strategy, for DuckDB. */
export function renderForDuckDB(ir: PipelineIR, emittedDbtFiles: readonly EmittedFile[], opts: RenderOptions = {}): LocalProject {
  const sources = declaredSources(emittedDbtFiles);
  const modelFiles = emittedDbtFiles.filter((f) => f.path.startsWith("dbt/models/") && f.path.endsWith(".sql"));
  const models = modelFiles.map((f) => renderModel(ir, f.path.slice(f.path.lastIndexOf("/") + 1, -".sql".length), f.contents, sources, opts));
  const propsFiles = emittedDbtFiles.filter((f) => f.path.startsWith("dbt/models/") && f.path.endsWith("/_models.yml"));
  const macro = emittedDbtFiles.find((f) => f.path === `dbt/macros/${STRATEGY}.sql`);
  if (!macro) throw new Error(`the dbt target emitted no dbt/macros/${STRATEGY}.sql`);
  return { models: inDependencyOrder(models), tests: testsOf(propsFiles), strategySql: strategyRenderer(macro.contents) };
}
