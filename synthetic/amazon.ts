// Seeded generator of Amazon-2018-shaped review exports (the shape of the reference pipeline's
// data), with the messiness real exports have, at controllable rates. The demo sample, the
// benchmarks and the engine tests use it, so no third-party data ever needs to be in the repo.
//
// Lines are written the way the 2018 release wrote them (Python json.dumps: `", "` and `": "`
// separators, floats as `5.0`, non-ASCII escaped as \uXXXX), so a parser that only copes with
// JSON.stringify output would not pass by accident.
import { open } from "node:fs/promises";

/** mulberry32: a small, fast 32-bit PRNG; deterministic across platforms and Node versions. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random helpers over one PRNG stream. */
export class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  /** Picks by weight: `[[value, weight], …]`. */
  weighted<T>(xs: readonly (readonly [T, number])[]): T {
    const total = xs.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [v, w] of xs) {
      r -= w;
      if (r < 0) return v;
    }
    return xs[xs.length - 1]![0];
  }
  chars(alphabet: string, n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.next() * alphabet.length)];
    return s;
  }
}

/** Rates are per generated line, in [0, 1]. */
export interface AmazonMessiness {
  /** A required field (reviewerID, asin, overall or unixReviewTime) is absent. */
  readonly missingKey: number;
  /** The line repeats an earlier line byte for byte. */
  readonly exactDuplicate: number;
  /** Same reviewerID/asin/unixReviewTime as an earlier record, different text. */
  readonly keyDuplicate: number;
  /** The line is cut short, so it is not valid JSON. */
  readonly malformed: number;
  /** `overall` is 0.0 or 6.0, outside the [1, 5] range. */
  readonly outOfRange: number;
}

export const DEFAULT_AMAZON_MESSINESS: AmazonMessiness = {
  missingKey: 0.005,
  exactDuplicate: 0.02,
  keyDuplicate: 0.01,
  malformed: 0.001,
  outOfRange: 0.003,
};

export interface AmazonOptions {
  readonly seed: number;
  readonly records: number;
  readonly messiness?: Partial<AmazonMessiness>;
  /** Mean number of words in reviewText (default 40: about the real export's 470 bytes a line). */
  readonly bodyWords?: number;
  /**
   * Review dates, inclusive ISO days (`["2018-09-28", "2018-09-30"]`), uniform in between: a
   * nightly export with late arrivals. Default: a backfill over 2005–2018, mostly the last six years.
   */
  readonly dateRange?: readonly [string, string];
  /** Distinct products and reviewers; defaults scale with `records`. */
  readonly products?: number;
  readonly reviewers?: number;
}

/**
 * What was generated, by kind; every line is exactly one of these. Duplicates only ever repeat
 * valid records, so a correct engine counts exactDuplicates + keyDuplicates as duplicates and
 * missingKey + malformed + outOfRange as invalid (up to chance key collisions between "clean"
 * records, which the default pool sizes make rare).
 */
export interface AmazonStats {
  lines: number;
  bytes: number;
  clean: number;
  exactDuplicates: number;
  keyDuplicates: number;
  missingKey: number;
  malformed: number;
  outOfRange: number;
}

const WORDS = (
  "the this product is great love it works well smell nice skin hair soft bottle price value " +
  "would buy again not worth money dry face cream color size scent lasts long day night gift " +
  "daughter wife recommend fast shipping arrived broken small large perfect fine okay cheap " +
  "quality brand favorite use every after shower light heavy oily sticky fresh clean gentle"
).split(" ");

const SUMMARIES: Record<number, readonly string[]> = {
  1: ["One Star", "Terrible", "Do not buy", "Smells awful", "Broke after a week"],
  2: ["Two Stars", "Disappointed", "Not as described", "Meh"],
  3: ["Three Stars", "It's okay", "Average", "Does the job"],
  4: ["Four Stars", "Pretty good", "Nice product", "Good value"],
  5: ["Five Stars", "Love it!", "Great product", "Excellent Product", "Best ever", "love this stuff"],
};

const STYLE_VALUES: Record<string, readonly string[]> = {
  "Size:": [" 7.0 oz", " 3.4 Fl Oz", " 1 Count", " 16 oz", " Pack of 3", " 250 ml"],
  "Color:": [" Black", " Natural", " Deep Red", " Classic Ice Blue", " 102 Nude"],
  "Flavor:": [" Classic Ice Blue", " Original", " Mint"],
  "Scent Name:": [" Lavender", " Unscented", " Ocean Breeze"],
  "Style Name:": [" Travel", " Refill"],
  "Design:": [" Gift Set"],
};

const NAMES = [
  "Shelly F",
  "houserules18",
  "Adam",
  "Rich K",
  "Kindle Customer",
  "J. Smith",
  "Ren\u00e9e",
  "M\u00fcller",
  "sam",
  "  Lisa M  ",
];
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const DAY_S = 86_400;
const FIRST_DAY = Date.UTC(2005, 0, 1) / 1000 / DAY_S;
const LAST_DAY = Date.UTC(2018, 8, 30) / 1000 / DAY_S;

/** Python's json.dumps escaping: ASCII only. */
export function pyString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** "MM D, YYYY": month zero-padded, day not, as in the 2018 export. */
export function amazonReviewTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  return `${String(d.getUTCMonth() + 1).padStart(2, "0")} ${d.getUTCDate()}, ${d.getUTCFullYear()}`;
}

/** "1234" → "1,234". */
export function withThousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Like the real export, most reviews are from the last six years and a few go back to 2005. */
function reviewDay(rng: Rng, range: readonly [number, number] | undefined): number {
  if (range) return rng.int(range[0], range[1]);
  return rng.chance(0.9) ? rng.int(LAST_DAY - 2300, LAST_DAY) : rng.int(FIRST_DAY, LAST_DAY);
}

function dayRange(r: readonly [string, string] | undefined): readonly [number, number] | undefined {
  if (!r) return undefined;
  const day = (iso: string): number => {
    const ms = Date.parse(`${iso}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(iso) || Number.isNaN(ms)) throw new Error(`synthetic: dateRange day '${iso}' is not YYYY-MM-DD`);
    return ms / 1000 / DAY_S;
  };
  const [a, b] = [day(r[0]), day(r[1])];
  if (a > b) throw new Error(`synthetic: dateRange ${r[0]}..${r[1]} is empty`);
  return [a, b];
}

interface ReviewKey {
  readonly reviewerID: string;
  readonly asin: string;
  readonly unixReviewTime: number;
}

/** A bounded memory of recent lines and keys, so streaming 1M records stays small. */
export class Recent<T> {
  private readonly items: T[] = [];
  private pos = 0;
  constructor(private readonly cap: number) {}
  add(x: T): void {
    if (this.items.length < this.cap) this.items.push(x);
    else this.items[this.pos++ % this.cap] = x;
  }
  pick(rng: Rng): T | undefined {
    return this.items.length === 0 ? undefined : rng.pick(this.items);
  }
}

function words(rng: Rng, mean: number): string {
  const n = Math.max(1, Math.round(mean * (0.3 + 1.4 * rng.next())));
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(rng.pick(WORDS));
  const s = out.join(" ");
  return s[0]!.toUpperCase() + s.slice(1) + ".";
}

function styleJson(rng: Rng): string | undefined {
  if (rng.chance(0.2)) return undefined;
  const keys = [
    rng.weighted<string>([
      ["Size:", 80],
      ["Color:", 10],
      ["Flavor:", 3],
      ["Scent Name:", 3],
      ["Style Name:", 2],
      ["Design:", 1],
    ]),
  ];
  if (rng.chance(0.15)) keys.push(rng.pick(["Color:", "Flavor:", "Scent Name:"]));
  const uniq = [...new Set(keys)];
  return `{${uniq.map((k) => `${pyString(k)}: ${pyString(rng.pick(STYLE_VALUES[k]!))}`).join(", ")}}`;
}

function voteText(rng: Rng): string | undefined {
  if (!rng.chance(0.12)) return undefined;
  const n = rng.chance(0.08) ? rng.int(1000, 25_000) : rng.int(2, 120);
  return withThousands(n);
}

function imageJson(rng: Rng): string | undefined {
  if (!rng.chance(0.02)) return undefined;
  const urls = Array.from(
    { length: rng.int(1, 4) },
    () => `https://images-na.ssl-images-amazon.com/images/I/${rng.chars(ALNUM + "abcdefghijklmnopqrstuvwxyz", 11)}._SY88.jpg`,
  );
  return `[${urls.map(pyString).join(", ")}]`;
}

function reviewerName(rng: Rng): string | undefined {
  if (rng.chance(0.003)) return undefined;
  return rng.chance(0.07) ? "Amazon Customer" : rng.pick(NAMES);
}

type Field = readonly [name: string, json: string | undefined];

/** One review's fields in the export's key order; absent optional fields are `undefined`. */
function reviewFields(rng: Rng, key: ReviewKey, overall: string, bodyWords: number): Field[] {
  const stars = Math.min(5, Math.max(1, Math.round(Number(overall))));
  const vote = voteText(rng);
  const name = reviewerName(rng);
  return [
    ["overall", overall],
    ["vote", vote === undefined ? undefined : pyString(vote)],
    ["verified", rng.chance(0.85) ? "true" : "false"],
    ["reviewTime", pyString(amazonReviewTime(key.unixReviewTime))],
    ["reviewerID", pyString(key.reviewerID)],
    ["asin", pyString(key.asin)],
    ["style", styleJson(rng)],
    ["reviewerName", name === undefined ? undefined : pyString(name)],
    ["reviewText", rng.chance(0.002) ? undefined : pyString(words(rng, bodyWords))],
    ["summary", pyString(rng.pick(SUMMARIES[stars]!))],
    ["unixReviewTime", String(key.unixReviewTime)],
    ["image", imageJson(rng)],
  ];
}

function render(fields: readonly Field[]): string {
  return `{${fields
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `"${k}": ${v}`)
    .join(", ")}}`;
}

type LineKind = "clean" | "exactDuplicate" | "keyDuplicate" | "missingKey" | "malformed" | "outOfRange";

function pickKind(rng: Rng, m: AmazonMessiness): LineKind {
  const r = rng.next();
  let edge = 0;
  for (const k of ["exactDuplicate", "keyDuplicate", "missingKey", "malformed", "outOfRange"] as const) {
    edge += m[k];
    if (r < edge) return k;
  }
  return "clean";
}

/**
 * The generator behind both exports: yields `[line, kind]` one at a time. A duplicate needs an
 * earlier valid record; while there is none, it is generated as a clean record instead.
 */
export function* amazonReviewLines(opts: AmazonOptions): Generator<readonly [string, LineKind]> {
  const m = { ...DEFAULT_AMAZON_MESSINESS, ...opts.messiness };
  const rng = new Rng(opts.seed);
  const products = Array.from({ length: opts.products ?? Math.max(10, Math.ceil(opts.records / 40)) }, () => `B0${rng.chars(ALNUM, 8)}`);
  const reviewerCount = opts.reviewers ?? Math.max(20, Math.ceil(opts.records / 3));
  const reviewerId = (i: number): string => `A${new Rng(opts.seed ^ (i * 2654435761)).chars(ALNUM, 13)}`;
  const lines = new Recent<string>(256);
  const keys = new Recent<ReviewKey>(4096);
  const bodyWords = opts.bodyWords ?? 40;
  const days = dayRange(opts.dateRange);
  for (let i = 0; i < opts.records; i++) {
    let kind = pickKind(rng, m);
    if (kind === "exactDuplicate") {
      const prev = lines.pick(rng);
      if (prev !== undefined) {
        yield [prev, kind];
        continue;
      }
      kind = "clean";
    }
    const earlier = kind === "keyDuplicate" ? keys.pick(rng) : undefined;
    if (kind === "keyDuplicate" && earlier === undefined) kind = "clean";
    const key: ReviewKey = earlier ?? {
      reviewerID: reviewerId(rng.int(0, reviewerCount - 1)),
      asin: rng.pick(products),
      unixReviewTime: reviewDay(rng, days) * DAY_S,
    };
    const stars = rng.weighted([
      [5, 60],
      [4, 18],
      [3, 9],
      [2, 5],
      [1, 8],
    ] as const);
    const overall = kind === "outOfRange" ? rng.pick(["0.0", "6.0"]) : `${stars}.0`;
    let fields = reviewFields(rng, key, overall, bodyWords);
    if (kind === "missingKey") {
      const drop = rng.pick(["reviewerID", "asin", "overall", "unixReviewTime"]);
      fields = fields.filter(([k]) => k !== drop);
    }
    let line = render(fields);
    if (kind === "malformed") line = line.slice(0, rng.int(1, line.length - 2));
    // Only valid records are repeated or re-keyed, so each generated kind maps to one outcome.
    if (kind === "clean" || kind === "keyDuplicate") {
      keys.add(key);
      lines.add(line);
    }
    yield [line, kind];
  }
}

function count(stats: AmazonStats, line: string, kind: LineKind): void {
  stats.lines++;
  stats.bytes += Buffer.byteLength(line) + 1;
  stats[kind === "clean" ? "clean" : kind === "exactDuplicate" ? "exactDuplicates" : kind === "keyDuplicate" ? "keyDuplicates" : kind]++;
}

const emptyStats = (): AmazonStats => ({
  lines: 0,
  bytes: 0,
  clean: 0,
  exactDuplicates: 0,
  keyDuplicates: 0,
  missingKey: 0,
  malformed: 0,
  outOfRange: 0,
});

/** The whole export as one string, one record per line, newline-terminated. */
export function generateAmazonReviews(opts: AmazonOptions): string {
  const out: string[] = [];
  for (const [line] of amazonReviewLines(opts)) out.push(line);
  return out.length === 0 ? "" : out.join("\n") + "\n";
}

/**
 * Writes the export to `file` in ~1 MB chunks, never holding more than that in memory, so a
 * 1M-record or 2 GB file can be produced for the benchmarks and the memory tests.
 */
export async function writeAmazonReviews(file: string, opts: AmazonOptions): Promise<AmazonStats> {
  const stats = emptyStats();
  const fh = await open(file, "w");
  try {
    let chunk: string[] = [];
    let size = 0;
    for (const [line, kind] of amazonReviewLines(opts)) {
      count(stats, line, kind);
      chunk.push(line);
      size += line.length + 1;
      if (size >= 1 << 20) {
        await fh.write(chunk.join("\n") + "\n");
        chunk = [];
        size = 0;
      }
    }
    if (chunk.length > 0) await fh.write(chunk.join("\n") + "\n");
  } finally {
    await fh.close();
  }
  return stats;
}
