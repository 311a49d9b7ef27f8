// Publishing the dbt project and the DAG: to a folder (real files) and to S3 (mocked client).
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { diffPublish } from "../../deploy/diff-publish.js";
import { publish, publishOwner, readPublished } from "../../deploy/providers/publish/publish.js";
import { compilePipeline } from "../../compiler/index.js";
import { emitAirflow } from "../../targets/airflow/index.js";
import { FolderStore, S3Store, parseS3Url, type PublishStore } from "../../deploy/providers/publish/store.js";
import { lineDiff } from "../../deploy/text-diff.js";

let dir = "";
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "lakec-publish-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function roundTrip(store: PublishStore, desired: Map<string, string>): Promise<ReturnType<typeof diffPublish>> {
  const steps = diffPublish("airflow", "dags/", desired, await readPublished(store, "reviews", desired));
  await publish(store, "reviews", steps, desired, () => {});
  return steps;
}

describe("publishing to a folder", () => {
  it("creates, updates with a diff, deletes only what lakec published, and converges", async () => {
    const store = new FolderStore("dags", dir);
    await mkdir(join(dir, "dags"), { recursive: true });
    await writeFile(join(dir, "dags", "someone_else.py"), "# not ours\n");
    const v1 = new Map([
      ["reviews_dbt.py", "schedule = '@hourly'\nretries = 2\n"],
      ["old.py", "x = 1\n"],
    ]);
    expect((await roundTrip(store, v1)).map((s) => `${s.action} ${s.resource}`)).toEqual([
      "create dags/old.py",
      "create dags/reviews_dbt.py",
    ]);
    const v2 = new Map([["reviews_dbt.py", "schedule = '@daily'\nretries = 2\n"]]);
    const steps = await roundTrip(store, v2);
    expect(steps.map((s) => `${s.action} ${s.resource}`)).toEqual(["update dags/reviews_dbt.py", "destroy dags/old.py"]);
    expect(steps[0]!.details).toEqual(["- schedule = '@hourly'", "+ schedule = '@daily'", "  retries = 2"]);
    expect(await readFile(join(dir, "dags", "reviews_dbt.py"), "utf8")).toBe("schedule = '@daily'\nretries = 2\n");
    await expect(readFile(join(dir, "dags", "old.py"), "utf8")).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(dir, "dags", "someone_else.py"), "utf8")).toBe("# not ours\n");
    expect(await roundTrip(store, v2)).toEqual([]);
  });

  it("environments publishing their DAGs to one folder each own only their own files", async () => {
    const store = new FolderStore("dags", dir);
    const [dev, prod] = compilePipeline("pipelines/storefront.yaml", readFileSync("pipelines/storefront.yaml", "utf8")).irs!;
    const dags = (ir: typeof dev): Map<string, string> =>
      new Map(emitAirflow(ir!).map((f) => [f.path.replace("airflow/", ""), f.contents]));
    const apply = async (ir: typeof dev): Promise<string[]> => {
      const steps = diffPublish("airflow", "dags/", dags(ir), await readPublished(store, publishOwner(ir!), dags(ir)));
      await publish(store, publishOwner(ir!), steps, dags(ir), () => {});
      return steps.map((st) => `${st.action} ${st.resource}`);
    };
    expect(await apply(prod)).toEqual(["create dags/storefront_prod_dbt.py"]);
    // Without a manifest per environment, dev's apply would delete prod's DAG as "no longer emitted".
    expect(await apply(dev)).toEqual(["create dags/storefront_dev_dbt.py"]);
    expect(await apply(prod)).toEqual([]);
    expect(await readFile(join(dir, "dags", "storefront_prod_dbt.py"), "utf8")).toContain('dag_id="storefront_prod_dbt"');
  });

  it("a hand-edited published file shows up as a change", async () => {
    const store = new FolderStore("dags", dir);
    const v1 = new Map([["reviews_dbt.py", "a = 1\n"]]);
    await roundTrip(store, v1);
    await writeFile(join(dir, "dags", "reviews_dbt.py"), "a = 2\n");
    const steps = diffPublish("airflow", "dags/", v1, await readPublished(store, "reviews", v1));
    expect(steps.map((s) => s.details)).toEqual([["- a = 2", "+ a = 1"]]);
  });

  it("an interrupted publish is finished by the next one", async () => {
    const store = new FolderStore("dags", dir);
    const desired = new Map([
      ["a.py", "a\n"],
      ["b.py", "b\n"],
    ]);
    let puts = 0;
    const flaky: PublishStore = {
      description: store.description,
      get: (p) => store.get(p),
      remove: (p) => store.remove(p),
      put: async (p, body) => {
        // The manifest is written first; fail on the second data file.
        if (++puts === 3) throw new Error("connection reset");
        await store.put(p, body);
      },
    };
    const steps = diffPublish("airflow", "dags/", desired, await readPublished(flaky, "reviews", desired));
    await expect(publish(flaky, "reviews", steps, desired, () => {})).rejects.toThrow(/connection reset/);
    expect((await roundTrip(store, desired)).map((s) => `${s.action} ${s.resource}`)).toEqual(["create dags/b.py"]);
    expect(await roundTrip(store, desired)).toEqual([]);
  });
});

describe("publishing to S3", () => {
  const s3 = mockClient(S3Client);
  it("puts the files and the manifest under the prefix", async () => {
    s3.reset();
    s3.on(GetObjectCommand).rejects(Object.assign(new Error("NoSuchKey"), { name: "NoSuchKey", $metadata: { httpStatusCode: 404 } }));
    s3.on(PutObjectCommand).resolves({});
    s3.on(DeleteObjectCommand).resolves({});
    const url = parseS3Url("s3://acme-mwaa/dags")!;
    expect(url).toEqual({ bucket: "acme-mwaa", prefix: "dags/" });
    const store = new S3Store(
      new S3Client({ region: "eu-west-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test" } }),
      url.bucket,
      url.prefix,
    );
    const steps = await roundTrip(store, new Map([["reviews_dbt.py", "dag\n"]]));
    expect(steps.map((s) => `${s.action} ${s.resource}`)).toEqual(["create dags/reviews_dbt.py"]);
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: "acme-mwaa", Key: "dags/reviews_dbt.py", Body: "dag\n" });
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: "acme-mwaa", Key: "dags/.lakec/publish-reviews.json" });
    expect(s3).not.toHaveReceivedCommand(DeleteObjectCommand);
  });
});

describe("lineDiff", () => {
  it("marks removed and added lines with context, and elides unchanged runs", () => {
    const before = ["a", "b", "c", "d", "e", "f"].join("\n");
    const after = ["a", "b", "C", "d", "e", "f", "g"].join("\n");
    expect(lineDiff(before, after)).toEqual(["…", "  b", "- c", "+ C", "  d", "…", "  f", "+ g"]);
  });
});
