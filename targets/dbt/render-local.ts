// Renders the emitted dbt project for DuckDB, so the local engine runs the very models and tests
// that ship. Only the small Jinja subset the dbt target itself writes is understood: config(),
// ref(), source(), `{% if is_incremental() %}` blocks (dropped for the full-refresh form, kept
// with `{{ this }}` when rendering the incremental form) and
// `{% if target.type == 'snowflake' %}…{% else %}…{% endif %}` (the DuckDB branch). Anything else
// is an error, so a change in the emitted Jinja cannot silently run the wrong SQL.
import { parseAsDbt } from "../yaml-text.js";
import type { EmittedFile, PipelineIR } from "../../compiler/ir.js";
import { quoteIdent, quoteString } from "../../compiler/expr/print.js";
import { duckdbSourceRelation } from "./naming.js";
import { JINJA_CHAR, jinjaSafeValue, jinjaTextValue } from "../text-escape.js";

export interface LocalModel {
  readonly name: string;
  /** A SELECT for DuckDB; create it as a view or table named `name`. */
  readonly sql: string;
  /** `incremental` only with `RenderOptions.incremental`: delete rows matching `uniqueKey`, then insert. */
  readonly materialized: "view" | "table" | "incremental";
  readonly uniqueKey?: string;
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

export interface LocalProject {
  /** In dependency order. */
  readonly models: readonly LocalModel[];
  readonly tests: readonly LocalTest[];
}

const q = (name: string): string => quoteIdent("duckdb", name);

export interface RenderOptions {
  /** Render incremental models' `is_incremental()` branch, with `{{ this }}` as the model's own table. */
  readonly incremental?: boolean;
}

function renderModel(ir: PipelineIR, name: string, text: string, sources: ReadonlySet<string>, opts: RenderOptions): LocalModel {
  const cfg = /\{\{\s*config\(([\s\S]*?)\)\s*\}\}\n?/.exec(text);
  const kind = cfg ? /materialized='([a-z_+]+)'/.exec(cfg[1]!)?.[1] : undefined;
  const incremental = opts.incremental === true && kind === "incremental";
  let sql = cfg ? text.replace(cfg[0], "") : text;
  // Engine switches first, so the incremental block's `{% endif %}` is the next one after it.
  sql = sql.replace(/\{% if target\.type == 'snowflake' %\}[\s\S]*?\{% else %\}([\s\S]*?)\{% endif %\}/g, (_m, duck: string) => duck);
  sql = sql.replace(/([ \t]*)\{% if is_incremental\(\) %\}\n([\s\S]*?)[ \t]*\{% endif %\}\n?/g, (_m, _indent: string, body: string) =>
    incremental ? body.replace(/\{\{ this \}\}/g, q(name)) : "",
  );
  const dependsOn: string[] = [];
  sql = sql.replace(/\{\{ ref\('([a-z0-9_]+)'\) \}\}/g, (_m, model: string) => {
    if (!dependsOn.includes(model)) dependsOn.push(model);
    return q(model);
  });
  sql = sql.replace(/\{\{ source\('([a-z0-9_]+)', '([a-z0-9_]+)'\) \}\}/g, (_m, source: string, table: string) => {
    if (source !== ir.name || !sources.has(table)) throw new Error(`model ${name}: source('${source}', '${table}') is not declared in _sources.yml`);
    return duckdbSourceRelation(ir, table);
  });
  // User text went through jinjaText: its tag-forming characters are JINJA_CHAR expressions.
  if (/\{\{|\{%|\{#/.test(sql.replace(JINJA_CHAR, ""))) throw new Error(`model ${name}: Jinja the local renderer does not know is left:\n${sql}`);
  sql = jinjaTextValue(sql);
  // Unless asked for the incremental form, incremental models render as their full refresh: a table.
  const materialized = incremental ? "incremental" : kind === "view" ? "view" : "table";
  const model: LocalModel = { name, sql: sql.trim(), materialized, dependsOn };
  return incremental ? { ...model, uniqueKey: /unique_key='([a-z0-9_]+)'/.exec(cfg![1]!)![1]! } : model;
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

/** The pipeline's models (jinja resolved, dependency order) and tests, for DuckDB. */
export function renderForDuckDB(ir: PipelineIR, emittedDbtFiles: readonly EmittedFile[], opts: RenderOptions = {}): LocalProject {
  const sources = declaredSources(emittedDbtFiles);
  const modelFiles = emittedDbtFiles.filter((f) => f.path.startsWith("dbt/models/") && f.path.endsWith(".sql"));
  const models = modelFiles.map((f) => renderModel(ir, f.path.slice(f.path.lastIndexOf("/") + 1, -".sql".length), f.contents, sources, opts));
  const propsFiles = emittedDbtFiles.filter((f) => f.path.startsWith("dbt/models/") && f.path.endsWith("/_models.yml"));
  return { models: inDependencyOrder(models), tests: testsOf(propsFiles) };
}
