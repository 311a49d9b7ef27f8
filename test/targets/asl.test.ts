// The generated state machine: valid ASL, catch-alls last, and it really runs: success, a
// retried Glue throttle, and a failure that reaches the alert and ends in Fail.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { StateMachine } from "aws-local-stepfunctions";
import { beforeAll, describe, expect, it } from "vitest";
import { compilePipeline } from "../../compiler/index.js";
import type { PipelineIR } from "../../compiler/ir.js";
import { airflowApi, ARRIVAL, deliveriesTable, event, failureOf, glueError, polyfillWithResolvers } from "../support/asl-helpers.js";
import {
  ASL_PATH,
  DEDUPE_STATE,
  emitStateMachine,
  GLUE_STEP_ERROR,
  matchPattern,
  prefixVariants,
  STATE,
} from "../../targets/stepfunctions/index.js";
import { load } from "../support/load.js";
import { REFERENCE_PIPELINES } from "../support/conformance-fixtures.js";

beforeAll(polyfillWithResolvers);

const aslValidator = createRequire(import.meta.url)("asl-validator") as (d: unknown) => {
  isValid: boolean;
  errorsText: (sep?: string) => string;
};

function definitionOf(ir: PipelineIR): Record<string, unknown> {
  const files = emitStateMachine(ir);
  expect(files.map((f) => f.path)).toEqual([ASL_PATH]);
  return JSON.parse(files[0]!.contents) as Record<string, unknown>;
}

/** Every Retry/Catch list in the definition, with where it is. */
function errorLists(def: Record<string, unknown>): { where: string; errors: string[][] }[] {
  const out: { where: string; errors: string[][] }[] = [];
  const visit = (states: Record<string, Record<string, unknown>>): void => {
    for (const [name, state] of Object.entries(states)) {
      for (const field of ["Retry", "Catch"] as const) {
        const list = state[field] as { ErrorEquals: string[] }[] | undefined;
        if (list) out.push({ where: `${name}.${field}`, errors: list.map((r) => r.ErrorEquals) });
      }
      for (const branch of (state.Branches as { States: Record<string, Record<string, unknown>> }[] | undefined) ?? [])
        visit(branch.States);
      const iterator = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, Record<string, unknown>> } | undefined;
      if (iterator) visit(iterator.States);
    }
  };
  visit(def.States as Record<string, Record<string, unknown>>);
  return out;
}

/** asl-validator does not check this: `States.ALL` must be alone and in the last retrier/catcher. */
function catchAllProblems(def: Record<string, unknown>): string[] {
  return errorLists(def).flatMap(({ where, errors }) =>
    errors.flatMap((eq, i) => {
      if (!eq.includes("States.ALL")) return [];
      if (eq.length > 1) return [`${where}[${i}]: States.ALL must be the only error name`];
      return i === errors.length - 1 ? [] : [`${where}[${i}]: States.ALL is not last`];
    }),
  );
}

const NO_WAIT = {
  [STATE.nextArrival]: 0,
  [STATE.recordArrival]: 0,
  [STATE.clean]: 0,
  [STATE.cleanTask]: 0,
  [STATE.flatten]: 0,
  [STATE.flattenTask]: 0,
  [STATE.notifyFailure]: 0,
};

describe.each(REFERENCE_PIPELINES)("state machine of %s", (file) => {
  const ir = load(file);
  const def = definitionOf(ir);

  it("is valid ASL", () => {
    const result = aslValidator(def);
    expect(result.errorsText("\n")).toBe("");
    expect(result.isValid).toBe(true);
  });

  it("backs off with full jitter and a delay cap in every retrier, and retries Glue throttling", () => {
    type S = { Retry?: Record<string, unknown>[]; Branches?: { States: Record<string, S> }[] };
    const states = def.States as Record<string, S>;
    const all = (ss: Record<string, S>): S[] => Object.values(ss).flatMap((s) => [s, ...(s.Branches ?? []).flatMap((b) => all(b.States))]);
    const retriers = all(states).flatMap((s) => s.Retry ?? []);
    expect(retriers.length).toBeGreaterThan(0);
    for (const r of retriers) {
      expect(r).toMatchObject({
        JitterStrategy: "FULL",
        BackoffRate: expect.any(Number),
        MaxAttempts: expect.any(Number),
        MaxDelaySeconds: expect.any(Number),
      });
    }
    for (const [step, task] of [
      [STATE.clean, STATE.cleanTask],
      [STATE.flatten, STATE.flattenTask],
    ] as const) {
      const errors = states[step]!.Branches![0]!.States[task]!.Retry!.flatMap((r) => r.ErrorEquals as string[]);
      expect(errors).toEqual(
        expect.arrayContaining(["Glue.ConcurrentRunsExceededException", "Glue.ThrottlingException", "Glue.AWSGlueException"]),
      );
      // A failed run is retried by its classified name only (see test/conformance/conformance-stepfunctions.test.ts).
      expect(states[step]!.Retry!.flatMap((r) => r.ErrorEquals as string[])).toEqual([GLUE_STEP_ERROR.failed]);
    }
  });

  it("lists States.ALL last and alone in every Retry and Catch", () => {
    expect(errorLists(def).length).toBeGreaterThan(0);
    expect(catchAllProblems(def)).toEqual([]);
  });

  it("takes the next arrival from an atomic counter and keeps an object version's first arrival", async () => {
    // Step Functions' optimized DynamoDB integration: https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html
    const seen: Record<string, Record<string, unknown>> = {};
    const capture = (state: string, answer: unknown) =>
      (async (input: Record<string, unknown>) => ((seen[state] = input), answer)) as never;
    const glue = (async () => ({ Id: "jr", JobRunState: "SUCCEEDED" })) as never;
    const key = `${ir.sources[0]!.prefix}a.jsonl`;
    const run = new StateMachine(def as never).run(event(key) as never, {
      overrides: {
        taskResourceLocalHandlers: {
          [STATE.nextArrival]: capture(STATE.nextArrival, { Attributes: { next_seq: { N: "7" } } }),
          [STATE.recordArrival]: capture(STATE.recordArrival, { Attributes: { arrival_seq: { N: "7" } } }),
          [DEDUPE_STATE.claim]: deliveriesTable().putItem as never,
          ...(airflowApi().handlers as Record<string, never>),
          [STATE.cleanTask]: glue,
          [STATE.flattenTask]: glue,
        },
      },
    });
    await run.result;
    expect(seen[STATE.nextArrival]).toEqual({
      TableName: "${ArrivalsTableName}",
      Key: { pk: { S: "counter" } },
      UpdateExpression: "ADD next_seq :one",
      ExpressionAttributeValues: { ":one": { N: "1" } },
      ReturnValues: "UPDATED_NEW",
    });
    // One item per object version (key and ETag); if_not_exists keeps the first arrival on a reprocess or a duplicate event.
    expect(seen[STATE.recordArrival]).toEqual({
      TableName: "${ArrivalsTableName}",
      Key: { pk: { S: `object#${key}#b1946ac92492d2347c6235b4d2611184` } },
      UpdateExpression: "SET arrival_seq = if_not_exists(arrival_seq, :seq)",
      ExpressionAttributeValues: { ":seq": { N: "7" } },
      ReturnValues: "ALL_NEW",
    });
  });

  it("routes every source prefix to its source, with its arguments", async () => {
    for (const source of ir.sources) {
      const seen: Record<string, unknown>[] = [];
      const glue = async (input: Record<string, unknown>) => (seen.push(input), { Id: `jr_${seen.length}`, JobRunState: "SUCCEEDED" });
      const sm = new StateMachine(def as never);
      const key = `${source.prefix}2026/11/27/export 1.jsonl`;
      const run = sm.run(event(key) as never, {
        overrides: {
          taskResourceLocalHandlers: {
            ...ARRIVAL,
            [DEDUPE_STATE.claim]: deliveriesTable().putItem as never,
            ...(airflowApi().handlers as Record<string, never>),
            [STATE.cleanTask]: glue as never,
            [STATE.flattenTask]: glue as never,
          },
        },
      });
      const out = (await run.result) as Record<string, unknown>;
      expect(out.source).toBe(source.name);
      expect(out.key).toBe(key);
      expect(out.outputs).toEqual(
        ir.tables.filter((t) => t.source === source.name).map((t) => `s3://${ir.aws.processedBucket}/${t.name}/`),
      );
      expect(out.cleanJobRunId).toBe("jr_1");
      expect(out.flattenJobRunId).toBe("jr_2");
      expect(seen.map((s) => s.JobName)).toEqual(["${CleanJobName}", "${FlattenJobName}"]);
      expect(seen[0]!.Arguments).toEqual({
        "--source": source.name,
        "--raw_bucket": "acme-reviews-raw",
        "--raw_key": key,
        "--event_time": "2026-11-27T10:00:00Z",
        "--event_id": "17793124-05d4-b198-2fde-7ededc63b103",
        // The arrival the object version kept (RecordArrival), not the counter's new value.
        "--arrival_seq": "5",
      });
    }
  });

  it("retries a Glue throttle and then succeeds", async () => {
    let calls = 0;
    const clean = async () => {
      calls += 1;
      if (calls === 1) throw glueError("Glue.ConcurrentRunsExceededException", "Concurrent runs exceeded for lakec-clean");
      return { Id: "jr_ok", JobRunState: "SUCCEEDED" };
    };
    const flatten = async () => ({ Id: "jr_f", JobRunState: "SUCCEEDED" });
    const run = new StateMachine(def as never).run(event(`${ir.sources[0]!.prefix}a.jsonl`) as never, {
      overrides: {
        taskResourceLocalHandlers: {
          ...ARRIVAL,
          [DEDUPE_STATE.claim]: deliveriesTable().putItem as never,
          ...(airflowApi().handlers as Record<string, never>),
          [STATE.cleanTask]: clean as never,
          [STATE.flattenTask]: flatten as never,
        },
        retryIntervalOverrides: NO_WAIT,
      },
    });
    const out = (await run.result) as Record<string, unknown>;
    expect(calls).toBe(2);
    expect(out.cleanJobRunId).toBe("jr_ok");
  });

  it("alerts with the error and the key, then fails with a useful cause", async () => {
    const published: Record<string, unknown>[] = [];
    const key = `${ir.sources[0]!.prefix}bad.jsonl`;
    const flatten = async () => {
      throw glueError("States.TaskFailed", '{"JobRunState":"FAILED","ErrorMessage":"manifest invariant violated"}');
    };
    const run = new StateMachine(def as never).run(event(key) as never, {
      overrides: {
        taskResourceLocalHandlers: {
          ...ARRIVAL,
          [DEDUPE_STATE.claim]: deliveriesTable().putItem as never,
          ...(airflowApi().handlers as Record<string, never>),
          [STATE.cleanTask]: (async () => ({ Id: "jr_c", JobRunState: "SUCCEEDED" })) as never,
          [STATE.flattenTask]: flatten as never,
          [STATE.notifyFailure]: (async (input: Record<string, unknown>) => (published.push(input), { MessageId: "m-1" })) as never,
        },
        retryIntervalOverrides: NO_WAIT,
      },
    });
    const failure = await failureOf(run.result);
    expect(failure.name).toBe(GLUE_STEP_ERROR.failed);
    expect(failure.message).toContain(`flatten failed for s3://acme-reviews-raw/${key}`);
    expect(failure.message).toContain("manifest invariant violated");
    expect(published).toHaveLength(1);
    expect(published[0]!.TopicArn).toBe("${AlertTopicArn}");
    const message = published[0]!.Message as Record<string, unknown>;
    expect(message).toMatchObject({ pipeline: ir.name, step: "flatten", key, error: GLUE_STEP_ERROR.failed, source: ir.sources[0]!.name });
    expect(message.cause).toContain("manifest invariant violated");
  });

  it("still fails with the original error when the alert cannot be published", async () => {
    const run = new StateMachine(def as never).run(event(`${ir.sources[0]!.prefix}x.jsonl`) as never, {
      overrides: {
        taskResourceLocalHandlers: {
          ...ARRIVAL,
          [DEDUPE_STATE.claim]: deliveriesTable().putItem as never,
          ...(airflowApi().handlers as Record<string, never>),
          [STATE.cleanTask]: (async () => {
            throw glueError("Glue.EntityNotFoundException", "job not found");
          }) as never,
          [STATE.notifyFailure]: (async () => {
            throw glueError("SNS.AuthorizationErrorException", "not allowed");
          }) as never,
        },
        retryIntervalOverrides: NO_WAIT,
      },
    });
    const failure = await failureOf(run.result);
    expect(failure.name).toBe("Glue.EntityNotFoundException");
    expect(failure.message).toContain("clean failed");
  });

  it("rejects an input that is not an S3 event", async () => {
    const run = new StateMachine(def as never).run({ detail: { bucket: { name: "b" } } } as never);
    expect((await failureOf(run.result)).name).toBe("lakec.InvalidEvent");
  });

  it("fails an object outside every prefix without running Glue", async () => {
    let glueRuns = 0;
    const glue = async () => (glueRuns++, { Id: "x", JobRunState: "SUCCEEDED" });
    const run = new StateMachine(def as never).run(event("elsewhere/a.jsonl") as never, {
      overrides: {
        taskResourceLocalHandlers: {
          ...ARRIVAL,
          [DEDUPE_STATE.claim]: deliveriesTable().putItem as never,
          ...(airflowApi().handlers as Record<string, never>),
          [STATE.cleanTask]: glue as never,
          [STATE.flattenTask]: glue as never,
        },
      },
    });
    const failure = await failureOf(run.result);
    expect(failure.name).toBe("lakec.UnknownPrefix");
    expect(glueRuns).toBe(0);
  });
});

describe("a source prefix with characters URL encoding changes", () => {
  const text = readFileSync("pipelines/reviews.yaml", "utf8").replace("prefix: reviews/", 'prefix: "exports/dt=2016/"');
  const result = compilePipeline("pipelines/odd.yaml", text);

  it("routes the key in both its plain and its URL-encoded spelling, and nothing else", async () => {
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const def = definitionOf(result.ir!);
    expect(aslValidator(def).isValid).toBe(true);
    const route = async (key: string) => {
      const glue = async () => ({ Id: "jr", JobRunState: "SUCCEEDED" });
      const run = new StateMachine(def as never).run(event(key) as never, {
        overrides: {
          taskResourceLocalHandlers: {
            ...ARRIVAL,
            [DEDUPE_STATE.claim]: deliveriesTable().putItem as never,
            ...(airflowApi().handlers as Record<string, never>),
            [STATE.cleanTask]: glue as never,
            [STATE.flattenTask]: glue as never,
          },
        },
      });
      return run.result.then(
        (out) => (out as { source: string }).source,
        (e: Error & { cause?: Error }) => e.cause?.name ?? e.name,
      );
    };
    expect(await route("exports/dt=2016/a.jsonl")).toBe("product_reviews");
    expect(await route("exports/dt%3D2016/a.jsonl")).toBe("product_reviews");
    expect(await route("exports/dt=2017/a.jsonl")).toBe("lakec.UnknownPrefix");
  });

  it("rejects prefixes with wildcard characters, which IAM resource patterns cannot escape", () => {
    const bad = compilePipeline("pipelines/odd.yaml", text.replace('prefix: "exports/dt=2016/"', 'prefix: "exports/*x/"'));
    expect(bad.ir).toBeUndefined();
    expect(bad.diagnostics.some((d) => d.severity === "error" && d.message.includes("prefix"))).toBe(true);
  });
});

describe("catch-all check", () => {
  it("rejects States.ALL before a specific catcher", () => {
    const def = {
      StartAt: "T",
      States: {
        T: {
          Type: "Task",
          Resource: "arn:aws:states:::glue:startJobRun.sync",
          Catch: [
            { ErrorEquals: ["States.ALL"], Next: "F" },
            { ErrorEquals: ["X"], Next: "F" },
          ],
          End: true,
        },
        F: { Type: "Fail" },
      },
    };
    expect(catchAllProblems(def)).toEqual(["T.Catch[0]: States.ALL is not last"]);
  });
});

describe("prefix matching", () => {
  it("escapes StringMatches wildcards and adds the URL-encoded spelling", () => {
    expect(matchPattern("a*b\\c/")).toBe("a\\*b\\\\c/*");
    expect(prefixVariants("reviews/")).toEqual(["reviews/"]);
    expect(prefixVariants("raw/dt=1 x/")).toEqual(["raw/dt=1 x/", "raw/dt%3D1+x/"]);
  });
});
