/**
 * `--resume FILE` (or `s3://bucket/key`): the checkpoint of an upload in
 * progress, kept so that running the same command again continues the
 * upload. Its JSON is `_resume_record.ts`'s; where it is kept,
 * `_checkpoint_store.ts`'s. It is saved after every part the server
 * acknowledges.
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
import type { UploadCheckpoint } from "../s3/upload_checkpoint.ts";
import { S3UploadError } from "../s3/s3_upload_error.ts";
import { CliError } from "./_cli_error.ts";
import {
  type CheckpointStore,
  openCheckpointStore,
} from "./_checkpoint_store.ts";
import { reason } from "./_walk.ts";
import {
  type RecordedEncryption,
  resumedEncryption,
} from "./_resume_encryption.ts";
import {
  type ArchiveIdentity,
  describeDifferences,
  FORMAT,
  readStored,
  type StoredResume,
  VERSION,
} from "./_resume_record.ts";

/** Entry records are written out in blocks of about this many characters. */
const FLUSH_SIZE = 64 * 1024;

/**
 * The server given on the command line; `undefined` leaves the SDK's
 * environment to say. An `s3://` checkpoint is kept there too.
 */
export interface S3Server {
  endpoint: string | undefined;
  region: string | undefined;
  /** `--profile`, for an `s3://` checkpoint. */
  profile?: string | undefined;
}

/** One run's side of `--resume FILE`: what to resume from, and the writing of new checkpoints. */
export class ResumeFile {
  /** What was given to `--resume`: FILE or `s3://bucket/key`. */
  readonly path: string;
  /** What the journal records: FILE's absolute path, or the URI. */
  readonly recordedName: string;
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
  #store: CheckpointStore;
  /** Records of entries from this archive offset on are new to FILE.entries. */
  #appendFrom: number;
  #pending = "";
  /** Whether a checkpoint naming parts was saved by this run. */
  #savedParts = false;

  /** Use {@linkcode ResumeFile.open}. */
  constructor(
    path: string,
    recorded: { target: string; server: S3Server; archive: ArchiveIdentity },
    checkpoint: UploadCheckpoint | undefined,
    resumePoint: ArchiveResumePoint["archive"],
    store: CheckpointStore,
    encryption?: { recorded: RecordedEncryption; saltKey: Uint8Array },
  ) {
    this.path = path;
    this.recordedName = store.recordedName;
    this.#encryption = encryption?.recorded;
    this.saltKey = encryption?.saltKey;
    this.#target = recorded.target;
    this.#server = recorded.server;
    this.#archive = recorded.archive;
    this.checkpoint = checkpoint;
    this.resumePoint = resumePoint;
    this.#store = store;
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
    const store = await openCheckpointStore(path, server);
    try {
      return await ResumeFile.#open(
        store,
        target,
        archive,
        partSize,
        server,
        password,
      );
    } catch (error) {
      store.close();
      throw error;
    }
  }

  static async #open(
    store: CheckpointStore,
    target: string,
    archive: ArchiveIdentity,
    partSize: number | undefined,
    server: S3Server,
    password: string | undefined,
  ): Promise<ResumeFile> {
    const path = store.name;
    const stored = await readStored(store);
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
      : resumePointOf(stored.upload, parseRecords(await store.readRecords()))
        .archive;
    await store.startRecords(
      resumePoint.entries.map((record) => `${encodeWrittenEntry(record)}\n`)
        .join(""),
    );
    return new ResumeFile(
      path,
      { target, server, archive },
      stored?.upload,
      resumePoint,
      store,
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
      // The first part is worth saving at once: a store holding saves back
      // would otherwise keep a checkpoint of none for a while.
      const first = checkpoint.parts.length > 0 && !this.#savedParts;
      this.#savedParts ||= checkpoint.parts.length > 0;
      await this.#store.save(stored, first);
    } catch (error) {
      if (error instanceof CliError) throw error;
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
    this.#flushQuietly();
    return await this.#store.remove();
  }

  /**
   * After a paused run: makes the checkpoint a store held back, and stops.
   *
   * @throws {CliError} It could not be saved; an older one may be.
   */
  async keep(): Promise<void> {
    try {
      await this.#store.flush();
    } finally {
      this.close();
    }
  }

  /**
   * After a failed upload: keeps FILE while the upload it records may
   * still exist (kept on purpose, its abort unconfirmed, or the run failed
   * before the upload was touched), removes it (and FILE.entries) once the
   * server confirmed the upload gone or there never was one. Returns what
   * happened, for the line after the error, or `undefined` when the upload
   * was aborted as without `--resume`.
   */
  async afterFailure(error: unknown): Promise<string | undefined> {
    if (this.#mayStillResume(error)) {
      const unsaved = await this.#store.flush().then(
        () => "",
        (cause) =>
          `; its newest checkpoint could not be saved (${
            reason(cause)
          }), so the parts after the one saved will be sent again`,
      );
      this.close();
      const how =
        `run the same command again to resume it, or discard it with zipstream --abort-resume ${this.path}${unsaved}`;
      return uploadKept(error)
        ? `kept the upload for --resume ${this.path}: ${how}`
        : `kept ${this.path}, as its upload may still exist: ${how}`;
    }
    const left = await this.remove();
    if (left !== undefined) {
      return `could not remove ${this.path} (${left}): delete it`;
    }
    return this.checkpoint === undefined ? undefined : `removed ${this.path}`;
  }

  /**
   * Whether the upload FILE records may still be there to resume. Without
   * an upload's error, the run failed before the upload was touched (no
   * credentials, say): as it stands, it is the checkpoint's upload.
   */
  #mayStillResume(error: unknown): boolean {
    const upload = uploadErrorOf(error);
    if (upload === undefined) return this.checkpoint !== undefined;
    return upload.uploadKept || upload.outcome !== "nothing-left";
  }

  #flush(): void {
    const pending = this.#pending;
    this.#pending = "";
    this.#store.appendRecords(pending);
  }

  #flushQuietly(): void {
    try {
      this.#flush();
    } catch {
      // The disk failed: the records only save reading.
    }
  }

  /** Stops writing FILE.entries, as a run that keeps its upload does. */
  close(): void {
    this.#flushQuietly();
    this.#store.close();
  }
}

/**
 * The records up to the first unreadable line: a line cut short by a
 * crash ends what can be trusted.
 */
function parseRecords(text: string): WrittenEntry[] {
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

function uploadErrorOf(error: unknown): S3UploadError | undefined {
  return causeChain(error).find((cause): cause is S3UploadError =>
    cause instanceof S3UploadError
  );
}

/** Whether the error is an upload's, saying the multipart upload was kept. */
function uploadKept(error: unknown): boolean {
  return uploadErrorOf(error)?.uploadKept ?? false;
}
