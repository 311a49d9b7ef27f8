// A reader of the local warehouse in another process, as `lakec query` is: DuckDB takes its
// (shared) file lock per process, so only another process shows what a lock does to a writer.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { expect } from "vitest";

/** A reader in another process with `file` open read-only, answering `count <table>` lines until closed. */
export async function holdOpen(file: string): Promise<{ count: (table: string) => Promise<number>; close: () => Promise<void> }> {
  const script = `
    import { DuckDBInstance } from "@duckdb/node-api";
    import { createInterface } from "node:readline";
    const conn = await (await DuckDBInstance.create(process.argv[1], { access_mode: "READ_ONLY" })).connect();
    console.log("ready");
    for await (const table of createInterface({ input: process.stdin })) {
      console.log(String((await conn.runAndReadAll(\`SELECT count(*) FROM "\${table}"\`)).getRows()[0][0]));
    }`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script, file], {
    cwd: process.cwd(),
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  expect((await lines.next()).value).toBe("ready");
  return {
    count: async (table) => {
      child.stdin.write(`${table}\n`);
      return Number((await lines.next()).value);
    },
    // Resolves once the process is gone, and its lock with it.
    close: async () => {
      const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, "exit");
      child.stdin.end();
      await exited;
    },
  };
}
