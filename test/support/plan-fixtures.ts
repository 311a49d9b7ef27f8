// Deployed state "as if this IR had been applied", for every layer, built without any cloud:
// the stack holds the compiled template, Snowflake is the fake after running the DDL, the lake
// has manifests under the IR's semantics. Plans against it are pure step lists.
import type { PipelineIR } from "../../compiler/ir.js";
import { MASKED, hashTags } from "../../deploy/aws-parameters.js";
import { desiredState, type Desired } from "../../deploy/desired.js";
import type { LocalDeployed } from "../../deploy/diff-local.js";
import type { PublishDeployed } from "../../deploy/diff-publish.js";
import { diffSnowflake } from "../../deploy/diff-snowflake.js";
import { sha256 } from "../../deploy/plan.js";
import type { DeployedSnapshot } from "../../deploy/planner.js";
import { applySnowflake } from "../../deploy/providers/snowflake/apply.js";
import { readSnowflake } from "../../deploy/providers/snowflake/read.js";
import { FakeSnowflake } from "./deploy-fake-snowflake.js";

export const WIRED = {
  SnowflakeIamUserArn: "arn:aws:iam::123456789012:user/abc1-s-v2st0000",
  SnowflakeExternalId: "FAKE0001_SFCRole=2_1abcdef=",
  SnowflakeNotificationQueueArn: "arn:aws:sqs:eu-west-1:123456789012:sf-snowpipe-AIDAFAKEUSER-abcdEFGH",
};

export const RAW_FILES = ["reviews/2024-06-01.jsonl", "reviews/2024-06-02.jsonl", "reviews/2024-06-03.jsonl"];

function published(files: ReadonlyMap<string, string>): PublishDeployed {
  return { files: Object.fromEntries([...files].map(([p, c]) => [p, { sha256: sha256(c), content: c }])) };
}

function localDeployed(d: Desired): LocalDeployed {
  const l = d.local;
  return {
    files: RAW_FILES.map((rawKey) => ({ rawKey, source: "product_reviews", semantics: l.semantics.product_reviews!, ok: true })),
    record: {
      version: 1,
      pipeline: d.ir.name,
      semantics: l.semantics,
      columnTypes: l.columnTypes,
      views: l.views,
      models: Object.fromEntries(l.models.map((m) => [m.name, { hash: m.hash, mart: m.mart }])),
    },
  };
}

export async function deployedAs(ir: PipelineIR): Promise<{ snapshot: DeployedSnapshot; fake: FakeSnowflake }> {
  const d = desiredState(ir);
  const fake = new FakeSnowflake(["ANALYTICS"]);
  await applySnowflake(diffSnowflake(d.snowflake, await readSnowflake(fake, d.snowflake)), {
    client: fake,
    objects: d.snowflake,
    awsAccountId: "123456789012",
    log: () => {},
  });
  const aws = d.aws(WIRED);
  return {
    fake,
    snapshot: {
      aws: {
        // DescribeStacks masks the NoEcho external ID; lakec compares it through its hash tag.
        stack: {
          stackId: "arn:aws:cloudformation:eu-west-1:123456789012:stack/lakec-reviews/1",
          status: "UPDATE_COMPLETE",
          template: aws.template,
          parameters: { ...WIRED, SnowflakeExternalId: MASKED },
          tags: hashTags({}, WIRED, ["SnowflakeExternalId"]),
          outputs: {},
        },
        presentScripts: aws.scripts.map((s) => s.key),
        // What the last apply recorded, and the raw objects a stale source would list.
        backfill: {
          state: { version: 1, pipeline: d.ir.name, semantics: d.backfill.semantics, columnTypes: d.backfill.columnTypes },
          rawKeys: { product_reviews: RAW_FILES },
        },
      },
      snowflake: await readSnowflake(fake, d.snowflake),
      dbt: published(d.dbt),
      airflow: published(d.airflow),
      local: localDeployed(d),
    },
  };
}
