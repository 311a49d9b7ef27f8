// `lakec docs --serve`: serves the site, adds the reload script to responses only, rebuilds and
// tells open pages to reload when the pipeline changes, keeps the last good site when it breaks,
// and serves nothing outside the site folder.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { startServe } from "../../cli/docs.js";
import type { CliContext } from "../../cli/context.js";
import type { DocsServer } from "../../cli/docs-serve.js";
import { ROOT } from "../support/docs-fixtures.js";

let cwd = "";
let server: DocsServer | undefined;
let out = "";
let err = "";
const ctx = (): CliContext => ({ io: { out: (t) => void (out += t), err: (t) => void (err += t), cwd }, exit: () => undefined });

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), "lakec-docs-serve-"));
  cpSync(join(ROOT, "pipelines"), join(cwd, "pipelines"), { recursive: true });
  out = "";
  err = "";
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(cwd, { recursive: true, force: true });
});

/** GET with the path sent as written (no URL normalisation), so `..` reaches the server. */
function get(url: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path, method: "GET" }, (res) => {
      let body = "";
      res
        .setEncoding("utf8")
        .on("data", (c: string) => (body += c))
        .on("end", () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", fail).end();
  });
}

/** Resolves with the first `data:` message of the server's event stream. */
function nextEvent(url: string): { ready: Promise<void>; message: Promise<string>; close: () => void } {
  let close = (): void => undefined;
  let ready = (): void => undefined;
  const readyP = new Promise<void>((r) => (ready = r));
  const message = new Promise<string>((ok, fail) => {
    const req = request(new URL("/__lakec/events", url), (res) => {
      res.setEncoding("utf8").on("data", (chunk: string) => {
        if (chunk.startsWith(":")) ready();
        const m = /^data: (.*)$/m.exec(chunk);
        if (m) ok(m[1]!);
      });
    });
    req.on("error", (e) => (e.message.includes("aborted") || e.message.includes("socket hang up") ? undefined : fail(e))).end();
    close = () => req.destroy();
  });
  return { ready: readyP, message, close };
}

describe("lakec docs --serve", () => {
  test("serves the site with a reload script that is not in the files on disk, and nothing outside it", async () => {
    server = await startServe(ctx(), ["pipelines/reviews.yaml"], { out: "site", port: "0" });
    expect(out).toContain(`serving site at ${server.url}`);
    const index = await get(server.url, "/");
    expect(index.status).toBe(200);
    expect(index.body).toContain('new EventSource("/__lakec/events")');
    expect(readFileSync(join(cwd, "site/index.html"), "utf8")).not.toContain("EventSource");
    expect((await get(server.url, "/assets/dagre.min.js")).status).toBe(200);
    for (const path of ["/../pipelines/reviews.yaml", "/..%2fpipelines%2freviews.yaml", "/%2e%2e/pipelines/reviews.yaml", "/nope.html"]) {
      expect((await get(server.url, path)).status, path).toBe(404);
    }
  });

  test("a pipeline edit rebuilds the site and reloads open pages; a broken edit keeps the last good site", async () => {
    server = await startServe(ctx(), ["pipelines/reviews.yaml"], { out: "site", port: "0" });
    const file = join(cwd, "pipelines/reviews.yaml");
    const yaml = readFileSync(file, "utf8");
    const events = nextEvent(server.url);
    await events.ready;
    writeFileSync(file, yaml.replace("Rating trend per product and day.", "Rating trend, edited while serving."));
    expect(await events.message).toBe("reload");
    events.close();
    expect((await get(server.url, "/p/reviews/mart-product_daily_ratings.html")).body).toContain("Rating trend, edited while serving.");
    writeFileSync(file, yaml.replace("trim: true, null_if", "trimm: true, null_if"));
    await server.rebuild();
    expect(err).toMatch(/pipelines\/reviews\.yaml:\d+:\d+ error LK101: unknown key 'trimm'/);
    expect((await get(server.url, "/p/reviews/mart-product_daily_ratings.html")).body).toContain("Rating trend, edited while serving.");
  });
});
