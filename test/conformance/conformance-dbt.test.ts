// dbt conformance: the generated project read the way dbt reads it (PyYAML, YAML 1.1; the
// equality of 1.1 and 1.2 readings is test/compiler/yaml-versions.test.ts), over the reference pipelines
// and every-option.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { conformancePipelines } from "../support/conformance-fixtures.js";

type Obj = Record<string, unknown>;
interface Column {
  name: string;
  data_type?: string;
  data_tests?: unknown[];
}
interface Model {
  name: string;
  config?: { contract?: { enforced?: boolean } };
  columns: Column[];
}

const read = (text: string): Obj => parse(text, { version: "1.1" }) as Obj;

describe.each(conformancePipelines())("dbt conformance: $file", ({ ir, files }) => {
  const staging = `dbt/models/staging/${ir.name}`;
  const marts = `dbt/models/marts/${ir.name}`;
  const project = read(files.get("dbt/dbt_project.yml")!);
  const sources = (read(files.get(`${staging}/_sources.yml`)!).sources as Obj[])[0]!;
  const stagingModels = read(files.get(`${staging}/_models.yml`)!).models as Model[];
  const martModels = files.has(`${marts}/_models.yml`) ? (read(files.get(`${marts}/_models.yml`)!).models as Model[]) : [];
  const sql = [...files].filter(([p]) => p.startsWith("dbt/models/") && p.endsWith(".sql"));
  const modelNames = new Set(
    sql.map(([p]) =>
      p
        .split("/")
        .pop()!
        .replace(/\.sql$/, ""),
    ),
  );

  // `data_tests:` (the name since 1.8) and contracts on incremental models need dbt 1.8:
  // https://docs.getdbt.com/reference/resource-properties/data-tests
  it("requires the dbt version whose property names it uses", () => {
    expect(project["require-dbt-version"]).toEqual([">=1.8.0", "<2.0.0"]);
    expect(project["config-version"]).toBe(2);
  });

  // Every model has a properties entry, and every ref()/source() names something that exists:
  // https://docs.getdbt.com/reference/dbt-jinja-functions/ref, .../source
  it("refers only to models and sources the project defines", () => {
    const tables = new Set((sources.tables as { name: string }[]).map((t) => t.name));
    for (const [path, text] of sql) {
      for (const m of text.matchAll(/ref\('([^']+)'\)/g)) expect(modelNames.has(m[1]!), `${path}: ref ${m[1]}`).toBe(true);
      for (const m of text.matchAll(/source\('([^']+)', '([^']+)'\)/g)) {
        expect(m[1], path).toBe(ir.name);
        expect(tables.has(m[2]!), `${path}: source ${m[2]}`).toBe(true);
      }
    }
    expect(new Set([...stagingModels, ...martModels].map((m) => m.name))).toEqual(modelNames);
  });

  // An enforced contract needs a data_type on every column:
  // https://docs.getdbt.com/reference/resource-configs/contract
  it("gives every column of a contracted model a data_type", () => {
    for (const m of martModels) {
      expect(m.config?.contract?.enforced, m.name).toBe(true);
      for (const c of m.columns) expect(c.data_type, `${m.name}.${c.name}`).toEqual(expect.any(String));
    }
  });

  // Freshness is computed from loaded_at_field, a column of the source table:
  // https://docs.getdbt.com/reference/resource-properties/freshness
  it("checks freshness on a column every source table has", () => {
    expect(sources.freshness).toMatchObject({
      warn_after: { count: expect.any(Number), period: "hour" },
      error_after: { count: expect.any(Number), period: "hour" },
    });
    for (const t of sources.tables as { name: string; columns: Column[] }[])
      expect(
        t.columns.map((c) => c.name),
        t.name,
      ).toContain(sources.loaded_at_field);
  });

  // accepted_values compares the column with the values as loaded; they must be the declared
  // strings, never YAML 1.1 booleans: https://docs.getdbt.com/reference/resource-properties/data-tests#accepted_values
  it("writes accepted values as the strings the pipeline declares", () => {
    for (const t of ir.tables) {
      const model = stagingModels.find((m) => m.name === `stg_${ir.name}__${t.name}`)!;
      for (const c of t.columns.filter((x) => x.accepted?.length)) {
        const test = model.columns
          .find((x) => x.name === c.name)!
          .data_tests!.find((x) => typeof x === "object" && "accepted_values" in (x as Obj)) as { accepted_values: { values: unknown[] } };
        expect(test.accepted_values.values, `${t.name}.${c.name}`).toEqual(c.accepted!.map((v) => String(v)));
      }
    }
  });

  // Credentials only through env_var: https://docs.getdbt.com/reference/dbt-jinja-functions/env_var
  it("reads every credential of the profiles example from the environment", () => {
    const outputs = (read(files.get("dbt/profiles.yml.example")!).lakec as Obj).outputs as Record<string, Obj>;
    for (const name of ["snowflake", "snowflake_keypair"]) {
      for (const key of ["account", "user", "role", "password", "private_key_path", "private_key_passphrase"]) {
        if (key in outputs[name]!)
          expect(String(outputs[name]![key]), `${name}.${key}`).toMatch(/^\{\{ env_var\('SNOWFLAKE_[A-Z_]+'(, '[^']*')?\) \}\}$/);
      }
    }
  });
});
