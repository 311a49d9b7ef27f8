import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import AjvModule from "ajv";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { EmittedFile, PipelineIR } from "../../compiler/ir.js";
import { duckdbSourceRelation, duckdbSourceSchema, emitDbt, renderForDuckDB } from "../../targets/dbt/index.js";
import type { LocalProject } from "../../targets/dbt/render-local.js";
import { stagingColumns } from "../../targets/dbt/staging.js";
import { buildModels } from "../../engine/model-stage.js";
import { SHARED_DIR, shared } from "../support/shared-data.js";
import { load } from "../support/load.js";
import { REFERENCE_PIPELINES } from "../support/conformance-fixtures.js";

const PIPELINES = REFERENCE_PIPELINES;
const SCHEMAS = join(SHARED_DIR, "schemas", "dbt-jsonschema");
const schemas = shared(SCHEMAS);

type Json = Record<string, unknown>;
const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as new (o: object) => {
  compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown };
};

describe.skipIf(!schemas.present)(`dbt files against dbt-jsonschema (<shared>/schemas/dbt-jsonschema)${schemas.skipNote}`, () => {
  // Compiled lazily: a skipped describe still runs its body while collecting, and the schemas
  // are absent outside this workplace.
  type Validator = ((data: unknown) => boolean) & { errors?: unknown };
  let project: Validator;
  let properties: Validator;
  beforeAll(() => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    project = ajv.compile(JSON.parse(readFileSync(resolve(SCHEMAS, "dbt_project-latest.json"), "utf8")) as object);
    properties = ajv.compile(JSON.parse(readFileSync(resolve(SCHEMAS, "dbt_yml_files-latest.json"), "utf8")) as object);
  });

  it.each(PIPELINES)("%s: dbt_project.yml and every properties file validate", (file) => {
    const files = emitDbt(load(file));
    const yamls = files.filter((f) => f.path.endsWith(".yml"));
    expect(yamls.length).toBeGreaterThanOrEqual(4);
    for (const f of yamls) {
      const validate = f.path.endsWith("dbt_project.yml") ? project : properties;
      const ok = validate(parse(f.contents));
      expect(ok, `${f.path}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it("the schema check can fail", () => {
    expect(properties({ version: 2, models: [{ name: "m", colums: [] }] })).toBe(false);
    expect(properties({ version: 2, sources: [{ name: "s", freshness: { warn_after: { count: 1, period: "days" } } }] })).toBe(false);
  });
});

describe("dbt project", () => {
  it("shared files are identical across pipelines and every file is deterministic", () => {
    const emitted = PIPELINES.map((f) => ({ name: load(f).name, files: emitDbt(load(f)) }));
    expect(emitted.length).toBeGreaterThan(1);
    // A pipeline's own files are under models/<layer>/<pipeline>/ or named for it (profiles.<pipeline>.yml.example).
    const shared = ({ name, files }: { name: string; files: EmittedFile[] }) =>
      files.filter((f) => !f.path.includes(`/${name}/`) && !f.path.includes(`.${name}.`));
    for (const e of emitted.slice(1)) expect(shared(e), e.name).toEqual(shared(emitted[0]!));
    expect(emitDbt(load(PIPELINES[0]!))).toEqual(emitted[0]!.files);
    for (const e of emitted) for (const f of e.files) expect(f.scope).toBe("project");
  });

  it.each(PIPELINES)("%s: every ref() and source() resolves inside the project", (file) => {
    const ir = load(file);
    const files = emitDbt(ir);
    const models = new Set(files.filter((f) => f.path.endsWith(".sql")).map((f) => f.path.replace(/^.*\//, "").replace(/\.sql$/, "")));
    const sources = parse(files.find((f) => f.path.endsWith("_sources.yml"))!.contents) as {
      sources: { name: string; tables: { name: string }[] }[];
    };
    const declared = new Set(sources.sources.flatMap((s) => s.tables.map((t) => `${s.name}.${t.name}`)));
    let refs = 0;
    for (const f of files) {
      for (const m of f.contents.matchAll(/ref\('([^']+)'\)/g)) {
        refs++;
        expect(models, `${f.path} refs ${m[1]}`).toContain(m[1]);
      }
      for (const m of f.contents.matchAll(/source\('([^']+)', '([^']+)'\)/g)) expect(declared, f.path).toContain(`${m[1]}.${m[2]}`);
    }
    expect(refs).toBeGreaterThan(ir.marts.length);
    expect(declared.size).toBe(ir.tables.length);
  });

  it("keeps Jinja intact through formatting", () => {
    const files = emitDbt(load("pipelines/reviews.yaml"));
    const mart = files.find((f) => f.path.endsWith("/product_daily_ratings.sql"))!.contents;
    expect(mart).toContain("{{ ref('stg_reviews__product_reviews') }} as product_reviews");
    expect(mart).toMatch(
      /\{% if is_incremental\(\) %\}\nwith\n {2}lakec_watermark as \(\n[\s\S]*\{\{ this \}\}[\s\S]*\{% else %\}\nselect\n[\s\S]*\{% endif %\}\n$/,
    );
    expect(mart).toContain("{{ lakec_history_relation(ref('stg_reviews__product_reviews')) }}");
    expect(mart.split("\n")[0]).toBe("-- generated by lakec from pipelines/reviews.yaml — do not edit");
  });

  it("escapes Jinja and quotes in YAML-given warehouse names", () => {
    const base = load("pipelines/reviews.yaml");
    const ir = { ...base, snowflake: { ...base.snowflake, database: "db' }}{{ evil", schema: 's{{ x }}"' } };
    const src = parse(emitDbt(ir).find((f) => f.path.endsWith("_sources.yml"))!.contents) as { sources: Json[] };
    expect(src.sources[0]!["database"]).toBe("{{ target.database if target.type == 'duckdb' else 'DB\\' }}{{ EVIL' }}");
    expect(src.sources[0]!["schema"]).toBe(`{{ 'S{{ X }}""' }}`);
  });
});

async function connect(): Promise<DuckDBConnection> {
  return (await DuckDBInstance.create(":memory:")).connect();
}

async function rows(conn: DuckDBConnection, sql: string): Promise<Json[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Json[];
}

/** Empty tables where the local engine puts its views over the Parquet, typed like the external tables. */
async function createSources(conn: DuckDBConnection, ir: PipelineIR): Promise<void> {
  await conn.run(`create schema if not exists "${duckdbSourceSchema(ir)}"`);
  for (const t of ir.tables) {
    const cols = stagingColumns(t)
      .map(([n, type]) => `${n} ${type}`)
      .join(", ");
    await conn.run(`create table ${duckdbSourceRelation(ir, t.name)} (${cols})`);
  }
}

/** Every model's full form, as the engine's model stage builds it. */
async function build(conn: DuckDBConnection, project: LocalProject): Promise<void> {
  await buildModels(conn, project, { fullRefresh: true });
}

async function failingTests(conn: DuckDBConnection, project: LocalProject): Promise<string[]> {
  const failed: string[] = [];
  for (const t of project.tests) if ((await rows(conn, t.sql)).length > 0) failed.push(t.name);
  return failed;
}

describe("models and tests on DuckDB", () => {
  it.each(PIPELINES)("%s: every model and test runs on empty external tables", async (file) => {
    const ir = load(file);
    const project = renderForDuckDB(ir, emitDbt(ir));
    expect(project.models.map((m) => m.name)).toEqual(expect.arrayContaining(ir.marts.map((m) => m.name)));
    const conn = await connect();
    await createSources(conn, ir);
    await build(conn, project);
    expect(await failingTests(conn, project)).toEqual([]);
    // The incremental form and the strategy run too (against the full builds just made).
    const again = await buildModels(conn, project);
    expect(again.filter((m) => m.materialized.startsWith("incremental (")).map((m) => m.name)).toEqual(project.models.map((m) => m.name));
    for (const m of project.models) expect(m.incrementalSql).toMatch(new RegExp(`from\\s+"${m.name}"`));
    expect(project.tests.length).toBeGreaterThan(ir.tables.length * 2);
  });

  it("keeps the latest record per key, only its child rows, and aggregates marts", async () => {
    const ir = load("pipelines/reviews.yaml");
    const project = renderForDuckDB(ir, emitDbt(ir));
    const conn = await connect();
    await createSources(conn, ir);
    const reviews = duckdbSourceRelation(ir, "product_reviews");
    const images = duckdbSourceRelation(ir, "product_review_images");
    const arrival = (file: string): number => ({ "raw/a.json": 1, "raw/b.json": 2, "raw/c.json": 3 })[file] ?? 0;
    const review = (id: string, rating: string, verified: boolean, file: string, at: string) =>
      `('${id}', 'u-${id}', 'A1', ${rating}, ${verified}, TIMESTAMP '2020-01-01 10:00:00', DATE '2020-01-01', 2, null, null, null, null, null, null, null, '${file}', 1, TIMESTAMP '${at}', ${arrival(file)})`;
    await conn.run(`insert into ${reviews} values
      ${review("id1", "4.0", false, "raw/a.json", "2020-01-02 00:00:00")},
      ${review("id1", "5.0", true, "raw/b.json", "2020-01-03 00:00:00")},
      ${review("id2", "3.0", false, "raw/a.json", "2020-01-02 00:00:00")}`);
    const image = (id: string, pos: number, file: string) =>
      `('${id}', 'u-${id}', 'A1', TIMESTAMP '2020-01-01 10:00:00', DATE '2020-01-01', ${pos}, 'http://x/${id}/${pos}', '${file}', 1, TIMESTAMP '2020-01-02 00:00:00', ${arrival(file)})`;
    await conn.run(
      `insert into ${images} values ${image("id1", 0, "raw/a.json")}, ${image("id1", 1, "raw/a.json")}, ${image("id1", 0, "raw/b.json")}, ${image("id2", 0, "raw/a.json")}`,
    );
    await build(conn, project);

    expect(
      await rows(conn, `select review_id, cast(rating as varchar) as rating, _source_file from stg_reviews__product_reviews order by 1`),
    ).toEqual([
      { review_id: "id1", rating: "5.0", _source_file: "raw/b.json" },
      { review_id: "id2", rating: "3.0", _source_file: "raw/a.json" },
    ]);
    expect(await rows(conn, `select review_id, position, _source_file from stg_reviews__product_review_images order by 1, 2`)).toEqual([
      { review_id: "id1", position: "0", _source_file: "raw/b.json" },
      { review_id: "id2", position: "0", _source_file: "raw/a.json" },
    ]);
    expect(
      await rows(
        conn,
        `select asin, reviews, avg_rating, verified_reviews, helpful_votes, length(grain_key) as k from product_daily_ratings`,
      ),
    ).toEqual([{ asin: "A1", reviews: "2", avg_rating: 4, verified_reviews: "1", helpful_votes: "4", k: "32" }]);
    expect(await rows(conn, `select asin, images, reviews_with_images from product_image_counts`)).toEqual([
      { asin: "A1", images: "2", reviews_with_images: "2" },
    ]);
    expect(await failingTests(conn, project)).toEqual([]);

    // The tests catch what they claim to: a NULL required column, a duplicated child row.
    await conn.run(
      `insert into ${reviews} values ${review("id3", "4.0", false, "raw/c.json", "2020-01-04 00:00:00").replace("'A1'", "null")}`,
    );
    await conn.run(`insert into ${images} values ${image("id2", 0, "raw/a.json")}`);
    await build(conn, project);
    expect(await failingTests(conn, project)).toEqual(
      expect.arrayContaining([
        "not_null_stg_reviews__product_reviews_asin",
        "unique_stg_reviews__product_review_images_cast_review_id_as_varchar_cast_position_as_varchar",
      ]),
    );
  });

  it("a where clause that prints differently per engine dispatches on target.type", async () => {
    const base = load("pipelines/reviews.yaml");
    // Snowflake escapes a backslash inside a literal, DuckDB does not.
    const where = {
      k: "cmp",
      op: "=",
      left: { k: "ref", name: "title", table: "product_reviews" },
      right: { k: "lit", value: "a\\b" },
    } as const;
    const ir = {
      ...base,
      marts: base.marts.map((m) => (m.name === "reviewer_activity" ? { ...m, where, whereText: "title = 'a\\b'" } : m)),
    };
    const files = emitDbt(ir);
    const sql = files.find((f) => f.path.endsWith("/reviewer_activity.sql"))!.contents;
    expect(sql).toContain(
      "{% if target.type == 'snowflake' %}(product_reviews.title = 'a\\\\b'){% else %}(product_reviews.title = 'a\\b'){% endif %}",
    );
    const project = renderForDuckDB(ir, files);
    const conn = await connect();
    await createSources(conn, ir);
    await conn.run(`insert into ${duckdbSourceRelation(ir, "product_reviews")} values
      ('id1', 'u1', 'A1', 4.0, true, TIMESTAMP '2020-01-01 10:00:00', DATE '2020-01-01', 1, null, 'a\\b', null, null, null, null, null, 'f', 1, TIMESTAMP '2020-01-02 00:00:00', 1),
      ('id2', 'u1', 'A1', 4.0, true, TIMESTAMP '2020-01-01 10:00:00', DATE '2020-01-01', 1, null, 'other', null, null, null, null, null, 'f', 2, TIMESTAMP '2020-01-02 00:00:00', 1)`);
    await build(conn, project);
    expect(await rows(conn, "select reviewer_id, reviews from reviewer_activity")).toEqual([{ reviewer_id: "u1", reviews: "1" }]);
  });

  it("dangling declared references warn; the where filter and the grain key are NULL-safe", async () => {
    const ir = load("pipelines/yelp.yaml");
    const project = renderForDuckDB(ir, emitDbt(ir));
    const conn = await connect();
    await createSources(conn, ir);
    const biz = (id: string, state: string | null, open: boolean) =>
      `('r-${id}', '${id}', 'N${id}', null, 'City', ${state === null ? "null" : `'${state}'`}, null, null, null, 4.5, 1, ${open}, true, null, null, null, null, null, null, null, null, 'b.json', 1, TIMESTAMP '2022-01-01 00:00:00', 1)`;
    await conn.run(
      `insert into ${duckdbSourceRelation(ir, "business")} values ${biz("b1", "NV", true)}, ${biz("b2", null, false)}, ${biz("b3", "NV", false)}, ${biz("b4", "n", true)}`,
    );
    const rev = (id: string, business: string) =>
      // reviewed_at_month: the partition key is a column of the table (docs/language.md, partition_by).
      `('rr-${id}', '${id}', 'u', '${business}', 4.0, 1, 0, 0, 'text', TIMESTAMP '2022-01-05 00:00:00', '2022-01', 'r.json', 1, TIMESTAMP '2022-01-06 00:00:00', 2)`;
    await conn.run(
      `insert into ${duckdbSourceRelation(ir, "review")} values ${rev("x1", "b1")}, ${rev("x2", "b3")}, ${rev("x3", "missing")}`,
    );
    await build(conn, project);
    expect(await rows(conn, `select business_id, reviews from business_ratings order by 1`)).toEqual([{ business_id: "b1", reviews: "1" }]);
    expect(await rows(conn, `select state, businesses, open_businesses from open_businesses_by_state order by state nulls first`)).toEqual([
      { state: null, businesses: "1", open_businesses: "0" },
      { state: "NV", businesses: "2", open_businesses: "1" },
      { state: "n", businesses: "1", open_businesses: "1" },
    ]);
    // A NULL grain value and the text 'n' must not share a grain key.
    expect(await rows(conn, `select count(distinct grain_key) as n from open_businesses_by_state`)).toEqual([{ n: "3" }]);
    const failed = await failingTests(conn, project);
    expect(failed).toEqual(["relationships_stg_yelp__review_business_id"]);
    expect(project.tests.find((t) => t.name === failed[0])!.severity).toBe("warn");

    // accepted_values compares numbers unquoted and strings quoted.
    await conn.run(
      `insert into ${duckdbSourceRelation(ir, "business")} values ${biz("b5", "NV", true).replace("4.5, 1,", "4.2, 1,").replace("true, null, null, null, null, null, null, null, null,", "true, null, null, null, null, null, null, null, 'maybe',")}`,
    );
    await build(conn, project);
    expect(await failingTests(conn, project)).toEqual(
      expect.arrayContaining(["accepted_values_stg_yelp__business_stars", "accepted_values_stg_yelp__business_attributes_wifi"]),
    );
  });
});
