// docs/cli.md's reference part is the commands' own --help, so it cannot drift from the CLI:
// this test regenerates it and fails on any difference (LAKEC_UPDATE_GOLDENS=1 rewrites it).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { main } from "../../cli/main.js";

const DOC = join(import.meta.dirname, "..", "..", "docs", "cli.md");
const BEGIN = "<!-- generated from `lakec <command> --help` by test/cli/cli-docs.test.ts: do not edit below -->";

async function help(argv: string[]): Promise<string> {
  let out = "";
  await main(argv, { out: (t) => void (out += t), err: () => undefined, cwd: process.cwd() });
  return out.trimEnd();
}

async function reference(): Promise<string> {
  const top = await help(["--help"]);
  const commands = [...top.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1]!).filter((c) => c !== "help");
  const parts = [`## lakec\n\n\`\`\`text\n${top}\n\`\`\``];
  for (const c of commands) parts.push(`## lakec ${c}\n\n\`\`\`text\n${await help([c, "--help"])}\n\`\`\``);
  return `${BEGIN}\n\n${parts.join("\n\n")}\n`;
}

it("docs/cli.md holds every command's current --help", async () => {
  const doc = readFileSync(DOC, "utf8");
  const head = doc.slice(0, doc.indexOf(BEGIN) >= 0 ? doc.indexOf(BEGIN) : doc.length);
  const want = `${head}${await reference()}`;
  if (process.env["LAKEC_UPDATE_GOLDENS"]) writeFileSync(DOC, want);
  expect(doc).toBe(want);
  expect(want).toContain("## lakec plan\n");
});
