// The dbt context on nunjucks (targets/dbt/jinja.ts): what dbt models and macros use renders as
// dbt's Jinja2 renders it (https://docs.getdbt.com/reference/dbt-jinja-functions).
import { describe, expect, it } from "vitest";
import { DbtJinja, DbtRenderError, Relation, renderErrorDetail, type DbtRenderContext } from "../../targets/dbt/jinja.js";

function ctx(over: Partial<DbtRenderContext> = {}): DbtRenderContext {
  return {
    ref: (m) => new Relation(m),
    source: (s, t) => `"${s.toUpperCase()}"."${t.toUpperCase()}"`,
    self: new Relation("me"),
    incremental: false,
    fullRefresh: false,
    config: {},
    vars: {},
    env: {},
    ...over,
  };
}

const render = (text: string, c: DbtRenderContext = ctx(), macros: { path: string; contents: string }[] = []): string =>
  new DbtJinja(macros).render("m.sql", text, c);

describe("dbt's Jinja context on nunjucks", () => {
  it("ref, source and this print quoted relations", () => {
    expect(render("select * from {{ ref('a') }} join {{ source('p', 't') }} on 1=1 -- {{ this }}")).toBe(
      'select * from "a" join "P"."T" on 1=1 -- "me"',
    );
    // dbt's two-argument ref (package, model) names the model last.
    expect(render("{{ ref('lakec', 'a') }}")).toBe('"a"');
  });

  it("config() with keyword arguments fills the model's config; config.get and config.require read it", () => {
    const c = ctx();
    const out = render(
      "{{ config(materialized='table', tags=['x', 'y']) }}{{ config.get('materialized') }} {{ config.get('missing', 'dflt') }} {{ config.require('tags') | join(',') }}",
      c,
    );
    expect(out).toBe("table dflt x,y");
    expect(c.config).toEqual({ materialized: "table", tags: ["x", "y"] });
    expect(() => render("{{ config.require('unique_key') }}")).toThrow(/unique_key/);
  });

  it("is_incremental(), target.type, flags.FULL_REFRESH choose the branches dbt would", () => {
    const text =
      "{% if is_incremental() %}inc{% else %}full{% endif %} {% if target.type == 'snowflake' %}sf{% else %}{{ target.type }}{% endif %} {% if flags.FULL_REFRESH %}fr{% endif %}";
    expect(render(text)).toBe("full duckdb ");
    expect(render(text, ctx({ incremental: true, fullRefresh: true }))).toBe("inc duckdb fr");
  });

  it("var() and env_var() take their values or defaults, and fail without either", () => {
    expect(
      render(
        "{{ var('n', 3) }} {{ var('k') }} {{ env_var('HOME_X', 'none') }} {{ env_var('SET_X') }}",
        ctx({ vars: { k: "v" }, env: { SET_X: "yes" } }),
      ),
    ).toBe("3 v none yes");
    expect(() => render("{{ var('missing') }}")).toThrow(/var\('missing'\)/);
    expect(() => render("{{ env_var('MISSING_X') }}")).toThrow(/env_var\('MISSING_X'\)/);
  });

  it("a project macro's return() gives the call a value, also when one macro calls another of its file", () => {
    const macros = [
      {
        path: "macros/m.sql",
        contents: `{% macro suffixed(rel) -%}{{ return(rel.incorporate(path={"identifier": rel.identifier ~ "__x"})) }}{%- endmacro %}
{% macro cols(list) -%}{%- set r = suffixed(this) -%}{{ get_quoted_csv(list | map(attribute="name")) }} into {{ r }}{%- endmacro %}`,
      },
    ];
    // The value itself: `.identifier` works on what the macro returned.
    expect(render("{{ suffixed(ref('a')).identifier }}", ctx(), macros)).toBe("a__x");
    expect(render("{{ cols([{'name': 'a'}, {'name': 'b'}]) }}", ctx(), macros)).toBe('"a", "b" into "me__x"');
  });

  it("Jinja2 that nunjucks lacks: {% do %}, Python literals and methods, map(attribute=), tojson", () => {
    const text =
      "{% set cols = [] %}{% for c in ['a', 'b'] %}{% do cols.append(c.upper()) %}{% endfor %}{{ cols | join(',') }} {{ True and not None }} {{ 'x,y'.split(',') | length }} {{ {'k': 1}.items() | list | length }} {{ [{'n': 1}] | map(attribute='n') | join }} {{ {'a': [1]} | tojson }}";
    expect(render(text)).toBe('A,B true 2 1 1 {"a":[1]}');
  });

  it("text escaped for Jinja (user descriptions in generated SQL) prints as written", () => {
    expect(render("-- {{ '{' }}{ not a tag }{{ '}' }} and 100{{ '%' }}}")).toBe("-- {{ not a tag }} and 100%}");
  });

  it("errors carry the template's line and column; undefined names are errors, as in dbt", () => {
    const detail = renderErrorDetail(catchError(() => render("select 1\nfrom {{ ref('a' }}")));
    expect(detail.line).toBe(2);
    expect(detail.col).toBeGreaterThan(1);
    expect(() => render("{{ not_a_name }}")).toThrow();
    expect(catchError(() => render("{{ exceptions.raise_compiler_error('stop') }}"))).toBeInstanceOf(Error);
    expect(new DbtRenderError("x").name).toBe("DbtRenderError");
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}
