// Docs-site benchmark: `lakec docs` on synthetic pipelines of 1, 50 and 200 sources (the shape of
// bench/compile.ts), measuring the whole command (load, compile every target, emit, write), the
// site's size, and how long pages take to become usable in headless Chromium: the index, a
// source page with its lineage drawn, the pipeline lineage page, one source's scope on it, and
// the whole pipeline's graph drawn at once.
//
//   npm run build && npm run bench:docs -- [--sizes 1,50,200] [--repeat 3] [--keep]
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { main } from "../cli/main.js";
import { artifactsOf } from "../cli/docs.js";
import { compilePipeline } from "../compiler/index.js";
import { DRAW_ALL_UP_TO } from "../targets/docs-site/site-model.js";
import { syntheticPipeline } from "./compile.js";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

interface SiteSize {
  files: number;
  bytes: number;
  largest: { path: string; bytes: number };
}

function siteSize(dir: string): SiteSize {
  let files = 0;
  let bytes = 0;
  let largest = { path: "", bytes: 0 };
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const b = statSync(p).size;
        files++;
        bytes += b;
        if (b > largest.bytes) largest = { path: p.slice(dir.length + 1), bytes: b };
      }
    }
  };
  walk(dir);
  return { files, bytes, largest };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (b: number): string => `${(b / 1e6).toFixed(2)} MB`;
const ms = (x: number): string => `${Math.round(x)} ms`;

async function quiet(argv: string[], cwd: string): Promise<void> {
  let err = "";
  const code = await main(argv, { out: () => undefined, err: (t) => void (err += t), cwd });
  if (code !== 0) throw new Error(`lakec ${argv.join(" ")} failed (${code}): ${err}`);
}

/** Milliseconds from navigation until `selector` is in the DOM (median of `repeat` fresh pages). */
async function pageTime(
  browser: Browser,
  url: string,
  selector: string,
  repeat: number,
  act?: (p: Page) => Promise<void>,
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const t0 = performance.now();
    await page.goto(url, { waitUntil: "load" });
    if (act) {
      await page.waitForSelector("#lineage", { timeout: 300_000 });
      const t1 = performance.now();
      await act(page);
      await page.waitForSelector(selector, { timeout: 300_000 });
      times.push(performance.now() - t1);
    } else {
      await page.waitForSelector(selector, { timeout: 300_000 });
      times.push(performance.now() - t0);
    }
    await page.close();
  }
  return median(times);
}

async function run(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string, dflt: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : dflt);
  const sizes = arg("--sizes", "1,50,200").split(",").map(Number);
  const repeat = Number(arg("--repeat", "3"));
  /** Drawing the whole graph grows much faster than linearly (dagre on a compound graph): skip it above this. */
  const maxWhole = Number(arg("--max-whole", "2000"));
  const dir = mkdtempSync(join(tmpdir(), "lakec-bench-docs-"));
  const browser = existsSync(CHROMIUM)
    ? await chromium.launch({ executablePath: CHROMIUM, headless: true, chromiumSandbox: false, args: FLAGS })
    : undefined;
  const lines = [
    `lakec docs benchmark: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, Node ${process.version}, load average ${loadavg()[0]!.toFixed(2)}, median of ${repeat}`,
    browser ? `browser: ${browser.version()} (headless)` : `browser: none (${CHROMIUM} missing): page times not measured`,
    "",
    "| sources | columns in lineage | lakec docs | of which the other targets | files | site size | largest file | index | source page + lineage | lineage page | one source on it | whole graph drawn |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  try {
    for (const n of sizes) {
      const file = join(dir, `bench-${n}.yaml`);
      writeFileSync(file, syntheticPipeline(n));
      const out = join(dir, `site-${n}`);
      const times: number[] = [];
      for (let i = 0; i < repeat; i++) {
        rmSync(out, { recursive: true, force: true });
        const t0 = performance.now();
        await quiet(["docs", file, "--out", out], dir);
        times.push(performance.now() - t0);
      }
      const size = siteSize(out);
      // The generated files the site shows come from every other target, as `lakec compile` runs them.
      const ir = compilePipeline(file, readFileSync(file, "utf8")).ir!;
      const t0 = performance.now();
      artifactsOf(ir);
      const targetsMs = performance.now() - t0;
      const url = (p: string) => pathToFileURL(join(out, p)).href;
      const nodes = Number(/data-nodes="(\d+)"/.exec(readFileSync(join(out, "p/bench/lineage.html"), "utf8"))![1]);
      let page = ["–", "–", "–", "–", "–"];
      if (browser) {
        const index = await pageTime(browser, url("index.html"), "table.objects", repeat);
        const source = await pageTime(browser, url("p/bench/source-s001_reviews.html"), "#lineage g.node", repeat);
        const lineage = await pageTime(
          browser,
          url("p/bench/lineage.html"),
          nodes > DRAW_ALL_UP_TO ? "#lineage button" : "#lineage g.node",
          repeat,
        );
        const scoped = await pageTime(browser, url("p/bench/lineage.html"), "#lineage g.node", repeat, (p) =>
          p.selectOption("#lineage-scope", { label: "source s001_reviews" }).then(() => undefined),
        );
        // The click's handler lays the graph out synchronously: evaluate returns when it is drawn.
        const draw = (p: Page) => p.evaluate(() => (document.querySelector("#lineage button") as HTMLButtonElement).click());
        const whole =
          nodes <= DRAW_ALL_UP_TO
            ? "drawn on load"
            : nodes <= maxWhole
              ? ms(await pageTime(browser, url("p/bench/lineage.html"), "#lineage g.node", 1, draw))
              : `not measured (> ${maxWhole} columns)`;
        page = [ms(index), ms(source), ms(lineage), ms(scoped), whole];
      }
      lines.push(
        `| ${n} | ${nodes} | ${ms(median(times))} | ${ms(targetsMs)} | ${size.files} | ${mb(size.bytes)} | ${size.largest.path} (${mb(size.largest.bytes)}) | ${page.join(" | ")} |`,
      );
      console.error(lines[lines.length - 1]);
    }
  } finally {
    await browser?.close();
    if (!argv.includes("--keep")) rmSync(dir, { recursive: true, force: true });
    else console.error(`kept ${dir}`);
  }
  console.log(lines.join("\n"));
}

await run();
