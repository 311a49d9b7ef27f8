// The list of targets, and the one rule for where their files go.
//
// Output layout:
// - A file with the default scope ("pipeline") is written to `<out>/<pipeline>/<path>`, where
//   `<out>` is `generated/` unless `--out` says otherwise. A target keeps its files under one
//   subfolder of its own (`ir/ir.json`, `cloudformation/template.yaml`).
// - A file with `scope: "project"` is written to `<project root>/<path>`: the project root is
//   the folder that holds `<out>` (the repository root). The dbt project lives there, shared by
//   all pipelines: `dbt/models/staging/<pipeline>/…`, `dbt/models/marts/<pipeline>/…`,
//   `dbt/dbt_project.yml`.
//
// Ownership (what `lakec compile` may delete):
// - `<out>/<pipeline>/` is owned entirely when every target is compiled; with `--target`, each
//   selected target owns the top folders of the pipeline files it emits.
// - Project-level folders are owned only when the target lists them in `projectDirs`: for the
//   dbt target, the pipeline's own `models/staging/<pipeline>/` and `models/marts/<pipeline>/`.
//   Files there that the target no longer emits are removed.
// - Project-level files outside owned folders (`dbt/dbt_project.yml`) are shared by every
//   pipeline: they are written but never deleted, and each pipeline must emit them identically.
import type { EmittedFile, PipelineIR } from "../compiler/ir.js";
import { emitIrJson } from "./ir-json/index.js";
import { snowflakeTarget } from "./snowflake/index.js";
import { dbtTarget } from "./dbt/index.js";
import { airflowTarget } from "./airflow/index.js";
import { lineageTarget } from "./lineage/index.js";
import { cloudformationTarget } from "./cloudformation/index.js";
import { stepFunctionsTarget } from "./stepfunctions/index.js";
import { glueTarget } from "./glue/index.js";

export interface Target {
  readonly name: string;
  readonly description: string;
  emit(ir: PipelineIR): EmittedFile[];
  /** Project-level folders (relative to the project root) this target owns for this pipeline. */
  projectDirs?(ir: PipelineIR): readonly string[];
}

export const targets: readonly Target[] = [
  { name: "ir-json", description: "the compiler's IR as JSON, for debugging targets (ir/ir.json)", emit: emitIrJson },
  snowflakeTarget,
  dbtTarget,
  airflowTarget,
  lineageTarget,
  cloudformationTarget,
  stepFunctionsTarget,
  glueTarget,
];

export function findTarget(name: string): Target | undefined {
  return targets.find((t) => t.name === name);
}

/** Where the files of one compile go, before any path is joined with a real folder. */
export interface OutputLayout {
  /** Files relative to `<out>/<pipeline>/`. */
  readonly pipelineFiles: ReadonlyMap<string, string>;
  /** Files relative to the project root. */
  readonly projectFiles: ReadonlyMap<string, string>;
  /** Folders owned entirely, relative to `<out>/<pipeline>/` (`""` is the whole folder). */
  readonly pipelineDirs: readonly string[];
  /** Folders owned entirely, relative to the project root. */
  readonly projectDirs: readonly string[];
}

function checkedPath(target: Target, path: string): string {
  const parts = path.split("/");
  if (path === "" || path.startsWith("/") || parts.some((p) => p === "" || p === "." || p === "..") || path.includes("\\")) {
    throw new Error(
      `target '${target.name}' emitted an invalid path '${path}': paths are relative, use '/', and have no empty, '.' or '..' parts`,
    );
  }
  return path;
}

function put(into: Map<string, string>, target: Target, file: EmittedFile): void {
  const path = checkedPath(target, file.path);
  const existing = into.get(path);
  if (existing !== undefined && existing !== file.contents) {
    throw new Error(`two targets emitted different contents for '${path}' (the second is '${target.name}')`);
  }
  into.set(path, file.contents);
}

/** Runs the selected targets (all when `selected` is undefined) and lays out their files. */
export function layoutOutput(ir: PipelineIR, selected?: readonly Target[]): OutputLayout {
  const chosen = selected ?? targets;
  const pipelineFiles = new Map<string, string>();
  const projectFiles = new Map<string, string>();
  const pipelineDirs = new Set<string>(selected ? [] : [""]);
  const projectDirs = new Set<string>();
  for (const target of chosen) {
    for (const file of target.emit(ir)) {
      if (file.scope === "project") {
        put(projectFiles, target, file);
      } else {
        put(pipelineFiles, target, file);
        if (selected && file.path.includes("/")) pipelineDirs.add(file.path.split("/")[0]!);
      }
    }
    for (const dir of target.projectDirs?.(ir) ?? []) projectDirs.add(checkedPath(target, dir));
  }
  return { pipelineFiles, projectFiles, pipelineDirs: [...pipelineDirs].sort(), projectDirs: [...projectDirs].sort() };
}
