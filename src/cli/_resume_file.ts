/**
 * `--resume FILE`: the checkpoint of an upload in progress, kept on disk so
 * that running the same command again continues the upload.
 *
 * Two files. FILE is one JSON object, replaced atomically (written to a
 * temporary file, synced, renamed) after every part the server acknowledges:
 *
 * ```json
 * { "zipstream": "resume", "version": 1, "target": "s3://bucket/key",
 *   "endpoint": "http://127.0.0.1:8080", "region": "us-east-1",
 *   "archive": { "compression": "store", "level": 0, "comment": null,
 *                "entries": 1200, "inputs": "<sha-256 of the inputs' names, sizes, times, modes>" },
 *   "upload": { <UploadCheckpoint: upload ID, part plan, completed parts> } }
 * ```
 *
 * With `-e`, FILE also holds `"encryption": { "saltKey", "check" }` (see
 * `_resume_encryption.ts`), never the password.
 *
 * `endpoint` and `region` are the `--endpoint` and `--region` the run was
 * given, absent when it was not (files of earlier versions have neither):
 * `--abort-resume FILE` reaches the same server without being told again.
 *
 * FILE.entries holds what the archive recorded of each entry written
 * (`WrittenEntry`), one line per entry in archive order as
 * `encodeWrittenEntry` writes it, appended as entries are written. A
 * million entries take some 60 MB there and are never rewritten whole per
 * part. A resumed run hands these records to `resumePointOf`, and `zip()`
 * then skips the data of entries wholly inside the completed parts instead
 * of reading it.
 *
 * @module
 */

import { causeChain } from "../_errors.ts";
import type { WrittenEntry } from "../zip/written_entry.ts";
import {
  decodeWrittenEntry,
  encodeWrittenEntry,
} from "../zip/written_entry_record.ts";
import { type ArchiveResumePoint, resumePointOf } from "../s3/resume_point.ts";
import {
  parseUploadCheckpoint,
  type UploadCheckpoint,
} from "../s3/upload_checkpoint.ts";
import { S3UploadError } from "../s3/s3_upload_error.ts";
import { CliError } from "./_cli_error.ts";
import { reason } from "./_walk.ts";
import {
  isRecordedEncryption,
  type RecordedEncryption,
  resumedEncryption,
} from "./_resume_encryption.ts";

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

/** The server given on the command line; `undefined` leaves the SDK's environment to say. */
export interface S3Server {
  endpoint: string | undefined;
  region: string | undefined;
}

interface StoredResume {
  zipstream: typeof FORMAT;
  version: typeof VERSION;
  target: string;
  endpoint?: string;
  region?: string;
  archive: ArchiveIdentity;
  encryption?: RecordedEncryption;
  upload: UploadCheckpoint;
}

/** What `--abort-resume` needs of FILE: the upload, and the server it is on. */
export type RecordedUpload = Pick<
  StoredResume,
  "upload" | "endpoint" | "region"
>;

/** One run's side of `--resume FILE`: what to resume from, and the writing of new checkpoints. */
export class ResumeFile {
  /** The path given to `--resume`. */
  readonly path: string;
  /** The upload to resume, or `undefined` when FILE did not exist. */
  readonly checkpoint: UploadCheckpoint | undefined;
  /**
   * Where the resumed archive starts: for `zip()` and for the upload's
   * `bodyOffset`, with the records of the entries before it.
   */
  readonly resumePoint: ArchiveResumePoint["archive"];
  /** `ZipOptions.saltKey` of an encrypted archive, kept in FILE. */
  readonly saltKey: Uint8Array | undefined;
  #encryption: RecordedEncryption | undefined;
  #target: string;
  #server: S3Server;
  #archive: ArchiveIdentity;
  #entries: Deno.FsFile;
  /** Records of entries from this archive offset on are new to FILE.entries. */
  #appendFrom: number;
  #pending = "";

  /** Use {@linkcode ResumeFile.open}. */
  constructor(
    path: string,
    recorded: { target: string; server: S3Server; archive: ArchiveIdentity },
    checkpoint: UploadCheckpoint | undefined,
    resumePoint: ArchiveResumePoint["archive"],
    entries: Deno.FsFile,
    encryption?: { recorded: RecordedEncryption; saltKey: Uint8Array },
  ) {
    this.path = path;
    this.#encryption = encryption?.recorded;
    this.saltKey = encryption?.saltKey;
    this.#target = recorded.target;
    this.#server = recorded.server;
    this.#archive = recorded.archive;
    this.checkpoint = checkpoint;
    this.resumePoint = resumePoint;
    this.#entries = entries;
    this.#appendFrom = resumePoint.entries.at(-1)?.end ?? 0;
  }

  /**
   * Opens FILE: reads the checkpoint if there is one and checks that it was
   * written for the same target, inputs and options. `server` is recorded
   * in FILE for `--abort-resume`; it may differ from the one recorded, as
   * the same server can be reached by other addresses.
   *
   * With `password` (`-e`), FILE keeps a salt key for the archive, and a
   * resumed run must be given the first run's password.
   *
   * @throws {CliError} FILE cannot be read, is not a checkpoint, or belongs to another command.
   */
  static async open(
    path: string,
    target: string,
    archive: ArchiveIdentity,
    partSize: number | undefined,
    server: S3Server = { endpoint: undefined, region: undefined },
    password?: string,
  ): Promise<ResumeFile> {
    const stored = await readStored(path);
    const differences = stored === undefined
      ? []
      : describeDifferences(stored, target, archive, partSize);
    if (differences.length > 0) {
      throw new CliError(
        `Cannot resume from ${path}: it records an upload of other inputs or options (${
          differences.join("; ")
        }); run the command that wrote it, or discard its upload with zipstream --abort-resume ${path}`,
      );
    }
    const encryption = await resumedEncryption(
      path,
      stored !== undefined,
      stored?.encryption,
      password,
    );
    const resumePoint = stored === undefined
      ? { offset: 0, entries: [] }
      : resumePointOf(stored.upload, await readRecords(`${path}.entries`))
        .archive;
    return new ResumeFile(
      path,
      { target, server, archive },
      stored?.upload,
      resumePoint,
      await openEntries(path, resumePoint.entries),
      encryption,
    );
  }

  /** `ZipOptions.onEntry`: queues the record of an entry FILE.entries lacks. */
  onEntry(entry: WrittenEntry): void {
    if (entry.offset < this.#appendFrom) return;
    this.#pending += `${encodeWrittenEntry(entry)}\n`;
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
      const { endpoint, region } = this.#server;
      const stored: StoredResume = {
        zipstream: FORMAT,
        version: VERSION,
        target: this.#target,
        ...(endpoint === undefined ? {} : { endpoint }),
        ...(region === undefined ? {} : { region }),
        archive: this.#archive,
        ...(this.#encryption === undefined
          ? {}
          : { encryption: this.#encryption }),
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

  /**
   * After a completed upload: FILE and FILE.entries have served their
   * purpose. Resolves to why FILE is still there, or `undefined` when it is gone.
   */
  async remove(): Promise<string | undefined> {
    this.close();
    const left = await Deno.remove(this.path).then(
      () => undefined,
      (error) =>
        error instanceof Deno.errors.NotFound ? undefined : reason(error),
    );
    await Deno.remove(`${this.path}.entries`).catch(() => {});
    return left;
  }

  /**
   * After a failed upload: keeps FILE when the upload it records was kept,
   * removes it (and FILE.entries) when there is nothing left to resume.
   * Returns what happened, for the line after the error, or `undefined`
   * when the upload was aborted as without `--resume`.
   */
  async afterFailure(error: unknown): Promise<string | undefined> {
    this.close();
    if (uploadKept(error)) {
      return `kept the upload for --resume ${this.path}: run the same command again to resume it, or discard it with zipstream --abort-resume ${this.path}`;
    }
    const left = await this.remove();
    if (left !== undefined) {
      return `could not remove ${this.path} (${left}): delete it`;
    }
    return this.checkpoint === undefined ? undefined : `removed ${this.path}`;
  }

  #flush(): void {
    const bytes = new TextEncoder().encode(this.#pending);
    this.#pending = "";
    for (let written = 0; written < bytes.length;) {
      written += this.#entries.writeSync(bytes.subarray(written));
    }
  }

  /** Stops writing FILE.entries, as a run that keeps its upload does. */
  close(): void {
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
  const upload = causeChain(error).find((cause): cause is S3UploadError =>
    cause instanceof S3UploadError
  );
  return upload?.uploadKept ?? false;
}

/** The upload recorded in FILE and its server, for `--abort-resume`. */
export async function readRecordedUpload(
  path: string,
): Promise<RecordedUpload> {
  const stored = await readStored(path);
  if (stored === undefined) {
    throw new CliError(
      `Cannot abort the upload recorded in ${path}: the file does not exist`,
    );
  }
  return stored;
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
      value.archive === null || !optionalString(value.endpoint) ||
      !optionalString(value.region) || !isRecordedEncryption(value.encryption)
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
  for (const line of text.split("\n")) {
    try {
      records.push(decodeWrittenEntry(line));
    } catch {
      break;
    }
  }
  return records;
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
      kept.map((record) => `${encodeWrittenEntry(record)}\n`).join(""),
    );
    await Deno.rename(temporary, entriesPath);
    return await Deno.open(entriesPath, { append: true });
  } catch (error) {
    throw new CliError(`Cannot write ${entriesPath}: ${reason(error)}`, {
      cause: error,
    });
  }
}

function optionalString(value: unknown): boolean {
  return value === undefined || typeof value === "string";
}
