// Tells Airflow that a file's tables were published, so the DAG scheduled on them (schedule:
// dataset) runs: one event per updated table URI, through Amazon MWAA's InvokeRestApi called
// with Step Functions' AWS SDK integration. No Lambda, no stored credential: MWAA authorises the
// call with the state machine's IAM role, mapped to an Airflow role.
// - Airflow 2.9+: POST /datasets/events with {dataset_uri}
//   https://airflow.apache.org/docs/apache-airflow/2.10.5/stable-rest-api-ref.html#operation/create_dataset_event
// - Airflow 3: POST /assets/events takes the asset's id, so GET /assets?uri_pattern=<uri> first
//   and check the match is exact: https://airflow.apache.org/docs/apache-airflow/stable/stable-rest-api-ref.html
// InvokeRestApi: https://docs.aws.amazon.com/mwaa/latest/API/API_InvokeRestApi.html
// AWS SDK integrations: https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html
import type { PipelineIR } from "../../compiler/ir.js";
import type { Json, State } from "./asl-types.js";

export const AIRFLOW_STATE = {
  notify: "NotifyAirflow",
  postDataset: "Post dataset event",
  findAsset: "Find asset",
  checkAsset: "Check asset",
  assetNotFound: "Asset not found",
  postAsset: "Post asset event",
} as const;

export const AIRFLOW_ERROR = { assetNotFound: "lakec.AirflowAssetNotFound" } as const;

const INVOKE = "arn:aws:states:::aws-sdk:mwaa:invokeRestApi";

// MWAA answers Airflow's 4xx and 5xx as errors of the call; a webserver restart or a scheduler
// busy with a burst is transient, so every failure gets a few tries before the alert.
const RETRY: Json = [
  { ErrorEquals: ["States.TaskFailed"], IntervalSeconds: 5, MaxAttempts: 4, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: "FULL" },
];

/** Recorded with the event, so a DAG run can tell which raw file caused it. */
const EXTRA: Json = { lakec: { "source.$": "$.source", "bucket.$": "$.bucket", "key.$": "$.key" } };

function invoke(environment: string, method: "GET" | "POST", path: string, more: State): State {
  return { Type: "Task", Resource: INVOKE, Parameters: { Name: environment, Method: method, Path: path, ...more }, Retry: RETRY };
}

function iterator(ir: PipelineIR, environment: string): Json {
  if (ir.airflow.airflowVersion === 2) {
    return {
      StartAt: AIRFLOW_STATE.postDataset,
      States: {
        [AIRFLOW_STATE.postDataset]: {
          ...invoke(environment, "POST", "/datasets/events", { Body: { "dataset_uri.$": "$.uri", extra: EXTRA } }),
          End: true,
        },
      },
    };
  }
  return {
    StartAt: AIRFLOW_STATE.findAsset,
    States: {
      [AIRFLOW_STATE.findAsset]: {
        ...invoke(environment, "GET", "/assets", { QueryParameters: { "uri_pattern.$": "$.uri" } }),
        ResultSelector: { "assets.$": "$.RestApiResponse.assets" },
        ResultPath: "$.found",
        Next: AIRFLOW_STATE.checkAsset,
      },
      // uri_pattern is a substring match: only an asset with exactly this URI is the DAG's.
      [AIRFLOW_STATE.checkAsset]: {
        Type: "Choice",
        Choices: [
          {
            And: [
              { Variable: "$.found.assets[0].uri", IsPresent: true },
              { Variable: "$.found.assets[0].uri", StringEqualsPath: "$.uri" },
            ],
            Next: AIRFLOW_STATE.postAsset,
          },
        ],
        Default: AIRFLOW_STATE.assetNotFound,
      },
      [AIRFLOW_STATE.assetNotFound]: {
        Type: "Fail",
        Error: AIRFLOW_ERROR.assetNotFound,
        Cause: "Airflow has no asset with this table's URI: is the DAG deployed and parsed?",
      },
      [AIRFLOW_STATE.postAsset]: {
        ...invoke(environment, "POST", "/assets/events", { Body: { "asset_id.$": "$.found.assets[0].id", extra: EXTRA } }),
        End: true,
      },
    },
  };
}

/** The Map state over the published table URIs, or undefined when nothing needs telling. */
export function airflowEventsState(ir: PipelineIR, next: string, onError: string): State | undefined {
  const environment = ir.airflow.mwaaEnvironment;
  if (!ir.airflow.datasetTriggered || environment === undefined) return undefined;
  return {
    Type: "Map",
    Comment: `One Airflow ${ir.airflow.airflowVersion === 2 ? "dataset" : "asset"} event per published table, on MWAA environment ${environment}`,
    ItemsPath: "$.outputs",
    Parameters: { "uri.$": "$$.Map.Item.Value", "source.$": "$.source", "bucket.$": "$.bucket", "key.$": "$.key" },
    Iterator: iterator(ir, environment),
    ResultPath: null,
    Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: onError }],
    Next: next,
  };
}
