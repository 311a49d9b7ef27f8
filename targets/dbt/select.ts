// dbt's node selection for `--select` and `--exclude` on the project's models, as dbt reads it
// (https://docs.getdbt.com/reference/node-selection/syntax, graph-operators, set-operators):
//   name            a model; `*` matches any run of characters (`stg_reviews__*`)
//   tag:reviews     models with that tag (the generated ones carry their pipeline's name)
//   +name  name+    with its ancestors / descendants; `2+name`, `name+1` limit the depth
//   @name           the model, its descendants, and their ancestors
//   a b             union (separate words); `a,b` intersection (both)
// A selector that matches no model is an error: a typo must not run nothing and pass.
import { didYouMean } from "../../compiler/diagnostics.js";

export interface SelectableModel {
  readonly name: string;
  readonly dependsOn: readonly string[];
  readonly tags?: readonly string[];
}

export class SelectorError extends Error {
  override readonly name = "SelectorError";
}

const ATOM = /^(@)?(?:(\d*)\+)?((?:tag:)?[A-Za-z0-9_*.-]+)(?:\+(\d*))?$/;

function globRe(pattern: string): RegExp {
  return new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\-]/g, "\\$&")).join(".*")}$`);
}

/** Models reachable from `start` along `edges`, up to `depth` steps (undefined: all). */
function reach(start: ReadonlySet<string>, edges: ReadonlyMap<string, readonly string[]>, depth: number | undefined): Set<string> {
  const out = new Set<string>();
  let frontier = [...start];
  for (let d = 0; frontier.length > 0 && (depth === undefined || d < depth); d++) {
    const next: string[] = [];
    for (const n of frontier) {
      for (const m of edges.get(n) ?? []) {
        if (out.has(m) || start.has(m)) continue;
        next.push(m);
        out.add(m);
      }
    }
    frontier = next;
  }
  return out;
}

function depthOf(text: string | undefined): number | undefined {
  return text === undefined || text === "" ? undefined : Number(text);
}

function atom(text: string, models: readonly SelectableModel[], flag: string): Set<string> {
  const m = ATOM.exec(text);
  if (!m) throw new SelectorError(`${flag} '${text}': not a selector; use name, name+, +name, n+name, name+n, @name, tag:<tag>, or a,b for both`);
  const [, at, up, what, down] = m;
  const ups = up !== undefined;
  const downs = m[0].endsWith("+") || down !== undefined;
  const base = new Set(
    what!.startsWith("tag:")
      ? models.filter((x) => (x.tags ?? []).includes(what!.slice(4))).map((x) => x.name)
      : models.filter((x) => globRe(what!).test(x.name)).map((x) => x.name),
  );
  if (base.size === 0) {
    const tags = [...new Set(models.flatMap((x) => x.tags ?? []))];
    const hint = what!.startsWith("tag:") ? (didYouMean(what!.slice(4), tags) ?? `tags: ${tags.join(", ") || "none"}`) : (didYouMean(what!, models.map((x) => x.name)) ?? "run `lakec graph` to list the models");
    throw new SelectorError(`${flag} '${text}' matches no model; ${hint}`);
  }
  const parents = new Map(models.map((x) => [x.name, x.dependsOn]));
  const children = new Map<string, string[]>();
  for (const x of models) for (const d of x.dependsOn) children.set(d, [...(children.get(d) ?? []), x.name]);
  const out = new Set(base);
  if (at !== undefined) {
    const down = reach(base, children, undefined);
    for (const n of down) out.add(n);
    for (const n of reach(new Set(out), parents, undefined)) out.add(n);
    return out;
  }
  if (ups) for (const n of reach(base, parents, depthOf(up))) out.add(n);
  if (downs) for (const n of reach(base, children, depthOf(down))) out.add(n);
  return out;
}

/** One `--select` value: words are a union, commas an intersection. */
function selector(words: readonly string[], models: readonly SelectableModel[], flag: string): Set<string> {
  const out = new Set<string>();
  for (const word of words.flatMap((w) => w.split(/\s+/)).filter((w) => w !== "")) {
    const parts = word.split(",").map((p) => atom(p, models, flag));
    for (const n of parts[0]!) if (parts.every((p) => p.has(n))) out.add(n);
  }
  return out;
}

/**
 * The names of the models `--select` and `--exclude` leave, or undefined when neither is given
 * (everything). Throws SelectorError for a malformed selector or one that matches nothing.
 */
export function selectModels(models: readonly SelectableModel[], select: readonly string[] | undefined, exclude: readonly string[] | undefined): Set<string> | undefined {
  if ((select ?? []).length === 0 && (exclude ?? []).length === 0) return undefined;
  const chosen = (select ?? []).length > 0 ? selector(select!, models, "--select") : new Set(models.map((m) => m.name));
  const dropped = (exclude ?? []).length > 0 ? selector(exclude!, models, "--exclude") : new Set<string>();
  return new Set([...chosen].filter((n) => !dropped.has(n)));
}

/** dbt's eager test selection: a test runs when any model it reads is selected. */
export function testSelected(test: { model: string; models?: readonly string[] }, selected: ReadonlySet<string> | undefined): boolean {
  return selected === undefined || (test.models ?? [test.model]).some((m) => selected.has(m));
}
