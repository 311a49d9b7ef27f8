// Python for the tests. Generated Python (Glue jobs, Airflow DAGs) is checked with pyright, which
// `npm ci` installs, so the static checks need Node alone. Tests that run Python for real find an
// interpreter on PATH and are skipped, with the reason in their name, when there is none.
import { spawnSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

export interface Python {
  path: string;
  /** major.minor, e.g. "3.11". */
  version: string;
}

function findPython(): Python | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter).filter(Boolean)) {
    for (const name of ["python3", "python"]) {
      const path = join(dir, name);
      try {
        accessSync(path, constants.X_OK);
      } catch {
        continue;
      }
      // pyenv shims and Windows store aliases exist but may not run: ask the interpreter itself.
      const probe = spawnSync(path, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], { encoding: "utf8" });
      const version = probe.status === 0 ? probe.stdout.trim() : "";
      if (/^3\.\d+$/.test(version)) return { path, version };
    }
  }
  return undefined;
}

/** The first Python 3 on PATH, or undefined. */
export const python: Python | undefined = findPython();

/** A test name that says why it is skipped when no Python is on PATH. */
export function needsPython(name: string): string {
  return python ? name : `${name} [skipped: no python3 on PATH]`;
}

/** Third-party modules the generated code imports that cannot be installed here (AWS Glue, Spark, Airflow). */
const UNINSTALLABLE = ["awsglue", "pyspark", "airflow", "pendulum", "boto3"];

/**
 * pyright's rules that match what pyflakes reported, as errors: syntax errors, undefined names,
 * unused imports and variables, redefinitions, and imports that do not resolve. The `a >> b`
 * dependency statements of a DAG are expressions whose value is unused by design.
 */
const CONFIG = {
  pythonVersion: "3.11",
  typeCheckingMode: "basic",
  reportMissingImports: "error",
  reportMissingModuleSource: "none",
  reportUndefinedVariable: "error",
  reportUnusedImport: "error",
  reportUnusedVariable: "error",
  reportRedeclaration: "error",
  reportUnusedExpression: "none",
};

interface PyrightDiagnostic {
  file: string;
  severity: string;
  message: string;
  rule?: string;
  range: { start: { line: number; character: number } };
}

function isUninstallableImport(d: PyrightDiagnostic): boolean {
  const module = /^Import "([\w.]+)" could not be resolved/.exec(d.message)?.[1];
  return d.rule === "reportMissingImports" && module !== undefined && UNINSTALLABLE.includes(module.split(".")[0]!);
}

/**
 * Checks Python files with one pyright run (it takes seconds to start) and returns, per file name,
 * its errors and warnings as "line:col message (rule)". Imports of the uninstallable modules are
 * the only diagnostics left out.
 */
export function pyright(files: Record<string, string>): Record<string, string[]> {
  const dir = mkdtempSync(join(tmpdir(), "lakec-pyright-"));
  try {
    for (const [name, contents] of Object.entries(files)) writeFileSync(join(dir, name), contents);
    writeFileSync(join(dir, "pyrightconfig.json"), JSON.stringify(CONFIG));
    const cli = createRequire(import.meta.url).resolve("pyright/index.js");
    const run = spawnSync(process.execPath, [cli, "--outputjson", "--project", dir], { cwd: dir, encoding: "utf8", maxBuffer: 64 << 20 });
    if (!run.stdout.trim().startsWith("{")) throw new Error(`pyright did not run: ${run.stderr}${run.stdout}`);
    const report = JSON.parse(run.stdout) as { generalDiagnostics: PyrightDiagnostic[]; summary: { filesAnalyzed: number } };
    if (report.summary.filesAnalyzed !== Object.keys(files).length)
      throw new Error(`pyright analysed ${report.summary.filesAnalyzed} of ${Object.keys(files).length} files`);
    const out: Record<string, string[]> = Object.fromEntries(Object.keys(files).map((f) => [f, []]));
    for (const d of report.generalDiagnostics) {
      if (d.severity === "information" || isUninstallableImport(d)) continue;
      const name = d.file.slice(dir.length + 1);
      (out[name] ??= []).push(`${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message} (${d.rule ?? "syntax"})`);
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
