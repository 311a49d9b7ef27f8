// The Airflow DAG that runs dbt for one pipeline. It only shells out to dbt, so parsing the
// file is instant: nothing reads the dbt project at import time.
import type { PipelineIR } from "../../compiler/ir.js";
import { physicalNames } from "../cloudformation/names.js";
import { generatedBy, pyComment, pyStr } from "../text-escape.js";

/** Python string literal: JSON escapes are valid Python escapes. */
const py = pyStr;

/**
 * One DAG per pipeline and environment (`reviews_prod_dbt`): environments may run on different
 * schedules and Airflow deployments, and a DAG's runs, retries and alerts are one environment's.
 */
export function dagId(ir: PipelineIR): string {
  return ir.environment ? `${ir.name}_${ir.environment.name}_dbt` : `${ir.name}_dbt`;
}

/**
 * One dataset (asset) per output table, named by its processed-layer prefix. Whatever publishes a
 * table's Parquet (the state machine, through Airflow's dataset-event API) must use these URIs.
 */
export function processedDatasetUris(ir: PipelineIR): string[] {
  return ir.tables.map((t) => `s3://${ir.aws.processedBucket}/${t.name}/`);
}

/**
 * Airflow 3 first, then Airflow 2.9+: the same file imports on both, whichever is installed.
 * Airflow 3 moved DAG and Asset (the renamed Dataset) to the task SDK, `airflow.sdk`, and
 * BashOperator to the standard provider:
 *   https://airflow.apache.org/docs/apache-airflow/stable/installation/upgrading_to_airflow3.html
 *   https://airflow.apache.org/docs/apache-airflow/2.10.5/authoring-and-scheduling/datasets.html
 * In 2.9+ Dataset is imported as Asset, so the schedule expression is the same on both.
 */
export const AIRFLOW_IMPORTS = {
  3: { dag: "airflow.sdk", asset: "airflow.sdk", bash: "airflow.providers.standard.operators.bash" },
  2: { dag: "airflow", asset: "airflow.datasets", bash: "airflow.operators.bash" },
} as const;

function scheduleExpr(ir: PipelineIR): string {
  if (!ir.airflow.datasetTriggered) return py(ir.airflow.schedule);
  // `|`: run when ANY table is updated (a list would wait for all of them).
  return `(\n        ${processedDatasetUris(ir)
    .map((u) => `Asset(${py(u)})`)
    .join("\n        | ")}\n    )`;
}

function imports(ir: PipelineIR): string[] {
  const [a3, a2] = [AIRFLOW_IMPORTS[3], AIRFLOW_IMPORTS[2]];
  const assets = ir.airflow.datasetTriggered;
  return [
    "from __future__ import annotations",
    "",
    "import json",
    "import logging",
    "import os",
    "from datetime import timedelta",
    "",
    "import pendulum",
    "",
    "# Airflow 3 first, then Airflow 2.9+ (where Dataset is Asset's name): one file for both.",
    "try:",
    `    from ${a3.dag} import ${assets ? "DAG, Asset" : "DAG"}`,
    "except ImportError:",
    `    from ${a2.dag} import DAG`,
    ...(assets ? [`    from ${a2.asset} import Dataset as Asset`] : []),
    "try:",
    `    from ${a3.bash} import BashOperator`,
    "except ImportError:",
    `    from ${a2.bash} import BashOperator`,
  ];
}

/** `aws`, `aws-cn` or `aws-us-gov`: the ARN partition of a validated region name. */
function partition(region: string): string {
  return region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
}

/**
 * The environment variable that names the alert topic's ARN for this pipeline (validated name:
 * [a-z0-9_]), and environment: DAGs of several environments may share one Airflow deployment.
 */
export function alertTopicEnv(ir: PipelineIR): string {
  const env = ir.environment ? `_${ir.environment.name.toUpperCase()}` : "";
  return `LAKEC_${ir.name.toUpperCase()}${env}_ALERT_TOPIC_ARN`;
}

function failureCallback(): string[] {
  return [
    "def alert_topic_arn():",
    '    """The stack\'s alert topic (output AlertTopicArn): from ALERT_TOPIC_ENV, or this pipeline\'s',
    '    topic in the account of Airflow\'s AWS credentials."""',
    "    import boto3",
    "",
    "    explicit = os.environ.get(ALERT_TOPIC_ENV)",
    "    if explicit:",
    "        return explicit",
    '    account = boto3.client("sts", region_name=ALERT_REGION).get_caller_identity()["Account"]',
    '    return "arn:%s:sns:%s:%s:%s" % (ALERT_PARTITION, ALERT_REGION, account, ALERT_TOPIC_NAME)',
    "",
    "",
    "def notify_failure(context):",
    '    """Logs the failed task and publishes it to the pipeline\'s SNS alert topic, where the stack\'s',
    "    alarms and failed executions go. Needs sns:Publish on it (and sts:GetCallerIdentity without",
    '    ALERT_TOPIC_ENV); an alert that cannot be sent is logged, never raised."""',
    '    ti = context["task_instance"]',
    '    summary = "lakec %s: task %s failed (try %s, run %s)" % (PIPELINE, ti.task_id, ti.try_number, context["run_id"])',
    "    # log_url is not on every Airflow 3 task-instance type; the rest is on both versions.",
    '    log_url = getattr(ti, "log_url", "")',
    '    log.error("%s: %s", summary, log_url)',
    "    try:",
    "        import boto3",
    "",
    '        message = {"pipeline": PIPELINE, "step": "dbt", "dag_id": ti.dag_id, "task_id": ti.task_id, "try_number": ti.try_number, "run_id": context["run_id"], "log_url": log_url}',
    '        boto3.client("sns", region_name=ALERT_REGION).publish(TopicArn=alert_topic_arn(), Subject=summary[:100], Message=json.dumps(message))',
    "    except Exception:",
    '        log.exception("lakec %s: could not publish the failure alert", PIPELINE)',
  ];
}

function docText(ir: PipelineIR): string {
  const a = ir.airflow;
  const when = a.datasetTriggered
    ? "whenever any processed table of the pipeline is updated (Datasets in Airflow 2.9+, Assets in Airflow 3)."
    : `on the schedule ${a.schedule}.`;
  return [
    `dbt for the lakec pipeline '${ir.name}': source freshness, then \`dbt build\` of tag:${ir.name} and the hand-written models in models/custom/${ir.name}/ (models and their tests).`,
    `Runs ${when}`,
    `A failed task is published to the SNS topic ${physicalNames(ir).alertTopic} (or $${alertTopicEnv(ir)}).`,
    "Imports on Airflow 2.9+ and Airflow 3 alike.",
  ].join("\n");
}

/** Built only from validated names and constants, so a plain single-quoted literal is safe and readable. */
function bash(command: string, target: string | undefined): string {
  if (!/^[a-z0-9_ :/-]+$/.test(command)) throw new Error(`IR invariant: unexpected characters in dbt command '${command}'`);
  return `'dbt ${command} --project-dir "$DBT_PROJECT_DIR" --profiles-dir "$DBT_PROFILES_DIR"${target ? ` --target ${target}` : ""}'`;
}

function tasks(ir: PipelineIR): string[] {
  return [
    "    # A stale source alerts (through the failure callback) but does not block the build.",
    "    source_freshness = BashOperator(",
    '        task_id="dbt_source_freshness",',
    `        bash_command=${bash(`source freshness --select source:${ir.name}`, ir.environment?.name)},`,
    "        env=DBT_ENV,",
    "        append_env=True,",
    "        retries=0,",
    "    )",
    "    build = BashOperator(",
    '        task_id="dbt_build",',
    // The generated models carry the pipeline's tag; hand-written ones are selected by their folder.
    `        bash_command=${bash(`build --select tag:${ir.name} path:models/custom/${ir.name}`, ir.environment?.name)},`,
    "        env=DBT_ENV,",
    "        append_env=True,",
    '        trigger_rule="all_done",',
    "    )",
    "    source_freshness >> build",
  ];
}

export function dagPython(ir: PipelineIR): string {
  const a = ir.airflow;
  return [
    pyComment(generatedBy(ir.sourceFile)),
    ...imports(ir),
    "",
    "log = logging.getLogger(__name__)",
    "",
    `DOC = ${py(docText(ir))}`,
    `PIPELINE = ${py(ir.name)}`,
    `DBT_PROJECT_DIR = ${py(a.dbtProjectDir)}`,
    `DBT_PROFILES_DIR = ${py(a.dbtProfilesDir)}`,
    "# Paths reach bash through params, whose values are not themselves rendered as Jinja.",
    'DBT_ENV = {"DBT_PROJECT_DIR": "{{ params.dbt_project_dir }}", "DBT_PROFILES_DIR": "{{ params.dbt_profiles_dir }}"}',
    `ALERT_TOPIC_NAME = ${py(physicalNames(ir).alertTopic)}`,
    `ALERT_TOPIC_ENV = ${py(alertTopicEnv(ir))}`,
    `ALERT_REGION = ${py(ir.aws.region)}`,
    `ALERT_PARTITION = ${py(partition(ir.aws.region))}`,
    "",
    "",
    ...failureCallback(),
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
    `    schedule=${scheduleExpr(ir)},`,
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
