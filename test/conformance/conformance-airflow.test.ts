// Airflow conformance: the generated DAG imported for real by Python under stand-ins that have
// exactly the module layout of Airflow 2.9+ or of Airflow 3 (Airflow itself does not install
// here), over the reference pipelines and every-option.
// Airflow 3 moves DAG and Asset to the task SDK (`airflow.sdk`) and BashOperator to the standard
// provider: https://airflow.apache.org/docs/apache-airflow/stable/installation/upgrading_to_airflow3.html
// Airflow 2.9+: `from airflow.datasets import Dataset`, conditional expressions with `|`:
// https://airflow.apache.org/docs/apache-airflow/2.10.5/authoring-and-scheduling/datasets.html
// Airflow 3 assets: https://airflow.apache.org/docs/apache-airflow/stable/authoring-and-scheduling/assets.html
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AIRFLOW_IMPORTS, alertTopicEnv, processedDatasetUris } from "../../targets/airflow/index.js";
import { conformancePipelines } from "../support/conformance-fixtures.js";

const PY = "/usr/bin/python3";
const HAVE_PY = existsSync(PY);
const dir = mkdtempSync(join(tmpdir(), "lakec-airflow-conf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// What the DAG file uses, recorded so the test can read back what Airflow would have seen.
const CORE = String.raw`
RECORD = {"dags": [], "tasks": [], "deps": []}
class _Expr:
    def __or__(self, other):
        return _Any(self, other)
class Asset(_Expr):
    def __init__(self, uri):
        self.uri = uri
    def describe(self):
        return [self.uri]
class _Any(_Expr):
    def __init__(self, a, b):
        self.parts = [a, b]
    def describe(self):
        return [u for p in self.parts for u in p.describe()]
class DAG:
    def __init__(self, **kw):
        s = kw["schedule"]
        RECORD["dags"].append(dict(dag_id=kw["dag_id"], schedule=s.describe() if hasattr(s, "describe") else s, callback=kw["default_args"]["on_failure_callback"]))
    def __enter__(self):
        return self
    def __exit__(self, *a):
        return False
class BashOperator:
    def __init__(self, **kw):
        self.task_id = kw["task_id"]
        RECORD["tasks"].append(kw["task_id"])
    def __rshift__(self, other):
        RECORD["deps"].append([self.task_id, other.task_id])
        return other
`;

/** Module files of each version's layout; every other airflow module is absent, as there. */
const LAYOUTS: Record<2 | 3, Record<string, string>> = {
  2: {
    "airflow/__init__.py": "from _core import DAG\n",
    "airflow/datasets/__init__.py": "from _core import Asset as Dataset\n",
    "airflow/operators/__init__.py": "",
    "airflow/operators/bash.py": "from _core import BashOperator\n",
  },
  3: {
    "airflow/__init__.py": "",
    "airflow/sdk/__init__.py": "from _core import DAG, Asset\n",
    "airflow/providers/__init__.py": "",
    "airflow/providers/standard/__init__.py": "",
    "airflow/providers/standard/operators/__init__.py": "",
    "airflow/providers/standard/operators/bash.py": "from _core import BashOperator\n",
  },
};

for (const version of [2, 3] as const) {
  const root = join(dir, `airflow${version}`);
  for (const [path, text] of Object.entries({
    ...LAYOUTS[version],
    "_core.py": CORE,
    "pendulum.py": "def datetime(*a, **k):\n    return a\n",
  })) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

interface Imported {
  dags: { dag_id: string; schedule: unknown }[];
  tasks: string[];
  deps: string[][];
  published?: { TopicArn: string; Subject: string; Message: string }[];
}

/** Imports the DAG file under one version's layout; `after` runs with the module bound to `dag_file`. */
function importUnder(version: 2 | 3, file: string, after = ""): Imported {
  const script = [
    "import importlib.util, json, sys",
    `sys.path.insert(0, ${JSON.stringify(join(dir, `airflow${version}`))})`,
    `spec = importlib.util.spec_from_file_location("dag_file", ${JSON.stringify(file)})`,
    "dag_file = importlib.util.module_from_spec(spec)",
    "spec.loader.exec_module(dag_file)",
    "import _core",
    "out = dict(_core.RECORD)",
    "out['dags'] = [{k: v for k, v in d.items() if k != 'callback'} for d in out['dags']]",
    after,
    "print(json.dumps(out))",
  ].join("\n");
  const r = spawnSync(PY, ["-c", script], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Imported;
}

describe.each(conformancePipelines())("Airflow conformance: $file", ({ ir, files }) => {
  const path = join(dir, `${ir.name}_dbt.py`);
  writeFileSync(path, files.get(`generated/${ir.name}/airflow/${ir.name}_dbt.py`)!);
  const schedule = ir.airflow.datasetTriggered ? processedDatasetUris(ir) : ir.airflow.schedule;

  it("names the module paths each version documents", () => {
    const text = files.get(`generated/${ir.name}/airflow/${ir.name}_dbt.py`)!;
    for (const v of [2, 3] as const) {
      const { dag, asset, bash } = AIRFLOW_IMPORTS[v];
      for (const m of ir.airflow.datasetTriggered ? [dag, asset, bash] : [dag, bash]) expect(text).toContain(`from ${m} import`);
    }
  });

  it.skipIf(!HAVE_PY)("imports and builds the same DAG on Airflow 2.9+ and on Airflow 3 (needs /usr/bin/python3)", () => {
    for (const version of [2, 3] as const) {
      const got = importUnder(version, path);
      expect(got.dags, `Airflow ${version}`).toEqual([{ dag_id: `${ir.name}_dbt`, schedule }]);
      expect(got.tasks).toEqual(["dbt_source_freshness", "dbt_build"]);
      expect(got.deps).toEqual([["dbt_source_freshness", "dbt_build"]]);
    }
  });

  // The failure callback receives the context with task_instance and run_id:
  // https://airflow.apache.org/docs/apache-airflow/stable/administration-and-deployment/logging-monitoring/callbacks.html
  // SNS Publish: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
  it.skipIf(!HAVE_PY)("publishes a failed task to the pipeline's alert topic, and survives a failed publish", () => {
    const fakeBoto = [
      "class _SNS:",
      "    def publish(self, **kw):",
      "        out.setdefault('published', []).append(kw)",
      "class _STS:",
      "    def get_caller_identity(self):",
      "        return {'Account': '123456789012'}",
      "import types",
      "boto3 = types.ModuleType('boto3')",
      "boto3.client = lambda name, region_name=None: _SNS() if name == 'sns' else _STS()",
      "sys.modules['boto3'] = boto3",
      "ti = types.SimpleNamespace(task_id='dbt_build', dag_id='x_dbt', try_number=3, log_url='http://airflow/log')",
      "dag_file.notify_failure({'task_instance': ti, 'run_id': 'scheduled__1'})",
      `import os; os.environ[${JSON.stringify(alertTopicEnv(ir))}] = 'arn:aws:sns:eu-west-1:999999999999:custom'`,
      "dag_file.notify_failure({'task_instance': ti, 'run_id': 'scheduled__2'})",
      "boto3.client = lambda *a, **k: (_ for _ in ()).throw(RuntimeError('no credentials'))",
      "dag_file.notify_failure({'task_instance': ti, 'run_id': 'scheduled__3'})",
    ].join("\n");
    const got = importUnder(3, path, fakeBoto);
    expect(got.published!.map((p) => p.TopicArn)).toEqual([
      `arn:aws:sns:${ir.aws.region}:123456789012:lakec-${ir.name}-alerts`,
      "arn:aws:sns:eu-west-1:999999999999:custom",
    ]);
    expect(JSON.parse(got.published![0]!.Message)).toMatchObject({
      pipeline: ir.name,
      task_id: "dbt_build",
      try_number: 3,
      run_id: "scheduled__1",
    });
    expect(got.published![0]!.Subject.length).toBeLessThanOrEqual(100);
  });
});
