// `lakec run --demo`: the bundled synthetic samples, and which one a pipeline gets. A sample is
// chosen by the shape of the pipeline's sources (the raw keys their columns read), not by the
// pipeline's name, so a copy of a reference pipeline under another name still gets its data,
// and a pipeline no sample fits gets a clear error instead of a sample it would quarantine whole.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PipelineIR, SourceIR } from "../compiler/ir.js";
import { generateAmazonReviews } from "../synthetic/amazon.js";
import { generateOrders, gzipText } from "../synthetic/orders.js";
import { generateYelp } from "../synthetic/yelp.js";
import { UsageError } from "./context.js";

interface DemoFile {
  /** The file's name in raw/<prefix>/; a `.gz` name is decompressed on the way in. */
  readonly name: string;
  readonly content: () => string | Buffer;
  /** A few hundred records of the same generator, to match the shape on. */
  readonly shape: () => string;
}

interface Demo {
  /** What the sample is, for --help and errors. */
  readonly title: string;
  readonly files: readonly DemoFile[];
}

const AMAZON = { seed: 2018, records: 2000 };
const YELP = { seed: 2022, businesses: 200, reviews: 2000 };
const ORDERS = { seed: 2024, orders: 2000, cartEvents: 4000 };

/** Cached per run: the Yelp and orders generators make both files at once. */
function once<T>(f: () => T): () => T {
  let v: { value: T } | undefined;
  return () => (v ??= { value: f() }).value;
}

const yelp = once(() => generateYelp(YELP));
const yelpShape = once(() => generateYelp({ ...YELP, businesses: 100, reviews: 200 }));
const orders = once(() => generateOrders(ORDERS));
const ordersShape = once(() => generateOrders({ ...ORDERS, orders: 200, cartEvents: 200 }));

export const DEMOS: readonly Demo[] = [
  {
    title: "2,000 Amazon-style reviews (pipelines/reviews.yaml, storefront.yaml)",
    files: [
      {
        name: "demo-reviews.jsonl",
        content: () => generateAmazonReviews(AMAZON),
        shape: () => generateAmazonReviews({ ...AMAZON, records: 200 }),
      },
    ],
  },
  {
    title: "200 Yelp businesses and 2,000 reviews (pipelines/yelp.yaml)",
    files: [
      { name: "demo-business.jsonl", content: () => yelp().business, shape: () => yelpShape().business },
      { name: "demo-review.jsonl", content: () => yelp().review, shape: () => yelpShape().review },
    ],
  },
  {
    title: "2,000 orders and 4,000 cart events from Firehose, gzip (pipelines/orders.yaml)",
    files: [
      { name: "demo-orders.jsonl.gz", content: () => gzipText(orders().orders), shape: () => ordersShape().orders },
      { name: "demo-cart-events.jsonl.gz", content: () => gzipText(orders().cartEvents), shape: () => ordersShape().cartEvents },
    ],
  },
];

/** The top-level keys the sample's records have. */
function sampleKeys(text: string): Set<string> {
  const keys = new Set<string>();
  for (const line of text.split("\n")) {
    try {
      const r: unknown = JSON.parse(line);
      if (typeof r === "object" && r !== null && !Array.isArray(r)) for (const k of Object.keys(r)) keys.add(k);
    } catch {
      // The samples break a few lines on purpose; the shape is in the others.
    }
  }
  return keys;
}

/**
 * A sample fits a source when every required column reads a key the sample has (by one of its
 * paths) and at least half of the keys the source reads are there: the required keys alone would
 * let a sample fit a source that requires nothing.
 */
function fits(source: SourceIR, keys: ReadonlySet<string>): boolean {
  const heads = (c: SourceIR["columns"][number]): string[] => [c.path, ...(c.alternatives ?? [])].map((p) => p[0]!);
  if (!source.columns.filter((c) => c.required).every((c) => heads(c).some((h) => keys.has(h)))) return false;
  const read = [...new Set(source.columns.flatMap(heads))];
  return read.filter((h) => keys.has(h)).length * 2 >= read.length;
}

/** A sample, each of its files with the source it goes to. */
export interface DemoChoice {
  readonly demo: Demo;
  readonly sources: readonly string[];
}

/** Each file of the first sample whose every file fits a distinct source, with that source. */
export function pickDemo(ir: PipelineIR, source?: string): DemoChoice | undefined {
  const candidates = source === undefined ? ir.sources : ir.sources.filter((s) => s.name === source);
  for (const demo of DEMOS) {
    const taken: string[] = [];
    for (const file of demo.files) {
      const keys = sampleKeys(file.shape());
      const s = candidates.find((c) => !taken.includes(c.name) && fits(c, keys));
      if (!s) break;
      taken.push(s.name);
    }
    if (taken.length === demo.files.length) return { demo, sources: taken };
  }
  return undefined;
}

/** The sample for --demo; a usage error, before anything is written, when none fits. */
export function chooseDemo(ir: PipelineIR, source?: string): DemoChoice {
  const picked = pickDemo(ir, source);
  if (picked) return picked;
  const where = source === undefined ? "this pipeline's sources" : `source ${source}`;
  const samples = DEMOS.map((d) => d.title).join("; ");
  throw new UsageError(`--demo: no bundled sample has the shape of ${where}; the samples are ${samples}. Use --input with your own files`);
}

export interface DemoInputs {
  /** Each file written, with the source it goes to. */
  readonly files: readonly { readonly file: string; readonly source: string }[];
  readonly cleanup: () => Promise<void>;
}

/** Writes the sample's files to a temporary folder. */
export async function writeDemo(choice: DemoChoice): Promise<DemoInputs> {
  const dir = await mkdtemp(join(tmpdir(), "lakec-demo-"));
  const files: { file: string; source: string }[] = [];
  for (const [i, f] of choice.demo.files.entries()) {
    const file = join(dir, f.name);
    await writeFile(file, f.content());
    files.push({ file, source: choice.sources[i]! });
  }
  return { files, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
