import js from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier/flat";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "generated/**", "dbt/**", ".lake/**", "**/*.js", "!eslint.config.js"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off",
    },
  },
  // The layering of README's Layout: cli → (engine, deploy) → targets → compiler. A layer imports
  // only the layers below it (deploy's local provider drives the engine); compiler never imports targets.
  ...[
    { files: ["compiler/**/*.ts"], below: ["targets", "engine", "deploy", "cli", "synthetic"] },
    { files: ["targets/**/*.ts"], below: ["engine", "deploy", "cli", "synthetic"] },
    { files: ["engine/**/*.ts", "deploy/**/*.ts"], below: ["cli", "synthetic"] },
    // Everything above the engine reaches it through its interface, engine/index.ts.
    { files: ["cli/**/*.ts", "bench/**/*.ts"], below: [], facade: true },
  ].map(({ files, below, facade }) => ({
    files,
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            ...below.map((layer) => ({
              group: [`**/${layer}/*`, `**/${layer}/**`],
              message: `${files.map((f) => `${f.split("/")[0]}/`).join(" and ")} must not import ${layer}/ (layering: cli → engine, deploy → targets → compiler)`,
            })),
            ...(facade || files.some((f) => f.startsWith("deploy/"))
              ? [{ group: ["**/engine/*", "!**/engine/index.js"], message: "import the engine through engine/index.js, its interface" }]
              : []),
          ],
        },
      ],
    },
  })),
  // Last, so that no rule above can fight Prettier over layout: Prettier owns formatting
  // (`npm run format`; `npm run lint` runs `prettier --check .`).
  prettier,
);
