// dbt's generic tests as DuckDB queries that return the failing rows, read from properties
// files (`_models.yml`, and a user's schema .yml): not_null, unique, accepted_values and
// relationships, with dbt's `severity` and `where` configs. String arguments are rendered as
// Jinja first, as dbt renders them.
import { parseAsDbt } from "../yaml-text.js";
import type { EmittedFile } from "../../compiler/ir.js";
import { quoteIdent, quoteString } from "../../compiler/expr/print.js";
import { DbtRenderError, Relation, type DbtJinja } from "./jinja.js";
import type { LocalTest } from "./render-local.js";

const q = (name: string): string => quoteIdent("duckdb", name);

type TestSpec = string | Record<string, Record<string, unknown> | null>;

const LITERAL = /^(-?[0-9]+(\.[0-9]+)?|true|false)$/;

/** The generic tests lakec runs locally (dbt's built-ins). */
export const GENERIC_TESTS = ["not_null", "unique", "accepted_values", "relationships"] as const;

/** A string argument as dbt sees it: rendered as Jinja (a generated description may be a Jinja string expression). */
function rendered(jinja: DbtJinja, value: unknown): string {
  const text = String(value);
  if (!/[{%#]/.test(text)) return text;
  const none = (): never => {
    throw new DbtRenderError("a test argument cannot call ref() or source() here");
  };
  return jinja.render("test argument", text, { ref: none, source: none, self: new Relation("test"), incremental: false, fullRefresh: false, config: {} });
}

/** The rows an incremental build of `model` wrote, as the engine keeps them for its tests (engine/model-stage.ts). */
export const writtenRowsRelation = (model: string): string => q(`${model}__lakec_written`);

function whereOf(jinja: DbtJinja, args: Record<string, unknown>): string | undefined {
  const where = (args["config"] as { where?: string } | undefined)?.where ?? args["where"];
  return where === undefined ? undefined : rendered(jinja, where);
}

function testSql(jinja: DbtJinja, model: string, column: string, kind: string, args: Record<string, unknown>, from = q(model)): string {
  const where = whereOf(jinja, args);
  const m = where === undefined ? from : `(select * from ${from} where ${where})`;
  switch (kind) {
    case "not_null":
      return `select * from ${m} where ${column} is null`;
    case "unique":
      return `select ${column} as unique_field, count(*) as n_records from ${m} where ${column} is not null group by ${column} having count(*) > 1`;
    case "accepted_values": {
      if (!Array.isArray(args["values"])) throw new DbtRenderError(`accepted_values on ${model}.${column} needs a list of values`);
      const values = (args["values"] as unknown[]).map((v) => {
        const s = rendered(jinja, v);
        if (args["quote"] !== false) return quoteString("duckdb", s);
        if (!LITERAL.test(s)) throw new DbtRenderError(`accepted_values on ${model}.${column}: unquoted value '${s}' is not a literal`);
        return s;
      });
      return `select ${column} as value_field, count(*) as n_records from ${m} where ${column} is not null and ${column} not in (${values.join(", ")}) group by ${column}`;
    }
    case "relationships": {
      const to = /^\s*ref\(\s*['"]([A-Za-z0-9_]+)['"]\s*\)\s*$/.exec(String(args["to"]));
      if (!to) throw new DbtRenderError(`relationships on ${model}.${column}: 'to' must be ref('<model>'), not ${String(args["to"])}`);
      const field = String(args["field"]);
      return `select child.${column} from ${m} as child left join ${q(to[1]!)} as parent on child.${column} = parent.${field} where child.${column} is not null and parent.${field} is null`;
    }
    default:
      throw new DbtRenderError(`test '${kind}' is not one lakec runs locally (${GENERIC_TESTS.join(", ")}); write it as a singular test in tests/`);
  }
}

/**
 * The test over the rows this build wrote, for a model built incrementally whose test passed on
 * the previous build: the other rows are as they were then, so a failure must involve a written
 * row, and the count is the whole test's. A unique test counts every row sharing a written value.
 * relationships has none: a deleted parent fails child rows that were not written.
 */
function scopedTestSql(jinja: DbtJinja, model: string, column: string, kind: string, args: Record<string, unknown>): string | undefined {
  const written = writtenRowsRelation(model);
  if (kind === "not_null" || kind === "accepted_values") return testSql(jinja, model, column, kind, args, written);
  if (kind !== "unique") return undefined;
  const where = whereOf(jinja, args);
  const keep = (rel: string): string => (where === undefined ? rel : `(select * from ${rel} where ${where})`);
  return `select ${column} as unique_field, count(*) as n_records from ${keep(q(model))} where ${column} is not null and ${column} in (select ${column} from ${keep(written)}) group by ${column} having count(*) > 1`;
}

/** The models a generic test reads besides its own (relationships' `to`). */
function otherModels(kind: string, args: Record<string, unknown>): string[] {
  const to = kind === "relationships" ? /ref\(\s*['"]([A-Za-z0-9_]+)['"]/.exec(String(args["to"])) : null;
  return to ? [to[1]!] : [];
}

export function testsOf(jinja: DbtJinja, model: string, column: string | undefined, specs: readonly TestSpec[]): LocalTest[] {
  return specs.map((spec) => {
    const [kind, rawArgs]: [string, Record<string, unknown> | null] = typeof spec === "string" ? [spec, {}] : Object.entries(spec)[0]!;
    // dbt ≥ 1.10 puts a test's arguments under `arguments:`.
    const args = { ...(rawArgs ?? {}), ...((rawArgs?.["arguments"] as Record<string, unknown> | undefined) ?? {}) };
    const target = column ?? String(args["column_name"]);
    const severity = String((args["config"] as { severity?: string } | undefined)?.severity ?? args["severity"] ?? "error").toLowerCase() === "warn" ? "warn" : "error";
    const name = `${kind}_${model}_${(column ?? target).replace(/[^A-Za-z0-9_]+/g, "_").replace(/^_+|_+$/g, "")}`;
    const others = otherModels(kind, args);
    const scopedSql = scopedTestSql(jinja, model, target, kind, args);
    const test: LocalTest = {
      name,
      sql: testSql(jinja, model, target, kind, args),
      ...(scopedSql !== undefined && { scopedSql }),
      model,
      severity,
      ...(others.length > 0 && { models: [model, ...others] }),
    };
    return column === undefined ? test : { ...test, column };
  });
}

export interface ModelProps {
  name: string;
  columns?: { name: string; data_tests?: TestSpec[]; tests?: TestSpec[] }[];
  data_tests?: TestSpec[];
  tests?: TestSpec[];
}

/** Every test of one properties document's models. */
export function testsOfModel(jinja: DbtJinja, m: ModelProps): LocalTest[] {
  const tests: LocalTest[] = [];
  for (const c of m.columns ?? []) tests.push(...testsOf(jinja, m.name, c.name, [...(c.data_tests ?? []), ...(c.tests ?? [])]));
  tests.push(...testsOf(jinja, m.name, undefined, [...(m.data_tests ?? []), ...(m.tests ?? [])]));
  return tests;
}

export function testsOfProperties(jinja: DbtJinja, propsFiles: readonly EmittedFile[]): LocalTest[] {
  return propsFiles.flatMap((f) => ((parseAsDbt(f.contents) as { models?: ModelProps[] }).models ?? []).flatMap((m) => testsOfModel(jinja, m)));
}

export function declaredSources(files: readonly EmittedFile[]): Set<string> {
  const tables = new Set<string>();
  for (const f of files.filter((x) => x.path.endsWith("/_sources.yml"))) {
    const doc = parseAsDbt(f.contents) as { sources?: { tables?: { name: string }[] }[] };
    for (const s of doc.sources ?? []) for (const t of s.tables ?? []) tables.add(t.name);
  }
  return tables;
}
