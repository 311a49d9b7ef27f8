// Environments: one pipeline.yaml, several deployments (dev, staging, prod). An environment is
// the top-level aws, snowflake, orchestration and publish blocks with its own keys deep-merged
// over them. Sources and marts are the same in every environment, so the Glue scripts and the
// dbt models are one program deployed several times, and what is promoted is exactly what ran.
import type { Diagnostic, DocPath, Locator } from "./diagnostics.js";
import { ENVIRONMENT_BLOCKS, type EnvironmentDoc, type PipelineDoc } from "./doc.js";
import type { EnvironmentIR, PipelineIR } from "./ir.js";
import { CheckContext, q } from "./check/context.js";
import { checkSettings } from "./check/settings.js";
import { lower } from "./lower.js";

/** Environment names go into stack, role, job and folder names: short, lower case, no separators. */
export const ENVIRONMENT_NAME = /^[a-z][a-z0-9]{0,15}$/;

export function environmentNames(doc: PipelineDoc): string[] {
  return Object.keys(doc.environments ?? {});
}

/** The environment a command uses without --env: the one marked default, else the only one. */
export function defaultEnvironment(doc: PipelineDoc): string | undefined {
  const envs = Object.entries(doc.environments ?? {});
  const marked = envs.find(([, e]) => e?.default === true);
  if (marked) return marked[0];
  return envs.length === 1 ? envs[0]![0] : undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Mappings merge key by key; a list or a scalar set by the environment replaces the base value. */
function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

function envOf(doc: PipelineDoc, name: string): EnvironmentDoc {
  return doc.environments?.[name] ?? {};
}

/**
 * The document one environment compiles: its blocks merged over the top level. The storage
 * integration is an account-wide Snowflake object that trusts one environment's IAM role, so
 * unless the environment names its own, it gets the environment's name (LAKE_S3 → LAKE_S3_DEV).
 */
export function environmentDoc(doc: PipelineDoc, name: string): PipelineDoc {
  const env = envOf(doc, name);
  const merged: Record<string, unknown> = { ...doc };
  for (const block of ENVIRONMENT_BLOCKS) {
    if (env[block] !== undefined) merged[block] = deepMerge(doc[block], env[block]);
  }
  const out = merged as unknown as PipelineDoc;
  if (env.snowflake?.storage_integration !== undefined) return out;
  return { ...out, snowflake: { ...out.snowflake, storage_integration: `${doc.snowflake.storage_integration}_${name.toUpperCase()}` } };
}

function hasPath(value: unknown, path: DocPath): boolean {
  let at = value;
  for (const p of path) {
    if (!isPlainObject(at) || !(String(p) in at)) return false;
    at = at[String(p)];
  }
  return true;
}

/** Points at the environment's own key when it set the value, else at the top-level one. */
function environmentLocator(doc: PipelineDoc, name: string, locate: Locator): Locator {
  const env = envOf(doc, name);
  return (path, opts) => (hasPath(env, path) ? locate(["environments", name, ...path], opts) : locate(path, opts));
}

interface Claimed {
  readonly what: string;
  readonly value: string;
  /** Where an environment sets it, first match pointed at: database or schema for a schema. */
  readonly paths: readonly DocPath[];
}

/** Names two environments of one account can never share: both would write the same data. */
function claimsOf(merged: PipelineDoc): Claimed[] {
  const sf = merged.snowflake;
  return [
    { what: "raw bucket", value: merged.aws.raw_bucket, paths: [["aws", "raw_bucket"]] },
    { what: "processed bucket", value: merged.aws.processed_bucket, paths: [["aws", "processed_bucket"]] },
    {
      what: "Snowflake schema",
      value: `${sf.database}.${sf.schema}`.toUpperCase(),
      paths: [
        ["snowflake", "database"],
        ["snowflake", "schema"],
      ],
    },
    { what: "storage integration", value: sf.storage_integration.toUpperCase(), paths: [["snowflake", "storage_integration"]] },
  ];
}

function checkNamesAndDefault(ctx: CheckContext, names: readonly string[]): void {
  let firstDefault: string | undefined;
  for (const name of names) {
    if (!ENVIRONMENT_NAME.test(name)) {
      ctx.error(
        "LK360",
        ["environments", name],
        `environment name ${q(name)} is not valid`,
        "environment names are 1-16 lower-case letters and digits starting with a letter (dev, staging, prod, qa2): they become part of stack, job and folder names",
        { key: true },
      );
    }
    if (ctx.doc.environments?.[name]?.default !== true) continue;
    if (firstDefault === undefined) firstDefault = name;
    else
      ctx.error(
        "LK361",
        ["environments", name, "default"],
        `environments ${q(firstDefault)} and ${q(name)} are both marked default: true`,
        "mark at most one environment as the default; the others are chosen with --env",
        { key: true },
      );
  }
}

/** LK362: the second environment that takes a bucket, schema or integration gets the error. */
function checkShared(ctx: CheckContext, file: string, locate: Locator, names: readonly string[]): void {
  const owners = new Map<string, string>();
  for (const name of names) {
    for (const c of claimsOf(environmentDoc(ctx.doc, name))) {
      const key = c.what === "raw bucket" || c.what === "processed bucket" ? `bucket:${c.value}` : `${c.what}:${c.value}`;
      const earlier = owners.get(key);
      if (earlier === undefined) {
        owners.set(key, name);
        continue;
      }
      const set = c.paths.find((p) => hasPath(envOf(ctx.doc, name), p));
      const at: DocPath = set ? ["environments", name, ...set] : ["environments", name];
      const span = locate(at, { key: at.length === 2 });
      ctx.diagnostics.push({
        file,
        ...span,
        severity: "error",
        code: "LK362",
        message: `environments ${q(earlier)} and ${q(name)} both use ${c.what} ${q(c.value)}`,
        hint: `environments share an AWS and a Snowflake account, so each needs its own buckets and schema: set ${c.paths[0]!.join(".")} in environments.${name}`,
      });
    }
  }
}

/**
 * LK363: the dbt project is one for every environment, but each publishes the version it was
 * applied with. Two environments publishing to one place means applying dev changes the
 * models prod's DAG runs.
 */
function checkSharedDbtPublish(ctx: CheckContext, file: string, locate: Locator, names: readonly string[]): void {
  const owners = new Map<string, string>();
  for (const name of names) {
    const dest = environmentDoc(ctx.doc, name).publish?.dbt;
    if (dest === undefined) continue;
    const key = dest.replace(/\/+$/, "");
    const earlier = owners.get(key);
    if (earlier === undefined) {
      owners.set(key, name);
      continue;
    }
    const at: DocPath = hasPath(envOf(ctx.doc, name), ["publish", "dbt"])
      ? ["environments", name, "publish", "dbt"]
      : ["environments", name];
    ctx.diagnostics.push({
      file,
      ...locate(at, { key: at.length === 2 }),
      severity: "warning",
      code: "LK363",
      message: `environments ${q(earlier)} and ${q(name)} publish the dbt project to the same place ${q(dest)}`,
      hint: `applying ${earlier} would change the models ${name}'s DAG runs: set publish.dbt in environments.${name} (DAGs may share a folder: their names differ)`,
    });
  }
}

/**
 * Every environment's own diagnostics: names, the default, shared data locations, and the
 * settings checks run on each merged document, pointing into the environment's block.
 * Diagnostics equal to one in `already` (a top-level value every environment inherits) are
 * not repeated.
 */
export function checkEnvironments(file: string, doc: PipelineDoc, locate: Locator, already: readonly Diagnostic[]): Diagnostic[] {
  const names = environmentNames(doc);
  if (names.length === 0) return [];
  const ctx = new CheckContext(file, doc, locate);
  checkNamesAndDefault(ctx, names);
  checkShared(ctx, file, locate, names);
  checkSharedDbtPublish(ctx, file, locate, names);
  const seen = new Set(already.map(diagnosticKey));
  const out: Diagnostic[] = [];
  for (const d of ctx.diagnostics) out.push(d);
  for (const name of names) {
    const envCtx = new CheckContext(file, environmentDoc(doc, name), environmentLocator(doc, name, locate));
    checkSettings(envCtx);
    for (const d of envCtx.diagnostics) {
      const key = diagnosticKey(d);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(d);
    }
  }
  return out;
}

function diagnosticKey(d: Diagnostic): string {
  return `${d.line}:${d.col}:${d.code}:${d.message}`;
}

/** One IR per environment, in declaration order; one IR without `environment` when there are none. */
export function lowerEnvironments(doc: PipelineDoc, file: string): PipelineIR[] {
  const names = environmentNames(doc);
  if (names.length === 0) return [lower(doc, file)];
  const all: EnvironmentIR["all"] = names.map((name) => {
    const sf = environmentDoc(doc, name).snowflake;
    return { name, database: sf.database, schema: sf.schema };
  });
  const dflt = defaultEnvironment(doc);
  return names.map((name) => {
    const description = envOf(doc, name).description;
    const environment: EnvironmentIR = {
      name,
      ...(description !== undefined && { description }),
      all,
      ...(dflt !== undefined && { default: dflt }),
    };
    return { ...lower(environmentDoc(doc, name), file), environment };
  });
}
