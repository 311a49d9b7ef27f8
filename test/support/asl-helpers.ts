// Running the generated state machine in aws-local-stepfunctions: the Node 20 polyfill it needs,
// an EventBridge "Object Created" event, and the Fail state's error of a failed execution.
import { STATE } from "../../targets/stepfunctions/index.js";

/** aws-local-stepfunctions 3 targets Node 22; on Node 20 its Retry needs Promise.withResolvers. */
export function polyfillWithResolvers(): void {
  const P = Promise as unknown as { withResolvers?: () => unknown };
  P.withResolvers ??= function withResolvers<T>() {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
    return { promise, resolve, reject };
  };
}

export const event = (key: string, bucket = "acme-reviews-raw", versionId?: string) => ({
  version: "0",
  id: "17793124-05d4-b198-2fde-7ededc63b103",
  "detail-type": "Object Created",
  source: "aws.s3",
  account: "111122223333",
  time: "2026-11-27T10:00:00Z",
  region: "eu-west-1",
  resources: [`arn:aws:s3:::${bucket}`],
  detail: {
    version: "0",
    bucket: { name: bucket },
    object: {
      key,
      size: 5,
      etag: "b1946ac92492d2347c6235b4d2611184",
      ...(versionId ? { "version-id": versionId } : {}),
      sequencer: "617f08299329d189",
    },
    reason: "PutObject",
  },
});

/** The Fail state's Error and Cause, unwrapped from the library's ExecutionError. */
export async function failureOf(result: Promise<unknown>): Promise<{ name: string; message: string }> {
  const error = await result.then(
    () => undefined,
    (e: Error) => e,
  );
  if (!error) throw new Error("the execution succeeded but was expected to fail");
  const cause = (error as Error & { cause?: Error }).cause;
  if (!cause) throw error;
  return { name: cause.name, message: cause.message };
}

export const glueError = (name: string, message: string): Error => Object.assign(new Error(message), { name });

/**
 * The deliveries table of the dedupe step (targets/stepfunctions/dedupe.ts) as DynamoDB behaves
 * for a conditional put: the first put of a key succeeds, a second fails its condition.
 */
export function deliveriesTable(): {
  items: Map<string, Record<string, unknown>>;
  putItem: (input: Record<string, unknown>) => Promise<Record<string, never>>;
} {
  const items = new Map<string, Record<string, unknown>>();
  return {
    items,
    putItem: async (input) => {
      const item = input.Item as Record<string, { S: string }>;
      const key = item.delivery!.S;
      if (
        input.ConditionExpression !== "attribute_not_exists(#d)" ||
        (input.ExpressionAttributeNames as Record<string, string>)["#d"] !== "delivery"
      ) {
        throw new Error(`unexpected condition ${String(input.ConditionExpression)}`);
      }
      if (items.has(key)) throw glueError("DynamoDB.ConditionalCheckFailedException", "The conditional request failed");
      items.set(key, item);
      return {};
    },
  };
}

/** The arrival states' two DynamoDB UpdateItem tasks, answering as DynamoDB does: counter 7, and the object's kept arrival 5. */
export const ARRIVAL = {
  [STATE.nextArrival]: (async () => ({ Attributes: { next_seq: { N: "7" } } })) as never,
  [STATE.recordArrival]: (async () => ({ Attributes: { pk: { S: "object#k#e" }, arrival_seq: { N: "5" } } })) as never,
};

/**
 * Airflow's REST API behind MWAA InvokeRestApi, for the NotifyAirflow states
 * (targets/stepfunctions/airflow-events.ts): records every request; knows the given asset URIs.
 */
export function airflowApi(assets: readonly string[] = []): {
  requests: Record<string, unknown>[];
  handlers: Record<string, (input: Record<string, unknown>) => Promise<unknown>>;
} {
  const requests: Record<string, unknown>[] = [];
  const answer = async (input: Record<string, unknown>) => {
    requests.push(input);
    if (input.Method === "GET") {
      const pattern = String((input.QueryParameters as Record<string, string>).uri_pattern);
      const found = assets.map((uri, i) => ({ id: i + 1, uri })).filter((a) => a.uri.includes(pattern));
      return { RestApiStatusCode: 200, RestApiResponse: { assets: found, total_entries: found.length } };
    }
    return { RestApiStatusCode: 200, RestApiResponse: { id: requests.length } };
  };
  return { requests, handlers: { "Post dataset event": answer, "Find asset": answer, "Post asset event": answer } };
}
