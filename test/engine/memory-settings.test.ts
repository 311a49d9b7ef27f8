// Issue 16: DuckDB settings that bound the memory of a run. DuckDB 1.3+ keeps the bytes of every
// file it reads in an "external file cache" counted in its memory; a full build of the models
// over a 100k-record lake (4,609 day files) held 456 MB there, for files no step reads twice.
// The lake's instance and the warehouse's (built from `lake.settings`) must both leave it off.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { openLake, type Lake } from "../../engine/open-lake.js";

const dirs: string[] = [];
const lakes: Lake[] = [];
afterEach(async () => {
  for (const l of lakes.splice(0)) await l.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function cachedBytesAfterReading(conn: DuckDBConnection, dir: string, name: string): Promise<number> {
  const file = join(dir, `${name}.parquet`).split("\\").join("/");
  await conn.run(`COPY (SELECT range AS n, repeat('x', 200) AS body FROM range(20000)) TO '${file}' (FORMAT parquet)`);
  await conn.run(`SELECT sum(length(body)) FROM read_parquet('${file}')`);
  const r = await conn.runAndReadAll(
    "SELECT coalesce(sum(memory_usage_bytes), 0) AS n FROM duckdb_memory() WHERE tag = 'EXTERNAL_FILE_CACHE'",
  );
  return Number(r.getRowsJson()[0]![0]);
}

describe("memory settings of a lake", () => {
  it("reads Parquet without DuckDB's external file cache, in the lake's instance and the warehouse's", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lakec-memory-"));
    dirs.push(dir);
    const lake = await openLake(join(dir, "lake"), { memoryLimit: "256MB", threads: 1 });
    lakes.push(lake);
    expect(await cachedBytesAfterReading(lake.conn, dir, "lake")).toBe(0);

    const warehouse = await DuckDBInstance.create(join(dir, "warehouse.duckdb"), lake.settings);
    const conn = await warehouse.connect();
    try {
      expect(await cachedBytesAfterReading(conn, dir, "warehouse")).toBe(0);
    } finally {
      conn.closeSync();
      warehouse.closeSync();
    }
  });
});
