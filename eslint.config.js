import js from "@eslint/js";
import tseslint from "typescript-eslint";

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
    { files: ["compiler/**/*.ts"], below: ["targets", "engine", "deploy", "cli"] },
    { files: ["targets/**/*.ts"], below: ["engine", "deploy", "cli"] },
    { files: ["engine/**/*.ts", "deploy/**/*.ts"], below: ["cli"] },
  ].map(({ files, below }) => ({
    files,
    rules: {
      "no-restricted-imports": ["error", { patterns: below.map((layer) => ({ group: [`**/${layer}/*`, `**/${layer}/**`], message: `${files.map((f) => `${f.split("/")[0]}/`).join(" and ")} must not import ${layer}/ (layering: cli → engine, deploy → targets → compiler)` })) }],
    },
  })),
);
