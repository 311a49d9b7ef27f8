// Environments through the CLI, on local lakes in a temp folder: each environment has its own
// lake (.lake/<env>/), its own deployment record and so its own plan, and a saved plan is bound
// to the environment, pipeline file and lake it was made for.
import { existsSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";
import { runDev } from "../../cli/dev.js";
import type { CliIO } from "../../cli/context.js";
import { generateAmazonReviews } from "../../synthetic/amazon.js";

let dir = "";
let elsewhere = "";

interface Run {
  code: number;
  out: string;
  err: string;
}

async function lakecIn(cwd: string, ...argv: string[]): Promise<Run> {
  let out = "";
  let err = "";
  const io: CliIO = { out: (t) => void (out += t), err: (t) => void (err += t), cwd };
  const code = await main(argv, io);
  return { code, out, err };
}

const lakec = (...argv: string[]): Promise<Run> => lakecIn(dir, ...argv);
const storefront = (): Promise<string> => readFile(join(import.meta.dirname, "..", "..", "pipelines", "storefront.yaml"), "utf8");

async function count(env: string): Promise<string> {
  const r = await lakec("query", "storefront.yaml", "--env", env, "SELECT count(*) AS n FROM store_reviews", "--format", "csv");
  expect(r.err).toBe("");
  return r.out.trim().split("\n")[1]!;
}

/** `lakec dev` in `dir` until stop(); waitFor polls its output (stdout and stderr) for up to 60 s. */
function devSession(file: string, opts: { env?: string; lake?: string }): { waitFor(re: RegExp): Promise<void>; stop(): Promise<void> } {
  let out = "";
  let stop!: () => void;
  const until = new Promise<void>((r) => (stop = r));
  const io: CliIO = { out: (t) => void (out += t), err: (t) => void (out += t), cwd: dir };
  const done = runDev({ io, exit: () => undefined }, file, { ...opts, memoryLimit: "1GB", threads: "2" }, until);
  return {
    async waitFor(re) {
      for (let i = 0; i < 600 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 100));
      expect(out).toMatch(re);
    },
    async stop() {
      stop();
      await done;
    },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "lakec-env-cli-"));
  elsewhere = await mkdtemp(join(tmpdir(), "lakec-env-elsewhere-"));
  await writeFile(join(dir, "storefront.yaml"), await storefront());
  await writeFile(join(dir, "dev.jsonl"), generateAmazonReviews({ seed: 1, records: 120 }));
  await writeFile(join(dir, "prod.jsonl"), generateAmazonReviews({ seed: 2, records: 300 }));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(elsewhere, { recursive: true, force: true });
});

describe("local lakes, state and saved plans per environment", { timeout: 120_000 }, () => {
  it("run uses the default environment's lake, --env another's; each is queried apart", async () => {
    expect((await lakec("run", "storefront.yaml", "--input", "dev.jsonl")).code).toBe(0);
    expect(existsSync(join(dir, ".lake", "dev", "warehouse.duckdb"))).toBe(true);
    expect(existsSync(join(dir, ".lake", "prod"))).toBe(false);
    expect(existsSync(join(dir, ".lake", "warehouse.duckdb"))).toBe(false);
    const prod = await lakec("run", "storefront.yaml", "--env", "prod", "--input", "prod.jsonl");
    expect(prod.code).toBe(0);
    expect(existsSync(join(dir, ".lake", "prod", "raw", "storefront", "reviews", "prod.jsonl"))).toBe(true);
    expect(existsSync(join(dir, ".lake", "dev", "raw", "storefront", "reviews", "prod.jsonl"))).toBe(false);
    const [devRows, prodRows] = [Number(await count("dev")), Number(await count("prod"))];
    expect(devRows).toBeGreaterThan(0);
    expect(prodRows).toBeGreaterThan(devRows);
    const show = await lakec("show", "storefront.yaml", "store_product_ratings", "--env", "prod", "--limit", "1", "--format", "csv");
    expect(show.code).toBe(0);
  });

  it("each environment has its own deployment record, so plans differ", async () => {
    const dev = await lakec("plan", "storefront.yaml", "--detailed-exitcode");
    expect(dev.out).toMatch(/^lakec plan: storefront \[environment dev\] \(storefront\.yaml\) → local$/m);
    expect(dev.code).toBe(0);
    await rm(join(dir, ".lake", "prod"), { recursive: true, force: true });
    const prod = await lakec("plan", "storefront.yaml", "--env", "prod", "--detailed-exitcode");
    expect(prod.out).toMatch(/^lakec plan: storefront \[environment prod\]/m);
    expect(prod.code).toBe(2);
  });

  it("a saved plan applies from any folder, to the environment and lake it was made for", async () => {
    expect((await lakec("plan", "storefront.yaml", "--env", "prod", "--out", "prod.plan")).code).toBe(0);
    // Today's bug: applied from another folder, the plan could not find storefront.yaml.
    const applied = await lakecIn(elsewhere, "apply", join(dir, "prod.plan"));
    expect(applied.err).not.toContain("cannot read");
    expect(applied.code).toBe(0);
    expect(existsSync(join(dir, ".lake", "prod", "warehouse.duckdb"))).toBe(true);
    expect(existsSync(join(elsewhere, ".lake"))).toBe(false);
    expect((await lakec("plan", "storefront.yaml", "--env", "prod", "--detailed-exitcode")).code).toBe(0);
  });

  it("a saved plan is refused for another environment or lake, and after the pipeline changed", async () => {
    expect((await lakec("plan", "storefront.yaml", "--out", "dev.plan")).code).toBe(0);
    const otherEnv = await lakec("apply", "dev.plan", "--env", "prod");
    expect([otherEnv.code, otherEnv.err]).toEqual([
      1,
      "lakec: refusing the saved plan dev.plan: it was made for environment 'dev', not environment 'prod'. Run `lakec plan` again\n",
    ]);
    const otherLake = await lakec("apply", "dev.plan", "--lake", "somewhere");
    expect(otherLake.code).toBe(1);
    expect(otherLake.err).toContain(`it was made with the lake ${join(dir, ".lake", "dev")}, not ${join(dir, "somewhere")}`);
    await writeFile(join(dir, "storefront.yaml"), `${await storefront()}# an edit\n`);
    const edited = await lakec("apply", "dev.plan");
    expect(edited.err).toBe(
      `lakec: refusing the saved plan dev.plan: ${join(dir, "storefront.yaml")} changed since the plan was made. Run \`lakec plan\` again\n`,
    );
    await writeFile(join(dir, "storefront.yaml"), await storefront());
  });

  it("a plan made with --lake applies to that lake (it was misreported as 'deployed state moved')", async () => {
    await mkdir(join(dir, "other"), { recursive: true });
    expect((await lakec("plan", "storefront.yaml", "--lake", "other/lake", "--out", "lake.plan")).code).toBe(0);
    const applied = await lakec("apply", "lake.plan");
    expect(applied.err).not.toContain("deployed state moved");
    expect(applied.code).toBe(0);
    expect(existsSync(join(dir, "other", "lake", "warehouse.duckdb"))).toBe(true);
  });

  it("several environments and no default: a command asks for --env", async () => {
    await writeFile(join(dir, "nodefault.yaml"), (await storefront()).replace("    default: true\n", ""));
    const r = await lakec("run", "nodefault.yaml");
    expect([r.code, r.err]).toEqual([
      2,
      "lakec: nodefault.yaml has environments dev, prod and none is marked default: true: choose one with --env dev or --env prod\n",
    ]);
    expect((await lakec("validate", "nodefault.yaml")).code).toBe(0);
  });

  it("compile --env writes one environment's folder; removing an environment removes its files", async () => {
    await rm(join(dir, "generated"), { recursive: true, force: true });
    expect((await lakec("compile", "storefront.yaml", "--env", "prod")).code).toBe(0);
    expect(readdirSync(join(dir, "generated", "storefront"))).toEqual(["prod"]);
    expect((await lakec("compile", "storefront.yaml")).code).toBe(0);
    expect(readdirSync(join(dir, "generated", "storefront")).sort()).toEqual(["dev", "prod"]);
    expect((await lakec("compile", "storefront.yaml", "--check")).code).toBe(0);
    await writeFile(join(dir, "storefront.yaml"), (await storefront()).replace(/\n {2}prod:\n.*\n$/, "\n"));
    const stale = await lakec("compile", "storefront.yaml", "--check");
    expect(stale.code).toBe(1);
    expect(stale.out).toContain("generated/storefront/prod/cloudformation/template.yaml");
    expect((await lakec("compile", "storefront.yaml")).code).toBe(0);
    expect(readdirSync(join(dir, "generated", "storefront"))).toEqual(["dev"]);
    await writeFile(join(dir, "storefront.yaml"), await storefront());
  });

  it("dev --env watches that environment's lake", async () => {
    const session = devSession("storefront.yaml", { env: "prod" });
    await session.waitFor(/watching for raw files/);
    await mkdir(join(dir, ".lake", "prod", "raw", "storefront", "reviews"), { recursive: true });
    await writeFile(
      join(dir, ".lake", "prod", "raw", "storefront", "reviews", "late.jsonl"),
      generateAmazonReviews({ seed: 3, records: 50 }),
    );
    expect(existsSync(join(dir, ".lake", "dev", "raw", "storefront", "reviews", "late.jsonl"))).toBe(false);
    await session.waitFor(/late\.jsonl processed: 50 in/);
    await session.stop();
  });

  it("dev started on a broken pipeline that turns out to have environments runs none of them in the wrong lake", async () => {
    const text = await storefront();
    await writeFile(join(dir, "later.yaml"), text.replace("version: 1", "version: 1\nbroken: ["));
    const session = devSession("later.yaml", { lake: "later-lake" });
    await session.waitFor(/watching for raw files/);
    await writeFile(join(dir, "later.yaml"), text);
    await session.waitFor(/later\.yaml now declares environments; restart lakec dev \(with --env\) to run one in its own lake/);
    await session.stop();
  });

  it("docs --env documents that environment's settings", async () => {
    expect((await lakec("docs", "storefront.yaml", "--env", "prod", "--out", "site")).code).toBe(0);
    const page = await readFile(join(dir, "site", "p", "storefront", "index.html"), "utf8");
    expect(page).toContain("<dt>environment</dt><dd><code>prod</code> of <code>dev</code>, <code>prod</code>: Promoted from dev");
    expect(page).toContain("<code>ANALYTICS.STOREFRONT</code>");
  });
});
