// Step Functions conformance: the generated state machine executed in aws-local-stepfunctions,
// over the reference pipelines and every-option, with the AWS calls mocked.
// Error handling (Retry, Catch, States.TaskFailed as a wildcard):
//   https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
// A failed `.sync` Glue job run fails the Task with its JobRun as the cause:
//   https://docs.aws.amazon.com/step-functions/latest/dg/connect-glue.html
import { createRequire } from "node:module";
import { StateMachine } from "aws-local-stepfunctions";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { AIRFLOW_ERROR, DATA_ERROR_CLASS, DEDUPE_STATE, GLUE_STEP_ERROR, STATE } from "../../targets/stepfunctions/index.js";
import { airflowApi, ARRIVAL, deliveriesTable, event, failureOf, glueError, polyfillWithResolvers } from "../support/asl-helpers.js";
import { conformancePipelines } from "../support/conformance-fixtures.js";
import { processedDatasetUris } from "../../targets/airflow/index.js";

beforeAll(polyfillWithResolvers);

const aslValidator = createRequire(import.meta.url)("asl-validator") as (d: unknown) => {
  isValid: boolean;
  errorsText: (sep?: string) => string;
};
const NO_WAIT = { [STATE.clean]: 0, [STATE.cleanTask]: 0, [STATE.flatten]: 0, [STATE.flattenTask]: 0, [STATE.notifyFailure]: 0 };

/** What Step Functions raises for a Glue run that ended in `state` with `message`. */
const failedRun = (state: "FAILED" | "TIMEOUT" | "ERROR", message: string): Error =>
  glueError("States.TaskFailed", JSON.stringify({ Id: "jr_1", JobName: "lakec-x-clean", JobRunState: state, ErrorMessage: message }));

describe.each(conformancePipelines())("Step Functions conformance: $file", ({ ir, files }) => {
  const def = JSON.parse(files.get(`generated/${ir.name}/stepfunctions/state-machine.asl.json`)!) as Record<string, unknown>;
  const key = `${ir.sources[0]!.prefix}2026/11/27/a.jsonl`;
  const input = event(key, ir.aws.rawBucket);
  const uris = processedDatasetUris(ir);

  /** Runs one execution with the clean job failing per `clean`; counts its attempts and alerts. */
  async function runWithClean(clean: (attempt: number) => Error | undefined) {
    let attempts = 0;
    const alerts: Record<string, unknown>[] = [];
    const ok = (id: string) => async () => ({ Id: id, JobRunState: "SUCCEEDED" });
    const run = new StateMachine(def as never).run(input as never, {
      overrides: {
        taskResourceLocalHandlers: {
          ...ARRIVAL,
          [DEDUPE_STATE.claim]: deliveriesTable().putItem as never,
          ...(airflowApi(uris).handlers as Record<string, never>),
          [STATE.cleanTask]: (async () => {
            const e = clean(++attempts);
            if (e) throw e;
            return { Id: `jr_c${attempts}`, JobRunState: "SUCCEEDED" };
          }) as never,
          [STATE.flattenTask]: ok("jr_f") as never,
          [STATE.notifyFailure]: (async (i: Record<string, unknown>) => (alerts.push(i), { MessageId: "m" })) as never,
        },
        retryIntervalOverrides: NO_WAIT,
      },
    });
    const outcome = await run.result.then(
      (out) => ({ ok: true as const, out: out as Record<string, unknown> }),
      () => ({ ok: false as const }),
    );
    return { attempts, alerts, outcome, failure: outcome.ok ? undefined : await failureOf(run.result) };
  }

  it("is valid ASL", () => {
    expect(aslValidator(def).errorsText("\n")).toBe("");
  });

  it("does not retry a deterministic data failure: one run, the alert, lakec.DataError", async () => {
    const r = await runWithClean(() =>
      failedRun("FAILED", `${DATA_ERROR_CLASS}: on_invalid is 'fail' and 3 records are invalid {'not_castable': 3}; nothing was published`),
    );
    expect(r.attempts).toBe(1);
    expect(r.failure?.name).toBe(GLUE_STEP_ERROR.data);
    expect(r.alerts).toHaveLength(1);
    expect(r.alerts[0]!.Message).toMatchObject({ step: "clean", error: GLUE_STEP_ERROR.data, key });
    expect(String((r.alerts[0]!.Message as Record<string, unknown>).cause)).toContain("nothing was published");
  });

  it("does not retry a reconciliation mismatch", async () => {
    const r = await runWithClean(() =>
      failedRun("FAILED", `Error Category: UNCLASSIFIED_ERROR; ${DATA_ERROR_CLASS}: counts do not reconcile: records_in 10 != … = 9`),
    );
    expect([r.attempts, r.failure?.name]).toEqual([1, GLUE_STEP_ERROR.data]);
  });

  it("retries a transient failed run twice, then alerts", async () => {
    const r = await runWithClean(() => failedRun("FAILED", "Container killed by YARN: ExecutorLostFailure"));
    expect([r.attempts, r.failure?.name, r.alerts.length]).toEqual([3, GLUE_STEP_ERROR.failed, 1]);
  });

  it("recovers when a retried run succeeds", async () => {
    const r = await runWithClean((n) => (n === 1 ? failedRun("ERROR", "S3 SlowDown") : undefined));
    expect(r.attempts).toBe(2);
    expect(r.outcome).toMatchObject({ ok: true, out: { cleanJobRunId: "jr_c2" } });
  });

  it("does not rerun a job that reached its timeout", async () => {
    const r = await runWithClean(() => failedRun("TIMEOUT", "Job run timed out"));
    expect([r.attempts, r.failure?.name]).toEqual([1, GLUE_STEP_ERROR.timeout]);
  });

  it("keeps retrying Glue's concurrency limit on the Task, and other API errors keep their names", async () => {
    const busy = await runWithClean((n) => (n <= 5 ? glueError("Glue.ConcurrentRunsExceededException", "busy") : undefined));
    expect([busy.attempts, busy.outcome.ok]).toEqual([6, true]);
    const missing = await runWithClean(() => glueError("Glue.EntityNotFoundException", "no such job"));
    expect([missing.attempts, missing.failure?.name]).toEqual([1, "Glue.EntityNotFoundException"]);
  });

  // EventBridge delivers at least once, S3 notifications too: a repeated delivery of one object
  // version must not run the jobs again.
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html (at-least-once delivery)
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html ("… delivered at least once")
  describe("duplicate deliveries", () => {
    const table = deliveriesTable();
    async function deliver(e: Record<string, unknown>) {
      const jobs: string[] = [];
      const glue = (name: string) => async () => (jobs.push(name), { Id: `jr_${name}`, JobRunState: "SUCCEEDED" });
      const out = await new StateMachine(def as never).run(e as never, {
        overrides: {
          taskResourceLocalHandlers: {
            ...ARRIVAL,
            [DEDUPE_STATE.claim]: table.putItem as never,
            ...(airflowApi(uris).handlers as Record<string, never>),
            [STATE.cleanTask]: glue("clean") as never,
            [STATE.flattenTask]: glue("flatten") as never,
          },
        },
      }).result;
      return { jobs, out };
    }
    const withId = (e: ReturnType<typeof event>, id: string) => ({ ...e, id });

    it("runs the jobs once for one object version, however often and under whichever event id it arrives", async () => {
      const first = event(key, ir.aws.rawBucket, "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY");
      expect((await deliver(first)).jobs).toEqual(["clean", "flatten"]);
      expect((await deliver(first)).jobs).toEqual([]);
      expect((await deliver(withId(first, "b6f9a0e2-second-s3-notification"))).jobs).toEqual([]);
      expect([...table.items.keys()]).toContain(`s3://${ir.aws.rawBucket}/${key}?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY`);
    });

    it("runs a new version of the same key", async () => {
      expect((await deliver(event(key, ir.aws.rawBucket, "v2-UIORUnfndfhnw89493jJFJ"))).jobs).toEqual(["clean", "flatten"]);
    });

    it("keys an unversioned event by its sequencer, and a backfill (neither) by its event id", async () => {
      const unversioned = event(`${ir.sources[0]!.prefix}unversioned.jsonl`, ir.aws.rawBucket);
      expect((await deliver(unversioned)).jobs).toHaveLength(2);
      expect((await deliver(withId(unversioned, "other-id"))).jobs).toEqual([]);
      const backfill = (id: string) => {
        const e = event(`${ir.sources[0]!.prefix}old.jsonl`, ir.aws.rawBucket);
        const { sequencer: _s, ...object } = e.detail.object;
        return { ...e, id, detail: { ...e.detail, object } };
      };
      expect((await deliver(backfill("lakec-backfill-1"))).jobs).toHaveLength(2);
      expect((await deliver(backfill("lakec-backfill-1"))).jobs).toEqual([]);
      expect((await deliver(backfill("lakec-backfill-2"))).jobs).toHaveLength(2);
    });

    it("alerts and fails when the delivery cannot be claimed, without running a job", async () => {
      const alerts: Record<string, unknown>[] = [];
      let jobs = 0;
      const run = new StateMachine(def as never).run(event(key, ir.aws.rawBucket, "v3") as never, {
        overrides: {
          taskResourceLocalHandlers: {
            ...ARRIVAL,
            [DEDUPE_STATE.claim]: (async () => {
              throw glueError("DynamoDB.AmazonDynamoDBException", "User is not authorized to perform: dynamodb:PutItem");
            }) as never,
            [STATE.cleanTask]: (async () => (jobs++, { Id: "x", JobRunState: "SUCCEEDED" })) as never,
            [STATE.notifyFailure]: (async (i: Record<string, unknown>) => (alerts.push(i), { MessageId: "m" })) as never,
          },
        },
      });
      expect((await failureOf(run.result)).name).toBe("DynamoDB.AmazonDynamoDBException");
      expect(jobs).toBe(0);
      expect(alerts[0]!.Message).toMatchObject({ step: "deduplicate", key });
    });
  });

  // With schedule: dataset and an MWAA environment, the stack tells Airflow: one event per
  // updated table URI, on the Datasets API (Airflow 2.9+) or the Assets API (Airflow 3).
  // https://docs.aws.amazon.com/mwaa/latest/API/API_InvokeRestApi.html
  // https://airflow.apache.org/docs/apache-airflow/2.10.5/stable-rest-api-ref.html#operation/create_dataset_event
  // https://airflow.apache.org/docs/apache-airflow/stable/stable-rest-api-ref.html (POST /assets/events takes asset_id)
  const emitsEvents = ir.airflow.datasetTriggered && ir.airflow.mwaaEnvironment !== undefined;
  describe.skipIf(!emitsEvents)(
    `dataset events for Airflow${emitsEvents ? "" : " [skipped: this pipeline has no schedule: dataset with mwaa_environment]"}`,
    () => {
      const source = ir.sources[0]!;
      const tableUris = ir.tables.filter((t) => t.source === source.name).map((t) => `s3://${ir.aws.processedBucket}/${t.name}/`);
      const run = async (api: ReturnType<typeof airflowApi>, extra: Record<string, unknown> = {}) => {
        const alerts: Record<string, unknown>[] = [];
        const ok = async () => ({ Id: "jr", JobRunState: "SUCCEEDED" });
        const r = new StateMachine(def as never).run(event(`${source.prefix}f.jsonl`, ir.aws.rawBucket, "v1") as never, {
          overrides: {
            taskResourceLocalHandlers: {
              ...ARRIVAL,
              [DEDUPE_STATE.claim]: deliveriesTable().putItem as never,
              [STATE.cleanTask]: ok as never,
              [STATE.flattenTask]: ok as never,
              [STATE.notifyFailure]: (async (i: Record<string, unknown>) => (alerts.push(i), { MessageId: "m" })) as never,
              ...(api.handlers as Record<string, never>),
              ...extra,
            },
            retryIntervalOverrides: { ...NO_WAIT, "Post dataset event": 0, "Find asset": 0, "Post asset event": 0 },
          },
        });
        return { result: r.result, alerts };
      };

      it("posts one event per updated table of the source, to the configured environment", async () => {
        const api = airflowApi(uris);
        await (
          await run(api)
        ).result;
        const posts = api.requests.filter((r) => r.Method === "POST");
        expect(posts.map((p) => p.Name)).toEqual(tableUris.map(() => ir.airflow.mwaaEnvironment));
        const extra = { lakec: { source: source.name, bucket: ir.aws.rawBucket, key: `${source.prefix}f.jsonl` } };
        if (ir.airflow.airflowVersion === 2) {
          expect(posts).toEqual(
            tableUris.map((u) => expect.objectContaining({ Path: "/datasets/events", Body: { dataset_uri: u, extra } })),
          );
        } else {
          const gets = api.requests.filter((r) => r.Method === "GET");
          expect(gets.map((g) => [g.Path, (g.QueryParameters as Record<string, string>).uri_pattern])).toEqual(
            tableUris.map((u) => ["/assets", u]),
          );
          expect(posts).toEqual(
            tableUris.map((u) => expect.objectContaining({ Path: "/assets/events", Body: { asset_id: uris.indexOf(u) + 1, extra } })),
          );
        }
      });

      it("retries a failing Airflow API, then alerts with step airflow", async () => {
        let calls = 0;
        const failing = async () => {
          calls++;
          throw glueError("Mwaa.RestApiServerException", "502 Bad Gateway");
        };
        const { result, alerts } = await run(airflowApi(uris), { "Post dataset event": failing, "Post asset event": failing });
        expect((await failureOf(result)).name).toBe("Mwaa.RestApiServerException");
        // At least one table's event was tried 1 + 4 times (the others stop when the Map fails).
        expect(calls).toBeGreaterThanOrEqual(5);
        expect(alerts[0]!.Message).toMatchObject({ step: "airflow", key: `${source.prefix}f.jsonl` });
      });

      it.skipIf(ir.airflow.airflowVersion === 2)(
        `fails clearly when Airflow has no asset with exactly the table's URI${ir.airflow.airflowVersion === 2 ? " [skipped: Airflow 2 posts dataset events by URI, with no lookup]" : ""}`,
        async () => {
          const { result } = await run(airflowApi(uris.map((u) => `${u}old/`)));
          expect((await failureOf(result)).name).toBe(AIRFLOW_ERROR.assetNotFound);
        },
      );

      it("grants the state machine InvokeRestApi on that environment only", () => {
        const template = parse(files.get(`generated/${ir.name}/cloudformation/template.yaml`)!) as {
          Resources: Record<string, { Properties: { Policies: unknown } }>;
        };
        const policy = JSON.stringify(template.Resources.StateMachineRole!.Properties.Policies);
        expect(policy).toContain(
          `"Action":"airflow:InvokeRestApi","Resource":{"Fn::Sub":"arn:\${AWS::Partition}:airflow:\${AWS::Region}:\${AWS::AccountId}:role/${ir.airflow.mwaaEnvironment}/Op"}`,
        );
      });
    },
  );
});
