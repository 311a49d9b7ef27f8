// Runs one raw file through the compiled state machine (targets/stepfunctions), executed by
// aws-local-stepfunctions with local task handlers: Clean and Flatten are the engine's stages,
// the SNS alert goes to state/alerts.jsonl. Routing, retries and the failure path are the
// definition's own, so they behave locally as they will in the cloud.
import { appendFile, lstat, mkdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ExecutionError, StateMachine } from "aws-local-stepfunctions";
import type { PipelineIR } from "../compiler/ir.js";
import { AIRFLOW_STATE, buildDefinition, DATA_ERROR_CLASS, DEDUPE_STATE, STATE } from "../targets/stepfunctions/index.js";
import { arrivalHandlers, localEtag } from "./arrivals.js";
import { FileJob, InvalidRecordsError, ReconciliationError, type FileSummary } from "./file-job.js";
import type { Lake } from "./open-lake.js";

// aws-local-stepfunctions 3 is written for Node 22: its Retry uses Promise.withResolvers.
const P = Promise as unknown as { withResolvers?: unknown };
P.withResolvers ??= function withResolvers<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The EventBridge "Object Created" event S3 would send for this raw file. */
export async function objectCreatedEvent(ir: PipelineIR, rawPath: string, rawKey: string, input: string): Promise<Json> {
  const st = await stat(rawPath);
  return {
    version: "0",
    id: `lakec-local-${input}`,
    "detail-type": "Object Created",
    source: "aws.s3",
    account: "000000000000",
    // EventBridge times have whole seconds; the Clean task turns this into `_ingested_at`.
    time: new Date(Math.floor(st.mtimeMs / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: ir.aws.region,
    resources: [`arn:aws:s3:::${ir.aws.rawBucket}`],
    detail: {
      version: "0",
      bucket: { name: ir.aws.rawBucket },
      object: { key: rawKey, size: st.size, etag: await localEtag(rawPath) },
      reason: "PutObject",
    },
  };
}

/** What a failed Glue job run looks like to Step Functions: States.TaskFailed with a JSON cause. */
function asTaskFailure(e: unknown): Error {
  const message = e instanceof Error ? e.message : String(e);
  const data = e instanceof InvalidRecordsError || e instanceof ReconciliationError;
  const kind = data ? e.name : "lakec.EngineError";
  // A data failure's cause names the Glue jobs' exception class, which the state machine does not retry.
  const cause = { JobRunState: "FAILED", ErrorMessage: `${kind}: ${message}`, ...(data ? { ErrorClass: DATA_ERROR_CLASS } : {}) };
  return Object.assign(new Error(JSON.stringify(cause)), { name: "States.TaskFailed" });
}

function glueHandler(job: FileJob, step: "clean" | "flatten") {
  let attempt = 0;
  return async (input: Json): Promise<Json> => {
    const args = (input as { Arguments?: Record<string, string> }).Arguments ?? {};
    if (args["--raw_key"] !== job.rawKey) throw new Error(`state machine passed --raw_key ${String(args["--raw_key"])} for ${job.rawKey}`);
    attempt++;
    try {
      await (step === "clean" ? job.clean(args["--event_time"], args["--arrival_seq"]) : job.flatten());
    } catch (e) {
      const failure = asTaskFailure(e);
      job.lastError = failure.message;
      throw failure;
    }
    return { Id: `jr_local_${job.input}_${step}_${attempt}`, JobRunState: "SUCCEEDED" };
  };
}

/** The failure message Step Functions ends with, minus the JSON wrapping of the Glue cause. */
function failureReason(e: unknown): string {
  const cause = e instanceof ExecutionError ? (e as Error & { cause?: Error }).cause : undefined;
  const text =
    cause?.message ?? ((e as { message?: unknown }).message !== undefined ? String((e as { message: unknown }).message) : String(e));
  const inner = /"ErrorMessage":"((?:[^"\\]|\\.)*)"/.exec(text);
  if (!inner) return text;
  let message: string;
  try {
    message = JSON.parse(`"${inner[1]}"`) as string;
  } catch {
    message = inner[1]!;
  }
  // The exception class tells the state machine not to retry; the reason shown is what follows it.
  return message.startsWith(`${DATA_ERROR_CLASS} `) ? message.slice(DATA_ERROR_CLASS.length + 1) : message;
}

const machines = new WeakMap<PipelineIR, StateMachine>();

/** The Task states whose local handlers are the engine's clean and flatten stages. */
const GLUE_TASKS: ReadonlySet<string> = new Set([STATE.cleanTask, STATE.flattenTask]);

/**
 * The definition the local engine executes: the cloud one, with each Glue Task bounded by the
 * Glue job's own timeout (`aws.glue.timeout_minutes`), which is what bounds the run in the cloud.
 * The definition sets no TimeoutSeconds on those Tasks, and aws-local-stepfunctions then applies
 * the States Language default of 60 s: a large file whose clean or flatten took longer (1M
 * records on a loaded machine) failed with States.Timeout, while its work went on in the
 * background, and every later run or `lakec dev` start processed the whole file again.
 */
export function localDefinition(ir: PipelineIR): Record<string, unknown> {
  const definition = buildDefinition(ir) as unknown as Record<string, unknown>;
  const seconds = ir.aws.glue.timeoutMinutes * 60;
  const visit = (states: unknown): void => {
    if (states === null || typeof states !== "object") return;
    for (const [name, state] of Object.entries(states as Record<string, Record<string, unknown>>)) {
      if (state.Type === "Task" && GLUE_TASKS.has(name) && state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined)
        state.TimeoutSeconds = seconds;
      for (const b of (state.Branches as { States?: unknown }[] | undefined) ?? []) visit(b.States);
      const iterator = (state.ItemProcessor ?? state.Iterator) as { States?: unknown } | undefined;
      if (iterator) visit(iterator.States);
    }
  };
  visit(definition.States);
  return definition;
}

/**
 * One StateMachine per IR. Validation is off: asl-validator takes about a second per
 * construction, and the definition is validated where it is generated (test/targets/asl.test.ts).
 */
function machineFor(ir: PipelineIR): StateMachine {
  let m = machines.get(ir);
  if (!m) {
    m = new StateMachine(localDefinition(ir) as never, { validationOptions: { noValidate: true } });
    machines.set(ir, m);
  }
  return m;
}

/**
 * Processes one raw file: skipped when its manifest is current; otherwise one execution of
 * the state machine. Never throws for a bad file; the summary says what happened.
 */
export async function executeFile(lake: Lake, ir: PipelineIR, rawKey: string): Promise<FileSummary> {
  const job = new FileJob(lake, ir, rawKey);
  const unfit = await unfitRawFile(job.rawPath, rawKey);
  if (unfit !== undefined) return job.summary("failed", unfit);
  try {
    if (job.source && (await job.isCurrent())) return job.summary("skipped", "already processed: content and pipeline semantics unchanged");
  } catch (e) {
    // Deleted or unreadable between listing and now (a watcher sees this): report, go on.
    return job.summary("failed", `cannot read raw file: ${e instanceof Error ? e.message : String(e)}`);
  }
  const alerts: Json[] = [];
  const machine = machineFor(ir);
  const arrivals = arrivalHandlers(lake.paths);
  const execution = machine.run((await objectCreatedEvent(ir, job.rawPath, rawKey, job.input)) as never, {
    overrides: {
      taskResourceLocalHandlers: {
        [STATE.nextArrival]: arrivals.next as never,
        [STATE.recordArrival]: arrivals.record as never,
        [STATE.cleanTask]: glueHandler(job, "clean") as never,
        [STATE.flattenTask]: glueHandler(job, "flatten") as never,
        [STATE.notifyFailure]: (async (input: Json) => (alerts.push(input), { MessageId: `local-${alerts.length}` })) as never,
        // One execution per file and run here: the lake's manifests already skip processed files.
        [DEDUPE_STATE.claim]: (async () => ({})) as never,
        // No Airflow here: `lakec dev` runs dbt itself after each file.
        ...Object.fromEntries(
          [AIRFLOW_STATE.postDataset, AIRFLOW_STATE.postAsset].map((name) => [
            name,
            (async () => ({ RestApiStatusCode: 200, RestApiResponse: {} })) as never,
          ]),
        ),
        [AIRFLOW_STATE.findAsset]: (async (input: { QueryParameters: { uri_pattern: string } }) => ({
          RestApiResponse: { assets: [{ id: 1, uri: input.QueryParameters.uri_pattern }] },
        })) as never,
      },
      retryIntervalOverrides: {
        [STATE.nextArrival]: 0,
        [STATE.recordArrival]: 0,
        [STATE.clean]: 0,
        [STATE.cleanTask]: 0,
        [STATE.flatten]: 0,
        [STATE.flattenTask]: 0,
        [STATE.notifyFailure]: 0,
      },
    },
  });
  try {
    await execution.result;
    return job.summary("processed");
  } catch (e) {
    // The library's States.Format drops backslashes from the cause; the handler kept the original.
    const reason = failureReason(job.lastError === undefined ? e : { message: job.lastError });
    if (!job.source) return job.summary("unmatched", reason);
    await job.fail(reason);
    await logAlerts(lake, alerts);
    return job.summary("failed", reason);
  }
}

/**
 * Why a raw entry cannot be processed as the cloud would: a name with a line break or another
 * control character (the event routing and the Glue job's arguments do not carry it intact), or
 * not a regular file. Raw files are immutable objects: a symbolic link's target can change
 * under the lake, and a FIFO would block the reader.
 */
async function unfitRawFile(path: string, rawKey: string): Promise<string | undefined> {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(rawKey))
    return `the file name has a line break or control character (${JSON.stringify(rawKey)}): rename the file`;
  const st = await lstat(path).catch(() => undefined);
  if (!st || st.isFile()) return undefined;
  const what = st.isSymbolicLink()
    ? "a symbolic link"
    : st.isFIFO()
      ? "a FIFO (named pipe)"
      : st.isSocket()
        ? "a socket"
        : "not a regular file";
  return `${what}, not a file: raw files must be regular files (copy it in, or use lakec run --input --link for a hard link)`;
}

async function logAlerts(lake: Lake, alerts: readonly Json[]): Promise<void> {
  if (alerts.length === 0) return;
  const file = join(lake.paths.root, "state", "alerts.jsonl");
  await mkdir(dirname(file), { recursive: true });
  await appendFile(file, alerts.map((a) => `${JSON.stringify(a)}\n`).join(""));
}
