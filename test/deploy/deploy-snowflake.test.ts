import { describe, expect, it } from "vitest";
import type { PipelineIR } from "../../compiler/ir.js";
import { snowflakeObjects } from "../../targets/snowflake/index.js";
import { ddlFiles } from "../../targets/snowflake/ddl.js";
import { diffSnowflake } from "../../deploy/diff-snowflake.js";
import { isNarrowing, normalizeSnowflakeType } from "../../deploy/snowflake-types.js";
import { readSnowflake } from "../../deploy/providers/snowflake/read.js";
import { applySnowflake, stepStatements } from "../../deploy/providers/snowflake/apply.js";
import type { Step } from "../../deploy/plan.js";
import { FakeSnowflake } from "../support/deploy-fake-snowflake.js";
import { EDITS, editYaml, reviewsIr } from "../support/deploy-helpers.js";

const ACCOUNT = "123456789012";

async function planFor(fake: FakeSnowflake, ir: PipelineIR): Promise<Step[]> {
  const o = snowflakeObjects(ir);
  return diffSnowflake(o, await readSnowflake(fake, o));
}

async function deploy(fake: FakeSnowflake, ir: PipelineIR): Promise<Step[]> {
  const steps = await planFor(fake, ir);
  await applySnowflake(steps, { client: fake, objects: snowflakeObjects(ir), awsAccountId: ACCOUNT, log: () => {} });
  return steps;
}

const summary = (steps: readonly Step[]): string[] => steps.map((s) => `${s.action} ${s.resource}${s.destructive ? " !" : ""}`);

describe("snowflake plan and apply against the fake account", () => {
  it("creates everything on an empty account, in dependency order, then converges", async () => {
    const fake = new FakeSnowflake(["ANALYTICS"]);
    const steps = await deploy(fake, reviewsIr());
    expect(summary(steps)).toEqual([
      "create storage integration LAKE_S3",
      "create file format REVIEWS_PARQUET",
      "create stage REVIEWS_STAGE_PRODUCT_REVIEWS",
      "create stage REVIEWS_STAGE_PRODUCT_REVIEW_IMAGES",
      "create external table PRODUCT_REVIEWS",
      "create external table PRODUCT_REVIEW_IMAGES",
    ]);
    expect(fake.integrations.get("LAKE_S3")!.roleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/lakec-reviews-snowflake`);
    expect(fake.tables.find((t) => t.name === "PRODUCT_REVIEWS")!.partitionBy).toEqual(["REVIEW_DATE"]);
    expect(await planFor(fake, reviewsIr())).toEqual([]);
  });

  it("an added column replaces the external table, without loss", async () => {
    const fake = new FakeSnowflake(["ANALYTICS"]);
    await deploy(fake, reviewsIr());
    const steps = await deploy(fake, reviewsIr(EDITS.addColumn));
    expect(summary(steps)).toEqual(["replace external table PRODUCT_REVIEWS"]);
    expect(steps[0]!.details).toEqual(["+ column LANGUAGE VARCHAR(16777216)"]);
    expect(steps[0]!.impact).toEqual({ externalTables: ["PRODUCT_REVIEWS"] });
    expect(fake.executed.some((s) => s.startsWith('CREATE OR REPLACE EXTERNAL TABLE "ANALYTICS"."REVIEWS"."PRODUCT_REVIEWS"'))).toBe(true);
    expect(fake.tables.find((t) => t.name === "PRODUCT_REVIEWS")!.columns.map((c) => c.name)).toContain("LANGUAGE");
    expect(await planFor(fake, reviewsIr(EDITS.addColumn))).toEqual([]);
  });

  it("narrowing a type is destructive; widening is not", async () => {
    const fake = new FakeSnowflake(["ANALYTICS"]);
    await deploy(fake, reviewsIr());
    const narrow = await planFor(fake, reviewsIr(EDITS.narrowRating));
    expect(summary(narrow)).toEqual(["replace external table PRODUCT_REVIEWS !"]);
    expect(narrow[0]!.details).toEqual(["~ column RATING NUMBER(2,1) → NUMBER(2,0)"]);
    expect(narrow[0]!.reason).toMatch(/narrowing RATING/);
    const wide = await planFor(fake, reviewsIr(EDITS.widenRating));
    expect(summary(wide)).toEqual(["replace external table PRODUCT_REVIEWS"]);
  });

  it("a removed table drops its external table (destructive) and stage, and ALTERs the integration", async () => {
    const fake = new FakeSnowflake(["ANALYTICS"]);
    await deploy(fake, reviewsIr());
    const externalId = fake.integrations.get("LAKE_S3")!.externalId;
    const steps = await deploy(fake, reviewsIr(EDITS.removeImagesTable));
    expect(summary(steps)).toEqual([
      "update storage integration LAKE_S3",
      "replace external table PRODUCT_REVIEWS",
      "destroy external table PRODUCT_REVIEW_IMAGES !",
      "destroy stage REVIEWS_STAGE_PRODUCT_REVIEW_IMAGES",
    ]);
    expect(steps[0]!.details).toEqual(["- allowed location s3://acme-reviews-processed/product_review_images/"]);
    // ALTER keeps the external ID the IAM trust policy names; CREATE OR REPLACE would rotate it.
    expect(fake.integrations.get("LAKE_S3")!.externalId).toBe(externalId);
    expect(fake.tables.map((t) => t.name)).toEqual(["PRODUCT_REVIEWS"]);
    expect(await planFor(fake, reviewsIr(EDITS.removeImagesTable))).toEqual([]);
  });

  it("a partition grain change moves the partition column, and the location is checked", async () => {
    const fake = new FakeSnowflake(["ANALYTICS"]);
    await deploy(fake, reviewsIr());
    const steps = await deploy(
      fake,
      reviewsIr((t) => editYaml(t, "    partition_by: review_date\n", "    partition_by: review_date\n    partition_grain: month\n")),
    );
    const reviews = steps.find((s) => s.resource === "external table PRODUCT_REVIEWS")!;
    expect(reviews.action).toBe("replace");
    expect(reviews.details).toEqual(
      expect.arrayContaining(["~ REVIEW_DATE is no longer a partition column", "+ partition REVIEW_DATE_MONTH VARCHAR(16777216)"]),
    );
    expect(fake.tables.find((t) => t.name === "PRODUCT_REVIEWS")!.partitionBy).toEqual(["REVIEW_DATE_MONTH"]);
    fake.tables.find((t) => t.name === "PRODUCT_REVIEWS")!.location = fake.tables.find((t) => t.name === "PRODUCT_REVIEW_IMAGES")!.location;
    const moved = await planFor(
      fake,
      reviewsIr((t) => editYaml(t, "    partition_by: review_date\n", "    partition_by: review_date\n    partition_grain: month\n")),
    );
    expect(moved.map((s) => s.details[0])).toEqual([
      "~ location s3://acme-reviews-processed/product_review_images/ → s3://acme-reviews-processed/product_reviews/",
    ]);
  });

  it("an interrupted apply can be re-run and converges", async () => {
    const fake = new FakeSnowflake(["ANALYTICS"]);
    fake.failOnStatement = 5;
    await expect(deploy(fake, reviewsIr())).rejects.toThrow(/injected failure/);
    fake.failOnStatement = undefined;
    const rest = await deploy(fake, reviewsIr());
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.map((s) => s.action).every((a) => a === "create")).toBe(true);
    expect(await planFor(fake, reviewsIr())).toEqual([]);
    expect(fake.integrations.size).toBe(1);
  });

  it("refuses to create the integration without the AWS account id", () => {
    const o = snowflakeObjects(reviewsIr());
    const step: Step = {
      layer: "snowflake",
      kind: "integration",
      name: "LAKE_S3",
      action: "create",
      resource: "",
      details: [],
      destructive: false,
      reason: "",
    };
    expect(() => stepStatements(step, { client: new FakeSnowflake([]), objects: o, log: () => {} })).toThrow(/AWS account id/);
    const [sql] = stepStatements(step, { client: new FakeSnowflake([]), objects: o, awsAccountId: ACCOUNT, log: () => {} });
    expect(sql).toMatch(/^CREATE STORAGE INTEGRATION IF NOT EXISTS "LAKE_S3"/);
    expect(sql).not.toContain("&{");
  });

  it("runs the DDL files' own statements, and the replace form differs only in its CREATE", () => {
    const o = { ...snowflakeObjects(reviewsIr()), readRole: "ANALYST" };
    const ddl = new Set(ddlFiles(o).flatMap((f) => f.statements));
    const ctx = { client: new FakeSnowflake([]), objects: o, awsAccountId: ACCOUNT, log: () => {} };
    const step = (kind: "stage" | "external-table", name: string, action: "create" | "replace"): Step => ({
      layer: "snowflake",
      kind,
      name,
      action,
      resource: "",
      details: [],
      destructive: false,
      reason: "",
    });
    for (const [kind, name] of [
      ["stage", o.stages[0]!.name],
      ["external-table", o.externalTables[0]!.name],
    ] as const) {
      const created = stepStatements(step(kind, name, "create"), ctx);
      expect(
        created.every((sql) => ddl.has(sql)),
        created.join("\n"),
      ).toBe(true);
      const object = kind === "stage" ? "STAGE" : "EXTERNAL TABLE";
      const [replaced, ...grants] = stepStatements(step(kind, name, "replace"), ctx);
      const original = created.find((sql) => sql.startsWith(`CREATE ${object} IF NOT EXISTS`))!;
      expect(replaced).toBe(original.replace(`CREATE ${object} IF NOT EXISTS`, `CREATE OR REPLACE ${object}`));
      expect(grants).toHaveLength(1);
      expect(grants.every((sql) => sql.startsWith("GRANT ") && ddl.has(sql))).toBe(true);
    }
    expect(() => stepStatements(step("stage", "NOPE", "create"), ctx)).toThrow(/declares no Snowflake stage NOPE/);
  });
});

describe("snowflake type spellings", () => {
  it("normalizes DDL spellings to what DESC reports", () => {
    expect(normalizeSnowflakeType("VARCHAR")).toBe("VARCHAR(16777216)");
    expect(normalizeSnowflakeType("DECIMAL(2, 1)")).toBe("NUMBER(2,1)");
    expect(normalizeSnowflakeType("DOUBLE")).toBe("FLOAT");
    expect(normalizeSnowflakeType("TIMESTAMP_NTZ")).toBe("TIMESTAMP_NTZ(9)");
    expect(normalizeSnowflakeType("BIGINT")).toBe("NUMBER(38,0)");
  });
  it("classifies narrowing", () => {
    expect(isNarrowing("NUMBER(10,2)", "NUMBER(4,1)")).toBe(true);
    expect(isNarrowing("NUMBER(4,1)", "NUMBER(10,2)")).toBe(false);
    expect(isNarrowing("NUMBER(38,0)", "VARCHAR(16777216)")).toBe(false);
    expect(isNarrowing("VARCHAR(16777216)", "NUMBER(38,0)")).toBe(true);
    expect(isNarrowing("TIMESTAMP_NTZ(9)", "DATE")).toBe(true);
  });
});
