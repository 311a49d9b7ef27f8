// What a CLI user expects of any command-line tool: --version, colour that follows NO_COLOR and
// FORCE_COLOR, exit codes that CI can trust, and one JSON document per command for machines.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import type { CliIO } from "../../cli/context.js";
import { main } from "../../cli/main.js";
import { isoTimestamp, rowsJson } from "../../cli/rows-json.js";
import { wantsColour } from "../../cli/style.js";

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "bin", "lakec.js");
const ESC = "\u001b[";
const stripColour = (t: string): string =>
  t
    .split(ESC)
    .map((part, i) => (i === 0 ? part : part.replace(/^\d+m/, "")))
    .join("");
const dir = mkdtempSync(join(tmpdir(), "lakec-conventions-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, "pipelines"));
cpSync(join(ROOT, "pipelines", "reviews.yaml"), join(dir, "pipelines", "reviews.yaml"));
const good = readFileSync(join(dir, "pipelines", "reviews.yaml"), "utf8");
writeFileSync(join(dir, "pipelines", "bad.yaml"), good.replace("on_invalid: quarantine", "on_invalid: ignore"));

async function lakec(argv: string[], io: Partial<CliIO> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t), cwd: dir, ...io });
  return { code, out, err };
}

/** The built CLI as a user runs it, with stdout and stderr piped (not terminals). */
function spawnLakec(argv: string[], env: Record<string, string | undefined>): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...argv], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("--version", () => {
  it("prints the package's version and exits 0, in-process and from the built CLI", async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
    expect(await lakec(["--version"])).toEqual({ code: 0, out: `${version}\n`, err: "" });
    expect(execFileSync(process.execPath, [BIN, "-V"], { encoding: "utf8" })).toBe(`${version}\n`);
  });
});

describe("colour", () => {
  it("follows FORCE_COLOR, then NO_COLOR, then whether the stream is a terminal (TERM=dumb: no)", () => {
    expect(wantsColour(true, {})).toBe(true);
    expect(wantsColour(false, {})).toBe(false);
    expect(wantsColour(undefined, {})).toBe(false);
    expect(wantsColour(true, { NO_COLOR: "1" })).toBe(false);
    expect(wantsColour(true, { NO_COLOR: "" })).toBe(true); // the convention: set and non-empty
    expect(wantsColour(true, { TERM: "dumb" })).toBe(false);
    expect(wantsColour(false, { FORCE_COLOR: "1" })).toBe(true);
    expect(wantsColour(false, { FORCE_COLOR: "" })).toBe(true);
    expect(wantsColour(true, { FORCE_COLOR: "0" })).toBe(false);
    expect(wantsColour(true, { FORCE_COLOR: "false" })).toBe(false);
    expect(wantsColour(false, { FORCE_COLOR: "1", NO_COLOR: "1" })).toBe(true);
  });

  it("diagnostics are coloured only when stderr may be, and say the same either way", async () => {
    const plain = await lakec(["validate", "pipelines/bad.yaml"]);
    const coloured = await lakec(["validate", "pipelines/bad.yaml"], { colour: { out: false, err: true } });
    expect(plain.err).not.toContain(ESC);
    expect(coloured.err).toContain(`${ESC}31merror LK104${ESC}39m`);
    expect(stripColour(coloured.err)).toBe(plain.err);
  });

  it("the built CLI: FORCE_COLOR colours piped output, NO_COLOR=1 keeps it plain", () => {
    expect(spawnLakec(["validate", "pipelines/bad.yaml"], { FORCE_COLOR: "1" }).err).toContain(ESC);
    expect(spawnLakec(["validate", "pipelines/bad.yaml"], { NO_COLOR: "1" }).err).not.toContain(ESC);
    expect(spawnLakec(["validate", "pipelines/bad.yaml"], {}).err).not.toContain(ESC);
  });

  it("compile --check colours its diff on a terminal: removals red, additions green", async () => {
    await lakec(["compile", "pipelines/reviews.yaml", "--target", "airflow"]);
    writeFileSync(join(dir, "pipelines", "reviews.yaml"), good.replace("retries: 2", "retries: 3"));
    try {
      const plain = await lakec(["compile", "pipelines/reviews.yaml", "--target", "airflow", "--check"]);
      const coloured = await lakec(["compile", "pipelines/reviews.yaml", "--target", "airflow", "--check"], {
        colour: { out: true, err: false },
      });
      expect(plain.code).toBe(1);
      expect(plain.out).not.toContain(ESC);
      expect(coloured.out).toMatch(new RegExp(`\\u001b\\[31m-\\s+"retries": 2,\\u001b\\[39m`));
      expect(coloured.out).toMatch(new RegExp(`\\u001b\\[32m\\+\\s+"retries": 3,\\u001b\\[39m`));
      expect(stripColour(coloured.out)).toBe(plain.out);
    } finally {
      writeFileSync(join(dir, "pipelines", "reviews.yaml"), good);
    }
  });
});

describe("exit codes", () => {
  it("a usage error is 2, but 1 under --detailed-exitcode, where 2 means changes", async () => {
    expect((await lakec(["plan", "pipelines/reviews.yaml", "--no-such-flag"])).code).toBe(2);
    expect((await lakec(["plan", "pipelines/reviews.yaml", "--no-such-flag", "--detailed-exitcode"])).code).toBe(1);
    expect((await lakec(["plan", "pipelines/nope.yaml", "--detailed-exitcode"])).code).toBe(1);
    expect((await lakec(["plan", "pipelines/reviews.yaml", "--target", "moon", "--detailed-exitcode"])).code).toBe(1);
  });
});

describe("a closed pipe", () => {
  // `lakec … | head` closes stdout early; lakec used to die on EPIPE with a stack trace.
  it("stops quietly with 0 when the reader closes stdout", async () => {
    const child = spawn(process.execPath, [join(ROOT, "bin/lakec.js"), "compile", "--help"], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((done) => child.on("close", done));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});

describe("one JSON contract", () => {
  type Doc = {
    schema: string;
    lakec: string;
    command: string;
    ok: boolean;
    diagnostics: { code: string }[];
    error?: { kind: string; message: string };
    result: unknown;
  };
  const parse = (text: string): Doc => JSON.parse(text) as Doc;

  it("every command with --format json tags its document and carries the pipeline's diagnostics", async () => {
    for (const argv of [["validate"], ["compile", "--check"], ["plan"], ["run"], ["query", "SELECT 1"], ["show", "t"]]) {
      const [command, ...rest] = argv;
      for (const flag of [["--format", "json"], ["--json"]]) {
        const r = await lakec([command!, "pipelines/bad.yaml", ...rest, ...flag]);
        expect(r.code, `${argv.join(" ")} ${flag.join(" ")}`).toBe(1);
        const doc = parse(r.out);
        expect(doc, argv.join(" ")).toMatchObject({ schema: "lakec-output/1", command, ok: false });
        expect(doc.diagnostics.map((d) => d.code)).toEqual(["LK104"]);
        expect(r.err).toBe("");
      }
    }
  });

  it("a usage error in JSON mode is a document too, with the exit code of a usage error", async () => {
    const r = await lakec(["plan", "pipelines/reviews.yaml", "--json", "--fail-on", "everything"]);
    expect(r.code).toBe(2);
    expect(parse(r.out)).toMatchObject({
      command: "plan",
      ok: false,
      error: { kind: "usage", message: "--fail-on everything: the only value is 'destructive'" },
    });
    const unknown = await lakec(["validate", "--json", "--frobnicate", "pipelines/reviews.yaml"]);
    expect(parse(unknown.out)).toMatchObject({
      command: "validate",
      ok: false,
      error: { kind: "usage", message: "unknown option '--frobnicate'" },
    });
  });

  it("query: numbers are JSON numbers with every digit, timestamps ISO 8601, also inside lists and structs", async () => {
    const lake = join(dir, "lake");
    mkdirSync(lake, { recursive: true });
    const db = await DuckDBInstance.create(join(lake, "warehouse.duckdb"));
    (await db.connect()).closeSync();
    db.closeSync();
    const sql =
      "SELECT 1914::BIGINT AS n, 12345678901234567890::HUGEINT AS h, 1.50::DECIMAL(10,2) AS d, 2.5::DOUBLE AS f, 'nan'::DOUBLE AS nan, " +
      "TIMESTAMP '2018-09-01 10:00:00.123' AS ts, TIMESTAMPTZ '2018-09-01 10:00:00+00' AS tz, DATE '2018-09-01' AS day, " +
      "[1, 2]::BIGINT[] AS l, {'at': TIMESTAMP '2018-09-01 00:00:00', 'k': 7::BIGINT} AS s, NULL::BIGINT AS z, '12' AS text";
    const r = await lakec(["query", "pipelines/reviews.yaml", sql, "--lake", lake, "--format", "json"]);
    expect(r.err).toBe("");
    expect(r.out).toContain('"h": 12345678901234567890,');
    const doc = parse(r.out) as Doc & { result: { rows: Record<string, unknown>[]; types: string[] } };
    expect(doc.result.types.slice(0, 3)).toEqual(["BIGINT", "HUGEINT", "DECIMAL(10,2)"]);
    expect(doc.result.rows).toEqual([
      {
        n: 1914,
        h: Number("12345678901234567890"),
        d: 1.5,
        f: 2.5,
        nan: "NaN",
        ts: "2018-09-01T10:00:00.123",
        tz: "2018-09-01T10:00:00Z",
        day: "2018-09-01",
        l: [1, 2],
        s: { at: "2018-09-01T00:00:00", k: 7 },
        z: null,
        text: "12",
      },
    ]);
  });

  it("ISO 8601 for every timestamp form DuckDB prints", () => {
    expect(isoTimestamp("2018-09-01 10:00:00")).toBe("2018-09-01T10:00:00");
    expect(isoTimestamp("2018-09-01 08:00:00+00")).toBe("2018-09-01T08:00:00Z");
    expect(isoTimestamp("2018-09-01 08:00:00.5+05:30")).toBe("2018-09-01T08:00:00.5+05:30");
    expect(isoTimestamp("2018-09-01 08:00:00-02")).toBe("2018-09-01T08:00:00-02:00");
    expect(isoTimestamp("infinity")).toBe("infinity");
    expect(rowsJson([], [], [])).toBe("[]");
  });
});

describe("package layout", () => {
  it("`npm pack` ships the launcher, the built CLI and the schema, and no tests or benchmarks", () => {
    const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining([
        "bin/lakec.js",
        "dist/cli/main.js",
        "dist/schemas/pipeline.schema.json",
        "schemas/pipeline.schema.json",
        "package.json",
      ]),
    );
    expect(files.filter((f) => /^(test|bench|generated|dbt|pipelines)\//.test(f) || (f.endsWith(".ts") && !f.endsWith(".d.ts")))).toEqual(
      [],
    );
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      bin: Record<string, string>;
      dependencies: Record<string, string>;
      private?: boolean;
    };
    expect(pkg.bin).toEqual({ lakec: "bin/lakec.js" });
    // Publishable: the packed tarball installs with `npm i -g` and runs `lakec run --demo` outside the repo.
    expect(pkg.private).toBeUndefined();
    // Only tests use these; nothing at run time imports them.
    expect(Object.keys(pkg.dependencies)).not.toContain("asl-validator");
    expect(Object.keys(pkg.dependencies)).not.toContain("handlebars");
  });

  it("the pipeline schema has an $id, for editors and other validators to refer to", () => {
    expect((JSON.parse(readFileSync(join(ROOT, "schemas", "pipeline.schema.json"), "utf8")) as { $id?: string }).$id).toBe(
      "urn:lakec:schema:pipeline:1",
    );
  });
});
