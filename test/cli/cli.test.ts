// The CLI in-process: exit codes, diagnostics output, and the writer behind `compile`
// (deterministic, all or nothing, stale files removed, `--check` with a diff).
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { applyPatch } from "diff";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { main } from "../../cli/main.js";
import { unifiedDiff } from "../../deploy/text-diff.js";

const ROOT = join(import.meta.dirname, "..", "..");
let cwd = "";

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), "lakec-cli-"));
  mkdirSync(join(cwd, "pipelines"));
  cpSync(join(ROOT, "pipelines", "reviews.yaml"), join(cwd, "pipelines", "reviews.yaml"));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

async function lakec(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t), cwd });
  return { code, out, err };
}

function writePipeline(name: string, text: string): string {
  writeFileSync(join(cwd, "pipelines", name), text);
  return `pipelines/${name}`;
}

const reviews = (): string => readFileSync(join(cwd, "pipelines", "reviews.yaml"), "utf8");

describe("lakec validate", () => {
  test("files validated together are checked across files: the second one to take a name is at fault", async () => {
    const copy = writePipeline("copy.yaml", reviews().replace("name: reviews\n", "name: reviews_copy\n"));
    const r = await lakec("validate", "pipelines/reviews.yaml", copy, "--format", "json");
    expect(r.code).toBe(1);
    const ds = (JSON.parse(r.out) as { diagnostics: { file: string; code: string }[] }).diagnostics;
    expect(new Set(ds.map((d) => d.file))).toEqual(new Set(["pipelines/copy.yaml"]));
    expect([...new Set(ds.map((d) => d.code))].sort()).toEqual(["LK502", "LK503", "LK504"]);
    expect((await lakec("validate", copy)).code).toBe(0);
  });

  test("a valid pipeline exits 0", async () => {
    const r = await lakec("validate", "pipelines/reviews.yaml");
    expect(r).toMatchObject({ code: 0, err: "" });
    expect(r.out).toBe("pipelines/reviews.yaml: ok\n");
  });

  test("errors are printed like a compiler's, with the source line, a caret and a hint, and exit 1", async () => {
    const file = writePipeline(
      "bad.yaml",
      reviews().replace("trim: true, null_if", "trimm: true, null_if").replace("workers: 2", "workers: 1"),
    );
    const r = await lakec("validate", file);
    expect(r.code).toBe(1);
    expect(r.err).toContain("pipelines/bad.yaml:18:14 error LK108: aws.glue.workers must be between 2 and 299, not 1");
    expect(r.err).toMatch(/pipelines\/bad\.yaml:42:\d+ error LK101: unknown key 'trimm'/);
    expect(r.err).toContain("  hint: did you mean 'trim'?");
    expect(r.err).toMatch(/\n {2}18 \| {5}workers: 1\n {5}\| {14}\^\n/);
    expect(r.err.trimEnd().split("\n").at(-1)).toBe("2 errors");
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  test("--format json prints the diagnostics for machines", async () => {
    const file = writePipeline("bad.yaml", reviews().replace("on_invalid: quarantine", "on_invalid: ignore"));
    const r = await lakec("validate", "--format", "json", file);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out) as {
      schema: string;
      lakec: string;
      command: string;
      ok: boolean;
      diagnostics: unknown[];
      result: unknown;
    };
    expect(doc).toMatchObject({
      schema: "lakec-output/1",
      command: "validate",
      ok: false,
      result: { files: [{ file: "pipelines/bad.yaml", ok: false }] },
    });
    expect(doc.lakec).toMatch(/^\d+\.\d+\.\d+/);
    expect(doc.diagnostics).toEqual([
      expect.objectContaining({ file: "pipelines/bad.yaml", code: "LK104", line: 33, col: 17, severity: "error" }),
    ]);
    expect(r.err).toBe("");
  });

  test("a missing file is a usage error, without a stack trace", async () => {
    const r = await lakec("validate", "pipelines/nope.yaml");
    expect(r.code).toBe(2);
    expect(r.err).toBe("lakec: cannot read pipelines/nope.yaml: no such file\n");
  });

  test("unknown commands and options are usage errors", async () => {
    expect((await lakec("frobnicate")).code).toBe(2);
    expect((await lakec("validate", "--format", "xml", "pipelines/reviews.yaml")).code).toBe(2);
    expect((await lakec()).code).toBe(2);
  });

  test.each(["validate", "compile", "init"])("%s --help shows examples and exits 0", async (cmd) => {
    const r = await lakec(cmd, "--help");
    expect(r.code).toBe(0);
    expect(r.out).toContain("Examples:");
    expect(r.out).toContain(`$ lakec ${cmd}`);
  });
});

describe("lakec compile", () => {
  const irFile = (): string => join(cwd, "generated", "reviews", "ir", "ir.json");

  test("writes generated/<pipeline>/, and compiling again changes nothing", async () => {
    const first = await lakec("compile", "pipelines/reviews.yaml");
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^compiled reviews: \d+ added, 0 modified, 0 removed\n$/);
    const ir = readFileSync(irFile(), "utf8");
    expect(ir.split("\n")[1]).toBe('  "_generated": "generated by lakec from pipelines/reviews.yaml — do not edit",');
    const again = await lakec("compile", "pipelines/reviews.yaml");
    expect(again).toMatchObject({ code: 0, out: "up to date: reviews\n" });
    expect(readFileSync(irFile(), "utf8")).toBe(ir);
  });

  test("--check passes on fresh output and catches a hand-edited or extra file", async () => {
    await lakec("compile", "pipelines/reviews.yaml");
    expect((await lakec("compile", "pipelines/reviews.yaml", "--check")).code).toBe(0);
    writeFileSync(irFile(), readFileSync(irFile(), "utf8").replace('"version": 1', '"version": 7'));
    writeFileSync(
      join(cwd, "generated", "reviews", "ir", "old.json"),
      '{ "_generated": "generated by lakec from pipelines/reviews.yaml — do not edit" }\n',
    );
    const r = await lakec("compile", "pipelines/reviews.yaml", "--check");
    expect(r.code).toBe(1);
    expect(r.out).toContain("--- a/generated/reviews/ir/ir.json\n+++ b/generated/reviews/ir/ir.json\n");
    expect(r.out).toContain('-  "version": 7\n+  "version": 1\n');
    expect(r.out).toContain("--- a/generated/reviews/ir/old.json\n+++ /dev/null\n@@ -1,1 +0,0 @@\n");
    expect(r.err).toContain("generated output is stale (0 added, 1 modified, 1 removed)");
    expect(readFileSync(irFile(), "utf8")).toContain('"version": 7');
    const fix = await lakec("compile", "pipelines/reviews.yaml");
    expect(fix.out).toBe("compiled reviews: 0 added, 1 modified, 1 removed\n");
    expect(existsSync(join(cwd, "generated", "reviews", "ir", "old.json"))).toBe(false);
  });

  test("files without lakec's header in generated folders are kept, with their bytes and times; --check ignores them", async () => {
    await lakec("compile", "pipelines/reviews.yaml");
    const mine = {
      [join(cwd, "generated", "reviews", "ir", "notes.txt")]: "mine\n",
      [join(cwd, "generated", "reviews", "glue", "lib", "helpers.py")]: "def helper():\n    return 1\n",
      [join(cwd, "dbt", "models", "staging", "reviews", "stg_mine.sql")]: "select 1 as x\n",
      [join(cwd, "dbt", "models", "marts", "reviews", "my_mart.sql")]: "-- mentions generated by lakec, but not its header\nselect 2\n",
    };
    for (const [p, text] of Object.entries(mine)) {
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, text);
      utimesSync(p, new Date("2020-01-02T03:04:05Z"), new Date("2020-01-02T03:04:05Z"));
    }
    const stale = join(cwd, "dbt", "models", "staging", "reviews", "stg_old.sql");
    writeFileSync(stale, "-- generated by lakec from pipelines/reviews.yaml — do not edit\nselect 1\n");
    writeFileSync(irFile(), "{}\n");
    expect((await lakec("compile", "pipelines/reviews.yaml", "--check")).err).toContain("(0 added, 1 modified, 1 removed)");
    const r = await lakec("compile", "pipelines/reviews.yaml");
    expect(r.out).toBe(
      "compiled reviews: 0 added, 1 modified, 1 removed\n" +
        "kept 4 file(s) without lakec's header: dbt/models/marts/reviews/my_mart.sql, dbt/models/staging/reviews/stg_mine.sql, generated/reviews/glue/lib/helpers.py, generated/reviews/ir/notes.txt\n",
    );
    expect(existsSync(stale)).toBe(false);
    for (const [p, text] of Object.entries(mine)) {
      expect(readFileSync(p, "utf8")).toBe(text);
      expect(statSync(p).mtime.toISOString()).toBe("2020-01-02T03:04:05.000Z");
    }
    expect(await lakec("compile", "pipelines/reviews.yaml", "--check")).toMatchObject({ code: 0, out: "up to date: reviews\n" });
  });

  test("--out . writes only inside the current folder: the dbt project goes to ./dbt, not ../dbt", async () => {
    const project = join(cwd, "project");
    mkdirSync(join(project, "pipelines"), { recursive: true });
    cpSync(join(cwd, "pipelines", "reviews.yaml"), join(project, "pipelines", "reviews.yaml"));
    let out = "";
    const code = await main(["compile", "pipelines/reviews.yaml", "--out", "."], {
      out: (t) => void (out += t),
      err: (t) => void (out += t),
      cwd: project,
    });
    expect({ code, out }).toMatchObject({ code: 0 });
    expect(readdirSync(cwd).sort()).toEqual(["pipelines", "project"]);
    expect(existsSync(join(project, "dbt", "dbt_project.yml"))).toBe(true);
    expect(existsSync(join(project, "reviews", "ir", "ir.json"))).toBe(true);
    const outside = join(cwd, "elsewhere");
    mkdirSync(outside);
    const code2 = await main(["compile", "pipelines/reviews.yaml", "--out", outside + "/gen"], {
      out: () => undefined,
      err: () => undefined,
      cwd: project,
    });
    expect(code2).toBe(0);
    expect(readdirSync(outside)).toEqual(["gen"]);
    expect(existsSync(join(outside, "gen", "dbt", "dbt_project.yml"))).toBe(true);
  });

  test("in dbt/, only the pipeline's own model folders are cleaned", async () => {
    await lakec("compile", "pipelines/reviews.yaml");
    const users = join(cwd, "dbt", "packages.yml");
    const stale = join(cwd, "dbt", "models", "staging", "reviews", "stg_old.sql");
    expect(existsSync(join(cwd, "dbt", "models", "staging", "reviews"))).toBe(true);
    writeFileSync(users, "packages: []\n");
    writeFileSync(stale, "-- generated by lakec from pipelines/reviews.yaml — do not edit\nselect 1\n");
    const r = await lakec("compile", "pipelines/reviews.yaml");
    expect(r.out).toBe("compiled reviews: 0 added, 0 modified, 1 removed\n");
    expect(existsSync(stale)).toBe(false);
    expect(readFileSync(users, "utf8")).toBe("packages: []\n");
  });

  test("a pipeline with errors exits 1 and writes nothing", async () => {
    const file = writePipeline("bad.yaml", reviews().replace("version: 1", "version: 3"));
    const r = await lakec("compile", "pipelines/reviews.yaml", file);
    expect(r.code).toBe(1);
    expect(r.err).toContain("LK107");
    expect(existsSync(join(cwd, "generated"))).toBe(false);
  });

  test("a failed write leaves nothing behind", async () => {
    // A file where the dbt project's folders must go makes staging fail part-way.
    writeFileSync(join(cwd, "dbt"), "in the way\n");
    const r = await lakec("compile", "pipelines/reviews.yaml");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^lakec: could not write the output; nothing was changed: ENOTDIR/);
    expect(existsSync(join(cwd, "generated", "reviews"))).toBe(false);
  });

  test("--target compiles one target and leaves the others' files alone", async () => {
    await lakec("compile", "pipelines/reviews.yaml");
    const other = join(cwd, "generated", "reviews", "keep.txt");
    writeFileSync(other, "not owned by ir-json\n");
    rmSync(irFile());
    const r = await lakec("compile", "pipelines/reviews.yaml", "--target", "ir-json");
    expect(r.out).toBe("compiled reviews: 1 added, 0 modified, 0 removed\n");
    expect(existsSync(other)).toBe(true);
  });

  test("an unknown target is a usage error with a suggestion", async () => {
    const r = await lakec("compile", "pipelines/reviews.yaml", "--target", "ir-jsn");
    expect(r).toMatchObject({ code: 2, err: "lakec: unknown target 'ir-jsn'; did you mean 'ir-json'?\n" });
  });

  test("two pipelines with one name are refused with a diagnostic on the second, and nothing is written", async () => {
    const copy = writePipeline("copy.yaml", reviews());
    const r = await lakec("compile", "pipelines/reviews.yaml", copy);
    expect(r.code).toBe(1);
    expect(r.err).toContain("pipelines/copy.yaml:8:7 error LK501: pipeline name 'reviews' is already the name of pipelines/reviews.yaml");
    expect(existsSync(join(cwd, "generated"))).toBe(false);
    expect(existsSync(join(cwd, "dbt"))).toBe(false);
  });
});

describe("unified diff", () => {
  test("hunks with context, and a missing final newline", () => {
    const before = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n";
    const after = "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl";
    expect(unifiedDiff("a/x", "b/x", before, after)).toBe(
      [
        "--- a/x",
        "+++ b/x",
        "@@ -1,5 +1,5 @@",
        " a",
        "-b",
        "+B",
        " c",
        " d",
        " e",
        "@@ -9,4 +9,4 @@",
        " i",
        " j",
        " k",
        "-l",
        "+l",
        "\\ No newline at end of file",
        "",
      ].join("\n"),
    );
    expect(unifiedDiff("a/x", "b/x", "same\n", "same\n")).toBe("");
  });

  test("applies back to the new text, also past the edit limit where it replaces every line", () => {
    const cases: [string, string][] = [
      ["a\nb\nc\n", "a\nB\nc"],
      ["", "x\n"],
      ["x", ""],
      // 30,000 lines all different: more edits than an exact diff is worth.
      [
        Array.from({ length: 30_000 }, (_, i) => `old ${i}`).join("\n"),
        `${Array.from({ length: 30_000 }, (_, i) => `new ${i}`).join("\n")}\n`,
      ],
    ];
    for (const [before, after] of cases) expect(applyPatch(before, unifiedDiff("a/x", "b/x", before, after))).toBe(after);
  });

  test("two description edits in yelp.yaml give a small diff of the generated files (was 5,316 lines)", async () => {
    cpSync(join(ROOT, "pipelines", "yelp.yaml"), join(cwd, "pipelines", "yelp.yaml"));
    expect((await lakec("compile", "pipelines/yelp.yaml")).code).toBe(0);
    const yelp = readFileSync(join(cwd, "pipelines", "yelp.yaml"), "utf8");
    writeFileSync(
      join(cwd, "pipelines", "yelp.yaml"),
      yelp
        .replace("One business per line, from the nightly business export.", "One business per line.")
        .replace("One review per line;", "One review a line;"),
    );
    const r = await lakec("compile", "pipelines/yelp.yaml", "--check");
    expect(r.code).toBe(1);
    const changed = r.out.split("\n").filter((l) => /^[-+][^-+]/.test(l));
    expect(changed.length).toBeGreaterThan(0);
    expect(r.out.split("\n").length).toBeLessThan(200);
  });
});
