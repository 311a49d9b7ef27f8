// The Airflow DAG that runs dbt for one pipeline. It only shells out to dbt, so parsing the
// file is instant: nothing reads the dbt project at import time.
import type { PipelineIR } from "../../compiler/ir.js";
import { generatedBy, pyComment, pyStr } from "../text-escape.js";

/** Python string literal: JSON escapes are valid Python escapes. */
const py = pyStr;

export function dagId(ir: PipelineIR): string {
  return `${ir.name}_dbt`;
}

/**
 * One dataset (asset) per output table, named by its processed-layer prefix. Whatever publishes a
 * table's Parquet (the state machine, through Airflow's dataset-event API) must use these URIs.
 */
export function processedDatasetUris(ir: PipelineIR): string[] {
  return ir.tables.map((t) => `s3://${ir.aws.processedBucket}/${t.name}/`);
}

interface Flavour {
  readonly imports: readonly string[];
  readonly datasetClass: string;
}

// Airflow 2.9+ (Datasets, `|` expressions) and Airflow 3 (the same expressions over Assets from the task SDK).
const FLAVOURS: Record<2 | 3, Flavour> = {
  2: {
    imports: ["from airflow import DAG", "from airflow.operators.bash import BashOperator"],
    datasetClass: "Dataset",
  },
  3: {
    imports: ["from airflow.providers.standard.operators.bash import BashOperator", "from airflow.sdk import DAG"],
    datasetClass: "Asset",
  },
};

function scheduleExpr(ir: PipelineIR, f: Flavour): string {
  if (!ir.airflow.datasetTriggered) return py(ir.airflow.schedule);
  // `|`: run when ANY table is updated (a list would wait for all of them).
  return `(\n        ${processedDatasetUris(ir).map((u) => `${f.datasetClass}(${py(u)})`).join("\n        | ")}\n    )`;
}

function imports(ir: PipelineIR, f: Flavour): string[] {
  const airflow = [...f.imports];
  if (ir.airflow.datasetTriggered) {
    if (ir.airflow.airflowVersion === 2) airflow.push("from airflow.datasets import Dataset");
    else airflow[1] = "from airflow.sdk import DAG, Asset";
  }
  return ["from __future__ import annotations", "", "import logging", "from datetime import timedelta", "", "import pendulum", ...airflow.sort()];
}

function docText(ir: PipelineIR): string {
  const a = ir.airflow;
  const when = a.datasetTriggered
    ? `whenever any processed table of the pipeline is updated (${a.airflowVersion === 2 ? "Airflow 2.9+ Datasets" : "Airflow 3 Assets"}).`
    : `on the schedule ${a.schedule}.`;
  return [
    `dbt for the lakec pipeline '${ir.name}': source freshness, then \`dbt build\` of tag:${ir.name} (models and their tests).`,
    `Runs ${when}`,
    "Airflow 2 and 3: set orchestration.airflow.airflow_version; version 3 imports DAG and Asset from airflow.sdk",
    "and BashOperator from the standard provider, and schedules on Assets with the same URIs.",
  ].join("\n");
}

/** Built only from validated names and constants, so a plain single-quoted literal is safe and readable. */
function bash(command: string): string {
  if (!/^[a-z0-9_ :-]+$/.test(command)) throw new Error(`IR invariant: unexpected characters in dbt command '${command}'`);
  return `'dbt ${command} --project-dir "$DBT_PROJECT_DIR" --profiles-dir "$DBT_PROFILES_DIR"'`;
}

function tasks(ir: PipelineIR): string[] {
  return [
    "    # A stale source alerts (through the failure callback) but does not block the build.",
    "    source_freshness = BashOperator(",
    '        task_id="dbt_source_freshness",',
    `        bash_command=${bash(`source freshness --select source:${ir.name}`)},`,
    "        env=DBT_ENV,",
    "        append_env=True,",
    "        retries=0,",
    "    )",
    "    build = BashOperator(",
    '        task_id="dbt_build",',
    `        bash_command=${bash(`build --select tag:${ir.name}`)},`,
    "        env=DBT_ENV,",
    "        append_env=True,",
    '        trigger_rule="all_done",',
    "    )",
    "    source_freshness >> build",
  ];
}

export function dagPython(ir: PipelineIR): string {
  const a = ir.airflow;
  const f = FLAVOURS[a.airflowVersion];
  return [
    pyComment(generatedBy(ir.sourceFile)),
    ...imports(ir, f),
    "",
    "log = logging.getLogger(__name__)",
    "",
    `DOC = ${py(docText(ir))}`,
    `DBT_PROJECT_DIR = ${py(a.dbtProjectDir)}`,
    `DBT_PROFILES_DIR = ${py(a.dbtProfilesDir)}`,
    "# Paths reach bash through params, whose values are not themselves rendered as Jinja.",
    'DBT_ENV = {"DBT_PROJECT_DIR": "{{ params.dbt_project_dir }}", "DBT_PROFILES_DIR": "{{ params.dbt_profiles_dir }}"}',
    "",
    "",
    "def notify_failure(context):",
    '    """Logs which task failed, on which try, with its log URL; replace with your alerting."""',
    '    ti = context["task_instance"]',
    "    # log_url is not on every Airflow 3 task-instance type; the rest is on both versions.",
    `    log.error("lakec %s: task %s failed (try %s, run %s): %s", ${py(ir.name)}, ti.task_id, ti.try_number, context["run_id"], getattr(ti, "log_url", ""))`,
    "",
    "",
    "default_args = {",
    `    "owner": ${py(a.owner)},`,
    `    "retries": ${a.retries},`,
    `    "retry_delay": timedelta(minutes=${a.retryDelayMinutes}),`,
    '    "retry_exponential_backoff": True,',
    `    "max_retry_delay": timedelta(minutes=${a.maxRetryDelayMinutes}),`,
    '    "on_failure_callback": notify_failure,',
    "}",
    "",
    "with DAG(",
    `    dag_id=${py(dagId(ir))},`,
    `    schedule=${scheduleExpr(ir, f)},`,
    '    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),',
    "    catchup=False,",
    "    max_active_runs=1,",
    "    default_args=default_args,",
    '    params={"dbt_project_dir": DBT_PROJECT_DIR, "dbt_profiles_dir": DBT_PROFILES_DIR},',
    `    tags=[${a.tags.map(py).join(", ")}],`,
    "    doc_md=DOC,",
    ") as dag:",
    ...tasks(ir),
    "",
  ].join("\n");
}
