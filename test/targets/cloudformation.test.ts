// The generated CloudFormation templates, checked as code: resource types and properties against
// the current resource specification, every reference resolved, least-privilege IAM, cfn-guard's
// Control Tower rules (with listed waivers), and agreement with the ASL and Glue targets.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { compilePipeline } from "../../compiler/index.js";
import { emitCloudFormation, physicalNames, TEMPLATE_PATH } from "../../targets/cloudformation/index.js";
import { glueScripts } from "../../targets/glue/index.js";
import { buildDefinition, STATE } from "../../targets/stepfunctions/index.js";
import { allowStatements, SpecChecker, unresolvedReferences, wildcardActions } from "../support/cloudformation-checks.js";
import { load } from "../support/load.js";
import { REFERENCE_PIPELINES } from "../support/conformance-fixtures.js";

type Obj = Record<string, unknown>;
const GUARD_DIR = dirname(createRequire(import.meta.url).resolve("@cdklabs/cdk-validator-cfnguard/package.json"));
const GUARD = join(GUARD_DIR, "bin", "ubuntu", process.arch === "arm64" ? "aarch64" : "x86_64", "cfn-guard");
const RULES = join(GUARD_DIR, "rules", "control-tower", "cfn-guard");
const tmp = mkdtempSync(join(tmpdir(), "lakec-cfn-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let spec: SpecChecker;
beforeAll(async () => {
  spec = await SpecChecker.load();
}, 30_000);

/** Waivers as listed in GUARD_WAIVERS.md: `rule resource` → reason. */
function waivers(): Map<string, string> {
  const md = readFileSync("targets/cloudformation/GUARD_WAIVERS.md", "utf8");
  const rows = md.split("\n").filter((l) => /^\| CT\./.test(l));
  return new Map(rows.map((l) => l.split("|").map((c) => c.trim())).map(([, rule, resource, reason]) => [`${rule} ${resource}`, reason!]));
}

// The same list as GUARD_WAIVERS.md; a test below keeps the two equal.
const WAIVED = [
  "CT.CLOUDWATCH.PR.2 GlueErrorLogGroup",
  "CT.CLOUDWATCH.PR.2 GlueOutputLogGroup",
  "CT.CLOUDWATCH.PR.2 StateMachineLogGroup",
  "CT.CLOUDWATCH.PR.3 GlueErrorLogGroup",
  "CT.CLOUDWATCH.PR.3 GlueOutputLogGroup",
  "CT.CLOUDWATCH.PR.3 StateMachineLogGroup",
  "CT.GLUE.PR.1 CleanJob",
  "CT.GLUE.PR.1 FlattenJob",
  "CT.GLUE.PR.1 CompactJob",
  "CT.S3.PR.2 AccessLogsBucket",
  "CT.S3.PR.4 AccessLogsBucket",
  "CT.S3.PR.9 RawBucket",
  "CT.S3.PR.9 ProcessedBucket",
  "CT.S3.PR.9 AccessLogsBucket",
  "CT.S3.PR.10 AccessLogsBucket",
  "CT.S3.PR.11 ProcessedBucket",
  "CT.SQS.PR.1 EventsDeadLetterQueue",
];

/**
 * `CT.X.PR.n Resource` for every non-compliant (rule, resource) pair, per template name. One
 * cfn-guard run for all templates: loading the 300 rule files dominates its run time.
 */
function guardViolations(templates: Record<string, unknown>): Map<string, string[]> {
  const paths = Object.entries(templates).map(([name, template]) => {
    const path = join(tmp, `${name}.json`);
    writeFileSync(path, JSON.stringify(template));
    return path;
  });
  let out: string;
  try {
    out = execFileSync(
      GUARD,
      [
        "validate",
        "--rules",
        RULES,
        ...paths.flatMap((p) => ["--data", p]),
        "--output-format",
        "json",
        "--show-summary",
        "none",
        "--structured",
      ],
      {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      },
    );
  } catch (e) {
    // Exit code 19: validation ran and found violations; anything else is a broken run.
    const err = e as { status?: number; stdout?: string; stderr?: string };
    if (err.status !== 19 || !err.stdout) throw new Error(`cfn-guard failed (${err.status}): ${err.stderr}`);
    out = err.stdout;
  }
  const result = new Map<string, string[]>(Object.keys(templates).map((n) => [n, []]));
  for (const file of JSON.parse(out) as { name: string; not_compliant?: unknown[] }[]) {
    const found = new Set<string>();
    for (const violation of file.not_compliant ?? []) {
      const text = JSON.stringify(violation);
      const rule = /\[(CT\.[A-Z0-9]+\.PR\.\d+)\]/.exec(text)?.[1] ?? `unknown rule ${text.slice(0, 80)}`;
      for (const m of text.matchAll(/"path":"\/Resources\/([^/"]+)/g)) found.add(`${rule} ${m[1]}`);
    }
    result.set(file.name.replace(/^.*\//, "").replace(/\.json$/, ""), [...found].sort());
  }
  return result;
}

// storefront: its default environment (dev), with environment-qualified names.
const FILES = REFERENCE_PIPELINES;
const BAD_TEMPLATE = {
  Parameters: {},
  Resources: {
    B: { Type: "AWS::S3::Bucket", Properties: { BucketNam: "x", VersioningConfiguration: {} } },
    R: {
      Type: "AWS::IAM::Role",
      Properties: {
        AssumeRolePolicyDocument: {},
        Policies: [
          {
            PolicyName: "p",
            PolicyDocument: {
              Version: "2012-10-17",
              Statement: [{ Effect: "Allow", Action: "s3:*", Resource: { "Fn::Sub": "${Nope.Arn}/*" } }],
            },
          },
        ],
      },
    },
    Q: { Type: "AWS::SQS::Queue", Properties: { DelaySeconds: { "Fn::GetAtt": ["B", "Nope"] } } },
  },
};

let guard: Map<string, string[]>;
beforeAll(() => {
  const templates = Object.fromEntries(
    FILES.map((f) => [load(f).name, parse(emitCloudFormation(load(f))[0]!.contents, { version: "1.1" })]),
  );
  guard = guardViolations({ ...templates, bad: BAD_TEMPLATE });
}, 120_000);

describe.each(FILES)("CloudFormation template of %s", (file) => {
  const ir = load(file);
  const files = emitCloudFormation(ir);
  const text = files[0]!.contents;
  const template = parse(text, { version: "1.1" }) as Obj;
  const resources = template.Resources as Record<string, Obj>;

  it("is one deterministic YAML file with the generated header", () => {
    expect(files.map((f) => f.path)).toEqual([TEMPLATE_PATH]);
    expect(text.split("\n")[0]).toBe(`# generated by lakec from ${file} — do not edit`);
    expect(emitCloudFormation(load(file))[0]!.contents).toBe(text);
    expect(template.AWSTemplateFormatVersion).toBe("2010-09-09");
    // CreateChangeSet takes at most 51,200 bytes inline; apply uploads a larger template to the
    // artifacts bucket (deploy/providers/aws/changeset.ts), and a template from S3 may be 1 MB:
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
    expect(Buffer.byteLength(text, "utf8")).toBeLessThan(1_000_000);
  });

  it("uses only resource types, properties and attributes of the current resource spec", () => {
    expect(spec.check(template as never)).toEqual([]);
  });

  it("resolves every Ref, GetAtt, Sub variable, condition and DependsOn", () => {
    expect(unresolvedReferences(template as never)).toEqual([]);
  });

  it("allows no wildcard action, and Resource '*' only where the API has no resource ARNs", () => {
    expect(wildcardActions(template as never)).toEqual([]);
    const starOnly = new Set([
      "cloudwatch:PutMetricData",
      ...["Create", "Get", "Update", "Delete"].map((v) => `logs:${v}LogDelivery`),
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
      "xray:GetSamplingRules",
      "xray:GetSamplingTargets",
    ]);
    const star = allowStatements(template as never).filter((s) => s.resources.includes("*"));
    expect(star.flatMap((s) => s.actions.filter((a) => !starOnly.has(a)).map((a) => `${s.where}: ${a}`))).toEqual([]);
  });

  it("passes cfn-guard's Control Tower rules except the listed waivers", () => {
    const violations = guard.get(ir.name)!;
    const waived = [...WAIVED].sort();
    expect(violations.filter((v) => !waived.includes(v))).toEqual([]);
    expect(waived.filter((w) => !violations.includes(w))).toEqual([]);
  });

  it("protects both data buckets and notifies Snowflake only once its queue is known", () => {
    for (const [id, versioning] of [
      ["RawBucket", "Enabled"],
      ["ProcessedBucket", "Suspended"],
    ] as const) {
      const b = resources[id]!;
      expect(b).toMatchObject({ DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" });
      expect(b.Properties).toMatchObject({
        VersioningConfiguration: { Status: versioning },
        NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      });
    }
    const rawPolicy = JSON.stringify((resources.RawBucketPolicy!.Properties as Obj).PolicyDocument);
    expect(rawPolicy).toContain('"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:DeleteObjectVersion"');
    const queues = ((resources.ProcessedBucket!.Properties as Obj).NotificationConfiguration as Obj).QueueConfigurations as Obj;
    const [condition, configs] = queues["Fn::If"] as [string, Obj[]];
    expect(condition).toBe("HasSnowflakeNotificationQueue");
    expect(configs.map((c) => [c.Event, ((c.Filter as Obj).S3Key as { Rules: { Value: string }[] }).Rules.map((r) => r.Value)])).toEqual(
      ir.tables.flatMap((t) => ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"].map((e) => [e, [`${t.name}/`, ".parquet"]])),
    );
  });

  // Glue scheduled triggers take cron expressions in UTC:
  // https://docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html
  it("schedules the compaction job, one run at a time, under its own role, and alerts on its failed runs", () => {
    const trigger = resources.CompactTrigger!.Properties as Obj;
    expect(trigger).toMatchObject({
      Type: "SCHEDULED",
      Schedule: ir.aws.glue.compactSchedule,
      StartOnCreation: true,
      Actions: [{ JobName: { Ref: "CompactJob" } }],
    });
    // "Cron expressions have six required fields", in UTC.
    expect(ir.aws.glue.compactSchedule).toMatch(/^cron\(\S+( \S+){5}\)$/);
    const job = resources.CompactJob!.Properties as Obj;
    expect(job).toMatchObject({ Role: { "Fn::GetAtt": ["GlueCompactRole", "Arn"] }, ExecutionProperty: { MaxConcurrentRuns: 1 } });
    expect((job.DefaultArguments as Obj)["--leases_table"]).toEqual({ Ref: "LeasesTable" });
    expect(((resources.FlattenJob!.Properties as Obj).DefaultArguments as Obj)["--leases_table"]).toEqual({ Ref: "LeasesTable" });
    const compactRole = JSON.stringify(resources.GlueCompactRole!.Properties);
    expect(compactRole).not.toContain("RawBucket");
    const names = physicalNames(ir);
    const failed = resources.CompactionFailedRule!.Properties as Obj;
    expect(failed.EventPattern).toEqual({
      source: ["aws.glue"],
      "detail-type": ["Glue Job State Change"],
      detail: { jobName: [names.compactJob], state: ["FAILED", "ERROR"] },
    });
    expect((failed.Targets as Obj[])[0]!.Arn).toEqual({ Ref: "AlertTopic" });
    expect(JSON.stringify((resources.GlueTimeoutRule!.Properties as Obj).EventPattern)).toContain(names.compactJob);
    expect(JSON.stringify((resources.AlertTopicPolicy!.Properties as Obj).PolicyDocument)).toContain('"CompactionFailedRule","Arn"');
  });

  it("routes each source prefix to the state machine through a role that may only start it", () => {
    for (const source of ir.sources) {
      const rule = Object.values(resources).find(
        (r) => r.Type === "AWS::Events::Rule" && JSON.stringify(r).includes(`"prefix":"${source.prefix}"`),
      );
      expect(rule, source.name).toBeDefined();
      expect((rule!.Properties as Obj).EventPattern).toMatchObject({
        "detail-type": ["Object Created"],
        detail: { bucket: { name: [ir.aws.rawBucket] } },
      });
    }
    const events = allowStatements({ Resources: { EventsRole: resources.EventsRole } } as never).filter(
      (s) => !s.actions.includes("sts:AssumeRole"),
    );
    expect(events.map((s) => [s.actions, s.resources])).toEqual([[["states:StartExecution"], [{ Ref: "StateMachine" }]]]);
  });

  it("embeds the ASL definition and the content-hashed Glue script keys", () => {
    const sm = resources.StateMachine!.Properties as Obj;
    expect(sm.Definition).toEqual(buildDefinition(ir));
    // Every placeholder in the definition is bound, and every binding is used.
    const placeholders = [...new Set([...JSON.stringify(sm.Definition).matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!))].sort();
    expect(Object.keys(sm.DefinitionSubstitutions as Obj).sort()).toEqual(placeholders);
    const keys = glueScripts(ir).map((s) => `s3://${ir.aws.artifactsBucket}/${s.s3Key}`);
    expect(
      [resources.CleanJob, resources.FlattenJob, resources.CompactJob].map((j) => ((j!.Properties as Obj).Command as Obj).ScriptLocation),
    ).toEqual(keys);
    expect((resources.CleanJob!.Properties as Obj).ExecutionProperty).toEqual({ MaxConcurrentRuns: ir.aws.glue.maxConcurrentRuns });
  });

  it("gives each Glue job every argument its script resolves: from the state machine or the job's defaults", () => {
    type S = { Parameters?: { Arguments?: Record<string, string> }; Branches?: { States: Record<string, S> }[] };
    const definition = buildDefinition(ir) as { States: Record<string, S> };
    for (const script of glueScripts(ir)) {
      const declared = /^JOB_ARGS = (\[.*\])$/m.exec(script.contents)?.[1];
      expect(declared, script.role).toBeDefined();
      const required = (JSON.parse(declared!) as string[]).filter((a) => a !== "JOB_NAME"); // Glue passes JOB_NAME itself
      const job = resources[{ clean: "CleanJob", flatten: "FlattenJob", compact: "CompactJob" }[script.role]]!.Properties as Obj;
      // The compaction job is started by its trigger with no arguments: its defaults give them all.
      const [step, name] = script.role === "clean" ? [STATE.clean, STATE.cleanTask] : [STATE.flatten, STATE.flattenTask];
      const task = script.role === "compact" ? {} : definition.States[step]!.Branches![0]!.States[name]!.Parameters!.Arguments!;
      const given = [...Object.keys(job.DefaultArguments as Obj), ...Object.keys(task).map((k) => k.replace(/\.\$$/, ""))];
      expect(required.filter((a) => !given.includes(`--${a}`))).toEqual([]);
    }
  });
});

describe("the checks themselves", () => {
  it("catch unknown properties, missing required ones, bad references, wildcards and guard violations", () => {
    const bad = BAD_TEMPLATE;
    expect(spec.check(bad as never)).toEqual([
      "B: unknown property BucketNam",
      "B.VersioningConfiguration: required property Status is missing",
      "Resources.Q.Properties.DelaySeconds: B (AWS::S3::Bucket) has no attribute Nope",
    ]);
    expect(unresolvedReferences(bad as never)).toEqual([
      "Resources.R.Properties.Policies[0].PolicyDocument.Statement[0].Resource: Sub variable ${Nope.Arn}",
    ]);
    expect(wildcardActions(bad as never)).toEqual(["Resources.R.Properties.Policies[0].PolicyDocument.Statement[0]: s3:*"]);
    expect(guard.get("bad")).toContain("CT.S3.PR.1 B");
  });

  it("keep the waiver list equal to GUARD_WAIVERS.md, each with a reason", () => {
    const listed = waivers();
    expect([...listed.keys()].sort()).toEqual([...WAIVED].sort());
    for (const [key, reason] of listed) expect(reason.length, key).toBeGreaterThan(10);
  });
});

describe("logical IDs", () => {
  it("stay distinct when two source names give the same PascalCase", () => {
    const source = (name: string, prefix: string) =>
      `  ${name}:\n    format: jsonl\n    prefix: ${prefix}\n    key: [id]\n    id: ${name}_record_id\n    columns:\n      id: { type: string, required: true }\n`;
    const text = readFileSync("test/cases/shop-minimal/pipeline.yaml", "utf8")
      .replace(/^sources:\n[\s\S]*?(?=^marts:)/m, `sources:\n${source("a_b", "one/")}${source("ab", "two/")}${source("a__b", "three/")}`)
      .replace(/^marts:[\s\S]*$/m, "");
    const result = compilePipeline("clash.yaml", text);
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const template = parse(emitCloudFormation(result.ir!)[0]!.contents, { version: "1.1" }) as Obj;
    const rules = Object.entries(template.Resources as Record<string, Obj>).filter(
      ([id, r]) => r.Type === "AWS::Events::Rule" && id.endsWith("ObjectCreatedRule"),
    );
    expect(rules.map(([id]) => id)).toEqual(["ABObjectCreatedRule", "AbObjectCreatedRule", "AB2ObjectCreatedRule"]);
    expect(unresolvedReferences(template as never)).toEqual([]);
  });
});
