// A dbt-compatible Jinja context on nunjucks, for rendering the dbt project (the generated
// models and the users' own) for DuckDB. dbt renders with Jinja2; nunjucks is a JavaScript
// port of Jinja with the same tags, expressions and whitespace control. Where the two differ
// (docs/local-engine.md, "Jinja"), this file adds what dbt projects use: keyword arguments
// through `__keywords`, dbt's `return()` in macros, and the Jinja filters nunjucks lacks.
//
// The context: ref, source, config (callable, with .get and .require), var, env_var,
// is_incremental, this, target, flags, the project's macros (dbt/macros/*.sql) and dbt's
// adapter helpers the shipped macros call (get_quoted_csv).
import nunjucks from "nunjucks";
import { quoteIdent } from "../../compiler/expr/print.js";

const q = (name: string): string => quoteIdent("duckdb", name);

/** A relation as dbt's Relation object: prints as a quoted name, has identifier and incorporate(). */
export class Relation {
  constructor(
    readonly identifier: string,
    readonly schema?: string,
  ) {}
  /** `relation.incorporate(path={"identifier": …})`: a copy with parts of its path replaced. */
  incorporate(kw: { path?: { identifier?: string; schema?: string } }): Relation {
    return new Relation(kw.path?.identifier ?? this.identifier, kw.path?.schema ?? this.schema);
  }
  get name(): string {
    return this.identifier;
  }
  toString(): string {
    return this.schema === undefined ? q(this.identifier) : `${q(this.schema)}.${q(this.identifier)}`;
  }
}

/** nunjucks passes keyword arguments as a last object argument marked `__keywords`. */
type Kw = Record<string, unknown> & { __keywords?: true };

function splitArgs(args: readonly unknown[]): { positional: unknown[]; kw: Kw } {
  const last = args[args.length - 1];
  if (last !== null && typeof last === "object" && (last as Kw).__keywords === true) {
    const { __keywords: _drop, ...kw } = last as Kw;
    return { positional: args.slice(0, -1), kw };
  }
  return { positional: [...args], kw: {} };
}

/** A model's config as collected from its `{{ config(...) }}` calls, with dbt's `.get` and `.require`. */
export type ConfigValues = Record<string, unknown>;

/** An error raised while rendering on purpose (an unknown ref, a missing var): its message is for the user. */
export class DbtRenderError extends Error {
  override readonly name = "DbtRenderError";
}

export interface DbtCallbacks {
  /** Resolves `ref('model')` (and `ref('package', 'model')`); throws DbtRenderError for an unknown model. */
  ref(model: string): Relation;
  /** Resolves `source('name', 'table')`. */
  source(name: string, table: string): Relation | string;
}

export interface DbtRenderContext extends DbtCallbacks {
  /** The model's relation (`{{ this }}`). */
  readonly self: Relation;
  readonly incremental: boolean;
  readonly fullRefresh: boolean;
  /** `var()` values (dbt_project.yml `vars:` and `--vars`). */
  readonly vars?: Readonly<Record<string, unknown>>;
  /** `env_var()` lookups; default the process environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Filled by `config(...)` calls; read by `config.get` and `config.require`. */
  readonly config: ConfigValues;
}

/** dbt's target for the local engine (profiles.yml's `local` output on DuckDB). */
export const LOCAL_TARGET = Object.freeze({ type: "duckdb", name: "local", schema: "main", database: "warehouse", threads: 1, profile_name: "lakec" });

/**
 * dbt's `return(x)`: the macro call evaluates to x. return() prints a marker; a call through
 * the context (wrap) whose output is one marker gives back the value itself, and a marker left
 * in the text (a macro calling another of its own file, which nunjucks does not route through
 * the context) prints as the value does.
 */
class Returns {
  private readonly values: unknown[] = [];
  // A character no SQL text holds, so a marker cannot be mistaken for output.
  private static readonly MARK = /\uE000lakec-return-(\d+)\uE001/g;
  wrap(macro: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
    return (...args) => {
      const out = String(macro(...args)).trim();
      const one = /^\uE000lakec-return-(\d+)\uE001$/.exec(out);
      return one ? this.values[Number(one[1])] : out;
    };
  }
  set(value: unknown): string {
    this.values.push(value);
    return `\uE000lakec-return-${this.values.length - 1}\uE001`;
  }
  resolve(text: string): string {
    return text.replace(Returns.MARK, (_m, i: string) => String(this.values[Number(i)]));
  }
}

/** Jinja2's `{% do expr %}` (dbt projects use it for `list.append`), which nunjucks does not have. */
class DoExtension {
  readonly tags = ["do"];
  parse(parser: NunjucksParser, nodes: NunjucksNodes): unknown {
    const tok = parser.nextToken();
    const expr = parser.parseExpression();
    parser.advanceAfterBlockEnd(tok.value);
    return new nodes.CallExtension(this, "run", new nodes.NodeList(tok.lineno, tok.colno, [expr]));
  }
  run(): string {
    return "";
  }
}

interface NunjucksParser {
  nextToken(): { value: string; lineno: number; colno: number };
  parseExpression(): unknown;
  advanceAfterBlockEnd(name: string): void;
}
interface NunjucksNodes {
  CallExtension: new (ext: object, method: string, args: unknown) => unknown;
  NodeList: new (line: number, col: number, children: unknown[]) => unknown;
}

// Python's literals (True, None), list and dict methods (append, items, keys, upper, split …)
// and slices, as dbt's Jinja2 has them. Installed once, for every nunjucks environment.
nunjucks.installJinjaCompat();

/** Python's str methods dbt models call, which jinja-compat leaves out (JS strings have other names). */
const STRING_MEMBERS: Record<string, (s: string, ...a: never[]) => unknown> = {
  upper: (s) => s.toUpperCase(),
  lower: (s) => s.toLowerCase(),
  strip: (s, chars?: string) => (chars === undefined ? s.trim() : s.replace(new RegExp(`^[${escapeClass(chars)}]+|[${escapeClass(chars)}]+$`, "g"), "")),
  startswith: (s, p: string) => s.startsWith(p),
  endswith: (s, p: string) => s.endsWith(p),
  replace: (s, a: string, b: string) => s.split(a).join(b),
  split: (s, sep?: string) => (sep === undefined || sep === null ? s.trim().split(/\s+/).filter((x) => x !== "") : s.split(sep)),
  title: (s) => s.replace(/\w\S*/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()),
};
const escapeClass = (chars: string): string => chars.replace(/[\]\\^-]/g, "\\$&");
const runtime = (nunjucks as unknown as { runtime: { memberLookup: (obj: unknown, val: unknown, ...rest: unknown[]) => unknown } }).runtime;
const jinjaMemberLookup = runtime.memberLookup;
runtime.memberLookup = function memberLookup(this: unknown, obj: unknown, val: unknown, ...rest: unknown[]): unknown {
  if (typeof obj === "string" && typeof val === "string" && Object.hasOwn(STRING_MEMBERS, val)) return (...a: never[]) => STRING_MEMBERS[val]!(obj, ...a);
  return jinjaMemberLookup.call(this, obj, val, ...rest);
};

function makeEnvironment(): nunjucks.Environment {
  // throwOnUndefined: an unknown name is an error, as in dbt (its undefined is strict in most places).
  const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true, trimBlocks: false, lstripBlocks: false });
  env.addExtension("do", new DoExtension());
  env.addFilter("tojson", (x: unknown) => JSON.stringify(x));
  // Jinja2's `map(attribute=…)` and `map('filter')`, which nunjucks does not have.
  env.addFilter("map", (items: unknown, ...args: unknown[]) => {
    const { positional, kw } = splitArgs(args);
    const list = Array.isArray(items) ? items : [...(items as Iterable<unknown>)];
    if (typeof kw.attribute === "string") return list.map((x) => (x as Record<string, unknown>)[kw.attribute as string]);
    const name = positional[0];
    if (typeof name !== "string") throw new DbtRenderError("map() needs attribute= or a filter name");
    const filter = env.getFilter(name) as (x: unknown) => unknown;
    return list.map((x) => filter(x));
  });
  env.addFilter("as_bool", (x: unknown) => x === true || x === "true" || x === "True");
  env.addFilter("as_number", (x: unknown) => Number(x));
  env.addFilter("as_text", (x: unknown) => String(x));
  return env;
}

/** The project's macros, compiled once; each render binds them to its own context. */
export class DbtJinja {
  private readonly env = makeEnvironment();
  private readonly macroTemplates: nunjucks.Template[];
  private readonly compiled = new Map<string, nunjucks.Template>();

  constructor(macroFiles: readonly { path: string; contents: string }[]) {
    this.macroTemplates = macroFiles.map((f) => new nunjucks.Template(f.contents, this.env, f.path, true));
  }

  /** Renders one template (a model, a singular test, a hook) with dbt's context. */
  render(path: string, text: string, ctx: DbtRenderContext, extra: Record<string, unknown> = {}): string {
    const globals = this.context(ctx, extra);
    for (const t of this.macroTemplates) {
      const exported = this.exported(t, globals);
      for (const [name, macro] of Object.entries(exported)) globals[name] = globals.__returns.wrap(macro as (...a: unknown[]) => unknown);
    }
    // Each model renders twice (full and incremental form): compile its template once.
    let template = this.compiled.get(text);
    if (!template) this.compiled.set(text, (template = new nunjucks.Template(text, this.env, path, true)));
    return globals.__returns.resolve(template.render(globals));
  }

  private exported(t: nunjucks.Template, globals: Record<string, unknown>): Record<string, unknown> {
    let out: Record<string, unknown> = {};
    let failure: unknown;
    // getExported is synchronous for templates without async filters; its callback runs before it returns.
    (t as unknown as { getExported(ctx: object, cb: (e: unknown, r: Record<string, unknown>) => void): void }).getExported(globals, (e, r) => {
      failure = e;
      out = r ?? {};
    });
    if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
    return Object.fromEntries(Object.entries(out).filter(([, v]) => typeof v === "function"));
  }

  private context(ctx: DbtRenderContext, extra: Record<string, unknown>): Record<string, unknown> & { __returns: Returns } {
    const returns = new Returns();
    const config = Object.assign(
      (...args: unknown[]) => {
        const { positional, kw } = splitArgs(args);
        if (positional.length > 0 && positional[0] !== null && typeof positional[0] === "object") Object.assign(ctx.config, positional[0]);
        Object.assign(ctx.config, kw);
        return "";
      },
      {
        get: (key: string, dflt?: unknown) => (key in ctx.config ? ctx.config[key] : dflt === undefined ? null : dflt),
        require: (key: string) => {
          if (!(key in ctx.config)) throw new DbtRenderError(`config '${key}' is required but not set`);
          return ctx.config[key];
        },
      },
    );
    const env = ctx.env ?? process.env;
    return {
      __returns: returns,
      ref: (...args: unknown[]) => {
        const { positional } = splitArgs(args);
        const model = positional[positional.length - 1];
        if (typeof model !== "string") throw new DbtRenderError("ref() needs a model name");
        return ctx.ref(model);
      },
      source: (name: unknown, table: unknown) => ctx.source(String(name), String(table)),
      config,
      var: (name: string, dflt?: unknown) => {
        if (ctx.vars && name in ctx.vars) return ctx.vars[name];
        if (dflt !== undefined) return dflt;
        throw new DbtRenderError(`var('${name}') is not defined and has no default`);
      },
      env_var: (name: string, dflt?: string) => {
        const v = env[name];
        if (v !== undefined) return v;
        if (dflt !== undefined) return dflt;
        throw new DbtRenderError(`env_var('${name}') is not set and has no default`);
      },
      is_incremental: () => ctx.incremental,
      this: ctx.self,
      target: LOCAL_TARGET,
      flags: { FULL_REFRESH: ctx.fullRefresh },
      return: (value: unknown) => returns.set(value),
      get_quoted_csv: (names: Iterable<unknown>) => [...names].map((n) => q(String(n))).join(", "),
      log: () => "",
      exceptions: {
        raise_compiler_error: (msg: string) => {
          throw new DbtRenderError(msg);
        },
      },
      ...extra,
    };
  }
}

/** The message of a nunjucks error without its template-path preamble, and its line and column if it gave them. */
export function renderErrorDetail(e: unknown): { message: string; line?: number; col?: number } {
  const text = e instanceof Error ? e.message : String(e);
  const m = /\[Line (\d+), Column (\d+)\]\s*([\s\S]*)$/.exec(text);
  const message = (m ? m[3]! : text)
    .replace(/^\([^)]*\)\s*/, "")
    .replace(/^Error: /, "")
    .trim()
    .split("\n")[0]!;
  return m ? { message, line: Number(m[1]), col: Number(m[2]) } : { message };
}
