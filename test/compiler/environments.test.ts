// Environments compiled side by side: no physical name shared between two of them (so they
// coexist in one AWS and one Snowflake account), one dbt project for all of them whose sources
// pick the environment's database and schema, one DAG per environment, and the choice of the
// environment a command uses.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { compilePipeline } from "../../compiler/index.js";
import type { PipelineIR } from "../../compiler/ir.js";
import { loadPipeline, loadProject } from "../../cli/pipeline-files.js";

import { stackName } from "../../deploy/diff-aws.js";
import { layoutOutput } from "../../targets/registry.js";

const ROOT = join(import.meta.dirname, "..", "..");
const STOREFRONT = "pipelines/storefront.yaml";

function environments(file: string): readonly PipelineIR[] {
  const r = compilePipeline(file, readFileSync(join(ROOT, file), "utf8"));
  expect(r.diagnostics).toEqual([]);
  return r.irs!;
}

function files(ir: PipelineIR): ReadonlyMap<string, string> {
  return layoutOutput(ir).pipelineFiles;
}

/**
 * Every physical name a template sets: each resource property whose name ends in `Name` (and
 * is text: BucketName, RoleName, TopicName, LogGroupName, StateMachineName, TableName, …), a
 * Glue job's `Name`, and the Glue log-group prefix argument, which names log groups too.
 */
function templateNames(template: string): Set<string> {
  const t = parse(template) as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  const names = new Set<string>();
  for (const [id, r] of Object.entries(t.Resources)) {
    for (const [k, v] of Object.entries(r.Properties ?? {})) {
      // A metric name is a measure, not a resource: its dimensions say whose it is (below).
      if (/Name$/.test(k) && k !== "MetricName" && typeof v === "string") names.add(`${k}=${v}`);
    }
    // A custom metric's dimension values decide whose data an alarm watches.
    for (const d of (r.Properties?.Dimensions ?? []) as { Name: string; Value: unknown }[]) {
      if (typeof d.Value === "string") names.add(`dimension ${d.Name}=${d.Value}`);
    }
    const args = (r.Properties?.DefaultArguments ?? {}) as Record<string, unknown>;
    if (typeof args["--custom-logGroup-prefix"] === "string") names.add(`log prefix=${args["--custom-logGroup-prefix"]}`);
    expect(id).toMatch(/^[A-Za-z0-9]+$/);
  }
  return names;
}

/** `"DB"."SCHEMA"` of every external table, and the integration every statement names. */
function snowflakeNames(ir: PipelineIR): { schemas: Set<string>; integrations: Set<string> } {
  const sql = [...files(ir)]
    .filter(([p]) => p.startsWith("snowflake/"))
    .map(([, c]) => c)
    .join("\n");
  const schemas = new Set([...sql.matchAll(/CREATE EXTERNAL TABLE IF NOT EXISTS ("[^"]+"\."[^"]+")\./g)].map((m) => m[1]!));
  const integrations = new Set([...sql.matchAll(/STORAGE[_ ]INTEGRATION (?:IF NOT EXISTS )?(?:= )?("[^"]+")/g)].map((m) => m[1]!));
  return { schemas, integrations };
}

describe("two environments of one pipeline share no physical name", () => {
  const [dev, prod] = environments(STOREFRONT);

  it("the reference pipeline has dev (the default) and prod", () => {
    expect([dev!.environment?.name, prod!.environment?.name]).toEqual(["dev", "prod"]);
    expect(compilePipeline(STOREFRONT, readFileSync(join(ROOT, STOREFRONT), "utf8")).defaultEnvironment).toBe("dev");
  });

  it("no resource name property of the CloudFormation templates is the same", () => {
    const a = templateNames(files(dev!).get("cloudformation/template.yaml")!);
    const b = templateNames(files(prod!).get("cloudformation/template.yaml")!);
    // Both templates name the same kinds of things: buckets, jobs, state machine, topic, logs, tables.
    expect([...a].map((n) => n.split("=")[0]).sort()).toEqual([...b].map((n) => n.split("=")[0]).sort());
    expect(a.size).toBeGreaterThanOrEqual(10);
    expect([...a].filter((n) => b.has(n))).toEqual([]);
    expect(a).toContain("StateMachineName=lakec-storefront-dev");
    expect(b).toContain("TopicName=lakec-storefront-prod-alerts");
    expect(b).toContain("dimension Pipeline=storefront-prod");
    // The clean job publishes the metric with the same dimension the alarm watches.
    expect(files(prod!).get("glue/clean.py")).toContain('"pipeline": "storefront-prod"');
  });

  it("the stacks, storage integrations and every external table's database.schema differ", () => {
    expect(stackName(dev!.name, dev!.environment?.name)).toBe("lakec-storefront-dev");
    expect(stackName(prod!.name, prod!.environment?.name)).toBe("lakec-storefront-prod");
    const [a, b] = [snowflakeNames(dev!), snowflakeNames(prod!)];
    expect([...a.integrations]).toEqual(['"LAKE_S3_STOREFRONT_DEV"']);
    expect([...b.integrations]).toEqual(['"LAKE_S3_STOREFRONT_PROD"']);
    expect([...a.schemas]).toEqual(['"ANALYTICS_DEV"."STOREFRONT"']);
    expect([...b.schemas]).toEqual(['"ANALYTICS"."STOREFRONT"']);
  });

  it("each environment has its own DAG, running dbt with its own target", () => {
    const dag = (ir: PipelineIR): string => files(ir).get(`airflow/storefront_${ir.environment!.name}_dbt.py`)!;
    expect(dag(dev!)).toContain('dag_id="storefront_dev_dbt"');
    expect(dag(dev!)).toContain('schedule="@daily"');
    expect(dag(prod!)).toContain('schedule="@hourly"');
    expect(dag(prod!)).toMatch(/dbt build --select tag:storefront .* --target prod'/);
    // Both DAGs may run in one Airflow: each reads its own topic's ARN and names its own topic.
    expect(dag(prod!)).toContain('ALERT_TOPIC_ENV = "LAKEC_STOREFRONT_PROD_ALERT_TOPIC_ARN"');
    expect(dag(dev!)).toContain('ALERT_TOPIC_NAME = "lakec-storefront-dev-alerts"');
  });

  it("failure alerts say which environment failed (environments may alert the same people)", () => {
    const asl = files(prod!).get("stepfunctions/state-machine.asl.json")!;
    expect(asl).toContain('"Subject": "lakec storefront (prod): processing failed"');
    expect(asl).toContain('"environment": "prod"');
  });

  it("a pipeline without environments keeps the names it always had", () => {
    const [reviews] = environments("pipelines/reviews.yaml");
    expect(reviews!.environment).toBeUndefined();
    expect(templateNames(files(reviews!).get("cloudformation/template.yaml")!)).toContain("StateMachineName=lakec-reviews");
    expect(stackName(reviews!.name)).toBe("lakec-reviews");
  });
});

describe("one dbt project for every environment", () => {
  const irs = environments("test/cases/environments/pipeline.yaml");

  it("an environment's mappings merge key by key over the top level; its lists and values replace", () => {
    const [dev, staging, prod] = irs;
    expect(dev!.aws.glue).toMatchObject({ version: "5.0", workerType: "G.1X", workers: 2 });
    expect(prod!.aws.glue).toMatchObject({ version: "5.0", workerType: "G.2X", workers: 10 });
    expect([dev!.airflow.tags, prod!.airflow.tags]).toEqual([["shop"], ["shop", "finance"]]);
    expect(dev!.aws.alarmEmail).toBe("oncall@example.com");
    expect(staging!.publish).toEqual({ dbt: "s3://acme-mwaa-staging/dbt/", airflow: "s3://acme-mwaa-staging/dags/" });
    expect([dev, staging, prod].map((i) => i!.snowflake.storageIntegration)).toEqual([
      "LAKE_S3_SHOP_DEV",
      "LAKE_S3_SHOP_QA",
      "LAKE_S3_SHOP_PROD",
    ]);
  });

  it("every environment emits the same dbt files", () => {
    const project = irs.map((ir) => JSON.stringify([...layoutOutput(ir).projectFiles]));
    expect(new Set(project).size).toBe(1);
    const profiles = parse(layoutOutput(irs[0]!).projectFiles.get("dbt/profiles.shop.yml.example")!) as {
      lakec: { outputs: Record<string, { database: string }> };
    };
    expect(Object.keys(profiles.lakec.outputs)).toEqual(["dev", "staging", "prod"]);
    expect(profiles.lakec.outputs.dev!.database).toBe("ANALYTICS_DEV");
  });

  const python = ((): string | undefined => {
    try {
      execFileSync("python3", ["-c", "import jinja2"], { stdio: "ignore" });
      return "python3";
    } catch {
      return undefined;
    }
  })();

  // dbt renders source properties with Jinja: target.name, target.type and env_var are in scope.
  it.skipIf(python === undefined)(
    "the sources render to each environment's database and schema (Jinja, as dbt renders them; needs python3 with jinja2)",
    () => {
      const sources = parse(layoutOutput(irs[0]!).projectFiles.get("dbt/models/staging/shop/_sources.yml")!) as {
        sources: { database: string; schema: string }[];
      };
      const { database, schema } = sources.sources[0]!;
      const script = [
        "import json, os, sys",
        "from jinja2 import Environment",
        "env = Environment()",
        "database, schema, target, lakec_env = json.loads(sys.argv[1])",
        "ctx = {'target': {'name': target, 'type': 'snowflake', 'database': 'X'}, 'env_var': lambda k, d=None: (lakec_env if k == 'LAKEC_ENV' and lakec_env else d)}",
        "print(env.from_string(database).render(ctx) + '.' + env.from_string(schema).render(ctx))",
      ].join("\n");
      const render = (target: string, lakecEnv = ""): string =>
        execFileSync(python!, ["-c", script, JSON.stringify([database, schema, target, lakecEnv])], { encoding: "utf8" }).trim();
      expect(render("dev")).toBe("ANALYTICS_DEV.SHOP");
      expect(render("staging")).toBe("ANALYTICS.SHOP_STAGING");
      expect(render("prod")).toBe("ANALYTICS.SHOP");
      expect(render("snowflake", "staging")).toBe("ANALYTICS.SHOP_STAGING");
      // An unknown environment names itself in the relation, so the warehouse's error says which.
      expect(render("qa")).toBe("NO_LAKEC_ENVIRONMENT_qa.NO_LAKEC_ENVIRONMENT_qa");
    },
  );
});

describe("the environment a command uses", () => {
  it("--env, else the one marked default, else a clear error", () => {
    expect(loadPipeline(ROOT, STOREFRONT).ir!.environment!.name).toBe("dev");
    expect(loadPipeline(ROOT, STOREFRONT, "prod").ir!.environment!.name).toBe("prod");
    expect(() => loadPipeline(ROOT, STOREFRONT, "prd")).toThrow("pipelines/storefront.yaml has no environment 'prd'; did you mean 'prod'?");
    expect(() => loadPipeline(ROOT, "pipelines/reviews.yaml", "dev")).toThrow(
      "pipelines/reviews.yaml declares no environments, so --env dev does not apply",
    );
    expect(() => loadPipeline(ROOT, "test/cases/err-environment-unknown-key/pipeline.yaml", "dev")).not.toThrow();
  });

  it("several environments and no default: the command names the choices", () => {
    const text = readFileSync(join(ROOT, STOREFRONT), "utf8").replace("    default: true\n", "");
    const r = compilePipeline("x.yaml", text);
    expect(r.defaultEnvironment).toBeUndefined();
    expect(r.irs!.map((i) => i.environment!.name)).toEqual(["dev", "prod"]);
  });

  it("a single environment is the default without default: true", () => {
    const text = readFileSync(join(ROOT, STOREFRONT), "utf8").replace(/\n {2}prod:\n.*\n$/, "\n");
    const r = compilePipeline("x.yaml", text);
    expect(r.diagnostics).toEqual([]);
    expect(r.defaultEnvironment).toBe("dev");
    expect(r.irs).toHaveLength(1);
  });
});

describe("checks across pipelines see every environment", () => {
  it("the reference pipelines compile together; another file taking an environment's integration is LK503", () => {
    const all = loadProject(ROOT, ["pipelines/reviews.yaml", "pipelines/yelp.yaml", STOREFRONT]);
    expect(all.flatMap((l) => l.diagnostics)).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), "lakec-env-project-"));
    try {
      const yelp = readFileSync(join(ROOT, "pipelines/yelp.yaml"), "utf8").replace(
        "storage_integration: LAKE_S3_YELP",
        "storage_integration: LAKE_S3_STOREFRONT_PROD",
      );
      writeFileSync(join(dir, "yelp.yaml"), yelp);
      writeFileSync(join(dir, "storefront.yaml"), readFileSync(join(ROOT, STOREFRONT), "utf8"));
      const [, clash] = loadProject(dir, ["storefront.yaml", "yelp.yaml"]);
      expect(clash!.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([
        "LK503 storage integration 'LAKE_S3_STOREFRONT_PROD' is also storefront.yaml's",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
