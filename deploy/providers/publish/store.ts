// Where dbt projects and DAGs are published: a local folder or an S3 prefix. Both keep a small
// manifest (`.lakec/publish-<pipeline>.json`) of what lakec wrote, so a later apply knows which
// files it owns and may delete, and a plan can tell changed files without downloading all.
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";

export interface PublishStore {
  readonly description: string;
  get(path: string): Promise<string | undefined>;
  put(path: string, body: string): Promise<void>;
  remove(path: string): Promise<void>;
}

/**
 * `owner` is the pipeline, or `<pipeline>-<environment>` (publishOwner): environments that
 * publish their DAGs to one folder each own only their own files there.
 */
export function manifestPath(owner: string): string {
  return `.lakec/publish-${owner}.json`;
}

export interface PublishManifest {
  readonly version: 1;
  readonly pipeline: string;
  readonly files: Readonly<Record<string, string>>;
}

export class FolderStore implements PublishStore {
  readonly description: string;
  private readonly root: string;
  constructor(dir: string, cwd: string) {
    this.root = resolve(cwd, dir);
    this.description = dir;
  }
  private file(path: string): string {
    return join(this.root, ...path.split("/"));
  }
  async get(path: string): Promise<string | undefined> {
    try {
      return await readFile(this.file(path), "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
  }
  async put(path: string, body: string): Promise<void> {
    const f = this.file(path);
    await mkdir(dirname(f), { recursive: true });
    // Temp file + rename: a scheduler scanning the folder never reads half a DAG.
    const tmp = `${f}.lakec-tmp-${process.pid}`;
    await writeFile(tmp, body);
    await rename(tmp, f);
  }
  async remove(path: string): Promise<void> {
    await rm(this.file(path), { force: true });
  }
}

export class S3Store implements PublishStore {
  readonly description: string;
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {
    this.description = `s3://${bucket}/${prefix}`;
  }
  async get(path: string): Promise<string | undefined> {
    try {
      const r = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${path}` }));
      return r.Body ? await r.Body.transformToString("utf-8") : "";
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (e as Error).name === "NoSuchKey") return undefined;
      throw e;
    }
  }
  async put(path: string, body: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${path}`, Body: body }));
  }
  async remove(path: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${path}` }));
  }
}

/** `s3://bucket/prefix/` → bucket and prefix (with a trailing `/`, or empty). */
export function parseS3Url(url: string): { bucket: string; prefix: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) return undefined;
  const prefix = m[2] ?? "";
  return { bucket: m[1]!, prefix: prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/` };
}
