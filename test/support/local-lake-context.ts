// A local lake holding one synthetic raw file of the reference pipeline, not yet processed, and
// a deploy context for `--target local` that fails if anything reaches for a cloud.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ingestInputs, openLake } from "../../engine/index.js";
import type { DeployContext } from "../../deploy/planner.js";
import { generateAmazonReviews } from "../../synthetic/amazon.js";
import { reviewsIr } from "./deploy-helpers.js";

const unused = (): never => {
  throw new Error("the local target must not reach a cloud");
};

export async function localLakeContext(tag: string, seed: number, records: number): Promise<{ dir: string; ctx: DeployContext }> {
  const dir = await mkdtemp(join(tmpdir(), `lakec-${tag}-`));
  const input = join(dir, "export-2024-06-01.jsonl");
  await writeFile(input, generateAmazonReviews({ seed, records }));
  const lake = await openLake(join(dir, "lake"));
  await ingestInputs(lake.paths, reviewsIr(), [input], { source: "product_reviews" });
  await lake.close();
  return {
    dir,
    ctx: { cwd: dir, lakeDir: join(dir, "lake"), drift: false, aws: unused, snowflake: unused, publishS3: unused, log: () => {} },
  };
}
