import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PipelineIR } from "../../compiler/ir.js";
import { emitAirflow, processedDatasetUris } from "../../targets/airflow/index.js";
import { needsPython, python, pyright } from "../support/python.js";

const dir = mkdtempSync(join(tmpdir(), "lakec-airflow-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Reads a DAG file the way a reviewer would, without Airflow: the DAG(...) arguments, default_args,
// the operators assigned in the `with` block, and the `a >> b` dependencies.
const STRUCTURE = String.raw`
import ast, json, sys
tree = ast.parse(open(sys.argv[1]).read())
def value(n):
    if isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
        if n.func.id in ("Dataset", "Asset"):
            return {n.func.id: ast.literal_eval(n.args[0])}
        if n.func.id == "timedelta":
            return {"timedelta": {k.arg: ast.literal_eval(k.value) for k in n.keywords}}
        return {"call": n.func.id}
    if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
        return {"call": ast.unparse(n.func), "args": [ast.literal_eval(a) for a in n.args]}
    if isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitOr):
        l, r = value(n.left), value(n.right)
        return {"any": (l["any"] if "any" in l else [l]) + [r]}
    if isinstance(n, ast.Name):
        return {"name": n.id}
    return ast.literal_eval(n)
out = {"imports": [], "tasks": {}, "deps": []}
for node in tree.body:
    if isinstance(node, ast.ImportFrom):
        out["imports"] += [node.module + "." + a.name for a in node.names]
    if isinstance(node, ast.Try):
        for part, body in (("airflow3", node.body), ("airflow2", node.handlers[0].body)):
            out.setdefault(part, []).extend(n.module + "." + a.name + ("" if a.asname is None else " as " + a.asname) for n in body for a in n.names)
    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
        out.setdefault("constants", {})[node.targets[0].id] = node.value.value
    if isinstance(node, ast.Assign) and node.targets[0].id == "default_args":
        out["default_args"] = {ast.literal_eval(k): value(v) for k, v in zip(node.value.keys, node.value.values)}
    if isinstance(node, ast.With):
        call = node.items[0].context_expr
        out["dag"] = {k.arg: value(k.value) for k in call.keywords if k.arg != "params"}
        for s in node.body:
            if isinstance(s, ast.Assign) and isinstance(s.value, ast.Call):
                kw = {k.arg: value(k.value) for k in s.value.keywords}
                out["tasks"][kw["task_id"]] = dict(kw, operator=s.value.func.id, var=s.targets[0].id)
            if isinstance(s, ast.Expr) and isinstance(s.value, ast.BinOp) and isinstance(s.value.op, ast.RShift):
                out["deps"].append([s.value.left.id, s.value.right.id])
print(json.dumps(out))
`;
import { load } from "../support/load.js";
import { REFERENCE_PIPELINES } from "../support/conformance-fixtures.js";

function write(ir: PipelineIR, suffix = ""): string {
  const [file] = emitAirflow(ir);
  const path = join(dir, file!.path.replace("airflow/", "").replace(".py", `${suffix}.py`));
  writeFileSync(path, file!.contents);
  return path;
}

interface Structure {
  imports: string[];
  airflow3: string[];
  airflow2: string[];
  constants: Record<string, unknown>;
  default_args: Record<string, unknown>;
  dag: Record<string, unknown>;
  tasks: Record<string, Record<string, unknown>>;
  deps: string[][];
}

function structure(path: string): Structure {
  return JSON.parse(execFileSync(python!.path, ["-c", STRUCTURE, path], { encoding: "utf8" })) as Structure;
}

const variants: [string, (ir: PipelineIR) => PipelineIR][] = [
  ["as written", (ir) => ir],
  ["Airflow 3", (ir) => ({ ...ir, airflow: { ...ir.airflow, airflowVersion: 3 } })],
  ["hostile paths", (ir) => ({ ...ir, airflow: { ...ir.airflow, dbtProjectDir: `/x/"{{ y }}'\n\\`, owner: 'o"\n' } })],
];

const pipelines = REFERENCE_PIPELINES;
const dagName = (file: string, label: string): string => `${file.replace(/\W/g, "_")}_${label.replace(/\W/g, "")}.py`;

describe("airflow target", () => {
  // One pyright run for every DAG variant and the deliberately broken ones.
  let checked: Record<string, string[]> = {};
  beforeAll(() => {
    const reviews = emitAirflow(load("pipelines/reviews.yaml"))[0]!.contents;
    checked = pyright({
      ...Object.fromEntries(
        pipelines.flatMap((file) =>
          variants.map(([label, change]) => [dagName(file, label), emitAirflow(change(load(file)))[0]!.contents]),
        ),
      ),
      "broken_undefined.py": reviews.replace("from datetime import timedelta\n", ""),
      "broken_syntax.py": reviews.replace("with DAG(", "with DAG(("),
      "broken_import.py": reviews.replace("from datetime import timedelta", "from datetime import timedelta\nfrom datetim import date"),
    });
  });

  for (const file of pipelines) {
    it.each(variants)(`${file} (%s): pyright finds no syntax error, undefined name or unused import`, (label) => {
      expect(checked[dagName(file, label)]).toEqual([]);
    });
  }

  it.skipIf(!python)(needsPython("hostile paths and owner stay inside their Python string literals"), () => {
    const ir = variants[2]![1](load("pipelines/reviews.yaml"));
    const s = structure(write(ir, "_hostile"));
    expect(s["constants"]["DBT_PROJECT_DIR"]).toBe(ir.airflow.dbtProjectDir);
    expect(s["default_args"]["owner"]).toBe(ir.airflow.owner);
    expect(Object.keys(s["tasks"])).toEqual(["dbt_source_freshness", "dbt_build"]);
  });

  it("the check does catch a broken DAG: an undefined name, a syntax error, a misspelt module", () => {
    expect(checked["broken_undefined.py"]!.join("\n")).toMatch(/"timedelta" is not defined \(reportUndefinedVariable\)/);
    expect(checked["broken_syntax.py"]!.length).toBeGreaterThan(0);
    expect(checked["broken_syntax.py"]!.join("\n")).toMatch(/\(syntax\)/);
    expect(checked["broken_import.py"]!.join("\n")).toMatch(/Import "datetim" could not be resolved/);
  });

  it.skipIf(!python)(needsPython("reviews: a cron/preset schedule, freshness then build, retries with backoff"), () => {
    const s = structure(write(load("pipelines/reviews.yaml")));
    expect(s["dag"]).toMatchObject({
      dag_id: "reviews_dbt",
      schedule: "@hourly",
      catchup: false,
      tags: ["lakec", "reviews"],
      default_args: { name: "default_args" },
    });
    expect(s["dag"]["start_date"]).toEqual({ call: "pendulum.datetime", args: [2024, 1, 1] });
    expect(Object.keys(s["tasks"])).toEqual(["dbt_source_freshness", "dbt_build"]);
    expect(s["tasks"]["dbt_build"]).toMatchObject({ operator: "BashOperator", trigger_rule: "all_done" });
    // Space-separated selectors are a union; `path:` selects the hand-written models' folder
    // (https://docs.getdbt.com/reference/node-selection/methods, "path").
    expect(s["tasks"]["dbt_build"]!["bash_command"]).toMatch(
      /^dbt build --select tag:reviews path:models\/custom\/reviews --project-dir "\$DBT_PROJECT_DIR"/,
    );
    expect(s["tasks"]["dbt_source_freshness"]!["bash_command"]).toMatch(/^dbt source freshness --select source:reviews /);
    expect(s["deps"]).toEqual([["source_freshness", "build"]]);
    expect(s["default_args"]).toMatchObject({
      retries: 2,
      retry_delay: { timedelta: { minutes: 5 } },
      retry_exponential_backoff: true,
      max_retry_delay: { timedelta: { minutes: 60 } },
      on_failure_callback: { name: "notify_failure" },
    });
    expect(s["airflow3"]).toEqual(["airflow.sdk.DAG", "airflow.providers.standard.operators.bash.BashOperator"]);
    expect(s["airflow2"]).toEqual(["airflow.DAG", "airflow.operators.bash.BashOperator"]);
  });

  it.skipIf(!python)(needsPython("yelp: data-aware scheduling on any processed table, Datasets in Airflow 2 and Assets in 3"), () => {
    const ir = load("pipelines/yelp.yaml");
    const uris = processedDatasetUris(ir);
    expect(uris).toEqual(ir.tables.map((t) => `s3://acme-yelp-processed/${t.name}/`));
    const two = structure(write(ir, "_v2"));
    expect(two["dag"]["schedule"]).toEqual({ any: uris.map((u) => ({ Asset: u })) });
    expect(two["airflow3"]).toEqual(["airflow.sdk.DAG", "airflow.sdk.Asset", "airflow.providers.standard.operators.bash.BashOperator"]);
    expect(two["airflow2"]).toEqual(["airflow.DAG", "airflow.datasets.Dataset as Asset", "airflow.operators.bash.BashOperator"]);
    // airflow_version no longer changes the file: it imports on both.
    const three = structure(write({ ...ir, airflow: { ...ir.airflow, airflowVersion: 3 } }, "_v3"));
    expect(three).toEqual(two);
    expect(two["default_args"]["retries"]).toBe(3);
  });
});
