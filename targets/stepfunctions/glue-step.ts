// One Glue job step of the state machine, with the retry policy split by what failed:
// - Glue API errors (a burst beyond MaxConcurrentRuns, throttling) are retried on the Task;
// - a failed job run is classified by its cause: a deterministic data failure (the job raised
//   DATA_ERROR_CLASS: on_invalid is fail, or counts do not reconcile) and a job that hit its
//   timeout are not retried; any other failed run (lost executors, S3 slow-downs) is retried;
// - any other error (a missing job, access denied) keeps its name and is not retried.
// A Task cannot retry on its error's cause, so the Task runs in a one-branch Parallel whose
// branch re-raises the run's failure under a lakec error name, and the Parallel retries by name.
// Step Functions reports a failed `.sync` Glue run as States.TaskFailed with the JobRun as cause:
// https://docs.aws.amazon.com/step-functions/latest/dg/connect-glue.html
// Retry/Catch semantics: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
import type { Json, State } from "./asl-types.js";

/** The Python exception class the Glue jobs raise for data failures; its name is in the run's cause. */
export const DATA_ERROR_CLASS = "LakecDataError";

/** Error names a Glue step fails with, after its own retries. */
export const GLUE_STEP_ERROR = {
  /** The job raised DATA_ERROR_CLASS: the same input fails the same way, so never retried. */
  data: "lakec.DataError",
  /** The run reached the job's timeout: a rerun would most likely time out again. */
  timeout: "lakec.JobTimeout",
  /** Any other failed run: retried. */
  failed: "lakec.JobFailed",
} as const;

const GLUE_SYNC = "arn:aws:states:::glue:startJobRun.sync";

// First matching retrier wins.
const GLUE_API_RETRY: Json = [
  // A burst of files beyond MaxConcurrentRuns waits for a slot rather than fails: up to 100
  // tries at most 5 minutes apart (about 4 hours on average with full jitter), so a backlog of
  // hundreds of files drains at the jobs' pace instead of raising alerts.
  {
    ErrorEquals: ["Glue.ConcurrentRunsExceededException"],
    IntervalSeconds: 15,
    MaxAttempts: 100,
    BackoffRate: 2,
    MaxDelaySeconds: 300,
    JitterStrategy: "FULL",
  },
  {
    ErrorEquals: ["Glue.ThrottlingException", "Glue.InternalServiceException", "Glue.OperationTimeoutException", "Glue.AWSGlueException"],
    IntervalSeconds: 5,
    MaxAttempts: 6,
    BackoffRate: 2,
    MaxDelaySeconds: 120,
    JitterStrategy: "FULL",
  },
];

/** A failed run that is neither a data failure nor a timeout: lost executors, S3 slow-downs. */
const FAILED_RUN_RETRY: Json = [
  {
    ErrorEquals: [GLUE_STEP_ERROR.failed],
    IntervalSeconds: 60,
    MaxAttempts: 2,
    BackoffRate: 2,
    MaxDelaySeconds: 300,
    JitterStrategy: "FULL",
  },
];

export interface GlueStepNames {
  /** The Parallel state, as the execution history shows it. */
  readonly step: string;
  /** The Task inside it (the local engine's handlers are keyed by it). */
  readonly task: string;
}

/** The states of the Parallel's branch: run the job, and re-raise a failed run under its lakec name. */
function branch(names: GlueStepNames, jobName: string, args: { readonly [k: string]: Json }): Json {
  const classify = `${names.step}: classify failure`;
  const fail = (error: string): State => ({ Type: "Fail", Error: error, CausePath: "$.error.Cause" });
  return {
    StartAt: names.task,
    States: {
      [names.task]: {
        Type: "Task",
        Resource: GLUE_SYNC,
        Parameters: { JobName: jobName, Arguments: args },
        ResultSelector: { "JobRunId.$": "$.Id", "JobRunState.$": "$.JobRunState" },
        Retry: GLUE_API_RETRY,
        // States.TaskFailed matches every error but States.Timeout: a failed run, and also the
        // Glue API errors the retriers above gave up on, which keep their own names below.
        Catch: [{ ErrorEquals: ["States.TaskFailed"], ResultPath: "$.error", Next: classify }],
        End: true,
      },
      [classify]: {
        Type: "Choice",
        Choices: [
          { Variable: "$.error.Cause", StringMatches: `*${DATA_ERROR_CLASS}*`, Next: `${names.step}: data error` },
          { Variable: "$.error.Cause", StringMatches: '*"JobRunState":"TIMEOUT"*', Next: `${names.step}: timed out` },
          {
            Or: ["FAILED", "ERROR"].map((state) => ({ Variable: "$.error.Cause", StringMatches: `*"JobRunState":"${state}"*` })),
            Next: `${names.step}: run failed`,
          },
        ],
        Default: `${names.step}: other error`,
      },
      [`${names.step}: other error`]: { Type: "Fail", ErrorPath: "$.error.Error", CausePath: "$.error.Cause" },
      [`${names.step}: data error`]: fail(GLUE_STEP_ERROR.data),
      [`${names.step}: timed out`]: fail(GLUE_STEP_ERROR.timeout),
      [`${names.step}: run failed`]: fail(GLUE_STEP_ERROR.failed),
    },
  };
}

export function glueStep(
  names: GlueStepNames,
  jobName: string,
  args: { readonly [k: string]: Json },
  resultPath: string,
  onError: string,
  next: string,
): State {
  return {
    Type: "Parallel",
    Branches: [branch(names, jobName, args)],
    ResultSelector: { "JobRunId.$": "$[0].JobRunId", "JobRunState.$": "$[0].JobRunState" },
    ResultPath: resultPath,
    Retry: FAILED_RUN_RETRY,
    Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: onError }],
    Next: next,
  };
}
