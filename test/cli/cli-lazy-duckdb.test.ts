// `lakec --help`, `validate` and `compile` never load DuckDB: its native library costs about a
// second at start-up (engine/duckdb.ts). Checked on the built CLI in a fresh process, by
// watching every native module Node loads, not by timing.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const built = existsSync("dist/cli/main.js");
const dir = mkdtempSync(join(tmpdir(), "lakec-lazy-duckdb-"));
const hook = join(dir, "dlopen-hook.cjs");
writeFileSync(
  hook,
  "const o = process.dlopen; process.dlopen = function (m, f, ...r) { process.stderr.write(`NATIVE ${f}\\n`); return o.call(this, m, f, ...r); };\n",
);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function nativeModules(...argv: string[]): { code: number | null; native: string[] } {
  const r = spawnSync(process.execPath, ["--require", hook, "bin/lakec.js", ...argv], { encoding: "utf8" });
  return { code: r.status, native: r.stderr.split("\n").filter((l) => l.startsWith("NATIVE ")) };
}

describe("start-up without DuckDB", () => {
  it.skipIf(!built)("--help, validate and compile load no DuckDB (needs `npm run build`)", () => {
    for (const argv of [
      ["--help"],
      ["validate", "pipelines/reviews.yaml"],
      ["compile", "pipelines/reviews.yaml", "--out", join(dir, "out")],
    ]) {
      const r = nativeModules(...argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 0 });
      expect({ argv, native: r.native.filter((l) => /duckdb/i.test(l)) }).toEqual({ argv, native: [] });
    }
  });

  it.skipIf(!built)("the hook does see DuckDB when a command needs it (needs `npm run build`)", () => {
    const r = nativeModules("query", "pipelines/reviews.yaml", "SELECT 1", "--lake", join(dir, "no-lake"));
    expect(r.native.some((l) => /duckdb/i.test(l))).toBe(true);
  });
});
