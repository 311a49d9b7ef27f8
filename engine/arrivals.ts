// The local twin of the state machine's arrivals table (a DynamoDB table in the cloud, see
// targets/stepfunctions/definition.ts): the pipeline's arrival counter and the arrival of each
// raw object version, in state/arrivals.json. The NextArrival and RecordArrival Task states run
// against it with the same semantics as their UpdateItem calls: ADD on the counter, and
// `if_not_exists` on the object version's item, so a version keeps its first arrival.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ARRIVALS } from "../targets/stepfunctions/index.js";
import { rawFile, type LakePaths } from "./lake.js";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** `{ pk: { next_seq | arrival_seq: number } }`, the items the cloud table would hold. */
type Items = Record<string, Record<string, number>>;

const fileOf = (paths: LakePaths): string => join(paths.root, "state", "arrivals.json");

async function readItems(paths: LakePaths): Promise<Items> {
  try {
    return JSON.parse(await readFile(fileOf(paths), "utf8")) as Items;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw e;
  }
}

async function writeItems(paths: LakePaths, items: Items): Promise<void> {
  const file = fileOf(paths);
  await mkdir(join(paths.root, "state"), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(items)}\n`);
  await rename(tmp, file);
}

/** S3's ETag of a single-part upload: the content's MD5, hex (the event carries it unquoted). */
export async function localEtag(path: string): Promise<string> {
  const h = createHash("md5");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest("hex");
}

interface UpdateItemInput {
  readonly Key?: { readonly pk?: { readonly S?: string } };
  readonly ExpressionAttributeValues?: Record<string, { readonly N?: string }>;
}

/** The two DynamoDB Task states, as local handlers; the caller serialises calls on one lake. */
export function arrivalHandlers(paths: LakePaths): { next: (input: Json) => Promise<Json>; record: (input: Json) => Promise<Json> } {
  const update = async (
    input: Json,
    apply: (items: Items, pk: string, values: NonNullable<UpdateItemInput["ExpressionAttributeValues"]>) => Record<string, number>,
  ): Promise<Json> => {
    const req = input as UpdateItemInput;
    const pk = req.Key?.pk?.S;
    if (pk === undefined) throw new Error(`arrivals: UpdateItem without a string key ${ARRIVALS.partitionKey}`);
    const items = await readItems(paths);
    const attributes = apply(items, pk, req.ExpressionAttributeValues ?? {});
    await writeItems(paths, items);
    return { Attributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { N: String(v) }])) };
  };
  return {
    next: (input) =>
      update(input, (items, pk, values) => {
        const item = (items[pk] ??= {});
        const next = (item[ARRIVALS.counterAttribute] ?? 0) + Number(values[":one"]?.N ?? "1");
        item[ARRIVALS.counterAttribute] = next;
        return { [ARRIVALS.counterAttribute]: next };
      }),
    record: (input) =>
      update(input, (items, pk, values) => {
        const seq = Number(values[":seq"]?.N);
        if (!Number.isSafeInteger(seq)) throw new Error(`arrivals: RecordArrival got no integer :seq for ${pk}`);
        const item = (items[pk] ??= {});
        item[ARRIVALS.arrivalAttribute] ??= seq;
        return { ...item };
      }),
  };
}

const natural = new Intl.Collator("en", { numeric: true });

/**
 * The order a batch of raw files is processed in, which is the order they get arrivals: the
 * order they landed (modification time, whole seconds, as S3 event times have), then the key in
 * natural order, so `export-9` comes before `export-10` when both landed in the same second.
 */
export async function inArrivalOrder(paths: LakePaths, keys: readonly string[]): Promise<string[]> {
  const landed = await Promise.all(
    keys.map(async (k) => ({
      k,
      s: await stat(rawFile(paths, k)).then(
        (st) => Math.floor(st.mtimeMs / 1000),
        () => Number.MAX_SAFE_INTEGER,
      ),
    })),
  );
  return landed.sort((a, b) => a.s - b.s || natural.compare(a.k, b.k) || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0)).map((x) => x.k);
}
