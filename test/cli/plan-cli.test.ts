// `lakec plan` and `lakec apply` through the CLI entry point, on a local lake in a temp folder:
// exit codes, JSON, saved plans and their refusal, destructive-step guards, confirmation, and
// credential errors.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";
import { register as registerApply, type Terminal } from "../../cli/apply.js";
import type { CliContext, CliIO } from "../../cli/context.js";
import { generateAmazonReviews } from "../../synthetic/amazon.js";
import { EDITS, reviewsYaml } from "../support/deploy-helpers.js";

let dir = "";

interface Run {
  code: number;
  out: string;
  err: string;
}

async function lakec(...argv: string[]): Promise<Run> {
  let out = "";
  let err = "";
  const io: CliIO = { out: (t) => void (out += t), err: (t) => void (err += t), cwd: dir };
  const code = await main(argv, io);
  return { code, out, err };
}

const pipeline = (text: string): Promise<void> => writeFile(join(dir, "reviews.yaml"), text);
const withoutMart = (t: string): string => t.replace(/ {2}reviewer_activity:\n[\s\S]*?avg_rating: avg\(rating\)\n/, "");

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "lakec-plan-cli-"));
  await pipeline(reviewsYaml());
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("lakec plan / apply on a local lake", { timeout: 60_000 }, () => {
  it("plan shows changes (exit 2 with --detailed-exitcode); apply needs --yes off a terminal", async () => {
    const plan = await lakec("plan", "reviews.yaml", "--detailed-exitcode");
    expect(plan.code).toBe(2);
    expect(plan.out).toMatch(/^Plan: 0 to add, 4 to change, 0 to replace, 0 to destroy; 3 marts to rebuild$/m);
    const refused = await lakec("apply", "reviews.yaml");
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("apply needs --yes when it is not run in a terminal");
  });

  it("apply --yes builds the lake; then plan has nothing to do (exit 0) and --json says so", async () => {
    const applied = await lakec("apply", "reviews.yaml", "--yes");
    expect(applied.err).toBe("local: views 2, models 5, tests 33\n");
    expect(applied.code).toBe(0);
    // Ends with what was done, in the plan's terms (the plan said: 4 to change, 3 marts to rebuild).
    expect(applied.out.trimEnd().split("\n").at(-1)).toBe(
      "Apply complete: local: 0 added, 4 changed, 0 replaced, 0 destroyed; 3 marts rebuilt",
    );
    const plan = await lakec("plan", "reviews.yaml", "--detailed-exitcode");
    expect([plan.code, plan.out.trim().split("\n").at(-1)]).toEqual([0, "No changes. The deployed state matches reviews.yaml."]);
    const json = JSON.parse((await lakec("plan", "reviews.yaml", "--json")).out) as { command: string; result: unknown };
    expect(json).toMatchObject({
      schema: "lakec-output/1",
      command: "plan",
      ok: true,
      diagnostics: [],
      result: { format: "lakec-plan/2", steps: [], targets: ["local"] },
    });
    expect((await lakec("plan", "reviews.yaml", "--format", "json")).out).toBe((await lakec("plan", "reviews.yaml", "--json")).out);
  });

  it("a saved plan applies only while the pipeline and the deployed state are unchanged", async () => {
    await pipeline(EDITS.martMeasure(reviewsYaml()));
    expect((await lakec("plan", "reviews.yaml", "--out", "mart.plan")).out).toContain("Saved the plan to mart.plan");
    expect((await lakec("plan", "reviews.yaml", "--out", "mart2.plan")).code).toBe(0);
    const ok = await lakec("apply", "mart.plan");
    expect(ok.code).toBe(0);
    expect(ok.out).toContain("rebuild mart product_daily_ratings");
    // mart2.plan was computed against the state mart.plan has just changed.
    const stale = await lakec("apply", "mart2.plan");
    expect(stale.code).toBe(1);
    expect(stale.err).toBe(
      "lakec: refusing the saved plan mart2.plan: the deployed state moved since the plan was made (local). Run `lakec plan` again\n",
    );
    await lakec("plan", "reviews.yaml", "--out", "edited.plan");
    await pipeline(EDITS.cleaningRule(EDITS.martMeasure(reviewsYaml())));
    const edited = await lakec("apply", "edited.plan");
    expect(edited.err).toMatch(/refusing the saved plan edited.plan: \/.*\/reviews\.yaml changed since the plan was made/);
    expect((await lakec("apply", "edited.plan", "--target", "local")).code).toBe(2);
    await pipeline(EDITS.martMeasure(reviewsYaml()));
  });

  it("destructive steps: --fail-on destructive fails the plan, apply refuses without --allow-destructive", async () => {
    await pipeline(withoutMart(EDITS.martMeasure(reviewsYaml())));
    const plan = await lakec("plan", "reviews.yaml", "--fail-on", "destructive");
    expect(plan.code).toBe(1);
    expect(plan.out).toMatch(
      /Destructive changes \(1\): apply refuses them without --allow-destructive\n {2}- \[local\] mart reviewer_activity/,
    );
    const refused = await lakec("apply", "reviews.yaml", "--yes");
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^lakec: DestructiveStepsRefused: the plan has 1 destructive step\(s\): local mart reviewer_activity/);
    expect((await lakec("apply", "reviews.yaml", "--yes", "--allow-destructive")).code).toBe(0);
    expect((await lakec("plan", "reviews.yaml", "--detailed-exitcode")).code).toBe(0);
  });

  it("on a terminal, apply asks and only 'yes' proceeds", async () => {
    await pipeline(EDITS.martMeasure(reviewsYaml()));
    const answers: string[] = [];
    const run = async (answer: string): Promise<{ code: number; err: string }> => {
      let code = 0;
      let err = "";
      const ctx: CliContext = {
        io: { out: () => {}, err: (t) => void (err += t), cwd: dir },
        exit: (c) => void (code = Math.max(code, c)),
      };
      const term: Terminal = { interactive: true, ask: async (q) => (answers.push(q), answer) };
      const program = new Command("lakec").exitOverride();
      registerApply(program, ctx, term);
      await program.parseAsync(["apply", "reviews.yaml"], { from: "user" });
      return { code, err };
    };
    expect(await run("y")).toEqual({ code: 1, err: "lakec: apply cancelled\n" });
    expect((await lakec("plan", "reviews.yaml", "--detailed-exitcode")).code).toBe(2);
    expect((await run("yes")).code).toBe(0);
    expect(answers).toEqual(["Apply these changes? Only 'yes' is accepted: ", "Apply these changes? Only 'yes' is accepted: "]);
    expect((await lakec("plan", "reviews.yaml", "--detailed-exitcode")).code).toBe(0);
  });
});

describe("credentials", () => {
  it("a missing Snowflake credential is one line naming what to set, exit 1 even with --detailed-exitcode", async () => {
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (k.startsWith("SNOWFLAKE_")) delete process.env[k];
    try {
      const r = await lakec("plan", "reviews.yaml", "--target", "snowflake", "--detailed-exitcode");
      expect(r.code).toBe(1);
      expect(r.err.split("\n").filter(Boolean)).toEqual([
        expect.stringMatching(
          /^lakec: Snowflake credentials missing: set SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, SNOWFLAKE_PASSWORD or SNOWFLAKE_PRIVATE_KEY_PATH \(/,
        ),
      ]);
    } finally {
      process.env = saved;
    }
  });

  it("secrets in the environment never reach a saved plan or the output", async () => {
    const saved = { ...process.env };
    process.env.SNOWFLAKE_PASSWORD = "sf-pass-7f3a91";
    process.env.AWS_SECRET_ACCESS_KEY = "aws-secret-c0ffee";
    try {
      const r = await lakec("plan", "reviews.yaml", "--out", "secret.plan", "--json");
      const file = await readFile(join(dir, "secret.plan"), "utf8");
      for (const text of [file, r.out, r.err]) {
        expect(text).not.toContain("sf-pass-7f3a91");
        expect(text).not.toContain("aws-secret-c0ffee");
      }
    } finally {
      process.env = saved;
    }
  });
});

describe("lakec run then plan", { timeout: 120_000 }, () => {
  it("a first run records the deployment, so plan has nothing to do; a later edit still shows", async () => {
    const saved = dir;
    dir = await mkdtemp(join(tmpdir(), "lakec-run-plan-"));
    try {
      await pipeline(reviewsYaml());
      await writeFile(join(dir, "export.jsonl"), generateAmazonReviews({ seed: 7, records: 40 }));
      const ran = await lakec("run", "reviews.yaml", "--input", "export.jsonl");
      expect(ran.code, ran.err).toBe(0);
      const plan = await lakec("plan", "reviews.yaml", "--detailed-exitcode");
      expect([plan.code, plan.out.trim().split("\n").at(-1)]).toEqual([0, "No changes. The deployed state matches reviews.yaml."]);
      await pipeline(EDITS.martMeasure(reviewsYaml()));
      expect((await lakec("plan", "reviews.yaml", "--detailed-exitcode")).code).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
      dir = saved;
    }
  });
});
