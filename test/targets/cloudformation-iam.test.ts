// Least privilege, both ways: every S3 key, Glue job and topic the generated code touches is
// allowed to the role that touches it, and the neighbouring ones are not. A small evaluator of
// the template's identity policies (Allow statements, `*` globs, StringLike/StringEquals).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { compilePipeline } from "../../compiler/index.js";
import { emitCloudFormation, physicalNames } from "../../targets/cloudformation/index.js";
import { PROCESSED_PREFIX } from "../../targets/glue/index.js";
import { REFERENCE_PIPELINES } from "../support/conformance-fixtures.js";

type Obj = Record<string, unknown>;
const ACCOUNT = "123456789012";
const REGION = "eu-west-1";

function load(file: string) {
  const ir = compilePipeline(file, readFileSync(file, "utf8")).ir!;
  const template = parse(emitCloudFormation(ir)[0]!.contents, { version: "1.1" }) as { Resources: Record<string, Obj> };
  return { ir, template };
}

/** Resolves the intrinsics the policies use, with a fixed account and region. */
function resolver(template: { Resources: Record<string, Obj> }) {
  const arnOf = (id: string): string => {
    const r = template.Resources[id]!;
    const p = r.Properties as Obj;
    switch (r.Type) {
      case "AWS::S3::Bucket":
        return `arn:aws:s3:::${String(p.BucketName ?? id.toLowerCase())}`;
      case "AWS::StepFunctions::StateMachine":
        return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${String(p.StateMachineName)}`;
      case "AWS::SNS::Topic":
        return `arn:aws:sns:${REGION}:${ACCOUNT}:${String(p.TopicName)}`;
      default:
        return `arn:aws:test:::${id}`;
    }
  };
  const pseudo: Record<string, string> = {
    "AWS::Partition": "aws",
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::StackName": "stack",
  };
  const resolve = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(resolve);
    if (typeof v !== "object" || v === null) return v;
    const o = v as Obj;
    if ("Fn::Sub" in o)
      return String(o["Fn::Sub"]).replace(/\$\{([^}]+)\}/g, (_, name: string) => pseudo[name] ?? arnOf(name.replace(/\.Arn$/, "")));
    if ("Fn::GetAtt" in o) return arnOf(String((o["Fn::GetAtt"] as string[])[0]));
    if ("Ref" in o) return pseudo[String(o.Ref)] ?? arnOf(String(o.Ref));
    if ("Fn::Join" in o) {
      const [sep, parts] = o["Fn::Join"] as [string, unknown[]];
      return parts.map(resolve).join(sep);
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
  };
  return resolve;
}

const glob = (pattern: string, value: string): boolean =>
  new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  ).test(value);
const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** Whether the role's inline policies allow `action` on `resource` with these request keys. */
function allows(
  template: { Resources: Record<string, Obj> },
  role: string,
  action: string,
  resource: string,
  keys: Record<string, string> = {},
): boolean {
  const resolve = resolver(template);
  const policies = (template.Resources[role]!.Properties as { Policies: { PolicyDocument: { Statement: Obj[] } }[] }).Policies;
  return policies.some((p) =>
    p.PolicyDocument.Statement.some((raw) => {
      const s = resolve(raw) as Obj;
      if (s.Effect !== "Allow" || !list(s.Action).includes(action) || !list(s.Resource).some((r) => glob(r, resource))) return false;
      return Object.entries((s.Condition as Record<string, Record<string, unknown>>) ?? {}).every(([op, conds]) =>
        Object.entries(conds).every(([key, values]) => {
          const actual = keys[key];
          if (actual === undefined) return false;
          return list(values).some((v) => (op === "StringLike" ? glob(v, actual) : v === actual));
        }),
      );
    }),
  );
}

describe.each(REFERENCE_PIPELINES)("IAM of %s", (file) => {
  const { ir, template } = load(file);
  const raw = `arn:aws:s3:::${ir.aws.rawBucket}`;
  const processed = `arn:aws:s3:::${ir.aws.processedBucket}`;
  const source = ir.sources[0]!;
  const table = ir.tables.find((t) => t.source === source.name)!;
  const h = "0123456789abcdef";

  it("lets the Glue jobs read their raw objects, and only those", () => {
    const can = (action: string, res: string, keys?: Record<string, string>) => allows(template, "GlueJobRole", action, res, keys);
    for (const s of ir.sources) {
      expect(can("s3:GetObject", `${raw}/${s.prefix}2026/11/27/export 1.jsonl`)).toBe(true);
      expect(can("s3:ListBucket", raw, { "s3:prefix": `${s.prefix}2026/11/27/export 1.jsonl` })).toBe(true);
    }
    expect(can("s3:GetObject", `${raw}/elsewhere/a.jsonl`)).toBe(false);
    expect(can("s3:ListBucket", raw, { "s3:prefix": "elsewhere/" })).toBe(false);
    expect(can("s3:ListBucket", raw)).toBe(false);
    for (const action of ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"])
      expect(can(action, `${raw}/${source.prefix}a.jsonl`)).toBe(false);
  });

  it("lets the Glue jobs write every output of the layout, and not their own scripts", () => {
    const can = (action: string, key: string) => allows(template, "GlueJobRole", action, `${processed}/${key}`);
    const keys = [
      `${table.name}/${table.partition ? `${table.partition.key}=2016-09-01/` : ""}_input=${h}/part-00000.snappy.parquet`,
      `${table.name}_$folder$`,
      `${PROCESSED_PREFIX.clean}${source.name}/_input=${h}/part-00000.snappy.parquet`,
      `${PROCESSED_PREFIX.quarantine}${source.name}/_input=${h}/part-00000.json`,
      `${PROCESSED_PREFIX.manifests}${source.name}/${h}.json`,
      `${PROCESSED_PREFIX.manifests}${source.name}/${h}.outputs.json`,
      `${PROCESSED_PREFIX.tmp}spark/x`,
    ];
    for (const key of keys)
      for (const action of ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]) expect(can(action, key), `${action} ${key}`).toBe(true);
    const script = `${ir.aws.artifactsPrefix}scripts/lakec-${ir.name}-clean-000000000000.py`;
    expect(can("s3:GetObject", script)).toBe(true);
    expect(can("s3:PutObject", script)).toBe(false);
    expect(can("s3:PutObject", "elsewhere/x")).toBe(false);
    expect(allows(template, "GlueJobRole", "s3:ListBucket", processed)).toBe(true);
  });

  // The compaction job (targets/glue/compact-script.ts, packed-py.ts) and the flatten job's
  // rewrite of packed objects: every key either touches, under its own role.
  const packedKeys = [
    `${table.name}/${table.partition ? `${table.partition.key}=2016-09-01/` : ""}_input=packed-20261204033000-0a1b2c3d/part-00000.snappy.parquet`,
    `${table.name}/${table.partition ? `${table.partition.key}=2016-09-01/` : ""}_input=${h}/part-00000.snappy.parquet`,
    `${PROCESSED_PREFIX.compaction}${table.name}/${table.partition ? `${table.partition.key}=2016-09-01` : "_"}.json`,
    `${PROCESSED_PREFIX.compaction}inputs/${source.name}/${h}.json`,
    `${PROCESSED_PREFIX.tmp}spark/x`,
  ];
  const leases = "arn:aws:test:::LeasesTable";

  it("lets the compaction job rewrite table objects and its records, and nothing of the raw bucket or the inputs' outputs", () => {
    const can = (action: string, res: string, keys?: Record<string, string>) => allows(template, "GlueCompactRole", action, res, keys);
    for (const key of packedKeys)
      for (const action of ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"])
        expect(can(action, `${processed}/${key}`), `${action} ${key}`).toBe(true);
    expect(can("s3:ListBucket", processed)).toBe(true);
    for (const action of ["dynamodb:GetItem", "dynamodb:PutItem"]) expect(can(action, leases)).toBe(true);
    expect(can("dynamodb:DeleteItem", leases)).toBe(false);
    expect(can("s3:GetObject", `${processed}/${ir.aws.artifactsPrefix}scripts/lakec-${ir.name}-compact-000000000000.py`)).toBe(true);
    expect(can("s3:GetObject", `${processed}/${ir.aws.artifactsPrefix}scripts/lakec-${ir.name}-clean-000000000000.py`)).toBe(false);
    for (const key of [
      `${PROCESSED_PREFIX.clean}${source.name}/_input=${h}/part-0.parquet`,
      `${PROCESSED_PREFIX.quarantine}${source.name}/x.json`,
      `${PROCESSED_PREFIX.manifests}${source.name}/${h}.json`,
      "elsewhere/x",
    ]) {
      for (const action of ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"])
        expect(can(action, `${processed}/${key}`), `${action} ${key}`).toBe(false);
    }
    expect(can("s3:GetObject", `${raw}/${source.prefix}a.jsonl`)).toBe(false);
    expect(can("s3:ListBucket", raw, { "s3:prefix": source.prefix })).toBe(false);
  });

  it("lets the flatten job rewrite packed objects and hold the source lease", () => {
    const can = (action: string, res: string) => allows(template, "GlueJobRole", action, res);
    for (const key of packedKeys)
      for (const action of ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"])
        expect(can(action, `${processed}/${key}`), `${action} ${key}`).toBe(true);
    for (const action of ["dynamodb:GetItem", "dynamodb:PutItem"]) expect(can(action, leases)).toBe(true);
  });

  it("lets Snowflake read the output tables, and nothing of lakec's own", () => {
    const can = (action: string, res: string, keys?: Record<string, string>) => allows(template, "SnowflakeStorageRole", action, res, keys);
    for (const t of ir.tables) {
      expect(can("s3:GetObject", `${processed}/${t.name}/_input=${h}/part-00000.snappy.parquet`)).toBe(true);
      expect(can("s3:ListBucket", processed, { "s3:prefix": `${t.name}/` })).toBe(true);
    }
    expect(can("s3:GetObject", `${processed}/${packedKeys[0]}`)).toBe(true);
    expect(can("s3:GetObject", `${processed}/${PROCESSED_PREFIX.quarantine}${source.name}/_input=${h}/part-00000.json`)).toBe(false);
    expect(can("s3:GetObject", `${processed}/${PROCESSED_PREFIX.compaction}inputs/${source.name}/${h}.json`)).toBe(false);
    expect(can("s3:ListBucket", processed, { "s3:prefix": "_lakec/" })).toBe(false);
    expect(can("s3:PutObject", `${processed}/${table.name}/x`)).toBe(false);
    expect(can("s3:GetObject", `${raw}/${source.prefix}a.jsonl`)).toBe(false);
  });

  it("lets the state machine run exactly its two jobs and publish to its topic", () => {
    const names = physicalNames(ir);
    const job = (name: string) => `arn:aws:glue:${REGION}:${ACCOUNT}:job/${name}`;
    for (const action of ["glue:StartJobRun", "glue:GetJobRun", "glue:BatchStopJobRun"]) {
      expect(allows(template, "StateMachineRole", action, job(names.cleanJob))).toBe(true);
      expect(allows(template, "StateMachineRole", action, job(names.flattenJob))).toBe(true);
      expect(allows(template, "StateMachineRole", action, job("someone-elses-job"))).toBe(false);
    }
    expect(allows(template, "StateMachineRole", "sns:Publish", `arn:aws:sns:${REGION}:${ACCOUNT}:${names.alertTopic}`)).toBe(true);
    expect(allows(template, "StateMachineRole", "sns:Publish", `arn:aws:sns:${REGION}:${ACCOUNT}:other`)).toBe(false);
    expect(
      allows(template, "EventsRole", "states:StartExecution", `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${names.stateMachine}`),
    ).toBe(true);
    expect(allows(template, "EventsRole", "states:StartExecution", `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:other`)).toBe(false);
  });
});
