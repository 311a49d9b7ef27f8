// One raw file's trip through stages 1–2: the work behind the state machine's Clean and
// Flatten tasks, the reconciliation check, publishing, and the manifest that commits it.
import { mkdir, rm, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import type { PipelineIR, SourceIR } from "../compiler/ir.js";
import { dropStaged, runCleanStage, type CleanCounts } from "./clean-stage.js";
import { runFlattenStage, type FlattenInput, type FlattenResult } from "./flatten-stage.js";
import { exists, inputHash, manifestFile, rawFile, sha256File, sourceForKey } from "./lake.js";
import {
  hashIfUnchanged,
  isCurrent,
  rawStatOf,
  readManifest,
  semanticsFingerprint,
  writeManifest,
  type FileManifest,
  type RawStat,
} from "./manifest.js";
import { isGzipKey } from "./read-lines.js";
import type { Lake } from "./open-lake.js";
import { damagedOutputs, nextSlot, publishToSlot, recordSuperseded, removeSlot } from "./publish.js";
import { traced } from "./trace.js";

export type FileStatus = "processed" | "skipped" | "failed" | "unmatched";

export interface FileSummary {
  readonly rawKey: string;
  readonly source: string | null;
  readonly status: FileStatus;
  /** Why a file failed, was skipped or matched no source. */
  readonly reason?: string;
  /** Plain-language observations about odd files (empty, not JSON Lines, cut-off last line). */
  readonly notes: readonly string[];
  readonly counts?: Omit<CleanCounts, "samples" | "slices" | "nonEmptyLines" | "lastRecord">;
  readonly samples: CleanCounts["samples"];
  readonly rowsWritten: Record<string, number>;
  readonly quarantineRows: number;
  readonly reconciled: boolean;
  readonly timingsMs: Record<string, number>;
  /**
   * The file had published outputs before this run and they were replaced (a reprocess, or new
   * content under the same key): rows may have changed or gone without a newer arrival, so the
   * models must be rebuilt in full rather than incrementally.
   */
  readonly replacedOutputs?: boolean;
}

/** A record-level failure under `on_invalid: fail`: deterministic, so retries reuse it. */
export class InvalidRecordsError extends Error {
  override readonly name = "lakec.InvalidRecords";
}

/** The engine's own counts disagree: a bug, never a data problem. */
export class ReconciliationError extends Error {
  override readonly name = "lakec.ReconciliationFailed";
}

const ms = (t0: number): number => Math.round((performance.now() - t0) * 10) / 10;

export class FileJob {
  readonly source: SourceIR | undefined;
  readonly input: string;
  private contentSha = "";
  private bytes = 0;
  private rawStat: RawStat | undefined;
  private semantics = "";
  private arrivalSeq: number | undefined;
  private ingestedAtMs: number | undefined;
  private hadOutputs = false;
  private counts: CleanCounts | undefined;
  private flattened: FlattenResult | undefined;
  private staging: FlattenInput | undefined;
  private invalidError: InvalidRecordsError | undefined;
  private readonly timings: Record<string, number> = {};
  private readonly notes: string[] = [];
  private lastLineCut = false;
  private reconcileFailed = false;
  /** The manifest before this execution: an `ok` one names the published version, kept until the new one commits. */
  private previous: FileManifest | undefined;
  private published: Record<string, number> = {};
  /** The slot this execution writes (engine/publish.ts). */
  slot: string;
  /** The last task failure, as the state machine saw it (set by the task handlers). */
  lastError: string | undefined;

  constructor(
    private readonly lake: Lake,
    private readonly ir: PipelineIR,
    readonly rawKey: string,
  ) {
    this.source = sourceForKey(ir, rawKey);
    this.input = inputHash(rawKey);
    this.slot = this.input;
  }

  get rawPath(): string {
    return rawFile(this.lake.paths, this.rawKey);
  }

  /**
   * Reads the file's manifest and hashes the file; true when the outputs are already current.
   * A file with no manifest yet is new: it is hashed while the clean stage reads it instead.
   */
  async isCurrent(): Promise<boolean> {
    const src = this.mustSource();
    const t0 = performance.now();
    this.rawStat = rawStatOf(await stat(this.rawPath, { bigint: true }));
    this.bytes = this.rawStat.size;
    this.semantics = semanticsFingerprint(this.ir, src);
    const manifestPath = manifestFile(this.lake.paths, src.name, this.rawKey);
    const manifest = await readManifest(manifestPath);
    this.previous = manifest;
    this.slot = nextSlot(this.rawKey, manifest);
    this.hadOutputs = manifest?.status === "ok";
    if (manifest === undefined) {
      if (await exists(manifestPath))
        this.notes.push(`rebuilt: its manifest ${relative(this.lake.paths.root, manifestPath)} was damaged; reprocessed from the raw file`);
      return false;
    }
    const known = hashIfUnchanged(manifest, this.rawStat);
    this.contentSha = known ?? (await sha256File(this.rawPath));
    if (known === undefined) this.timings.hash = ms(t0);
    if (!isCurrent(manifest, this.contentSha, this.semantics)) return false;
    // Published files deleted or changed behind lakec's back: rebuilt from the immutable raw file.
    const damage = await traced(`file ${this.rawKey}: check published outputs`, () => damagedOutputs(this.lake.paths, manifest));
    if (damage.length === 0) {
      // Read to find it unchanged (a copied lake has new inodes, an older manifest no stat):
      // recorded, so the next run need not read it again.
      if (known === undefined)
        await writeManifest(
          manifestPath,
          { ...manifest, raw_stat: this.rawStat },
          join(this.lake.paths.tmp, `${process.pid}-${this.input}-manifest.json`),
        );
      return true;
    }
    const more = damage.length > 3 ? ` and ${damage.length - 3} more` : "";
    this.notes.push(`repaired: ${damage.slice(0, 3).join("; ")}${more}; reprocessed from the raw file`);
    return false;
  }

  /** The content hash for the manifest: from the clean stage's read, or read now. */
  private async ensureHash(): Promise<void> {
    if (this.contentSha !== "") return;
    const t0 = performance.now();
    this.contentSha = this.counts?.contentSha256 ?? (await sha256File(this.rawPath));
    if (this.counts?.contentSha256 === undefined) this.timings.hash = ms(t0);
  }

  /**
   * Stage 1. `eventTime` is the triggering event's time, which becomes `_ingested_at` as in the
   * Glue job (default: the raw file's mtime, whole seconds, which is what the local event says).
   * `arrivalSeq` is the file's place in the arrival order (the RecordArrival state's result).
   * Throws InvalidRecordsError under `on_invalid: fail` (the same one on a retry).
   */
  async clean(eventTime: string | undefined, arrivalSeq: string | undefined): Promise<void> {
    if (this.invalidError) throw this.invalidError;
    const arrival = Number(arrivalSeq);
    if (!Number.isSafeInteger(arrival) || arrival < 1)
      throw new Error(`the state machine passed no arrival sequence for ${this.rawKey} (--arrival_seq ${String(arrivalSeq)})`);
    this.arrivalSeq = arrival;
    const src = this.mustSource();
    const t0 = performance.now();
    const dir = join(this.lake.paths.tmp, `${process.pid}-${this.input}`);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const names = { stagedClean: `staged_clean_${this.input}`, stagedQuarantine: `staged_quarantine_${this.input}` };
    const ingestedAtMs = this.versionTime(
      eventTime !== undefined && !Number.isNaN(Date.parse(eventTime))
        ? Date.parse(eventTime)
        : Math.floor((await stat(this.rawPath)).mtimeMs / 1000) * 1000,
    );
    this.ingestedAtMs = ingestedAtMs;
    const onDisk = estimatedTextBytes(this.rawKey, (await stat(this.rawPath)).size) > this.lake.inMemoryFileBytes;
    this.counts = await traced(`file ${this.rawKey}: clean`, () =>
      runCleanStage({
        conn: this.lake.conn,
        loadConn: this.lake.loadConn,
        source: src,
        tables: this.ir.tables.filter((t) => t.source === src.name),
        rawKey: this.rawKey,
        rawPath: this.rawPath,
        ingestedAtMs,
        arrivalSeq: arrival,
        sliceBytes: this.lake.sliceBytes,
        stagingDir: dir,
        onDisk,
        hashContent: this.contentSha === "",
        ...names,
      }),
    );
    this.staging = {
      conn: this.lake.conn,
      writers: [this.lake.conn, this.lake.loadConn],
      ir: this.ir,
      source: src,
      rawKey: this.rawKey,
      slot: this.slot,
      stagingDir: dir,
      onDisk,
      partitionsPerWrite: this.lake.partitionsPerWrite,
      rowGroupBytes: this.lake.rowGroupBytes,
      ...names,
    };
    this.timings.clean = ms(t0);
    this.lastLineCut = this.counts.endsCut === true;
    this.checkCleanCounts(this.counts);
    if (src.onInvalid === "fail" && this.counts.invalid > 0) {
      const first = this.counts.samples[0];
      const where = first ? ` (first: line ${first.line}, ${first.reason}${first.column ? ` in ${first.column}` : ""})` : "";
      this.invalidError = new InvalidRecordsError(`${this.counts.invalid} invalid record(s) and on_invalid is fail${where}`);
      throw this.invalidError;
    }
  }

  /**
   * `_ingested_at` of this version. A reprocess under a changed pipeline (same raw object, so
   * the same arrival, new rows) is a new version of the file, as apply's backfill in the cloud
   * sends a new event time: one second after the version it replaces, so the models' ledger of
   * merged file versions (targets/dbt/staging.ts) takes it. A repair of damaged outputs writes
   * the same rows again and keeps the time.
   */
  private versionTime(eventMs: number): number {
    const p = this.previous;
    if (p?.status !== "ok" || p.semantics === this.semantics) return eventMs;
    // Manifests from before this field: their rows took the event time.
    return Math.max(eventMs, (p.ingested_at_ms ?? eventMs) + 1000);
  }

  /** Stage 2, then publish and commit with the manifest. */
  async flatten(): Promise<void> {
    const src = this.mustSource();
    if (!this.staging || !this.counts)
      throw new Error(`flatten of ${this.rawKey} before clean: the state machine ran Flatten without Clean`);
    let t0 = performance.now();
    this.flattened = await traced(`file ${this.rawKey}: flatten`, () => runFlattenStage(this.staging!));
    this.timings.flatten = ms(t0);
    this.checkWritten(this.counts, this.flattened);
    t0 = performance.now();
    const staged = {
      ir: this.ir,
      source: src,
      rawKey: this.rawKey,
      slot: this.slot,
      stagingDir: this.staging.stagingDir,
      quarantineRows: this.flattened.quarantineRows,
    };
    this.published = await traced(`file ${this.rawKey}: publish`, () => publishToSlot(this.lake.paths, staged));
    await this.ensureHash();
    const manifest = manifestFile(this.lake.paths, src.name, this.rawKey);
    await writeManifest(manifest, this.manifest("ok"), join(this.staging.stagingDir, "manifest.json"));
    const before = this.previous?.status === "ok" ? this.previous.input : undefined;
    if (before !== undefined && before !== this.slot) await recordSuperseded(this.lake.paths, this.ir, src, manifest, before);
    this.timings.publish = ms(t0);
    await this.dropStaging();
  }

  /**
   * After a failed execution: the slot being written is cleared. A version published before
   * stays published, with its manifest (the next run retries, since the raw file or the
   * pipeline changed); a file never published gets a `failed` manifest saying why.
   */
  async fail(error: string): Promise<void> {
    const src = this.mustSource();
    await removeSlot(this.lake.paths, this.ir, src, this.slot);
    if (this.previous?.status !== "ok") {
      const dir = join(this.lake.paths.tmp, `${process.pid}-${this.input}`);
      await mkdir(dir, { recursive: true });
      await this.ensureHash();
      await writeManifest(
        manifestFile(this.lake.paths, src.name, this.rawKey),
        { ...this.manifest("failed"), error },
        join(dir, "manifest.json"),
      );
    }
    await this.dropStaging();
  }

  summary(status: FileStatus, reason?: string): FileSummary {
    const c = this.counts;
    return {
      rawKey: this.rawKey,
      source: this.source?.name ?? null,
      status,
      ...(reason !== undefined && { reason }),
      notes: c ? [...this.notes, ...notesFor(c, this.lastLineCut)] : this.notes,
      ...(c && {
        counts: {
          recordsIn: c.recordsIn,
          clean: c.clean,
          invalid: c.invalid,
          quarantined: c.quarantined,
          droppedInvalid: c.droppedInvalid,
          duplicates: c.duplicates,
          byReason: c.byReason,
          castNulls: c.castNulls,
          ...(c.drift && { drift: c.drift }),
        },
      }),
      samples: c?.samples ?? [],
      rowsWritten: this.flattened?.rowsByTable ?? {},
      quarantineRows: this.flattened?.quarantineRows ?? 0,
      reconciled: !this.reconcileFailed && (c ? c.recordsIn === c.clean + c.invalid + c.duplicates : true),
      timingsMs: { ...this.timings },
      ...(this.hadOutputs && status !== "skipped" && { replacedOutputs: true }),
    };
  }

  private manifest(status: "ok" | "failed"): FileManifest {
    const c = this.counts;
    return {
      version: 1,
      raw_key: this.rawKey,
      source: this.mustSource().name,
      input: this.slot,
      content_sha256: this.contentSha,
      ...(this.rawStat && { raw_stat: this.rawStat }),
      bytes: this.bytes,
      semantics: this.semantics,
      ...(this.arrivalSeq !== undefined && { arrival_seq: this.arrivalSeq }),
      ...(this.ingestedAtMs !== undefined && { ingested_at_ms: this.ingestedAtMs }),
      status,
      counts: {
        records_in: c?.recordsIn ?? 0,
        clean: c?.clean ?? 0,
        invalid: c?.invalid ?? 0,
        quarantined: c?.quarantined ?? 0,
        dropped_invalid: c?.droppedInvalid ?? 0,
        duplicates: c?.duplicates ?? 0,
        by_reason: c?.byReason ?? {},
        ...(c && Object.keys(c.castNulls).length > 0 && { cast_nulls: c.castNulls }),
      },
      ...(c?.drift && { drift: { unmapped_paths: c.drift.unmappedPaths, unmapped: c.drift.unmapped, absent: c.drift.absent } }),
      rows_written: status === "ok" ? (this.flattened?.rowsByTable ?? {}) : {},
      timings_ms: { ...this.timings },
      ...(status === "ok" && { files: this.published }),
    };
  }

  private checkCleanCounts(c: CleanCounts): void {
    const problems: string[] = [];
    if (c.recordsIn !== c.clean + c.invalid + c.duplicates)
      problems.push(`records_in ${c.recordsIn} ≠ clean ${c.clean} + invalid ${c.invalid} + duplicates ${c.duplicates}`);
    if (c.recordsIn !== c.nonEmptyLines) problems.push(`records_in ${c.recordsIn} ≠ ${c.nonEmptyLines} non-empty lines read`);
    if (problems.length > 0) this.reconciliationFailed(problems);
  }

  private reconciliationFailed(problems: readonly string[]): never {
    this.reconcileFailed = true;
    throw new ReconciliationError(`${this.rawKey}: ${problems.join("; ")}`);
  }

  private checkWritten(c: CleanCounts, f: FlattenResult): void {
    const src = this.mustSource();
    const main = f.rowsByTable[src.mainTable] ?? 0;
    const problems: string[] = [];
    if (main !== c.clean) problems.push(`${main} rows written to ${src.mainTable} ≠ ${c.clean} clean records`);
    if (f.quarantineRows !== c.quarantined) problems.push(`${f.quarantineRows} quarantine rows written ≠ ${c.quarantined} quarantined`);
    if (problems.length > 0) this.reconciliationFailed(problems);
  }

  private async dropStaging(): Promise<void> {
    if (this.staging) {
      for (const name of [this.staging.stagedClean, this.staging.stagedQuarantine]) await dropStaged(this.lake.conn, name);
    }
    await rm(join(this.lake.paths.tmp, `${process.pid}-${this.input}`), { recursive: true, force: true });
  }

  private mustSource(): SourceIR {
    if (!this.source) throw new Error(`no source owns ${this.rawKey}; the state machine should have stopped at UnknownPrefix`);
    return this.source;
  }
}

/** Explanations for files whose counts alone would puzzle: what the file most likely is. */
/**
 * The text a raw file holds, for choosing in-memory or on-disk staging. A gzip file's text is
 * unknown until read (its trailer gives only the last member's size, modulo 4 GiB); JSON Lines
 * typically compress 5-10 times, so it is taken as ten times the stored size: a wrong guess
 * only stages on disk, which is slower, never out of memory.
 */
function estimatedTextBytes(rawKey: string, storedBytes: number): number {
  return isGzipKey(rawKey) ? storedBytes * 10 : storedBytes;
}

function notesFor(c: CleanCounts, lastLineCut: boolean): string[] {
  const notes: string[] = [];
  if (c.recordsIn === 0) notes.push("no records: the file is empty or has only blank lines");
  const notObject = c.byReason.not_an_object ?? 0;
  if (c.recordsIn > 0 && notObject === c.recordsIn)
    notes.push("no line is a JSON object: the file is not JSON Lines (a JSON array, CSV or text?); expected one JSON object per line");
  if (lastLineCut && c.lastRecord?.reason === "malformed_json")
    notes.push(`line ${c.lastRecord.line}, the last, has no line ending and does not parse: the file looks truncated`);
  if ((c.byReason.invalid_utf8 ?? 0) > 0)
    notes.push(`${c.byReason.invalid_utf8} line(s) are not valid UTF-8; the quarantine keeps them with U+FFFD for the bad bytes`);
  if (c.recordsIn > 0 && (c.byReason.cast_failed ?? 0) === c.recordsIn)
    notes.push("every record has a value that does not cast: do the column types match this file?");
  return notes;
}
