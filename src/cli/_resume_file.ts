/**
 * `--resume FILE`: the checkpoint of an upload in progress, kept on disk so
 * that running the same command again continues the upload.
 *
 * Two files. FILE is one JSON object, replaced atomically (written to a
 * temporary file, synced, renamed) after every part the server acknowledges:
 *
 * ```json
 * { "zipstream": "resume", "version": 1, "target": "s3://bucket/key",
 *   "archive": { "compression": "store", "level": 0, "comment": null,
 *                "entries": 1200, "inputs": "<sha-256 of the inputs' names, sizes, times, modes>" },
 *   "upload": { <UploadCheckpoint: upload ID, part plan, completed parts> } }
 * ```
 *
 * FILE.entries holds what the archive recorded of each entry written
 * (`WrittenEntry`), one JSON array per line in archive order, appended as
 * entries are written: `["name",offset,end,crc32,size,compressedSize]`. A
 * million entries take some 60 MB there and are never rewritten whole per
 * part. A resumed run hands these records to `zip()`, which then skips the
 * data of entries wholly inside the completed parts instead of reading it.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { WrittenEntry } from "../zip/written_entry.ts";
import type { ResumePoint } from "../zip/written_entry.ts";
import {
  checkpointOffset,
  parseUploadCheckpoint,
  type UploadCheckpoint,
} from "../s3/upload_checkpoint.ts";
import { S3UploadError } from "../s3/s3_upload_error.ts";
import { resolve, sep as SEP } from "node:path";
import { CliError, UsageError } from "./_cli_error.ts";
import type { ArchiveItem } from "./_entries.ts";
import { reason } from "./_walk.ts";

const FORMAT = "resume";
const VERSION = 1;
/** Entry records are written out in blocks of about this many characters. */
const FLUSH_SIZE = 64 * 1024;

/** What must be the same for an archive to come out byte for byte the same. */
export interface ArchiveIdentity {
  compression: string;
  level: number;
  comment: string | null;
  entries: number;
  /** A SHA-256 of every input's name, kind, size, time and mode, in order. */
  inputs: string;
}

interface StoredResume {
  zipstream: typeof FORMAT;
  version: typeof VERSION;
  target: string;
  archive: ArchiveIdentity;
  upload: UploadCheckpoint;
}

/** The identity of the inputs: what the walk and listings found, in archive order. */
export function fingerprintInputs(items: readonly ArchiveItem[]): string {
  const hash = createHash("sha256");
  for (const item of items) {
    const fields: unknown[] = [item.kind, item.name];
    switch (item.kind) {
      case "file":
        fields.push(item.size, item.mtime ?? null, item.mode);
        break;
      case "directory":
        fields.push(item.mtime ?? null, item.mode);
        break;
      case "symlink":
        fields.push(item.target, item.mtime ?? null, item.mode);
        break;
      case "object":
        fields.push(item.uri, item.size, timeOf(item.entry.lastModified));
        break;
      case "stdin":
        break;
    }
    hash.update(`${JSON.stringify(fields)}\n`);
  }
  return hash.digest("hex");
}

function timeOf(time: Date | number | undefined): number | null {
  return time instanceof Date ? time.getTime() : time ?? null;
}

/**
 * Refuses a checkpoint FILE inside the paths being archived: the archive
 * would take in FILE itself, and every checkpoint would change the inputs.
 *
 * @throws {UsageError} FILE lies in or is one of `inputs`.
 */
export function checkOutsideInputs(
  path: string,
  inputs: readonly string[],
): void {
  const file = resolve(path);
  for (const input of inputs) {
    if (input === "-" || /^s3:\/\//i.test(input)) continue;
    const archived = resolve(input);
    if (file === archived || file.startsWith(`${archived}${SEP}`)) {
      throw new UsageError(
        `Cannot keep the checkpoint ${path} inside ${input}, which is being archived: give a --resume FILE outside the paths`,
      );
    }
  }
}

/** One run's side of `--resume FILE`: what to resume from, and the writing of new checkpoints. */
export class ResumeFile {
  /** The path given to `--resume`. */
  readonly path: string;
  /** The upload to resume, or `undefined` when FILE did not exist. */
  readonly checkpoint: UploadCheckpoint | undefined;
  /** Where the resumed archive starts: for `zip()` and for the upload's `bodyOffset`. */
  readonly resumePoint: ResumePoint;
  #target: string;
  #archive: ArchiveIdentity;
  #entries: Deno.FsFile;
  /** Records of entries from this archive offset on are new to FILE.entries. */
  #appendFrom: number;
  #pending = "";

  /** Use {@linkcode ResumeFile.open}. */
  constructor(
    path: string,
    target: string,
    archive: ArchiveIdentity,
    checkpoint: UploadCheckpoint | undefined,
    resumePoint: ResumePoint,
    entries: Deno.FsFile,
    appendFrom: number,
  ) {
    this.path = path;
    this.#target = target;
    this.#archive = archive;
    this.checkpoint = checkpoint;
    this.resumePoint = resumePoint;
    this.#entries = entries;
    this.#appendFrom = appendFrom;
  }

  /**
   * Opens FILE: reads the checkpoint if there is one and checks that it was
   * written for the same target, inputs and options.
   *
   * @throws {CliError} FILE cannot be read, is not a checkpoint, or belongs to another command.
   */
  static async open(
    path: string,
    target: string,
    archive: ArchiveIdentity,
    partSize: number | undefined,
  ): Promise<ResumeFile> {
    const stored = await readStored(path);
    if (stored === undefined) {
      const entries = await openEntries(path, []);
      return new ResumeFile(
        path,
        target,
        archive,
        undefined,
        { offset: 0 },
        entries,
        0,
      );
    }
    const differences = describeDifferences(stored, target, archive, partSize);
    if (differences.length > 0) {
      throw new CliError(
        `Cannot resume from ${path}: it records an upload of other inputs or options (${
          differences.join("; ")
        }); run the command that wrote it, or discard its upload with zipstream --abort-resume ${path}`,
      );
    }
    const records = await readRecords(`${path}.entries`);
    const { offset, kept } = resumePointOf(stored.upload, records);
    const entries = await openEntries(path, kept);
    return new ResumeFile(
      path,
      target,
      archive,
      stored.upload,
      { offset, entries: kept },
      entries,
      kept.at(-1)?.end ?? 0,
    );
  }

  /** `ZipOptions.onEntry`: queues the record of an entry FILE.entries lacks. */
  onEntry(entry: WrittenEntry): void {
    if (entry.offset < this.#appendFrom) return;
    this.#pending += `${
      JSON.stringify([
        entry.name,
        entry.offset,
        entry.end,
        entry.crc32,
        entry.size,
        entry.compressedSize,
      ])
    }\n`;
    if (this.#pending.length >= FLUSH_SIZE) this.#flush();
  }

  /**
   * `onCheckpoint`: stores the records written so far, then replaces FILE.
   * Every entry ending in a completed part was recorded before the part was
   * cut, so FILE never names bytes whose entries FILE.entries lacks.
   */
  async save(checkpoint: UploadCheckpoint): Promise<void> {
    try {
      this.#flush();
      await this.#entries.syncData();
      const stored: StoredResume = {
        zipstream: FORMAT,
        version: VERSION,
        target: this.#target,
        archive: this.#archive,
        upload: checkpoint,
      };
      const temporary = `${this.path}.tmp`;
      await Deno.writeTextFile(temporary, `${JSON.stringify(stored)}\n`);
      using file = await Deno.open(temporary, { write: true });
      await file.syncData();
      await Deno.rename(temporary, this.path);
    } catch (error) {
      throw new CliError(
        `Cannot write the checkpoint ${this.path}: ${reason(error)}`,
        { cause: error },
      );
    }
  }

  /** After a completed upload: FILE and FILE.entries have served their purpose. */
  async remove(): Promise<void> {
    this.#close();
    for (const path of [this.path, `${this.path}.entries`]) {
      await Deno.remove(path).catch(() => {});
    }
  }

  /**
   * After a failed upload: keeps FILE when the upload it records was kept,
   * removes it (and FILE.entries) when there is nothing left to resume.
   * Returns what happened, for the line after the error, or `undefined`
   * when the upload was aborted as without `--resume`.
   */
  async afterFailure(error: unknown): Promise<string | undefined> {
    this.#close();
    if (uploadKept(error)) {
      return `kept the upload for --resume ${this.path}: run the same command again to resume it, or discard it with zipstream --abort-resume ${this.path}`;
    }
    await this.remove();
    return this.checkpoint === undefined ? undefined : `removed ${this.path}`;
  }

  #flush(): void {
    const bytes = new TextEncoder().encode(this.#pending);
    this.#pending = "";
    for (let written = 0; written < bytes.length;) {
      written += this.#entries.writeSync(bytes.subarray(written));
    }
  }

  #close(): void {
    try {
      this.#flush();
      this.#entries.close();
    } catch {
      // Already closed, or the disk failed: the records only save reading.
    }
  }
}

/** Whether the error is an upload's, saying the multipart upload was kept. */
function uploadKept(error: unknown): boolean {
  for (
    let current: unknown = error, depth = 0;
    current instanceof Error && depth < 8;
    current = current.cause, depth++
  ) {
    if (current instanceof S3UploadError) return current.uploadKept;
  }
  return false;
}

/** The upload recorded in FILE, for `--abort-resume`. */
export async function readCheckpointFile(
  path: string,
): Promise<UploadCheckpoint> {
  const stored = await readStored(path);
  if (stored === undefined) {
    throw new CliError(
      `Cannot abort the upload recorded in ${path}: the file does not exist`,
    );
  }
  return stored.upload;
}

async function readStored(path: string): Promise<StoredResume | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new CliError(`Cannot read ${path}: ${reason(error)}`, {
      cause: error,
    });
  }
  try {
    const value = JSON.parse(text) as Partial<StoredResume>;
    if (
      value.zipstream !== FORMAT || value.version !== VERSION ||
      typeof value.target !== "string" || typeof value.archive !== "object" ||
      value.archive === null
    ) {
      throw new TypeError(
        `expected a zipstream resume file of version ${VERSION}`,
      );
    }
    parseUploadCheckpoint(value.upload);
    return value as StoredResume;
  } catch (error) {
    throw new CliError(
      `Cannot resume from ${path}: it is not a checkpoint zipstream wrote (${
        reason(error)
      }); give another --resume FILE, or delete it to start over`,
      { cause: error },
    );
  }
}

function describeDifferences(
  stored: StoredResume,
  target: string,
  archive: ArchiveIdentity,
  partSize: number | undefined,
): string[] {
  const differences: string[] = [];
  if (stored.target !== target) {
    differences.push(`target ${stored.target}, now ${target}`);
  }
  const before = stored.archive;
  if (before.entries !== archive.entries) {
    differences.push(`${before.entries} entries, now ${archive.entries}`);
  } else if (before.inputs !== archive.inputs) {
    differences.push("the inputs' names, sizes, times or modes changed");
  }
  if (
    before.compression !== archive.compression || before.level !== archive.level
  ) {
    differences.push(
      `${before.compression} at level ${before.level}, now ${archive.compression} at level ${archive.level}`,
    );
  }
  if (before.comment !== archive.comment) {
    differences.push("another --comment");
  }
  if (partSize !== undefined && partSize !== stored.upload.partSize) {
    differences.push(
      `--part-size ${stored.upload.partSize}, now ${partSize}`,
    );
  }
  return differences;
}

/**
 * Reads FILE.entries up to its first unreadable line: a line cut short by a
 * crash ends what can be trusted.
 */
async function readRecords(path: string): Promise<WrittenEntry[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw new CliError(`Cannot read ${path}: ${reason(error)}`, {
      cause: error,
    });
  }
  const records: WrittenEntry[] = [];
  let end = 0;
  for (const line of text.split("\n")) {
    const record = parseRecord(line);
    if (record === undefined || record.offset !== end) break;
    records.push(record);
    end = record.end;
  }
  return records;
}

function parseRecord(line: string): WrittenEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 6) return undefined;
  const [name, offset, end, crc32, size, compressedSize] = value;
  const numbers = [offset, end, crc32, size, compressedSize];
  if (
    typeof name !== "string" ||
    !numbers.every((n) => Number.isSafeInteger(n) && n >= 0) ||
    end < offset
  ) return undefined;
  return { name, offset, end, crc32, size, compressedSize };
}

/**
 * Where a resumed archive starts. Not simply where the completed parts stop:
 * an entry that runs past that point is read again from its start, and its
 * bytes in completed parts are hashed again and compared with the
 * checkpoint, which catches an input that changed without its size or time
 * changing. So the archive resumes at the last part boundary before the
 * first entry that is not wholly done (or before the first entry without a
 * record).
 */
function resumePointOf(
  checkpoint: UploadCheckpoint,
  records: readonly WrittenEntry[],
): { offset: number; kept: WrittenEntry[] } {
  const done = checkpointOffset(checkpoint);
  let whole = 0;
  for (const record of records) {
    if (record.end > done) break;
    whole = record.end;
  }
  let offset = 0;
  for (const [index, part] of checkpoint.parts.entries()) {
    if (part.partNumber !== index + 1 || part.offset + part.size > whole) {
      break;
    }
    offset = part.offset + part.size;
  }
  return { offset, kept: records.filter((record) => record.end <= offset) };
}

/** Starts FILE.entries over with the records the resumed archive keeps. */
async function openEntries(
  path: string,
  kept: readonly WrittenEntry[],
): Promise<Deno.FsFile> {
  const entriesPath = `${path}.entries`;
  try {
    const temporary = `${entriesPath}.tmp`;
    await Deno.writeTextFile(
      temporary,
      kept.map((record) =>
        `${
          JSON.stringify([
            record.name,
            record.offset,
            record.end,
            record.crc32,
            record.size,
            record.compressedSize,
          ])
        }\n`
      ).join(""),
    );
    await Deno.rename(temporary, entriesPath);
    return await Deno.open(entriesPath, { append: true });
  } catch (error) {
    throw new CliError(`Cannot write ${entriesPath}: ${reason(error)}`, {
      cause: error,
    });
  }
}
