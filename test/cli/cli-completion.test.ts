// `lakec completion`: the scripts are shell code, so they are parsed and run by the shell, and
// the bash function is asked real questions (what follows `plan --target`, which folders follow
// `--lake`) instead of comparing text.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { CliIO } from "../../cli/context.js";
import { main } from "../../cli/main.js";

const has = (shell: string): boolean => spawnSync(shell, ["-c", "exit 0"]).status === 0;

async function script(shell: string): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliIO = { out: (t) => void (out += t), err: (t) => void (err += t), cwd: process.cwd() };
  const code = await main(["completion", shell], io);
  return { code, out, err };
}

const work = mkdtempSync(join(tmpdir(), "lakec-completion-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the bash completion function for a command line ending in `cur` and returns COMPREPLY. */
function complete(bashScript: string, words: readonly string[]): string[] {
  const file = join(work, "lakec.bash");
  writeFileSync(file, bashScript);
  const arr = words.map((w) => `'${w}'`).join(" ");
  const r = spawnSync(
    "bash",
    ["-c", `source "$1"; COMP_WORDS=(${arr}); COMP_CWORD=${words.length - 1}; _lakec; printf '%s\\n' "\${COMPREPLY[@]}"`, "_", file],
    { cwd: work, encoding: "utf8" },
  );
  expect(r.stderr).toBe("");
  return r.stdout
    .split("\n")
    .filter((l) => l !== "")
    .sort();
}

describe.skipIf(!has("bash"))("bash completion (bash is installed)", () => {
  it("parses, and answers from the registered commands and options", async () => {
    const { code, out } = await script("bash");
    expect(code).toBe(0);
    expect(spawnSync("bash", ["-n"], { input: out }).status).toBe(0);
    mkdirSync(join(work, "lake-a"), { recursive: true });
    writeFileSync(join(work, "notes.txt"), "");
    expect(complete(out, ["lakec", "pl"])).toEqual(["plan"]);
    expect(complete(out, ["lakec", "plan", "p.yaml", "--target", ""])).toEqual(["all", "aws", "local", "snowflake"]);
    expect(complete(out, ["lakec", "query", "p.yaml", "--format", ""])).toEqual(["csv", "json", "table"]);
    expect(complete(out, ["lakec", "compile", "p.yaml", "--target", "cl"])).toEqual(["cloudformation"]);
    expect(complete(out, ["lakec", "run", "p.yaml", "--lake", ""])).toEqual(["lake-a"]);
    expect(complete(out, ["lakec", "init", "--name", ""])).toEqual([]);
    expect(complete(out, ["lakec", "run", "--f"])).toEqual(["--format", "--full-refresh"]);
    expect(complete(out, ["lakec", "apply", "--"])).toContain("--allow-destructive");
  });
});

describe("other shells", () => {
  it.skipIf(!has("zsh"))("zsh: the script parses (zsh is installed)", async () => {
    const { out } = await script("zsh");
    expect(spawnSync("zsh", ["-n"], { input: out }).status).toBe(0);
  });

  it.skipIf(!has("fish"))("fish: the script parses (fish is installed)", async () => {
    const { out } = await script("fish");
    expect(spawnSync("fish", ["--no-execute"], { input: out }).status).toBe(0);
  });

  it("fish: one subcommand line per command, flag values quoted for fish", async () => {
    const { out } = await script("fish");
    expect(out).toContain("complete -c lakec -n 'not __fish_seen_subcommand_from validate compile");
    expect(out).toMatch(/-n '__fish_seen_subcommand_from plan' -l target -x -a 'local aws snowflake all'/);
    // A description with a quote stays one fish word: \' inside single quotes.
    for (const line of out.split("\n").filter((l) => l.startsWith("complete")))
      expect(line.replace(/\\'/g, "").split("'").length % 2).toBe(1);
  });

  it("an unknown shell is a usage error", async () => {
    const r = await script("powershell");
    expect(r.code).toBe(2);
    expect(r.err).toContain("expected one of bash, zsh, fish");
  });
});
