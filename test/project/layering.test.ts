// The layering rule of eslint.config.js (cli → engine, deploy → targets → compiler) does fail on
// an import that goes up a layer, and lets the allowed direction through.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

// eslint 9.9 ships no type declarations: the little of its API used here.
interface LintMessage {
  ruleId: string | null;
  message: string;
}
type ESLintClass = new (o: { cwd: string }) => { lintText(code: string, o: { filePath: string }): Promise<{ messages: LintMessage[] }[]> };
const { ESLint } = createRequire(import.meta.url)("eslint") as { ESLint: ESLintClass };
const eslint = new ESLint({ cwd: new URL("../..", import.meta.url).pathname });

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("layering lint rule", () => {
  it.each([
    [
      "compiler/check/x.ts",
      'import { emitDbt } from "../../../targets/dbt/index.js";\nexport const x = emitDbt;\n',
      "compiler/ must not import targets/",
    ],
    [
      "targets/dbt/x.ts",
      'import { openLake } from "../../../engine/index.js";\nexport const x = openLake;\n',
      "targets/ must not import engine/",
    ],
    ["engine/x.ts", 'import { main } from "../../cli/main.js";\nexport const x = main;\n', "engine/ and deploy/ must not import cli/"],
    ["deploy/x.ts", 'import { main } from "../../cli/main.js";\nexport const x = main;\n', "engine/ and deploy/ must not import cli/"],
    [
      "engine/x.ts",
      'import { generateAmazonReviews } from "../../synthetic/amazon.js";\nexport const x = generateAmazonReviews;\n',
      "engine/ and deploy/ must not import synthetic/",
    ],
    [
      "cli/x.ts",
      'import { queryWarehouse } from "../../engine/query.js";\nexport const x = queryWarehouse;\n',
      "import the engine through engine/index.js",
    ],
    [
      "bench/x.ts",
      'import { startDev } from "../../engine/watch.js";\nexport const x = startDev;\n',
      "import the engine through engine/index.js",
    ],
    [
      "deploy/providers/local/x.ts",
      'import { readManifest } from "../../../../engine/manifest.js";\nexport const x = readManifest;\n',
      "import the engine through engine/index.js",
    ],
  ])("%s importing a layer above fails", async (file, code, message) => {
    expect((await restricted(file, code)).join("\n")).toContain(message);
  });

  it("the allowed direction passes", async () => {
    expect(await restricted("targets/dbt/x.ts", 'import { lower } from "../../../compiler/lower.js";\nexport const x = lower;\n')).toEqual(
      [],
    );
    expect(await restricted("cli/x.ts", 'import { openLake } from "../../engine/index.js";\nexport const x = openLake;\n')).toEqual([]);
  });
});
